/* The aligned table for people: one line per object, every cell already
 * terminal-safe, cut to the terminal's width only when there is one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "par.h"
#include "kinds/kind.h"
#include "render/render.h"

/* 16 bytes: a table of 100k rows has 600k of them */
struct cell {
	uint64_t off : 56;	/* in its part's arena */
	uint64_t part : 8;	/* whose arena holds its text */
	uint32_t len, width;
};

#define COL_GAP 2

static size_t total_width(const size_t *w, size_t n)
{
	size_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += w[i] + (i ? COL_GAP : 0);
	return t;
}

/* Shrinks the truncatable columns, rightmost first, until the line fits. */
static void fit_widths(size_t *w, const struct render_opts *ro)
{
	size_t total = total_width(w, ro->ncols);

	for (size_t k = ro->ncols; k-- > 0 && total > ro->width;) {
		const struct column *col = &columns[ro->cols[k]];
		size_t min = strlen(col->name) > 8 ? strlen(col->name) : 8;
		size_t cut;

		if (!(col->flags & COL_TRUNC) || w[k] <= min)
			continue;
		cut = total - ro->width;
		if (cut > w[k] - min)
			cut = w[k] - min;
		w[k] -= cut;
		total -= cut;
	}
}

/* With no terminal nothing is cut, but one long cell in a column must not
 * pad every other row: a cell wider than OUTLIER_MIN and than
 * OUTLIER_FACTOR times the median of its column's non-empty cells does not
 * widen the column. It is printed whole and shifts only its own row. */
#define OUTLIER_MIN 40
#define OUTLIER_FACTOR 3

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* Column k's widest cell that is no outlier, or its header if wider; w is
 * its widest cell or header, head the header's width. */
static size_t inlier_width(const struct cell *cells, size_t nrows, size_t ncols, size_t k,
			   size_t w, size_t head, size_t *tmp)
{
	size_t n = 0, limit;

	if (w <= OUTLIER_MIN)
		return w;
	for (size_t r = 0; r < nrows; r++)
		if (cells[r * ncols + k].len)
			tmp[n++] = cells[r * ncols + k].width;
	qsort(tmp, n, sizeof(*tmp), size_cmp);
	limit = tmp[(n - 1) / 2] * OUTLIER_FACTOR;
	if (limit < OUTLIER_MIN)
		limit = OUTLIER_MIN;
	while (n > 0 && tmp[n - 1] > limit)
		n--;
	return n > 0 && tmp[n - 1] > head ? tmp[n - 1] : head;
}

/* The last column is not padded, so its outliers matter to no one. */
static void skip_outliers(size_t *w, const struct cell *cells, size_t nrows,
			  const struct render_opts *ro)
{
	size_t *tmp = xcalloc(nrows ? nrows : 1, sizeof(*tmp));

	for (size_t k = 0; k + 1 < ro->ncols; k++)
		w[k] = inlier_width(cells, nrows, ro->ncols, k, w[k],
				    strlen(columns[ro->cols[k]].name), tmp);
	free(tmp);
}

/* n spaces: once per cell of a long table */
static void put_blanks(struct buf *out, size_t n)
{
	static const char blanks[] = "                                "
				     "                                ";
	const size_t max = sizeof(blanks) - 1;	/* not its NUL */

	for (; n > max; n -= max)
		buf_add(out, blanks, max);
	buf_add(out, blanks, n);
}

/* Writes one cell. Padding is not written out but returned, and the caller
 * emits it only before a later non-empty cell, so lines end without blanks. */
static size_t put_cell(struct buf *out, const char *s, size_t len, size_t width,
		       size_t colw, unsigned flags, const char *color, size_t *pending)
{
	if (len == 0)
		return *pending + colw;
	if (width < colw && (flags & COL_RIGHT)) {
		*pending += colw - width;
		width = colw;
	}
	put_blanks(out, *pending);
	*pending = 0;
	if (color)
		buf_adds(out, color);
	if (width > colw) {
		/* keep one column for the ellipsis */
		size_t keep = esc_fit(s, len, colw ? colw - 1 : 0);

		buf_add(out, s, keep);
		if (colw)
			buf_adds(out, esc_utf8() ? "\u2026" : "~");
		width = esc_width(s, keep) + (colw ? 1 : 0);
	} else {
		buf_add(out, s, len);
	}
	if (color)
		buf_adds(out, "\033[0m");
	return colw > width ? colw - width : 0;
}

/* --raw: cells separated by one space, so a space inside one is escaped. */
static void put_raw(struct buf *out, const char *s, size_t len, bool first)
{
	if (!first)
		buf_addc(out, ' ');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ')
			buf_adds(out, "\\x20");
		else
			buf_addc(out, s[i]);
	}
}

/* Every cell, filled once: the widths need them all before any is printed. */
#define GRID_PARTS 2		/* the machine this runs on has 2 CPUs, or more */
#define GRID_SERIAL 4096	/* fewer rows than this: one thread is enough */

