/*
 * mkipc - IPC test object factory for the ipcscope test suite.
 *
 * Usage: mkipc FACTORY [key=value ...]
 *
 * Creates exactly one scenario ("factory"), prints facts about it on stdout
 * as key=value lines followed by READY, then waits for SIGTERM/SIGINT/SIGHUP
 * (or EOF on stdin when stdin is a pipe, FIFO, socket or tty), cleans up
 * everything it created and exits 0.
 *
 * Exit status: 0 ok, 1 failure, 2 usage error, 3 not supported here.
 *
 * See README.md next to this file for the list of factories.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <linux/fuse.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/wait.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_UNSUPPORTED 3

#define MAX_KEYS 8        /* keys per factory */
#define MAX_FD 999        /* highest fd number a test may ask for */
#define MAX_SIZE (1LL << 30)
#define MAX_FILL 65536
#define MAX_ATTACH 64
#define MAX_MANY 100000
#define MAX_RES 256       /* cleanup registry entries */
#define MAX_KEEP 4        /* fds a child keeps from its parent */

/* ------------------------------------------------------------------ */
/* global state                                                        */

static bool g_is_child;
static int g_fdbase = 10;               /* scratch fds live at >= this */
static volatile sig_atomic_t g_signal;  /* set by the signal handler */

/* ------------------------------------------------------------------ */
/* error reporting                                                     */

static int code_for_errno(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
	case ENOSYS:
	case EOPNOTSUPP:
		return EXIT_UNSUPPORTED;
	default:
		return EXIT_FAIL;
	}
}

static void vmsg(const char *fmt, va_list ap, int err)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err)
		fprintf(stderr, "mkipc%s: %s: %s\n",
			g_is_child ? " (child)" : "", buf, strerror(err));
	else
		fprintf(stderr, "mkipc%s: %s\n",
			g_is_child ? " (child)" : "", buf);
}

/* Print "mkipc: WHAT: strerror(errno)"; return the exit code for errno. */
__attribute__((format(printf, 1, 2)))
static int sysfail(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
	return code_for_errno(e);
}

/* Print "mkipc: MESSAGE"; return code. */
__attribute__((format(printf, 2, 3)))
static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	return code;
}

__attribute__((format(printf, 1, 2)))
static void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

__attribute__((format(printf, 1, 2)))
static void warnerr(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
}

static int oom(void)
{
	return fail(EXIT_FAIL, "out of memory");
}

/* ------------------------------------------------------------------ */
/* facts (stdout protocol), buffered until READY                       */

static char g_out[16384];
static size_t g_outlen;
static bool g_out_overflow;

__attribute__((format(printf, 2, 3)))
static void fact(const char *key, const char *fmt, ...)
{
	char val[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	n = snprintf(g_out + g_outlen, sizeof(g_out) - g_outlen,
		     "%s=%s\n", key, val);
	if (n < 0 || (size_t)n >= sizeof(g_out) - g_outlen) {
		g_out_overflow = true;
		return;
	}
	g_outlen += (size_t)n;
}

static void fact_dev(const char *key, dev_t dev)
{
	fact(key, "%u:%u", major(dev), minor(dev));
}

static void fact_stat(const struct stat *st, const char *inokey,
		      const char *devkey)
{
	if (inokey)
		fact(inokey, "%llu", (unsigned long long)st->st_ino);
	if (devkey)
		fact_dev(devkey, st->st_dev);
}

static int fact_fstat(int fd, const char *inokey, const char *devkey)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return sysfail("fstat fd %d", fd);
	fact_stat(&st, inokey, devkey);
	return 0;
}

static int emit_ready(void)
{
	if (g_out_overflow)
		return fail(EXIT_FAIL, "internal error: output buffer overflow");
	fwrite(g_out, 1, g_outlen, stdout);
	fputs("READY\n", stdout);
	if (fflush(stdout) != 0 || ferror(stdout))
		return sysfail("write to stdout");
	return 0;
}

/* ------------------------------------------------------------------ */
/* cleanup registry                                                    */

enum rkind {
	R_NONE,
	R_CHILD,	/* pid: SIGTERM + waitpid */
	R_PATH,		/* name: unlink */
	R_SHM,		/* name: shm_unlink */
	R_SEM,		/* name: sem_unlink */
	R_SEMH,		/* sem: sem_close */
	R_MQ,		/* name: mq_unlink */
	R_SYSV,		/* id: shmctl IPC_RMID */
	R_SHMAT,	/* addr: shmdt */
	R_MAP,		/* addr, len: munmap */
};

struct res {
	enum rkind kind;
	pid_t pid;
	char *name;	/* owned */
	int id;
	void *addr;
	size_t len;
	sem_t *sem;
};

static struct res g_res[MAX_RES];
static size_t g_nres;

static struct res *reg(enum rkind kind)
{
	struct res *r = NULL;

	if (g_nres >= MAX_RES) {
		fprintf(stderr, "mkipc: internal error: too many resources\n");
		abort();
	}
	r = &g_res[g_nres++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	return r;
}

/* Takes ownership of name (malloc'd). */
static struct res *reg_name(enum rkind kind, char *name)
{
	struct res *r = reg(kind);

	r->name = name;
	return r;
}

static void unreg(struct res *r)
{
	free(r->name);
	r->name = NULL;
	r->kind = R_NONE;
}

static void reap_children(void)
{
	size_t i;

	for (i = 0; i < g_nres; i++) {
		if (g_res[i].kind != R_CHILD)
			continue;
		kill(g_res[i].pid, SIGTERM);
		kill(g_res[i].pid, SIGCONT);
	}
	for (i = 0; i < g_nres; i++) {
		pid_t pid = g_res[i].pid;
		bool done = false;
		int st, n;

		if (g_res[i].kind != R_CHILD)
			continue;
		/* up to ~5 seconds, then SIGKILL */
		for (n = 0; n < 500 && !done; n++) {
			pid_t r = waitpid(pid, &st, WNOHANG);
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			if (r == pid || (r < 0 && errno != EINTR)) {
				done = true;
				break;
			}
			nanosleep(&ts, NULL);
		}
		if (!done) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
		}
		g_res[i].kind = R_NONE;
	}
}

static void cleanup(void)
{
	size_t i;

	reap_children();
	for (i = g_nres; i-- > 0;) {
		struct res *r = &g_res[i];

		switch (r->kind) {
		case R_NONE:
		case R_CHILD:
			break;
		case R_MAP:
			if (munmap(r->addr, r->len) < 0)
				warnerr("munmap");
			break;
		case R_SHMAT:
			if (shmdt(r->addr) < 0)
				warnerr("shmdt");
			break;
		case R_SEMH:
			if (sem_close(r->sem) < 0)
				warnerr("sem_close");
			break;
		case R_PATH:
			if (unlink(r->name) < 0 && errno != ENOENT)
				warnerr("cleanup: unlink");
			break;
		case R_SHM:
			if (shm_unlink(r->name) < 0 && errno != ENOENT)
				warnerr("cleanup: shm_unlink");
			break;
		case R_SEM:
			if (sem_unlink(r->name) < 0 && errno != ENOENT)
				warnerr("cleanup: sem_unlink");
			break;
		case R_MQ:
			if (mq_unlink(r->name) < 0 && errno != ENOENT)
				warnerr("cleanup: mq_unlink");
			break;
		case R_SYSV:
			if (shmctl(r->id, IPC_RMID, NULL) < 0 &&
			    errno != EINVAL && errno != EIDRM)
				warnerr("cleanup: shmctl(%d, IPC_RMID)", r->id);
			break;
		}
		free(r->name);
		r->name = NULL;
		r->kind = R_NONE;
	}
	g_nres = 0;
}

/* ------------------------------------------------------------------ */
/* fd helpers                                                          */

/*
 * Move a freshly created fd to a scratch number >= g_fdbase (above every
 * requested target fd) so that creating several objects can never clobber
 * a target.  Passes -1 through.  Preserves FD_CLOEXEC.  On failure closes
 * fd and returns -1 with errno set.
 */
static int hold(int fd)
{
	int fl, nfd, e;

	if (fd < 0 || fd >= g_fdbase)
		return fd;
	fl = fcntl(fd, F_GETFD);
	nfd = fcntl(fd, (fl > 0 && (fl & FD_CLOEXEC)) ? F_DUPFD_CLOEXEC
						     : F_DUPFD, g_fdbase);
	/* EINVAL here means g_fdbase >= RLIMIT_NOFILE: out of fds */
	e = (nfd < 0 && errno == EINVAL) ? EMFILE : errno;
	close(fd);
	errno = e;
	return nfd;
}

/*
 * dup fd onto target (preserving FD_CLOEXEC) and close fd.  fd is closed
 * in all cases.  Returns 0, or -1 with errno set.
 */
static int place(int fd, int target)
{
	int fl, e;

	if (fd == target)
		return 0;
	fl = fcntl(fd, F_GETFD);
	if (dup3(fd, target, (fl > 0 && (fl & FD_CLOEXEC)) ? O_CLOEXEC : 0) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

static int place_or_fail(int fd, int target)
{
	if (place(fd, target) < 0)
		return sysfail("dup to fd %d", target);
	return 0;
}

static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

static void close_range_compat(unsigned int lo, unsigned int hi)
{
	DIR *d;
	struct dirent *de;

	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	d = opendir("/proc/self/fd");
	if (!d) {
		long max = sysconf(_SC_OPEN_MAX);
		unsigned int fd;

		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = lo; fd <= hi && fd < (unsigned int)max; fd++)
			close((int)fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = strtoul(de->d_name, &end, 10);
		if (*end || (int)fd == dirfd(d))
			continue;
		if (fd >= lo && fd <= hi)
			close((int)fd);
	}
	closedir(d);
}

/* Close every fd >= 3 except those in keep[]. */
static void close_fds_except(const int *keep, int nkeep)
{
	int k[MAX_KEEP + 2];
	int i, j, n = 0;
	unsigned int lo = 3;

	for (i = 0; i < nkeep && n < (int)(sizeof(k) / sizeof(k[0])); i++)
		k[n++] = keep[i];
	/* insertion sort */
	for (i = 1; i < n; i++) {
		int v = k[i];

		for (j = i; j > 0 && k[j - 1] > v; j--)
			k[j] = k[j - 1];
		k[j] = v;
	}
	for (i = 0; i < n; i++) {
		if (k[i] < 0 || (unsigned int)k[i] < lo)
			continue;
		if ((unsigned int)k[i] > lo)
			close_range_compat(lo, (unsigned int)k[i] - 1);
		lo = (unsigned int)k[i] + 1;
	}
	close_range_compat(lo, ~0U);
}

static size_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static void write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		done += (size_t)w;
	}
}

/*
 * Write exactly n bytes to fd without ever blocking.  For streams loop;
 * for message sockets send a single message of n bytes.
 */
static int fill_fd(int fd, long long n, bool stream)
{
	char *buf;
	size_t done = 0, len = (size_t)n;
	int rc = 0;

	if (n <= 0)
		return 0;
	buf = malloc(len);
	if (!buf)
		return oom();
	memset(buf, 'x', len);
	if (set_nonblock(fd, true) < 0) {
		free(buf);
		return sysfail("fcntl O_NONBLOCK");
	}
	if (!stream) {
		ssize_t w = send(fd, buf, len, MSG_DONTWAIT);

		if (w < 0)
			rc = sysfail("fill: send %zu bytes", len);
		else if ((size_t)w != len)
			rc = fail(EXIT_FAIL, "fill: short send (%zd of %zu)",
				  w, len);
	} else {
		while (done < len) {
			ssize_t w = write(fd, buf + done, len - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN) {
				rc = fail(EXIT_FAIL,
					  "fill: buffer full after %zu of %zu bytes",
					  done, len);
				break;
			}
			if (w < 0) {
				rc = sysfail("fill: write");
				break;
			}
			done += (size_t)w;
		}
	}
	free(buf);
	if (rc == 0 && set_nonblock(fd, false) < 0)
		rc = sysfail("fcntl ~O_NONBLOCK");
	return rc;
}

/* ------------------------------------------------------------------ */
/* string helpers                                                      */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode C-style escapes.  Returns malloc'd buffer (NUL-terminated too). */
static int decode(const char *in, char **out, size_t *outlen,
		  const char **err)
{
	size_t n = strlen(in), i, o = 0;
	char *buf = malloc(n + 1);

	*err = NULL;
	if (!buf) {
		*err = "out of memory";
		return -1;
	}
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (in[i] != '\\') {
			buf[o++] = in[i];
			continue;
		}
		if (++i >= n) {
			*err = "trailing backslash";
			goto bad;
		}
		switch (in[i]) {
		case 'n': buf[o++] = '\n'; break;
		case 't': buf[o++] = '\t'; break;
		case 'r': buf[o++] = '\r'; break;
		case 'e': buf[o++] = '\x1b'; break;
		case '\\': buf[o++] = '\\'; break;
		case 'x':
			if (i + 2 >= n) {	/* need in[i+1] and in[i+2] */
				*err = "\\x needs two hex digits";
				goto bad;
			}
			hi = hexval((unsigned char)in[i + 1]);
			lo = hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0) {
				*err = "\\x needs two hex digits";
				goto bad;
			}
			buf[o++] = (char)(hi * 16 + lo);
			i += 2;
			break;
		default:
			*err = "unknown escape (use \\n \\t \\r \\e \\\\ \\xHH)";
			goto bad;
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
bad:
	free(buf);
	return -1;
}

/* Render bytes printable for diagnostics (\\ and \xHH).  malloc'd. */
static char *escape_bytes(const char *s, size_t len)
{
	char *out = malloc(len * 4 + 1), *p = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\') {
			*p++ = '\\';
			*p++ = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			*p++ = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";

			*p++ = '\\';
			*p++ = 'x';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

/* malloc'd a + b[0..blen) */
static char *concat(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	char *s = malloc(alen + blen + 1);

	if (!s)
		return NULL;
	memcpy(s, a, alen);
	memcpy(s + alen, b, blen);
	s[alen + blen] = '\0';
	return s;
}

/* ------------------------------------------------------------------ */
/* parameters                                                          */

enum ptype { PT_STR, PT_INT, PT_FD, PT_TYPE };
enum { ROLE_PARENT = 1, ROLE_CHILD = 2 };

/* PT_STR flags */
#define KF_NUL_OK	1	/* may contain \x00 (abstract names) */
#define KF_NONEMPTY	2
#define KF_POSIX	4	/* POSIX IPC name: nonempty, no '/' */

/* socket type bits for PT_TYPE */
#define T_STREAM	1
#define T_DGRAM		2
#define T_SEQPACKET	4
#define T_ALL		7

struct keyspec {
	const char *key;
	enum ptype type;
	const char *def;	/* NULL: required */
	long long min, max;	/* PT_INT/PT_FD range; PT_TYPE: allowed mask */
	int role;		/* PT_FD: which process holds it */
	int base;		/* PT_INT: strtoll base */
	int flags;		/* PT_STR: KF_* */
};

#define K_STR(k, f) { .key = (k), .type = PT_STR, .flags = (f) }
#define K_INT(k, d, lo, hi) \
	{ .key = (k), .type = PT_INT, .def = (d), .min = (lo), .max = (hi), .base = 10 }
#define K_FD(k, d, r) \
	{ .key = (k), .type = PT_FD, .def = (d), .min = 3, .max = MAX_FD, .role = (r), .base = 10 }
#define K_TYPE(d, mask) { .key = "type", .type = PT_TYPE, .def = (d), .max = (mask) }

struct param {
	const struct keyspec *spec;
	const char *text;	/* argv text or default */
	bool given;
	char *str;		/* PT_STR: decoded bytes (NUL-terminated) */
	size_t len;		/* PT_STR: decoded length */
	char *shown;		/* PT_STR: escaped for diagnostics */
	long long num;		/* PT_INT/PT_FD value, PT_TYPE: SOCK_* */
};

static struct param g_params[MAX_KEYS];
static int g_nparams;

static struct param *param(const char *key)
{
	int i;

	for (i = 0; i < g_nparams; i++)
		if (strcmp(g_params[i].spec->key, key) == 0)
			return &g_params[i];
	fprintf(stderr, "mkipc: internal error: no parameter '%s'\n", key);
	abort();
}

static long long pnum(const char *key) { return param(key)->num; }
static int pfd(const char *key) { return (int)param(key)->num; }
static int ptypev(void) { return (int)param("type")->num; }
static const char *pstr(const char *key) { return param(key)->str; }
static size_t plen(const char *key) { return param(key)->len; }
static const char *pshown(const char *key) { return param(key)->shown; }

static void free_params(void)
{
	int i;

	for (i = 0; i < g_nparams; i++) {
		free(g_params[i].str);
		free(g_params[i].shown);
		g_params[i].str = g_params[i].shown = NULL;
	}
	g_nparams = 0;
}

static const struct {
	const char *name;
	int type;
	int bit;
} socktypes[] = {
	{ "stream", SOCK_STREAM, T_STREAM },
	{ "dgram", SOCK_DGRAM, T_DGRAM },
	{ "seqpacket", SOCK_SEQPACKET, T_SEQPACKET },
};

static const char *socktype_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof(socktypes) / sizeof(socktypes[0]); i++)
		if (socktypes[i].type == type)
			return socktypes[i].name;
	return "?";
}

/* Convert p->text according to its spec.  Returns 0 or prints and -1. */
static int convert_param(const char *factory, struct param *p)
{
	const struct keyspec *s = p->spec;
	const char *err;
	char *end;
	size_t i;

	switch (s->type) {
	case PT_STR:
		if (decode(p->text, &p->str, &p->len, &err) < 0) {
			char *t = escape_bytes(p->text, strlen(p->text));

			warnx("%s: bad value for %s='%s': %s", factory, s->key,
			      t ? t : "?", err);
			free(t);
			return -1;
		}
		p->shown = escape_bytes(p->str, p->len);
		if (!p->shown) {
			oom();
			return -1;
		}
		if (!(s->flags & KF_NUL_OK) && strlen(p->str) != p->len) {
			warnx("%s: %s='%s' must not contain \\x00", factory,
			      s->key, p->shown);
			return -1;
		}
		if ((s->flags & (KF_NONEMPTY | KF_POSIX)) && p->len == 0) {
			warnx("%s: %s= must not be empty", factory, s->key);
			return -1;
		}
		if ((s->flags & KF_POSIX) && memchr(p->str, '/', p->len)) {
			warnx("%s: %s='%s' must not contain '/'", factory,
			      s->key, p->shown);
			return -1;
		}
		return 0;
	case PT_INT:
	case PT_FD:
		errno = 0;
		p->num = strtoll(p->text, &end, s->base);
		if (errno || end == p->text || *end || p->num < s->min ||
		    p->num > s->max) {
			char *t = escape_bytes(p->text, strlen(p->text));

			warnx("%s: bad value for %s='%s' (want integer %lld..%lld)",
			      factory, s->key, t ? t : "?", s->min, s->max);
			free(t);
			return -1;
		}
		return 0;
	case PT_TYPE:
		for (i = 0; i < sizeof(socktypes) / sizeof(socktypes[0]); i++) {
			if (strcmp(p->text, socktypes[i].name) == 0 &&
			    (s->max & socktypes[i].bit)) {
				p->num = socktypes[i].type;
				return 0;
			}
		}
		{
			char *t = escape_bytes(p->text, strlen(p->text));
			char allowed[64] = "";

			for (i = 0; i < sizeof(socktypes) / sizeof(socktypes[0]); i++) {
				if (!(s->max & socktypes[i].bit))
					continue;
				if (allowed[0])
					strcat(allowed, "|");
				strcat(allowed, socktypes[i].name);
			}
			warnx("%s: bad value for type='%s' (want %s)", factory,
			      t ? t : "?", allowed);
			free(t);
		}
		return -1;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* child processes                                                     */

struct child_msg {
	int status;
	unsigned long long v[4];
};

typedef int (*child_fn)(void *arg, unsigned long long v[4]);
/* what a child does once its setup is reported (NULL: pause) */
typedef void (*then_fn)(void *arg);

static void on_signal(int sig)
{
	g_signal = sig;
}

static const int end_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void setup_signals(void)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(end_signals) / sizeof(end_signals[0]); i++)
		sigaddset(&set, end_signals[i]);
	/* blocked during setup; unblocked atomically while waiting */
	sigprocmask(SIG_BLOCK, &set, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(end_signals) / sizeof(end_signals[0]); i++)
		sigaction(end_signals[i], &sa, NULL);

	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGTTIN, &sa, NULL);
}

