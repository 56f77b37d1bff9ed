/* offauth-terminal: the offline terminal on the command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-terminal"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "offauth.h"
#include "offauth-acquirer-client.h"
#include "tool-common.h"
#include "offauth-terminal-sync.h"
#include "tool-inspect.h"

gboolean opt_json;
static gchar *opt_trust;
static gchar *opt_merchant;
static gchar *opt_root;
static gchar *opt_floor_limit;
static gchar *opt_cap_total;
static gchar *opt_cap_count;
static gchar *opt_stale_cap;
static gchar *opt_scope;
static gchar *opt_deadline_hours;
static gchar *opt_request_lifetime;
static gchar **opt_category_floors;
static gchar **opt_lines;
static gboolean opt_online;
static gchar *opt_reason;
static gchar *opt_checkpoint;

static const GOptionEntry json_entry[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("Print the result as JSON"), NULL },
  { NULL }
};

static guint64
fixed_now (gpointer user_data)
{
  return *(const guint64 *) user_data;
}

OffauthTerminal *
open_terminal (const char *path, OffauthOpenFlags flags, GError **error)
{
  static guint64 now;
  OffauthTerminal *t;

  if (!(flags & OFFAUTH_OPEN_NO_CHECK) && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   _("%s does not exist: run offauth-terminal init first"), path);
      return NULL;
    }
  t = offauth_terminal_open (path, flags, error);
  if (t != NULL && tool_fixed_now (&now))
    offauth_terminal_set_now_func (t, fixed_now, &now);
  return t;
}

static void
json_member_int (JsonBuilder *b, const char *name, guint64 v)
{
  tool_json_u64 (b, name, v);
}

static void
json_member_str (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  if (v != NULL)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
json_member_bool (JsonBuilder *b, const char *name, gboolean v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, v);
}

/* The limit options shared by init and config. */
static gboolean
apply_limits (OffauthTerminalConfig *c)
{
  const struct
  {
    const char *text;
    guint64    *target;
    guint64     scale;
  } opts[] = {
    { opt_floor_limit, &c->floor_limit, 1 },
    { opt_cap_total, &c->cap_total, 1 },
    { opt_cap_count, &c->cap_count, 1 },
    { opt_stale_cap, &c->stale_cap, 1 },
    { opt_deadline_hours, &c->upload_deadline, 3600 },
    { opt_request_lifetime, &c->request_lifetime, 1 },
  };
  guint64 scope;

  for (gsize i = 0; i < G_N_ELEMENTS (opts); i++)
    {
      guint64 v;
      if (opts[i].text == NULL)
        continue;
      if (!tool_parse_u64 (opts[i].text, &v) || v > G_MAXINT64 / opts[i].scale)
        return FALSE;
      *opts[i].target = v * opts[i].scale;
    }
  if (opt_scope != NULL)
    {
      if (!tool_parse_u64 (opt_scope, &scope) || scope > G_MAXUINT32)
        return FALSE;
      c->scope = (guint32) scope;
    }
  return TRUE;
}

static gboolean
apply_category_floors (OffauthTerminal *t, GError **error)
{
  for (gsize i = 0; opt_category_floors != NULL && opt_category_floors[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (opt_category_floors[i], "=", 2);
      guint64 floor;

      if (g_strv_length (parts) != 2 || parts[0][0] == '\0' || !tool_parse_u64 (parts[1], &floor))
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                       _("--category-floor takes CATEGORY=AMOUNT, not %s"), opt_category_floors[i]);
          return FALSE;
        }
      if (!offauth_terminal_set_category_floor (t, parts[0], floor, error))
        return FALSE;
    }
  return TRUE;
}

static void
print_config (JsonBuilder *b, const OffauthTerminalConfig *c)
{
  json_builder_set_member_name (b, "limits");
  json_builder_begin_object (b);
  json_member_int (b, "floor_limit", c->floor_limit);
  json_member_int (b, "cap_total", c->cap_total);
  json_member_int (b, "cap_count", c->cap_count);
  json_member_int (b, "stale_cap", c->stale_cap);
  json_member_int (b, "upload_deadline", c->upload_deadline);
  json_member_int (b, "request_lifetime", c->request_lifetime);
  json_member_int (b, "scope", c->scope);
  json_builder_end_object (b);
}

