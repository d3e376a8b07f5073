/* What the JSON documents of other renderers (watch.c) share with the
 * list's: an object's and a holder's fields exactly as the list writes
 * them, and printing a document. Written through jw.h. */
#ifndef IPCSCOPE_JSON_H
#define IPCSCOPE_JSON_H

#include <stdio.h>

#include "jw.h"
#include "model.h"
#include "render.h"

/* The members of one listed object, into the object w has open. */
void json_object_fields(struct jw *w, const struct model *m, const struct ipc_obj *o,
			const struct render_opts *ro);
void json_holder_fields(struct jw *w, const struct ipc_holder *h);
/* Prints the document w has written, on a line of its own, and frees w;
 * 0, or -1 after a write error. */
int json_print_doc(struct jw *w, FILE *out);

#endif
