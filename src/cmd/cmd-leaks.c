/* ipcscope leaks: what nobody holds. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "model/leaks.h"

/* the values of this command's own options, and what the scan found */
static struct {
	bool exit_code;		/* --exit-code: 3 when there are certain leaks */
	bool certain;		/* the scan found a leak that is certain */
} own;

static void set_exit_code(struct cmd_ctx *ctx, const char *arg)
{
	(void)ctx;
	(void)arg;
	own.exit_code = true;
}

static const struct cmd_opt opt_exit_code = {
	"exit-code", no_argument, 0, NULL,
	"exit with status 3 when leaks were found", set_exit_code,
};

/* The table, then a line of totals under it. */
static int cmd_leaks_print(struct cmd_ctx *ctx, struct model *m)
{
	struct leak_totals t;
	char sz[32], res[32];
	int werr = cmd_render_objects(ctx, m);

	leaks_totals(m, &t);
	/* an uncertain leak is no finding to act on */
	own.certain = t.objects > t.uncertain;
	if (werr || ctx->json)
		return werr;
	format_size(sz, sizeof(sz), t.size);
	format_size(res, sizeof(res), t.resident);
	if (ctx->ro.bytes)
		printf("%zu leaked, %llu bytes, %llu bytes resident", t.objects,
		       (unsigned long long)t.size, (unsigned long long)t.resident);
	else
		printf("%zu leaked, %s, %s resident", t.objects, sz, res);
	if (t.uncertain)
		printf("; %zu of them uncertain (CERTAIN no)", t.uncertain);
	putchar('\n');
	return 0;
}

static int cmd_leaks_run(struct cmd_ctx *ctx)
{
	int status = cmd_scan_print(ctx, cmd_leaks_print);

	if (status == 0 && own.exit_code && own.certain)
		status = EXIT_LEAKS;
	return status;
}

static const struct cmd_opt *const leaks_opts[] = {
	CMD_OPT(TYPE), CMD_OPT(USER), CMD_OPT(PATH_SEARCH), CMD_CGROUP_OPTS,
	CMD_OPT(OLDER_THAN), CMD_OPT(MQUEUE_DIR), CMD_OPT(BACKEND), &opt_exit_code, CMD_TABLE_OPTS, NULL
};

const struct cmd_entry cmd_leaks_entry = {
	.name = "leaks",
	.args = "[options]",
	.summary = "list what nobody holds: leaked shm, stale sockets",
	.description =
	"List what nobody holds: shm and semaphores with no fd and no mapping, SysV\n"
	"segments attached nowhere, socket files no socket is bound to, FIFOs and\n"
	"message queues nobody has open. Socket files and FIFOs are searched for in\n"
	"/tmp, /run, /var/run, /var/tmp, /dev/shm, $XDG_RUNTIME_DIR and --path DIRs.",
	.opts = leaks_opts,
	.needs = NEED_SEARCH | NEED_LEAKS | NEED_LEAKED_ONLY,
	.run = cmd_leaks_run,
};
