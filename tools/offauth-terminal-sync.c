/* offauth-terminal-sync.c: the terminal's side of reconciliation on the command line: pin
 * the acquirer, run one whole sync over HTTP, list the sales, ask retries, close sales.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-terminal"

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "offauth-acquirer-client.h"
#include "offauth-terminal-sync.h"
#include "tool-common.h"

/* A request carries at most this many rows and about this many bytes by default: a day's
 * queue goes in a few requests, and each stays far below the protocol's bound. */
#define SYNC_MAX_RECORDS 1000
#define SYNC_MAX_BYTES   (4 * 1024 * 1024)
/* A progress line is shown on a terminal for queues longer than this. */
#define PROGRESS_ROWS    2000

static gchar *opt_key;
static gchar *opt_state;
static gchar *opt_timeout;
static gchar *opt_max_records;
static gboolean opt_csv;
static gboolean opt_written_off;
static gboolean opt_collected_otherwise;

const GOptionEntry terminal_acquirer_entries[] = {
  { "key", 0, 0, G_OPTION_ARG_STRING, &opt_key, N_("The acquirer's public key, given out of band"), "KEY" },
  { NULL }
};

const GOptionEntry terminal_sync_entries[] = {
  { "timeout", 0, 0, G_OPTION_ARG_STRING, &opt_timeout, N_("Seconds to wait for each answer (10)"), "S" },
  { "max-records", 0, 0, G_OPTION_ARG_STRING, &opt_max_records, N_("Rows per request (1000)"), "N" },
  { NULL }
};

const GOptionEntry terminal_sales_entries[] = {
  { "state", 0, 0, G_OPTION_ARG_STRING, &opt_state, N_("Only the sales in this state"), "STATE" },
  { "csv", 0, 0, G_OPTION_ARG_NONE, &opt_csv, N_("Print the sales as CSV"), NULL },
  { NULL }
};

const GOptionEntry terminal_close_entries[] = {
  { "written-off", 0, 0, G_OPTION_ARG_NONE, &opt_written_off, N_("The merchant writes the sale off"), NULL },
  { "collected-otherwise", 0, 0, G_OPTION_ARG_NONE, &opt_collected_otherwise, N_("The merchant was paid another way"), NULL },
  { NULL }
};

int
terminal_cmd_acquirer (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  guint8 pk[OFFAUTH_PK_SIZE];

  if (argc != 3 || opt_key == NULL)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal acquirer DB URL --key ACQUIRER_PUBKEY"));
  if (!offauth_b64_decode_exact (opt_key, strlen (opt_key), pk, sizeof pk) &&
      !offauth_unhex (opt_key, pk, sizeof pk))
    return tool_fail (opt_json, TOOL_USAGE, "bad_input",
                      _("--key is the acquirer's public key as offauth-acquirer init prints it"));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL ||
      !offauth_terminal_pin_acquirer (t, argv[2], pk, &error))
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  tool_print_text (opt_json, "result", opt_json ? "pinned" : _("The acquirer is pinned (journaled)."));
  return TOOL_OK;
}

/* One asynchronous call run to its end on the default main context. */
static void
store_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static gchar *
post_sync (OffauthAcquirerClient *client, const char *request, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  offauth_acquirer_client_sync_async (client, request, NULL, store_result_cb, &result);
  return offauth_acquirer_client_sync_finish (client, wait_result (&result), error);
}

/* What the whole sync did, for the summary. */
typedef struct
{
  guint64  rows;             /* rows to upload when the sync began */
  guint64  acked_seq;
  guint64  acquirer_time;
  guint    requests;
  guint    halvings;         /* 413s answered by halving the request */
  guint    applied;
  guint    refused;
  guint    blocked;
  guint    lost_rows;        /* answers whose acked_seq went back */
  gboolean clock_ahead;
  GString *refused_text;
  const char *trust;         /* "loaded", "kept" or "unavailable" */
  guint    lists_loaded;
  gboolean lists_unavailable;
} SyncSummary;

