/* test-service-online.c: the service's online authorization against the real acquirer.
 *
 * The world is made with the real tools (issuer, acquirer, enrolled terminal with a floor
 * limit of 5.00, the acquirer pinned) and the reference acquirer serves on loopback; the
 * service sells on that terminal. Checked: over the floor, online, approved and journaled
 * with mode online; declined online for the balance; an acquirer that accepts and never
 * answers gives the offline decision within the online timeout; offline, nothing is sent.
 * The latency of an online decision over loopback is printed (p50, p99).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <string.h>

#include "offauth-service-private.h"
#include "offauth-settings.h"
#include "online-world.h"

#define FLOOR        500
#define MARGIN_MS    500     /* a worker job and the main loop's, beyond the online timeout */
#define LATENCY_RUNS 40

static OnlineWorld    *world;
static GSettings      *settings;
static OffauthService *service;

static void
world_init (void)
{
  world = online_world_new (FLOOR);
  settings = g_settings_new (OFFAUTH_SETTINGS_SCHEMA_ID);
  g_settings_set_string (settings, "terminal-db", world->db);
  service = _offauth_service_new (NULL, settings, FALSE);
}

static void
world_clear (void)
{
  g_clear_object (&service);
  g_clear_object (&settings);
  g_clear_pointer (&world, online_world_free);
}

static void
wait_ready (void)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (offauth_service_get_state (service) == OFFAUTH_SERVICE_STARTING &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (offauth_service_get_state (service), ==, OFFAUTH_SERVICE_READY);
}

/* One sale through the service */

typedef struct
{
  gboolean        done;
  gchar          *request;
  OffauthReason   reason;
  OffauthDecision decision;
  GError         *error;
  guint           progress_calls;
  guint64         timeout_ms;
  gint64          started, progress_at, finished;   /* monotonic, µs */
} Sale;

static void
requested_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Sale *s = user_data;

  s->request = offauth_service_request_finish (OFFAUTH_SERVICE (source), result, &s->reason, &s->error);
  s->done = TRUE;
}

static void
progress_cb (OffauthService       *source,
             OffauthAuthorizeStep  step,
             guint64               timeout_ms,
             gpointer              user_data)
{
  Sale *s = user_data;

  g_assert_cmpint (step, ==, OFFAUTH_AUTHORIZE_CHECKING_ONLINE);
  g_assert_false (s->done);
  s->progress_calls++;
  s->timeout_ms = timeout_ms;
  s->progress_at = g_get_monotonic_time ();
}

static void
authorized_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Sale *s = user_data;

  g_assert_true (offauth_service_authorize_finish (OFFAUTH_SERVICE (source), result, &s->decision, &s->error));
  s->finished = g_get_monotonic_time ();
  s->done = TRUE;
}

/* A request for amount at the service's terminal, paid by wallet (as a phone would), decided
 * by the service; the time is taken from the decision's call to its callback. */
static void
sell (guint64     amount,
      const char *wallet,
      const char *cred,
      Sale       *s)
{
  OffauthSaleLine line = { "food", amount };
  g_autofree gchar *payment = NULL;

  memset (s, 0, sizeof *s);
  offauth_service_request_async (service, amount, "EUR", NULL, requested_cb, s);
  online_world_iterate_until (&s->done);
  g_assert_no_error (s->error);
  g_assert_nonnull (s->request);
  payment = online_world_pay (world, wallet, cred, s->request);
  g_clear_pointer (&s->request, g_free);
  s->done = FALSE;
  s->started = g_get_monotonic_time ();
  offauth_service_authorize_async (service, payment, &line, 1, progress_cb, s, NULL,
                                   authorized_cb, s);
  online_world_iterate_until (&s->done);
}

/* Over the floor, online: approved by the acquirer, journaled with mode online, the payer
 * debited; "Checking online" was said first. */
