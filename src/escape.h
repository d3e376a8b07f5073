/* Untrusted bytes (file names, socket paths, comm) on their way out. */
#ifndef IPCSCOPE_ESCAPE_H
#define IPCSCOPE_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Call once after setlocale(): decides whether valid non-ASCII text may
 * reach the terminal as it is. */
void esc_init(void);
/* Whether the terminal takes UTF-8 (so an ellipsis may be printed). */
bool esc_utf8(void);

/* Length in bytes of the longest prefix of escaped text s that fits in
 * width columns. */
size_t esc_fit(const char *s, size_t len, size_t width);

/* Appends s as one-line, terminal-safe text: \\, \n, \t, \r, \e, \xHH for
 * other control and invalid bytes, \u{HHHH} for invisible or direction-
 * changing code points. Returns its display width. */
size_t esc_table(struct buf *out, const char *s, size_t len);

/* As esc_table(), but the same in every locale, for text that is not only
 * for this terminal (metrics label values): valid UTF-8 stays, but for
 * C0 and C1 controls, DEL and invisible or direction-changing code points. */
void esc_text(struct buf *out, const char *s, size_t len);

/* Display width of text that esc_table() produced. */
size_t esc_width(const char *s, size_t len);

bool utf8_valid(const char *s, size_t len);
/* Copies s, replacing each invalid byte with U+FFFD. */
void utf8_sanitize(struct buf *out, const char *s, size_t len);

/* Base64 of the exact bytes, for the lossless *_base64 JSON fields. */
void base64_encode(struct buf *out, const unsigned char *s, size_t len);

#endif
