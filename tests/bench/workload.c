/*
 * workload - benchmark workload for ipcscope.
 *
 * Usage: workload N K [dir]
 *
 * Forks N worker processes.  Each worker holds K of every kind of IPC object:
 *   - a pipe (both ends),
 *   - a FIFO in the temporary directory, opened O_RDONLY|O_NONBLOCK and O_WRONLY,
 *   - an AF_UNIX stream socketpair,
 *   - a listening path socket in the temporary directory with one client
 *     connected and accepted (3 fds),
 *   - a listening abstract-namespace stream socket "\0ipcscope-bench-<pid>-<k>",
 *   - two POSIX shm segments "/ipcscope-bench-<parentpid>-<child>-<k>-fd"
 *     (held by fd only) and "...-map" (mapped only, fd closed).
 * That is 11 fds and 1 shared mapping per k, per worker.
 *
 * The temporary directory is created with mkdtemp() as
 * "<dir>/ipcscope-bench-XXXXXX" (dir defaults to /tmp).
 *
 * Once every worker has reported ready (over a pipe that is then closed
 * everywhere) the parent prints
 *   READY total_processes=<N+1> total_fds=<fds held by all workload processes> ...
 * flushes stdout, and waits for SIGTERM, SIGINT, SIGHUP, or EOF on stdin
 * (only when stdin is a pipe/FIFO, or a terminal on which we are in the
 * foreground).  It also stops if a worker dies unexpectedly.
 *
 * On stop, and on any setup failure, the parent SIGKILLs and reaps all
 * workers, then removes every FIFO and socket path, the temporary directory
 * and every shm segment.  Only the parent removes files.  Workers use
 * PR_SET_PDEATHSIG so they die with the parent even if it is SIGKILLed
 * (in that case only the files cannot be removed; see README.md).
 *
 * Setup failure policy: no scaling down.  If a worker cannot create all of
 * its objects (EMFILE, ENFILE, ENOMEM, ...) it reports exactly how far it got;
 * the parent prints that, cleans up everything, and exits with status 1.
 *
 * Exit status: 0 after a normal stop (signal or stdin EOF), 1 on setup failure
 * or if a worker died unexpectedly, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define NAME_PREFIX "ipcscope-bench"
#define FDS_PER_K 11 /* pipe 2 + fifo 2 + socketpair 2 + listener 3 + abstract 1 + shm 1 */
#define MAX_N 100000
#define MAX_K 100000

enum kind {
	KIND_NONE = 0,
	KIND_PIPE,
	KIND_FIFO,
	KIND_SOCKETPAIR,
	KIND_PATH_LISTENER,
	KIND_ABSTRACT,
	KIND_SHM_FD,
	KIND_SHM_MAP,
	KIND_SETUP,
};

static const char *kind_name(int k)
{
	switch (k) {
	case KIND_PIPE: return "pipe";
	case KIND_FIFO: return "fifo";
	case KIND_SOCKETPAIR: return "socketpair";
	case KIND_PATH_LISTENER: return "path socket listener/client/accepted";
	case KIND_ABSTRACT: return "abstract socket";
	case KIND_SHM_FD: return "shm segment (fd)";
	case KIND_SHM_MAP: return "shm segment (mapped)";
	case KIND_SETUP: return "worker setup";
	default: return "none";
	}
}

/* Fixed-size report, written atomically (< PIPE_BUF) by each worker. */
struct report {
	int child;      /* worker index */
	int ok;         /* 1 = all objects created */
	int k_done;     /* number of complete k-sets created */
	int failed_kind;/* enum kind that failed (when !ok) */
	int err;        /* errno of the failure */
	int nfds;       /* fds held by the worker (when ok) */
	char step[48];  /* failing call */
};

static volatile sig_atomic_t g_stop_sig;  /* SIGTERM/SIGINT/SIGHUP received */
static volatile sig_atomic_t g_sigchld;   /* SIGCHLD received */

static pid_t g_parent;
static int g_n, g_k;
static pid_t *g_pids;          /* worker pids, 0 = not running / reaped */
static char g_dir[PATH_MAX];   /* temporary directory, "" if none */

static void on_stop(int sig) { g_stop_sig = sig; }
static void on_chld(int sig) { (void)sig; g_sigchld = 1; }

