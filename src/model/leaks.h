/* What nobody holds: the link stage for `leaks` and `clean`. */
#ifndef IPCSCOPE_LEAKS_H
#define IPCSCOPE_LEAKS_H

#include <stdint.h>
#include <time.h>

#include "model/model.h"

struct leak_totals {
	size_t objects;
	size_t uncertain;	/* of objects: what the scan could not rule out */
	uint64_t size;
	uint64_t resident;
};

/* Sets o->leak on every object that nobody holds. */
void leaks_classify(struct model *m);
/* Says which verdicts are uncertain, and why. */
void leaks_warn(struct model *m);
/* Hides what is not a leak, or was used less than older_than seconds ago
 * (0: no age limit). */
void leaks_filter(struct model *m, int64_t older_than, time_t now);
void leaks_totals(const struct model *m, struct leak_totals *t);
/* Seconds since the object was last modified or used; -1 if unknown. */
int64_t leak_age(const struct ipc_obj *o, time_t now);
/* "10m", "2h", "1d", "90" (seconds); -1 if malformed. */
int64_t parse_duration(const char *s);
void format_age(char *out, size_t outsz, int64_t secs);

#endif
