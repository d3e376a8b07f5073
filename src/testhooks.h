/* The test suite's ways into ipcscope: windows in races, failures no real
 * kernel makes on demand. This file is compiled twice: as it is, for the
 * shipped ipcscope, where every hook does nothing and no IPCSCOPE_TEST_*
 * variable is read (an admin's `sudo -E` must not carry a caller's hooks
 * into a root clean); and with -DIPCSCOPE_TEST_HOOKS for the test binary
 * that `make check` builds in the build directory and never installs. */
#ifndef IPCSCOPE_TESTHOOKS_H
#define IPCSCOPE_TESTHOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Where the test binary may stop itself with SIGSTOP, each when its
 * IPCSCOPE_TEST_PAUSE_<NAME> variable is set. */
enum testhook_pause {
	TESTHOOK_AFTER_PROCS,	/* between the process list and the walk */
	TESTHOOK_BEFORE_RECHECK, /* between clean's scan and its re-check */
	TESTHOOK_BEFORE_UNLINK,	/* before clean removes each object */
};

/* IPCSCOPE_TEST_PAUSE_<NAME>: raises SIGSTOP when set. */
void testhook_pause(enum testhook_pause at);

/* IPCSCOPE_TEST_BPF_FAIL_AFTER: after how many fd records the bpf walk
 * fails; 0, never. */
uint64_t testhook_bpf_fail_after(void);

/* IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING=PID[,PID]: whether the suite declares
 * that pid, which could not be read, holds none of its objects; only ever
 * for root. */
bool testhook_unread_holds_nothing(pid_t pid);

#endif
