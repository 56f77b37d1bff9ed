/* offauth-terminal-page.c: the merchant's page about the offline terminal: its state, keys,
 * trust data, limits and journal, with "Verify now" and "The clock is right".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "offauth-format.h"
#include "offauth-plugin-private.h"
#include "offauth-terminal-page.h"

struct _OffauthTerminalPage
{
  AdwPreferencesPage  parent_instance;

  /* Template children */
  AdwActionRow       *state_row;
  AdwActionRow       *terminal_row;
  AdwActionRow       *root_row;
  AdwActionRow       *bundle_row;
  AdwActionRow       *revocations_row;
  AdwActionRow       *limits_row;
  AdwActionRow       *counters_row;
  AdwActionRow       *database_row;
  AdwActionRow       *journal_row;
  AdwActionRow       *verify_row;
  GtkButton          *clock_button;

  OffauthService     *service;
  TillHost           *host;          /* weak: the window owns the page */
  GCancellable       *verify_cancellable;  /* the check under way, cancelled by a newer one */
};

G_DEFINE_FINAL_TYPE (OffauthTerminalPage, offauth_terminal_page, ADW_TYPE_PREFERENCES_PAGE)

enum
{
  PROP_0,
  PROP_SERVICE,
  PROP_HOST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gchar *
offauth_terminal_page_amount (OffauthTerminalPage *self,
                              guint64              value)
{
  /* The host goes only with the window, and the page with it. */
  return till_format_amount (value, self->host ? till_host_get_currency (self->host) : "");
}

static void
offauth_terminal_page_set (AdwActionRow *row,
                           const char   *value)
{
  adw_action_row_set_subtitle (row, value);
}

static void
offauth_terminal_page_take (AdwActionRow *row,
                            gchar        *value)
{
  adw_action_row_set_subtitle (row, value);
  g_free (value);
}

static gchar *
offauth_terminal_page_root_text (const OffauthTerminalStatus *st)
{
  if (st->root_fingerprint == NULL)
    return g_strdup ("—");
  return g_strdup_printf ("%.16s… %s", st->root_fingerprint,
                          st->root_trusted_on_first_use ? _("(trusted on first use)")
                                                        : _("(pinned)"));
}

static gchar *
offauth_terminal_page_bundle_text (const OffauthTerminalStatus *st,
                                   gint64                       now)
{
  g_autofree gchar *keys = NULL;
  g_autofree gchar *age = offauth_format_duration (now - (gint64) st->bundle_issued_at);
  g_autofree gchar *left = offauth_format_duration ((gint64) st->bundle_expires_at - now);

  keys = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "sequence %" PRIu64 ", %u issuer key",
                                       "sequence %" PRIu64 ", %u issuer keys", st->n_issuer_keys),
                          st->bundle_sequence, st->n_issuer_keys);
  /* Translators: "sequence 3, 2 issuer keys; issued 3 h ago, expires in 29 d 21 h" */
  return g_strdup_printf (_("%s; issued %s ago, expires in %s"), keys, age, left);
}

static gchar *
offauth_terminal_page_revocations_text (const OffauthTerminalStatus *st,
                                        gint64                       now)
{
  g_autofree gchar *lists = NULL;
  g_autofree gchar *age = NULL;

  lists = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u list", "%u lists",
                                        st->n_revocation_lists), st->n_revocation_lists);
  if (st->n_revocation_lists == 0)
    return g_steal_pointer (&lists);
  age = offauth_format_duration (now - (gint64) st->oldest_revocation_issued_at);
  /* Translators: "2 lists, the oldest issued 2 h ago" */
  return g_strdup_printf (_("%s, the oldest issued %s ago"), lists, age);
}

static gchar *
offauth_terminal_page_limits_text (OffauthTerminalPage         *self,
                                   const OffauthTerminalStatus *st)
{
  const OffauthTerminalConfig *c = &st->config;
  g_autofree gchar *floor = NULL;
  g_autofree gchar *cap_total = NULL;
  g_autofree gchar *stale = offauth_terminal_page_amount (self, c->stale_cap);

  if (c->floor_limit)
    floor = offauth_terminal_page_amount (self, c->floor_limit);
  else
    floor = g_strdup (_("none"));
  if (c->cap_total)
    cap_total = offauth_terminal_page_amount (self, c->cap_total);
  else
    /* Translators: the limit on the money waiting for upload: there is none */
    cap_total = g_strdup (C_("limit", "none"));
  /* Translators: the terminal's limits on the merchant page */
  return g_strdup_printf (_("floor %s · cap %s or %" PRIu64 " sales · above %s needs fresh "
                            "revocation data"),
                          floor, cap_total, c->cap_count, stale);
}

static gchar *
offauth_terminal_page_counters_text (const OffauthTerminalStatus *st)
{
  g_autofree gchar *sales = NULL;
  g_autofree gchar *payers = NULL;
  g_autofree gchar *blocked = NULL;

  sales = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sale", "%u sales",
                                        (gulong) st->n_sales),
                           (guint) st->n_sales);
  payers = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u payer", "%u payers",
                                         (gulong) st->n_credentials),
                            (guint) st->n_credentials);
  /* Translators: payers blocked by their issuer, after "%u sales, %u payers, " */
  blocked = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u blocked", "%u blocked",
                                          (gulong) st->n_negative),
                             (guint) st->n_negative);
  return g_strdup_printf ("%s · %s · %s", sales, payers, blocked);
}

