/* libFuzzer target: mq_parse_info(), the text read from a message queue's
 * file: "QSIZE:5  NOTIFY:0  SIGNO:0  NOTIFY_PID:0". */
#include "fuzz_common.h"

#include "collect/collect.h"
#include "kinds/mqueue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	struct ipc_mq mq;
	int rc;

	memset(&mq, 0, sizeof(mq));
	rc = mq_parse_info(buf, size, &mq);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(mq.known == (rc == 0));
	if (rc == 0)
		FUZZ_CHECK(mq.notify >= 0 && mq.signo >= 0 && mq.notify_pid >= 0);
	fuzz_touch_val(mq.qsize ^ (uint64_t)mq.notify ^ (uint64_t)mq.signo ^
		       (uint64_t)mq.notify_pid);
	free(buf);
	return 0;
}
