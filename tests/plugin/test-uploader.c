/* test-uploader.c: the service and its uploader against the real reference acquirer on
 * loopback, with real terminals (SQLite) made by the real tools.
 *
 * Offline sales while the acquirer is down, then it starts: OFFLINE → UPLOADING → ONLINE and
 * every sale settled. The acquirer killed (SIGKILL) in the middle of a 2,000-sale upload:
 * the main loop keeps running, nothing is lost, the next sync finishes and the acquirer
 * settled each sale once. A terminal the acquirer does not know: 403, STOPPED.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "offauth-pill-text.h"
#include "offauth-service-private.h"
#include "offauth-uploader.h"

static gchar *tmp;          /* the fixture's directory */
static gchar *acquirer_key;
static gchar *fingerprint;
static guint  port;
static GPid   server_pid;

static const char *
tool (const char *name)
{
  const char *path = g_getenv (name);

  g_assert_nonnull (path);
  return path;
}

/* Runs argv in tmp; its standard output, stripped. */
static gchar *
run (const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *err = NULL;
  gchar *out = NULL;
  gint status;
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (tmp, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", first, out, err);
  return g_strstrip (out);
}

static gchar *
json_member (const char *text,
             const char *member)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                  member));
}

static guint
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
server_start (void)
{
  g_autofree gchar *listen = g_strdup_printf ("127.0.0.1:%u", port);
  const char *argv[] = { tool ("ACQUIRER"), "serve", "acq", "--listen", listen, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_cmpint (server_pid, ==, 0);
  g_spawn_async (tmp, (gchar **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                 NULL, NULL, &server_pid, &error);
  g_assert_no_error (error);
  /* Listening once a connection goes through. */
  while (g_get_monotonic_time () < end)
    {
      g_autoptr(GSocketConnection) c = g_socket_client_connect_to_host (client, listen, 0, NULL, NULL);

      if (c != NULL)
        return;
      g_usleep (20000);
    }
  g_error ("the acquirer does not listen on %s", listen);
}

static void
server_kill (void)
{
  if (server_pid == 0)
    return;
  kill (server_pid, SIGKILL);
  waitpid (server_pid, NULL, 0);
  g_spawn_close_pid (server_pid);
  server_pid = 0;
}

/* A terminal NAME.db enrolled and pinned to the acquirer (registered there when `known`),
 * with `sales` offline sales of 10 cents made by e2e-sell. */
static gchar *
make_terminal_funded (const char *name,
                      gboolean    known,
                      guint       sales,
                      const char *topup)
{
  g_autofree gchar *db = g_strdup_printf ("%s.db", name);
  g_autofree gchar *merchant = g_strdup_printf ("shop-%s", name);
  g_autofree gchar *status = NULL;
  g_autofree gchar *tpk = NULL;
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autofree gchar *wallet = g_strdup_printf ("%s.wallet", name);
  g_autofree gchar *cred_file = g_strdup_printf ("%s.cred", name);
  g_autofree gchar *count = g_strdup_printf ("%u", sales + 10);
  g_autofree gchar *n = g_strdup_printf ("%u", sales);
  g_autofree gchar *payer = NULL;
  g_autofree gchar *cred_json = NULL;
  g_autofree gchar *cred = NULL;
  g_autofree gchar *cred_path = g_build_filename (tmp, cred_file, NULL);
  g_autoptr(GError) error = NULL;

  g_free (run (tool ("TERMINAL"), "init", db, "--trust", "bundle.txt", "--merchant", merchant,
               "--root", fingerprint, "--cap-count", "0", "--cap-total", "0", NULL));
  status = run (tool ("TERMINAL"), "status", db, "--json", NULL);
  tpk = json_member (status, "terminal_public_key");
  if (known)
    g_free (run (tool ("ACQUIRER"), "terminal", "acq", "--merchant", merchant, "--key", tpk, NULL));
  g_free (run (tool ("TERMINAL"), "acquirer", db, url, "--key", acquirer_key, NULL));
  payer = run (tool ("WALLET"), "new", wallet, NULL);
  cred_json = run (tool ("ISSUER"), "credential", "iss", "--payer", payer, "--currency", "EUR",
                   "--per-payment", "2000", "--total", "10000000", "--count", count, "--days", "7",
                   "--json", NULL);
  cred = json_member (cred_json, "credential");
  g_file_set_contents (cred_path, cred, -1, &error);
  g_assert_no_error (error);
  if (known)
    g_free (run (tool ("ACQUIRER"), "topup", "acq", cred, topup, NULL));
  if (sales > 0)
    g_free (run (tool ("SELL"), db, wallet, cred_file, n, "10", NULL));
  return g_build_filename (tmp, db, NULL);
}

static gchar *
make_terminal (const char *name,
               gboolean    known,
               guint       sales)
{
  return make_terminal_funded (name, known, sales, "10000000");
}

/* The service on db and its uploader, once the terminal is open. */

typedef struct
{
  GSettings       *settings;
  OffauthService  *service;
  OffauthUploader *uploader;
  GArray          *states;     /* OffauthSyncState, each change */
} Kiosk;

static void
state_cb (OffauthUploader *uploader,
          GParamSpec      *pspec,
          Kiosk           *k)
{
  OffauthSyncState state = offauth_uploader_get_sync_state (uploader);

  g_array_append_val (k->states, state);
}

static void
iterate_while (gboolean (*busy) (Kiosk *k),
               Kiosk     *k,
               guint      seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (busy (k) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (busy (k));
}

static gboolean
starting (Kiosk *k)
{
  return offauth_service_get_state (k->service) == OFFAUTH_SERVICE_STARTING;
}

static void
kiosk_open (Kiosk      *k,
            const char *db)
{
  /* GSETTINGS_BACKEND=memory */
  k->settings = g_settings_new ("io.github.tillpos.Till.plugins.offauth");
  g_settings_set_string (k->settings, "terminal-db", db);
  g_settings_set_uint (k->settings, "health-timeout", 2);
  g_settings_set_uint (k->settings, "sync-timeout", 10);
  k->service = _offauth_service_new (NULL, k->settings, FALSE);
  iterate_while (starting, k, 30);
  g_assert_cmpint (offauth_service_get_state (k->service), ==, OFFAUTH_SERVICE_READY);
  g_assert_nonnull (offauth_service_get_acquirer (k->service));
  k->states = g_array_new (FALSE, FALSE, sizeof (OffauthSyncState));
  k->uploader = offauth_uploader_new (k->service, k->settings);
  g_signal_connect (k->uploader, "notify::sync-state", G_CALLBACK (state_cb), k);
}

static void
kiosk_close (Kiosk *k)
{
  gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;

  g_signal_handlers_disconnect_by_data (k->uploader, k);
  g_object_run_dispose (G_OBJECT (k->uploader));
  g_clear_object (&k->uploader);
  /* The last jobs finish; the service's worker is joined with it. */
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&k->service);
  g_clear_object (&k->settings);
  g_array_unref (k->states);
}

static gboolean
state_seen (Kiosk           *k,
            OffauthSyncState state)
{
  for (guint i = 0; i < k->states->len; i++)
    if (g_array_index (k->states, OffauthSyncState, i) == state)
      return TRUE;
  return FALSE;
}

/* The sales' states, counted on the worker as a view would. */

typedef struct
{
  guint counts[OFFAUTH_SALE_CLOSING + 1];
  guint waiting;
} Counts;

static gboolean
count_run (OffauthService  *service,
           OffauthTerminal *terminal,
           gpointer         data,
           GError         **error)
{
  Counts *c = data;
  g_autoptr(GArray) sales = offauth_terminal_list_sales (terminal, FALSE, 0, error);

  for (guint i = 0; sales != NULL && i < sales->len; i++)
    {
      const OffauthSaleInfo *info = &g_array_index (sales, OffauthSaleInfo, i);

      c->counts[info->state]++;
      c->waiting += info->waiting;
    }
  return sales != NULL;
}

static const OffauthServiceCall count_call = { OFFAUTH_WORKER_STATUS, count_run };

static void
count_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), &error));
  *(gboolean *) user_data = TRUE;
}

