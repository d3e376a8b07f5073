/* libFuzzer target: unix_parse_procnet(), the /proc/net/unix reader. */
#include "fuzz_common.h"

#include "collect/collect.h"
#include "kinds/unix.h"

struct ctx {
	const char *buf;
	size_t len;
	int calls;
};

static void on_entry(void *arg, const struct unix_entry *e)
{
	struct ctx *c = arg;

	c->calls++;
	fuzz_touch_val(e->ino ^ e->stype ^ e->state ^ e->peer ^ e->uid ^
		       e->rqueue ^ e->wqueue ^ e->vfs_ino ^ (uint64_t)e->vfs_dev ^
		       e->has_peer ^ e->has_uid ^ e->has_rq ^ e->has_vfs);
	FUZZ_CHECK(e->state <= US_LISTEN);
	/* procfs gives no peers, queues, owners or pending clients */
	FUZZ_CHECK(!e->has_peer && !e->has_rq && !e->has_uid && !e->has_vfs);
	FUZZ_CHECK(e->nicons == 0);
	if (e->namelen) {
		/* the name is a slice of the input, never past its end */
		FUZZ_CHECK(e->name >= c->buf && e->name + e->namelen <= c->buf + c->len);
		fuzz_touch(e->name, e->namelen);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct ctx c = { buf, size, 0 };
	int n;

	n = unix_parse_procnet(buf, size, on_entry, &c);
	FUZZ_CHECK(n == -1 || n == c.calls);
	FUZZ_CHECK(n >= 0 || c.calls == 0);
	free(buf);
	return 0;
}
