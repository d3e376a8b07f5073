/* ipcscope waits: which thread sleeps on which IPC object, what the other
 * end is doing, deadlock cycles and stalled pipelines. */
#include <errno.h>
#include <stdio.h>

#include "cmd/cmd.h"

static struct {
	bool exit_code;		/* --exit-code: 3 when there is a cycle */
	bool cycle;
} own;

static void set_exit_code(struct cmd_ctx *ctx, const char *arg)
{
	(void)ctx;
	(void)arg;
	own.exit_code = true;
}

static const struct cmd_opt opt_exit_code = {
	"exit-code", no_argument, 0, NULL,
	"exit with status 3 when processes wait on each other in a cycle", set_exit_code,
};

static int cmd_waits_print(struct cmd_ctx *ctx, struct model *m)
{
	int rc = ctx->json ? waits_render_json(stdout, m) : waits_render_text(stdout, m, &ctx->ro);

	own.cycle = m->ncycles > 0;
	return rc < 0 ? errno : 0;
}

static int cmd_waits_run(struct cmd_ctx *ctx)
{
	int status = cmd_scan_print(ctx, cmd_waits_print);

	if (status == 0 && own.exit_code && own.cycle)
		status = EXIT_LEAKS;
	return status;
}

static const struct cmd_opt *const waits_opts[] = {
	CMD_OPT(TYPE), CMD_OPT(PID), CMD_OPT(USER), CMD_OPT(PATH), CMD_CGROUP_OPTS,
	CMD_OPT(MQUEUE_DIR), CMD_OPT(BACKEND), &opt_exit_code, CMD_OPT(JSON), CMD_OPT(NO_HEADINGS), NULL
};

const struct cmd_entry cmd_waits_entry = {
	.name = "waits",
	.args = "[options]",
	.summary = "who waits on which object, for whom: deadlocks, stalls",
	.description =
	"List every thread asleep in a system call on an IPC object: read or write on\n"
	"a pipe, FIFO or socket, accept, connect, the open of a FIFO, epoll, poll,\n"
	"select and message queues. Each row gives the object, why the call waits\n"
	"(empty, full, no-data, ...) and the processes at the other end, with what\n"
	"they wait in themselves. Then DEADLOCK lines name processes that wait on\n"
	"each other and nothing else can wake, and STALLED lines name the process\n"
	"that holds others up while it does something else.",
	.opts = waits_opts,
	.needs = NEED_FILL | NEED_WAITS,
	.run = cmd_waits_run,
};
