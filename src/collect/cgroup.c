/* The cgroup v2 path of the processes that hold something, and the
 * container a runtime's cgroup names, from /proc/PID/cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"
#include "collect/ns.h"
#include "collect/pathio.h"
#include "collect/proc.h"

#define CG_ID_LEN 64		/* a container id: 64 hex digits */

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The runtimes' scopes: docker-ID.scope (docker with systemd),
 * cri-containerd-ID.scope, crio-ID.scope and libpod-ID.scope (podman). */
static const char *const scope_prefix[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };

static bool scope_id(const char *c, size_t n, const char **id)
{
	static const char suffix[] = ".scope";
	size_t sl = sizeof(suffix) - 1;

	for (size_t i = 0; i < ARRAY_SIZE(scope_prefix); i++) {
		size_t pl = strlen(scope_prefix[i]);

		if (n == pl + CG_ID_LEN + sl && memcmp(c, scope_prefix[i], pl) == 0 &&
		    memcmp(c + n - sl, suffix, sl) == 0 && all_hex(c + pl, CG_ID_LEN)) {
			*id = c + pl;
			return true;
		}
	}
	return false;
}

/* The innermost component of path that names a container: a runtime's
 * scope, or ID right below a component "docker" (/docker/ID, docker's
 * cgroupfs driver). Copies its first 12 digits to out. */
static bool find_container(const char *path, size_t len, char out[13])
{
	const char *end = path + len, *id = NULL;

	while (end > path) {
		const char *c = end;
		size_t n;

		while (c > path && c[-1] != '/')
			c--;
		n = (size_t)(end - c);
		if (scope_id(c, n, &id))
			break;
		if (n == CG_ID_LEN && all_hex(c, n) && c - path >= 7 &&
		    memcmp(c - 7, "docker/", 7) == 0 && (c - 7 == path || c[-8] == '/')) {
			id = c;
			break;
		}
		/* the component before this one, without its slash */
		end = c > path ? c - 1 : path;
	}
	if (!id)
		return false;
	memcpy(out, id, 12);
	out[12] = '\0';
	return true;
}

int cgroup_parse(const char *buf, size_t len, struct cgroup_info *ci)
{
	const char *p = buf, *end = buf + len;
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof(deleted) - 1, n;

	ci->path = NULL;
	ci->pathlen = 0;
	ci->container[0] = '\0';
	/* "0::PATH", the unified hierarchy's line */
	for (p = buf; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if (eol - p >= 3 && memcmp(p, "0::", 3) == 0) {
			ci->path = p + 3;
			ci->pathlen = (size_t)(eol - p - 3);
			break;
		}
		p = eol + 1;
	}
	if (ci->path) {
		/* a cgroup removed under a process that is exiting */
		n = ci->pathlen;
		if (n >= dl && memcmp(ci->path + n - dl, deleted, dl) == 0)
			n -= dl;
		if (find_container(ci->path, n, ci->container))
			return 0;
	}
	/* On a cgroup v1 (or hybrid) host the runtime may have put the
	 * process in a container's cgroup of the v1 controllers only:
	 * "ID:CONTROLLERS:PATH", the first that names one. */
	for (p = buf; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *c1, *c2;

		if (!eol)
			eol = end;
		c1 = memchr(p, ':', (size_t)(eol - p));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		if (c2 && c1 > p && !(c1 - p == 1 && *p == '0') &&
		    find_container(c2 + 1, (size_t)(eol - c2 - 1), ci->container))
			return 0;
		p = eol + 1;
	}
	return ci->path ? 0 : -1;
}

void cgroup_read(struct ipc_proc *p, int piddir, struct buf *b)
{
	struct cgroup_info ci;

	p->cgroup_read = true;
	if (pio_read_at(piddir, "cgroup", b) == 0 && cgroup_parse(b->data, b->len, &ci) == 0) {
		free(p->cgroup);
		p->cgroup = ci.path ? xmemdup(ci.path, ci.pathlen) : NULL;
		memcpy(p->container, ci.container, sizeof(p->container));
	}
	/* gone, hidden or not ours to read: no cgroup, which is no error */
}

/* A process the walk did not read it for: through its /proc directory
 * once that is known to be the process the walk saw (a pid may have been
 * reused since). */
static void read_one(struct ipc_proc *p, struct buf *b)
{
	/* checked, and a live thread's once the leader exited */
	int dfd = proc_open_view(p);

	if (dfd < 0)
		return;
	cgroup_read(p, dfd, b);
	close(dfd);
}

static void need_home(void *arg, struct ipc_proc *home)
{
	bool *need = arg;

	need[home->idx] = true;
}

/* The cgroups of every namespace's home, which the link step gives the
 * objects of that namespace (and of the processes that listed some), and,
 * when asked, of every holder. */
void cgroup_collect(struct model *m, const struct scan_ctx *c, bool holders)
{
	bool *need = xcalloc(m->nprocs ? m->nprocs : 1, sizeof(*need));
	struct buf b = { 0 };

	ns_each_home(c, need_home, need);
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		for (size_t k = 0; holders && k < o->nholders; k++)
			need[o->holders[k].proc->idx] = true;
		if (o->home)
			need[o->home->idx] = true;
	}
	for (size_t i = 0; i < m->nprocs; i++)
		if (need[i] && !m->procs[i]->cgroup_read)
			read_one(m->procs[i], &b);
	buf_free(&b);
	free(need);
}
