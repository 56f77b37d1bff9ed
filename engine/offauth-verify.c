/* offauth-verify.c: the start-up check: the journal replayed as typed records against the tables.
 *
 * docs/protocol.md, "The start-up check", lists what is checked: the chain, then what each
 * record kind says against the sales, credentials, trust, revocations, settings, negative
 * list, enrollment and trusted time the terminal holds, and the stored checkpoints.
 * A failure names the first bad row (0 when the fault is in a derived table).
 *
 * The decision trusts the sales table's UNIQUE indexes (sale id; credential id and
 * counter) and the credentials table's key for its lookups. So the replay collects every
 * sale's keys, sorts them and refuses a key the journal holds twice (exact, no hashing),
 * then looks every key up the way the decision does: a damaged index page that sends a
 * lookup astray (which neither a scan nor quick_check notices) stops the terminal.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include "offauth-private.h"
#include "offauth-terminal-private.h"

typedef struct
{
  guint64 count;
  guint64 total;
} CredentialTotals;

/* A sale's keys, as the journal has them. */
typedef struct
{
  guint8  sale_id[OFFAUTH_SALE_ID_SIZE];
  guint64 seq;
} SaleIdKey;

typedef struct
{
  guint8  credential_id[OFFAUTH_CREDENTIAL_ID_SIZE];
  guint32 counter;
  guint64 seq;
} CounterKey;

/* A sale's state as the journal's kind-8 rows make it, beside the one the table holds. */
typedef struct
{
  guint64        seq;
  guint8         sale_id[OFFAUTH_SALE_ID_SIZE];
  OffauthSaleRow expected;
  OffauthSaleRow stored;
} SaleState;

/* What the journal says, gathered while it is replayed. */
typedef struct
{
  OffauthTerminal       *t;
  guint64               *bad_seq;
  GError               **error;

  OffauthStmt           *sales;         /* the sales table, in step with the journal */
  gboolean               have_sale;
  OffauthStmt           *checkpoints;   /* the stored checkpoints, in step too */
  gboolean               have_checkpoint;

  GHashTable            *totals;        /* credential id -> CredentialTotals */
  GArray                *sale_ids;      /* SaleIdKey of every sale, in journal order */
  GArray                *counters;      /* CounterKey of every sale, in journal order */
  GHashTable            *settings;      /* name -> guint64 */
  GHashTable            *revocations;   /* issuer key id -> OffauthRecordRevocations */
  GHashTable            *negative;      /* credential id set */
  GBytes                *trust;
  OffauthRecordEnrolled *enrolled;
  guint64                clock_seq;
  guint64                clock_time;
  guint64                clock_floor;
  GArray                *states;        /* SaleState of every sale, in journal order */
  GHashTable            *sync_clocks;   /* kind-9 seq -> its row time, acquirer time within skew */
  guint64                sync_seq;      /* the last kind-9 row, and its acquirer time */
  guint64                sync_time;
  OffauthRecordAcquirer  acquirer;      /* the last kind-10 row (url NULL: none) */
} Replay;

static gboolean
broken (guint64 *bad_seq,
        guint64  seq,
        GError **error,
        const char *format,
        ...) G_GNUC_PRINTF (4, 5);

