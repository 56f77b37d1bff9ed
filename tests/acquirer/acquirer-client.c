/* acquirer-client: a test's stand-in for the terminal's sync client: builds sync requests
 * (U) from a terminal's journal rows and online requests (O), signs them with the
 * terminal's key file (DB.key) for the acquirer's key, posts them and prints the answer.
 *
 *   acquirer-client sync DB ACQUIRER_KEY URL [--first N] [--count N] [--cursor C]
 *                   [--ask SEQ]... [--forge] [--tamper SEQ] [--prev-zero]
 *                   [--append PAYMENT_TEXT]...
 *   acquirer-client online DB ACQUIRER_KEY URL PAYMENT_TEXT [--created-at T]
 *
 * Prints one JSON line: {"status": HTTP status, and for 200 the answer's fields, its
 * verdicts (sale_seq, state, reason, attempt, retry_after) or the decision's}. The
 * answer's signature and request_hash are checked; a failure is "valid": false.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "acquirer-client"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "offauth.h"

#include "testutil.h"

static gint64 opt_first = 0;
static gint64 opt_count = -1;
static gint64 opt_cursor = 0;
static gint64 opt_created_at = 0;
static gchar **opt_asks = NULL;
static gboolean opt_forge = FALSE;
static gint64 opt_tamper = 0;
static gboolean opt_prev_zero = FALSE;
static gchar **opt_appends = NULL;

static const GOptionEntry entries[] = {
  { "first", 0, 0, G_OPTION_ARG_INT64, &opt_first, "First row (default: 1)", "N" },
  { "count", 0, 0, G_OPTION_ARG_INT64, &opt_count, "Rows (default: all from first)", "N" },
  { "cursor", 0, 0, G_OPTION_ARG_INT64, &opt_cursor, "Verdict cursor", "C" },
  { "ask", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_asks, "Retry ask (sale_seq)", "SEQ" },
  { "forge", 0, 0, G_OPTION_ARG_NONE, &opt_forge, "Sign with another key", NULL },
  { "tamper", 0, 0, G_OPTION_ARG_INT64, &opt_tamper, "Change a byte of this row", "SEQ" },
  { "prev-zero", 0, 0, G_OPTION_ARG_NONE, &opt_prev_zero, "Send zeros as prev_hash", NULL },
  { "append", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_appends,
    "After the journal's rows, an offline sale row of this payment (a rogue terminal's, "
    "one the terminal's own checks would refuse)", "PAYMENT_TEXT" },
  { "created-at", 0, 0, G_OPTION_ARG_INT64, &opt_created_at, "created_at of O", "T" },
  { NULL }
};

static guint
post (const char   *url,
      const char   *text,
      GBytes      **answer)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (msg, "text/plain", body);
  *answer = soup_session_send_and_read (session, msg, NULL, &error);
  if (*answer == NULL)
    g_error ("POST %s: %s", url, error->message);
  return soup_message_get_status (msg);
}

static OffauthSecretKey *
terminal_key (const char *db_path)
{
  g_autofree gchar *path = g_strconcat (db_path, ".key", NULL);
  g_autoptr(GError) error = NULL;
  OffauthSecretKey *key = opt_forge ? offauth_secret_key_generate ()
                                    : offauth_secret_key_load (path, &error);

  if (key == NULL)
    g_error ("%s: %s", path, error->message);
  return key;
}

static int
cmd_sync (const char   *db_path,
          const guint8  acq_pk[OFFAUTH_PK_SIZE],
          const char   *url)
{
  g_autoptr(OffauthSecretKey) key = terminal_key (db_path);
  g_autoptr(OffauthSecretKey) real = opt_forge ? terminal_key (db_path) : NULL;
  gint64 first = opt_first > 0 ? opt_first : 1;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(OffauthSyncRequest) req = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree OffauthView *views = NULL;
  g_autofree guint64 *asks = NULL;
  g_autofree gchar *text = NULL;
  OffauthSyncRequest fields = { 0 };
  guint32 n_asks = opt_asks ? g_strv_length (opt_asks) : 0;
  guint n_appends = opt_appends ? g_strv_length (opt_appends) : 0;
  GString *out = g_string_new (NULL);
  guint status;

  rows = test_journal_rows (db_path, first, opt_count, fields.prev_hash);
  if (opt_prev_zero)
    memset (fields.prev_hash, 0, sizeof fields.prev_hash);
  for (guint i = 0; i < n_appends; i++)
    {
      OffauthPayment p;
      guint8 *record = g_malloc0 (OFFAUTH_RECORD_HEADER_SIZE + OFFAUTH_RECORD_SALE_SIZE);
      guint64 now = GUINT64_TO_LE ((guint64) (g_get_real_time () / G_USEC_PER_SEC));

      if (!offauth_payment_parse_text (&p, opt_appends[i], -1, &error))
        g_error ("payment: %s", error->message);
      record[0] = 1;   /* kind 1, mode 0 (the last byte) */
      memcpy (record + 1, &now, sizeof now);
      memcpy (record + OFFAUTH_RECORD_HEADER_SIZE, p.raw, OFFAUTH_PAYMENT_SIZE);
      g_ptr_array_add (rows, g_bytes_new_take (record, OFFAUTH_RECORD_HEADER_SIZE +
                                                         OFFAUTH_RECORD_SALE_SIZE));
    }
  views = g_new0 (OffauthView, rows->len + 1);
  for (guint i = 0; i < rows->len; i++)
    {
      gsize len;
      guint8 *data = (guint8 *) g_bytes_get_data (rows->pdata[i], &len);

      if (opt_tamper == first + (gint64) i)
        {
          guint8 *copy = g_memdup2 (data, len);
          copy[len - 1] ^= 1;
          g_ptr_array_index (rows, i) = g_bytes_new_take (copy, len);
          data = copy;
        }
      views[i].data = data;
      views[i].len = len;
    }
  asks = g_new0 (guint64, n_asks + 1);
  for (guint i = 0; i < n_asks; i++)
    asks[i] = g_ascii_strtoull (opt_asks[i], NULL, 10);
  offauth_terminal_id_from_key (fields.terminal_id, opt_forge ? real->pk : key->pk);
  fields.first_seq = (guint64) first;
  fields.created_at = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  fields.verdict_cursor = (guint64) opt_cursor;
  fields.n_asks = n_asks;
  fields.asks = asks;
  fields.n_records = rows->len;
  fields.records = views;
  req = offauth_sync_request_sign (&fields, acq_pk, key, &error);
  if (req == NULL)
    g_error ("sign: %s", error->message);
  text = offauth_text_encode ('U', g_bytes_get_data (req->raw, NULL), g_bytes_get_size (req->raw));
  status = post (url, text, &body);
  g_string_append_printf (out, "{\"status\": %u", status);
  if (status == 200)
    {
      g_autoptr(OffauthSyncAnswer) a = NULL;
      guint8 hash[OFFAUTH_HASH_SIZE];

      a = offauth_sync_answer_parse_text (g_bytes_get_data (body, NULL),
                                          (gssize) g_bytes_get_size (body), &error);
      if (a == NULL)
        g_error ("answer: %s", error->message);
      offauth_sync_request_hash (req, hash);
      g_string_append_printf (out, ", \"valid\": %s, \"acked_seq\": %" G_GUINT64_FORMAT
                              ", \"cursor\": %" G_GUINT64_FORMAT ", \"flags\": %u"
                              ", \"time\": %" G_GUINT64_FORMAT ", \"verdicts\": [",
                              offauth_sync_answer_verify (a, acq_pk) &&
                                memcmp (hash, a->request_hash, sizeof hash) == 0 ? "true" : "false",
                              a->acked_seq, a->verdict_cursor, a->flags, a->acquirer_time);
      for (guint i = 0; i < a->n_verdicts; i++)
        {
          const OffauthVerdict *v = &a->verdicts[i];

          g_string_append_printf (out, "%s{\"seq\": %" G_GUINT64_FORMAT ", \"state\": %u, "
                                  "\"reason\": %u, \"attempt\": %u, \"retry_after\": %"
                                  G_GUINT64_FORMAT ", \"problem\": %s}",
                                  i ? ", " : "", v->sale_seq, v->state, v->reason, v->attempt,
                                  v->retry_after, offauth_verdict_problem (v) ? "true" : "false");
        }
      g_string_append (out, "]");
    }
  g_string_append (out, "}");
  g_print ("%s\n", out->str);
  g_string_free (out, TRUE);
  return 0;
}

