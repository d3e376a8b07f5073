/*
 * bigipc - the large scenes of tests/bounds.bats: what an unprivileged user
 * can make huge, for ipcscope to read in bounded memory and time.
 *
 * Usage: bigipc SCENE ARGS...
 *
 *   holders NPROC NFD        NPROC processes, each with NFD dups of the read
 *                            end of one pipe
 *   maps NPROC NMAP LEN DIR  NPROC processes, each with NMAP shared mappings
 *                            of one file below DIR whose path is about LEN
 *                            bytes long
 *   poll NTHR NFD            NTHR threads in poll() on one array of NFD
 *                            copies of one pipe fd
 *   pollmany NTHR NPIPE      NTHR threads in poll(), each on an array of
 *                            its own of NPIPE pipes' read ends
 *   epoll NTHR NFD           NTHR threads in epoll_wait() on one epoll
 *                            watching NFD dups of one pipe's read end
 *   mapfile PATH             maps PATH shared, closes its fd
 *   mntns N                  N processes, each in a mount namespace of its
 *                            own with a tmpfs of its own on /dev/shm,
 *                            which holds one file, bigipc-orphan
 *   mntns-held N DIR         N processes, each in mount and IPC namespaces
 *                            of its own, with a tmpfs of its own on
 *                            /dev/shm and an mqueue filesystem on DIR (an
 *                            empty directory): each holds open one file,
 *                            /dev/shm/bigipc-held, and one queue,
 *                            /bigipc-held, named the same in every one
 *   fifos DIR N DEPTH        a chain of DEPTH directories below DIR, N
 *                            FIFOs in its first 6, then exits
 *
 * Prints key=value facts, then READY, and keeps everything until SIGTERM,
 * SIGINT or SIGHUP; its children die with it (PR_SET_PDEATHSIG). Files are
 * created only below the paths it is given. Exit: 0 ok, 1 failure, 2 usage.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t kids[4096];
static int nkids;

static void die(const char *what)
{
	fprintf(stderr, "bigipc: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long num(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 0 || v > max) {
		fprintf(stderr, "bigipc: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void more_fds(long n)
{
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Blocks until a signal ends the run, then stops the children. */
static void hold(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t none;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	printf("READY\n");
	fflush(stdout);
	sigemptyset(&none);
	sigsuspend(&none);
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < nkids; i++)
		waitpid(kids[i], NULL, 0);
	exit(0);
}

/* A child that does setup() and sleeps until its parent dies; its pid is
 * printed. */
static void spawn(void (*setup)(void *), void *arg)
{
	int ready[2];
	char c;
	pid_t pid;

	if (pipe(ready) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		setup(arg);
		if (write(ready[1], "k", 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "bigipc: a child failed its setup\n");
		kill(pid, SIGKILL);
		exit(1);
	}
	close(ready[0]);
	kids[nkids++] = pid;
	printf("%s%d", nkids > 1 ? "," : "pids=", (int)pid);
}

static void end_pids(void)
{
	printf("\n");
}

static void print_ino(const char *key, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		die("fstat");
	printf("%s=%llu\n", key, (unsigned long long)st.st_ino);
}

/* ---------------------------------------------------------------- holders */

struct dups {
	int fd;
	long n;
};

static void dup_setup(void *arg)
{
	struct dups *d = arg;

	more_fds(d->n);
	for (long i = 0; i < d->n; i++)
		if (dup(d->fd) < 0)
			die("dup");
}

static void scene_holders(long nproc, long nfd)
{
	int p[2];
	struct dups d;

	if (pipe(p) < 0)
		die("pipe");
	print_ino("ino", p[0]);
	d.fd = p[0];
	d.n = nfd;
	for (long i = 0; i < nproc; i++)
		spawn(dup_setup, &d);
	end_pids();
	close(p[0]);
	close(p[1]);
	hold();
}

/* ---------------------------------------------------------------- maps */

struct mapping {
	const char *path;
	long n;
};

/* Offset 0 every time, side by side: the kernel merges none of them. */
static void maps_setup(void *arg)
{
	struct mapping *mp = arg;
	long pg = sysconf(_SC_PAGESIZE);
	int fd = open(mp->path, O_RDWR);
	char *base;

	if (fd < 0)
		die("open");
	base = mmap(NULL, (size_t)(mp->n * pg), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap reserve");
	for (long i = 0; i < mp->n; i++)
		if (mmap(base + i * pg, (size_t)pg, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) ==
		    MAP_FAILED)
			die("mmap");
	close(fd);
}

/* DIR/ddd.../ddd.../f: directories of 200-byte names up to len bytes */
static char *long_path(const char *dir, long len)
{
	char *path = malloc((size_t)len + 512), name[201];
	int fd;

	memset(name, 'd', 200);
	name[200] = '\0';
	strcpy(path, dir);
	while ((long)strlen(path) + 202 < len) {
		strcat(path, "/");
		strcat(path, name);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir");
	}
	strcat(path, "/f");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, sysconf(_SC_PAGESIZE)) < 0)
		die(path);
	close(fd);
	return path;
}