static int
cmd_init (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  g_autofree gchar *bundle = NULL;
  OffauthTerminalConfig config;
  OffauthTerminalStatus st;
  g_autofree gchar *key = argc >= 2 ? g_strconcat (argv[1], ".key", NULL) : NULL;
  gboolean key_existed;
  int fd;

  offauth_terminal_config_init (&config);
  if (argc != 2 || opt_trust == NULL || opt_merchant == NULL || !apply_limits (&config))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal init DB --trust BUNDLE --merchant ID [--root FINGERPRINT] "
                        "[--floor-limit N] [--cap-total N] [--cap-count N]"));
  /* The trust bundle first (it may come slowly on standard input), then the database file
   * created exclusively: from then on this process owns the path, and a second init of the
   * same path fails here, before it touches anything. */
  if ((bundle = tool_read_arg (opt_trust, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  fd = g_open (argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    return tool_fail (opt_json, TOOL_USAGE, "bad_input", _("%s already exists"), argv[1]);
  if (fd < 0)
    {
      int saved = errno;
      return tool_fail (opt_json, TOOL_REFUSED, "storage_unavailable", _("Cannot create %s: %s"),
                        argv[1], g_strerror (saved));
    }
  close (fd);
  key_existed = g_file_test (key, G_FILE_TEST_EXISTS);
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_NO_CHECK, &error)) == NULL ||
      !offauth_terminal_enroll (t, bundle, opt_merchant, opt_root, &config, &error) ||
      !apply_category_floors (t, &error))
    {
      g_autofree gchar *wal = g_strconcat (argv[1], "-wal", NULL);
      g_autofree gchar *shm = g_strconcat (argv[1], "-shm", NULL);

      /* Leave nothing half made behind: only what this process created (the database
       * and, if it was not there before, the key). The lock file stays: removing a lock
       * that another process may have opened would let two processes hold it. */
      g_clear_pointer (&t, offauth_terminal_free);
      g_unlink (argv[1]);
      g_unlink (wal);
      g_unlink (shm);
      if (!key_existed)
        g_unlink (key);
      return tool_fail_error (opt_json, error, TOOL_USAGE, "enroll_failed");
    }
  offauth_terminal_get_status (t, &st);
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_member_bool (b, "ok", TRUE);
      json_member_str (b, "merchant_id", st.merchant_id);
      tool_json_hex (b, "terminal_id", st.terminal_id, sizeof st.terminal_id);
      json_member_str (b, "root_fingerprint", st.root_fingerprint);
      json_member_bool (b, "root_trusted_on_first_use", st.root_trusted_on_first_use);
      print_config (b, &st.config);
      json_builder_end_object (b);
      tool_print_json (b);
    }
  else
    {
      g_autofree gchar *tid = offauth_hex (st.terminal_id, sizeof st.terminal_id);
      g_print (_("Terminal %s enrolled for merchant %s.\n"), tid, st.merchant_id);
      if (st.root_trusted_on_first_use)
        g_print (_("No --root was given: the root key below is trusted on first use. "
                   "Check it against the issuer's:\n%s\n"), st.root_fingerprint);
      else
        g_print (_("Root key %s matches.\n"), st.root_fingerprint);
    }
  offauth_terminal_status_clear (&st);
  return TOOL_OK;
}

static int
cmd_config (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  OffauthTerminalStatus st;
  OffauthTerminalConfig config;

  if (argc != 2)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-terminal config DB [LIMIT OPTIONS]"));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  offauth_terminal_get_status (t, &st);
  config = st.config;
  offauth_terminal_status_clear (&st);
  if (!apply_limits (&config))
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("limits are whole numbers"));
  if (!offauth_terminal_set_config (t, &config, &error) || !apply_category_floors (t, &error))
    return tool_fail_error (opt_json, error, TOOL_USAGE, "config_failed");
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_member_bool (b, "ok", TRUE);
      print_config (b, &config);
      json_builder_end_object (b);
      tool_print_json (b);
    }
  else
    g_print (_("Limits saved.\n"));
  return TOOL_OK;
}

