/* ipcscope summary and ipcscope graph: views computed from the model. */
#ifndef IPCSCOPE_SUMMARY_H
#define IPCSCOPE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "util.h"

#define SUMMARY_TOP 10

struct summary {
	struct {
		size_t objects, holders;
		uint64_t size, resident;
	} types[IPC_NTYPES];
	struct {
		const struct ipc_proc *proc;
		size_t objects;
	} top[SUMMARY_TOP];
	size_t ntop;
	struct {
		size_t objects;
		size_t uncertain;	/* of objects */
		uint64_t size, resident;
	} leaks[LEAK_MQUEUE + 1];
	size_t procs, unreadable;
	bool hidden;		/* hidepid, or a pid namespace below the host's */
	const char *incomplete;	/* what the scan could not see, or NULL */
};

void summary_compute(const struct model *m, struct summary *s);
int summary_render_text(FILE *out, const struct summary *s, bool bytes);
int summary_render_json(FILE *out, const struct model *m, const struct summary *s);

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
