/* test-crash.c: a child authorizes a stream of payments and reports each approval over a
 * pipe; the parent kills it with SIGKILL at random points, reopens the database and
 * checks that every reported approval is there, once, and that the journal verifies.
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

#include "testutil.h"

#define ROUNDS 20

typedef struct
{
  guint8  sale_id[OFFAUTH_SALE_ID_SIZE];
  guint64 sale_number;
} Report;

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
            int        fd)
{
  g_autoptr(GError) error = NULL;
  OffauthCredential cred;
  OffauthTerminal *t;

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

  for (guint32 counter = 1;; counter++)
    {
      OffauthDecision d;
      OffauthRequest req;
      g_autofree gchar *req_text = NULL;
      g_autofree gchar *text = NULL;
      Report r;

      req_text = offauth_terminal_create_request (t, 1 + counter % 900, "EUR", NULL, &error);
      if (req_text == NULL || !offauth_request_parse_text (&req, req_text, &error))
        {
          g_printerr ("child: %s\n", error->message);
          _exit (4);
        }
      text = offauth_payment_make (&cred, &req, counter, w->payer, NULL);
      offauth_terminal_authorize (t, text, -1, NULL, 0, &d);
      if (!d.approved)
        {
          g_printerr ("child: refused %s (%s)\n", offauth_reason_code (d.reason), d.detail);
          _exit (5);
        }
      /* Reported only after authorize returned: the screen would show it now. */
      memcpy (r.sale_id, d.sale_id, sizeof r.sale_id);
      r.sale_number = d.sale_number;
      if (write (fd, &r, sizeof r) != sizeof r)
        _exit (6);
    }
}

static void
test_crash (void)
{
  TestWorld *w = test_world_new ();
  guint total_reported = 0;
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
          child_main (w, round, fds[1]);
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
            sqlite3_reset (s);
            sqlite3_bind_blob (s, 1, rep->sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
            if (sqlite3_step (s) != SQLITE_ROW)
              g_error ("reported sale %" G_GUINT64_FORMAT " is lost", rep->sale_number);
            g_assert_cmpuint ((guint64) sqlite3_column_int64 (s, 0), ==, rep->sale_number);
          }
        sqlite3_finalize (s);
      }
      g_test_message ("round %u: killed after %u ms, %u approvals reported in all", round, delay_ms,
                      reports->len);
      g_clear_pointer (&w->terminal, offauth_terminal_free);
    }
  total_reported = reports->len;
  g_assert_cmpuint (total_reported, >, 0);
  test_world_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Offauth/Crash/sigkill", test_crash);
  return g_test_run ();
}
