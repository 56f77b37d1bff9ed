/* offauth-bench: authorizations per second and latency with the durable commit, with
 * 0, 100k and 1M sales already stored, each against the bare cost measured in the same
 * run: two Ed25519 verifications plus one synchronous SQLite commit (WAL, FULL).
 *
 * Not a test: it prints figures. docs/performance.md says how to read them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>

#include "offauth.h"
#include "offauth-testing-private.h"

#include "testutil.h"

#include "bench-bare.h"

static gint opt_samples = 3000;
static gchar *opt_sizes = NULL;
static gchar *opt_dir = NULL;

static const GOptionEntry entries[] = {
  { "samples", 'n', 0, G_OPTION_ARG_INT, &opt_samples, "Timed authorizations per size (3000)", "N" },
  { "sizes", 's', 0, G_OPTION_ARG_STRING, &opt_sizes, "Stored sales to test, comma separated (0,100000,1000000)", "LIST" },
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir, "Directory for the databases (a temporary one under .)", "DIR" },
  { NULL }
};

typedef struct
{
  OffauthTerminal   *t;
  OffauthSecretKey  *issuer;
  OffauthSecretKey  *payer;
  OffauthCredential  cred;
  guint32            counter;
  guint              n_creds;
} Auth;

static void
new_credential (Auth *a)
{
  guint64 now = (guint64) (g_get_real_time () / G_USEC_PER_SEC);

  test_credential_init (&a->cred, a->payer, now - 600, now - 600 + 86400);
  offauth_key_id (a->cred.issuer_key_id, a->issuer->pk);
  randombytes_buf (a->cred.credential_id, sizeof a->cred.credential_id);
  a->cred.max_offline_count = 1000;
  a->cred.per_payment_limit = 1000;
  a->cred.offline_total_limit = 1000000;
  offauth_credential_sign (&a->cred, a->issuer);
  a->counter = 0;
  a->n_creds++;
}

static double
auth_once (Auth *a)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *req_text = NULL;
  g_autofree gchar *pay = NULL;
  OffauthRequest req;
  OffauthDecision d;
  gint64 start;

  /* A payer pays at most a few dozen times: a fresh credential now and then. */
  if (a->counter == 50)
    new_credential (a);
  req_text = offauth_terminal_create_request (a->t, 1 + g_random_int_range (0, 999), "EUR", NULL, &error);
  if (req_text == NULL || !offauth_request_parse_text (&req, req_text, &error))
    g_error ("request: %s", error->message);
  pay = offauth_payment_make (&a->cred, &req, ++a->counter, a->payer, NULL);

  start = g_get_monotonic_time ();
  offauth_terminal_authorize (a->t, pay, -1, NULL, 0, &d);
  if (!d.approved)
    g_error ("refused: %s (%s)", offauth_reason_code (d.reason), d.detail);
  return (double) (g_get_monotonic_time () - start);
}

