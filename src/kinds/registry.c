/* The table of kinds, built from the one list (kinds.def), and what is
 * asked of all of them at once: names, type lists, and which kind an fd
 * or a mapping is. */
#include <stdlib.h>
#include <string.h>

#include "kinds/kind.h"

/* Both from kinds.def. Only ## touches `name`: gnu11 predefines `unix`
 * as 1, and an argument passed on to another macro would be expanded. */
#define KIND(id, name) extern const struct ipc_kind kind_##name;
#include "kinds/kinds.def"
#undef KIND

const struct ipc_kind *const ipc_kinds[IPC_NTYPES] = {
#define KIND(id, name) [IPC_##id] = &kind_##name,
#include "kinds/kinds.def"
#undef KIND
};

/* Every kind's reason once, by rank; several kinds may share one. Built
 * on first use, as kinds are const. */
size_t kind_leak_reasons(const struct leak_reason *out[LEAK_REASONS_MAX])
{
	size_t n = 0;

	for (int t = 0; t < IPC_NTYPES; t++) {
		const struct leak_reason *r = ipc_kinds[t]->leak_reason;
		size_t i = 0;

		while (r && i < n && out[i] != r)
			i++;
		if (!r || i < n)
			continue;
		if (n == LEAK_REASONS_MAX)
			abort();	/* raise LEAK_REASONS_MAX */
		for (i = n++; i > 0 && out[i - 1]->rank > r->rank; i--)
			out[i] = out[i - 1];
		out[i] = r;
	}
	return n;
}

size_t kind_leak_index(const struct leak_reason *r)
{
	const struct leak_reason *all[LEAK_REASONS_MAX];
	size_t n = kind_leak_reasons(all), i = 0;

	while (i < n && all[i] != r)
		i++;
	return i;
}

const char *ipc_type_name(enum ipc_type t)
{
	return (unsigned)t < IPC_NTYPES ? ipc_kinds[t]->name : "?";
}

int ipc_type_parse(const char *s)
{
	for (int t = 0; t < IPC_NTYPES; t++) {
		const char *const *a = ipc_kinds[t]->aliases;

		if (strcmp(s, ipc_kinds[t]->name) == 0)
			return t;
		for (; a && *a; a++)
			if (strcmp(s, *a) == 0)
				return t;
	}
	return -1;
}

/* "fifo, pipe, unix, ..., all", built once from the registry */
const char *ipc_type_list(void)
{
	static char list[256];

	if (!list[0]) {
		struct buf b = { 0 };

		for (int t = 0; t < IPC_NTYPES; t++)
			buf_printf(&b, "%s, ", ipc_kinds[t]->name);
		buf_adds(&b, "all");
		strncpy(list, b.data, sizeof(list) - 1);
		buf_free(&b);
	}
	return list;
}

/* --type's help: every name with its aliases, two lines under 80 columns */
const char *kind_type_help(void)
{
	static char help[512];

	if (!help[0]) {
		struct buf b = { 0 };
		size_t line = 0;

		buf_adds(&b, "only these types (comma-separated):");
		for (int t = 0; t < IPC_NTYPES; t++) {
			const char *const *a = ipc_kinds[t]->aliases;

			if (b.len - line > 40) {
				buf_adds(&b, "\n");
				line = b.len;
			} else {
				buf_addc(&b, ' ');
			}
			buf_adds(&b, ipc_kinds[t]->name);
			for (size_t i = 0; a && a[i]; i++)
				buf_printf(&b, "%s%s%s", i ? ", " : " (", a[i], a[i + 1] ? "" : ")");
			buf_addc(&b, ',');
		}
		buf_adds(&b, " all");
		strncpy(help, b.data, sizeof(help) - 1);
		buf_free(&b);
	}
	return help;
}

unsigned kind_listing_mask(unsigned listing)
{
	unsigned mask = 0;

	for (int t = 0; t < IPC_NTYPES; t++)
		if (ipc_kinds[t]->listings & listing)
			mask |= IPC_TYPE_BIT(t);
	return mask;
}

unsigned kind_mask(unsigned trait)
{
	unsigned mask = 0;

	for (int t = 0; t < IPC_NTYPES; t++)
		if (ipc_kinds[t]->traits & trait)
			mask |= IPC_TYPE_BIT(t);
	return mask;
}

int kind_classify_fd(const struct fd_facts *f, const struct kind_devs *d)
{
	for (int t = 0; t < IPC_NTYPES; t++) {
		enum kind_match km;

		if (!ipc_kinds[t]->match_fd)
			continue;
		km = ipc_kinds[t]->match_fd(f, d);
		if (km == KM_YES)
			return t;
		if (km == KM_TEXT && !f->text)
			return -2;
	}
	return -1;
}

/* A kind whose maps name is the kernel's own (a SysV segment's) is asked
 * first: a name no file could have wins over any device. */
int kind_classify_map(const struct map_facts *f, const struct kind_devs *d)
{
	for (int pass = 0; pass < 2; pass++)
		for (int t = 0; t < IPC_NTYPES; t++)
			if (ipc_kinds[t]->match_map && ipc_kinds[t]->map_first == !pass &&
			    ipc_kinds[t]->match_map(f, d))
				return t;
	return -1;
}

bool kind_fixture_facts(struct fd_facts *f, const struct kind_devs *d)
{
	for (int t = 0; t < IPC_NTYPES; t++)
		if (ipc_kinds[t]->fixture && ipc_kinds[t]->fixture(f, d))
			return true;
	return false;
}

int kind_classify_disk(const struct fd_facts *f)
{
	for (int t = 0; t < IPC_NTYPES; t++)
		if (ipc_kinds[t]->match_disk && ipc_kinds[t]->match_disk(f))
			return t;
	return -1;
}

int kind_classify_listed(unsigned listing, const char *name, size_t len)
{
	for (int t = 0; t < IPC_NTYPES; t++)
		if (ipc_kinds[t]->finds & listing)
			return name && ipc_kinds[t]->refine ? (int)ipc_kinds[t]->refine(name, len) : t;
	return -1;
}
