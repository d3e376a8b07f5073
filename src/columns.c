/* The column table: the single source for -o, --list-columns, --help, the
 * completions and the man page's OUTPUT COLUMNS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "escape.h"
#include "leaks.h"
#include "proc.h"
#include "render.h"

static void esc_path(struct buf *out, const struct ipc_obj *o)
{
	if (o->path)
		esc_table(out, o->path, o->pathlen);
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
	buf_printf(out, "%llu", (unsigned long long)o->ino);
}

static void fill_dev(struct buf *out, const struct model *m, const struct ipc_obj *o,
		     const struct render_opts *ro)
{
	(void)m, (void)ro;
	buf_printf(out, "%u:%u", major(o->dev), minor(o->dev));
}

static void fill_path(struct buf *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro)
{
	(void)m, (void)ro;
	if (o->type == IPC_SYSVSHM) {
		buf_printf(out, "key 0x%08x", (unsigned)o->sysv.key);
		if (o->sysv.removed)
			buf_adds(out, " (removed)");
		return;
	}
	esc_path(out, o);
	if (o->deleted)
		buf_adds(out, " (deleted)");
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
		buf_printf(out, "%llu", (unsigned long long)o->size);
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
		const char *u = proc_user_name(o->owner);

		esc_table(out, u, strlen(u));
	}
}

static void fill_socktype(struct buf *out, const struct model *m, const struct ipc_obj *o,
			  const struct render_opts *ro)
{
	const char *s;

	(void)m, (void)ro;
	if (o->type == IPC_UNIX && (s = unix_stype_name(o->un.stype)))
		buf_adds(out, s);
}

static void fill_state(struct buf *out, const struct model *m, const struct ipc_obj *o,
		       const struct render_opts *ro)
{
	const char *s;

	(void)m, (void)ro;
	if (o->type == IPC_UNIX && (s = unix_state_name(o->un.state)))
		buf_adds(out, s);
}

static void fill_peerino(struct buf *out, const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro)
{
	(void)m, (void)ro;
	if (o->type == IPC_UNIX && o->un.has_peer)
		buf_printf(out, "%llu", (unsigned long long)o->un.peer);
}

typedef bool (*holder_pick)(const struct ipc_holder *h, const void *arg);

/* One entry per process: 1234/nginx[3r,5w,mem] */
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
				buf_printf(out, "%d/", (int)p->pid);
				esc_table(out, p->comm, strlen(p->comm));
				buf_addc(out, '[');
			} else {
				buf_addc(out, ',');
			}
			if (h->mapped)
				buf_adds(out, "mem");
			else
				buf_printf(out, "%d", h->fd);
			if (h->mode & MODE_R)
				buf_addc(out, 'r');
			if (h->mode & MODE_W)
				buf_addc(out, 'w');
		}
		if (n)
			buf_addc(out, ']');
	}
}

static void fill_holders(struct buf *out, const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro)
{
	(void)m, (void)ro;
	format_holders(out, o, NULL, NULL);
}

static bool is_self(const struct render_opts *ro, pid_t pid)
{
	for (size_t i = 0; i < ro->nself; i++)
		if (ro->self[i] == pid)
			return true;
	return false;
}

struct end_pick {
	const struct render_opts *ro;
	uint8_t mode;
};

static bool pick_end(const struct ipc_holder *h, const void *arg)
{
	const struct end_pick *e = arg;

	return (h->mode & e->mode) && !is_self(e->ro, h->proc->pid);
}

static void fill_peer(struct buf *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro)
{
	const struct ipc_obj *peer;
	struct end_pick e = { ro, MODE_W };
	uint8_t mine = 0;

	if (o->type == IPC_UNIX) {
		if (o->un.has_listener) {
			const struct ipc_obj *l = model_find_socket(m, o->un.listener);

			/* connected, but not accepted yet: the listener's process
			 * is the one that will take it */
			if (l && l->nholders)
				format_holders(out, l, NULL, NULL);
			buf_adds(out, out->len ? " (backlog)" : "(backlog)");
		} else if (o->un.has_peer && (peer = model_find_socket(m, o->un.peer))) {
			format_holders(out, peer, NULL, NULL);
		}
		return;
	}
	/* For a pipe, "the other end" only means something relative to the
	 * processes asked about with --pid: HOLDERS shows both ends anyway. */
	if ((o->type != IPC_PIPE && o->type != IPC_FIFO) || !ro->nself)
		return;
	for (size_t i = 0; i < o->nholders; i++)
		if (is_self(ro, o->holders[i].proc->pid))
			mine |= o->holders[i].mode;
	e.mode = mine == MODE_R ? MODE_W : mine == MODE_W ? MODE_R : MODE_R | MODE_W;
	format_holders(out, o, pick_end, &e);
}

static void fill_queued(struct buf *out, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro)
{
	char tmp[32];
	uint64_t v;

	(void)m;
	if ((o->type == IPC_PIPE || o->type == IPC_FIFO) && o->pipe.has_fill)
		v = o->pipe.queued;
	else if (o->type == IPC_UNIX && o->un.has_rq && o->un.state != US_LISTEN)
		v = o->un.rqueue;
	else
		return;
	if (ro->bytes) {
		buf_printf(out, "%llu", (unsigned long long)v);
	} else {
		format_size(tmp, sizeof(tmp), v);
		buf_adds(out, tmp);
	}
}

