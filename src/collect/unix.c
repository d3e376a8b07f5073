/* UNIX domain sockets: sock_diag netlink for our own network namespace,
 * /proc/PID/net/unix for the others and as the fallback. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <linux/sockios.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL	/* Linux 6.9 */
#endif

#include "collect/bounded.h"
#include "collect/collect.h"
#include "collect/ns.h"
#include "collect/pathio.h"
#include "collect/proc.h"
#include "kinds/unix.h"

#define SO_ACCEPTCON_FLAG 0x10000	/* __SO_ACCEPTCON in net/unix Flags */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool hex_field(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int d;

	if (p >= end || hexval(*p) < 0)
		return false;
	for (; p < end && (d = hexval(*p)) >= 0; p++) {
		if (v >> 60)
			return false;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	*pp = p;
	return true;
}

static void skip_spaces(const char **pp, const char *end)
{
	while (*pp < end && **pp == ' ')
		(*pp)++;
}

static int procnet_line(const char *p, const char *end, struct unix_entry *e)
{
	uint64_t num, refcnt, proto, flags, type, st;

	memset(e, 0, sizeof(*e));
	if (!hex_field(&p, end, &num) || p >= end || *p++ != ':')
		return -1;
	skip_spaces(&p, end);
	if (!hex_field(&p, end, &refcnt))
		return -1;
	skip_spaces(&p, end);
	if (!hex_field(&p, end, &proto))
		return -1;
	skip_spaces(&p, end);
	if (!hex_field(&p, end, &flags))
		return -1;
	skip_spaces(&p, end);
	if (!hex_field(&p, end, &type) || type > 255)
		return -1;
	skip_spaces(&p, end);
	if (!hex_field(&p, end, &st))
		return -1;
	skip_spaces(&p, end);
	if (!scan_u64(&p, end, &e->ino))
		return -1;
	e->stype = (uint8_t)type;
	if (flags & SO_ACCEPTCON_FLAG)
		e->state = US_LISTEN;
	else if (st >= 1 && st <= 4)
		e->state = (uint8_t)(US_UNCONNECTED + (st - 1));
	else
		e->state = US_UNKNOWN;
	if (p < end && *p == ' ') {
		p++;
		e->name = p;
		e->namelen = (size_t)(end - p);
	} else if (p != end) {
		return -1;
	}
	return 0;
}

int unix_parse_procnet(const char *buf, size_t len, unix_entry_fn fn, void *arg)
{
	const char *p = buf, *end = buf + len;
	int n = 0;

	if (len < 4 || memcmp(buf, "Num ", 4) != 0)
		return -1;
	p = memchr(p, '\n', len);
	if (!p)
		return 0;
	for (p++; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct unix_entry e;

		if (!eol)
			eol = end;
		/* A newline inside a path splits its line; the tail fails to
		 * parse and is dropped, and sock_diag is what gets it right. */
		if (procnet_line(p, eol, &e) == 0) {
			fn(arg, &e);
			n++;
		}
		p = eol + 1;
	}
	return n;
}

static uint8_t diag_state(uint8_t st)
{
	switch (st) {
	case TCP_ESTABLISHED: return US_CONNECTED;
	case TCP_SYN_SENT: return US_CONNECTING;
	case TCP_CLOSE: return US_UNCONNECTED;
	case TCP_LISTEN: return US_LISTEN;
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING: return US_DISCONNECTING;
	}
	return US_UNKNOWN;
}

static uint32_t get_u32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int diag_msg(const struct nlmsghdr *h, struct unix_entry *e, struct buf *name)
{
	struct unix_diag_msg msg;
	const char *attrs, *aend;
	size_t len = h->nlmsg_len;

	if (len < NLMSG_LENGTH(sizeof(msg)))
		return -1;
	memcpy(&msg, NLMSG_DATA(h), sizeof(msg));
	memset(e, 0, sizeof(*e));
	e->ino = msg.udiag_ino;
	e->stype = msg.udiag_type;
	e->state = diag_state(msg.udiag_state);
	attrs = (const char *)h + NLMSG_LENGTH(NLMSG_ALIGN(sizeof(msg)));
	aend = (const char *)h + len;
	while (aend - attrs >= (ptrdiff_t)sizeof(struct rtattr)) {
		struct rtattr rta;
		const char *data;
		size_t dlen;

		memcpy(&rta, attrs, sizeof(rta));
		if (rta.rta_len < sizeof(rta) || rta.rta_len > (size_t)(aend - attrs))
			return -1;
		data = attrs + RTA_LENGTH(0);
		dlen = rta.rta_len - RTA_LENGTH(0);
		switch (rta.rta_type) {
		case UNIX_DIAG_NAME:
			/* abstract names start with NUL; show them as "@..." */
			buf_reset(name);
			if (dlen && data[0] == '\0') {
				buf_addc(name, '@');
				buf_add(name, data + 1, dlen - 1);
			} else {
				/* a path is NUL-terminated only if the binder said so */
				size_t n = strnlen(data, dlen);

				buf_add(name, data, n);
			}
			e->name = name->data;
			e->namelen = name->len;
			break;
		case UNIX_DIAG_PEER:
			/* 0: the peer is a connection still in a listener's
			 * backlog, which has no inode yet */
			if (dlen >= 4 && get_u32(data)) {
				e->has_peer = true;
				e->peer = get_u32(data);
			}
			break;
		case UNIX_DIAG_UID:
			if (dlen >= 4) {
				e->has_uid = true;
				e->uid = get_u32(data);
			}
			break;
		case UNIX_DIAG_RQLEN:
			if (dlen >= 8) {
				e->has_rq = true;
				e->rqueue = get_u32(data);
				e->wqueue = get_u32(data + 4);
			}
			break;
		case UNIX_DIAG_VFS:
			if (dlen >= 8) {
				uint32_t kdev = get_u32(data + 4);

				e->has_vfs = true;
				e->vfs_ino = get_u32(data);
				/* the kernel's own dev_t: 12 bits major, 20 minor */
				e->vfs_dev = makedev(kdev >> 20, kdev & 0xfffff);
			}
			break;
		case UNIX_DIAG_SHUTDOWN:
			/* the kernel's sk_shutdown: RCV_SHUTDOWN 1, SEND_SHUTDOWN 2 */
			if (dlen >= 1) {
				e->has_shutdown = true;
				e->shutdown = (uint8_t)(data[0] & (UNIX_SHUT_RD | UNIX_SHUT_WR));
			}
			break;
		case UNIX_DIAG_ICONS:
			/* the clients whose connections wait to be accepted */
			e->icons = data;
			e->nicons = dlen / 4;
			break;
		}
		attrs += RTA_ALIGN(rta.rta_len);
	}
	return 0;
}

