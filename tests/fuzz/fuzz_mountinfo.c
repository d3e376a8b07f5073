/* libFuzzer target: mq_find_mount(), the mqueue mount point found in the
 * text of /proc/self/mountinfo, with its \ooo escapes undone. */
#include "fuzz_common.h"

#include "collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct buf out = { 0 };
	int rc;

	rc = mq_find_mount(buf, size, &out);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		/* unescaping never makes the text longer */
		FUZZ_CHECK(out.len <= size);
		if (out.data)
			fuzz_touch(out.data, out.len + 1);	/* NUL-terminated */
	}
	buf_free(&out);
	free(buf);
	return 0;
}
