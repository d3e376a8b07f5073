#include "render/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "kinds/kind.h"
#include "util.h"

#define TEXTFILE_NAME "ipcscope.prom"

static void header(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A label value is the name as the table shows it (esc_text: no control
 * byte, no invalid UTF-8, whatever the locale, for the file is read by
 * others and may be printed on a terminal), then with \ and " escaped as
 * the exposition format wants; esc_text leaves no newline to escape. */
static void label_value(FILE *out, const char *s, size_t len)
{
	struct buf b = { 0 };

	esc_text(&b, s, len);
	for (size_t i = 0; i < b.len; i++) {
		char ch = b.data[i];

		if (ch == '\\' || ch == '"')
			fputc('\\', out);
		fputc(ch, out);
	}
	buf_free(&b);
}

static bool is_memory_type(enum ipc_type t)
{
	return kind_has(t, KT_MEMORY);
}

struct comm_type {
	const char *comm;
	enum ipc_type type;
	size_t objects;
};

static int comm_type_cmp(const void *a, const void *b)
{
	const struct comm_type *x = a, *y = b;
	int c = strcmp(x->comm, y->comm);

	return c ? c : (int)x->type - (int)y->type;
}

/* Objects held per (comm, type): bounded by the distinct program names,
 * not by pids, which would make a new series for every process. */
static void per_process(FILE *out, const struct model *m)
{
	struct comm_type *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		if (o->hidden || o->sockfile || (o->on_disk && !o->nholders))
			continue;
		for (size_t k = 0; k < o->nholders; k++) {
			const char *comm = o->holders[k].proc->comm;
			size_t j;

			/* an object counts once for each command name holding it */
			for (j = 0; j < k && strcmp(o->holders[j].proc->comm, comm) != 0; j++)
				;
			if (j < k)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[n++] = (struct comm_type){ o->holders[k].proc->comm, o->type, 1 };
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), comm_type_cmp);
	header(out, "ipcscope_process_objects",
	       "IPC objects held by processes of one command name, by type.");
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && comm_type_cmp(&v[i], &v[j]) == 0)
			j++;
		fputs("ipcscope_process_objects{comm=\"", out);
		label_value(out, v[i].comm, strlen(v[i].comm));
		fprintf(out, "\",type=\"%s\"} %zu\n", ipc_type_name(v[i].type), j - i);
		i = j;
	}
	free(v);
}

struct tally {
	size_t objects[IPC_NTYPES], holders[IPC_NTYPES];
	uint64_t bytes[IPC_NTYPES], resident[IPC_NTYPES];
	/* by kind_leak_index */
	size_t leaked[LEAK_REASONS_MAX], uncertain[LEAK_REASONS_MAX];
	uint64_t leaked_bytes[LEAK_REASONS_MAX];
	uint64_t pipe_max, unix_max;
};

static void tally_one(struct tally *t, const struct ipc_obj *o)
{
	uint64_t q;

	if (o->leak) {
		size_t r = kind_leak_index(o->leak);

		t->leaked[r]++;
		t->uncertain[r] += o->uncertain != NULL;
		if (o->has_size)
			t->leaked_bytes[r] += o->size;
	}
	/* files found on disk are leak candidates, not live objects */
	if (o->sockfile || (o->on_disk && !o->nholders))
		return;
	t->objects[o->type]++;
	t->holders[o->type] += o->nholders;
	if (o->has_size)
		t->bytes[o->type] += o->size;
	if (o->has_resident)
		t->resident[o->type] += o->resident;
	if (kind_of(o)->queued && kind_of(o)->queued(o, &q)) {
		uint64_t *max = kind_has(o->type, KT_PIPELIKE) ? &t->pipe_max
			      : kind_has(o->type, KT_SOCKET) ? &t->unix_max : &q;

		if (q > *max)
			*max = q;
	}
}

/* One series per type; memory only for the kinds that are memory. */
static void per_type(FILE *out, const char *name, const char *help, const uint64_t *v,
		     bool memory)
{
	header(out, name, help);
	for (int t = 0; t < IPC_NTYPES; t++)
		if (!memory || is_memory_type(t))
			fprintf(out, "%s{type=\"%s\"} %llu\n", name, ipc_type_name(t),
				(unsigned long long)v[t]);
}

