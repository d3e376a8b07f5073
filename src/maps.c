/* Reads /proc/PID/maps: a mapping holds shm and memfd objects alive even
 * after the process closed its fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "collect.h"
#include "pathio.h"
#include "proc.h"

static bool scan_hex(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	bool any = false;

	for (; p < end; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v >> 60)
			return false;
		v = v * 16 + d;
		any = true;
	}
	*out = v;
	*pp = p;
	return any;
}

static bool expect(const char **pp, const char *end, char ch)
{
	if (*pp >= end || **pp != ch)
		return false;
	(*pp)++;
	return true;
}

int maps_parse_line(const char *line, size_t len, struct maps_line *ml,
		    struct buf *pathbuf)
{
	const char *p = line, *end = line + len;
	uint64_t v, maj, min;

	memset(ml, 0, sizeof(*ml));
	ml->range = p;
	if (!scan_hex(&p, end, &v) || !expect(&p, end, '-') || !scan_hex(&p, end, &v))
		return -1;
	ml->rangelen = (size_t)(p - line);
	if (!expect(&p, end, ' ') || end - p < 5)
		return -1;
	ml->read = p[0] == 'r';
	ml->write = p[1] == 'w';
	ml->shared = p[3] == 's';
	p += 4;
	if (!expect(&p, end, ' ') || !scan_hex(&p, end, &v) || !expect(&p, end, ' '))
		return -1;
	if (!scan_hex(&p, end, &maj) || !expect(&p, end, ':') || !scan_hex(&p, end, &min) ||
	    !expect(&p, end, ' '))
		return -1;
	if (maj > 0xfff || min > 0xfffff)
		return -1;
	ml->dev = makedev((unsigned)maj, (unsigned)min);
	if (!scan_u64(&p, end, &ml->ino))
		return -1;
	while (p < end && *p == ' ')
		p++;
	/* The kernel writes a newline in a name as the text \012. */
	buf_reset(pathbuf);
	while (p < end) {
		if (end - p >= 4 && memcmp(p, "\\012", 4) == 0) {
			buf_addc(pathbuf, '\n');
			p += 4;
		} else {
			buf_addc(pathbuf, *p++);
		}
	}
	ml->path = pathbuf->data ? pathbuf->data : "";
	ml->pathlen = pathbuf->len;
	return 0;
}

static bool starts(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	return len > n && memcmp(s, pre, n) == 0;
}

/* Cheap pre-check on the raw line: every line we care about names a file
 * that starts with one of these, so most lines need no full parse. */
static bool line_interesting(const char *line, size_t len)
{
	const char *slash = memchr(line, '/', len);

	if (!slash)
		return false;
	len -= (size_t)(slash - line);
	return starts(slash, len, "/dev/shm/") || starts(slash, len, "/memfd:") ||
	       starts(slash, len, "/SYSV");
}

/* "/SYSV%08x (deleted)": the segment's key, as it was at shmget() */
static bool sysv_name(const char *path, size_t len, int32_t *key)
{
	uint32_t v = 0;

	if (len != 13 + 10 || memcmp(path, "/SYSV", 5) != 0 ||
	    memcmp(path + 13, " (deleted)", 10) != 0)
		return false;
	for (int i = 5; i < 13; i++) {
		char ch = path[i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else
			return false;
		v = v * 16 + d;
	}
	*key = (int32_t)v;
	return true;
}

/* An attached SysV segment: its maps inode is the shmid, unique only
 * within the process's IPC namespace. */
/* The objects this process maps, so each gets one mapping holder however
 * many ranges it spans: with threads, another process's holders may have
 * been appended in between. */
struct mapped_set {
	const struct ipc_obj **v;
	size_t n, cap;
};

static bool mapped_once(struct mapped_set *ms, const struct ipc_obj *o)
{
	for (size_t i = ms->n; i-- > 0;)
		if (ms->v[i] == o)
			return false;
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? ms->cap * 2 : 16;
		ms->v = xreallocarray(ms->v, ms->cap, sizeof(*ms->v));
	}
	ms->v[ms->n++] = o;
	return true;
}

static uint8_t maps_mode(const struct maps_line *ml)
{
	return (uint8_t)((ml->read ? MODE_R : 0) | (ml->write ? MODE_W : 0));
}

