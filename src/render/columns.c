/* The column table: the single source for -o, --list-columns, --help, the
 * completions and the man page's OUTPUT COLUMNS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "escape.h"
#include "render/json.h"
#include "render/jw.h"
#include "model/filter.h"
#include "kinds/kind.h"
#include "model/leaks.h"
#include "render/render.h"

static void esc_path(struct buf *out, const struct ipc_obj *o)
{
	if (o->path)
		esc_table(out, o->path, o->pathlen);
}

/* Decimal digits without printf, whose parsing of the format was a tenth
 * of a long table's time: a table of 100k rows prints ~400k numbers */
static void put_u64(struct buf *out, uint64_t v)
{
	char d[24], *e = d + sizeof(d), *p = e;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	buf_add(out, p, (size_t)(e - p));
}

static void put_i64(struct buf *out, int64_t v)
{
	if (v < 0) {
		buf_addc(out, '-');
		put_u64(out, -(uint64_t)v);
	} else {
		put_u64(out, (uint64_t)v);
	}
}

static void fill_type(struct buf *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro)
{
	(void)m, (void)ro;
	buf_adds(out, ipc_type_name(o->type));
}

static void fill_inode(struct buf *out, const struct model *m, const struct ipc_obj *o,
		       const struct render_opts *ro)
{
	(void)m, (void)ro;
	put_u64(out, o->ino);
}

static void fill_dev(struct buf *out, const struct model *m, const struct ipc_obj *o,
		     const struct render_opts *ro)
{
	(void)m, (void)ro;
	put_u64(out, major(o->dev));
	buf_addc(out, ':');
	put_u64(out, minor(o->dev));
}

static void fill_path(struct buf *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro)
{
	size_t start = out->len;

	(void)m, (void)ro;
	if (!o->path && kind_of(o)->label) {
		kind_of(o)->label(out, o);
	} else {
		esc_path(out, o);
		if (o->deleted)
			buf_adds(out, " (deleted)");
	}
	/* two containers' /dev/shm/x are two objects: say whose */
	if (o->home) {
		buf_adds(out, out->len > start ? " [" : "[");
		model_home_text(out, o);
		buf_addc(out, ']');
	}
}

static void fill_deleted(struct buf *out, const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro)
{
	(void)m, (void)ro;
	buf_adds(out, o->deleted ? "yes" : "no");
}

static void fill_size(struct buf *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro)
{
	char tmp[32];

	(void)m;
	if (!o->has_size)
		return;
	if (ro->bytes)
		put_u64(out, o->size);
	else {
		format_size(tmp, sizeof(tmp), o->size);
		buf_adds(out, tmp);
	}
}

static void fill_owner(struct buf *out, const struct model *m, const struct ipc_obj *o,
		       const struct render_opts *ro)
{
	(void)m, (void)ro;
	if (o->has_owner) {
		const char *u = user_name(o->owner);

		esc_table(out, u, strlen(u));
	}
}

/* A column only some kinds have (enum kind_col): the object's kind fills
 * the cell, as lsfd's classes do, or it stays empty. Only the kind reads
 * its own union member. */
static bool by_kind(enum kind_col col, const struct ipc_obj *o, const struct render_opts *ro,
		    struct buf *out, int64_t *num)
{
	const struct ipc_kind *k = kind_of(o);

	return k->column && k->column(col, o, ro, out, num);
}

void holder_proc_text(struct buf *out, const struct ipc_proc *p)
{
	put_i64(out, p->pid);
	buf_addc(out, '/');
	esc_table(out, p->comm, strlen(p->comm));
}

void holder_entry_text(struct buf *out, const struct ipc_holder *h)
{
	if (h->mapped)
		buf_adds(out, "mem");
	else
		put_i64(out, h->fd);
	if (h->mode & MODE_R)
		buf_addc(out, 'r');
	if (h->mode & MODE_W)
		buf_addc(out, 'w');
}

