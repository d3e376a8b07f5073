/* inet: a TCP or UDP socket whose other end is on this host, in the same
 * network namespace (collect/inet.c decides, from its inet sock_diag
 * dump): a connection between two local processes, a listener bound to
 * loopback or with local clients, a bound UDP socket on loopback or with
 * local senders. The walk finds it as a UNIX socket (found_as); its
 * collector re-types it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "collect/inet.h"
#include "kinds/kind.h"
#include "render/jw.h"
#include "render/render.h"

static const struct inet_state *st(const struct ipc_obj *o)
{
	return o->kdata;
}

static const char *inet_proto_name(const struct inet_state *s)
{
	return s->proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* ss's names, in lower case; UDP has only connected or not */
static const char *inet_state_name(const struct inet_state *s)
{
	static const char *const tcp[] = {
		[TCP_ESTABLISHED] = "established", [TCP_SYN_SENT] = "syn-sent",
		[TCP_SYN_RECV] = "syn-recv", [TCP_FIN_WAIT1] = "fin-wait-1",
		[TCP_FIN_WAIT2] = "fin-wait-2", [TCP_TIME_WAIT] = "time-wait",
		[TCP_CLOSE] = "close", [TCP_CLOSE_WAIT] = "close-wait",
		[TCP_LAST_ACK] = "last-ack", [TCP_LISTEN] = "listen", [TCP_CLOSING] = "closing",
	};

	if (s->proto == IPPROTO_UDP)
		return s->state == TCP_ESTABLISHED ? "connected" : "unconnected";
	return s->state < sizeof(tcp) / sizeof(tcp[0]) ? tcp[s->state] : NULL;
}

/* An address as the socket's family writes it: a v4 socket's from its
 * v4-mapped form. */
static void inet_addr_text(struct buf *out, const struct inet_state *s, const uint8_t a[16])
{
	char text[INET6_ADDRSTRLEN];

	if (s->family == AF_INET)
		inet_ntop(AF_INET, a + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, a, text, sizeof(text));
	buf_adds(out, text);
}

static void inet_end_text(struct buf *out, const struct inet_state *s, const struct inet_end *e)
{
	if (s->family == AF_INET6)
		buf_addc(out, '[');
	inet_addr_text(out, s, e->addr);
	buf_printf(out, s->family == AF_INET6 ? "]:%u" : ":%u", e->port);
}

static bool inet_connected(const struct inet_state *s)
{
	return !s->listening && s->remote.port != 0;
}

/* PATH: "tcp 127.0.0.1:5432->127.0.0.1:40112", a listener's own end only */
static void inet_label(struct buf *out, const struct ipc_obj *o)
{
	const struct inet_state *s = st(o);

	buf_adds(out, inet_proto_name(s));
	buf_addc(out, ' ');
	inet_end_text(out, s, &s->local);
	if (inet_connected(s)) {
		buf_adds(out, "->");
		inet_end_text(out, s, &s->remote);
	}
}

static bool inet_is_listener(const struct inet_state *s)
{
	return s->proto == IPPROTO_TCP && s->state == TCP_LISTEN;
}

static bool inet_queued(const struct ipc_obj *o, uint64_t *v)
{
	if (inet_is_listener(st(o)))
		return false;
	*v = st(o)->rqueue;
	return true;
}

static struct kind_sock_end inet_end(const struct inet_state *s)
{
	return (struct kind_sock_end){ s->has_listener, s->has_peer, s->listener_obj,
				       s->peer_obj, s->clients, s->nclients };
}

/* The PEER cell's holders: a client not accepted yet faces its
 * listener's, a connected socket its peer's, a bound UDP socket its
 * senders'. */
static bool inet_peer_holders(const struct ipc_obj *o,
			      void (*fn)(void *arg, const struct ipc_holder *h), void *arg)
{
	struct kind_sock_end e = inet_end(st(o));

	return kind_sock_peer_holders(&e, fn, arg);
}

static bool inet_column(enum kind_col col, const struct ipc_obj *o,
			const struct render_opts *ro, struct buf *out, int64_t *num)
{
	const struct inet_state *s = st(o);

	(void)ro;
	switch (col) {
	case KC_SOCKTYPE:
		return kind_cell_text(inet_proto_name(s), out);
	case KC_STATE:
		return kind_cell_text(inet_state_name(s), out);
	case KC_PEERINO:
		return kind_cell_u64(s->has_peer, s->peer, out, num);
	case KC_NETNS:
		return kind_cell_u64(s->netns != 0, s->netns, out, num);
	case KC_BACKLOG:
		/* connections waiting/limit, sorted by the first */
		if (!inet_is_listener(s))
			return false;
		if (out)
			buf_printf(out, "%u/%u", s->rqueue, s->wqueue);
		if (num)
			*num = s->rqueue;
		return true;
	case KC_PEER: {
		struct kind_sock_end e = inet_end(s);

		return out && kind_sock_peer_cell(&e, out);
	}
	case KC_NONBLOCK:
		return kind_cell_text(!s->has_nonblock ? NULL : s->nonblock ? "yes" : "no", out);
	default:
		return false;
	}
}

