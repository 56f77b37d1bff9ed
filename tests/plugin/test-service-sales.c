/* test-service-sales.c: the status view's calls on a real terminal through the service:
 * the listing in slices (a sale is not held behind it), retry now, write off, collected
 * otherwise; each journaled and still there after the terminal is opened again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include "offauth-service-private.h"
#include "offauth-service-sales.h"
#include "offauth-settings.h"
#include "sales-world.h"

typedef struct
{
  gboolean  done;
  gint64    when;       /* monotonic time of completion */
  GArray   *sales;
  gboolean  ok;
  GError   *error;
} Call;

static void
call_clear (Call *c)
{
  g_clear_pointer (&c->sales, g_array_unref);
  g_clear_error (&c->error);
  *c = (Call) { 0 };
}

static void
wait_call (Call *c)
{
  gint64 end = g_get_monotonic_time () + 600 * G_USEC_PER_SEC;

  while (!c->done && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (c->done);
}

static OffauthService *
service_for (TestWorld *w)
{
  g_autoptr(GSettings) settings = g_settings_new (OFFAUTH_SETTINGS_SCHEMA_ID);
  OffauthService *service;
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_settings_set_string (settings, "terminal-db", w->db_path);
  service = _offauth_service_new (NULL, settings, FALSE);
  while (offauth_service_get_state (service) == OFFAUTH_SERVICE_STARTING &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (offauth_service_get_state (service), ==, OFFAUTH_SERVICE_READY);
  return service;
}

/* Drops the service: its last status updates hold references until the main loop runs them;
 * the last one joins the worker, which closes the terminal. */
static void
drop_service (OffauthService **service)
{
  OffauthService *weak = *service;
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (G_OBJECT (weak), (gpointer *) &weak);
  g_clear_object (service);
  while (weak != NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (weak);
}

static void
listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *c = user_data;

  c->sales = offauth_service_list_sales_finish (OFFAUTH_SERVICE (source), result, &c->error);
  c->when = g_get_monotonic_time ();
  c->done = TRUE;
}

static void
retried_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *c = user_data;

  c->ok = offauth_service_ask_retry_finish (OFFAUTH_SERVICE (source), result, &c->error);
  c->done = TRUE;
}

static void
closed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *c = user_data;

  c->ok = offauth_service_close_sale_finish (OFFAUTH_SERVICE (source), result, &c->error);
  c->done = TRUE;
}

static GArray *
list (OffauthService *service)
{
  Call c = { 0 };
  GArray *sales;

  offauth_service_list_sales_async (service, NULL, listed_cb, &c);
  wait_call (&c);
  g_assert_no_error (c.error);
  sales = g_steal_pointer (&c.sales);
  call_clear (&c);
  return sales;
}

static const OffauthSaleInfo *
find (GArray *sales, guint64 seq)
{
  for (guint i = 0; i < sales->len; i++)
    if (g_array_index (sales, OffauthSaleInfo, i).seq == seq)
      return &g_array_index (sales, OffauthSaleInfo, i);
  g_assert_not_reached ();
}

static void
retry (OffauthService *service, guint64 seq, gboolean expect)
{
  Call c = { 0 };

  offauth_service_ask_retry_async (service, seq, NULL, retried_cb, &c);
  wait_call (&c);
  g_assert_cmpint (c.ok, ==, expect);
  g_assert_true (expect == (c.error == NULL));
  call_clear (&c);
}

static void
close_sale (OffauthService *service, guint64 seq, OffauthSaleState how, gboolean expect)
{
  Call c = { 0 };

  offauth_service_close_sale_async (service, seq, how, NULL, closed_cb, &c);
  wait_call (&c);
  g_assert_cmpint (c.ok, ==, expect);
  g_assert_true (expect == (c.error == NULL));
  call_clear (&c);
}

static gboolean
count_states_cb (guint64 seq, guint kind, guint64 time, const guint8 *payload, gsize len,
                 const guint8 hash[OFFAUTH_HASH_SIZE], gpointer user_data)
{
  if (kind == OFFAUTH_RECORD_SALE_STATE)
    (*(guint *) user_data)++;
  return TRUE;
}

static guint
count_state_rows (TestWorld *w)
{
  g_autoptr(GError) error = NULL;
  guint n = 0;

  g_assert_true (offauth_terminal_foreach_record (w->terminal, 1, count_states_cb, &n, &error));
  g_assert_no_error (error);
  return n;
}

