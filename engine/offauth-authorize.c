/* offauth-authorize.c: requests, and the decision on a payment as an ordered list of checks.
 *
 * The checks run in the order of PROTOCOL.md's "Decision order and reason codes": the
 * first that refuses gives the answer, and the last one commits the sale. Nothing is
 * approved without the durable commit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "offauth-terminal-private.h"

/* Requests */

gchar *
_offauth_terminal_create_request (OffauthTerminal *t,
                                  guint64          amount,
                                  const char      *currency,
                                  const guint8    *challenge,
                                  OffauthReason   *reason_out,
                                  GError         **error)
{
  OffauthRequest req = { 0 };
  OffauthReason reason;
  OffauthStmt *s;
  guint64 now = offauth_terminal_now (t);

  if (reason_out != NULL)
    *reason_out = OFFAUTH_REASON_NONE;
  if (amount < 1 || currency == NULL || !offauth_currency_valid (currency))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "A request needs an amount of at least 1 and a currency of 3 capital letters");
      return NULL;
    }
  /* No payer is asked to pay into a terminal that would refuse the payment. */
  reason = _offauth_terminal_check_state (t, now, amount);
  if (reason != OFFAUTH_REASON_NONE)
    {
      if (reason_out != NULL)
        *reason_out = reason;
      /* Paused by a commit of unknown outcome: say so, not that a sale was not saved. */
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "%s (%s)",
                   reason == OFFAUTH_REASON_STORAGE_UNAVAILABLE ? offauth_reason_detail (reason)
                                                                : offauth_reason_message (reason),
                   offauth_reason_code (reason));
      return NULL;
    }

  g_strlcpy (req.merchant_id, t->merchant_id, sizeof req.merchant_id);
  memcpy (req.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  req.scope = t->config.scope;
  memcpy (req.currency, currency, 4);
  req.amount = amount;
  req.created_at = now;
  if (challenge != NULL)
    memcpy (req.challenge, challenge, OFFAUTH_CHALLENGE_SIZE);
  else
    randombytes_buf (req.challenge, OFFAUTH_CHALLENGE_SIZE);
  offauth_request_encode (&req);

  s = _offauth_db_stmt (t, ST_INSERT_REQUEST, error);
  if (s != NULL)
    {
      sqlite3_bind_blob (s, 1, req.challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
      sqlite3_bind_blob (s, 2, req.raw, OFFAUTH_REQUEST_SIZE, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 3, (sqlite3_int64) now);
    }
  if (s == NULL || sqlite3_step (s) != SQLITE_DONE)
    {
      if (s != NULL)
        {
          _offauth_db_error (t, error, "The request could not be saved");
          sqlite3_reset (s);
        }
      if (reason_out != NULL)
        *reason_out = OFFAUTH_REASON_STORAGE_UNAVAILABLE;
      return NULL;
    }
  sqlite3_reset (s);
  t->latest_request_id = sqlite3_last_insert_rowid (t->db);
  memcpy (t->latest_challenge, req.challenge, OFFAUTH_CHALLENGE_SIZE);
  t->latest_request_mono = _offauth_terminal_has_real_clock (t) ? g_get_monotonic_time () : 0;
  return offauth_text_encode ('R', req.raw, OFFAUTH_REQUEST_SIZE);
}

gchar *
offauth_terminal_create_request (OffauthTerminal *t,
                                 guint64          amount,
                                 const char      *currency,
                                 OffauthReason   *reason,
                                 GError         **error)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return _offauth_terminal_create_request (t, amount, currency, NULL, reason, error);
}

/* Storing a sale: shared by the decision's commit and the benchmark fill */

