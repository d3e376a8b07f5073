/* libFuzzer target: ns_parse_mountinfo(), the /dev/shm and mqueue mounts,
 * single-file binds and nsfs mounts found in the text of
 * /proc/PID/mountinfo, with \ooo escapes undone. */
#include "fuzz_common.h"

#include "collect/mounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct ns_mounts mi = { 0 };
	int rc;

	rc = ns_parse_mountinfo(buf, size, &mi);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(rc == 0 || (!mi.shm.set && !mi.mq.set));
	if (mi.mq.set) {
		/* unescaping never makes the text longer */
		FUZZ_CHECK(mi.mq_dir.len <= size);
		fuzz_touch(mi.mq_dir.data, mi.mq_dir.len + 1);	/* NUL-terminated */
	}
	FUZZ_CHECK(mi.nbinds <= MNT_KEEP_MAX + 1 && mi.nnsfs <= MNT_KEEP_MAX + 1);
	for (size_t i = 0; i < mi.nbinds && i < MNT_KEEP_MAX; i++)
		FUZZ_CHECK(strlen(mi.binds[i].root) <= size);
	for (size_t i = 0; i < mi.nnsfs && i < MNT_KEEP_MAX; i++)
		FUZZ_CHECK(strlen(mi.nsfs[i].point) <= size);
	mounts_free(&mi);
	free(buf);
	return 0;
}
