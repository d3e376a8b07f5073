/* shm: POSIX shared memory, a file in /dev/shm (shm_open). */
#include <string.h>
#include <sys/stat.h>

#include "kinds/kind.h"

static enum kind_match shm_match_fd(const struct fd_facts *f, const struct kind_devs *d)
{
	return f->fmt == S_IFREG && kind_devs_shm(d, f->dev) ? KM_YES : KM_NO;
}

/* By the device alone: a /dev/shm file may be mapped through any path (a
 * chroot's /srv/root/dev/shm/x, a bind mount of the tmpfs elsewhere), and
 * any file may be named /dev/shm/x from a root of its own. Only a fixture
 * tree, whose devices are made up (its /dev/shm is a directory of the
 * disk its maps' files seem to be on), is trusted by name alone. */
static bool shm_match_map(const struct map_facts *f, const struct kind_devs *d)
{
	if (d->rooted)
		return kind_map_starts(f, "dev/shm/");
	return kind_devs_shm(d, f->dev);
}

/* glibc's sem_open() names its file sem.NAME */
static enum ipc_type shm_refine(const char *path, size_t len)
{
	const char *base = path;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	len -= (size_t)(base - path);
	return len > 4 && memcmp(base, "sem.", 4) == 0 ? IPC_SEM : IPC_SHM;
}

/* what the /dev/shm listing found, with no fd and no mapping anywhere */
const struct leak_reason kind_leak_orphaned_shm = { "orphaned-shm", 0 };

bool kind_shm_leak(const struct model *m, const struct ipc_obj *o)
{
	(void)m;
	return o->in_dir;
}

/* what shm_unlink and sem_unlink do, but on the very file checked, and
 * only where the directory is still a tmpfs */
int kind_shm_remove(const struct ipc_obj *o)
{
	return kind_unlink_checked(o, S_IFREG, fd_on_tmpfs);
}

const struct ipc_kind kind_shm = {
	.name = "shm",
	.color = "\033[32m",
	.traits = KT_MAPPABLE | KT_PATHNAMED | KT_MEMORY,
	.naming = NAME_PATH,
	.match_fd = shm_match_fd,
	.match_map = shm_match_map,
	.refine = shm_refine,
	.refines = IPC_TYPE_BIT(IPC_SEM),
	.listings = LIST_DEVSHM,
	.leak_reason = &kind_leak_orphaned_shm,
	.finds = LIST_DEVSHM,
	.leak = kind_shm_leak,
	.remove = kind_shm_remove,
};
