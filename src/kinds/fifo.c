/* fifo: a named pipe, a FIFO file in some directory. */
#include <sys/stat.h>

#include "kinds/kind.h"
#include "kinds/pipe.h"

static enum kind_match fifo_match_fd(const struct fd_facts *f, const struct kind_devs *d)
{
	return f->fmt == S_IFIFO && !(d->have_pipefs && f->dev == d->pipefs) ? KM_YES : KM_NO;
}

/* a FIFO file in a directory: the leak search's, a sleeping open's */
static bool fifo_match_disk(const struct fd_facts *f)
{
	return f->fmt == S_IFIFO;
}

/* found on disk by the leak search, and open nowhere */
static const struct leak_reason fifo_orphaned = { "orphaned-fifo", 3 };

static bool fifo_leak(const struct model *m, const struct ipc_obj *o)
{
	(void)m;
	return o->on_disk;
}

static int fifo_remove(const struct ipc_obj *o)
{
	return kind_unlink_checked(o, S_IFIFO, NULL);
}

const struct ipc_kind kind_fifo = {
	.name = "fifo",
	.color = "\033[33m",
	.traits = KT_PIPELIKE | KT_PATHNAMED,
	.kdata_size = sizeof(struct ipc_pipe),
	.naming = NAME_PATH,
	.match_fd = fifo_match_fd,
	.match_disk = fifo_match_disk,
	.queued = kind_pipe_queued,
	.capacity = kind_pipe_capacity,
	.detail = kind_pipe_detail,
	.detail_peer = kind_pipe_detail_peer,
	.json = kind_pipe_json,
	.wait_state = kind_pipe_wait_state,
	.wait_wakers = kind_pipe_wait_wakers,
	.leak_reason = &fifo_orphaned,
	.leak = fifo_leak,
	.leak_needs_openers = true,
	.remove = fifo_remove,
};