static void
count_sales (Kiosk  *k,
             Counts *c)
{
  g_autoptr(GTask) task = NULL;
  gboolean done = FALSE;

  memset (c, 0, sizeof *c);
  task = g_task_new (k->service, NULL, count_done_cb, &done);
  g_task_set_task_data (task, c, NULL);
  _offauth_service_call (k->service, task, &count_call);
  g_clear_object (&task);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static guint64
acquirer_settled (const char *merchant)
{
  g_autofree gchar *report = run (tool ("ACQUIRER"), "report", "acq", "--json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *merchants;

  g_assert_true (json_parser_load_from_data (parser, report, -1, NULL));
  merchants = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                            "merchants");
  for (guint i = 0; i < json_array_get_length (merchants); i++)
    {
      JsonObject *m = json_array_get_object_element (merchants, i);

      if (g_strcmp0 (json_object_get_string_member (m, "merchant_id"), merchant) == 0)
        return (guint64) json_object_get_int_member (m, "settled_count");
    }
  return 0;
}

static gboolean
not_offline (Kiosk *k)
{
  return offauth_uploader_get_sync_state (k->uploader) != OFFAUTH_SYNC_OFFLINE;
}

static gboolean
not_online (Kiosk *k)
{
  return offauth_uploader_get_sync_state (k->uploader) != OFFAUTH_SYNC_ONLINE;
}

/* Offline sales while the acquirer is down; it starts; they go up and settle. */
static void
test_reconnect (void)
{
  g_autofree gchar *db = make_terminal ("a", TRUE, 20);
  Kiosk k = { 0 };
  Counts c;

  server_kill ();
  kiosk_open (&k, db);
  iterate_while (not_offline, &k, 10);
  g_assert_false (offauth_service_get_online (k.service));
  g_assert_cmpint (offauth_service_get_status (k.service)->unsettled_count, ==, 20);
  g_assert_cmpint (offauth_uploader_get_last_sync (k.uploader), ==, 0);

  server_start ();
  /* The network monitor sees nothing change on loopback: "Sync now" (or the back-off). */
  offauth_uploader_sync_now (k.uploader);
  iterate_while (not_online, &k, 30);
  g_assert_true (state_seen (&k, OFFAUTH_SYNC_UPLOADING));
  g_assert_true (offauth_service_get_online (k.service));
  g_assert_cmpint (offauth_uploader_get_last_sync (k.uploader), >, 0);
  g_assert_cmpint (offauth_service_get_status (k.service)->unsettled_count, ==, 0);
  count_sales (&k, &c);
  g_assert_cmpuint (c.counts[OFFAUTH_SALE_SETTLED], ==, 20);
  g_assert_cmpuint (c.waiting, ==, 0);
  g_assert_cmpuint (acquirer_settled ("shop-a"), ==, 20);
  kiosk_close (&k);
}

/* The main loop's heartbeat while the acquirer dies under an upload. */

typedef struct
{
  gint64 last;
  gint64 longest;
  guint  beats;
} Heart;

static gboolean
beat_cb (gpointer user_data)
{
  Heart *h = user_data;
  gint64 now = g_get_monotonic_time ();

  if (h->last > 0)
    h->longest = MAX (h->longest, now - h->last);
  h->last = now;
  h->beats++;
  return G_SOURCE_CONTINUE;
}

static gboolean
not_uploading_yet (Kiosk *k)
{
  /* A few requests went through. */
  return offauth_uploader_get_uploading (k->uploader) == 0 ||
         offauth_uploader_get_uploading (k->uploader) > 1500;
}

static void
test_killed (void)
{
  g_autofree gchar *db = make_terminal ("b", TRUE, 2000);
  Kiosk k = { 0 };
  Heart h = { 0 };
  guint beat;
  Counts c;

  if (server_pid == 0)
    server_start ();
  kiosk_open (&k, db);
  beat = g_timeout_add (10, beat_cb, &h);
  iterate_while (not_uploading_yet, &k, 30);
  g_test_message ("killed with %" G_GUINT64_FORMAT " rows left", offauth_uploader_get_uploading (k.uploader));
  server_kill ();
  iterate_while (not_offline, &k, 30);
  g_test_message ("the longest gap between heartbeats: %" G_GINT64_FORMAT " ms (%u beats)",
                  h.longest / 1000, h.beats);
  g_assert_cmpint (h.longest, <, 500 * 1000);
  g_assert_cmpint (offauth_uploader_get_last_sync (k.uploader), ==, 0);
  g_assert_cmpint (offauth_service_get_status (k.service)->unsettled_count, >, 0);

  server_start ();
  offauth_uploader_sync_now (k.uploader);
  iterate_while (not_online, &k, 60);
  g_assert_cmpint (h.longest, <, 500 * 1000);
  g_source_remove (beat);
  count_sales (&k, &c);
  g_assert_cmpuint (c.counts[OFFAUTH_SALE_SETTLED], ==, 2000);
  g_assert_cmpuint (c.waiting, ==, 0);
  g_assert_cmpuint (acquirer_settled ("shop-b"), ==, 2000);
  kiosk_close (&k);
}

static gboolean
not_stopped (Kiosk *k)
{
  return offauth_uploader_get_sync_state (k->uploader) != OFFAUTH_SYNC_STOPPED;
}

static void
news_cb (OffauthUploader    *uploader,
         OffauthUploaderNews news,
         guint64             count,
         guint64             value,
         gpointer            user_data)
{
  if (news == OFFAUTH_UPLOADER_NEWS_STOPPED)
    *(gboolean *) user_data = TRUE;
}

static void
late_news_cb (OffauthUploader    *uploader,
              OffauthUploaderNews news,
              guint64             count,
              guint64             value,
              gpointer            user_data)
{
  if (news == OFFAUTH_UPLOADER_NEWS_LATE_DECLINES)
    *(guint64 *) user_data = count;
}

static gboolean
no_late_declines (Kiosk *k)
{
  return offauth_uploader_get_late_declines (k->uploader, NULL) == 0;
}

/* A payer whose balance covers 2 of 5 sales: 3 declined late (insufficient funds), counted
 * with their value, and told once. */
static void
test_late_declines (void)
{
  g_autofree gchar *db = make_terminal_funded ("e", TRUE, 5, "25");
  Kiosk k = { 0 };
  guint64 told = 0, total = 0;

  if (server_pid == 0)
    server_start ();
  kiosk_open (&k, db);
  g_signal_connect (k.uploader, "news", G_CALLBACK (late_news_cb), &told);
  iterate_while (no_late_declines, &k, 30);
  g_assert_cmpuint (offauth_uploader_get_late_declines (k.uploader, &total), ==, 3);
  g_assert_cmpuint (total, ==, 30);
  g_assert_cmpuint (told, ==, 3);
  kiosk_close (&k);
}

/* A terminal the acquirer does not know: 403, syncing stops, the pairing is to check. */
static void
test_forbidden (void)
{
  g_autofree gchar *db = make_terminal ("c", FALSE, 0);
  Kiosk k = { 0 };
  gboolean told = FALSE;

  if (server_pid == 0)
    server_start ();
  kiosk_open (&k, db);
  g_signal_connect (k.uploader, "news", G_CALLBACK (news_cb), &told);
  iterate_while (not_stopped, &k, 30);
  g_assert_true (told);
  g_assert_true (offauth_uploader_get_pairing_problem (k.uploader));
  g_assert_nonnull (strstr (offauth_uploader_get_stop_reason (k.uploader), "pairing"));
  g_assert_false (offauth_service_get_online (k.service));
  /* Work offline and back: still stopped until "Sync now" or a new pairing. */
  offauth_uploader_set_work_offline (k.uploader, TRUE);
  g_assert_cmpint (offauth_uploader_get_sync_state (k.uploader), ==, OFFAUTH_SYNC_STOPPED);
  kiosk_close (&k);
}

/* Work offline now: offline whatever the acquirer says; back online on request. */
static void
test_work_offline (void)
{
  g_autofree gchar *db = make_terminal ("d", TRUE, 3);
  Kiosk k = { 0 };

  if (server_pid == 0)
    server_start ();
  kiosk_open (&k, db);
  iterate_while (not_online, &k, 30);
  offauth_uploader_set_work_offline (k.uploader, TRUE);
  g_assert_cmpint (offauth_uploader_get_sync_state (k.uploader), ==, OFFAUTH_SYNC_OFFLINE);
  g_assert_false (offauth_service_get_online (k.service));
  offauth_uploader_set_work_offline (k.uploader, FALSE);
  iterate_while (not_online, &k, 30);
  g_assert_true (offauth_service_get_online (k.service));
  kiosk_close (&k);
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
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

/* Pinned to an acquirer that is not there: offline. Paired with the real one (as the pairing
 * page does): it is asked at once, the sales go up, the new pin is read back. */
static void
test_pair (void)
{
  g_autofree gchar *db = make_terminal ("f", TRUE, 5);
  g_autofree gchar *dead = g_strdup_printf ("http://127.0.0.1:%u", free_port ());
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autofree gchar *pinned = NULL;
  g_autoptr(GAsyncResult) paired = NULL;
  g_autoptr(GAsyncResult) read = NULL;
  g_autoptr(GError) error = NULL;
  guint8 pk[OFFAUTH_PK_SIZE], read_pk[OFFAUTH_PK_SIZE];
  Kiosk k = { 0 };

  g_free (run (tool ("TERMINAL"), "acquirer", "f.db", dead, "--key", acquirer_key, NULL));
  if (server_pid == 0)
    server_start ();
  kiosk_open (&k, db);
  iterate_while (not_offline, &k, 10);

  g_assert_true (offauth_b64_decode_exact (acquirer_key, strlen (acquirer_key), pk, sizeof pk));
  offauth_uploader_pair_async (k.uploader, url, pk, NULL, result_cb, &paired);
  g_assert_true (offauth_uploader_pair_finish (k.uploader, wait_result (&paired), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (offauth_acquirer_client_get_base_url (offauth_service_get_acquirer (k.service)), ==, url);
  iterate_while (not_online, &k, 30);
  g_assert_cmpint (offauth_uploader_get_last_sync (k.uploader), >, 0);
  g_assert_cmpuint (acquirer_settled ("shop-f"), ==, 5);

  offauth_uploader_read_pairing_async (k.uploader, NULL, result_cb, &read);
  g_assert_true (offauth_uploader_read_pairing_finish (k.uploader, wait_result (&read), &pinned,
                                                       read_pk, &error));
  g_assert_cmpstr (pinned, ==, url);
  g_assert_cmpmem (read_pk, sizeof read_pk, pk, sizeof pk);
  kiosk_close (&k);
}

/* The pill in each state: its words and its colour (green only with nothing waiting). */
static void
test_pill_labels (void)
{
  static const struct
  {
    OffauthSyncState sync;
    guint64          waiting;
    OffauthReason    paused;
    const char      *text;
    const char      *colour;
  } cases[] = {
    { OFFAUTH_SYNC_ONLINE, 0, OFFAUTH_REASON_NONE, "Online · nothing waiting", "online" },
    { OFFAUTH_SYNC_WAITING, 12, OFFAUTH_REASON_NONE, "Online · 12 waiting", "offline" },
    { OFFAUTH_SYNC_WAITING, 1, OFFAUTH_REASON_NONE, "Online · 1 waiting", "offline" },
    { OFFAUTH_SYNC_UPLOADING, 40, OFFAUTH_REASON_NONE, "Uploading · 40", "syncing" },
    { OFFAUTH_SYNC_UPLOADING, 0, OFFAUTH_REASON_NONE, "Uploading · 37", "syncing" },
    { OFFAUTH_SYNC_OFFLINE, 12, OFFAUTH_REASON_NONE, "Offline · 12 waiting · €84.50", "offline" },
    { OFFAUTH_SYNC_OFFLINE, 0, OFFAUTH_REASON_NONE, "Offline · nothing waiting", "offline" },
    { OFFAUTH_SYNC_UNPAIRED, 12, OFFAUTH_REASON_NONE, "Offline · 12 waiting · €84.50", "offline" },
    { OFFAUTH_SYNC_CHECKING, 12, OFFAUTH_REASON_NONE, "Offline · 12 waiting · €84.50", "offline" },
    { OFFAUTH_SYNC_OFFLINE, 12, OFFAUTH_REASON_OVER_TERMINAL_CAP, "Paused · 12 waiting · €84.50", "paused" },
    { OFFAUTH_SYNC_STOPPED, 12, OFFAUTH_REASON_NONE, "Sync stopped", "paused" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      OffauthTerminalStatus st = { 0 };
      const char *colour = NULL, *icon = NULL;
      g_autofree gchar *text = NULL;

      st.state = cases[i].paused;
      st.unsettled_count = cases[i].waiting;
      st.unsettled_total = cases[i].waiting ? 8450 : 0;
      text = offauth_pill_text (cases[i].sync, 37, &st, "EUR", &colour, &icon);
      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpstr (colour, ==, cases[i].colour);
      g_assert_nonnull (icon);
    }
}

static void
fixture_setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *init = NULL;
  g_autofree gchar *bundle = NULL;
  g_autofree gchar *bundle_path = NULL;

  tmp = g_dir_make_tmp ("till-uploader-XXXXXX", &error);
  g_assert_no_error (error);
  g_free (run (tool ("ISSUER"), "init", "iss", NULL));
  bundle = run (tool ("ISSUER"), "bundle", "iss", NULL);
  bundle_path = g_build_filename (tmp, "bundle.txt", NULL);
  g_file_set_contents (bundle_path, bundle, -1, &error);
  g_assert_no_error (error);
  fingerprint = run (tool ("ISSUER"), "fingerprint", "iss", NULL);
  init = run (tool ("ACQUIRER"), "init", "acq", "--issuer", "iss", "--json", NULL);
  acquirer_key = json_member (init, "acquirer_key");
  port = free_port ();
}

static void
fixture_teardown (void)
{
  g_autofree gchar *cmd = g_strdup_printf ("rm -rf '%s'", tmp);

  server_kill ();
  if (g_getenv ("TILL_TEST_KEEP") == NULL)
    g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_assert_true (offauth_init ());
  fixture_setup ();
  g_test_add_func ("/uploader/pill-labels", test_pill_labels);
  g_test_add_func ("/uploader/reconnect", test_reconnect);
  g_test_add_func ("/uploader/killed", test_killed);
  g_test_add_func ("/uploader/forbidden", test_forbidden);
  g_test_add_func ("/uploader/late-declines", test_late_declines);
  g_test_add_func ("/uploader/pair", test_pair);
  g_test_add_func ("/uploader/work-offline", test_work_offline);
  ret = g_test_run ();
  fixture_teardown ();
  return ret;
}
