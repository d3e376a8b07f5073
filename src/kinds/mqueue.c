/* mqueue: a POSIX message queue, a file on the mqueue filesystem. */
#include <sys/stat.h>

#include "render/jw.h"
#include "kinds/kind.h"
#include "kinds/mqueue.h"

static enum kind_match mq_match_fd(const struct fd_facts *f, const struct kind_devs *d)
{
	return f->fmt == S_IFREG && (f->on_mqueue || kind_devs_mqueue(d, f->dev)) ? KM_YES
										  : KM_NO;
}

/* The counts mq_getattr gave through a holder's fd (fd.c's probes), for
 * a queue that no listing described. */
static void mq_facts(struct ipc_obj *o, const struct kind_facts *kf)
{
	struct ipc_mq *q = mq_st(o);

	if (!kf->has_mq_attr)
		return;
	q->has_attr = true;
	q->curmsgs = kf->mq_curmsgs;
	q->maxmsg = kf->mq_maxmsg;
	q->msgsize = kf->mq_msgsize;
	o->has_size = mq_qsize(q, &o->size);
}

static const struct leak_reason mq_orphaned = { "orphaned-mqueue", 4 };

static bool mq_leak(const struct model *m, const struct ipc_obj *o)
{
	(void)m;
	return o->in_dir;
}

/* what mq_unlink does, and only where the directory is still an mqueue
 * filesystem: one swapped for another since the scan holds no queue */
static int mq_remove(const struct ipc_obj *o)
{
	return kind_unlink_checked(o, S_IFREG, fd_on_mqueue_fs);
}

static void mqueue_json(struct jw *w, const struct model *m, const struct ipc_obj *o)
{
	const struct ipc_mq *q = mq_st(o);
	uint64_t qsize = 0;
	bool has_qsize = mq_qsize(q, &qsize);

	(void)m;
	jw_obj_begin(w, "mqueue");
	jw_u64_or_null(w, "qsize", has_qsize, qsize);
	jw_int_or_null(w, "notify_pid", q->known && q->notify_pid, q->notify_pid);
	jw_int_or_null(w, "notify", q->known, q->notify);
	jw_int_or_null(w, "signo", q->known, q->signo);
	jw_u64_or_null(w, "messages", q->has_attr, q->curmsgs);
	jw_u64_or_null(w, "maxmsg", q->has_attr, q->maxmsg);
	jw_u64_or_null(w, "msgsize", q->has_attr, q->msgsize);
	jw_obj_end(w);
}

static const char *mq_wait_state(enum wait_dir d)
{
	return d == WD_READ ? "empty" : d == WD_WRITE ? "full" : "waiting";
}

const struct ipc_kind kind_mqueue = {
	.name = "mqueue",
	.color = "\033[1;36m",
	.traits = KT_PATHNAMED | KT_FDATTR,
	.listings = LIST_MQUEUE,
	.kdata_size = sizeof(struct ipc_mq),
	.naming = NAME_MQUEUE,
	.finds = LIST_MQUEUE,
	.facts = mq_facts,
	.match_fd = mq_match_fd,
	.leak_reason = &mq_orphaned,
	.leak = mq_leak,
	.remove = mq_remove,
	.json = mqueue_json,
	.wait_state = mq_wait_state,
};