gboolean
_offauth_insert_sale (OffauthTerminal      *t,
                      guint64               seq,
                      const OffauthPayment *p,
                      guint64               time,
                      OffauthMode           mode,
                      GError              **error)
{
  OffauthSaleRow row;

  OffauthStmt *s = _offauth_db_stmt (t, ST_INSERT_SALE, error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  sqlite3_bind_blob (s, 2, p->sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_blob (s, 3, p->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 4, p->counter);
  sqlite3_bind_blob (s, 5, p->request.challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 6, (sqlite3_int64) p->request.amount);
  sqlite3_bind_text (s, 7, p->request.currency, 3, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 8, (sqlite3_int64) time);
  /* An online sale is settled provisionally until its verdict arrives (offauth-queue.c). */
  _offauth_sale_row_init (&row, mode);
  sqlite3_bind_int (s, 9, mode);
  sqlite3_bind_int (s, 10, row.state);
  return _offauth_db_step_done (t, s, error);
}

gboolean
_offauth_set_credential_totals (OffauthTerminal *t,
                                const guint8    *credential_id,
                                guint64          count,
                                guint64          total,
                                GError         **error)
{
  OffauthStmt *s = _offauth_db_stmt (t, ST_UPSERT_CRED, error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) count);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) total);
  return _offauth_db_step_done (t, s, error);
}

/* Journals the sale (kind 1: mode 0, or mode 1 with the acquirer's approval online) and
 * stores its row; the payer's offline totals count offline sales only. */
static gboolean
commit_sale (OffauthTerminal             *t,
             const OffauthPayment        *p,
             const OffauthOnlineDecision *online,
             guint64                      now,
             guint64                      cred_count,
             guint64                      cred_total,
             OffauthDecision             *d,
             GError                     **error)
{
  OffauthMode mode = online != NULL ? OFFAUTH_MODE_ONLINE : OFFAUTH_MODE_OFFLINE;
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_SALE_APPROVED, .time = now,
                        .sale = { *p, mode } };
  guint8 hash[OFFAUTH_HASH_SIZE];
  guint64 seq;

  if (online != NULL)
    rec.sale.decision = *online;
  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_journal_append (t, &rec, &seq, hash, error) ||
      !_offauth_insert_sale (t, seq, p, now, mode, error) ||
      (online == NULL &&
       !_offauth_set_credential_totals (t, p->credential.credential_id, cred_count + 1,
                                        _offauth_sat_add (cred_total, p->request.amount),
                                        error)) ||
      !_offauth_tx_commit (t, error))
    {
      _offauth_tx_rollback (t);
      return FALSE;
    }

  t->latest_sale_time = MAX (t->latest_sale_time, now);
  if (t->unsettled_count + t->waiting_online == 0 || now < t->oldest_unsettled)
    t->oldest_unsettled = now;
  /* Waiting offline sales count for the caps; online ones only for upload_overdue. */
  if (online != NULL)
    t->waiting_online++;
  else
    {
      t->unsettled_count++;
      t->unsettled_total = _offauth_sat_add (t->unsettled_total, p->request.amount);
    }
  memcpy (t->last_sale_challenge, p->request.challenge, OFFAUTH_CHALLENGE_SIZE);
  t->has_sale = TRUE;

  d->sale_number = seq;
  memcpy (d->journal_hash, hash, OFFAUTH_HASH_SIZE);
  return TRUE;
}

/* The decision: one payment on its way through the checks */

typedef struct
{
  OffauthTerminal             *t;
  const char                  *text;
  gssize                       text_len;
  const OffauthSaleLine       *lines;
  gsize                        n_lines;
  OffauthDecision             *d;
  guint64                      now;
  OffauthAuthorizeMode         mode;
  const OffauthOnlineDecision *online;          /* the acquirer's approval (mode ONLINE) */

  guint8                      *bin;
  gsize                        bin_len;
  GError                      *error;          /* why the code did not decode or parse */
  OffauthPayment               p;
  gboolean                     parsed;
  gboolean                     payer_ok;
  gboolean                     recorded;
  const OffauthIssuerKey      *key;
  const OffauthRevocationList *list;
  guint64                      cred_count;
  guint64                      cred_total;
} Authorization;

/* A check returns TRUE to pass the payment on, FALSE once the decision is made. */
typedef gboolean (*CheckFunc) (Authorization *a);

