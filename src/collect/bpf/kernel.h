/* The few kernel types the iterators read, declared by hand instead of a
 * vmlinux.h dumped from one machine's BTF: with preserve_access_index
 * every access is a CO-RE relocation, which libbpf resolves by name
 * against the BTF of the kernel it loads into, so only the names and the
 * kinds of the fields matter here, not their offsets or neighbours. See
 * the README ("The bpf backend") for why this file is committed. */
#ifndef IPCSCOPE_BPF_KERNEL_H
#define IPCSCOPE_BPF_KERNEL_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#define CORE __attribute__((preserve_access_index))

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} CORE;

struct ns_common {
	unsigned int inum;
} CORE;

struct net {
	struct ns_common ns;
} CORE;

/* a socket file's private_data, and the namespace its socket was made in */
typedef struct {
	struct net *net;
} CORE possible_net_t;

struct sock_common {
	unsigned short skc_family;
	possible_net_t skc_net;
} CORE;

struct sock {
	struct sock_common __sk_common;
} CORE;

struct socket {
	struct sock *sk;
} CORE;

struct ipc_namespace {
	struct ns_common ns;
} CORE;

struct nsproxy {
	struct ipc_namespace *ipc_ns;
	struct net *net_ns;
} CORE;

struct upid {
	int nr;
	void *ns;
} CORE;

struct pid {
	unsigned int level;
	struct upid numbers[1];
} CORE;

/* only compared, never read through */
struct files_struct;
struct mm_struct;

struct task_struct {
	int pid;
	int tgid;
	__u64 start_boottime;
	struct nsproxy *nsproxy;
	struct pid *thread_pid;
	struct task_struct *group_leader;
	struct files_struct *files;
	struct mm_struct *mm;
} CORE;

struct super_block {
	unsigned int s_dev;
	unsigned long s_magic;
} CORE;

struct pipe_buffer {
	void *page;
	unsigned int offset, len;
} CORE;

struct pipe_inode_info {
	unsigned int head;
	unsigned int tail;
	unsigned int max_usage;
	unsigned int ring_size;
	struct pipe_buffer *bufs;
} CORE;

typedef struct {
	unsigned int val;
} kuid_t;

struct inode {
	unsigned short i_mode;
	kuid_t i_uid;
	unsigned int i_nlink;
	struct super_block *i_sb;
	unsigned long i_ino;
	long long i_size;
	unsigned long long i_blocks;
	struct pipe_inode_info *i_pipe;
} CORE;

struct qstr {
	const unsigned char *name;
} CORE;

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
} CORE;

struct vfsmount {
	struct dentry *mnt_root;
} CORE;

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
} CORE;

struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_mode;
	unsigned int f_flags;
	void *private_data;
} CORE;

struct eventfd_ctx {
	__u64 count;
	unsigned int flags;
	int id;
} CORE;

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_flags;
	struct file *vm_file;
} CORE;

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
} CORE;

struct bpf_iter__task_vma {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	struct vm_area_struct *vma;
} CORE;

/* uapi values the programs need (linux/bpf.h's map types) */
#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define BPF_ANY 0
#define BPF_F_NO_PREALLOC (1U << 0)

#endif
