/* offauth-addin.c: what the plugin adds to the window: the status pill in the header (can
 * I sell, how much waits, is anything wrong), its money-at-risk panel, and the merchant's
 * page about the terminal.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <inttypes.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "offauth-addin.h"
#include "offauth-format.h"
#include "offauth-plugin-private.h"
#include "offauth-status-pill.h"

struct _OffauthAddin
{
  GObject         parent_instance;
  TillHost       *host;
  OffauthService *service;
  gulong          changed_id;
  guint           tick_id;
  OffauthReason   last_state;

  GtkWidget      *pill;

  GtkWidget      *page;
  GHashTable     *rows;        /* name -> AdwActionRow */
  GtkWidget      *verify_row;
  GtkWidget      *clock_button;
};

static void addin_iface_init (TillHostAddinInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OffauthAddin, offauth_addin, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_HOST_ADDIN, addin_iface_init))

enum
{
  PROP_0,
  PROP_HOST,
  N_PROPS
};

static gchar *
amount (OffauthAddin *self,
        guint64       value)
{
  return till_format_amount (value, till_host_get_currency (self->host));
}

static void
set_row (OffauthAddin *self,
         const char   *name,
         const char   *value)
{
  AdwActionRow *row = g_hash_table_lookup (self->rows, name);

  if (row != NULL)
    adw_action_row_set_subtitle (row, value);
}

static void
update (OffauthAddin *self)
{
  const OffauthTerminalStatus *st = offauth_service_get_status (self->service);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean paused = st->state != OFFAUTH_REASON_NONE;

  /* The merchant page */
  if (self->rows != NULL)
    {
      g_autofree gchar *tid = offauth_hex (st->terminal_id, 8);
      g_autofree gchar *head = offauth_hex (st->journal_head, 4);
      g_autofree gchar *floor = st->config.floor_limit ? amount (self, st->config.floor_limit) : g_strdup (_("none"));
      g_autofree gchar *cap_total = st->config.cap_total ? amount (self, st->config.cap_total) : g_strdup (_("none"));
      g_autofree gchar *stale = amount (self, st->config.stale_cap);
      g_autofree gchar *v = NULL;

      set_row (self, "state", paused ? offauth_reason_code (st->state) : _("ready"));
      v = g_strdup_printf ("%s · %s…", st->merchant_id, tid);
      set_row (self, "terminal", v);
      g_clear_pointer (&v, g_free);
      v = st->root_fingerprint
            ? g_strdup_printf ("%.16s… %s", st->root_fingerprint,
                               st->root_trusted_on_first_use ? _("(trusted on first use)") : _("(pinned)"))
            : g_strdup ("—");
      set_row (self, "root", v);
      g_clear_pointer (&v, g_free);
      {
        g_autofree gchar *keys = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "sequence %" PRIu64 ", %u issuer key",
                                                               "sequence %" PRIu64 ", %u issuer keys", st->n_issuer_keys),
                                                  st->bundle_sequence, st->n_issuer_keys);
        g_autofree gchar *age = offauth_format_duration (now - (gint64) st->bundle_issued_at);
        g_autofree gchar *left = offauth_format_duration ((gint64) st->bundle_expires_at - now);
        /* Translators: "sequence 3, 2 issuer keys; issued 3 h ago, expires in 29 d 21 h" */
        v = g_strdup_printf (_("%s; issued %s ago, expires in %s"), keys, age, left);
        set_row (self, "bundle", v);
        g_clear_pointer (&v, g_free);
      }
      {
        g_autofree gchar *lists = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u list", "%u lists",
                                                                st->n_revocation_lists), st->n_revocation_lists);
        g_autofree gchar *age = offauth_format_duration (now - (gint64) st->oldest_revocation_issued_at);
        /* Translators: "2 lists, the oldest issued 2 h ago" */
        v = st->n_revocation_lists ? g_strdup_printf (_("%s, the oldest issued %s ago"), lists, age) : g_strdup (lists);
      }
      set_row (self, "revocations", v);
      g_clear_pointer (&v, g_free);
      /* Translators: the terminal's limits on the merchant page */
      v = g_strdup_printf (_("floor %s · cap %s or %" PRIu64 " sales · above %s needs fresh revocation data"),
                           floor, cap_total, st->config.cap_count, stale);
      set_row (self, "limits", v);
      g_clear_pointer (&v, g_free);
      {
        g_autofree gchar *sales = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sale", "%u sales",
                                                                (gulong) st->n_sales), (guint) st->n_sales);
        g_autofree gchar *payers = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u payer", "%u payers",
                                                                 (gulong) st->n_credentials), (guint) st->n_credentials);
        g_autofree gchar *blocked = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u blocked", "%u blocked",
                                                                  (gulong) st->n_negative), (guint) st->n_negative);
        v = g_strdup_printf ("%s · %s · %s", sales, payers, blocked);
      }
      set_row (self, "counters", v);
      g_clear_pointer (&v, g_free);
      v = g_strdup_printf (_("%" PRIu64 " rows, head %s"), st->journal_rows, head);
      set_row (self, "journal", v);
      set_row (self, "database", offauth_service_get_db_path (self->service));
      gtk_widget_set_visible (self->clock_button, st->state == OFFAUTH_REASON_CLOCK_UNTRUSTED);
    }

  /* Nothing is silent: a terminal that pauses, or resumes, says so. */
  if (st->state != self->last_state)
    {
      if (paused)
        till_host_notify (self->host, offauth_reason_message (st->state), TRUE);
      else if (self->last_state != OFFAUTH_N_REASONS)
        till_host_notify (self->host, _("Offline payments are possible again."), FALSE);
      self->last_state = st->state;
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  OffauthAddin *self = user_data;

  /* Ages move on, and a deadline can pass with no sale: read the state again. */
  offauth_service_refresh (self->service);
  return G_SOURCE_CONTINUE;
}

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(OffauthAddin) self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->verify_row == NULL)
    return;
  if (offauth_service_verify_finish (OFFAUTH_SERVICE (source), result, &error))
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->verify_row), _("The journal verifies: no row was changed or removed."));
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->verify_row), error->message);
}

