/* acquirer-bench: the reference acquirer's figures against a real `offauth-acquirer serve`
 * on loopback, each beside the bare cost measured in the same run: settlement throughput
 * (100,000 queued sales of 50 terminals), one sync of a day's queue (2,000 sales of one
 * terminal) and the online authorization round trip.
 *
 * Not a test: it prints figures. docs/performance.md says how to read them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "acquirer-bench"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sodium.h>

#include "offauth.h"
#include "offauth-testing-private.h"

#include "bench-bare.h"
#include "testutil.h"

static gint opt_terminals = 50;
static gint opt_sales = 2000;
static gint opt_batch = 500;
static gint opt_runs = 3;
static gint opt_online = 1000;
static gchar *opt_dir = NULL;
static gchar *opt_acquirer = NULL;

static const GOptionEntry entries[] = {
  { "terminals", 't', 0, G_OPTION_ARG_INT, &opt_terminals, "Terminals (50)", "N" },
  { "sales", 's', 0, G_OPTION_ARG_INT, &opt_sales, "Queued sales per terminal (2000)", "N" },
  { "batch", 'b', 0, G_OPTION_ARG_INT, &opt_batch, "Rows per sync request (500)", "N" },
  { "runs", 'r', 0, G_OPTION_ARG_INT, &opt_runs, "Runs of every figure (3)", "N" },
  { "online", 'n', 0, G_OPTION_ARG_INT, &opt_online, "Online round trips per run (1000)", "N" },
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir,
    "Directory for the databases (a temporary one under .)", "DIR" },
  { "acquirer", 0, 0, G_OPTION_ARG_FILENAME, &opt_acquirer,
    "The offauth-acquirer program (the one built beside this one)", "PATH" },
  { NULL }
};

/* A payer pays at most this many times offline: credentials are sized to it. */
#define CREDENTIAL_USES 1000
#define MAX_AMOUNT      999

typedef struct
{
  gchar            *db_path;
  gchar            *merchant;
  OffauthSecretKey *key;
  gchar            *public_key;   /* base64, for `offauth-acquirer terminal` */
  guint64           rows;
} Stall;

typedef struct
{
  gchar             *dir;
  gchar             *issuer_dir;
  guint              n_creds;
  gchar            **cred_texts;
  OffauthCredential *creds;
  OffauthSecretKey **payers;
  guint32           *counters;
  Stall             *stalls;
} World;

/* One acquirer: its folder, its key, its server process. */
typedef struct
{
  gchar  *dir;
  guint8  pk[OFFAUTH_PK_SIZE];
  GPid    pid;
  gchar  *url;
} Acquirer;

static double
seconds_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static guint64
now_s (void)
{
  return (guint64) (g_get_real_time () / G_USEC_PER_SEC);
}

/* Runs the acquirer tool with args (NULL-terminated); its standard output. */
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

  g_ptr_array_add (argv, opt_acquirer);
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

/* The issuer, the credentials (each topped up later with all it can spend) and the
 * terminals, each with its queue of real sales. */
