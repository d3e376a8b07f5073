/* Filters act on the model after it is linked, before it is rendered. */
#ifndef IPCSCOPE_FILTER_H
#define IPCSCOPE_FILTER_H

#include <stdbool.h>
#include <sys/types.h>

#include "model.h"

struct filter {
	unsigned types;		/* IPC_TYPE_BIT mask */
	pid_t *pids;
	size_t npids;
	bool has_uid;
	uid_t uid;
	char **globs;
	size_t nglobs;
};

void filter_apply(struct model *m, const struct filter *f);
bool filter_path_match(const char *glob, const struct ipc_obj *o);
void filter_free(struct filter *f);
/* Keeps only the objects OBJECT names: a path, @abstract, pipe:[INO],
 * socket:[INO] or a bare inode. Returns how many matched. */
size_t filter_select(struct model *m, const char *spec);

#endif