static int
refused_state (OffauthReason reason)
{
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_member_bool (b, "ok", FALSE);
      json_member_str (b, "reason", offauth_reason_code (reason));
      json_member_str (b, "message", offauth_reason_message (reason));
      json_member_str (b, "detail", offauth_reason_detail (reason));
      json_member_str (b, "next_step", offauth_reason_next_step (reason));
      json_builder_end_object (b);
      tool_print_json (b);
    }
  else
    g_print ("%s %s %s [%s]\n", offauth_reason_message (reason), offauth_reason_detail (reason),
             offauth_reason_next_step (reason), offauth_reason_code (reason));
  return TOOL_REFUSED;
}

static int
cmd_request (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  g_autofree gchar *text = NULL;
  OffauthReason reason = OFFAUTH_REASON_NONE;
  guint64 amount;

  if (argc != 4 || !tool_parse_u64 (argv[2], &amount) || amount < 1 || !offauth_currency_valid (argv[3]))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal request DB AMOUNT CURRENCY (amount in minor units, "
                        "for example 450 EUR)"));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  text = offauth_terminal_create_request (t, amount, argv[3], &reason, &error);
  if (text == NULL && offauth_reason_is_terminal_state (reason))
    return refused_state (reason);
  if (text == NULL)
    return tool_fail (opt_json, TOOL_USAGE, reason ? offauth_reason_code (reason) : "bad_input",
                      "%s", error->message);
  tool_print_text (opt_json, "request", text);
  return TOOL_OK;
}

static void
print_decision (const OffauthDecision *d)
{
  g_autofree gchar *amount = d->currency[0] ? money_format_amount (d->amount, d->currency) : NULL;
  g_autofree gchar *time = NULL;

  if (d->time != 0)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local ((gint64) d->time);
      time = dt ? g_date_time_format (dt, "%X") : NULL;
    }
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_member_bool (b, "approved", d->approved);
      json_member_str (b, "reason", offauth_reason_code (d->reason));
      json_member_bool (b, "already_recorded", d->already_recorded || d->reason == OFFAUTH_REASON_ALREADY_RECORDED);
      json_member_bool (b, "garbled", d->garbled);
      json_member_bool (b, "outcome_unknown", d->outcome_unknown);
      if (d->declined_online)
        json_member_str (b, "online_reason", offauth_settle_reason_name (d->online_reason));
      if (d->approved)
        json_member_str (b, "mode", d->mode == OFFAUTH_MODE_ONLINE ? "online" : "offline");
      if (d->amount)
        {
          json_member_int (b, "amount", d->amount);
          json_member_str (b, "currency", d->currency);
          tool_json_hex (b, "sale_id", d->sale_id, sizeof d->sale_id);
        }
      if (d->sale_number)
        {
          json_member_int (b, "sale_number", d->sale_number);
          json_member_int (b, "time", d->time);
          tool_json_hex (b, "journal_hash", d->journal_hash, sizeof d->journal_hash);
        }
      json_member_str (b, "message", d->garbled ? offauth_garbled_message ()
                                     : d->declined_online ? offauth_online_decline_message (d->online_reason)
                                     : d->outcome_unknown ? offauth_unknown_outcome_message ()
                                     : offauth_reason_message (d->reason));
      json_member_str (b, "next_step", d->garbled ? offauth_garbled_next_step ()
                                       : d->declined_online ? offauth_online_decline_next_step (d->online_reason)
                                       : d->outcome_unknown ? offauth_unknown_outcome_next_step ()
                                       : offauth_reason_next_step (d->reason));
      json_member_str (b, "detail", d->detail);
      json_builder_end_object (b);
      tool_print_json (b);
      return;
    }
  if (d->approved)
    {
      g_autofree gchar *hash = offauth_hex (d->journal_hash, 4);
      if (d->already_recorded)
        g_print (_("Already paid: sale %" PRIu64 ", %s (the same payment again, recorded once)\n"),
                 d->sale_number, amount);
      else if (d->mode == OFFAUTH_MODE_ONLINE)
        g_print (_("Approved online: sale %" PRIu64 ", %s\n"), d->sale_number, amount);
      else
        g_print (_("Approved offline: sale %" PRIu64 ", %s\n"), d->sale_number, amount);
      g_print (_("Journal row %" PRIu64 ", hash %s\n"), d->sale_number, hash);
      return;
    }
  if (d->garbled)
    g_print ("%s %s [%s: %s]\n", offauth_garbled_message (), offauth_garbled_next_step (),
             offauth_reason_code (d->reason), d->detail);
  else if (d->declined_online)
    g_print ("%s %s [%s: %s]\n", offauth_online_decline_message (d->online_reason),
             offauth_online_decline_next_step (d->online_reason),
             offauth_settle_reason_name (d->online_reason), d->detail);
  else if (d->outcome_unknown)
    g_print ("%s %s [%s: %s]\n", offauth_unknown_outcome_message (),
             offauth_unknown_outcome_next_step (), offauth_reason_code (d->reason), d->detail);
  else if (d->reason == OFFAUTH_REASON_ALREADY_RECORDED)
    g_print (_("This code was used for sale %" PRIu64 " (%s) at %s. %s [%s]\n"), d->sale_number,
             amount, time ? time : "?", offauth_reason_next_step (d->reason), offauth_reason_code (d->reason));
  else
    g_print ("%s %s [%s: %s]\n", offauth_reason_message (d->reason), offauth_reason_next_step (d->reason),
             offauth_reason_code (d->reason), d->detail);
}

