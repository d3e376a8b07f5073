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
	if (!scan_hex(&p, end, &ml->start) || !expect(&p, end, '-') ||
	    !scan_hex(&p, end, &ml->end))
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

/* One mapping being recorded: its facts, and what the maps line said
 * when it was read from /proc. */
struct map_rec {
	struct map_facts f;
	/* "start-end" as maps writes it, for map_files; NULL: from f */
	const char *range;
	size_t rangelen;
	/* the decoded maps path; NULL: made from f's name when needed */
	const char *path;
	size_t pathlen;
};

/* The facts of a parsed maps line, named by its path (decoded or not). */
static void rec_of_line(struct map_rec *r, const struct maps_line *ml, const char *path,
			size_t len)
{
	*r = (struct map_rec){ .f = { .start = ml->start, .end = ml->end, .dev = ml->dev,
				      .ino = ml->ino, .read = ml->read, .write = ml->write,
				      .shared = ml->shared },
			       .range = ml->range, .rangelen = ml->rangelen };
	kind_map_path(&r->f, path, len);
}

static uint8_t maps_mode(const struct map_facts *f)
{
	return (uint8_t)((f->read ? MODE_R : 0) | (f->write ? MODE_W : 0));
}

/* An attached segment of a namespaced kind (SysV): its maps inode is the
 * shmid, unique only within the process's IPC namespace. */
static void maps_sysv(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
		      int piddir, const struct map_facts *f, enum ipc_type type, int32_t key)
{
	const struct ipc_obj *o;
	struct scan_extra *e;
	uint32_t xi;
	uint64_t ns;

	if (!(c->types & kind_takes(type)) || f->ino > INT32_MAX)
		return;
	if (!p->ipcns)
		p->ipcns = c->rooted ? c->self_ipcns : proc_ipcns(piddir);
	ns = p->ipcns ? p->ipcns : c->self_ipcns;
	o = model_find_ns(m, c->devs.memfd, f->ino, ns);
	if (c->only_wanted && !(o && o->wanted))
		return;
	/* the namespace is part of the key, so every record carries it; a
	 * segment not in our /proc/sysvipc/shm lives in another namespace */
	e = batch_extra(c->batch, &xi);
	e->ns = ns;
	e->sysv = true;
	e->sysv_key = key;
	batch_add(c->batch, type, c->devs.memfd, f->ino, p, -1, maps_mode(f), xi);
}

static void maps_size(struct scan_extra *e, struct scan_ctx *c, int piddir,
		      const struct map_rec *r)
{
	char name[96];
	struct stat st;

	if (r->f.has_stat) {
		/* the bpf backend read the file's inode in the kernel */
		e->has_size = true;
		e->size = r->f.size;
		e->has_owner = true;
		e->owner = r->f.uid;
		e->has_resident = true;
		e->resident = r->f.blocks * 512;
		return;
	}
	if (c->rooted || !r->range || r->rangelen >= sizeof(name) - 10)
		return;
	memcpy(name, "map_files/", 10);
	memcpy(name + 10, r->range, r->rangelen);
	name[10 + r->rangelen] = '\0';
	/* needs CAP_SYS_ADMIN; without it the size and the memory used stay
	 * unknown: no file in /proc tells them for a mapping alone */
	if (stat_nosync(piddir, name, 0, &st, NULL) == 0 && st.st_dev == r->f.dev &&
	    st.st_ino == r->f.ino) {
		e->has_size = true;
		e->size = (uint64_t)st.st_size;
		e->has_owner = true;
		e->owner = st.st_uid;
		e->has_resident = true;
		e->resident = (uint64_t)st.st_blocks * 512;
	}
}

/* The maps path of a mapping the iterator named (a pseudo file): what
 * the kernel's d_path makes of it. Only to name a new object. */
static void rec_path(struct scan_ctx *c, struct map_rec *r)
{
	if (r->path)
		return;
	buf_reset(&c->text);
	if (r->f.name) {
		buf_addc(&c->text, '/');
		buf_add(&c->text, r->f.name, r->f.len);
		if (r->f.deleted)
			buf_adds(&c->text, KIND_DELETED);
	}
	r->path = c->text.data ? c->text.data : "";
	r->pathlen = c->text.len;
}

/* A mapping of a file-backed or anonymous shared object: the first time a
 * walker meets the object it names it; an object sized by its mappings
 * gets every range's length, the largest winning at the merge. */
static void maps_object(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
			int piddir, struct map_rec *r, enum ipc_type type)
{
	struct scan_batch *b = c->batch;
	const struct map_facts *f = &r->f;
	const struct ipc_obj *o = model_find(m, f->dev, f->ino);
	uint32_t xi = SCAN_NO_EXTRA;
	struct scan_extra *e = NULL;

	if (c->only_wanted && !(o && o->wanted))
		return;
	if (!o && !batch_seen(b, f->dev, f->ino, 0)) {
		e = batch_extra(b, &xi);
		rec_path(c, r);
		fd_name(c, piddir, &type, f->dev, f->ino, r->path, r->pathlen, e);
		maps_size(e, c, piddir, r);
		batch_mark(b, f->dev, f->ino, 0);
	}
	if (kind_has(type, KT_MAPSIZE)) {
		if (!e)
			e = batch_extra(b, &xi);
		e->has_size = true;
		e->size = f->end > f->start ? f->end - f->start : 0;
	}
	/* each range is a record; the merge makes one mapping holder per
	 * process of them, with the modes of all */
	batch_add(b, type, f->dev, f->ino, p, -1, maps_mode(f), xi);
}

