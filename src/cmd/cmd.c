/* What the commands share: messages, the end of stdout, and the scan made
 * to measure from what the command declared it needs. */
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "collect/collect.h"
#include "escape.h"
#include "model/leaks.h"
#include "model/link.h"
#include "collect/pathio.h"

void cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", CMD_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* Untrusted text (an argument, an environment variable) escaped as the
 * table escapes it, so a message stays one line and sends the terminal no
 * control byte. A message quotes at most a few, and the program exits
 * soon after, so a small ring of buffers is enough. */
const char *cmd_shown(const char *s)
{
	static struct buf ring[4];
	static size_t next;
	struct buf *b = &ring[next++ % ARRAY_SIZE(ring)];

	buf_reset(b);
	esc_table(b, s, strlen(s));
	return b->data ? b->data : "";
}

/* the first failed write to stdout, kept for the final message */
static int stdout_errno;

/* A closed pipe (| head) ends the run quietly; any other failure to write
 * is an error. werr is the errno of a failed write seen earlier, or 0. */
int cmd_finish_stdout(int werr)
{
	if (fflush(stdout) != 0)
		werr = errno;
	else if (!werr && stdout_errno)
		werr = stdout_errno;
	else if (!werr && ferror(stdout))
		werr = EIO;
	if (!werr || werr == EPIPE)
		return 0;
	errno = werr;
	warn("write error");
	return 1;
}

void cmd_print_warnings(const struct model *m)
{
	/* what went to stdout comes first, should both reach one place */
	if (fflush(stdout) != 0 && !stdout_errno)
		stdout_errno = errno;
	for (size_t i = 0; i < m->nwarnings; i++)
		if (!m->warn_quiet[i])
			fprintf(stderr, "%s: %s\n", CMD_PROG, m->warnings[i]);
}

static const char *const default_search_roots[] = {
	"/tmp", "/run", "/var/run", "/var/tmp", "/dev/shm",
};

/* Where to search for socket files and FIFOs: the usual places,
 * $XDG_RUNTIME_DIR, and every --path that names a directory. */
static size_t search_roots(const struct cmd_ctx *ctx, const char ***out)
{
	size_t n = 0, cap = ARRAY_SIZE(default_search_roots) + 1 + ctx->filter.nglobs;
	const char **r = xcalloc(cap, sizeof(*r));
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	for (size_t i = 0; i < ARRAY_SIZE(default_search_roots); i++)
		r[n++] = default_search_roots[i];
	if (xdg && xdg[0] == '/')
		r[n++] = xdg;
	for (size_t i = 0; i < ctx->filter.nglobs; i++) {
		struct stat st;
		const char *g = ctx->filter.globs[i];

		if (g[0] == '/' && lstat(g, &st) == 0 && S_ISDIR(st.st_mode))
			r[n++] = g;
	}
	*out = r;
	return n;
}

/* IPCSCOPE_THREADS: how many threads walk /proc (default: one per CPU). */
static int scan_threads(void)
{
	const char *s = getenv("IPCSCOPE_THREADS");
	uint64_t v;

	return s && parse_u64(s, &v) && v >= 1 && v <= 64 ? (int)v : 0;
}

/* The filter step: leak verdicts, the filters and the order, as the
 * command needs. */
static void scan_filter(struct cmd_ctx *ctx, struct model *m)
{
	if (ctx->needs & NEED_LEAKS)
		leaks_classify(m);
	filter_apply(m, &ctx->filter);
	if (ctx->needs & NEED_LEAKED_ONLY)
		leaks_filter(m, ctx->older_than, ctx->ro.now);
	if (ctx->needs & NEED_LEAKS)
		leaks_warn(m);
	model_sort(m);
	if (ctx->sort_col >= 0)
		columns_sort(m, ctx->sort_col, ctx->sort_desc, &ctx->ro);
}

int cmd_scan(struct cmd_ctx *ctx, struct model *m)
{
	const char **roots = NULL;
	/* --pid narrows the walk itself: a command whose --pid means
	 * something else keeps its pids out of the filter */
	struct scan_opts so = {
		.types = ctx->filter.types,
		.mqueue_dir = ctx->mqueue_dir,
		.backend = (enum scan_backend)ctx->backend,
		.mqueue_asked = ctx->filter.types != IPC_ALL_TYPES &&
				(ctx->filter.types & IPC_TYPE_BIT(IPC_MQUEUE)),
		.search = ctx->needs & NEED_SEARCH,
		.want_fill = ctx->needs & NEED_FILL,
		/* a thread asleep opening a FIFO holds it: leaks need waits */
		.want_waits = ctx->needs & (NEED_WAITS | NEED_LEAKS),
		.waits_quiet = (ctx->needs & NEED_WAITS_QUIET) || !(ctx->needs & NEED_WAITS),
		.threads = scan_threads(),
		.focus = ctx->filter.pids,
		.nfocus = ctx->filter.npids,
		.want_cgroup = ctx->needs & NEED_CGROUP,
	};
	int rc;

	if (so.search)
		so.nsearch_roots = search_roots(ctx, &roots);
	so.search_roots = roots;
	model_init(m);
	/* 1. collect */
	rc = scan_run(m, &so);
	free(roots);
	if (rc == -ENOTSUP) {
		warnx("the bpf backend cannot run: %s", m->backend_why);
		return -1;
	}
	if (rc < 0) {
		warnx("cannot read processes from %s/proc: %s",
		      pio_rerooted() ? cmd_shown(pio_root()) : "", strerror(-rc));
		return -1;
	}
	/* 2. link, 3. filter; the command renders (cmd_scan_print) */
	link_stage(m, so.focus, so.nfocus);
	scan_filter(ctx, m);
	return 0;
}

int cmd_scan_print(struct cmd_ctx *ctx, cmd_print_fn *print)
{
	struct model m;
	int rc, status = 1;

	/* collect → link → filter, then 4. render */
	if (cmd_scan(ctx, &m) == 0) {
		rc = print(ctx, &m);
		if (rc >= 0) {
			cmd_print_warnings(&m);
			status = cmd_finish_stdout(rc);
		}
	}
	model_free(&m);
	return status;
}

int cmd_render_objects(const struct cmd_ctx *ctx, const struct model *m)
{
	int rc = ctx->json ? json_render(stdout, m, &ctx->ro) : table_render(stdout, m, &ctx->ro);

	return rc < 0 ? errno : 0;
}

const struct cmd_entry *cmd_find(const char *name)
{
	for (size_t i = 0; cmd_table[i]; i++)
		if (strcmp(name, cmd_table[i]->name) == 0)
			return cmd_table[i];
	return NULL;
}

int cmd_run(const struct cmd_entry *ce, int argc, char **argv)
{
	struct cmd_ctx ctx = { .entry = ce, .needs = ce->needs };
	int status;

	cmd_parse_options(&ctx, argc, argv);
	status = ce->run(&ctx);
	filter_free(&ctx.filter);
	return status;
}
