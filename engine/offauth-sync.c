/* offauth-sync.c: one sync: builds each sync request (U) and checks and applies each answer (A).
 *
 * PROTOCOL.md, "Reconciliation": a request carries the rows from acked_seq + 1 (only
 * rows that existed when the sync began), the retry asks and the verdict cursor; an
 * answer is applied only if every acceptance rule holds, and then in one transaction:
 * kind-8 rows for the sales it changes, the negative list for hard declines, a kind-9
 * row when the spec asks for one, and acked_seq, cursor and acquirer time in settings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include "offauth-private.h"
#include "offauth-sync.h"
#include "offauth-terminal-private.h"

#define MAX_RECORDS   65536
#define MAX_ASKS      1024
/* A kind-9 row is journaled when the floor moves by more than this from the last one. */
#define FLOOR_JOURNAL_STEP 3600

struct _OffauthSync
{
  OffauthTerminal    *t;
  guint64             end_seq;         /* the last row when the sync began */
  gboolean            done;
  gboolean            asks_sent;       /* the retry asks reached an accepted answer */
  OffauthSyncRequest *request;         /* the last request sent */
  guint8              request_hash[OFFAUTH_HASH_SIZE];
  GArray             *asks;            /* guint64 sale_seq of the last request's asks */
};

void
offauth_sync_report_clear (OffauthSyncReport *report)
{
  g_clear_pointer (&report->refused, g_free);
}

OffauthSync *
offauth_sync_new (OffauthTerminal *t,
                  GError         **error)
{
  OffauthSync *sync;

  g_return_val_if_fail (t != NULL, NULL);

  if (!_offauth_terminal_require_enrolled (t, error))
    return NULL;
  if (!t->has_acquirer)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "No acquirer is pinned");
      return NULL;
    }
  if (t->syncing)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "A sync of this terminal runs already");
      return NULL;
    }
  sync = g_new0 (OffauthSync, 1);
  sync->t = t;
  sync->end_seq = t->last_seq;
  sync->asks = g_array_new (FALSE, FALSE, sizeof (guint64));
  t->syncing = TRUE;
  return sync;
}

void
offauth_sync_free (OffauthSync *sync)
{
  if (sync == NULL)
    return;
  sync->t->syncing = FALSE;
  g_clear_pointer (&sync->request, offauth_sync_request_free);
  g_array_unref (sync->asks);
  g_free (sync);
}

gboolean
offauth_sync_is_done (OffauthSync *sync)
{
  g_return_val_if_fail (sync != NULL, TRUE);

  return sync->done;
}

guint
offauth_sync_last_n_records (OffauthSync *sync)
{
  g_return_val_if_fail (sync != NULL, 0);

  return sync->request ? sync->request->n_records : 0;
}

guint64
offauth_sync_rows_left (OffauthSync *sync)
{
  g_return_val_if_fail (sync != NULL, 0);

  return sync->end_seq > sync->t->acked_seq ? sync->end_seq - sync->t->acked_seq : 0;
}

static gboolean
collect_asks (OffauthSync *sync,
              GError     **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (sync->t, ST_RETRY_ASKS, error);
  gboolean ok, row;

  g_array_set_size (sync->asks, 0);
  if (s == NULL)
    return FALSE;
  if (sync->asks_sent)
    return TRUE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) offauth_terminal_now (sync->t));
  sqlite3_bind_int (s, 2, MAX_ASKS);
  while ((ok = _offauth_db_step (sync->t, s, &row, error)) && row)
    {
      guint64 seq = (guint64) sqlite3_column_int64 (s, 0);
      g_array_append_val (sync->asks, seq);
    }
  return ok;
}

