/* ipcscope: which processes hold which IPC objects.
 * The pipeline is collect → link → filter → render; main only parses the
 * command line and runs it. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clean.h"
#include "collect.h"
#include "leaks.h"
#include "escape.h"
#include "filter.h"
#include "pathio.h"
#include "proc.h"
#include "render.h"
#include "metrics.h"
#include "graph.h"
#include "summary.h"
#include "watch.h"

#ifndef IPCSCOPE_VERSION
#define IPCSCOPE_VERSION "unknown"
#endif


#define EXIT_USAGE 2
#define EXIT_LEAKS 3
#define PID_LIMIT 4194304	/* PID_MAX_LIMIT on 64-bit kernels */

enum cmd_kind {
	CMD_LIST = 1,
	CMD_SHOW = 2,
	CMD_LEAKS = 4,
	CMD_CLEAN = 8,
	CMD_SUMMARY = 16,
	CMD_GRAPH = 32,
	CMD_METRICS = 64,
	CMD_WATCH = 128,
	CMD_ALL = 255,
};

struct ctl {
	enum cmd_kind cmd;
	struct filter filter;
	struct render_opts ro;
	bool json;
	bool custom_cols;	/* -o given */
	const char *object;	/* show: the OBJECT argument */
	const char *mqueue_dir;
	int64_t older_than;	/* seconds; 0 = any age */
	int sort_col;		/* -1: the natural order */
	bool sort_desc;
	const char *color_when;	/* auto, always, never */
	long width;		/* --width; -1 = the terminal's */
	bool exit_code;		/* leaks: exit 3 when there are leaks */
	bool force;		/* clean: really remove */
	enum graph_format format;
	unsigned depth;		/* graph --pid: hops */
	bool per_process;	/* metrics */
	const char *textfile;	/* metrics: write DIR/ipcscope.prom */
	double interval;	/* watch */
	uint64_t count;		/* watch: scans; 0 = until stopped */
	uint64_t threshold;	/* watch: queue bytes; 0 = none */
};

struct cmd_entry {
	const char *name;
	enum cmd_kind kind;
	const char *args;
	const char *summary;
	const char *description;
	int (*run)(struct ctl *ctl);
};

static const char *prog = "ipcscope";

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
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
static const char *shown(const char *s)
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
static int finish_stdout(int werr)
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

static unsigned parse_types(const char *arg)
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
			usage_error("unknown type '%s' (choose from %s)", shown(tok),
				    ipc_type_list());
		mask |= IPC_TYPE_BIT(t);
	}
	free(copy);
	if (!mask)
		usage_error("empty type list '%s'", shown(arg));
	return mask;
}

static void parse_pids(struct filter *f, const char *arg)
{
	char *copy, *save = NULL, *tok;
	size_t n = strlen(arg);

	/* strtok would skip them: 1,,2 is a typo, not the pids 1 and 2 */
	if (n == 0 || arg[0] == ',' || arg[n - 1] == ',' || strstr(arg, ",,"))
		usage_error("empty entry in pid list '%s'", shown(arg));
	copy = xstrdup(arg);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (!parse_u64(tok, &v) || v == 0 || v > PID_LIMIT)
			usage_error("invalid pid '%s'", shown(tok));
		f->pids = xreallocarray(f->pids, f->npids + 1, sizeof(*f->pids));
		f->pids[f->npids++] = (pid_t)v;
	}
	free(copy);
}