static void per_reason(FILE *out, const char *name, const char *help, const uint64_t *v)
{
	const struct leak_reason *all[LEAK_REASONS_MAX];
	size_t n = kind_leak_reasons(all);

	header(out, name, help);
	for (size_t r = 0; r < n; r++)
		fprintf(out, "%s{reason=\"%s\"} %llu\n", name, all[r]->name,
			(unsigned long long)v[r]);
}

static void gauge(FILE *out, const char *name, const char *help, unsigned long long v)
{
	header(out, name, help);
	fprintf(out, "%s %llu\n", name, v);
}

static void widen(uint64_t *to, const size_t *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		to[i] = from[i];
}

/* ---- waits ---- */

/* A series per direction, and two for what a set's fd may ask for
 * instead of data or room (enum wait_cond), whatever its direction. */
#define WAIT_KDIRS (WD_OPEN_WRITE + 1)
#define WAIT_DIRS (WAIT_KDIRS + 2)

/* Why a thread waits on an object of type t for d: the kind's word. */
static const char *wait_state_of(enum ipc_type t, int d)
{
	if (d == WAIT_KDIRS)
		return "hangup";
	if (d == WAIT_KDIRS + 1)
		return "no-urgent";
	return ipc_kinds[t]->wait_state ? ipc_kinds[t]->wait_state((enum wait_dir)d) : "waiting";
}

/* The series of a wait. */
static int wait_dir_of(const struct ipc_wait *w)
{
	if (w->cond == WC_HANGUP)
		return WAIT_KDIRS;
	if (w->cond == WC_URGENT)
		return WAIT_KDIRS + 1;
	return w->dir < WAIT_KDIRS ? w->dir : 0;
}

/* Series are (type, state), and a kind may give several directions one
 * state ("waiting"): each direction's series is that of the first with
 * its state. */
static void wait_series(uint8_t canon[IPC_NTYPES][WAIT_DIRS])
{
	for (int t = 0; t < IPC_NTYPES; t++)
		for (int d = 0; d < WAIT_DIRS; d++) {
			int k = 0;

			while (strcmp(wait_state_of(t, d), wait_state_of(t, k)) != 0)
				k++;
			canon[t][d] = (uint8_t)k;
		}
}

/* Threads per series: a thread (its waits are together in m->waits)
 * counts once in each series it has a wait in, whatever the number of
 * objects its poll or epoll watches. */
static void wait_tally(const struct model *m, uint8_t canon[IPC_NTYPES][WAIT_DIRS],
		       size_t n[IPC_NTYPES][WAIT_DIRS])
{
	bool seen[IPC_NTYPES][WAIT_DIRS];

	for (size_t i = 0, j; i < m->nwaits; i = j) {
		memset(seen, 0, sizeof(seen));
		for (j = i; j < m->nwaits && m->waits[j].proc == m->waits[i].proc &&
			    m->waits[j].tid == m->waits[i].tid; j++) {
			const struct ipc_wait *w = &m->waits[j];
			int t = w->obj->type, d = canon[t][wait_dir_of(w)];

			if (w->obj->hidden || seen[t][d])
				continue;
			seen[t][d] = true;
			n[t][d]++;
		}
	}
}

/* The deadlocks through an object the filters keep, as for the waits. */
static size_t visible_cycles(const struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->ncycles; i++)
		for (size_t k = 0; k < m->cycles[i].nobjs; k++)
			if (!m->cycles[i].objs[k]->hidden) {
				n++;
				break;
			}
	return n;
}

/* The series of the states each kind names, 0 or not, and any other
 * ("waiting", and hangup and no-urgent, which a set's fd of any kind may
 * be in) only when some thread is in it. */
static void render_waits(FILE *out, const struct model *m)
{
	uint8_t canon[IPC_NTYPES][WAIT_DIRS];
	size_t n[IPC_NTYPES][WAIT_DIRS] = { { 0 } };

	wait_series(canon);
	wait_tally(m, canon, n);
	header(out, "ipcscope_waiting_threads",
	       "Threads asleep in a system call on an IPC object, by type and why they wait; "
	       "a thread counts once in each series it has a wait in.");
	for (int t = 0; t < IPC_NTYPES; t++)
		for (int d = 0; d < WAIT_DIRS; d++) {
			const char *state = wait_state_of(t, d);

			if (canon[t][d] != d ||
			    (!n[t][d] && (d >= WAIT_KDIRS || !ipc_kinds[t]->wait_state ||
					  !strcmp(state, "waiting"))))
				continue;
			fprintf(out, "ipcscope_waiting_threads{type=\"%s\",state=\"%s\"} %zu\n",
				ipc_type_name(t), state, n[t][d]);
		}
	gauge(out, "ipcscope_deadlock_cycles",
	      "Groups of processes that wait on each other through IPC objects and that "
	      "nothing else can wake.", visible_cycles(m));
	gauge(out, "ipcscope_unreadable_threads",
	      "Sleeping threads whose system call could not be read, so that their waits "
	      "are not counted.", m->stats.threads_unread);
}

