/* Reads /proc/PID/maps: a mapping holds shm and memfd objects alive even
 * after the process closed its fd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "collect/collect.h"
#include "kinds/kind.h"
#include "collect/pathio.h"
#include "collect/proc.h"

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

/* The fields before the path, which every line's classification needs;
 * *path: where the path starts, undecoded. 0 or -1. */
static int maps_parse_head(const char *line, size_t len, struct maps_line *ml,
			   const char **path)
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
	*path = p;
	return 0;
}

/* The kernel writes a newline in a name as the text \012. */
static void maps_decode_path(const char *p, const char *end, struct maps_line *ml,
			     struct buf *pathbuf)
{
	buf_reset(pathbuf);
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));

		if (!bs)
			bs = end;
		buf_add(pathbuf, p, (size_t)(bs - p));
		p = bs;
		if (end - p >= 4 && memcmp(p, "\\012", 4) == 0) {
			buf_addc(pathbuf, '\n');
			p += 4;
		} else if (p < end) {
			buf_addc(pathbuf, *p++);
		}
	}
	ml->path = pathbuf->data ? pathbuf->data : "";
	ml->pathlen = pathbuf->len;
}

int maps_parse_line(const char *line, size_t len, struct maps_line *ml,
		    struct buf *pathbuf)
{
	const char *path;

	if (maps_parse_head(line, len, ml, &path) < 0)
		return -1;
	maps_decode_path(path, line + len, ml, pathbuf);
	return 0;
}

static bool starts(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	return len > n && memcmp(s, pre, n) == 0;
}

/* The last device a walker asked about, and whether it is a /dev/shm: a
 * process's lines name few devices, and with many mount namespaces the
 * question is a walk of all their /dev/shm devices. */
struct maps_devcache {
	dev_t dev;
	bool known, shm;
};

/* Is the line worth its path's decoding? A /dev/shm file is known by its
 * device, whatever path it was mapped through (a chroot's, a bind mount's
 * elsewhere), and a fixture tree's, whose devices are made up, by its
 * name; memfds, SysV segments and anonymous shared memory by the name the
 * kernel gives them. Kept to a few compares: it runs for every line. */