void wait_text(struct buf *out, const struct ipc_wait *w)
{
	holder_proc_text(out, w->proc);
	buf_printf(out, " thread %d in %s", (int)w->tid, w->syscall);
	if (w->fd >= 0)
		buf_printf(out, " on fd %d", w->fd);
	if (w->via >= 0)
		buf_printf(out, " via epoll %d", w->via);
	buf_printf(out, " (%s)", w->state);
}

typedef bool (*holder_pick)(const struct ipc_holder *h, const void *arg);

/* One entry per process: 1234/nginx[3r,5w,mem]; an entry a thread of the
 * process sleeps on is marked, 1234/cat[0r*]. The mark is ASCII, and no
 * entry ends in '*' otherwise. */
static void format_holders(struct buf *out, const struct ipc_obj *o, holder_pick pick,
			   const void *arg)
{
	bool first = true;

	for (size_t i = 0; i < o->nholders;) {
		const struct ipc_proc *p = o->holders[i].proc;
		size_t n = 0;

		for (; i < o->nholders && o->holders[i].proc == p; i++) {
			const struct ipc_holder *h = &o->holders[i];

			if (pick && !pick(h, arg))
				continue;
			if (n++ == 0) {
				if (!first)
					buf_addc(out, ' ');
				first = false;
				holder_proc_text(out, p);
				buf_addc(out, '[');
			} else {
				buf_addc(out, ',');
			}
			holder_entry_text(out, h);
			if (h->wait)
				buf_addc(out, '*');
		}
		if (n)
			buf_addc(out, ']');
	}
}

void holders_text(struct buf *out, const struct ipc_obj *o)
{
	format_holders(out, o, NULL, NULL);
}

static void fill_holders(struct buf *out, const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro)
{
	(void)m, (void)ro;
	holders_text(out, o);
}

/* For a pipe, "the other end" only means something relative to the
 * processes asked about with --pid (HOLDERS shows both ends anyway): the
 * other holders that write when they only read it, that read when they
 * only write it. When they hold both ends the pipe loops back to them:
 * the other holders share an end with them rather than face it, and the
 * other end is no one else. The mode of the asked processes' entries, or
 * 0 when no holder was asked about. */
static uint8_t pipe_asked_mode(const struct ipc_obj *o)
{
	uint8_t mine = 0;

	for (size_t i = 0; i < o->nholders; i++)
		if (o->holders[i].proc->asked)
			mine |= o->holders[i].mode;
	return mine;
}

static bool pick_end(const struct ipc_holder *h, const void *arg)
{
	const uint8_t *mine = arg;

	if (*mine == (MODE_R | MODE_W))
		return false;
	return (h->mode & (*mine == MODE_R ? MODE_W : MODE_R)) && !h->proc->asked;
}

bool obj_peer_each(const struct ipc_obj *o, void (*fn)(void *arg, const struct ipc_holder *h),
		   void *arg)
{
	uint8_t mine;

	if (kind_of(o)->peer_holders)
		return kind_of(o)->peer_holders(o, fn, arg);
	if (!kind_has(o->type, KT_PIPELIKE) || !(mine = pipe_asked_mode(o)))
		return false;
	for (size_t i = 0; i < o->nholders; i++)
		if (pick_end(&o->holders[i], &mine))
			fn(arg, &o->holders[i]);
	return true;
}

/* A socket's kind names its peer's holders; a pipe's other end is told
 * only relative to --pid. */
static void fill_peer(struct buf *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro)
{
	uint8_t mine;

	(void)m;
	if (by_kind(KC_PEER, o, ro, out, NULL) || !kind_has(o->type, KT_PIPELIKE))
		return;
	mine = pipe_asked_mode(o);
	if (mine)
		format_holders(out, o, pick_end, &mine);
}

static void fill_queued(struct buf *out, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro)
{
	char tmp[32];
	uint64_t v;

	(void)m;
	if (!kind_of(o)->queued || !kind_of(o)->queued(o, &v))
		return;
	if (ro->bytes) {
		put_u64(out, v);
	} else {
		format_size(tmp, sizeof(tmp), v);
		buf_adds(out, tmp);
	}
}

static void fill_reason(struct buf *out, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro)
{
	const char *r = o->leak ? o->leak->name : NULL;

	(void)m, (void)ro;
	if (r)
		buf_adds(out, r);
}

