/* mountinfo, read a line at a time, and the rules that decide which
 * IPC filesystems are trusted. See mounts.h for why. */
#include "collect/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "collect/pathio.h"

static bool parse_devno(const char *f, size_t n, dev_t *dev)
{
	const char *p = f, *end = f + n;
	uint64_t maj, min;

	if (!scan_u64(&p, end, &maj) || p >= end || *p++ != ':' ||
	    !scan_u64(&p, end, &min) || p != end || maj > 0xfff || min > 0xfffff)
		return false;
	*dev = makedev((unsigned)maj, (unsigned)min);
	return true;
}

/* mountinfo writes space, tab, newline and backslash in paths as \ooo */
static void unescape_octal(struct buf *out, const char *s, size_t n)
{
	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			buf_addc(out, (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
			i += 3;
		} else {
			buf_addc(out, s[i]);
		}
	}
}

static bool field_is(const char *f, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(f, s, n) == 0;
}

/* The fields of one line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS
 * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS". */
struct mnt_line {
	uint64_t id;
	dev_t dev;
	const char *root, *point, *fs;
	size_t rootlen, pointlen, fslen;
};

static bool split_line(const char *p, const char *eol, struct mnt_line *l)
{
	const char *f[5], *sep;
	size_t n[5];

	for (int i = 0; i < 5; i++)
		if (!scan_field(&p, eol, &f[i], &n[i]))
			return false;
	sep = memmem(p, (size_t)(eol - p), " - ", 3);
	if (!sep || !parse_devno(f[2], n[2], &l->dev))
		return false;
	p = f[0];
	if (!scan_u64(&p, f[0] + n[0], &l->id) || p != f[0] + n[0] || l->id > UINT32_MAX)
		return false;
	l->root = f[3];
	l->rootlen = n[3];
	l->point = f[4];
	l->pointlen = n[4];
	p = sep + 3;
	return scan_field(&p, eol, &l->fs, &l->fslen);
}

static void set_fact(struct mnt_fact *m, const struct mnt_line *l)
{
	size_t n = l->fslen < sizeof(m->fstype) - 1 ? l->fslen : sizeof(m->fstype) - 1;

	m->set = true;
	m->id = (uint32_t)l->id;
	m->dev = l->dev;
	m->whole = field_is(l->root, l->rootlen, "/");
	memcpy(m->fstype, l->fs, n);
	/* a name too long to keep is no name we trust */
	m->fstype[n] = '\0';
	if (l->fslen != n)
		m->fstype[0] = '?';
}

static void keep_bind(struct ns_mounts *mi, const struct mnt_line *l)
{
	struct buf b = { 0 };

	if (mi->nbinds >= MNT_KEEP_MAX) {
		mi->nbinds = MNT_KEEP_MAX + 1;
		return;
	}
	unescape_octal(&b, l->root, l->rootlen);
	mi->binds = xreallocarray(mi->binds, mi->nbinds + 1, sizeof(*mi->binds));
	mi->binds[mi->nbinds++] = (struct mnt_bind){ l->dev, buf_steal(&b) };
}

/* nsfs mounts name their namespace in the root field: "net:[4026532288]" */
static void keep_nsfs(struct ns_mounts *mi, const struct mnt_line *l)
{
	bool net = l->rootlen > 5 && memcmp(l->root, "net:[", 5) == 0;
	const char *p = l->root + 5;	/* past "net:[" or "mnt:[" */
	struct buf b = { 0 };
	uint64_t ino;

	if (!net && !(l->rootlen > 5 && memcmp(l->root, "mnt:[", 5) == 0))
		return;
	if (!scan_u64(&p, l->root + l->rootlen, &ino) || p != l->root + l->rootlen - 1 || *p != ']')
		return;
	if (mi->nnsfs >= MNT_KEEP_MAX) {
		mi->nnsfs = MNT_KEEP_MAX + 1;
		return;
	}
	unescape_octal(&b, l->point, l->pointlen);
	mi->nsfs = xreallocarray(mi->nsfs, mi->nnsfs + 1, sizeof(*mi->nsfs));
	mi->nsfs[mi->nnsfs++] = (struct mnt_nsfs){ ino, net, buf_steal(&b) };
}

