/* ipcscope summary: counts computed from the model. */
#ifndef IPCSCOPE_SUMMARY_H
#define IPCSCOPE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "util.h"

#define SUMMARY_TOP 10

struct summary {
	struct {
		size_t objects, holders;
		uint64_t size, resident;
	} types[IPC_NTYPES];
	struct {
		const struct ipc_proc *proc;
		size_t objects;
	} top[SUMMARY_TOP];
	size_t ntop;
	struct summary_leak {
		size_t objects;
		size_t uncertain;	/* of objects */
		uint64_t size, resident;
	} leaks[LEAK_REASONS_MAX];	/* by kind_leak_index */
	/* the containers whose processes hold the most objects: each object
	 * counts once in every container that holds it (or, held by nobody,
	 * in its home's), with its size */
	struct {
		char id[13];
		size_t objects;
		uint64_t bytes;
	} containers[SUMMARY_TOP];
	size_t ncontainers;
	size_t containers_seen;	/* how many there are, listed or not */
	size_t uncontained;	/* objects in no container */
	uint64_t uncontained_bytes;
	size_t procs, unreadable;
	bool hidden;		/* hidepid, or a pid namespace below the host's */
	const char *incomplete;	/* what the scan could not see, or NULL */
	const char *backend, *backend_why;	/* model.backend's */
};

void summary_compute(const struct model *m, struct summary *s);
int summary_render_text(FILE *out, const struct summary *s, bool bytes);
int summary_render_json(FILE *out, const struct model *m, const struct summary *s);

#endif