static gboolean
refuse (OffauthDecision *d,
        OffauthReason    reason,
        const char      *format,
        ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (OffauthDecision *d,
        OffauthReason    reason,
        const char      *format,
        ...)
{
  va_list args;

  d->reason = reason;
  d->approved = FALSE;
  va_start (args, format);
  g_vsnprintf (d->detail, sizeof d->detail, format, args);
  va_end (args);
  return FALSE;
}

/* While a commit's outcome is unknown, a refusal of that very sale is unknown too (any
 * other payment was not written): the decision says so and names the sale. */
static void
flag_unknown (Authorization *a)
{
  OffauthTerminal *t = a->t;
  OffauthDecision *d = a->d;

  if (!t->unresolved || !t->unresolved_sale || !a->payer_ok ||
      memcmp (a->p.sale_id, t->unresolved_sale_id, OFFAUTH_SALE_ID_SIZE) != 0)
    return;
  d->outcome_unknown = TRUE;
  memcpy (d->sale_id, a->p.sale_id, OFFAUTH_SALE_ID_SIZE);
  d->amount = a->p.request.amount;
  memcpy (d->currency, a->p.request.currency, 4);
}

static gboolean
storage_failed (Authorization *a,
                GError        *error)
{
  refuse (a->d, OFFAUTH_REASON_STORAGE_UNAVAILABLE, "%s", error->message);
  g_error_free (error);
  flag_unknown (a);
  return FALSE;
}

/* Looks the sale id up; fills the decision with the first sale when found. */
static gboolean
find_sale (Authorization *a,
           GError       **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (a->t, ST_FIND_SALE, error);
  OffauthDecision *d = a->d;

  if (s == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, a->p.sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (a->t, s, &a->recorded, error))
    return FALSE;
  if (a->recorded)
    {
      d->sale_number = (guint64) sqlite3_column_int64 (s, 0);
      d->amount = (guint64) sqlite3_column_int64 (s, 1);
      g_strlcpy (d->currency, (const char *) sqlite3_column_text (s, 2), sizeof d->currency);
      d->time = (guint64) sqlite3_column_int64 (s, 3);
      d->mode = sqlite3_column_int (s, 5);
      memcpy (d->sale_id, a->p.sale_id, OFFAUTH_SALE_ID_SIZE);
    }
  return TRUE;
}

/* 3, first half. The same payment for the terminal's latest request is a double scan or a
 * crash between the commit and the screen: it is the sale already recorded, approved again
 * and recorded nothing. This comes before the terminal state, which may have changed
 * because of that very sale (docs/protocol.md). */
static gboolean
check_double_scan (Authorization *a)
{
  OffauthTerminal *t = a->t;
  OffauthDecision *d = a->d;
  GError *error = NULL;
  gboolean found;

  if (a->text != NULL)
    a->bin = offauth_text_decode (a->text, a->text_len, 'P', &a->bin_len, &a->error);
  if (a->bin == NULL)
    return TRUE;
  a->parsed = offauth_payment_parse (&a->p, a->bin, a->bin_len, &a->error);
  a->payer_ok = a->parsed && offauth_payment_verify (&a->p);
  if (!a->payer_ok)
    return TRUE;
  if (!find_sale (a, &error))
    return storage_failed (a, error);
  if (!a->recorded || t->latest_request_id == 0 ||
      memcmp (a->p.request.challenge, t->latest_challenge, OFFAUTH_CHALLENGE_SIZE) != 0)
    return TRUE;

  if (!_offauth_journal_hash (t, d->sale_number, &found, d->journal_hash, &error))
    return storage_failed (a, error);
  d->approved = TRUE;
  d->already_recorded = TRUE;
  d->reason = OFFAUTH_REASON_NONE;
  g_snprintf (d->detail, sizeof d->detail, "already recorded as sale %" G_GUINT64_FORMAT,
              d->sale_number);
  return FALSE;
}

/* The terminal state. The amount counts toward the caps only once the payer's signature
 * vouches for it. */
static gboolean
check_terminal_state (Authorization *a)
{
  OffauthReason state = _offauth_terminal_check_state (a->t, a->now,
                                                       a->payer_ok ? a->p.request.amount : 0);

  if (state != OFFAUTH_REASON_NONE)
    {
      refuse (a->d, state, "%s", offauth_reason_detail (state));
      if (state == OFFAUTH_REASON_STORAGE_UNAVAILABLE)
        flag_unknown (a);
      return FALSE;
    }
  return TRUE;
}

/* 1. A code that does not decode to a payment's size is a bad scan (cut short, or read
 * wrong): the cashier scans again. */
static gboolean
check_malformed (Authorization *a)
{
  OffauthDecision *d = a->d;

  if (a->bin == NULL || a->bin_len != OFFAUTH_PAYMENT_SIZE)
    {
      d->garbled = TRUE;
      return refuse (d, OFFAUTH_REASON_MALFORMED, "%s", a->error ? a->error->message : "no code");
    }
  if (!a->parsed)
    return refuse (d, OFFAUTH_REASON_MALFORMED, "%s", a->error->message);

  memcpy (d->sale_id, a->p.sale_id, OFFAUTH_SALE_ID_SIZE);
  d->amount = a->p.request.amount;
  memcpy (d->currency, a->p.request.currency, 4);
  return TRUE;
}

/* 2. */
static gboolean
check_payer_signature (Authorization *a)
{
  if (!a->payer_ok)
    return refuse (a->d, OFFAUTH_REASON_BAD_PAYER_SIGNATURE, "payer signature does not verify");
  return TRUE;
}

/* 3. Already recorded, for an older request: an old payment shown again. */
static gboolean
check_already_recorded (Authorization *a)
{
  OffauthDecision *d = a->d;
  GError *error = NULL;
  gboolean found;

  if (a->recorded)
    {
      if (!_offauth_journal_hash (a->t, d->sale_number, &found, d->journal_hash, &error))
        return storage_failed (a, error);
      return refuse (d, OFFAUTH_REASON_ALREADY_RECORDED,
                     "already recorded as sale %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT,
                     d->sale_number, d->time);
    }
  d->time = 0;
  return TRUE;
}

/* 4. */
static gboolean
check_issuer (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthCredential *cred = &a->p.credential;

  a->key = t->has_bundle ? offauth_bundle_find_key (&t->bundle, cred->issuer_key_id) : NULL;
  if (a->key == NULL)
    return refuse (a->d, OFFAUTH_REASON_UNKNOWN_ISSUER_KEY, "issuer key not in trust bundle %"
                   G_GUINT64_FORMAT, t->bundle.sequence);
  if (a->now < a->key->not_before || a->now > a->key->not_after)
    return refuse (a->d, OFFAUTH_REASON_ISSUER_KEY_EXPIRED, "issuer key valid %" G_GUINT64_FORMAT
                   "..%" G_GUINT64_FORMAT, a->key->not_before, a->key->not_after);
  if (!offauth_credential_verify (cred, a->key->public_key))
    return refuse (a->d, OFFAUTH_REASON_BAD_ISSUER_SIGNATURE, "issuer signature does not verify");
  return TRUE;
}

/* 5. The request this terminal issued. */
static gboolean
check_request (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthRequest *req = &a->p.request;
  g_autoptr(OffauthStmt) s = NULL;
  GError *error = NULL;
  gint64 request_id = 0;
  guint64 created_at = 0, age;
  gboolean same_bytes = FALSE, row;

  if (strcmp (req->merchant_id, t->merchant_id) != 0 ||
      memcmp (req->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0)
    return refuse (a->d, OFFAUTH_REASON_WRONG_TERMINAL, "request for merchant %s", req->merchant_id);

  if ((s = _offauth_db_stmt (t, ST_FIND_REQUEST, &error)) == NULL)
    return storage_failed (a, error);
  sqlite3_bind_blob (s, 1, req->challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (t, s, &row, &error))
    return storage_failed (a, error);
  if (row)
    {
      request_id = sqlite3_column_int64 (s, 0);
      same_bytes = _offauth_db_blob_equals (s, 1, req->raw, OFFAUTH_REQUEST_SIZE);
      created_at = (guint64) sqlite3_column_int64 (s, 2);
    }
  if (request_id == 0)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_UNKNOWN, "challenge never issued here");
  if (request_id != t->latest_request_id)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_SUPERSEDED, "a newer request was issued");
  if (!same_bytes)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_MISMATCH, "request bytes differ from those issued");
  if (t->has_sale && memcmp (t->last_sale_challenge, req->challenge, OFFAUTH_CHALLENGE_SIZE) == 0)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_USED, "request already paid");
  /* Ages come from the monotonic clock while this process issued the request. */
  if (t->latest_request_mono != 0)
    age = (guint64) ((g_get_monotonic_time () - t->latest_request_mono) / G_USEC_PER_SEC);
  else
    age = a->now > created_at ? a->now - created_at : 0;
  if (age > t->config.request_lifetime)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_EXPIRED, "request is %" G_GUINT64_FORMAT " s old",
                   age);
  return TRUE;
}