static gboolean
broken (guint64    *bad_seq,
        guint64     seq,
        GError    **error,
        const char *format,
        ...)
{
  va_list args;

  if (bad_seq != NULL)
    *bad_seq = seq;
  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
sales_row_is (OffauthStmt          *sa,
              const OffauthPayment *p,
              guint64               time,
              guint                 mode)
{
  const char *currency = (const char *) sqlite3_column_text (sa, 6);

  return _offauth_db_blob_equals (sa, 1, p->sale_id, OFFAUTH_SALE_ID_SIZE) &&
         _offauth_db_blob_equals (sa, 2, p->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE) &&
         (guint64) sqlite3_column_int64 (sa, 3) == p->counter &&
         _offauth_db_blob_equals (sa, 4, p->request.challenge, OFFAUTH_CHALLENGE_SIZE) &&
         (guint64) sqlite3_column_int64 (sa, 5) == p->request.amount &&
         g_strcmp0 (currency, p->request.currency) == 0 &&
         (guint64) sqlite3_column_int64 (sa, 7) == time &&
         (guint) sqlite3_column_int (sa, 8) == mode;
}

/* Replaying each kind */

/* An online sale holds the approval (D) of the acquirer pinned at its row: signed by that
 * key, for this terminal, this sale and its amount (PROTOCOL.md, "Online authorization"). */
static gboolean
online_approval_holds (Replay                  *r,
                       const OffauthRecordSale *sale)
{
  const OffauthOnlineDecision *dec = &sale->decision;

  return r->acquirer.url != NULL && dec->result == OFFAUTH_ONLINE_APPROVED &&
         memcmp (dec->terminal_id, r->t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) == 0 &&
         memcmp (dec->sale_id, sale->payment.sale_id, OFFAUTH_SALE_ID_SIZE) == 0 &&
         dec->amount == sale->payment.request.amount &&
         offauth_online_decision_verify (dec, r->acquirer.acquirer_pk);
}

static gboolean
replay_sale (Replay              *r,
             guint64              seq,
             const OffauthRecord *rec)
{
  const OffauthPayment *p = &rec->sale.payment;
  guint64 id = r->have_sale ? (guint64) sqlite3_column_int64 (r->sales, 0) : 0;

  if (r->have_sale && id < seq)
    return broken (r->bad_seq, id, r->error, "journal row %" G_GUINT64_FORMAT
                   " is missing: sale %" G_GUINT64_FORMAT " has no journal row", id, id);
  if (!r->have_sale || id != seq)
    return broken (r->bad_seq, seq, r->error, "sale %" G_GUINT64_FORMAT
                   " of the journal is missing from the sales table", seq);
  if (!sales_row_is (r->sales, p, rec->time, rec->sale.mode))
    return broken (r->bad_seq, seq, r->error, "sale %" G_GUINT64_FORMAT
                   " in the sales table disagrees with journal row %" G_GUINT64_FORMAT, seq, seq);
  if (rec->sale.mode == OFFAUTH_MODE_ONLINE && !online_approval_holds (r, &rec->sale))
    return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT " is an online "
                   "sale without the approval of the acquirer pinned at that row", seq);
  {
    SaleIdKey sk = { .seq = seq };
    CounterKey ck = { .counter = p->counter, .seq = seq };

    memcpy (sk.sale_id, p->sale_id, OFFAUTH_SALE_ID_SIZE);
    memcpy (ck.credential_id, p->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
    g_array_append_val (r->sale_ids, sk);
    g_array_append_val (r->counters, ck);
  }
  {
    /* The state is checked once the whole journal has been replayed (kind-8 rows follow). */
    SaleState st = { .seq = seq };
    OffauthStmt *sa = r->sales;

    memcpy (st.sale_id, p->sale_id, OFFAUTH_SALE_ID_SIZE);
    _offauth_sale_row_init (&st.expected, rec->sale.mode);
    st.stored.online = st.expected.online;
    st.stored.state = (guint8) sqlite3_column_int (sa, 9);
    st.stored.reason = (guint8) sqlite3_column_int (sa, 10);
    st.stored.attempt = (guint16) sqlite3_column_int (sa, 11);
    st.stored.retry_after = (guint64) sqlite3_column_int64 (sa, 12);
    st.stored.closing = (guint8) sqlite3_column_int (sa, 13);
    st.stored.verdict_seen = sqlite3_column_int (sa, 14) != 0;
    g_array_append_val (r->states, st);
  }
  if (rec->sale.mode == OFFAUTH_MODE_OFFLINE)
    {
      CredentialTotals *ct = g_hash_table_lookup (r->totals, p->credential.credential_id);
      if (ct == NULL)
        {
          ct = g_new0 (CredentialTotals, 1);
          g_hash_table_insert (r->totals, g_memdup2 (p->credential.credential_id, 16), ct);
        }
      ct->count++;
      ct->total = _offauth_sat_add (ct->total, p->request.amount);
    }
  return _offauth_db_step (r->t, r->sales, &r->have_sale, r->error);
}

static int
compare_state_seq (gconstpointer key,
                   gconstpointer element)
{
  guint64 seq = *(const guint64 *) key;
  const SaleState *st = element;

  return seq < st->seq ? -1 : seq > st->seq ? 1 : 0;
}

/* A kind-8 row: a verdict or a close the terminal could have written, by the rules the
 * sync applies (offauth-queue.c), to a sale of the journal with that sale id. */
static gboolean
replay_sale_state (Replay               *r,
                   guint64               seq,
                   const OffauthVerdict *v)
{
  SaleState *st = bsearch (&v->sale_seq, r->states->data, r->states->len, sizeof (SaleState),
                           compare_state_seq);
  gboolean ok;

  if (st == NULL || memcmp (st->sale_id, v->sale_id, OFFAUTH_SALE_ID_SIZE) != 0)
    return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT
                   " changes the state of a sale the journal does not hold", seq);
  if (v->state == OFFAUTH_WIRE_STATE_WRITTEN_OFF ||
      v->state == OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE)
    ok = _offauth_sale_row_close (&st->expected, v->state);
  else
    ok = _offauth_sale_row_verdict (&st->expected, v) == OFFAUTH_VERDICT_APPLIED;
  if (!ok)
    return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT
                   " is a change of sale %" G_GUINT64_FORMAT " that this terminal never makes",
                   seq, v->sale_seq);
  return TRUE;
}

