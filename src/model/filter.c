#include "model/filter.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escape.h"
#include "kinds/kind.h"
#include "util.h"

/* "/run/app" also selects what lies below the directory /run/app. */
static bool below(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n > 0 && dir[0] == '/' && strncmp(path, dir, n) == 0 &&
	       (path[n] == '/' || (n == 1 && path[0] == '/'));
}

bool filter_path_match(const char *glob, const struct ipc_obj *o)
{
	struct buf b = { 0 };
	bool hit;

	if (!o->path && kind_of(o)->label) {
		/* no path: what the PATH column shows instead, a SysV key */
		kind_of(o)->label(&b, o);
		hit = fnmatch(glob, b.data, 0) == 0;
		buf_free(&b);
		return hit;
	}
	if (!o->path)
		return false;
	/* Match the raw bytes, and also the escaped form the table shows, so
	 * a name with a newline or a NUL can still be selected. */
	buf_add(&b, o->path, o->pathlen);
	hit = !memchr(b.data, '\0', b.len) &&
	      (fnmatch(glob, b.data, 0) == 0 || below(glob, b.data));
	if (!hit) {
		buf_reset(&b);
		esc_table(&b, o->path, o->pathlen);
		hit = fnmatch(glob, b.data, 0) == 0;
	}
	buf_free(&b);
	return hit;
}

static bool held_by_pid(const struct ipc_obj *o, const struct filter *f)
{
	for (size_t i = 0; i < o->nholders; i++)
		for (size_t k = 0; k < f->npids; k++)
			if (o->holders[i].proc->pid == f->pids[k])
				return true;
	return false;
}

static bool belongs_to_uid(const struct ipc_obj *o, uid_t uid)
{
	if (o->has_owner && o->owner == uid)
		return true;
	for (size_t i = 0; i < o->nholders; i++)
		if (o->holders[i].proc->euid == uid)
			return true;
	return false;
}

const struct ipc_proc *obj_cgroup_proc(const struct ipc_obj *o, size_t i)
{
	if (o->nholders)
		return i < o->nholders ? o->holders[i].proc : NULL;
	return i == 0 ? o->home : NULL;
}

bool filter_container_match(const char *id, const char *short_id)
{
	size_t n = strlen(id);

	if (n > 12)
		n = 12;
	return short_id[0] && n && strncmp(id, short_id, n) == 0;
}

bool filter_cgroup_match(const char *glob, const char *cgroup)
{
	struct buf b = { 0 };
	bool hit;

	if (!cgroup)
		return false;
	if (fnmatch(glob, cgroup, 0) == 0)
		return true;
	esc_table(&b, cgroup, strlen(cgroup));
	hit = b.data && strcmp(b.data, cgroup) != 0 && fnmatch(glob, b.data, 0) == 0;
	buf_free(&b);
	return hit;
}

/* Which processes --container and --cgroup select, each decided once, by
 * index in model.procs: a process must match both when both are given. */
static uint8_t *select_procs(const struct model *m, const struct filter *f)
{
	uint8_t *sel = xcalloc(m->nprocs ? m->nprocs : 1, 1);

	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ipc_proc *p = m->procs[i];
		bool c = !f->ncontainers, g = !f->ncgroups;

		for (size_t k = 0; !c && k < f->ncontainers; k++)
			c = filter_container_match(f->containers[k], p->container);
		for (size_t k = 0; !g && k < f->ncgroups; k++)
			g = filter_cgroup_match(f->cgroups[k], p->cgroup);
		sel[i] = c && g;
	}
	return sel;
}

/* Held by a selected process, or, nobody holding it, at home in one. */
static bool in_selected(const struct ipc_obj *o, const uint8_t *sel)
{
	const struct ipc_proc *p;

	for (size_t i = 0; (p = obj_cgroup_proc(o, i)); i++)
		if (sel[p->idx])
			return true;
	return false;
}

/* opened: a --pid process sleeps opening it (a FIFO with no partner yet,
 * which no one holds), which makes it that process's as a holder would. */
static bool matches(const struct ipc_obj *o, const struct filter *f, const uint8_t *sel,
		    bool opened)
{
	if (!(f->types & IPC_TYPE_BIT(o->type)))
		return false;
	if (f->npids && !opened && !held_by_pid(o, f))
		return false;
	if (f->has_uid && !belongs_to_uid(o, f->uid))
		return false;
	if (f->nglobs) {
		size_t i;

		for (i = 0; i < f->nglobs; i++)
			if (filter_path_match(f->globs[i], o))
				break;
		if (i == f->nglobs)
			return false;
	}
	if (sel && !in_selected(o, sel))
		return false;
	return true;
}

void filter_apply(struct model *m, const struct filter *f)
{
	uint8_t *sel = f->ncontainers || f->ncgroups ? select_procs(m, f) : NULL;

	for (size_t i = 0; i < m->nobjs; i++)
		m->objs[i]->hidden = !matches(m->objs[i], f, sel, false);
	for (size_t i = 0; f->npids && i < m->nwaits; i++) {
		const struct ipc_wait *w = &m->waits[i];

		for (size_t k = 0; w->fd < 0 && w->obj && w->obj->hidden && k < f->npids; k++)
			if (w->proc->pid == f->pids[k])
				w->obj->hidden = !matches(w->obj, f, sel, true);
	}
	free(sel);
}