static void
online_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* --online: a payment refused only for a reason the spec lets go online is sent to the
 * pinned acquirer within the online timeout; anything but a decision the engine applies
 * leaves the offline decision (said on stderr). */
static void
authorize_online (OffauthTerminal       *t,
                  const char            *text,
                  gssize                 text_len,
                  const OffauthSaleLine *lines,
                  gsize                  n_lines,
                  OffauthDecision       *d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthAcquirerClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *o = NULL;
  g_autofree gchar *answer = NULL;
  guint64 timeout_ms = offauth_terminal_online_timeout (t);
  OffauthDecision online;
  gint64 start;

  if (d->approved || !offauth_reason_allows_online (d->reason))
    return;
  if (!offauth_terminal_get_acquirer (t, &url, NULL) ||
      (o = offauth_terminal_online_request (t, text, text_len, lines, n_lines, d, &error)) == NULL ||
      (client = offauth_acquirer_client_new (url, (guint) ((timeout_ms + 999) / 1000), &error)) == NULL)
    {
      g_printerr (_("Not authorized online: %s\n"), error ? error->message : _("no acquirer is pinned"));
      return;
    }
  start = g_get_monotonic_time ();
  offauth_acquirer_client_authorize_async (client, o, NULL, online_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  answer = offauth_acquirer_client_authorize_finish (client, result, &error);
  if (answer == NULL ||
      !offauth_terminal_online_apply (t, o, answer, -1,
                                      (guint64) (g_get_monotonic_time () - start) / 1000,
                                      &online, &error))
    {
      g_printerr (_("Not authorized online, the offline decision stands: %s\n"), error->message);
      return;
    }
  *d = online;
}

static int
cmd_authorize (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  g_autofree gchar *text = NULL;
  gsize text_len = 0;
  g_autoptr(GArray) lines = g_array_new (FALSE, FALSE, sizeof (OffauthSaleLine));
  g_auto(GStrv) split = NULL;
  OffauthDecision d;

  if (argc != 3)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal authorize DB PAYMENT [--line CATEGORY=AMOUNT...] [--online]"));
  for (gsize i = 0; opt_lines != NULL && opt_lines[i] != NULL; i++)
    {
      char *eq = strchr (opt_lines[i], '=');
      OffauthSaleLine line;
      if (eq == NULL || eq == opt_lines[i] || !tool_parse_u64 (eq + 1, &line.amount))
        return tool_fail (opt_json, TOOL_USAGE, "usage", _("--line takes CATEGORY=AMOUNT"));
      *eq = '\0';
      line.category = opt_lines[i];
      g_array_append_val (lines, line);
    }
  /* Every byte goes to the decision: a code followed by a NUL and more is malformed. */
  if ((text = tool_read_arg_bytes (argv[2], &text_len, &error)) == NULL ||
      (t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  offauth_terminal_authorize (t, text, (gssize) text_len, (const OffauthSaleLine *) (gpointer) lines->data, lines->len, &d);
  if (opt_online)
    authorize_online (t, text, (gssize) text_len, (const OffauthSaleLine *) (gpointer) lines->data,
                      lines->len, &d);
  print_decision (&d);
  return d.approved ? TOOL_OK : TOOL_REFUSED;
}

static int
cmd_revocations (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;

  if (argc < 3)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-terminal revocations DB LIST..."));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  for (int i = 2; i < argc; i++)
    {
      g_autofree gchar *text = tool_read_arg (argv[i], &error);
      /* A file may hold several lists, one per line, as offauth-issuer prints them. */
      g_auto(GStrv) lists = text ? g_strsplit (text, "\n", -1) : NULL;

      if (text == NULL)
        return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
      for (gsize j = 0; lists[j] != NULL; j++)
        {
          g_strstrip (lists[j]);
          if (lists[j][0] == '\0')
            continue;
          if (!offauth_terminal_load_revocations (t, lists[j], &error))
            return tool_fail_error (opt_json, error, g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED)
                                          ? TOOL_USAGE : TOOL_REFUSED,
                              "refused");
        }
    }
  tool_print_text (opt_json, "result", opt_json ? "loaded" : _("Revocation lists loaded."));
  return TOOL_OK;
}

static int
cmd_trust (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  g_autofree gchar *text = NULL;

  if (argc != 3)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-terminal trust DB BUNDLE"));
  if ((text = tool_read_arg (argv[2], &error)) == NULL ||
      (t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  if (!offauth_terminal_load_bundle (t, text, &error))
    return tool_fail_error (opt_json, error, g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED)
                                  ? TOOL_USAGE : TOOL_REFUSED,
                      "refused");
  tool_print_text (opt_json, "result", opt_json ? "loaded" : _("Trust bundle loaded."));
  return TOOL_OK;
}

static int
cmd_block (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  guint8 id[OFFAUTH_CREDENTIAL_ID_SIZE];

  if (argc != 3 || !offauth_unhex (argv[2], id, sizeof id))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal block DB CREDENTIAL_ID [--reason TEXT]"));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL ||
      !offauth_terminal_add_negative (t, id, opt_reason ? opt_reason : "blocked by the merchant", &error))
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  tool_print_text (opt_json, "result", opt_json ? "blocked" : _("The credential is on the negative list."));
  return TOOL_OK;
}

static int
cmd_accept_clock (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;

  if (argc != 2)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-terminal accept-clock DB"));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL ||
      !offauth_terminal_accept_clock (t, &error))
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  tool_print_text (opt_json, "result", opt_json ? "accepted" : _("The current clock is accepted and recorded in the journal."));
  return TOOL_OK;
}

static int
cmd_status (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  OffauthTerminalStatus st;
  g_autofree gchar *tid = NULL;
  g_autofree gchar *tpk = NULL;
  g_autofree gchar *head = NULL;

  if (argc != 2)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-terminal status DB"));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_READ_ONLY, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  offauth_terminal_get_status (t, &st);
  tid = offauth_hex (st.terminal_id, sizeof st.terminal_id);
  /* What an acquirer registers the terminal by (offauth-acquirer terminal --key). */
  tpk = st.enrolled ? offauth_b64_encode (st.terminal_public_key, sizeof st.terminal_public_key)
                    : g_strdup ("");
  head = offauth_hex (st.journal_head, sizeof st.journal_head);
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_member_bool (b, "enrolled", st.enrolled);
      json_member_str (b, "merchant_id", st.merchant_id);
      json_member_str (b, "terminal_id", tid);
      json_member_str (b, "terminal_public_key", tpk);
      json_member_str (b, "state", st.state == OFFAUTH_REASON_NONE ? "ready" : offauth_reason_code (st.state));
      json_member_str (b, "root_fingerprint", st.root_fingerprint);
      json_member_int (b, "bundle_sequence", st.bundle_sequence);
      json_member_int (b, "bundle_issued_at", st.bundle_issued_at);
      json_member_int (b, "bundle_expires_at", st.bundle_expires_at);
      json_member_int (b, "issuer_keys", st.n_issuer_keys);
      json_member_int (b, "revocation_lists", st.n_revocation_lists);
      json_member_int (b, "oldest_revocation_issued_at", st.oldest_revocation_issued_at);
      json_member_int (b, "unsettled_count", st.unsettled_count);
      json_member_int (b, "unsettled_total", st.unsettled_total);
      json_member_int (b, "oldest_unsettled_time", st.oldest_unsettled_time);
      json_member_int (b, "journal_rows", st.journal_rows);
      json_member_str (b, "journal_head", head);
      json_member_int (b, "sales", st.n_sales);
      json_member_int (b, "credentials", st.n_credentials);
      json_member_int (b, "negative_list", st.n_negative);
      print_config (b, &st.config);
      json_builder_end_object (b);
      tool_print_json (b);
    }
  else
    {
      g_print (_("Terminal %s, merchant %s\n"), tid, st.merchant_id);
      if (st.enrolled)
        g_print (_("Terminal public key: %s\n"), tpk);
      /* Translators: the terminal's state: "offline payments possible", or why it is paused */
      g_print (_("State: %s\n"), st.state == OFFAUTH_REASON_NONE ? _("offline payments possible")
                                                                  : offauth_reason_code (st.state));
      g_print (g_dngettext (GETTEXT_PACKAGE, "Waiting for upload: %" PRIu64 " sale, %" PRIu64 " minor units in all\n",
                            "Waiting for upload: %" PRIu64 " sales, %" PRIu64 " minor units in all\n",
                            (gulong) MIN (st.unsettled_count, G_MAXULONG)),
               st.unsettled_count, st.unsettled_total);
      g_print (_("Trust bundle %" PRIu64 ", expires at %" PRIu64 "; %u revocation lists\n"),
               st.bundle_sequence, st.bundle_expires_at, st.n_revocation_lists);
      g_print (_("Journal: %" PRIu64 " rows, head %s\n"), st.journal_rows, head);
    }
  offauth_terminal_status_clear (&st);
  return TOOL_OK;
}

