/* sem: a POSIX named semaphore, /dev/shm/sem.NAME (sem_open). The /dev/shm
 * kind recognises its file and refines it here by name. */
#include "kinds/kind.h"

const struct ipc_kind kind_sem = {
	.name = "sem",
	.color = "\033[32m",
	.traits = KT_MAPPABLE | KT_PATHNAMED | KT_MEMORY,
	.listings = LIST_DEVSHM,
	.naming = NAME_PATH,
	.leak_reason = &kind_leak_orphaned_shm,
	.leak = kind_shm_leak,
	.remove = kind_shm_remove,
};
