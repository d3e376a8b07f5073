/* The JSON writer of jw.h: a Jansson tree kept between documents, whose
 * keys are checked against the calls and whose leaves are overwritten. */
#include "render/jw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "util.h"

#define JW_SHAPES 16
#define JW_DEPTH 16		/* a watch event needs 5 levels */

struct jw_node;

/* A key of an object, or an element of an array, as last written. */
struct jw_slot {
	const char *key;	/* NULL in an array */
	void *iter;		/* its pair in the object: set without hashing */
	json_t *val;		/* borrowed: what the container holds there */
	json_t *num, *str;	/* owned leaves, changed in place */
	const char *text;	/* str's bytes and length, compared without */
	size_t len;		/* a call into Jansson */
	struct jw_node *sub;	/* owned: the object or array last written there */
	/* jw_dump's text of the member: "KEY": (klen bytes, made once), then
	 * a leaf value's, Jansson's, kept while the value stays the same:
	 * most leaves of a list's objects do */
	struct buf dump;
	size_t klen;
	bool dumped;
};

/* An object or array of the tree, with its slots in output order. */
struct jw_node {
	json_t *j;
	bool array;
	struct jw_slot *slot;
	size_t n, cap;		/* an array keeps slots past its end as a pool */
	size_t pos;		/* the next slot to write */
};

/* "KEY_base64", made once per KEY so that its pointer is stable too */
struct jw_key64 {
	const char *key;
	char *k64;
};

struct jw {
	struct jw_node root[JW_SHAPES];
	struct jw_node *stack[JW_DEPTH];
	int depth;		/* -1 between documents */
	struct buf tmp;
	struct jw_key64 *k64;
	size_t nk64;
};

/* Unbalanced or misplaced calls are bugs in the schema code. */
static void jw_bug(const char *what)
{
	fprintf(stderr, "ipcscope: internal error: JSON writer: %s\n", what);
	abort();
}

struct jw *jw_new(void)
{
	struct jw *w = xcalloc(1, sizeof(*w));

	w->depth = -1;
	return w;
}

static void node_free(struct jw_node *n);

static void slot_free(struct jw_slot *s)
{
	buf_free(&s->dump);
	json_decref(s->num);
	json_decref(s->str);
	if (s->sub) {
		node_free(s->sub);
		free(s->sub);
	}
}

static void node_free(struct jw_node *n)
{
	for (size_t i = 0; i < n->n; i++)
		slot_free(&n->slot[i]);
	free(n->slot);
	json_decref(n->j);
}

void jw_free(struct jw *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < JW_SHAPES; i++)
		node_free(&w->root[i]);
	for (size_t i = 0; i < w->nk64; i++)
		free(w->k64[i].k64);
	free(w->k64);
	buf_free(&w->tmp);
	free(w);
}

/* Drops an object's keys from slot from on: their order is no longer the
 * one being written. */
static void node_truncate(struct jw_node *n, size_t from)
{
	for (size_t i = from; i < n->n; i++) {
		json_object_del(n->j, n->slot[i].key);
		slot_free(&n->slot[i]);
	}
	if (from < n->n)
		n->n = from;
}

static struct jw_slot *slot_add(struct jw_node *n, const char *key)
{
	struct jw_slot *s;

	if (n->n == n->cap) {
		n->cap = n->cap ? 2 * n->cap : 8;
		n->slot = xreallocarray(n->slot, n->cap, sizeof(*n->slot));
	}
	s = &n->slot[n->n++];
	memset(s, 0, sizeof(*s));
	s->key = key;
	if (key) {
		json_object_set_new_nocheck(n->j, key, json_null());
		s->iter = json_object_iter_at(n->j, key);
		s->val = json_null();
	}
	return s;
}

/* The slot the next value goes to: last time's when the key is the same
 * (in an array, any element), else a new one at the end. */
static inline struct jw_slot *jw_next(struct jw *w, const char *key)
{
	struct jw_node *n;

	if (w->depth < 0)
		jw_bug("a value outside a document");
	n = w->stack[w->depth];
	if (!key != n->array)
		jw_bug(key ? "a key in an array" : "no key in an object");
	if (n->pos < n->n && (!key || n->slot[n->pos].key == key))
		return &n->slot[n->pos++];
	if (key)
		node_truncate(n, n->pos);
	n->pos++;
	return slot_add(n, key);
}

/* Makes v the value at s in the current container. The value there now
 * is still held by it, so a pointer that matches is the same node. */
