/* offauth-acquirer: the reference acquirer's tool: set up, register, top up, serve, report.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-acquirer"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "acquirer-db.h"
#include "acquirer-server.h"
#include "acquirer-settle.h"
#include "acquirer-sync.h"
#include "offauth.h"
#include "tool-common.h"

#define KEY_FILE "acquirer.key"
#define DB_FILE  "acquirer.db"

static gboolean opt_json;
static gchar *opt_issuer;
static gchar *opt_merchant;
static gchar *opt_key;
static gchar *opt_scope;
static gchar *opt_from_seq;
static gchar *opt_from_hash;
static gchar *opt_listen;
static gchar *opt_tls_certificate;
static gchar *opt_tls_key;
static gboolean opt_csv;

static const GOptionEntry json_entry[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("Print the result as JSON"), NULL },
  { NULL }
};

/* The acquirer's folder: its key, its database and the issuer folder it serves from. */
typedef struct
{
  AcquirerDb       *db;
  OffauthSecretKey *key;
  gchar            *issuer_dir;
} Acquirer;

static void
acquirer_free (Acquirer *a)
{
  if (a == NULL)
    return;
  acquirer_db_free (a->db);
  offauth_secret_key_free (a->key);
  g_free (a->issuer_dir);
  g_free (a);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Acquirer, acquirer_free)

static Acquirer *
acquirer_open (const char *dir,
               GError    **error)
{
  g_autoptr(Acquirer) a = g_new0 (Acquirer, 1);
  g_autofree gchar *db_path = g_build_filename (dir, DB_FILE, NULL);
  g_autofree gchar *key_path = g_build_filename (dir, KEY_FILE, NULL);
  GError *local = NULL;

  if ((a->db = acquirer_db_open (db_path, FALSE, error)) == NULL ||
      (a->key = offauth_secret_key_load (key_path, error)) == NULL)
    return NULL;
  a->issuer_dir = acquirer_db_get_setting (a->db, "issuer_dir", &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  if (a->issuer_dir == NULL)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                   "The acquirer database names no issuer folder");
      return NULL;
    }
  return g_steal_pointer (&a);
}

static OffauthIssuer *
open_issuer (const char *dir,
             GError    **error)
{
  OffauthIssuer *is = offauth_issuer_open (dir, error);
  guint64 now;

  if (is != NULL && tool_fixed_now (&now))
    offauth_issuer_set_now (is, now);
  return is;
}