/* 6. The credential. */
static gboolean
check_credential (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthCredential *cred = &a->p.credential;
  const OffauthRequest *req = &a->p.request;
  g_autoptr(OffauthStmt) s = NULL;
  GError *error = NULL;
  gboolean row;

  if (a->now + OFFAUTH_CLOCK_SKEW < cred->not_before)
    return refuse (a->d, OFFAUTH_REASON_NOT_YET_VALID, "valid from %" G_GUINT64_FORMAT,
                   cred->not_before);
  if (a->now > cred->not_after)
    return refuse (a->d, OFFAUTH_REASON_EXPIRED, "expired at %" G_GUINT64_FORMAT, cred->not_after);
  if (memcmp (cred->currency, req->currency, 3) != 0)
    return refuse (a->d, OFFAUTH_REASON_CURRENCY_MISMATCH, "credential in %s, request in %s",
                   cred->currency, req->currency);
  a->list = g_hash_table_lookup (t->revocations, cred->issuer_key_id);
  if (a->list != NULL && offauth_revocation_list_contains (a->list, cred->credential_id))
    return refuse (a->d, OFFAUTH_REASON_REVOKED, "on revocation list %" G_GUINT64_FORMAT,
                   a->list->sequence);

  if ((s = _offauth_db_stmt (t, ST_NEGATIVE, &error)) == NULL)
    return storage_failed (a, error);
  sqlite3_bind_blob (s, 1, cred->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (t, s, &row, &error))
    return storage_failed (a, error);
  if (row)
    return refuse (a->d, OFFAUTH_REASON_NEGATIVE_LIST, "credential on the negative list");

  /* A key's scope, when set, also binds its credentials: they must carry it (PROTOCOL.md,
   * trust bundle), so a scope-0 credential of a scoped key is out of scope everywhere. */
  if ((cred->scope != 0 && cred->scope != req->scope) ||
      (a->key->scope != 0 && a->key->scope != req->scope) ||
      (a->key->scope != 0 && cred->scope != a->key->scope))
    return refuse (a->d, OFFAUTH_REASON_OUT_OF_SCOPE, "credential scope %u, key scope %u, merchant %u",
                   cred->scope, a->key->scope, req->scope);
  return TRUE;
}

