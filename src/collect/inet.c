/* Local TCP and UDP sockets. The walk takes every socket as a UNIX one
 * (a sockfs inode says no more); the inet sock_diag dump of each network
 * namespace their holders are in names the TCP and UDP ones, which are
 * re-typed IPC_INET here, before unix.c looks at the rest. A socket is
 * kept only when its other end is in the same dump: a connection between
 * two sockets of this host and namespace, a listener bound to loopback or
 * with a local client, a bound UDP socket on loopback or with a local
 * sender. The rest talk to other hosts and are no IPC: dropped. */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collect/collect.h"
#include "collect/inet.h"
#include "collect/proc.h"
#include "kinds/unix.h"

/* What the dumps of other namespaces may cost a scan: less than unix.c,
 * as any user can make thousands holding only UNIX sockets, which the
 * proc backend cannot tell from TCP ones without a dump. */
#define INET_NETNS_MAX 1024
#define INET_NETNS_MS 1000

/* One socket of a dump. */
struct inet_ent {
	uint64_t ino;		/* 0: no file (in a backlog, orphaned, TIME-WAIT) */
	uint8_t family, proto, state;
	bool v6only;		/* a v6 socket that takes no v4 address */
	struct inet_end local, remote;
	uint32_t rqueue, wqueue;
	uid_t uid;
};

struct inet_dump {
	struct inet_ent *v;
	size_t n, cap;
	int err;		/* the first dump's error, 0 if all answered */
};

/* An IPv4 address in its v4-mapped form; the wildcard stays all zero,
 * as IPv6's, since either takes a connection to any local address. */
static void map_addr(uint8_t out[16], uint8_t family, const __be32 src[4])
{
	memset(out, 0, 16);
	if (family == AF_INET6) {
		memcpy(out, src, 16);
		return;
	}
	if (src[0] == 0)
		return;
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &src[0], 4);
}

static void dump_add(struct inet_dump *d, uint8_t proto, const struct inet_diag_msg *msg,
		     bool v6only)
{
	struct inet_ent *e;

	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 256;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	e = &d->v[d->n++];
	memset(e, 0, sizeof(*e));
	e->ino = msg->idiag_inode;
	e->family = msg->idiag_family;
	e->proto = proto;
	e->state = msg->idiag_state;
	map_addr(e->local.addr, e->family, msg->id.idiag_src);
	map_addr(e->remote.addr, e->family, msg->id.idiag_dst);
	e->local.port = ntohs(msg->id.idiag_sport);
	e->remote.port = ntohs(msg->id.idiag_dport);
	e->rqueue = msg->idiag_rqueue;
	e->wqueue = msg->idiag_wqueue;
	e->uid = msg->idiag_uid;
	e->v6only = v6only;
}

/* INET_DIAG_SKV6ONLY among a message's attributes: every v6 socket's
 * carries it. */
static bool attr_v6only(const char *p, size_t len)
{
	while (len >= sizeof(struct rtattr)) {
		struct rtattr a;

		memcpy(&a, p, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > len)
			break;
		if (a.rta_type == INET_DIAG_SKV6ONLY && a.rta_len > RTA_LENGTH(0))
			return p[RTA_LENGTH(0)] != 0;
		if (RTA_ALIGN(a.rta_len) >= len)
			break;
		p += RTA_ALIGN(a.rta_len);
		len -= RTA_ALIGN(a.rta_len);
	}
	return false;
}