/* "no" when something the scan could not see might hold it */
static void fill_certain(struct buf *out, const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro)
{
	(void)m, (void)ro;
	if (o->leak)
		buf_adds(out, o->uncertain ? "no" : "yes");
}

static void fill_age(struct buf *out, const struct model *m, const struct ipc_obj *o,
		     const struct render_opts *ro)
{
	char tmp[32];
	int64_t age = leak_age(o, ro->now);

	(void)m;
	if (age < 0)
		return;
	format_age(tmp, sizeof(tmp), age);
	buf_adds(out, tmp);
}

static void fill_resident(struct buf *out, const struct model *m, const struct ipc_obj *o,
			  const struct render_opts *ro)
{
	char tmp[32];

	(void)m;
	if (!o->has_resident)
		return;
	if (ro->bytes) {
		put_u64(out, o->resident);
	} else {
		format_size(tmp, sizeof(tmp), o->resident);
		buf_adds(out, tmp);
	}
}

static void fill_nholders(struct buf *out, const struct model *m, const struct ipc_obj *o,
			  const struct render_opts *ro)
{
	(void)m, (void)ro;
	put_u64(out, o->nholders);
}

static void fill_pids(struct buf *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro)
{
	(void)m, (void)ro;
	for (size_t i = 0; i < o->nholders; i++) {
		if (i && o->holders[i].proc == o->holders[i - 1].proc)
			continue;
		if (out->len)
			buf_addc(out, ',');
		put_i64(out, o->holders[i].proc->pid);
	}
}

/* The distinct values of the processes that place an object (its holders,
 * else its home), in holder order, each given to fn once; a process
 * without one gives nothing. Shared by the CGROUP and CONTAINER cells and
 * their JSON members. */
void obj_distinct_each(const struct ipc_obj *o, const char *(*value)(const struct ipc_proc *p),
		       void (*fn)(void *arg, const char *v), void *arg)
{
	const struct ipc_proc *p, *prev = NULL;
	const char *few[8], **seen = few;
	size_t nseen = 0, cap = ARRAY_SIZE(few);

	for (size_t i = 0; (p = obj_cgroup_proc(o, i)); i++) {
		const char *v = p == prev ? NULL : value(p);
		size_t k;

		prev = p;
		if (!v || !*v)
			continue;
		for (k = 0; k < nseen && strcmp(seen[k], v) != 0; k++)
			;
		if (k < nseen)
			continue;
		if (nseen == cap) {
			cap *= 2;
			seen = seen == few ? memcpy(xreallocarray(NULL, cap, sizeof(*seen)), few,
						    sizeof(few))
					   : xreallocarray(seen, cap, sizeof(*seen));
		}
		seen[nseen++] = v;
		fn(arg, v);
	}
	if (seen != few)
		free(seen);
}

struct distinct_cell {
	struct buf *out;
	bool any;
};

static void distinct_cell(void *arg, const char *v)
{
	struct distinct_cell *c = arg;

	if (c->any)
		buf_addc(c->out, ',');
	c->any = true;
	esc_table(c->out, v, strlen(v));
}

static void fill_distinct(struct buf *out, const struct ipc_obj *o,
			  const char *(*value)(const struct ipc_proc *p))
{
	struct distinct_cell c = { .out = out };

	obj_distinct_each(o, value, distinct_cell, &c);
}

const char *proc_cgroup(const struct ipc_proc *p)
{
	return p->cgroup;
}

const char *proc_container(const struct ipc_proc *p)
{
	return p->container;
}

static void fill_cgroup(struct buf *out, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro)
{
	(void)m, (void)ro;
	fill_distinct(out, o, proc_cgroup);
}

static void fill_container(struct buf *out, const struct model *m, const struct ipc_obj *o,
			   const struct render_opts *ro)
{
	(void)m, (void)ro;
	fill_distinct(out, o, proc_container);
}

static bool num_inode(const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro, int64_t *v)
{
	(void)m, (void)ro;
	*v = (int64_t)o->ino;
	return true;
}