static void parse_user(struct filter *f, const char *arg)
{
	struct passwd *pw = getpwnam(arg);
	uint64_t v;

	if (pw) {
		f->uid = pw->pw_uid;
	} else if (parse_u64(arg, &v) && v < UINT32_MAX) {
		f->uid = (uid_t)v;
	} else {
		usage_error("unknown user '%s'", shown(arg));
	}
	f->has_uid = true;
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
		usage_error("cannot use --mqueue-dir '%s': %s", shown(dir), strerror(errno));
	ok = fd_on_mqueue_fs(fd);
	close(fd);
	if (!ok)
		usage_error("--mqueue-dir '%s' is not an mqueue filesystem", shown(dir));
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

static void print_warnings(const struct model *m)
{
	/* what went to stdout comes first, should both reach one place */
	if (fflush(stdout) != 0 && !stdout_errno)
		stdout_errno = errno;
	for (size_t i = 0; i < m->nwarnings; i++)
		if (!m->warn_quiet[i])
			fprintf(stderr, "%s: %s\n", prog, m->warnings[i]);
}

static const char *const default_search_roots[] = {
	"/tmp", "/run", "/var/run", "/var/tmp", "/dev/shm",
};

/* leaks and clean search these for socket files and FIFOs: the usual
 * places, $XDG_RUNTIME_DIR, and every --path that names a directory. */
static size_t search_roots(const struct ctl *ctl, const char ***out)
{
	size_t n = 0, cap = ARRAY_SIZE(default_search_roots) + 1 + ctl->filter.nglobs;
	const char **r = xcalloc(cap, sizeof(*r));
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	for (size_t i = 0; i < ARRAY_SIZE(default_search_roots); i++)
		r[n++] = default_search_roots[i];
	if (xdg && xdg[0] == '/')
		r[n++] = xdg;
	for (size_t i = 0; i < ctl->filter.nglobs; i++) {
		struct stat st;
		const char *g = ctl->filter.globs[i];

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

/* Pipe fill levels cost four system calls a pipe: read them only when
 * something will show them. */
static bool wants_fill(const struct ctl *ctl)
{
	int q = column_lookup("QUEUED");

	if (ctl->json || ctl->cmd == CMD_SHOW || ctl->cmd == CMD_METRICS || ctl->threshold)
		return true;
	if (ctl->sort_col == q)
		return true;
	for (size_t i = 0; i < ctl->ro.ncols; i++)
		if (ctl->ro.cols[i] == q)
			return true;
	return false;
}

static int scan(struct ctl *ctl, struct model *m)
{
	const char **roots = NULL;
	struct scan_opts so = {
		.types = ctl->filter.types,
		.mqueue_dir = ctl->mqueue_dir,
		.mqueue_asked = ctl->filter.types != IPC_ALL_TYPES &&
				(ctl->filter.types & IPC_TYPE_BIT(IPC_MQUEUE)),
		.search = ctl->cmd & (CMD_LEAKS | CMD_CLEAN | CMD_SUMMARY | CMD_METRICS),
		.want_fill = wants_fill(ctl),
		.threads = scan_threads(),
	};

	/* --pid narrows the walk itself; graph uses --pid differently */
	if (ctl->cmd & (CMD_LIST | CMD_SHOW | CMD_WATCH)) {
		so.focus = ctl->filter.pids;
		so.nfocus = ctl->filter.npids;
	}
	int rc;

	if (so.search)
		so.nsearch_roots = search_roots(ctl, &roots);
	so.search_roots = roots;
	model_init(m);
	rc = scan_run(m, &so);
	free(roots);
	if (rc < 0) {
		warnx("cannot read processes from %s/proc: %s",
		      pio_rerooted() ? shown(pio_root()) : "", strerror(-rc));
		return -1;
	}
	if (ctl->cmd & (CMD_LEAKS | CMD_CLEAN | CMD_SUMMARY | CMD_METRICS)) {
		leaks_classify(m);
	}
	filter_apply(m, &ctl->filter);
	if (ctl->cmd & (CMD_LEAKS | CMD_CLEAN))
		leaks_filter(m, ctl->older_than, ctl->ro.now);
	if (ctl->cmd & (CMD_LEAKS | CMD_CLEAN | CMD_SUMMARY | CMD_METRICS))
		leaks_warn(m);
	model_sort(m);
	if (ctl->sort_col >= 0)
		columns_sort(m, ctl->sort_col, ctl->sort_desc, &ctl->ro);
	return 0;
}

static int render(struct ctl *ctl, const struct model *m)
{
	int rc;

	if (ctl->json)
		rc = json_render(stdout, m, &ctl->ro);
	else if (ctl->cmd == CMD_SHOW && !ctl->custom_cols)
		rc = detail_render(stdout, m, &ctl->ro);
	else
		rc = table_render(stdout, m, &ctl->ro);
	if (rc == 0 && ctl->cmd == CMD_LEAKS && !ctl->json) {
		struct leak_totals t;
		char sz[32], res[32];

		leaks_totals(m, &t);
		format_size(sz, sizeof(sz), t.size);
		format_size(res, sizeof(res), t.resident);
		if (ctl->ro.bytes)
			printf("%zu leaked, %llu bytes, %llu bytes resident", t.objects,
			       (unsigned long long)t.size, (unsigned long long)t.resident);
		else
			printf("%zu leaked, %s, %s resident", t.objects, sz, res);
		if (t.uncertain)
			printf("; %zu of them uncertain (CERTAIN no)", t.uncertain);
		putchar('\n');
	}
	return rc < 0 ? errno : 0;
}

/* list, show and leaks: the objects, rendered. */
static int run_objects(struct ctl *ctl)
{
	struct leak_totals t;
	struct model m;
	int werr, status = 1;

	if (scan(ctl, &m) < 0)
		goto out;
	if (ctl->cmd == CMD_SHOW && filter_select(&m, ctl->object) == 0) {
		struct buf b = { 0 };

		esc_table(&b, ctl->object, strlen(ctl->object));
		print_warnings(&m);
		fprintf(stderr, "%s: no IPC object matches %s\n", prog, b.data);
		buf_free(&b);
		goto out;
	}
	werr = render(ctl, &m);
	print_warnings(&m);
	status = finish_stdout(werr);
	if (ctl->cmd == CMD_LEAKS && status == 0 && ctl->exit_code) {
		leaks_totals(&m, &t);
		/* an uncertain leak is no finding to act on */
		if (t.objects > t.uncertain)
			status = EXIT_LEAKS;
	}
out:
	model_free(&m);
	return status;
}

static int run_summary(struct ctl *ctl)
{
	struct summary sum;
	struct model m;
	int rc, status;

	if (scan(ctl, &m) < 0) {
		model_free(&m);
		return 1;
	}
	summary_compute(&m, &sum);
	if (ctl->json)
		rc = summary_render_json(stdout, &m, &sum);
	else
		rc = summary_render_text(stdout, &sum, ctl->ro.bytes);
	status = rc < 0 ? errno : 0;
	print_warnings(&m);
	status = finish_stdout(status);
	model_free(&m);
	return status;
}

static int run_graph(struct ctl *ctl)
{
	struct model m;
	struct graph g;
	int rc, status;

	/* the filters choose the objects; --pid chooses the neighbourhood */
	const pid_t *pids = ctl->filter.pids;
	size_t npids = ctl->filter.npids;

	ctl->filter.npids = 0;
	if (scan(ctl, &m) < 0) {
		model_free(&m);
		ctl->filter.npids = npids;
		return 1;
	}
	ctl->filter.npids = npids;
	graph_build(&m, &g, pids, npids, ctl->depth);
	if (ctl->format == GRAPH_JSON)
		rc = graph_render_json(stdout, &g);
	else
		rc = graph_render_text(stdout, &g, ctl->format);
	status = rc < 0 ? errno : 0;
	print_warnings(&m);
	status = finish_stdout(status);
	graph_free(&g);
	model_free(&m);
	return status;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_metrics(struct ctl *ctl)
{
	struct metrics_opts mo = { .per_process = ctl->per_process, .version = IPCSCOPE_VERSION };
	double t0 = mono_now();
	struct model m;
	int rc, status;

	if (scan(ctl, &m) < 0) {
		model_free(&m);
		return 1;
	}
	mo.duration = mono_now() - t0;
	print_warnings(&m);
	if (ctl->textfile) {
		rc = metrics_write_textfile(ctl->textfile, &m, &mo);
		if (rc < 0)
			warnx("cannot write %s/ipcscope.prom: %s", shown(ctl->textfile),
			      strerror(-rc));
		status = rc < 0 ? 1 : 0;
	} else {
		rc = metrics_render(stdout, &m, &mo);
		status = finish_stdout(rc < 0 ? errno : 0);
	}
	model_free(&m);
	return status;
}

static volatile sig_atomic_t watch_stop;

static void watch_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

static int watch_emit(void *arg, const struct watch_change *ch)
{
	const struct ctl *ctl = arg;
	struct timespec ts;
	char when[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	watch_time(when, sizeof(when), &ts);
	return ctl->json ? watch_render_json(stdout, ch, when)
			 : watch_render_text(stdout, ch, when);
}

/* Sleeps, but wakes at once for SIGINT or SIGTERM. */
static void watch_sleep(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };

	while (!watch_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int run_watch(struct ctl *ctl)
{
	struct sigaction sa = { .sa_handler = watch_signal };
	struct model a, b, *old = &a, *cur = &b, *tmp;
	int werr = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (scan(ctl, old) < 0) {
		model_free(old);
		return 1;
	}
	/* the first scan is the baseline; its warnings are said once */
	print_warnings(old);
	for (uint64_t n = 1; !watch_stop && (!ctl->count || n < ctl->count); n++) {
		watch_sleep(ctl->interval);
		if (watch_stop)
			break;
		if (scan(ctl, cur) < 0) {
			model_free(old);
			model_free(cur);
			return 1;
		}
		if (watch_diff(old, cur, ctl->threshold, watch_emit, ctl) < 0 || fflush(stdout) != 0)
			werr = errno ? errno : EIO;
		model_free(old);
		tmp = old;
		old = cur;
		cur = tmp;
		if (werr)
			break;
	}
	model_free(old);
	return finish_stdout(werr);
}

/* A test's way into the race between the scan and the removal. */
static void clean_test_pause(void)
{
	if (getenv("IPCSCOPE_TEST_PAUSE_BEFORE_RECHECK"))
		raise(SIGSTOP);
}

static int run_clean(struct ctl *ctl)
{
	struct clean_counts n;
	struct model planned, fresh;
	bool have_fresh = false;
	int status;

	if (ctl->force && pio_rerooted()) {
		warnx("clean --force removes only from the live system, not below IPCSCOPE_ROOT");
		return 1;
	}
	if (scan(ctl, &planned) < 0) {
		model_free(&planned);
		return 1;
	}
	print_warnings(&planned);
	if (ctl->force) {
		clean_test_pause();
		/* everything is checked again, just before it is removed */
		if (scan(ctl, &fresh) < 0) {
			model_free(&planned);
			return 1;
		}
		have_fresh = true;
	}
	clean_run(stdout, &planned, have_fresh ? &fresh : NULL, &n);
	if (!ctl->force && n.planned > n.skipped)
		printf("dry run: nothing was removed; run with --force to remove %zu object%s\n",
		       n.planned - n.skipped, n.planned - n.skipped == 1 ? "" : "s");
	else if (!n.planned)
		printf("no leaks to remove\n");
	status = finish_stdout(0);
	if (!status && n.failed)
		status = 1;
	model_free(&planned);
	if (have_fresh)
		model_free(&fresh);
	return status;
}

enum {
	OPT_LIST_COLUMNS = UCHAR_MAX + 1,	/* above every byte getopt may report */
	OPT_MQUEUE_DIR,
	OPT_OLDER_THAN,
	OPT_EXIT_CODE,
	OPT_FORCE,
	OPT_SORT,
	OPT_JSON_LINES,
	OPT_WIDTH,
	OPT_COLOR,
	OPT_FORMAT,
	OPT_DEPTH,
	OPT_PER_PROCESS,
	OPT_TEXTFILE,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_THRESHOLD,
};

/* One table drives getopt and the options part of --help. */
struct opt_def {
	struct option lo;
	int shortopt;
	const char *arg;
	const char *help;
	unsigned cmds;
};

static const struct opt_def opt_defs[] = {
	{ { "format", required_argument, NULL, OPT_FORMAT }, 0, "FORMAT",
	  "dot (Graphviz, the default), json or mermaid", CMD_GRAPH },
	{ { "depth", required_argument, NULL, OPT_DEPTH }, 0, "N",
	  "with --pid, processes up to N hops away (default 1)", CMD_GRAPH },
	{ { "per-process", no_argument, NULL, OPT_PER_PROCESS }, 0, NULL,
	  "also series per (command name, type); see ipcscope(1) first", CMD_METRICS },
	{ { "textfile", required_argument, NULL, OPT_TEXTFILE }, 0, "DIR",
	  "write DIR/ipcscope.prom atomically, for node_exporter", CMD_METRICS },
	{ { "interval", required_argument, NULL, OPT_INTERVAL }, 0, "SECONDS",
	  "time between scans (default 2; fractions allowed)", CMD_WATCH },
	{ { "count", required_argument, NULL, OPT_COUNT }, 0, "N",
	  "stop after N scans, the first one included", CMD_WATCH },
	{ { "queue-threshold", required_argument, NULL, OPT_THRESHOLD }, 0, "BYTES",
	  "report a pipe or socket queue crossing BYTES", CMD_WATCH },
	{ { "type", required_argument, NULL, 't' }, 't', "LIST",
	  "only these types (comma-separated): fifo, pipe, unix (uds, socket),\n"
	  "shm, memfd, sem, sysvshm, mqueue, all", CMD_ALL },
	{ { "pid", required_argument, NULL, 'p' }, 'p', "PID[,PID]",
	  "only objects these processes hold", CMD_LIST | CMD_SHOW | CMD_WATCH },
	{ { "pid", required_argument, NULL, 'p' }, 'p', "PID[,PID]",
	  "only these processes and their neighbourhood", CMD_GRAPH },
	{ { "user", required_argument, NULL, 'u' }, 'u', "USER",
	  "only objects held or owned by USER (name or uid)", CMD_ALL },
	{ { "path", required_argument, NULL, 'P' }, 'P', "GLOB",
	  "only objects whose path matches GLOB, or lies below it",
	  CMD_LIST | CMD_SHOW | CMD_GRAPH | CMD_WATCH },
	{ { "path", required_argument, NULL, 'P' }, 'P', "GLOB|DIR",
	  "only objects whose path matches GLOB or lies below it;\n"
	  "a directory is also searched for socket files and FIFOs",
	  CMD_LEAKS | CMD_CLEAN | CMD_SUMMARY | CMD_METRICS },
	{ { "older-than", required_argument, NULL, OPT_OLDER_THAN }, 0, "DURATION",
	  "only what was last modified or used that long ago (30s, 10m, 2h, 1d)",
	  CMD_LEAKS | CMD_CLEAN },
	{ { "mqueue-dir", required_argument, NULL, OPT_MQUEUE_DIR }, 0, "DIR",
	  "where the mqueue filesystem is mounted (default: from mountinfo)", CMD_ALL },
	{ { "exit-code", no_argument, NULL, OPT_EXIT_CODE }, 0, NULL,
	  "exit with status 3 when leaks were found", CMD_LEAKS },
	{ { "force", no_argument, NULL, OPT_FORCE }, 0, NULL,
	  "really remove; without it clean only says what it would do", CMD_CLEAN },
	{ { "json", no_argument, NULL, 'J' }, 'J', NULL,
	  "JSON output (schema version 1, see ipcscope(1))",
	  CMD_LIST | CMD_SHOW | CMD_LEAKS | CMD_SUMMARY | CMD_WATCH },
	{ { "json-lines", no_argument, NULL, OPT_JSON_LINES }, 0, NULL,
	  "one JSON object per line, without the envelope", CMD_LIST | CMD_SHOW | CMD_LEAKS },
	{ { "output", required_argument, NULL, 'o' }, 'o', "COLS",
	  "columns to show; +COLS appends to the default", CMD_LIST | CMD_SHOW | CMD_LEAKS },
	{ { "sort", required_argument, NULL, OPT_SORT }, 0, "[-]COL",
	  "sort by a column, numerically where it is a number;\n"
	  "-COL sorts in descending order", CMD_LIST | CMD_SHOW | CMD_LEAKS },
	{ { "raw", no_argument, NULL, 'r' }, 'r', NULL,
	  "one space between cells, no alignment; spaces in cells as \\x20",
	  CMD_LIST | CMD_SHOW | CMD_LEAKS },
	{ { "width", required_argument, NULL, OPT_WIDTH }, 0, "N",
	  "fit the table to N columns (default: the terminal's, if any)",
	  CMD_LIST | CMD_SHOW | CMD_LEAKS },
	{ { "color", optional_argument, NULL, OPT_COLOR }, 0, "[=WHEN]",
	  "color types and leak reasons: auto (the default), always, never",
	  CMD_LIST | CMD_SHOW | CMD_LEAKS },
	{ { "no-headings", no_argument, NULL, 'n' }, 'n', NULL,
	  "do not print the header line", CMD_LIST | CMD_SHOW | CMD_LEAKS },
	{ { "bytes", no_argument, NULL, 'b' }, 'b', NULL,
	  "exact sizes in bytes", CMD_LIST | CMD_SHOW | CMD_LEAKS | CMD_SUMMARY },
	{ { "list-columns", no_argument, NULL, OPT_LIST_COLUMNS }, 0, NULL,
	  "list the available columns and exit", CMD_LIST | CMD_SHOW | CMD_LEAKS },
	{ { "help", no_argument, NULL, 'h' }, 'h', NULL,
	  "show this help and exit", CMD_ALL },
};

static const struct cmd_entry commands[] = {
	{ "list", CMD_LIST, "[options]", "list IPC objects and their holders (the default)",
	  "List IPC objects (FIFOs, pipes, UNIX sockets, POSIX shm, memfds, semaphores,\n"
	  "SysV shm, message queues) with the processes that hold them.",
	  run_objects },
	{ "show", CMD_SHOW, "[options] OBJECT", "show one object in full: holders, peer, queues",
	  "Show one IPC object in full: its holders, its peer and the peer's holders,\n"
	  "queues and fill level. OBJECT is a path (/tmp/app.sock, /dev/shm/seg), an\n"
	  "@abstract socket name, pipe:[INO], socket:[INO] or an inode number.\n"
	  "Options may follow OBJECT; -- ends them, for an OBJECT that starts with -.",
	  run_objects },
	{ "leaks", CMD_LEAKS, "[options]", "list what nobody holds: leaked shm, stale sockets",
	  "List what nobody holds: shm and semaphores with no fd and no mapping, SysV\n"
	  "segments attached nowhere, socket files no socket is bound to, FIFOs and\n"
	  "message queues nobody has open. Socket files and FIFOs are searched for in\n"
	  "/tmp, /run, /var/run, /var/tmp, /dev/shm, $XDG_RUNTIME_DIR and --path DIRs.",
	  run_objects },
	{ "summary", CMD_SUMMARY, "[options]", "counts and bytes per type, top holders, leaks",
	  "Count the objects, holders and bytes of each type, the processes that hold\n"
	  "the most objects, the leaks by reason, and the processes that could not be\n"
	  "read.",
	  run_summary },
	{ "graph", CMD_GRAPH, "[options]", "who talks to whom, for Graphviz, Mermaid or JSON",
	  "Draw the processes that communicate through pipes, FIFOs, UNIX sockets and\n"
	  "shared memory: processes are nodes, objects are edges, and an object shared\n"
	  "by several processes is a node joined to each. With --pid, only the\n"
	  "neighbourhood of those processes, --depth hops deep.\n"
	  "Render with: ipcscope graph | dot -Tsvg > ipc.svg",
	  run_graph },
	{ "metrics", CMD_METRICS, "[options]", "Prometheus metrics, to stdout or a textfile",
	  "Print the counts, sizes, leaks and queue maxima in the Prometheus text\n"
	  "format, for node_exporter's textfile collector or any scraper.",
	  run_metrics },
	{ "watch", CMD_WATCH, "[options]", "rescan every few seconds and print what changed",
	  "Rescan every --interval seconds and print only the changes: objects that\n"
	  "appeared or vanished, holders that joined or left, and queues that crossed\n"
	  "--queue-threshold. With --json, one JSON object per line (NDJSON).",
	  run_watch },
	{ "clean", CMD_CLEAN, "[options]", "remove leaked objects (a dry run without --force)",
	  "Remove the objects that leaks lists. Without --force, only say what would be\n"
	  "removed. Each object is checked again just before it is removed, and skipped\n"
	  "if it gained a holder or changed. Objects of other users need root.",
	  run_clean },
};

static void usage_for(const struct cmd_entry *ce)
{
	printf("Usage:\n %s %s %s\n\n%s\n\nOptions:\n", prog, ce->name, ce->args, ce->description);
	for (size_t i = 0; i < ARRAY_SIZE(opt_defs); i++) {
		const struct opt_def *d = &opt_defs[i];
		char head[64];
		const char *h = d->help, *nl;

		if (!(d->cmds & ce->kind))
			continue;
		snprintf(head, sizeof(head), "%c%c%s --%s%s%s", d->shortopt ? '-' : ' ',
			 d->shortopt ? d->shortopt : ' ', d->shortopt ? "," : " ", d->lo.name,
			 d->arg && d->lo.has_arg != optional_argument ? " " : "",
			 d->arg ? d->arg : "");
		/* continuation lines of a help text line up under its first */
		while ((nl = strchr(h, '\n'))) {
			printf(" %-26s %.*s\n", head, (int)(nl - h), h);
			head[0] = '\0';
			h = nl + 1;
		}
		printf(" %-26s %s\n", head, h);
	}
	if (ce->kind & (CMD_LIST | CMD_SHOW | CMD_LEAKS)) {
		printf("\nAvailable output columns:\n");
		for (size_t i = 0; i < ncolumns; i++)
			printf(" %10s  %s\n", columns[i].name, columns[i].help);
	}
	printf("\nSee ipcscope(1) for the JSON schema and more.\n");
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

/* show's OBJECT; no other command takes an operand. */
static void take_operand(struct ctl *ctl, const char *arg)
{
	if (ctl->cmd != CMD_SHOW || ctl->object)
		usage_error("unexpected argument '%s'", shown(arg));
	ctl->object = arg;
}

/* Parses the options and the operands of a command. Options may follow an
 * operand (show OBJECT --json); only -- ends them. */
static void parse_options(int argc, char **argv, struct ctl *ctl, const struct cmd_entry *ce)
{
	struct option longopts[ARRAY_SIZE(opt_defs) + 1];
	/* "-": operands come back in order as option 1, whatever
	 * POSIXLY_CORRECT says */
	char shortopts[64] = "-:";
	size_t nl = 0, ns = 2;
	const char *outspec = NULL, *sortspec = NULL;
	int c;

	memset(longopts, 0, sizeof(longopts));
	ctl->sort_col = -1;
	ctl->width = -1;
	ctl->depth = 1;
	ctl->interval = 2;
	for (size_t i = 0; i < ARRAY_SIZE(opt_defs); i++) {
		const struct opt_def *d = &opt_defs[i];

		if (!(d->cmds & ce->kind))
			continue;
		longopts[nl++] = d->lo;
		if (d->shortopt && !memchr(shortopts, d->shortopt, ns)) {
			shortopts[ns++] = (char)d->shortopt;
			if (d->lo.has_arg == required_argument)
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			take_operand(ctl, optarg);
			break;
		case 't':
			ctl->filter.types |= parse_types(optarg);
			break;
		case 'p':
			parse_pids(&ctl->filter, optarg);
			break;
		case 'u':
			parse_user(&ctl->filter, optarg);
			break;
		case 'P':
			ctl->filter.globs = xreallocarray(ctl->filter.globs, ctl->filter.nglobs + 1,
							  sizeof(*ctl->filter.globs));
			ctl->filter.globs[ctl->filter.nglobs++] = optarg;
			break;
		case OPT_MQUEUE_DIR:
			if (!*optarg)
				usage_error("empty --mqueue-dir");
			ctl->mqueue_dir = optarg;
			break;
		case OPT_OLDER_THAN:
			ctl->older_than = parse_duration(optarg);
			if (ctl->older_than < 0)
				usage_error("invalid duration '%s' (like 30s, 10m, 2h, 1d)",
					    shown(optarg));
			break;
		case OPT_EXIT_CODE:
			ctl->exit_code = true;
			break;
		case OPT_FORCE:
			ctl->force = true;
			break;
		case 'J':
			ctl->json = true;
			break;
		case OPT_JSON_LINES:
			ctl->json = true;
			ctl->ro.json_lines = true;
			break;
		case OPT_SORT:
			sortspec = optarg;
			break;
		case 'r':
			ctl->ro.raw = true;
			break;
		case OPT_WIDTH: {
			uint64_t v;

			if (!parse_u64(optarg, &v) || v < 10 || v > 100000)
				usage_error("invalid width '%s' (10 to 100000)", shown(optarg));
			ctl->width = (long)v;
			break;
		}
		case OPT_PER_PROCESS:
			ctl->per_process = true;
			break;
		case OPT_TEXTFILE:
			if (!*optarg)
				usage_error("empty --textfile directory");
			ctl->textfile = optarg;
			break;
		case OPT_INTERVAL: {
			char *end;

			errno = 0;
			ctl->interval = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(ctl->interval >= 0.01) ||
			    ctl->interval > 86400)
				usage_error("invalid interval '%s' (0.01 to 86400 seconds)",
					    shown(optarg));
			break;
		}
		case OPT_COUNT:
			if (!parse_u64(optarg, &ctl->count) || ctl->count == 0)
				usage_error("invalid count '%s'", shown(optarg));
			break;
		case OPT_THRESHOLD:
			if (!parse_u64(optarg, &ctl->threshold) || ctl->threshold == 0)
				usage_error("invalid queue threshold '%s' (bytes, at least 1)",
					    shown(optarg));
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "dot") == 0)
				ctl->format = GRAPH_DOT;
			else if (strcmp(optarg, "json") == 0)
				ctl->format = GRAPH_JSON;
			else if (strcmp(optarg, "mermaid") == 0)
				ctl->format = GRAPH_MERMAID;
			else
				usage_error("invalid format '%s' (dot, json or mermaid)",
					    shown(optarg));
			break;
		case OPT_DEPTH: {
			uint64_t v;

			if (!parse_u64(optarg, &v) || v > 64)
				usage_error("invalid depth '%s' (0 to 64)", shown(optarg));
			ctl->depth = (unsigned)v;
			break;
		}
		case OPT_COLOR:
			if (!optarg)
				optarg = "always";
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
				usage_error("invalid --color '%s' (auto, always or never)",
					    shown(optarg));
			ctl->color_when = optarg;
			break;
		case 'o':
			outspec = optarg;
			break;
		case 'n':
			ctl->ro.noheadings = true;
			break;
		case 'b':
			ctl->ro.bytes = true;
			break;
		case OPT_LIST_COLUMNS:
			columns_print_list(stdout);
			exit(finish_stdout(0));
		case 'h':
			usage_for(ce);
			exit(finish_stdout(0));
		case ':':
			usage_error("option '%s' needs an argument", shown(argv[optind - 1]));
		case '?':
		default:
			usage_error("unknown option '%s'", shown(bad_option(argv, shortopts + 2)));
		}
	}
	for (; optind < argc; optind++)
		take_operand(ctl, argv[optind]);
	if (!ctl->filter.types)
		ctl->filter.types = IPC_ALL_TYPES;
	if (ctl->mqueue_dir)
		check_mqueue_dir(ctl->mqueue_dir);
	ctl->ro.leaks = ce->kind & (CMD_LEAKS | CMD_CLEAN);
	columns_default(&ctl->ro, ctl->ro.leaks ? COL_LEAKS : COL_DEFAULT);
	if (outspec) {
		char *bad = NULL;

		if (columns_parse(outspec, &ctl->ro, &bad) < 0)
			usage_error("unknown column '%s' (see --list-columns)", shown(bad));
		ctl->custom_cols = true;
	}
	if (sortspec) {
		const char *name = sortspec[0] == '-' ? sortspec + 1 : sortspec;

		ctl->sort_col = column_lookup(name);
		if (ctl->sort_col < 0)
			usage_error("unknown column '%s' (see --list-columns)", shown(name));
		ctl->sort_desc = sortspec[0] == '-';
	}
	ctl->ro.width = ctl->width >= 0 ? (size_t)ctl->width : terminal_width();
	ctl->ro.color = want_color(ctl->color_when);
	ctl->ro.self = ctl->filter.pids;
	ctl->ro.nself = ctl->filter.npids;
	ctl->ro.now = time(NULL);
}

static int run_command(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ctl ctl = { .cmd = ce->kind };
	int status;

	parse_options(argc, argv, &ctl, ce);
	if (ce->kind == CMD_SHOW) {
		if (!ctl.object)
			usage_error("show needs an OBJECT: a path, @name, pipe:[INO], socket:[INO] "
				    "or an inode");
		if (!*ctl.object)
			usage_error("empty OBJECT");
	}
	status = ce->run(&ctl);
	filter_free(&ctl.filter);
	return status;
}

static void main_usage(void)
{
	printf("Usage:\n %s [COMMAND] [options]\n\n"
	       "Show every IPC object on this machine and the processes that hold it.\n\n"
	       "Commands:\n", prog);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf(" %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\nOptions:\n"
	       " -h, --help      show this help and exit\n"
	       " -V, --version   show the version and exit\n\n"
	       "Run '%s COMMAND --help' for a command's options; see ipcscope(1).\n", prog);
}

int main(int argc, char **argv)
{
	const char *root;
	int rc, status;

	setlocale(LC_ALL, "");
	esc_init();
	json_prepare();

	root = getenv("IPCSCOPE_ROOT");
	if (root && *root && (rc = pio_init(root)) < 0)
		errx(1, "IPCSCOPE_ROOT '%s': %s", shown(root), strerror(-rc));

	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") != 0 &&
			 strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-V") != 0 &&
			 strcmp(argv[1], "--version") != 0)) {
		/* no command: list */
		status = run_command(&commands[0], argc, argv);
		goto out;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		main_usage();
		status = finish_stdout(0);
		goto out;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", prog, IPCSCOPE_VERSION);
		status = finish_stdout(0);
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			status = run_command(&commands[i], argc - 1, argv + 1);
			goto out;
		}
	}
	usage_error("unknown command '%s' (try '%s --help')", shown(argv[1]), prog);
out:
	proc_fini();
	pio_fini();
	return status;
}
