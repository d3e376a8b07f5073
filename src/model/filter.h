/* Filters act on the model after it is linked, before it is rendered. */
#ifndef IPCSCOPE_FILTER_H
#define IPCSCOPE_FILTER_H

#include <stdbool.h>
#include <sys/types.h>

#include "model/model.h"

struct filter {
	unsigned types;		/* IPC_TYPE_BIT mask */
	pid_t *pids;
	size_t npids;
	bool has_uid;
	uid_t uid;
	char **globs;
	size_t nglobs;
	char **containers;	/* --container: 1 to 64 lower-case hex digits */
	size_t ncontainers;
	char **cgroups;		/* --cgroup: globs on the cgroup v2 path */
	size_t ncgroups;
};

/* The processes that place an object in a cgroup and a container: its
 * holders, one per holder entry, or for an object nobody holds its home
 * (see struct ipc_obj); NULL past the last. */
const struct ipc_proc *obj_cgroup_proc(const struct ipc_obj *o, size_t i);
/* Does a container's short id match ID, 1 to 64 lower-case hex digits:
 * the full id, the short one or a prefix, compared on their common
 * prefix (the short id's 12 digits, or all of a shorter ID)? */
bool filter_container_match(const char *id, const char *short_id);
/* Does GLOB match a cgroup path (fnmatch without FNM_PATHNAME: * spans
 * slashes), as it is or in the escaped form the table shows? */
bool filter_cgroup_match(const char *glob, const char *cgroup);

void filter_apply(struct model *m, const struct filter *f);
bool filter_path_match(const char *glob, const struct ipc_obj *o);
void filter_free(struct filter *f);
/* Keeps only the objects OBJECT names: a path, @abstract, pipe:[INO],
 * socket:[INO] or a bare inode. Returns how many matched. */
struct stat;
/* spec_st: what lstat says of spec as a path, or NULL (the caller looks,
 * through the collectors' reader, which honours IPCSCOPE_ROOT). */
size_t filter_select(struct model *m, const char *spec, const struct stat *spec_st);

#endif
