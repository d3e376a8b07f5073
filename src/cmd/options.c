/* The shared option table and the parsing of a command's options: its
 * entry lists the shared options it takes and its own, and one getopt
 * loop reads them all. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "collect/collect.h"
#include "kinds/kind.h"
#include "model/leaks.h"
#include "collect/pathio.h"

#define PID_LIMIT 4194304	/* PID_MAX_LIMIT on 64-bit kernels */
/* getopt's value for the option at index i of a command's list: above
 * every byte getopt may report */
#define OPT_VAL(i) (UCHAR_MAX + 1 + (int)(i))

static void set_types(struct cmd_ctx *ctx, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL, *tok;
	unsigned mask = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int t;

		if (strcmp(tok, "all") == 0) {
			mask |= IPC_ALL_TYPES;
			continue;
		}
		t = ipc_type_parse(tok);
		if (t < 0)
			cmd_usage_error("unknown type '%s' (choose from %s)", cmd_shown(tok),
					ipc_type_list());
		mask |= IPC_TYPE_BIT(t);
	}
	free(copy);
	if (!mask)
		cmd_usage_error("empty type list '%s'", cmd_shown(arg));
	ctx->filter.types |= mask;
}

void cmd_parse_pids(const char *arg, pid_t **pids, size_t *npids)
{
	char *copy, *save = NULL, *tok;
	size_t n = strlen(arg);

	/* strtok would skip them: 1,,2 is a typo, not the pids 1 and 2 */
	if (n == 0 || arg[0] == ',' || arg[n - 1] == ',' || strstr(arg, ",,"))
		cmd_usage_error("empty entry in pid list '%s'", cmd_shown(arg));
	copy = xstrdup(arg);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (!parse_u64(tok, &v) || v == 0 || v > PID_LIMIT)
			cmd_usage_error("invalid pid '%s'", cmd_shown(tok));
		*pids = xreallocarray(*pids, *npids + 1, sizeof(**pids));
		(*pids)[(*npids)++] = (pid_t)v;
	}
	free(copy);
}

static void set_pids(struct cmd_ctx *ctx, const char *arg)
{
	cmd_parse_pids(arg, &ctx->filter.pids, &ctx->filter.npids);
}

static void set_user(struct cmd_ctx *ctx, const char *arg)
{
	struct passwd *pw = getpwnam(arg);
	uint64_t v;

	if (pw) {
		ctx->filter.uid = pw->pw_uid;
	} else if (parse_u64(arg, &v) && v < UINT32_MAX) {
		ctx->filter.uid = (uid_t)v;
	} else {
		cmd_usage_error("unknown user '%s'", cmd_shown(arg));
	}
	ctx->filter.has_uid = true;
}

static void set_path(struct cmd_ctx *ctx, const char *arg)
{
	struct filter *f = &ctx->filter;

	f->globs = xreallocarray(f->globs, f->nglobs + 1, sizeof(*f->globs));
	/* argv's own string: the filter never writes or frees it */
	f->globs[f->nglobs++] = (char *)arg;
}

/* A container id or a prefix of one: 1 to 64 hex digits, kept in lower
 * case, as runtimes write ids. */
static void set_container(struct cmd_ctx *ctx, const char *arg)
{
	struct filter *f = &ctx->filter;
	size_t n = strlen(arg);
	char *id;

	if (n == 0 || n > 64 || strspn(arg, "0123456789abcdefABCDEF") != n)
		cmd_usage_error("invalid container id '%s' (1 to 64 hex digits)", cmd_shown(arg));
	id = xstrdup(arg);
	for (size_t i = 0; i < n; i++)
		id[i] = (char)tolower((unsigned char)id[i]);
	f->containers = xreallocarray(f->containers, f->ncontainers + 1, sizeof(*f->containers));
	f->containers[f->ncontainers++] = id;
	ctx->needs |= NEED_CGROUP;
}

static void set_cgroup(struct cmd_ctx *ctx, const char *arg)
{
	struct filter *f = &ctx->filter;

	f->cgroups = xreallocarray(f->cgroups, f->ncgroups + 1, sizeof(*f->cgroups));
	/* argv's own string, as for --path */
	f->cgroups[f->ncgroups++] = (char *)arg;
	ctx->needs |= NEED_CGROUP;
}

