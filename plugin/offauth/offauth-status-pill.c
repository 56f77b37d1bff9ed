/* offauth-status-pill.c: the status pill (can I sell, how much waits, is anything wrong)
 * and its money-at-risk popover, from the service's status.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "offauth-format.h"
#include "offauth-pill-text.h"
#include "offauth-plugin-private.h"
#include "offauth-status-pill.h"
#include "offauth-uploader.h"

struct _OffauthStatusPill
{
  AdwBin          parent_instance;

  /* Template children */
  GtkMenuButton  *button;
  GtkImage       *icon;
  GtkLabel       *label;
  GtkLabel       *risk_state;
  GtkLabel       *risk_waiting;
  GtkLabel       *risk_oldest;
  GtkLabel       *risk_headroom;
  GtkLabel       *risk_trust;
  GtkLabel       *risk_upload;
  GtkLabel       *badge;
  GtkButton      *sync_now_button;
  GtkButton      *offline_button;

  OffauthService *service;
  OffauthUploader *uploader;
  TillHost       *host;        /* weak: the window owns the pill */
};

G_DEFINE_FINAL_TYPE (OffauthStatusPill, offauth_status_pill, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_SERVICE,
  PROP_HOST,
  PROP_UPLOADER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gchar *
offauth_status_pill_amount (OffauthStatusPill *self,
                            guint64            value)
{
  /* The host goes only with the window, and the pill with it. */
  return till_format_amount (value, self->host ? till_host_get_currency (self->host) : "");
}

/* One glance: can I sell, how much waits, am I online (offauth-pill-text.c). */
static void
offauth_status_pill_update_pill (OffauthStatusPill           *self,
                                 const OffauthTerminalStatus *st)
{
  OffauthSyncState sync = self->uploader ? offauth_uploader_get_sync_state (self->uploader)
                                         : OFFAUTH_SYNC_UNPAIRED;
  guint64 late = self->uploader ? offauth_uploader_get_late_declines (self->uploader, NULL) : 0;
  guint64 rows = self->uploader ? offauth_uploader_get_uploading (self->uploader) : 0;
  const char *currency = self->host ? till_host_get_currency (self->host) : "";
  const char *colour, *icon;
  g_autofree gchar *text = offauth_pill_text (sync, rows, st, currency, &colour, &icon);

  gtk_label_set_text (self->label, text);
  gtk_image_set_from_icon_name (self->icon, icon);
  gtk_widget_set_css_classes (GTK_WIDGET (self->button), (const char *[]) { "status-pill", colour, NULL });
  if (late > 0)
    {
      g_autofree gchar *count = g_strdup_printf ("%" G_GUINT64_FORMAT, late);
      g_autofree gchar *spoken = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "%s; %s late decline needs you",
                                                               "%s; %s late declines need you",
                                                               (gulong) late), text, count);

      gtk_label_set_text (self->badge, count);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, spoken, -1);
    }
  else
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_widget_set_visible (GTK_WIDGET (self->badge), late > 0);
}

/* How many sales, or how much money, still fit under the caps. */
static gchar *
offauth_status_pill_headroom (OffauthStatusPill           *self,
                              const OffauthTerminalStatus *st)
{
  const OffauthTerminalConfig *c = &st->config;
  g_autofree gchar *count = NULL;
  g_autofree gchar *value = NULL;

  if (c->cap_count)
    count = g_strdup_printf ("%" PRIu64, c->cap_count > st->unsettled_count
                                           ? c->cap_count - st->unsettled_count : 0);
  else
    /* Translators: replaces the number in "Room before offline payments pause: %s sales or %s" */
    count = g_strdup (_("any number of"));
  if (c->cap_total)
    value = offauth_status_pill_amount (self, c->cap_total > st->unsettled_total
                                                ? c->cap_total - st->unsettled_total : 0);
  else
    /* Translators: replaces the amount in "Room before offline payments pause: %s sales or %s" */
    value = g_strdup (_("any amount"));
  /* Translators: "Room before offline payments pause: 488 sales or €946.00" */
  return g_strdup_printf (_("Room before offline payments pause: %s sales or %s"), count, value);
}

