/* Who talks to whom: processes as nodes, IPC objects as edges between
 * them; an object shared by many (shm and the like) becomes a node of its
 * own, joined to each of them. */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "kinds/kind.h"
#include "render/graph.h"
#include "render/summary.h"
#include "util.h"

struct gbuild {
	struct graph *g;
	size_t *proc_node;	/* model proc idx -> node index + 1 */
	size_t capnodes, capedges;
};

static size_t add_node(struct gbuild *b, const struct ipc_proc *p, const struct ipc_obj *o)
{
	struct graph *g = b->g;

	if (p && b->proc_node[p->idx])
		return b->proc_node[p->idx] - 1;
	if (g->nnodes == b->capnodes) {
		b->capnodes = b->capnodes ? b->capnodes * 2 : 64;
		g->nodes = xreallocarray(g->nodes, b->capnodes, sizeof(*g->nodes));
	}
	g->nodes[g->nnodes] = (struct graph_node){ .is_proc = p != NULL, .proc = p, .obj = o };
	if (p)
		b->proc_node[p->idx] = g->nnodes + 1;
	return g->nnodes++;
}

/* An edge, once per pair and object: another pair of entries between the
 * same processes only adds its wait. */
static void add_edge(struct gbuild *b, size_t from, size_t to, const struct ipc_obj *o,
		     bool directed, bool wait)
{
	struct graph *g = b->g;

	if (from == to)
		return;
	for (size_t i = g->nedges; i-- > 0 && g->edges[i].obj == o;) {
		struct graph_edge *e = &g->edges[i];

		if ((e->from == from && e->to == to) || (!directed && e->from == to && e->to == from)) {
			e->wait |= wait;
			return;
		}
	}
	if (g->nedges == b->capedges) {
		b->capedges = b->capedges ? b->capedges * 2 : 64;
		g->edges = xreallocarray(g->edges, b->capedges, sizeof(*g->edges));
	}
	g->edges[g->nedges++] = (struct graph_edge){ from, to, o, directed, wait };
}

static size_t distinct_procs(const struct ipc_obj *o)
{
	size_t n = 0;

	for (size_t k = 0; k < o->nholders; k++)
		n += !k || o->holders[k].proc != o->holders[k - 1].proc;
	return n;
}

/* pipes and FIFOs: from each writing process to each reading one */
static void pipe_edges(struct gbuild *b, const struct ipc_obj *o)
{
	for (size_t w = 0; w < o->nholders; w++) {
		if (!(o->holders[w].mode & MODE_W))
			continue;
		for (size_t r = 0; r < o->nholders; r++) {
			if (!(o->holders[r].mode & MODE_R) || o->holders[r].proc == o->holders[w].proc)
				continue;
			add_edge(b, add_node(b, o->holders[w].proc, NULL),
				 add_node(b, o->holders[r].proc, NULL), o, true,
				 o->holders[w].wait || o->holders[r].wait);
		}
	}
}

/* sockets, and any kind with an other end (graph_end): the holders of
 * each end, once per connected pair */
static void socket_edges(struct gbuild *b, const struct model *m, const struct ipc_obj *o)
{
	const struct ipc_kind *kd = kind_of(o);
	const struct ipc_obj *peer = kd->graph_end ? kd->graph_end(o) : NULL;

	(void)m;
	if (!peer || peer->hidden)
		return;
	for (size_t i = 0; i < o->nholders; i++)
		for (size_t k = 0; k < peer->nholders; k++)
			if (o->holders[i].proc != peer->holders[k].proc)
				add_edge(b, add_node(b, o->holders[i].proc, NULL),
					 add_node(b, peer->holders[k].proc, NULL),
					 o->path ? o : peer, false,
					 o->holders[i].wait || peer->holders[k].wait);
}

/* Keeps the processes at most depth hops from the given ones. A hop is a
 * step onto a process: passing through an object node costs nothing, so
 * processes sharing a segment are one hop apart, like the ends of a pipe. */
