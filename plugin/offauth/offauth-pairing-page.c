/* offauth-pairing-page.c: the merchant's page about the acquirer: the pinned one's address,
 * key fingerprint and last sync, and pinning a new one.
 *
 * Pinning is a journaled row the engine writes (as `offauth-terminal acquirer` does): the
 * uploader pins on the service's worker, gives the service a client for the new acquirer
 * and asks it at once, so that a kiosk the acquirer does not know is told now, not at its
 * first sale.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "offauth-format.h"
#include "offauth-pairing-page.h"
#include "offauth-plugin-private.h"

struct _OffauthPairingPage
{
  AdwPreferencesPage  parent_instance;

  /* Template children */
  AdwActionRow       *alert_row;
  AdwActionRow       *url_row;
  AdwActionRow       *key_row;
  AdwActionRow       *sync_row;
  GtkButton          *sync_button;
  AdwEntryRow        *url_entry;
  AdwEntryRow        *key_entry;
  AdwActionRow       *pair_row;
  GtkButton          *pair_button;

  OffauthService     *service;
  OffauthUploader    *uploader;
  GCancellable       *cancellable;   /* the read or pin under way */
  gboolean            pinning;
};

G_DEFINE_FINAL_TYPE (OffauthPairingPage, offauth_pairing_page, ADW_TYPE_PREFERENCES_PAGE)

enum
{
  PROP_0,
  PROP_SERVICE,
  PROP_UPLOADER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
offauth_pairing_page_update_sync (OffauthPairingPage *self)
{
  OffauthSyncState state = offauth_uploader_get_sync_state (self->uploader);
  gint64 last = offauth_uploader_get_last_sync (self->uploader);
  const char *reason = offauth_uploader_get_stop_reason (self->uploader);
  g_autofree gchar *text = NULL;

  if (last > 0)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (last);
      g_autofree gchar *time = g_date_time_format (dt, "%X");
      g_autofree gchar *age = offauth_format_duration (MAX (g_get_real_time () / G_USEC_PER_SEC - last, 1));

      /* Translators: "14:02:11 (5 min ago)" */
      text = g_strdup_printf (_("%s (%s ago)"), time, age);
    }
  else if (state == OFFAUTH_SYNC_UNPAIRED)
    text = g_strdup (_("Never: no acquirer is pinned"));
  else if (state == OFFAUTH_SYNC_CHECKING)
    text = g_strdup (_("Asking the acquirer…"));
  else
    text = g_strdup (_("Not since the app started"));
  if (state == OFFAUTH_SYNC_STOPPED && reason != NULL)
    {
      gchar *both = g_strdup_printf ("%s\n%s %s", text, _("Sync stopped."), reason);

      g_free (text);
      text = both;
    }
  else if (state == OFFAUTH_SYNC_OFFLINE)
    {
      gchar *both = g_strdup_printf ("%s · %s", text, _("the acquirer does not answer now"));

      g_free (text);
      text = both;
    }
  adw_action_row_set_subtitle (self->sync_row, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sync_button), state != OFFAUTH_SYNC_UNPAIRED &&
                                                             state != OFFAUTH_SYNC_UPLOADING);
  gtk_widget_set_visible (GTK_WIDGET (self->alert_row),
                          offauth_uploader_get_pairing_problem (self->uploader));
  if (reason != NULL)
    adw_action_row_set_subtitle (self->alert_row, reason);
}

static void
offauth_pairing_page_read_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(OffauthPairingPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *fingerprint = NULL;
  guint8 pk[OFFAUTH_PK_SIZE];

  if (!offauth_uploader_read_pairing_finish (OFFAUTH_UPLOADER (source), result, &url, pk, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_action_row_set_subtitle (self->url_row, error->message);
      return;
    }
  if (url == NULL)
    {
      adw_action_row_set_subtitle (self->url_row, _("None: this kiosk uploads to no acquirer"));
      adw_action_row_set_subtitle (self->key_row, "—");
      return;
    }
  fingerprint = offauth_root_fingerprint (pk);
  adw_action_row_set_subtitle (self->url_row, url);
  adw_action_row_set_subtitle (self->key_row, fingerprint);
}

/* Reads the pinned acquirer again (the worker's, at STATUS priority). */
static void
offauth_pairing_page_read (OffauthPairingPage *self)
{
  if (offauth_service_get_state (self->service) != OFFAUTH_SERVICE_READY)
    return;
  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->cancellable, NULL);
  self->cancellable = g_cancellable_new ();
  offauth_uploader_read_pairing_async (self->uploader, self->cancellable,
                                       offauth_pairing_page_read_cb, g_object_ref (self));
}

/* The acquirer's key as `offauth-terminal acquirer --key` takes it: base64 or hex. */
static gboolean
offauth_pairing_page_parse (OffauthPairingPage *self,
                            gchar             **url,
                            guint8              pk[OFFAUTH_PK_SIZE],
                            GError            **error)
{
  g_autofree gchar *u = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_entry))));
  g_autofree gchar *k = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->key_entry))));

  while (g_str_has_suffix (u, "/"))
    u[strlen (u) - 1] = '\0';
  if (!offauth_acquirer_url_is_allowed (u, error))
    return FALSE;
  if (!offauth_b64_decode_exact (k, strlen (k), pk, OFFAUTH_PK_SIZE) && !offauth_unhex (k, pk, OFFAUTH_PK_SIZE))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The key is not an acquirer's public key: copy it as the acquirer "
                             "gave it (43 characters of base64, or 64 hexadecimal digits)."));
      return FALSE;
    }
  *url = g_steal_pointer (&u);
  return TRUE;
}

