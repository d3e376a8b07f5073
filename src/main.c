/* ipcscope: which processes hold which IPC objects.
 * The pipeline is collect → link → filter → render; main only parses the
 * command line and runs it. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "collect.h"
#include "escape.h"
#include "filter.h"
#include "pathio.h"
#include "proc.h"
#include "render.h"

#ifndef IPCSCOPE_VERSION
#define IPCSCOPE_VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define PID_LIMIT 4194304	/* PID_MAX_LIMIT on 64-bit kernels */

struct ctl {
	struct filter filter;
	struct render_opts ro;
	bool json;
	bool custom_cols;	/* -o given */
	const char *object;	/* show: the OBJECT argument */
};

struct cmd_entry {
	const char *name;
	const char *args;
	const char *summary;
	int (*exec)(int argc, char **argv);
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

/* A closed pipe (| head) ends the run quietly; any other failure to write
 * is an error. werr is the errno of a failed write seen earlier, or 0. */
static int finish_stdout(int werr)
{
	if (fflush(stdout) != 0)
		werr = errno;
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
			usage_error("unknown type '%s' (choose from fifo, pipe, unix, shm, "
				    "memfd, sem, all)", tok);
		mask |= IPC_TYPE_BIT(t);
	}
	free(copy);
	if (!mask)
		usage_error("empty type list '%s'", arg);
	return mask;
}

static void parse_pids(struct filter *f, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL, *tok;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (!parse_u64(tok, &v) || v == 0 || v > PID_LIMIT)
			usage_error("invalid pid '%s'", tok);
		f->pids = xreallocarray(f->pids, f->npids + 1, sizeof(*f->pids));
		f->pids[f->npids++] = (pid_t)v;
	}
	free(copy);
	if (!f->npids)
		usage_error("invalid pid '%s'", arg);
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
		usage_error("unknown user '%s'", arg);
	}
	f->has_uid = true;
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

static void print_warnings(const struct model *m)
{
	for (size_t i = 0; i < m->nwarnings; i++)
		fprintf(stderr, "%s: %s\n", prog, m->warnings[i]);
}

/* collect → link → filter → render, for list and show. */
static int run_scan(struct ctl *ctl, bool show)
{
	struct scan_opts so = { .types = ctl->filter.types };
	struct model m;
	int rc, werr, status = 0;

	model_init(&m);
	rc = scan_run(&m, &so);
	if (rc < 0) {
		warnx("cannot read processes from %s/proc: %s",
		      pio_rerooted() ? pio_root() : "", strerror(-rc));
		status = 1;
		goto out;
	}
	filter_apply(&m, &ctl->filter);
	if (show && filter_select(&m, ctl->object) == 0) {
		struct buf b = { 0 };

		esc_table(&b, ctl->object, strlen(ctl->object));
		print_warnings(&m);
		fprintf(stderr, "%s: no IPC object matches %s\n", prog, b.data);
		buf_free(&b);
		status = 1;
		goto out;
	}
	model_sort(&m);
	if (ctl->json)
		rc = json_render(stdout, &m);
	else if (show && !ctl->custom_cols)
		rc = detail_render(stdout, &m, &ctl->ro);
	else
		rc = table_render(stdout, &m, &ctl->ro);
	werr = rc < 0 ? errno : 0;
	print_warnings(&m);
	status = finish_stdout(werr);
out:
	model_free(&m);
	return status;
}

static void usage_common_options(void)
{
	printf(" -t, --type LIST       only these types: fifo, pipe, unix (uds, socket),\n"
	       "                       shm, memfd, sem, all (comma-separated)\n"
	       " -p, --pid PID[,PID]   only objects these processes hold\n"
	       " -u, --user USER       only objects held or owned by USER (name or uid)\n"
	       " -P, --path GLOB       only objects whose path or name matches GLOB\n"
	       " -J, --json            JSON output (schema version 1, see ipcscope(1))\n"
	       " -o, --output COLS     columns to show; +COLS appends to the default\n"
	       " -n, --no-headings     do not print the header line\n"
	       " -b, --bytes           exact sizes in bytes\n"
	       "     --list-columns    list the available columns and exit\n"
	       " -h, --help            show this help and exit\n\n"
	       "Available output columns:\n");
	for (size_t i = 0; i < ncolumns; i++)
		printf(" %10s  %s\n", columns[i].name, columns[i].help);
	printf("\nSee ipcscope(1) for the JSON schema and more.\n");
}