static void
world_make (World *w)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) issuer = NULL;
  g_autofree gchar *bundle = NULL;
  OffauthTerminalConfig config;
  guint64 total = (guint64) opt_terminals * (guint64) opt_sales;
  gint64 start = g_get_monotonic_time ();

  w->issuer_dir = g_build_filename (w->dir, "issuer", NULL);
  issuer = offauth_issuer_create (w->issuer_dir, 30, now_s (), &error);
  if (issuer == NULL || (bundle = offauth_issuer_bundle (issuer, 30, &error)) == NULL)
    g_error ("issuer: %s", error->message);
  /* One more than the offline ones need: the online round trips pay with the last. */
  w->n_creds = (guint) ((total + CREDENTIAL_USES - 1) / CREDENTIAL_USES) + 1;
  w->cred_texts = g_new0 (gchar *, w->n_creds + 1);
  w->creds = g_new0 (OffauthCredential, w->n_creds);
  w->payers = g_new0 (OffauthSecretKey *, w->n_creds);
  w->counters = g_new0 (guint32, w->n_creds);
  for (guint c = 0; c < w->n_creds; c++)
    {
      OffauthCredentialSpec spec = { 0 };

      w->payers[c] = offauth_secret_key_generate ();
      spec.payer_public_key = w->payers[c]->pk;
      spec.currency = "EUR";
      spec.per_payment_limit = MAX_AMOUNT;
      spec.offline_total_limit = (guint64) CREDENTIAL_USES * MAX_AMOUNT;
      spec.max_offline_count = CREDENTIAL_USES;
      spec.days = 7;
      w->cred_texts[c] = offauth_issuer_credential (issuer, &spec, &error);
      if (w->cred_texts[c] == NULL ||
          !offauth_credential_parse_text (&w->creds[c], w->cred_texts[c], &error))
        g_error ("credential: %s", error->message);
    }

  offauth_terminal_config_init (&config);
  config.cap_count = 0;
  config.cap_total = 0;
  config.stale_cap = G_MAXINT64;
  config.upload_deadline = G_MAXINT64;
  w->stalls = g_new0 (Stall, opt_terminals);
  for (gint k = 0; k < opt_terminals; k++)
    {
      Stall *s = &w->stalls[k];
      g_autoptr(OffauthTerminal) t = NULL;
      OffauthTerminalStatus st;
      guint8 seed[OFFAUTH_SEED_SIZE];

      s->db_path = g_strdup_printf ("%s/stall-%02d.db", w->dir, k);
      s->merchant = g_strdup_printf ("stall-%02d", k);
      randombytes_buf (seed, sizeof seed);
      s->key = offauth_secret_key_from_seed (seed);
      s->public_key = offauth_b64_encode (s->key->pk, OFFAUTH_PK_SIZE);
      t = test_terminal_open (s->db_path, NULL);
      test_terminal_enroll (t, seed, bundle, s->merchant, NULL, &config);
      offauth_terminal_get_status (t, &st);
      g_assert (memcmp (st.terminal_public_key, s->key->pk, OFFAUTH_PK_SIZE) == 0);
      offauth_terminal_status_clear (&st);
      /* The journal is the same with or without the fdatasync of each sale: the queue is
       * made without it (this is the benchmark's preparation, not a kiosk's path). */
      sqlite3_exec (_offauth_terminal_get_db (t), "PRAGMA synchronous=OFF", NULL, NULL, NULL);
      for (gint j = 0; j < opt_sales; j++)
        {
          guint64 g = (guint64) k * (guint64) opt_sales + (guint64) j;
          guint c = (guint) (g % (w->n_creds - 1));
          g_autofree gchar *req_text = NULL;
          g_autofree gchar *pay = NULL;
          OffauthRequest req;
          OffauthDecision d;

          req_text = offauth_terminal_create_request (t, 1 + g % MAX_AMOUNT, "EUR", NULL, &error);
          if (req_text == NULL || !offauth_request_parse_text (&req, req_text, &error))
            g_error ("request: %s", error->message);
          pay = offauth_payment_make (&w->creds[c], &req, ++w->counters[c], w->payers[c], NULL);
          offauth_terminal_authorize (t, pay, -1, NULL, 0, &d);
          if (!d.approved)
            g_error ("refused: %s (%s)", offauth_reason_code (d.reason), d.detail);
        }
      offauth_terminal_get_status (t, &st);
      s->rows = st.journal_rows;
      offauth_terminal_status_clear (&st);
      sqlite3_exec (_offauth_terminal_get_db (t), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
                    NULL);
      fprintf (stderr, "\rqueues: %d of %d terminals, %.0f s", k + 1, opt_terminals,
               seconds_since (start));
    }
  fprintf (stderr, "\n");
}

static void
world_clear (World *w)
{
  for (gint k = 0; k < opt_terminals; k++)
    {
      g_free (w->stalls[k].db_path);
      g_free (w->stalls[k].merchant);
      g_free (w->stalls[k].public_key);
      offauth_secret_key_free (w->stalls[k].key);
    }
  for (guint c = 0; c < w->n_creds; c++)
    offauth_secret_key_free (w->payers[c]);
  g_free (w->stalls);
  g_free (w->payers);
  g_free (w->creds);
  g_free (w->counters);
  g_strfreev (w->cred_texts);
  g_free (w->issuer_dir);
}

