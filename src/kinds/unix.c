/* unix: an AF_UNIX socket (path, abstract or unnamed), as sock_diag or
 * net/unix describe it; or a socket file found on disk, which leaks
 * calls stale when no socket is bound to it. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "escape.h"
#include "render/jw.h"
#include "kinds/kind.h"
#include "render/render.h"
#include "kinds/unix.h"

const char *unix_state_name(uint8_t st)
{
	switch (st) {
	case US_UNCONNECTED: return "unconnected";
	case US_CONNECTING: return "connecting";
	case US_CONNECTED: return "connected";
	case US_DISCONNECTING: return "disconnecting";
	case US_LISTEN: return "listen";
	}
	return NULL;
}

const char *unix_stype_name(uint8_t stype)
{
	switch (stype) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_SEQPACKET: return "seqpacket";
	}
	return NULL;
}

/* What a socket owns beyond itself. */
static void unix_kfree(void *kdata)
{
	struct ipc_unix *u = kdata;

	free(u->pending);
	free(u->senders);
}

static const char *const unix_col_members[KC_COUNT] = {
	[KC_SOCKTYPE] = ".unix.type", [KC_STATE] = ".unix.state", [KC_PEERINO] = ".unix.peer",
	[KC_BACKLOG] = ".unix.backlog", [KC_NETNS] = ".unix.netns",
	[KC_SHUTDOWN] = ".unix.shutdown", [KC_NONBLOCK] = ".unix.nonblock",
};

static const char *const unix_aliases[] = { "uds", "socket", NULL };

/* An O_PATH fd on a socket file is not a socket: it is not on sockfs. */
static enum kind_match unix_match_fd(const struct fd_facts *f, const struct kind_devs *d)
{
	return f->fmt == S_IFSOCK && !(d->have_sockfs && f->dev != d->sockfs) ? KM_YES : KM_NO;
}

/* a socket file, which a listener is bound to */
static bool unix_match_disk(const struct fd_facts *f)
{
	return f->fmt == S_IFSOCK;
}

static bool unix_fixture(struct fd_facts *f, const struct kind_devs *d)
{
	if (!kind_text_bracket(f, "socket:[", &f->ino))
		return false;
	f->fmt = S_IFSOCK;
	f->dev = d->sockfs;
	return true;
}

static bool unix_queued(const struct ipc_obj *o, uint64_t *v)
{
	if (o->sockfile || !unix_st(o)->has_rq || unix_st(o)->state == US_LISTEN)
		return false;
	*v = unix_st(o)->rqueue;
	return true;
}

/* Sockets learnt only from an fd are AF_INET, netlink and the like, or
 * live in a namespace whose table could not be read. */
static bool unix_keep(const struct ipc_obj *o)
{
	return o->sockfile || unix_st(o)->known;
}

/* Without sock_diag no socket file can be told apart from a live one. */
static const struct leak_reason unix_stale = { "stale-socket", 2 };

static bool unix_leak(const struct model *m, const struct ipc_obj *o)
{
	return o->sockfile && !o->sockfile_live && m->diag_ok;
}

static int unix_remove(const struct ipc_obj *o)
{
	return kind_unlink_checked(o, S_IFSOCK, NULL);
}

static struct kind_sock_end unix_end(const struct ipc_unix *u)
{
	return (struct kind_sock_end){ u->has_listener, u->has_peer, u->listener_obj,
				       u->peer_obj, u->senders, u->nsenders };
}

/* The PEER cell's holders, one by one: a client not accepted yet faces
 * its listener's holders, a connected socket its peer's, a bound dgram
 * socket its senders'. */
static bool unix_peer_holders_each(const struct ipc_obj *o,
				   void (*fn)(void *arg, const struct ipc_holder *h), void *arg)
{
	struct kind_sock_end e = unix_end(unix_st(o));

	return !o->sockfile && kind_sock_peer_holders(&e, fn, arg);
}

/* What shutdown(2) closed: lsfd's SOCK.SHUTDOWN rw, -w, r- and -- */
static const char *unix_shutdown_word(const struct ipc_unix *u)
{
	static const char *const words[] = { "none", "read", "write", "both" };

	return u->has_shutdown ? words[u->shutdown & 3] : NULL;
}

