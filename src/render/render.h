/* The output side: one column table shared by the table renderer, -o,
 * --list-columns and --help; and the table and JSON renderers. */
#ifndef IPCSCOPE_RENDER_H
#define IPCSCOPE_RENDER_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "model/model.h"
#include "util.h"

#define MAX_COLUMNS 32

enum col_flags {
	COL_RIGHT = 1,		/* numbers: right-aligned */
	COL_TRUNC = 2,		/* may be cut to fit a terminal */
	COL_DEFAULT = 4,	/* in the default set */
	COL_LEAKS = 8,		/* in the default set of leaks and clean */
	COL_LAST = 16,		/* last in the default set: the free-width column */
};

struct render_opts {
	bool bytes;		/* exact sizes instead of 64K, 1.0M */
	bool noheadings;
	size_t width;		/* 0: never truncate */
	int cols[MAX_COLUMNS];
	size_t ncols;
	time_t now;		/* for ages */
	bool leaks;		/* leaks and clean: add reason, age, resident */
	bool raw;		/* one space between cells, spaces escaped */
	bool color;
	bool json_lines;	/* one object per line, no envelope */
};

struct column {
	const char *name;
	const char *json_type;
	/* The JSON member that carries the cell's fact, as jq names it from
	 * a listed object (".unix.state", ".holders[].fd") */
	const char *json;
	const char *help;
	unsigned flags;
	/* Appends the cell as terminal-safe text. */
	void (*fill)(struct buf *out, const struct model *m, const struct ipc_obj *o,
		     const struct render_opts *ro);
	/* Numeric columns sort by this value; false when the cell is empty. */
	bool (*num)(const struct model *m, const struct ipc_obj *o,
		    const struct render_opts *ro, int64_t *v);
	/* ANSI color for the cell, or NULL */
	const char *(*color)(const struct ipc_obj *o);
	/* A column only some kinds have a cell in (enum kind_col): the
	 * object's kind gives the text and the number, and fill and num are
	 * NULL. KC_NONE for the others. */
	int kcol;
};

extern const struct column columns[];
extern const size_t ncolumns;

int column_lookup(const char *name);
/* A cell's text, and its number (false when the cell is empty or is no
 * number), from the column's own functions or the object's kind. */
void column_fill(int id, struct buf *out, const struct model *m, const struct ipc_obj *o,
		 const struct render_opts *ro);
bool column_num(int id, const struct model *m, const struct ipc_obj *o,
		const struct render_opts *ro, int64_t *v);
/* "A,B" replaces the default set, "+A,B" appends to it. On error returns -1
 * and points *bad at the offending name (caller frees). */
int columns_parse(const char *spec, struct render_opts *ro, char **bad);
/* The default set for list (COL_DEFAULT) or leaks (COL_LEAKS). */
void columns_default(struct render_opts *ro, unsigned which);
/* --list-columns: NAME TYPE HELP lines, or with --json a document that
 * also names each column's JSON member. 0, or -1 after a write error. */
int columns_print_list(FILE *out, bool json);
/* Orders the model's objects by a column: numerically where the column is a
 * number, by text otherwise; empty cells last. */
void columns_sort(struct model *m, int col, bool descending, const struct render_opts *ro);

/* A holder as the table writes it: "1234/nginx" (escaped), and one of its
 * entries, "3rw" or "memr"; and all of an object's, as HOLDERS shows
 * them. */
void holder_proc_text(struct buf *out, const struct ipc_proc *p);
void holder_entry_text(struct buf *out, const struct ipc_holder *h);
void holders_text(struct buf *out, const struct ipc_obj *o);
/* PEER's holders, each given to fn; false when the object has no other
 * end to tell (a pipe without --pid, a kind with no peer). */
bool obj_peer_each(const struct ipc_obj *o, void (*fn)(void *arg, const struct ipc_holder *h),
		   void *arg);
/* The distinct values of the processes that place an object (its
 * holders, else its home), each given to fn once: CGROUP and CONTAINER. */
void obj_distinct_each(const struct ipc_obj *o, const char *(*value)(const struct ipc_proc *p),
		       void (*fn)(void *arg, const char *v), void *arg);
const char *proc_cgroup(const struct ipc_proc *p);
const char *proc_container(const struct ipc_proc *p);
/* One thread's wait, as show and watch write it: "1234/cat thread 1234
 * in read on fd 0 (empty)"; " via epoll 7" for an fd an epoll watches. */
void wait_text(struct buf *out, const struct ipc_wait *w);

/* 0, or -1 after a write error (errno set). */
int table_render(FILE *out, const struct model *m, const struct render_opts *ro);
int json_render(FILE *out, const struct model *m, const struct render_opts *ro);
/* Call before any thread renders JSON. */
void json_prepare(void);
/* show's lines: "  label     cell of column col", when not empty; and
 * one holder. Kinds add their own lines with these. */
void detail_field(FILE *out, const struct model *m, const struct ipc_obj *o,
		  const struct render_opts *ro, const char *label, const char *col,
		  struct buf *tmp);
void detail_holder(FILE *out, const struct ipc_holder *h, struct buf *tmp);
/* ipcscope waits: the table (rows, then DEADLOCK and STALLED lines) or
 * the JSON document. 0, or -1 after a write error. */
int waits_render_text(FILE *out, const struct model *m, const struct render_opts *ro);
int waits_render_json(FILE *out, const struct model *m);
/* ipcscope show: every visible object in full, one field per line. */
int detail_render(FILE *out, const struct model *m, const struct render_opts *ro);

#endif