/* The datagrams of one answer: false once it ended (done or error). */
static bool dump_parse(struct inet_dump *d, uint8_t proto, const char *p, size_t len)
{
	const char *end = p + len;

	while (end - p >= (ptrdiff_t)sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		struct inet_diag_msg msg;

		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)(end - p))
			return false;
		if (h.nlmsg_type == NLMSG_DONE)
			return false;
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr err = { .error = -EIO };

			if (h.nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
				memcpy(&err, p + NLMSG_HDRLEN, sizeof(err));
			if (!d->err)
				d->err = err.error ? -err.error : EIO;
			return false;
		}
		if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY && h.nlmsg_len >= NLMSG_LENGTH(sizeof(msg))) {
			size_t at = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(msg));

			memcpy(&msg, p + NLMSG_HDRLEN, sizeof(msg));
			dump_add(d, proto, &msg,
				 h.nlmsg_len > at && attr_v6only(p + at, h.nlmsg_len - at));
		}
		p += NLMSG_ALIGN(h.nlmsg_len);
	}
	return true;
}

/* Every socket of one family and protocol, in every state, of the
 * namespace the calling thread is in. */
static void dump_one(struct inet_dump *d, uint8_t family, uint8_t proto, char *buf, size_t cap)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} rq;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0) {
		d->err = d->err ? d->err : errno;
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.nlh.nlmsg_len = sizeof(rq);
	rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rq.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rq.nlh.nlmsg_seq = 1;
	rq.req.sdiag_family = family;
	rq.req.sdiag_protocol = proto;
	rq.req.idiag_states = ~0u;
	if (sendto(fd, &rq, sizeof(rq), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		d->err = d->err ? d->err : errno;
		close(fd);
		return;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && !d->err)
				d->err = errno;
			break;
		}
		if (!dump_parse(d, proto, buf, (size_t)n))
			break;
	}
	close(fd);
}

/* TCP and UDP, IPv4 and IPv6, of the calling thread's namespace. */
static void dump_all(struct inet_dump *d)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	size_t cap = 64 * 1024;
	char *buf = xmalloc(cap);

	for (size_t f = 0; f < 2; f++)
		for (size_t p = 0; p < 2; p++)
			dump_one(d, fams[f], protos[p], buf, cap);
	free(buf);
}

/* Another namespace's dump, on a thread of its own that enters it and
 * then ends: setns moves only the calling thread, and this one need
 * never come back. */
struct ns_job {
	int nsfd;
	int err;
	struct inet_dump *d;
};

static void *ns_main(void *arg)
{
	struct ns_job *j = arg;

	if (setns(j->nsfd, CLONE_NEWNET) < 0)
		j->err = errno;
	else
		dump_all(j->d);
	return NULL;
}

/* ns/net of p, checked to be netns still (the pid may have been reused). */
static int open_netns(const struct ipc_proc *p, uint64_t netns)
{
	int dir = proc_open_view(p), fd;
	struct stat st;

	if (dir < 0)
		return dir;
	fd = openat(dir, "ns/net", O_RDONLY | O_CLOEXEC);
	fd = fd < 0 ? -errno : fd;
	close(dir);
	if (fd >= 0 && (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != netns)) {
		close(fd);
		fd = -ESRCH;
	}
	return fd;
}

static int dump_in(const struct ipc_proc *p, uint64_t netns, struct inet_dump *d)
{
	struct ns_job j = { .d = d };
	pthread_t tid;
	int e;

	j.nsfd = open_netns(p, netns);
	if (j.nsfd < 0)
		return j.nsfd;
	e = pthread_create(&tid, NULL, ns_main, &j);
	if (e == 0)
		pthread_join(tid, NULL);
	close(j.nsfd);
	return e ? -e : -j.err;
}

/* ---- which sockets of a dump talk to each other ---- */

static int end_cmp(const struct inet_end *a, const struct inet_end *b)
{
	int c = memcmp(a->addr, b->addr, 16);

	return c ? c : (a->port > b->port) - (a->port < b->port);
}

/* The dump's order: protocol, local end, remote end. */
static int ent_cmp(const void *pa, const void *pb)
{
	const struct inet_ent *a = pa, *b = pb;
	int c = (a->proto > b->proto) - (a->proto < b->proto);

	if (!c)
		c = end_cmp(&a->local, &b->local);
	return c ? c : end_cmp(&a->remote, &b->remote);
}

