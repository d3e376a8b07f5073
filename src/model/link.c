/* collect → link: what one object says of another is resolved here, once,
 * after every collector has run: which namespaces each object lives in,
 * and its home there; what mounts hold; each kind links its own objects (a
 * socket's peer, the listener whose backlog holds it, the socket files
 * live sockets are bound to), then the processes the user asked about, and
 * who waits on whom. Renderers then only follow pointers. */
#include <string.h>

#include "model/link.h"

#include "kinds/kind.h"
#include "model/waitgraph.h"

static bool in_list(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* A pid asked about that the walk did not meet: said, as a process that
 * holds nothing is not. Processes come and go, so it is no error. */
void link_warn_unseen(struct model *m, const pid_t *asked, size_t nasked)
{
	for (size_t k = 0; k < nasked; k++) {
		bool seen = false;

		for (size_t i = 0; i < m->nprocs && !seen; i++)
			seen = m->procs[i]->pid == asked[k];
		if (!seen)
			model_warn(m, "no process %d was seen: it has exited, is a kernel thread or "
				   "is outside this pid namespace", (int)asked[k]);
	}
}

static const struct place_fs *place_fs_of(const struct model_places *pl, dev_t dev)
{
	for (size_t i = 0; i < pl->nfs; i++)
		if (pl->fs[i].dev == dev)
			return &pl->fs[i];
	return NULL;
}

static struct ipc_proc *place_ipc_home(const struct model_places *pl, uint64_t ns)
{
	for (size_t i = 0; i < pl->nipc; i++)
		if (pl->ipc[i].ns == ns)
			return pl->ipc[i].home;
	return NULL;
}

/* The namespaces each object lives in, by its device or its SysV
 * namespace, and the home of another namespace's: the process through
 * which the collectors reached it, which names its container. */
static void link_homes(struct model *m)
{
	const struct model_places *pl = &m->places;

	for (size_t i = 0; i < m->nobjs; i++) {
		struct ipc_obj *o = m->objs[i];
		const struct place_fs *f = place_fs_of(pl, o->dev);

		/* an fdinfo id (eventfd-id) completes an identity too, and
		 * names no namespace */
		if (o->ns && !ipc_kinds[o->type]->anon_id) {
			o->ipcns = o->ns;
			if (o->ns != pl->self_ipcns)
				o->home = place_ipc_home(pl, o->ns);
		} else if (f) {
			o->home = f->home;
			if (f->mqueue)
				o->ipcns = f->ipcns;
			else
				o->mntns = f->home->mntns;
		} else if (pl->have_devshm && o->dev == pl->devshm) {
			o->mntns = pl->self_mntns;
		} else if (pl->have_mqueue && o->dev == pl->mqueue) {
			o->ipcns = pl->self_ipcns;
		}
	}
}

/* Does a mount of a part of dev end in "/NAME" (base is "/NAME")? A mount
 * of a single file is held by the mount, whichever namespace shows it; its
 * root is the file's path inside the filesystem, which the object's name
 * (a path in our namespace, or below another namespace's /dev/shm) need
 * not spell the same way, but whose last part it shares. */
static bool mounted_as(const struct model_places *pl, dev_t dev, const char *base, size_t n,
		       bool *any)
{
	for (size_t i = 0; i < pl->nbinds; i++) {
		const char *r = pl->binds[i].root;
		size_t rl = strlen(r);

		if (pl->binds[i].dev != dev)
			continue;
		*any = true;
		if (rl >= n && memcmp(r + rl - n, base, n) == 0)
			return true;
	}
	return false;
}

/* A file found by a listing or the leak search that a mount shows
 * somewhere is held by that mount; one with other names (hard links) may
 * be mounted by one of them, which is not known. */
static void link_mounted(const struct model_places *pl, struct ipc_obj *o)
{
	const char *base = o->path ? memrchr(o->path, '/', o->pathlen) : NULL;
	bool any = false;

	if (!base)
		return;
	if (mounted_as(pl, o->dev, base, o->pathlen - (size_t)(base - o->path), &any))
		o->held_by |= HELD_MOUNT;
	else if (o->other_names && any)
		o->doubt = "it has other names (hard links), and a mount of a file of its "
			   "filesystem may be one of them";
	if (!o->doubt)
		o->doubt = pl->binds_doubt;
}

static void link_mounts(struct model *m)
{
	for (size_t i = 0; i < m->nobjs; i++)
		if (m->objs[i]->in_dir || m->objs[i]->on_disk)
			link_mounted(&m->places, m->objs[i]);
}

void link_kinds(struct model *m)
{
	for (int t = 0; t < IPC_NTYPES; t++)
		if (ipc_kinds[t]->link)
			ipc_kinds[t]->link(m);
}

void link_stage(struct model *m, const pid_t *asked, size_t nasked)
{
	size_t nseen = 0;

	for (size_t i = 0; i < m->nprocs; i++) {
		m->procs[i]->asked = in_list(asked, nasked, m->procs[i]->pid);
		nseen += m->procs[i]->asked;
	}
	if (nseen < nasked)
		link_warn_unseen(m, asked, nasked);
	link_homes(m);
	link_mounts(m);
	link_kinds(m);
	if (m->waits_asked)
		waits_link(m);
}