static void msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("workload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Path builders: return 0, or -1 with errno = ENAMETOOLONG if truncated. */
static int fit(int n, size_t len)
{
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int fifo_path(char *buf, size_t len, int c, int k)
{
	return fit(snprintf(buf, len, "%s/f-%d-%d", g_dir, c, k), len);
}

static int sock_path(char *buf, size_t len, int c, int k)
{
	return fit(snprintf(buf, len, "%s/s-%d-%d", g_dir, c, k), len);
}

static int shm_name(char *buf, size_t len, int c, int k, const char *suffix)
{
	return fit(snprintf(buf, len, "/" NAME_PREFIX "-%ld-%d-%d-%s",
			    (long)g_parent, c, k, suffix), len);
}

/* ------------------------------------------------------------------ worker */

static int count_own_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory fd itself */
}

static int worker_build(int c, struct report *r)
{
	char path[PATH_MAX];
	int k;

#define FAIL(kind, what) do { \
		r->failed_kind = (kind); r->err = errno; \
		snprintf(r->step, sizeof r->step, "%s", (what)); \
		return -1; } while (0)

	for (k = 0; k < g_k; k++) {
		int p[2], sp[2], fd, lfd, cfd, afd;
		struct sockaddr_un sa;
		socklen_t salen;
		void *m;

		/* pipe */
		if (pipe(p) < 0)
			FAIL(KIND_PIPE, "pipe");

		/* FIFO */
		if (fifo_path(path, sizeof path, c, k) < 0 || mkfifo(path, 0600) < 0)
			FAIL(KIND_FIFO, "mkfifo");
		if (open(path, O_RDONLY | O_NONBLOCK) < 0)
			FAIL(KIND_FIFO, "open fifo O_RDONLY");
		if (open(path, O_WRONLY) < 0)
			FAIL(KIND_FIFO, "open fifo O_WRONLY");

		/* socketpair */
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
			FAIL(KIND_SOCKETPAIR, "socketpair");

		/* path listener + connected client + accepted peer */
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		if (sock_path(sa.sun_path, sizeof sa.sun_path, c, k) < 0)
			FAIL(KIND_PATH_LISTENER, "socket path");
		if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			FAIL(KIND_PATH_LISTENER, "socket (listener)");
		if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0)
			FAIL(KIND_PATH_LISTENER, "bind (path)");
		if (listen(lfd, 4) < 0)
			FAIL(KIND_PATH_LISTENER, "listen (path)");
		if ((cfd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			FAIL(KIND_PATH_LISTENER, "socket (client)");
		if (connect(cfd, (struct sockaddr *)&sa, sizeof sa) < 0)
			FAIL(KIND_PATH_LISTENER, "connect (path)");
		if (accept(lfd, NULL, NULL) < 0)
			FAIL(KIND_PATH_LISTENER, "accept (path)");

		/* abstract listener */
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1,
				 NAME_PREFIX "-%ld-%d", (long)getpid(), k));
		if ((afd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			FAIL(KIND_ABSTRACT, "socket (abstract)");
		if (bind(afd, (struct sockaddr *)&sa, salen) < 0)
			FAIL(KIND_ABSTRACT, "bind (abstract)");
		if (listen(afd, 4) < 0)
			FAIL(KIND_ABSTRACT, "listen (abstract)");

		/* shm held by fd only */
		if (shm_name(path, sizeof path, c, k, "fd") < 0 ||
		    (fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
			FAIL(KIND_SHM_FD, "shm_open (fd)");
		if (ftruncate(fd, 4096) < 0)
			FAIL(KIND_SHM_FD, "ftruncate (fd)");

		/* shm mapped only */
		if (shm_name(path, sizeof path, c, k, "map") < 0 ||
		    (fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
			FAIL(KIND_SHM_MAP, "shm_open (map)");
		if (ftruncate(fd, 4096) < 0)
			FAIL(KIND_SHM_MAP, "ftruncate (map)");
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			FAIL(KIND_SHM_MAP, "mmap");
		*(volatile char *)m = 1; /* make the page resident */
		close(fd);

		r->k_done = k + 1;
	}
#undef FAIL
	return 0;
}

static void worker_main(int c, int report_fd) __attribute__((noreturn));
static void worker_main(int c, int report_fd)
{
	struct sigaction sa;
	struct report r;
	sigset_t none;
	int devnull, rc;
	ssize_t w;

	/* Back to default dispositions, then unblock (pending signals are not
	 * inherited across fork, so nothing is lost here). */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != g_parent)
		_exit(1);

	/* Do not keep the caller's stdin/stdout pipes open. */
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}

	memset(&r, 0, sizeof r);
	r.child = c;
	rc = worker_build(c, &r);
	if (rc == 0) {
		r.ok = 1;
		r.nfds = count_own_fds() - 1; /* minus the report pipe */
	}
	do
		w = write(report_fd, &r, sizeof r);
	while (w < 0 && errno == EINTR);
	close(report_fd);
	if (rc != 0)
		_exit(1);
	for (;;)
		pause();
}

/* ------------------------------------------------------------------ parent */

static void kill_and_reap_all(void)
{
	int i;

	for (i = 0; i < g_n; i++)
		if (g_pids[i] > 0)
			kill(g_pids[i], SIGKILL);
	for (i = 0; i < g_n; i++) {
		if (g_pids[i] <= 0)
			continue;
		while (waitpid(g_pids[i], NULL, 0) < 0 && errno == EINTR)
			;
		g_pids[i] = 0;
	}
}

static int remove_files(void)
{
	char name[NAME_MAX + 64];
	int c, k, bad = 0;

	/* shm: every name we could have used (ENOENT is fine) ... */
	for (c = 0; c < g_n; c++)
		for (k = 0; k < g_k; k++) {
			if (shm_name(name, sizeof name, c, k, "fd") == 0 &&
			    shm_unlink(name) < 0 && errno != ENOENT) {
				msg("shm_unlink %s: %s", name, strerror(errno));
				bad = 1;
			}
			if (shm_name(name, sizeof name, c, k, "map") == 0 &&
			    shm_unlink(name) < 0 && errno != ENOENT) {
				msg("shm_unlink %s: %s", name, strerror(errno));
				bad = 1;
			}
		}

	/* ... FIFOs and socket paths: everything inside our own mkdtemp dir. */
	if (g_dir[0]) {
		DIR *d = opendir(g_dir);
		struct dirent *e;

		if (d) {
			while ((e = readdir(d)) != NULL) {
				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
					continue;
				if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
					msg("unlink %s/%s: %s", g_dir, e->d_name, strerror(errno));
					bad = 1;
				}
			}
			closedir(d);
		}
		if (rmdir(g_dir) < 0 && errno != ENOENT) {
			msg("rmdir %s: %s", g_dir, strerror(errno));
			bad = 1;
		}
		g_dir[0] = '\0';
	}
	return bad;
}

static void cleanup(void)
{
	kill_and_reap_all();
	if (remove_files())
		msg("cleanup incomplete (see above)");
}

/* Reap any worker that died on its own; returns the number found. */
static int reap_dead_workers(void)
{
	int found = 0, st, i;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < g_n; i++)
			if (g_pids[i] == p)
				break;
		if (i == g_n)
			continue;
		g_pids[i] = 0;
		found++;
		if (WIFSIGNALED(st))
			msg("worker %d (pid %ld) was killed by signal %d (%s)", i, (long)p,
			    WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			msg("worker %d (pid %ld) exited with status %d", i, (long)p,
			    WEXITSTATUS(st));
	}
	return found;
}

static int parse_count(const char *s, const char *what, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > max) {
		msg("invalid %s '%s' (expected 1..%d)", what, s, max);
		exit(2);
	}
	return (int)v;
}