typedef struct
{
  GString *out;
  JsonBuilder *b;
} ListData;

static gboolean
list_record_cb (guint64 seq, guint kind, guint64 time, const guint8 *payload, gsize len,
                const guint8 hash[OFFAUTH_HASH_SIZE], gpointer user_data)
{
  ListData *data = user_data;
  const char *name = offauth_record_kind_name (kind);
  g_autofree gchar *h = offauth_hex (hash, 4);
  g_autofree gchar *what = NULL;
  g_auto(OffauthRecord) rec = { 0 };
  gboolean parsed = offauth_record_parse_payload (&rec, kind, time, payload, len, NULL);

  if (parsed && kind == OFFAUTH_RECORD_SALE_APPROVED)
    {
      const OffauthPayment *p = &rec.sale.payment;
      g_autofree gchar *cid = offauth_hex (p->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
      what = g_strdup_printf ("%" PRIu64 " %s credential %s counter %u %s", p->request.amount,
                              p->request.currency, cid, p->counter,
                              rec.sale.mode ? "online" : "offline");
    }
  else if (parsed && kind == OFFAUTH_RECORD_SETTING)
    what = g_strdup_printf ("%s=%" PRIu64, rec.setting.name, rec.setting.value);
  else if (parsed && kind == OFFAUTH_RECORD_SALE_STATE)
    {
      const OffauthVerdict *v = &rec.sale_state.verdict;
      what = g_strdup_printf ("sale %" PRIu64 " %s %s attempt %u retry_after %" PRIu64,
                              v->sale_seq, offauth_wire_state_name (v->state),
                              offauth_settle_reason_name (v->reason), v->attempt,
                              v->retry_after);
    }
  else if (parsed && kind == OFFAUTH_RECORD_SYNC_ACCEPTED)
    {
      g_autofree gchar *ah = offauth_hex (rec.sync_accepted.answer_hash, 4);
      what = g_strdup_printf ("acked %" PRIu64 " acquirer_time %" PRIu64 " cursor %" PRIu64
                              " answer %s", rec.sync_accepted.acked_seq,
                              rec.sync_accepted.acquirer_time, rec.sync_accepted.verdict_cursor,
                              ah);
    }
  if (data->b != NULL)
    {
      json_builder_begin_object (data->b);
      json_member_int (data->b, "seq", seq);
      json_member_str (data->b, "kind", name);
      json_member_int (data->b, "time", time);
      json_member_str (data->b, "hash8", h);
      json_member_str (data->b, "summary", what);
      json_builder_end_object (data->b);
    }
  else
    g_string_append_printf (data->out, "%6" PRIu64 "  %s  %" PRIu64 "  %-11s %s\n",
                            seq, h, time, name, what ? what : "");
  return TRUE;
}

static int
cmd_journal (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  const char *action = argc >= 3 ? argv[2] : "list";

  if (argc < 2 || argc > 3)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal journal DB [list|verify|checkpoint] [--checkpoint TEXT]"));
  if (strcmp (action, "verify") == 0)
    {
      guint64 bad = 0;
      gboolean ok;
      g_autofree gchar *ckpt = NULL;

      if ((t = open_terminal (argv[1], OFFAUTH_OPEN_NO_CHECK | OFFAUTH_OPEN_READ_ONLY, &error)) == NULL)
        return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
      ok = offauth_terminal_verify (t, &bad, &error);
      if (ok && opt_checkpoint != NULL)
        ok = (ckpt = tool_read_arg (opt_checkpoint, &error)) != NULL &&
             offauth_terminal_verify_checkpoint (t, ckpt, &bad, &error);
      if (opt_json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          json_builder_begin_object (b);
          json_member_bool (b, "ok", ok);
          if (!ok)
            {
              json_member_int (b, "first_bad_row", bad);
              json_member_str (b, "message", error->message);
            }
          json_builder_end_object (b);
          tool_print_json (b);
        }
      else if (ok)
        g_print (_("The journal verifies.\n"));
      else
        g_print (_("The journal does not verify: %s\n"), error->message);
      return ok ? TOOL_OK : TOOL_REFUSED;
    }
  if (strcmp (action, "checkpoint") == 0)
    {
      g_autofree gchar *text = NULL;
      if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL ||
          (text = offauth_terminal_make_checkpoint (t, &error)) == NULL)
        return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
      tool_print_text (opt_json, "checkpoint", text);
      return TOOL_OK;
    }
  if (strcmp (action, "list") == 0)
    {
      ListData data = { 0 };
      g_autoptr(JsonBuilder) b = opt_json ? json_builder_new () : NULL;
      g_autoptr(GString) out = g_string_new (NULL);

      data.out = out;
      data.b = b;
      if ((t = open_terminal (argv[1], OFFAUTH_OPEN_NO_CHECK | OFFAUTH_OPEN_READ_ONLY, &error)) == NULL)
        return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
      if (b != NULL)
        json_builder_begin_array (b);
      if (!offauth_terminal_foreach_record (t, 1, list_record_cb, &data, &error))
        return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
      if (b != NULL)
        {
          json_builder_end_array (b);
          tool_print_json (b);
        }
      else
        g_print ("%s", out->str);
      return TOOL_OK;
    }
  return tool_fail (opt_json, TOOL_USAGE, "usage", _("journal actions are list, verify and checkpoint"));
}