static bool num_size(const struct model *m, const struct ipc_obj *o,
		     const struct render_opts *ro, int64_t *v)
{
	(void)m, (void)ro;
	*v = (int64_t)o->size;
	return o->has_size;
}

static bool num_resident(const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro, int64_t *v)
{
	(void)m, (void)ro;
	*v = (int64_t)o->resident;
	return o->has_resident;
}

static bool num_nholders(const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro, int64_t *v)
{
	(void)m, (void)ro;
	*v = (int64_t)o->nholders;
	return true;
}

static bool num_queued(const struct model *m, const struct ipc_obj *o,
		       const struct render_opts *ro, int64_t *v)
{
	uint64_t q;

	(void)m, (void)ro;
	if (!kind_of(o)->queued || !kind_of(o)->queued(o, &q))
		return false;
	*v = (int64_t)q;
	return true;
}

static bool num_age(const struct model *m, const struct ipc_obj *o,
		    const struct render_opts *ro, int64_t *v)
{
	(void)m;
	*v = leak_age(o, ro->now);
	return *v >= 0;
}

static const char *color_type(const struct ipc_obj *o)
{
	return kind_of(o)->color;
}

static const char *color_reason(const struct ipc_obj *o)
{
	return o->leak ? "\033[31m" : NULL;
}