/* 7. A counter that belongs to another sale: a double spend. */
static gboolean
check_counter (Authorization *a)
{
  g_autoptr(OffauthStmt) s = NULL;
  GError *error = NULL;
  gboolean row;

  if ((s = _offauth_db_stmt (a->t, ST_FIND_COUNTER, &error)) == NULL)
    return storage_failed (a, error);
  sqlite3_bind_blob (s, 1, a->p.credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, a->p.counter);
  if (!_offauth_db_step (a->t, s, &row, &error))
    return storage_failed (a, error);
  if (row)
    return refuse (a->d, OFFAUTH_REASON_COUNTER_REUSED, "counter %u already used by sale %"
                   G_GUINT64_FORMAT, a->p.counter, (guint64) sqlite3_column_int64 (s, 0));
  return TRUE;
}

/* 8. The payer's limits. */
static gboolean
check_limits (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthCredential *cred = &a->p.credential;
  guint64 amount = a->p.request.amount;
  g_autoptr(OffauthStmt) s = NULL;
  GError *error = NULL;
  gboolean row;

  if ((s = _offauth_db_stmt (t, ST_CRED_TOTALS, &error)) == NULL)
    return storage_failed (a, error);
  sqlite3_bind_blob (s, 1, cred->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (t, s, &row, &error))
    return storage_failed (a, error);
  if (row)
    {
      a->cred_count = (guint64) sqlite3_column_int64 (s, 0);
      a->cred_total = (guint64) sqlite3_column_int64 (s, 1);
    }

  if (amount > cred->per_payment_limit)
    return refuse (a->d, OFFAUTH_REASON_OVER_PAYMENT_LIMIT, "limit %" G_GUINT64_FORMAT,
                   cred->per_payment_limit);
  if ((a->list == NULL || a->now > a->list->next_update) && amount > t->config.stale_cap)
    return refuse (a->d, OFFAUTH_REASON_REVOCATION_STALE,
                   a->list == NULL ? "no revocation list for the issuer key, amount above %" G_GUINT64_FORMAT
                                   : "revocation list past next_update, amount above %" G_GUINT64_FORMAT,
                   t->config.stale_cap);
  if (a->p.counter > cred->max_offline_count || a->cred_count >= cred->max_offline_count)
    return refuse (a->d, OFFAUTH_REASON_OVER_OFFLINE_COUNT, "counter %u, %" G_GUINT64_FORMAT
                   " sales here, at most %u", a->p.counter, a->cred_count, cred->max_offline_count);
  if (_offauth_sat_add (a->cred_total, amount) > cred->offline_total_limit)
    return refuse (a->d, OFFAUTH_REASON_OVER_OFFLINE_TOTAL, "%" G_GUINT64_FORMAT " spent here, limit %"
                   G_GUINT64_FORMAT, a->cred_total, cred->offline_total_limit);
  return TRUE;
}

