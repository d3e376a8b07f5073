/* The records the BPF iterators write and the bpf backend reads: fixed
 * binary structs, the same bytes on both sides (the BPF target and the
 * host are both little-endian on every architecture this is built for;
 * the loader refuses a mismatch by the magic of the first record). Every
 * record starts with a header whose len covers the record and the bytes
 * after it (a path). Kept in plain C types so that both compilers read it. */
#ifndef IPCSCOPE_BPF_RECORDS_H
#define IPCSCOPE_BPF_RECORDS_H

#define ISC_REC_FD 2
#define ISC_REC_VMA 3

#define ISC_PATH_MAX 4096	/* bpf_d_path's buffer */
#define ISC_DNAME_MAX 32	/* an anonymous inode's name: "[eventfd]" */

/* isc_hdr.flags */
#define ISC_F_PATH 0x01		/* a path follows the record */
#define ISC_F_FILL 0x02		/* queued and capacity hold a pipe's fill */
#define ISC_F_EVENTFD 0x04	/* count, id and semaphore are an eventfd's */
#define ISC_F_DNAME 0x08	/* dname holds an anonymous inode's name */
/* a mapping's file is a pseudo file (memfd, SysV, /dev/zero), whose path
 * is "/" NAME " (deleted)": its dentry's name follows the record */
#define ISC_F_PSEUDO 0x10
/* the record is of a thread other than the leader: its own fd table
 * (unshare(CLONE_FILES)), or any table or mapping once the leader exited.
 * Every thread sharing that table reports it: tid and table tell them
 * apart, and the reader keeps one thread's records per table. */
#define ISC_F_THREAD 0x20
/* sk_family and sk_netns hold a socket's family and the inode of the
 * network namespace it was made in */
#define ISC_F_SOCK 0x40
/* isc_fd.flags: the file's superblock is an mqueue filesystem's, mounted
 * or not (a queue's IPC namespace always has an internal mount) */
#define ISC_F_MQUEUE 0x80

/* isc_vma.flags: the kernel's vm_flags bits that a maps line shows */
#define ISC_VM_READ 0x1
#define ISC_VM_WRITE 0x2
#define ISC_VM_MAYSHARE 0x80	/* maps' "s" */

/* Every record says whose it is. A program may run twice for one fd
 * (bpf_seq_read drops and retries an object that overflowed the buffer),
 * so a record cannot lean on one written before it. */
struct isc_hdr {
	unsigned short len;	/* of the record and what follows it */
	unsigned char type;
	unsigned char flags;
	unsigned int tgid;	/* as the reader's /proc numbers it */
	unsigned long long start_ns;	/* task->start_boottime: pid reuse */
	unsigned int netns, ipcns;	/* 0: the task has no namespaces left */
	unsigned int tid;	/* the thread's, as the reader's /proc does */
	unsigned int pad;
	/* the fd table (task_file) or address space (task_vma) the record
	 * comes from, as an identity to compare, never to read through */
	unsigned long long table;
};

/* One file: the facts a stat of /proc/PID/fd/N gives, and what a kind
 * would otherwise read from fdinfo or through a duplicate of the fd. */
struct isc_fd {
	struct isc_hdr h;
	unsigned int fd;
	unsigned int dev;	/* the kernel's encoding: major << 20 | minor */
	unsigned long long ino;
	unsigned long long size, blocks;
	unsigned int mode;	/* i_mode */
	unsigned int nlink;
	unsigned int uid;
	unsigned int fmode;	/* f_mode: FMODE_READ 1, FMODE_WRITE 2 */
	unsigned int queued, capacity;
	unsigned long long count;	/* eventfd */
	int efd_id;
	unsigned int efd_semaphore;
	char dname[ISC_DNAME_MAX];
	unsigned short pathlen;	/* bytes of path after the record, no NUL */
	unsigned short pad;
	unsigned int fflags;	/* f_flags, as fdinfo's "flags:" (O_NONBLOCK) */
	unsigned int sk_netns;
	unsigned short sk_family;
	unsigned short pad2;
	unsigned int pad3;
};

/* One shared-memory candidate mapping: what a maps line says, and the
 * file's stat that /proc/PID/map_files would need CAP_SYS_ADMIN for. The
 * kernel lets an iterator resolve only the paths of files it was handed
 * (task_file), not of a mapping's file: a pseudo file's name is enough to
 * make its maps path, and any other file is named from user space. */
struct isc_vma {
	struct isc_hdr h;
	unsigned long long start, end;
	unsigned long long flags;	/* vm_flags */
	unsigned int dev;
	unsigned int nlink;
	unsigned long long ino;
	unsigned long long size, blocks;
	unsigned int uid;
	unsigned short namelen;	/* bytes of the name after the record */
	unsigned short pad;
};

#endif
