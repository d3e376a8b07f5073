/* The command registry. Each command is one cmd-NAME.c exporting a
 * cmd_entry: its name, its help, the options it takes, what it needs from
 * the scan and how it runs. cmds.c lists them. Adding a command touches
 * nothing else: the parser, --help and the scan read the entry. */
#ifndef IPCSCOPE_CMD_H
#define IPCSCOPE_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/filter.h"
#include "model/model.h"
#include "render/render.h"

#define CMD_PROG "ipcscope"
#ifndef IPCSCOPE_VERSION
#define IPCSCOPE_VERSION "unknown"	/* the Makefile sets it */
#endif
#define EXIT_USAGE 2
#define EXIT_LEAKS 3

/* What a command needs of the scan beyond objects and holders; each costs
 * time, so the scan does only what was asked. */
enum cmd_need {
	NEED_FILL = 1,		/* pipe and socket fill levels: four syscalls a pipe */
	NEED_SEARCH = 2,	/* socket files and FIFOs searched for on disk */
	NEED_LEAKS = 4,		/* leak verdicts, and warnings where they are uncertain */
	NEED_LEAKED_ONLY = 8,	/* only leaked objects, --older-than old; leak columns */
	NEED_CGROUP = 16,	/* the holders' cgroups and containers: a file a process */
	NEED_WAITS = 32,	/* what each sleeping thread waits on: a read a thread */
	/* waits are a detail of the output, not its point: threads whose call
	 * could not be read are a note in the JSON, not a warning each run
	 * (unprivileged, under Yama's ptrace_scope=1, that is all of them) */
	NEED_WAITS_QUIET = 64,
};

struct cmd_ctx;

/* One option: it drives getopt and a line of --help. set() checks and
 * stores the argument (NULL for no_argument, or an optional one not
 * given); it calls cmd_usage_error() for a bad one. */
struct cmd_opt {
	const char *name;
	int has_arg;		/* no_argument, required_argument, optional_argument */
	int letter;		/* the short option, or 0 */
	const char *arg;	/* its argument in --help */
	const char *help;	/* lines after the first line up under it */
	void (*set)(struct cmd_ctx *ctx, const char *arg);
};

struct cmd_entry {
	const char *name;
	const char *args;	/* after the name in the usage line */
	const char *summary;	/* its line in 'ipcscope --help' */
	const char *description;
	/* the options it takes in --help order, shared (CMD_OPT()) or its
	 * own; NULL ends the list, and --help follows */
	const struct cmd_opt *const *opts;
	unsigned needs;		/* enum cmd_need */
	bool takes_operand;	/* one operand, in cmd_ctx.operand */
	int (*run)(struct cmd_ctx *ctx);	/* the exit status */
};

/* What one run of a command shares: the values of the shared options and
 * what the scan must do. A command keeps the values of its own options in
 * its own file. */
struct cmd_ctx {
	const struct cmd_entry *entry;
	unsigned needs;		/* the entry's, and what the options add */
	struct filter filter;
	struct render_opts ro;
	bool json;
	bool custom_cols;	/* -o given */
	const char *operand;
	const char *mqueue_dir;
	int backend;		/* enum scan_backend: --backend, else IPCSCOPE_BACKEND */
	bool backend_given;
	int64_t older_than;	/* seconds; 0 = any age */
	int sort_col;		/* -1: the natural order */
	bool sort_desc;
	const char *color_when;	/* auto, always, never */
	long width;		/* --width; -1 = the terminal's */
	const char *outspec, *sortspec;	/* -o, --sort: read once all is known */
	bool list_columns;	/* --list-columns */
};

/* The shared option table; a command names what it takes with CMD_OPT(). */
enum cmd_opt_id {
	CMD_OPT_TYPE,
	CMD_OPT_PID,
	CMD_OPT_USER,
	CMD_OPT_PATH,
	CMD_OPT_PATH_SEARCH,	/* --path, for the commands that search (NEED_SEARCH) */
	CMD_OPT_CONTAINER,
	CMD_OPT_CGROUP,
	CMD_OPT_OLDER_THAN,
	CMD_OPT_MQUEUE_DIR,
	CMD_OPT_BACKEND,
	CMD_OPT_JSON,
	CMD_OPT_JSON_LINES,
	CMD_OPT_OUTPUT,
	CMD_OPT_SORT,
	CMD_OPT_RAW,
	CMD_OPT_WIDTH,
	CMD_OPT_COLOR,
	CMD_OPT_NO_HEADINGS,
	CMD_OPT_BYTES,
	CMD_OPT_LIST_COLUMNS,
	CMD_OPT_HELP,		/* every command's, last */
	CMD_NOPTS
};

extern const struct cmd_opt cmd_opts[CMD_NOPTS];
#define CMD_OPT(id) (&cmd_opts[CMD_OPT_##id])

/* The filters by container and cgroup, after --path in every command. */
#define CMD_CGROUP_OPTS CMD_OPT(CONTAINER), CMD_OPT(CGROUP)

/* The options of the commands that print the object table, after their
 * filters. */
#define CMD_TABLE_OPTS CMD_OPT(JSON), CMD_OPT(JSON_LINES), CMD_OPT(OUTPUT), CMD_OPT(SORT), \
	CMD_OPT(RAW), CMD_OPT(WIDTH), CMD_OPT(COLOR), CMD_OPT(NO_HEADINGS), CMD_OPT(BYTES), \
	CMD_OPT(LIST_COLUMNS)

/* cmds.c: every command, in 'ipcscope --help' order, NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];
extern const struct cmd_entry cmd_list_entry;	/* no command: list */
extern const struct cmd_opt *const cmd_list_opts[];	/* show takes them too */

const struct cmd_entry *cmd_find(const char *name);
/* Reads the command's options, runs it and returns its exit status. */
int cmd_run(const struct cmd_entry *ce, int argc, char **argv);

/* options.c */
void cmd_parse_options(struct cmd_ctx *ctx, int argc, char **argv);
/* A --pid list, appended to *pids. */
void cmd_parse_pids(const char *arg, pid_t **pids, size_t *npids);
void cmd_usage(const struct cmd_entry *ce);

/* cmd.c: what the commands share */
void __attribute__((noreturn, format(printf, 1, 2))) cmd_usage_error(const char *fmt, ...);
const char *cmd_shown(const char *s);
int cmd_finish_stdout(int werr);
void cmd_print_warnings(const struct model *m);
/* Collects, links and filters as the command needs; 0, or -1 said. The
 * caller frees m either way. */
int cmd_scan(struct cmd_ctx *ctx, struct model *m);

/* Prints what one scan found: 0, the errno of a failed write, or -1 when
 * the command failed and has said why (warnings included). */
typedef int cmd_print_fn(struct cmd_ctx *ctx, struct model *m);
/* One scan, printed, then the warnings; the exit status. */
int cmd_scan_print(struct cmd_ctx *ctx, cmd_print_fn *print);
/* list, show and leaks: the objects as JSON or a table; 0 or an errno. */
int cmd_render_objects(const struct cmd_ctx *ctx, const struct model *m);

#endif