static int
cmd_init (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autoptr(OffauthSecretKey) key = NULL;
  g_autoptr(AcquirerDb) db = NULL;
  g_autofree gchar *issuer_dir = NULL;
  g_autofree gchar *db_path = NULL;
  g_autofree gchar *key_path = NULL;
  g_autofree gchar *pk = NULL;
  g_autofree gchar *now_text = NULL;

  if (argc != 2 || opt_issuer == NULL)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-acquirer init DIR --issuer ISSUER_DIR"));
  issuer_dir = g_canonicalize_filename (opt_issuer, NULL);
  if ((is = offauth_issuer_open (issuer_dir, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  db_path = g_build_filename (argv[1], DB_FILE, NULL);
  key_path = g_build_filename (argv[1], KEY_FILE, NULL);
  if (g_mkdir_with_parents (argv[1], 0700) != 0)
    {
      int saved = errno;
      return tool_fail (opt_json, TOOL_USAGE, "init_failed", _("Cannot create %s: %s"), argv[1],
                        g_strerror (saved));
    }
  if (g_file_test (db_path, G_FILE_TEST_EXISTS) || g_file_test (key_path, G_FILE_TEST_EXISTS))
    return tool_fail (opt_json, TOOL_USAGE, "init_failed",
                      _("%s already holds an acquirer; it is never overwritten"), argv[1]);
  key = offauth_secret_key_generate ();
  now_text = g_strdup_printf ("%" G_GUINT64_FORMAT, tool_now ());
  /* The key last: a folder with a key is an acquirer; without one, init may run again. */
  if ((db = acquirer_db_open (db_path, TRUE, &error)) == NULL ||
      !acquirer_db_set_setting (db, "issuer_dir", issuer_dir, &error) ||
      !acquirer_db_set_setting (db, "created_at", now_text, &error) ||
      !offauth_secret_key_save (key, key_path, &error))
    {
      g_clear_pointer (&db, acquirer_db_free);
      for (const char *const *suffix = (const char *const[]) { "", "-wal", "-shm", NULL };
           *suffix != NULL; suffix++)
        {
          g_autofree gchar *path = g_strconcat (db_path, *suffix, NULL);
          g_unlink (path);
        }
      return tool_fail_error (opt_json, error, TOOL_USAGE, "init_failed");
    }
  pk = offauth_b64_encode (key->pk, OFFAUTH_PK_SIZE);
  if (opt_json)
    tool_print_text (opt_json, "acquirer_key", pk);
  else
    g_print (_("Acquirer public key (give it to every terminal out of band):\n%s\n"), pk);
  return TOOL_OK;
}

static int
cmd_terminal (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Acquirer) a = NULL;
  g_autofree gchar *tid = NULL;
  AcquirerTerminal t = { 0 };
  guint64 scope = 0;
  gboolean existed = FALSE;

  if (argc != 2 || opt_merchant == NULL || opt_key == NULL ||
      (opt_scope != NULL && (!tool_parse_u64 (opt_scope, &scope) || scope > G_MAXUINT32)) ||
      (opt_from_seq == NULL) != (opt_from_hash == NULL))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-acquirer terminal DIR --merchant ID --key TERMINAL_PUBKEY "
                        "[--scope N] [--from-seq N --from-hash HEX]"));
  if (!offauth_merchant_id_valid (opt_merchant))
    return tool_fail (opt_json, TOOL_USAGE, "bad_input",
                      _("--merchant is not a merchant id (1 to 16 printable ASCII characters)"));
  if (!offauth_b64_decode_exact (opt_key, strlen (opt_key), t.public_key, sizeof t.public_key))
    return tool_fail (opt_json, TOOL_USAGE, "bad_input",
                      _("--key is not a public key (43 characters of base64url)"));
  if (opt_from_seq != NULL &&
      (!tool_parse_u64 (opt_from_seq, &t.from_seq) || t.from_seq == 0 ||
       t.from_seq > G_MAXINT64 || !offauth_unhex (opt_from_hash, t.from_hash, sizeof t.from_hash)))
    return tool_fail (opt_json, TOOL_USAGE, "bad_input",
                      _("--from-seq is a row number from 1 and --from-hash that row's hash "
                        "(64 hex digits)"));
  offauth_terminal_id_from_key (t.terminal_id, t.public_key);
  g_strlcpy (t.merchant_id, opt_merchant, sizeof t.merchant_id);
  t.scope = (guint32) scope;
  t.registered_at = tool_now ();
  if ((a = acquirer_open (argv[1], &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  /* Registering a terminal again from a row is a take-over or a fork's recovery; the rows
   * stored after that row are settlement's to reconcile. */
  if (!acquirer_db_begin (a->db, &error))
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "storage_unavailable");
  if (!acquirer_db_register_terminal (a->db, &t, opt_from_seq != NULL, &existed, &error) ||
      (opt_from_seq != NULL && !acquirer_sync_reset_chain (a->db, &t, &error)))
    {
      acquirer_db_rollback (a->db);
      return tool_fail_error (opt_json, error, TOOL_REFUSED,
                              g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE)
                                ? "already_registered" : "refused");
    }
  if (!acquirer_db_commit (a->db, &error))
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "storage_unavailable");
  tid = offauth_hex (t.terminal_id, sizeof t.terminal_id);
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "terminal_id");
      json_builder_add_string_value (b, tid);
      json_builder_set_member_name (b, "merchant_id");
      json_builder_add_string_value (b, t.merchant_id);
      tool_json_u64 (b, "scope", t.scope);
      tool_json_u64 (b, "from_seq", t.from_seq);
      json_builder_set_member_name (b, "registered");
      json_builder_add_string_value (b, existed ? "again" : "new");
      json_builder_end_object (b);
      tool_print_json (b);
    }
  else if (existed)
    g_print (_("Terminal %s registered again for merchant %s, from row %" PRIu64 "\n"),
             tid, t.merchant_id, t.from_seq);
  else
    g_print (_("Terminal %s registered for merchant %s\n"), tid, t.merchant_id);
  return TOOL_OK;
}