static void set_older_than(struct cmd_ctx *ctx, const char *arg)
{
	ctx->older_than = parse_duration(arg);
	if (ctx->older_than < 0)
		cmd_usage_error("invalid duration '%s' (like 30s, 10m, 2h, 1d)", cmd_shown(arg));
}

static void set_mqueue_dir(struct cmd_ctx *ctx, const char *arg)
{
	if (!*arg)
		cmd_usage_error("empty --mqueue-dir");
	ctx->mqueue_dir = arg;
}

/* auto, proc or bpf: which walks the processes (collect/scan.c). */
static int parse_backend(const char *arg)
{
	if (strcmp(arg, "auto") == 0)
		return SCAN_BACKEND_AUTO;
	if (strcmp(arg, "proc") == 0)
		return SCAN_BACKEND_PROC;
	if (strcmp(arg, "bpf") == 0)
		return SCAN_BACKEND_BPF;
	return -1;
}

static void set_backend(struct cmd_ctx *ctx, const char *arg)
{
	int b = parse_backend(arg);

	if (b < 0)
		cmd_usage_error("invalid --backend '%s' (auto, proc or bpf)", cmd_shown(arg));
	ctx->backend = b;
	ctx->backend_given = true;
}

/* IPCSCOPE_BACKEND, read only when --backend is not given. */
static void env_backend(struct cmd_ctx *ctx)
{
	const char *env = getenv("IPCSCOPE_BACKEND");
	int b;

	if (ctx->backend_given || !env || !*env)
		return;
	b = parse_backend(env);
	if (b < 0)
		cmd_usage_error("invalid IPCSCOPE_BACKEND '%s' (auto, proc or bpf)", cmd_shown(env));
	ctx->backend = b;
}

/* JSON carries every field, fill levels and cgroups included. */
static void set_json(struct cmd_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->json = true;
	ctx->needs |= NEED_FILL | NEED_CGROUP;
}

static void set_json_lines(struct cmd_ctx *ctx, const char *arg)
{
	set_json(ctx, arg);
	ctx->ro.json_lines = true;
}

static void set_output(struct cmd_ctx *ctx, const char *arg)
{
	ctx->outspec = arg;
}

static void set_sort(struct cmd_ctx *ctx, const char *arg)
{
	ctx->sortspec = arg;
}

static void set_raw(struct cmd_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->ro.raw = true;
}

static void set_width(struct cmd_ctx *ctx, const char *arg)
{
	uint64_t v;

	if (!parse_u64(arg, &v) || v < 10 || v > 100000)
		cmd_usage_error("invalid width '%s' (10 to 100000)", cmd_shown(arg));
	ctx->width = (long)v;
}

static void set_color(struct cmd_ctx *ctx, const char *arg)
{
	if (!arg)
		arg = "always";
	if (strcmp(arg, "auto") && strcmp(arg, "always") && strcmp(arg, "never"))
		cmd_usage_error("invalid --color '%s' (auto, always or never)", cmd_shown(arg));
	ctx->color_when = arg;
}

static void set_no_headings(struct cmd_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->ro.noheadings = true;
}

static void set_bytes(struct cmd_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->ro.bytes = true;
}

/* Acted on once every option is read: --json may come after it. */
static void list_columns(struct cmd_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->list_columns = true;
}

static void help(struct cmd_ctx *ctx, const char *arg)
{
	(void)arg;
	cmd_usage(ctx->entry);
	exit(cmd_finish_stdout(0));
}

