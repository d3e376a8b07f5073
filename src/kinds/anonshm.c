/* anonshm: anonymous shared memory, mmap(MAP_SHARED | MAP_ANONYMOUS),
 * shared by the processes that inherited it across fork; PostgreSQL's main
 * shared buffers are one. In maps it reads "rw-s ... 00:01 INODE /dev/zero
 * (deleted)", with the same inode in every process. It has no name and no
 * fd, and dies with its last mapping, so it never leaks. */
#include <string.h>

#include "kinds/kind.h"

#define ANON_NAME "dev/zero"	/* "/dev/zero (deleted)" */

static bool anon_match_map(const struct map_facts *f, const struct kind_devs *d)
{
	return f->shared && f->deleted && f->len == strlen(ANON_NAME) &&
	       memcmp(f->name, ANON_NAME, f->len) == 0 &&
	       (d->rooted || (d->have_memfd && f->dev == d->memfd));
}

const struct ipc_kind kind_anonshm = {
	.name = "anonshm",
	.color = "\033[32m",
	.traits = KT_MAPPABLE | KT_MEMORY | KT_MAPSIZE,
	.naming = NAME_NONE,
	.match_map = anon_match_map,
};
