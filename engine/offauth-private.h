/* offauth-private.h: helpers shared inside the engine, not part of its API.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline guint32
_offauth_get_u32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static inline guint64
_offauth_get_u64 (const guint8 *p)
{
  return (guint64) _offauth_get_u32 (p) | (guint64) _offauth_get_u32 (p + 4) << 32;
}

static inline void
_offauth_put_u32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

static inline void
_offauth_put_u64 (guint8 *p, guint64 v)
{
  _offauth_put_u32 (p, (guint32) v);
  _offauth_put_u32 (p + 4, (guint32) (v >> 32));
}

G_END_DECLS