static void
progress (const SyncSummary *s, OffauthSync *sync, gboolean last)
{
  static gboolean shown;

  if (opt_json || s->rows < PROGRESS_ROWS || !isatty (STDERR_FILENO))
    return;
  if (!last)
    {
      g_printerr ("\r");
      g_printerr (_("Syncing: %" PRIu64 " of %" PRIu64 " rows uploaded"),
                  s->rows - MIN (s->rows, offauth_sync_rows_left (sync)), s->rows);
      shown = TRUE;
    }
  else if (shown)
    g_printerr ("\n");
}

/* The trust bundle and the revocation lists the acquirer serves: a newer one is loaded, an
 * older or equal one is what the terminal holds already. */
static void
refresh_trust (OffauthTerminal *t, OffauthAcquirerClient *client, SyncSummary *s)
{
  g_autoptr(GAsyncResult) trust_result = NULL;
  g_autoptr(GAsyncResult) lists_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *bundle = NULL;
  g_auto(GStrv) lists = NULL;

  offauth_acquirer_client_trust_async (client, NULL, store_result_cb, &trust_result);
  offauth_acquirer_client_revocations_async (client, NULL, NULL, store_result_cb, &lists_result);
  bundle = offauth_acquirer_client_trust_finish (client, wait_result (&trust_result), &error);
  s->trust = "unavailable";
  if (bundle != NULL && offauth_terminal_load_bundle (t, bundle, &error))
    s->trust = "loaded";
  else if (g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK))
    s->trust = "kept";
  if (g_strcmp0 (s->trust, "unavailable") == 0 && !opt_json)
    g_printerr (_("The trust bundle was not refreshed: %s\n"), error->message);
  g_clear_error (&error);
  lists = offauth_acquirer_client_revocations_finish (client, wait_result (&lists_result), &error);
  if (lists == NULL)
    {
      s->lists_unavailable = TRUE;
      if (!opt_json)
        g_printerr (_("The revocation lists were not refreshed: %s\n"), error->message);
      return;
    }
  for (gsize i = 0; lists[i] != NULL; i++)
    {
      if (offauth_terminal_load_revocations (t, lists[i], &error))
        s->lists_loaded++;
      else if (!g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK))
        {
          s->lists_unavailable = TRUE;
          if (!opt_json)
            g_printerr (_("A revocation list was refused: %s\n"), error->message);
        }
      g_clear_error (&error);
    }
}