static void child_reset_signals(void)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(end_signals) / sizeof(end_signals[0]); i++)
		sigaction(end_signals[i], &sa, NULL);
	sigaction(SIGTTIN, &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/*
 * Child side: make the fd table deterministic (0,1 -> /dev/null, nothing
 * but keep[] and the sync pipe above 2), run fn, report to the parent,
 * point stderr at /dev/null, close the sync pipe, run then (if any: the
 * waits factories block in it) and sleep until killed.
 */
__attribute__((noreturn))
static void child_main(child_fn fn, then_fn then, void *arg, const int *keep,
		       int nkeep, int syncfd, pid_t parent)
{
	struct child_msg m;
	int k[MAX_KEEP + 2], nk = 0, i, nul;

	g_is_child = true;
	memset(&m, 0, sizeof(m));
	child_reset_signals();

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) {
		m.status = sysfail("prctl(PR_SET_PDEATHSIG)");
		goto report;
	}
	if (getppid() != parent)
		_exit(EXIT_FAIL);	/* parent already gone */

	nul = hold(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (nul < 0) {
		m.status = sysfail("open /dev/null");
		goto report;
	}
	dup2(nul, STDIN_FILENO);
	dup2(nul, STDOUT_FILENO);

	for (i = 0; i < nkeep && i < MAX_KEEP; i++)
		k[nk++] = keep[i];
	k[nk++] = syncfd;
	k[nk++] = nul;
	close_fds_except(k, nk);

	m.status = fn(arg, m.v);
	if (m.status == 0) {
		write_full(syncfd, &m, sizeof(m));
		dup2(nul, STDERR_FILENO);
		close(nul);
		close(syncfd);	/* parent waits for this EOF before READY */
		if (then)
			then(arg);
		for (;;)
			pause();
	}
report:
	write_full(syncfd, &m, sizeof(m));
	_exit(m.status ? m.status : EXIT_FAIL);
}

/*
 * Fork a child running fn(arg), then then(arg).  keep[] lists parent fds
 * the child keeps.  Returns only after the child finished its setup and
 * closed the sync pipe (then may not have started yet).  Returns 0 or an
 * exit code.
 */
static int spawn_then(child_fn fn, then_fn then, void *arg, const int *keep,
		      int nkeep, pid_t *pidp, unsigned long long v[4])
{
	struct child_msg m;
	struct res *r = NULL;
	pid_t pid, parent = getpid();
	int sp[2], rc;
	size_t got;
	char c;

	if (pipe2(sp, O_CLOEXEC) < 0)
		return sysfail("pipe (sync)");
	sp[0] = hold(sp[0]);
	sp[1] = hold(sp[1]);
	if (sp[0] < 0 || sp[1] < 0) {
		rc = sysfail("fcntl(F_DUPFD) (sync pipe)");
		if (sp[0] >= 0)
			close(sp[0]);
		if (sp[1] >= 0)
			close(sp[1]);
		return rc;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		rc = sysfail("fork");
		close(sp[0]);
		close(sp[1]);
		return rc;
	}
	if (pid == 0) {
		close(sp[0]);
		child_main(fn, then, arg, keep, nkeep, sp[1], parent);
	}
	r = reg(R_CHILD);
	r->pid = pid;
	close(sp[1]);

	memset(&m, 0, sizeof(m));
	got = read_full(sp[0], &m, sizeof(m));
	/* wait for EOF: the child has closed its end of the sync pipe */
	for (;;) {
		ssize_t n = read(sp[0], &c, 1);

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		break;
	}
	close(sp[0]);
	if (got != sizeof(m))
		return fail(EXIT_FAIL, "child %d exited during setup", (int)pid);
	if (m.status != 0)
		return m.status;	/* the child printed the reason */
	if (pidp)
		*pidp = pid;
	if (v)
		memcpy(v, m.v, sizeof(m.v));
	return 0;
}

static int spawn(child_fn fn, void *arg, const int *keep, int nkeep,
		 pid_t *pidp, unsigned long long v[4])
{
	return spawn_then(fn, NULL, arg, keep, nkeep, pidp, v);
}

/* ------------------------------------------------------------------ */
/* common object helpers                                               */

static int make_sockaddr(struct sockaddr_un *sa, socklen_t *salen,
			 const char *path, size_t len, bool abstract,
			 const char *shown)
{
	size_t off = abstract ? 1 : 0;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (len + off + (abstract ? 0 : 1) > sizeof(sa->sun_path))
		return fail(EXIT_USAGE, "socket address '%s' too long (%zu bytes)",
			    shown, len);
	memcpy(sa->sun_path + off, path, len);
	if (abstract)
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	else
		*salen = (socklen_t)sizeof(*sa);
	return 0;
}

/* socket(AF_UNIX, type) + bind(path); registers the path for unlink. */
static int bound_socket(int type, const char *path, size_t len,
			const char *shown, int *fdp)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	char *copy;
	int fd = -1, rc;

	rc = make_sockaddr(&sa, &salen, path, len, false, shown);
	if (rc)
		return rc;
	copy = strdup(path);
	if (!copy)
		return oom();
	fd = hold(socket(AF_UNIX, type, 0));
	if (fd < 0) {
		free(copy);
		return sysfail("socket(AF_UNIX, %s)", socktype_name(type));
	}
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		rc = sysfail("bind %s", shown);
		close(fd);
		free(copy);
		return rc;
	}
	reg_name(R_PATH, copy);
	*fdp = fd;
	return 0;
}

static int do_listen(int fd, const char *shown)
{
	if (listen(fd, 16) < 0)
		return sysfail("listen %s", shown);
	return 0;
}

/* Child: keep end (inherited fd) at target, optionally fill it. */
struct end_arg {
	int end;
	int target;
	long long fill;
	bool stream;
};

static int end_child(void *arg, unsigned long long v[4])
{
	const struct end_arg *a = arg;
	int rc;

	(void)v;
	rc = place_or_fail(a->end, a->target);
	if (rc)
		return rc;
	return fill_fd(a->target, a->fill, a->stream);
}

/* Child: socket + connect(path) at target; v[0] = inode. */
struct connect_arg {
	int type;
	const char *path;
	size_t len;
	const char *shown;
	int target;
};

static int connect_child(void *arg, unsigned long long v[4])
{
	const struct connect_arg *a = arg;
	struct sockaddr_un sa;
	socklen_t salen = 0;
	struct stat st;
	int fd = -1, rc;

	rc = make_sockaddr(&sa, &salen, a->path, a->len, false, a->shown);
	if (rc)
		return rc;
	fd = hold(socket(AF_UNIX, a->type, 0));
	if (fd < 0)
		return sysfail("socket(AF_UNIX, %s)", socktype_name(a->type));
	if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		rc = sysfail("connect %s", a->shown);
		close(fd);
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = sysfail("fstat socket");
		close(fd);
		return rc;
	}
	v[0] = (unsigned long long)st.st_ino;
	return place_or_fail(fd, a->target);
}

static long page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? ps : 4096;
}

/* mmap shared RW, write one byte per page; optionally register munmap. */
static int map_touch(int fd, size_t size, bool do_reg, const char *what)
{
	volatile char *p;
	size_t off, ps = (size_t)page_size();
	void *addr;

	addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		return sysfail("mmap %s", what);
	if (do_reg) {
		struct res *r = reg(R_MAP);

		r->addr = addr;
		r->len = size;
	}
	p = addr;
	for (off = 0; off < size; off += ps)
		p[off] = 1;
	return 0;
}

/* shm_open("/"+name, O_CREAT|O_EXCL|O_RDWR, 0600); registers shm_unlink. */
static int shm_create(const char *name, const char *shown, int *fdp,
		      struct res **resp)
{
	char *full = concat("/", name, strlen(name));
	struct res *r = NULL;
	int fd;

	if (!full)
		return oom();
	fd = shm_open(full, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0) {
		free(full);
		return sysfail("shm_open /%s", shown);
	}
	r = reg_name(R_SHM, full);	/* before anything else can fail */
	if (resp)
		*resp = r;
	fd = hold(fd);
	if (fd < 0)
		return sysfail("shm_open /%s", shown);
	*fdp = fd;
	return 0;
}

static int do_truncate(int fd, long long size, const char *what)
{
	if (ftruncate(fd, (off_t)size) < 0)
		return sysfail("ftruncate %s to %lld", what, size);
	return 0;
}

/* shm_create + ftruncate */
static int shm_create_sized(int *fdp, struct res **resp)
{
	const char *shown = pshown("name");
	int rc, fd = -1;

	rc = shm_create(pstr("name"), shown, &fd, resp);
	if (rc)
		return rc;
	rc = do_truncate(fd, pnum("size"), shown);
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* ------------------------------------------------------------------ */
/* factories                                                           */

/* 1. fifo */
struct fifo_arg {
	const char *path;
	const char *shown;
	int target;
};

static int fifo_child(void *arg, unsigned long long v[4])
{
	const struct fifo_arg *a = arg;
	int fd = -1, rc;

	(void)v;
	fd = hold(open(a->path, O_WRONLY | O_NONBLOCK));
	if (fd < 0)
		return sysfail("open %s for writing", a->shown);
	if (set_nonblock(fd, false) < 0) {
		rc = sysfail("fcntl %s", a->shown);
		close(fd);
		return rc;
	}
	return place_or_fail(fd, a->target);
}

static int make_fifo(const char *path, const char *shown)
{
	char *copy = strdup(path);
	int rc;

	if (!copy)
		return oom();
	if (mkfifo(path, 0600) < 0) {
		rc = sysfail("mkfifo %s", shown);
		free(copy);
		return rc;
	}
	reg_name(R_PATH, copy);
	return 0;
}

static int run_fifo(void)
{
	const char *path = pstr("path"), *shown = pshown("path");
	struct fifo_arg a = { path, shown, pfd("wfd") };
	pid_t child;
	int fd = -1, rc;

	rc = make_fifo(path, shown);
	if (rc)
		return rc;
	fd = hold(open(path, O_RDONLY | O_NONBLOCK));
	if (fd < 0)
		return sysfail("open %s for reading", shown);
	if (set_nonblock(fd, false) < 0) {
		rc = sysfail("fcntl %s", shown);
		close(fd);
		return rc;
	}
	rc = place_or_fail(fd, pfd("rfd"));
	if (rc)
		return rc;
	rc = spawn(fifo_child, &a, NULL, 0, &child, NULL);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("rfd", "%d", pfd("rfd"));
	fact("wfd", "%d", pfd("wfd"));
	return fact_fstat(pfd("rfd"), "ino", "dev");
}

/* 2. fifo-unopened */
static int run_fifo_unopened(void)
{
	const char *path = pstr("path"), *shown = pshown("path");
	struct stat st;
	int rc;

	rc = make_fifo(path, shown);
	if (rc)
		return rc;
	if (lstat(path, &st) < 0)
		return sysfail("lstat %s", shown);
	fact_stat(&st, "ino", "dev");
	return 0;
}

/* 3. pipe, 23. comm: parent read end at rfd, child write end at wfd */
static int pipe_pair(int rfd, int wfd, long long fill, pid_t *childp)
{
	struct end_arg a;
	int p[2], rc, keep[1];

	if (pipe(p) < 0)
		return sysfail("pipe");
	p[0] = hold(p[0]);
	p[1] = hold(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		rc = sysfail("fcntl(F_DUPFD) (pipe)");
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		return rc;
	}
	a.end = p[1];
	a.target = wfd;
	a.fill = fill;
	a.stream = true;
	keep[0] = p[1];
	rc = spawn(end_child, &a, keep, 1, childp, NULL);
	close(p[1]);
	if (rc) {
		close(p[0]);
		return rc;
	}
	return place_or_fail(p[0], rfd);
}

static int run_pipe(void)
{
	pid_t child;
	int rc;

	rc = pipe_pair(pfd("rfd"), pfd("wfd"), pnum("fill"), &child);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("rfd", "%d", pfd("rfd"));
	fact("wfd", "%d", pfd("wfd"));
	rc = fact_fstat(pfd("rfd"), "ino", "dev");
	fact("fill", "%lld", pnum("fill"));
	return rc;
}

/* 4. socketpair */
static int run_socketpair(void)
{
	int type = ptypev(), sv[2], rc, keep[1];
	struct stat st0, st1;
	struct end_arg a;
	pid_t child;

	if (socketpair(AF_UNIX, type, 0, sv) < 0)
		return sysfail("socketpair(AF_UNIX, %s)", socktype_name(type));
	sv[0] = hold(sv[0]);
	sv[1] = hold(sv[1]);
	if (sv[0] < 0 || sv[1] < 0) {
		rc = sysfail("fcntl(F_DUPFD) (socketpair)");
		if (sv[0] >= 0)
			close(sv[0]);
		if (sv[1] >= 0)
			close(sv[1]);
		return rc;
	}
	if (fstat(sv[0], &st0) < 0 || fstat(sv[1], &st1) < 0) {
		rc = sysfail("fstat socketpair");
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	a.end = sv[1];
	a.target = pfd("peerfd");
	a.fill = pnum("fill");
	a.stream = (type == SOCK_STREAM);
	keep[0] = sv[1];
	rc = spawn(end_child, &a, keep, 1, &child, NULL);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		return rc;
	}
	rc = place_or_fail(sv[0], pfd("fd"));
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("type", "%s", socktype_name(type));
	fact("fd", "%d", pfd("fd"));
	fact("peerfd", "%d", pfd("peerfd"));
	fact_stat(&st0, "ino", NULL);
	fact_stat(&st1, "peer_ino", NULL);
	fact("fill", "%lld", pnum("fill"));
	return 0;
}

/* 5. listener, 6. pending */
static int listener_common(bool do_accept)
{
	const char *path = pstr("path"), *shown = pshown("path");
	struct connect_arg a;
	unsigned long long v[4];
	struct stat lst, pst;
	int type = ptypev(), fd = -1, rc;
	pid_t child;

	rc = bound_socket(type, path, plen("path"), shown, &fd);
	if (rc)
		return rc;
	rc = do_listen(fd, shown);
	if (rc == 0 && fstat(fd, &lst) < 0)
		rc = sysfail("fstat listening socket");
	if (rc) {
		close(fd);
		return rc;
	}
	rc = place_or_fail(fd, pfd("lfd"));
	if (rc)
		return rc;
	if (lstat(path, &pst) < 0)
		return sysfail("lstat %s", shown);

	a.type = type;
	a.path = path;
	a.len = plen("path");
	a.shown = shown;
	a.target = pfd("cfd");
	rc = spawn(connect_child, &a, NULL, 0, &child, v);
	if (rc)
		return rc;

	fact("child_pid", "%d", (int)child);
	fact("type", "%s", socktype_name(type));
	fact("lfd", "%d", pfd("lfd"));
	fact("cfd", "%d", pfd("cfd"));
	if (do_accept) {
		int afd = hold(accept4(pfd("lfd"), NULL, NULL, 0));

		if (afd < 0)
			return sysfail("accept %s", shown);
		rc = place_or_fail(afd, pfd("afd"));
		if (rc)
			return rc;
		fact("afd", "%d", pfd("afd"));
	}
	fact_stat(&lst, "listen_ino", NULL);
	fact("client_ino", "%llu", v[0]);
	if (do_accept) {
		rc = fact_fstat(pfd("afd"), "accepted_ino", NULL);
		if (rc)
			return rc;
		fact_stat(&pst, "path_ino", "path_dev");
	}
	return 0;
}

static int run_listener(void) { return listener_common(true); }
static int run_pending(void) { return listener_common(false); }

/* 7. abstract */
static int run_abstract(void)
{
	const char *shown = pshown("name");
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int type = ptypev(), fd = -1, rc;

	rc = make_sockaddr(&sa, &salen, pstr("name"), plen("name"), true, shown);
	if (rc)
		return rc;
	fd = hold(socket(AF_UNIX, type, 0));
	if (fd < 0)
		return sysfail("socket(AF_UNIX, %s)", socktype_name(type));
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		rc = sysfail("bind @%s", shown);
		close(fd);
		return rc;
	}
	if (type != SOCK_DGRAM) {
		rc = do_listen(fd, shown);
		if (rc) {
			close(fd);
			return rc;
		}
	}
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	fact("type", "%s", socktype_name(type));
	fact("fd", "%d", pfd("fd"));
	fact("name_len", "%zu", plen("name"));
	return fact_fstat(pfd("fd"), "ino", NULL);
}

/* 8. dgram */
static int run_dgram(void)
{
	const char *path = pstr("path"), *shown = pshown("path");
	struct connect_arg a;
	unsigned long long v[4];
	pid_t child;
	int fd = -1, rc;

	rc = bound_socket(SOCK_DGRAM, path, plen("path"), shown, &fd);
	if (rc)
		return rc;
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	a.type = SOCK_DGRAM;
	a.path = path;
	a.len = plen("path");
	a.shown = shown;
	a.target = pfd("cfd");
	rc = spawn(connect_child, &a, NULL, 0, &child, v);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("fd", "%d", pfd("fd"));
	fact("cfd", "%d", pfd("cfd"));
	rc = fact_fstat(pfd("fd"), "ino", NULL);
	fact("client_ino", "%llu", v[0]);
	return rc;
}

/* 9. unnamed */
static int run_unnamed(void)
{
	int type = ptypev(), fd = -1, rc;

	fd = hold(socket(AF_UNIX, type, 0));
	if (fd < 0)
		return sysfail("socket(AF_UNIX, %s)", socktype_name(type));
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	fact("type", "%s", socktype_name(type));
	fact("fd", "%d", pfd("fd"));
	return fact_fstat(pfd("fd"), "ino", NULL);
}

/* stale-socket: bound, then closed: the file outlives its socket */
static int run_stale_socket(void)
{
	struct stat st;
	int fd = -1, rc;

	rc = bound_socket(SOCK_STREAM, pstr("path"), plen("path"), pshown("path"), &fd);
	if (rc)
		return rc;
	close(fd);
	if (lstat(pstr("path"), &st) < 0)
		return sysfail("lstat %s", pshown("path"));
	fact_stat(&st, "ino", "dev");
	return 0;
}

/* shm-open: hold an existing segment that someone else made; it is not
 * ours to unlink */
static int run_shm_open(void)
{
	char *name = concat("/", pstr("name"), plen("name"));
	int fd, rc;

	if (!name)
		return oom();
	fd = hold(shm_open(name, O_RDWR, 0));
	free(name);
	if (fd < 0)
		return sysfail("shm_open /%s", pshown("name"));
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	fact("fd", "%d", pfd("fd"));
	return fact_fstat(pfd("fd"), "ino", "dev");
}

/* 10. shm-fd */
static int run_shm_fd(void)
{
	int fd = -1, rc;

	rc = shm_create_sized(&fd, NULL);
	if (rc)
		return rc;
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	fact("fd", "%d", pfd("fd"));
	rc = fact_fstat(pfd("fd"), "ino", "dev");
	fact("size", "%lld", pnum("size"));
	return rc;
}

/* 11. shm-mapped, 13. shm-deleted */
static int shm_mapped_common(bool delete)
{
	struct res *r = NULL;
	struct stat st;
	int fd = -1, rc;

	rc = shm_create_sized(&fd, &r);
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0)
		rc = sysfail("fstat shm");
	if (rc == 0)
		rc = map_touch(fd, (size_t)pnum("size"), true, pshown("name"));
	if (rc == 0 && delete) {
		if (shm_unlink(r->name) < 0)
			rc = sysfail("shm_unlink /%s", pshown("name"));
		else
			unreg(r);
	}
	close(fd);
	if (rc)
		return rc;
	fact_stat(&st, "ino", "dev");
	fact("size", "%lld", pnum("size"));
	return 0;
}

static int run_shm_mapped(void) { return shm_mapped_common(false); }
static int run_shm_deleted(void) { return shm_mapped_common(true); }

/* 12. shm-orphan */
static int run_shm_orphan(void)
{
	struct stat st;
	int fd = -1, rc;

	rc = shm_create_sized(&fd, NULL);
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0)
		rc = sysfail("fstat shm");
	close(fd);
	if (rc)
		return rc;
	fact_stat(&st, "ino", "dev");
	fact("size", "%lld", pnum("size"));
	return 0;
}

/* 14. shm-ro */
static int run_shm_ro(void)
{
	struct res *r = NULL;
	int cfd = -1, fd, rc;

	rc = shm_create_sized(&cfd, &r);
	if (rc)
		return rc;
	fd = hold(shm_open(r->name, O_RDONLY, 0));
	if (fd < 0) {
		rc = sysfail("shm_open /%s O_RDONLY", pshown("name"));
		close(cfd);
		return rc;
	}
	close(cfd);
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	fact("fd", "%d", pfd("fd"));
	rc = fact_fstat(pfd("fd"), "ino", "dev");
	fact("size", "%lld", pnum("size"));
	return rc;
}

/* 15. shm-shared */
struct shmmap_arg {
	int fd;
	size_t size;
	const char *shown;
};

static int shmmap_child(void *arg, unsigned long long v[4])
{
	const struct shmmap_arg *a = arg;
	int rc;

	(void)v;
	rc = map_touch(a->fd, a->size, false, a->shown);
	close(a->fd);
	return rc;
}