/* The server ends with this program, even when it aborts. */
static void
die_with_parent_cb (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A new acquirer sharing the issuer's folder: the first n_stalls terminals registered,
 * every credential topped up with all it can spend; its server started on 127.0.0.1:0. */
static void
acquirer_start (Acquirer   *a,
                World      *w,
                const char *name,
                gint        n_stalls)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *amount = g_strdup_printf ("%u", CREDENTIAL_USES * (MAX_AMOUNT + 1));
  const char *argv[] = { opt_acquirer, "serve", NULL, "--listen", "127.0.0.1:0", NULL };
  const char *key;
  gint out_fd;
  FILE *f;
  char line[256];

  a->dir = g_build_filename (w->dir, name, NULL);
  out = acquirer_tool ("init", a->dir, "--issuer", w->issuer_dir, "--json", NULL);
  if (!json_parser_load_from_data (parser, out, -1, &error))
    g_error ("init: %s", error->message);
  key = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                       "acquirer_key");
  if (!offauth_b64_decode_exact (key, strlen (key), a->pk, sizeof a->pk))
    g_error ("init: no key in %s", out);
  for (gint k = 0; k < n_stalls; k++)
    g_free (acquirer_tool ("terminal", a->dir, "--merchant", w->stalls[k].merchant, "--key",
                           w->stalls[k].public_key, NULL));
  for (guint c = 0; c < w->n_creds; c++)
    g_free (acquirer_tool ("topup", a->dir, w->cred_texts[c], amount, NULL));

  argv[2] = a->dir;
  if (!g_spawn_async_with_pipes (NULL, (gchar **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 die_with_parent_cb, NULL, &a->pid, NULL, &out_fd, NULL, &error))
    g_error ("serve: %s", error->message);
  f = fdopen (out_fd, "r");
  if (f == NULL || fgets (line, sizeof line, f) == NULL ||
      !g_str_has_prefix (line, "listening on "))
    g_error ("serve did not start");
  fclose (f);
  a->url = g_strdup (g_strstrip (line + strlen ("listening on ")));
}

static void
acquirer_stop (Acquirer *a)
{
  int status;

  kill (a->pid, SIGTERM);
  waitpid (a->pid, &status, 0);
  g_spawn_close_pid (a->pid);
  test_remove_dir (a->dir);
  g_free (a->dir);
  g_free (a->url);
}

/* One sync request of a terminal: its text, and what its answer must say. */
typedef struct
{
  gchar   *text;
  guint8   hash[OFFAUTH_HASH_SIZE];
  guint64  last_seq;
  guint64  cursor;        /* the verdict versions before it: one per sale */
  guint32  n_sales;
  guint    status;
  GBytes  *answer;
} Upload;

static void
upload_clear (gpointer data)
{
  Upload *u = data;

  g_free (u->text);
  g_clear_pointer (&u->answer, g_bytes_unref);
}

/* The terminal's whole queue in requests of opt_batch rows, signed for the acquirer:
 * what the terminal's sync sends when nothing was acknowledged yet. Each request carries
 * the cursor that the answer before it gives (one verdict version per sale). */
static GArray *
uploads_build (const Stall  *s,
               const guint8  acq_pk[OFFAUTH_PK_SIZE])
{
  GArray *uploads = g_array_new (FALSE, TRUE, sizeof (Upload));
  g_autoptr(GError) error = NULL;
  guint64 cursor = 0;

  g_array_set_clear_func (uploads, upload_clear);
  for (guint64 first = 1; first <= s->rows; first += (guint64) opt_batch)
    {
      g_autoptr(GPtrArray) rows = NULL;
      g_autoptr(OffauthSyncRequest) req = NULL;
      g_autofree OffauthView *views = NULL;
      OffauthSyncRequest fields = { 0 };
      Upload u = { 0 };

      rows = test_journal_rows (s->db_path, (gint64) first, opt_batch, fields.prev_hash);
      views = g_new0 (OffauthView, rows->len);
      for (guint i = 0; i < rows->len; i++)
        {
          views[i].data = g_bytes_get_data (rows->pdata[i], &views[i].len);
          if (views[i].data[0] == OFFAUTH_RECORD_SALE_APPROVED)
            u.n_sales++;
        }
      offauth_terminal_id_from_key (fields.terminal_id, s->key->pk);
      fields.first_seq = first;
      fields.created_at = now_s ();
      fields.verdict_cursor = cursor;
      fields.n_records = rows->len;
      fields.records = views;
      req = offauth_sync_request_sign (&fields, acq_pk, s->key, &error);
      if (req == NULL)
        g_error ("sign: %s", error->message);
      u.text = offauth_text_encode ('U', g_bytes_get_data (req->raw, NULL),
                                    g_bytes_get_size (req->raw));
      offauth_sync_request_hash (req, u.hash);
      u.last_seq = first + rows->len - 1;
      u.cursor = cursor;
      cursor += u.n_sales;
      g_array_append_val (uploads, u);
    }
  return uploads;
}