#define LIMIT_ENTRIES \
  { "floor-limit", 0, 0, G_OPTION_ARG_STRING, &opt_floor_limit, N_("Largest offline amount without online check (0 = none)"), "N" }, \
  { "cap-total", 0, 0, G_OPTION_ARG_STRING, &opt_cap_total, N_("Unsettled value that pauses offline sales (0 = none)"), "N" }, \
  { "cap-count", 0, 0, G_OPTION_ARG_STRING, &opt_cap_count, N_("Unsettled sales that pause offline sales (0 = none)"), "N" }, \
  { "stale-cap", 0, 0, G_OPTION_ARG_STRING, &opt_stale_cap, N_("Largest amount with stale revocation data (1000)"), "N" }, \
  { "deadline-hours", 0, 0, G_OPTION_ARG_STRING, &opt_deadline_hours, N_("Hours a sale may wait for upload (24)"), "N" }, \
  { "request-lifetime", 0, 0, G_OPTION_ARG_STRING, &opt_request_lifetime, N_("Seconds a request stays valid (300)"), "S" }, \
  { "scope", 0, 0, G_OPTION_ARG_STRING, &opt_scope, N_("The merchant's scope"), "N" }, \
  { "category-floor", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_category_floors, N_("Floor limit of a product category"), "CATEGORY=N" }