static int run_shm_shared(void)
{
	struct shmmap_arg a;
	pid_t child;
	int fd = -1, rc, keep[1];

	rc = shm_create_sized(&fd, NULL);
	if (rc)
		return rc;
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	a.fd = pfd("fd");
	a.size = (size_t)pnum("size");
	a.shown = pshown("name");
	keep[0] = a.fd;
	rc = spawn(shmmap_child, &a, keep, 1, &child, NULL);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("fd", "%d", pfd("fd"));
	rc = fact_fstat(pfd("fd"), "ino", "dev");
	fact("size", "%lld", pnum("size"));
	return rc;
}

/* 16. memfd, 17. memfd-mapped */
static int memfd_sized(int *fdp)
{
	const char *shown = pshown("name");
	int fd = -1, rc;

	fd = hold(memfd_create(pstr("name"), MFD_CLOEXEC |
			       (pnum("huge") ? MFD_HUGETLB : 0)));
	if (fd < 0 && pnum("huge"))
		return fail(EXIT_UNSUPPORTED, "memfd_create %s with MFD_HUGETLB: %s", shown,
			    strerror(errno));
	if (fd < 0)
		return sysfail("memfd_create %s", shown);
	rc = do_truncate(fd, pnum("size"), shown);
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* Writes n bytes at offset 0, so that much memory is really used: tmpfs
 * allocates a page only when it is written. */
static int memfd_write(int fd, long long n)
{
	static char chunk[65536];
	long long off = 0;

	memset(chunk, 0x5a, sizeof(chunk));
	while (off < n) {
		size_t len = n - off < (long long)sizeof(chunk) ? (size_t)(n - off) : sizeof(chunk);
		ssize_t w = pwrite(fd, chunk, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return sysfail("memfd: write %lld bytes", n);
		off += w;
	}
	return 0;
}

static int run_memfd(void)
{
	bool map = pnum("map") != 0;
	int fd = -1, rc;

	if (map && pnum("size") == 0)
		return fail(EXIT_USAGE, "memfd: map=1 needs size>0");
	if (pnum("fill") > pnum("size"))
		return fail(EXIT_USAGE, "memfd: fill must not exceed size");
	rc = memfd_sized(&fd);
	if (rc)
		return rc;
	rc = memfd_write(fd, pnum("fill"));
	if (rc) {
		close(fd);
		return rc;
	}
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	if (map) {
		rc = map_touch(pfd("fd"), (size_t)pnum("size"), true,
			       pshown("name"));
		if (rc)
			return rc;
	}
	fact("fd", "%d", pfd("fd"));
	rc = fact_fstat(pfd("fd"), "ino", "dev");
	fact("size", "%lld", pnum("size"));
	fact("map", "%d", map ? 1 : 0);
	fact("fill", "%lld", pnum("fill"));
	return rc;
}

static int run_memfd_mapped(void)
{
	struct stat st;
	int fd = -1, rc;

	rc = memfd_sized(&fd);
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0)
		rc = sysfail("fstat memfd");
	if (rc == 0)
		rc = map_touch(fd, (size_t)pnum("size"), true, pshown("name"));
	close(fd);
	if (rc)
		return rc;
	fact_stat(&st, "ino", "dev");
	fact("size", "%lld", pnum("size"));
	return 0;
}

/* 18. sem */
static int run_sem(void)
{
	const char *name = pstr("name"), *shown = pshown("name");
	char *full, *file;
	struct stat st;
	struct res *r = NULL;
	sem_t *s;
	int rc = 0;

	full = concat("/", name, strlen(name));
	file = concat("/dev/shm/sem.", name, strlen(name));
	if (!full || !file) {
		free(full);
		free(file);
		return oom();
	}
	s = sem_open(full, O_CREAT | O_EXCL, (mode_t)0600, 1U);
	if (s == SEM_FAILED) {
		rc = sysfail("sem_open /%s", shown);
		free(full);
		free(file);
		return rc;
	}
	reg_name(R_SEM, full);
	r = reg(R_SEMH);
	r->sem = s;
	if (fstatat(AT_FDCWD, file, &st, AT_SYMLINK_NOFOLLOW) < 0)
		rc = sysfail("stat /dev/shm/sem.%s", shown);
	free(file);
	if (rc)
		return rc;
	fact_stat(&st, "ino", "dev");
	return 0;
}

/* 19. sysvshm, 20. sysvshm-orphan, 21. sysvshm-removed */
static int sysv_create(key_t key, int *idp, struct res **resp)
{
	int flags = IPC_CREAT | 0600;
	struct res *r = NULL;
	int id;

	if (key != IPC_PRIVATE)
		flags |= IPC_EXCL;
	id = shmget(key, (size_t)pnum("size"), flags);
	if (id < 0)
		return sysfail("shmget(key=%d, size=%lld)", (int)key, pnum("size"));
	r = reg(R_SYSV);
	r->id = id;
	if (resp)
		*resp = r;
	*idp = id;
	return 0;
}

static int sysv_attach(int id, bool do_reg)
{
	void *addr = shmat(id, NULL, 0);

	if (addr == (void *)-1)
		return sysfail("shmat(%d)", id);
	if (do_reg) {
		struct res *r = reg(R_SHMAT);

		r->addr = addr;
	}
	return 0;
}

static int sysv_child(void *arg, unsigned long long v[4])
{
	(void)v;
	return sysv_attach(*(const int *)arg, false);
}

static int run_sysvshm(void)
{
	char pids[MAX_ATTACH * 12 + 1] = "";
	size_t plen_ = 0;
	struct shmid_ds ds;
	long long i, attach = pnum("attach");
	int id = -1, rc;

	rc = sysv_create(IPC_PRIVATE, &id, NULL);
	if (rc)
		return rc;
	/* children first: a fork after our shmat would inherit it */
	for (i = 1; i < attach; i++) {
		pid_t child;
		int n;

		rc = spawn(sysv_child, &id, NULL, 0, &child, NULL);
		if (rc)
			return rc;
		n = snprintf(pids + plen_, sizeof(pids) - plen_, "%s%d",
			     plen_ ? "," : "", (int)child);
		if (n > 0 && (size_t)n < sizeof(pids) - plen_)
			plen_ += (size_t)n;
	}
	rc = sysv_attach(id, true);
	if (rc)
		return rc;
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return sysfail("shmctl(%d, IPC_STAT)", id);
	fact("child_pids", "%s", pids);
	fact("shmid", "%d", id);
	fact("key", "%d", (int)ds.shm_perm.__key);
	fact("nattch", "%lu", (unsigned long)ds.shm_nattch);
	fact("size", "%lld", pnum("size"));
	return 0;
}

static int run_sysvshm_orphan(void)
{
	long long k = pnum("key");
	key_t key;
	int id = -1, rc;

	/* accept 0..0xffffffff too; key_t is a 32-bit int */
	key = (key_t)(int32_t)(uint32_t)(k & 0xffffffffLL);
	rc = sysv_create(key, &id, NULL);
	if (rc)
		return rc;
	fact("shmid", "%d", id);
	fact("key", "%d", (int)key);
	fact("size", "%lld", pnum("size"));
	return 0;
}

static int run_sysvshm_removed(void)
{
	struct res *r = NULL;
	int id = -1, rc;

	rc = sysv_create(IPC_PRIVATE, &id, &r);
	if (rc)
		return rc;
	rc = sysv_attach(id, true);
	if (rc)
		return rc;
	if (shmctl(id, IPC_RMID, NULL) < 0)
		return sysfail("shmctl(%d, IPC_RMID)", id);
	unreg(r);
	fact("shmid", "%d", id);
	fact("size", "%lld", pnum("size"));
	return 0;
}

/* 22. mqueue */
/* mq_open("/"+name, O_CREAT|O_EXCL|O_RDWR, 0600, attr) at a scratch fd;
 * registers mq_unlink.  Exit 3 only for ENOSYS, EACCES and EPERM. */
static int mq_create(const struct mq_attr *attr, int *fdp)
{
	const char *name = pstr("name"), *shown = pshown("name");
	char *full = concat("/", name, strlen(name));
	mqd_t q;
	int fd, rc, e;

	if (!full)
		return oom();
	q = mq_open(full, O_CREAT | O_EXCL | O_RDWR, (mode_t)0600, attr);
	if (q == (mqd_t)-1) {
		e = errno;
		rc = sysfail("mq_open /%s", shown);
		free(full);
		if (e == ENOSYS || e == EACCES || e == EPERM)
			return EXIT_UNSUPPORTED;
		return rc;
	}
	reg_name(R_MQ, full);
	fd = hold((int)q);
	if (fd < 0)
		return sysfail("fcntl(F_DUPFD) (mqueue)");
	*fdp = fd;
	return 0;
}

static int run_mqueue(void)
{
	int fd = -1, rc;

	rc = mq_create(NULL, &fd);
	if (rc)
		return rc;
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	if (mq_send((mqd_t)pfd("fd"), "hello", 5, 0) < 0)
		return sysfail("mq_send /%s", pshown("name"));
	fact("fd", "%d", pfd("fd"));
	return fact_fstat(pfd("fd"), "ino", "dev");
}

/* 23. comm */
static int run_comm(void)
{
	char name[17];
	pid_t child;
	size_t i;
	char hex[40] = "";
	int rc;

	if (prctl(PR_SET_NAME, (unsigned long)(uintptr_t)pstr("value"),
		  0UL, 0UL, 0UL) < 0)
		return sysfail("prctl(PR_SET_NAME)");
	memset(name, 0, sizeof(name));
	if (prctl(PR_GET_NAME, (unsigned long)(uintptr_t)name, 0UL, 0UL, 0UL) < 0)
		return sysfail("prctl(PR_GET_NAME)");
	for (i = 0; i < 16 && name[i]; i++)
		snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x",
			 (unsigned char)name[i]);
	rc = pipe_pair(pfd("fd"), pfd("wfd"), 0, &child);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("fd", "%d", pfd("fd"));
	fact("wfd", "%d", pfd("wfd"));
	rc = fact_fstat(pfd("fd"), "ino", NULL);
	fact("comm_len", "%zu", strlen(name));
	fact("comm_hex", "%s", hex[0] ? hex : "-");
	return rc;
}

/* 24. many */
static int run_many(void)
{
	long long i, count = pnum("count");
	rlim_t need = (rlim_t)(2 * count + 64);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need)
			      ? need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);	/* best effort */
	}
	for (i = 0; i < count; i++) {
		int p[2];

		if (pipe(p) < 0)
			return sysfail("pipe #%lld of %lld", i + 1, count);
	}
	fact("count", "%lld", count);
	return 0;
}

/* eventfd: one counter, at fd in the parent and the same fd in a child
 * it was inherited by, as a fork leaves it */
static int keep_child(void *arg, unsigned long long v[4])
{
	(void)arg, (void)v;
	return 0;
}

static int run_eventfd(void)
{
	int fd, rc, keep[1];
	pid_t child;

	fd = hold(eventfd((unsigned)pnum("count"), EFD_CLOEXEC |
			  (pnum("semaphore") ? EFD_SEMAPHORE : 0)));
	if (fd < 0)
		return sysfail("eventfd");
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	keep[0] = pfd("fd");
	rc = spawn(keep_child, NULL, keep, 1, &child, NULL);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("fd", "%d", pfd("fd"));
	fact("count", "%lld", pnum("count"));
	return fact_fstat(pfd("fd"), "ino", "dev");
}

/* anonshm: MAP_SHARED|MAP_ANONYMOUS memory, touched, shared with a child
 * across fork; its maps inode is what ipcscope shows */
static int run_anonshm(void)
{
	size_t size = (size_t)pnum("size");
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned long long ino = 0;
	char line[512], want[40];
	pid_t child;
	FILE *maps;
	int rc;

	if (p == MAP_FAILED)
		return sysfail("mmap anonymous shared");
	p[0] = 1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return sysfail("/proc/self/maps");
	while (fgets(line, sizeof(line), maps))
		if (strncmp(line, want, strlen(want)) == 0 &&
		    sscanf(line, "%*s %*s %*s %*s %llu", &ino) == 1)
			break;
	fclose(maps);
	if (!ino)
		return fail(EXIT_FAIL, "anonshm: mapping not found in maps");
	rc = spawn(keep_child, NULL, NULL, 0, &child, NULL);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("ino", "%llu", ino);
	fact("size", "%lld", pnum("size"));
	return 0;
}

/* ------------------------------------------------------------------ */
/* waits: threads asleep in a syscall, as /proc shows them             */

#define AWAIT_MS 5000		/* how long a thread may take to fall asleep */
#define MAX_RING 8		/* deadlock-pipes processes */
#define MAX_STAGES 16		/* pipeline stages */
#define MQ_WAIT_MAXMSG 1	/* wait-mq-*: one message fills the queue */
#define MQ_WAIT_MSGSIZE 16
#define END_NR (-1L)		/* ends a list of syscall numbers */

/* /proc gives only the number, and which syscall libc uses for a call
 * differs between architectures: the names of those we may see. */
static const struct {
	long nr;
	const char *name;
} sysnames[] = {
	{ SYS_read, "read" },
	{ SYS_write, "write" },
#ifdef SYS_open
	{ SYS_open, "open" },
#endif
	{ SYS_openat, "openat" },
#ifdef SYS_accept
	{ SYS_accept, "accept" },
#endif
	{ SYS_accept4, "accept4" },
	{ SYS_connect, "connect" },
	{ SYS_recvfrom, "recvfrom" },
	{ SYS_sendto, "sendto" },
#ifdef SYS_poll
	{ SYS_poll, "poll" },
#endif
	{ SYS_ppoll, "ppoll" },
#ifdef SYS_select
	{ SYS_select, "select" },
#endif
	{ SYS_pselect6, "pselect6" },
#ifdef SYS_epoll_wait
	{ SYS_epoll_wait, "epoll_wait" },
#endif
	{ SYS_epoll_pwait, "epoll_pwait" },
#ifdef SYS_epoll_pwait2
	{ SYS_epoll_pwait2, "epoll_pwait2" },
#endif
	{ SYS_mq_timedsend, "mq_timedsend" },
	{ SYS_mq_timedreceive, "mq_timedreceive" },
#ifdef SYS_mq_timedsend_time64
	{ SYS_mq_timedsend_time64, "mq_timedsend_time64" },
	{ SYS_mq_timedreceive_time64, "mq_timedreceive_time64" },
#endif
#ifdef SYS_nanosleep
	{ SYS_nanosleep, "nanosleep" },
#endif
	{ SYS_clock_nanosleep, "clock_nanosleep" },
#ifdef SYS_clock_nanosleep_time64
	{ SYS_clock_nanosleep_time64, "clock_nanosleep_time64" },
#endif
};

/* The syscalls each libc call may end up in. */
static const long want_read[] = { SYS_read, END_NR };
static const long want_write[] = { SYS_write, END_NR };
static const long want_recv[] = { SYS_recvfrom, END_NR };
static const long want_send[] = { SYS_sendto, END_NR };
static const long want_accept[] = {
#ifdef SYS_accept
	SYS_accept,
#endif
	SYS_accept4, END_NR };
static const long want_open[] = {
#ifdef SYS_open
	SYS_open,
#endif
	SYS_openat, END_NR };
static const long want_epoll[] = {
#ifdef SYS_epoll_wait
	SYS_epoll_wait,
#endif
#ifdef SYS_epoll_pwait2
	SYS_epoll_pwait2,
#endif
	SYS_epoll_pwait, END_NR };
static const long want_mq_receive[] = {
#ifdef SYS_mq_timedreceive_time64
	SYS_mq_timedreceive_time64,
#endif
	SYS_mq_timedreceive, END_NR };
static const long want_mq_send[] = {
#ifdef SYS_mq_timedsend_time64
	SYS_mq_timedsend_time64,
#endif
	SYS_mq_timedsend, END_NR };
static const long want_sleep[] = {
#ifdef SYS_nanosleep
	SYS_nanosleep,
#endif
#ifdef SYS_clock_nanosleep_time64
	SYS_clock_nanosleep_time64,
#endif
	SYS_clock_nanosleep, END_NR };

static const char *sysname(long nr)
{
	size_t i;

	for (i = 0; i < sizeof(sysnames) / sizeof(sysnames[0]); i++)
		if (sysnames[i].nr == nr)
			return sysnames[i].name;
	return "?";
}

