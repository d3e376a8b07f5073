/* libFuzzer target: fd_parse_fdinfo() and fd_fdinfo_facts(), the text of
 * /proc/PID/fdinfo/N. */
#include "fuzz_common.h"

#include "collect/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	uint64_t ino = 0;
	int mode = -1, mode2 = -1, rc, rc2;

	rc = fd_parse_fdinfo(buf, size, &mode, &ino);
	if (rc == 0)
		FUZZ_CHECK(mode >= 0 && mode <= (MODE_R | MODE_W));
	fuzz_touch_val(ino ^ (uint64_t)mode);
	/* ino is optional; without it the verdict must not change */
	rc2 = fd_parse_fdinfo(buf, size, &mode2, NULL);
	FUZZ_CHECK(rc2 == rc);
	FUZZ_CHECK(rc != 0 || mode2 == mode);
	{
		/* the facts a kind takes from the same text */
		struct fd_facts f = { 0 };

		fd_fdinfo_facts(buf, size, &f);
		FUZZ_CHECK(f.has_kf);
		fuzz_touch_val(f.kf.efd_count ^ f.kf.efd_id ^ f.kf.has_efd_count ^
			       ((unsigned)f.kf.has_efd_id << 1) ^ ((unsigned)f.kf.efd_semaphore << 2));
	}
	free(buf);
	return 0;
}