int unix_parse_diag(const void *buf, size_t len, unix_entry_fn fn, void *arg,
		    bool *done)
{
	const char *p = buf, *end = p + len;
	struct buf name = { 0 };
	int n = 0;

	*done = false;
	while (end - p >= (ptrdiff_t)sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		struct unix_entry e;

		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)(end - p)) {
			n = -EBADMSG;
			break;
		}
		if (h.nlmsg_type == NLMSG_DONE) {
			*done = true;
			break;
		}
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr ne;

			n = -EBADMSG;
			if (h.nlmsg_len >= NLMSG_LENGTH(sizeof(ne))) {
				memcpy(&ne, p + NLMSG_HDRLEN, sizeof(ne));
				n = ne.error < 0 ? ne.error : -EBADMSG;
			}
			*done = true;
			break;
		}
		if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			/* a buffer from a fuzzer may be unaligned: a copy then */
			bool aligned = ((uintptr_t)p & (NLMSG_ALIGNTO - 1)) == 0;
			struct nlmsghdr *msg = aligned ? (struct nlmsghdr *)(uintptr_t)p :
							 xmalloc(h.nlmsg_len);

			if (!aligned)
				memcpy(msg, p, h.nlmsg_len);
			if (diag_msg(msg, &e, &name) == 0) {
				fn(arg, &e);
				n++;
			}
			if (!aligned)
				free(msg);
		}
		p += NLMSG_ALIGN(h.nlmsg_len);
	}
	buf_free(&name);
	return n;
}

/* Opens a sock_diag socket and asks for every UNIX socket of the current
 * network namespace; the socket fd, or -errno. */
