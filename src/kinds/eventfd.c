/* eventfd: a counter two processes signal each other through (eventfd(2)),
 * often shared across fork. All eventfds share one anonymous inode, so the
 * identity is the "eventfd-id" fdinfo gives (Linux 6.8 and later); its
 * holders are every fd that has it, in every process, as lsfd and lsof +E
 * show the endpoints. */
#include <string.h>

#include "render/jw.h"
#include "kinds/kind.h"
#include "kinds/eventfd.h"

static enum kind_match efd_match_fd(const struct fd_facts *f, const struct kind_devs *d)
{
	if (f->fmt != 0 || (d->have_anon && f->dev != d->anon))
		return KM_NO;
	/* the name is in the link's text, or the iterator's dentry */
	if (!f->anon)
		return f->text ? KM_NO : KM_TEXT;
	return f->anonlen >= 9 && memcmp(f->anon, "[eventfd]", 9) == 0 ? KM_YES : KM_NO;
}

/* any anonymous inode's link ("anon_inode:NAME"): on the anonymous
 * inodes' filesystem, which match_fd then tells by its name */
static bool efd_fixture(struct fd_facts *f, const struct kind_devs *d)
{
	if (!f->anon || f->anonlen == 0)
		return false;
	f->fmt = 0;
	f->dev = d->anon;
	return true;
}

static bool efd_anon_id(const struct fd_facts *f, uint64_t *id)
{
	if (!f->has_kf || !f->kf.has_efd_id)
		return false;
	*id = f->kf.efd_id;
	return true;
}

static void efd_facts(struct ipc_obj *o, const struct kind_facts *kf)
{
	efd_st(o)->known = kf->has_efd_count;
	efd_st(o)->count = kf->has_efd_count ? kf->efd_count : 0;
	efd_st(o)->has_id = kf->has_efd_id;
	efd_st(o)->id = kf->has_efd_id ? kf->efd_id : 0;
	efd_st(o)->semaphore = kf->efd_semaphore;
}

/* PATH: the name show takes it by, as one inode serves every eventfd */
static void efd_label(struct buf *out, const struct ipc_obj *o)
{
	if (efd_st(o)->has_id)
		buf_printf(out, "eventfd:%llu", (unsigned long long)efd_st(o)->id);
}

/* the counter is what a reader would take */
static bool efd_queued(const struct ipc_obj *o, uint64_t *v)
{
	if (!efd_st(o)->known)
		return false;
	*v = efd_st(o)->count;
	return true;
}

static void efd_detail(FILE *out, const struct model *m, const struct ipc_obj *o,
		       const struct render_opts *ro, struct buf *tmp)
{
	(void)m, (void)ro, (void)tmp;
	if (efd_st(o)->has_id)
		fprintf(out, "  %-9s %llu\n", "id", (unsigned long long)efd_st(o)->id);
	if (efd_st(o)->known)
		fprintf(out, "  %-9s %llu%s\n", "count", (unsigned long long)efd_st(o)->count,
			efd_st(o)->semaphore ? " (semaphore)" : "");
}

static void efd_json(struct jw *w, const struct model *m, const struct ipc_obj *o)
{
	(void)m;
	jw_obj_begin(w, "eventfd");
	jw_u64_or_null(w, "id", efd_st(o)->has_id, efd_st(o)->id);
	jw_u64_or_null(w, "count", efd_st(o)->known, efd_st(o)->count);
	jw_bool(w, "semaphore", efd_st(o)->semaphore);
	jw_obj_end(w);
}

/* a read waits while the count is zero, a write while it would overflow;
 * only its holders can change it */
static const char *efd_wait_state(enum wait_dir d)
{
	return d == WD_READ ? "zero" : d == WD_WRITE ? "overflow" : "waiting";
}

static bool efd_wait_wakers(const struct model *m, const struct ipc_obj *o, enum wait_dir d,
			    void (*fn)(void *arg, const struct ipc_holder *h), void *arg)
{
	(void)m, (void)d;
	for (size_t i = 0; i < o->nholders; i++)
		fn(arg, &o->holders[i]);
	return true;
}

const struct ipc_kind kind_eventfd = {
	.name = "eventfd",
	.color = "\033[1;35m",
	.traits = 0,
	.kdata_size = sizeof(struct ipc_eventfd),
	.naming = NAME_NONE,
	.anon_id = efd_anon_id,
	.facts = efd_facts,
	.id_prefix = "eventfd:",
	.match_fd = efd_match_fd,
	.fixture = efd_fixture,
	.queued = efd_queued,
	.label = efd_label,
	.detail = efd_detail,
	.json = efd_json,
	.wait_state = efd_wait_state,
	.wait_wakers = efd_wait_wakers,
};