/* 9. Floor limits: above them the sale needs an online authorization. */
static gboolean
check_floors (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthSaleLine *lines = a->lines;
  guint64 amount = a->p.request.amount;

  if (t->config.floor_limit > 0 && amount > t->config.floor_limit)
    return refuse (a->d, OFFAUTH_REASON_OVER_FLOOR_LIMIT, "terminal floor %" G_GUINT64_FORMAT,
                   t->config.floor_limit);
  for (gsize i = 0; i < a->n_lines; i++)
    {
      const guint64 *floor;
      guint64 sum = 0;

      /* A floor of 0 means no floor, as for the terminal's floor_limit. */
      if (lines[i].category == NULL ||
          (floor = g_hash_table_lookup (t->category_floors, lines[i].category)) == NULL || *floor == 0)
        continue;
      for (gsize j = 0; j < a->n_lines; j++)
        if (g_strcmp0 (lines[j].category, lines[i].category) == 0)
          sum = _offauth_sat_add (sum, lines[j].amount);
      if (sum > *floor)
        return refuse (a->d, OFFAUTH_REASON_OVER_FLOOR_LIMIT, "category %s floor %" G_GUINT64_FORMAT,
                       lines[i].category, *floor);
    }
  return TRUE;
}

/* 10. The durable commit; nothing is approved without it. */
static gboolean
check_commit (Authorization *a)
{
  OffauthDecision *d = a->d;
  g_autoptr(GError) error = NULL;

  if (!commit_sale (a->t, &a->p, a->online, a->now, a->cred_count, a->cred_total, d, &error))
    {
      /* The head in memory may no longer be the database's: read it again, so that a
       * sale that did reach the disk is found when the same code is scanned again. */
      refuse (d, OFFAUTH_REASON_STORAGE_UNAVAILABLE, "%s", error->message);
      if (a->t->unresolved)
        {
          /* COMMIT was issued: the sale may be on disk. Paused until resolved. */
          a->t->unresolved_sale = TRUE;
          memcpy (a->t->unresolved_sale_id, a->p.sale_id, OFFAUTH_SALE_ID_SIZE);
          flag_unknown (a);
          return FALSE;
        }
      _offauth_terminal_load_state (a->t, NULL);
      return FALSE;
    }
  d->approved = TRUE;
  d->reason = OFFAUTH_REASON_NONE;
  d->mode = a->online != NULL ? OFFAUTH_MODE_ONLINE : OFFAUTH_MODE_OFFLINE;
  d->time = a->now;
  return TRUE;
}

