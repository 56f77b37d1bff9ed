/* offauth-upload-bench: a sale's latency through the plugin's service while its uploader
 * carries a 2,000-sale queue to the real acquirer, beside the same with no upload.
 *
 * Each timed sale is what the pay page does: the request (service, SALE priority), the
 * payer's phone signing it (here, in-process: the "scan"), the decision (service, SALE
 * priority). Printed: request to decision and scan to decision, p50 and p99, with the
 * uploader working offline (no upload) and while it uploads (only the sales that began and
 * ended while rows were going up count).
 *
 * Not a test: it prints figures. docs/performance.md says how to read them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-bench"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <json-glib/json-glib.h>
#include <sodium.h>

#include "offauth.h"
#include "offauth-service-private.h"
#include "offauth-uploader.h"

#include "testutil.h"

#include "bench-bare.h"

static gint opt_samples = 500;
static gint opt_queue = 2000;
static gint opt_rounds = 8;
static gchar *opt_dir = NULL;

static const GOptionEntry entries[] = {
  { "samples", 'n', 0, G_OPTION_ARG_INT, &opt_samples, "Timed sales of each figure (500)", "N" },
  { "queue", 'q', 0, G_OPTION_ARG_INT, &opt_queue, "Sales waiting when an upload begins (2000)", "N" },
  { "rounds", 'r', 0, G_OPTION_ARG_INT, &opt_rounds, "Uploads at most, to gather the samples (8)", "N" },
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir, "Directory for the databases (a temporary one under .)", "DIR" },
  { NULL }
};

typedef struct
{
  gchar             *dir;
  OffauthCredential  cred;
  gchar             *cred_text;
  OffauthSecretKey  *payer;
  guint32            counter;
  GPid               server;
  OffauthService    *service;
  OffauthUploader   *uploader;
} Bench;

static void
die_with_parent_cb (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gchar *
acquirer_tool (const char *first,
               ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *err = NULL;
  gchar *out = NULL;
  gint status;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) ACQUIRER_PATH);
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("offauth-acquirer %s: %s %s", first, error->message, err ? err : "");
  return out;
}

/* The issuer, one payer, the acquirer (terminal registered, payer topped up, serving on
 * loopback) and the terminal, enrolled and pinned to it. */
static gchar *
bench_make (Bench *b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) issuer = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  g_autoptr(OffauthSecretKey) key = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree gchar *issuer_dir = g_build_filename (b->dir, "issuer", NULL);
  g_autofree gchar *acq_dir = g_build_filename (b->dir, "acq", NULL);
  g_autofree gchar *db_path = g_build_filename (b->dir, "terminal.db", NULL);
  g_autofree gchar *bundle = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *tpk = NULL;
  const char *argv[] = { ACQUIRER_PATH, "serve", acq_dir, "--listen", "127.0.0.1:0", NULL };
  OffauthCredentialSpec spec = { 0 };
  OffauthTerminalConfig config;
  guint8 seed[OFFAUTH_SEED_SIZE];
  guint8 apk[OFFAUTH_PK_SIZE];
  const char *akey;
  char line[256];
  gint out_fd;
  FILE *f;

  issuer = offauth_issuer_create (issuer_dir, 30, 0, &error);
  if (issuer == NULL || (bundle = offauth_issuer_bundle (issuer, 30, &error)) == NULL)
    g_error ("issuer: %s", error->message);
  b->payer = offauth_secret_key_generate ();
  spec.payer_public_key = b->payer->pk;
  spec.currency = "EUR";
  spec.per_payment_limit = 1000;
  spec.max_offline_count = 1000000;
  spec.offline_total_limit = 1000000000;
  spec.days = 7;
  b->cred_text = offauth_issuer_credential (issuer, &spec, &error);
  if (b->cred_text == NULL || !offauth_credential_parse_text (&b->cred, b->cred_text, &error))
    g_error ("credential: %s", error->message);

  out = acquirer_tool ("init", acq_dir, "--issuer", issuer_dir, "--json", NULL);
  if (!json_parser_load_from_data (parser, out, -1, &error))
    g_error ("init: %s", error->message);
  akey = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                        "acquirer_key");
  if (!offauth_b64_decode_exact (akey, strlen (akey), apk, sizeof apk))
    g_error ("init: no key in %s", out);
  g_free (acquirer_tool ("topup", acq_dir, b->cred_text, "1000000000", NULL));

  offauth_terminal_config_init (&config);
  config.cap_count = 0;
  config.cap_total = 0;
  config.stale_cap = G_MAXINT64;
  config.upload_deadline = G_MAXINT64;
  randombytes_buf (seed, sizeof seed);
  key = offauth_secret_key_from_seed (seed);
  tpk = offauth_b64_encode (key->pk, OFFAUTH_PK_SIZE);
  g_free (acquirer_tool ("terminal", acq_dir, "--merchant", "bench", "--key", tpk, NULL));

  if (!g_spawn_async_with_pipes (NULL, (gchar **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 die_with_parent_cb, NULL, &b->server, NULL, &out_fd, NULL, &error))
    g_error ("serve: %s", error->message);
  f = fdopen (out_fd, "r");
  if (f == NULL || fgets (line, sizeof line, f) == NULL || !g_str_has_prefix (line, "listening on "))
    g_error ("serve did not start");
  fclose (f);

  t = test_terminal_open (db_path, NULL);
  test_terminal_enroll (t, seed, bundle, "bench", NULL, &config);
  if (!offauth_terminal_pin_acquirer (t, g_strstrip (line + strlen ("listening on ")), apk, &error))
    g_error ("pin: %s", error->message);
  return g_steal_pointer (&db_path);
}

