/* ipcscope graph: who talks to whom, computed from the model. */
#ifndef IPCSCOPE_GRAPH_H
#define IPCSCOPE_GRAPH_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "model/model.h"
#include "util.h"

enum graph_format { GRAPH_DOT, GRAPH_JSON, GRAPH_MERMAID };

struct graph_node {
	bool is_proc;
	const struct ipc_proc *proc;	/* is_proc */
	const struct ipc_obj *obj;	/* otherwise: an object shared by 3+ */
	bool keep;
};

struct graph_edge {
	size_t from, to;		/* node indexes */
	const struct ipc_obj *obj;
	bool directed;			/* pipes and FIFOs: writer to reader */
	/* a thread of a process at either end sleeps on the object through
	 * one of the entries the edge joins: a reader of an empty pipe, a
	 * writer to a full one, a socket waiting for its peer */
	bool wait;
};

struct graph {
	struct graph_node *nodes;
	size_t nnodes;
	struct graph_edge *edges;
	size_t nedges;
};

/* Builds the who-talks-to-whom graph of the visible objects; with pids,
 * keeps only the processes within depth hops of them. */
void graph_build(const struct model *m, struct graph *g, const pid_t *pids, size_t npids,
		 unsigned depth);
void graph_free(struct graph *g);
/* Label of an edge or object node: "pipe", "unix /run/x.sock", ... */
void graph_label(struct buf *out, const struct ipc_obj *o);
int graph_render_text(FILE *out, const struct graph *g, enum graph_format f);
int graph_render_json(FILE *out, const struct graph *g);

#endif
