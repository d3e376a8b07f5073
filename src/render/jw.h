/* A JSON writer on top of Jansson, so that a schema is written once, as a
 * sequence of calls in output order, for one object or a million.
 *
 * A writer keeps the tree it built between documents. When the next
 * document writes the same keys in the same order, which is what a list of
 * objects of a few shapes does, only the leaves change: numbers and
 * strings are overwritten in place and nothing is hashed or allocated
 * (except a string whose bytes changed). Where a key differs from last
 * time, the rest of that object is dropped and rebuilt, which is no worse
 * than building it afresh; the output never depends on what was cached.
 *
 * Keys must outlive the writer, and one field should always be written
 * with the same pointer (a string literal at one call site): the shape is
 * checked by comparing pointers. A NULL key writes an array element. A
 * writer belongs to one thread. */
#ifndef IPCSCOPE_JW_H
#define IPCSCOPE_JW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct jw;

struct jw *jw_new(void);
void jw_free(struct jw *w);

/* Starts a document, an object. shape picks one of the trees the writer
 * keeps: documents given the same number should tend to have the same keys
 * (a list passes the object's type); only speed depends on it. */
void jw_begin(struct jw *w, unsigned shape);
/* Ends the document: the tree, owned by w and valid until jw_begin. */
json_t *jw_end(struct jw *w);

/* Appends the document jw_end ended to b, as json_dump_callback() would
 * with JSON_COMPACT | JSON_ENSURE_ASCII, byte for byte: every key and
 * every value is Jansson's text, but a leaf is dumped again only when it
 * changed since the last document of its shape, which in a list few do.
 * 0, or -1 when Jansson fails. */
int jw_dump(struct jw *w, struct buf *b);

void jw_obj_begin(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);

void jw_null(struct jw *w, const char *key);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_int(struct jw *w, const char *key, int64_t v);
void jw_int_or_null(struct jw *w, const char *key, bool has, int64_t v);
/* Written as a signed 64-bit integer, as Jansson holds it. */
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_u64_or_null(struct jw *w, const char *key, bool has, uint64_t v);
/* Text: a NUL-terminated string, null for NULL; any bytes that are not
 * UTF-8 become U+FFFD. */
void jw_str(struct jw *w, const char *key, const char *s);
/* Names, which are bytes: as jw_str, but when they are not valid UTF-8
 * KEY_base64 follows KEY with the exact bytes in base64 (not for an array
 * element, which has no key: it keeps the U+FFFD text). NULL is null. */
void jw_bytes(struct jw *w, const char *key, const char *p, size_t len);

#endif