/* One sale through the service, as the pay page makes it. */

typedef struct
{
  Bench   *b;
  gint64   start;
  gint64   scanned;
  gint64   decided;
  gboolean done;
} Sale;

static void
sale_decided_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Sale *s = user_data;
  g_autoptr(GError) error = NULL;
  OffauthDecision d;

  if (!offauth_service_authorize_finish (OFFAUTH_SERVICE (source), result, &d, &error))
    g_error ("authorize: %s", error->message);
  if (!d.approved)
    g_error ("refused: %s (%s)", offauth_reason_code (d.reason), d.detail);
  s->decided = g_get_monotonic_time ();
  s->done = TRUE;
}

static void
sale_requested_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Sale *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *pay = NULL;
  OffauthReason reason;
  OffauthRequest req;

  text = offauth_service_request_finish (OFFAUTH_SERVICE (source), result, &reason, &error);
  if (text == NULL || !offauth_request_parse_text (&req, text, &error))
    g_error ("request: %s %s", error ? error->message : "", offauth_reason_code (reason));
  /* The payer's phone signs; its code is scanned. */
  pay = offauth_payment_make (&s->b->cred, &req, ++s->b->counter, s->b->payer, NULL);
  s->scanned = g_get_monotonic_time ();
  offauth_service_authorize_async (s->b->service, pay, NULL, 0, NULL, NULL, NULL, sale_decided_cb, s);
}