bool mounts_line(const char *p, size_t len, struct ns_mounts *mi)
{
	struct mnt_line l;

	if (!split_line(p, p + len, &l))
		return false;
	mi->lines++;
	/* a later mount on the same place is on top of the earlier one */
	if (field_is(l.point, l.pointlen, "/dev/shm"))
		set_fact(&mi->shm, &l);
	else if (field_is(l.point, l.pointlen, "/"))
		set_fact(&mi->root, &l);
	else if (field_is(l.point, l.pointlen, "/dev"))
		set_fact(&mi->dev, &l);
	if (!mi->mq.set && field_is(l.fs, l.fslen, "mqueue")) {
		set_fact(&mi->mq, &l);
		unescape_octal(&mi->mq_dir, l.point, l.pointlen);
	}
	/* a bind of a part of a filesystem, whatever its type: it may be a
	 * single file (a FIFO a container is given, a /dev/shm file) */
	if (field_is(l.fs, l.fslen, "nsfs")) {
		if (mi->nnsfs <= MNT_KEEP_MAX)
			keep_nsfs(mi, &l);
	} else if (!field_is(l.root, l.rootlen, "/") && mi->nbinds <= MNT_KEEP_MAX) {
		keep_bind(mi, &l);
	}
	return true;
}

int ns_parse_mountinfo(const char *buf, size_t len, struct ns_mounts *out)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		mounts_line(p, (size_t)(eol - p), out);
		p = eol + 1;
	}
	return out->lines ? 0 : -1;
}

int mounts_read_at(int dirfd, const char *name, struct ns_mounts *out)
{
	struct pio_lines l;
	const char *line;
	size_t len;
	int rc = pio_lines_open_at(&l, dirfd, name);

	if (rc < 0)
		return rc;
	while (pio_lines_next(&l, &line, &len) == 1)
		mounts_line(line, len, out);
	rc = l.err;
	pio_lines_close(&l);
	if (rc == 0 && !out->lines)
		rc = -EBADMSG;
	return rc;
}

int mounts_dev_is_mqueue(int dirfd, const char *name, dev_t dev, bool *mq)
{
	struct pio_lines l;
	struct mnt_line ml;
	const char *line;
	size_t len;
	bool found = false;
	int rc = pio_lines_open_at(&l, dirfd, name);

	if (rc < 0)
		return rc;
	/* every mount of a device is of its one superblock: the first says */
	while (!found && pio_lines_next(&l, &line, &len) == 1)
		if (split_line(line, line + len, &ml) && ml.dev == dev) {
			found = true;
			*mq = field_is(ml.fs, ml.fslen, "mqueue");
		}
	rc = l.err;
	pio_lines_close(&l);
	return found ? 1 : rc;
}

void mounts_free(struct ns_mounts *mi)
{
	for (size_t i = 0; i < mi->nbinds && i < MNT_KEEP_MAX; i++)
		free(mi->binds[i].root);
	for (size_t i = 0; i < mi->nnsfs && i < MNT_KEEP_MAX; i++)
		free(mi->nsfs[i].point);
	free(mi->binds);
	free(mi->nsfs);
	buf_free(&mi->mq_dir);
	memset(mi, 0, sizeof(*mi));
}

/* ---------------------------------------------------------------- trust */

/* Where container runtimes mount a container's /dev/shm on the host before
 * binding it into the container (docker under any data-root, containerd's
 * CRI sandboxes, CRI-O and podman). A tmpfs mounted anywhere else on the
 * host is an ordinary one: /run, /tmp, an admin's. */
static const struct {
	const char *tail;	/* the last parts of the path, "*" one part */
	int parts;
} runtime_shm[] = {
	{ "containers/*/mounts/shm", 4 },
	{ "io.containerd.grpc.v1.cri/sandboxes/*/shm", 4 },
	{ "overlay-containers/*/userdata/shm", 4 },
};

/* The last n parts of path ("a/b/c"), or NULL when it has fewer. */
static const char *last_parts(const char *path, int n)
{
	const char *p = path + strlen(path);

	while (p > path) {
		if (*--p == '/' && --n == 0)
			return p + 1;
	}
	return NULL;
}

/* A container's id is one part of the path: FNM_PATHNAME keeps "*" from
 * matching a "/". */
