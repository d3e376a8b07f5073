/* libFuzzer target: unix_parse_diag(), one recv() buffer of a sock_diag
 * AF_UNIX dump (nlmsghdr + unix_diag_msg + rtattrs, possibly many). */
#include <errno.h>

#include "fuzz_common.h"

#include "collect/collect.h"
#include "kinds/unix.h"

static void on_entry(void *arg, const struct unix_entry *e)
{
	int *calls = arg;

	(*calls)++;
	fuzz_touch_val(e->ino ^ e->stype ^ e->state ^ e->peer ^ e->uid ^
		       e->rqueue ^ e->wqueue ^ e->vfs_ino ^ (uint64_t)e->vfs_dev ^
		       e->has_peer ^ e->has_uid ^ e->has_rq ^ e->has_vfs);
	FUZZ_CHECK(e->state <= US_LISTEN);
	FUZZ_CHECK(!e->has_peer || e->peer != 0);
	if (e->namelen) {
		FUZZ_CHECK(e->name != NULL);
		fuzz_touch(e->name, e->namelen);
	}
	/* the pending clients: nicons unaligned u32 inodes */
	if (e->nicons) {
		FUZZ_CHECK(e->icons != NULL);
		fuzz_touch(e->icons, e->nicons * 4);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	bool done = true;
	int calls = 0, n;

	n = unix_parse_diag(buf, size, on_entry, &calls, &done);
	FUZZ_CHECK(n < 0 || n == calls);
	FUZZ_CHECK(n < 0 || n <= (int)(size / 32));	/* 32: the smallest message */
	free(buf);
	return 0;
}