static void
sale_run (Bench *b,
          Sale  *s)
{
  memset (s, 0, sizeof *s);
  s->b = b;
  s->start = g_get_monotonic_time ();
  offauth_service_request_async (b->service, 10, "EUR", NULL, sale_requested_cb, s);
  while (!s->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
iterate_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static void
print_figures (const char *what,
               GArray     *total,
               GArray     *scan)
{
  BenchFigures t = bench_figures (total);
  BenchFigures s = bench_figures (scan);

  printf ("%-22s %6u  %9.1f %9.1f  %9.1f %9.1f\n", what, total->len, t.p50 / 1000, t.p99 / 1000,
          s.p50 / 1000, s.p99 / 1000);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- a sale's latency during an upload");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GArray) idle_total = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) idle_scan = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) up_total = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) up_scan = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree gchar *db_path = NULL;
  Bench b = { 0 };
  guint64 uploaded = 0;
  gint rounds = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (!offauth_init ())
    return 1;
  g_setenv ("GSETTINGS_SCHEMA_DIR", SCHEMA_DIR, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  b.dir = opt_dir ? g_strdup (opt_dir) : g_dir_make_tmp ("offauth-upload-bench-XXXXXX", &error);
  if (b.dir == NULL)
    g_error ("%s", error->message);
  db_path = bench_make (&b);

  settings = g_settings_new ("io.github.tillpos.Till.plugins.offauth");
  g_settings_set_string (settings, "terminal-db", db_path);
  b.service = _offauth_service_new (NULL, settings, FALSE);
  while (offauth_service_get_state (b.service) == OFFAUTH_SERVICE_STARTING)
    g_main_context_iteration (NULL, TRUE);
  if (offauth_service_get_state (b.service) != OFFAUTH_SERVICE_READY)
    g_error ("the service: %s", offauth_service_get_error (b.service));
  b.uploader = offauth_uploader_new (b.service, settings);
  offauth_uploader_set_work_offline (b.uploader, TRUE);

  printf ("# %d timed sales each; an upload of %d sales at a time; 2 cores\n", opt_samples, opt_queue);
  printf ("%-22s %6s  %9s %9s  %9s %9s\n", "", "sales", "req p50", "req p99", "scan p50", "scan p99");
  printf ("%-22s %6s  %9s %9s  %9s %9s\n", "", "", "ms", "ms", "ms", "ms");

  /* No upload */
  for (gint i = 0; i < opt_samples; i++)
    {
      Sale s;
      double total, scan;

      sale_run (&b, &s);
      total = (double) (s.decided - s.start);
      scan = (double) (s.decided - s.scanned);
      g_array_append_val (idle_total, total);
      g_array_append_val (idle_scan, scan);
    }
  print_figures ("no upload", idle_total, idle_scan);

  /* During uploads: the queue filled (untimed) while working offline, then back online. */
  while ((gint) up_total->len < opt_samples && rounds++ < opt_rounds)
    {
      const OffauthTerminalStatus *st = offauth_service_get_status (b.service);
      Sale s;

      while (st->unsettled_count < (guint64) opt_queue)
        {
          sale_run (&b, &s);
          iterate_ms (0);
          st = offauth_service_get_status (b.service);
        }
      uploaded += st->unsettled_count;
      offauth_uploader_set_work_offline (b.uploader, FALSE);
      while (offauth_uploader_get_sync_state (b.uploader) != OFFAUTH_SYNC_UPLOADING)
        g_main_context_iteration (NULL, TRUE);
      while (offauth_uploader_get_sync_state (b.uploader) == OFFAUTH_SYNC_UPLOADING &&
             (gint) up_total->len < opt_samples)
        {
          double total, scan;

          sale_run (&b, &s);
          if (offauth_uploader_get_sync_state (b.uploader) != OFFAUTH_SYNC_UPLOADING)
            break;
          total = (double) (s.decided - s.start);
          scan = (double) (s.decided - s.scanned);
          g_array_append_val (up_total, total);
          g_array_append_val (up_scan, scan);
        }
      while (offauth_uploader_get_sync_state (b.uploader) == OFFAUTH_SYNC_UPLOADING)
        g_main_context_iteration (NULL, TRUE);
      offauth_uploader_set_work_offline (b.uploader, TRUE);
      iterate_ms (200);
    }
  print_figures ("during a 2,000 upload", up_total, up_scan);
  printf ("# %" G_GUINT64_FORMAT " sales uploaded in %d uploads\n", uploaded, rounds);

  g_clear_object (&b.uploader);
  iterate_ms (500);
  g_clear_object (&b.service);
  kill (b.server, SIGTERM);
  waitpid (b.server, NULL, 0);
  g_spawn_close_pid (b.server);
  if (opt_dir == NULL)
    test_remove_dir (b.dir);
  offauth_secret_key_free (b.payer);
  g_free (b.cred_text);
  g_free (b.dir);
  return 0;
}