/* The entry with these ends, preferring one with a file: NULL if none. */
static const struct inet_ent *find(const struct inet_dump *d, uint8_t proto,
				   const struct inet_end *local, const struct inet_end *remote)
{
	struct inet_ent key = { .proto = proto, .local = *local, .remote = *remote };
	const struct inet_ent *e = bsearch(&key, d->v, d->n, sizeof(*d->v), ent_cmp);

	if (!e)
		return NULL;
	/* the same ends twice: a TIME-WAIT beside a live one, say */
	while (e > d->v && ent_cmp(e - 1, &key) == 0)
		e--;
	for (const struct inet_ent *f = e; f < d->v + d->n && ent_cmp(f, &key) == 0; f++)
		if (f->ino)
			return f;
	return e;
}

static bool is_listening(const struct inet_ent *e)
{
	if (e->proto == IPPROTO_TCP)
		return e->state == TCP_LISTEN;
	return e->state == TCP_CLOSE && e->local.port != 0;
}

static bool is_v4mapped(const uint8_t a[16])
{
	static const uint8_t v4map[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, v4map, 12) == 0;
}

/* How well a listener of this family fits what is sent to an address: 0
 * not at all, as a v4 socket takes no v6 address (and the wildcards of
 * both families map to the same all-zero address, so the family is what
 * tells a user's 0.0.0.0:P from root's v6-only [::]:P); a v4 address
 * goes to a v4 socket before a v6 one, as the kernel scores them; one
 * with a file before one without. */
static int listener_rank(const struct inet_ent *l, const uint8_t to[16])
{
	bool v4 = is_v4mapped(to);

	if (!is_listening(l) || (l->family == AF_INET && !v4) || (l->v6only && v4))
		return 0;
	return 1 + 2 * (v4 && l->family == AF_INET) + !!l->ino;
}

/* The best fitting listener bound to bound, for what is sent to to. */
static const struct inet_ent *listener_at(const struct inet_dump *d, uint8_t proto,
					  const struct inet_end *bound, const uint8_t to[16])
{
	struct inet_ent key = { .proto = proto, .local = *bound };
	const struct inet_ent *e = bsearch(&key, d->v, d->n, sizeof(*d->v), ent_cmp), *best = NULL;

	if (!e)
		return NULL;
	while (e > d->v && ent_cmp(e - 1, &key) == 0)
		e--;
	for (; e < d->v + d->n && ent_cmp(e, &key) == 0; e++)
		if (listener_rank(e, to) > (best ? listener_rank(best, to) : 0))
			best = e;
	return best;
}

/* What listens at an address: bound to it, else to the wildcard. */
static const struct inet_ent *find_listener(const struct inet_dump *d, uint8_t proto,
					    const struct inet_end *at)
{
	struct inet_end any = { .port = at->port };
	const struct inet_ent *l = listener_at(d, proto, at, at->addr);

	return l ? l : listener_at(d, proto, &any, at->addr);
}

static bool is_loopback(const uint8_t a[16])
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	return memcmp(a, v6lo, 16) == 0 || (is_v4mapped(a) && a[12] == 127);
}

/* What the dump says of one socket, before it is applied. */
struct verdict {
	bool local;
	const struct inet_ent *peer, *listener;
};

/* A socket's other end in the dump. TCP: the socket with the ends
 * swapped; when that one has no file it waits in a listener's backlog.
 * UDP: where a connected socket sends, bound to that address or the
 * wildcard. */
