/* acquirer-sync.c: handles one sync request (U) and one online request (O).
 *
 * The order is PROTOCOL.md's: the terminal registered and the signature verified (else
 * 403, nothing changes); a gap answers acked_seq and cursor 0 and stores nothing; rows
 * held must be byte-identical and new rows extend the acquirer's copy of the chain (else a
 * fork: 409, nothing acknowledged, the new branch's unknown sales settled); then, in one
 * durable transaction, new rows stored, kind-1 rows settled, kind-8 closes applied, retry
 * asks run, and the answer signed and kept (H(answer), for t_sale). Every request's hash
 * is kept too: the retry asks of a request seen before (a replay) run no attempt.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-acquirer"

#include "config.h"

#include <string.h>

#include "acquirer-sync.h"
#include "offauth-record.h"

/* Offsets inside a record's payload (kinds 8 and 9: 56 bytes). */
#define KIND9_HASH_OFFSET 24
#define KIND89_RECORD_SIZE (OFFAUTH_RECORD_HEADER_SIZE + 56)

static void
put_u64 (guint8 *p,
         guint64 v)
{
  for (guint i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static guint64
get_u64 (const guint8 *p)
{
  guint64 v = 0;

  for (guint i = 0; i < 8; i++)
    v |= (guint64) p[i] << (8 * i);
  return v;
}

/* h_i = H("OA1.JRNL" || u64 i || h_(i-1) || u32 len || record). */
static void
chain_hash (guint8        out[OFFAUTH_HASH_SIZE],
            guint64       seq,
            const guint8  prev[OFFAUTH_HASH_SIZE],
            const guint8 *record,
            gsize         len)
{
  gsize total = OFFAUTH_TAG_SIZE + 8 + OFFAUTH_HASH_SIZE + 4 + len;
  g_autofree guint8 *buf = g_malloc (total);
  guint8 *p = buf;

  memcpy (p, OFFAUTH_TAG_JRNL, OFFAUTH_TAG_SIZE);
  p += OFFAUTH_TAG_SIZE;
  put_u64 (p, seq);
  p += 8;
  memcpy (p, prev, OFFAUTH_HASH_SIZE);
  p += OFFAUTH_HASH_SIZE;
  for (guint i = 0; i < 4; i++)
    *p++ = (guint8) (len >> (8 * i));
  memcpy (p, record, len);
  offauth_hash (out, buf, total);
}

/* The hash and kind-9 time of the chain at row seq (row 0: zeros and 0). */
static gboolean
chain_at (AcquirerDb             *db,
          const AcquirerTerminal *t,
          guint64                 seq,
          guint8                  hash[OFFAUTH_HASH_SIZE],
          guint64                *k9_time,
          gboolean               *found,
          GError                **error)
{
  memset (hash, 0, OFFAUTH_HASH_SIZE);
  *k9_time = 0;
  *found = TRUE;
  if (seq == 0)
    return TRUE;
  return acquirer_db_get_row (db, t->terminal_id, seq, NULL, hash, k9_time, found, error);
}

gboolean
acquirer_sync_reset_chain (AcquirerDb             *db,
                           const AcquirerTerminal *t,
                           GError                **error)
{
  AcquirerChain chain;
  guint8 hash[OFFAUTH_HASH_SIZE];
  guint64 k9 = 0;
  gboolean found;

  if (!acquirer_db_get_chain (db, t->terminal_id, &chain, error) ||
      !chain_at (db, t, t->from_seq, hash, &k9, &found, error))
    return FALSE;
  if (found && memcmp (hash, t->from_hash, OFFAUTH_HASH_SIZE) == 0 &&
      t->from_seq <= chain.acked_seq)
    {
      /* A fork's recovery: the common part stays, the rest is uploaded again. */
      chain.acked_seq = t->from_seq;
      memcpy (chain.acked_hash, hash, OFFAUTH_HASH_SIZE);
      chain.k9_time = k9;
    }
  else
    {
      /* A take-over: the rows come again from row 1; those up to from_seq are stored, not
       * settled, and must reach from_hash. */
      chain.acked_seq = 0;
      memset (chain.acked_hash, 0, OFFAUTH_HASH_SIZE);
      chain.k9_time = 0;
    }
  return acquirer_db_truncate_rows (db, t->terminal_id, chain.acked_seq, error) &&
         acquirer_db_set_chain (db, t->terminal_id, &chain, error);
}

/* The verdicts of one answer, one per sale_seq. */
static void
add_verdict (GHashTable         *verdicts,
             const AcquirerSale *sale,
             guint64             acked_seq)
{
  OffauthVerdict *v;

  if (sale->sale_seq == 0 || sale->sale_seq > acked_seq || sale->state < 1 || sale->state > 3)
    return;
  v = g_new0 (OffauthVerdict, 1);
  v->sale_seq = sale->sale_seq;
  memcpy (v->sale_id, sale->sale_id, OFFAUTH_SALE_ID_SIZE);
  v->state = sale->state;
  v->reason = sale->reason;
  v->attempt = sale->attempt;
  v->retry_after = sale->state == 3 ? sale->retry_after : 0;
  g_hash_table_replace (verdicts, g_memdup2 (&v->sale_seq, sizeof v->sale_seq), v);
}

static gint
verdict_cmp (gconstpointer a,
             gconstpointer b)
{
  const OffauthVerdict *va = a, *vb = b;  /* g_array_sort: the elements themselves */

  return va->sale_seq < vb->sale_seq ? -1 : va->sale_seq > vb->sale_seq;
}

typedef struct
{
  AcquirerSettle          ctx;
  const AcquirerTerminal *t;
  AcquirerChain           chain;
  GHashTable             *verdicts;   /* sale_seq -> OffauthVerdict */
  GArray                 *pending;    /* online approvals of this terminal without a row */
} SyncRun;

/* Online approvals whose request is more than 600 s older than this row, with no kind-1
 * row of theirs before it, are reversed. */
static gboolean
reverse_overtaken (SyncRun *run,
                   guint64  row_time,
                   GError **error)
{
  for (guint i = 0; i < run->pending->len; i++)
    {
      AcquirerSale *p = &g_array_index (run->pending, AcquirerSale, i);

      if (row_time > p->online_at + ACQUIRER_REVERSE_AFTER_ROW)
        {
          if (!acquirer_settle_reverse (&run->ctx, p, error))
            return FALSE;
          g_array_remove_index (run->pending, i--);
        }
    }
  return TRUE;
}

static void
forget_pending (SyncRun            *run,
                const AcquirerSale *sale)
{
  for (guint i = 0; i < run->pending->len; i++)
    if (g_array_index (run->pending, AcquirerSale, i).arrival == sale->arrival)
      g_array_remove_index (run->pending, i--);
}

/* One new row: stored, then what it means (a sale, a close, an accepted answer). */
static gboolean
store_row (SyncRun      *run,
           guint64       seq,
           const guint8 *record,
           gsize         len,
           const guint8  hash[OFFAUTH_HASH_SIZE],
           GError      **error)
{
  AcquirerChain *c = &run->chain;
  guint64 time = get_u64 (record + 1);
  guint64 k9_before = c->k9_time;

  if (!reverse_overtaken (run, time, error))
    return FALSE;
  if (time + OFFAUTH_CLOCK_SKEW < c->last_time)
    c->backwards++;
  c->last_time = MAX (c->last_time, time);
  if (record[0] == OFFAUTH_RECORD_SYNC_ACCEPTED && len == KIND89_RECORD_SIZE)
    {
      guint64 at;
      gboolean found;
      const guint8 *answer_hash = record + OFFAUTH_RECORD_HEADER_SIZE + KIND9_HASH_OFFSET;

      if (!acquirer_db_find_answer (run->ctx.db, answer_hash, run->t->terminal_id, &at, &found,
                                    error))
        return FALSE;
      if (found)
        c->k9_time = at;
      else
        c->k9_unmatched++;
    }
  if (!acquirer_db_insert_row (run->ctx.db, run->t->terminal_id, seq, record, len, hash,
                               c->k9_time, error))
    return FALSE;
  c->acked_seq = seq;
  memcpy (c->acked_hash, hash, OFFAUTH_HASH_SIZE);
  if (record[0] == OFFAUTH_RECORD_SALE_APPROVED && seq > run->t->from_seq)
    {
      AcquirerSale sale;

      if (!acquirer_settle_record (&run->ctx, run->t, seq, record, len, k9_before, &sale, error))
        return FALSE;
      forget_pending (run, &sale);
      add_verdict (run->verdicts, &sale, c->acked_seq);
    }
  else if (record[0] == OFFAUTH_RECORD_SALE_STATE && len == KIND89_RECORD_SIZE)
    {
      OffauthVerdict close;

      offauth_verdict_read (&close, record + OFFAUTH_RECORD_HEADER_SIZE);
      if ((close.state == OFFAUTH_WIRE_STATE_WRITTEN_OFF ||
           close.state == OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE) &&
          !acquirer_settle_close (&run->ctx, run->t, &close, error))
        return FALSE;
    }
  return TRUE;
}

/* The sale of a kind-1 record, by its sale id. */
static gboolean
find_record_sale (SyncRun      *run,
                  const guint8 *record,
                  gsize         len,
                  AcquirerSale *sale,
                  gboolean     *found,
                  GError      **error)
{
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE];

  if (len >= OFFAUTH_RECORD_HEADER_SIZE + OFFAUTH_PAYMENT_SIZE)
    {
      guint8 buf[OFFAUTH_TAG_SIZE + OFFAUTH_PAYMENT_SIGNED];

      memcpy (buf, OFFAUTH_TAG_PAYM, OFFAUTH_TAG_SIZE);
      memcpy (buf + OFFAUTH_TAG_SIZE, record + OFFAUTH_RECORD_HEADER_SIZE, OFFAUTH_PAYMENT_SIGNED);
      offauth_hash (sale_id, buf, sizeof buf);
    }
  else
    offauth_hash (sale_id, record, len);
  return acquirer_db_find_sale (run->ctx.db, run->t->terminal_id, sale_id, sale, found, error);
}

/* The verdict of a kind-1 row the acquirer held already. */
static gboolean
held_row_verdict (SyncRun      *run,
                  const guint8 *record,
                  gsize         len,
                  GError      **error)
{
  AcquirerSale sale;
  gboolean found;

  if (!find_record_sale (run, record, len, &sale, &found, error))
    return FALSE;
  if (found)
    add_verdict (run->verdicts, &sale, run->chain.acked_seq);
  return TRUE;
}

/* First pass, writing nothing: whether the request extends the chain the acquirer holds.
 * *fork_at: the first row of the new branch (first_seq when prev_hash differs). */
static gboolean
find_fork (SyncRun                  *run,
           const OffauthSyncRequest *req,
           gboolean                 *fork,
           GError                  **error)
{
  guint8 prev[OFFAUTH_HASH_SIZE], hash[OFFAUTH_HASH_SIZE];
  guint64 k9;
  gboolean found;

  *fork = FALSE;
  if (!chain_at (run->ctx.db, run->t, req->first_seq - 1, prev, &k9, &found, error))
    return FALSE;
  if (!found || memcmp (prev, req->prev_hash, OFFAUTH_HASH_SIZE) != 0)
    {
      *fork = TRUE;
      return TRUE;
    }
  for (guint32 i = 0; i < req->n_records; i++)
    {
      const OffauthView *r = &req->records[i];
      guint64 seq = req->first_seq + i;

      chain_hash (hash, seq, prev, r->data, r->len);
      if (seq <= run->chain.acked_seq)
        {
          g_autoptr(GBytes) held = NULL;
          guint8 held_hash[OFFAUTH_HASH_SIZE];

          if (!acquirer_db_get_row (run->ctx.db, run->t->terminal_id, seq, &held, held_hash, NULL,
                                    &found, error))
            return FALSE;
          if (!found || g_bytes_get_size (held) != r->len ||
              memcmp (g_bytes_get_data (held, NULL), r->data, r->len) != 0)
            {
              *fork = TRUE;
              return TRUE;
            }
        }
      else if (seq == run->t->from_seq && memcmp (hash, run->t->from_hash, OFFAUTH_HASH_SIZE) != 0)
        {
          *fork = TRUE;
          return TRUE;
        }
      memcpy (prev, hash, OFFAUTH_HASH_SIZE);
    }
  return TRUE;
}

/* A fork: the new branch's kind-1 records whose sale ids the acquirer does not hold are
 * settled (payer-signed; idempotency prevents double debits); nothing is stored. Such a sale
 * gets no row in the chain the acquirer keeps (sale_seq 0), so no version of that chain's
 * verdicts: its sale number belongs to another sale there, and its verdict reaches the
 * terminal only after recovery, with its row uploaded again (acquirer_settle_record then
 * gives it its row and a version). */
static gboolean
settle_fork (SyncRun                  *run,
             const OffauthSyncRequest *req,
             GError                  **error)
{
  guint64 k9 = 0;
  guint8 prev[OFFAUTH_HASH_SIZE];
  gboolean found;

  if (!chain_at (run->ctx.db, run->t, MIN (req->first_seq - 1, run->chain.acked_seq), prev, &k9,
                 &found, error))
    return FALSE;
  for (guint32 i = 0; i < req->n_records; i++)
    {
      const OffauthView *r = &req->records[i];
      guint64 seq = req->first_seq + i;
      AcquirerSale sale;
      guint64 at;

      if (r->data[0] == OFFAUTH_RECORD_SYNC_ACCEPTED && r->len == KIND89_RECORD_SIZE)
        {
          if (!acquirer_db_find_answer (run->ctx.db,
                                        r->data + OFFAUTH_RECORD_HEADER_SIZE + KIND9_HASH_OFFSET,
                                        run->t->terminal_id, &at, &found, error))
            return FALSE;
          if (found)
            k9 = at;
        }
      if (r->data[0] != OFFAUTH_RECORD_SALE_APPROVED || seq <= run->t->from_seq)
        continue;
      if (!find_record_sale (run, r->data, r->len, &sale, &found, error))
        return FALSE;
      if (!found && !acquirer_settle_record (&run->ctx, run->t, 0, r->data, r->len, k9, &sale,
                                             error))
        return FALSE;
    }
  return TRUE;
}

/* The answer's verdicts beyond the mandatory ones: those whose version lies in (request
 * cursor, answer cursor], paged. */
static gboolean
add_backlog (SyncRun  *run,
             guint64   cursor,
             guint64  *answer_cursor,
             gboolean *more,
             GError  **error)
{
  g_autoptr(GArray) after = NULL;
  AcquirerChain now;

  if (!acquirer_db_get_chain (run->ctx.db, run->t->terminal_id, &now, error))
    return FALSE;
  if (cursor > now.version)
    cursor = 0;  /* the acquirer lost versions: everything again, paged */
  after = acquirer_db_sales (run->ctx.db, ACQUIRER_SALES_AFTER_VERSION, run->t->terminal_id, cursor,
                             run->chain.acked_seq, ACQUIRER_ANSWER_PAGE + 1, error);
  if (after == NULL)
    return FALSE;
  *more = after->len > ACQUIRER_ANSWER_PAGE;
  if (*more)
    g_array_set_size (after, ACQUIRER_ANSWER_PAGE);
  for (guint i = 0; i < after->len; i++)
    add_verdict (run->verdicts, &g_array_index (after, AcquirerSale, i), run->chain.acked_seq);
  *answer_cursor = *more ? g_array_index (after, AcquirerSale, after->len - 1).version
                         : now.version;
  return TRUE;
}

static OffauthSyncAnswer *
sign_answer (SyncRun                  *run,
             const OffauthSyncRequest *req,
             guint64                   cursor,
             gboolean                  more,
             GError                  **error)
{
  g_autoptr(GArray) list = g_array_new (FALSE, TRUE, sizeof (OffauthVerdict));
  GHashTableIter iter;
  gpointer value;
  OffauthSyncAnswer fields = { 0 };

  g_hash_table_iter_init (&iter, run->verdicts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_array_append_vals (list, value, 1);
  g_array_sort (list, verdict_cmp);
  memcpy (fields.terminal_id, run->t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  fields.acked_seq = run->chain.acked_seq;
  memcpy (fields.h_acked, run->chain.acked_hash, OFFAUTH_HASH_SIZE);
  fields.acquirer_time = run->ctx.now;
  offauth_sync_request_hash (req, fields.request_hash);
  fields.verdict_cursor = cursor;
  fields.n_verdicts = list->len;
  fields.flags = more ? OFFAUTH_SYNC_FLAG_MORE : 0;
  fields.verdicts = (OffauthVerdict *) list->data;
  return offauth_sync_answer_sign (&fields, run->ctx.key, error);
}

/* Everything after the checks that need no transaction. */
static gboolean
sync_run (SyncRun                  *run,
          const OffauthSyncRequest *req,
          AcquirerSyncStatus       *status,
          OffauthSyncAnswer       **answer,
          GError                  **error)
{
  guint8 prev[OFFAUTH_HASH_SIZE];
  guint64 cursor = 0, first_new;
  gboolean more = FALSE, fork, replayed;
  guint8 hash[OFFAUTH_HASH_SIZE];

  offauth_sync_request_hash (req, hash);
  if (!acquirer_db_note_request (run->ctx.db, hash, run->t->terminal_id, &replayed, error) ||
      !acquirer_settle_refresh (&run->ctx, error) ||
      !acquirer_db_get_chain (run->ctx.db, run->t->terminal_id, &run->chain, error) ||
      !acquirer_settle_reverse_expired (&run->ctx, error) ||
      !acquirer_settle_held (&run->ctx, run->t, error))
    return FALSE;
  run->chain.last_sync = run->ctx.now;
  if (req->first_seq > run->chain.acked_seq + 1)
    {
      /* A gap: nothing stored, no ask run; cursor 0, so that every verdict comes again. */
      *answer = sign_answer (run, req, 0, FALSE, error);
      goto done;
    }
  if (!find_fork (run, req, &fork, error))
    return FALSE;
  if (fork)
    {
      *status = ACQUIRER_SYNC_FORK;
      return settle_fork (run, req, error) &&
             acquirer_db_set_chain (run->ctx.db, run->t->terminal_id, &run->chain, error) &&
             acquirer_settle_finish (&run->ctx, error);
    }
  memcpy (prev, req->prev_hash, OFFAUTH_HASH_SIZE);
  run->pending = acquirer_db_sales (run->ctx.db, ACQUIRER_SALES_ONLINE_PENDING, run->t->terminal_id,
                                    0, 0, 0, error);
  if (run->pending == NULL)
    return FALSE;
  first_new = run->chain.acked_seq >= req->first_seq ? run->chain.acked_seq + 1 - req->first_seq : 0;
  if (first_new < req->n_records &&
      !acquirer_settle_verify_ahead (&run->ctx, req->records + first_new,
                                     req->n_records - first_new, error))
    return FALSE;
  for (guint32 i = 0; i < req->n_records; i++)
    {
      const OffauthView *r = &req->records[i];
      guint64 seq = req->first_seq + i;

      chain_hash (hash, seq, prev, r->data, r->len);
      if (seq > run->chain.acked_seq)
        {
          if (!store_row (run, seq, r->data, r->len, hash, error))
            return FALSE;
        }
      else if (r->data[0] == OFFAUTH_RECORD_SALE_APPROVED &&
               !held_row_verdict (run, r->data, r->len, error))
        return FALSE;
      memcpy (prev, hash, OFFAUTH_HASH_SIZE);
    }
  for (guint32 i = 0; i < req->n_asks; i++)
    {
      AcquirerSale sale;
      gboolean found;

      if (!acquirer_settle_ask (&run->ctx, run->t, req->asks[i], replayed, &sale, &found, error))
        return FALSE;
      if (found)
        add_verdict (run->verdicts, &sale, run->chain.acked_seq);
    }
  if (!add_backlog (run, req->verdict_cursor, &cursor, &more, error))
    return FALSE;
  *answer = sign_answer (run, req, cursor, more, error);

done:
  if (*answer == NULL)
    return FALSE;
  offauth_sync_answer_hash (*answer, hash);
  *status = ACQUIRER_SYNC_ANSWERED;
  return acquirer_db_insert_answer (run->ctx.db, hash, run->t->terminal_id, run->ctx.now, error) &&
         acquirer_db_set_chain (run->ctx.db, run->t->terminal_id, &run->chain, error) &&
         acquirer_settle_finish (&run->ctx, error);
}

/* The registered terminal that signed: *forbidden otherwise. */
static gboolean
signer (AcquirerDb       *db,
        const guint8      terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
        AcquirerTerminal *t,
        gboolean         *found,
        GError          **error)
{
  return acquirer_db_find_terminal (db, terminal_id, t, found, error);
}

gboolean
acquirer_sync_handle (AcquirerDb               *db,
                      const OffauthSecretKey   *key,
                      const char               *issuer_dir,
                      guint64                   now,
                      const OffauthSyncRequest *req,
                      AcquirerSyncStatus       *status,
                      OffauthSyncAnswer       **answer,
                      GError                  **error)
{
  AcquirerTerminal t;
  SyncRun run = { 0 };
  gboolean found, ok;

  *answer = NULL;
  *status = ACQUIRER_SYNC_FORBIDDEN;
  if (!signer (db, req->terminal_id, &t, &found, error))
    return FALSE;
  if (!found || !offauth_sync_request_verify (req, key->pk, t.public_key))
    return TRUE;
  if (!acquirer_db_begin (db, error))
    return FALSE;
  acquirer_settle_init (&run.ctx, db, key, issuer_dir, now);
  run.t = &t;
  run.verdicts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  ok = sync_run (&run, req, status, answer, error);
  acquirer_settle_clear (&run.ctx);
  g_hash_table_unref (run.verdicts);
  g_clear_pointer (&run.pending, g_array_unref);
  if (ok && !acquirer_db_commit (db, error))
    ok = FALSE;
  if (!ok)
    {
      acquirer_db_rollback (db);
      g_clear_pointer (answer, offauth_sync_answer_free);
    }
  return ok;
}

gboolean
acquirer_online_handle (AcquirerDb                 *db,
                        const OffauthSecretKey     *key,
                        const char                 *issuer_dir,
                        guint64                     now,
                        const OffauthOnlineRequest *req,
                        gboolean                   *forbidden,
                        OffauthOnlineDecision      *decision,
                        GError                    **error)
{
  AcquirerTerminal t;
  AcquirerSettle ctx;
  gboolean found, ok;

  *forbidden = TRUE;
  if (!signer (db, req->terminal_id, &t, &found, error))
    return FALSE;
  if (!found || !offauth_online_request_verify (req, key->pk, t.public_key))
    return TRUE;
  *forbidden = FALSE;
  if (!acquirer_db_begin (db, error))
    return FALSE;
  acquirer_settle_init (&ctx, db, key, issuer_dir, now);
  ok = acquirer_settle_refresh (&ctx, error) && acquirer_settle_reverse_expired (&ctx, error) &&
       acquirer_settle_online (&ctx, &t, req, decision, error) &&
       acquirer_settle_finish (&ctx, error);
  acquirer_settle_clear (&ctx);
  if (ok)
    return acquirer_db_commit (db, error);
  acquirer_db_rollback (db);
  return FALSE;
}