/* A socket file found on disk has un all zero: every cell empty. */
static bool unix_column(enum kind_col col, const struct ipc_obj *o,
			const struct render_opts *ro, struct buf *out, int64_t *num)
{
	const struct ipc_unix *u = unix_st(o);

	(void)ro;
	switch (col) {
	case KC_SOCKTYPE:
		return kind_cell_text(unix_stype_name(u->stype), out);
	case KC_STATE:
		return kind_cell_text(unix_state_name(u->state), out);
	case KC_PEERINO:
		return kind_cell_u64(u->has_peer, u->peer, out, num);
	case KC_NETNS:
		return kind_cell_u64(u->netns != 0, u->netns, out, num);
	case KC_BACKLOG:
		/* connections waiting/limit, sorted by the first */
		if (u->state != US_LISTEN || !u->has_rq)
			return false;
		if (out)
			buf_printf(out, "%u/%u", u->rqueue, u->wqueue);
		if (num)
			*num = u->rqueue;
		return true;
	case KC_PEER: {
		struct kind_sock_end e = unix_end(u);

		return out && kind_sock_peer_cell(&e, out);
	}
	case KC_SHUTDOWN:
		return kind_cell_text(unix_shutdown_word(u), out);
	case KC_NONBLOCK:
		return kind_cell_text(!u->has_nonblock ? NULL : u->nonblock ? "yes" : "no", out);
	default:
		return false;
	}
}

static void unix_pending(FILE *out, const struct ipc_unix *u)
{
	if (!u->npending)
		return;
	fprintf(out, "  %-9s", "pending");
	for (size_t k = 0; k < u->npending; k++)
		fprintf(out, " %llu", (unsigned long long)u->pending[k]);
	fputc('\n', out);
}

static void unix_detail(FILE *out, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro, struct buf *tmp)
{
	const struct ipc_unix *u = unix_st(o);
	const struct ipc_obj *l;

	detail_field(out, m, o, ro, "socket", "SOCKTYPE", tmp);
	detail_field(out, m, o, ro, "state", "STATE", tmp);
	if (u->netns || u->from_fd)
		fprintf(out, "  %-9s %llu (%s)\n", "netns", (unsigned long long)u->netns,
			u->from_fd ? "from a holder's fd: the namespace was not dumped, so "
				     "name, peer and queues are unknown" :
			u->from_procfs ? "from /proc/PID/net/unix, no peers" : "sock_diag");
	if (u->has_shutdown && u->shutdown)
		fprintf(out, "  %-9s %s\n", "shutdown", unix_shutdown_word(u));
	if (u->has_nonblock && u->nonblock)
		fprintf(out, "  %-9s nonblock\n", "flags");
	detail_field(out, m, o, ro, "backlog", "BACKLOG", tmp);
	unix_pending(out, u);
	if (u->has_rq && u->state != US_LISTEN)
		fprintf(out, "  %-9s %u bytes received, %u bytes sent unread\n", "queues",
			u->rqueue, u->wqueue);
	if (!u->has_listener)
		return;
	l = u->listener_obj;
	fprintf(out, "  %-9s in the backlog of listener %llu, not accepted yet\n", "waiting",
		(unsigned long long)u->listener);
	for (size_t k = 0; l && k < l->nholders; k++)
		detail_holder(out, &l->holders[k], tmp);
}

/* A bound dgram socket's senders, one line each with their holders. */
static void unix_detail_senders(FILE *out, const struct ipc_unix *u, struct buf *tmp)
{
	for (size_t i = 0; i < u->nsenders; i++) {
		const struct ipc_obj *s = u->senders[i];

		fprintf(out, "  %-9s socket %llu connected to it\n", "sender",
			(unsigned long long)s->ino);
		for (size_t k = 0; k < s->nholders; k++)
			detail_holder(out, &s->holders[k], tmp);
	}
}

static void unix_detail_peer(FILE *out, const struct model *m, const struct ipc_obj *o,
			     const struct render_opts *ro, struct buf *tmp)
{
	const struct ipc_obj *peer;

	(void)m, (void)ro;
	unix_detail_senders(out, unix_st(o), tmp);
	if (!unix_st(o)->has_peer)
		return;
	peer = unix_st(o)->peer_obj;
	fprintf(out, "  %-9s socket %llu", "peer", (unsigned long long)unix_st(o)->peer);
	if (peer && peer->path) {
		buf_reset(tmp);
		esc_table(tmp, peer->path, peer->pathlen);
		fprintf(out, " %s", tmp->data);
	}
	fputc('\n', out);
	for (size_t k = 0; peer && k < peer->nholders; k++)
		detail_holder(out, &peer->holders[k], tmp);
}

/* Who holds the other end, so that no join is needed: the peer's
 * holders, or a bound dgram socket's senders' */
static void unix_peer_holders(struct jw *w, const struct model *m, const struct ipc_obj *o)
{
	struct kind_sock_end e = unix_end(unix_st(o));

	(void)m;
	kind_sock_peer_json(w, &e);
}