static void judge(const struct inet_dump *d, const struct inet_ent *e, struct verdict *v)
{
	const struct inet_ent *p;

	memset(v, 0, sizeof(*v));
	if (is_listening(e)) {
		v->local = is_loopback(e->local.addr);
		return;
	}
	if (e->proto == IPPROTO_UDP) {
		if (e->state != TCP_ESTABLISHED)
			return;
		p = find(d, IPPROTO_UDP, &e->remote, &e->local);
		if (!p || !p->ino)
			p = find_listener(d, IPPROTO_UDP, &e->remote);
		v->peer = p;
		v->local = p != NULL;
		return;
	}
	if (e->state == TCP_LISTEN || e->state == TCP_CLOSE || e->state == TCP_SYN_SENT)
		return;
	p = find(d, IPPROTO_TCP, &e->remote, &e->local);
	if (!p)
		return;
	v->local = true;
	if (p->ino) {
		v->peer = p;
	} else if (e->state == TCP_ESTABLISHED &&
		   (p->state == TCP_ESTABLISHED || p->state == TCP_SYN_RECV)) {
		v->listener = find_listener(d, IPPROTO_TCP, &e->remote);
	}
}

/* ---- applying a dump to the model ---- */

struct inet_walk {
	struct model *m;
	struct scan_ctx *c;
	size_t dumped, refused, unread;
	long long spent_ms;
};

/* A socket the walk took as UNIX that a dump may name. */
static bool candidate(const struct ipc_obj *o, dev_t sockfs)
{
	return o->type == IPC_UNIX && !o->sockfile && !unix_st(o)->known && o->nholders &&
	       o->dev == sockfs &&
	       !(unix_st(o)->has_family && unix_st(o)->family != AF_INET && unix_st(o)->family != AF_INET6);
}

static struct ipc_obj *held(const struct inet_walk *w, uint64_t ino)
{
	struct ipc_obj *o = ino ? model_find(w->m, w->c->devs.sockfs, ino) : NULL;

	return o && (candidate(o, w->c->devs.sockfs) || o->type == IPC_INET) ? o : NULL;
}

static void add_pending(struct inet_state *s, uint64_t ino)
{
	s->pending = xreallocarray(s->pending, s->npending + 1, sizeof(*s->pending));
	s->pending[s->npending++] = ino;
}

static struct inet_state *as_inet(struct ipc_obj *o)
{
	/* what the walk learnt of the socket's file while it took it for
	 * a UNIX socket */
	const struct ipc_unix *u = unix_of(o);
	bool has_nb = u && u->has_nonblock, nb = u && u->nonblock;
	struct inet_state *s;

	if (o->type != IPC_INET) {
		model_retype(o, IPC_INET);
		s = o->kdata;
		s->has_nonblock = has_nb;
		s->nonblock = nb;
	}
	return o->kdata;
}

static void fill(struct ipc_obj *o, const struct inet_ent *e, const struct verdict *v,
		 uint64_t netns, uint64_t self_netns)
{
	struct inet_state *s = as_inet(o);

	s->family = e->family;
	s->proto = e->proto;
	s->state = e->state;
	s->listening = is_listening(e);
	s->local = e->local;
	s->remote = e->remote;
	s->rqueue = e->rqueue;
	s->wqueue = e->wqueue;
	s->uid = e->uid;
	s->netns = netns;
	if (netns != self_netns)
		o->netns = netns;
	if (v->peer && v->peer->ino) {
		s->has_peer = true;
		s->peer = v->peer->ino;
	}
	if (v->listener) {
		s->has_listener = true;
		s->listener = v->listener->ino;
	}
}

/* The object of a socket the dump names: the walk's, else a new one for
 * the other end of a held socket, which a --pid scan did not walk (its
 * holders are added by the walk of the other processes, as it is
 * wanted); NULL when the inode is something else's. */
static struct ipc_obj *materialize(struct inet_walk *w, uint64_t ino)
{
	struct ipc_obj *o = held(w, ino);
	bool created;

	if (o || !ino)
		return o;
	o = model_get(w->m, IPC_INET, w->c->devs.sockfs, ino, &created);
	if (created)
		o->wanted = true;
	return o->type == IPC_INET || (o->type == IPC_UNIX && !o->sockfile && !unix_st(o)->known) ? o
													 : NULL;
}

