/* Finds socket files and FIFOs on disk, for leak hunting: recursive, on
 * one filesystem, depth-limited, never following a symlink and never
 * opening anything but directories. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/collect.h"
#include "collect/pathio.h"

#define SEARCH_MAX_DEPTH 8
#define SEARCH_MAX_ENTRIES 1000000
/* Files the search adds to the model at most: each is an object, about
 * 400 bytes, and a table row more, and anyone may make 300,000 FIFOs in
 * /tmp (200 MB). Files that some process holds are objects already, and
 * are not counted. */
#define SEARCH_MAX_FOUND 65536

struct search {
	struct model *m;
	struct scan_ctx *c;
	struct buf path;
	size_t entries, found;
	bool truncated;
};

static void found(struct search *s, const struct stat *st, enum ipc_type type)
{
	struct ipc_obj *o;
	bool created;

	/* only the kinds asked for: a FIFO is not worth a look for -t unix */
	if (!(s->c->types & IPC_TYPE_BIT(type)))
		return;
	if (s->found >= SEARCH_MAX_FOUND && !model_find(s->m, st->st_dev, st->st_ino)) {
		s->truncated = true;
		return;
	}
	o = model_get(s->m, type, st->st_dev, st->st_ino, &created);
	/* a socket's file, not the socket: what it is bound to */
	if (kind_has(type, KT_SOCKET))
		o->sockfile = true;
	o->on_disk = true;
	o->other_names = st->st_nlink > 1;
	s->found += created;
	if (created || !o->path)
		model_set_path(o, s->path.data, s->path.len);
	o->has_owner = true;
	o->owner = st->st_uid;
	o->has_times = true;
	o->mtime = st->st_mtim.tv_sec;
	o->atime = st->st_atim.tv_sec;
}

static void walk(struct search *s, int dfd, dev_t dev, int depth)
{
	struct dirent *de;
	DIR *dir = fdopendir(dfd);
	size_t base = s->path.len;

	if (!dir) {
		close(dfd);
		return;
	}
	while ((de = readdir(dir))) {
		struct stat st;
		int t;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++s->entries > SEARCH_MAX_ENTRIES) {
			s->truncated = true;
			break;
		}
		if (de->d_type != DT_UNKNOWN && de->d_type != DT_DIR && de->d_type != DT_SOCK &&
		    de->d_type != DT_FIFO)
			continue;
		if (stat_nosync(dirfd(dir), de->d_name, AT_SYMLINK_NOFOLLOW, &st, NULL) < 0)
			continue;
		s->path.len = base;
		if (base && s->path.data[base - 1] != '/')
			buf_addc(&s->path, '/');
		buf_adds(&s->path, de->d_name);
		t = kind_classify_disk(&(struct fd_facts){ .fmt = st.st_mode & S_IFMT,
							   .dev = st.st_dev,
							   .ino = st.st_ino,
							   .nlink = st.st_nlink });
		if (t >= 0) {
			found(s, &st, (enum ipc_type)t);
		} else if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
			int sub;

			if (depth >= SEARCH_MAX_DEPTH) {
				s->truncated = true;
				continue;
			}
			sub = openat(dirfd(dir), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk(s, sub, dev, depth + 1);
		}
	}
	s->path.len = base;
	if (s->path.data)
		s->path.data[base] = '\0';
	closedir(dir);
}

int search_files(struct model *m, struct scan_ctx *c, const char *const *roots,
		 size_t nroots)
{
	struct search s = { .m = m, .c = c };

	for (size_t i = 0; i < nroots; i++) {
		struct stat st;
		int dfd;

		/* a root that is itself a symlink (/var/run -> /run) is skipped:
		 * its target is searched under its own name */
		dfd = pio_open(roots[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (dfd < 0)
			continue;
		if (fstat(dfd, &st) < 0) {
			close(dfd);
			continue;
		}
		buf_reset(&s.path);
		buf_adds(&s.path, roots[i]);
		while (s.path.len > 1 && s.path.data[s.path.len - 1] == '/')
			s.path.data[--s.path.len] = '\0';
		walk(&s, dfd, st.st_dev, 1);
	}
	if (s.truncated)
		model_warn(m, "the search for socket files and FIFOs stopped at depth %d, "
			   "after %d entries or %d files found; some may be missing",
			   SEARCH_MAX_DEPTH, SEARCH_MAX_ENTRIES, SEARCH_MAX_FOUND);
	buf_free(&s.path);
	return 0;
}