static void
print_summary (OffauthTerminal *t, const SyncSummary *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sales = offauth_terminal_list_sales (t, FALSE, 0, &error);
  guint counts[OFFAUTH_SALE_CLOSING + 1] = { 0 };
  guint waiting = 0;

  for (guint i = 0; sales != NULL && i < sales->len; i++)
    {
      const OffauthSaleInfo *info = &g_array_index (sales, OffauthSaleInfo, i);

      counts[MIN ((guint) info->state, (guint) OFFAUTH_SALE_CLOSING)]++;
      waiting += info->waiting;
    }
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "result");
      json_builder_add_string_value (b, "synced");
      tool_json_u64 (b, "rows", s->rows);
      tool_json_u64 (b, "acked_seq", s->acked_seq);
      tool_json_u64 (b, "acquirer_time", s->acquirer_time);
      tool_json_u64 (b, "requests", s->requests);
      tool_json_u64 (b, "halvings", s->halvings);
      tool_json_u64 (b, "applied", s->applied);
      tool_json_u64 (b, "refused", s->refused);
      tool_json_u64 (b, "blocked", s->blocked);
      tool_json_u64 (b, "lost_rows", s->lost_rows);
      json_builder_set_member_name (b, "clock_ahead");
      json_builder_add_boolean_value (b, s->clock_ahead);
      json_builder_set_member_name (b, "trust");
      json_builder_add_string_value (b, s->trust);
      tool_json_u64 (b, "revocation_lists_loaded", s->lists_loaded);
      json_builder_set_member_name (b, "revocations_refreshed");
      json_builder_add_boolean_value (b, !s->lists_unavailable);
      json_builder_set_member_name (b, "sales");
      json_builder_begin_object (b);
      for (guint k = 0; k <= OFFAUTH_SALE_CLOSING; k++)
        if (counts[k] > 0)
          tool_json_u64 (b, offauth_sale_state_name (k), counts[k]);
      json_builder_end_object (b);
      tool_json_u64 (b, "waiting", waiting);
      if (s->refused_text->len > 0)
        {
          json_builder_set_member_name (b, "refused_verdicts");
          json_builder_add_string_value (b, s->refused_text->str);
        }
      json_builder_end_object (b);
      tool_print_json (b);
      return;
    }
  g_print (ngettext ("Synced: %" PRIu64 " row uploaded in %u request(s), acknowledged up to row %" PRIu64 ".\n",
                     "Synced: %" PRIu64 " rows uploaded in %u request(s), acknowledged up to row %" PRIu64 ".\n",
                     s->rows),
           s->rows, s->requests, s->acked_seq);
  g_print (_("Verdicts applied: %u. Sales: %u settled, %u declined, %u to retry, %u closed, %u waiting.\n"),
           s->applied, counts[OFFAUTH_SALE_SETTLED], counts[OFFAUTH_SALE_DECLINED],
           counts[OFFAUTH_SALE_RETRY] + counts[OFFAUTH_SALE_CLOSING],
           counts[OFFAUTH_SALE_WRITTEN_OFF] + counts[OFFAUTH_SALE_COLLECTED_OTHERWISE], waiting);
  if (s->blocked > 0)
    g_print (ngettext ("%u credential put on the negative list (hard decline).\n",
                       "%u credentials put on the negative list (hard declines).\n", s->blocked),
             s->blocked);
  if (s->halvings > 0)
    g_print (_("The acquirer refused a request as too large (413): requests were halved %u time(s).\n"),
             s->halvings);
  if (s->lost_rows > 0)
    g_print (_("The acquirer acknowledged fewer rows than before (it lost rows): they were sent again.\n"));
  if (s->refused > 0)
    g_print (_("Verdicts not applied (they would change a final sale):\n%s"), s->refused_text->str);
  if (s->clock_ahead)
    g_print (_("The acquirer's clock is more than 300 s ahead of this terminal's: check the clock.\n"));
  g_print (_("Trust bundle: %s; revocation lists loaded: %u.\n"), s->trust, s->lists_loaded);
}

static int
sync_failed (OffauthTerminal *t, const GError *error, const char *code, const char *what)
{
  g_autoptr(GError) list_error = NULL;
  g_autoptr(GArray) sales = offauth_terminal_list_sales (t, FALSE, 0, &list_error);
  guint waiting = 0;

  for (guint i = 0; sales != NULL && i < sales->len; i++)
    waiting += g_array_index (sales, OffauthSaleInfo, i).waiting;
  progress (&(SyncSummary) { 0 }, NULL, TRUE);
  return tool_fail (opt_json, TOOL_REFUSED, code,
                    ngettext ("%s: %s. Nothing is lost: %u sale waits for the next sync.",
                              "%s: %s. Nothing is lost: %u sales wait for the next sync.", waiting),
                    what, error->message, waiting);
}