/* A listener or bound UDP socket is local when its address is loopback,
 * or when a local socket connects to it. */
static void apply(struct inet_walk *w, struct inet_dump *d, uint64_t netns, struct ipc_proc *home)
{
	size_t n = d->n ? d->n : 1;
	struct verdict *vs = xcalloc(n, sizeof(*vs));
	bool *used = xcalloc(n, sizeof(*used)), *mat = xcalloc(n, sizeof(*mat));

	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), ent_cmp);
	for (size_t i = 0; i < d->n; i++)
		judge(d, &d->v[i], &vs[i]);
	/* the listeners local sockets reach: through a connection accepted
	 * (its server end is at the listener's address) or waiting */
	for (size_t i = 0; i < d->n; i++) {
		const struct inet_ent *l = NULL;

		if (!vs[i].local || is_listening(&d->v[i]))
			continue;
		if (vs[i].listener)
			l = vs[i].listener;
		else if (d->v[i].proto == IPPROTO_UDP)
			l = vs[i].peer && is_listening(vs[i].peer) ? vs[i].peer : NULL;
		else
			l = find_listener(d, IPPROTO_TCP, &d->v[i].local);
		if (l)
			used[l - d->v] = true;
	}
	/* the held sockets, and the other ends of the local ones: their peer,
	 * the listener they wait on, a listener's waiting clients */
	for (size_t i = 0; i < d->n; i++)
		mat[i] = held(w, d->v[i].ino) != NULL;
	for (size_t i = 0; i < d->n; i++) {
		if (!mat[i] || !(vs[i].local || used[i]))
			continue;
		if (vs[i].peer)
			mat[vs[i].peer - d->v] = true;
		if (vs[i].listener)
			mat[vs[i].listener - d->v] = true;
	}
	for (size_t i = 0; i < d->n; i++)
		if (vs[i].listener && held(w, vs[i].listener->ino))
			mat[i] = true;
	for (size_t i = 0; i < d->n; i++) {
		const struct inet_ent *e = &d->v[i];
		struct ipc_obj *o = mat[i] ? materialize(w, e->ino) : NULL;

		if (!o)
			continue;
		if (!(vs[i].local || used[i])) {
			/* talks to another host: no IPC, and no UNIX socket */
			as_inet(o);
			o->drop = true;
			continue;
		}
		fill(o, e, &vs[i], netns, w->c->self_netns);
		if (netns != w->c->self_netns)
			o->home = home;
	}
	/* a listener's backlog: the clients whose server end has no file */
	for (size_t i = 0; i < d->n; i++) {
		struct ipc_obj *l;

		if (vs[i].listener && d->v[i].ino && (l = held(w, vs[i].listener->ino)) &&
		    l->type == IPC_INET && !l->drop)
			add_pending(l->kdata, d->v[i].ino);
	}
	free(vs);
	free(used);
	free(mat);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One namespace: ours directly, another through a process in it. */
static void collect_ns(struct inet_walk *w, uint64_t netns, struct ipc_proc *p)
{
	struct inet_dump d = { 0 };
	bool self = netns == w->c->self_netns;
	long long start;
	int rc = 0;

	if (!self && (w->dumped >= INET_NETNS_MAX || w->spent_ms >= INET_NETNS_MS)) {
		w->refused++;
		return;
	}
	start = mono_ms();
	if (self)
		dump_all(&d);
	else
		rc = dump_in(p, netns, &d);
	if (!self) {
		w->dumped++;
		w->spent_ms += mono_ms() - start;
	}
	if (rc < 0)
		w->unread++;
	else
		apply(w, &d, netns, self ? NULL : p);
	free(d.v);
}

/* The network namespaces of the held sockets, each with one process in
 * it, in the order met. */
/* The network namespaces to dump, each with one holder to enter it
 * through; a hash set of their inodes, as a host may have thousands. */
