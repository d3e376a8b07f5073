/* ipcscope graph: who talks to whom. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "model/link.h"
#include "render/graph.h"

/* the values of this command's own options */
static struct {
	enum graph_format format;
	unsigned depth;		/* hops from the --pid processes */
	/* --pid is no filter here: the filters choose the objects, these
	 * pids the neighbourhood drawn, so they stay out of the scan's */
	pid_t *pids;
	size_t npids;
} own = { .format = GRAPH_DOT, .depth = 1 };

static void set_format(struct cmd_ctx *ctx, const char *arg)
{
	(void)ctx;
	if (strcmp(arg, "dot") == 0)
		own.format = GRAPH_DOT;
	else if (strcmp(arg, "json") == 0)
		own.format = GRAPH_JSON;
	else if (strcmp(arg, "mermaid") == 0)
		own.format = GRAPH_MERMAID;
	else
		cmd_usage_error("invalid format '%s' (dot, json or mermaid)", cmd_shown(arg));
}

static void set_depth(struct cmd_ctx *ctx, const char *arg)
{
	uint64_t v;

	(void)ctx;
	if (!parse_u64(arg, &v) || v > 64)
		cmd_usage_error("invalid depth '%s' (0 to 64)", cmd_shown(arg));
	own.depth = (unsigned)v;
}

static void set_pids(struct cmd_ctx *ctx, const char *arg)
{
	(void)ctx;
	cmd_parse_pids(arg, &own.pids, &own.npids);
}

static const struct cmd_opt opt_format = {
	"format", required_argument, 0, "FORMAT",
	"dot (Graphviz, the default), json or mermaid", set_format,
};
static const struct cmd_opt opt_depth = {
	"depth", required_argument, 0, "N",
	"with --pid, processes up to N hops away (default 1)", set_depth,
};
static const struct cmd_opt opt_pid = {
	"pid", required_argument, 'p', "PID[,PID]",
	"only these processes and their neighbourhood", set_pids,
};

static int cmd_graph_print(struct cmd_ctx *ctx, struct model *m)
{
	struct graph g;
	int rc;

	(void)ctx;
	link_warn_unseen(m, own.pids, own.npids);
	graph_build(m, &g, own.pids, own.npids, own.depth);
	if (own.format == GRAPH_JSON)
		rc = graph_render_json(stdout, &g);
	else
		rc = graph_render_text(stdout, &g, own.format);
	rc = rc < 0 ? errno : 0;
	graph_free(&g);
	return rc;
}

static int cmd_graph_run(struct cmd_ctx *ctx)
{
	int status = cmd_scan_print(ctx, cmd_graph_print);

	free(own.pids);
	return status;
}

static const struct cmd_opt *const graph_opts[] = {
	&opt_format, &opt_depth, CMD_OPT(TYPE), &opt_pid, CMD_OPT(USER), CMD_OPT(PATH),
	CMD_CGROUP_OPTS, CMD_OPT(MQUEUE_DIR), CMD_OPT(BACKEND), NULL
};

const struct cmd_entry cmd_graph_entry = {
	.name = "graph",
	.args = "[options]",
	.summary = "who talks to whom, for Graphviz, Mermaid or JSON",
	.description =
	"Draw the processes that communicate through pipes, FIFOs, UNIX sockets and\n"
	"shared memory: processes are nodes, objects are edges, and an object shared\n"
	"by several processes is a node joined to each. With --pid, only the\n"
	"neighbourhood of those processes, --depth hops deep. An edge a thread at\n"
	"one end sleeps on (a read of an empty pipe) is dashed.\n"
	"Render with: ipcscope graph | dot -Tsvg > ipc.svg",
	.opts = graph_opts,
	/* wait edges */
	.needs = NEED_WAITS | NEED_WAITS_QUIET,
	.run = cmd_graph_run,
};
