/* offauth-qr.h: a text as a QR code texture.
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

G_END_DECLS
