/* test-crash.c: a child authorizes a stream of payments and reports each decision over a
 * pipe; the parent kills it with SIGKILL at random points, reopens the database and
 * checks that every reported approval is there, once, and that the journal verifies.
 * In the second test the child's disk fails too (writes and fsyncs, at random, through the
 * fault VFS of tests/lib): no sale the cashier was told was not charged may be recorded.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "faultvfs.h"
#include "testutil.h"

#define ROUNDS 20

/* Faults in the child: one fsync in SYNC_ONE_IN fails, one write in WRITE_ONE_IN (a commit
 * writes several frames, and fsyncs once), and one write lock in LOCK_ONE_IN (before
 * COMMIT: nothing written, which the cashier is told). */
#define SYNC_ONE_IN  10
#define WRITE_ONE_IN 60
#define LOCK_ONE_IN  15

typedef struct
{
  guint8  sale_id[OFFAUTH_SALE_ID_SIZE];
  guint64 sale_number;
  guint8  approved;
  guint8  not_written;   /* refused, and the cashier was told that nothing was charged */
  guint8  unknown;       /* refused, outcome unknown: the cashier scans the same code again */
  guint8  already_recorded;
  char    text[512];     /* the payment scanned */
} Report;

/* What the cashier was told about the storage. */
static gboolean
told_nothing_charged (const OffauthDecision *d)
{
  const char *message = d->outcome_unknown ? offauth_unknown_outcome_message ()
                                           : offauth_reason_message (d->reason);

  return !d->approved && strstr (message, "Nothing was charged") != NULL;
}

static void
no_caps (OffauthTerminalConfig *c)
{
  c->cap_count = 0;
  c->cap_total = 0;
  c->stale_cap = G_MAXUINT32;
}

/* The child: its own terminal handle, real requests, real signatures. Each round uses a
 * credential of its own, so that counters never repeat across rounds. */
G_GNUC_NORETURN static void
child_main (TestWorld *w,
            guint      round,
            int        fd,
            gboolean   faults)
{
  g_autoptr(GError) error = NULL;
  OffauthCredential cred;
  OffauthTerminal *t;
  g_autoptr(GRand) crash_rand = g_rand_new_with_seed (2000 + round);

  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  if (t == NULL)
    {
      g_printerr ("child: %s\n", error->message);
      _exit (3);
    }
  w->terminal = t;
  offauth_terminal_set_now_func (t, test_world_now_cb, w);

  test_credential_init (&cred, w->payer, w->now - 600, w->now + 86400);
  memset (cred.credential_id, 0xa0 + round, sizeof cred.credential_id);
  cred.max_offline_count = 1000000;
  cred.per_payment_limit = 1000;
  cred.offline_total_limit = G_MAXUINT32;
  test_credential_sign (w, &cred, w->issuer);
  if (faults)
    {
      fault_vfs_fail_random (FAULT_VFS_SYNC, SYNC_ONE_IN, 1000 + round);
      fault_vfs_fail_random (FAULT_VFS_WRITE, WRITE_ONE_IN, 1000 + round);
      fault_vfs_fail_random (FAULT_VFS_SHMLOCK, LOCK_ONE_IN, 1000 + round);
    }

  for (guint32 counter = 1;; counter++)
    {
      OffauthRequest req;
      g_autofree gchar *req_text = NULL;
      g_autofree gchar *text = NULL;

      /* A failing disk may refuse the request (or pause the terminal): try again. */
      while ((req_text = offauth_terminal_create_request (t, 1 + counter % 900, "EUR", NULL,
                                                          &error)) == NULL && faults)
        {
          g_clear_error (&error);
          g_usleep (1000);
        }
      if (req_text == NULL || !offauth_request_parse_text (&req, req_text, &error))
        {
          g_printerr ("child: %s\n", error->message);
          _exit (4);
        }
      text = offauth_payment_make (&cred, &req, counter, w->payer, NULL);
      for (;;)
        {
          OffauthDecision d;
          Report r = { 0 };

          offauth_terminal_authorize (t, text, -1, NULL, 0, &d);
          if (!d.approved && !faults)
            {
              g_printerr ("child: refused %s (%s)\n", offauth_reason_code (d.reason), d.detail);
              _exit (5);
            }
          /* Reported only after authorize returned: the screen would show it now. */
          memcpy (r.sale_id, d.sale_id, sizeof r.sale_id);
          r.sale_number = d.sale_number;
          r.approved = d.approved;
          r.not_written = told_nothing_charged (&d);
          r.unknown = d.outcome_unknown;
          r.already_recorded = d.already_recorded;
          g_assert_cmpuint (strlen (text), <, sizeof r.text);
          strcpy (r.text, text);
          if (write (fd, &r, sizeof r) != sizeof r)
            _exit (6);
          /* A crash right after a failed commit, before a later commit writes over the
           * log: the moment that decides whether the refusal told the truth. */
          if (d.reason == OFFAUTH_REASON_STORAGE_UNAVAILABLE && g_rand_boolean (crash_rand))
            kill (getpid (), SIGKILL);
          /* The cashier's next step: an unknown outcome is scanned again, anything else
           * ends this payment (a payer told that nothing was charged pays another way). */
          if (!r.unknown)
            break;
          g_usleep (1000);
        }
    }
}

