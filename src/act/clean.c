/* Removal is the only thing ipcscope ever changes, so each object must be
 * what was planned, certainly leaked, still unheld in a scan made a moment
 * before, and still the same object when it is removed. How to remove it,
 * and what counts as used meanwhile, each kind says. */
#include "act/clean.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "kinds/kind.h"
#include "model/leaks.h"
#include "util.h"

static void describe(struct buf *b, const struct ipc_obj *o)
{
	buf_printf(b, "%s ", ipc_type_name(o->type));
	if (kind_of(o)->describe)
		kind_of(o)->describe(b, o);
	else if (o->path)
		esc_table(b, o->path, o->pathlen);
	if (o->home) {
		buf_adds(b, " [");
		model_home_text(b, o);
		buf_addc(b, ']');
	}
	if (o->has_size) {
		char sz[32];

		format_size(sz, sizeof(sz), o->size);
		buf_printf(b, " (%s, %s)", sz, o->leak->name);
	} else {
		buf_printf(b, " (%s)", o->leak->name);
	}
}

static bool same_name(const struct ipc_obj *a, const struct ipc_obj *b)
{
	if (!a->path || !b->path)
		return !a->path && !b->path;
	return a->pathlen == b->pathlen && memcmp(a->path, b->path, a->pathlen) == 0;
}

/* Why the fresh scan forbids removing o, or NULL when it allows it. */
static const char *recheck(const struct ipc_obj *o, const struct model *fresh)
{
	const struct ipc_obj *f = model_find_ns(fresh, o->dev, o->ino, o->ns);
	const char *why;

	if (!f)
		return "it is gone";
	if (f->type != o->type || !same_name(o, f))
		return "it changed";
	if (f->nholders)
		return "it has a holder now";
	if (f->leak != o->leak)
		return "it is in use now";
	if (f->has_times && (f->mtime != o->mtime))
		return "it was modified";
	if (kind_of(o)->used_since && (why = kind_of(o)->used_since(o, f)))
		return why;
	if (f->uncertain)
		return "the fresh scan could not see everything";
	return NULL;
}

/* Why o may not be removed before any scan again, or NULL. */
static const char *refusal(const struct ipc_obj *o, uid_t me, struct buf *why)
{
	buf_reset(why);
	if (me != 0 && (!o->has_owner || o->owner != me))
		buf_printf(why, "owned by %s; only root may remove it",
			   o->has_owner ? user_name(o->owner) : "another user");
	else if (o->uncertain)
		buf_printf(why, "uncertain: %s", o->uncertain);
	else if (!kind_of(o)->remove)
		buf_adds(why, "ipcscope cannot remove this kind");
	return why->len ? why->data : NULL;
}

/* o is the fresh scan's object: its home, if any, is alive a moment ago */
static void act(FILE *out, const struct ipc_obj *o, const char *d, struct clean_counts *n)
{
	int rc = kind_of(o)->remove(o);

	if (rc == -ESTALE || rc == -ENOENT) {
		fprintf(out, "skipped %s: it changed at the last moment\n", d);
		n->skipped++;
	} else if (rc == -EBUSY) {
		fprintf(out, "skipped %s: it is open or mapped somewhere no scan shows (an fd in "
			"flight, an io_uring, a loop device), or was opened at the last moment\n", d);
		n->skipped++;
	} else if (rc < 0) {
		fprintf(out, "failed %s: %s\n", d, strerror(-rc));
		n->failed++;
	} else {
		fprintf(out, "removed %s\n", d);
		n->removed++;
	}
}

void clean_run(FILE *out, const struct model *planned, const struct model *fresh,
	       struct clean_counts *n)
{
	uid_t me = geteuid();
	struct buf d = { 0 }, why = { 0 };

	memset(n, 0, sizeof(*n));
	/* a removal holds a write lease, whose break is signalled with SIGIO
	 * (by default fatal); the break is read from F_GETLEASE instead */
	if (fresh)
		signal(SIGIO, SIG_IGN);
	for (size_t i = 0; i < planned->nobjs; i++) {
		const struct ipc_obj *o = planned->objs[i];
		const char *no;

		if (o->hidden || !o->leak)
			continue;
		n->planned++;
		buf_reset(&d);
		describe(&d, o);
		no = refusal(o, me, &why);
		if (!no && fresh)
			no = recheck(o, fresh);
		if (no) {
			fprintf(out, "skipped %s: %s\n", d.data, no);
			n->skipped++;
		} else if (!fresh) {
			fprintf(out, "would remove %s\n", d.data);
		} else {
			act(out, model_find_ns(fresh, o->dev, o->ino, o->ns), d.data, n);
		}
	}
	buf_free(&d);
	buf_free(&why);
}