int
terminal_cmd_sync (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  g_autoptr(OffauthAcquirerClient) client = NULL;
  g_autoptr(OffauthSync) sync = NULL;
  g_autofree gchar *url = NULL;
  g_autoptr(GString) refused_text = g_string_new (NULL);
  SyncSummary s = { .refused_text = refused_text };
  guint64 timeout = 10, max_records = SYNC_MAX_RECORDS, rounds = 0;

  if (argc != 2 ||
      (opt_timeout && (!tool_parse_u64 (opt_timeout, &timeout) || timeout > 3600)) ||
      (opt_max_records && (!tool_parse_u64 (opt_max_records, &max_records) ||
                           max_records == 0 || max_records > 65536)))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal sync DB [--timeout S] [--max-records N]"));
  /* The terminal stays open, and so locked, for the whole sync: one sync at a time, and no
   * other command meanwhile. */
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "in_use");
  if (!offauth_terminal_get_acquirer (t, &url, NULL))
    return tool_fail (opt_json, TOOL_USAGE, "no_acquirer",
                      _("No acquirer is pinned: run offauth-terminal acquirer DB URL --key KEY first"));
  if ((client = offauth_acquirer_client_new (url, (guint) timeout, &error)) == NULL ||
      (sync = offauth_sync_new (t, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "refused");
  s.rows = offauth_sync_rows_left (sync);
  while (!offauth_sync_is_done (sync))
    {
      g_autofree gchar *request = NULL;
      g_autofree gchar *answer = NULL;
      OffauthSyncReport report;

      /* An acquirer that answers without ever finishing the sync is an acquirer to look at. */
      if (++rounds > 2 * (s.rows + 64))
        {
          g_set_error (&error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_GARBAGE,
                       _("the acquirer answered %" PRIu64 " requests without finishing the sync"),
                       rounds - 1);
          return sync_failed (t, error, "offline", _("Offline"));
        }
      progress (&s, sync, FALSE);
      if ((request = offauth_sync_next_request (sync, (guint) max_records, SYNC_MAX_BYTES, &error)) == NULL)
        return tool_fail_error (opt_json, error, TOOL_REFUSED, "refused");
      s.requests++;
      if ((answer = post_sync (client, request, &error)) == NULL)
        {
          guint sent = offauth_sync_last_n_records (sync);

          /* 413: half the rows, at once, down to one row. */
          if (g_error_matches (error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_TOO_LARGE) && sent > 1)
            {
              max_records = sent / 2;
              s.halvings++;
              g_clear_error (&error);
              continue;
            }
          if (offauth_net_error_is_offline (error))
            return sync_failed (t, error, "offline", _("Offline"));
          return sync_failed (t, error, "refused", _("The acquirer refused the sync; syncing stops"));
        }
      if (!offauth_sync_apply_answer (sync, answer, -1, &report, &error))
        return sync_failed (t, error, "bad_answer",
                            _("Offline: the acquirer's answer failed the checks and was not applied"));
      s.acked_seq = report.acked_seq;
      s.acquirer_time = report.acquirer_time;
      s.applied += report.n_applied;
      s.refused += report.n_refused;
      s.blocked += report.n_blocked;
      s.clock_ahead = report.clock_ahead;
      s.lost_rows += report.acked_seq < report.previous_acked_seq;
      if (report.refused != NULL)
        g_string_append (s.refused_text, report.refused);
      offauth_sync_report_clear (&report);
    }
  progress (&s, sync, TRUE);
  g_clear_pointer (&sync, offauth_sync_free);
  refresh_trust (t, client, &s);
  print_summary (t, &s);
  return TOOL_OK;
}

static gboolean
parse_state (const char *name, OffauthSaleState *state)
{
  for (guint k = 0; k <= OFFAUTH_SALE_CLOSING; k++)
    if (g_strcmp0 (name, offauth_sale_state_name (k)) == 0)
      {
        *state = k;
        return TRUE;
      }
  return FALSE;
}

static void
add_sale_json (JsonBuilder *b, const OffauthSaleInfo *info)
{
  json_builder_begin_object (b);
  tool_json_u64 (b, "sale", info->seq);
  tool_json_hex (b, "sale_id", info->sale_id, sizeof info->sale_id);
  tool_json_u64 (b, "time", info->time);
  tool_json_u64 (b, "amount", info->amount);
  json_builder_set_member_name (b, "currency");
  json_builder_add_string_value (b, info->currency);
  tool_json_hex (b, "credential_id", info->credential_id, sizeof info->credential_id);
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, info->mode == OFFAUTH_MODE_ONLINE ? "online" : "offline");
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, offauth_sale_state_name (info->state));
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, info->reason ? offauth_settle_reason_name (info->reason) : "");
  tool_json_u64 (b, "attempt", info->attempt);
  tool_json_u64 (b, "retry_after", info->retry_after);
  json_builder_set_member_name (b, "waiting");
  json_builder_add_boolean_value (b, info->waiting);
  json_builder_set_member_name (b, "retry_asked");
  json_builder_add_boolean_value (b, info->retry_asked);
  json_builder_set_member_name (b, "give_back");
  json_builder_add_boolean_value (b, info->give_back);
  json_builder_end_object (b);
}