const struct column columns[] = {
	{ .name = "TYPE", .json_type = "string", .json = ".type",
	  .help = "object type: one of the names --type takes",
	  .flags = COL_DEFAULT | COL_LEAKS, .fill = fill_type, .color = color_type },
	{ .name = "INODE", .json_type = "number", .json = ".inode",
	  .help = "inode number, with DEV the identity; shmid for sysvshm; one for all eventfds",
	  .flags = COL_RIGHT | COL_DEFAULT | COL_LEAKS, .fill = fill_inode, .num = num_inode },
	{ .name = "DEV", .json_type = "string", .json = ".dev",
	  .help = "device of the object's filesystem, as major:minor",
	  .flags = 0, .fill = fill_dev },
	{ .name = "PATH", .json_type = "string", .json = ".path",
	  .help = "path, @abstract socket name, memfd:NAME, eventfd:ID, or a SysV key",
	  .flags = COL_TRUNC | COL_DEFAULT | COL_LEAKS, .fill = fill_path },
	{ .name = "DELETED", .json_type = "boolean", .json = ".deleted",
	  .help = "unlinked while still held",
	  .flags = 0, .fill = fill_deleted },
	{ .name = "SIZE", .json_type = "number", .json = ".size",
	  .help = "size in bytes of shm, memfd, sem, sysvshm and anonshm; 0 for an empty mqueue",
	  .flags = COL_RIGHT | COL_DEFAULT | COL_LEAKS, .fill = fill_size, .num = num_size },
	{ .name = "RESIDENT", .json_type = "number", .json = ".resident",
	  .help = "memory really used: tmpfs blocks, SysV rss and swap",
	  .flags = COL_RIGHT | COL_LEAKS, .fill = fill_resident, .num = num_resident },
	{ .name = "OWNER", .json_type = "string", .json = ".owner",
	  .help = "user owning the file, the segment or the bound socket",
	  .flags = COL_LEAKS, .fill = fill_owner },
	{ .name = "SOCKTYPE", .json_type = "string", .json = ".unix.type",
	  .help = "socket type: stream, dgram, seqpacket; tcp, udp",
	  .flags = 0, .kcol = KC_SOCKTYPE },
	{ .name = "STATE", .json_type = "string", .json = ".unix.state",
	  .help = "socket state: listen, connected, unconnected, established, ...",
	  .flags = 0, .kcol = KC_STATE },
	{ .name = "PEERINO", .json_type = "number", .json = ".unix.peer",
	  .help = "inode of the connected peer socket",
	  .flags = COL_RIGHT, .kcol = KC_PEERINO },
	{ .name = "HOLDERS", .json_type = "array", .json = ".holders",
	  .help = "holding processes: PID/COMM[FD and mode, mem for mappings, * if waited on]",
	  .flags = COL_TRUNC | COL_DEFAULT | COL_LAST, .fill = fill_holders },
	{ .name = "PEER", .json_type = "array", .json = ".peer",
	  .help = "other end: socket peer's or dgram senders' holders; with --pid, a pipe's",
	  .flags = COL_TRUNC | COL_DEFAULT, .fill = fill_peer },
	{ .name = "QUEUED", .json_type = "number", .json = ".queued",
	  .help = "unread bytes in a pipe, FIFO or socket receive queue; an eventfd's count",
	  .flags = COL_RIGHT, .fill = fill_queued, .num = num_queued },
	{ .name = "BACKLOG", .json_type = "number", .json = ".unix.backlog",
	  .help = "listening socket: connections waiting to be accepted/limit",
	  .flags = COL_RIGHT, .kcol = KC_BACKLOG },
	{ .name = "NETNS", .json_type = "number", .json = ".unix.netns",
	  .help = "network namespace inode of a socket",
	  .flags = COL_RIGHT, .kcol = KC_NETNS },
	{ .name = "SHUTDOWN", .json_type = "string", .json = ".unix.shutdown",
	  .help = "UNIX socket directions shut down: none, read, write or both",
	  .flags = 0, .kcol = KC_SHUTDOWN },
	{ .name = "NONBLOCK", .json_type = "boolean", .json = ".unix.nonblock",
	  .help = "UNIX socket's file is O_NONBLOCK: yes or no",
	  .flags = 0, .kcol = KC_NONBLOCK },
	{ .name = "NATTCH", .json_type = "number", .json = ".sysv.nattch",
	  .help = "attach count of a SysV segment",
	  .flags = COL_RIGHT, .kcol = KC_NATTCH },
	{ .name = "AGE", .json_type = "number", .json = ".age",
	  .help = "time since last modified or used",
	  .flags = COL_RIGHT | COL_LEAKS, .fill = fill_age, .num = num_age },
	{ .name = "REASON", .json_type = "string", .json = ".reason",
	  .help = "why it is listed by leaks: orphaned-shm, stale-socket, ...",
	  .flags = COL_LEAKS, .fill = fill_reason, .color = color_reason },
	{ .name = "CERTAIN", .json_type = "boolean", .json = ".certain",
	  .help = "leaks: no when a process or namespace the scan could not see may hold it",
	  .flags = COL_LEAKS, .fill = fill_certain },
	{ .name = "NHOLDERS", .json_type = "number", .json = ".nholders",
	  .help = "number of holder entries (fds and mappings)",
	  .flags = COL_RIGHT, .fill = fill_nholders, .num = num_nholders },
	{ .name = "PIDS", .json_type = "array", .json = ".pids",
	  .help = "comma-separated pids of the holding processes",
	  .flags = 0, .fill = fill_pids },
	{ .name = "CGROUP", .json_type = "array", .json = ".cgroups",
	  .help = "comma-separated cgroup v2 paths of the holding processes",
	  .flags = COL_TRUNC, .fill = fill_cgroup },
	{ .name = "CONTAINER", .json_type = "array", .json = ".containers",
	  .help = "comma-separated container ids (12 hex digits) of the holding processes",
	  .flags = 0, .fill = fill_container },
};
const size_t ncolumns = sizeof(columns) / sizeof(columns[0]);

void column_fill(int id, struct buf *out, const struct model *m, const struct ipc_obj *o,
		 const struct render_opts *ro)
{
	if (columns[id].kcol)
		by_kind((enum kind_col)columns[id].kcol, o, ro, out, NULL);
	else
		columns[id].fill(out, m, o, ro);
}

bool column_num(int id, const struct model *m, const struct ipc_obj *o,
		const struct render_opts *ro, int64_t *v)
{
	if (columns[id].kcol)
		return by_kind((enum kind_col)columns[id].kcol, o, ro, NULL, v);
	return columns[id].num && columns[id].num(m, o, ro, v);
}