static int
cmd_online (const char   *db_path,
            const guint8  acq_pk[OFFAUTH_PK_SIZE],
            const char   *url,
            const char   *payment_text)
{
  g_autoptr(OffauthSecretKey) key = terminal_key (db_path);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  OffauthOnlineRequest req = { 0 };
  OffauthOnlineDecision d;
  guint status;

  if (!offauth_payment_parse_text (&req.payment, payment_text, -1, &error))
    g_error ("payment: %s", error->message);
  offauth_terminal_id_from_key (req.terminal_id, key->pk);
  req.created_at = opt_created_at > 0 ? (guint64) opt_created_at
                                      : (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  offauth_online_request_sign (&req, acq_pk, key);
  text = offauth_text_encode ('O', req.raw, sizeof req.raw);
  status = post (url, text, &body);
  if (status != 200)
    {
      g_print ("{\"status\": %u}\n", status);
      return 0;
    }
  if (!offauth_online_decision_parse_text (&d, g_bytes_get_data (body, NULL),
                                           (gssize) g_bytes_get_size (body), &error))
    g_error ("decision: %s", error->message);
  g_print ("{\"status\": 200, \"valid\": %s, \"result\": %u, \"reason\": %u, \"amount\": %"
           G_GUINT64_FORMAT ", \"time\": %" G_GUINT64_FORMAT "}\n",
           offauth_online_decision_verify (&d, acq_pk) &&
             memcmp (d.sale_id, req.payment.sale_id, OFFAUTH_SALE_ID_SIZE) == 0 ? "true" : "false",
           d.result, d.reason, d.amount, d.acquirer_time);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("sync|online DB ACQUIRER_KEY URL");
  g_autoptr(GError) error = NULL;
  guint8 acq_pk[OFFAUTH_PK_SIZE];
  gboolean online = argc >= 6 && strcmp (argv[1], "online") == 0;
  int fixed = online ? 6 : 5;   /* the positional arguments come first (a key may start
                                 * with "-"); the options after them */
  int rest_argc = argc - fixed + 1;
  g_autofree char **rest_owned = g_new0 (char *, argc + 1);
  char **rest = rest_owned;

  if (argc < fixed || !offauth_init ())
    return 2;
  rest[0] = argv[0];
  for (int i = fixed; i < argc; i++)
    rest[i - fixed + 1] = argv[i];
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &rest_argc, &rest, &error) || rest_argc != 1 ||
      !offauth_b64_decode_exact (argv[3], strlen (argv[3]), acq_pk, sizeof acq_pk))
    {
      g_printerr ("usage: acquirer-client sync|online DB ACQUIRER_KEY URL ...\n");
      return 2;
    }
  if (strcmp (argv[1], "sync") == 0)
    return cmd_sync (argv[2], acq_pk, argv[4]);
  if (online)
    return cmd_online (argv[2], acq_pk, argv[4], argv[5]);
  return 2;
}
