/* What a scan could not see. A leak verdict leads to removal, so it may
 * only rest on a complete view: every process read, in the host's pid
 * namespace, and every network namespace's sockets known. This file finds
 * the gaps and words them; leaks.c marks the verdicts they touch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "collect/collect.h"
#include "collect/pathio.h"
#include "collect/proc.h"
#include "testhooks.h"

/* The fixed inode numbers of the initial namespaces (linux/proc_ns.h). */
#define INIT_USER_NS_INO 0xEFFFFFFDu
#define INIT_PID_NS_INO 0xEFFFFFFCu

#define CAP_SYS_PTRACE_BIT 19

static uint64_t ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Whether our effective capabilities include cap (CapEff in status). */
static bool have_cap(struct buf *b, int cap)
{
	const char *l;
	unsigned long long eff;

	if (pio_read("/proc/self/status", b) < 0 || !(l = strstr(b->data, "\nCapEff:")))
		return false;
	if (sscanf(l + 8, "%llx", &eff) != 1)
		return false;
	return (eff >> cap) & 1;
}

const char *view_denied_advice(void)
{
	struct buf b = { 0 };
	bool ptrace;

	if (geteuid() != 0)
		return "run as root to see them";
	if (ns_ino("/proc/self/ns/user") != INIT_USER_NS_INO)
		return "ipcscope runs as root of a user namespace that is not the host's, "
		       "which may not read the host's processes";
	ptrace = have_cap(&b, CAP_SYS_PTRACE_BIT);
	buf_free(&b);
	if (!ptrace)
		return "ipcscope runs as root without CAP_SYS_PTRACE, which reading another "
		       "process's fds needs";
	return "a security module (AppArmor, SELinux, Yama) or a seccomp filter "
	       "denied access although ipcscope runs as root";
}

/* The value of key=VALUE in a comma list of mount options, or NULL. */
static const char *mount_opt(const char *opts, size_t len, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);

	for (const char *p = opts, *end = opts + len; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		if ((size_t)(stop - p) > klen && memcmp(p, key, klen) == 0) {
			*vlen = (size_t)(stop - p) - klen;
			return p + klen;
		}
		p = stop + 1;
	}
	return NULL;
}

/* The super options of the last proc mount on /proc in mountinfo text:
 * the one the scan reads. 0, or -1 when there is none. */
int view_proc_options(const char *buf, size_t len, const char **opts, size_t *optlen)
{
	int found = -1;

	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *sep, *mp, *mpend, *t;

		if (!eol)
			eol = end;
		/* field 5 is the mount point; after " - " come type, source, options */
		mp = p;
		for (int i = 0; i < 4 && mp; i++) {
			mp = memchr(mp, ' ', (size_t)(eol - mp));
			mp = mp ? mp + 1 : NULL;
		}
		mpend = mp ? memchr(mp, ' ', (size_t)(eol - mp)) : NULL;
		sep = mpend ? memmem(mpend, (size_t)(eol - mpend), " - proc ", 8) : NULL;
		if (sep && mpend - mp == 5 && memcmp(mp, "/proc", 5) == 0 &&
		    (t = memchr(sep + 8, ' ', (size_t)(eol - sep - 8)))) {
			*opts = t + 1;
			*optlen = (size_t)(eol - t - 1);
			found = 0;
		}
		p = eol + 1;
	}
	return found;
}

