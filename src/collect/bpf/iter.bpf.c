// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The bpf backend's kernel side: two iterators that only read. task_file
 * visits every (process, fd, file) and task_vma every mapping; each
 * writes binary records (records.h) for what an IPC kind could be, and
 * nothing for the rest (regular files on disk, ttys, ...), which the /proc
 * walk has to stat one by one to skip. Dual-licensed, as the kernel wants
 * of a program that calls its GPL-only helpers (bpf_d_path,
 * bpf_probe_read_kernel), while it is embedded in ipcscope's binary. */
#include "collect/bpf/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "collect/bpf/records.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFIFO 0010000
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define EFD_SEMAPHORE 1
#define MQUEUE_MAGIC 0x19800202
#define PIPE_MAX_BUFS 1024	/* a ring beyond this is left unmeasured */

/* set by the loader before load */
/* how far the reader's pid namespace is below the one of its /proc */
const volatile __u32 pid_depth = 0;
const volatile __u32 page_size = 4096;
const volatile __u32 pipefs_dev = 0;	/* pipes are named by their inode */

/* The devices whose regular files are IPC objects: every mount
 * namespace's /dev/shm and mqueue filesystems (kernel dev_t encoding).
 * Anyone may make a mount namespace with a tmpfs of its own: 256 of them
 * made the backend give up for /proc. Not preallocated, so the room for
 * 65,536 costs only the entries used. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} ipc_devs SEC(".maps");

/* Scratch space too large for the 512-byte stack. */
struct scratch {
	struct isc_fd fd;
	struct isc_vma vma;
	char path[ISC_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* The pid namespace whose numbers the reader's /proc shows: ours, or an
 * ancestor's when /proc was mounted there (unshare --pid without
 * --mount-proc). Its level, and its identity, compared and never read. */
struct pid_view {
	__u32 level;
	__u64 ns;
};

/* The number and namespace of pid at a level its numbers[] has; -1 when
 * they cannot be read. */
static int upid_at(struct pid *pid, __u32 level, __u32 *nr, __u64 *ns)
{
	__u64 at = (__u64)(void *)pid + bpf_core_field_offset(struct pid, numbers) +
		   (__u64)level * bpf_core_type_size(struct upid);
	int n = 0;
	void *p = 0;

	if (bpf_probe_read_kernel(&n, sizeof(n), (void *)(at + bpf_core_field_offset(struct upid, nr))) < 0 ||
	    bpf_probe_read_kernel(&p, sizeof(p), (void *)(at + bpf_core_field_offset(struct upid, ns))) < 0)
		return -1;
	*nr = (__u32)n;
	*ns = (__u64)p;
	return 0;
}

/* The iterator runs in the reader's read(): its task is the reader's.
 * pid_depth levels above the reader's own pid namespace is the one its
 * /proc numbers processes in (user space counts NSpid there). 0 when
 * there is none (a /proc of no ancestor): then nothing is reported. */
static int view_of_reader(struct pid_view *v)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct pid *pid = cur ? cur->thread_pid : 0;
	__u32 nr;

	if (!pid || pid->level < pid_depth)
		return 0;
	v->level = pid->level - pid_depth;
	v->ns = 0;
	/* the initial namespace numbers every task: task->pid, task->tgid */
	return v->level == 0 || upid_at(pid, v->level, &nr, &v->ns) == 0;
}

/* pid's number in the view, or 0 when the view does not see it: a task
 * of an ancestor namespace (too shallow) or of a sibling one (another
 * namespace at that level), as /proc would not list it. */
static __u32 view_nr(const struct pid_view *v, struct pid *pid)
{
	__u64 ns;
	__u32 nr;

	if (!pid || pid->level < v->level)
		return 0;
	if (upid_at(pid, v->level, &nr, &ns) < 0 || ns != v->ns)
		return 0;
	return nr;
}

/* The process's number in the view (of any of its threads: the
 * leader's), and the thread's in *tid; 0 when it has none there. */
static __u32 task_tgid(const struct pid_view *v, struct task_struct *task, __u32 *tid)
{
	struct task_struct *leader = task->group_leader;
	__u32 tgid;

	if (!leader || !leader->thread_pid)
		return 0;
	if (v->level == 0) {
		*tid = (__u32)task->pid;
		return (__u32)task->tgid;
	}
	tgid = view_nr(v, leader->thread_pid);
	/* threads share their leader's namespace */
	*tid = task == leader ? tgid : view_nr(v, task->thread_pid);
	return tgid;
}

/* Does a thread other than the leader report what the leader's /proc
 * directory does not show? task_file visits such a thread only when its
 * fd table is not the leader's: its own, or any once the leader exited
 * (the leader's is then NULL). Its mappings are the leader's, unless the
 * leader exited (its mm is then NULL). */