static void unix_json(struct jw *w, const struct model *m, const struct ipc_obj *o)
{
	const struct ipc_unix *u = unix_st(o);
	bool listen = u->state == US_LISTEN;

	if (o->sockfile) {
		/* a socket file found on disk, with no socket to describe */
		jw_null(w, "unix");
		return;
	}
	jw_obj_begin(w, "unix");
	jw_str(w, "type", unix_stype_name(u->stype));
	jw_str(w, "state", unix_state_name(u->state));
	jw_u64_or_null(w, "peer", u->has_peer, u->peer);
	jw_u64_or_null(w, "netns", u->netns, u->netns);
	jw_str(w, "source", u->from_fd ? "fd" : u->from_procfs ? "procfs" : "sock_diag");
	unix_peer_holders(w, m, o);
	if (listen && !u->from_procfs && !u->from_fd) {
		jw_arr_begin(w, "pending");
		for (size_t i = 0; i < u->npending; i++)
			jw_u64(w, NULL, u->pending[i]);
		jw_arr_end(w);
	} else {
		jw_null(w, "pending");
	}
	jw_u64_or_null(w, "backlog", listen && u->has_rq, u->rqueue);
	jw_u64_or_null(w, "backlog_max", listen && u->has_rq, u->wqueue);
	jw_u64_or_null(w, "rqueue", !listen && u->has_rq, u->rqueue);
	jw_u64_or_null(w, "wqueue", !listen && u->has_rq, u->wqueue);
	jw_u64_or_null(w, "listener", u->has_listener, u->listener);
	jw_str(w, "shutdown", unix_shutdown_word(u));
	if (u->has_nonblock)
		jw_bool(w, "nonblock", u->nonblock);
	else
		jw_null(w, "nonblock");
	jw_obj_end(w);
}

/* A client whose connection waits in a listener's backlog has no peer
 * socket yet: point it at the listener, whose process will accept it. */
static void unix_link_listeners(struct model *m)
{
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *l = m->objs[i];

		if (!unix_of(l))
			continue;
		for (size_t k = 0; k < unix_st(l)->npending; k++) {
			struct ipc_obj *e = model_find_socket(m, unix_st(l)->pending[k]);

			if (e) {
				unix_st(e)->has_listener = true;
				unix_st(e)->listener = l->ino;
			}
		}
	}
}

/* A socket file is live when some socket is bound to it. sock_diag names
 * the bound file by (dev, inode), which is exact; /proc/PID/net/unix only by
 * path, which is used for the namespaces we could not enter. */
static void unix_link_sockfile(struct model *m, const struct ipc_obj *s)
{
	struct ipc_obj *f;

	if (unix_st(s)->has_vfs) {
		f = model_find(m, unix_st(s)->vfs_dev, unix_st(s)->vfs_ino);
		if (f && f->sockfile)
			f->sockfile_live = true;
		return;
	}
	if (!unix_st(s)->from_procfs || !s->path || s->path[0] != '/')
		return;
	for (size_t k = 0; k < m->nobjs; k++) {
		f = m->objs[k];
		if (f->sockfile && f->pathlen == s->pathlen &&
		    memcmp(f->path, s->path, s->pathlen) == 0)
			f->sockfile_live = true;
	}
}

static void unix_link_socket(struct model *m, struct ipc_obj *o)
{
	if (o->sockfile)
		return;
	unix_st(o)->nsenders = 0;
	unix_st(o)->peer_obj = unix_st(o)->has_peer ? model_find_socket(m, unix_st(o)->peer) : NULL;
	unix_st(o)->listener_obj = unix_st(o)->has_listener ? model_find_socket(m, unix_st(o)->listener) : NULL;
	unix_link_sockfile(m, o);
}

/* A socket connected to one that is not connected back to it (a dgram
 * client of a bound server) is that one's sender: the server's other end,
 * which its own peer, none, does not show. */
static void unix_link_sender(struct ipc_obj *o)
{
	struct ipc_obj *to = unix_st(o)->peer_obj;

	if (!to || to == o || to->sockfile || (unix_st(to)->peer_obj == o))
		return;
	unix_st(to)->senders = xreallocarray(unix_st(to)->senders, unix_st(to)->nsenders + 1,
				       sizeof(*unix_st(to)->senders));
	unix_st(to)->senders[unix_st(to)->nsenders++] = o;
}

/* The link hook: run again, it gives the same links (senders are made
 * anew). */
