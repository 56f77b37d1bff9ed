/* offauth-wire-private.h: the checks the wire files share (offauth-wire.c defines them).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gboolean (*ParseFunc) (void *out, const guint8 *data, gsize len, GError **error);

#define all_zero     _offauth_wire_all_zero
#define malformed    _offauth_wire_malformed
#define check_header _offauth_wire_check_header
#define write_header _offauth_wire_write_header
#define parse_text   _offauth_wire_parse_text

/* TRUE when len bytes at p are all zero (in constant time). */
gboolean all_zero     (const guint8 *p,
                       gsize         len);
/* Sets an OFFAUTH_ERROR_MALFORMED error; returns FALSE. */
gboolean malformed    (GError      **error,
                       const char   *format,
                       ...) G_GNUC_PRINTF (2, 3);
/* Magic "OA1" + type, version 1, reserved zero bytes, at least min_len bytes. */
gboolean check_header (const guint8 *data,
                       gsize         len,
                       gsize         min_len,
                       char          type,
                       gsize         reserved,
                       const char   *what,
                       GError      **error);
/* Zeroes a message and writes its magic and version. */
void     write_header (guint8       *d,
                       gsize         len,
                       char          type);
/* Decodes a text form of the given type and parses the binary with parse. */
gboolean parse_text   (void         *out,
                       const char   *text,
                       gssize        text_len,
                       char          type,
                       ParseFunc     parse,
                       GError      **error);

G_END_DECLS