/* The answer is signed, for this request, acknowledges its rows and settles its sales:
 * the number of sales settled. */
static guint32
upload_check (const Upload *u,
              const guint8  acq_pk[OFFAUTH_PK_SIZE])
{
  g_autoptr(OffauthSyncAnswer) a = NULL;
  g_autoptr(GError) error = NULL;
  guint32 settled = 0;

  if (u->status != 200)
    g_error ("sync: HTTP %u", u->status);
  a = offauth_sync_answer_parse_text (g_bytes_get_data (u->answer, NULL),
                                      (gssize) g_bytes_get_size (u->answer), &error);
  if (a == NULL)
    g_error ("answer: %s", error->message);
  if (!offauth_sync_answer_verify (a, acq_pk) ||
      memcmp (a->request_hash, u->hash, OFFAUTH_HASH_SIZE) != 0 || a->acked_seq != u->last_seq)
    g_error ("answer: not the answer to this request");
  for (guint i = 0; i < a->n_verdicts; i++)
    if (a->verdicts[i].state == 1)
      settled++;
  if (a->n_verdicts != u->n_sales || a->verdict_cursor != u->cursor + u->n_sales)
    g_error ("answer: %u verdicts up to version %" G_GUINT64_FORMAT ", wanted %u up to %"
             G_GUINT64_FORMAT, a->n_verdicts, a->verdict_cursor, u->n_sales,
             u->cursor + u->n_sales);
  return settled;
}

/* Posting: every terminal sends its requests one after the other (the next once the
 * answer is in), all terminals at once. */
typedef struct
{
  SoupSession *session;
  const char  *url;
  GArray     **uploads;
  guint       *next;
  guint        active;
  GMainLoop   *loop;
} Poster;

typedef struct
{
  Poster *p;
  guint   stall;
} PostCall;

static void post_next (Poster *p,
                       guint   stall);

static void
posted_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  PostCall *call = user_data;
  Poster *p = call->p;
  Upload *u = &g_array_index (p->uploads[call->stall], Upload, p->next[call->stall]);
  SoupMessage *msg = soup_session_get_async_result_message (p->session, result);
  g_autoptr(GError) error = NULL;

  u->answer = soup_session_send_and_read_finish (p->session, result, &error);
  if (u->answer == NULL)
    g_error ("POST: %s", error->message);
  u->status = soup_message_get_status (msg);
  p->next[call->stall]++;
  post_next (p, call->stall);
  g_free (call);
}

static void
post_next (Poster *p,
           guint   stall)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  PostCall *call;
  Upload *u;

  if (p->next[stall] >= p->uploads[stall]->len)
    {
      if (--p->active == 0)
        g_main_loop_quit (p->loop);
      return;
    }
  u = &g_array_index (p->uploads[stall], Upload, p->next[stall]);
  msg = soup_message_new ("POST", p->url);
  body = g_bytes_new_static (u->text, strlen (u->text));
  soup_message_set_request_body_from_bytes (msg, "text/plain", body);
  call = g_new0 (PostCall, 1);
  call->p = p;
  call->stall = stall;
  soup_session_send_and_read_async (p->session, msg, G_PRIORITY_DEFAULT, NULL, posted_cb, call);
}

/* The bare cost of settling: two verifications per sale, one commit per request. Measured
 * as the median of many of each. */
static void
bare_measure (BenchBare *bare,
              double    *verify_us,
              double    *commit_us)
{
  g_autoptr(GArray) v = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) c = g_array_new (FALSE, FALSE, sizeof (double));

  for (int i = 0; i < 2000; i++)
    {
      double us = bench_bare_verify (bare);
      g_array_append_val (v, us);
    }
  for (int i = 0; i < 200; i++)
    {
      double us = bench_bare_commit (bare);
      g_array_append_val (c, us);
    }
  *verify_us = bench_figures (v).mean;
  *commit_us = bench_figures (c).p50;
}

