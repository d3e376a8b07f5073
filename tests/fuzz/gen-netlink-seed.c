/* Seed maker for fuzz_netlink and fuzz_procnet (not built by run-fuzz.sh).
 *
 *   clang -Wall -Wextra -o /tmp/gen tests/fuzz/gen-netlink-seed.c
 *   unshare -n /tmp/gen DIAG.bin [NETUNIX.txt]
 *
 * Makes UNIX sockets of every kind (stream and datagram pairs with queued
 * bytes, a listener with clients waiting in its backlog, an abstract name
 * holding NUL bytes, a path holding a newline, an unlinked path), then
 * writes the first recv() buffer of a SOCK_DIAG_BY_FAMILY dump with
 * NAME|VFS|PEER|ICONS|RQLEN|UID to DIAG.bin, and /proc/self/net/unix as it
 * is at that moment to NETUNIX.txt. Under unshare -n only these sockets
 * are listed; without it, those of the whole network namespace. */
#define _GNU_SOURCE
#include <err.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int sock(int type)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0)
		err(1, "socket");
	return fd;
}

/* name may hold NUL bytes (abstract); len counts them */
static socklen_t addr(struct sockaddr_un *sa, const char *name, size_t len)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

static int listener(const char *name, size_t len, int nclients)
{
	struct sockaddr_un sa;
	socklen_t sl = addr(&sa, name, len);
	int l = sock(SOCK_STREAM);

	if (bind(l, (struct sockaddr *)&sa, sl) < 0 || listen(l, 8) < 0)
		err(1, "bind/listen");
	for (int i = 0; i < nclients; i++)	/* never accepted: ICONS */
		if (connect(sock(SOCK_STREAM), (struct sockaddr *)&sa, sl) < 0)
			err(1, "connect");
	return l;
}

int main(int argc, char **argv)
{
	static const char abs_name[] = "\0ipcscope\0fuzz";	/* "@ipcscope@fuzz" */
	char dir[] = "/tmp/ipcscope-seed-XXXXXX", path[128];
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} rq;
	struct sockaddr_un sa;
	static char buf[64 * 1024];
	int sp[2], fd;
	ssize_t n;
	FILE *f;

	if (argc < 2)
		errx(2, "usage: %s DIAG.bin [NETUNIX.txt]", argv[0]);
	if (!mkdtemp(dir))
		err(1, "mkdtemp");

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0 || write(sp[0], "hello", 5) != 5)
		err(1, "stream pair");
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) < 0 || write(sp[1], "x", 1) != 1)
		err(1, "dgram pair");
	sock(SOCK_SEQPACKET);					/* unbound */
	listener(abs_name, sizeof(abs_name) - 1, 3);
	snprintf(path, sizeof(path), "%s/new\nline sock", dir);
	listener(path, strlen(path), 1);
	snprintf(path, sizeof(path), "%s/gone", dir);		/* unlinked below */
	listener(path, strlen(path), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dgram", dir);
	fd = sock(SOCK_DGRAM);
	if (bind(fd, (struct sockaddr *)&sa, addr(&sa, path, strlen(path))) < 0 ||
	    connect(sock(SOCK_DGRAM), (struct sockaddr *)&sa, addr(&sa, path, strlen(path))) < 0)
		err(1, "dgram");

	memset(&rq, 0, sizeof(rq));
	rq.nlh.nlmsg_len = sizeof(rq);
	rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rq.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rq.req.sdiag_family = AF_UNIX;
	rq.req.udiag_states = ~0u;
	rq.req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER |
			    UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID;
	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
	if (fd < 0 || send(fd, &rq, sizeof(rq), 0) < 0)
		err(1, "sock_diag");
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0)
		err(1, "recv");
	if (!(f = fopen(argv[1], "wb")) || fwrite(buf, 1, (size_t)n, f) != (size_t)n || fclose(f))
		err(1, "%s", argv[1]);
	if (argc > 2) {
		FILE *in = fopen("/proc/self/net/unix", "rb");
		size_t got;

		if (!in || !(f = fopen(argv[2], "wb")))
			err(1, "%s", argv[2]);
		while ((got = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, got, f);
		if (fclose(f))
			err(1, "%s", argv[2]);
		fclose(in);
	}
	fprintf(stderr, "%s: %zd bytes\n", argv[1], n);
	snprintf(path, sizeof(path), "%s/new\nline sock", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dgram", dir);
	unlink(path);
	return rmdir(dir) != 0;
}
