/* online-world.c: the world of the online authorization tests, made with the real tools.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <json-glib/json-glib.h>

#include "online-world.h"
#include "testutil.h"

/* The tools: run one, its standard output (trimmed); the test fails unless it exits 0. */
gchar *
online_world_tool (OnlineWorld *w,
                   const char  *env,
                   ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *err = NULL;
  gchar *out = NULL;
  const char *arg;
  gint status;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv (env));
  g_assert_nonnull (argv->pdata[0]);
  va_start (ap, env);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (w->dir, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s %s: %s\n%s", env, (const char *) argv->pdata[1], error->message, err);
  return g_strstrip (out);
}

static JsonObject *
json_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gchar *
json_string (const char *text,
             const char *member)
{
  g_autoptr(JsonObject) o = json_object (text);

  return g_strdup (json_object_get_string_member (o, member));
}

/* A payer: a wallet, a credential from the issuer, a balance at the acquirer. */
static void
make_payer (OnlineWorld *w,
            const char  *name,
            const char  *total,
            const char  *count,
            const char  *balance,
            gchar      **wallet,
            gchar      **cred,
            gchar      **cred_id)
{
  g_autofree gchar *pk = NULL;
  g_autofree gchar *out = NULL;

  *wallet = g_strdup_printf ("%s.wallet", name);
  pk = online_world_tool (w, "WALLET", "new", *wallet, NULL);
  out = online_world_tool (w, "ISSUER", "credential", "iss", "--payer", pk, "--currency", "EUR", "--per-payment",
              "2000", "--total", total, "--count", count, "--days", "7", "--json", NULL);
  *cred = json_string (out, "credential");
  if (cred_id != NULL)
    *cred_id = json_string (out, "credential_id");
  g_free (online_world_tool (w, "ACQUIRER", "topup", "acq", *cred, balance, NULL));
}

static void
world_serve (OnlineWorld *w)
{
  const char *argv[] = { g_getenv ("ACQUIRER"), "serve", "acq", NULL };
  g_autoptr(GError) error = NULL;
  GIOChannel *channel;
  g_autofree gchar *line = NULL;
  gint out;

  g_spawn_async_with_pipes (w->dir, (gchar **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &w->server, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  channel = w->server_out = g_io_channel_unix_new (out);
  g_io_channel_set_close_on_unref (channel, TRUE);
  /* The first line: "listening on URL", flushed at once. */
  g_io_channel_read_line (channel, &line, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_strchomp (line);
  g_assert_true (g_str_has_prefix (line, "listening on "));
  w->url = g_strdup (line + strlen ("listening on "));
}

OnlineWorld *
online_world_new (guint64 floor_limit)
{
  OnlineWorld *w = g_new0 (OnlineWorld, 1);
  g_autofree gchar *floor = g_strdup_printf ("%" G_GUINT64_FORMAT, floor_limit);
  g_autofree gchar *bundle = NULL;
  g_autofree gchar *fpr = NULL;
  g_autofree gchar *acq = NULL;
  g_autofree gchar *akey = NULL;
  g_autofree gchar *status = NULL;
  g_autofree gchar *tpk = NULL;

  w->dir = test_tmp_dir (NULL, "till-online");
  w->db = g_build_filename (w->dir, "t.db", NULL);
  g_free (online_world_tool (w, "ISSUER", "init", "iss", NULL));
  bundle = online_world_tool (w, "ISSUER", "bundle", "iss", NULL);
  fpr = online_world_tool (w, "ISSUER", "fingerprint", "iss", NULL);
  acq = online_world_tool (w, "ACQUIRER", "init", "acq", "--issuer", "iss", "--json", NULL);
  akey = json_string (acq, "acquirer_key");
  g_free (online_world_tool (w, "TERMINAL", "init", w->db, "--trust", bundle, "--merchant", "shop", "--root", fpr,
                "--floor-limit", floor, NULL));
  status = online_world_tool (w, "TERMINAL", "status", w->db, "--json", NULL);
  tpk = json_string (status, "terminal_public_key");
  g_free (online_world_tool (w, "ACQUIRER", "terminal", "acq", "--merchant", "shop", "--key", tpk, NULL));
  /* Room for the latency runs' payments under the credential's own limits. */
  make_payer (w, "rich", "100000", "200", "100000", &w->rich_wallet, &w->rich_cred, &w->rich_id);
  make_payer (w, "poor", "5000", "5", "100", &w->poor_wallet, &w->poor_cred, NULL);
  world_serve (w);
  g_free (online_world_tool (w, "TERMINAL", "acquirer", w->db, w->url, "--key", akey, NULL));
  return w;
}

void
online_world_free (OnlineWorld *w)
{
  int status;

  if (w->server != 0)
    {
      kill (w->server, SIGTERM);
      waitpid (w->server, &status, 0);
      g_spawn_close_pid (w->server);
      g_io_channel_unref (w->server_out);
    }
  test_remove_dir (w->dir);
  g_free (w->dir);
  g_free (w->db);
  g_free (w->url);
  g_free (w->rich_wallet);
  g_free (w->rich_cred);
  g_free (w->rich_id);
  g_free (w->poor_wallet);
  g_free (w->poor_cred);
  g_free (w);
}

void
online_world_iterate_until (gboolean *done)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!*done && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (*done);
}

gint64
online_world_balance (OnlineWorld *w,
                      const char  *cred_id)
{
  g_autofree gchar *out = online_world_tool (w, "ACQUIRER", "report", "acq", "--json", NULL);
  g_autoptr(JsonObject) report = json_object (out);
  JsonObject *balances = json_object_get_object_member (report, "balances");

  return json_object_get_int_member (balances, cred_id);
}

/* The sale as the journal holds it, read beside the worker. */
OffauthMode
online_world_journaled_mode (OnlineWorld *w,
                             guint64      sale_number)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) reader = NULL;
  g_autoptr(GArray) sales = NULL;

  reader = offauth_terminal_open (w->db, OFFAUTH_OPEN_READ_ONLY | OFFAUTH_OPEN_NO_CHECK, &error);
  g_assert_no_error (error);
  sales = offauth_terminal_list_sales (reader, FALSE, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < sales->len; i++)
    {
      const OffauthSaleInfo *info = &g_array_index (sales, OffauthSaleInfo, i);

      if (info->seq == sale_number)
        return info->mode;
    }
  g_assert_not_reached ();
}

gchar *
online_world_pay (OnlineWorld *w,
                  const char  *wallet,
                  const char  *cred,
                  const char  *request)
{
  return online_world_tool (w, "WALLET", "pay", wallet, cred, request, NULL);
}