static void keep_within(struct graph *g, const pid_t *pids, size_t npids, unsigned depth)
{
	long *dist = xcalloc(g->nnodes ? g->nnodes : 1, sizeof(*dist));
	bool changed = true;

	for (size_t i = 0; i < g->nnodes; i++) {
		dist[i] = -1;
		for (size_t k = 0; k < npids; k++)
			if (g->nodes[i].is_proc && g->nodes[i].proc->pid == pids[k])
				dist[i] = 0;
	}
	while (changed) {
		changed = false;
		for (size_t e = 0; e < g->nedges; e++) {
			size_t ends[2] = { g->edges[e].from, g->edges[e].to };

			for (int d = 0; d < 2; d++) {
				size_t a = ends[d], c = ends[1 - d];
				long nd;

				if (dist[a] < 0)
					continue;
				nd = dist[a] + (g->nodes[c].is_proc ? 1 : 0);
				if (nd <= (long)depth && (dist[c] < 0 || nd < dist[c])) {
					dist[c] = nd;
					changed = true;
				}
			}
		}
	}
	for (size_t i = 0; i < g->nnodes; i++)
		g->nodes[i].keep = dist[i] >= 0;
	free(dist);
}

void graph_build(const struct model *m, struct graph *g, const pid_t *pids, size_t npids,
		 unsigned depth)
{
	struct gbuild b = { .g = g };

	memset(g, 0, sizeof(*g));
	b.proc_node = xcalloc(m->nprocs ? m->nprocs : 1, sizeof(*b.proc_node));
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		if (o->hidden || !o->nholders)
			continue;
		/* a pipe joins its writers to its readers, a socket its peers;
		 * anything else shared becomes a node of its own */
		if (kind_has(o->type, KT_PIPELIKE)) {
			pipe_edges(&b, o);
		} else if (kind_of(o)->graph_end) {
			socket_edges(&b, m, o);
		} else if (distinct_procs(o) >= 2) {
			size_t on = add_node(&b, NULL, o);

			for (size_t k = 0; k < o->nholders; k++)
				add_edge(&b, add_node(&b, o->holders[k].proc, NULL), on, o, false,
					 o->holders[k].wait);
		}
	}
	free(b.proc_node);
	if (npids) {
		keep_within(g, pids, npids, depth);
	} else {
		for (size_t i = 0; i < g->nnodes; i++)
			g->nodes[i].keep = true;
	}
}

void graph_free(struct graph *g)
{
	free(g->nodes);
	free(g->edges);
	memset(g, 0, sizeof(*g));
}

void graph_label(struct buf *out, const struct ipc_obj *o)
{
	buf_adds(out, ipc_type_name(o->type));
	if (o->path) {
		buf_addc(out, ' ');
		esc_table(out, o->path, o->pathlen);
	} else if (kind_of(o)->label) {
		buf_addc(out, ' ');
		kind_of(o)->label(out, o);
	} else if (kind_has(o->type, KT_PIPELIKE)) {
		buf_printf(out, " %llu", (unsigned long long)o->ino);
	}
}

static void node_id(struct buf *out, const struct graph *g, size_t i)
{
	if (g->nodes[i].is_proc)
		buf_printf(out, "p%d", (int)g->nodes[i].proc->pid);
	else
		buf_printf(out, "o%zu", i);
}

/* DOT strings: the label is already terminal-safe; quote what DOT parses. */
static void dot_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* Mermaid labels: entity codes for what its parser or HTML would take. */
static void mermaid_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '"': fputs("#quot;", out); break;
		case '<': fputs("#lt;", out); break;
		case '>': fputs("#gt;", out); break;
		case '#': fputs("#35;", out); break;
		case '&': fputs("#amp;", out); break;
		/* ends an edge's |label| */
		case '|': fputs("#124;", out); break;
		default: fputc(*s, out);
		}
	}
}