static void
offauth_pairing_page_changed_cb (OffauthPairingPage *self)
{
  g_autofree gchar *url = NULL;
  guint8 pk[OFFAUTH_PK_SIZE];

  gtk_widget_set_sensitive (GTK_WIDGET (self->pair_button),
                            !self->pinning && offauth_pairing_page_parse (self, &url, pk, NULL));
}

static void
offauth_pairing_page_pinned_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(OffauthPairingPage) self = user_data;
  g_autoptr(GError) error = NULL;

  self->pinning = FALSE;
  if (!offauth_uploader_pair_finish (OFFAUTH_UPLOADER (source), result, &error))
    {
      adw_action_row_set_subtitle (self->pair_row, error->message);
      offauth_pairing_page_changed_cb (self);
      return;
    }
  adw_action_row_set_subtitle (self->pair_row, _("Paired (journaled). Asking the acquirer…"));
  gtk_editable_set_text (GTK_EDITABLE (self->url_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->key_entry), "");
  offauth_pairing_page_read (self);
}

static void
offauth_pairing_page_pair_cb (OffauthPairingPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *url = NULL;
  guint8 pk[OFFAUTH_PK_SIZE];

  if (!offauth_pairing_page_parse (self, &url, pk, &error))
    {
      adw_action_row_set_subtitle (self->pair_row, error->message);
      return;
    }
  self->pinning = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->pair_button), FALSE);
  /* The uploader asks the new acquirer at once. */
  offauth_uploader_pair_async (self->uploader, url, pk, NULL, offauth_pairing_page_pinned_cb,
                               g_object_ref (self));
}

static void
offauth_pairing_page_sync_cb (OffauthPairingPage *self)
{
  offauth_uploader_sync_now (self->uploader);
}

GtkWidget *
offauth_pairing_page_new (OffauthService  *service,
                          OffauthUploader *uploader)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (service), NULL);
  g_return_val_if_fail (OFFAUTH_IS_UPLOADER (uploader), NULL);

  return g_object_new (OFFAUTH_TYPE_PAIRING_PAGE, "service", service, "uploader", uploader, NULL);
}

static void
offauth_pairing_page_constructed (GObject *object)
{
  OffauthPairingPage *self = OFFAUTH_PAIRING_PAGE (object);
  static const char *const watched[] = {
    "notify::sync-state", "notify::last-sync", "notify::stop-reason", "notify::pairing-problem",
  };

  G_OBJECT_CLASS (offauth_pairing_page_parent_class)->constructed (object);
  for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
    g_signal_connect_object (self->uploader, watched[i],
                             G_CALLBACK (offauth_pairing_page_update_sync), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->service, "notify::state",
                           G_CALLBACK (offauth_pairing_page_read), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->service, "notify::acquirer",
                           G_CALLBACK (offauth_pairing_page_read), self, G_CONNECT_SWAPPED);
  /* Ages move on: read again whenever the merchant opens the page. */
  g_signal_connect (self, "map", G_CALLBACK (offauth_pairing_page_update_sync), NULL);
  offauth_pairing_page_update_sync (self);
  offauth_pairing_page_read (self);
}

static void
offauth_pairing_page_dispose (GObject *object)
{
  OffauthPairingPage *self = OFFAUTH_PAIRING_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), OFFAUTH_TYPE_PAIRING_PAGE);
  g_clear_object (&self->service);
  g_clear_object (&self->uploader);
  G_OBJECT_CLASS (offauth_pairing_page_parent_class)->dispose (object);
}

static void
offauth_pairing_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  OffauthPairingPage *self = OFFAUTH_PAIRING_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      self->service = g_value_dup_object (value);
      break;
    case PROP_UPLOADER:
      self->uploader = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_pairing_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  OffauthPairingPage *self = OFFAUTH_PAIRING_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      g_value_set_object (value, self->service);
      break;
    case PROP_UPLOADER:
      g_value_set_object (value, self->uploader);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_pairing_page_class_init (OffauthPairingPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = offauth_pairing_page_constructed;
  object_class->dispose = offauth_pairing_page_dispose;
  object_class->set_property = offauth_pairing_page_set_property;
  object_class->get_property = offauth_pairing_page_get_property;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, OFFAUTH_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPLOADER] =
    g_param_spec_object ("uploader", NULL, NULL, OFFAUTH_TYPE_UPLOADER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               OFFAUTH_RESOURCE_PATH "/ui/offauth-pairing-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, alert_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, url_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, key_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, sync_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, sync_button);
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, url_entry);
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, key_entry);
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, pair_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthPairingPage, pair_button);
  gtk_widget_class_bind_template_callback (widget_class, offauth_pairing_page_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_pairing_page_pair_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_pairing_page_sync_cb);
}

static void
offauth_pairing_page_init (OffauthPairingPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
