/* collect → link: what one object says of another is resolved here, once,
 * after every collector has run: each kind links its own objects (a
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
	link_kinds(m);
	if (m->waits_asked)
		waits_link(m);
}