/* Each part of the rows, filled on a CPU of its own (par_for), has its own
 * arena and widths, so that the parts share nothing they write. */
struct grid {
	struct cell *cells;
	size_t nrows;
	size_t w[MAX_COLUMNS];
	struct buf arena[GRID_PARTS];
	size_t pw[GRID_PARTS][MAX_COLUMNS];
	const struct model *m;
	const struct render_opts *ro;
	const size_t *vis;	/* the visible objects' indexes */
};

static void part_fill(void *arg, size_t part, size_t from, size_t to)
{
	struct grid *g = arg;
	const struct render_opts *ro = g->ro;
	struct buf tmp = { 0 }, *arena = &g->arena[part];
	size_t *w = g->pw[part];

	for (size_t r = from; r < to; r++) {
		const struct ipc_obj *o = g->m->objs[g->vis[r]];

		for (size_t k = 0; k < ro->ncols; k++) {
			struct cell *c = &g->cells[r * ro->ncols + k];

			buf_reset(&tmp);
			column_fill(ro->cols[k], &tmp, g->m, o, ro);
			c->part = part & 0xff;
			c->off = arena->len;
			c->len = (uint32_t)tmp.len;
			c->width = (uint32_t)esc_width(tmp.data ? tmp.data : "", tmp.len);
			buf_add(arena, tmp.data ? tmp.data : "", tmp.len);
			if (c->width > w[k])
				w[k] = c->width;
		}
	}
	buf_free(&tmp);
}

/* Every cell's text and width: a table of 100k rows takes most of the
 * time of a table listing to fill, so the rows are split between two
 * CPUs when there are that many. */
static void grid_fill(struct grid *g, const struct model *m, const struct render_opts *ro)
{
	size_t n = 0, nparts;
	size_t *vis = xcalloc(m->nobjs + 1, sizeof(*vis));

	for (size_t i = 0; i < m->nobjs; i++)
		if (!m->objs[i]->hidden)
			vis[n++] = i;
	g->nrows = n;
	g->cells = xcalloc(n ? n * ro->ncols : 1, sizeof(*g->cells));
	g->m = m;
	g->ro = ro;
	g->vis = vis;
	for (size_t k = 0; k < ro->ncols; k++)
		g->w[k] = strlen(columns[ro->cols[k]].name);
	nparts = par_threads(n, GRID_SERIAL, GRID_PARTS);
	par_for(n, nparts, part_fill, g);
	for (size_t i = 0; i < GRID_PARTS; i++)
		for (size_t k = 0; k < ro->ncols; k++)
			if (g->pw[i][k] > g->w[k])
				g->w[k] = g->pw[i][k];
	g->vis = NULL;
	free(vis);
}

static void put_header(struct buf *out, const size_t *w, const struct render_opts *ro)
{
	size_t pending = 0;

	for (size_t k = 0; k < ro->ncols; k++) {
		const struct column *col = &columns[ro->cols[k]];
		size_t n = strlen(col->name);

		if (ro->raw)
			put_raw(out, col->name, n, k == 0);
		else
			pending = put_cell(out, col->name, n, n, w[k], col->flags & COL_RIGHT, NULL,
					   &pending) + COL_GAP;
	}
	buf_addc(out, '\n');
}

static void put_row(struct buf *out, const struct grid *g, size_t row, const struct ipc_obj *o,
		   const struct render_opts *ro)
{
	size_t pending = 0;

	for (size_t k = 0; k < ro->ncols; k++) {
		const struct cell *c = &g->cells[row * ro->ncols + k];
		const struct column *col = &columns[ro->cols[k]];
		const char *color = ro->color && col->color ? col->color(o) : NULL;
		/* without a width to fit, an outlier overflows, uncut */
		size_t colw = !ro->width && c->width > g->w[k] ? c->width : g->w[k];
		const char *text = g->arena[c->part].data ? g->arena[c->part].data + c->off : "";

		if (ro->raw)
			put_raw(out, text, c->len, k == 0);
		else
			pending = put_cell(out, text, c->len, c->width, colw,
					   col->flags, color, &pending) + COL_GAP;
	}
	buf_addc(out, '\n');
}

/* The rows go out through a buffer, one stdio call per block rather than
 * several per cell, each of which takes the stream's lock. */
#define TABLE_BLOCK (1 << 16)

static int table_flush(FILE *out, struct buf *b)
{
	int rc = b->len && fwrite(b->data, 1, b->len, out) != b->len ? -1 : 0;

	buf_reset(b);
	return rc;
}

int table_render(FILE *out, const struct model *m, const struct render_opts *ro)
{
	struct grid g = { 0 };
	struct buf b = { 0 };
	size_t row = 0;
	int rc = 0;

	grid_fill(&g, m, ro);
	if (ro->width && !ro->raw)
		fit_widths(g.w, ro);
	else if (!ro->raw)
		skip_outliers(g.w, g.cells, g.nrows, ro);
	if (!ro->noheadings)
		put_header(&b, g.w, ro);
	for (size_t i = 0; i < m->nobjs && rc == 0; i++) {
		if (m->objs[i]->hidden)
			continue;
		put_row(&b, &g, row++, m->objs[i], ro);
		if (b.len >= TABLE_BLOCK)
			rc = table_flush(out, &b);
	}
	if (rc == 0)
		rc = table_flush(out, &b);
	buf_free(&b);
	free(g.cells);
	for (size_t i = 0; i < GRID_PARTS; i++)
		buf_free(&g.arena[i]);
	return rc;
}