static inline void jw_put(struct jw *w, struct jw_slot *s, json_t *v)
{
	struct jw_node *n = w->stack[w->depth];
	size_t i;

	if (s->val == v)
		return;
	s->val = v;
	s->dumped = false;
	if (s->key) {
		json_object_iter_set(n->j, s->iter, v);
		return;
	}
	i = (size_t)(s - n->slot);
	if (i < json_array_size(n->j))
		json_array_set(n->j, i, v);
	else
		json_array_append(n->j, v);
}

void jw_begin(struct jw *w, unsigned shape)
{
	struct jw_node *r = &w->root[shape % JW_SHAPES];

	if (w->depth >= 0)
		jw_bug("a document inside a document");
	if (!r->j)
		r->j = json_object();
	r->pos = 0;
	w->stack[w->depth = 0] = r;
}

json_t *jw_end(struct jw *w)
{
	struct jw_node *r;

	if (w->depth != 0)
		jw_bug("an object or array left open");
	r = w->stack[0];
	node_truncate(r, r->pos);
	w->depth = -1;
	return r->j;
}

static void jw_open(struct jw *w, const char *key, bool array)
{
	struct jw_slot *s = jw_next(w, key);
	struct jw_node *n = s->sub;

	if (n && n->array != array) {
		/* its tree lives on in the container until jw_put replaces it,
		 * so the new one cannot take its address and fool jw_put */
		node_free(n);
		free(n);
		n = s->sub = NULL;
	}
	if (!n) {
		n = s->sub = xcalloc(1, sizeof(*n));
		n->j = array ? json_array() : json_object();
		n->array = array;
	}
	jw_put(w, s, n->j);
	n->pos = 0;
	if (w->depth + 1 >= JW_DEPTH)
		jw_bug("nested too deep");
	w->stack[++w->depth] = n;
}

static struct jw_node *jw_close(struct jw *w, bool array)
{
	if (w->depth < 1 || w->stack[w->depth]->array != array)
		jw_bug(array ? "an array end without its start" : "an object end without its start");
	return w->stack[w->depth--];
}

void jw_obj_begin(struct jw *w, const char *key)
{
	jw_open(w, key, false);
}

void jw_obj_end(struct jw *w)
{
	struct jw_node *n = jw_close(w, false);

	node_truncate(n, n->pos);
}

void jw_arr_begin(struct jw *w, const char *key)
{
	jw_open(w, key, true);
}

/* The elements past the end leave the array but stay in the pool. */
void jw_arr_end(struct jw *w)
{
	struct jw_node *n = jw_close(w, true);
	size_t len = json_array_size(n->j);

	while (len > n->pos) {
		json_array_remove(n->j, --len);
		n->slot[len].val = NULL;
	}
}

void jw_null(struct jw *w, const char *key)
{
	jw_put(w, jw_next(w, key), json_null());
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_put(w, jw_next(w, key), json_boolean(v));
}

void jw_int(struct jw *w, const char *key, int64_t v)
{
	struct jw_slot *s = jw_next(w, key);

	if (!s->num) {
		s->num = json_integer((json_int_t)v);
	} else if (json_integer_value(s->num) != (json_int_t)v) {
		json_integer_set(s->num, (json_int_t)v);
		s->dumped = false;
	}
	jw_put(w, s, s->num);
}

void jw_int_or_null(struct jw *w, const char *key, bool has, int64_t v)
{
	if (has)
		jw_int(w, key, v);
	else
		jw_null(w, key);
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_int(w, key, (int64_t)v);
}

void jw_u64_or_null(struct jw *w, const char *key, bool has, uint64_t v)
{
	jw_int_or_null(w, key, has, (int64_t)v);
}

/* p: valid UTF-8 */
static void slot_text(struct jw *w, struct jw_slot *s, const char *p, size_t len)
{
	if (!s->str)
		s->str = json_stringn_nocheck(p, len);
	else
		json_string_setn_nocheck(s->str, p, len);
	s->dumped = false;
	s->text = json_string_value(s->str);
	s->len = json_string_length(s->str);	/* unchanged if Jansson ran out */
	jw_put(w, s, s->str);
}

/* Most strings compared are short names: inline, they cost less than the
 * calls to memcmp did in the list's profile. */