static int diag_request(void)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} rq;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0)
		return -errno;
	memset(&rq, 0, sizeof(rq));
	rq.nlh.nlmsg_len = sizeof(rq);
	rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rq.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rq.nlh.nlmsg_seq = 1;
	rq.req.sdiag_family = AF_UNIX;
	rq.req.udiag_states = ~0u;
	rq.req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER |
			    UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID;
	if (sendto(fd, &rq, sizeof(rq), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Does this datagram end the dump (NLMSG_DONE or NLMSG_ERROR)? */
static bool diag_last(const char *p, size_t len)
{
	const char *end = p + len;

	while (end - p >= (ptrdiff_t)sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;

		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR)
			return true;
		if (h.nlmsg_len < sizeof(h))
			return true;
		p += NLMSG_ALIGN(h.nlmsg_len);
	}
	return false;
}

/* The whole dump's datagrams, one after the other, in all; 0 or -errno. */
static int diag_fetch(struct buf *all)
{
	size_t chunk = 64 * 1024;
	int fd = diag_request(), rc = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n;

		buf_reserve(all, chunk);
		n = recv(fd, all->data + all->len, chunk, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		all->len += (size_t)n;
		if (diag_last(all->data + all->len - n, (size_t)n))
			break;
	}
	close(fd);
	return rc;
}

/* Hands a fetched dump's sockets to fn and frees it: the number of
 * sockets, or the fetch's -errno. */
static int diag_apply(struct buf *all, int rc, unix_entry_fn fn, void *arg)
{
	bool done;

	if (rc == 0)
		rc = unix_parse_diag(all->data, all->len, fn, arg, &done);
	buf_free(all);
	return rc;
}

/* A dump read now, each datagram handed on as it comes: the dump of a
 * machine's 100k sockets, 6 MB, was the peak of ipcscope's memory when
 * kept whole. The number of sockets, or -errno (after the sockets before
 * a failure were handed on, as a bad message among them always did). */
#define DIAG_CHUNK (64 * 1024)

static int diag_dump(unix_entry_fn fn, void *arg)
{
	char *chunk;
	int fd = diag_request(), rc = 0, n = 0;
	bool done = false;

	if (fd < 0)
		return fd;
	chunk = xmalloc(DIAG_CHUNK);
	while (!done) {
		ssize_t got = recv(fd, chunk, DIAG_CHUNK, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = got < 0 ? -errno : 0;
			break;
		}
		rc = unix_parse_diag(chunk, (size_t)got, fn, arg, &done);
		if (rc < 0)
			break;
		n += rc;
	}
	free(chunk);
	close(fd);
	return rc < 0 ? rc : n;
}

/* The dump of our own namespace, read on a thread of its own while the
 * walk's batches are merged: the walk is over, so it answers for every
 * socket the walk found, as a dump made after the merge would. */
struct unix_prefetch {
	pthread_t tid;
	struct buf all;
	int rc;
};

static void *prefetch_main(void *arg)
{
	struct unix_prefetch *p = arg;

	p->rc = diag_fetch(&p->all);
	return NULL;
}

void unix_prefetch(struct scan_ctx *c)
{
	struct unix_prefetch *p;

	if (c->rooted || c->unix_pre || !(c->types & IPC_TYPE_BIT(IPC_UNIX)))
		return;
	p = xcalloc(1, sizeof(*p));
	if (pthread_create(&p->tid, NULL, prefetch_main, p) != 0) {
		free(p);
		return;
	}
	c->unix_pre = p;
}

/* Our namespace's dump: the one read ahead, else one read now. */
static int diag_dump_self(struct scan_ctx *c, unix_entry_fn fn, void *arg)
{
	struct unix_prefetch *p = c->unix_pre;
	int rc;

	if (!p)
		return diag_dump(fn, arg);
	pthread_join(p->tid, NULL);
	rc = diag_apply(&p->all, p->rc, fn, arg);
	free(p);
	c->unix_pre = NULL;
	return rc;
}

struct unix_sink {
	struct model *m;
	struct scan_ctx *c;
	uint64_t netns;
	bool procfs;
	/* a process of that namespace when it is not ours: the sockets'
	 * home, which names their container */
	struct ipc_proc *home;
};

static void unix_apply(void *arg, const struct unix_entry *e)
{
	struct unix_sink *s = arg;
	struct ipc_obj *o;

	if (!(s->c->types & IPC_TYPE_BIT(IPC_UNIX)))
		return;
	o = model_get(s->m, IPC_UNIX, s->c->devs.sockfs, e->ino, NULL);
	/* every socket is one; the walk may have told another kind */
	model_retype(o, IPC_UNIX);
	if (unix_st(o)->known)
		return;		/* the same namespace read twice */
	unix_st(o)->known = true;
	unix_st(o)->stype = e->stype;
	unix_st(o)->state = e->state;
	unix_st(o)->netns = s->netns;
	if (s->netns && s->netns != s->c->self_netns) {
		o->netns = s->netns;
		o->home = s->home;
	}
	unix_st(o)->from_procfs = s->procfs;
	unix_st(o)->from_fd = false;
	unix_st(o)->has_shutdown = e->has_shutdown;
	unix_st(o)->shutdown = e->shutdown;
	unix_st(o)->has_peer = e->has_peer;
	unix_st(o)->peer = e->peer;
	unix_st(o)->has_uid = e->has_uid;
	unix_st(o)->uid = e->uid;
	unix_st(o)->has_rq = e->has_rq;
	unix_st(o)->rqueue = e->rqueue;
	unix_st(o)->wqueue = e->wqueue;
	unix_st(o)->has_vfs = e->has_vfs;
	unix_st(o)->vfs_dev = e->vfs_dev;
	unix_st(o)->vfs_ino = e->vfs_ino;
	if (e->nicons) {
		unix_st(o)->pending = xreallocarray(NULL, e->nicons, sizeof(*unix_st(o)->pending));
		for (size_t i = 0; i < e->nicons; i++)
			unix_st(o)->pending[i] = get_u32((const char *)e->icons + 4 * i);
		unix_st(o)->npending = e->nicons;
	}
	if (e->namelen)
		model_set_path(o, e->name, e->namelen);
	if (e->has_uid && e->namelen && e->name[0] != '@') {
		o->has_owner = true;
		o->owner = e->uid;
	}
}

/* The net/unix text in c->file, of namespace netns. */
static int apply_procnet(struct model *m, struct scan_ctx *c, uint64_t netns,
			 struct ipc_proc *home)
{
	struct unix_sink s = { m, c, netns, true, home };
	int rc = unix_parse_procnet(c->file.data, c->file.len, unix_apply, &s);

	return rc < 0 ? -EBADMSG : rc;
}

static int read_procnet(struct model *m, struct scan_ctx *c, const char *path,
			uint64_t netns)
{
	int rc = pio_read(path, &c->file);

	return rc < 0 ? rc : apply_procnet(m, c, netns, NULL);
}

/* Another namespace's /proc/PID/net/unix, through the checked directory
 * of one of its processes (a live thread's when the leader exited). */
static int read_procnet_of(struct model *m, struct scan_ctx *c, struct ipc_proc *p)
{
	int dir = proc_open_view(p), rc;

	if (dir < 0)
		return dir;
	rc = pio_read_at(dir, "net/unix", &c->file);
	close(dir);
	return rc < 0 ? rc : apply_procnet(m, c, p->netns, p);
}

/* The other network namespaces met, each once: a hash set of their
 * inodes (never 0), as anyone can make tens of thousands of them
 * (unshare -Urn, one socket kept in each) and a sorted array re-sorted at
 * each one took seconds. With it, what the dumps of those namespaces may
 * cost a scan: UNIX_NETNS_MAX of them, UNIX_NETNS_MS in all. Past either,
 * a namespace is unread (stale-socket verdicts are uncertain) and its
 * held sockets are known from their fds only. */
#define UNIX_NETNS_MAX 4096
#define UNIX_NETNS_MS 3000

struct ns_set {
	uint64_t *v;
	size_t n, cap;		/* cap: 0 or a power of two */
	size_t dumps;		/* namespaces entered and dumped */
	size_t refused;		/* namespaces not dumped, past the budget */
	long long spent_ms;
};

static size_t ns_slot(const struct ns_set *s, uint64_t ns)
{
	size_t mask = s->cap - 1, i = (size_t)((ns * 0x9e3779b97f4a7c15ull) >> 17) & mask;

	while (s->v[i] && s->v[i] != ns)
		i = (i + 1) & mask;
	return i;
}

static bool ns_has(const struct ns_set *s, uint64_t ns)
{
	return s->cap && s->v[ns_slot(s, ns)] == ns;
}

static void ns_add(struct ns_set *s, uint64_t ns)
{
	if (!ns || ns_has(s, ns))
		return;
	if (2 * (s->n + 1) > s->cap) {
		struct ns_set big = { .cap = s->cap ? 2 * s->cap : 64 };

		big.v = xcalloc(big.cap, sizeof(*big.v));
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				big.v[ns_slot(&big, s->v[i])] = s->v[i];
		free(s->v);
		s->v = big.v;
		s->cap = big.cap;
	}
	s->v[ns_slot(s, ns)] = ns;
	s->n++;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* May one more namespace be entered and dumped? Counts it if not. */
static bool ns_budget(struct ns_set *s)
{
	if (s->dumps < UNIX_NETNS_MAX && s->spent_ms < UNIX_NETNS_MS)
		return true;
	s->refused++;
	return false;
}

/* ns/net of p, through its checked /proc directory. */
static int open_netns(const struct ipc_proc *p)
{
	int dir = proc_open_view(p), fd;

	if (dir < 0)
		return dir;
	fd = openat(dir, "ns/net", O_RDONLY | O_CLOEXEC);
	fd = fd < 0 ? -errno : fd;
	close(dir);
	return fd;
}

/* Runs the sock_diag dump inside the network namespace target names: the
 * netlink socket answers for the namespace it was created in. Needs
 * CAP_SYS_ADMIN. Returns the dump's result, or -errno if the namespace
 * could not be entered (-ESRCH: it is not netns any more; -EDQUOT: the
 * scan's budget for dumps is spent). *stuck is set if we could not get
 * back, which ends all tries. */
static int diag_dump_nsfd(int target, uint64_t netns, struct unix_sink *sink,
			  struct ns_set *budget, bool *stuck, struct buf *keep)
{
	struct buf all = { 0 };
	struct stat st;
	long long start;
	int self, rc;

	if (fstat(target, &st) < 0 || (uint64_t)st.st_ino != netns)
		return -ESRCH;
	if (!ns_budget(budget))
		return -EDQUOT;
	/* this thread's own: setns moves the calling thread only */
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	start = mono_ms();
	if (setns(target, CLONE_NEWNET) < 0) {
		rc = -errno;
		close(self);
		return rc;
	}
	budget->dumps++;
	rc = diag_fetch(&all);
	if (keep && rc == 0)
		buf_add(keep, all.data, all.len);
	rc = diag_apply(&all, rc, unix_apply, sink);
	if (setns(self, CLONE_NEWNET) < 0)
		*stuck = true;
	close(self);
	budget->spent_ms += mono_ms() - start;
	return rc;
}

/* The same through a process of that namespace; the pid may have been
 * reused since its namespace was noted. */
static int diag_dump_in(const struct ipc_proc *p, uint64_t netns, struct unix_sink *sink,
			struct ns_set *budget, bool *stuck)
{
	int target = open_netns(p), rc;

	if (target < 0)
		return target;
	rc = diag_dump_nsfd(target, netns, sink, budget, stuck, NULL);
	close(target);
	return rc;
}

/* Our own namespace: sock_diag, else /proc/net/unix. */
static void unix_collect_self(struct model *m, struct scan_ctx *c)
{
	struct unix_sink self = { m, c, c->self_netns, false, NULL };
	int rc = diag_dump_self(c, unix_apply, &self), rc2;

	m->diag_tried = true;
	m->diag_ok = rc >= 0;
	if (rc >= 0)
		return;
	rc2 = read_procnet(m, c, "/proc/net/unix", c->self_netns);
	if (rc2 < 0)
		model_warn(m, "cannot list UNIX sockets: sock_diag: %s, /proc/net/unix: %s",
			   strerror(-rc), strerror(-rc2));
	else
		model_warn(m, "sock_diag is unavailable (%s); UNIX sockets come from "
			   "/proc/net/unix, without peers or queues", strerror(-rc));
}

/* One other namespace, through one of its processes: sock_diag from inside
 * it when we may enter it, its /proc/PID/net/unix otherwise. 1 read with
 * sock_diag, 0 from net/unix, -1 not read (the process just exited: the
 * next one of the namespace is tried), -2 not read as the budget for
 * other namespaces is spent. */
static int unix_collect_other(struct model *m, struct scan_ctx *c, struct ipc_proc *p,
			      struct ns_set *seen, bool *stuck, bool *denied)
{
	struct unix_sink other = { m, c, p->netns, false, p };
	int rc = *stuck ? -EPERM : diag_dump_in(p, p->netns, &other, seen, stuck);

	if (*stuck)
		model_warn(m, "could not return to our own network namespace");
	if (rc >= 0)
		return 1;
	if (rc == -EDQUOT)
		return -2;
	*denied |= rc == -EPERM;
	return read_procnet_of(m, c, p) < 0 ? -1 : 0;
}

/* A network namespace that no process is in, kept by a bind mount of its
 * nsfs file (ip netns add): its listeners are live all the same. Our own
 * namespace's mounts are entered; one seen only in another mount
 * namespace's mountinfo is counted unread, which makes stale-socket
 * verdicts uncertain. */
struct netns_walk {
	struct model *m;
	struct scan_ctx *c;
	struct ns_set *seen;
	bool *stuck;
};

/* The namespace file mounted at point, opened only once a path fd says it
 * is that namespace on nsfs: the name may have been made anything since
 * mountinfo was read (a FIFO, whose open would wait for a writer). */
static int open_nsfs(const char *point, uint64_t ino)
{
	struct statfs sfs;
	struct stat st;
	int pfd, fd;

	pfd = open(point, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstatfs(pfd, &sfs) < 0 || (unsigned long)sfs.f_type != NSFS_MAGIC ||
	    fstat(pfd, &st) < 0 || (uint64_t)st.st_ino != ino) {
		close(pfd);
		return -ESTALE;
	}
	fd = reopen_fd(pfd, O_RDONLY | O_NONBLOCK);
	close(pfd);
	return fd;
}

static void netns_mount(void *arg, uint64_t ino, struct ipc_proc *home, const char *point)
{
	struct netns_walk *w = arg;
	struct unix_sink sink = { w->m, w->c, ino, false, NULL };
	int fd, rc = -EPERM;

	if (ino == w->c->self_netns || ns_has(w->seen, ino))
		return;
	ns_add(w->seen, ino);
	if (!home && !*w->stuck) {
		fd = open_nsfs(point, ino);
		rc = fd < 0 ? fd : diag_dump_nsfd(fd, ino, &sink, w->seen, w->stuck, NULL);
		if (fd >= 0)
			close(fd);
	}
	if (rc < 0)
		w->m->stats.netns_unread++;
	else
		w->m->stats.foreign_netns++;
}

static void collect_netns_mounts(struct model *m, struct scan_ctx *c, struct ns_set *seen,
				 bool *stuck)
{
	struct netns_walk w = { m, c, seen, stuck };

	ns_each_netns_mount(c, netns_mount, &w);
}

/* Sockets no table listed: made in a network namespace that no process
 * is in and no mount keeps (the namespace lives on through the socket),
 * then handed over by SCM_RIGHTS or kept across setns. Their holders' fds
 * name the namespace: SIOCGSKNS on a duplicate of one (pidfd_getfd, which
 * needs ptrace access to the holder; a socket file is never opened).
 *
 * All of it runs in a child that the scan waits for only so long
 * (bounded_fork): by the time it is duplicated, the holder may have put
 * another file at that fd, such as one of its own FUSE server's, whose
 * stat, getxattr and close (FLUSH, an uninterruptible wait) need never
 * end. The child sends back what it learnt, as records: each namespace
 * it dumped (the raw sock_diag answer), each socket it knows from an fd
 * only, then its counts. */
#define HELD_MS 4000

enum { HELD_DUMP = 1, HELD_SOCK, HELD_END, HELD_PID, HELD_FAMILY };

struct held_rec {
	uint32_t kind;
	uint32_t len;		/* HELD_DUMP: bytes of the dump that follow */
	uint64_t a;		/* DUMP: netns; SOCK, FAMILY: index in objs; END: dumps */
	uint64_t b;		/* SOCK: netns; FAMILY: its family; END: refused */
	int32_t err;		/* DUMP: the dump's result; END: ms spent */
	uint8_t stype, state;
	uint8_t pad[2];
	/* HELD_END: the child's counts */
	uint64_t foreign, unread, unresolved, unentered, unseen;
	int32_t unseen_err;
	uint32_t pad2;
};

struct held_walk {
	struct model *m;
	struct scan_ctx *c;
	struct ns_set *seen;
	bool *stuck;
	size_t unentered;	/* AF_UNIX, of a namespace not dumped */
	size_t unseen;		/* no holder's fd could be duplicated */
	int unseen_err;
	const struct ipc_proc *pidfd_proc;	/* whose pidfd is open */
	int pidfd, pidfd_err;
	int out;		/* the child's pipe to the scan */
};

static void held_send(int out, const struct held_rec *r, const void *data, size_t len)
{
	struct iovec iov[2] = { { (void *)(uintptr_t)r, sizeof(*r) },
				{ (void *)(uintptr_t)data, len } };
	size_t left = sizeof(*r) + len;

	while (left) {
		ssize_t n = writev(out, iov, data && iov[1].iov_len ? 2 : 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);	/* the scan gave up on us */
		left -= (size_t)n;
		for (int i = 0; i < 2 && n; i++) {
			size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			n -= (ssize_t)k;
		}
	}
}

/* A pidfd of p, kept for its next socket: a process holds many. */
static int held_pidfd(struct held_walk *w, const struct ipc_proc *p)
{
	if (w->pidfd_proc == p)
		return w->pidfd;
	if (w->pidfd >= 0)
		close(w->pidfd);
	w->pidfd_proc = p;
	if (!proc_pids_ours()) {
		/* this /proc's numbers are not our namespace's */
		w->pidfd = -1;
		w->pidfd_err = -ESRCH;
		return w->pidfd_err;
	}
	w->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	/* an exited leader: the thread the walk read its fds through */
	if (w->pidfd < 0 && p->via_tid)
		w->pidfd = (int)syscall(SYS_pidfd_open, p->via_tid, PIDFD_THREAD);
	w->pidfd_err = w->pidfd < 0 ? -errno : 0;
	return w->pidfd < 0 ? w->pidfd_err : w->pidfd;
}

/* A duplicate of h's fd, if it is still socket ino: the fd or -errno. */
static int held_dup(struct held_walk *w, const struct ipc_holder *h, uint64_t ino)
{
	const struct scan_ctx *c = w->c;
	struct stat st;
	int pidfd = held_pidfd(w, h->proc), fd;

	if (pidfd < 0)
		return pidfd;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, h->fd, 0);
	fd = fd < 0 ? -errno : fd;
	if (fd < 0)
		return fd;
	/* the pid may be another process's now, the fd another file */
	if (fstat(fd, &st) < 0 || st.st_ino != ino ||
	    (c->devs.have_sockfs && st.st_dev != c->devs.sockfs)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static int sock_opt(int fd, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 ? -1 : v;
}

/* The socket's namespace, dumped if no dump answered for it yet; its
 * inode, or 0 when SIOCGSKNS refused (CAP_NET_ADMIN over it). */
static uint64_t held_netns(struct held_walk *w, int fd)
{
	struct unix_sink sink = { w->m, w->c, 0, false, NULL };
	struct stat st;
	int nsfd = ioctl(fd, SIOCGSKNS), rc;

	if (nsfd < 0)
		return 0;
	if (fstat(nsfd, &st) < 0) {
		close(nsfd);
		return 0;
	}
	sink.netns = (uint64_t)st.st_ino;
	if (sink.netns != w->c->self_netns && !ns_has(w->seen, sink.netns)) {
		struct buf raw = { 0 };
		struct held_rec r = { .kind = HELD_DUMP, .a = sink.netns };

		ns_add(w->seen, sink.netns);
		rc = *w->stuck ? -EPERM :
		     diag_dump_nsfd(nsfd, sink.netns, &sink, w->seen, w->stuck, &raw);
		if (rc < 0)
			w->m->stats.netns_unread++;
		else
			w->m->stats.foreign_netns++;
		r.err = rc < 0 ? rc : 0;
		r.len = rc < 0 ? 0 : (uint32_t)raw.len;
		held_send(w->out, &r, raw.data, r.len);
		buf_free(&raw);
	}
	close(nsfd);
	return sink.netns;
}

/* What the fd itself tells of a UNIX socket that no dump described. */
static void held_from_fd(struct ipc_obj *o, int fd, uint64_t netns)
{
	int type = sock_opt(fd, SO_TYPE);

	unix_st(o)->known = true;
	unix_st(o)->from_fd = true;
	unix_st(o)->stype = type > 0 ? (uint8_t)type : 0;
	unix_st(o)->state = sock_opt(fd, SO_ACCEPTCONN) == 1 ? US_LISTEN : US_UNKNOWN;
	unix_st(o)->netns = netns;
	o->netns = netns;
}

/* The same without a duplicate: the protocol name the fd's link shows
 * ("UNIX", or "UNIX-STREAM" and the like since Linux 5.x), read without
 * opening it. */
static bool held_protoname(struct ipc_obj *o, const struct ipc_holder *h)
{
	char path[64], proto[32];
	ssize_t n;

	if (h->proc->via_tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/fd/%d", (int)h->proc->pid,
			 (int)h->proc->via_tid, h->fd);
	else
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)h->proc->pid, h->fd);
	n = getxattr(path, "system.sockprotoname", proto, sizeof(proto) - 1);
	if (n < 4 || memcmp(proto, "UNIX", 4) != 0 || (n > 4 && proto[4] != '-'))
		return false;
	proto[n] = '\0';
	unix_st(o)->known = true;
	unix_st(o)->from_fd = true;
	unix_st(o)->stype = !strcmp(proto, "UNIX-STREAM") ? SOCK_STREAM :
		      !strcmp(proto, "UNIX-DGRAM") ? SOCK_DGRAM :
		      !strcmp(proto, "UNIX-SEQPACKET") ? SOCK_SEQPACKET : 0;
	unix_st(o)->state = US_UNKNOWN;
	return true;
}

/* Tells the scan what the fd said of objs[i], if that is all known of it. */
static void held_send_sock(struct held_walk *w, size_t i, const struct ipc_obj *o)
{
	struct held_rec r = { .kind = HELD_SOCK, .a = i, .b = unix_st(o)->netns,
			      .stype = unix_st(o)->stype, .state = unix_st(o)->state };

	if (unix_st(o)->known && unix_st(o)->from_fd)
		held_send(w->out, &r, NULL, 0);
}

static void held_socket(struct held_walk *w, size_t i, struct ipc_obj *o)
{
	int fd = -ENOENT, family;
	size_t k;

	for (k = 0; k < o->nholders && fd < 0; k++)
		if (!o->holders[k].mapped && o->holders[k].fd >= 0)
			fd = held_dup(w, &o->holders[k], o->ino);
	if (fd < 0) {
		for (k = 0; k < o->nholders; k++)
			if (!o->holders[k].mapped && held_protoname(o, &o->holders[k]))
				break;
		if (unix_st(o)->known) {
			/* it may be bound to any socket file: stale verdicts wait */
			w->m->stats.unix_unresolved++;
			w->unseen++;
			w->unseen_err = -fd;
		}
		return;
	}
	family = sock_opt(fd, SO_DOMAIN);
	if (family == AF_INET || family == AF_INET6) {
		/* another family's, which its dump would have named */
		struct held_rec r = { .kind = HELD_FAMILY, .a = i, .b = (uint64_t)family };

		held_send(w->out, &r, NULL, 0);
	} else if (family == AF_UNIX) {
		uint64_t ns = held_netns(w, fd);

		/* the dump of its namespace described it, or could not (counted
		 * unread when named, unresolved when not) */
		if (!unix_st(o)->known) {
			held_from_fd(o, fd, ns);
			w->unentered++;
			if (!ns)
				w->m->stats.unix_unresolved++;
		}
	}
	close(fd);
}

/* A socket the held walk looks at: the bpf backend read the family, and
 * another one's is no concern. */
static bool held_wanted(const struct ipc_obj *o)
{
	return o->type == IPC_UNIX && !o->sockfile && !unix_st(o)->known && o->nholders &&
	       !(unix_st(o)->has_family && unix_st(o)->family != AF_UNIX);
}

/* The held walk's child that did not end in time, left waiting (pid), so
 * that later scans start no other while it waits. */
static pid_t held_hung;

/* Is that child still waiting (not ended, nor a zombie)? */
static bool held_alive(pid_t pid)
{
	char path[32], st[1024], *rp;
	struct buf b = { 0 };
	bool alive = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pio_read(path, &b) == 0 && b.len < sizeof(st)) {
		memcpy(st, b.data, b.len);
		st[b.len] = '\0';
		rp = strrchr(st, ')');
		/* ours still (a reaped child's pid may be another's now) */
		alive = rp && rp[1] == ' ' && rp[2] && rp[2] != 'Z' && rp[2] != 'X' &&
			strtol(rp + 3, NULL, 10) == (long)getpid();
	}
	buf_free(&b);
	return alive;
}