static void
run_settlement (World     *w,
                BenchBare *bare,
                gint       run)
{
  g_autofree gchar *name = g_strdup_printf ("acquirer-settle-%d", run);
  g_autofree GArray **uploads = g_new0 (GArray *, opt_terminals);
  g_autofree guint *next = g_new0 (guint, opt_terminals);
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Acquirer a = { 0 };
  Poster p = { 0 };
  guint n_requests = 0;
  guint64 settled = 0, sales = 0;
  double elapsed, v1, c1, v2, c2, bare_s;
  gint64 start;

  acquirer_start (&a, w, name, opt_terminals);
  for (gint k = 0; k < opt_terminals; k++)
    {
      uploads[k] = uploads_build (&w->stalls[k], a.pk);
      n_requests += uploads[k]->len;
      for (guint i = 0; i < uploads[k]->len; i++)
        sales += g_array_index (uploads[k], Upload, i).n_sales;
    }
  bare_measure (bare, &v1, &c1);
  /* All terminals at once, at most 8 connections open (the server answers one request
   * at a time; kept at 8 since its backlog was raised, so that the figures compare). */
  session = soup_session_new_with_options ("max-conns", 8, "max-conns-per-host", 8,
                                           "timeout", 600, NULL);
  p.session = session;
  p.url = g_strconcat (a.url, "/v1/sync", NULL);
  p.uploads = uploads;
  p.next = next;
  p.active = (guint) opt_terminals;
  p.loop = loop;

  start = g_get_monotonic_time ();
  for (gint k = 0; k < opt_terminals; k++)
    post_next (&p, (guint) k);
  g_main_loop_run (loop);
  elapsed = seconds_since (start);

  bare_measure (bare, &v2, &c2);
  for (gint k = 0; k < opt_terminals; k++)
    for (guint i = 0; i < uploads[k]->len; i++)
      settled += upload_check (&g_array_index (uploads[k], Upload, i), a.pk);
  if (settled != sales)
    g_error ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " sales settled", settled, sales);
  bare_s = ((double) sales * (v1 + v2) / 2 + n_requests * (c1 + c2) / 2) / 1e6;
  printf ("%3d  %7" G_GUINT64_FORMAT "  %4u  %7.1f s  %7.0f  %6.1f  %7.0f  %7.1f s  %7.0f  %5.2fx\n",
          run, settled, n_requests, elapsed, settled / elapsed, (v1 + v2) / 2, (c1 + c2) / 2,
          bare_s, settled / bare_s, elapsed / bare_s);
  fflush (stdout);

  acquirer_stop (&a);
  for (gint k = 0; k < opt_terminals; k++)
    g_array_unref (uploads[k]);
  g_free ((gchar *) p.url);
}

/* One terminal's day: read the queue, build and sign its requests, post them one after
 * the other, each answer parsed and checked. Seconds. */
static double
day_sync (const Stall *s,
          Acquirer    *a,
          SoupSession *session)
{
  g_autofree gchar *url = g_strconcat (a->url, "/v1/sync", NULL);
  g_autoptr(GArray) uploads = NULL;
  gint64 start = g_get_monotonic_time ();
  guint64 settled = 0, sales = 0;

  uploads = uploads_build (s, a->pk);
  for (guint i = 0; i < uploads->len; i++)
    {
      Upload *u = &g_array_index (uploads, Upload, i);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) body = g_bytes_new_static (u->text, strlen (u->text));
      g_autoptr(GError) error = NULL;

      soup_message_set_request_body_from_bytes (msg, "text/plain", body);
      u->answer = soup_session_send_and_read (session, msg, NULL, &error);
      if (u->answer == NULL)
        g_error ("POST: %s", error->message);
      u->status = soup_message_get_status (msg);
      settled += upload_check (u, a->pk);
      sales += u->n_sales;
    }
  if (settled != sales)
    g_error ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " sales settled", settled, sales);
  return seconds_since (start);
}

/* The same day synced by the terminal's own code: a copy of the terminal pinned to a fresh
 * acquirer, then `offauth-terminal sync` (the engine builds and applies, net/ carries), from
 * the start of the process to all verdicts applied and committed. Seconds. */