static gchar *
offauth_status_pill_trust (const OffauthTerminalStatus *st,
                           gint64                       now)
{
  g_autofree gchar *age = NULL;
  g_autofree gchar *left = NULL;
  g_autofree gchar *lists = NULL;

  if (st->bundle_issued_at == 0)
    return g_strdup (_("No trust data: this kiosk is not enrolled."));
  age = offauth_format_duration (now - (gint64) st->bundle_issued_at);
  left = offauth_format_duration ((gint64) st->bundle_expires_at - now);
  if (st->oldest_revocation_issued_at)
    {
      g_autofree gchar *lists_age = NULL;

      lists_age = offauth_format_duration (now - (gint64) st->oldest_revocation_issued_at);
      lists = g_strdup_printf (_("revocation lists from %s ago"), lists_age);
    }
  else
    lists = g_strdup (_("no revocation list"));
  /* Translators: "Trust data from 3 h ago, valid 29 d 21 h more; revocation lists from 2 h ago" */
  return g_strdup_printf (_("Trust data from %s ago, valid %s more; %s"), age, left, lists);
}

/* The last successful upload and the buttons. */
static void
offauth_status_pill_update_upload (OffauthStatusPill *self,
                                   OffauthSyncState   sync,
                                   gint64             now)
{
  gint64 last = self->uploader ? offauth_uploader_get_last_sync (self->uploader) : 0;
  gboolean offline = self->uploader && offauth_uploader_get_work_offline (self->uploader);
  g_autofree gchar *text = NULL;

  if (sync == OFFAUTH_SYNC_UNPAIRED)
    text = g_strdup (_("Last upload: never (no acquirer is set up)"));
  else if (last == 0)
    text = g_strdup (_("Last upload: not since the app started"));
  else
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (last);
      g_autofree gchar *time = g_date_time_format (dt, "%X");
      g_autofree gchar *age = offauth_format_duration (MAX (now - last, 1));

      /* Translators: "Last upload: 14:02:11 (5 min ago)" */
      text = g_strdup_printf (_("Last upload: %s (%s ago)"), time, age);
    }
  gtk_label_set_text (self->risk_upload, text);
  gtk_widget_set_visible (GTK_WIDGET (self->sync_now_button), sync != OFFAUTH_SYNC_UNPAIRED && !offline);
  gtk_widget_set_visible (GTK_WIDGET (self->offline_button), sync != OFFAUTH_SYNC_UNPAIRED);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sync_now_button), sync != OFFAUTH_SYNC_UPLOADING);
  gtk_button_set_label (self->offline_button, offline ? _("Go back online") : _("Work offline now"));
}

static void
offauth_status_pill_sync_now_cb (OffauthStatusPill *self)
{
  if (self->uploader != NULL)
    offauth_uploader_sync_now (self->uploader);
}

static void
offauth_status_pill_offline_cb (OffauthStatusPill *self)
{
  if (self->uploader != NULL)
    offauth_uploader_set_work_offline (self->uploader,
                                       !offauth_uploader_get_work_offline (self->uploader));
}