/* The child: the walk, on its own copy of the model, told as records. */
static int held_job_run(void *arg, int out)
{
	struct held_walk *w = arg;
	struct model_stats before = w->m->stats;
	struct held_rec end = { .kind = HELD_END };

	w->out = out;
	{
		struct held_rec me = { .kind = HELD_PID, .a = (uint64_t)getpid() };

		held_send(out, &me, NULL, 0);
	}
	for (size_t i = 0; i < w->m->nobjs; i++) {
		struct ipc_obj *o = w->m->objs[i];

		if (!held_wanted(o))
			continue;
		held_socket(w, i, o);
		held_send_sock(w, i, o);
	}
	end.a = w->seen->dumps;
	end.b = w->seen->refused;
	end.err = (int32_t)w->seen->spent_ms;
	end.foreign = w->m->stats.foreign_netns - before.foreign_netns;
	end.unread = w->m->stats.netns_unread - before.netns_unread;
	end.unresolved = w->m->stats.unix_unresolved - before.unix_unresolved;
	end.unentered = w->unentered;
	end.unseen = w->unseen;
	end.unseen_err = w->unseen_err;
	held_send(out, &end, NULL, 0);
	return 0;
}

/* The scan: the child's records applied to the model, in their order.
 * Returns the index of the last object the child told of, plus one, or
 * every object's count when it ended. */