/* Rows first .. end_seq, at most max_records and about max_bytes (one row always). */
static gboolean
collect_rows (OffauthSync *sync,
              guint64      first,
              guint        max_records,
              gsize        max_bytes,
              GPtrArray   *rows,
              GError     **error)
{
  g_autoptr(OffauthStmt) s = NULL;
  gsize bytes = 0;
  gboolean ok = TRUE, row;

  if (first > sync->end_seq)
    return TRUE;
  if ((s = _offauth_db_stmt (sync->t, ST_JOURNAL_FROM, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) first);
  while (rows->len < max_records && (ok = _offauth_db_step (sync->t, s, &row, error)) && row)
    {
      guint64 seq = (guint64) sqlite3_column_int64 (s, 0);
      gsize len = (gsize) sqlite3_column_bytes (s, 1);

      if (seq != first + rows->len || seq > sync->end_seq)
        break;
      if (rows->len > 0 && max_bytes > 0 && bytes + 4 + len > max_bytes)
        break;
      bytes += 4 + len;
      g_ptr_array_add (rows, g_bytes_new (sqlite3_column_blob (s, 1), len));
    }
  return ok;
}

gchar *
offauth_sync_next_request (OffauthSync *sync,
                           guint        max_records,
                           gsize        max_bytes,
                           GError     **error)
{
  OffauthTerminal *t;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree OffauthView *views = NULL;
  OffauthSyncRequest fields = { 0 };
  gboolean found = TRUE;

  g_return_val_if_fail (sync != NULL, NULL);
  t = sync->t;

  if (max_records == 0 || max_records > MAX_RECORDS)
    max_records = MAX_RECORDS;
  fields.first_seq = t->acked_seq + 1;
  if (t->acked_seq > 0 &&
      !_offauth_journal_hash (t, t->acked_seq, &found, fields.prev_hash, error))
    return NULL;
  if (!found)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                   "journal row %" G_GUINT64_FORMAT " acknowledged by the acquirer is missing",
                   t->acked_seq);
      return NULL;
    }
  if (!collect_asks (sync, error) ||
      !collect_rows (sync, fields.first_seq, max_records, max_bytes, rows, error))
    return NULL;
  views = g_new0 (OffauthView, MAX (rows->len, 1));
  for (guint i = 0; i < rows->len; i++)
    views[i].data = g_bytes_get_data (rows->pdata[i], &views[i].len);
  memcpy (fields.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  fields.created_at = offauth_terminal_now (t);
  fields.verdict_cursor = t->verdict_cursor;
  fields.n_asks = sync->asks->len;
  fields.asks = (guint64 *) (gpointer) sync->asks->data;
  fields.n_records = rows->len;
  fields.records = views;

  g_clear_pointer (&sync->request, offauth_sync_request_free);
  sync->request = offauth_sync_request_sign (&fields, t->acquirer_pk, t->key, error);
  if (sync->request == NULL)
    return NULL;
  offauth_sync_request_hash (sync->request, sync->request_hash);
  {
    gsize len;
    const guint8 *raw = g_bytes_get_data (sync->request->raw, &len);
    return offauth_text_encode ('U', raw, len);
  }
}

static int
compare_verdict_seq (gconstpointer key,
                     gconstpointer element)
{
  guint64 seq = *(const guint64 *) key;
  const OffauthVerdict *v = element;

  return seq < v->sale_seq ? -1 : seq > v->sale_seq ? 1 : 0;
}

static gboolean
refuse (GError    **error,
        const char *format,
        ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError    **error,
        const char *format,
        ...)
{
  va_list args;
  g_autofree gchar *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED, "The sync answer is refused: %s", msg);
  return FALSE;
}