static bool in_groups(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups((int)ARRAY_SIZE(groups), groups);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* hidepid=invisible (2) and ptraceable (4) leave out of the listing the
 * processes we may not ptrace; noaccess (1) lists them unreadable, which
 * the walk counts as denied. */
static void probe_hidepid(struct model *m, struct buf *b)
{
	const char *opts, *v;
	size_t n, vn;
	uint64_t gid;
	char tmp[24];

	if (pio_read("/proc/self/mountinfo", b) < 0 ||
	    view_proc_options(b->data, b->len, &opts, &n) < 0)
		return;
	if (mount_opt(opts, n, "subset=", &vn))
		model_warn(m, "/proc is mounted with subset=pid: SysV segments and other "
			   "network namespaces' sockets are not visible");
	v = mount_opt(opts, n, "hidepid=", &vn);
	if (!v || !((vn == 1 && (*v == '2' || *v == '4')) ||
		    (vn == 9 && memcmp(v, "invisible", 9) == 0) ||
		    (vn == 10 && memcmp(v, "ptraceable", 10) == 0)))
		return;
	v = mount_opt(opts, n, "gid=", &vn);
	if (v && vn < sizeof(tmp)) {
		memcpy(tmp, v, vn);
		tmp[vn] = '\0';
		if (parse_u64(tmp, &gid) && in_groups((gid_t)gid))
			return;
	}
	if (have_cap(b, CAP_SYS_PTRACE_BIT))
		return;
	m->stats.hidden = true;
	model_warn(m, "/proc is mounted with hidepid: the processes of other users are "
		   "hidden from ipcscope, so what they hold is not seen and not counted");
}

/* A /proc of a pid namespace below the host's lists only its processes. */
static void probe_pidns(struct model *m)
{
	uint64_t self = ns_ino("/proc/self/ns/pid"), init = ns_ino("/proc/1/ns/pid");

	if (!proc_pids_ours())
		model_warn(m, "ipcscope runs in a pid namespace below the one its /proc shows "
			   "(unshare --pid without --mount-proc): what needs a process's "
			   "own number is not read (pipe fill levels, waits, the namespaces "
			   "of held sockets)");
	/* /proc's own pid 1 says whose processes it lists: the host's, even
	 * when ipcscope itself runs below (unshare --pid without
	 * --mount-proc) */
	if (init ? init == INIT_PID_NS_INO : self == INIT_PID_NS_INO)
		return;
	m->stats.foreign_pidns = true;
	model_warn(m, "ipcscope runs in a pid namespace that is not the host's: the "
		   "processes outside it are not seen");
}

void view_probe(struct model *m, struct scan_ctx *c)
{
	if (c->rooted)
		return;
	probe_pidns(m);
	probe_hidepid(m, &c->file);
}

static void add_sep(struct buf *b)
{
	if (b->len)
		buf_adds(b, "; ");
}

/* fmt has %zu then %s for the plural ending */
static void add_count(struct buf *b, const char *fmt, size_t n)
{
	add_sep(b);
	buf_printf(b, fmt, n, n == 1 ? "" : "s");
}

static void add_text(struct buf *b, const char *s)
{
	add_sep(b);
	buf_adds(b, s);
}

/* A test hook (testhooks.h) for machines where a process is unreadable
 * even to root (a VM's init, say), so that the suite can exercise removal
 * at all: only for processes that really could not be read, and always
 * said aloud. The shipped binary has no such hook. */
static size_t test_unread_ok(struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ipc_proc *p = m->procs[i];

		if (!p->denied || !testhook_unread_holds_nothing(p->pid))
			continue;
		model_warn(m, "test hook: pid %d, which could not be read, is taken to hold "
			   "nothing", (int)p->pid);
		n++;
	}
	return n;
}

/* A thread asleep in open() of a FIFO holds it before any fd shows it:
 * FIFO verdicts need every sleeping thread read, and every such open's
 * FIFO told. */
void view_openers(struct model *m)
{
	size_t unsure = 0, unread = 0;
	struct buf b = { 0 };

	if (!m->waits_asked)
		return;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct ipc_proc *p = m->procs[i];

		unsure += p->nopen_unsure;
		/* the suite's declared unreadable processes (test binary only):
		 * the bpf backend reads their fds, never their threads' calls */
		if (!testhook_unread_holds_nothing(p->pid))
			unread += p->nunread;
	}
	if (unread)
		add_count(&b, "what %zu sleeping thread%s wait in could not be read", unread);
	if (unsure)
		add_count(&b, "the FIFO that %zu thread%s asleep in open() wait for could not be "
			  "told for sure", unsure);
	m->view.openers = b.len ? xstrdup(b.data) : NULL;
	buf_free(&b);
}

/* Words the gaps into model.view: procs for every verdict, sockets (which
 * includes procs) for stale socket files. */
void view_finish(struct model *m, bool sockets)
{
	const struct model_stats *st = &m->stats;
	size_t denied = st->denied - test_unread_ok(m);
	struct buf b = { 0 };

	if (denied) {
		add_sep(&b);
		buf_printf(&b, "%zu process%s could not be read", denied, denied == 1 ? "" : "es");
	}
	if (st->hidden)
		add_text(&b, "/proc hides other users' processes (hidepid)");
	if (st->foreign_pidns)
		add_text(&b, "processes outside this pid namespace are not seen");
	m->view.procs = b.len ? xstrdup(b.data) : NULL;
	if (sockets) {
		if (!m->diag_ok)
			add_text(&b, "sock_diag is unavailable");
		if (st->netns_unread)
			add_count(&b, "%zu network namespace%s could not be read by sock_diag",
				  st->netns_unread);
		if (st->unix_unresolved)
			add_count(&b, "%zu UNIX socket%s held by processes belong to no network "
				  "namespace that was read", st->unix_unresolved);
	}
	m->view.sockets = b.len ? xstrdup(b.data) : NULL;
	buf_free(&b);
}
