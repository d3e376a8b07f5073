/* ipcscope list: every object and its holders, the default command. */
#include <stdio.h>

#include "cmd/cmd.h"

static int cmd_list_print(struct cmd_ctx *ctx, struct model *m)
{
	return cmd_render_objects(ctx, m);
}

static int cmd_list_run(struct cmd_ctx *ctx)
{
	return cmd_scan_print(ctx, cmd_list_print);
}

const struct cmd_opt *const cmd_list_opts[] = {
	CMD_OPT(TYPE), CMD_OPT(PID), CMD_OPT(USER), CMD_OPT(PATH), CMD_CGROUP_OPTS,
	CMD_OPT(MQUEUE_DIR), CMD_OPT(BACKEND), CMD_TABLE_OPTS, NULL
};

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.args = "[options]",
	.summary = "list IPC objects and their holders (the default)",
	.description =
	"List IPC objects (FIFOs, pipes, UNIX sockets, POSIX shm, memfds, semaphores,\n"
	"SysV shm, message queues) with the processes that hold them.",
	.opts = cmd_list_opts,
	/* the holders' waits: marks in HOLDERS, "wait" in the JSON */
	.needs = NEED_WAITS | NEED_WAITS_QUIET,
	.run = cmd_list_run,
};
