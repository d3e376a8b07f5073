/* collect → link: what one object says of another is resolved here, once,
 * after every collector has run: a socket's peer and the listener whose
 * backlog holds it, the socket files live sockets are bound to, and which
 * processes the user asked about. Renderers then only follow pointers. */
#include <string.h>

#include "collect/collect.h"
#include "kinds/kind.h"

/* A client whose connection waits in a listener's backlog has no peer
 * socket yet: point it at the listener, whose process will accept it. */
void link_listeners(struct model *m)
{
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *l = m->objs[i];

		if (!obj_unix(l))
			continue;
		for (size_t k = 0; k < l->un.npending; k++) {
			struct ipc_obj *e = model_find_socket(m, l->un.pending[k]);

			if (e) {
				e->un.has_listener = true;
				e->un.listener = l->ino;
			}
		}
	}
}

/* A socket file is live when some socket is bound to it. sock_diag names
 * the bound file by (dev, inode), which is exact; /proc/PID/net/unix only by
 * path, which is used for the namespaces we could not enter. */
static void link_sockfile(struct model *m, const struct ipc_obj *s)
{
	struct ipc_obj *f;

	if (s->un.has_vfs) {
		f = model_find(m, s->un.vfs_dev, s->un.vfs_ino);
		if (f && f->sockfile)
			f->sockfile_live = true;
		return;
	}
	if (!s->un.from_procfs || !s->path || s->path[0] != '/')
		return;
	for (size_t k = 0; k < m->nobjs; k++) {
		f = m->objs[k];
		if (f->sockfile && f->pathlen == s->pathlen &&
		    memcmp(f->path, s->path, s->pathlen) == 0)
			f->sockfile_live = true;
	}
}

static void link_socket(struct model *m, struct ipc_obj *o)
{
	if (o->sockfile)
		return;
	o->un.nsenders = 0;
	o->un.peer_obj = o->un.has_peer ? model_find_socket(m, o->un.peer) : NULL;
	o->un.listener_obj = o->un.has_listener ? model_find_socket(m, o->un.listener) : NULL;
	link_sockfile(m, o);
}

/* A socket connected to one that is not connected back to it (a dgram
 * client of a bound server) is that one's sender: the server's other end,
 * which its own peer, none, does not show. */
static void link_sender(struct ipc_obj *o)
{
	struct ipc_obj *to = o->un.peer_obj;

	if (!to || to == o || to->sockfile || (to->un.peer_obj == o))
		return;
	to->un.senders = xreallocarray(to->un.senders, to->un.nsenders + 1,
				       sizeof(*to->un.senders));
	to->un.senders[to->un.nsenders++] = o;
}

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

void link_run(struct model *m, const pid_t *asked, size_t nasked)
{
	size_t nseen = 0;

	for (size_t i = 0; i < m->nprocs; i++) {
		m->procs[i]->asked = in_list(asked, nasked, m->procs[i]->pid);
		nseen += m->procs[i]->asked;
	}
	if (nseen < nasked)
		link_warn_unseen(m, asked, nasked);
	for (size_t i = 0; i < m->nobjs; i++)
		if (obj_unix(m->objs[i]))
			link_socket(m, m->objs[i]);
	for (size_t i = 0; i < m->nobjs; i++)
		if (obj_unix(m->objs[i]) && !m->objs[i]->sockfile)
			link_sender(m->objs[i]);
	for (int t = 0; t < IPC_NTYPES; t++)
		if (ipc_kinds[t]->link)
			ipc_kinds[t]->link(m);
}