static bool nr_in(long nr, const long *want)
{
	for (; *want != END_NR; want++)
		if (*want == nr)
			return true;
	return false;
}

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* /proc/PID/task/TID/FILE into buf, NUL-terminated */
static int read_task_file(pid_t pid, pid_t tid, const char *file, char *buf,
			  size_t size)
{
	char path[64];
	ssize_t n;
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid,
		 (int)tid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sysfail("open %s", path);
	n = read(fd, buf, size - 1);
	if (n < 0) {
		rc = sysfail("read %s", path);
		close(fd);
		return rc;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

/* What ipcscope will read: the syscall a task is in (nr -1: none, or it
 * is running), its first argument and the task's state letter. */
struct task_seen {
	long nr;
	unsigned long long arg0;
	char state;
	char word[24];		/* first word of the syscall file, for errors */
};

static int read_task(pid_t pid, pid_t tid, struct task_seen *t)
{
	char buf[1024], *p;
	int rc;

	memset(t, 0, sizeof(*t));
	t->nr = -1;
	t->state = '?';
	rc = read_task_file(pid, tid, "syscall", buf, sizeof(buf));
	if (rc)
		return rc;
	/* "running", "-1 SP PC" or "NR 0xARG1 ... 0xARG6 SP PC" */
	sscanf(buf, "%23s", t->word);
	if (sscanf(buf, "%ld %llx", &t->nr, &t->arg0) < 1)
		t->nr = -1;
	rc = read_task_file(pid, tid, "stat", buf, sizeof(buf));
	if (rc)
		return rc;
	p = strrchr(buf, ')');	/* the comm before it may hold anything */
	if (p && p[1] == ' ')
		t->state = p[2];
	return 0;
}

/*
 * Wait until task tid of pid sleeps (state S or D) in one of want[] with
 * fd as its first argument (fd < 0: any), so that READY is printed only
 * once ipcscope can see the wait.  *nrp gets the syscall seen.
 */
static int await_blocked(pid_t pid, pid_t tid, const long *want, int fd,
			 long *nrp)
{
	long long end = now_ms() + AWAIT_MS;
	struct task_seen t;
	int rc;

	for (;;) {
		rc = read_task(pid, tid, &t);
		if (rc)
			return rc;
		if (nr_in(t.nr, want) && (t.state == 'S' || t.state == 'D') &&
		    (fd < 0 || t.arg0 == (unsigned long long)fd)) {
			*nrp = t.nr;
			return 0;
		}
		if (now_ms() >= end)
			break;
		sleep_ms(10);
	}
	return fail(EXIT_FAIL, "task %d of %d not asleep in %s (fd %d) after "
		    "%d s: syscall file says '%s' (%s), state %c", (int)tid,
		    (int)pid, sysname(want[0]), fd, AWAIT_MS / 1000, t.word,
		    sysname(t.nr), t.state);
}

static void fact_syscall(long nr)
{
	fact("syscall", "%s", sysname(nr));
	fact("syscall_nr", "%ld", nr);
}

/* A comma-separated list for one fact (pids, inodes, syscalls). */
struct csv {
	char s[1024];
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void csv_add(struct csv *c, const char *fmt, ...)
{
	char item[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	n = snprintf(c->s + c->len, sizeof(c->s) - c->len, "%s%s",
		     c->len ? "," : "", item);
	if (n > 0 && (size_t)n < sizeof(c->s) - c->len)
		c->len += (size_t)n;
}

/* Index of the value of key in names[] (NULL-terminated), or -1 after a
 * usage message. */
static int pick(const char *factory, const char *key,
		const char *const *names)
{
	char allowed[128] = "";
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(pstr(key), names[i]) == 0)
			return i;
	for (i = 0; names[i]; i++)
		snprintf(allowed + strlen(allowed),
			 sizeof(allowed) - strlen(allowed), "%s%s",
			 i ? "|" : "", names[i]);
	warnx("%s: bad value for %s='%s' (want %s)", factory, key,
	      pshown(key), allowed);
	return -1;
}

/* pipe() with both ends at scratch fds */
static int pipe_held(int p[2])
{
	int rc;

	if (pipe(p) < 0)
		return sysfail("pipe");
	p[0] = hold(p[0]);
	p[1] = hold(p[1]);
	if (p[0] >= 0 && p[1] >= 0)
		return 0;
	rc = sysfail("fcntl(F_DUPFD) (pipe)");
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return rc;
}

/* AF_UNIX stream socketpair with both ends at scratch fds */
static int socketpair_held(int sv[2])
{
	int rc;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return sysfail("socketpair(AF_UNIX, stream)");
	sv[0] = hold(sv[0]);
	sv[1] = hold(sv[1]);
	if (sv[0] >= 0 && sv[1] >= 0)
		return 0;
	rc = sysfail("fcntl(F_DUPFD) (socketpair)");
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return rc;
}

static void close_fds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The main thread sleeps in wait_for_end: ppoll on stdin when it watches
 * stdin for EOF, sigsuspend otherwise. */
static bool stdin_watched(void)
{
	struct stat st;

	return fstat(STDIN_FILENO, &st) == 0 &&
	       (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
		(S_ISCHR(st.st_mode) && isatty(STDIN_FILENO)));
}

/* ------------------------------------------------------------------ */
/* waits: the blocking calls                                           */

/* wait-poll's call= values; pselect is the pselect6 syscall */
enum pcall { PC_POLL, PC_PPOLL, PC_SELECT, PC_PSELECT };
static const char *const pcall_names[] = {
	"poll", "ppoll", "select", "pselect", NULL
};

/* The raw syscall for a call=, or -1 where this architecture has none
 * (aarch64 has only ppoll and pselect6). */
static long pcall_nr(int call)
{
	switch (call) {
#ifdef SYS_poll
	case PC_POLL:
		return SYS_poll;
#endif
#ifdef SYS_select
	case PC_SELECT:
		return SYS_select;
#endif
	case PC_PPOLL:
		return SYS_ppoll;
	case PC_PSELECT:
		return SYS_pselect6;
	default:
		return -1;
	}
}

/*
 * A blocking call that a child or a thread makes and stays in.  fn
 * returns only when the call ends (data came, EOF, error); the caller
 * then parks.
 */
struct blocker {
	void (*fn)(const struct blocker *b);
	int fd;			/* the fd it waits on */
	int fd2;		/* poll: the socket; pipeline: where to forward */
	int call;		/* wait-poll: enum pcall; wait-mux-*: enum mcall */
	int oflag;		/* wait-fifo-open: O_RDONLY or O_WRONLY */
	const char *path;	/* wait-fifo-open, wait-connect-full */
	size_t pathlen;		/* wait-connect-full */
	bool abstract;		/* wait-connect-full: path is an abstract name */
	uint32_t events;	/* wait-mux-*: what poll or epoll asks for */
	int set;		/* wait-mux-*: select's set, 0 read, 1 write, 2 except */
};

__attribute__((noreturn))
static void park(void)
{
	for (;;)
		pause();
}

/* A page per write: every pipe buffer is then full, so a pipe whose
 * writer sleeps holds exactly F_GETPIPE_SZ bytes. */
static char g_chunk[65536];

static size_t chunk_len(void)
{
	size_t ps = (size_t)page_size();

	return ps < sizeof(g_chunk) ? ps : sizeof(g_chunk);
}

/* Anything someone sends is dropped and the read goes on; EOF or an
 * error ends it. */
static void block_read(const struct blocker *b)
{
	ssize_t r;

	do
		r = read(b->fd, g_chunk, sizeof(g_chunk));
	while (r > 0 || (r < 0 && errno == EINTR));
}

/* Writes until the pipe is full and the write sleeps. */
static void block_write(const struct blocker *b)
{
	ssize_t w;

	do
		w = write(b->fd, g_chunk, chunk_len());
	while (w > 0 || (w < 0 && errno == EINTR));
}

static void block_recv(const struct blocker *b)
{
	ssize_t r;

	do
		r = recv(b->fd, g_chunk, sizeof(g_chunk), 0);
	while (r > 0 || (r < 0 && errno == EINTR));
}

/* Sends until the socket's send buffer is full and send sleeps. */
static void block_send(const struct blocker *b)
{
	ssize_t w;

	do
		w = send(b->fd, g_chunk, chunk_len(), 0);
	while (w > 0 || (w < 0 && errno == EINTR));
}

/* A connection someone makes is closed at once, back to accept. */
static void block_accept(const struct blocker *b)
{
	int fd;

	for (;;) {
		fd = accept(b->fd, NULL, NULL);
		if (fd >= 0)
			close(fd);
		else if (errno != EINTR)
			return;
	}
}

/* Level-triggered: once something is ready a loop would only spin. */
static void block_epoll(const struct blocker *b)
{
	struct epoll_event ev[4];
	int r;

	do
		r = epoll_wait(b->fd, ev, 4, -1);
	while (r < 0 && errno == EINTR);
}

/* One call of the raw syscall, so /proc shows the one the test named. */
static long poll_once(const struct blocker *b)
{
	struct pollfd pf[2] = {
		{ .fd = b->fd, .events = POLLIN },
		{ .fd = b->fd2, .events = POLLIN },
	};
	int nfds = (b->fd > b->fd2 ? b->fd : b->fd2) + 1;
	long nr = pcall_nr(b->call);
	fd_set set;

	FD_ZERO(&set);
	FD_SET(b->fd, &set);
	FD_SET(b->fd2, &set);
	switch (b->call) {
	case PC_POLL:
		return syscall(nr, pf, 2, -1);
	case PC_PPOLL:		/* no timeout, no mask: sigsetsize unused */
		return syscall(nr, pf, 2, NULL, NULL, (size_t)8);
	case PC_SELECT:
		return syscall(nr, nfds, &set, NULL, NULL, NULL);
	default:		/* pselect6: no timeout, no mask */
		return syscall(nr, nfds, &set, NULL, NULL, NULL, NULL);
	}
}

static void block_poll(const struct blocker *b)
{
	long r;

	do
		r = poll_once(b);
	while (r < 0 && errno == EINTR);
}

/* wait-mux-*'s call= values */
enum mcall { MC_EPOLL, MC_POLL, MC_PPOLL, MC_SELECT, MC_PSELECT };
static const char *const mcall_names[] = {
	"epoll", "poll", "ppoll", "select", "pselect", NULL
};

/* One call of call= on fd alone (epoll: on fd2, the epoll fd, that
 * watches it), asking for b->events, or with fd in select's set b->set. */
static long mux_once(const struct blocker *b)
{
	struct pollfd pf = { .fd = b->fd, .events = (short)b->events };
	struct epoll_event ev;
	fd_set set, *sets[3] = { NULL, NULL, NULL };

	/* the other sets are NULL: select is given that one alone */
	FD_ZERO(&set);
	FD_SET(b->fd, &set);
	sets[b->set] = &set;
	switch (b->call) {
	case MC_EPOLL:
		return epoll_wait(b->fd2, &ev, 1, -1);
	case MC_POLL:
		return syscall(pcall_nr(PC_POLL), &pf, 1, -1);
	case MC_PPOLL:		/* no timeout, no mask: sigsetsize unused */
		return syscall(pcall_nr(PC_PPOLL), &pf, 1, NULL, NULL, (size_t)8);
	default:
		return syscall(pcall_nr(b->call == MC_SELECT ? PC_SELECT : PC_PSELECT),
			       b->fd + 1, sets[0], sets[1], sets[2], NULL, NULL);
	}
}

static void block_mux(const struct blocker *b)
{
	long r;

	/* one-shot: the first call takes the event and disarms the entry */
	if (b->call == MC_EPOLL && (b->events & EPOLLONESHOT))
		while (mux_once(b) < 0 && errno == EINTR)
			;
	do
		r = mux_once(b);
	while (r < 0 && errno == EINTR);
}

/* Sleeps in connect while the listener's backlog is full. */
static void block_connect(const struct blocker *b)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int r;

	if (make_sockaddr(&sa, &salen, b->path, b->pathlen, b->abstract, "path"))
		return;
	do
		r = connect(b->fd, (struct sockaddr *)&sa, salen);
	while (r < 0 && errno == EINTR);
}

/* No partner ever comes; if one does, the child keeps the fd. */
static void block_open(const struct blocker *b)
{
	int fd;

	do
		fd = open(b->path, b->oflag);
	while (fd < 0 && errno == EINTR);
}

/* mq_receive is the mq_timedreceive syscall with no timeout (NULL; glibc
 * marks the timeout of its mq_timedreceive nonnull): it sleeps until a
 * message comes. */
static void block_mq_receive(const struct blocker *b)
{
	char buf[MQ_WAIT_MSGSIZE];
	ssize_t r;

	do
		r = mq_receive((mqd_t)b->fd, buf, sizeof(buf), NULL);
	while (r >= 0 || errno == EINTR);
}

/* mq_send: mq_timedsend with no timeout, as above */
static void block_mq_send(const struct blocker *b)
{
	int r;

	do
		r = mq_send((mqd_t)b->fd, "x", 1, 0);
	while (r == 0 || errno == EINTR);
}

/* Pipeline stages after the bottleneck: read, pass on (fd2 < 0: drop). */
static void block_forward(const struct blocker *b)
{
	ssize_t r;

	for (;;) {
		r = read(b->fd, g_chunk, sizeof(g_chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		if (b->fd2 >= 0)
			write_full(b->fd2, g_chunk, (size_t)r);
	}
}

/* The pipeline's bottleneck: it takes one page, passes it on, then
 * dozes in nanosleep, not in IPC: upstream fills up, downstream starves. */
static void block_bottleneck(const struct blocker *b)
{
	struct timespec ts = { 3600, 0 };
	ssize_t r;

	do
		r = read(b->fd, g_chunk, chunk_len());
	while (r < 0 && errno == EINTR);
	if (r > 0)
		write_full(b->fd2, g_chunk, (size_t)r);
	for (;;)
		nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* waits: blocked children and threads                                 */

/* A child that keeps the inherited fds from[i] at to[i], nothing else,
 * and then sits in b's call. */
struct wchild {
	int from[2], to[2], nfd;
	struct blocker b;
};

static int wchild_setup(void *arg, unsigned long long v[4])
{
	const struct wchild *w = arg;
	int i, rc;

	/* from[] are scratch fds above every target: no clobbering */
	for (i = 0; i < w->nfd; i++) {
		rc = place_or_fail(w->from[i], w->to[i]);
		if (rc)
			return rc;
	}
	v[0] = (unsigned long long)my_tid();
	return 0;
}

static void wchild_block(void *arg)
{
	const struct wchild *w = arg;

	w->b.fn(&w->b);
}

/* The caller still holds from[] and closes them when it should. */
static int spawn_blocked(struct wchild *w, pid_t *pidp, pid_t *tidp)
{
	unsigned long long v[4];
	int rc;

	rc = spawn_then(wchild_setup, wchild_block, w, w->from, w->nfd,
			pidp, v);
	if (rc == 0)
		*tidp = (pid_t)v[0];
	return rc;
}

/* A second thread of this process sitting in b's call. */
struct wthread {
	struct blocker b;
	pid_t tid;		/* set by the thread when it starts */
};

static void *wthread_main(void *arg)
{
	struct wthread *w = arg;
	sigset_t all;

	/* the end signals go to the main thread; none may cut the call */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	__atomic_store_n(&w->tid, my_tid(), __ATOMIC_RELEASE);
	w->b.fn(&w->b);
	park();
}

/* w must outlive the factory (static): the thread runs until exit. */
static int start_blocked_thread(struct wthread *w)
{
	long long end = now_ms() + AWAIT_MS;
	pthread_t th;
	int e;

	e = pthread_create(&th, NULL, wthread_main, w);
	if (e) {
		errno = e;
		return sysfail("pthread_create");
	}
	pthread_detach(th);
	while (!__atomic_load_n(&w->tid, __ATOMIC_ACQUIRE)) {
		if (now_ms() >= end)
			return fail(EXIT_FAIL, "thread did not start in %d s",
				    AWAIT_MS / 1000);
		sleep_ms(1);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* waits: factories                                                    */

/* The pipe is full when its writer sleeps: check it by the read end. */
static int pipe_fill_facts(int rfd)
{
	int cap, queued = 0;

	cap = fcntl(rfd, F_GETPIPE_SZ);
	if (cap < 0 || ioctl(rfd, FIONREAD, &queued) < 0)
		return sysfail("F_GETPIPE_SZ/FIONREAD fd %d", rfd);
	if (queued != cap)
		return fail(EXIT_FAIL, "the writer sleeps but the pipe is not "
			    "full (%d of %d bytes)", queued, cap);
	fact("capacity", "%d", cap);
	fact("queued", "%d", queued);
	return 0;
}

/* A pipe with the child C asleep on one end (in read, or in write once it
 * filled the pipe) and P holding the other: rfd and wfd are where each
 * end sits, and the facts every pipe wait prints are printed. */
static int wait_pipe(bool child_writes)
{
	struct wchild w = { .nfd = 1, .b = { .fn = child_writes ? block_write : block_read } };
	const char *mine = child_writes ? "wfd" : "rfd", *theirs = child_writes ? "rfd" : "wfd";
	pid_t child, tid;
	long nr;
	int p[2], rc;

	rc = pipe_held(p);
	if (rc)
		return rc;
	w.from[0] = p[child_writes];
	w.to[0] = w.b.fd = pfd(mine);
	rc = spawn_blocked(&w, &child, &tid);
	close(p[child_writes]);
	if (rc) {
		close(p[!child_writes]);
		return rc;
	}
	rc = place_or_fail(p[!child_writes], pfd(theirs));
	if (rc == 0)
		rc = await_blocked(child, tid, child_writes ? want_write : want_read, pfd(mine),
				   &nr);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("child_tid", "%d", (int)tid);
	fact("rfd", "%d", pfd("rfd"));
	fact("wfd", "%d", pfd("wfd"));
	rc = fact_fstat(pfd(theirs), "ino", NULL);
	if (rc == 0 && child_writes)
		rc = pipe_fill_facts(pfd("rfd"));
	if (child_writes)
		fact("reader_syscall", "%s", stdin_watched() ? "ppoll" : "rt_sigsuspend");
	fact_syscall(nr);
	return rc;
}

/* wait-pipe-read: C sits in read on an empty pipe, P holds the write end */
static int run_wait_pipe_read(void)
{
	return wait_pipe(false);
}

/* wait-pipe-write: C fills the pipe and sleeps in write; P holds the read
 * end and sleeps waiting for signals, not reading */
static int run_wait_pipe_write(void)
{
	return wait_pipe(true);
}

/* Starts w's thread on the fd at key fdkey, waits until it sleeps in one
 * of the calls want names, and prints tid, the fd, its inode (as inokey)
 * and the call. */
static int thread_waits_on(struct wthread *w, const long *want, const char *fdkey,
			   const char *inokey)
{
	long nr;
	int rc;

	w->b.fd = pfd(fdkey);
	rc = start_blocked_thread(w);
	if (rc == 0)
		rc = await_blocked(getpid(), w->tid, want, pfd(fdkey), &nr);
	if (rc)
		return rc;
	fact("tid", "%d", (int)w->tid);
	fact(fdkey, "%d", pfd(fdkey));
	rc = fact_fstat(pfd(fdkey), inokey, NULL);
	fact_syscall(nr);
	return rc;
}

/* wait-accept: a second thread sits in accept on a listening socket */
static int run_wait_accept(void)
{
	static struct wthread w = { .b = { .fn = block_accept } };
	const char *shown = pshown("path");
	int fd = -1, rc;

	rc = bound_socket(SOCK_STREAM, pstr("path"), plen("path"), shown, &fd);
	if (rc)
		return rc;
	rc = do_listen(fd, shown);
	if (rc) {
		close(fd);
		return rc;
	}
	rc = place_or_fail(fd, pfd("lfd"));
	if (rc)
		return rc;
	return thread_waits_on(&w, want_accept, "lfd", "listen_ino");
}

/* wait-eventfd-read: a second thread sits in read on an eventfd whose
 * count is 0; only P holds it */
static int run_wait_eventfd_read(void)
{
	static struct wthread w = { .b = { .fn = block_read } };
	int fd, rc;

	fd = hold(eventfd(0, EFD_CLOEXEC));
	if (fd < 0)
		return sysfail("eventfd");
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	return thread_waits_on(&w, want_read, "fd", "ino");
}

/* wait-fifo-open: C sits in open on a FIFO no one else opens; cleanup
 * kills it, never opens the FIFO */
static int run_wait_fifo_open(void)
{
	static const char *const modes[] = { "r", "w", NULL };
	const char *path = pstr("path"), *shown = pshown("path");
	struct wchild w = { .nfd = 0, .b = { .fn = block_open } };
	int mode = pick("wait-fifo-open", "mode", modes), rc;
	struct stat st;
	pid_t child, tid;
	long nr;

	if (mode < 0)
		return EXIT_USAGE;
	rc = make_fifo(path, shown);
	if (rc)
		return rc;
	if (lstat(path, &st) < 0)
		return sysfail("lstat %s", shown);
	w.b.path = path;
	w.b.oflag = mode ? O_WRONLY : O_RDONLY;
	w.b.fd = -1;
	rc = spawn_blocked(&w, &child, &tid);
	if (rc == 0)
		rc = await_blocked(child, tid, want_open, -1, &nr);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("child_tid", "%d", (int)tid);
	fact_stat(&st, "ino", "dev");
	fact("mode", "%s", modes[mode]);
	fact_syscall(nr);
	return 0;
}

/* wait-epoll, wait-poll: a pipe (rfd, wfd) and a socketpair (sfd, peerfd),
 * all held by this process, nothing written */
static int pipe_and_pair(void)
{
	int p[2], sv[2], rc;

	rc = pipe_held(p);
	if (rc)
		return rc;
	rc = socketpair_held(sv);
	if (rc) {
		close_fds(p, 2);
		return rc;
	}
	if (place(p[0], pfd("rfd")) < 0 || place(p[1], pfd("wfd")) < 0 ||
	    place(sv[0], pfd("sfd")) < 0 || place(sv[1], pfd("peerfd")) < 0)
		return sysfail("dup pipe and socketpair to their fds");
	return 0;
}

static void pipe_and_pair_facts(void)
{
	fact("rfd", "%d", pfd("rfd"));
	fact("wfd", "%d", pfd("wfd"));
	fact("sfd", "%d", pfd("sfd"));
	fact("peerfd", "%d", pfd("peerfd"));
}

static int epoll_watch(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return sysfail("epoll_ctl ADD fd %d", fd);
	return 0;
}

/* wait-epoll: a second thread sits in epoll_wait on both read sides */
static int run_wait_epoll(void)
{
	static struct wthread w = { .b = { .fn = block_epoll } };
	int ep, rc;
	long nr;

	rc = pipe_and_pair();
	if (rc)
		return rc;
	ep = hold(epoll_create1(0));
	if (ep < 0)
		return sysfail("epoll_create1");
	rc = place_or_fail(ep, pfd("epfd"));
	if (rc == 0)
		rc = epoll_watch(pfd("epfd"), pfd("rfd"));
	if (rc == 0)
		rc = epoll_watch(pfd("epfd"), pfd("sfd"));
	w.b.fd = pfd("epfd");
	if (rc == 0)
		rc = start_blocked_thread(&w);
	if (rc == 0)
		rc = await_blocked(getpid(), w.tid, want_epoll, pfd("epfd"), &nr);
	if (rc)
		return rc;
	fact("tid", "%d", (int)w.tid);
	fact("epfd", "%d", pfd("epfd"));
	pipe_and_pair_facts();
	rc = fact_fstat(pfd("rfd"), "pipe_ino", NULL);
	if (rc == 0)
		rc = fact_fstat(pfd("sfd"), "sock_ino", NULL);
	fact_syscall(nr);
	return rc;
}

/* wait-poll: a second thread sits in call= on both read sides */
static int run_wait_poll(void)
{
	static struct wthread w = { .b = { .fn = block_poll } };
	int call = pick("wait-poll", "call", pcall_names), rc;
	long want[2] = { -1, END_NR }, nr;

	if (call < 0)
		return EXIT_USAGE;
	want[0] = pcall_nr(call);
	if (want[0] < 0)
		return fail(EXIT_UNSUPPORTED, "wait-poll: call=%s: not supported "
			    "here (no such syscall on this architecture)",
			    pcall_names[call]);
	rc = pipe_and_pair();
	if (rc)
		return rc;
	w.b.fd = pfd("rfd");
	w.b.fd2 = pfd("sfd");
	w.b.call = call;
	rc = start_blocked_thread(&w);
	if (rc == 0)	/* the first argument is not an fd here */
		rc = await_blocked(getpid(), w.tid, want, -1, &nr);
	if (rc)
		return rc;
	fact("tid", "%d", (int)w.tid);
	fact("call", "%s", pcall_names[call]);
	pipe_and_pair_facts();
	rc = fact_fstat(pfd("rfd"), "pipe_ino", NULL);
	if (rc == 0)
		rc = fact_fstat(pfd("sfd"), "sock_ino", NULL);
	fact_syscall(nr);
	return rc;
}

/* The syscall numbers call= of wait-mux-* sleeps in, or fails (usage)
 * where this architecture has none. */
static int mux_want(int call, long want[4])
{
	static const int pc[] = { -1, PC_POLL, PC_PPOLL, PC_SELECT, PC_PSELECT };
	int i;

	if (call == MC_EPOLL) {
		for (i = 0; want_epoll[i] != END_NR && i < 3; i++)
			want[i] = want_epoll[i];
		want[i] = END_NR;
		return 0;
	}
	want[0] = pcall_nr(pc[call]);
	want[1] = END_NR;
	if (want[0] < 0)
		return fail(EXIT_UNSUPPORTED, "call=%s: not supported here (no such "
			    "syscall on this architecture)", mcall_names[call]);
	return 0;
}

/* A thread of this process sleeps in call= on fd alone; epoll: the epoll
 * instance at epfd watches fd for events. */
static int mux_start(struct wthread *w, int fd, uint32_t events, int set)
{
	long want[4], nr;
	int rc;

	rc = mux_want(w->b.call, want);
	if (rc)
		return rc;
	w->b.fd = fd;
	w->b.events = events;
	w->b.set = set;
	if (w->b.call == MC_EPOLL) {
		struct epoll_event ev = { .events = events, .data.fd = fd };
		int ep = hold(epoll_create1(0));

		if (ep < 0)
			return sysfail("epoll_create1");
		rc = place_or_fail(ep, pfd("epfd"));
		if (rc)
			return rc;
		if (epoll_ctl(pfd("epfd"), EPOLL_CTL_ADD, fd, &ev) < 0)
			return sysfail("epoll_ctl ADD fd %d", fd);
		w->b.fd2 = pfd("epfd");
		fact("epfd", "%d", pfd("epfd"));
	}
	rc = start_blocked_thread(w);
	if (rc == 0)	/* the first argument is an fd for epoll only */
		rc = await_blocked(getpid(), w->tid, want, w->b.call == MC_EPOLL ? pfd("epfd") : -1,
				   &nr);
	if (rc)
		return rc;
	fact("tid", "%d", (int)w->tid);
	fact("call", "%s", mcall_names[w->b.call]);
	fact_syscall(nr);
	return 0;
}

/* wait-mux-listen: a listening socket at lfd that a second thread watches
 * in call= for a client (POLLIN, EPOLLIN, the read set) */
static int run_wait_mux_listen(void)
{
	static struct wthread w = { .b = { .fn = block_mux } };
	const char *shown = pshown("path");
	int fd = -1, rc;

	w.b.call = pick("wait-mux-listen", "call", mcall_names);
	if (w.b.call < 0)
		return EXIT_USAGE;
	rc = bound_socket(SOCK_STREAM, pstr("path"), plen("path"), shown, &fd);
	if (rc)
		return rc;
	rc = do_listen(fd, shown);
	if (rc) {
		close(fd);
		return rc;
	}
	rc = place_or_fail(fd, pfd("lfd"));
	if (rc == 0)
		rc = mux_start(&w, pfd("lfd"), POLLIN, 0);
	if (rc)
		return rc;
	fact("lfd", "%d", pfd("lfd"));
	return fact_fstat(pfd("lfd"), "listen_ino", NULL);
}

/* wait-mux-end: a second thread watches fd in call= for what only the
 * other end can bring: on=hangup, a pipe's read end (fd; this process
 * holds the write end at peerfd) polled with no events (poll, ppoll,
 * epoll), which only the writer's close ends; on=urgent, one end of a
 * stream socketpair (the other at peerfd) in select's exception set alone,
 * or polled for POLLPRI (epoll: EPOLLPRI): out-of-band data. */
static int run_wait_mux_end(void)
{
	static const char *const ons[] = { "hangup", "urgent", "oneshot", NULL };
	static const uint32_t events[] = { 0, POLLPRI, EPOLLIN | EPOLLONESHOT };
	static struct wthread w = { .b = { .fn = block_mux } };
	int on = pick("wait-mux-end", "on", ons), p[2], rc;

	w.b.call = pick("wait-mux-end", "call", mcall_names);
	if (on < 0 || w.b.call < 0)
		return EXIT_USAGE;
	if (on == 0 && (w.b.call == MC_SELECT || w.b.call == MC_PSELECT))
		return fail(EXIT_USAGE, "wait-mux-end: on=hangup: select has no set for it");
	if (on == 2 && w.b.call != MC_EPOLL)
		return fail(EXIT_USAGE, "wait-mux-end: on=oneshot: for call=epoll only");
	rc = on == 1 ? socketpair_held(p) : pipe_held(p);
	if (rc)
		return rc;
	if (place(p[0], pfd("fd")) < 0 || place(p[1], pfd("peerfd")) < 0)
		return sysfail("dup the ends to fd and peerfd");
	/* oneshot: a byte for the first epoll_wait to take */
	if (on == 2 && write(pfd("peerfd"), "x", 1) != 1)
		return sysfail("write to the pipe");
	rc = mux_start(&w, pfd("fd"), events[on], on == 1 ? 2 : 0);
	if (rc)
		return rc;
	fact("on", "%s", ons[on]);
	fact("fd", "%d", pfd("fd"));
	fact("peerfd", "%d", pfd("peerfd"));
	rc = fact_fstat(pfd("fd"), "ino", NULL);
	if (rc == 0)
		rc = fact_fstat(pfd("peerfd"), "peer_ino", NULL);
	return rc;
}

/* wait-connect-full: a stream listener at lfd, bound to path (abstract=1:
 * the abstract name path), with a backlog of 0 that one connection, its
 * client closed, fills; the child C sits in connect on it from cfd */
static int run_wait_connect_full(void)
{
	static const long want_connect[] = { SYS_connect, END_NR };
	const char *path = pstr("path"), *shown = pshown("path");
	struct wchild w = { .nfd = 1, .b = { .fn = block_connect } };
	bool abstract = pnum("abstract") != 0;
	struct sockaddr_un sa;
	socklen_t salen = 0;
	pid_t child, tid;
	int fd = -1, c, rc;
	long nr;

	rc = make_sockaddr(&sa, &salen, path, plen("path"), abstract, shown);
	if (rc)
		return rc;
	if (abstract) {
		fd = hold(socket(AF_UNIX, SOCK_STREAM, 0));
		if (fd < 0)
			return sysfail("socket(AF_UNIX, stream)");
		if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
			rc = sysfail("bind @%s", shown);
			close(fd);
			return rc;
		}
	} else {
		rc = bound_socket(SOCK_STREAM, path, plen("path"), shown, &fd);
		if (rc)
			return rc;
	}
	if (listen(fd, 0) < 0) {
		rc = sysfail("listen %s", shown);
		close(fd);
		return rc;
	}
	rc = place_or_fail(fd, pfd("lfd"));
	if (rc)
		return rc;
	/* a backlog of 0 holds one connection: fill it, until it refuses */
	for (int i = 0; i < 16; i++) {
		c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (c < 0)
			return sysfail("socket(AF_UNIX, stream)");
		rc = connect(c, (struct sockaddr *)&sa, salen);
		close(c);
		if (rc < 0 && errno == EAGAIN)
			break;
		if (rc < 0)
			return sysfail("connect %s", shown);
	}
	if (rc == 0)
		return fail(EXIT_FAIL, "the backlog of %s never filled", shown);
	c = hold(socket(AF_UNIX, SOCK_STREAM, 0));
	if (c < 0)
		return sysfail("socket(AF_UNIX, stream)");
	w.from[0] = c;
	w.to[0] = w.b.fd = pfd("cfd");
	w.b.path = path;
	w.b.pathlen = plen("path");
	w.b.abstract = abstract;
	rc = spawn_blocked(&w, &child, &tid);
	if (rc == 0)
		rc = fact_fstat(c, "ino", NULL);
	close(c);
	if (rc == 0)
		rc = await_blocked(child, tid, want_connect, pfd("cfd"), &nr);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("child_tid", "%d", (int)tid);
	fact("lfd", "%d", pfd("lfd"));
	fact("cfd", "%d", pfd("cfd"));
	rc = fact_fstat(pfd("lfd"), "listen_ino", NULL);
	fact_syscall(nr);
	return rc;
}

/* deadlock-pipes: child i reads pipe i (at rfd) and holds the write end
 * of pipe i+1 (mod n, at wfd); all sit in read.  P holds none of them. */
static int ring_spawn(int (*p)[2], int n, pid_t *pids, pid_t *tids)
{
	struct wchild w = { .nfd = 2, .b = { .fn = block_read } };
	int i, rc;

	w.to[0] = w.b.fd = pfd("rfd");
	w.to[1] = pfd("wfd");
	for (i = 0; i < n; i++) {
		w.from[0] = p[i][0];
		w.from[1] = p[(i + 1) % n][1];
		rc = spawn_blocked(&w, &pids[i], &tids[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int run_deadlock_pipes(void)
{
	int n = (int)pnum("n"), p[MAX_RING][2], i, rc = 0;
	pid_t pids[MAX_RING], tids[MAX_RING];
	struct csv cp = { .len = 0 }, ct = { .len = 0 }, ci = { .len = 0 };
	struct stat st;
	long nr = -1;

	for (i = 0; i < n && rc == 0; i++)
		rc = pipe_held(p[i]);
	if (rc) {
		close_fds(&p[0][0], 2 * (i - 1));
		return rc;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (fstat(p[i][0], &st) < 0)
			rc = sysfail("fstat pipe");
		else
			csv_add(&ci, "%llu", (unsigned long long)st.st_ino);
	}
	if (rc == 0)
		rc = ring_spawn(p, n, pids, tids);
	close_fds(&p[0][0], 2 * n);	/* the children are the only holders */
	for (i = 0; i < n && rc == 0; i++) {
		rc = await_blocked(pids[i], tids[i], want_read, pfd("rfd"), &nr);
		csv_add(&cp, "%d", (int)pids[i]);
		csv_add(&ct, "%d", (int)tids[i]);
	}
	if (rc)
		return rc;
	fact("child_pids", "%s", cp.s);
	fact("child_tids", "%s", ct.s);
	fact("rfd", "%d", pfd("rfd"));
	fact("wfd", "%d", pfd("wfd"));
	fact("pipe_inos", "%s", ci.s);
	fact_syscall(nr);
	return 0;
}

/* deadlock-socketpair: two children, one end each, both sit in recv */
static int run_deadlock_socketpair(void)
{
	struct wchild w = { .nfd = 1, .b = { .fn = block_recv } };
	int sv[2], fds[2] = { pfd("fd"), pfd("peerfd") }, i, rc = 0;
	struct stat st[2];
	pid_t pids[2], tids[2];
	long nr = -1;

	rc = socketpair_held(sv);
	if (rc)
		return rc;
	if (fstat(sv[0], &st[0]) < 0 || fstat(sv[1], &st[1]) < 0)
		rc = sysfail("fstat socketpair");
	for (i = 0; i < 2 && rc == 0; i++) {
		w.from[0] = sv[i];
		w.to[0] = w.b.fd = fds[i];
		rc = spawn_blocked(&w, &pids[i], &tids[i]);
	}
	close_fds(sv, 2);	/* the children are the only holders */
	for (i = 0; i < 2 && rc == 0; i++)
		rc = await_blocked(pids[i], tids[i], want_recv, fds[i], &nr);
	if (rc)
		return rc;
	fact("child_pids", "%d,%d", (int)pids[0], (int)pids[1]);
	fact("child_tids", "%d,%d", (int)tids[0], (int)tids[1]);
	fact("fd", "%d", fds[0]);
	fact("peerfd", "%d", fds[1]);
	fact_stat(&st[0], "ino", NULL);
	fact_stat(&st[1], "peer_ino", NULL);
	fact_syscall(nr);
	return 0;
}

/* pipeline stage i: reads pipe i-1 at rfd (i > 0), writes pipe i at wfd
 * (i < n-1).  0 floods, 1 is the bottleneck, the rest forward. */
static void stage_setup(struct wchild *w, int (*p)[2], int i, int n)
{
	memset(w, 0, sizeof(*w));
	w->b.fd = w->b.fd2 = -1;
	if (i > 0) {
		w->from[w->nfd] = p[i - 1][0];
		w->to[w->nfd++] = w->b.fd = pfd("rfd");
	}
	if (i < n - 1) {
		w->from[w->nfd] = p[i][1];
		w->to[w->nfd++] = w->b.fd2 = pfd("wfd");
	}
	w->b.fn = i == 0 ? block_write : i == 1 ? block_bottleneck
						: block_forward;
	if (i == 0)
		w->b.fd = w->b.fd2;	/* stage 0 waits on its write end */
}

/* In flow order: once the bottleneck dozes, stage 0 sleeping in write
 * means pipe 0 is full, and each later stage sleeping in read means all
 * before it have passed on what they got. */
static int stages_await(const pid_t *pids, const pid_t *tids, int n,
			struct csv *names, struct csv *nrs)
{
	long got[MAX_STAGES];
	int i, rc;

	rc = await_blocked(pids[1], tids[1], want_sleep, -1, &got[1]);
	if (rc == 0)
		rc = await_blocked(pids[0], tids[0], want_write, pfd("wfd"), &got[0]);
	for (i = 2; i < n && rc == 0; i++)
		rc = await_blocked(pids[i], tids[i], want_read, pfd("rfd"), &got[i]);
	for (i = 0; i < n && rc == 0; i++) {
		csv_add(names, "%s", sysname(got[i]));
		csv_add(nrs, "%ld", got[i]);
	}
	return rc;
}

static void pipeline_facts(const pid_t *pids, const pid_t *tids, int n)
{
	struct csv cp = { .len = 0 }, ct = { .len = 0 };
	int i;

	for (i = 0; i < n; i++) {
		csv_add(&cp, "%d", (int)pids[i]);
		csv_add(&ct, "%d", (int)tids[i]);
	}
	fact("stage_pids", "%s", cp.s);
	fact("stage_tids", "%s", ct.s);
	fact("rfd", "%d", pfd("rfd"));
	fact("wfd", "%d", pfd("wfd"));
	fact("bottleneck_pid", "%d", (int)pids[1]);
}

static int run_pipeline(void)
{
	int n = (int)pnum("n"), p[MAX_STAGES - 1][2], i, rc = 0;
	struct csv ci = { .len = 0 }, names = { .len = 0 }, nrs = { .len = 0 };
	pid_t pids[MAX_STAGES] = { 0 }, tids[MAX_STAGES] = { 0 };
	struct wchild w;
	struct stat st;

	for (i = 0; i < n - 1 && rc == 0; i++)
		rc = pipe_held(p[i]);
	if (rc) {
		close_fds(&p[0][0], 2 * (i - 1));
		return rc;
	}
	for (i = 0; i < n - 1 && rc == 0; i++) {
		if (fstat(p[i][0], &st) < 0)
			rc = sysfail("fstat pipe");
		else
			csv_add(&ci, "%llu", (unsigned long long)st.st_ino);
	}
	for (i = 0; i < n && rc == 0; i++) {
		stage_setup(&w, p, i, n);
		rc = spawn_blocked(&w, &pids[i], &tids[i]);
	}
	close_fds(&p[0][0], 2 * (n - 1));	/* the stages are the only holders */
	if (rc == 0)
		rc = stages_await(pids, tids, n, &names, &nrs);
	if (rc)
		return rc;
	pipeline_facts(pids, tids, n);
	fact("pipe_inos", "%s", ci.s);
	fact("syscalls", "%s", names.s);
	fact("syscall_nrs", "%s", nrs.s);
	return 0;
}

/* wait-mq-send: fill the queue now, so the child's first send sleeps */
static int mq_fill(int q, bool fill, struct mq_attr *attr, struct stat *st)
{
	long i;

	if (mq_getattr((mqd_t)q, attr) < 0)
		return sysfail("mq_getattr /%s", pshown("name"));
	for (i = 0; fill && i < attr->mq_maxmsg; i++)
		if (mq_send((mqd_t)q, "x", 1, 0) < 0)
			return sysfail("mq_send /%s", pshown("name"));
	if (mq_getattr((mqd_t)q, attr) < 0 || fstat(q, st) < 0)
		return sysfail("mq_getattr/fstat /%s", pshown("name"));
	return 0;
}

/* wait-mq-receive, wait-mq-send: the child holds the only descriptor */
static int wait_mq_common(bool send)
{
	struct mq_attr attr = { .mq_maxmsg = MQ_WAIT_MAXMSG,
				.mq_msgsize = MQ_WAIT_MSGSIZE };
	struct wchild w = { .nfd = 1 };
	pid_t child, tid;
	struct stat st;
	int q = -1, rc;
	long nr;

	rc = mq_create(&attr, &q);
	if (rc)
		return rc;
	w.from[0] = q;
	w.to[0] = w.b.fd = pfd("fd");
	w.b.fn = send ? block_mq_send : block_mq_receive;
	rc = mq_fill(q, send, &attr, &st);
	if (rc == 0)
		rc = spawn_blocked(&w, &child, &tid);
	close(q);
	if (rc == 0)
		rc = await_blocked(child, tid, send ? want_mq_send
					       : want_mq_receive, pfd("fd"), &nr);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("child_tid", "%d", (int)tid);
	fact("fd", "%d", pfd("fd"));
	fact_stat(&st, "ino", "dev");
	fact("maxmsg", "%ld", (long)attr.mq_maxmsg);
	fact("queued", "%ld", (long)attr.mq_curmsgs);
	fact_syscall(nr);
	return 0;
}

static int run_wait_mq_receive(void) { return wait_mq_common(false); }
static int run_wait_mq_send(void) { return wait_mq_common(true); }

/* wait-sock-full: C sends until its send buffer is full and sleeps in
 * send; P holds the peer and never reads */
static int run_wait_sock_full(void)
{
	struct wchild w = { .nfd = 1, .b = { .fn = block_send } };
	struct stat st0, st1;
	pid_t child, tid;
	int sv[2], queued = 0, rc;
	long nr;

	rc = socketpair_held(sv);
	if (rc)
		return rc;
	if (fstat(sv[0], &st0) < 0 || fstat(sv[1], &st1) < 0)
		rc = sysfail("fstat socketpair");
	w.from[0] = sv[0];
	w.to[0] = w.b.fd = pfd("fd");
	if (rc == 0)
		rc = spawn_blocked(&w, &child, &tid);
	close(sv[0]);
	if (rc) {
		close(sv[1]);
		return rc;
	}
	rc = place_or_fail(sv[1], pfd("peerfd"));
	if (rc == 0)
		rc = await_blocked(child, tid, want_send, pfd("fd"), &nr);
	if (rc == 0 && ioctl(pfd("peerfd"), FIONREAD, &queued) < 0)
		rc = sysfail("FIONREAD fd %d", pfd("peerfd"));
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("child_tid", "%d", (int)tid);
	fact("fd", "%d", pfd("fd"));
	fact("peerfd", "%d", pfd("peerfd"));
	fact_stat(&st0, "ino", NULL);
	fact_stat(&st1, "peer_ino", NULL);
	fact("queued", "%d", queued);
	fact_syscall(nr);
	return 0;
}

/* ------------------------------------------------------------------ */
/* hostile: holds no fd table shows, and filesystems that never answer  */

/* shm-in-flight: a /dev/shm file whose only holder is its fd in flight: sent
 * over a socketpair with SCM_RIGHTS and never received; both ends of the
 * pair are kept. */
static int send_fd(int sock, int fd)
{
	char data = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int run_shm_in_flight(void)
{
	struct stat st;
	int fd = -1, sv[2], rc;

	rc = shm_create_sized(&fd, NULL);
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0)
		rc = sysfail("fstat shm");
	else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		rc = sysfail("socketpair");
	else if ((sv[0] = hold(sv[0])) < 0 || (sv[1] = hold(sv[1])) < 0)
		rc = sysfail("hold socketpair");
	else if (send_fd(sv[0], fd) < 0)
		rc = sysfail("sendmsg SCM_RIGHTS");
	close(fd);
	if (rc)
		return rc;
	fact_stat(&st, "ino", "dev");
	return 0;
}

/* shm-uring: a /dev/shm file registered in an io_uring
 * (IORING_REGISTER_FILES), its fd then closed: the ring holds it. */
static int run_shm_uring(void)
{
	struct { uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle,
		 features, wq_fd, resv[3]; uint64_t off[20]; } params;
	struct stat st;
	int fd = -1, ring, rc;

	rc = shm_create_sized(&fd, NULL);
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return sysfail("fstat shm");
	}
	memset(&params, 0, sizeof(params));
	ring = (int)syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0) {
		close(fd);
		return fail(EXIT_UNSUPPORTED, "io_uring_setup: %s", strerror(errno));
	}
	ring = hold(ring);
	if (ring < 0 || syscall(__NR_io_uring_register, ring, 2 /* IORING_REGISTER_FILES */,
				&fd, 1) < 0)
		rc = fail(EXIT_UNSUPPORTED, "io_uring_register files: %s", strerror(errno));
	close(fd);
	if (rc)
		return rc;
	fact("ring_fd", "%d", ring);
	fact_stat(&st, "ino", "dev");
	return 0;
}

/* fuse-hang: a FUSE filesystem mounted on path in a mount namespace of its
 * own (so the host never sees it; newns=0: in the caller's, which a test
 * made), whose server never answers, not even its INIT: any lookup, stat
 * or statfs on it waits for ever. With opener=1, a child sleeps in open()
 * of path/x, inside it. */
static int fuse_opener(void *arg, unsigned long long v[4])
{
	(void)arg, (void)v;
	return 0;
}

static void fuse_open_then(void *arg)
{
	char *p = concat(arg, "/x", 2);

	if (p)
		open(p, O_RDONLY);
}

static int run_fuse_hang(void)
{
	const char *path = pstr("path"), *shown = pshown("path");
	char opts[128];
	struct stat st;
	pid_t child;
	int fd, rc;

	if (pnum("newns") &&
	    (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0))
		return fail(EXIT_UNSUPPORTED, "a mount namespace of its own: %s", strerror(errno));
	fd = hold(open("/dev/fuse", O_RDWR | O_CLOEXEC));
	if (fd < 0)
		return fail(EXIT_UNSUPPORTED, "/dev/fuse: %s", strerror(errno));
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("ipcscope-test", path, "fuse", MS_NOSUID | MS_NODEV, opts) < 0)
		return fail(EXIT_UNSUPPORTED, "mount fuse on %s: %s", shown, strerror(errno));
	if (stat("/proc/self/ns/mnt", &st) < 0)
		return sysfail("stat ns/mnt");
	fact("mntns", "%llu", (unsigned long long)st.st_ino);
	if (pnum("opener")) {
		rc = spawn_then(fuse_opener, fuse_open_then, (void *)path, NULL, 0, &child, NULL);
		if (rc)
			return rc;
		fact("child_pid", "%d", (int)child);
	}
	return 0;
}

/* fuse-flip: a FUSE file that stalls every caller but P. P mounts a FUSE
 * filesystem on path (in a mount namespace of its own) whose server, a
 * thread of P, answers only P's own requests (and INIT): any other
 * process's stat, getxattr or close (FLUSH) of its one file, path/f,
 * waits for ever. P makes n sockets, each in a network namespace of its
 * own that it then leaves (no table lists them, so a scan looks at their
 * holders' fds), keeps each at fd+n+i, and a thread of P puts, again and
 * again, the FUSE file then the socket at fd+i: an fd that a walk saw as
 * a socket may be that file by the time it is duplicated. pipes=1: pipes
 * instead of sockets (a byte queued in each), each in no namespace. n=0:
 * P only holds the FUSE file, at fd, and nothing flips. */
struct fuse_flip {
	int dev, file, fd, n;
	int *socks;
	pid_t flipper;		/* the thread that flips: its requests too */
};

static void fuse_reply(int dev, uint64_t unique, int err, const void *data, size_t len)
{
	char out[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + len), .error = err,
				     .unique = unique };

	memcpy(out, &h, sizeof(h));
	if (len)	/* an error reply has no data, and data may be NULL */
		memcpy(out + sizeof(h), data, len);
	(void)!write(dev, out, sizeof(h) + len);
}

static void fuse_attr_of(uint64_t node, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = node;
	a->mode = node == 1 ? S_IFDIR | 0755 : S_IFREG | 0644;
	a->nlink = node == 1 ? 2 : 1;
	a->blksize = 4096;
}

static void *fuse_flip_server(void *arg)
{
	struct fuse_flip *f = arg;
	static char buf[1 << 20 | 65536];
	pid_t me = getpid();

	for (;;) {
		ssize_t n = read(f->dev, buf, sizeof(buf));
		struct fuse_in_header in;

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(in))
			return NULL;
		memcpy(&in, buf, sizeof(in));
		if (in.opcode == FUSE_INIT) {
			struct fuse_init_in ii;
			struct fuse_init_out io = { .major = FUSE_KERNEL_VERSION, .minor = 31,
						    .max_background = 16,
						    .congestion_threshold = 12,
						    .max_write = 65536, .time_gran = 1 };

			memcpy(&ii, buf + sizeof(in), sizeof(ii));
			io.max_readahead = ii.max_readahead;
			fuse_reply(f->dev, in.unique, 0, &io, sizeof(io));
			continue;
		}
		/* everyone else waits for ever */
		if ((pid_t)in.pid != me &&
		    (pid_t)in.pid != __atomic_load_n(&f->flipper, __ATOMIC_ACQUIRE))
			continue;
		switch (in.opcode) {
		case FUSE_LOOKUP: {
			struct fuse_entry_out e = { .nodeid = 2 };

			fuse_attr_of(2, &e.attr);
			if (strcmp(buf + sizeof(in), "f") != 0)
				fuse_reply(f->dev, in.unique, -ENOENT, NULL, 0);
			else
				fuse_reply(f->dev, in.unique, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out a = { 0 };

			fuse_attr_of(in.nodeid, &a.attr);
			fuse_reply(f->dev, in.unique, 0, &a, sizeof(a));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out o = { .fh = 1 };

			fuse_reply(f->dev, in.unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_FLUSH:
		case FUSE_RELEASE:
			fuse_reply(f->dev, in.unique, 0, NULL, 0);
			break;
		case FUSE_INTERRUPT:
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;
		default:
			fuse_reply(f->dev, in.unique, -ENOSYS, NULL, 0);
		}
	}
}

static void *fuse_flip_main(void *arg)
{
	struct fuse_flip *f = arg;

	__atomic_store_n(&f->flipper, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	/* fd+i is the file for i + 2 ticks of 100 us, then the socket as
	 * long: each at a pace of its own, so that some are sure to have
	 * changed between a scan's walk and its look at them */
	for (unsigned long t = 0;; t++) {
		for (int i = 0; i < f->n; i++)
			if (t % (unsigned long)(i + 2) == 0)
				dup2((t / (unsigned long)(i + 2)) % 2 ? f->file : f->socks[i], f->fd + i);
		usleep(100);
	}
	return NULL;
}

static int run_fuse_flip(void)
{
	const char *path = pstr("path"), *shown = pshown("path");
	static struct fuse_flip f;
	char opts[128], *file;
	struct stat st;
	pthread_t th;
	int self, e;

	f.fd = (int)pnum("fd");
	f.n = (int)pnum("n");
	/* the flipped fds and the sockets' own are below every scratch fd */
	if (g_fdbase <= f.fd + 2 * f.n)
		g_fdbase = f.fd + 2 * f.n + 1;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(EXIT_UNSUPPORTED, "a mount namespace of its own: %s", strerror(errno));
	f.dev = hold(open("/dev/fuse", O_RDWR | O_CLOEXEC));
	if (f.dev < 0)
		return fail(EXIT_UNSUPPORTED, "/dev/fuse: %s", strerror(errno));
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", f.dev);
	if (mount("ipcscope-test", path, "fuse", MS_NOSUID | MS_NODEV, opts) < 0)
		return fail(EXIT_UNSUPPORTED, "mount fuse on %s: %s", shown, strerror(errno));
	e = pthread_create(&th, NULL, fuse_flip_server, &f);
	if (e)
		return fail(EXIT_FAIL, "pthread_create: %s", strerror(e));
	file = concat(path, "/f", 2);
	if (!file)
		return oom();
	f.file = hold(open(file, O_RDWR | O_CLOEXEC));
	free(file);
	if (f.file < 0)
		return sysfail("open %s/f", shown);
	f.socks = calloc((size_t)f.n + 1, sizeof(*f.socks));
	self = hold(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
	if (!f.socks || self < 0)
		return sysfail("ns/net");
	for (int i = 0; i < f.n && pnum("pipes"); i++) {
		int pp[2];

		if (pipe2(pp, O_CLOEXEC) < 0 || write(pp[1], "x", 1) != 1)
			return sysfail("pipe");
		hold(pp[1]);
		f.socks[i] = f.fd + f.n + i;
		if (place_or_fail(pp[0], f.socks[i]))
			return EXIT_FAIL;
	}
	for (int i = 0; i < f.n && !pnum("pipes"); i++) {
		int s;

		if (unshare(CLONE_NEWNET) < 0)
			return fail(EXIT_UNSUPPORTED, "unshare(CLONE_NEWNET): %s", strerror(errno));
		s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0 || setns(self, CLONE_NEWNET) < 0)
			return sysfail("socket in a namespace");
		f.socks[i] = f.fd + f.n + i;
		if (place_or_fail(s, f.socks[i]))
			return EXIT_FAIL;
	}
	close(self);
	/* the connection's number, for /sys/fs/fuse/connections/N/abort: the
	 * only way to end it once P is killed (its exit closes the file, whose
	 * FLUSH then waits on the server thread that died with it) */
	if (stat(path, &st) < 0)
		return sysfail("stat %s", shown);
	fact("conn", "%u", minor(st.st_dev));
	if (!f.n)
		return place_or_fail(f.file, f.fd) ? EXIT_FAIL : 0;
	e = pthread_create(&th, NULL, fuse_flip_main, &f);
	if (e)
		return fail(EXIT_FAIL, "pthread_create: %s", strerror(e));
	return 0;
}

/* watch-open: reports every open of path (inotify IN_OPEN) by appending a
 * line to log, from a child, for a test that must prove nobody opened it. */
static int watch_child(void *arg, unsigned long long v[4])
{
	(void)arg, (void)v;
	return 0;
}

static void watch_then(void *arg)
{
	int in = inotify_init1(IN_CLOEXEC), log;
	char ev[4096];

	(void)arg;
	if (in < 0 || inotify_add_watch(in, pstr("path"), IN_OPEN | IN_ACCESS) < 0)
		_exit(EXIT_FAIL);
	log = open(pstr("log"), O_WRONLY | O_APPEND | O_CLOEXEC);
	for (;;) {
		ssize_t n = read(in, ev, sizeof(ev));

		if (n > 0 && log >= 0)
			write_full(log, "opened\n", 7);
	}
}

static int run_watch_open(void)
{
	pid_t child;
	int in, rc;

	/* the watch must hold before READY: tried here first */
	in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, pstr("path"), IN_OPEN) < 0)
		return sysfail("inotify on %s", pshown("path"));
	close(in);
	rc = spawn_then(watch_child, watch_then, NULL, NULL, 0, &child, NULL);
	if (rc)
		return rc;
	/* the child's watch is in place once it runs then(): give it a moment */
	usleep(100000);
	fact("child_pid", "%d", (int)child);
	return 0;
}

/* listener-in-netns: a listening socket made in the network namespace
 * netns names (an nsfs file, e.g. /run/netns/NAME), held by this process,
 * which lives in its own namespace: no process is in the socket's. */
static int run_listener_in_netns(void)
{
	int self, target, fd = -1, rc;
	struct stat st, pst;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(pstr("netns"), O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0)
		return sysfail("open %s", pshown("netns"));
	if (setns(target, CLONE_NEWNET) < 0)
		return fail(EXIT_UNSUPPORTED, "setns %s: %s", pshown("netns"), strerror(errno));
	rc = bound_socket(SOCK_STREAM, pstr("path"), plen("path"), pshown("path"), &fd);
	if (setns(self, CLONE_NEWNET) < 0)
		return sysfail("setns back");
	close(self);
	close(target);
	if (rc)
		return rc;
	rc = do_listen(fd, pshown("path"));
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0 || lstat(pstr("path"), &pst) < 0)
		return sysfail("stat %s", pshown("path"));
	fact("fd", "%d", fd);
	fact_stat(&st, "ino", NULL);
	fact_stat(&pst, "path_ino", NULL);
	return 0;
}

/* netns-many: a listener bound to path, then n network namespaces more
 * (unshare(CLONE_NEWNET) again and again), one datagram socket made in
 * each and kept: n + 1 namespaces that only their sockets keep, all held
 * by P, which ends in the last. What anyone may make inside a user
 * namespace of their own (needs CAP_SYS_ADMIN there, else exit 3). */
static int run_netns_many(void)
{
	long long n = pnum("n"), i;
	struct stat st;
	int fd = -1, rc;

	if (unshare(CLONE_NEWNET) < 0)
		return fail(EXIT_UNSUPPORTED, "unshare(CLONE_NEWNET): %s", strerror(errno));
	rc = bound_socket(SOCK_STREAM, pstr("path"), plen("path"), pshown("path"), &fd);
	if (rc)
		return rc;
	rc = do_listen(fd, pshown("path"));
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0)
		return sysfail("fstat listener");
	fact("listen_ino", "%llu", (unsigned long long)st.st_ino);
	if (stat("/proc/self/ns/net", &st) < 0)
		return sysfail("stat ns/net");
	fact("listen_netns", "%llu", (unsigned long long)st.st_ino);
	for (i = 0; i < n; i++) {
		if (unshare(CLONE_NEWNET) < 0)
			return sysfail("unshare(CLONE_NEWNET) #%lld", i + 1);
		if (hold(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
			return sysfail("socket #%lld", i + 1);
	}
	fact("made", "%lld", n);
	return 0;
}

/* netns-pass: sockets made in a network namespace by a child that then
 * exits, handed to this process (in its own namespace) with SCM_RIGHTS:
 * what test_mkfds' unix-in-netns and foreign-sockets scenes make. The
 * namespace lives on only through the sockets (and a mount of it, for
 * netns=/run/netns/NAME until `ip netns del`). */
struct netns_msg {
	int status;		/* 0, or the exit code the child failed with */
	int err;
	unsigned long long netns;
};

/* The child's end: its error, or the three sockets and their namespace;
 * then it exits. */
static void netns_send(int sock, struct netns_msg *msg, ino_t netns, const int fds[3])
{
	char cbuf[CMSG_SPACE(3 * sizeof(int))];
	struct iovec iov = { msg, sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (msg->err) {
		msg->status = code_for_errno(msg->err);
		write_full(sock, msg, sizeof(*msg));
		_exit(0);
	}
	msg->netns = (unsigned long long)netns;
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, 3 * sizeof(int));
	_exit(sendmsg(sock, &mh, 0) == (ssize_t)sizeof(*msg) ? 0 : 1);
}

static void netns_pass_child(int sock, int type, const char *nspath)
{
	struct netns_msg msg = { 0 };
	struct stat st = { 0 };
	int fds[3] = { -1, -1, -1 }, target;

	if (nspath[0]) {
		target = open(nspath, O_RDONLY | O_CLOEXEC);
		if (target < 0 || setns(target, CLONE_NEWNET) < 0)
			msg.err = errno;
	} else if (unshare(CLONE_NEWNET) < 0) {
		msg.err = errno;
	}
	if (!msg.err && (socketpair(AF_UNIX, type, 0, fds) < 0 ||
			 (fds[2] = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
			 stat("/proc/self/ns/net", &st) < 0))
		msg.err = errno;
	netns_send(sock, &msg, st.st_ino, fds);
}

/* The three sockets from the child, and its namespace's inode. */
static int netns_pass_receive(int sock, int fds[3], unsigned long long *netns)
{
	struct netns_msg msg = { 0 };
	char cbuf[CMSG_SPACE(3 * sizeof(int))];
	struct iovec iov = { &msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	if (n != (ssize_t)sizeof(msg))
		return fail(EXIT_FAIL, "netns-pass: the child sent nothing");
	if (msg.status)
		return fail(msg.status, "netns-pass (child): entering the namespace: %s",
			    strerror(msg.err));
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(3 * sizeof(int)))
		return fail(EXIT_FAIL, "netns-pass: no fds from the child");
	memcpy(fds, CMSG_DATA(cm), 3 * sizeof(int));
	*netns = msg.netns;
	return 0;
}

static int run_netns_pass(void)
{
	const char *path = pstr("path"), *shown = pshown("path");
	struct sockaddr_un sa;
	socklen_t salen = 0;
	unsigned long long netns = 0;
	int sv[2], fds[3], rc, status;
	char *copy;
	pid_t child;

	rc = make_sockaddr(&sa, &salen, path, plen("path"), false, shown);
	if (rc)
		return rc;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return sysfail("socketpair (transport)");
	fflush(stdout);
	child = fork();
	if (child < 0)
		return sysfail("fork");
	if (child == 0) {
		close(sv[0]);
		netns_pass_child(sv[1], ptypev(), pstr("netns"));
	}
	close(sv[1]);
	rc = netns_pass_receive(sv[0], fds, &netns);
	close(sv[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (rc)
		return rc;
	/* bound here: a socket's namespace is the one it was made in */
	copy = strdup(path);
	if (!copy)
		return oom();
	if (bind(fds[2], (struct sockaddr *)&sa, salen) < 0) {
		free(copy);
		return sysfail("bind %s", shown);
	}
	reg_name(R_PATH, copy);
	rc = do_listen(fds[2], shown);
	for (int i = 0; i < 3 && !rc; i++) {
		static const char *const keys[] = { "fd", "peerfd", "lfd" };
		int fd = hold(fds[i]);

		rc = fd < 0 ? sysfail("fcntl(F_DUPFD)") : place_or_fail(fd, pfd(keys[i]));
	}
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("type", "%s", socktype_name(ptypev()));
	fact("fd", "%d", pfd("fd"));
	fact("peerfd", "%d", pfd("peerfd"));
	fact("lfd", "%d", pfd("lfd"));
	fact("netns", "%llu", netns);
	rc = fact_fstat(pfd("fd"), "ino", NULL);
	if (!rc)
		rc = fact_fstat(pfd("peerfd"), "peer_ino", NULL);
	if (!rc)
		rc = fact_fstat(pfd("lfd"), "listen_ino", NULL);
	return rc;
}

/* netns-pass-tcp: a loopback TCP listener, a client and the accepted end,
 * made in a network namespace of its own by a child that then exits and
 * hands the three to this process (in its own namespace) with SCM_RIGHTS.
 * No holder is in the sockets' namespace, which lives on only through
 * them. */
static int netns_tcp_lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (s < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

static void netns_tcp_child(int sock)
{
	struct netns_msg msg = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct stat st = { 0 };
	int fds[3] = { -1, -1, -1 };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (unshare(CLONE_NEWNET) < 0 || netns_tcp_lo_up() < 0 ||
	    (fds[0] = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fds[0], (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fds[0], 4) < 0 ||
	    getsockname(fds[0], (struct sockaddr *)&sa, &salen) < 0 ||
	    (fds[1] = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fds[1], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (fds[2] = accept(fds[0], NULL, NULL)) < 0 || stat("/proc/self/ns/net", &st) < 0)
		msg.err = errno;
	netns_send(sock, &msg, st.st_ino, fds);
}

static int run_netns_pass_tcp(void)
{
	static const char *const keys[] = { "lfd", "fd", "peerfd" };
	unsigned long long netns = 0;
	int sv[2], fds[3], rc, status;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return sysfail("socketpair (transport)");
	fflush(stdout);
	child = fork();
	if (child < 0)
		return sysfail("fork");
	if (child == 0) {
		close(sv[0]);
		netns_tcp_child(sv[1]);
	}
	close(sv[1]);
	rc = netns_pass_receive(sv[0], fds, &netns);
	close(sv[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 3 && !rc; i++) {
		int fd = hold(fds[i]);

		rc = fd < 0 ? sysfail("fcntl(F_DUPFD)") : place_or_fail(fd, pfd(keys[i]));
	}
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("lfd", "%d", pfd("lfd"));
	fact("fd", "%d", pfd("fd"));
	fact("peerfd", "%d", pfd("peerfd"));
	fact("netns", "%llu", netns);
	rc = fact_fstat(pfd("lfd"), "listen_ino", NULL);
	if (!rc)
		rc = fact_fstat(pfd("fd"), "ino", NULL);
	if (!rc)
		rc = fact_fstat(pfd("peerfd"), "peer_ino", NULL);
	return rc;
}

/* sock-shutdown: a stream socketpair, both ends held by this process; the
 * one at fd is shut down with how= (the peer sees the other direction
 * closed) and made O_NONBLOCK with nonblock=1. */
static int run_sock_shutdown(void)
{
	static const char *const hows[] = { "rd", "wr", "rdwr", NULL };
	const char *how = pstr("how");
	int sv[2], rc, h;

	for (h = 0; hows[h] && strcmp(hows[h], how) != 0; h++)
		;
	if (!hows[h])
		return fail(EXIT_USAGE, "how= takes rd, wr or rdwr, not '%s'", pshown("how"));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return sysfail("socketpair");
	sv[0] = hold(sv[0]);
	sv[1] = hold(sv[1]);
	if (sv[0] < 0 || sv[1] < 0)
		return sysfail("fcntl(F_DUPFD) (socketpair)");
	if (shutdown(sv[0], h == 0 ? SHUT_RD : h == 1 ? SHUT_WR : SHUT_RDWR) < 0)
		return sysfail("shutdown %s", how);
	if (pnum("nonblock") && set_nonblock(sv[0], true) < 0)
		return sysfail("fcntl O_NONBLOCK");
	rc = place_or_fail(sv[0], pfd("fd"));
	if (!rc)
		rc = place_or_fail(sv[1], pfd("peerfd"));
	if (rc)
		return rc;
	fact("fd", "%d", pfd("fd"));
	fact("peerfd", "%d", pfd("peerfd"));
	fact("how", "%s", how);
	rc = fact_fstat(pfd("fd"), "ino", NULL);
	return rc ? rc : fact_fstat(pfd("peerfd"), "peer_ino", NULL);
}

/* ------------------------------------------------------------------ */
/* threads: holders that only a thread's /proc/PID/task/TID shows       */
/*                                                                      */
/* leader-exited: a child whose main thread leaves by SYS_exit while a  */
/* second thread holds a /dev/shm file (by fd and/or mapping), a FIFO   */
/* and, in a network namespace of its own, a listening socket.          */
/* thread-files: a child one of whose threads has its own fd table      */
/* (unshare(CLONE_FILES)): the shm file at the same fd number as the    */
/* leader's pipe read end, the pipe's write end in both tables.         */
/* The tests kill the child (the tgid) through mkipc's own cleanup.     */

struct thr_arg {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int status;
	unsigned long long v[4];
	int fd, fifofd, lfd, rfd, wfd;
	int map, netns;
	bool block;	/* the thread sleeps in read(blockfd), not in pause() */
	int blockfd;
};

/* the thread's setup result, handed to the main thread that reports it */
static void *thr_report(struct thr_arg *a, int status)
{
	pthread_mutex_lock(&a->mu);
	a->status = status;
	a->done = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	for (;;) {
		char c;

		/* nobody writes: the thread holds the write end itself */
		if (!a->block || read(a->blockfd, &c, 1) < 0)
			pause();
	}
	return NULL;
}

static int thr_run(struct thr_arg *a, void *(*fn)(void *))
{
	pthread_t th;
	int e;

	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	e = pthread_create(&th, NULL, fn, a);
	if (e) {
		errno = e;
		return sysfail("pthread_create");
	}
	pthread_detach(th);
	pthread_mutex_lock(&a->mu);
	while (!a->done)
		pthread_cond_wait(&a->cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
	return a->status;
}

/* shm_open of the parent's file (it unlinks it), placed at target */
static int thr_shm_open(int target)
{
	char *full = concat("/", pstr("name"), plen("name"));
	int fd;

	if (!full)
		return oom();
	fd = hold(shm_open(full, O_RDWR, 0));
	free(full);
	if (fd < 0)
		return sysfail("shm_open /%s", pshown("name"));
	return place_or_fail(fd, target);
}

static int thr_listen(struct thr_arg *a)
{
	struct sockaddr_un sa;
	socklen_t salen;
	struct stat st;
	int fd, rc;

	rc = make_sockaddr(&sa, &salen, pstr("sock"), plen("sock"), false, pshown("sock"));
	if (rc)
		return rc;
	fd = hold(socket(AF_UNIX, SOCK_STREAM, 0));
	if (fd < 0)
		return sysfail("socket");
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0 || listen(fd, 8) < 0) {
		rc = sysfail("bind+listen %s", pshown("sock"));
		close(fd);
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = sysfail("fstat socket");
		close(fd);
		return rc;
	}
	a->v[1] = st.st_ino;
	if (stat("/proc/thread-self/ns/net", &st) < 0) {
		rc = sysfail("stat /proc/thread-self/ns/net");
		close(fd);
		return rc;
	}
	a->v[2] = st.st_ino;
	return place_or_fail(fd, a->lfd);
}

static int thr_map(struct thr_arg *a)
{
	void *p = mmap(NULL, (size_t)pnum("size"), PROT_READ | PROT_WRITE, MAP_SHARED,
		       a->fd, 0);

	if (p == MAP_FAILED)
		return sysfail("mmap /%s", pshown("name"));
	*(volatile char *)p = 1;
	/* map=2: the mapping alone holds it */
	if (a->map == 2)
		close(a->fd);
	return 0;
}

static void *leader_exited_thread(void *arg)
{
	struct thr_arg *a = arg;
	int rc, fd;

	a->v[0] = (unsigned long long)syscall(SYS_gettid);
	rc = thr_shm_open(a->fd);
	if (rc == 0 && a->map)
		rc = thr_map(a);
	if (rc == 0) {
		fd = hold(open(pstr("fifo"), O_RDWR));
		rc = fd < 0 ? sysfail("open %s", pshown("fifo")) : place_or_fail(fd, a->fifofd);
	}
	if (rc == 0)
		rc = thr_listen(a);
	return thr_report(a, rc);
}

static void *idle_main(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int thr_idle(void)
{
	pthread_t th;
	int e = pthread_create(&th, NULL, idle_main, NULL);

	if (e) {
		errno = e;
		return sysfail("pthread_create");
	}
	pthread_detach(th);
	return 0;
}

static int leader_exited_child(void *arg, unsigned long long v[4])
{
	struct thr_arg *a = arg;
	int rc;

	/* the thread inherits the namespace; the leader's goes with it */
	if (a->netns && unshare(CLONE_NEWNET) < 0)
		return errno == EPERM ? fail(EXIT_UNSUPPORTED, "unshare(CLONE_NEWNET): "
					     "needs root") : sysfail("unshare(CLONE_NEWNET)");
	rc = thr_run(a, leader_exited_thread);
	/* a second thread on the same table: both are left to report it */
	if (rc == 0)
		rc = thr_idle();
	memcpy(v, a->v, sizeof(a->v));
	return rc;
}

static void leader_exit(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 0);
}

/* until the child's leader is a zombie with its thread alive */
static int await_leader_exit(pid_t pid)
{
	char path[64], buf[512], *r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int n = 0; n < 500; n++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0)
			close(fd);
		if (len > 0) {
			buf[len] = '\0';
			r = strrchr(buf, ')');
			if (r && r[1] == ' ' && r[2] == 'Z')
				return 0;
		}
		nanosleep(&ts, NULL);
	}
	return fail(EXIT_FAIL, "child %d: main thread did not exit", (int)pid);
}

/* the parent's files, which it removes at the end and holds nothing of */
static int thr_files(bool fifo, bool sock)
{
	int fd = -1, rc;

	rc = shm_create_sized(&fd, NULL);
	if (rc)
		return rc;
	close(fd);
	if (fifo && (rc = make_fifo(pstr("fifo"), pshown("fifo"))))
		return rc;
	if (sock) {
		char *copy = strdup(pstr("sock"));

		if (!copy)
			return oom();
		reg_name(R_PATH, copy);
	}
	return 0;
}

static int fact_path(const char *key, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return sysfail("stat %s", path);
	fact_stat(&st, key, NULL);
	return 0;
}

static int leader_exited_common(bool netns)
{
	struct thr_arg a = { .fd = pfd("fd"), .fifofd = pfd("fifofd"), .lfd = pfd("lfd"),
			     .map = (int)pnum("map"), .netns = netns };
	char shm[PATH_MAX];
	unsigned long long v[4];
	pid_t child;
	int rc;

	rc = thr_files(true, true);
	if (rc == 0)
		rc = spawn_then(leader_exited_child, leader_exit, &a, NULL, 0, &child, v);
	if (rc == 0)
		rc = await_leader_exit(child);
	if (rc)
		return rc;
	snprintf(shm, sizeof(shm), "/dev/shm/%s", pstr("name"));
	fact("child_pid", "%d", (int)child);
	fact("child_tid", "%llu", v[0]);
	fact("fd", "%d", a.fd);
	fact("fifofd", "%d", a.fifofd);
	fact("lfd", "%d", a.lfd);
	fact("listen_ino", "%llu", v[1]);
	fact("netns", "%llu", v[2]);
	rc = fact_path("ino", shm);
	return rc ? rc : fact_path("fifo_ino", pstr("fifo"));
}

static int run_leader_exited(void) { return leader_exited_common(false); }
/* the listener in a network namespace of its own (root) */
static int run_leader_exited_netns(void) { return leader_exited_common(true); }

/* block=1: a pipe of the thread's table alone, its read end at wfd (in
 * place of the shared write end), which the thread then sleeps reading:
 * in the leader's table wfd is the other pipe's write end */
static int thr_own_pipe(struct thr_arg *a)
{
	struct stat st;
	int p[2];

	if (pipe(p) < 0)
		return sysfail("pipe");
	p[1] = hold(p[1]);
	if (p[1] < 0 || fstat(p[0], &st) < 0)
		return sysfail("pipe");
	a->v[3] = st.st_ino;
	a->blockfd = a->wfd;
	return place_or_fail(p[0], a->wfd);
}

static void *thread_files_thread(void *arg)
{
	struct thr_arg *a = arg;
	int keep[] = { a->rfd, a->wfd }, rc;

	a->v[0] = (unsigned long long)syscall(SYS_gettid);
	if (unshare(CLONE_FILES) < 0)
		return thr_report(a, sysfail("unshare(CLONE_FILES)"));
	/* a copy of the leader's table: nothing in it but the pipe, whose
	 * read end the shm file then replaces in this table only */
	close_fds_except(keep, 2);
	rc = thr_shm_open(a->rfd);
	if (rc == 0 && a->block)
		rc = thr_own_pipe(a);
	/* as child_main does for the leader's table: not the test's stderr */
	if (rc == 0) {
		int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (nul >= 0) {
			dup2(nul, STDERR_FILENO);
			close(nul);
		}
	}
	return thr_report(a, rc);
}

/* A process that holds the pipe too, forked before the thread: its pid
 * usually falls between C's and the thread's, so that a walk in pid
 * order meets the thread's table after another process. It dies with
 * C's main thread. */
static int thr_sibling(struct thr_arg *a)
{
	int keep[] = { a->rfd, a->wfd };
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		return sysfail("fork");
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(EXIT_FAIL);
		if (nul >= 0)
			dup2(nul, STDERR_FILENO);
		close_fds_except(keep, 2);
		for (;;)
			pause();
	}
	a->v[2] = (unsigned long long)pid;
	return 0;
}

static int thread_files_child(void *arg, unsigned long long v[4])
{
	struct thr_arg *a = arg;
	struct stat st;
	int p[2], rc;

	if (pipe(p) < 0)
		return sysfail("pipe");
	p[0] = hold(p[0]);
	p[1] = hold(p[1]);
	if (p[0] < 0 || p[1] < 0)
		return sysfail("pipe");
	if (fstat(p[0], &st) < 0)
		return sysfail("fstat pipe");
	a->v[1] = st.st_ino;
	rc = place_or_fail(p[0], a->rfd);
	if (rc == 0)
		rc = place_or_fail(p[1], a->wfd);
	if (rc == 0)
		rc = thr_sibling(a);
	if (rc == 0)
		rc = thr_run(a, thread_files_thread);
	memcpy(v, a->v, sizeof(a->v));
	return rc;
}

static int run_thread_files(void)
{
	struct thr_arg a = { .rfd = pfd("fd"), .wfd = pfd("wfd"), .block = pnum("block") };
	char shm[PATH_MAX];
	unsigned long long v[4];
	pid_t child;
	int rc;

	rc = thr_files(false, false);
	if (rc == 0)
		rc = spawn(thread_files_child, &a, NULL, 0, &child, v);
	if (rc)
		return rc;
	snprintf(shm, sizeof(shm), "/dev/shm/%s", pstr("name"));
	fact("child_pid", "%d", (int)child);
	fact("child_tid", "%llu", v[0]);
	fact("fd", "%d", a.rfd);
	fact("wfd", "%d", a.wfd);
	fact("pipe_ino", "%llu", v[1]);
	fact("sibling_pid", "%llu", v[2]);
	fact("own_pipe_ino", "%llu", v[3]);
	return fact_path("ino", shm);
}

/* ------------------------------------------------------------------ */
/* inet: local TCP and UDP sockets                                     */

static const char *const inet_families[] = { "v4", "v6", NULL };

/* A loopback or given address, port: the sockaddr and its length. */
static int mk_inet_addr(const char *text, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	return fail(EXIT_USAGE, "not an IPv4 or IPv6 address: %s", text);
}

static int inet_port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A socket of type bound to addr:port (0: any port), at a scratch fd. */
static int inet_bound(int type, const char *addr, int port, int *fdp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, rc = mk_inet_addr(addr, port, &ss, &len);

	if (rc)
		return rc;
	fd = hold(socket(ss.ss_family, type | SOCK_CLOEXEC, 0));
	if (fd < 0)
		return sysfail("socket(%s)", addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		rc = sysfail("bind %s:%d", addr, port);
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* Child: a socket of type connected to addr:port at target, which then
 * sends fill bytes; v[0] = inode, v[1] = its port. */
struct inet_connect_arg {
	int type;
	const char *addr;
	int port;
	long long fill;
	int target;
};

static int inet_connect_fd(const struct inet_connect_arg *a, unsigned long long v[4])
{
	struct sockaddr_storage ss;
	struct stat st;
	socklen_t len;
	int fd, rc = mk_inet_addr(a->addr, a->port, &ss, &len);

	if (rc)
		return rc;
	fd = hold(socket(ss.ss_family, a->type | SOCK_CLOEXEC, 0));
	if (fd < 0)
		return sysfail("socket(%s)", a->addr);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		rc = sysfail("connect %s:%d", a->addr, a->port);
		close(fd);
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = sysfail("fstat socket");
		close(fd);
		return rc;
	}
	v[0] = (unsigned long long)st.st_ino;
	v[1] = (unsigned long long)inet_port_of(fd);
	rc = place_or_fail(fd, a->target);
	if (rc == 0 && a->fill > 0)
		rc = fill_fd(a->target, a->fill, a->type == SOCK_STREAM);
	return rc;
}

static int inet_connect_child(void *arg, unsigned long long v[4])
{
	return inet_connect_fd(arg, v);
}

/* Until fd has n bytes to read: what the peer sent is on its way. */
static int await_readable(int fd, long long n)
{
	long long end = now_ms() + AWAIT_MS;
	int q = 0;

	for (;;) {
		if (ioctl(fd, FIONREAD, &q) < 0)
			return sysfail("ioctl(FIONREAD)");
		if (q >= n)
			return 0;
		if (now_ms() >= end)
			return fail(EXIT_FAIL, "only %d of %lld bytes arrived", q, n);
		sleep_ms(5);
	}
}

/* tcp: a listener on loopback (lfd), a child's client connected to it
 * (cfd) that sends fill bytes nobody reads, and its server end accepted
 * (afd) unless pending=1; wait=recv: a thread of P sleeps in recv on afd,
 * wait=accept: one sleeps in accept on lfd */
static int run_tcp(void)
{
	static const char *const waits[] = { "none", "recv", "accept", NULL };
	static struct wthread w;
	int fam = pick("tcp", "family", inet_families), wait = pick("tcp", "wait", waits);
	const char *lo = fam == 1 ? "::1" : "127.0.0.1";
	struct inet_connect_arg a;
	unsigned long long v[4];
	int fd = -1, rc;
	pid_t child;

	if (fam < 0 || wait < 0)
		return EXIT_USAGE;
	if (pnum("pending") && wait != 0)
		return fail(EXIT_USAGE, "tcp: pending=1 goes with wait=none");
	rc = inet_bound(SOCK_STREAM, lo, 0, &fd);
	if (rc)
		return rc;
	if (listen(fd, 8) < 0)
		return sysfail("listen");
	rc = place_or_fail(fd, pfd("lfd"));
	if (rc)
		return rc;
	a = (struct inet_connect_arg){ SOCK_STREAM, lo, inet_port_of(pfd("lfd")), pnum("fill"),
				       pfd("cfd") };
	rc = spawn(inet_connect_child, &a, NULL, 0, &child, v);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("family", "%s", inet_families[fam]);
	fact("lfd", "%d", pfd("lfd"));
	fact("cfd", "%d", pfd("cfd"));
	fact("lport", "%d", a.port);
	fact("cport", "%llu", v[1]);
	fact("client_ino", "%llu", v[0]);
	fact("fill", "%lld", pnum("fill"));
	if (!pnum("pending")) {
		int afd = hold(accept4(pfd("lfd"), NULL, NULL, SOCK_CLOEXEC));

		if (afd < 0)
			return sysfail("accept");
		rc = place_or_fail(afd, pfd("afd"));
		if (rc == 0)
			rc = await_readable(pfd("afd"), pnum("fill"));
		if (rc)
			return rc;
		fact("afd", "%d", pfd("afd"));
		rc = fact_fstat(pfd("afd"), "accepted_ino", NULL);
		if (rc)
			return rc;
	}
	if (wait == 1) {
		w.b.fn = block_recv;
		return thread_waits_on(&w, want_recv, "afd", "wait_ino");
	}
	if (wait == 2) {
		w.b.fn = block_accept;
		return thread_waits_on(&w, want_accept, "lfd", "wait_ino");
	}
	return fact_fstat(pfd("lfd"), "listen_ino", NULL);
}

/* udp: a socket bound to loopback (sfd), and a child's socket connected
 * to it (cfd) that sends fill datagrams of 100 bytes nobody reads */
static int run_udp(void)
{
	int fam = pick("udp", "family", inet_families), fd = -1, rc;
	const char *lo = fam == 1 ? "::1" : "127.0.0.1";
	struct inet_connect_arg a;
	unsigned long long v[4];
	pid_t child;

	if (fam < 0)
		return EXIT_USAGE;
	rc = inet_bound(SOCK_DGRAM, lo, 0, &fd);
	if (rc == 0)
		rc = place_or_fail(fd, pfd("sfd"));
	if (rc)
		return rc;
	a = (struct inet_connect_arg){ SOCK_DGRAM, lo, inet_port_of(pfd("sfd")), 0, pfd("cfd") };
	rc = spawn(inet_connect_child, &a, NULL, 0, &child, v);
	if (rc)
		return rc;
	fact("child_pid", "%d", (int)child);
	fact("family", "%s", inet_families[fam]);
	fact("sfd", "%d", pfd("sfd"));
	fact("cfd", "%d", pfd("cfd"));
	fact("sport", "%d", a.port);
	fact("cport", "%llu", v[1]);
	fact("client_ino", "%llu", v[0]);
	return fact_fstat(pfd("sfd"), "server_ino", NULL);
}

/* tcp-listen: a listener bound to addr:port (0: any), held by P */
static int run_tcp_listen(void)
{
	int fd = -1, rc = inet_bound(SOCK_STREAM, pstr("addr"), (int)pnum("port"), &fd);

	if (rc)
		return rc;
	if (listen(fd, 8) < 0)
		return sysfail("listen");
	rc = place_or_fail(fd, pfd("lfd"));
	if (rc)
		return rc;
	fact("lfd", "%d", pfd("lfd"));
	fact("lport", "%d", inet_port_of(pfd("lfd")));
	return fact_fstat(pfd("lfd"), "listen_ino", NULL);
}

/* tcp-connect: P's socket connected to addr:port (fd) */
static int run_tcp_connect(void)
{
	struct inet_connect_arg a = { SOCK_STREAM, pstr("addr"), (int)pnum("port"), 0, pfd("fd") };
	unsigned long long v[4];
	int rc = inet_connect_fd(&a, v);

	if (rc)
		return rc;
	fact("fd", "%d", pfd("fd"));
	fact("cport", "%llu", v[1]);
	fact("ino", "%llu", v[0]);
	return 0;
}

/* udp-bind: P's UDP socket bound to addr:port (0: any), unconnected */
static int run_udp_bind(void)
{
	int fd = -1, rc = inet_bound(SOCK_DGRAM, pstr("addr"), (int)pnum("port"), &fd);

	if (rc)
		return rc;
	rc = place_or_fail(fd, pfd("fd"));
	if (rc)
		return rc;
	fact("fd", "%d", pfd("fd"));
	fact("port", "%d", inet_port_of(pfd("fd")));
	return fact_fstat(pfd("fd"), "ino", NULL);
}

/* udp-connect: P's UDP socket connected to addr:port (fd) */
static int run_udp_connect(void)
{
	struct inet_connect_arg a = { SOCK_DGRAM, pstr("addr"), (int)pnum("port"), 0, pfd("fd") };
	unsigned long long v[4];
	int rc = inet_connect_fd(&a, v);

	if (rc)
		return rc;
	fact("fd", "%d", pfd("fd"));
	fact("cport", "%llu", v[1]);
	fact("ino", "%llu", v[0]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* factory table                                                       */

struct factory {
	const char *name;
	int (*run)(void);
	const char *facts;
	struct keyspec keys[MAX_KEYS];
};

#define SIZE_KEY(d, lo) K_INT("size", d, lo, MAX_SIZE)
/* a word with a default, checked by the factory (pick) */
#define K_WORD(k, d) { .key = (k), .type = PT_STR, .def = (d), .flags = KF_NONEMPTY }
#define P ROLE_PARENT
#define C ROLE_CHILD

static const struct factory factories[] = {
	{ .name = "fifo", .run = run_fifo,
	  .facts = "pid child_pid rfd wfd ino dev",
	  .keys = { K_STR("path", KF_NONEMPTY), K_FD("rfd", "3", P),
		    K_FD("wfd", "4", C) } },
	{ .name = "fifo-unopened", .run = run_fifo_unopened,
	  .facts = "pid ino dev",
	  .keys = { K_STR("path", KF_NONEMPTY) } },
	{ .name = "pipe", .run = run_pipe,
	  .facts = "pid child_pid rfd wfd ino dev fill",
	  .keys = { K_FD("rfd", "3", P), K_FD("wfd", "4", C),
		    K_INT("fill", "0", 0, MAX_FILL) } },
	{ .name = "socketpair", .run = run_socketpair,
	  .facts = "pid child_pid type fd peerfd ino peer_ino fill",
	  .keys = { K_TYPE("stream", T_ALL), K_FD("fd", "3", P),
		    K_FD("peerfd", "4", C), K_INT("fill", "0", 0, MAX_FILL) } },
	{ .name = "listener", .run = run_listener,
	  .facts = "pid child_pid type lfd cfd afd listen_ino client_ino accepted_ino path_ino path_dev",
	  .keys = { K_STR("path", KF_NONEMPTY),
		    K_TYPE("stream", T_STREAM | T_SEQPACKET),
		    K_FD("lfd", "3", P), K_FD("cfd", "4", C),
		    K_FD("afd", "5", P) } },
	{ .name = "pending", .run = run_pending,
	  .facts = "pid child_pid type lfd cfd listen_ino client_ino",
	  .keys = { K_STR("path", KF_NONEMPTY),
		    K_TYPE("stream", T_STREAM | T_SEQPACKET),
		    K_FD("lfd", "3", P), K_FD("cfd", "4", C) } },
	{ .name = "abstract", .run = run_abstract,
	  .facts = "pid type fd name_len ino",
	  .keys = { K_STR("name", KF_NUL_OK), K_TYPE("stream", T_ALL),
		    K_FD("fd", "3", P) } },
	{ .name = "dgram", .run = run_dgram,
	  .facts = "pid child_pid fd cfd ino client_ino",
	  .keys = { K_STR("path", KF_NONEMPTY), K_FD("fd", "3", P),
		    K_FD("cfd", "4", C) } },
	{ .name = "unnamed", .run = run_unnamed,
	  .facts = "pid type fd ino",
	  .keys = { K_TYPE("stream", T_ALL), K_FD("fd", "3", P) } },
	{ .name = "shm-fd", .run = run_shm_fd,
	  .facts = "pid fd ino dev size",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 0),
		    K_FD("fd", "3", P) } },
	{ .name = "shm-mapped", .run = run_shm_mapped,
	  .facts = "pid ino dev size",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 1) } },
	{ .name = "shm-orphan", .run = run_shm_orphan,
	  .facts = "pid ino dev size",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 0) } },
	{ .name = "shm-deleted", .run = run_shm_deleted,
	  .facts = "pid ino dev size",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 1) } },
	{ .name = "stale-socket", .run = run_stale_socket,
	  .facts = "pid ino dev",
	  .keys = { K_STR("path", KF_NONEMPTY) } },
	{ .name = "shm-open", .run = run_shm_open,
	  .facts = "pid fd ino dev",
	  .keys = { K_STR("name", KF_POSIX), K_FD("fd", "3", P) } },
	{ .name = "shm-ro", .run = run_shm_ro,
	  .facts = "pid fd ino dev size",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 0),
		    K_FD("fd", "3", P) } },
	{ .name = "shm-shared", .run = run_shm_shared,
	  .facts = "pid child_pid fd ino dev size",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 1),
		    K_FD("fd", "3", P) } },
	{ .name = "memfd", .run = run_memfd,
	  .facts = "pid fd ino dev size map fill",
	  .keys = { K_STR("name", 0), SIZE_KEY("4096", 0),
		    K_FD("fd", "3", P), K_INT("map", "0", 0, 1),
		    K_INT("fill", "0", 0, MAX_SIZE), K_INT("huge", "0", 0, 1) } },
	{ .name = "memfd-mapped", .run = run_memfd_mapped,
	  .facts = "pid ino dev size",
	  .keys = { K_STR("name", 0), SIZE_KEY("4096", 1), K_INT("huge", "0", 0, 1) } },
	{ .name = "sem", .run = run_sem,
	  .facts = "pid ino dev",
	  .keys = { K_STR("name", KF_POSIX) } },
	{ .name = "sysvshm", .run = run_sysvshm,
	  .facts = "pid child_pids shmid key nattch size",
	  .keys = { SIZE_KEY("8192", 1),
		    K_INT("attach", "1", 1, MAX_ATTACH) } },
	{ .name = "sysvshm-orphan", .run = run_sysvshm_orphan,
	  .facts = "pid shmid key size",
	  .keys = { SIZE_KEY("8192", 1),
		    { .key = "key", .type = PT_INT, .def = "0",
		      .min = INT32_MIN, .max = UINT32_MAX, .base = 0 } } },
	{ .name = "sysvshm-removed", .run = run_sysvshm_removed,
	  .facts = "pid shmid size",
	  .keys = { SIZE_KEY("8192", 1) } },
	{ .name = "mqueue", .run = run_mqueue,
	  .facts = "pid fd ino dev",
	  .keys = { K_STR("name", KF_POSIX), K_FD("fd", "3", P) } },
	{ .name = "tcp", .run = run_tcp,
	  .facts = "pid child_pid family lfd cfd lport cport client_ino fill afd accepted_ino tid syscall syscall_nr wait_ino listen_ino",
	  .keys = { K_WORD("family", "v4"), K_INT("fill", "0", 0, 65536),
		    K_INT("pending", "0", 0, 1), K_WORD("wait", "none"),
		    K_FD("lfd", "3", P), K_FD("cfd", "4", C), K_FD("afd", "5", P) } },
	{ .name = "udp", .run = run_udp,
	  .facts = "pid child_pid family sfd cfd sport cport client_ino server_ino",
	  .keys = { K_WORD("family", "v4"), K_FD("sfd", "3", P), K_FD("cfd", "4", C) } },
	{ .name = "tcp-listen", .run = run_tcp_listen,
	  .facts = "pid lfd lport listen_ino",
	  .keys = { K_STR("addr", KF_NONEMPTY), K_INT("port", "0", 0, 65535),
		    K_FD("lfd", "3", P) } },
	{ .name = "tcp-connect", .run = run_tcp_connect,
	  .facts = "pid fd cport ino",
	  .keys = { K_STR("addr", KF_NONEMPTY), K_INT("port", NULL, 1, 65535),
		    K_FD("fd", "3", P) } },
	{ .name = "udp-bind", .run = run_udp_bind,
	  .facts = "pid fd port ino",
	  .keys = { K_STR("addr", KF_NONEMPTY), K_INT("port", "0", 0, 65535),
		    K_FD("fd", "3", P) } },
	{ .name = "udp-connect", .run = run_udp_connect,
	  .facts = "pid fd cport ino",
	  .keys = { K_STR("addr", KF_NONEMPTY), K_INT("port", NULL, 1, 65535),
		    K_FD("fd", "3", P) } },
	{ .name = "eventfd", .run = run_eventfd,
	  .facts = "pid child_pid fd count ino dev",
	  .keys = { K_FD("fd", "3", P), K_INT("count", "0", 0, 1000000),
		    K_INT("semaphore", "0", 0, 1) } },
	{ .name = "shm-in-flight", .run = run_shm_in_flight,
	  .facts = "pid ino dev",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 0) } },
	{ .name = "shm-uring", .run = run_shm_uring,
	  .facts = "pid ring_fd ino dev",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 0) } },
	{ .name = "fuse-hang", .run = run_fuse_hang,
	  .facts = "pid mntns child_pid",
	  .keys = { K_STR("path", KF_NONEMPTY), K_INT("opener", "0", 0, 1),
		    K_INT("newns", "1", 0, 1) } },
	{ .name = "fuse-flip", .run = run_fuse_flip,
	  .facts = "pid conn",
	  .keys = { K_STR("path", KF_NONEMPTY), K_INT("fd", "10", 3, 900),
		    K_INT("n", "16", 0, 64), K_INT("pipes", "0", 0, 1) } },
	{ .name = "listener-in-netns", .run = run_listener_in_netns,
	  .facts = "pid fd ino path_ino",
	  .keys = { K_STR("netns", KF_NONEMPTY), K_STR("path", KF_NONEMPTY) } },
	{ .name = "netns-many", .run = run_netns_many,
	  .facts = "pid listen_ino listen_netns made",
	  .keys = { K_STR("path", KF_NONEMPTY), K_INT("n", "4200", 1, 60000) } },
	{ .name = "netns-pass", .run = run_netns_pass,
	  .facts = "pid child_pid type fd peerfd lfd netns ino peer_ino listen_ino",
	  .keys = { K_STR("path", KF_NONEMPTY),
		    { .key = "netns", .type = PT_STR, .def = "" },
		    K_TYPE("stream", T_ALL), K_FD("fd", "3", P), K_FD("peerfd", "4", P),
		    K_FD("lfd", "5", P) } },
	{ .name = "netns-pass-tcp", .run = run_netns_pass_tcp,
	  .facts = "pid child_pid lfd fd peerfd netns listen_ino ino peer_ino",
	  .keys = { K_FD("lfd", "3", P), K_FD("fd", "4", P), K_FD("peerfd", "5", P) } },
	{ .name = "sock-shutdown", .run = run_sock_shutdown,
	  .facts = "pid fd peerfd how ino peer_ino",
	  .keys = { K_WORD("how", "wr"), K_FD("fd", "3", P), K_FD("peerfd", "4", P),
		    K_INT("nonblock", "0", 0, 1) } },
	{ .name = "watch-open", .run = run_watch_open,
	  .facts = "pid child_pid",
	  .keys = { K_STR("path", KF_NONEMPTY), K_STR("log", KF_NONEMPTY) } },
	{ .name = "anonshm", .run = run_anonshm,
	  .facts = "pid child_pid ino size",
	  .keys = { SIZE_KEY("65536", 1) } },
	{ .name = "comm", .run = run_comm,
	  .facts = "pid child_pid fd wfd ino comm_len comm_hex",
	  .keys = { K_STR("value", 0), K_FD("fd", "3", P),
		    K_FD("wfd", "4", C) } },
	{ .name = "many", .run = run_many,
	  .facts = "pid count",
	  .keys = { K_INT("count", NULL, 1, MAX_MANY) } },
	{ .name = "wait-pipe-read", .run = run_wait_pipe_read,
	  .facts = "pid child_pid child_tid rfd wfd ino syscall syscall_nr",
	  .keys = { K_FD("rfd", "3", C), K_FD("wfd", "4", P) } },
	{ .name = "wait-pipe-write", .run = run_wait_pipe_write,
	  .facts = "pid child_pid child_tid rfd wfd ino capacity queued reader_syscall syscall syscall_nr",
	  .keys = { K_FD("rfd", "3", P), K_FD("wfd", "4", C) } },
	{ .name = "wait-eventfd-read", .run = run_wait_eventfd_read,
	  .facts = "pid tid fd ino syscall syscall_nr",
	  .keys = { K_FD("fd", "3", P) } },
	{ .name = "wait-accept", .run = run_wait_accept,
	  .facts = "pid tid lfd listen_ino syscall syscall_nr",
	  .keys = { K_STR("path", KF_NONEMPTY), K_FD("lfd", "3", P) } },
	{ .name = "wait-fifo-open", .run = run_wait_fifo_open,
	  .facts = "pid child_pid child_tid ino dev mode syscall syscall_nr",
	  .keys = { K_STR("path", KF_NONEMPTY), K_WORD("mode", "r") } },
	{ .name = "wait-epoll", .run = run_wait_epoll,
	  .facts = "pid tid epfd rfd wfd sfd peerfd pipe_ino sock_ino syscall syscall_nr",
	  .keys = { K_FD("epfd", "3", P), K_FD("rfd", "4", P),
		    K_FD("wfd", "5", P), K_FD("sfd", "6", P),
		    K_FD("peerfd", "7", P) } },
	{ .name = "wait-poll", .run = run_wait_poll,
	  .facts = "pid tid call rfd wfd sfd peerfd pipe_ino sock_ino syscall syscall_nr",
	  .keys = { K_WORD("call", "poll"), K_FD("rfd", "3", P),
		    K_FD("wfd", "4", P), K_FD("sfd", "5", P),
		    K_FD("peerfd", "6", P) } },
	{ .name = "wait-mux-listen", .run = run_wait_mux_listen,
	  .facts = "pid epfd tid call syscall syscall_nr lfd listen_ino",
	  .keys = { K_WORD("call", "epoll"), K_STR("path", KF_NONEMPTY),
		    K_FD("lfd", "3", P), K_FD("epfd", "4", P) } },
	{ .name = "wait-mux-end", .run = run_wait_mux_end,
	  .facts = "pid epfd tid call syscall syscall_nr on fd peerfd ino peer_ino",
	  .keys = { K_WORD("call", "poll"), K_WORD("on", "hangup"),
		    K_FD("fd", "3", P), K_FD("peerfd", "4", P), K_FD("epfd", "5", P) } },
	{ .name = "wait-connect-full", .run = run_wait_connect_full,
	  .facts = "pid ino child_pid child_tid lfd cfd listen_ino syscall syscall_nr",
	  .keys = { K_STR("path", KF_NONEMPTY), K_INT("abstract", "0", 0, 1),
		    K_FD("lfd", "3", P), K_FD("cfd", "3", C) } },
	{ .name = "deadlock-pipes", .run = run_deadlock_pipes,
	  .facts = "pid child_pids child_tids rfd wfd pipe_inos syscall syscall_nr",
	  .keys = { K_INT("n", "2", 2, MAX_RING), K_FD("rfd", "3", C),
		    K_FD("wfd", "4", C) } },
	{ .name = "deadlock-socketpair", .run = run_deadlock_socketpair,
	  .facts = "pid child_pids child_tids fd peerfd ino peer_ino syscall syscall_nr",
	  .keys = { K_FD("fd", "3", C), K_FD("peerfd", "4", C) } },
	{ .name = "pipeline", .run = run_pipeline,
	  .facts = "pid stage_pids stage_tids rfd wfd bottleneck_pid pipe_inos syscalls syscall_nrs",
	  .keys = { K_INT("n", "3", 3, MAX_STAGES), K_FD("rfd", "3", C),
		    K_FD("wfd", "4", C) } },
	{ .name = "wait-mq-receive", .run = run_wait_mq_receive,
	  .facts = "pid child_pid child_tid fd ino dev maxmsg queued syscall syscall_nr",
	  .keys = { K_STR("name", KF_POSIX), K_FD("fd", "3", C) } },
	{ .name = "wait-mq-send", .run = run_wait_mq_send,
	  .facts = "pid child_pid child_tid fd ino dev maxmsg queued syscall syscall_nr",
	  .keys = { K_STR("name", KF_POSIX), K_FD("fd", "3", C) } },
	{ .name = "wait-sock-full", .run = run_wait_sock_full,
	  .facts = "pid child_pid child_tid fd peerfd ino peer_ino queued syscall syscall_nr",
	  .keys = { K_FD("fd", "3", C), K_FD("peerfd", "4", P) } },
	{ .name = "leader-exited", .run = run_leader_exited,
	  .facts = "pid child_pid child_tid fd fifofd lfd listen_ino netns ino fifo_ino",
	  .keys = { K_STR("name", KF_POSIX), K_STR("fifo", KF_NONEMPTY),
		    K_STR("sock", KF_NONEMPTY), SIZE_KEY("8192", 1),
		    K_FD("fd", "3", C), K_FD("fifofd", "4", C), K_FD("lfd", "5", C),
		    K_INT("map", "1", 0, 2) } },
	{ .name = "leader-exited-netns", .run = run_leader_exited_netns,
	  .facts = "pid child_pid child_tid fd fifofd lfd listen_ino netns ino fifo_ino",
	  .keys = { K_STR("name", KF_POSIX), K_STR("fifo", KF_NONEMPTY),
		    K_STR("sock", KF_NONEMPTY), SIZE_KEY("8192", 1),
		    K_FD("fd", "3", C), K_FD("fifofd", "4", C), K_FD("lfd", "5", C),
		    K_INT("map", "1", 0, 2) } },
	{ .name = "thread-files", .run = run_thread_files,
	  .facts = "pid child_pid child_tid sibling_pid fd wfd pipe_ino ino own_pipe_ino",
	  .keys = { K_STR("name", KF_POSIX), SIZE_KEY("8192", 0),
		    K_FD("fd", "3", C), K_FD("wfd", "4", C), K_INT("block", "0", 0, 1) } },
};

