/* A UNIX socket's state (ipc_obj.kdata of kind unix): what sock_diag,
 * /proc/net/unix or a holder's fd told of it. Read by kinds/unix.c and
 * the collector that fills it, collect/unix.c. */
#ifndef IPCSCOPE_KIND_UNIX_H
#define IPCSCOPE_KIND_UNIX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"

/* ipc_unix.shutdown: what shutdown(2) closed on this socket (the
 * kernel's RCV_SHUTDOWN and SEND_SHUTDOWN) */
#define UNIX_SHUT_RD 1
#define UNIX_SHUT_WR 2

/* Socket states, in /proc/net/unix's SS_* order where it has them. */
enum unix_state {
	US_UNKNOWN,
	US_UNCONNECTED,
	US_CONNECTING,
	US_CONNECTED,
	US_DISCONNECTING,
	US_LISTEN,
};

struct ipc_unix {
	/* the flags and small numbers first, packed: a list has 100k objects */
	bool known;		/* AF_UNIX confirmed by sock_diag or net/unix */
	uint8_t stype;		/* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint8_t state;		/* enum unix_state */
	bool has_peer;
	bool has_uid;
	bool has_rq;
	bool has_vfs;		/* the socket file a path socket is bound to */
	bool from_procfs;	/* learnt from net/unix, which has no peers */
	/* learnt only from a holder's fd (no table listed it): its network
	 * namespace could not be dumped, so name, peer and queues are unknown */
	bool from_fd;
	bool has_shutdown;	/* sock_diag's UNIX_DIAG_SHUTDOWN */
	uint8_t shutdown;	/* UNIX_SHUT_RD | UNIX_SHUT_WR */
	bool has_nonblock;	/* O_NONBLOCK of its file, from a holder's fdinfo */
	bool nonblock;
	bool has_listener;	/* a client not yet accepted: the listener */
	/* its address family, when the bpf iterator read it: a socket no
	 * table listed needs no duplicate of its fd to be told not AF_UNIX */
	bool has_family;
	uint16_t family;
	uid_t uid;
	uint32_t rqueue;	/* for a listener: its current backlog */
	uint32_t wqueue;	/* for a listener: its backlog limit */
	uint64_t peer;
	dev_t vfs_dev;
	uint64_t vfs_ino;
	uint64_t *pending;	/* listener: clients not yet accepted */
	size_t npending;
	uint64_t netns;
	/* the sockets whose peer this one is while its own peer is not them:
	 * a bound dgram socket's senders (the link stage) */
	struct ipc_obj **senders;
	size_t nsenders;
	uint64_t listener;	/* has_listener */
	/* the objects those inodes name, resolved by the link stage */
	struct ipc_obj *peer_obj, *listener_obj;
};

/* The state of an object known to be a UNIX socket. */
static inline struct ipc_unix *unix_st(const struct ipc_obj *o)
{
	return o->kdata;
}

/* Its state, or NULL when o is no a UNIX socket. */
static inline struct ipc_unix *unix_of(const struct ipc_obj *o)
{
	return o->type == IPC_UNIX ? o->kdata : NULL;
}

const char *unix_state_name(uint8_t st);
const char *unix_stype_name(uint8_t stype);

#endif