static double
day_sync_terminal (World       *w,
                   const Stall *s,
                   const char  *name)
{
  g_autofree gchar *dir = g_build_filename (w->dir, name, NULL);
  g_autofree gchar *db = g_build_filename (dir, "kiosk.db", NULL);
  g_autofree gchar *key = g_strconcat (db, ".key", NULL);
  g_autofree gchar *stall_key = g_strconcat (s->db_path, ".key", NULL);
  g_autofree gchar *contents = NULL, *key_contents = NULL, *pk = NULL, *out = NULL;
  g_autoptr(GError) error = NULL;
  Acquirer a = { 0 };
  gsize len = 0, key_len = 0;
  gint status;
  gint64 start;
  double took;

  g_mkdir_with_parents (dir, 0700);
  if (!g_file_get_contents (s->db_path, &contents, &len, &error) ||
      !g_file_set_contents (db, contents, (gssize) len, &error) ||
      !g_file_get_contents (stall_key, &key_contents, &key_len, &error) ||
      !g_file_set_contents_full (key, key_contents, (gssize) key_len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_error ("copy: %s", error->message);
  acquirer_start (&a, w, name, 1);
  pk = offauth_b64_encode (a.pk, sizeof a.pk);
  {
    const char *argv[] = { TERMINAL_PATH, "acquirer", db, a.url, "--key", pk, NULL };
    if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                       NULL, NULL, &status, &error) ||
        !g_spawn_check_wait_status (status, &error))
      g_error ("offauth-terminal acquirer: %s", error->message);
  }
  start = g_get_monotonic_time ();
  {
    const char *argv[] = { TERMINAL_PATH, "sync", db, "--json", NULL };
    if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                       &status, &error) ||
        !g_spawn_check_wait_status (status, &error))
      g_error ("offauth-terminal sync: %s %s", error->message, out ? out : "");
  }
  took = seconds_since (start);
  acquirer_stop (&a);
  return took;
}

/* One online authorization: the request and the payment made first (as the terminal and
 * the phone make them), then timed: POST /v1/authorize until the decision is parsed and
 * checked. Microseconds. */
static double
online_once (World       *w,
             const Stall *s,
             Acquirer    *a,
             SoupSession *session,
             const char  *url)
{
  guint c = w->n_creds - 1;
  g_autofree gchar *text = NULL;
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  OffauthOnlineRequest o = { 0 };
  OffauthOnlineDecision d;
  OffauthRequest req = { 0 };
  gint64 start;
  double us;

  g_strlcpy (req.merchant_id, s->merchant, sizeof req.merchant_id);
  offauth_terminal_id_from_key (req.terminal_id, s->key->pk);
  strcpy (req.currency, "EUR");
  req.amount = 1 + g_random_int_range (0, MAX_AMOUNT);
  req.created_at = now_s ();
  randombytes_buf (req.challenge, sizeof req.challenge);
  offauth_request_encode (&req);
  g_free (offauth_payment_make (&w->creds[c], &req, ++w->counters[c], w->payers[c], &o.payment));
  memcpy (o.terminal_id, req.terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  o.created_at = req.created_at;
  offauth_online_request_sign (&o, a->pk, s->key);
  text = offauth_text_encode ('O', o.raw, sizeof o.raw);
  body = g_bytes_new_static (text, strlen (text));
  soup_message_set_request_body_from_bytes (msg, "text/plain", body);

  start = g_get_monotonic_time ();
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  if (answer == NULL)
    g_error ("POST: %s", error->message);
  if (soup_message_get_status (msg) != 200 ||
      !offauth_online_decision_parse_text (&d, g_bytes_get_data (answer, NULL),
                                           (gssize) g_bytes_get_size (answer), &error) ||
      !offauth_online_decision_verify (&d, a->pk))
    g_error ("authorize: HTTP %u %s", soup_message_get_status (msg),
             error ? error->message : "bad decision");
  us = (double) (g_get_monotonic_time () - start);
  if (d.result != OFFAUTH_ONLINE_APPROVED)
    g_error ("authorize: declined, reason %u", d.reason);
  return us;
}

static void
run_day_and_online (World     *w,
                    BenchBare *bare,
                    gint       run)
{
  g_autofree gchar *name = g_strdup_printf ("acquirer-day-%d", run);
  g_autofree gchar *url = NULL;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 600, NULL);
  g_autoptr(GArray) bare_samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) online_samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree gchar *terminal_name = g_strdup_printf ("terminal-day-%d", run);
  Acquirer a = { 0 };
  BenchFigures fb, fo;
  double day, day_terminal;

  day_terminal = day_sync_terminal (w, &w->stalls[0], terminal_name);
  acquirer_start (&a, w, name, 1);
  day = day_sync (&w->stalls[0], &a, session);

  url = g_strconcat (a.url, "/v1/authorize", NULL);
  for (int i = 0; i < 20; i++)
    {
      bench_bare_once (bare);
      online_once (w, &w->stalls[0], &a, session, url);
    }
  /* Alternate blocks of 100, so that both see the same disk. */
  for (int done = 0; done < opt_online; done += 100)
    for (int phase = 0; phase < 2; phase++)
      for (int i = 0; i < 100 && done + i < opt_online; i++)
        {
          double us = phase == 0 ? bench_bare_once (bare)
                                 : online_once (w, &w->stalls[0], &a, session, url);
          g_array_append_val (phase == 0 ? bare_samples : online_samples, us);
        }
  fb = bench_figures (bare_samples);
  fo = bench_figures (online_samples);
  printf ("%3d  %8.2f s  %8.2f s  %9.2f %9.2f  %9.2f %9.2f  %5.2fx %5.2fx\n", run, day,
          day_terminal, fo.p50 / 1000, fo.p99 / 1000, fb.p50 / 1000, fb.p99 / 1000,
          fo.p50 / fb.p50, fo.p99 / fb.p99);
  fflush (stdout);
  acquirer_stop (&a);
}