#undef P
#undef C

#define NFACTORIES (sizeof(factories) / sizeof(factories[0]))

static void usage(FILE *out)
{
	size_t i;
	int k;

	fprintf(out, "usage: mkipc FACTORY [key=value ...]\n\n"
		"String values accept \\n \\t \\r \\e \\\\ \\xHH escapes.\n"
		"Exit: 0 ok, 1 failure, 2 usage, 3 not supported here.\n\n"
		"factories:\n");
	for (i = 0; i < NFACTORIES; i++) {
		const struct factory *f = &factories[i];

		fprintf(out, "  %s", f->name);
		for (k = 0; k < MAX_KEYS && f->keys[k].key; k++) {
			const struct keyspec *s = &f->keys[k];

			if (s->def)
				fprintf(out, " [%s=%s]", s->key, s->def);
			else
				fprintf(out, " %s=%s", s->key,
					s->type == PT_STR ? "STR" : "N");
		}
		fprintf(out, "\n      prints: %s\n", f->facts);
	}
}

static const struct factory *parse_args(int argc, char **argv)
{
	const struct factory *f = NULL;
	size_t i;
	int a, k, j;

	for (i = 0; i < NFACTORIES; i++)
		if (strcmp(argv[1], factories[i].name) == 0)
			f = &factories[i];
	if (!f) {
		char *t = escape_bytes(argv[1], strlen(argv[1]));

		warnx("unknown factory '%s' (try --help)", t ? t : "?");
		free(t);
		return NULL;
	}
	g_nparams = 0;
	for (k = 0; k < MAX_KEYS && f->keys[k].key; k++) {
		struct param *p = &g_params[g_nparams++];

		memset(p, 0, sizeof(*p));
		p->spec = &f->keys[k];
		p->text = f->keys[k].def;
	}
	for (a = 2; a < argc; a++) {
		const char *eq = strchr(argv[a], '=');
		struct param *p = NULL;

		if (!eq || eq == argv[a]) {
			char *t = escape_bytes(argv[a], strlen(argv[a]));

			warnx("%s: expected key=value, got '%s'", f->name,
			      t ? t : "?");
			free(t);
			return NULL;
		}
		for (k = 0; k < g_nparams; k++) {
			const char *key = g_params[k].spec->key;

			if (strlen(key) == (size_t)(eq - argv[a]) &&
			    strncmp(key, argv[a], (size_t)(eq - argv[a])) == 0)
				p = &g_params[k];
		}
		if (!p) {
			char *t = escape_bytes(argv[a], (size_t)(eq - argv[a]));

			warnx("%s: unknown key '%s'", f->name, t ? t : "?");
			free(t);
			return NULL;
		}
		if (p->given) {
			warnx("%s: key '%s' given twice", f->name, p->spec->key);
			return NULL;
		}
		p->given = true;
		p->text = eq + 1;
	}
	for (k = 0; k < g_nparams; k++) {
		struct param *p = &g_params[k];

		if (!p->text) {
			warnx("%s: missing required key '%s='", f->name,
			      p->spec->key);
			return NULL;
		}
		if (convert_param(f->name, p) < 0)
			return NULL;
	}
	/* fds held by the same process must be distinct */
	for (k = 0; k < g_nparams; k++) {
		struct param *p = &g_params[k];

		if (p->spec->type != PT_FD)
			continue;
		if (p->num >= g_fdbase)
			g_fdbase = (int)p->num + 1;
		for (j = 0; j < k; j++) {
			struct param *q = &g_params[j];

			if (q->spec->type == PT_FD && q->spec->role == p->spec->role &&
			    q->num == p->num) {
				warnx("%s: %s= and %s= must differ", f->name,
				      q->spec->key, p->spec->key);
				return NULL;
			}
		}
	}
	return f;
}

