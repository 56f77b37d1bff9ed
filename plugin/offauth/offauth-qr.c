/* offauth-qr.c: rasterizes a text into a QR code texture, at the size that fits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>

#include <qrencode.h>

#include <gtk/gtk.h>

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

/* A paintable over the textures at 1 to 6 pixels per module, made when first drawn; its
 * natural size is at 4, larger when there is room. */
#define QR_MAX_MODULE_PX 6
#define QR_NATURAL_MODULE_PX 4

struct _OffauthQrPaintable
{
  GObject     parent_instance;
  gchar      *text;
  int         modules;                         /* with the quiet zone */
  GdkTexture *textures[QR_MAX_MODULE_PX + 1];  /* by pixels per module */
};

#define OFFAUTH_TYPE_QR_PAINTABLE (offauth_qr_paintable_get_type ())
G_DECLARE_FINAL_TYPE (OffauthQrPaintable, offauth_qr_paintable, OFFAUTH, QR_PAINTABLE, GObject)

static void paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OffauthQrPaintable, offauth_qr_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE, paintable_iface_init))

static void
offauth_qr_paintable_snapshot (GdkPaintable *paintable,
                               GdkSnapshot  *snapshot,
                               double        width,
                               double        height)
{
  OffauthQrPaintable *self = OFFAUTH_QR_PAINTABLE (paintable);
  int module_px = CLAMP ((int) (MIN (width, height) / self->modules), 1, QR_MAX_MODULE_PX);
  GdkTexture *texture = self->textures[module_px];
  int size;

  if (texture == NULL)
    texture = self->textures[module_px] = offauth_qr_texture (self->text, module_px);
  if (texture == NULL)
    return;
  /* Whole pixels, centred: one texture pixel per screen pixel. */
  size = gdk_texture_get_width (texture);
  gtk_snapshot_append_texture (GTK_SNAPSHOT (snapshot), texture,
                               &GRAPHENE_RECT_INIT ((int) ((width - size) / 2), (int) ((height - size) / 2),
                                                    size, size));
}

static int
offauth_qr_paintable_get_intrinsic_size (GdkPaintable *paintable)
{
  return OFFAUTH_QR_PAINTABLE (paintable)->modules * QR_NATURAL_MODULE_PX;
}

static GdkPaintableFlags
offauth_qr_paintable_get_flags (GdkPaintable *paintable)
{
  return GDK_PAINTABLE_STATIC_CONTENTS | GDK_PAINTABLE_STATIC_SIZE;
}

static void
paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = offauth_qr_paintable_snapshot;
  iface->get_intrinsic_width = offauth_qr_paintable_get_intrinsic_size;
  iface->get_intrinsic_height = offauth_qr_paintable_get_intrinsic_size;
  iface->get_flags = offauth_qr_paintable_get_flags;
}

static void
offauth_qr_paintable_finalize (GObject *object)
{
  OffauthQrPaintable *self = OFFAUTH_QR_PAINTABLE (object);

  for (int i = 0; i <= QR_MAX_MODULE_PX; i++)
    g_clear_object (&self->textures[i]);
  g_free (self->text);
  G_OBJECT_CLASS (offauth_qr_paintable_parent_class)->finalize (object);
}

static void
offauth_qr_paintable_class_init (OffauthQrPaintableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = offauth_qr_paintable_finalize;
}

static void
offauth_qr_paintable_init (OffauthQrPaintable *self)
{
}

GdkPaintable *
offauth_qr_paintable_new (const char *text)
{
  GdkTexture *one = offauth_qr_texture (text, 1);
  OffauthQrPaintable *self;

  if (one == NULL)
    return NULL;
  self = g_object_new (OFFAUTH_TYPE_QR_PAINTABLE, NULL);
  self->text = g_strdup (text);
  self->modules = gdk_texture_get_width (one);
  self->textures[1] = one;
  return GDK_PAINTABLE (self);
}