static void
print_load (const char *when)
{
  g_autofree gchar *load = NULL;

  if (g_file_get_contents ("/proc/loadavg", &load, NULL, NULL))
    printf ("Load average %s: %s", when, load);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- the reference acquirer's figures");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *base = NULL;
  World w = { 0 };
  BenchBare bare = { 0 };
  gint64 start;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || opt_terminals < 1 ||
      opt_sales < 1 || opt_batch < 1 || opt_runs < 1 || opt_online < 1)
    {
      g_printerr ("%s\n", error ? error->message : "every count must be at least 1");
      return 2;
    }
  if (!offauth_init ())
    return 2;
  if (opt_acquirer == NULL)
    opt_acquirer = g_strdup (ACQUIRER_PATH);
  base = opt_dir ? g_strdup (opt_dir) : g_get_current_dir ();
  w.dir = test_tmp_dir (base, "acquirer-bench");
  bench_bare_init (&bare, w.dir);

  print_load ("at the start");
  start = g_get_monotonic_time ();
  world_make (&w);
  printf ("Queues made: %d terminals x %d real sales (engine authorizations, real credentials "
          "and payer signatures) in %.0f s.\n\n", opt_terminals, opt_sales, seconds_since (start));

  printf ("Settlement throughput: every terminal's queue synced into a fresh `offauth-acquirer "
          "serve` on\n127.0.0.1 (requests of %d rows, built and signed before the clock starts; "
          "all terminals at once,\neach sending its next request when its answer is in). "
          "bare = 2 Ed25519 verifications per sale\n+ 1 synchronous SQLite commit per request "
          "(WAL, synchronous=FULL), measured before and after.\n\n", opt_batch);
  printf ("%3s  %7s  %4s  %9s  %7s  %6s  %7s  %9s  %7s  %6s\n", "run", "settled", "reqs",
          "wall", "sales/s", "2ver us", "commit us", "bare", "bare/s", "ratio");
  for (gint r = 1; r <= opt_runs; r++)
    run_settlement (&w, &bare, r);
  print_load ("after the settlement runs");

  printf ("\nOne sync of a day's queue (%d sales of one terminal, requests of %d rows, read, "
          "built, signed,\nposted one after the other, every answer checked): wall time; "
          "\"by the terminal\": `offauth-terminal\nsync` on a copy of that terminal, from its "
          "start to every verdict applied and committed. "
          "Online authorization:\nPOST /v1/authorize with a fresh O, %d per run, until the "
          "decision is checked, beside bare =\n2 verifications + 1 commit, alternating blocks "
          "of 100. Times in ms.\n\n", opt_sales, opt_batch, opt_online);
  printf ("%3s  %10s  %10s  %9s %9s  %9s %9s  %6s %6s\n", "run", "day sync", "terminal",
          "auth p50", "auth p99",
          "bare p50", "bare p99", "p50/b", "p99/b");
  for (gint r = 1; r <= opt_runs; r++)
    run_day_and_online (&w, &bare, r);
  print_load ("at the end");

  bench_bare_clear (&bare);
  world_clear (&w);
  test_remove_dir (w.dir);
  g_free (w.dir);
  return 0;
}
