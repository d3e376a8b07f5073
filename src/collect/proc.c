#include "collect/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libproc2/pids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collect/pathio.h"
#include "util.h"

#define PF_KTHREAD 0x00200000

/* Keep in step with the enum below: PIDS_VAL indexes by position. */
static enum pids_item proc_items[] = {
	PIDS_ID_PID, PIDS_CMD, PIDS_ID_EUID, PIDS_ID_EUSER,
	PIDS_TICS_BEGAN, PIDS_FLAGS,
};
enum { I_PID, I_CMD, I_EUID, I_EUSER, I_BEGAN, I_FLAGS };

int proc_parse_stat(const char *buf, size_t len, struct proc_stat *st)
{
	const char *end = buf + len, *p, *f;
	uint64_t threads, start;
	size_t n;

	/* comm may contain ')' and spaces: the last ')' ends it */
	p = memrchr(buf, ')', len);
	if (!p)
		return -EINVAL;
	p++;
	/* field 3 is the state, 20 the number of threads, 22 the start time */
	for (int field = 3; field <= 22; field++) {
		if (!scan_field(&p, end, &f, &n))
			return -EINVAL;
		if (field == 3)
			st->state = n == 1 ? *f : '?';
		else if (field == 20 && !(scan_u64(&f, f + n, &threads) && threads <= UINT32_MAX))
			return -EINVAL;
		else if (field == 22 && !scan_u64(&f, f + n, &start))
			return -EINVAL;
	}
	st->threads = (uint32_t)threads;
	st->start = start;
	return 0;
}

int proc_parse_stat_start(const char *buf, size_t len, unsigned long long *start)
{
	struct proc_stat st;
	int rc = proc_parse_stat(buf, len, &st);

	if (rc == 0)
		*start = st.start;
	return rc;
}

/* Below a fixture root libproc2 cannot help: it always reads the live
 * /proc. Read the same facts from the fixture's stat and status files. */
static int proc_collect_rooted(struct model *m)
{
	struct buf b = { 0 };
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = pio_open("/proc", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		struct ipc_proc *p;
		uint64_t pid;
		const char *l, *r, *uidl;
		char path[64];

		if (!parse_u64(de->d_name, &pid) || pid == 0 || pid > INT32_MAX)
			continue;
		snprintf(path, sizeof(path), "/proc/%llu/stat", (unsigned long long)pid);
		if (pio_read(path, &b) < 0)
			continue;
		l = memchr(b.data, '(', b.len);
		r = memrchr(b.data, ')', b.len);
		if (!l || !r || r < l)
			continue;
		p = model_add_proc(m);
		p->pid = (pid_t)pid;
		p->comm = xmemdup(l + 1, (size_t)(r - l - 1));
		proc_parse_stat_start(b.data, b.len, &p->start);
		snprintf(path, sizeof(path), "/proc/%llu/status", (unsigned long long)pid);
		if (pio_read(path, &b) == 0 && (uidl = strstr(b.data, "\nUid:"))) {
			unsigned long ruid, euid;

			if (sscanf(uidl + 5, "%lu %lu", &ruid, &euid) == 2)
				p->euid = (uid_t)euid;
		}
		p->user = xstrdup(user_name(p->euid));
	}
	closedir(dir);
	buf_free(&b);
	return 0;
}

int proc_collect(struct model *m)
{
	struct pids_info *info = NULL;
	struct pids_fetch *f;
	int rc;

	if (pio_rerooted())
		return proc_collect_rooted(m);
	rc = procps_pids_new(&info, proc_items, (int)ARRAY_SIZE(proc_items));
	if (rc < 0)
		return rc;
	f = procps_pids_reap(info, PIDS_FETCH_TASKS_ONLY);
	if (!f) {
		rc = errno ? -errno : -EIO;
		goto out;
	}
	for (int i = 0; i < f->counts->total; i++) {
		struct pids_stack *s = f->stacks[i];
		struct ipc_proc *p;
		const char *user;

		/* kernel threads hold no IPC and their fd dirs are root-only */
		if (PIDS_VAL(I_FLAGS, ul_int, s, info) & PF_KTHREAD)
			continue;
		p = model_add_proc(m);
		p->pid = PIDS_VAL(I_PID, s_int, s, info);
		p->comm = xstrdup(PIDS_VAL(I_CMD, str, s, info));
		p->euid = PIDS_VAL(I_EUID, u_int, s, info);
		user = PIDS_VAL(I_EUSER, str, s, info);
		p->user = xstrdup(user && *user ? user : user_name(p->euid));
		p->start = PIDS_VAL(I_BEGAN, ull_int, s, info);
	}
	rc = 0;
out:
	procps_pids_unref(&info);
	return rc;
}