static const GOptionEntry init_entries[] = {
  { "trust", 0, 0, G_OPTION_ARG_STRING, &opt_trust, N_("The trust bundle (text, file or -)"), "BUNDLE" },
  { "merchant", 0, 0, G_OPTION_ARG_STRING, &opt_merchant, N_("The merchant id"), "ID" },
  { "root", 0, 0, G_OPTION_ARG_STRING, &opt_root, N_("The root key's fingerprint, given out of band"), "FINGERPRINT" },
  LIMIT_ENTRIES,
  { NULL }
};

static const GOptionEntry config_entries[] = {
  LIMIT_ENTRIES,
  { NULL }
};

static const GOptionEntry authorize_entries[] = {
  { "line", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_lines, N_("A sale line's category and amount"), "CATEGORY=N" },
  { "online", 0, 0, G_OPTION_ARG_NONE, &opt_online, N_("Ask the pinned acquirer when the offline decision allows it"), NULL },
  { NULL }
};

static const GOptionEntry block_entries[] = {
  { "reason", 0, 0, G_OPTION_ARG_STRING, &opt_reason, N_("Why the credential is blocked"), "TEXT" },
  { NULL }
};

static const GOptionEntry journal_entries[] = {
  { "checkpoint", 0, 0, G_OPTION_ARG_STRING, &opt_checkpoint, N_("With verify: a checkpoint that left the device"), "TEXT" },
  { NULL }
};

