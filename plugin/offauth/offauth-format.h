/* offauth-format.h: durations as the merchant reads them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "3 h 5 min", "2 d 4 h", "40 s"; a negative duration reads as none. */
gchar *offauth_format_duration (gint64 seconds);

G_END_DECLS