static size_t held_apply(struct held_walk *w, const struct buf *got, bool *ended,
			 pid_t *child)
{
	const char *p = got->data, *end = p + got->len;
	size_t upto = 0;

	*ended = false;
	while ((size_t)(end - p) >= sizeof(struct held_rec)) {
		struct held_rec r;

		memcpy(&r, p, sizeof(r));
		if (r.len > (size_t)(end - p) - sizeof(r))
			break;
		p += sizeof(r);
		if (r.kind == HELD_DUMP) {
			struct unix_sink sink = { w->m, w->c, r.a, false, NULL };
			bool done;

			ns_add(w->seen, r.a);
			if (r.err == 0)
				unix_parse_diag(p, r.len, unix_apply, &sink, &done);
		} else if (r.kind == HELD_SOCK && r.a < w->m->nobjs) {
			struct ipc_obj *o = w->m->objs[r.a];

			upto = (size_t)r.a + 1;
			if (o->type == IPC_UNIX && !unix_st(o)->known) {
				unix_st(o)->known = true;
				unix_st(o)->from_fd = true;
				unix_st(o)->stype = r.stype;
				unix_st(o)->state = r.state;
				unix_st(o)->netns = r.b;
				o->netns = r.b;
			}
		} else if (r.kind == HELD_FAMILY && r.a < w->m->nobjs) {
			struct ipc_obj *o = w->m->objs[r.a];

			if (o->type == IPC_UNIX && !unix_st(o)->known) {
				unix_st(o)->has_family = true;
				unix_st(o)->family = (uint16_t)r.b;
			}
		} else if (r.kind == HELD_PID) {
			*child = (pid_t)r.a;
		} else if (r.kind == HELD_END) {
			w->seen->dumps = r.a;
			w->seen->refused = r.b;
			w->seen->spent_ms = r.err;
			w->m->stats.foreign_netns += r.foreign;
			w->m->stats.netns_unread += r.unread;
			w->m->stats.unix_unresolved += r.unresolved;
			w->unentered = r.unentered;
			w->unseen = r.unseen;
			w->unseen_err = r.unseen_err;
			*ended = true;
			upto = w->m->nobjs;
		}
		p += r.len;
	}
	return upto;
}