static void fill_backlog(struct buf *out, const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro)
{
	(void)m, (void)ro;
	if (o->type == IPC_UNIX && o->un.state == US_LISTEN && o->un.has_rq)
		buf_printf(out, "%u/%u", o->un.rqueue, o->un.wqueue);
}

static void fill_reason(struct buf *out, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro)
{
	const char *r = leak_reason_name(o->leak);

	(void)m, (void)ro;
	if (r)
		buf_adds(out, r);
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
		buf_printf(out, "%llu", (unsigned long long)o->resident);
	} else {
		format_size(tmp, sizeof(tmp), o->resident);
		buf_adds(out, tmp);
	}
}

static void fill_nattch(struct buf *out, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro)
{
	(void)m, (void)ro;
	if (o->type == IPC_SYSVSHM && o->sysv.known)
		buf_printf(out, "%llu", (unsigned long long)o->sysv.nattch);
}

static void fill_netns(struct buf *out, const struct model *m, const struct ipc_obj *o,
		       const struct render_opts *ro)
{
	(void)m, (void)ro;
	if (o->type == IPC_UNIX && o->un.netns)
		buf_printf(out, "%llu", (unsigned long long)o->un.netns);
}

static void fill_nholders(struct buf *out, const struct model *m, const struct ipc_obj *o,
			  const struct render_opts *ro)
{
	(void)m, (void)ro;
	buf_printf(out, "%zu", o->nholders);
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
		buf_printf(out, "%d", (int)o->holders[i].proc->pid);
	}
}

const struct column columns[] = {
	{ "TYPE", "string", "object type: fifo, pipe, unix, shm, memfd, sem, sysvshm, mqueue",
	  COL_DEFAULT | COL_LEAKS, fill_type },
	{ "INODE", "number", "inode number, the object's identity with DEV; shmid for sysvshm",
	  COL_RIGHT | COL_DEFAULT | COL_LEAKS, fill_inode },
	{ "DEV", "string", "device of the object's filesystem, as major:minor",
	  0, fill_dev },
	{ "PATH", "string", "path, @abstract socket name, memfd:NAME, or a SysV key",
	  COL_TRUNC | COL_DEFAULT | COL_LEAKS, fill_path },
	{ "DELETED", "boolean", "unlinked while still held",
	  0, fill_deleted },
	{ "SIZE", "number", "size in bytes of shm, memfd, sem and sysvshm; queued bytes of mqueue",
	  COL_RIGHT | COL_DEFAULT | COL_LEAKS, fill_size },
	{ "RESIDENT", "number", "memory really used: tmpfs blocks, SysV rss and swap",
	  COL_RIGHT | COL_LEAKS, fill_resident },
	{ "OWNER", "string", "user owning the file, the segment or the bound socket",
	  COL_LEAKS, fill_owner },
	{ "SOCKTYPE", "string", "UNIX socket type: stream, dgram, seqpacket",
	  0, fill_socktype },
	{ "STATE", "string", "UNIX socket state: listen, connected, unconnected, ...",
	  0, fill_state },
	{ "PEERINO", "number", "inode of the connected peer socket",
	  COL_RIGHT, fill_peerino },
	{ "HOLDERS", "string", "holding processes: PID/COMM[FD and mode, mem for mappings]",
	  COL_TRUNC | COL_DEFAULT, fill_holders },
	{ "PEER", "string", "the other end: a socket peer's holders; with --pid, a pipe's other end",
	  COL_TRUNC | COL_DEFAULT, fill_peer },
	{ "QUEUED", "number", "unread bytes in a pipe, FIFO or socket receive queue",
	  COL_RIGHT, fill_queued },
	{ "BACKLOG", "string", "listening socket: connections waiting to be accepted/limit",
	  COL_RIGHT, fill_backlog },
	{ "NETNS", "number", "network namespace inode of a UNIX socket",
	  COL_RIGHT, fill_netns },
	{ "NATTCH", "number", "attach count of a SysV segment",
	  COL_RIGHT, fill_nattch },
	{ "AGE", "string", "time since last modified or used",
	  COL_RIGHT | COL_LEAKS, fill_age },
	{ "REASON", "string", "why it is listed by leaks: orphaned-shm, stale-socket, ...",
	  COL_LEAKS, fill_reason },
	{ "NHOLDERS", "number", "number of holder entries (fds and mappings)",
	  COL_RIGHT, fill_nholders },
	{ "PIDS", "string", "comma-separated pids of the holding processes",
	  0, fill_pids },
};
const size_t ncolumns = sizeof(columns) / sizeof(columns[0]);

int column_lookup(const char *name)
{
	for (size_t i = 0; i < ncolumns; i++)
		if (strcasecmp(columns[i].name, name) == 0)
			return (int)i;
	return -1;
}

void columns_default(struct render_opts *ro, unsigned which)
{
	ro->ncols = 0;
	for (size_t i = 0; i < ncolumns && ro->ncols < MAX_COLUMNS; i++)
		if (columns[i].flags & which)
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

void columns_print_list(FILE *out)
{
	for (size_t i = 0; i < ncolumns; i++)
		fprintf(out, "%-10s %-8s %s\n", columns[i].name, columns[i].json_type,
			columns[i].help);
}