static int
cmd_inspect (int argc, char **argv)
{
  return tool_inspect (opt_json, argc, argv);
}

static const ToolCommand commands[] = {
  { "init", "DB", N_("Enroll a terminal: pin the root, create its key"), cmd_init, init_entries },
  { "config", "DB", N_("Change the terminal's limits"), cmd_config, config_entries },
  { "request", "DB AMOUNT CURRENCY", N_("Issue a payment request (prints its text)"), cmd_request, NULL },
  { "authorize", "DB PAYMENT", N_("Decide on a payment offline and record it"), cmd_authorize, authorize_entries },
  { "revocations", "DB LIST...", N_("Load revocation lists"), cmd_revocations, NULL },
  { "trust", "DB BUNDLE", N_("Load a newer trust bundle"), cmd_trust, NULL },
  { "block", "DB CREDENTIAL_ID", N_("Put a credential on the negative list"), cmd_block, block_entries },
  { "accept-clock", "DB", N_("Accept the current clock (recorded)"), cmd_accept_clock, NULL },
  { "status", "DB", N_("Show the terminal's state and limits"), cmd_status, NULL },
  { "journal", "DB [list|verify|checkpoint]", N_("List, verify or checkpoint the journal"), cmd_journal, journal_entries },
  { "acquirer", "DB URL", N_("Pin the acquirer: its URL and key (journaled)"), terminal_cmd_acquirer, terminal_acquirer_entries },
  { "sync", "DB", N_("Upload every waiting row to the acquirer and apply its verdicts"), terminal_cmd_sync, terminal_sync_entries },
  { "sales", "DB", N_("List the sales with their states"), terminal_cmd_sales, terminal_sales_entries },
  { "retry", "DB SALE", N_("Ask a retry of a sale on the next sync"), terminal_cmd_retry, NULL },
  { "close", "DB SALE", N_("Close a declined or retryable sale"), terminal_cmd_close, terminal_close_entries },
  { "inspect", "TEXT", N_("Decode any OA1 text to its fields and check its signatures"), cmd_inspect, tool_inspect_entries },
};

int
main (int argc, char **argv)
{
  return tool_main ("offauth-terminal", commands, G_N_ELEMENTS (commands), json_entry, argc, argv);
}