/* Records a classified mapping: a namespaced kind's by its key (a SysV
 * "inode" is its shmid, and a new IPC namespace's first segment is shmid
 * 0); any other inode 0 is private. */
static void maps_record(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
			int piddir, struct map_rec *r, enum ipc_type type)
{
	const struct ipc_kind *k = ipc_kinds[type];
	int32_t key;

	if (k->map_key) {
		if (k->map_key(&r->f, &key))
			maps_sysv(m, c, p, piddir, &r->f, type, key);
		return;
	}
	if (r->f.ino != 0 && (c->types & kind_takes(type)))
		maps_object(m, c, p, piddir, r, type);
}

/* One line of maps_scan's. The classifier sees the path undecoded
 * first, so that only the lines of a kind pay for the decoding: no name
 * a kind knows has a backslash, so its verdict is the decoded path's. */
static void maps_one(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir,
		     const char *line, size_t len)
{
	struct maps_line ml;
	struct map_rec r;
	const char *path;
	int t;

	if (maps_parse_head(line, len, &ml, &path) < 0)
		return;
	rec_of_line(&r, &ml, path, (size_t)(line + len - path));
	if (kind_classify_map(&r.f, &c->devs) < 0)
		return;
	maps_decode_path(path, line + len, &ml, &c->text);
	rec_of_line(&r, &ml, ml.path, ml.pathlen);
	r.path = ml.path;
	r.pathlen = ml.pathlen;
	t = kind_classify_map(&r.f, &c->devs);
	if (t >= 0)
		maps_record(m, c, p, piddir, &r, (enum ipc_type)t);
}

/* A line at a time: a process makes its maps file as large as it likes
 * (65,000 mappings of 4 KB paths are 250 MB), and a whole-file buffer per
 * walker would be that large too. */
int maps_scan(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir)
{
	struct pio_lines l;
	const char *line;
	size_t len;
	int rc;

	rc = pio_lines_open_at(&l, piddir, "maps");
	if (rc < 0)
		return rc;
	while (pio_lines_next(&l, &line, &len))
		maps_one(m, c, p, piddir, line, len);
	rc = l.err;
	pio_lines_close(&l);
	return rc;
}

/* The path of r's range from the maps file, read a line at a time. */
static bool maps_path_in_file(struct scan_ctx *c, int piddir, const struct map_rec *r)
{
	struct pio_lines l;
	const char *s;
	size_t len;
	bool found = false;

	if (pio_lines_open_at(&l, piddir, "maps") < 0)
		return false;
	while (pio_lines_next(&l, &s, &len)) {
		struct maps_line ln;

		if (len > r->rangelen && memcmp(s, r->range, r->rangelen) == 0 &&
		    s[r->rangelen] == ' ' && maps_parse_line(s, len, &ln, &c->text) == 0) {
			found = ln.dev == r->f.dev && ln.ino == r->f.ino;
			break;
		}
	}
	pio_lines_close(&l);
	return found;
}

/* The maps path of r's range, for a mapping the kernel side could not
 * name: map_files' link (CAP_SYS_ADMIN), else the maps line itself. */
static bool maps_path_of(struct scan_ctx *c, int piddir, const struct map_rec *r)
{
	char name[96];
	ssize_t n;

	if (piddir < 0)
		return false;
	snprintf(name, sizeof(name), "map_files/%.*s", (int)r->rangelen, r->range);
	buf_reset(&c->text);
	buf_reserve(&c->text, PATH_MAX);
	n = readlinkat(piddir, name, c->text.data, c->text.cap - 1);
	if (n >= 0) {
		c->text.len = (size_t)n;
		c->text.data[n] = '\0';
		return true;
	}
	return maps_path_in_file(c, piddir, r);
}

void maps_take(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir,
	       const struct map_facts *g)
{
	struct map_rec r = { .f = *g };
	char range[64];
	int t = kind_classify_map(g, &c->devs);

	if (t < 0)
		return;
	if (ipc_kinds[t]->map_key) {
		if (!p->ipcns)
			p->ipcns = g->ipcns;
		maps_record(m, c, p, piddir, &r, (enum ipc_type)t);
		return;
	}
	if (g->ino == 0 || !(c->types & kind_takes((enum ipc_type)t)))
		return;
	/* a file of some /dev/shm: its name is needed only the first time */
	if (!g->name && !model_find(m, g->dev, g->ino) && !batch_seen(c->batch, g->dev, g->ino, 0)) {
		r.range = range;
		r.rangelen = (size_t)snprintf(range, sizeof(range), "%llx-%llx",
					      (unsigned long long)g->start,
					      (unsigned long long)g->end);
		if (!maps_path_of(c, piddir, &r))
			return;
		r.path = c->text.data;
		r.pathlen = c->text.len;
	}
	maps_record(m, c, p, piddir, &r, (enum ipc_type)t);
}
