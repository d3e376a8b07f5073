#include "escape.h"

#include <langinfo.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

static bool esc_utf8_term;

void esc_init(void)
{
	const char *cs = nl_langinfo(CODESET);

	esc_utf8_term = cs && strcmp(cs, "UTF-8") == 0;
}

/* Decodes one strict UTF-8 sequence (no overlongs, no surrogates). Returns
 * its length, or 0 if the bytes at s do not start a valid one. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (!n)
			return false;
		i += n;
	}
	return true;
}

void utf8_sanitize(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (!n) {
			buf_add(out, "\xef\xbf\xbd", 3);
			i++;
		} else {
			buf_add(out, s + i, n);
			i += n;
		}
	}
}

/* Code points that are printable per the locale but still change how a
 * terminal shows the line: direction overrides and invisible marks. */
static bool deceptive(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff || cp == 0x061c;
}

/* A byte no output may carry as it is: a control byte, DEL, or one that
 * starts no valid UTF-8 sequence. Returns the width of its escape. */
static size_t esc_byte(struct buf *out, unsigned char ch)
{
	const char *e = NULL;

	switch (ch) {
	case '\n': e = "\\n"; break;
	case '\t': e = "\\t"; break;
	case '\r': e = "\\r"; break;
	case 0x1b: e = "\\e"; break;
	}
	if (e) {
		buf_adds(out, e);
		return 2;
	}
	buf_printf(out, "\\x%02x", ch);
	return 4;
}

/* Printable ASCII as it is, but for the backslash that starts escapes. */
static size_t esc_ascii(struct buf *out, unsigned char ch)
{
	if (ch == '\\') {
		buf_add(out, "\\\\", 2);
		return 2;
	}
	buf_addc(out, (char)ch);
	return 1;
}

void esc_text(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n;

		if (p[i] >= 0x20 && p[i] < 0x7f) {
			esc_ascii(out, p[i++]);
		} else if (p[i] < 0x80 || !(n = utf8_decode(p + i, len - i, &cp))) {
			esc_byte(out, p[i++]);
		} else {
			/* C1 controls are code points a terminal may obey too */
			if (cp < 0xa0 || deceptive(cp))
				buf_printf(out, "\\u{%04x}", (unsigned)cp);
			else
				buf_add(out, s + i, n);
			i += n;
		}
	}
}

size_t esc_table(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0;
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		unsigned char ch = p[i];
		size_t n;

		if (ch >= 0x20 && ch < 0x7f) {
			width += esc_ascii(out, ch);
			i++;
			continue;
		}
		if (ch < 0x80 || !esc_utf8_term || !(n = utf8_decode(p + i, len - i, &cp))) {
			width += esc_byte(out, ch);
			i++;
			continue;
		}
		{
			int w = wcwidth((wchar_t)cp);

			if (w < 0 || !iswprint((wint_t)cp) || deceptive(cp)) {
				size_t before = out->len;

				buf_printf(out, "\\u{%04x}", (unsigned)cp);
				width += out->len - before;
			} else {
				buf_add(out, s + i, n);
				width += (size_t)w;
			}
			i += n;
		}
	}
	return width;
}

bool esc_utf8(void)
{
	return esc_utf8_term;
}

size_t esc_fit(const char *s, size_t len, size_t width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0, i = 0;
	uint32_t cp;

	while (i < len) {
		size_t n = utf8_decode(p + i, len - i, &cp);
		size_t w = 1;

		if (n && cp >= 0x80) {
			int cw = wcwidth((wchar_t)cp);

			w = cw > 0 ? (size_t)cw : 0;
		}
		if (used + w > width)
			break;
		used += w;
		i += n ? n : 1;
	}
	return i;
}

size_t esc_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0;
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (!n || cp < 0x80) {
			width++;
			i += n ? n : 1;
			continue;
		}
		{
			int w = wcwidth((wchar_t)cp);

			width += w > 0 ? (size_t)w : 0;
		}
		i += n;
	}
	return width;
}

void base64_encode(struct buf *out, const unsigned char *s, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		buf_addc(out, tbl[v >> 18]);
		buf_addc(out, tbl[(v >> 12) & 63]);
		buf_addc(out, tbl[(v >> 6) & 63]);
		buf_addc(out, tbl[v & 63]);
	}
	if (i < len) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0);

		buf_addc(out, tbl[v >> 18]);
		buf_addc(out, tbl[(v >> 12) & 63]);
		buf_addc(out, i + 1 < len ? tbl[(v >> 6) & 63] : '=');
		buf_addc(out, '=');
	}
}
