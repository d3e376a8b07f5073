#include "collect/bounded.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect/proc.h"

/* what is left of this scan's budget, shared by the walker threads */
static int budget_ms = BOUNDED_BUDGET_MS;

void bounded_reset(void)
{
	__atomic_store_n(&budget_ms, BOUNDED_BUDGET_MS, __ATOMIC_RELAXED);
}

bool bounded_spent(void)
{
	return __atomic_load_n(&budget_ms, __ATOMIC_RELAXED) <= 0;
}

/* How long a call may wait: ms, or what is left of the budget. */
static int allowance(int ms)
{
	int left = __atomic_load_n(&budget_ms, __ATOMIC_RELAXED);

	return left < ms ? left : ms;
}

static void charge(int ms)
{
	__atomic_sub_fetch(&budget_ms, ms, __ATOMIC_RELAXED);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Children left behind by earlier calls (watch scans again and again),
 * reaped once they do end; only these, for walkers call in parallel. */
static pid_t left_pids[64];
static size_t nleft;
static pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;

static void leave(pid_t pid)
{
	kill(pid, SIGKILL);
	pthread_mutex_lock(&left_lock);
	if (nleft < sizeof(left_pids) / sizeof(left_pids[0]))
		left_pids[nleft++] = pid;
	pthread_mutex_unlock(&left_lock);
}

static void reap_left(void)
{
	pthread_mutex_lock(&left_lock);
	for (size_t i = 0; i < nleft;)
		if (waitpid(left_pids[i], NULL, WNOHANG) != 0)
			left_pids[i] = left_pids[--nleft];
		else
			i++;
	pthread_mutex_unlock(&left_lock);
}

/* Reads what the child writes until it closes the pipe or time runs out:
 * 0 at EOF, -ETIMEDOUT. */
static int collect(int fd, long long until, struct buf *out)
{
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = until - now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		buf_reserve(out, 65536);
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			out->len += (size_t)n;
	}
}

int bounded_fork(int (*fn)(void *arg, int fd), void *arg, int ms, struct buf *out)
{
	long long until;
	int p[2], rc, status;
	pid_t pid;

	if ((ms = allowance(ms)) <= 0)
		return -ETIMEDOUT;
	until = now_ms() + ms;
	reap_left();
	buf_reset(out);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		close(p[0]);
		/* a child may never end (a FUSE wait cannot be killed): it
		 * keeps none of our stdin, stdout and stderr, or whoever reads
		 * our output through a pipe would wait for ever (main keeps
		 * 0 to 2 open, so no fd the job needs is among them) */
		for (int fd = 0; fd <= 2; fd++)
			if (fd != p[1])
				close(fd);
		rc = fn(arg, p[1]);
		_exit(rc < 0 ? (-rc & 0xff) : 0);
	}
	close(p[1]);
	rc = collect(p[0], until, out);
	close(p[0]);
	if (rc < 0) {
		leave(pid);
		if (rc == -ETIMEDOUT)
			charge(ms);
		return rc;
	}
	/* EOF: the child is ending, or closed its end and stalled after */
	while ((rc = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < until)
		usleep(1000);
	if (rc <= 0) {
		leave(pid);
		charge(ms);
		return -ETIMEDOUT;
	}
	if (!WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status) ? -WEXITSTATUS(status) : 0;
}

/* A read left to a thread: whoever of the two finishes last frees it. */
struct mem_read {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pid_t pid;
	uint64_t addr;
	size_t len;
	bool ok, done, abandoned;
	char data[];
};

static void *mem_read_main(void *arg)
{
	struct mem_read *r = arg;
	struct iovec local = { r->data, r->len }, remote = { (void *)(uintptr_t)r->addr, r->len };
	bool ok = process_vm_readv(r->pid, &local, 1, &remote, 1, 0) == (ssize_t)r->len, gone;

	pthread_mutex_lock(&r->lock);
	r->ok = ok;
	r->done = true;
	gone = r->abandoned;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->lock);
	if (gone)
		free(r);
	return NULL;
}

bool bounded_read_mem(pid_t pid, uint64_t addr, void *out, size_t len, int ms)
{
	struct mem_read *r;
	struct timespec until;
	pthread_attr_t attr;
	pthread_t tid;
	bool ok;

	if (!proc_pids_ours() || (ms = allowance(ms)) <= 0)
		return false;
	r = xmalloc(sizeof(*r) + len);
	*r = (struct mem_read){ .pid = pid, .addr = addr, .len = len };
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cv, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, mem_read_main, r) != 0) {
		pthread_attr_destroy(&attr);
		free(r);
		return false;	/* no thread: not read rather than read unbounded */
	}
	pthread_attr_destroy(&attr);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->done && pthread_cond_timedwait(&r->cv, &r->lock, &until) != ETIMEDOUT)
		;
	ok = r->done && r->ok;
	r->abandoned = !r->done;
	if (ok)
		memcpy(out, r->data, len);
	pthread_mutex_unlock(&r->lock);
	if (!r->abandoned)
		free(r);
	else
		charge(ms);
	return ok;
}