/* The money-at-risk popover. */
static void
offauth_status_pill_update_risk (OffauthStatusPill           *self,
                                 const OffauthTerminalStatus *st,
                                 const char                  *error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *total = offauth_status_pill_amount (self, st->unsettled_total);
  g_autofree gchar *text = NULL;

  OffauthSyncState sync = self->uploader ? offauth_uploader_get_sync_state (self->uploader)
                                         : OFFAUTH_SYNC_UNPAIRED;

  if (st->state != OFFAUTH_REASON_NONE)
    text = g_strdup_printf ("%s %s", offauth_reason_message (st->state),
                            error ? error : offauth_reason_detail (st->state));
  else if (sync == OFFAUTH_SYNC_STOPPED)
    text = g_strdup_printf ("%s %s", _("Sync stopped."), offauth_uploader_get_stop_reason (self->uploader));
  else if (sync == OFFAUTH_SYNC_UNPAIRED)
    text = g_strdup (_("Offline payments are possible. No acquirer is connected yet: sales wait on "
                       "this kiosk until they are uploaded."));
  else if (offauth_uploader_get_work_offline (self->uploader))
    text = g_strdup (_("Working offline, as chosen: sales wait on this kiosk until you go back "
                       "online."));
  else if (sync == OFFAUTH_SYNC_OFFLINE)
    text = g_strdup (_("The acquirer does not answer. Offline payments are possible; sales wait on "
                       "this kiosk and go up by themselves once it answers."));
  else
    text = g_strdup (_("Online: sales go up to the acquirer by themselves."));
  gtk_label_set_text (self->risk_state, text);
  g_clear_pointer (&text, g_free);

  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sale waits to be uploaded: %s",
                                       "%u sales wait to be uploaded: %s",
                                       (gulong) st->unsettled_count),
                          (guint) st->unsettled_count, total);
  gtk_label_set_text (self->risk_waiting, text);
  g_clear_pointer (&text, g_free);

  if (st->unsettled_count > 0)
    {
      gint64 due = (gint64) (st->oldest_unsettled_time + st->config.upload_deadline);
      g_autofree gchar *age = offauth_format_duration (now - (gint64) st->oldest_unsettled_time);
      g_autofree gchar *left = offauth_format_duration (due - now);

      /* Translators: "Oldest waiting sale: 2 h 5 min ago; upload due within 21 h 55 min" */
      text = g_strdup_printf (_("Oldest waiting sale: %s ago; upload due within %s"), age, left);
    }
  else
    text = g_strdup (_("No sale is waiting."));
  gtk_label_set_text (self->risk_oldest, text);
  g_clear_pointer (&text, g_free);

  text = offauth_status_pill_headroom (self, st);
  gtk_label_set_text (self->risk_headroom, text);
  g_clear_pointer (&text, g_free);

  text = offauth_status_pill_trust (st, now);
  gtk_label_set_text (self->risk_trust, text);
  g_clear_pointer (&text, g_free);

  offauth_status_pill_update_upload (self, sync, now);
}

/* The terminal opens on the service's worker: neutral, not green, until it is ready. */
static void
offauth_status_pill_update_starting (OffauthStatusPill *self)
{
  const char *classes[] = { "status-pill", NULL };
  const char *text = _("Checking the journal…");

  gtk_label_set_text (self->label, text);
  gtk_image_set_from_icon_name (self->icon, "content-loading-symbolic");
  gtk_widget_set_css_classes (GTK_WIDGET (self->button), classes);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_label_set_text (self->risk_state, _("The terminal is checking its journal of sales. Offline "
                                          "payments are possible once it is done."));
}

/* The one place that reads the service. */
static void
offauth_status_pill_service_changed_cb (OffauthStatusPill *self)
{
  gboolean starting = offauth_service_get_state (self->service) == OFFAUTH_SERVICE_STARTING;
  const OffauthTerminalStatus *st = offauth_service_get_status (self->service);

  /* While the terminal opens, its status says nothing yet: no figures. */
  gtk_widget_set_visible (GTK_WIDGET (self->risk_waiting), !starting);
  gtk_widget_set_visible (GTK_WIDGET (self->risk_oldest), !starting);
  gtk_widget_set_visible (GTK_WIDGET (self->risk_headroom), !starting);
  gtk_widget_set_visible (GTK_WIDGET (self->risk_trust), !starting);
  if (starting)
    {
      offauth_status_pill_update_starting (self);
      return;
    }
  offauth_status_pill_update_pill (self, st);
  offauth_status_pill_update_risk (self, st, offauth_service_get_error (self->service));
}