static int thread_reports(struct task_struct *task, int vma)
{
	struct task_struct *leader = task->group_leader;

	if (!leader || task == leader)
		return 1;
	return vma ? !leader->mm : task->files != leader->files;
}

/* Direct loads through the typed pointers the iterators hand over (the
 * verifier makes them fault-safe), not bpf_probe_read calls: most of the
 * program's time per fd. */
static void fill_hdr(struct isc_hdr *h, struct task_struct *task, __u32 tgid, __u32 tid,
		     __u8 type)
{
	struct nsproxy *ns = task->nsproxy;
	struct task_struct *leader = task->group_leader;

	h->type = type;
	h->tgid = tgid;
	/* the process's start, as /proc/PID/stat gives it: the leader's */
	h->start_ns = leader ? leader->start_boottime : task->start_boottime;
	h->tid = tid;
	h->table = type == ISC_REC_VMA ? (__u64)(void *)task->mm : (__u64)(void *)task->files;
	if (leader && leader != task)
		h->flags |= ISC_F_THREAD;
	if (ns) {
		h->netns = ns->net_ns->ns.inum;
		h->ipcns = ns->ipc_ns->ns.inum;
	}
}

struct fill_ctx {
	__u64 bufs;		/* the ring, as an address */
	__u32 tail, mask, size, sum;
	int bad;
};

static long fill_one(__u32 i, void *arg)
{
	struct fill_ctx *f = arg;
	__u64 addr = f->bufs + (__u64)((f->tail + i) & f->mask) * f->size +
		     bpf_core_field_offset(struct pipe_buffer, len);
	__u32 len = 0;

	if (bpf_probe_read_kernel(&len, sizeof(len), (void *)addr) < 0) {
		f->bad = 1;
		return 1;
	}
	f->sum += len;
	return 0;
}

/* What FIONREAD and F_GETPIPE_SZ would say, without the pipe's lock: a
 * snapshot that a writer may move while it is taken. bpf_loop, not a
 * loop, so that the verifier checks one step and not every unrolled one
 * (that took it 25 ms on each load). */
static void pipe_fill(struct isc_fd *r, struct inode *inode)
{
	struct pipe_inode_info *pipe = inode->i_pipe;
	struct fill_ctx f = { 0 };
	__u32 head;

	if (!pipe)
		return;
	head = pipe->head;
	f.tail = pipe->tail;
	f.mask = pipe->ring_size - 1;
	/* read, not loaded: the callback does arithmetic on it, which the
	 * verifier allows on a number and not on a typed pointer */
	f.bufs = (__u64)(void *)BPF_CORE_READ(pipe, bufs);
	f.size = bpf_core_type_size(struct pipe_buffer);
	if (head - f.tail > PIPE_MAX_BUFS)
		return;
	bpf_loop(head - f.tail, fill_one, &f, 0);
	if (f.bad)
		return;
	r->queued = f.sum;
	r->capacity = pipe->max_usage * page_size;
	r->h.flags |= ISC_F_FILL;
}

static void eventfd_facts(struct isc_fd *r, struct file *file)
{
	struct eventfd_ctx *ctx = BPF_CORE_READ(file, private_data);

	if (!ctx)
		return;
	r->count = BPF_CORE_READ(ctx, count);
	r->efd_id = BPF_CORE_READ(ctx, id);
	r->efd_semaphore = (BPF_CORE_READ(ctx, flags) & EFD_SEMAPHORE) != 0;
	r->h.flags |= ISC_F_EVENTFD;
}

/* What SO_DOMAIN and SIOCGSKNS would say of a socket's file: its family,
 * and its network namespace, which need not be its holder's */
static void sock_facts(struct isc_fd *r, struct file *file)
{
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk;

	if (!sock)
		return;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	r->sk_family = BPF_CORE_READ(sk, __sk_common.skc_family);
	r->sk_netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	r->h.flags |= ISC_F_SOCK;
}

static int is_eventfd(const char *name)
{
	static const char want[] = "[eventfd]";

	for (int i = 0; i < (int)sizeof(want); i++)
		if (name[i] != want[i])
			return 0;
	return 1;
}

/* Which files are worth a record: every FIFO, socket and anonymous
 * inode, and the regular files of the IPC filesystems or with no link
 * left (memfds, and deleted files a kind may name). */
static int file_wanted(__u32 fmt, __u32 dev, __u32 nlink, int mq)
{
	if (fmt == S_IFIFO || fmt == S_IFSOCK || fmt == 0)
		return 1;
	if (fmt != S_IFREG)
		return 0;
	return nlink == 0 || mq || bpf_map_lookup_elem(&ipc_devs, &dev) != 0;
}

/* The path as readlink of /proc/PID/fd/N would give it, written after
 * the record; 0 when there is none. */
static __u16 file_path(struct file *file, char *buf)
{
	long n = bpf_d_path(&file->f_path, buf, ISC_PATH_MAX);

	if (n <= 1)
		return 0;
	return (__u16)((n - 1) & (ISC_PATH_MAX - 1));
}

