/* libFuzzer target: cgroup_parse(), the cgroup v2 path and the container
 * id in the text of /proc/PID/cgroup. */
#include "fuzz_common.h"

#include "collect/collect.h"

static bool hex12(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[12] == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct cgroup_info ci;
	int rc;

	memset(&ci, 0x55, sizeof(ci));
	rc = cgroup_parse(buf, size, &ci);
	FUZZ_CHECK(rc == 0 || rc == -1);
	/* the path is a slice of the input, after "0::", on one line */
	if (ci.path) {
		FUZZ_CHECK(ci.path >= buf + 3 && ci.path + ci.pathlen <= buf + size);
		FUZZ_CHECK(memcmp(ci.path - 3, "0::", 3) == 0);
		FUZZ_CHECK(!memchr(ci.path, '\n', ci.pathlen));
		fuzz_touch(ci.path, ci.pathlen);
	}
	/* a short id is 12 lower-case hex digits, or empty */
	FUZZ_CHECK(ci.container[0] == '\0' || hex12(ci.container));
	FUZZ_CHECK(rc == 0 || (!ci.path && !ci.container[0]));
	fuzz_touch(ci.container, strlen(ci.container));
	free(buf);
	return 0;
}