static inline bool same_text(const char *a, const char *b, size_t len)
{
	if (len > 16)
		return memcmp(a, b, len) == 0;
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Writes p, U+FFFD for each byte that is not UTF-8; false when any was
 * not. Most strings are what the slot holds already (a process name, a
 * user, a type), which then needs neither a check nor a copy. */
static bool jw_text(struct jw *w, const char *key, const char *p, size_t len)
{
	struct jw_slot *s = jw_next(w, key);

	if (s->str && s->len == len && same_text(s->text, p, len)) {
		jw_put(w, s, s->str);	/* it holds only UTF-8, so p is */
		return true;
	}
	if (utf8_valid(p, len)) {
		slot_text(w, s, p, len);
		return true;
	}
	buf_reset(&w->tmp);
	utf8_sanitize(&w->tmp, p, len);
	slot_text(w, s, w->tmp.data, w->tmp.len);
	return false;
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	if (s)
		jw_text(w, key, s, strlen(s));
	else
		jw_null(w, key);
}

static const char *jw_key64(struct jw *w, const char *key)
{
	struct jw_key64 *k;
	size_t len = strlen(key) + sizeof("_base64");

	for (size_t i = 0; i < w->nk64; i++)
		if (w->k64[i].key == key)
			return w->k64[i].k64;
	w->k64 = xreallocarray(w->k64, w->nk64 + 1, sizeof(*w->k64));
	k = &w->k64[w->nk64++];
	k->key = key;
	k->k64 = xmalloc(len);
	snprintf(k->k64, len, "%s_base64", key);
	return k->k64;
}

void jw_bytes(struct jw *w, const char *key, const char *p, size_t len)
{
	const char *k64;

	if (!p) {
		jw_null(w, key);
		return;
	}
	/* an array element has no key to put a _base64 sibling beside: it
	 * keeps the sanitized text, and the exact bytes are a keyed
	 * member's elsewhere (a holder's "cgroup_base64") */
	if (jw_text(w, key, p, len) || !key)
		return;
	k64 = jw_key64(w, key);
	buf_reset(&w->tmp);
	base64_encode(&w->tmp, (const unsigned char *)p, len);
	slot_text(w, jw_next(w, k64), w->tmp.data ? w->tmp.data : "", w->tmp.len);
}

/* ---- jw_dump ---- */

/* Appends to b: inline, since a document is mostly pieces of a few bytes */
static inline void put(struct buf *b, const char *p, size_t n)
{
	/* an element has no key: nothing, from a buffer never made */
	if (!n)
		return;
	if (b->cap - b->len <= n)
		buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void putc1(struct buf *b, char c)
{
	if (b->cap - b->len <= 1)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
}

/* Jansson's output, piece by piece */
static int dump_cb(const char *p, size_t size, void *data)
{
	put(data, p, size);
	return 0;
}

static int dump_leaf(json_t *v, struct buf *b)
{
	return json_dump_callback(v, dump_cb, b, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
}

/* A member's key as Jansson writes a key, then the colon of JSON_COMPACT,
 * made once: the slot's text starts with it. */
static int slot_key(struct jw_slot *s)
{
	json_t *k = json_string(s->key);
	int rc = k ? dump_leaf(k, &s->dump) : -1;

	json_decref(k);
	if (rc < 0) {
		buf_reset(&s->dump);
		return -1;
	}
	putc1(&s->dump, ':');
	s->klen = s->dump.len;
	return 0;
}

static int node_dump(const struct jw_node *n, struct buf *b);

/* The member or element at s: its key, kept, then its container's text or
 * its leaf's, dumped again only when the leaf changed. */
static int slot_dump(struct jw_slot *s, struct buf *b)
{
	if (s->key && !s->klen && slot_key(s) < 0)
		return -1;
	if (s->sub && s->val == s->sub->j) {
		put(b, s->dump.data, s->klen);
		return node_dump(s->sub, b);
	}
	if (!s->dumped) {
		s->dump.len = s->klen;
		if (dump_leaf(s->val, &s->dump) < 0)
			return -1;
		s->dumped = true;
	}
	put(b, s->dump.data, s->dump.len);
	return 0;
}

/* Jansson's JSON_COMPACT layout: no space, members in the object's order
 * (which is the slots'), "," between and ":" after a key. */
static int node_dump(const struct jw_node *n, struct buf *b)
{
	size_t count = n->array ? json_array_size(n->j) : n->n;

	putc1(b, n->array ? '[' : '{');
	for (size_t i = 0; i < count; i++) {
		if (i)
			putc1(b, ',');
		if (slot_dump(&n->slot[i], b) < 0)
			return -1;
	}
	putc1(b, n->array ? ']' : '}');
	return 0;
}

int jw_dump(struct jw *w, struct buf *b)
{
	if (w->depth != -1 || !w->stack[0])
		jw_bug("a dump of no ended document");
	return node_dump(w->stack[0], b);
}
