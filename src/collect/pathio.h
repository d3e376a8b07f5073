/* Every read of /proc, /dev/shm and /dev/mqueue goes through these, so a
 * test (or a fuzzer) can point the whole tool at a captured fixture tree
 * with IPCSCOPE_ROOT=DIR. */
#ifndef IPCSCOPE_PATHIO_H
#define IPCSCOPE_PATHIO_H

#include <stdbool.h>
#include <sys/stat.h>

#include "util.h"

/* root: NULL or "" for the live system. Returns 0 or -errno. */
int pio_init(const char *root);
void pio_fini(void);
/* True when a fixture root is in use: live-only tricks (netlink, probing
 * pseudo filesystems) must then be skipped. */
bool pio_rerooted(void);
/* The root as given, for messages; "/" when live. */
const char *pio_root(void);

/* open(2) an absolute path below the root; O_CLOEXEC is always added.
 * Returns an fd or -errno. */
int pio_open(const char *abspath, int flags);
int pio_lstat(const char *abspath, struct stat *st);

/* Read a whole file into b (replacing its contents). 0 or -errno. */
int pio_read_at(int dirfd, const char *name, struct buf *b);
int pio_read(const char *abspath, struct buf *b);

#endif
