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
#include "offauth-plugin-private.h"
#include "offauth-status-pill.h"

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

  OffauthService *service;
  TillHost       *host;        /* weak: the window owns the pill */
};

G_DEFINE_FINAL_TYPE (OffauthStatusPill, offauth_status_pill, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_SERVICE,
  PROP_HOST,
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

/* One glance: can I sell, how much waits. Never green while sales wait; there is no
 * acquirer yet, so the kiosk is offline and says so. */
static void
offauth_status_pill_update_pill (OffauthStatusPill           *self,
                                 const OffauthTerminalStatus *st)
{
  gboolean paused = st->state != OFFAUTH_REASON_NONE;
  const char *classes[] = { "status-pill", paused ? "paused" : "offline", NULL };
  /* Translators: the first word of the status pill: offline payments are paused, or the
   * kiosk takes payments offline (it has no network to an acquirer) */
  const char *mode = paused ? C_("status pill", "Paused") : C_("status pill", "Offline");
  g_autofree gchar *total = offauth_status_pill_amount (self, st->unsettled_total);
  g_autofree gchar *text = NULL;

  if (st->unsettled_count > 0)
    /* Translators: the status pill, e.g. "Offline · 12 waiting · €54.00" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u waiting · %s",
                                         "%s · %u waiting · %s", (gulong) st->unsettled_count),
                            mode, (guint) st->unsettled_count, total);
  else
    text = g_strdup_printf (_("%s · nothing waiting"), mode);
  gtk_label_set_text (self->label, text);
  gtk_image_set_from_icon_name (self->icon,
                                paused ? "dialog-warning-symbolic" : "network-offline-symbolic");
  gtk_widget_set_css_classes (GTK_WIDGET (self->button), classes);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
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

/* The money-at-risk popover. */
static void
offauth_status_pill_update_risk (OffauthStatusPill           *self,
                                 const OffauthTerminalStatus *st,
                                 const char                  *error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *total = offauth_status_pill_amount (self, st->unsettled_total);
  g_autofree gchar *text = NULL;

  if (st->state != OFFAUTH_REASON_NONE)
    text = g_strdup_printf ("%s %s", offauth_reason_message (st->state),
                            error ? error : offauth_reason_detail (st->state));
  else
    text = g_strdup (_("Offline payments are possible. No acquirer is connected yet: sales wait on "
                       "this kiosk until they are uploaded."));
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

  return g_object_new (OFFAUTH_TYPE_STATUS_PILL, "service", service, "host", host, NULL);
}

static void
offauth_status_pill_constructed (GObject *object)
{
  OffauthStatusPill *self = OFFAUTH_STATUS_PILL (object);

  G_OBJECT_CLASS (offauth_status_pill_parent_class)->constructed (object);
  offauth_plugin_watch_service (self->service,
                                G_CALLBACK (offauth_status_pill_service_changed_cb), self);
  offauth_status_pill_service_changed_cb (self);
}

static void
offauth_status_pill_dispose (GObject *object)
{
  OffauthStatusPill *self = OFFAUTH_STATUS_PILL (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), OFFAUTH_TYPE_STATUS_PILL);
  g_clear_object (&self->service);
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
}

static void
offauth_status_pill_init (OffauthStatusPill *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