static void proc_label(struct buf *b, const struct ipc_proc *p, const char *sep)
{
	buf_printf(b, "%d%s", (int)p->pid, sep);
	esc_table(b, p->comm, strlen(p->comm));
}

static void text_node(FILE *out, const struct graph_node *n, const char *id,
		      struct buf *l, enum graph_format f)
{
	char *nl;

	if (f != GRAPH_DOT) {
		fprintf(out, "\t%s%s\"", id, n->is_proc ? "[" : "([");
		mermaid_str(out, l->data);
		fprintf(out, "\"%s\n", n->is_proc ? "]" : "])");
		return;
	}
	fprintf(out, "\t\"%s\" [shape=%s, label=\"", id, n->is_proc ? "box" : "ellipse");
	/* the one line break is ours, after the pid */
	if (n->is_proc && (nl = strchr(l->data, '\n'))) {
		*nl = '\0';
		dot_str(out, l->data);
		fputs("\\n", out);
		dot_str(out, nl + 1);
	} else {
		dot_str(out, l->data);
	}
	fputs("\"];\n", out);
}

/* A wait edge is dashed in DOT and dotted in Mermaid; the others are
 * written as they always were. */
static void text_edge(FILE *out, const struct graph_edge *ed, const char *from,
		      const char *to, const struct buf *l, enum graph_format f)
{
	const char *sep = "";

	if (f == GRAPH_DOT) {
		fprintf(out, "\t\"%s\" -> \"%s\" [", from, to);
		if (l->len) {
			fputs("label=\"", out);
			dot_str(out, l->data);
			fputs("\"", out);
			sep = ", ";
		}
		if (!ed->directed) {
			fprintf(out, "%sdir=none", sep);
			sep = ", ";
		}
		fprintf(out, "%s];\n", ed->wait ? *sep ? ", style=dashed" : "style=dashed" : "");
	} else if (l->len) {
		fprintf(out, "\t%s %s|\"", from, ed->directed ? ed->wait ? "-.->" : "-->"
							  : ed->wait ? "-.-" : "---");
		mermaid_str(out, l->data);
		fprintf(out, "\"| %s\n", to);
	} else {
		fprintf(out, "\t%s %s %s\n", from, ed->wait ? "-.-" : "---", to);
	}
}

int graph_render_text(FILE *out, const struct graph *g, enum graph_format f)
{
	struct buf id = { 0 }, id2 = { 0 }, l = { 0 };

	fputs(f == GRAPH_DOT ? "digraph ipcscope {\n\trankdir=LR;\n"
			       "\tnode [fontname=\"monospace\", fontsize=10];\n"
			       "\tedge [fontname=\"monospace\", fontsize=9];\n"
			     : "flowchart LR\n", out);
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct graph_node *n = &g->nodes[i];

		if (!n->keep)
			continue;
		buf_reset(&id);
		buf_reset(&l);
		node_id(&id, g, i);
		if (n->is_proc)
			proc_label(&l, n->proc, f == GRAPH_DOT ? "\n" : " ");
		else
			graph_label(&l, n->obj);
		text_node(out, n, id.data, &l, f);
	}
	for (size_t e = 0; e < g->nedges; e++) {
		const struct graph_edge *ed = &g->edges[e];

		if (!g->nodes[ed->from].keep || !g->nodes[ed->to].keep)
			continue;
		buf_reset(&id);
		buf_reset(&id2);
		buf_reset(&l);
		node_id(&id, g, ed->from);
		node_id(&id2, g, ed->to);
		/* an edge into an object node needs no label: the node has it */
		if (g->nodes[ed->to].is_proc)
			graph_label(&l, ed->obj);
		text_edge(out, ed, id.data, id2.data, &l, f);
	}
	if (f == GRAPH_DOT)
		fputs("}\n", out);
	buf_free(&id);
	buf_free(&id2);
	buf_free(&l);
	return ferror(out) ? -1 : 0;
}