struct ns_list {
	uint64_t *ns;
	struct ipc_proc **proc;
	size_t n, cap;
	uint32_t *slot;		/* index + 1 into ns; 0: empty */
	size_t nslots;
};

static size_t ns_slot(const struct ns_list *l, uint64_t ns)
{
	size_t i = (size_t)((ns * 0x9E3779B97F4A7C15ull) >> 32) & (l->nslots - 1);

	while (l->slot[i] && l->ns[l->slot[i] - 1] != ns)
		i = (i + 1) & (l->nslots - 1);
	return i;
}

static void ns_grow(struct ns_list *l)
{
	l->cap = l->cap ? l->cap * 2 : 64;
	l->ns = xreallocarray(l->ns, l->cap, sizeof(*l->ns));
	l->proc = xreallocarray(l->proc, l->cap, sizeof(*l->proc));
	free(l->slot);
	l->nslots = l->cap * 2;
	l->slot = xcalloc(l->nslots, sizeof(*l->slot));
	for (size_t i = 0; i < l->n; i++)
		l->slot[ns_slot(l, l->ns[i])] = (uint32_t)(i + 1);
}

static void ns_note(struct ns_list *l, struct ipc_proc *p)
{
	size_t i;

	if (l->n == l->cap)
		ns_grow(l);
	i = ns_slot(l, p->netns);
	if (l->slot[i]) {
		/* a root holder enters it as well, and ranks it first */
		if (p->euid == 0 && l->proc[l->slot[i] - 1]->euid != 0)
			l->proc[l->slot[i] - 1] = p;
		return;
	}
	l->ns[l->n] = p->netns;
	l->proc[l->n] = p;
	l->slot[i] = (uint32_t)++l->n;
}

/* The namespaces where root holds sockets first: the budget for
 * namespaces is not for a user to spend on thousands of their own before
 * root's containers are dumped. Stable, so the order is otherwise the
 * walk's. */
static void ns_root_first(struct ns_list *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->proc[i]->euid != 0)
			continue;
		for (size_t j = i; j > k; j--) {
			uint64_t ns = l->ns[j];
			struct ipc_proc *p = l->proc[j];

			l->ns[j] = l->ns[j - 1];
			l->proc[j] = l->proc[j - 1];
			l->ns[j - 1] = ns;
			l->proc[j - 1] = p;
		}
		k++;
	}
}

void inet_collect(struct model *m, struct scan_ctx *c)
{
	struct inet_walk w = { .m = m, .c = c };
	struct ns_list l = { 0 };
	bool any = false;

	if (c->rooted || !c->devs.have_sockfs)
		return;
	c->families_dumped = true;
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		if (!candidate(o, c->devs.sockfs))
			continue;
		any = true;
		for (size_t k = 0; k < o->nholders; k++)
			if (o->holders[k].proc->netns && o->holders[k].proc->netns != c->self_netns)
				ns_note(&l, o->holders[k].proc);
	}
	if (!any)
		return;
	collect_ns(&w, c->self_netns, NULL);
	ns_root_first(&l);
	for (size_t i = 0; i < l.n; i++)
		collect_ns(&w, l.ns[i], l.proc[i]);
	/* with --type inet asked, a quiet note would leave a list that lacks
	 * thousands of a user's local connections without a word */
	if (w.unread || w.refused)
		(c->types != IPC_ALL_TYPES && (c->types & IPC_TYPE_BIT(IPC_INET)) ? model_warn :
										 model_note)(
			m, "%zu network namespace%s not dumped for TCP and UDP sockets (%s): "
			   "their sockets are not told local or not", w.unread + w.refused,
			   w.unread + w.refused == 1 ? " was" : "s were",
			   w.refused ? "past the scan's budget for namespaces" :
			   "entering them needs root, or their process left");
	free(l.ns);
	free(l.proc);
	free(l.slot);
}
