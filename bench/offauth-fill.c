/* offauth-fill: stores N sales in an enrolled terminal, for the start-up benchmarks with a
 * large journal (bench/till-startup.sh --sales N; the start-up check's figures).
 *
 * With --settled, every sale is then acknowledged and settled by an acquirer, through the
 * terminal's real sync code (offauth-sync): the journal gains the pairing row, a kind-9 row
 * and one kind-8 row per sale, as a kiosk's journal does after its syncs. The acquirer is a
 * key made here that signs the answers (tests/lib's test_answer_text); no network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-bench"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "offauth.h"
#include "offauth-testing-private.h"
#include "testutil.h"

/* One sync to the end, every kind-1 row of every request settled. */
static gboolean
settle_all (OffauthTerminal  *terminal,
            OffauthSecretKey *acquirer,
            GError          **error)
{
  g_autoptr(OffauthSync) sync = NULL;
  guint64 now = offauth_terminal_now (terminal);

  if (!offauth_terminal_pin_acquirer (terminal, "http://127.0.0.1:1", acquirer->pk, error) ||
      (sync = offauth_sync_new (terminal, error)) == NULL)
    return FALSE;
  while (!offauth_sync_is_done (sync))
    {
      g_autofree gchar *request = offauth_sync_next_request (sync, 0, 32 * 1024 * 1024, error);
      g_autoptr(OffauthSyncRequest) u = NULL;
      g_autoptr(GArray) verdicts = g_array_new (FALSE, TRUE, sizeof (OffauthVerdict));
      g_autofree gchar *answer = NULL;
      OffauthSyncReport report = { 0 };
      gboolean ok;

      if (request == NULL || (u = offauth_sync_request_parse_text (request, -1, error)) == NULL)
        return FALSE;
      for (guint32 i = 0; i < u->n_records; i++)
        {
          g_auto(OffauthRecord) rec = { 0 };
          OffauthVerdict v = { .sale_seq = u->first_seq + i, .state = 1, .attempt = 1 };

          if (!offauth_record_parse (&rec, u->records[i].data, u->records[i].len, error))
            return FALSE;
          if (rec.kind != OFFAUTH_RECORD_SALE_APPROVED)
            continue;
          memcpy (v.sale_id, rec.sale.payment.sale_id, OFFAUTH_SALE_ID_SIZE);
          g_array_append_val (verdicts, v);
        }
      answer = test_answer_text (acquirer, request,
                                 u->n_records > 0 ? u->first_seq + u->n_records - 1
                                                  : u->first_seq - 1,
                                 NULL, now, 0, 0,
                                 (const OffauthVerdict *) (gpointer) verdicts->data,
                                 verdicts->len);
      ok = offauth_sync_apply_answer (sync, answer, -1, &report, error);
      offauth_sync_report_clear (&report);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(OffauthTerminal) terminal = NULL;
  g_autoptr(GError) error = NULL;
  gboolean settled = argc == 4 && strcmp (argv[3], "--settled") == 0;
  guint64 n;

  if ((argc != 3 && !settled) || !g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT64, &n, NULL))
    {
      fprintf (stderr, "usage: offauth-fill DB N [--settled]\n");
      return 2;
    }
  terminal = offauth_terminal_open (argv[1], OFFAUTH_OPEN_NO_CHECK, &error);
  if (terminal == NULL || !_offauth_terminal_fill_settled (terminal, n, &error))
    {
      fprintf (stderr, "offauth-fill: %s\n", error->message);
      return 1;
    }
  if (settled)
    {
      g_autoptr(OffauthSecretKey) acquirer = test_key (0x5a);

      if (!settle_all (terminal, acquirer, &error))
        {
          fprintf (stderr, "offauth-fill: settling: %s\n", error->message);
          return 1;
        }
    }
  return 0;
}