static void inet_detail(FILE *out, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro, struct buf *tmp)
{
	const struct inet_state *s = st(o);
	const struct ipc_obj *l = s->listener_obj;

	detail_field(out, m, o, ro, "socket", "SOCKTYPE", tmp);
	detail_field(out, m, o, ro, "state", "STATE", tmp);
	buf_reset(tmp);
	inet_end_text(tmp, s, &s->local);
	fprintf(out, "  %-9s %s\n", "local", tmp->data);
	if (inet_connected(s)) {
		buf_reset(tmp);
		inet_end_text(tmp, s, &s->remote);
		fprintf(out, "  %-9s %s\n", "remote", tmp->data);
	}
	if (s->netns)
		fprintf(out, "  %-9s %llu\n", "netns", (unsigned long long)s->netns);
	if (s->has_nonblock && s->nonblock)
		fprintf(out, "  %-9s nonblock\n", "flags");
	detail_field(out, m, o, ro, "backlog", "BACKLOG", tmp);
	if (s->npending) {
		fprintf(out, "  %-9s", "pending");
		for (size_t k = 0; k < s->npending; k++)
			fprintf(out, " %llu", (unsigned long long)s->pending[k]);
		fputc('\n', out);
	}
	if (!inet_is_listener(s))
		fprintf(out, "  %-9s %u bytes received, %u bytes sent unacknowledged\n", "queues",
			s->rqueue, s->wqueue);
	if (!s->has_listener)
		return;
	fprintf(out, "  %-9s in the backlog of listener %llu, not accepted yet\n", "waiting",
		(unsigned long long)s->listener);
	for (size_t k = 0; l && k < l->nholders; k++)
		detail_holder(out, &l->holders[k], tmp);
}

static void inet_detail_peer(FILE *out, const struct model *m, const struct ipc_obj *o,
			     const struct render_opts *ro, struct buf *tmp)
{
	const struct inet_state *s = st(o);
	const struct ipc_obj *peer = s->peer_obj;

	(void)m, (void)ro;
	for (size_t i = 0; i < s->nclients; i++) {
		fprintf(out, "  %-9s socket %llu connected to it\n", "sender",
			(unsigned long long)s->clients[i]->ino);
		for (size_t k = 0; k < s->clients[i]->nholders; k++)
			detail_holder(out, &s->clients[i]->holders[k], tmp);
	}
	if (!s->has_peer)
		return;
	fprintf(out, "  %-9s socket %llu", "peer", (unsigned long long)s->peer);
	if (peer) {
		buf_reset(tmp);
		inet_label(tmp, peer);
		fprintf(out, " %s", tmp->data);
	}
	fputc('\n', out);
	for (size_t k = 0; peer && k < peer->nholders; k++)
		detail_holder(out, &peer->holders[k], tmp);
}

static void inet_end_json(struct jw *w, const char *key, const struct inet_state *s,
			  const struct inet_end *e, struct buf *tmp)
{
	buf_reset(tmp);
	inet_addr_text(tmp, s, e->addr);
	jw_obj_begin(w, key);
	jw_str(w, "addr", tmp->data);
	jw_u64(w, "port", e->port);
	jw_obj_end(w);
}

static void inet_json(struct jw *w, const struct model *m, const struct ipc_obj *o)
{
	const struct inet_state *s = st(o);
	struct kind_sock_end e = inet_end(s);
	bool listen = inet_is_listener(s);
	struct buf tmp = { 0 };

	(void)m;
	jw_obj_begin(w, "inet");
	/* "type", "state", "peer", "backlog", "netns", "nonblock": the
	 * members of the socket columns, named as unix's are */
	jw_str(w, "type", inet_proto_name(s));
	jw_str(w, "proto", inet_proto_name(s));
	jw_str(w, "family", s->family == AF_INET6 ? "ipv6" : "ipv4");
	jw_str(w, "state", inet_state_name(s));
	inet_end_json(w, "local", s, &s->local, &tmp);
	if (inet_connected(s))
		inet_end_json(w, "remote", s, &s->remote, &tmp);
	else
		jw_null(w, "remote");
	jw_u64_or_null(w, "rqueue", !listen, s->rqueue);
	jw_u64_or_null(w, "wqueue", !listen, s->wqueue);
	jw_u64_or_null(w, "backlog", listen, s->rqueue);
	jw_u64_or_null(w, "backlog_max", listen, s->wqueue);
	jw_u64_or_null(w, "peer", s->has_peer, s->peer);
	jw_u64_or_null(w, "listener", s->has_listener, s->listener);
	if (listen) {
		jw_arr_begin(w, "pending");
		for (size_t i = 0; i < s->npending; i++)
			jw_u64(w, NULL, s->pending[i]);
		jw_arr_end(w);
	} else {
		jw_null(w, "pending");
	}
	kind_sock_peer_json(w, &e);
	jw_u64(w, "uid", s->uid);
	jw_u64_or_null(w, "netns", s->netns, s->netns);
	if (s->has_nonblock)
		jw_bool(w, "nonblock", s->nonblock);
	else
		jw_null(w, "nonblock");
	jw_obj_end(w);
	buf_free(&tmp);
}

