/* Shared by the libFuzzer harnesses of tests/fuzz/. Not part of ipcscope. */
#ifndef IPCSCOPE_FUZZ_COMMON_H
#define IPCSCOPE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzzer's bytes in a heap block of exactly their size, with no NUL
 * after them: one byte of over-read is an ASan report. (ASan's malloc(0)
 * is a real zero-sized block, so even empty input is checked.) */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
	char *p = malloc(size);

	if (!p && size)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

/* Reads every byte of [p, p+n), so ASan checks the whole range, and keeps
 * the compiler from dropping the reads. */
static volatile unsigned fuzz_sink;

static inline void fuzz_touch(const void *p, size_t n)
{
	const unsigned char *s = p;
	unsigned h = 0;

	for (size_t i = 0; i < n; i++)
		h = h * 31 + s[i];
	fuzz_sink += h;
}

static inline void fuzz_touch_val(unsigned long long v)
{
	fuzz_sink += (unsigned)(v ^ (v >> 32));
}

/* A broken promise of the parser's API (not a memory error): stop loudly
 * so libFuzzer saves the input. */
#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#endif