/* Which modes run a check: the probe for an online request stops before the commit, and
 * a sale the acquirer approved online skips the offline limits and floors (8, 9). */
#define ALL      (1u << OFFAUTH_AUTHORIZE_OFFLINE | 1u << OFFAUTH_AUTHORIZE_PROBE | \
                  1u << OFFAUTH_AUTHORIZE_ONLINE)
#define OFFLINE_ONLY (1u << OFFAUTH_AUTHORIZE_OFFLINE | 1u << OFFAUTH_AUTHORIZE_PROBE)
#define COMMITS  (1u << OFFAUTH_AUTHORIZE_OFFLINE | 1u << OFFAUTH_AUTHORIZE_ONLINE)

static const struct
{
  const char *step;
  CheckFunc   check;
  guint       modes;
} checks[] = {
  { "approved again (3)", check_double_scan, ALL },
  { "terminal state", check_terminal_state, ALL },
  { "malformed (1)", check_malformed, ALL },
  { "payer signature (2)", check_payer_signature, ALL },
  { "already recorded (3)", check_already_recorded, ALL },
  { "issuer (4)", check_issuer, ALL },
  { "request (5)", check_request, ALL },
  { "credential (6)", check_credential, ALL },
  { "counter (7)", check_counter, ALL },
  { "limits (8)", check_limits, OFFLINE_ONLY },
  { "floor limits (9)", check_floors, OFFLINE_ONLY },
  { "commit (10)", check_commit, COMMITS },
};

void
_offauth_authorize (OffauthTerminal             *t,
                    const char                  *text,
                    gssize                       text_len,
                    const OffauthSaleLine       *lines,
                    gsize                        n_lines,
                    OffauthAuthorizeMode         mode,
                    const OffauthOnlineDecision *online,
                    OffauthPayment              *payment,
                    OffauthDecision             *d)
{
  Authorization a = { .t = t, .text = text, .text_len = text_len, .lines = lines,
                      .n_lines = n_lines, .d = d, .mode = mode, .online = online };

  g_assert ((mode == OFFAUTH_AUTHORIZE_ONLINE) == (online != NULL));
  memset (d, 0, sizeof *d);
  a.now = offauth_terminal_now (t);
  /* A scan is the cashier's cue to try now: the same code scanned again after an unknown
   * outcome is then "already paid" (the sale is there) or decided afresh (it is not). */
  if (t->unresolved)
    offauth_terminal_resolve (t, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (checks); i++)
    if ((checks[i].modes & (1u << mode)) != 0 && !checks[i].check (&a))
      {
        g_debug ("decided at step %s: %s", checks[i].step, offauth_reason_code (d->reason));
        break;
      }
  if (payment != NULL)
    {
      memset (payment, 0, sizeof *payment);
      if (a.parsed)
        *payment = a.p;
    }
  g_clear_error (&a.error);
  g_free (a.bin);
}

void
offauth_terminal_authorize (OffauthTerminal       *t,
                            const char            *text,
                            gssize                 text_len,
                            const OffauthSaleLine *lines,
                            gsize                  n_lines,
                            OffauthDecision       *d)
{
  g_return_if_fail (t != NULL);
  g_return_if_fail (d != NULL);
  g_return_if_fail (lines != NULL || n_lines == 0);

  _offauth_authorize (t, text, text_len, lines, n_lines, OFFAUTH_AUTHORIZE_OFFLINE, NULL, NULL, d);
}