const struct cmd_opt cmd_opts[CMD_NOPTS] = {
	[CMD_OPT_TYPE] = { "type", required_argument, 't', "LIST",
	  NULL /* from the kind registry: kind_type_help() */, set_types },
	[CMD_OPT_PID] = { "pid", required_argument, 'p', "PID[,PID]",
	  "only objects these processes hold", set_pids },
	[CMD_OPT_USER] = { "user", required_argument, 'u', "USER",
	  "only objects held or owned by USER (name or uid)", set_user },
	[CMD_OPT_PATH] = { "path", required_argument, 'P', "GLOB",
	  "only objects whose path matches GLOB, or lies below it", set_path },
	[CMD_OPT_PATH_SEARCH] = { "path", required_argument, 'P', "GLOB|DIR",
	  "only objects whose path matches GLOB or lies below it;\n"
	  "a directory is also searched for socket files and FIFOs", set_path },
	[CMD_OPT_CONTAINER] = { "container", required_argument, 0, "ID",
	  "only objects held by a process in this container: a docker,\n"
	  "containerd, CRI-O or podman id, its short id or a prefix", set_container },
	[CMD_OPT_CGROUP] = { "cgroup", required_argument, 0, "GLOB",
	  "only objects held by a process whose cgroup v2 path\n"
	  "matches GLOB (* matches / too)", set_cgroup },
	[CMD_OPT_OLDER_THAN] = { "older-than", required_argument, 0, "DURATION",
	  "only what was last modified or used that long ago (30s, 10m, 2h, 1d)",
	  set_older_than },
	[CMD_OPT_MQUEUE_DIR] = { "mqueue-dir", required_argument, 0, "DIR",
	  "where the mqueue filesystem is mounted (default: from mountinfo)", set_mqueue_dir },
	[CMD_OPT_BACKEND] = { "backend", required_argument, 0, "WHICH",
	  "how processes are read: auto (the default: bpf when its\n"
	  "programs load, else proc), proc or bpf (see ipcscope(1))", set_backend },
	[CMD_OPT_JSON] = { "json", no_argument, 'J', NULL,
	  "JSON output (schema version 1, see ipcscope(1))", set_json },
	[CMD_OPT_JSON_LINES] = { "json-lines", no_argument, 0, NULL,
	  "one JSON object per line, without the envelope", set_json_lines },
	[CMD_OPT_OUTPUT] = { "output", required_argument, 'o', "COLS",
	  "columns to show; +COLS appends to the default", set_output },
	[CMD_OPT_SORT] = { "sort", required_argument, 0, "[-]COL",
	  "sort by a column, numerically where it is a number;\n"
	  "-COL sorts in descending order", set_sort },
	[CMD_OPT_RAW] = { "raw", no_argument, 'r', NULL,
	  "one space between cells, no alignment; spaces in cells as \\x20", set_raw },
	[CMD_OPT_WIDTH] = { "width", required_argument, 0, "N",
	  "fit the table to N columns (default: the terminal's, if any)", set_width },
	[CMD_OPT_COLOR] = { "color", optional_argument, 0, "[=WHEN]",
	  "color types and leak reasons: auto (the default), always, never", set_color },
	[CMD_OPT_NO_HEADINGS] = { "no-headings", no_argument, 'n', NULL,
	  "do not print the header line", set_no_headings },
	[CMD_OPT_BYTES] = { "bytes", no_argument, 'b', NULL,
	  "exact sizes in bytes", set_bytes },
	[CMD_OPT_LIST_COLUMNS] = { "list-columns", no_argument, 0, NULL,
	  "list the available columns and exit; with --json, as JSON\n"
	  "naming each column's member", list_columns },
	[CMD_OPT_HELP] = { "help", no_argument, 'h', NULL,
	  "show this help and exit", help },
};

/* A command's options, --help last. Fixed arrays, not the heap: a usage
 * error exits in the middle of parsing, and nothing is left to free. */
#define MAX_OPTS 48

struct opt_list {
	const struct cmd_opt *opt[MAX_OPTS];
	size_t n;
};

static void command_opts(const struct cmd_entry *ce, struct opt_list *l)
{
	l->n = 0;
	for (size_t i = 0; ce->opts[i]; i++) {
		if (l->n == MAX_OPTS - 1)
			abort();	/* a command with more: raise MAX_OPTS */
		l->opt[l->n++] = ce->opts[i];
	}
	l->opt[l->n++] = CMD_OPT(HELP);
}

static bool takes_output(const struct cmd_entry *ce)
{
	for (size_t i = 0; ce->opts[i]; i++)
		if (ce->opts[i] == CMD_OPT(OUTPUT))
			return true;
	return false;
}