void filter_free(struct filter *f)
{
	for (size_t i = 0; i < f->ncontainers; i++)
		free(f->containers[i]);
	free(f->pids);
	free(f->globs);
	free(f->containers);
	free(f->cgroups);
	f->pids = NULL;
	f->globs = NULL;
	f->containers = NULL;
	f->cgroups = NULL;
	f->npids = f->nglobs = f->ncontainers = f->ncgroups = 0;
}

/* Exact name match, on the raw bytes or on the escaped form the table shows. */
static bool name_is(const struct ipc_obj *o, const char *name)
{
	struct buf b = { 0 };
	size_t n = strlen(name);
	bool hit;

	if (!o->path)
		return false;
	if (o->pathlen == n && memcmp(o->path, name, n) == 0)
		return true;
	esc_table(&b, o->path, o->pathlen);
	hit = b.len == n && memcmp(b.data, name, n) == 0;
	buf_free(&b);
	return hit;
}

static bool parse_bracket(const char *spec, const char *prefix, uint64_t *ino)
{
	size_t pl = strlen(prefix), n = strlen(spec);
	char num[32];

	if (n <= pl + 1 || n - pl - 1 >= sizeof(num) || strncmp(spec, prefix, pl) != 0 ||
	    spec[n - 1] != ']')
		return false;
	memcpy(num, spec + pl, n - pl - 1);
	num[n - pl - 1] = '\0';
	return parse_u64(num, ino);
}

/* "pipe:[INO]", "socket:[INO]": the kind whose fd links read so, or -1 */
static int anon_spec(const char *spec, uint64_t *ino)
{
	for (int t = 0; t < IPC_NTYPES; t++)
		if (ipc_kinds[t]->anon_prefix && parse_bracket(spec, ipc_kinds[t]->anon_prefix, ino))
			return t;
	return -1;
}

/* "eventfd:ID": the kind whose objects share an inode and are told apart
 * by an fdinfo id, or -1 */
static int id_spec(const char *spec, uint64_t *id)
{
	for (int t = 0; t < IPC_NTYPES; t++) {
		const char *pre = ipc_kinds[t]->id_prefix;
		size_t pl = pre ? strlen(pre) : 0;

		/* ids without the top bit: the others are made up per fd */
		if (pre && strncmp(spec, pre, pl) == 0 && parse_u64(spec + pl, id) &&
		    !(*id >> 63))
			return t;
	}
	return -1;
}

size_t filter_select(struct model *m, const char *spec, const struct stat *spec_st)
{
	enum { BY_INODE, BY_NAME, BY_ID, BY_SOCKFILE, BY_KIND_ID } how = BY_NAME;
	int want_type = -1;
	struct stat st = { 0 };
	uint64_t ino = 0;
	size_t hits = 0;

	want_type = anon_spec(spec, &ino);
	if (want_type >= 0) {
		how = BY_INODE;
	} else if ((want_type = id_spec(spec, &ino)) >= 0) {
		how = BY_KIND_ID;
	} else if (parse_u64(spec, &ino)) {
		how = BY_INODE;
	} else if (spec[0] != '@' && spec_st) {
		st = *spec_st;
		how = S_ISSOCK(st.st_mode) ? BY_SOCKFILE : BY_ID;
	}
	bool *sel = xcalloc(m->nobjs, sizeof(*sel));

	for (int pass = 0; pass < 2 && !hits; pass++) {
		for (size_t i = 0; i < m->nobjs; i++) {
			const struct ipc_obj *o = m->objs[i];
			bool hit = false;

			if (o->hidden)
				continue;
			switch (how) {
			case BY_INODE:
				/* "socket:[INO]" names a socket a collector re-typed too */
				hit = o->ino == ino && (want_type < 0 || (int)o->type == want_type ||
							(kind_of(o)->found_as & IPC_TYPE_BIT(want_type)));
				break;
			case BY_ID:
				hit = o->dev == st.st_dev && o->ino == st.st_ino;
				break;
			case BY_KIND_ID:
				hit = (int)o->type == want_type && o->ns == ino;
				break;
			case BY_SOCKFILE:
				/* the socket bound to this file, by identity; by name
				 * only when the kernel gave no identity (net/unix) */
				hit = kind_of(o)->bound_to &&
				      kind_of(o)->bound_to(o, &st, spec, pass == 1);
				break;
			case BY_NAME:
				hit = name_is(o, spec);
				break;
			}
			sel[i] = hit;
			hits += hit;
		}
		if (how != BY_SOCKFILE)
			break;
	}
	for (size_t i = 0; i < m->nobjs; i++)
		if (!sel[i])
			m->objs[i]->hidden = true;
	free(sel);
	return hits;
}