/* Every acceptance rule that needs the terminal (the parser checked the others). */
static gboolean
check_answer (OffauthSync             *sync,
              const OffauthSyncAnswer *a,
              GError                 **error)
{
  OffauthTerminal *t = sync->t;
  g_autoptr(OffauthStmt) s = NULL;
  guint8 h[OFFAUTH_HASH_SIZE];
  gboolean found, ok, row;

  if (sync->request == NULL)
    return refuse (error, "no request was sent");
  if (!offauth_sync_answer_verify (a, t->acquirer_pk))
    return refuse (error, "its signature does not verify under the pinned acquirer key");
  if (memcmp (a->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0)
    return refuse (error, "it is for another terminal");
  if (memcmp (a->request_hash, sync->request_hash, OFFAUTH_HASH_SIZE) != 0)
    return refuse (error, "it answers another request");
  if (a->acked_seq > t->last_seq)
    return refuse (error, "it acknowledges row %" G_GUINT64_FORMAT ", beyond the last row %"
                   G_GUINT64_FORMAT, a->acked_seq, t->last_seq);
  if (a->acked_seq > 0)
    {
      if (!_offauth_journal_hash (t, a->acked_seq, &found, h, error))
        return FALSE;
      if (!found || memcmp (h, a->h_acked, OFFAUTH_HASH_SIZE) != 0)
        return refuse (error, "its h_acked is not this terminal's hash at row %" G_GUINT64_FORMAT,
                       a->acked_seq);
    }
  for (guint32 i = 0; i < a->n_verdicts; i++)
    {
      const OffauthVerdict *v = &a->verdicts[i];
      const char *problem = offauth_verdict_problem (v);
      guint8 sale_id[OFFAUTH_SALE_ID_SIZE];
      OffauthSaleRow sr;

      if (problem != NULL)
        return refuse (error, "the verdict for row %" G_GUINT64_FORMAT " is invalid: %s",
                       v->sale_seq, problem);
      if (v->sale_seq > a->acked_seq || (i > 0 && v->sale_seq <= a->verdicts[i - 1].sale_seq))
        return refuse (error, "the verdicts are out of order or beyond acked_seq");
      if (!_offauth_sale_row_read (t, v->sale_seq, &sr, sale_id, NULL, &found, error))
        return FALSE;
      if (!found || memcmp (sale_id, v->sale_id, OFFAUTH_SALE_ID_SIZE) != 0)
        return refuse (error, "row %" G_GUINT64_FORMAT " is not a sale with that sale id",
                       v->sale_seq);
    }
  /* An acknowledged sale without a verdict, which none gave before. */
  if ((s = _offauth_db_stmt (t, ST_UNVERDICTED, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) a->acked_seq);
  while ((ok = _offauth_db_step (t, s, &row, error)) && row)
    {
      guint64 seq = (guint64) sqlite3_column_int64 (s, 0);

      if (bsearch (&seq, a->verdicts, a->n_verdicts, sizeof (OffauthVerdict),
                   compare_verdict_seq) == NULL)
        return refuse (error, "it acknowledges sale %" G_GUINT64_FORMAT " without its verdict", seq);
    }
  return ok;
}

static gboolean
on_negative_list (OffauthTerminal *t,
                  const guint8    *credential_id,
                  gboolean        *listed,
                  GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_NEGATIVE, error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  return _offauth_db_step (t, s, listed, error);
}

/* One verdict inside the transaction: a kind-8 row when it changes the sale. */
static gboolean
apply_verdict (OffauthSync          *sync,
               const OffauthVerdict *v,
               guint64               now,
               OffauthSyncReport    *report,
               GString              *refused,
               GError              **error)
{
  OffauthTerminal *t = sync->t;
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_SALE_STATE, .time = now };
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE], credential_id[OFFAUTH_CREDENTIAL_ID_SIZE];
  OffauthSaleRow row;
  gboolean found, listed = TRUE;

  if (!_offauth_sale_row_read (t, v->sale_seq, &row, sale_id, credential_id, &found, error))
    return FALSE;
  switch (_offauth_sale_row_verdict (&row, v))
    {
    case OFFAUTH_VERDICT_SAME:
      return TRUE;
    case OFFAUTH_VERDICT_REFUSED:
      report->n_refused++;
      g_string_append_printf (refused, "sale %" G_GUINT64_FORMAT ": %s (%s), attempt %u, not "
                              "applied: the sale is final or its attempt would go down\n",
                              v->sale_seq, offauth_wire_state_name (v->state),
                              offauth_settle_reason_name (v->reason), v->attempt);
      return TRUE;
    case OFFAUTH_VERDICT_APPLIED:
    default:
      break;
    }
  rec.sale_state.verdict = *v;
  if (!_offauth_journal_append (t, &rec, NULL, NULL, error) ||
      !_offauth_sale_row_write (t, v->sale_seq, &row, error))
    return FALSE;
  report->n_applied++;
  /* A hard decline: the payer signed twice, or the credential is revoked. */
  if (v->state == OFFAUTH_WIRE_STATE_DECLINED &&
      (v->reason == OFFAUTH_SETTLE_DOUBLE_SPEND || v->reason == OFFAUTH_SETTLE_REVOKED))
    {
      if (!on_negative_list (t, credential_id, &listed, error))
        return FALSE;
      if (!listed)
        {
          if (!_offauth_negative_add (t, credential_id, offauth_settle_reason_name (v->reason),
                                      now, error))
            return FALSE;
          report->n_blocked++;
        }
    }
  return TRUE;
}

static gboolean
clear_asks (OffauthSync *sync,
            GError     **error)
{
  for (guint i = 0; i < sync->asks->len; i++)
    {
      OffauthStmt *s = _offauth_db_stmt (sync->t, ST_SET_RETRY_ASK, error);

      if (s == NULL)
        return FALSE;
      sqlite3_bind_int64 (s, 1, (sqlite3_int64) g_array_index (sync->asks, guint64, i));
      sqlite3_bind_int (s, 2, 0);
      if (!_offauth_db_step_done (sync->t, s, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
acknowledges_sale (OffauthTerminal *t,
                   guint64          from,
                   guint64          to,
                   gboolean        *any,
                   GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_SALE_BETWEEN, error);

  *any = FALSE;
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) from);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) to);
  return _offauth_db_step (t, s, any, error);
}