static bool runtime_shm_point(const char *point)
{
	for (size_t i = 0; i < ARRAY_SIZE(runtime_shm); i++) {
		const char *t = last_parts(point, runtime_shm[i].parts);

		if (t && fnmatch(runtime_shm[i].tail, t, FNM_PATHNAME) == 0)
			return true;
	}
	return false;
}

int mounts_host_read(struct host_mounts *h)
{
	struct pio_lines l;
	struct buf point = { 0 };
	const char *line;
	size_t len;
	int rc = pio_lines_open(&l, "/proc/self/mountinfo");

	if (rc < 0)
		return rc;
	while (pio_lines_next(&l, &line, &len) == 1) {
		struct mnt_line ml;
		struct host_tmpfs *t;

		if (!split_line(line, line + len, &ml) || !field_is(ml.fs, ml.fslen, "tmpfs"))
			continue;
		unescape_octal(&point, ml.point, ml.pointlen);
		h->tmpfs = xreallocarray(h->tmpfs, h->ntmpfs + 1, sizeof(*h->tmpfs));
		t = &h->tmpfs[h->ntmpfs++];
		t->dev = ml.dev;
		t->shm_ok = field_is(ml.root, ml.rootlen, "/") &&
			    (strcmp(point.data, "/dev/shm") == 0 || runtime_shm_point(point.data));
		t->point = xstrdup(point.data);
	}
	rc = l.err;
	pio_lines_close(&l);
	buf_free(&point);
	h->read = rc == 0;
	return rc;
}

void mounts_host_free(struct host_mounts *h)
{
	for (size_t i = 0; i < h->ntmpfs; i++)
		free(h->tmpfs[i].point);
	free(h->tmpfs);
	memset(h, 0, sizeof(*h));
}

/* Filesystems whose lookups and stats are answered by the kernel alone.
 * Anything else (FUSE, NFS, CIFS, 9p, ...) may make a caller wait for as
 * long as another process likes, so no path through one is ever walked. */
static const char *const local_fs[] = {
	"tmpfs", "devtmpfs", "ramfs", "overlay", "ext2", "ext3", "ext4", "xfs", "btrfs",
	"zfs", "squashfs", "erofs", "f2fs", "vfat", "rootfs", "bcachefs", "jfs",
	"nilfs2", "iso9660", "udf", "mqueue",
};

bool mounts_fstype_local(const char *fstype)
{
	for (size_t i = 0; i < ARRAY_SIZE(local_fs); i++)
		if (strcmp(fstype, local_fs[i]) == 0)
			return true;
	return false;
}

/* The path to /dev/shm or /dev/mqueue: / and /dev must be local. */
static const char *path_refusal(const struct ns_mounts *mi)
{
	if (mi->root.set && !mounts_fstype_local(mi->root.fstype))
		return "its root filesystem is not a local one (FUSE or network)";
	if (mi->dev.set && !mounts_fstype_local(mi->dev.fstype))
		return "its /dev is not a local filesystem (FUSE or network)";
	return NULL;
}

const char *mounts_shm_refusal(const struct ns_mounts *mi, const struct host_mounts *h,
			       bool own)
{
	const char *why = path_refusal(mi);

	if (!mi->shm.set)
		return "nothing is mounted on /dev/shm";
	if (strcmp(mi->shm.fstype, "tmpfs") != 0)
		return "/dev/shm is not a tmpfs";
	if (!mi->shm.whole)
		return "/dev/shm is a bind of a directory, not a whole tmpfs";
	if (why || own)
		return why;
	if (!h->read)
		return "our own mountinfo could not be read to compare";
	for (size_t i = 0; i < h->ntmpfs; i++)
		if (h->tmpfs[i].dev == mi->shm.dev && !h->tmpfs[i].shm_ok)
			return "/dev/shm is one of this host's own tmpfs mounts, not a shm mount";
	return NULL;
}

/* An mqueue filesystem cannot be forged: its type is the kernel's. A path
 * to it through other mounts than / and /dev is walked in a child that the
 * scan waits for only so long (ns.c). */
const char *mounts_mq_refusal(const struct ns_mounts *mi)
{
	if (!mi->mq.set)
		return "no mqueue filesystem is mounted";
	if (!mi->mq.whole)
		return "its mqueue mount is a bind of a part of one";
	return path_refusal(mi);
}