static void scene_maps(long nproc, long nmap, long len, const char *dir)
{
	struct mapping mp = { long_path(dir, len), nmap };

	for (long i = 0; i < nproc; i++)
		spawn(maps_setup, &mp);
	end_pids();
	hold();
}

/* ---------------------------------------------------------------- waits */

struct sleepers {
	struct pollfd *pf;
	long nfd;
	int epfd;
};

static int started;

static void *poll_thread(void *arg)
{
	struct sleepers *s = arg;

	__atomic_add_fetch(&started, 1, __ATOMIC_RELAXED);
	for (;;)
		poll(s->pf, (nfds_t)s->nfd, -1);
	return NULL;
}

static void *epoll_thread(void *arg)
{
	struct sleepers *s = arg;
	struct epoll_event ev;

	__atomic_add_fetch(&started, 1, __ATOMIC_RELAXED);
	for (;;)
		epoll_wait(s->epfd, &ev, 1, -1);
	return NULL;
}

static void threads(long n, void *(*fn)(void *), struct sleepers *s)
{
	static int want;
	pthread_attr_t a;
	pthread_t t;

	want += (int)n;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (long i = 0; i < n; i++)
		if ((errno = pthread_create(&t, &a, fn, s)))
			die("pthread_create");
	/* READY once every thread is about to sleep in its call */
	while (__atomic_load_n(&started, __ATOMIC_RELAXED) < want)
		usleep(10000);
	usleep(200000);
}

static void scene_poll(long nthr, long nfd)
{
	static struct sleepers s;
	int p[2];

	if (pipe(p) < 0)
		die("pipe");
	s.pf = calloc((size_t)nfd, sizeof(*s.pf));
	s.nfd = nfd;
	for (long i = 0; i < nfd; i++)
		s.pf[i] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	print_ino("ino", p[0]);
	printf("pid=%d\nfd=%d\nwfd=%d\n", (int)getpid(), p[0], p[1]);
	threads(nthr, poll_thread, &s);
	hold();
}

/* Each thread polls an array of its own, with every pipe's read end in
 * it: NTHR x NPIPE waits on distinct objects. */
static void scene_pollmany(long nthr, long npipe)
{
	struct sleepers *s = calloc((size_t)nthr, sizeof(*s));
	struct pollfd *pf = calloc((size_t)npipe, sizeof(*pf));

	more_fds(2 * npipe);
	for (long i = 0; i < npipe; i++) {
		int p[2];

		if (pipe(p) < 0)
			die("pipe");
		pf[i] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	}
	printf("pid=%d\n", (int)getpid());
	for (long i = 0; i < nthr; i++) {
		s[i].pf = malloc((size_t)npipe * sizeof(*pf));
		memcpy(s[i].pf, pf, (size_t)npipe * sizeof(*pf));
		s[i].nfd = npipe;
		threads(1, poll_thread, &s[i]);
	}
	hold();
}