static void
test_online_approved (void)
{
  gint64 before = online_world_balance (world, world->rich_id);
  Sale s;

  wait_ready ();
  g_assert_nonnull (offauth_service_get_acquirer (service));
  _offauth_service_set_online (service, TRUE);
  sell (800, world->rich_wallet, world->rich_cred, &s);
  g_assert_no_error (s.error);
  g_assert_cmpuint (s.progress_calls, ==, 1);
  g_assert_cmpuint (s.timeout_ms, ==, 3000);
  g_assert_true (s.decision.approved);
  g_assert_cmpint (s.decision.mode, ==, OFFAUTH_MODE_ONLINE);
  g_assert_cmpuint (s.decision.amount, ==, 800);
  g_assert_cmpuint (s.decision.sale_number, >, 0);
  g_assert_cmpint (online_world_journaled_mode (world, s.decision.sale_number), ==, OFFAUTH_MODE_ONLINE);
  g_assert_cmpint (online_world_balance (world, world->rich_id), ==, before - 800);

  /* Under the floor: offline, no online step. */
  sell (300, world->rich_wallet, world->rich_cred, &s);
  g_assert_true (s.decision.approved);
  g_assert_cmpint (s.decision.mode, ==, OFFAUTH_MODE_OFFLINE);
  g_assert_cmpuint (s.progress_calls, ==, 0);
}

/* The acquirer declines for the balance: declined online, the acquirer's reason, nothing
 * recorded. */