static void render_view(FILE *out, const struct model *m)
{
	gauge(out, "ipcscope_unreadable_processes",
	      "Processes whose descriptors or mappings could not be read.", m->stats.denied);
	gauge(out, "ipcscope_hidden_processes",
	      "1 when some processes are hidden from the scan (hidepid, or a pid namespace "
	      "below the host's); how many is unknown.",
	      m->stats.hidden || m->stats.foreign_pidns);
	gauge(out, "ipcscope_view_complete",
	      "1 when every process and network namespace was read, so leak verdicts are "
	      "certain.", !m->view.procs && !m->view.sockets);
}

int metrics_render(FILE *out, const struct model *m, const struct metrics_opts *mo)
{
	struct tally t = { 0 };
	uint64_t v[IPC_NTYPES + LEAK_REASONS_MAX];

	for (size_t i = 0; i < m->nobjs; i++)
		if (!m->objs[i]->hidden)
			tally_one(&t, m->objs[i]);
	widen(v, t.objects, IPC_NTYPES);
	per_type(out, "ipcscope_objects", "IPC objects, by type.", v, false);
	widen(v, t.holders, IPC_NTYPES);
	per_type(out, "ipcscope_holders",
		 "Holder entries (descriptors, and one per process for its mappings), by type.",
		 v, false);
	per_type(out, "ipcscope_shm_bytes", "Size of shared memory objects in bytes, by type.",
		 t.bytes, true);
	per_type(out, "ipcscope_shm_resident_bytes",
		 "Memory really used by shared memory objects in bytes, by type.", t.resident,
		 true);
	widen(v, t.leaked, LEAK_REASONS_MAX);
	per_reason(out, "ipcscope_leaked_objects", "Objects that nobody holds, by reason.", v);
	widen(v, t.uncertain, LEAK_REASONS_MAX);
	per_reason(out, "ipcscope_leaked_uncertain_objects",
		   "Of the leaked objects, those a process or namespace the scan could not "
		   "see may hold, by reason.", v);
	per_reason(out, "ipcscope_leaked_bytes",
		   "Size in bytes of objects that nobody holds, by reason.", t.leaked_bytes);
	gauge(out, "ipcscope_pipe_queued_bytes_max",
	      "Largest number of unread bytes in any pipe or FIFO.", t.pipe_max);
	gauge(out, "ipcscope_unix_queue_bytes_max",
	      "Largest number of unread bytes in the receive queue of any UNIX socket.",
	      t.unix_max);
	render_waits(out, m);
	render_view(out, m);
	header(out, "ipcscope_scan_duration_seconds", "Time the scan took, in seconds.");
	fprintf(out, "ipcscope_scan_duration_seconds %.6f\n", mo->duration);
	header(out, "ipcscope_build_info", "Always 1; the version is a label.");
	fputs("ipcscope_build_info{version=\"", out);
	label_value(out, mo->version, strlen(mo->version));
	fputs("\"} 1\n", out);
	if (mo->per_process)
		per_process(out, m);
	return ferror(out) ? -1 : 0;
}

int metrics_write_textfile(const char *dir, const struct model *m,
			   const struct metrics_opts *mo)
{
	struct buf tmp = { 0 }, final = { 0 };
	FILE *f = NULL;
	int fd, rc = 0;

	buf_printf(&tmp, "%s/.%s.XXXXXX", dir, TEXTFILE_NAME);
	buf_printf(&final, "%s/%s", dir, TEXTFILE_NAME);
	/* the temporary file is in the same directory, so rename is atomic
	 * and the collector never reads a half-written file */
	fd = mkostemp(tmp.data, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	if (metrics_render(f, m, mo) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) {
		rc = errno ? -errno : -EIO;
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0) {
		rc = -errno;
		goto fail;
	}
	if (rename(tmp.data, final.data) < 0) {
		rc = -errno;
		goto fail;
	}
	goto out;
fail:
	unlink(tmp.data);
out:
	buf_free(&tmp);
	buf_free(&final);
	return rc;
}
