/* ipcscope clean: removes leaked objects, each re-checked first. */
#ifndef IPCSCOPE_CLEAN_H
#define IPCSCOPE_CLEAN_H

#include <stdbool.h>
#include <stdio.h>

#include "model/model.h"

struct clean_counts {
	size_t removed, skipped, failed, planned;
};

/* planned: the visible leaks of the first scan. fresh: a scan made just
 * before acting, or NULL for a dry run. Prints one line per object. */
void clean_run(FILE *out, const struct model *planned, const struct model *fresh,
	       struct clean_counts *n);

#endif