static void add_mapping(struct scan_ctx *c, struct ipc_obj *o, struct ipc_proc *p,
			const struct maps_line *ml, struct mapped_set *ms)
{
	scan_lock(c);
	if (mapped_once(ms, o)) {
		model_add_holder(o, p, -1, maps_mode(ml), true);
	} else {
		/* another range of the same object: widen the mode */
		for (size_t i = o->nholders; i-- > 0;)
			if (o->holders[i].proc == p && o->holders[i].mapped) {
				o->holders[i].mode |= maps_mode(ml);
				break;
			}
	}
	scan_unlock(c);
}

/* An attached SysV segment: its maps inode is the shmid, unique only
 * within the process's IPC namespace. */
static void maps_sysv(struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir,
		      const struct maps_line *ml, int32_t key, struct mapped_set *ms)
{
	struct ipc_obj *o;
	bool created;

	if (!(c->types & IPC_TYPE_BIT(IPC_SYSVSHM)) || ml->ino > INT32_MAX)
		return;
	if (!p->ipcns)
		p->ipcns = c->rooted ? c->self_ipcns : proc_ipcns(piddir);
	scan_lock(c);
	if (c->only_wanted) {
		o = model_find_ns(m, c->memfd_dev, ml->ino, p->ipcns ? p->ipcns : c->self_ipcns);
		if (!o || !o->wanted) {
			scan_unlock(c);
			return;
		}
	}
	o = model_get_ns(m, IPC_SYSVSHM, c->memfd_dev, ml->ino,
			 p->ipcns ? p->ipcns : c->self_ipcns, &created);
	if (created) {
		/* not in our /proc/sysvipc/shm: another IPC namespace */
		o->sysv.shmid = (int32_t)ml->ino;
		o->sysv.key = key;
	}
	scan_unlock(c);
	add_mapping(c, o, p, ml, ms);
}

static void maps_size(struct ipc_obj *o, struct scan_ctx *c, int piddir,
		      const struct maps_line *ml)
{
	char name[96];
	struct stat st;

	if (c->rooted || ml->rangelen >= sizeof(name) - 10)
		return;
	memcpy(name, "map_files/", 10);
	memcpy(name + 10, ml->range, ml->rangelen);
	name[10 + ml->rangelen] = '\0';
	/* needs CAP_SYS_ADMIN; without it the size stays unknown */
	if (fstatat(piddir, name, &st, 0) == 0 && st.st_dev == o->dev &&
	    st.st_ino == o->ino) {
		o->has_size = true;
		o->size = (uint64_t)st.st_size;
		o->has_owner = true;
		o->owner = st.st_uid;
	}
}

int maps_scan(struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir)
{
	struct mapped_set ms = { 0 };
	const char *s, *end;
	int rc;

	rc = pio_read_at(piddir, "maps", &c->file);
	if (rc < 0)
		return rc;
	s = c->file.data;
	end = s + c->file.len;
	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		struct maps_line ml;
		enum ipc_type type;
		int32_t key;
		struct ipc_obj *o;
		bool created;

		if (!eol)
			eol = end;
		if (!line_interesting(s, (size_t)(eol - s)) ||
		    maps_parse_line(s, (size_t)(eol - s), &ml, &c->text) < 0 || ml.ino == 0)
			goto next;
		if (sysv_name(ml.path, ml.pathlen, &key)) {
			maps_sysv(m, c, p, piddir, &ml, key, &ms);
			goto next;
		}
		if (!(c->types & (IPC_TYPE_BIT(IPC_SHM) | IPC_TYPE_BIT(IPC_SEM) | IPC_TYPE_BIT(IPC_MEMFD))))
			goto next;
		if (((c->have_memfd && ml.dev == c->memfd_dev) || c->rooted) &&
		    starts(ml.path, ml.pathlen, "/memfd:"))
			type = IPC_MEMFD;
		else if ((c->have_devshm && ml.dev == c->devshm_dev) ||
			 starts(ml.path, ml.pathlen, "/dev/shm/"))
			type = IPC_SHM;	/* refined to sem by name */
		else
			goto next;

		scan_lock(c);
		if (c->only_wanted) {
			o = model_find(m, ml.dev, ml.ino);
			if (!o || !o->wanted) {
				scan_unlock(c);
				goto next;
			}
		}
		o = model_get(m, type, ml.dev, ml.ino, &created);
		scan_unlock(c);
		if (created) {
			/* only this thread has it: name it outside the lock */
			fd_name_object(o, c, piddir, ml.path, ml.pathlen);
			maps_size(o, c, piddir, &ml);
		}
		add_mapping(c, o, p, &ml, &ms);
next:
		s = eol + 1;
	}
	free(ms.v);
	return 0;
}