static void
test_online_declined (void)
{
  guint64 rows = offauth_service_get_status (service)->journal_rows;
  Sale s;

  wait_ready ();
  _offauth_service_set_online (service, TRUE);
  sell (600, world->poor_wallet, world->poor_cred, &s);
  g_assert_cmpuint (s.progress_calls, ==, 1);
  g_assert_false (s.decision.approved);
  g_assert_true (s.decision.declined_online);
  g_assert_cmpuint (s.decision.online_reason, ==, OFFAUTH_SETTLE_INSUFFICIENT_FUNDS);
  g_assert_cmpint (s.decision.reason, ==, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  g_assert_cmpstr (offauth_online_decline_message (s.decision.online_reason), ==,
                   "The payer's balance is too low.");
  g_assert_cmpuint (offauth_service_get_status (service)->journal_rows, ==, rows);
}

/* A loopback socket that accepts and never answers, counting its connections. */
typedef struct
{
  GSocketService *service;
  GPtrArray      *held;
  gchar          *url;
} Hung;

static gboolean
hung_incoming_cb (GSocketService    *listener,
                  GSocketConnection *connection,
                  GObject           *source,
                  gpointer           user_data)
{
  Hung *h = user_data;

  g_ptr_array_add (h->held, g_object_ref (connection));
  return TRUE;
}

static void
hung_start (Hung *h)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  h->service = g_socket_service_new ();
  h->held = g_ptr_array_new_with_free_func (g_object_unref);
  g_socket_listener_add_address (G_SOCKET_LISTENER (h->service), any, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (h->service, "incoming", G_CALLBACK (hung_incoming_cb), h);
  g_socket_service_start (h->service);
  h->url = g_strdup_printf ("http://127.0.0.1:%u",
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

static void
hung_stop (Hung *h)
{
  g_socket_service_stop (h->service);
  g_socket_listener_close (G_SOCKET_LISTENER (h->service));
  g_clear_object (&h->service);
  g_clear_pointer (&h->held, g_ptr_array_unref);
  g_clear_pointer (&h->url, g_free);
}

/* Points the service at url (the pinned key stays: a real answer would not verify anyway). */
static OffauthAcquirerClient *
swap_acquirer (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthAcquirerClient) client = offauth_acquirer_client_new (url, 0, &error);
  OffauthAcquirerClient *old = g_object_ref (offauth_service_get_acquirer (service));

  g_assert_no_error (error);
  _offauth_service_set_acquirer (service, client);
  return old;
}

/* The acquirer accepts and never answers: the offline decision within the online timeout
 * (plus a job), and the request abandoned. */
static void
test_online_hung (void)
{
  g_autoptr(OffauthAcquirerClient) real = NULL;
  Hung h = { 0 };
  gint64 took_ms;
  Sale s;

  wait_ready ();
  hung_start (&h);
  real = swap_acquirer (h.url);
  _offauth_service_set_online (service, TRUE);
  sell (700, world->rich_wallet, world->rich_cred, &s);
  took_ms = (s.finished - s.started) / 1000;
  g_test_message ("hung acquirer: offline decision after %" G_GINT64_FORMAT " ms (%" G_GINT64_FORMAT
                  " ms after the send)", took_ms, (s.finished - s.progress_at) / 1000);
  g_assert_cmpuint (s.progress_calls, ==, 1);
  g_assert_cmpuint (h.held->len, ==, 1);
  g_assert_false (s.decision.approved);
  g_assert_false (s.decision.declined_online);
  g_assert_cmpint (s.decision.reason, ==, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  g_assert_cmpint ((s.finished - s.progress_at) / 1000, >=, (gint64) s.timeout_ms - 1);
  g_assert_cmpint (took_ms, <=, (gint64) s.timeout_ms + MARGIN_MS);
  _offauth_service_set_acquirer (service, real);
  hung_stop (&h);
}

/* Offline (the uploader says so): no request is made, the offline decision at once. */
static void
test_online_offline (void)
{
  g_autoptr(OffauthAcquirerClient) real = NULL;
  Hung h = { 0 };
  Sale s;

  wait_ready ();
  hung_start (&h);
  real = swap_acquirer (h.url);
  _offauth_service_set_online (service, FALSE);
  sell (900, world->rich_wallet, world->rich_cred, &s);
  /* Anything sent would have connected by now: the decision came after two worker jobs. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (s.progress_calls, ==, 0);
  g_assert_cmpuint (h.held->len, ==, 0);
  g_assert_false (s.decision.approved);
  g_assert_cmpint (s.decision.reason, ==, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  _offauth_service_set_acquirer (service, real);
  hung_stop (&h);

  /* No acquirer pinned (or its client gone): the same. */
  _offauth_service_set_online (service, TRUE);
  real = g_object_ref (offauth_service_get_acquirer (service));
  _offauth_service_set_acquirer (service, NULL);
  sell (900, world->rich_wallet, world->rich_cred, &s);
  g_assert_cmpuint (s.progress_calls, ==, 0);
  g_assert_false (s.decision.approved);
  _offauth_service_set_acquirer (service, real);
}

static int
cmp_gint64 (gconstpointer a,
            gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The online decision over loopback, from the scan's decision call to its callback (the
 * offline decision, the request, the round trip, the commit), and the round trip alone. */
static void
test_online_latency (void)
{
  g_autoptr(GArray) total = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) online = g_array_new (FALSE, FALSE, sizeof (gint64));

  wait_ready ();
  _offauth_service_set_online (service, TRUE);
  for (guint i = 0; i < LATENCY_RUNS; i++)
    {
      Sale s;
      gint64 t, o;

      sell (600, world->rich_wallet, world->rich_cred, &s);
      g_assert_true (s.decision.approved);
      g_assert_cmpint (s.decision.mode, ==, OFFAUTH_MODE_ONLINE);
      t = s.finished - s.started;
      o = s.finished - s.progress_at;
      g_array_append_val (total, t);
      g_array_append_val (online, o);
    }
  g_array_sort (total, cmp_gint64);
  g_array_sort (online, cmp_gint64);
  g_test_message ("online decision over loopback, %u sales: p50 %.1f ms, p99 %.1f ms; from the "
                  "send: p50 %.1f ms, p99 %.1f ms", LATENCY_RUNS,
                  g_array_index (total, gint64, LATENCY_RUNS / 2) / 1000.0,
                  g_array_index (total, gint64, LATENCY_RUNS * 99 / 100) / 1000.0,
                  g_array_index (online, gint64, LATENCY_RUNS / 2) / 1000.0,
                  g_array_index (online, gint64, LATENCY_RUNS * 99 / 100) / 1000.0);
}

int
main (int argc, char **argv)
{
  int rc;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);
  if (!offauth_init ())
    return 1;
  world_init ();

  /* In this order: one terminal and one acquirer for them all. */
  g_test_add_func ("/Offauth/Online/approved", test_online_approved);
  g_test_add_func ("/Offauth/Online/declined", test_online_declined);
  g_test_add_func ("/Offauth/Online/hung", test_online_hung);
  g_test_add_func ("/Offauth/Online/offline", test_online_offline);
  g_test_add_func ("/Offauth/Online/latency", test_online_latency);
  rc = g_test_run ();
  world_clear ();
  return rc;
}