static void scene_epoll(long nthr, long nfd)
{
	static struct sleepers s;
	int p[2];

	more_fds(nfd);
	if (pipe(p) < 0)
		die("pipe");
	s.epfd = epoll_create1(0);
	if (s.epfd < 0)
		die("epoll_create1");
	for (long i = 0; i < nfd; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = dup(p[0]);

		if (fd < 0)
			die("dup");
		ev.data.fd = fd;
		if (epoll_ctl(s.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl");
	}
	print_ino("ino", p[0]);
	printf("pid=%d\nepfd=%d\n", (int)getpid(), s.epfd);
	threads(nthr, epoll_thread, &s);
	hold();
}

/* ---------------------------------------------------------------- the rest */

static void scene_mapfile(const char *path)
{
	int fd = open(path, O_RDWR);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED)
		die("mmap");
	close(fd);
	printf("pid=%d\nino=%llu\n", (int)getpid(), (unsigned long long)st.st_ino);
	hold();
}

static void mntns_setup(void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWNS) < 0)
		die("unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("mount private");
	if (mount("bigipc", "/dev/shm", "tmpfs", 0, "size=64k") < 0)
		die("mount tmpfs");
	/* an orphan in the namespace's own tmpfs, gone with it */
	if (close(open("/dev/shm/bigipc-orphan", O_RDWR | O_CREAT, 0600)) < 0)
		die("orphan");
}

/* Each child's fds: its file and its queue, open for as long as it lives. */
static void mntns_held_setup(void *arg)
{
	const char *dir = arg;
	struct mq_attr qa = { .mq_maxmsg = 1, .mq_msgsize = 16 };

	if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
		die("unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("mount private");
	if (mount("bigipc", "/dev/shm", "tmpfs", 0, "size=64k") < 0)
		die("mount tmpfs");
	if (mount("bigipc", dir, "mqueue", 0, NULL) < 0)
		die("mount mqueue");
	if (open("/dev/shm/bigipc-held", O_RDWR | O_CREAT, 0600) < 0)
		die("held file");
	if (mq_open("/bigipc-held", O_RDWR | O_CREAT, 0600, &qa) < 0)
		die("held queue");
}

static void scene_mntns_held(long n, const char *dir)
{
	for (long i = 0; i < n; i++)
		spawn(mntns_held_setup, (void *)dir);
	end_pids();
	hold();
}

static void scene_mntns(long n)
{
	for (long i = 0; i < n; i++)
		spawn(mntns_setup, NULL);
	end_pids();
	hold();
}

static void scene_fifos(const char *dir, long n, long depth)
{
	char *path = malloc((size_t)depth * 4 + strlen(dir) + 64);
	size_t base;

	strcpy(path, dir);
	/* the FIFOs in the first levels, which the search reaches */
	for (long d = 0, made = 0, full = depth < 6 ? depth : 6; d < depth; d++) {
		long here = d < full ? (n - made) / (full - d) : 0;

		strcat(path, "/d");
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir");
		base = strlen(path);
		for (long i = 0; i < here; i++, made++) {
			snprintf(path + base, 32, "/f%ld", i);
			if (mkfifo(path, 0600) < 0)
				die("mkfifo");
		}
		path[base] = '\0';
	}
	free(path);
	printf("READY\n");
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(s, "holders") && argc == 4)
		scene_holders(num(argv[2], 4096), num(argv[3], 1 << 20));
	else if (!strcmp(s, "maps") && argc == 6)
		scene_maps(num(argv[2], 4096), num(argv[3], 1 << 20), num(argv[4], 4000), argv[5]);
	else if (!strcmp(s, "poll") && argc == 4)
		scene_poll(num(argv[2], 100000), num(argv[3], 1 << 20));
	else if (!strcmp(s, "pollmany") && argc == 4)
		scene_pollmany(num(argv[2], 100000), num(argv[3], 1 << 16));
	else if (!strcmp(s, "epoll") && argc == 4)
		scene_epoll(num(argv[2], 100000), num(argv[3], 1 << 20));
	else if (!strcmp(s, "mapfile") && argc == 3)
		scene_mapfile(argv[2]);
	else if (!strcmp(s, "mntns") && argc == 3)
		scene_mntns(num(argv[2], 4096));
	else if (!strcmp(s, "mntns-held") && argc == 4)
		scene_mntns_held(num(argv[2], 4096), argv[3]);
	else if (!strcmp(s, "fifos") && argc == 5)
		scene_fifos(argv[2], num(argv[3], 10000000), num(argv[4], 1000));
	else {
		fprintf(stderr, "usage: see the comment at the top of bigipc.c\n");
		return 2;
	}
	return 0;
}
