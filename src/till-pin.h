/* till-pin.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Wrong PINs allowed before the PIN pad waits; then it waits 30 s, doubling each time. */
#define TILL_PIN_FREE_ATTEMPTS 5
#define TILL_PIN_MIN_LENGTH    4

guint    till_pin_backoff_seconds (guint                 n_failures);
gchar   *till_pin_hash            (const char           *pin);
void     till_pin_check_async     (GSettings            *settings,
                                   const char           *pin,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data);
gboolean till_pin_check_finish    (GSettings            *settings,
                                   GAsyncResult         *result,
                                   GError              **error);
void     till_pin_change_async    (GSettings            *settings,
                                   const char           *pin,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data);
gboolean till_pin_change_finish   (GSettings            *settings,
                                   GAsyncResult         *result,
                                   GError              **error);

G_END_DECLS