static gboolean
verify_sale_states (Replay *r)
{
  for (guint i = 0; i < r->states->len; i++)
    {
      const SaleState *st = &g_array_index (r->states, SaleState, i);
      const OffauthSaleRow *e = &st->expected, *s = &st->stored;

      if (e->state != s->state || e->reason != s->reason || e->attempt != s->attempt ||
          e->retry_after != s->retry_after || e->closing != s->closing ||
          e->verdict_seen != s->verdict_seen)
        return broken (r->bad_seq, st->seq, r->error, "the state of sale %" G_GUINT64_FORMAT
                       " in the sales table disagrees with the journal", st->seq);
    }
  return TRUE;
}

static gboolean
replay_record (Replay              *r,
               guint64              seq,
               const OffauthRecord *rec)
{
  switch (rec->kind)
    {
    case OFFAUTH_RECORD_SALE_APPROVED:
      return replay_sale (r, seq, rec);
    case OFFAUTH_RECORD_ENROLLED:
      if (r->enrolled != NULL)
        return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT
                       " is a second or damaged enrollment", seq);
      r->enrolled = g_memdup2 (&rec->enrolled, sizeof rec->enrolled);
      return TRUE;
    case OFFAUTH_RECORD_TRUST_LOADED:
      g_clear_pointer (&r->trust, g_bytes_unref);
      r->trust = g_bytes_ref (rec->trust.bundle);
      return TRUE;
    case OFFAUTH_RECORD_REVOCATIONS:
      g_hash_table_insert (r->revocations, g_memdup2 (rec->revocations.issuer_key_id, 8),
                           g_memdup2 (&rec->revocations, sizeof rec->revocations));
      return TRUE;
    case OFFAUTH_RECORD_CLOCK_ACCEPTED:
      r->clock_seq = seq;
      r->clock_time = rec->time;
      r->clock_floor = rec->clock.floor;
      return TRUE;
    case OFFAUTH_RECORD_SETTING:
      g_hash_table_insert (r->settings, g_strdup (rec->setting.name),
                           g_memdup2 (&rec->setting.value, sizeof rec->setting.value));
      return TRUE;
    case OFFAUTH_RECORD_NEGATIVE_LIST:
      g_hash_table_add (r->negative, g_memdup2 (rec->negative.credential_id, 16));
      return TRUE;
    case OFFAUTH_RECORD_SALE_STATE:
      return replay_sale_state (r, seq, &rec->sale_state.verdict);
    case OFFAUTH_RECORD_SYNC_ACCEPTED:
      r->sync_seq = seq;
      r->sync_time = rec->sync_accepted.acquirer_time;
      if (rec->sync_accepted.acquirer_time <= rec->time + OFFAUTH_CLOCK_SKEW &&
          rec->time <= rec->sync_accepted.acquirer_time + OFFAUTH_CLOCK_SKEW)
        g_hash_table_insert (r->sync_clocks, g_memdup2 (&seq, sizeof seq),
                             g_memdup2 (&rec->time, sizeof rec->time));
      return TRUE;
    case OFFAUTH_RECORD_ACQUIRER_PINNED:
      g_free (r->acquirer.url);
      r->acquirer = rec->acquirer;
      r->acquirer.url = g_strdup (rec->acquirer.url);
      return TRUE;
    default:
      g_return_val_if_reached (TRUE);
    }
}

/* Every stored checkpoint up to row seq sits on it, with its hash h. */
static gboolean
check_checkpoints_at (Replay       *r,
                      guint64       seq,
                      const guint8  h[OFFAUTH_HASH_SIZE])
{
  while (r->have_checkpoint && (guint64) sqlite3_column_int64 (r->checkpoints, 0) <= seq)
    {
      OffauthCheckpoint k;

      if (!offauth_checkpoint_parse (&k, sqlite3_column_blob (r->checkpoints, 1),
                                     (gsize) sqlite3_column_bytes (r->checkpoints, 1), NULL) ||
          k.seq != seq || memcmp (k.chain_hash, h, OFFAUTH_HASH_SIZE) != 0 ||
          !offauth_checkpoint_verify (&k, r->t->terminal_pk))
        return broken (r->bad_seq, seq, r->error, "the checkpoint at journal row %" G_GUINT64_FORMAT
                       " disagrees with the journal", seq);
      if (!_offauth_db_step (r->t, r->checkpoints, &r->have_checkpoint, r->error))
        return FALSE;
    }
  return TRUE;
}