static void usage_opt(const struct cmd_opt *d)
{
	char head[64];
	const char *h = d->help ? d->help : kind_type_help(), *nl;

	snprintf(head, sizeof(head), "%c%c%s --%s%s%s", d->letter ? '-' : ' ',
		 d->letter ? d->letter : ' ', d->letter ? "," : " ", d->name,
		 d->arg && d->has_arg != optional_argument ? " " : "", d->arg ? d->arg : "");
	/* continuation lines of a help text line up under its first */
	while ((nl = strchr(h, '\n'))) {
		printf(" %-26s %.*s\n", head, (int)(nl - h), h);
		head[0] = '\0';
		h = nl + 1;
	}
	printf(" %-26s %s\n", head, h);
}

void cmd_usage(const struct cmd_entry *ce)
{
	struct opt_list l;

	command_opts(ce, &l);
	printf("Usage:\n %s %s %s\n\n%s\n\nOptions:\n", CMD_PROG, ce->name, ce->args,
	       ce->description);
	for (size_t i = 0; i < l.n; i++)
		usage_opt(l.opt[i]);
	if (takes_output(ce)) {
		printf("\nAvailable output columns:\n");
		for (size_t i = 0; i < ncolumns; i++)
			printf(" %10s  %s\n", columns[i].name, columns[i].help);
	}
	printf("\nSee ipcscope(1) for the JSON schema and more.\n");
}

/* Anything else there would be listed, and cleaned, as message queues. */
static void check_mqueue_dir(const char *dir)
{
	int fd;
	bool ok;

	if (pio_rerooted())
		return;		/* a fixture tree stands in for the filesystem */
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		cmd_usage_error("cannot use --mqueue-dir '%s': %s", cmd_shown(dir),
				strerror(errno));
	ok = fd_on_mqueue_fs(fd);
	close(fd);
	if (!ok)
		cmd_usage_error("--mqueue-dir '%s' is not an mqueue filesystem", cmd_shown(dir));
}

static size_t terminal_width(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* auto: only on a terminal, and not when NO_COLOR asks for none. */
static bool want_color(const char *when)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (when && strcmp(when, "always") == 0)
		return true;
	if (when && strcmp(when, "never") == 0)
		return false;
	return isatty(STDOUT_FILENO) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
}

/* Does the table -o asks for mark waiting holders: HOLDERS or PEER shown,
 * or the order taken from them? */
static bool shows_waits(const struct cmd_ctx *ctx)
{
	int holders = column_lookup("HOLDERS"), peer = column_lookup("PEER");

	if (ctx->sort_col >= 0 && (ctx->sort_col == holders || ctx->sort_col == peer))
		return true;
	for (size_t i = 0; i < ctx->ro.ncols; i++)
		if (ctx->ro.cols[i] == holders || ctx->ro.cols[i] == peer)
			return true;
	return false;
}

/* The columns, the order and what they need of the scan: pipe fill
 * levels, cgroups and waits are read only when something will show them. */
static void finish_columns(struct cmd_ctx *ctx)
{
	int queued = column_lookup("QUEUED"), cgroup = column_lookup("CGROUP"),
	    container = column_lookup("CONTAINER");

	ctx->ro.leaks = ctx->needs & NEED_LEAKED_ONLY;
	columns_default(&ctx->ro, ctx->ro.leaks ? COL_LEAKS : COL_DEFAULT);
	if (ctx->outspec) {
		char *bad = NULL;

		if (columns_parse(ctx->outspec, &ctx->ro, &bad) < 0)
			cmd_usage_error("unknown column '%s' (see --list-columns)", cmd_shown(bad));
		ctx->custom_cols = true;
	}
	if (ctx->sortspec) {
		const char *name = ctx->sortspec[0] == '-' ? ctx->sortspec + 1 : ctx->sortspec;

		ctx->sort_col = column_lookup(name);
		if (ctx->sort_col < 0)
			cmd_usage_error("unknown column '%s' (see --list-columns)", cmd_shown(name));
		ctx->sort_desc = ctx->sortspec[0] == '-';
	}
	if (ctx->sort_col == queued)
		ctx->needs |= NEED_FILL;
	if (ctx->sort_col >= 0 && (ctx->sort_col == cgroup || ctx->sort_col == container))
		ctx->needs |= NEED_CGROUP;
	for (size_t i = 0; i < ctx->ro.ncols; i++) {
		if (ctx->ro.cols[i] == queued)
			ctx->needs |= NEED_FILL;
		if (ctx->ro.cols[i] == cgroup || ctx->ro.cols[i] == container)
			ctx->needs |= NEED_CGROUP;
	}
	if (ctx->custom_cols && !ctx->json && !shows_waits(ctx))
		ctx->needs &= ~(unsigned)NEED_WAITS;
}