/* TCP and UDP sockets that the dump of their holders' namespaces did not
 * name live in a namespace none of their holders is in (passed by
 * SCM_RIGHTS, or kept across unshare): said, as their other ends are not
 * known. */
static void held_other_families(struct model *m, const struct scan_ctx *c)
{
	size_t n = 0;

	if (!c->families_dumped)
		return;
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];
		const struct ipc_unix *u = unix_of(o);

		n += u && !o->sockfile && !u->known && o->nholders && u->has_family &&
		     (u->family == AF_INET || u->family == AF_INET6);
	}
	if (n)
		model_warn(m, "%zu TCP or UDP socket%s live%s in a network namespace none of "
			   "%s holders is in, which was not read: whether %s other end is "
			   "local is not known, and %s not shown", n, n == 1 ? "" : "s",
			   n == 1 ? "s" : "", n == 1 ? "its" : "their", n == 1 ? "its" : "their",
			   n == 1 ? "it is" : "they are");
}

static void collect_held(struct model *m, struct scan_ctx *c, struct ns_set *seen,
			 bool *stuck)
{
	struct held_walk w = { m, c, seen, stuck, 0, 0, 0, NULL, -1, 0, -1 };
	struct buf got = { 0 };
	size_t nwanted = 0, left = 0, upto = 0;
	bool ended = false;
	pid_t child = 0;
	int rc = -EBUSY;

	for (size_t i = 0; i < m->nobjs; i++)
		nwanted += held_wanted(m->objs[i]);
	if (!nwanted)
		return;
	/* a child of an earlier scan (watch, metrics) still waits on a file
	 * that never answers: another would only wait beside it, and every
	 * scan would leave one more */
	if (held_hung && held_alive(held_hung))
		goto unknown;
	held_hung = 0;
	rc = bounded_fork(held_job_run, &w, HELD_MS, &got);
	upto = held_apply(&w, &got, &ended, &child);
	buf_free(&got);
	if (!ended && rc == -ETIMEDOUT)
		held_hung = child;
unknown:
	if (!ended) {
		/* what the child did not tell of is unknown, and may be bound
		 * to any socket file: stale verdicts wait */
		for (size_t i = upto; i < m->nobjs; i++)
			left += held_wanted(m->objs[i]);
		m->stats.unix_unresolved += left ? left : 1;
		m->stats.netns_unread++;
		model_warn(m, "the look at held UNIX sockets' fds stopped (%s) with %zu of %zu "
			   "not looked at: a holder's fd may be another user's file that never "
			   "answers; their namespace, name, state and peer are unknown",
			   rc == -ETIMEDOUT ? "it did not end in time" :
			   rc == -EBUSY ? "an earlier one still waits" : strerror(rc < 0 ? -rc : EIO),
			   left, nwanted);
	}
	if (w.unentered)
		model_warn(m, "%zu UNIX socket%s of network namespaces that could not be dumped "
			   "(%s): only type, listening and holders are known, not name, peer "
			   "or queues", w.unentered, w.unentered == 1 ? "" : "s",
			   seen->refused ? "past the scan's budget for namespaces" :
			   "entering them needs root");
	if (w.unseen)
		model_warn(m, "%zu UNIX socket%s of network namespaces no table listed, whose "
			   "holders' fds could not be duplicated (%s; pidfd_getfd needs ptrace "
			   "access): their namespace, name, state and peer are unknown",
			   w.unseen, w.unseen == 1 ? "" : "s", strerror(w.unseen_err));
}