/* The listing, the actions, and the same after the terminal is opened again. */
static void
test_actions (void)
{
  OffauthDecision d[N_SALES];
  TestWorld *w = sales_world_new (d);
  g_autoptr(OffauthService) service = service_for (w);
  g_autoptr(GArray) before = list (service);
  g_autoptr(GArray) after = NULL;
  guint rows_before;

  g_assert_cmpuint (before->len, ==, N_SALES);
  g_assert_cmpint (find (before, d[SALE_SETTLED].sale_number)->state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_cmpint (find (before, d[SALE_DOUBLE_SPEND].sale_number)->state, ==,
                   OFFAUTH_SALE_DECLINED);
  g_assert_cmpint (find (before, d[SALE_NO_FUNDS].sale_number)->state, ==, OFFAUTH_SALE_RETRY);
  g_assert_cmpint (find (before, d[SALE_UNMATCHED].sale_number)->state, ==, OFFAUTH_SALE_RETRY);
  g_assert_cmpint (find (before, d[SALE_WAITING].sale_number)->state, ==, OFFAUTH_SALE_WAITING);
  g_assert_true (find (before, d[SALE_WAITING].sale_number)->waiting);

  /* Retry now: insufficient funds only; the held sale is the acquirer's to retry. */
  retry (service, d[SALE_NO_FUNDS].sale_number, TRUE);
  retry (service, d[SALE_UNMATCHED].sale_number, FALSE);
  retry (service, d[SALE_SETTLED].sale_number, FALSE);
  /* Closes: a declined sale is written off; a retrying one shows "closing". */
  close_sale (service, d[SALE_DOUBLE_SPEND].sale_number, OFFAUTH_SALE_WRITTEN_OFF, TRUE);
  close_sale (service, d[SALE_UNMATCHED].sale_number, OFFAUTH_SALE_COLLECTED_OTHERWISE, TRUE);
  close_sale (service, d[SALE_SETTLED].sale_number, OFFAUTH_SALE_WRITTEN_OFF, FALSE);
  close_sale (service, d[SALE_WAITING].sale_number, OFFAUTH_SALE_COLLECTED_OTHERWISE, FALSE);

  after = list (service);
  g_assert_true (find (after, d[SALE_NO_FUNDS].sale_number)->retry_asked);
  g_assert_cmpint (find (after, d[SALE_DOUBLE_SPEND].sale_number)->state, ==,
                   OFFAUTH_SALE_WRITTEN_OFF);
  g_assert_cmpint (find (after, d[SALE_UNMATCHED].sale_number)->state, ==, OFFAUTH_SALE_CLOSING);
  drop_service (&service);

  /* Opened again, with the whole journal check: every change is still there, the closes as
   * kind-8 rows (4 verdicts of the sync, then 2 closes). */
  g_assert_cmpuint (sales_world_info (w, d[SALE_DOUBLE_SPEND].sale_number).state, ==,
                    OFFAUTH_SALE_WRITTEN_OFF);
  g_assert_cmpuint (sales_world_info (w, d[SALE_UNMATCHED].sale_number).state, ==,
                    OFFAUTH_SALE_CLOSING);
  g_assert_true (sales_world_info (w, d[SALE_NO_FUNDS].sale_number).retry_asked);
  g_assert_cmpuint (sales_world_info (w, d[SALE_SETTLED].sale_number).state, ==,
                    OFFAUTH_SALE_SETTLED);
  rows_before = count_state_rows (w);
  g_assert_cmpuint (rows_before, ==, 6);
  test_world_free (w);
}

typedef struct
{
  OffauthService *service;
  GArray         *latencies;   /* gint64 µs: request asked → answered */
  guint           pending;
  gboolean        stop;
  gint64          first_answered;   /* monotonic time */
} Probe;

typedef struct
{
  Probe  *probe;
  gint64  asked;
} ProbeCall;

static void probe_cb (gpointer user_data);

static void
probed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ProbeCall *call = user_data;
  OffauthReason reason;
  g_autofree gchar *text = NULL;
  g_autoptr(GError) error = NULL;
  gint64 latency = g_get_monotonic_time () - call->asked;

  text = offauth_service_request_finish (OFFAUTH_SERVICE (source), result, &reason, &error);
  g_assert_no_error (error);
  g_array_append_val (call->probe->latencies, latency);
  if (call->probe->first_answered == 0)
    call->probe->first_answered = g_get_monotonic_time ();
  call->probe->pending--;
  if (!call->probe->stop)
    g_timeout_add_once (50, probe_cb, call->probe);
  g_free (call);
}