void detail_field(FILE *out, const struct model *m, const struct ipc_obj *o,
			 const struct render_opts *ro, const char *label, const char *col,
			 struct buf *tmp)
{
	int id = column_lookup(col);

	buf_reset(tmp);
	if (id >= 0)
		column_fill(id, tmp, m, o, ro);
	if (tmp->len)
		fprintf(out, "  %-9s %s\n", label, tmp->data);
}

void detail_holder(FILE *out, const struct ipc_holder *h, struct buf *tmp)
{
	static const char *const modes[] = { "-", "r", "w", "rw" };

	buf_reset(tmp);
	holder_proc_text(tmp, h->proc);
	fprintf(out, "    %s  ", tmp->data);
	if (h->mapped)
		fprintf(out, "mapped");
	else
		fprintf(out, "fd %d", h->fd);
	buf_reset(tmp);
	esc_table(tmp, h->proc->user, strlen(h->proc->user));
	fprintf(out, "  %s  user %s\n", modes[h->mode & 3], tmp->data);
}

/* show: the namespaces an object lives in; for another one's, its
 * container and the process of it through which it was reached */
static void detail_home(FILE *out, const struct ipc_obj *o, struct buf *tmp)
{
	if (o->ipcns)
		fprintf(out, "  %-9s %llu\n", "ipcns", (unsigned long long)o->ipcns);
	if (o->mntns)
		fprintf(out, "  %-9s %llu\n", "mntns", (unsigned long long)o->mntns);
	if (!o->home)
		return;
	if (o->home->container[0])
		fprintf(out, "  %-9s %s\n", "container", o->home->container);
	buf_reset(tmp);
	holder_proc_text(tmp, o->home);
	fprintf(out, "  %-9s %s (a process of its namespace)\n",
		"via", tmp->data);
}

/* The waits by object, each object's in the order of m->waits: show finds
 * an object's with a binary search, whatever the number of objects. */
static int wait_by_obj(const void *pa, const void *pb)
{
	const struct ipc_wait *a = *(const struct ipc_wait *const *)pa,
			      *b = *(const struct ipc_wait *const *)pb;

	if (a->obj != b->obj)
		return (uintptr_t)a->obj < (uintptr_t)b->obj ? -1 : 1;
	return (a > b) - (a < b);
}

static const struct ipc_wait **waits_by_obj(const struct model *m)
{
	const struct ipc_wait **v = xcalloc(m->nwaits ? m->nwaits : 1, sizeof(*v));

	for (size_t i = 0; i < m->nwaits; i++)
		v[i] = &m->waits[i];
	qsort(v, m->nwaits, sizeof(*v), wait_by_obj);
	return v;
}

/* show: a line per thread asleep on o, "waits     1234/cat thread 1234 in
 * read on fd 0 (empty)" */
static void detail_waits(FILE *out, const struct ipc_wait *const *v, size_t n,
			 const struct ipc_obj *o, struct buf *tmp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)v[mid]->obj < (uintptr_t)o)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && v[lo]->obj == o; lo++) {
		buf_reset(tmp);
		wait_text(tmp, v[lo]);
		fprintf(out, "  %-9s %s\n", "waits", tmp->data);
	}
}

int detail_render(FILE *out, const struct model *m, const struct render_opts *ro)
{
	const struct ipc_wait **waits = waits_by_obj(m);
	struct buf tmp = { 0 };
	bool first = true;

	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		if (o->hidden)
			continue;
		if (!first)
			fputc('\n', out);
		first = false;
		fprintf(out, "%s %llu\n", ipc_type_name(o->type), (unsigned long long)o->ino);
		detail_field(out, m, o, ro, "path", "PATH", &tmp);
		detail_field(out, m, o, ro, "dev", "DEV", &tmp);
		detail_field(out, m, o, ro, "size", "SIZE", &tmp);
		detail_field(out, m, o, ro, "owner", "OWNER", &tmp);
		detail_home(out, o, &tmp);
		if (kind_of(o)->detail)
			kind_of(o)->detail(out, m, o, ro, &tmp);
		fprintf(out, "  %-9s %zu\n", "holders", o->nholders);
		for (size_t k = 0; k < o->nholders; k++)
			detail_holder(out, &o->holders[k], &tmp);
		detail_waits(out, waits, m->nwaits, o, &tmp);
		if (kind_of(o)->detail_peer)
			kind_of(o)->detail_peer(out, m, o, ro, &tmp);
		if (ferror(out))
			break;
	}
	buf_free(&tmp);
	free(waits);
	return ferror(out) ? -1 : 0;
}
