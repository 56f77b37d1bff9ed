/* offauth-pill-text.h: what the status pill says, and in which colour, from the terminal's
 * status and the uploader's state (GLib only, so that tests read it without a window).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth-uploader.h"

G_BEGIN_DECLS

/* "Online · nothing waiting", "Online · 12 waiting", "Uploading · 37",
 * "Offline · 12 waiting · €84.50", "Paused · …", "Sync stopped". colour is the pill's CSS
 * class (online green, offline amber, syncing blue, paused red), icon its icon's name. */
gchar *offauth_pill_text (OffauthSyncState             sync,
                          guint64                      uploading,
                          const OffauthTerminalStatus *st,
                          const char                  *currency,
                          const char                 **colour,
                          const char                 **icon);

G_END_DECLS
