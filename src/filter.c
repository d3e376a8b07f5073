#include "filter.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "util.h"

bool filter_path_match(const char *glob, const struct ipc_obj *o)
{
	struct buf b = { 0 };
	bool hit;

	if (!o->path)
		return false;
	/* Match the raw bytes, and also the escaped form the table shows, so
	 * a name with a newline or a NUL can still be selected. */
	buf_add(&b, o->path, o->pathlen);
	hit = !memchr(b.data, '\0', b.len) && fnmatch(glob, b.data, 0) == 0;
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

static bool matches(const struct ipc_obj *o, const struct filter *f)
{
	if (!(f->types & IPC_TYPE_BIT(o->type)))
		return false;
	if (f->npids && !held_by_pid(o, f))
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
	return true;
}

void filter_apply(struct model *m, const struct filter *f)
{
	for (size_t i = 0; i < m->nobjs; i++)
		m->objs[i]->hidden = !matches(m->objs[i], f);
}

void filter_free(struct filter *f)
{
	free(f->pids);
	free(f->globs);
	f->pids = NULL;
	f->globs = NULL;
	f->npids = f->nglobs = 0;
}