/* ------------------------------------------------------------------ */
/* waiting                                                             */

static void wait_for_end(void)
{
	sigset_t empty;
	bool watch = stdin_watched();

	sigemptyset(&empty);

	while (!g_signal) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		char buf[4096];
		ssize_t r;
		int n;

		if (!watch) {
			sigsuspend(&empty);
			continue;
		}
		n = ppoll(&pfd, 1, NULL, &empty);
		if (n < 0) {
			if (errno != EINTR)
				watch = false;
			continue;
		}
		if (n == 0)
			continue;
		if (pfd.revents & POLLNVAL) {
			watch = false;
			continue;
		}
		r = read(STDIN_FILENO, buf, sizeof(buf));
		if (r == 0)
			return;		/* EOF */
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			watch = false;	/* e.g. EIO: background tty */
	}
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const struct factory *f;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	f = parse_args(argc, argv);
	if (!f) {
		free_params();
		return EXIT_USAGE;
	}

	/* deterministic fd table: nothing but 0,1,2 and our objects */
	close_fds_except(NULL, 0);
	setup_signals();

	fact("pid", "%d", (int)getpid());
	rc = f->run();
	if (rc == 0)
		rc = emit_ready();
	if (rc == 0)
		wait_for_end();
	cleanup();
	free_params();
	return rc;
}
