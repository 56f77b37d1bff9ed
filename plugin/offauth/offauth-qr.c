/* offauth-qr.c: rasterizes a text into a QR code texture.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>

#include <qrencode.h>

#include "offauth-qr.h"

/* Version 16 at level M holds the 443-character payment and any request text, in byte mode
 * (automatic modes sometimes pick version 17). */
GdkTexture *
offauth_qr_texture (const char *text,
                    int         module_px)
{
  QRcode *qr;
  const int quiet = 4;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *pixels;
  int size, stride;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (module_px > 0, NULL);

  qr = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  if (qr == NULL)
    return NULL;
  size = (qr->width + 2 * quiet) * module_px;
  stride = size * 3;
  pixels = g_malloc (stride * size);
  memset (pixels, 0xff, (gsize) stride * size);
  for (int y = 0; y < qr->width; y++)
    for (int x = 0; x < qr->width; x++)
      if (qr->data[y * qr->width + x] & 1)
        for (int dy = 0; dy < module_px; dy++)
          {
            gsize row = (gsize) ((y + quiet) * module_px + dy) * stride;
            gsize col = (gsize) (x + quiet) * module_px * 3;

            memset (pixels + row + col, 0, (gsize) module_px * 3);
          }
  QRcode_free (qr);
  bytes = g_bytes_new_take (pixels, (gsize) stride * size);
  return gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, bytes, stride);
}