static int
cmd_topup (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Acquirer) a = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autofree gchar *id = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *shown = NULL;
  OffauthCredential cred;
  AcquirerTopup result;
  guint64 amount;

  if (argc != 4 || !tool_parse_u64 (argv[3], &amount) || amount == 0 || amount > G_MAXINT64)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-acquirer topup DIR CREDENTIAL AMOUNT (an integer in minor "
                        "units, at least 1)"));
  if ((a = acquirer_open (argv[1], &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  /* As the booth scans it (a text, a file or "-"), or its id once the acquirer knows it. */
  if (acquirer_credential_is_id (argv[2]))
    {
      if (!acquirer_credential_by_id (a->db, argv[2], &cred, &error))
        return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
    }
  else if ((text = tool_read_arg (argv[2], &error)) == NULL ||
           !offauth_credential_parse_text (&cred, text, &error))
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  if ((is = open_issuer (a->issuer_dir, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "issuer_unavailable");
  if (!acquirer_credential_check (is, &cred, &error))
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "untrusted_credential");
  if (!acquirer_topup (a->db, a->key, a->issuer_dir, &cred, amount, tool_now (), &result, &error))
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "refused");
  id = offauth_hex (cred.credential_id, sizeof cred.credential_id);
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "credential_id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "currency");
      json_builder_add_string_value (b, cred.currency);
      tool_json_u64 (b, "amount", amount);
      tool_json_u64 (b, "balance", result.balance);
      json_builder_set_member_name (b, "account");
      json_builder_add_string_value (b, result.created ? "created" : "existing");
      tool_json_u64 (b, "settled", result.settled);
      json_builder_end_object (b);
      tool_print_json (b);
      return TOOL_OK;
    }
  shown = money_format_amount (result.balance, cred.currency);
  g_print (result.created ? _("Account of credential %s opened: balance %s\n")
                          : _("Account of credential %s credited: balance %s\n"),
           id, shown);
  return TOOL_OK;
}

static GInetSocketAddress *
parse_listen (const char *text)
{
  const char *colon = strrchr (text, ':');
  g_autofree gchar *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  guint64 port;
  gsize len;

  if (colon == NULL ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    return NULL;
  host = g_strndup (text, colon - text);
  len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    {
      memmove (host, host + 1, len - 2);
      host[len - 2] = '\0';
    }
  if (strcmp (host, "localhost") == 0)
    {
      g_free (host);
      host = g_strdup ("127.0.0.1");
    }
  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, (guint16) port));
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
cmd_serve (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Acquirer) a = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autoptr(GInetSocketAddress) address = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(AcquirerServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree gchar *url = NULL;
  const char *listen = opt_listen ? opt_listen : "127.0.0.1:0";
  guint64 now = 0;
  guint term_id, int_id;

  if (argc != 2 || (opt_tls_certificate == NULL) != (opt_tls_key == NULL))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-acquirer serve DIR [--listen HOST:PORT] "
                        "[--tls-certificate FILE --tls-key FILE]"));
  if ((address = parse_listen (listen)) == NULL)
    return tool_fail (opt_json, TOOL_USAGE, "bad_input",
                      _("--listen is an IP address and a port, such as 127.0.0.1:8080 or [::1]:0"));
  /* Rows carry payer identifiers: plain HTTP only on loopback. */
  if (opt_tls_certificate == NULL &&
      !g_inet_address_get_is_loopback (g_inet_socket_address_get_address (address)))
    return tool_fail (opt_json, TOOL_USAGE, "tls_required",
                      _("%s is not a loopback address: give --tls-certificate and --tls-key"),
                      listen);
  if (opt_tls_certificate != NULL)
    {
      if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
        return tool_fail (opt_json, TOOL_REFUSED, "tls_unavailable",
                          _("TLS is not available on this system (install glib-networking)"));
      certificate = g_tls_certificate_new_from_files (opt_tls_certificate, opt_tls_key, &error);
      if (certificate == NULL)
        return tool_fail (opt_json, TOOL_USAGE, "bad_input", "%s", error->message);
    }
  if ((a = acquirer_open (argv[1], &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  if ((is = open_issuer (a->issuer_dir, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "issuer_unavailable");
  tool_fixed_now (&now);
  server = acquirer_server_new (a->db, a->key, a->issuer_dir, now, certificate);
  if ((url = acquirer_server_listen (server, address, &error)) == NULL)
    return tool_fail (opt_json, TOOL_REFUSED, "listen_failed", _("Cannot listen on %s: %s"),
                      listen, error->message);
  /* The first line, for whoever started the server on port 0. */
  g_print ("listening on %s\n", url);
  fflush (stdout);
  loop = g_main_loop_new (NULL, FALSE);
  term_id = g_unix_signal_add (SIGTERM, quit_cb, loop);
  int_id = g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);
  g_source_remove (term_id);
  g_source_remove (int_id);
  /* Every change was committed before its answer: nothing is left to save. */
  /* Translators: the server has stopped (after Ctrl+C) */
  g_printerr ("%s: %s\n", g_get_prgname (), _("stopped"));
  return TOOL_OK;
}

/* What the report shows of one terminal, or of a merchant (the sum of its terminals). */
typedef struct
{
  guint64 settled_count;
  guint64 settled_value;
  guint64 declined_count;
  guint64 declines[OFFAUTH_SETTLE_INVALID_CREDENTIAL + 1];   /* by reason */
  guint64 double_spends;    /* sales in a double spend, either side */
  guint64 open_retries;     /* state 3: retryable or held */
  guint64 backwards;        /* rows whose time ran backwards */
  guint64 k9_unmatched;     /* kind-9 rows that match no answer sent */
  guint64 last_sync;
  gboolean silent;
} ReportCounts;

/* A terminal that has not synced for this long (or never, this long after registering). */
#define REPORT_SILENT_AFTER (24 * 3600)

static void
count_sale (ReportCounts       *c,
            const AcquirerSale *sale)
{
  if (sale->state == OFFAUTH_WIRE_STATE_SETTLED && !sale->reversed)
    {
      c->settled_count++;
      c->settled_value += sale->amount;
    }
  else if (sale->state == OFFAUTH_WIRE_STATE_DECLINED)
    {
      c->declined_count++;
      if (sale->reason < G_N_ELEMENTS (c->declines))
        c->declines[sale->reason]++;
    }
  else if (sale->state == OFFAUTH_WIRE_STATE_RETRY)
    c->open_retries++;
}

static void
add_counts (ReportCounts       *sum,
            const ReportCounts *c)
{
  sum->settled_count += c->settled_count;
  sum->settled_value += c->settled_value;
  sum->declined_count += c->declined_count;
  for (guint i = 0; i < G_N_ELEMENTS (c->declines); i++)
    sum->declines[i] += c->declines[i];
  sum->double_spends += c->double_spends;
  sum->open_retries += c->open_retries;
  sum->backwards += c->backwards;
  sum->k9_unmatched += c->k9_unmatched;
  sum->last_sync = MAX (sum->last_sync, c->last_sync);
  sum->silent = sum->silent || c->silent;
}

/* Per terminal (in the order of terminals), then per merchant into merchants (a merchant's
 * entry at the index of its first terminal). */
static gboolean
report_counts (AcquirerDb    *db,
               GArray        *terminals,
               ReportCounts **per_terminal,
               ReportCounts **per_merchant,
               GError       **error)
{
  g_autoptr(GArray) sales = acquirer_db_sales (db, ACQUIRER_SALES_ALL, NULL, 0, 0, 0, error);
  g_autoptr(GHashTable) by_tid = g_hash_table_new (g_bytes_hash, g_bytes_equal);
  g_autoptr(GHashTable) by_arrival = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ReportCounts *t_counts = g_new0 (ReportCounts, terminals->len + 1);
  ReportCounts *m_counts = g_new0 (ReportCounts, terminals->len + 1);
  guint64 now = tool_now ();
  guint first = 0;

  *per_terminal = t_counts;
  *per_merchant = m_counts;
  if (sales == NULL)
    return FALSE;
  for (guint i = 0; i < terminals->len; i++)
    {
      const AcquirerTerminal *t = &g_array_index (terminals, AcquirerTerminal, i);
      GBytes *key = g_bytes_new (t->terminal_id, sizeof t->terminal_id);
      AcquirerChain chain;

      g_ptr_array_add (keys, key);
      g_hash_table_insert (by_tid, key, GUINT_TO_POINTER (i + 1));
      if (!acquirer_db_get_chain (db, t->terminal_id, &chain, error))
        return FALSE;
      t_counts[i].backwards = chain.backwards;
      t_counts[i].k9_unmatched = chain.k9_unmatched;
      t_counts[i].last_sync = chain.last_sync;
      t_counts[i].silent = MAX (chain.last_sync, t->registered_at) + REPORT_SILENT_AFTER < now;
    }
  for (guint i = 0; i < sales->len; i++)
    {
      AcquirerSale *sale = &g_array_index (sales, AcquirerSale, i);
      g_autoptr(GBytes) key = g_bytes_new (sale->terminal_id, sizeof sale->terminal_id);
      guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (by_tid, key));

      g_hash_table_insert (by_arrival, &sale->arrival, GUINT_TO_POINTER (idx));
      if (idx > 0)
        count_sale (&t_counts[idx - 1], sale);
    }
  /* A double spend shows at both sales' terminals. */
  for (guint i = 0; i < sales->len; i++)
    {
      AcquirerSale *sale = &g_array_index (sales, AcquirerSale, i);
      guint idx, earlier;

      if (sale->conflict == 0)
        continue;
      idx = GPOINTER_TO_UINT (g_hash_table_lookup (by_arrival, &sale->arrival));
      earlier = GPOINTER_TO_UINT (g_hash_table_lookup (by_arrival, &sale->conflict));
      if (idx > 0)
        t_counts[idx - 1].double_spends++;
      if (earlier > 0)
        t_counts[earlier - 1].double_spends++;
    }
  for (guint i = 0; i < terminals->len; i++)
    {
      const AcquirerTerminal *t = &g_array_index (terminals, AcquirerTerminal, i);

      if (i > 0 && strcmp (t[-1].merchant_id, t->merchant_id) != 0)
        first = i;
      add_counts (&m_counts[first], &t_counts[i]);
    }
  return TRUE;
}

static void
json_counts (JsonBuilder        *b,
             const ReportCounts *c)
{
  tool_json_u64 (b, "settled_count", c->settled_count);
  tool_json_u64 (b, "settled_value", c->settled_value);
  tool_json_u64 (b, "declined_count", c->declined_count);
  json_builder_set_member_name (b, "declines");
  json_builder_begin_object (b);
  for (guint r = 0; r < G_N_ELEMENTS (c->declines); r++)
    if (c->declines[r] > 0)
      tool_json_u64 (b, offauth_settle_reason_name (r), c->declines[r]);
  json_builder_end_object (b);
  tool_json_u64 (b, "double_spends", c->double_spends);
  tool_json_u64 (b, "open_retries", c->open_retries);
  tool_json_u64 (b, "rows_backwards", c->backwards);
  tool_json_u64 (b, "unmatched_sync_rows", c->k9_unmatched);
  tool_json_u64 (b, "last_sync", c->last_sync);
  json_builder_set_member_name (b, "silent");
  json_builder_add_boolean_value (b, c->silent);
}

static void
report_json (GArray             *terminals,
             const ReportCounts *per_terminal,
             const ReportCounts *per_merchant,
             GArray             *totals,
             GArray             *balances)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "merchants");
  json_builder_begin_array (b);
  for (guint i = 0; i < terminals->len; i++)
    {
      const AcquirerTerminal *t = &g_array_index (terminals, AcquirerTerminal, i);
      g_autofree gchar *tid = offauth_hex (t->terminal_id, sizeof t->terminal_id);
      g_autofree gchar *pk = offauth_b64_encode (t->public_key, sizeof t->public_key);

      if (i == 0 || strcmp (t[-1].merchant_id, t->merchant_id) != 0)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "merchant_id");
          json_builder_add_string_value (b, t->merchant_id);
          json_counts (b, &per_merchant[i]);
          json_builder_set_member_name (b, "terminals");
          json_builder_begin_array (b);
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "terminal_id");
      json_builder_add_string_value (b, tid);
      json_builder_set_member_name (b, "terminal_public_key");
      json_builder_add_string_value (b, pk);
      tool_json_u64 (b, "scope", t->scope);
      tool_json_u64 (b, "from_seq", t->from_seq);
      tool_json_u64 (b, "registered_at", t->registered_at);
      json_counts (b, &per_terminal[i]);
      json_builder_end_object (b);
      if (i + 1 == terminals->len || strcmp (t[1].merchant_id, t->merchant_id) != 0)
        {
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "accounts");
  json_builder_begin_array (b);
  for (guint i = 0; i < totals->len; i++)
    {
      const AcquirerAccountTotal *tot = &g_array_index (totals, AcquirerAccountTotal, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "currency");
      json_builder_add_string_value (b, tot->currency);
      tool_json_u64 (b, "count", tot->count);
      tool_json_u64 (b, "balance", tot->balance);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  /* Every payer account's balance by credential id (ids shared by several accounts: the
   * sum). */
  json_builder_set_member_name (b, "balances");
  json_builder_begin_object (b);
  for (guint i = 0; i < balances->len; i++)
    {
      const AcquirerBalance *bal = &g_array_index (balances, AcquirerBalance, i);
      g_autofree gchar *id = offauth_hex (bal->credential_id, sizeof bal->credential_id);

      tool_json_u64 (b, id, bal->balance);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  tool_print_json (b);
}

static void
report_csv (GArray             *terminals,
            const ReportCounts *per_terminal)
{
  g_print ("merchant_id,terminal_id,scope,from_seq,registered_at,settled_count,settled_value,"
           "declined_count,double_spends,open_retries,rows_backwards,last_sync,silent\n");
  for (guint i = 0; i < terminals->len; i++)
    {
      const AcquirerTerminal *t = &g_array_index (terminals, AcquirerTerminal, i);
      const ReportCounts *c = &per_terminal[i];
      g_autofree gchar *tid = offauth_hex (t->terminal_id, sizeof t->terminal_id);
      /* A merchant id is printable ASCII: quoted when it holds a comma or a quote. */
      g_autoptr(GString) merchant = g_string_new (t->merchant_id);

      if (strpbrk (t->merchant_id, ",\"") != NULL)
        {
          g_string_replace (merchant, "\"", "\"\"", 0);
          g_string_prepend_c (merchant, '"');
          g_string_append_c (merchant, '"');
        }
      g_print ("%s,%s,%u,%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
               ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
               ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%d\n",
               merchant->str, tid, t->scope, t->from_seq, t->registered_at, c->settled_count,
               c->settled_value, c->declined_count, c->double_spends, c->open_retries,
               c->backwards, c->last_sync, c->silent ? 1 : 0);
    }
}

static void
report_text (GArray             *terminals,
             const ReportCounts *per_terminal,
             GArray             *totals)
{
  if (terminals->len == 0)
    g_print ("%s\n", _("No terminal is registered."));
  for (guint i = 0; i < terminals->len; i++)
    {
      const AcquirerTerminal *t = &g_array_index (terminals, AcquirerTerminal, i);
      const ReportCounts *c = &per_terminal[i];
      g_autofree gchar *tid = offauth_hex (t->terminal_id, sizeof t->terminal_id);

      if (i == 0 || strcmp (t[-1].merchant_id, t->merchant_id) != 0)
        g_print (_("Merchant %s\n"), t->merchant_id);
      g_print (_("  Terminal %s, scope %u: %" PRIu64 " settled (value %"
                 PRIu64 "), %" PRIu64 " declined, %" PRIu64
                 " open retries\n"),
               tid, t->scope, c->settled_count, c->settled_value, c->declined_count,
               c->open_retries);
      for (guint r = 0; r < G_N_ELEMENTS (c->declines); r++)
        if (c->declines[r] > 0)
          g_print (_("    declined %s: %" PRIu64 "\n"), offauth_settle_reason_name (r),
                   c->declines[r]);
      if (c->double_spends > 0)
        g_print (_("    double spends: %" PRIu64 " sales\n"), c->double_spends);
      if (c->backwards > 0)
        g_print (_("    rows running backwards in time: %" PRIu64 "\n"), c->backwards);
      if (c->silent)
        g_print ("    %s\n", _("silent: no sync for more than a day"));
    }
  for (guint i = 0; i < totals->len; i++)
    {
      const AcquirerAccountTotal *tot = &g_array_index (totals, AcquirerAccountTotal, i);
      g_autofree gchar *shown = money_format_amount (tot->balance, tot->currency);

      g_print (g_dngettext (GETTEXT_PACKAGE, "%" PRIu64 " payer account in %s, %s in all\n",
                            "%" PRIu64 " payer accounts in %s, %s in all\n",
                            (gulong) MIN (tot->count, G_MAXULONG)),
               tot->count, tot->currency, shown);
    }
}

static int
cmd_report (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Acquirer) a = NULL;
  g_autoptr(GArray) terminals = NULL;
  g_autoptr(GArray) totals = NULL;
  g_autoptr(GArray) balances = NULL;
  g_autofree ReportCounts *per_terminal = NULL;
  g_autofree ReportCounts *per_merchant = NULL;

  if (argc != 2 || (opt_json && opt_csv))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-acquirer report DIR [--json|--csv]"));
  if ((a = acquirer_open (argv[1], &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  if ((terminals = acquirer_db_terminals (a->db, &error)) == NULL ||
      (totals = acquirer_db_account_totals (a->db, &error)) == NULL ||
      (balances = acquirer_db_balances (a->db, &error)) == NULL ||
      !report_counts (a->db, terminals, &per_terminal, &per_merchant, &error))
    return tool_fail_error (opt_json, error, TOOL_REFUSED, "storage_unavailable");
  if (opt_json)
    report_json (terminals, per_terminal, per_merchant, totals, balances);
  else if (opt_csv)
    report_csv (terminals, per_terminal);
  else
    report_text (terminals, per_terminal, totals);
  return TOOL_OK;
}

static const GOptionEntry init_entries[] = {
  { "issuer", 0, 0, G_OPTION_ARG_FILENAME, &opt_issuer, N_("The issuer's folder (offauth-issuer init)"), "DIR" },
  { NULL }
};

static const GOptionEntry terminal_entries[] = {
  { "merchant", 0, 0, G_OPTION_ARG_STRING, &opt_merchant, N_("The merchant the terminal sells for"), "ID" },
  { "key", 0, 0, G_OPTION_ARG_STRING, &opt_key, N_("The terminal's public key (offauth-terminal status)"), "PUBKEY" },
  { "scope", 0, 0, G_OPTION_ARG_STRING, &opt_scope, N_("The merchant scope (0 = none)"), "N" },
  { "from-seq", 0, 0, G_OPTION_ARG_STRING, &opt_from_seq, N_("Take over from this row, acknowledged elsewhere"), "N" },
  { "from-hash", 0, 0, G_OPTION_ARG_STRING, &opt_from_hash, N_("The hash of that row"), "HEX" },
  { NULL }
};

static const GOptionEntry serve_entries[] = {
  { "listen", 0, 0, G_OPTION_ARG_STRING, &opt_listen, N_("Address and port (127.0.0.1:0 picks a free port)"), "HOST:PORT" },
  { "tls-certificate", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_certificate, N_("PEM certificate, for HTTPS"), "FILE" },
  { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_key, N_("PEM private key of the certificate"), "FILE" },
  { NULL }
};

static const GOptionEntry report_entries[] = {
  { "csv", 0, 0, G_OPTION_ARG_NONE, &opt_csv, N_("Print one CSV line per terminal"), NULL },
  { NULL }
};

static const ToolCommand commands[] = {
  { "init", "DIR", N_("Create the acquirer's key and database in DIR"), cmd_init, init_entries },
  { "terminal", "DIR", N_("Register a terminal for a merchant"), cmd_terminal, terminal_entries },
  { "topup", "DIR CREDENTIAL AMOUNT", N_("Credit a payer's account"), cmd_topup, NULL },
  { "serve", "DIR", N_("Answer terminals over HTTP until SIGTERM"), cmd_serve, serve_entries },
  { "report", "DIR", N_("Show terminals, settlement and accounts"), cmd_report, report_entries },
};

int
main (int argc, char **argv)
{
  return tool_main ("offauth-acquirer", commands, G_N_ELEMENTS (commands), json_entry, argc, argv);
}