gboolean
offauth_sync_apply_answer (OffauthSync       *sync,
                           const char        *answer_text,
                           gssize             text_len,
                           OffauthSyncReport *report,
                           GError           **error)
{
  OffauthTerminal *t;
  g_autoptr(OffauthSyncAnswer) a = NULL;
  g_autoptr(GString) refused = g_string_new (NULL);
  OffauthSyncReport local_report = { 0 };
  guint64 now, seq9 = 0;
  gboolean clock_change, new_sale, journal9;

  g_return_val_if_fail (sync != NULL, FALSE);
  g_return_val_if_fail (answer_text != NULL, FALSE);
  t = sync->t;
  if (report == NULL)
    report = &local_report;
  memset (report, 0, sizeof *report);

  if ((a = offauth_sync_answer_parse_text (answer_text, text_len, error)) == NULL ||
      !check_answer (sync, a, error))
    return FALSE;

  now = offauth_terminal_now (t);
  /* An answer whose time is within the skew of a clock the terminal does not trust makes
   * the clock the reference again (PROTOCOL.md, "Trusted time"). */
  clock_change = _offauth_terminal_check_state (t, now, 0) == OFFAUTH_REASON_CLOCK_UNTRUSTED &&
                 a->acquirer_time <= now + OFFAUTH_CLOCK_SKEW &&
                 now <= a->acquirer_time + OFFAUTH_CLOCK_SKEW;
  report->previous_acked_seq = t->acked_seq;
  report->acked_seq = a->acked_seq;
  report->acquirer_time = a->acquirer_time;
  report->clock_ahead = a->acquirer_time > now + OFFAUTH_CLOCK_SKEW;

  if (!acknowledges_sale (t, t->acked_seq, a->acked_seq, &new_sale, error) ||
      !_offauth_tx_begin (t, error))
    return FALSE;
  for (guint32 i = 0; i < a->n_verdicts; i++)
    if (!apply_verdict (sync, &a->verdicts[i], now, report, refused, error))
      goto fail;
  journal9 = new_sale || report->n_applied > 0 || clock_change || t->kind9_time == 0 ||
             (a->acquirer_time > t->kind9_time
              ? a->acquirer_time - t->kind9_time : t->kind9_time - a->acquirer_time) >
               FLOOR_JOURNAL_STEP;
  if (journal9)
    {
      OffauthRecord rec = { .kind = OFFAUTH_RECORD_SYNC_ACCEPTED, .time = now };

      rec.sync_accepted.acked_seq = a->acked_seq;
      rec.sync_accepted.acquirer_time = a->acquirer_time;
      rec.sync_accepted.verdict_cursor = a->verdict_cursor;
      offauth_sync_answer_hash (a, rec.sync_accepted.answer_hash);
      if (!_offauth_journal_append (t, &rec, &seq9, NULL, error) ||
          !_offauth_setting_set (t, "kind9_time", NULL, a->acquirer_time, error))
        goto fail;
    }
  if (clock_change)
    {
      guint64 floor = t->has_bundle ? MAX (t->bundle.issued_at, a->acquirer_time) : a->acquirer_time;

      if (!_offauth_setting_set (t, "accepted_floor", NULL, floor, error) ||
          !_offauth_setting_set (t, "accepted_at", NULL, now, error) ||
          !_offauth_setting_set (t, "accepted_seq", NULL, seq9, error))
        goto fail;
    }
  if (!clear_asks (sync, error) ||
      !_offauth_setting_set (t, "acked_seq", NULL, a->acked_seq, error) ||
      !_offauth_setting_set (t, "verdict_cursor", NULL, a->verdict_cursor, error) ||
      !_offauth_setting_set (t, "acquirer_time", NULL, a->acquirer_time, error) ||
      !_offauth_tx_commit (t, error))
    goto fail;
  report->journaled_sync = journal9;
  if (refused->len > 0)
    report->refused = g_strdup (refused->str);
  offauth_sync_report_clear (&local_report);
  if (sync->asks->len > 0)
    sync->asks_sent = TRUE;
  /* The settings, the waiting sales and the clock, as committed. */
  if (!_offauth_terminal_load_state (t, error))
    return FALSE;
  sync->done = a->acked_seq >= sync->end_seq && (a->flags & OFFAUTH_SYNC_FLAG_MORE) == 0;
  return TRUE;

fail:
  _offauth_tx_rollback (t);
  offauth_sync_report_clear (report);
  return FALSE;
}