/* The sale's number in the terminal's database, 0 when it is not there. */
static guint64
sale_number (TestWorld    *w,
             const guint8  sale_id[OFFAUTH_SALE_ID_SIZE])
{
  sqlite3_stmt *s = NULL;
  guint64 number = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (_offauth_terminal_get_db (w->terminal),
                                       "SELECT id FROM sales WHERE sale_id = ?1", -1, &s, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_blob (s, 1, sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  if (sqlite3_step (s) == SQLITE_ROW)
    number = (guint64) sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return number;
}

/* Whether a later report approved the sale that reports[i] was about. */
static gboolean
approved_later (GArray *reports,
                guint   i)
{
  const Report *rep = &g_array_index (reports, Report, i);

  for (guint j = i + 1; j < reports->len; j++)
    {
      const Report *later = &g_array_index (reports, Report, j);
      if (later->approved && memcmp (later->sale_id, rep->sale_id, OFFAUTH_SALE_ID_SIZE) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
crash_rounds (gboolean faults)
{
  TestWorld *w = test_world_new ();
  guint total_reported = 0, n_approved = 0, n_not_written = 0, n_unknown = 0;
  guint n_restart_again = 0, n_restart_found = 0;
  g_autoptr(GArray) reports = g_array_new (FALSE, FALSE, sizeof (Report));

  test_world_config (w, no_caps);
  g_clear_pointer (&w->terminal, offauth_terminal_free);

  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autoptr(GError) error = NULL;
      int fds[2], status = 0;
      pid_t pid;
      guint delay_ms = (guint) g_test_rand_int_range (5, 300);
      Report r;
      ssize_t n;

      g_assert_cmpint (pipe (fds), ==, 0);
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          close (fds[0]);
          child_main (w, round, fds[1], faults);
        }
      close (fds[1]);
      g_usleep (delay_ms * 1000);
      kill (pid, SIGKILL);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      if (!WIFSIGNALED (status))
        g_error ("child ended by itself (status %d) before it was killed", status);

      while ((n = read (fds[0], &r, sizeof r)) == sizeof r)
        g_array_append_val (reports, r);
      g_assert_cmpint (n, ==, 0);
      close (fds[0]);

      /* Reopen: the start-up check walks the whole journal. */
      w->terminal = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
      g_assert_no_error (error);
      offauth_terminal_set_now_func (w->terminal, test_world_now_cb, w);
      {
        sqlite3 *db = _offauth_terminal_get_db (w->terminal);
        sqlite3_stmt *s = NULL;
        guint64 bad = 99;

        g_assert_true (offauth_terminal_verify (w->terminal, &bad, &error));
        g_assert_no_error (error);
        sqlite3_prepare_v2 (db, "SELECT id FROM sales WHERE sale_id = ?1", -1, &s, NULL);
        for (guint i = 0; i < reports->len; i++)
          {
            const Report *rep = &g_array_index (reports, Report, i);
            gboolean found;

            sqlite3_reset (s);
            sqlite3_bind_blob (s, 1, rep->sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
            found = sqlite3_step (s) == SQLITE_ROW;
            if (rep->approved && !found)
              g_error ("reported sale %" G_GUINT64_FORMAT " is lost", rep->sale_number);
            if (rep->approved)
              g_assert_cmpuint ((guint64) sqlite3_column_int64 (s, 0), ==, rep->sale_number);
            /* The payer was told nothing was charged and paid another way: charged twice. */
            if (rep->not_written && found && !approved_later (reports, i))
              g_error ("report %u: the cashier was told nothing was charged, yet the sale is "
                       "recorded as sale %" G_GUINT64_FORMAT, i,
                       (guint64) sqlite3_column_int64 (s, 0));
          }
        sqlite3_finalize (s);
      }
      /* A crash on an unknown outcome, then the cashier's next step on the restarted
       * terminal: the same code again, "already paid" if the sale was recorded, else
       * decided afresh (and then checked as an approval in the next rounds). */
      if (reports->len > 0 && g_array_index (reports, Report, reports->len - 1).unknown)
        {
          Report again = g_array_index (reports, Report, reports->len - 1);
          OffauthDecision d;
          guint64 number = sale_number (w, again.sale_id);

          offauth_terminal_authorize (w->terminal, again.text, -1, NULL, 0, &d);
          test_assert_reason (&d, OFFAUTH_REASON_NONE);
          g_assert_cmpmem (d.sale_id, OFFAUTH_SALE_ID_SIZE, again.sale_id, OFFAUTH_SALE_ID_SIZE);
          g_assert_cmpint (d.already_recorded, ==, number != 0);
          if (number != 0)
            g_assert_cmpuint (d.sale_number, ==, number);
          again.approved = TRUE;
          again.unknown = FALSE;
          again.already_recorded = d.already_recorded;
          again.sale_number = d.sale_number;
          g_array_append_val (reports, again);
          n_restart_again++;
          n_restart_found += number != 0;
        }
      g_test_message ("round %u: killed after %u ms, %u decisions reported in all", round, delay_ms,
                      reports->len);
      g_clear_pointer (&w->terminal, offauth_terminal_free);
    }
  total_reported = reports->len;
  for (guint i = 0; i < reports->len; i++)
    {
      const Report *rep = &g_array_index (reports, Report, i);
      n_approved += rep->approved;
      n_not_written += rep->not_written;
      n_unknown += rep->unknown;
    }
  g_test_message ("%u decisions: %u approved, %u refused as not written, %u unknown; after a "
                  "restart, %u codes scanned again, %u of them found recorded", total_reported,
                  n_approved, n_not_written, n_unknown, n_restart_again, n_restart_found);
  g_assert_cmpuint (n_approved, >, 0);
  /* The disk did fail under the child's sales. */
  if (faults)
    {
      g_assert_cmpuint (n_not_written, >, 0);
      g_assert_cmpuint (n_unknown, >, 0);
    }
  test_world_free (w);
}

static void
test_crash (void)
{
  crash_rounds (FALSE);
}

static void
test_crash_faults (void)
{
  crash_rounds (TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fault_vfs_register ();
  g_test_add_func ("/Offauth/Crash/sigkill", test_crash);
  g_test_add_func ("/Offauth/Crash/io-faults", test_crash_faults);
  return g_test_run ();
}