static void list_usage(void)
{
	printf("Usage:\n"
	       " %s list [options]\n\n"
	       "List IPC objects (FIFOs, pipes, UNIX sockets, POSIX shm, memfds,\n"
	       "semaphores) with the processes that hold them.\n\n"
	       "Options:\n", prog);
	usage_common_options();
}

static void show_usage(void)
{
	printf("Usage:\n"
	       " %s show [options] OBJECT\n\n"
	       "Show one IPC object in full: its holders, its peer and the peer's\n"
	       "holders, queues and fill level. OBJECT is a path (/tmp/app.sock,\n"
	       "/dev/shm/seg), an @abstract socket name, pipe:[INO], socket:[INO]\n"
	       "or an inode number.\n\n"
	       "Options:\n", prog);
	usage_common_options();
}

enum {
	OPT_LIST_COLUMNS = CHAR_MAX + 1,
};

/* Options shared by list and show; returns the index of the first operand. */
static int parse_options(int argc, char **argv, struct ctl *ctl, void (*usage)(void))
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "path", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'J' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-headings", no_argument, NULL, 'n' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "list-columns", no_argument, NULL, OPT_LIST_COLUMNS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *outspec = NULL;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:t:p:u:P:Jo:nbh", longopts, NULL)) != -1) {
		switch (c) {
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
		case 'J':
			ctl->json = true;
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
			usage();
			exit(finish_stdout(0));
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		case '?':
		default:
			if (optopt && optopt < CHAR_MAX)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!ctl->filter.types)
		ctl->filter.types = IPC_ALL_TYPES;
	columns_default(&ctl->ro);
	if (outspec) {
		char *bad = NULL;

		if (columns_parse(outspec, &ctl->ro, &bad) < 0)
			usage_error("unknown column '%s' (see --list-columns)", bad);
		ctl->custom_cols = true;
	}
	ctl->ro.width = terminal_width();
	ctl->ro.self = ctl->filter.pids;
	ctl->ro.nself = ctl->filter.npids;
	return optind;
}

static int cmd_list(int argc, char **argv)
{
	struct ctl ctl = { .filter.types = 0 };
	int first, status;

	first = parse_options(argc, argv, &ctl, list_usage);
	if (first < argc)
		usage_error("unexpected argument '%s'", argv[first]);
	status = run_scan(&ctl, false);
	filter_free(&ctl.filter);
	return status;
}

static int cmd_show(int argc, char **argv)
{
	struct ctl ctl = { .filter.types = 0 };
	int first, status;

	first = parse_options(argc, argv, &ctl, show_usage);
	if (first >= argc)
		usage_error("show needs an OBJECT: a path, @name, pipe:[INO], socket:[INO] or an inode");
	if (first + 1 < argc)
		usage_error("unexpected argument '%s'", argv[first + 1]);
	if (!*argv[first])
		usage_error("empty OBJECT");
	ctl.object = argv[first];
	status = run_scan(&ctl, true);
	filter_free(&ctl.filter);
	return status;
}

static const struct cmd_entry commands[] = {
	{ "list", "[options]", "list IPC objects and their holders (the default)", cmd_list },
	{ "show", "[options] OBJECT", "show one object in full: holders, peer, queues", cmd_show },
};

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

	root = getenv("IPCSCOPE_ROOT");
	if (root && *root && (rc = pio_init(root)) < 0)
		errx(1, "IPCSCOPE_ROOT '%s': %s", root, strerror(-rc));

	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") != 0 &&
			 strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-V") != 0 &&
			 strcmp(argv[1], "--version") != 0)) {
		/* no command: list */
		status = cmd_list(argc, argv);
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
			status = commands[i].exec(argc - 1, argv + 1);
			goto out;
		}
	}
	usage_error("unknown command '%s' (try '%s --help')", argv[1], prog);
out:
	proc_fini();
	pio_fini();
	return status;
}
