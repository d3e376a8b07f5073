/* Local TCP and UDP sockets: the inet sock_diag dump of each network
 * namespace their holders are in, and the state kinds/inet.c reads. */
#ifndef IPCSCOPE_COLLECT_INET_H
#define IPCSCOPE_COLLECT_INET_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"

struct scan_ctx;

/* One end as inet_diag names it; an IPv4 address is kept in its
 * v4-mapped IPv6 form (::ffff:a.b.c.d), so that a v6 socket talking to a
 * v4 one matches it. */
struct inet_end {
	uint8_t addr[16];
	uint16_t port;
};

/* ipc_obj.kdata of an IPC_INET object. */
struct inet_state {
	uint8_t family;		/* AF_INET or AF_INET6, as the socket was made */
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state;		/* the kernel's TCP_* state (UDP: ESTABLISHED or CLOSE) */
	bool listening;		/* TCP LISTEN, or a bound unconnected UDP socket */
	struct inet_end local, remote;
	uint32_t rqueue;	/* a listener: connections waiting to be accepted */
	uint32_t wqueue;	/* a listener: its backlog limit */
	uint64_t netns;
	uid_t uid;
	/* the other end, by inode, in the same namespace's dump: the socket
	 * whose local end is our remote one and back (a connected UDP socket:
	 * the one it sends to), and for a client whose connection waits in a
	 * backlog (its server end has no inode yet), the listener */
	bool has_peer, has_listener;
	uint64_t peer, listener;
	/* sockets of the dump connected to this one that no process holds
	 * yet: a listener's backlog (their clients' inodes) */
	uint64_t *pending;
	size_t npending;
	bool has_nonblock, nonblock;
	/* the objects those inodes name (kinds/inet.c's link) */
	struct ipc_obj *peer_obj, *listener_obj;
	/* a listener's or a bound UDP socket's clients and senders (link) */
	struct ipc_obj **clients;
	size_t nclients;
};

/* The kind's collector (ipc_kind.collect): re-types the held sockets the
 * dumps name TCP or UDP to IPC_INET and fills their state. */
void inet_collect(struct model *m, struct scan_ctx *c);

#endif