static void
run_size (guint64 stored, const char *base, BenchFigures *bare_out, BenchFigures *auth_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = test_tmp_dir (base, "run");
  g_autofree gchar *db = g_build_filename (dir, "terminal.db", NULL);
  g_autofree gchar *bundle_text = NULL;
  g_autoptr(GArray) bare_samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) auth_samples = g_array_new (FALSE, FALSE, sizeof (double));
  OffauthSecretKey *root = offauth_secret_key_generate ();
  OffauthTerminalConfig config;
  OffauthBundle b = { 0 };
  BenchBare bare = { 0 };
  Auth a = { 0 };
  guint64 now = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  gint64 t0;
  double fill_s = 0, open_s;

  a.issuer = offauth_secret_key_generate ();
  a.payer = offauth_secret_key_generate ();
  b.sequence = 1;
  b.issued_at = now - 60;
  b.expires_at = now + 86400;
  b.n_keys = 1;
  memcpy (b.keys[0].public_key, a.issuer->pk, 32);
  b.keys[0].not_before = now - 86400;
  b.keys[0].not_after = now + 86400;
  bundle_text = test_bundle_sign (&b, root);

  offauth_terminal_config_init (&config);
  config.cap_count = 0;
  config.cap_total = 0;
  config.stale_cap = G_MAXINT64;
  config.upload_deadline = G_MAXINT64;
  a.t = test_terminal_open (db, NULL);
  test_terminal_enroll (a.t, NULL, bundle_text, "bench", NULL, &config);
  if (stored > 0)
    {
      t0 = g_get_monotonic_time ();
      if (!_offauth_terminal_fill_settled (a.t, stored, &error))
        g_error ("%s", error->message);
      fill_s = (g_get_monotonic_time () - t0) / 1e6;
    }
  /* Let the disk settle: merge the fill's log into the database and flush it all, so
   * that its write-back does not land in the measurements. */
  sqlite3_exec (_offauth_terminal_get_db (a.t), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  sync ();
  g_usleep (2 * G_USEC_PER_SEC);

  /* Reopen: the start-up check walks the whole journal and the derived tables. */
  offauth_terminal_free (a.t);
  t0 = g_get_monotonic_time ();
  a.t = offauth_terminal_open (db, OFFAUTH_OPEN_DEFAULT, &error);
  if (a.t == NULL)
    g_error ("%s", error->message);
  open_s = (g_get_monotonic_time () - t0) / 1e6;

  bench_bare_init (&bare, dir);
  new_credential (&a);
  /* Warm up both, then alternate blocks so that both see the same disk weather. */
  for (int i = 0; i < 50; i++)
    {
      bench_bare_once (&bare);
      auth_once (&a);
    }
  for (int done = 0; done < opt_samples; done += 100)
    for (int phase = 0; phase < 2; phase++)
      for (int i = 0; i < 100; i++)
        {
          double us = phase == 0 ? bench_bare_once (&bare) : auth_once (&a);
          g_array_append_val (phase == 0 ? bare_samples : auth_samples, us);
        }

  *bare_out = bench_figures (bare_samples);
  *auth_out = bench_figures (auth_samples);
  printf ("%9" G_GUINT64_FORMAT "  %8.0f %8.0f  %8.0f %8.0f  %5.2fx %5.2fx  %7.0f  %6.1f s  %6.1f s\n",
          stored, bare_out->p50, bare_out->p99, auth_out->p50, auth_out->p99,
          auth_out->p50 / bare_out->p50, auth_out->p99 / bare_out->p99, 1e6 / auth_out->mean,
          fill_s, open_s);
  fflush (stdout);

  bench_bare_clear (&bare);
  offauth_terminal_free (a.t);
  offauth_secret_key_free (a.issuer);
  offauth_secret_key_free (a.payer);
  offauth_secret_key_free (root);
  test_remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- offline authorization benchmark");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) sizes = NULL;
  g_autofree gchar *base = NULL;
  BenchFigures first_auth = { 0 }, last_auth = { 0 }, last_bare = { 0 }, first_bare = { 0 };
  guint64 last_size = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (!offauth_init ())
    return 2;
  sizes = g_strsplit (opt_sizes ? opt_sizes : "0,100000,1000000", ",", -1);
  base = opt_dir ? g_strdup (opt_dir) : g_get_current_dir ();

  printf ("Offline authorization with the durable commit (SQLite WAL, synchronous=FULL), %d samples per size.\n"
          "bare = 2 Ed25519 verifications + 1 synchronous SQLite commit of one row, measured in the same run,\n"
          "alternating blocks of 100 with the authorizations. Times in microseconds.\n\n",
          opt_samples);
  printf ("%9s  %8s %8s  %8s %8s  %6s %6s  %7s  %8s  %8s\n", "stored", "bare p50", "bare p99",
          "auth p50", "auth p99", "p50/b", "p99/b", "auth/s", "fill", "open");
  for (guint i = 0; sizes[i] != NULL; i++)
    {
      guint64 n;
      BenchFigures bare, auth;

      if (!g_ascii_string_to_unsigned (sizes[i], 10, 0, G_MAXUINT64, &n, NULL))
        {
          g_printerr ("bad size %s\n", sizes[i]);
          return 2;
        }
      run_size (n, base, &bare, &auth);
      if (i == 0)
        {
          first_auth = auth;
          first_bare = bare;
        }
      last_auth = auth;
      last_bare = bare;
      last_size = n;
    }
  if (g_strv_length (sizes) > 1)
    printf ("\nGrowth from the first size to %" G_GUINT64_FORMAT " stored: auth p50 %.2fx, p99 %.2fx "
            "(bare in the same runs: p50 %.2fx, p99 %.2fx)\n",
            last_size, last_auth.p50 / first_auth.p50, last_auth.p99 / first_auth.p99,
            last_bare.p50 / first_bare.p50, last_bare.p99 / first_bare.p99);
  return 0;
}
