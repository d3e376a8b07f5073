/* libFuzzer target: shm_parse_sysvipc(), the text of /proc/sysvipc/shm. */
#include "fuzz_common.h"

#include "collect/collect.h"

static void on_entry(void *arg, const struct sysv_entry *e)
{
	int *calls = arg;

	(*calls)++;
	FUZZ_CHECK(e->shmid >= 0);
	fuzz_touch_val((uint64_t)e->key ^ (uint64_t)e->shmid ^ e->perms ^ e->size ^
		       e->nattch ^ e->rss ^ e->swap ^ e->cpid ^ e->lpid ^ e->uid ^
		       e->gid ^ e->cuid ^ e->cgid ^ (uint64_t)e->atime ^
		       (uint64_t)e->dtime ^ (uint64_t)e->ctime);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	int calls = 0, n;

	n = shm_parse_sysvipc(buf, size, on_entry, &calls);
	FUZZ_CHECK(n == -1 || n == calls);
	FUZZ_CHECK(n >= 0 || calls == 0);
	free(buf);
	return 0;
}
