/* See testhooks.h: without IPCSCOPE_TEST_HOOKS (the shipped binary) every
 * hook is a no-op and no hook's variable name is even in the binary. */
#include "testhooks.h"

#ifdef IPCSCOPE_TEST_HOOKS

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *const pause_vars[] = {
	[TESTHOOK_AFTER_PROCS] = "IPCSCOPE_TEST_PAUSE_AFTER_PROCS",
	[TESTHOOK_BEFORE_RECHECK] = "IPCSCOPE_TEST_PAUSE_BEFORE_RECHECK",
	[TESTHOOK_BEFORE_UNLINK] = "IPCSCOPE_TEST_PAUSE_BEFORE_UNLINK",
};

void testhook_pause(enum testhook_pause at)
{
	if (getenv(pause_vars[at]))
		raise(SIGSTOP);
}

uint64_t testhook_bpf_fail_after(void)
{
	const char *env = getenv("IPCSCOPE_TEST_BPF_FAIL_AFTER");
	uint64_t n;

	return env && parse_u64(env, &n) ? n : 0;
}

/* Honoured only for root: a hook that makes clean trust a view must not be
 * something any user can hand to another's run. */
bool testhook_unread_holds_nothing(pid_t pid)
{
	const char *env = getenv("IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING");
	char s[24];
	size_t len;

	if (!env || !*env || geteuid() != 0)
		return false;
	len = (size_t)snprintf(s, sizeof(s), "%d", (int)pid);
	for (const char *hit = strstr(env, s); hit; hit = strstr(hit + 1, s))
		if ((hit == env || hit[-1] == ',') && (hit[len] == ',' || !hit[len]))
			return true;
	return false;
}

#else

void testhook_pause(enum testhook_pause at)
{
	(void)at;
}

uint64_t testhook_bpf_fail_after(void)
{
	return 0;
}

bool testhook_unread_holds_nothing(pid_t pid)
{
	(void)pid;
	return false;
}

#endif