static const char *inet_wait_state(enum wait_dir d)
{
	switch (d) {
	case WD_READ: return "no-data";
	case WD_WRITE: return "peer-full";
	case WD_ACCEPT: return "no-client";
	case WD_CONNECT: return "backlog-full";
	default: return "waiting";
	}
}

static struct ipc_obj *inet_find(const struct model *m, uint64_t ino)
{
	struct ipc_obj *o = model_find(m, m->sockfs_dev, ino);

	return o && o->type == IPC_INET ? o : NULL;
}

/* A TCP connection's other end is its peer's holders, and no one else can
 * send to it or drain it; a UDP socket may hear from anyone; a listener
 * waits for clients, any of which may still come (those queued are handed
 * to fn all the same). */
static bool inet_wait_wakers(const struct model *m, const struct ipc_obj *o, enum wait_dir d,
			     void (*fn)(void *arg, const struct ipc_holder *h), void *arg)
{
	const struct inet_state *s = st(o);

	if (d == WD_ACCEPT) {
		for (size_t i = 0; i < s->npending; i++)
			kind_each_holder(inet_find(m, s->pending[i]), fn, arg);
		return false;
	}
	if (d == WD_CONNECT) {
		kind_each_holder(s->listener_obj, fn, arg);
		return false;
	}
	kind_each_holder(s->peer_obj, fn, arg);
	return s->peer_obj && s->proto == IPPROTO_TCP && s->state == TCP_ESTABLISHED;
}

static const struct ipc_obj *inet_other_end(const struct ipc_obj *o)
{
	return st(o)->has_listener ? st(o)->listener_obj : st(o)->peer_obj;
}

/* A connected pair is drawn once, from the end with the lower inode. */
static const struct ipc_obj *inet_graph_end(const struct ipc_obj *o)
{
	const struct ipc_obj *end = inet_other_end(o);

	if (end && end->type == IPC_INET && inet_other_end(end) == o && end->ino < o->ino)
		return NULL;
	return end;
}

/* A socket made for the other end of a held one (a --pid scan) that no
 * process turned out to hold: an fd in flight, or one just closed. */
static bool inet_keep(const struct ipc_obj *o)
{
	return o->nholders > 0;
}

static void inet_kfree(void *kdata)
{
	struct inet_state *s = kdata;

	free(s->pending);
	free(s->clients);
}

/* Inodes to objects; a socket connected to one that is not connected back
 * to it (a UDP client of a bound server) is one of that one's senders. */
static void inet_link(struct model *m)
{
	for (size_t i = 0; i < m->nobjs; i++) {
		struct inet_state *s = m->objs[i]->kdata;

		if (m->objs[i]->type != IPC_INET)
			continue;
		s->nclients = 0;
		s->peer_obj = s->has_peer ? inet_find(m, s->peer) : NULL;
		s->listener_obj = s->has_listener ? inet_find(m, s->listener) : NULL;
	}
	for (size_t i = 0; i < m->nobjs; i++) {
		struct ipc_obj *o = m->objs[i], *to;
		struct inet_state *ts;

		if (o->type != IPC_INET || !(to = st(o)->peer_obj) || to == o ||
		    st(to)->peer_obj == o)
			continue;
		ts = to->kdata;
		ts->clients = xreallocarray(ts->clients, ts->nclients + 1, sizeof(*ts->clients));
		ts->clients[ts->nclients++] = o;
	}
}

static const char *const inet_col_members[KC_COUNT] = {
	[KC_SOCKTYPE] = ".inet.type", [KC_STATE] = ".inet.state", [KC_PEERINO] = ".inet.peer",
	[KC_BACKLOG] = ".inet.backlog", [KC_NETNS] = ".inet.netns",
	[KC_NONBLOCK] = ".inet.nonblock",
};

const struct ipc_kind kind_inet = {
	.name = "inet",
	.color = "\033[36m",
	.traits = 0,
	.kdata_size = sizeof(struct inet_state),
	.kfree = inet_kfree,
	.link = inet_link,
	.collect = inet_collect,
	.found_as = IPC_TYPE_BIT(IPC_UNIX),
	.naming = NAME_NONE,
	.label = inet_label,
	.queued = inet_queued,
	.detail = inet_detail,
	.detail_peer = inet_detail_peer,
	.column = inet_column,
	.col_members = inet_col_members,
	.peer_holders = inet_peer_holders,
	.json = inet_json,
	.graph_end = inet_graph_end,
	.keep = inet_keep,
	.wait_state = inet_wait_state,
	.wait_wakers = inet_wait_wakers,
};