static void
verify_clicked_cb (GtkButton    *button,
                   OffauthAddin *self)
{
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->verify_row), _("Checking every row…"));
  offauth_service_verify_async (self->service, verified_cb, g_object_ref (self));
}

static void
clock_clicked_cb (GtkButton    *button,
                  OffauthAddin *self)
{
  g_autoptr(GError) error = NULL;

  if (!offauth_service_accept_clock (self->service, &error))
    till_host_notify (self->host, error->message, FALSE);
}

static GtkWidget *
add_row (OffauthAddin       *self,
         AdwPreferencesGroup *group,
         const char         *name,
         const char         *title)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_group_add (group, row);
  g_hash_table_insert (self->rows, g_strdup (name), row);
  return row;
}

static GtkWidget *
build_page (OffauthAddin *self)
{
  GtkWidget *page = adw_preferences_page_new ();
  AdwPreferencesGroup *terminal = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *journal = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *button;

  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  adw_preferences_group_set_title (terminal, _("Offline payments"));
  add_row (self, terminal, "state", _("State"));
  self->clock_button = gtk_button_new_with_label (_("The clock is right"));
  gtk_widget_set_valign (self->clock_button, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->clock_button, FALSE);
  g_signal_connect (self->clock_button, "clicked", G_CALLBACK (clock_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (g_hash_table_lookup (self->rows, "state")), self->clock_button);
  add_row (self, terminal, "terminal", _("Merchant and terminal"));
  add_row (self, terminal, "root", _("Scheme root key"));
  add_row (self, terminal, "bundle", _("Trust bundle"));
  add_row (self, terminal, "revocations", _("Revocation lists"));
  add_row (self, terminal, "limits", _("Limits"));
  add_row (self, terminal, "counters", _("Recorded"));
  add_row (self, terminal, "database", _("Database"));

  adw_preferences_group_set_title (journal, _("Journal"));
  add_row (self, journal, "journal", _("Hash chain"));
  self->verify_row = add_row (self, journal, "verify", _("Verification"));
  button = gtk_button_new_with_label (_("Verify now"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect (button, "clicked", G_CALLBACK (verify_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self->verify_row), button);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->verify_row), _("Not checked since the kiosk started."));

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), terminal);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), journal);
  return page;
}

static void
offauth_addin_load (TillHostAddin *addin,
                    TillHost      *host)
{
  OffauthAddin *self = OFFAUTH_ADDIN (addin);

  self->service = g_object_ref (offauth_plugin_service (host));
  self->last_state = OFFAUTH_N_REASONS;
  self->pill = offauth_status_pill_new (self->service, host);
  self->page = build_page (self);
  till_host_add_status_widget (host, self->pill);
  till_host_add_merchant_page (host, "offauth", _("Offline payments"), self->page);
  self->changed_id = g_signal_connect_swapped (self->service, "changed", G_CALLBACK (update), self);
  self->tick_id = g_timeout_add_seconds (30, tick_cb, self);
  update (self);
}

static void
offauth_addin_unload (TillHostAddin *addin,
                      TillHost      *host)
{
  OffauthAddin *self = OFFAUTH_ADDIN (addin);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_signal_handler (&self->changed_id, self->service);
  if (self->pill != NULL)
    till_host_remove_widget (host, self->pill);
  if (self->page != NULL)
    till_host_remove_widget (host, self->page);
  self->pill = self->page = NULL;
  self->verify_row = NULL;
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_object (&self->service);
}

static void
addin_iface_init (TillHostAddinInterface *iface)
{
  iface->load = offauth_addin_load;
  iface->unload = offauth_addin_unload;
}

static void
offauth_addin_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_HOST:
      g_set_weak_pointer (&OFFAUTH_ADDIN (object)->host, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_addin_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_object (value, OFFAUTH_ADDIN (object)->host);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_addin_finalize (GObject *object)
{
  OffauthAddin *self = OFFAUTH_ADDIN (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_signal_handler (&self->changed_id, self->service);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_object (&self->service);
  g_clear_weak_pointer (&self->host);
  G_OBJECT_CLASS (offauth_addin_parent_class)->finalize (object);
}

static void
offauth_addin_class_init (OffauthAddinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = offauth_addin_set_property;
  object_class->get_property = offauth_addin_get_property;
  object_class->finalize = offauth_addin_finalize;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
offauth_addin_init (OffauthAddin *self)
{
}