static void
offauth_terminal_page_update (OffauthTerminalPage         *self,
                              const OffauthTerminalStatus *st)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *tid = offauth_hex (st->terminal_id, 8);
  g_autofree gchar *head = offauth_hex (st->journal_head, 4);

  offauth_terminal_page_set (self->state_row, st->state != OFFAUTH_REASON_NONE
                                                ? offauth_reason_code (st->state)
                                                /* Translators: the terminal's state */
                                                : C_("terminal state", "ready"));
  offauth_terminal_page_take (self->terminal_row,
                              g_strdup_printf ("%s · %s…", st->merchant_id, tid));
  offauth_terminal_page_take (self->root_row, offauth_terminal_page_root_text (st));
  offauth_terminal_page_take (self->bundle_row, offauth_terminal_page_bundle_text (st, now));
  offauth_terminal_page_take (self->revocations_row,
                              offauth_terminal_page_revocations_text (st, now));
  offauth_terminal_page_take (self->limits_row, offauth_terminal_page_limits_text (self, st));
  offauth_terminal_page_take (self->counters_row, offauth_terminal_page_counters_text (st));
  offauth_terminal_page_take (self->journal_row, g_strdup_printf (_("%" PRIu64 " rows, head %s"),
                                                                  st->journal_rows, head));
  offauth_terminal_page_set (self->database_row, offauth_service_get_db_path (self->service));
  gtk_widget_set_visible (GTK_WIDGET (self->clock_button),
                          st->state == OFFAUTH_REASON_CLOCK_UNTRUSTED);
}

/* The one place that reads the service's status. */
static void
offauth_terminal_page_service_changed_cb (OffauthTerminalPage *self)
{
  /* The terminal opens on the service's worker; until then its status says nothing. */
  if (offauth_service_get_state (self->service) == OFFAUTH_SERVICE_STARTING)
    {
      offauth_terminal_page_set (self->state_row, _("Checking the journal…"));
      return;
    }
  offauth_terminal_page_update (self, offauth_service_get_status (self->service));
}

static void
offauth_terminal_page_verified_cb (GObject      *source,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  g_autoptr(OffauthTerminalPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean verified = offauth_service_verify_finish (OFFAUTH_SERVICE (source), result, &error);

  /* A newer check took its place, or the page went away. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (verified)
    offauth_terminal_page_set (self->verify_row,
                               _("The journal verifies: no row was changed or removed."));
  else
    offauth_terminal_page_set (self->verify_row, error->message);
}

static void
offauth_terminal_page_verify_clicked_cb (OffauthTerminalPage *self,
                                         GtkButton           *button)
{
  /* The verification runs on a read-only connection of its own: a sale never waits. */
  g_cancellable_cancel (self->verify_cancellable);
  g_set_object (&self->verify_cancellable, g_cancellable_new ());
  offauth_terminal_page_set (self->verify_row, _("Checking every row…"));
  offauth_service_verify_async (self->service, self->verify_cancellable,
                                offauth_terminal_page_verified_cb, g_object_ref (self));
}

static void
offauth_terminal_page_clock_accepted_cb (GObject      *source,
                                         GAsyncResult *result,
                                         gpointer      user_data)
{
  g_autoptr(OffauthTerminalPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!offauth_service_accept_clock_finish (OFFAUTH_SERVICE (source), result, &error) &&
      self->host != NULL)
    till_host_notify (self->host, error->message, FALSE);
}

static void
offauth_terminal_page_clock_clicked_cb (OffauthTerminalPage *self,
                                        GtkButton           *button)
{
  offauth_service_accept_clock_async (self->service, NULL, offauth_terminal_page_clock_accepted_cb,
                                      g_object_ref (self));
}

GtkWidget *
offauth_terminal_page_new (OffauthService *service,
                           TillHost       *host)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (service), NULL);
  g_return_val_if_fail (TILL_IS_HOST (host), NULL);

  return g_object_new (OFFAUTH_TYPE_TERMINAL_PAGE, "service", service, "host", host, NULL);
}

static void
offauth_terminal_page_constructed (GObject *object)
{
  OffauthTerminalPage *self = OFFAUTH_TERMINAL_PAGE (object);

  G_OBJECT_CLASS (offauth_terminal_page_parent_class)->constructed (object);
  offauth_plugin_watch_service (self->service,
                                G_CALLBACK (offauth_terminal_page_service_changed_cb), self);
  offauth_terminal_page_service_changed_cb (self);
}

static void
offauth_terminal_page_dispose (GObject *object)
{
  OffauthTerminalPage *self = OFFAUTH_TERMINAL_PAGE (object);

  g_cancellable_cancel (self->verify_cancellable);
  g_clear_object (&self->verify_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), OFFAUTH_TYPE_TERMINAL_PAGE);
  g_clear_object (&self->service);
  g_clear_weak_pointer (&self->host);
  G_OBJECT_CLASS (offauth_terminal_page_parent_class)->dispose (object);
}

static void
offauth_terminal_page_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  OffauthTerminalPage *self = OFFAUTH_TERMINAL_PAGE (object);

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
offauth_terminal_page_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  OffauthTerminalPage *self = OFFAUTH_TERMINAL_PAGE (object);

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
offauth_terminal_page_class_init (OffauthTerminalPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = offauth_terminal_page_constructed;
  object_class->dispose = offauth_terminal_page_dispose;
  object_class->set_property = offauth_terminal_page_set_property;
  object_class->get_property = offauth_terminal_page_get_property;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, OFFAUTH_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, TILL_TYPE_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, OFFAUTH_RESOURCE_PATH
                                               "/ui/offauth-terminal-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, state_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, terminal_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, root_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, bundle_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, revocations_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, limits_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, counters_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, database_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, journal_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, verify_row);
  gtk_widget_class_bind_template_child (widget_class, OffauthTerminalPage, clock_button);
  gtk_widget_class_bind_template_callback (widget_class, offauth_terminal_page_verify_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_terminal_page_clock_clicked_cb);
}

static void
offauth_terminal_page_init (OffauthTerminalPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
