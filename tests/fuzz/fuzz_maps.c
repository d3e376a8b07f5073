/* libFuzzer target: maps_parse_line(), fed the input line by line as
 * maps_scan() does with /proc/PID/maps (each line without its '\n'). */
#include "fuzz_common.h"

#include "collect/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	const char *s = buf, *end = buf + size;
	struct buf path = { 0 };

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		size_t len;
		struct maps_line ml;
		char *line;

		if (!eol)
			eol = end;
		len = (size_t)(eol - s);
		/* each line in its own exact block, so running past the end
		 * of a line is caught, not only past the end of the file */
		line = fuzz_dup((const uint8_t *)s, len);
		if (maps_parse_line(line, len, &ml, &path) == 0) {
			FUZZ_CHECK(ml.range == line);
			FUZZ_CHECK(ml.rangelen >= 3 && ml.rangelen <= len);
			FUZZ_CHECK(ml.path != NULL);
			/* "\012" decodes to one byte, everything else is copied */
			FUZZ_CHECK(ml.pathlen <= len - ml.rangelen);
			fuzz_touch(ml.range, ml.rangelen);
			fuzz_touch(ml.path, ml.pathlen + 1);	/* NUL-terminated */
			fuzz_touch_val(ml.ino ^ (uint64_t)ml.dev ^ ml.read ^
				       ((unsigned)ml.write << 1) ^ ((unsigned)ml.shared << 2));
		}
		free(line);
		s = eol + 1;
	}
	buf_free(&path);
	free(buf);
	return 0;
}
