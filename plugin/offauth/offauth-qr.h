/* offauth-qr.h: a text as a QR code texture, or a paintable that shrinks to fit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gdk/gdk.h>

G_BEGIN_DECLS

/* The text as a QR code, module_px pixels per module with a quiet zone, or NULL when it
 * does not fit. */
GdkTexture *offauth_qr_texture (const char *text,
                                int         module_px);

/* The text as a QR code that fits the space it is given: drawn at the largest whole number
 * of pixels per module (1 to 6) that fits, never scaled, so that it stays sharp. Its
 * natural size is 4 pixels per module. NULL when the text does not fit a QR code. */
GdkPaintable *offauth_qr_paintable_new (const char *text);

G_END_DECLS
