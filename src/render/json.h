/* What the JSON documents of other renderers (watch.c) share with the
 * list's: an object's and a holder's fields exactly as the list writes
 * them, and printing a document. Written through jw.h. */
#ifndef IPCSCOPE_JSON_H
#define IPCSCOPE_JSON_H

#include <stdio.h>

#include "render/jw.h"
#include "model/model.h"
#include "render/render.h"

/* The members of one holder, into the object w has open. */
void json_holder_fields(struct jw *w, const struct ipc_holder *h);
/* One listed object as a whole document, onto b, dumped in pieces, each
 * holder a small document of its own: memory does not grow with them.
 * The writer's shapes 14 and 15 are its pieces'. 0, or -1. */
int json_object_dump(struct jw *w, const struct model *m, const struct ipc_obj *o,
		     const struct render_opts *ro, struct buf *b);
/* Ends the document w has written and dumps it onto b without its last
 * '}' (open), or without its first '{' (rest): a document around an
 * object dumped in pieces is its open part, ",\"key\":", the object, ","
 * and its rest. 0, or -1. */
int json_doc_open(struct jw *w, struct buf *b);
int json_doc_rest(struct jw *w, struct buf *b);
/* Ends the document w has written and dumps it onto b whole. 0, or -1. */
int json_doc_dump(struct jw *w, struct buf *b);
#define JSON_VERSION 1

/* "warnings": every warning of the scan. */
/* "warnings", and "backend": which walked the processes and why */
void json_warnings(struct jw *w, const struct model *m);
/* One deadlock as ipcscope waits lists it under "cycles" (render/waits.c);
 * watch's deadlock events carry the same. key: NULL in an array. */
void json_cycle(struct jw *w, const char *key, const struct model *m, const struct ipc_cycle *c);
/* Prints the document w has written, on a line of its own, and frees w;
 * 0, or -1 after a write error. */
int json_print_doc(struct jw *w, FILE *out);

#endif