/* One journal row: in sequence, chained, its columns its record's, its record readable. */
static gboolean
replay_row (Replay       *r,
            OffauthStmt  *j,
            guint64       expected,
            guint8        prev[OFFAUTH_HASH_SIZE])
{
  guint64 seq = (guint64) sqlite3_column_int64 (j, 0);
  const guint8 *record = sqlite3_column_blob (j, 3);
  gsize len = (gsize) sqlite3_column_bytes (j, 3);
  g_auto(OffauthRecord) rec = { 0 };
  guint kind;
  guint8 h[OFFAUTH_HASH_SIZE];

  if (seq != expected)
    return broken (r->bad_seq, expected, r->error, "journal row %" G_GUINT64_FORMAT " is missing",
                   expected);
  if (len < OFFAUTH_RECORD_HEADER_SIZE)
    return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT " is truncated", seq);
  _offauth_chain_hash (h, seq, prev, record, len);
  if (!_offauth_db_blob_equals (j, 4, h, OFFAUTH_HASH_SIZE))
    return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT
                   " does not match its chain hash: it was edited", seq);
  kind = record[0];
  if ((guint) sqlite3_column_int (j, 1) != kind ||
      (guint64) sqlite3_column_int64 (j, 2) != _offauth_get_u64 (record + 1))
    return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT
                   " has a kind or time that is not its record's", seq);
  memcpy (prev, h, OFFAUTH_HASH_SIZE);

  /* The chain does not depend on what a payload means: kinds not known here are skipped. */
  if (offauth_record_kind_known (kind))
    {
      g_autoptr(GError) local = NULL;

      if (!offauth_record_parse (&rec, record, len, &local))
        {
          if (kind == OFFAUTH_RECORD_SALE_APPROVED)
            return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT
                           " holds no valid payment", seq);
          if (kind == OFFAUTH_RECORD_ENROLLED)
            return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT
                           " is a second or damaged enrollment", seq);
          return broken (r->bad_seq, seq, r->error, "journal row %" G_GUINT64_FORMAT " is damaged: %s",
                         seq, local->message);
        }
      if (!replay_record (r, seq, &rec))
        return FALSE;
    }
  return check_checkpoints_at (r, seq, h);
}

/* The whole chain, then what is left over in the sales and checkpoints tables. */
static gboolean
replay_journal (Replay *r)
{
  g_autoptr(OffauthStmt) j = _offauth_db_stmt (r->t, ST_ALL_JOURNAL, r->error);
  guint8 prev[OFFAUTH_HASH_SIZE] = { 0 };
  guint64 expected = 1;
  gboolean row;

  if (j == NULL)
    return FALSE;
  for (;; expected++)
    {
      if (!_offauth_db_step (r->t, j, &row, r->error))
        return FALSE;
      if (!row)
        break;
      if (!replay_row (r, j, expected, prev))
        return FALSE;
    }

  if (r->have_sale)
    {
      guint64 orphan = (guint64) sqlite3_column_int64 (r->sales, 0);
      return broken (r->bad_seq, orphan, r->error, "journal row %" G_GUINT64_FORMAT " is missing: sale %"
                     G_GUINT64_FORMAT " has no journal row", orphan, orphan);
    }
  if (r->have_checkpoint)
    {
      guint64 seq = (guint64) sqlite3_column_int64 (r->checkpoints, 0);
      return broken (r->bad_seq, expected, r->error, "journal rows %" G_GUINT64_FORMAT " to %"
                     G_GUINT64_FORMAT " are missing: a checkpoint covers them", expected, seq);
    }
  return TRUE;
}

/* One sale twice in the journal */

