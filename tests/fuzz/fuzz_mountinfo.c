/* libFuzzer target: ns_parse_mountinfo(), the /dev/shm and mqueue mounts
 * found in the text of /proc/PID/mountinfo, with \ooo escapes undone. */
#include "fuzz_common.h"

#include "ns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct ns_mounts mi = { 0 };
	int rc;

	rc = ns_parse_mountinfo(buf, size, &mi);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(rc == 0 || (!mi.has_shm && !mi.has_mq));
	if (mi.has_mq) {
		/* unescaping never makes the text longer */
		FUZZ_CHECK(mi.mq_dir.len <= size);
		fuzz_touch(mi.mq_dir.data, mi.mq_dir.len + 1);	/* NUL-terminated */
	}
	buf_free(&mi.mq_dir);
	free(buf);
	return 0;
}