static bool line_interesting(const struct scan_ctx *c, struct maps_devcache *dc,
			     const struct maps_line *ml, const char *path, size_t len)
{
	if (len && path[0] == '/' &&
	    (starts(path, len, "/memfd:") || starts(path, len, "/SYSV") ||
	     starts(path, len, "/dev/zero") || (c->rooted && starts(path, len, "/dev/shm/"))))
		return true;
	if (ml->ino == 0 || c->rooted)
		return false;
	if (!dc->known || dc->dev != ml->dev) {
		dc->dev = ml->dev;
		dc->shm = kind_devs_shm(&c->devs, ml->dev);
		dc->known = true;
	}
	return dc->shm;
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

static uint8_t maps_mode(const struct maps_line *ml)
{
	return (uint8_t)((ml->read ? MODE_R : 0) | (ml->write ? MODE_W : 0));
}

/* An attached SysV segment: its maps inode is the shmid, unique only
 * within the process's IPC namespace. */
static void maps_sysv(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
		      int piddir, const struct maps_line *ml, int32_t key)
{
	const struct ipc_obj *o;
	struct scan_extra *e;
	uint32_t xi;
	uint64_t ns;

	if (!(c->types & IPC_TYPE_BIT(IPC_SYSVSHM)) || ml->ino > INT32_MAX)
		return;
	if (!p->ipcns)
		p->ipcns = c->rooted ? c->self_ipcns : proc_ipcns(piddir);
	ns = p->ipcns ? p->ipcns : c->self_ipcns;
	o = model_find_ns(m, c->devs.memfd, ml->ino, ns);
	if (c->only_wanted && !(o && o->wanted))
		return;
	/* the namespace is part of the key, so every record carries it; a
	 * segment not in our /proc/sysvipc/shm lives in another namespace */
	e = batch_extra(c->batch, &xi);
	e->ns = ns;
	e->sysv = true;
	e->sysv_key = key;
	batch_add(c->batch, IPC_SYSVSHM, c->devs.memfd, ml->ino, p, -1, maps_mode(ml), xi);
}

static void maps_size(struct scan_extra *e, struct scan_ctx *c, int piddir,
		      const struct maps_line *ml)
{
	char name[96];
	struct stat st;

	if (ml->st) {
		/* the bpf backend read the file's inode in the kernel */
		st = *ml->st;
		goto known;
	}
	if (c->rooted || ml->rangelen >= sizeof(name) - 10)
		return;
	memcpy(name, "map_files/", 10);
	memcpy(name + 10, ml->range, ml->rangelen);
	name[10 + ml->rangelen] = '\0';
	/* needs CAP_SYS_ADMIN; without it the size and the memory used stay
	 * unknown: no file in /proc tells them for a mapping alone */
	if (stat_nosync(piddir, name, 0, &st, NULL) == 0 && st.st_dev == ml->dev &&
	    st.st_ino == ml->ino) {
known:
		e->has_size = true;
		e->size = (uint64_t)st.st_size;
		e->has_owner = true;
		e->owner = st.st_uid;
		e->has_resident = true;
		e->resident = (uint64_t)st.st_blocks * 512;
	}
}

/* "start-end" in hex: the length of the range */
static uint64_t range_len(const struct maps_line *ml)
{
	const char *p = ml->range, *end = ml->range + ml->rangelen;
	uint64_t lo = 0, hi = 0, *v = &lo;

	for (; p < end; p++) {
		if (*p == '-') {
			v = &hi;
			continue;
		}
		*v = *v * 16 + (uint64_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
	}
	return hi > lo ? hi - lo : 0;
}

/* A mapping of a file-backed or anonymous shared object: the first time a
 * walker meets the object it names it; an object sized by its mappings
 * gets every range's length, the largest winning at the merge. */
static void maps_object(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
			int piddir, const struct maps_line *ml, enum ipc_type type)
{
	struct scan_batch *b = c->batch;
	const struct ipc_obj *o = model_find(m, ml->dev, ml->ino);
	uint32_t xi = SCAN_NO_EXTRA;
	struct scan_extra *e = NULL;

	if (c->only_wanted && !(o && o->wanted))
		return;
	if (!o && !batch_seen(b, ml->dev, ml->ino, 0)) {
		e = batch_extra(b, &xi);
		fd_name(c, piddir, &type, ml->dev, ml->ino, ml->path, ml->pathlen, e);
		maps_size(e, c, piddir, ml);
		batch_mark(b, ml->dev, ml->ino, 0);
	}
	if (kind_has(type, KT_MAPSIZE)) {
		if (!e)
			e = batch_extra(b, &xi);
		e->has_size = true;
		e->size = range_len(ml);
	}
	/* each range is a record; the merge makes one mapping holder per
	 * process of them, with the modes of all */
	batch_add(b, type, ml->dev, ml->ino, p, -1, maps_mode(ml), xi);
}

/* Which kind a line is, if it is one the scan wants. */
static int maps_kind(const struct scan_ctx *c, const struct maps_line *ml)
{
	struct map_facts mf = { ml->dev, ml->path, ml->pathlen, ml->shared };
	int t = kind_classify_map(&mf, &c->devs);

	/* shm is refined to sem by name later */
	if (t < 0 || !(c->types & kind_takes((enum ipc_type)t)))
		return -1;
	return t;
}

/* One line of maps_scan's. */
static void maps_one(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir,
		     struct maps_devcache *dc, const char *line, size_t len)
{
	struct maps_line ml;
	const char *path;
	int32_t key;
	int t;

	if (maps_parse_head(line, len, &ml, &path) < 0 ||
	    !line_interesting(c, dc, &ml, path, (size_t)(line + len - path)))
		return;
	maps_decode_path(path, line + len, &ml, &c->text);
	/* a SysV "inode" is its shmid, and a new IPC namespace's first
	 * segment is shmid 0; any other inode 0 is private */
	if (sysv_name(ml.path, ml.pathlen, &key))
		maps_sysv(m, c, p, piddir, &ml, key);
	else if (ml.ino != 0 && (t = maps_kind(c, &ml)) >= 0)
		maps_object(m, c, p, piddir, &ml, (enum ipc_type)t);
}

/* A line at a time: a process makes its maps file as large as it likes
 * (65,000 mappings of 4 KB paths are 250 MB), and a whole-file buffer per
 * walker would be that large too. */
int maps_scan(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir)
{
	struct maps_devcache dc = { 0 };
	struct pio_lines l;
	const char *line;
	size_t len;
	int rc;

	rc = pio_lines_open_at(&l, piddir, "maps");
	if (rc < 0)
		return rc;
	while (pio_lines_next(&l, &line, &len))
		maps_one(m, c, p, piddir, &dc, line, len);
	rc = l.err;
	pio_lines_close(&l);
	return rc;
}

/* The path of ml's range from the maps file, read a line at a time. */
static bool maps_path_in_file(struct scan_ctx *c, int piddir, const struct maps_line *ml)
{
	struct pio_lines l;
	const char *s;
	size_t len;
	bool found = false;

	if (pio_lines_open_at(&l, piddir, "maps") < 0)
		return false;
	while (pio_lines_next(&l, &s, &len)) {
		struct maps_line ln;

		if (len > ml->rangelen && memcmp(s, ml->range, ml->rangelen) == 0 &&
		    s[ml->rangelen] == ' ' && maps_parse_line(s, len, &ln, &c->text) == 0) {
			found = ln.dev == ml->dev && ln.ino == ml->ino;
			break;
		}
	}
	pio_lines_close(&l);
	return found;
}

/* The maps path of the range in g, for a mapping the kernel side could
 * not name: map_files' link (CAP_SYS_ADMIN), else the maps line itself. */
static bool maps_path_of(struct scan_ctx *c, int piddir, const struct maps_line *ml)
{
	char name[96];
	ssize_t n;

	if (piddir < 0)
		return false;
	snprintf(name, sizeof(name), "map_files/%.*s", (int)ml->rangelen, ml->range);
	buf_reset(&c->text);
	buf_reserve(&c->text, PATH_MAX);
	n = readlinkat(piddir, name, c->text.data, c->text.cap - 1);
	if (n >= 0) {
		c->text.len = (size_t)n;
		c->text.data[n] = '\0';
		return true;
	}
	return maps_path_in_file(c, piddir, ml);
}

void maps_take(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir,
	       const struct map_given *g)
{
	char range[64];
	struct maps_line ml = { .range = range, .read = g->read, .write = g->write,
				.shared = g->shared, .dev = g->dev, .ino = g->ino,
				.path = g->path ? g->path : "", .pathlen = g->pathlen,
				.st = &g->st };
	int32_t key;
	int t;

	ml.rangelen = (size_t)snprintf(range, sizeof(range), "%llx-%llx",
				       (unsigned long long)g->start, (unsigned long long)g->end);
	if (g->path && sysv_name(ml.path, ml.pathlen, &key)) {
		if (!p->ipcns)
			p->ipcns = g->ipcns;
		maps_sysv(m, c, p, piddir, &ml, key);
		return;
	}
	if (ml.ino == 0 || (t = maps_kind(c, &ml)) < 0)
		return;
	/* a file of some /dev/shm: its name is needed only the first time */
	if (!g->path && !model_find(m, ml.dev, ml.ino) &&
	    !batch_seen(c->batch, ml.dev, ml.ino, 0)) {
		if (!maps_path_of(c, piddir, &ml))
			return;
		ml.path = c->text.data;
		ml.pathlen = c->text.len;
	}
	maps_object(m, c, p, piddir, &ml, (enum ipc_type)t);
}