bool proc_task_alive(int piddir)
{
	char sbuf[512], *r;
	int sfd = openat(piddir, "stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = sfd < 0 ? -1 : read(sfd, sbuf, sizeof(sbuf) - 1);

	if (sfd >= 0)
		close(sfd);
	r = n > 0 ? memrchr(sbuf, ')', (size_t)n) : NULL;
	return r && r + 2 < sbuf + n && r[2] != 'Z' && r[2] != 'X';
}

/* A thread of the process, other than the leader, whose task directory
 * opens below the checked dir and which has not exited: the one to read a
 * process through once its leader has. Its tid in *tid; a dirfd, or -1. */
static int proc_live_task(int dfd, pid_t pid, pid_t *tid)
{
	struct dirent *de;
	DIR *dir;
	int fd = openat(dfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC), tfd = -1;

	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (tfd < 0 && (de = readdir(dir))) {
		uint64_t n;

		if (!parse_u64(de->d_name, &n) || n > INT32_MAX || (pid_t)n == pid)
			continue;
		tfd = openat(dirfd(dir), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* an exiting thread has dropped its fd table and mappings too */
		if (tfd >= 0 && !proc_task_alive(tfd)) {
			close(tfd);
			tfd = -1;
		}
		if (tfd >= 0)
			*tid = (pid_t)n;
	}
	closedir(dir);
	return tfd;
}

/* Opens /proc/PID and checks its start time; with stat's text in sbuf.
 * When the leader has exited while other threads live, its fd, maps and
 * ns entries are empty or unreadable: the dirfd is then that of a live
 * thread's task directory, found below the checked one (so of the same
 * process), and *tid that thread's id, else 0. */
static int proc_open_dir(const struct ipc_proc *p, struct proc_stat *pst, char *sbuf,
			 size_t size, ssize_t *n, pid_t *tid)
{
	char path[32];
	int dfd, sfd, tfd;

	*tid = 0;
	snprintf(path, sizeof(path), "/proc/%d", (int)p->pid);
	dfd = pio_open(path, O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return dfd == -ENOENT ? -ESRCH : dfd;
	/* Reading stat through the dirfd pins the answer to the process the
	 * dirfd refers to; a different start time means the pid was reused. */
	sfd = openat(dfd, "stat", O_RDONLY | O_CLOEXEC);
	if (sfd < 0)
		goto gone;
	*n = read(sfd, sbuf, size - 1);
	close(sfd);
	if (*n <= 0 || proc_parse_stat(sbuf, (size_t)*n, pst) < 0 || pst->start != p->start)
		goto gone;
	if (pst->state != 'Z' || pst->threads <= 1)
		return dfd;
	tfd = proc_live_task(dfd, p->pid, tid);
	close(dfd);
	/* a zombie whose last threads are exiting: nothing left to read */
	return tfd < 0 ? -ESRCH : tfd;
gone:
	close(dfd);
	return -ESRCH;
}

int proc_open(struct ipc_proc *p)
{
	struct proc_stat pst;
	char sbuf[1024];
	const char *l, *r;
	ssize_t n;
	pid_t tid;
	int dfd = proc_open_dir(p, &pst, sbuf, sizeof(sbuf), &n, &tid);

	if (dfd < 0)
		return dfd;
	p->via_tid = tid;
	/* waits need no other read for a process of one thread */
	p->state = pst.state;
	p->nthreads = pst.threads;
	/* libproc2 hands comm over with odd bytes replaced by '?'; stat has
	 * the exact bytes, which the JSON keeps losslessly */
	l = memchr(sbuf, '(', (size_t)n);
	r = memrchr(sbuf, ')', (size_t)n);
	if (l && r && r > l) {
		free(p->comm);
		p->comm = xmemdup(l + 1, (size_t)(r - l - 1));
	}
	return dfd;
}

int proc_open_view(const struct ipc_proc *p)
{
	struct proc_stat pst;
	char sbuf[1024];
	ssize_t n;
	pid_t tid;

	return proc_open_dir(p, &pst, sbuf, sizeof(sbuf), &n, &tid);
}

int proc_open_tasks(int piddir, const struct ipc_proc *p)
{
	/* a task directory's parent is the process's task/ */
	int fd = openat(piddir, p->via_tid ? ".." : "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

uint64_t proc_ns_ino(pid_t pid, const char *which)
{
	char path[48];
	struct stat st;
	pid_t tid;
	int dfd, tfd, rc;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, which);
	if (stat(path, &st) == 0)
		return (uint64_t)st.st_ino;
	/* an exited leader has no namespaces left: a live thread's */
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	tfd = proc_live_task(dfd, pid, &tid);
	close(dfd);
	if (tfd < 0)
		return 0;
	snprintf(path, sizeof(path), "ns/%s", which);
	rc = fstatat(tfd, path, &st, 0);
	close(tfd);
	return rc == 0 ? (uint64_t)st.st_ino : 0;
}

bool proc_pids_ours(void)
{
	/* one answer for the run: written once, and the same by any thread */
	static int ours = -1;
	struct buf b = { 0 };
	const char *l;
	long pid = 0;

	if (ours >= 0)
		return ours;
	/* status's Pid is the process's number in /proc's pid namespace */
	if (pio_read("/proc/self/status", &b) == 0 && (l = strstr(b.data, "\nPid:")))
		pid = strtol(l + 5, NULL, 10);
	buf_free(&b);
	ours = pid == (long)getpid();
	return ours;
}

bool proc_same_files(pid_t a, pid_t b)
{
	if (a == b)
		return true;
	return proc_pids_ours() && syscall(SYS_kcmp, a, b, KCMP_FILES, 0, 0) == 0;
}

uint64_t proc_netns(int piddir)
{
	struct stat st;

	if (fstatat(piddir, "ns/net", &st, 0) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

uint64_t proc_ipcns(int piddir)
{
	struct stat st;

	if (fstatat(piddir, "ns/ipc", &st, 0) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}