int unix_collect(struct model *m, struct scan_ctx *c)
{
	struct ns_set seen = { 0 };
	bool stuck = false, denied = false;
	size_t nprocfs = 0;
	int rc;

	if (c->rooted) {
		rc = read_procnet(m, c, "/proc/net/unix", c->self_netns);
		if (rc < 0)
			model_warn(m, "cannot read /proc/net/unix: %s", strerror(-rc));
		return 0;
	}
	unix_collect_self(m, c);
	for (size_t i = 0; i < m->nprocs; i++) {
		struct ipc_proc *p = m->procs[i];

		if (!p->netns || p->netns == c->self_netns || ns_has(&seen, p->netns))
			continue;
		rc = unix_collect_other(m, c, p, &seen, &stuck, &denied);
		if (rc == -2) {
			ns_add(&seen, p->netns);
			m->stats.netns_unread++;
		}
		if (rc < 0)
			continue;
		nprocfs += rc == 0;
		ns_add(&seen, p->netns);
		m->stats.foreign_netns++;
	}
	collect_netns_mounts(m, c, &seen, &stuck);
	collect_held(m, c, &seen, &stuck);
	held_other_families(m, c);
	/* a namespace whose processes all vanished or refused is unread, and
	 * one read from net/unix knows bound files only by path */
	for (size_t i = 0; i < m->nprocs; i++) {
		uint64_t ns = m->procs[i]->netns;

		if (ns && ns != c->self_netns && !ns_has(&seen, ns)) {
			ns_add(&seen, ns);
			m->stats.netns_unread++;
		}
	}
	m->stats.netns_unread += nprocfs;
	if (seen.refused)
		model_warn(m, "%zu other network namespace%s not dumped: a scan enters at most "
			   "%d, for %d ms in all (%zu entered, %lld ms); their UNIX sockets are "
			   "known from their holders' fds only", seen.refused,
			   seen.refused == 1 ? " was" : "s were", UNIX_NETNS_MAX, UNIX_NETNS_MS,
			   seen.dumps, seen.spent_ms);
	if (nprocfs)
		model_warn(m, "%zu other network namespace%s read from /proc/PID/net/unix, "
			   "without peers or queues%s", nprocfs, nprocfs == 1 ? "" : "s",
			   denied ? " (entering a namespace needs root)" : "");
	free(seen.v);
	return 0;
}
