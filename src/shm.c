/* The /dev/shm directory: POSIX shm objects and named semaphores, held or
 * not. Never follows a symlink someone planted there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect.h"
#include "pathio.h"

#define SHM_DIR "/dev/shm"

enum ipc_type shm_type_of(const char *path, size_t len)
{
	const char *base = path;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	len -= (size_t)(base - path);
	/* glibc's sem_open() names its file sem.NAME */
	return len > 4 && memcmp(base, "sem.", 4) == 0 ? IPC_SEM : IPC_SHM;
}

int shm_scan_dir(struct model *m, struct scan_ctx *c)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int dfd;

	dfd = pio_open(SHM_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (dfd < 0)
		return dfd;
	if (fstat(dfd, &st) == 0) {
		c->devshm_dev = st.st_dev;
		c->have_devshm = true;
	}
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		struct ipc_obj *o;
		size_t namelen = strlen(de->d_name);
		enum ipc_type type;

		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		type = shm_type_of(de->d_name, namelen);
		if (!(c->types & IPC_TYPE_BIT(type)))
			continue;
		o = model_get(m, type, st.st_dev, st.st_ino, NULL);
		buf_reset(&c->text);
		buf_adds(&c->text, SHM_DIR "/");
		buf_add(&c->text, de->d_name, namelen);
		model_set_path(o, c->text.data, c->text.len);
		o->in_dir = true;
		o->deleted = false;
		o->has_size = true;
		o->size = (uint64_t)st.st_size;
		o->has_owner = true;
		o->owner = st.st_uid;
	}
	closedir(dir);
	return 0;
}