/* One payer after another while the listing runs, 50 ms apart (one cashier): each request
 * waits for one slice at most. */
static void
probe_cb (gpointer user_data)
{
  Probe *probe = user_data;
  ProbeCall *call = g_new0 (ProbeCall, 1);

  call->probe = probe;
  call->asked = g_get_monotonic_time ();
  probe->pending++;
  offauth_service_request_async (probe->service, 100, "EUR", NULL, probed_cb, call);
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* A listing of several slices: every sale once, in order; requests made while it runs are
 * answered between slices. TILL_SALES_LISTING_N sets the number of sales (a benchmark). */
static void
test_slices (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  const char *env = g_getenv ("TILL_SALES_LISTING_N");
  const guint64 n = env != NULL ? g_ascii_strtoull (env, NULL, 10) : 5 * OFFAUTH_SALES_SLICE + 17;
  g_autoptr(OffauthService) service = NULL;
  Call listing = { 0 };
  Probe probe = { 0 };
  gint64 t0, fill0 = g_get_monotonic_time ();

  g_assert_true (_offauth_terminal_fill_settled (w->terminal, n, &error));
  g_assert_no_error (error);
  g_test_message ("filled %" G_GUINT64_FORMAT " sales in %.1f s", n,
                  (g_get_monotonic_time () - fill0) / 1e6);
  g_clear_pointer (&w->terminal, offauth_terminal_free);
  service = service_for (w);
  probe.service = service;
  probe.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));

  /* The same requests with no listing, for comparison. */
  probe.stop = TRUE;
  for (guint i = 0; i < 5; i++)
    {
      probe_cb (&probe);
      while (probe.pending > 0)
        g_main_context_iteration (NULL, TRUE);
    }
  g_array_sort (probe.latencies, compare_gint64);
  g_test_message ("5 requests alone: p50 %.1f ms, max %.1f ms",
                  g_array_index (probe.latencies, gint64, 2) / 1000.0,
                  g_array_index (probe.latencies, gint64, 4) / 1000.0);
  g_array_set_size (probe.latencies, 0);
  probe.stop = FALSE;
  probe.first_answered = 0;

  t0 = g_get_monotonic_time ();
  offauth_service_list_sales_async (service, NULL, listed_cb, &listing);
  probe_cb (&probe);
  wait_call (&listing);
  probe.stop = TRUE;
  while (probe.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (listing.error);
  g_array_sort (probe.latencies, compare_gint64);
  g_test_message ("%" G_GUINT64_FORMAT " sales listed in %u slices in %.1f ms; %u requests "
                  "meanwhile: p50 %.1f ms, max %.1f ms", n,
                  (guint) (n / CLAMP (n / 50, OFFAUTH_SALES_SLICE, OFFAUTH_SALES_SLICE_MAX) + 1),
                  (listing.when - t0) / 1000.0, probe.latencies->len,
                  g_array_index (probe.latencies, gint64, probe.latencies->len / 2) / 1000.0,
                  g_array_index (probe.latencies, gint64, probe.latencies->len - 1) / 1000.0);
  /* The first request, asked right behind the listing's first slice, came back before the
   * listing ended; none waited for more than a few slices. */
  g_assert_cmpuint (probe.latencies->len, >=, 1);
  g_assert_cmpint (probe.first_answered, <, listing.when);
  g_assert_cmpint (g_array_index (probe.latencies, gint64, probe.latencies->len - 1), <,
                   500 * 1000);
  g_assert_cmpuint (listing.sales->len, ==, n);
  for (guint i = 1; i < listing.sales->len; i++)
    g_assert_cmpuint (g_array_index (listing.sales, OffauthSaleInfo, i - 1).seq, <,
                      g_array_index (listing.sales, OffauthSaleInfo, i).seq);
  call_clear (&listing);
  g_array_unref (probe.latencies);

  /* Cancelled: the listing ends as cancelled, at the next slice. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    offauth_service_list_sales_async (service, cancellable, listed_cb, &listing);
    g_cancellable_cancel (cancellable);
    wait_call (&listing);
    g_assert_error (listing.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    call_clear (&listing);
  }
  drop_service (&service);
  test_world_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Offauth/ServiceSales/actions", test_actions);
  g_test_add_func ("/Offauth/ServiceSales/slices", test_slices);
  return g_test_run ();
}