SEC("iter/task_file")
int ipc_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct scratch *s;
	struct inode *inode;
	struct isc_fd *r;
	struct pid_view v;
	__u32 key = 0, tgid, tid = 0, fmt, dev, nlink;
	int mq;

	if (!task || !file || !view_of_reader(&v))
		return 0;
	tgid = task_tgid(&v, task, &tid);
	if (!tgid || !thread_reports(task, 0))
		return 0;
	inode = file->f_inode;
	if (!inode)
		return 0;
	fmt = inode->i_mode & S_IFMT;
	dev = inode->i_sb->s_dev;
	nlink = inode->i_nlink;
	/* a queue where no mqueue fs is mounted: its device is in no map */
	mq = fmt == S_IFREG && inode->i_sb->s_magic == MQUEUE_MAGIC;
	if (!file_wanted(fmt, dev, nlink, mq))
		return 0;
	s = bpf_map_lookup_elem(&scratch_map, &key);
	if (!s)
		return 0;
	r = &s->fd;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, task, tgid, tid, ISC_REC_FD);
	r->fd = ctx->fd;
	r->dev = dev;
	r->ino = inode->i_ino;
	r->mode = inode->i_mode;
	r->nlink = nlink;
	r->uid = inode->i_uid.val;
	r->size = inode->i_size;
	r->blocks = inode->i_blocks;
	r->fmode = file->f_mode;
	r->fflags = file->f_flags;
	if (mq)
		r->h.flags |= ISC_F_MQUEUE;
	if (fmt == S_IFIFO)
		pipe_fill(r, inode);
	if (fmt == S_IFSOCK)
		sock_facts(r, file);
	if (fmt == 0) {
		const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);

		if (bpf_probe_read_kernel_str(r->dname, sizeof(r->dname), name) > 0) {
			r->h.flags |= ISC_F_DNAME;
			if (is_eventfd(r->dname))
				eventfd_facts(r, file);
		}
	}
	/* a name only where a kind names its objects; pipes and sockets
	 * are named by their inode */
	if ((fmt == S_IFIFO && dev != pipefs_dev) || fmt == S_IFREG)
		r->pathlen = file_path(file, s->path);
	if (r->pathlen)
		r->h.flags |= ISC_F_PATH;
	r->h.len = sizeof(*r) + r->pathlen;
	bpf_seq_write(seq, r, sizeof(*r));
	if (r->pathlen)
		bpf_seq_write(seq, s->path, r->pathlen & (ISC_PATH_MAX - 1));
	return 0;
}

/* A file made without a directory entry (alloc_file_pseudo): its dentry
 * is its own parent without being the root of its mount. */
static int is_pseudo(struct file *file)
{
	struct dentry *d = file->f_path.dentry;

	return d && d->d_parent == d && file->f_path.mnt->mnt_root != d;
}

SEC("iter/task_vma")
int ipc_maps(struct bpf_iter__task_vma *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct file *file;
	struct inode *inode;
	struct scratch *s;
	struct isc_vma *r;
	struct pid_view v;
	__u32 key = 0, tgid, tid = 0, dev, nlink;

	if (!task || !vma)
		return 0;
	/* untrusted for bpf_d_path (6.x), but loads through it are safe */
	file = vma->vm_file;
	if (!file)
		return 0;
	if (!view_of_reader(&v))
		return 0;
	tgid = task_tgid(&v, task, &tid);
	if (!tgid || !thread_reports(task, 1))
		return 0;
	inode = file->f_inode;
	if (!inode)
		return 0;
	dev = inode->i_sb->s_dev;
	nlink = inode->i_nlink;
	if (nlink != 0 && !bpf_map_lookup_elem(&ipc_devs, &dev))
		return 0;
	s = bpf_map_lookup_elem(&scratch_map, &key);
	if (!s)
		return 0;
	r = &s->vma;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, task, tgid, tid, ISC_REC_VMA);
	r->start = vma->vm_start;
	r->end = vma->vm_end;
	r->flags = vma->vm_flags;
	r->dev = dev;
	r->nlink = nlink;
	r->ino = inode->i_ino;
	r->size = inode->i_size;
	r->blocks = inode->i_blocks;
	r->uid = inode->i_uid.val;
	if (is_pseudo(file)) {
		const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
		long n = bpf_probe_read_kernel_str(s->path, 256, name);

		if (n > 1) {
			r->namelen = (__u16)((n - 1) & 255);
			r->h.flags |= ISC_F_PSEUDO;
		}
	}
	r->h.len = sizeof(*r) + r->namelen;
	bpf_seq_write(seq, r, sizeof(*r));
	if (r->namelen)
		bpf_seq_write(seq, s->path, r->namelen & 255);
	return 0;
}
