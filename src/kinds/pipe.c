/* pipe: an anonymous pipe, known only by its inode on pipefs. */
#include <sys/stat.h>

#include "kinds/kind.h"
#include "kinds/pipe.h"

static enum kind_match pipe_match_fd(const struct fd_facts *f, const struct kind_devs *d)
{
	return f->fmt == S_IFIFO && d->have_pipefs && f->dev == d->pipefs ? KM_YES : KM_NO;
}

static bool pipe_fixture(struct fd_facts *f, const struct kind_devs *d)
{
	if (!kind_text_bracket(f, "pipe:[", &f->ino))
		return false;
	f->fmt = S_IFIFO;
	f->dev = d->pipefs;
	return true;
}

const struct ipc_kind kind_pipe = {
	.name = "pipe",
	.color = "\033[36m",
	.traits = KT_PIPELIKE,
	.kdata_size = sizeof(struct ipc_pipe),
	.naming = NAME_NONE,
	.anon_prefix = "pipe:[",
	.match_fd = pipe_match_fd,
	.fixture = pipe_fixture,
	.queued = kind_pipe_queued,
	.capacity = kind_pipe_capacity,
	.detail = kind_pipe_detail,
	.detail_peer = kind_pipe_detail_peer,
	.json = kind_pipe_json,
	.wait_state = kind_pipe_wait_state,
	.wait_wakers = kind_pipe_wait_wakers,
};