static void unix_link(struct model *m)
{
	unix_link_listeners(m);
	for (size_t i = 0; i < m->nobjs; i++)
		if (unix_of(m->objs[i]))
			unix_link_socket(m, m->objs[i]);
	for (size_t i = 0; i < m->nobjs; i++)
		if (unix_of(m->objs[i]) && !m->objs[i]->sockfile)
			unix_link_sender(m->objs[i]);
}

static void unix_focus_ends(const struct model *m, const struct ipc_obj *o, bool held,
			    void (*fn)(void *arg, struct ipc_obj *end), void *arg)
{
	struct ipc_obj *e;

	if (held) {
		if (unix_st(o)->peer_obj)
			fn(arg, unix_st(o)->peer_obj);
		if (unix_st(o)->listener_obj)
			fn(arg, unix_st(o)->listener_obj);
		for (size_t k = 0; k < unix_st(o)->npending; k++)
			if ((e = model_find_socket(m, unix_st(o)->pending[k])))
				fn(arg, e);
	}
	/* a dgram server's senders are its other end (unix_link_sender) */
	for (size_t k = 0; k < unix_st(o)->nsenders; k++)
		fn(arg, unix_st(o)->senders[k]);
}

/* The pair is seen from both ends: drawn from the lower inode, or from
 * the client while it still waits in a backlog (its end is the listener). */
static const struct ipc_obj *unix_graph_end(const struct ipc_obj *o)
{
	const struct ipc_unix *u = unix_st(o);
	const struct ipc_obj *end = u->has_listener ? u->listener_obj : u->peer_obj;

	if (!end || o->sockfile)
		return NULL;
	if (!u->has_listener && unix_st(end)->has_peer && unix_st(end)->peer == o->ino &&
	    end->ino < o->ino)
		return NULL;
	return end;
}

static bool unix_bound_to(const struct ipc_obj *o, const struct stat *st, const char *name,
			  bool by_name)
{
	const struct ipc_unix *u = unix_st(o);
	size_t n = strlen(name);

	if (!by_name)
		return u->has_vfs && u->vfs_dev == st->st_dev && u->vfs_ino == st->st_ino;
	return !u->has_vfs && o->path && o->pathlen == n && memcmp(o->path, name, n) == 0;
}

static bool unix_listening(const struct ipc_obj *o)
{
	return !o->sockfile && unix_st(o)->state == US_LISTEN;
}

static const char *unix_wait_state(enum wait_dir d)
{
	switch (d) {
	case WD_READ: return "no-data";
	case WD_WRITE: return "peer-full";
	case WD_ACCEPT: return "no-client";
	case WD_CONNECT: return "backlog-full";
	default: return "waiting";
	}
}

/* A connected socket's other end is its peer's holders, and no one else
 * can send to it or drain it: a socketpair or an accepted connection. A
 * listener waits for clients, any of which may still come; those queued
 * are handed to fn all the same. */
static bool unix_wait_wakers(const struct model *m, const struct ipc_obj *o, enum wait_dir d,
			     void (*fn)(void *arg, const struct ipc_holder *h), void *arg)
{
	const struct ipc_unix *u = unix_st(o);

	if (d == WD_ACCEPT) {
		for (size_t i = 0; i < u->npending; i++)
			kind_each_holder(model_find_socket(m, u->pending[i]), fn, arg);
		return false;
	}
	if (d == WD_CONNECT) {
		kind_each_holder(u->listener_obj, fn, arg);
		return false;
	}
	kind_each_holder(u->peer_obj, fn, arg);
	return u->peer_obj && u->stype != SOCK_DGRAM && u->state == US_CONNECTED;
}

const struct ipc_kind kind_unix = {
	.name = "unix",
	.aliases = unix_aliases,
	.color = "\033[35m",
	.traits = KT_SOCKET | KT_PATHNAMED,
	.kdata_size = sizeof(struct ipc_unix),
	.kfree = unix_kfree,
	.naming = NAME_NONE,
	.anon_prefix = "socket:[",
	.match_fd = unix_match_fd,
	.match_disk = unix_match_disk,
	.fixture = unix_fixture,
	.queued = unix_queued,
	.detail = unix_detail,
	.detail_peer = unix_detail_peer,
	.column = unix_column,
	.col_members = unix_col_members,
	.peer_holders = unix_peer_holders_each,
	.link = unix_link,
	.focus_ends = unix_focus_ends,
	.graph_end = unix_graph_end,
	.bound_to = unix_bound_to,
	.listening = unix_listening,
	.json = unix_json,
	.keep = unix_keep,
	.wait_state = unix_wait_state,
	.wait_wakers = unix_wait_wakers,
	.leak_reason = &unix_stale,
	.leak = unix_leak,
	.leak_needs_sockets = true,
	.remove = unix_remove,
};