int
terminal_cmd_sales (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  g_autoptr(GArray) sales = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  OffauthSaleState state = OFFAUTH_SALE_WAITING;

  if (argc != 2 || (opt_json && opt_csv))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal sales DB [--state STATE] [--json|--csv]"));
  if (opt_state != NULL && !parse_state (opt_state, &state))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("--state is waiting, settled, declined, retry, written-off, collected-otherwise or closing"));
  /* Read-only: listing beside a running sync or a kiosk is safe. */
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_READ_ONLY, &error)) == NULL ||
      (sales = offauth_terminal_list_sales (t, opt_state != NULL, state, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  if (opt_json)
    {
      b = json_builder_new ();
      json_builder_begin_array (b);
    }
  else if (opt_csv)
    g_print ("sale,time,amount,currency,credential_id,mode,state,reason,attempt,retry_after,sale_id\n");
  else if (sales->len == 0)
    g_print (_("No sales.\n"));
  else
    g_print ("%-6s %-19s %12s %-16s %-7s %-19s %-20s %3s %s\n", _("SALE"), _("TIME"), _("AMOUNT"),
             _("CREDENTIAL"), _("MODE"), _("STATE"), _("REASON"), _("TRY"), _("NEXT RETRY"));
  for (guint i = 0; i < sales->len; i++)
    {
      const OffauthSaleInfo *info = &g_array_index (sales, OffauthSaleInfo, i);
      g_autofree gchar *cred = offauth_hex (info->credential_id, sizeof info->credential_id);
      g_autofree gchar *sale_id = offauth_hex (info->sale_id, sizeof info->sale_id);
      const char *reason = info->reason ? offauth_settle_reason_name (info->reason) : "";
      const char *mode = info->mode == OFFAUTH_MODE_ONLINE ? "online" : "offline";

      if (b != NULL)
        add_sale_json (b, info);
      else if (opt_csv)
        g_print ("%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%s,%s,%s,%u,%" PRIu64 ",%s\n",
                 info->seq, info->time, info->amount, info->currency, cred, mode,
                 offauth_sale_state_name (info->state), reason, info->attempt,
                 info->retry_after, sale_id);
      else
        {
          g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local ((gint64) info->time);
          g_autoptr(GDateTime) rt = info->retry_after ? g_date_time_new_from_unix_local ((gint64) info->retry_after) : NULL;
          g_autofree gchar *time = dt ? g_date_time_format (dt, "%F %T") : g_strdup ("?");
          g_autofree gchar *retry = rt ? g_date_time_format (rt, "%F %T") : g_strdup ("");
          g_autofree gchar *amount = money_format_amount (info->amount, info->currency);

          g_print ("%-6" PRIu64 " %-19s %12s %-16.16s %-7s %-19s %-20s %3u %s%s\n", info->seq, time,
                   amount, cred, mode, offauth_sale_state_name (info->state), reason,
                   info->attempt, retry, info->retry_asked ? _(" (asked)") : "");
        }
    }
  if (b != NULL)
    {
      json_builder_end_array (b);
      tool_print_json (b);
    }
  return TOOL_OK;
}

int
terminal_cmd_retry (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  guint64 seq;

  if (argc != 3)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-terminal retry DB SALE"));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL ||
      !offauth_terminal_find_sale (t, argv[2], &seq, &error))
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  if (!offauth_terminal_ask_retry (t, seq, &error))
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "refused");
  tool_print_text (opt_json, "result", opt_json ? "asked" : _("A retry is asked on the next sync."));
  return TOOL_OK;
}

int
terminal_cmd_close (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  guint64 seq;

  if (argc != 3 || opt_written_off == opt_collected_otherwise)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-terminal close DB SALE --written-off|--collected-otherwise"));
  if ((t = open_terminal (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL ||
      !offauth_terminal_find_sale (t, argv[2], &seq, &error))
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  if (!offauth_terminal_close_sale (t, seq, opt_written_off ? OFFAUTH_SALE_WRITTEN_OFF
                                                            : OFFAUTH_SALE_COLLECTED_OTHERWISE, &error))
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "refused");
  tool_print_text (opt_json, "result", opt_json ? "closed" : _("The sale is closed (journaled)."));
  return TOOL_OK;
}
