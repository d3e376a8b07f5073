/* ipcscope metrics: the Prometheus text exposition format. */
#ifndef IPCSCOPE_METRICS_H
#define IPCSCOPE_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "model/model.h"

struct metrics_opts {
	bool per_process;	/* add series per (comm, type) */
	double duration;	/* seconds the scan took */
	const char *version;
};

int metrics_render(FILE *out, const struct model *m, const struct metrics_opts *mo);
/* Writes DIR/ipcscope.prom atomically: a temporary file in DIR, fsync,
 * rename. 0, or -errno. */
int metrics_write_textfile(const char *dir, const struct model *m,
			   const struct metrics_opts *mo);

#endif