int column_lookup(const char *name)
{
	for (size_t i = 0; i < ncolumns; i++)
		if (strcasecmp(columns[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The free-width column goes last, as in ps and lsfd: it then pushes no
 * other column to the right, and needs no padding. */
void columns_default(struct render_opts *ro, unsigned which)
{
	ro->ncols = 0;
	for (unsigned pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ncolumns && ro->ncols < MAX_COLUMNS; i++)
			if ((columns[i].flags & which) &&
			    (columns[i].flags & COL_LAST ? 1u : 0u) == pass)
				ro->cols[ro->ncols++] = (int)i;
}

int columns_parse(const char *spec, struct render_opts *ro, char **bad)
{
	char *copy, *save = NULL, *tok;
	int rc = 0;

	if (*spec == '+')
		spec++;
	else
		ro->ncols = 0;
	copy = xstrdup(spec);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int id = column_lookup(tok);

		if (id < 0 || ro->ncols >= MAX_COLUMNS) {
			*bad = xstrdup(tok);
			rc = -1;
			break;
		}
		ro->cols[ro->ncols++] = id;
	}
	if (rc == 0 && ro->ncols == 0) {
		*bad = xstrdup(spec);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* A column only some kinds fill: each such kind's member for it, by the
 * kind's name ({"unix": ".unix.state", "inet": ".inet.state"}). */
static void kind_members(struct jw *w, int kcol)
{
	jw_obj_begin(w, "members");
	for (int t = 0; t < IPC_NTYPES; t++) {
		const char *const *cm = ipc_kinds[t]->col_members;

		if (cm && cm[kcol])
			jw_str(w, ipc_kinds[t]->name, cm[kcol]);
	}
	jw_obj_end(w);
}

int columns_print_list(FILE *out, bool json)
{
	struct jw *w;

	if (!json) {
		for (size_t i = 0; i < ncolumns; i++)
			fprintf(out, "%-10s %-8s %s\n", columns[i].name, columns[i].json_type,
				columns[i].help);
		return ferror(out) ? -1 : 0;
	}
	w = jw_new();
	jw_begin(w, 0);
	jw_int(w, "version", JSON_VERSION);
	jw_arr_begin(w, "columns");
	for (size_t i = 0; i < ncolumns; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "name", columns[i].name);
		jw_str(w, "type", columns[i].json_type);
		jw_str(w, "member", columns[i].json);
		jw_str(w, "help", columns[i].help);
		if (columns[i].kcol)
			kind_members(w, columns[i].kcol);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	return json_print_doc(w, out);
}

struct sort_key {
	struct ipc_obj *o;
	size_t pos;
	bool has;
	int64_t num;
	char *text;
};

static bool sort_desc;

static int sort_cmp(const void *pa, const void *pb)
{
	const struct sort_key *a = pa, *b = pb;
	int c = 0;

	/* empty cells last, whatever the direction */
	if (a->has != b->has)
		return a->has ? -1 : 1;
	if (a->has) {
		if (a->text)
			c = strcmp(a->text, b->text);
		else
			c = (a->num > b->num) - (a->num < b->num);
		if (sort_desc)
			c = -c;
	}
	if (!c)
		c = (a->pos > b->pos) - (a->pos < b->pos);
	return c;
}

void columns_sort(struct model *m, int col, bool descending, const struct render_opts *ro)
{
	const struct column *c = &columns[col];
	/* a kind's number sorts as one, as the column's own num does */
	bool numeric = c->num || (c->kcol && strcmp(c->json_type, "number") == 0);
	struct sort_key *k = xcalloc(m->nobjs ? m->nobjs : 1, sizeof(*k));
	struct buf b = { 0 };

	for (size_t i = 0; i < m->nobjs; i++) {
		k[i].o = m->objs[i];
		k[i].pos = i;
		if (numeric) {
			k[i].has = column_num(col, m, m->objs[i], ro, &k[i].num);
		} else {
			buf_reset(&b);
			column_fill(col, &b, m, m->objs[i], ro);
			k[i].has = b.len > 0;
			k[i].text = xstrdup(b.data ? b.data : "");
		}
	}
	sort_desc = descending;
	qsort(k, m->nobjs, sizeof(*k), sort_cmp);
	for (size_t i = 0; i < m->nobjs; i++) {
		m->objs[i] = k[i].o;
		free(k[i].text);
	}
	free(k);
	buf_free(&b);
}
