/* memfd: an anonymous file from memfd_create(2), held by fd or mapping; on
 * the shmem tmpfs, or on hugetlbfs with MFD_HUGETLB. */
#include <string.h>
#include <sys/stat.h>

#include "kinds/kind.h"

/* An unlinked file is a memfd only if its name says so: the memfd tmpfs
 * holds other never-linked files, and one made with MFD_HUGETLB lives on
 * hugetlbfs instead, so the device alone cannot tell. */
static enum kind_match memfd_match_fd(const struct fd_facts *f, const struct kind_devs *d)
{
	if (f->fmt != S_IFREG || f->nlink != 0 || !kind_devs_internal(d, f->dev))
		return KM_NO;
	if (!f->text)
		return KM_TEXT;
	return kind_text_starts(f, "/memfd:") ? KM_YES : KM_NO;
}

/* "/memfd:NAME (deleted)": on the memfd tmpfs, never linked */
static bool memfd_fixture(struct fd_facts *f, const struct kind_devs *d)
{
	if (!(f->text && f->len > 7 && memcmp(f->text, "/memfd:", 7) == 0))
		return false;
	f->fmt = S_IFREG;
	f->dev = d->memfd;
	return true;
}

static bool memfd_match_map(const struct map_facts *f, const struct kind_devs *d)
{
	return kind_devs_internal(d, f->dev) && kind_map_starts(f, "memfd:");
}

const struct ipc_kind kind_memfd = {
	.name = "memfd",
	.color = "\033[34m",
	.traits = KT_MAPPABLE | KT_MEMORY,
	/* /dev/shm's device tells a memfd from a /dev/shm file */
	.listings = LIST_DEVSHM,
	.naming = NAME_MEMFD,
	.match_fd = memfd_match_fd,
	.match_map = memfd_match_map,
	.fixture = memfd_fixture,
};
