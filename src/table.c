/* The aligned table for people: one line per object, every cell already
 * terminal-safe, cut to the terminal's width only when there is one. */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "render.h"

struct cell {
	size_t off, len, width;
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

static void put_cell(FILE *out, const char *s, size_t len, size_t width,
		     size_t colw, unsigned flags, bool last)
{
	size_t pad;

	if (width > colw) {
		/* keep one column for the ellipsis */
		size_t keep = esc_fit(s, len, colw ? colw - 1 : 0);

		fwrite(s, 1, keep, out);
		if (colw)
			fputs(esc_utf8() ? "\u2026" : "~", out);
		width = esc_width(s, keep) + (colw ? 1 : 0);
	} else if (flags & COL_RIGHT) {
		for (pad = colw - width; pad; pad--)
			fputc(' ', out);
		fwrite(s, 1, len, out);
		width = colw;
	} else {
		fwrite(s, 1, len, out);
	}
	if (!last)
		for (pad = colw - width; pad; pad--)
			fputc(' ', out);
}

int table_render(FILE *out, const struct model *m, const struct render_opts *ro)
{
	size_t w[MAX_COLUMNS] = { 0 }, nrows = 0, k;
	struct cell *cells = NULL;
	struct buf arena = { 0 }, tmp = { 0 };
	int rc = 0;

	for (size_t i = 0; i < m->nobjs; i++)
		nrows += !m->objs[i]->hidden;
	cells = xcalloc(nrows ? nrows * ro->ncols : 1, sizeof(*cells));
	for (k = 0; k < ro->ncols; k++)
		w[k] = strlen(columns[ro->cols[k]].name);

	nrows = 0;
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		if (o->hidden)
			continue;
		for (k = 0; k < ro->ncols; k++) {
			struct cell *c = &cells[nrows * ro->ncols + k];

			buf_reset(&tmp);
			columns[ro->cols[k]].fill(&tmp, m, o, ro);
			c->off = arena.len;
			c->len = tmp.len;
			c->width = esc_width(tmp.data ? tmp.data : "", tmp.len);
			buf_add(&arena, tmp.data ? tmp.data : "", tmp.len);
			if (c->width > w[k])
				w[k] = c->width;
		}
		nrows++;
	}
	if (ro->width)
		fit_widths(w, ro);

	if (!ro->noheadings) {
		for (k = 0; k < ro->ncols; k++) {
			const struct column *col = &columns[ro->cols[k]];

			put_cell(out, col->name, strlen(col->name), strlen(col->name), w[k],
				 col->flags & COL_RIGHT, k + 1 == ro->ncols);
			if (k + 1 < ro->ncols)
				fprintf(out, "%*s", COL_GAP, "");
		}
		fputc('\n', out);
	}
	for (size_t r = 0; r < nrows; r++) {
		for (k = 0; k < ro->ncols; k++) {
			const struct cell *c = &cells[r * ro->ncols + k];

			put_cell(out, arena.data + c->off, c->len, c->width, w[k],
				 columns[ro->cols[k]].flags, k + 1 == ro->ncols);
			if (k + 1 < ro->ncols)
				fprintf(out, "%*s", COL_GAP, "");
		}
		if (fputc('\n', out) == EOF) {
			rc = -1;
			break;
		}
	}
	free(cells);
	buf_free(&arena);
	buf_free(&tmp);
	return rc;
}
