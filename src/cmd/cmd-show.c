/* ipcscope show OBJECT: one object in full. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "collect/pathio.h"

/* lstat only: a FIFO or a socket file is never opened */
static const struct stat *show_lstat(const char *spec, struct stat *st)
{
	if (spec[0] == '@')
		return NULL;
	return (pio_rerooted() ? pio_lstat(spec, st) : lstat(spec, st)) == 0 ? st : NULL;
}

static int cmd_show_print(struct cmd_ctx *ctx, struct model *m)
{
	struct stat st;

	if (filter_select(m, ctx->operand, show_lstat(ctx->operand, &st)) == 0) {
		cmd_print_warnings(m);
		fprintf(stderr, "%s: no IPC object matches %s\n", CMD_PROG,
			cmd_shown(ctx->operand));
		return -1;
	}
	/* -o asks for the table instead of the detail view */
	if (ctx->json || ctx->custom_cols)
		return cmd_render_objects(ctx, m);
	return detail_render(stdout, m, &ctx->ro) < 0 ? errno : 0;
}

static int cmd_show_run(struct cmd_ctx *ctx)
{
	if (!ctx->operand)
		cmd_usage_error("show needs an OBJECT: a path, @name, pipe:[INO], socket:[INO], "
				"eventfd:ID or an inode");
	if (!*ctx->operand)
		cmd_usage_error("empty OBJECT");
	return cmd_scan_print(ctx, cmd_show_print);
}

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.args = "[options] OBJECT",
	.summary = "show one object in full: holders, peer, queues",
	.description =
	"Show one IPC object in full: its holders, its peer and the peer's holders,\n"
	"queues and fill level. OBJECT is a path (/tmp/app.sock, /dev/shm/seg), an\n"
	"@abstract socket name, pipe:[INO], socket:[INO], eventfd:ID (its eventfd-id)\n"
	"or an inode number.\n"
	"Options may follow OBJECT; -- ends them, for an OBJECT that starts with -.",
	.opts = cmd_list_opts,	/* list's, as ipcscope(1) says */
	/* the detail view shows the fill level, and who waits on it in what */
	.needs = NEED_FILL | NEED_WAITS | NEED_WAITS_QUIET,
	.takes_operand = true,
	.run = cmd_show_run,
};
