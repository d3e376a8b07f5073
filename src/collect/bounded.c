#include "bounded.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
	long long until = now_ms() + ms;
	int p[2], rc, status;
	pid_t pid;

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
		rc = fn(arg, p[1]);
		_exit(rc < 0 ? (-rc & 0xff) : 0);
	}
	close(p[1]);
	rc = collect(p[0], until, out);
	close(p[0]);
	if (rc < 0) {
		leave(pid);
		return rc;
	}
	/* EOF: the child is ending, or closed its end and stalled after */
	while ((rc = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < until)
		usleep(1000);
	if (rc <= 0) {
		leave(pid);
		return -ETIMEDOUT;
	}
	if (!WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status) ? -WEXITSTATUS(status) : 0;
}