/* What the options leave to be worked out once all are known. */
static void finish_options(struct cmd_ctx *ctx)
{
	if (!ctx->filter.types)
		ctx->filter.types = IPC_ALL_TYPES;
	if (ctx->mqueue_dir)
		check_mqueue_dir(ctx->mqueue_dir);
	env_backend(ctx);
	finish_columns(ctx);
	ctx->ro.width = ctx->width >= 0 ? (size_t)ctx->width : terminal_width();
	ctx->ro.color = want_color(ctx->color_when);
	ctx->ro.now = time(NULL);
}

/* The option getopt refused: "-x" for an unknown letter (of any byte),
 * else the whole word of a long option, unknown (optopt 0) or given an
 * argument it does not take; getopt_long has moved past that word. */
static const char *bad_option(char **argv, const char *letters)
{
	static char opt[3] = "-";
	int c = optopt < 0 ? optopt & 0xff : optopt;

	if (c > 0 && c <= UCHAR_MAX && (c == ':' || !strchr(letters, c))) {
		opt[1] = (char)c;
		return opt;
	}
	return argv[optind - 1];
}

/* The one operand of a command that takes one (show's OBJECT). */
static void take_operand(struct cmd_ctx *ctx, const char *arg)
{
	if (!ctx->entry->takes_operand || ctx->operand)
		cmd_usage_error("unexpected argument '%s'", cmd_shown(arg));
	ctx->operand = arg;
}

/* getopt's tables for the options l lists: shortopts, "-:" and at most
 * two bytes an option, and longopts, one more than l.n. */
static void getopt_tables(const struct opt_list *l, char *shortopts, struct option *longopts)
{
	/* "-": operands come back in order as option 1, whatever
	 * POSIXLY_CORRECT says */
	size_t ns = 0;

	shortopts[ns++] = '-';
	shortopts[ns++] = ':';
	for (size_t i = 0; i < l->n; i++) {
		const struct cmd_opt *d = l->opt[i];

		longopts[i] = (struct option){ d->name, d->has_arg, NULL, OPT_VAL(i) };
		if (d->letter) {
			shortopts[ns++] = (char)d->letter;
			if (d->has_arg == required_argument)
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';
	longopts[l->n] = (struct option){ 0 };
}

/* The option getopt returned c for: a letter, or OPT_VAL of its index. */
static const struct cmd_opt *opt_for(const struct opt_list *l, int c)
{
	for (size_t i = 0; i < l->n; i++)
		if (c == OPT_VAL(i) || (l->opt[i]->letter && c == l->opt[i]->letter))
			return l->opt[i];
	return NULL;
}

/* Reads the options and the operand of a command. Options may follow an
 * operand (show OBJECT --json); only -- ends them. */
void cmd_parse_options(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt_list l;
	struct option longopts[MAX_OPTS + 1];
	char shortopts[2 * MAX_OPTS + 3];
	const struct cmd_opt *d;
	int c;

	command_opts(ctx->entry, &l);
	getopt_tables(&l, shortopts, longopts);
	ctx->sort_col = -1;
	ctx->width = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 1)
			take_operand(ctx, optarg);
		else if (c == ':')
			cmd_usage_error("option '%s' needs an argument", cmd_shown(argv[optind - 1]));
		else if ((d = opt_for(&l, c)))
			d->set(ctx, optarg);
		else
			cmd_usage_error("unknown option '%s'",
					cmd_shown(bad_option(argv, shortopts + 2)));
	}
	for (; optind < argc; optind++)
		take_operand(ctx, argv[optind]);
	if (ctx->list_columns) {
		int err = columns_print_list(stdout, ctx->json) < 0 ? errno : 0;

		exit(cmd_finish_stdout(err));
	}
	finish_options(ctx);
}