static int
compare_sale_ids (gconstpointer a,
                  gconstpointer b)
{
  const SaleIdKey *x = a, *y = b;
  int c = memcmp (x->sale_id, y->sale_id, OFFAUTH_SALE_ID_SIZE);

  return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int
compare_counters (gconstpointer a,
                  gconstpointer b)
{
  const CounterKey *x = a, *y = b;
  int c = memcmp (x->credential_id, y->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);

  if (c != 0)
    return c;
  if (x->counter != y->counter)
    return x->counter < y->counter ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sorts the keys and refuses the first journal row (the later of a pair) whose sale id, or
 * whose credential id and counter, an earlier row already has, if it comes before row
 * before (so that the first bad row is named when the replay stopped at a later one). */
static gboolean
check_repeats (Replay  *r,
               guint64  before)
{
  guint64 later = G_MAXUINT64, earlier = 0;
  gboolean same_sale = FALSE;

  g_array_sort (r->sale_ids, compare_sale_ids);
  for (guint i = 1; i < r->sale_ids->len; i++)
    {
      const SaleIdKey *x = &g_array_index (r->sale_ids, SaleIdKey, i - 1);
      const SaleIdKey *y = &g_array_index (r->sale_ids, SaleIdKey, i);

      if (y->seq < later && memcmp (x->sale_id, y->sale_id, OFFAUTH_SALE_ID_SIZE) == 0)
        {
          later = y->seq;
          earlier = x->seq;
          same_sale = TRUE;
        }
    }
  g_array_sort (r->counters, compare_counters);
  for (guint i = 1; i < r->counters->len; i++)
    {
      const CounterKey *x = &g_array_index (r->counters, CounterKey, i - 1);
      const CounterKey *y = &g_array_index (r->counters, CounterKey, i);

      if (y->seq < later && x->counter == y->counter &&
          memcmp (x->credential_id, y->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE) == 0)
        {
          later = y->seq;
          earlier = x->seq;
          same_sale = FALSE;
        }
    }
  if (later >= before)
    return TRUE;
  if (same_sale)
    return broken (r->bad_seq, later, r->error, "journal row %" G_GUINT64_FORMAT " records the sale "
                   "of journal row %" G_GUINT64_FORMAT " again", later, earlier);
  return broken (r->bad_seq, later, r->error, "journal row %" G_GUINT64_FORMAT " reuses the "
                 "credential and counter of journal row %" G_GUINT64_FORMAT ": a double spend",
                 later, earlier);
}

/* What the decision looks up */

static gboolean
index_damaged (Replay     *r,
               const char *index,
               guint64     seq)
{
  return broken (r->bad_seq, 0, r->error, "the sales table's index on %s does not find sale %"
                 G_GUINT64_FORMAT ": the index is damaged", index, seq);
}

/* Looks a sale up by one key (bound by the caller): it must be the sale of row seq. */
static gboolean
finds_sale (Replay      *r,
            OffauthStmt *s,
            guint64      seq,
            gboolean    *found)
{
  gboolean row;

  if (!_offauth_db_step (r->t, s, &row, r->error))
    return FALSE;
  *found = row && (guint64) sqlite3_column_int64 (s, 0) == seq;
  sqlite3_reset (s);
  return TRUE;
}

static gboolean
credential_disagrees (Replay       *r,
                      const guint8 *credential_id,
                      gsize         len)
{
  g_autofree gchar *hex = offauth_hex (credential_id, len);

  return broken (r->bad_seq, 0, r->error,
                 "the offline counters of credential %s disagree with the journal", hex);
}

/* A payer's totals, looked up by the credentials table's key as the decision does. */
static gboolean
check_credential_lookup (Replay       *r,
                         const guint8  credential_id[OFFAUTH_CREDENTIAL_ID_SIZE])
{
  const CredentialTotals *ct = g_hash_table_lookup (r->totals, credential_id);
  OffauthStmt *s;
  gboolean row, same;

  if (ct == NULL)
    return TRUE;   /* online sales only: no row, and verify_credentials sees an extra one */
  if ((s = _offauth_db_stmt (r->t, ST_CRED_TOTALS, r->error)) == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (r->t, s, &row, r->error))
    return FALSE;
  same = row && (guint64) sqlite3_column_int64 (s, 0) == ct->count &&
         (guint64) sqlite3_column_int64 (s, 1) == ct->total;
  sqlite3_reset (s);
  if (!row)
    {
      g_autofree gchar *hex = offauth_hex (credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
      return broken (r->bad_seq, 0, r->error, "the credentials table's key does not find "
                     "credential %s: the table is damaged", hex);
    }
  return same || credential_disagrees (r, credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
}

/* Every key of every sale found through its index at its own row, in key order (the index
 * pages are then read in order), and each index holding no more entries than sales: so
 * every lookup of the decision answers what the journal says. A scan would not do: it
 * walks the leaves without reading the keys of the interior pages that route a lookup. */
static gboolean
check_lookups (Replay *r)
{
  OffauthStmt *s = _offauth_db_stmt (r->t, ST_COUNT_SALE_KEYS, r->error);
  guint n = r->sale_ids->len;
  gboolean row, found;

  if (s == NULL || !_offauth_db_step (r->t, s, &row, r->error))
    return FALSE;
  found = row && (guint64) sqlite3_column_int64 (s, 0) == n;
  row = row && (guint64) sqlite3_column_int64 (s, 1) == n;
  sqlite3_reset (s);
  if (!found)
    return broken (r->bad_seq, 0, r->error, "the sales table's index on sale_id does not hold "
                   "one entry per sale: the index is damaged");
  if (!row)
    return broken (r->bad_seq, 0, r->error, "the sales table's index on (credential_id, counter) "
                   "does not hold one entry per sale: the index is damaged");

  if ((s = _offauth_db_stmt (r->t, ST_FIND_SALE_ID, r->error)) == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const SaleIdKey *k = &g_array_index (r->sale_ids, SaleIdKey, i);

      sqlite3_bind_blob (s, 1, k->sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
      if (!finds_sale (r, s, k->seq, &found))
        return FALSE;
      if (!found)
        return index_damaged (r, "sale_id", k->seq);
    }

  if ((s = _offauth_db_stmt (r->t, ST_FIND_COUNTER, r->error)) == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const CounterKey *k = &g_array_index (r->counters, CounterKey, i);

      sqlite3_bind_blob (s, 1, k->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 2, k->counter);
      if (!finds_sale (r, s, k->seq, &found))
        return FALSE;
      if (!found)
        return index_damaged (r, "(credential_id, counter)", k->seq);
      /* After the last key of a payer, the payer's totals. */
      if ((i + 1 == n ||
           memcmp (k->credential_id, g_array_index (r->counters, CounterKey, i + 1).credential_id,
                   OFFAUTH_CREDENTIAL_ID_SIZE) != 0) &&
          !check_credential_lookup (r, k->credential_id))
        return FALSE;
    }
  return TRUE;
}

/* The derived tables */

static gboolean
verify_credentials (Replay *r)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (r->t, ST_ALL_CREDENTIALS, r->error);
  guint n_creds = 0;
  gboolean row;

  if (s == NULL)
    return FALSE;
  while (_offauth_db_step (r->t, s, &row, r->error))
    {
      const CredentialTotals *ct = NULL;

      if (!row)
        {
          if (n_creds != g_hash_table_size (r->totals))
            return broken (r->bad_seq, 0, r->error, "credential counters are missing: the journal has "
                           "%u credentials, the table %u", g_hash_table_size (r->totals), n_creds);
          return TRUE;
        }
      n_creds++;
      if (sqlite3_column_bytes (s, 0) == OFFAUTH_CREDENTIAL_ID_SIZE)
        ct = g_hash_table_lookup (r->totals, sqlite3_column_blob (s, 0));
      if (ct == NULL || ct->count != (guint64) sqlite3_column_int64 (s, 1) ||
          ct->total != (guint64) sqlite3_column_int64 (s, 2))
        {
          g_autofree gchar *hex = offauth_hex (sqlite3_column_blob (s, 0),
                                               (gsize) sqlite3_column_bytes (s, 0));
          return broken (r->bad_seq, 0, r->error,
                         "the offline counters of credential %s disagree with the journal", hex);
        }
    }
  return FALSE;
}

static gboolean
verify_trust (Replay *r)
{
  OffauthTerminal *t = r->t;
  GHashTableIter iter;
  gpointer key, value;

  if (t->has_bundle &&
      (r->trust == NULL || g_bytes_get_size (r->trust) != t->bundle.raw_len ||
       memcmp (g_bytes_get_data (r->trust, NULL), t->bundle.raw, t->bundle.raw_len) != 0))
    return broken (r->bad_seq, 0, r->error, "the stored trust bundle is not the one the journal recorded");

  g_hash_table_iter_init (&iter, t->revocations);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const OffauthRevocationList *list = value;
      const OffauthRecordRevocations *rec = g_hash_table_lookup (r->revocations, key);
      guint8 h[OFFAUTH_HASH_SIZE];
      gsize raw_len;
      const guint8 *raw = g_bytes_get_data (list->raw, &raw_len);

      offauth_hash (h, raw, raw_len);
      if (rec == NULL || rec->sequence != list->sequence ||
          memcmp (rec->list_hash, h, OFFAUTH_HASH_SIZE) != 0)
        return broken (r->bad_seq, 0, r->error,
                       "a stored revocation list is not the one the journal recorded");
    }
  if (g_hash_table_size (r->revocations) != g_hash_table_size (t->revocations))
    return broken (r->bad_seq, 0, r->error, "a revocation list recorded in the journal is missing");
  return TRUE;
}

static gboolean
verify_settings (Replay *r)
{
  OffauthTerminal *t = r->t;
  GHashTableIter iter;
  gpointer key, value;
  guint n_category_floors = 0;

  g_hash_table_iter_init (&iter, r->settings);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *name = key;
      guint64 recorded = *(const guint64 *) value;
      guint64 stored = 0;
      gboolean found;

      if (g_str_has_prefix (name, "category_floor:"))
        {
          const guint64 *floor = g_hash_table_lookup (t->category_floors,
                                                      name + strlen ("category_floor:"));
          n_category_floors++;
          found = floor != NULL;
          if (found)
            stored = *floor;
        }
      else if (!_offauth_setting_get (t, name, &found, &stored, NULL, r->error))
        return FALSE;
      if (!found || stored != recorded)
        return broken (r->bad_seq, 0, r->error, "the setting %s is not the value the journal recorded (%"
                       G_GUINT64_FORMAT ")", name, recorded);
    }
  if (n_category_floors != g_hash_table_size (t->category_floors))
    return broken (r->bad_seq, 0, r->error, "a category floor limit was added outside the journal");
  return TRUE;
}

static gboolean
verify_negative (Replay *r)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (r->t, ST_ALL_NEGATIVE, r->error);
  guint n_negative = 0;
  gboolean ok, row;

  if (s == NULL)
    return FALSE;
  while ((ok = _offauth_db_step (r->t, s, &row, r->error)) && row)
    {
      n_negative++;
      if (sqlite3_column_bytes (s, 0) != OFFAUTH_CREDENTIAL_ID_SIZE ||
          !g_hash_table_contains (r->negative, sqlite3_column_blob (s, 0)))
        n_negative = G_MAXUINT;
    }
  if (!ok)
    return FALSE;
  if (n_negative != g_hash_table_size (r->negative))
    return broken (r->bad_seq, 0, r->error, "the negative list is not the one the journal recorded");
  return TRUE;
}

/* Who the terminal is, and the clock the merchant accepted, come from the journal. */
static gboolean
verify_identity_and_clock (Replay *r)
{
  OffauthTerminal *t = r->t;
  const OffauthRecordEnrolled *e = r->enrolled;

  if ((e != NULL) != t->enrolled)
    return broken (r->bad_seq, 0, r->error,
                   "the terminal's enrollment is not the one the journal recorded");
  if (e != NULL &&
      (strcmp (e->merchant_id, t->merchant_id) != 0 ||
       memcmp (e->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0 ||
       !t->has_bundle || memcmp (e->root_public_key, t->bundle.root_public_key, OFFAUTH_PK_SIZE) != 0 ||
       e->root_pinned == t->root_tofu))
    return broken (r->bad_seq, 0, r->error,
                   "the terminal's identity or root is not the one the journal recorded");
  /* The acceptance is the last kind-5 row's, or that of a later kind-9 row whose acquirer
   * time was within the skew of the clock (an answer that made the clock the reference). */
  if (t->accepted_seq > r->clock_seq && t->accepted_seq > 0)
    {
      const guint64 *time = g_hash_table_lookup (r->sync_clocks, &t->accepted_seq);

      if (time == NULL || *time != t->accepted_at)
        return broken (r->bad_seq, 0, r->error,
                       "the trusted time is not the one the journal recorded");
    }
  else if (r->clock_seq != t->accepted_seq || r->clock_time != t->accepted_at ||
           r->clock_floor != t->accepted_floor)
    return broken (r->bad_seq, 0, r->error, "the trusted time is not the one the journal recorded");
  /* The acquirer time is kept outside the journal, but a kind-9 row is written whenever it
   * moves by more than an hour from the last one (and at the first answer). */
  if (r->sync_seq == 0 ? t->acquirer_time != 0
                       : (t->acquirer_time > r->sync_time ? t->acquirer_time - r->sync_time
                                                          : r->sync_time - t->acquirer_time) > 3600)
    return broken (r->bad_seq, 0, r->error, "the trusted time (acquirer time) is not the one the journal recorded");
  /* The pinned acquirer is the last kind-10 row's. */
  if ((r->acquirer.url != NULL) != t->has_acquirer ||
      (t->has_acquirer && (g_strcmp0 (r->acquirer.url, t->acquirer_url) != 0 ||
                           memcmp (r->acquirer.acquirer_pk, t->acquirer_pk, OFFAUTH_PK_SIZE) != 0)))
    return broken (r->bad_seq, 0, r->error, "the pinned acquirer is not the one the journal recorded");
  if (t->acked_seq > t->last_seq)
    return broken (r->bad_seq, 0, r->error, "acked_seq is beyond the last journal row");
  return TRUE;
}

gboolean
offauth_terminal_verify (OffauthTerminal *t,
                         guint64         *bad_seq,
                         GError         **error)
{
  g_autoptr(OffauthStmt) sales = NULL;
  g_autoptr(OffauthStmt) checkpoints = NULL;
  guint64 bad = 0;
  Replay r = { .t = t, .bad_seq = &bad, .error = error };
  gboolean own_tx;
  gboolean ok;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (bad_seq != NULL)
    *bad_seq = 0;
  /* One read transaction for the whole check: it reads the journal and the tables derived
   * from it in several statements, and a sale another connection commits in between must
   * not look like tampering. (Inside the caller's transaction, that one serves.) */
  own_tx = sqlite3_get_autocommit (t->db) != 0;
  if (own_tx && !_offauth_db_run (t, ST_BEGIN_READ, error))
    return FALSE;
  r.totals = g_hash_table_new_full (_offauth_id_hash, _offauth_credential_id_equal, g_free, g_free);
  r.settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  r.revocations = g_hash_table_new_full (_offauth_id_hash, _offauth_key_id_equal, g_free, g_free);
  r.negative = g_hash_table_new_full (_offauth_id_hash, _offauth_credential_id_equal, g_free, NULL);
  r.sale_ids = g_array_new (FALSE, FALSE, sizeof (SaleIdKey));
  r.counters = g_array_new (FALSE, FALSE, sizeof (CounterKey));
  r.states = g_array_new (FALSE, FALSE, sizeof (SaleState));
  r.sync_clocks = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);

  ok = (sales = r.sales = _offauth_db_stmt (t, ST_ALL_SALES, error)) != NULL &&
       (checkpoints = r.checkpoints = _offauth_db_stmt (t, ST_ALL_CHECKPOINTS, error)) != NULL &&
       _offauth_db_step (t, r.sales, &r.have_sale, error) &&
       _offauth_db_step (t, r.checkpoints, &r.have_checkpoint, error) &&
       replay_journal (&r);
  /* A sale repeated before the row where the replay stopped is the first bad row. */
  if (!ok && bad != 0 && error != NULL && g_error_matches (*error, OFFAUTH_ERROR,
                                                            OFFAUTH_ERROR_TAMPERED))
    {
      GError *repeat = NULL;

      r.error = &repeat;
      if (!check_repeats (&r, bad))
        {
          g_clear_error (error);
          g_propagate_error (error, repeat);
        }
      r.error = error;
    }
  ok = ok &&
       check_repeats (&r, G_MAXUINT64) &&
       check_lookups (&r) &&
       verify_credentials (&r) &&
       verify_trust (&r) &&
       verify_settings (&r) &&
       verify_negative (&r) &&
       verify_sale_states (&r) &&
       verify_identity_and_clock (&r);

  g_hash_table_unref (r.totals);
  g_hash_table_unref (r.settings);
  g_hash_table_unref (r.revocations);
  g_hash_table_unref (r.negative);
  g_array_unref (r.sale_ids);
  g_array_unref (r.counters);
  g_array_unref (r.states);
  g_hash_table_unref (r.sync_clocks);
  g_free (r.acquirer.url);
  g_clear_pointer (&r.trust, g_bytes_unref);
  g_free (r.enrolled);
  if (own_tx)
    {
      /* Statements still stepping would keep the read transaction open. */
      if (sales != NULL)
        sqlite3_reset (sales);
      if (checkpoints != NULL)
        sqlite3_reset (checkpoints);
      _offauth_db_run (t, ST_ROLLBACK, NULL);
    }
  if (bad_seq != NULL)
    *bad_seq = bad;
  return ok;
}

/* Checks a checkpoint that left the device against the journal. */
gboolean
offauth_terminal_verify_checkpoint (OffauthTerminal *t,
                                    const char      *text,
                                    guint64         *bad_seq,
                                    GError         **error)
{
  OffauthCheckpoint k;
  guint8 hash[OFFAUTH_HASH_SIZE];
  gboolean found;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (bad_seq != NULL)
    *bad_seq = 0;

  if (!offauth_checkpoint_parse_text (&k, text, error))
    return FALSE;
  if (memcmp (k.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED, "The checkpoint is from another terminal");
      return FALSE;
    }
  if (!offauth_checkpoint_verify (&k, t->terminal_pk))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The checkpoint's terminal signature does not verify");
      return FALSE;
    }
  /* Then the chain itself (the stored hashes are only worth what the chain proves),
   * after the cheap checks, so that a forged checkpoint costs no walk of the journal. */
  if (!offauth_terminal_verify (t, bad_seq, error) ||
      !_offauth_journal_hash (t, k.seq, &found, hash, error))
    return FALSE;
  if (!found)
    return broken (bad_seq, k.seq, error, "journal row %" G_GUINT64_FORMAT
                   " is missing: the checkpoint covers it", k.seq);
  if (memcmp (hash, k.chain_hash, OFFAUTH_HASH_SIZE) != 0)
    return broken (bad_seq, k.seq, error, "journal rows up to %" G_GUINT64_FORMAT
                   " were changed after the checkpoint was made", k.seq);
  return TRUE;
}