static int stdin_watchable(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) < 0)
		return 0;
	if (S_ISFIFO(st.st_mode))
		return 1;
	/* A terminal only if we are its foreground job (otherwise SIGTTIN). */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = "/tmp";
	struct sigaction sa;
	sigset_t block, orig;
	struct rlimit rl;
	struct sockaddr_un probe;
	int rp[2], i, got = 0, failed = 0, nfailed = 0, watch_stdin;
	long long total_fds = 0;
	char buf[4096];

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s N K [dir]\n"
			"  fork N processes each holding K of every IPC kind "
			"(%d fds + 1 shm mapping per K)\n", argv[0], FDS_PER_K);
		return 2;
	}
	g_n = parse_count(argv[1], "N", MAX_N);
	g_k = parse_count(argv[2], "K", MAX_K);
	if (argc == 4)
		base = argv[3];
	g_parent = getpid();

	/* Start from a clean fd table so that fd counts are exact. */
#ifdef SYS_close_range
	syscall(SYS_close_range, 3U, ~0U, 0U);
#endif

	/* RLIMIT_NOFILE: soft -> hard. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			msg("warning: cannot raise RLIMIT_NOFILE: %s", strerror(errno));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (unsigned long long)rl.rlim_cur < (unsigned long long)g_k * FDS_PER_K + 8) {
		msg("RLIMIT_NOFILE is %llu but each worker needs %llu fds for K=%d; "
		    "raise the hard limit (ulimit -Hn) or lower K",
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)g_k * FDS_PER_K + 8, g_k);
		return 1;
	}

	g_pids = calloc((size_t)g_n, sizeof *g_pids);
	if (!g_pids) {
		msg("out of memory");
		return 1;
	}

	/* Signals: handled in the parent, blocked except while waiting. */
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGHUP);
	sigdelset(&orig, SIGCHLD);

	/* Temporary directory. */
	if ((size_t)snprintf(g_dir, sizeof g_dir, "%s/" NAME_PREFIX "-XXXXXX", base) >= sizeof g_dir) {
		msg("directory name too long: %s", base);
		return 1;
	}
	if (!mkdtemp(g_dir)) {
		msg("mkdtemp %s: %s", g_dir, strerror(errno));
		g_dir[0] = '\0';
		return 1;
	}
	if (sock_path(probe.sun_path, sizeof probe.sun_path, g_n - 1, g_k - 1) < 0) {
		msg("socket paths under %s are too long for sockaddr_un (max %zu bytes); "
		    "use a shorter dir", g_dir, sizeof probe.sun_path - 1);
		cleanup();
		return 1;
	}

	if (pipe(rp) < 0) {
		msg("pipe: %s", strerror(errno));
		cleanup();
		return 1;
	}

	fflush(NULL);
	for (i = 0; i < g_n; i++) {
		pid_t p;

		if (g_stop_sig)
			break;
		p = fork();
		if (p < 0) {
			msg("fork of worker %d of %d failed: %s (check pid_max, "
			    "threads-max, RLIMIT_NPROC, cgroup pids.max, memory)",
			    i, g_n, strerror(errno));
			failed = 1;
			break;
		}
		if (p == 0) {
			close(rp[0]);
			worker_main(i, rp[1]);
		}
		g_pids[i] = p;
		/* Stop signals are blocked here: notice them without waiting. */
		{
			sigset_t pend;
			sigpending(&pend);
			if (sigismember(&pend, SIGTERM))
				g_stop_sig = SIGTERM;
			else if (sigismember(&pend, SIGINT))
				g_stop_sig = SIGINT;
			else if (sigismember(&pend, SIGHUP))
				g_stop_sig = SIGHUP;
		}
	}
	close(rp[1]);

	if (failed || g_stop_sig) {
		if (g_stop_sig)
			msg("got signal %d during setup; cleaning up", (int)g_stop_sig);
		close(rp[0]);
		cleanup();
		return failed ? 1 : 0;
	}

	/* Collect one report per worker. */
	while (got < g_n && !g_stop_sig) {
		struct pollfd pfd = { .fd = rp[0], .events = POLLIN };
		struct report r;
		ssize_t n;

		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			msg("ppoll: %s", strerror(errno));
			failed = 1;
			break;
		}
		n = read(rp[0], &r, sizeof r);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			msg("only %d of %d workers reported before the report pipe closed", got, g_n);
			reap_dead_workers();
			failed = 1;
			break;
		}
		if (n != (ssize_t)sizeof r) {
			msg("short report read (%zd bytes)", n);
			failed = 1;
			break;
		}
		got++;
		if (r.ok) {
			total_fds += r.nfds;
		} else if (++nfailed <= 3) {
			msg("worker %d could not create all its objects: it created %d of %d "
			    "complete sets (K), then %s failed while creating a %s: %s",
			    r.child, r.k_done, g_k, r.step, kind_name(r.failed_kind),
			    strerror(r.err));
			failed = 1;
		} else {
			failed = 1;
		}
	}
	close(rp[0]);
	if (nfailed > 3)
		msg("... %d workers in total could not create all their objects", nfailed);

	if (failed || g_stop_sig) {
		if (failed)
			msg("setup failed; removing all objects and exiting (no scaling down)");
		else
			msg("got signal %d during setup; cleaning up", (int)g_stop_sig);
		cleanup();
		return failed ? 1 : 0;
	}
	if (reap_dead_workers()) {
		msg("a worker died during setup; cleaning up");
		cleanup();
		return 1;
	}

	{
		int self = count_own_fds();
		total_fds += self > 0 ? self : 0;
	}
	printf("READY total_processes=%d total_fds=%lld workers=%d k=%d ipc_fds=%lld "
	       "shm_segments=%lld shm_maps=%lld dir=%s pid=%ld\n",
	       g_n + 1, total_fds, g_n, g_k, (long long)g_n * g_k * FDS_PER_K,
	       (long long)g_n * g_k * 2, (long long)g_n * g_k, g_dir, (long)g_parent);
	fflush(stdout);

	/* Wait for a stop signal, stdin EOF, or an unexpected worker death. */
	watch_stdin = stdin_watchable();
	while (!g_stop_sig) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int r;

		if (g_sigchld) {
			g_sigchld = 0;
			if (reap_dead_workers()) {
				msg("a worker died unexpectedly; cleaning up");
				cleanup();
				return 1;
			}
		}
		r = ppoll(&pfd, watch_stdin ? 1 : 0, NULL, &orig);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			msg("ppoll: %s", strerror(errno));
			break;
		}
		if (r > 0 && watch_stdin) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
			if (n == 0)
				break; /* EOF */
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				msg("read stdin: %s; no longer watching stdin", strerror(errno));
				watch_stdin = 0;
			}
		}
	}

	cleanup();
	return 0;
}
