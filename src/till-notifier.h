/* till-notifier.h: desktop notifications that never block the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Shows a desktop notification from a thread of its own, in order: a hung or missing
 * notification daemon never freezes the screen (notify_notification_show is a synchronous
 * D-Bus call). With action_label, the notification has one button which, when pressed,
 * activates `action` with `target` (may be NULL) on the main thread; `action` is owned by
 * the caller, which keeps it alive (a window's action stays while the window lives: the
 * notifier holds a reference until the notification closes). */
void till_notifier_show (const char *title,
                         const char *body,
                         gboolean    urgent,
                         const char *action_label,
                         GAction    *action,
                         GVariant   *target);

/* Waits until every notification asked for so far has been handed to the daemon (or
 * failed): for tests. */
void till_notifier_flush (void);

G_END_DECLS