GtkWidget *
offauth_status_pill_new (OffauthService *service,
                         TillHost       *host)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (service), NULL);
  g_return_val_if_fail (TILL_IS_HOST (host), NULL);

  return g_object_new (OFFAUTH_TYPE_STATUS_PILL, "service", service, "host", host,
                       "uploader", offauth_uploader_get (service), NULL);
}

/* What the pill shows of the uploader. */
static const char *const uploader_props[] = {
  "sync-state", "uploading", "last-sync", "stop-reason", "late-declines", "work-offline",
};

static void
offauth_status_pill_constructed (GObject *object)
{
  OffauthStatusPill *self = OFFAUTH_STATUS_PILL (object);

  G_OBJECT_CLASS (offauth_status_pill_parent_class)->constructed (object);
  offauth_plugin_watch_service (self->service,
                                G_CALLBACK (offauth_status_pill_service_changed_cb), self);
  if (self->uploader != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (uploader_props); i++)
      {
        g_autofree gchar *detail = g_strconcat ("notify::", uploader_props[i], NULL);

        g_signal_connect_object (self->uploader, detail,
                                 G_CALLBACK (offauth_status_pill_service_changed_cb), self,
                                 G_CONNECT_SWAPPED);
      }
  offauth_status_pill_service_changed_cb (self);
}

static void
offauth_status_pill_dispose (GObject *object)
{
  OffauthStatusPill *self = OFFAUTH_STATUS_PILL (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), OFFAUTH_TYPE_STATUS_PILL);
  g_clear_object (&self->service);
  g_clear_object (&self->uploader);
  g_clear_weak_pointer (&self->host);
  G_OBJECT_CLASS (offauth_status_pill_parent_class)->dispose (object);
}

static void
offauth_status_pill_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  OffauthStatusPill *self = OFFAUTH_STATUS_PILL (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      self->service = g_value_dup_object (value);
      break;
    case PROP_HOST:
      g_set_weak_pointer (&self->host, g_value_get_object (value));
      break;
    case PROP_UPLOADER:
      self->uploader = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_status_pill_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  OffauthStatusPill *self = OFFAUTH_STATUS_PILL (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      g_value_set_object (value, self->service);
      break;
    case PROP_HOST:
      g_value_set_object (value, self->host);
      break;
    case PROP_UPLOADER:
      g_value_set_object (value, self->uploader);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_status_pill_class_init (OffauthStatusPillClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = offauth_status_pill_constructed;
  object_class->dispose = offauth_status_pill_dispose;
  object_class->set_property = offauth_status_pill_set_property;
  object_class->get_property = offauth_status_pill_get_property;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, OFFAUTH_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, TILL_TYPE_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPLOADER] =
    g_param_spec_object ("uploader", NULL, NULL, OFFAUTH_TYPE_UPLOADER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               OFFAUTH_RESOURCE_PATH "/ui/offauth-status-pill.ui");
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, button);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, icon);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, label);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, risk_state);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, risk_waiting);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, risk_oldest);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, risk_headroom);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, risk_trust);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, risk_upload);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, badge);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, sync_now_button);
  gtk_widget_class_bind_template_child (widget_class, OffauthStatusPill, offline_button);
  gtk_widget_class_bind_template_callback (widget_class, offauth_status_pill_sync_now_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_status_pill_offline_cb);
}

static void
offauth_status_pill_init (OffauthStatusPill *self)
{
  static gboolean styled;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* The plugin's styles, once per process, for the display the app runs on. */
  if (!styled && gdk_display_get_default () != NULL)
    {
      g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

      gtk_css_provider_load_from_resource (css, OFFAUTH_RESOURCE_PATH "/ui/offauth.css");
      gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
      styled = TRUE;
    }
}
