/* ipcscope clean: removes what leaks lists, each re-checked first. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include "act/clean.h"
#include "cmd/cmd.h"
#include "collect/pathio.h"
#include "testhooks.h"

/* the values of this command's own options */
static struct {
	bool force;		/* really remove */
} own;

static void set_force(struct cmd_ctx *ctx, const char *arg)
{
	(void)ctx;
	(void)arg;
	own.force = true;
}

static const struct cmd_opt opt_force = {
	"force", no_argument, 0, NULL,
	"really remove; without it clean only says what it would do", set_force,
};


/* The removal, or for a dry run what it would remove; the exit status. */
static int cmd_clean_report(const struct model *planned, const struct model *fresh)
{
	struct clean_counts n;
	int status;

	clean_run(stdout, planned, fresh, &n);
	if (!own.force && n.planned > n.skipped)
		printf("dry run: nothing was removed; run with --force to remove %zu object%s\n",
		       n.planned - n.skipped, n.planned - n.skipped == 1 ? "" : "s");
	else if (!n.planned)
		printf("no leaks to remove\n");
	status = cmd_finish_stdout(0);
	if (!status && n.failed)
		status = 1;
	return status;
}

static int cmd_clean_exec(struct cmd_ctx *ctx)
{
	struct model planned, fresh;
	int status = 1;

	if (cmd_scan(ctx, &planned) < 0)
		goto out;
	cmd_print_warnings(&planned);
	if (!own.force) {
		status = cmd_clean_report(&planned, NULL);
		goto out;
	}
	/* a test's way into the race between the scan and the removal */
	testhook_pause(TESTHOOK_BEFORE_RECHECK);
	/* everything is checked again, just before it is removed */
	if (cmd_scan(ctx, &fresh) == 0)
		status = cmd_clean_report(&planned, &fresh);
	model_free(&fresh);
out:
	model_free(&planned);
	return status;
}

static int cmd_clean_run(struct cmd_ctx *ctx)
{
	if (own.force && pio_rerooted()) {
		warnx("clean --force removes only from the live system, not below IPCSCOPE_ROOT");
		return 1;
	}
	return cmd_clean_exec(ctx);
}

static const struct cmd_opt *const clean_opts[] = {
	CMD_OPT(TYPE), CMD_OPT(USER), CMD_OPT(PATH_SEARCH), CMD_CGROUP_OPTS,
	CMD_OPT(OLDER_THAN), CMD_OPT(MQUEUE_DIR), CMD_OPT(BACKEND), &opt_force, NULL
};

const struct cmd_entry cmd_clean_entry = {
	.name = "clean",
	.args = "[options]",
	.summary = "remove leaked objects (a dry run without --force)",
	.description =
	"Remove the objects that leaks lists. Without --force, only say what would be\n"
	"removed. Each object is checked again just before it is removed, and skipped\n"
	"if it gained a holder or changed. Objects of other users need root.",
	.opts = clean_opts,
	.needs = NEED_SEARCH | NEED_LEAKS | NEED_LEAKED_ONLY,
	.run = cmd_clean_run,
};
