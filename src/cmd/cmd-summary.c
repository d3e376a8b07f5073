/* ipcscope summary: counts and bytes per type, top holders, leaks. */
#include <errno.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "render/summary.h"

static int cmd_summary_print(struct cmd_ctx *ctx, struct model *m)
{
	struct summary sum;
	int rc;

	summary_compute(m, &sum);
	if (ctx->json)
		rc = summary_render_json(stdout, m, &sum);
	else
		rc = summary_render_text(stdout, &sum, ctx->ro.bytes);
	return rc < 0 ? errno : 0;
}

static int cmd_summary_run(struct cmd_ctx *ctx)
{
	return cmd_scan_print(ctx, cmd_summary_print);
}

static const struct cmd_opt *const summary_opts[] = {
	CMD_OPT(TYPE), CMD_OPT(USER), CMD_OPT(PATH_SEARCH), CMD_CGROUP_OPTS,
	CMD_OPT(MQUEUE_DIR), CMD_OPT(BACKEND), CMD_OPT(JSON), CMD_OPT(BYTES), NULL
};

const struct cmd_entry cmd_summary_entry = {
	.name = "summary",
	.args = "[options]",
	.summary = "counts and bytes per type, top holders, leaks",
	.description =
	"Count the objects, holders and bytes of each type, the processes that hold\n"
	"the most objects, the containers whose processes hold the most, the leaks\n"
	"by reason, and the processes that could not be read.",
	.opts = summary_opts,
	/* the containers: the holders' cgroups */
	.needs = NEED_SEARCH | NEED_LEAKS | NEED_CGROUP,
	.run = cmd_summary_run,
};
