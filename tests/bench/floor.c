/*
 * floor - the minimal cost of reading the raw facts ipcscope needs.
 *
 * Single-threaded.  For every process (numeric entries of /proc, i.e.
 * thread-group leaders, not threads):
 *   - readlinkat() every entry of /proc/PID/fd (relative to the fd dirfd),
 *   - read /proc/PID/maps in full (one reusable buffer),
 * and one full read of /proc/net/unix.
 *
 * No parsing, no output except one summary line on stderr, so that the work
 * cannot be optimized away:
 *   floor: procs=.. fds=.. maps_bytes=.. unix_bytes=..
 * EACCES, ENOENT and ESRCH (processes or fds vanishing, permission denied)
 * are skipped silently; other errors are reported and make the exit status 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFSZ (256 * 1024)

static char g_buf[BUFSZ];   /* one reusable read buffer */
static int g_errors;

static int skippable(int e)
{
	return e == EACCES || e == ENOENT || e == ESRCH;
}

static void report(const char *what, const char *name)
{
	if (skippable(errno))
		return;
	fprintf(stderr, "floor: %s %s: %s\n", what, name, strerror(errno));
	g_errors++;
}

/* Read fd to EOF into g_buf (overwriting); returns bytes read or -1. */
static long long read_all(int fd)
{
	long long total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, g_buf, sizeof g_buf);
		if (n > 0) {
			total += n;
			continue;
		}
		if (n == 0)
			return total;
		if (errno == EINTR)
			continue;
		return -1;
	}
}

static int is_pid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int main(void)
{
	long long procs = 0, fds = 0, maps_bytes = 0, unix_bytes = 0, n;
	char link[PATH_MAX], rel[NAME_MAX + 16];
	struct dirent *pe, *fe;
	DIR *proc;
	int procfd, fd;

	proc = opendir("/proc");
	if (!proc) {
		perror("floor: /proc");
		return 1;
	}
	procfd = dirfd(proc);

	while ((errno = 0, pe = readdir(proc)) != NULL) {
		int fddirfd;
		DIR *fdd;

		if (!is_pid(pe->d_name))
			continue;
		procs++;

		/* /proc/PID/fd: readlinkat every entry relative to the dirfd. */
		snprintf(rel, sizeof rel, "%s/fd", pe->d_name);
		fddirfd = openat(procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fddirfd < 0) {
			report("open", rel);
		} else if (!(fdd = fdopendir(fddirfd))) {
			report("fdopendir", rel);
			close(fddirfd);
		} else {
			while ((errno = 0, fe = readdir(fdd)) != NULL) {
				if (fe->d_name[0] == '.')
					continue;
				if (readlinkat(fddirfd, fe->d_name, link, sizeof link) < 0) {
					report("readlink", fe->d_name);
					continue;
				}
				fds++;
			}
			if (errno)
				report("readdir", rel);
			closedir(fdd);
		}

		/* /proc/PID/maps in full. */
		snprintf(rel, sizeof rel, "%s/maps", pe->d_name);
		fd = openat(procfd, rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			report("open", rel);
			continue;
		}
		n = read_all(fd);
		if (n < 0)
			report("read", rel);
		else
			maps_bytes += n;
		close(fd);
	}
	if (errno)
		report("readdir", "/proc");
	closedir(proc);

	/* One full read of /proc/net/unix. */
	fd = open("/proc/net/unix", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report("open", "/proc/net/unix");
	} else {
		n = read_all(fd);
		if (n < 0)
			report("read", "/proc/net/unix");
		else
			unix_bytes = n;
		close(fd);
	}

	fprintf(stderr, "floor: procs=%lld fds=%lld maps_bytes=%lld unix_bytes=%lld\n",
		procs, fds, maps_bytes, unix_bytes);
	return g_errors ? 1 : 0;
}
