/* offauth-wire-sync.c: the reconciliation messages U, A, O, D and the verdicts they carry.
 *
 * PROTOCOL.md, "Reconciliation": the sync request and answer, the online request and the
 * acquirer's decision. The header checks and the text form are offauth-wire.c's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "offauth-private.h"
#include "offauth-wire.h"
#include "offauth-wire-private.h"

#define get_u32 _offauth_get_u32
#define get_u64 _offauth_get_u64
#define put_u32 _offauth_put_u32
#define put_u64 _offauth_put_u64

/* Reconciliation: names, verdicts */

static const char *settle_reason_names[] = {
  [OFFAUTH_SETTLE_OK] = "settled",
  [OFFAUTH_SETTLE_MALFORMED] = "malformed",
  [OFFAUTH_SETTLE_BAD_SIGNATURE] = "bad_signature",
  [OFFAUTH_SETTLE_WRONG_TERMINAL] = "wrong_terminal",
  [OFFAUTH_SETTLE_UNKNOWN_CREDENTIAL] = "unknown_credential",
  [OFFAUTH_SETTLE_DOUBLE_SPEND] = "double_spend",
  [OFFAUTH_SETTLE_REVOKED] = "revoked",
  [OFFAUTH_SETTLE_OVER_OFFLINE_LIMIT] = "over_offline_limit",
  [OFFAUTH_SETTLE_INSUFFICIENT_FUNDS] = "insufficient_funds",
  [OFFAUTH_SETTLE_RETRIES_EXHAUSTED] = "retries_exhausted",
  [OFFAUTH_SETTLE_WITHDRAWN] = "withdrawn",
  [OFFAUTH_SETTLE_REVERSED] = "reversed",
  [OFFAUTH_SETTLE_INVALID_CREDENTIAL] = "invalid_credential",
};

const char *
offauth_settle_reason_name (guint reason)
{
  return reason < G_N_ELEMENTS (settle_reason_names) ? settle_reason_names[reason] : "?";
}

static const char *wire_state_names[] = {
  [OFFAUTH_WIRE_STATE_SETTLED] = "settled",
  [OFFAUTH_WIRE_STATE_DECLINED] = "declined",
  [OFFAUTH_WIRE_STATE_RETRY] = "retry",
  [OFFAUTH_WIRE_STATE_WRITTEN_OFF] = "written_off",
  [OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE] = "collected_otherwise",
};

const char *
offauth_wire_state_name (guint state)
{
  return state >= 1 && state < G_N_ELEMENTS (wire_state_names) ? wire_state_names[state] : "?";
}

/* The (state, reason) pairs a terminal accepts in an answer, retry_after non-zero exactly
 * for (3, 8), and attempt 1 at upload, one more per scheduled attempt, at most 5. */
const char *
offauth_verdict_problem (const OffauthVerdict *v)
{
  gboolean pair_ok;

  switch (v->state)
    {
    case OFFAUTH_WIRE_STATE_SETTLED:
      pair_ok = v->reason == OFFAUTH_SETTLE_OK;
      break;
    case OFFAUTH_WIRE_STATE_DECLINED:
      pair_ok = (v->reason >= 1 && v->reason <= 3) || (v->reason >= 5 && v->reason <= 7) ||
                v->reason == 9 || v->reason == 10 || v->reason == 12;
      break;
    case OFFAUTH_WIRE_STATE_RETRY:
      pair_ok = (v->reason >= 2 && v->reason <= 4) || v->reason == 8;
      break;
    default:
      return "state is not 1, 2 or 3";
    }
  if (!pair_ok)
    return "reason is not one of its state";
  if (v->state == OFFAUTH_WIRE_STATE_RETRY && v->reason == OFFAUTH_SETTLE_INSUFFICIENT_FUNDS)
    {
      if (v->retry_after == 0)
        return "retry_after is 0 for insufficient_funds";
    }
  else if (v->retry_after != 0)
    return "retry_after is not 0";
  if (v->attempt < 1 || v->attempt > OFFAUTH_VERDICT_MAX_ATTEMPT)
    return "attempt is not 1 to 5";
  return NULL;
}

void
offauth_verdict_read (OffauthVerdict *out,
                      const guint8    d[OFFAUTH_VERDICT_SIZE])
{
  out->sale_seq = get_u64 (d);
  memcpy (out->sale_id, d + 8, OFFAUTH_SALE_ID_SIZE);
  out->state = d[40];
  out->reason = d[41];
  out->attempt = (guint16) (d[42] | d[43] << 8);
  out->retry_after = get_u64 (d + 48);
}

void
offauth_verdict_write (const OffauthVerdict *v,
                       guint8                d[OFFAUTH_VERDICT_SIZE])
{
  put_u64 (d, v->sale_seq);
  memcpy (d + 8, v->sale_id, OFFAUTH_SALE_ID_SIZE);
  d[40] = v->state;
  d[41] = v->reason;
  d[42] = v->attempt & 0xff;
  d[43] = v->attempt >> 8;
  put_u32 (d + 44, 0);
  put_u64 (d + 48, v->retry_after);
}

/* U and O are signed over TAG || key id of the pinned acquirer key || body. */
static gboolean
bound_signature (guint8       *sig_out,
                 const guint8 *sig_in,
                 const char   *tag,
                 const guint8  acquirer_pk[OFFAUTH_PK_SIZE],
                 const guint8 *body,
                 gsize         len,
                 const guint8 *sk,
                 const guint8 *pk)
{
  gsize total = OFFAUTH_TAG_SIZE + OFFAUTH_KEY_ID_SIZE + len;
  g_autofree guint8 *buf = g_malloc (total);

  memcpy (buf, tag, OFFAUTH_TAG_SIZE);
  offauth_key_id (buf + OFFAUTH_TAG_SIZE, acquirer_pk);
  memcpy (buf + OFFAUTH_TAG_SIZE + OFFAUTH_KEY_ID_SIZE, body, len);
  if (sk != NULL)
    {
      crypto_sign_detached (sig_out, NULL, buf, total, sk);
      return TRUE;
    }
  return crypto_sign_verify_detached (sig_in, buf, total, pk) == 0;
}

static void
hash_bytes (GBytes *raw,
            guint8  out[OFFAUTH_HASH_SIZE])
{
  gsize len;
  const guint8 *d = g_bytes_get_data (raw, &len);

  offauth_hash (out, d, len);
}

static void *
refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void *
refuse (GError **error, const char *format, ...)
{
  va_list args;

  if (error != NULL)
    {
      va_start (args, format);
      *error = g_error_new_valist (OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED, format, args);
      va_end (args);
    }
  return NULL;
}

/* Sync request U */

void
offauth_sync_request_free (OffauthSyncRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->asks);
  g_free (request->records);
  g_bytes_unref (request->raw);
  g_free (request);
}

OffauthSyncRequest *
offauth_sync_request_parse (const guint8  *data,
                            gsize          len,
                            GError       **error)
{
  g_autoptr(OffauthSyncRequest) u = NULL;
  const guint8 *d;
  guint32 r, n;
  gsize pos, end;

  if (!check_header (data, len, OFFAUTH_SYNC_REQUEST_MIN_SIZE, 'U', 3, "sync request", error))
    return NULL;
  if (len > OFFAUTH_SYNC_MAX_SIZE)
    return refuse (error, "sync request: %" G_GSIZE_FORMAT " bytes, at most 50331644 allowed",
                   len);
  r = get_u32 (data + 80);
  n = get_u32 (data + 84);
  if (r > OFFAUTH_SYNC_MAX_ASKS)
    return refuse (error, "sync request: %u retry asks, at most 1024 allowed", r);
  if (n > OFFAUTH_SYNC_MAX_RECORDS)
    return refuse (error, "sync request: %u records, at most 65536 allowed", n);
  end = len - OFFAUTH_SIG_SIZE;
  pos = 88 + 8 * (gsize) r;
  /* Every record takes at least 4 + 9 bytes: checked before anything is allocated. */
  if (pos + 13 * (gsize) n > end)
    return refuse (error, "sync request: %" G_GSIZE_FORMAT " bytes cannot hold %u retry asks"
                   " and %u records", len, r, n);
  if (get_u64 (data + 24) < 1)
    return refuse (error, "sync request: first_seq is 0");
  if (n > 0 && get_u64 (data + 24) > G_MAXUINT64 - (n - 1))
    return refuse (error, "sync request: the rows run past the largest seq");

  u = g_new0 (OffauthSyncRequest, 1);
  u->raw = g_bytes_new (data, len);
  d = g_bytes_get_data (u->raw, NULL);
  memcpy (u->terminal_id, d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  u->first_seq = get_u64 (d + 24);
  memcpy (u->prev_hash, d + 32, OFFAUTH_HASH_SIZE);
  u->created_at = get_u64 (d + 64);
  u->verdict_cursor = get_u64 (d + 72);
  u->n_asks = r;
  u->asks = g_new (guint64, MAX (r, 1));
  for (guint32 i = 0; i < r; i++)
    {
      u->asks[i] = get_u64 (d + 88 + 8 * (gsize) i);
      if (u->asks[i] < 1)
        return refuse (error, "sync request: retry ask %u names row 0", i);
      if (i > 0 && u->asks[i - 1] >= u->asks[i])
        return refuse (error, "sync request: retry asks not strictly ascending at %u", i);
    }
  u->n_records = n;
  u->records = g_new (OffauthView, MAX (n, 1));
  for (guint32 i = 0; i < n; i++)
    {
      guint32 rlen;

      if (end - pos < 4)
        return refuse (error, "sync request: record %u has no length", i);
      rlen = get_u32 (d + pos);
      if (rlen < OFFAUTH_SYNC_RECORD_MIN || rlen > OFFAUTH_SYNC_RECORD_MAX)
        return refuse (error, "sync request: record %u is %u bytes, 9 to 1048576 allowed", i,
                       rlen);
      pos += 4;
      if (end - pos < rlen)
        return refuse (error, "sync request: record %u runs into the signature", i);
      u->records[i].data = d + pos;
      u->records[i].len = rlen;
      pos += rlen;
    }
  if (pos != end)
    return refuse (error, "sync request: %" G_GSIZE_FORMAT " bytes after the last record",
                   end - pos);
  memcpy (u->signature, d + end, OFFAUTH_SIG_SIZE);
  return g_steal_pointer (&u);
}

OffauthSyncRequest *
offauth_sync_request_parse_text (const char  *text,
                                 gssize       text_len,
                                 GError     **error)
{
  g_autofree guint8 *bin = NULL;
  gsize len = 0;

  bin = offauth_text_decode (text, text_len, 'U', &len, error);
  if (bin == NULL)
    return NULL;
  return offauth_sync_request_parse (bin, len, error);
}

/* The binary with the fields' signature bytes; the parser checks every bound. */
static guint8 *
sync_request_bytes (const OffauthSyncRequest *f,
                    gsize                    *len_out,
                    GError                  **error)
{
  gsize len = OFFAUTH_SYNC_REQUEST_MIN_SIZE + 8 * (gsize) f->n_asks, pos;
  guint8 *d;

  if (f->n_asks > OFFAUTH_SYNC_MAX_ASKS || f->n_records > OFFAUTH_SYNC_MAX_RECORDS)
    return refuse (error, "sync request: too many retry asks or records");
  for (guint32 i = 0; i < f->n_records; i++)
    {
      if (f->records[i].len > OFFAUTH_SYNC_RECORD_MAX)
        return refuse (error, "sync request: record %u is longer than 1048576 bytes", i);
      len += 4 + f->records[i].len;
      if (len > OFFAUTH_SYNC_MAX_SIZE)
        return refuse (error, "sync request: longer than 50331644 bytes");
    }
  d = g_malloc (len);
  write_header (d, 88, 'U');
  memcpy (d + 8, f->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  put_u64 (d + 24, f->first_seq);
  memcpy (d + 32, f->prev_hash, OFFAUTH_HASH_SIZE);
  put_u64 (d + 64, f->created_at);
  put_u64 (d + 72, f->verdict_cursor);
  put_u32 (d + 80, f->n_asks);
  put_u32 (d + 84, f->n_records);
  pos = 88;
  for (guint32 i = 0; i < f->n_asks; i++, pos += 8)
    put_u64 (d + pos, f->asks[i]);
  for (guint32 i = 0; i < f->n_records; i++)
    {
      put_u32 (d + pos, (guint32) f->records[i].len);
      if (f->records[i].len > 0)
        memcpy (d + pos + 4, f->records[i].data, f->records[i].len);
      pos += 4 + f->records[i].len;
    }
  memcpy (d + pos, f->signature, OFFAUTH_SIG_SIZE);
  *len_out = len;
  return d;
}

GBytes *
offauth_sync_request_encode (const OffauthSyncRequest *fields,
                             GError                  **error)
{
  g_autoptr(OffauthSyncRequest) check = NULL;
  gsize len;
  guint8 *d;

  g_return_val_if_fail (fields != NULL, NULL);

  d = sync_request_bytes (fields, &len, error);
  if (d == NULL)
    return NULL;
  check = offauth_sync_request_parse (d, len, error);
  if (check == NULL)
    {
      g_free (d);
      return NULL;
    }
  return g_bytes_new_take (d, len);
}

OffauthSyncRequest *
offauth_sync_request_sign (const OffauthSyncRequest *fields,
                           const guint8              acquirer_pk[OFFAUTH_PK_SIZE],
                           const OffauthSecretKey   *terminal_key,
                           GError                  **error)
{
  g_autofree guint8 *d = NULL;
  gsize len;

  g_return_val_if_fail (fields != NULL && acquirer_pk != NULL && terminal_key != NULL, NULL);

  d = sync_request_bytes (fields, &len, error);
  if (d == NULL)
    return NULL;
  bound_signature (d + len - OFFAUTH_SIG_SIZE, NULL, OFFAUTH_TAG_UPLD, acquirer_pk, d,
                   len - OFFAUTH_SIG_SIZE, terminal_key->sk, NULL);
  return offauth_sync_request_parse (d, len, error);
}

gboolean
offauth_sync_request_verify (const OffauthSyncRequest *u,
                             const guint8              acquirer_pk[OFFAUTH_PK_SIZE],
                             const guint8              terminal_pk[OFFAUTH_PK_SIZE])
{
  gsize len;
  const guint8 *d = g_bytes_get_data (u->raw, &len);

  return bound_signature (NULL, d + len - OFFAUTH_SIG_SIZE, OFFAUTH_TAG_UPLD, acquirer_pk, d,
                          len - OFFAUTH_SIG_SIZE, NULL, terminal_pk);
}

void
offauth_sync_request_hash (const OffauthSyncRequest *u,
                           guint8                    out[OFFAUTH_HASH_SIZE])
{
  hash_bytes (u->raw, out);
}

/* Sync answer A */

void
offauth_sync_answer_free (OffauthSyncAnswer *answer)
{
  if (answer == NULL)
    return;
  g_free (answer->verdicts);
  g_bytes_unref (answer->raw);
  g_free (answer);
}

static int
compare_sale_ids (gconstpointer a, gconstpointer b)
{
  return memcmp (*(const guint8 * const *) a, *(const guint8 * const *) b, OFFAUTH_SALE_ID_SIZE);
}

/* No sale twice: the sale ids of the verdicts are distinct. */
static gboolean
sale_ids_distinct (const OffauthVerdict *v,
                   guint32               n)
{
  g_autofree const guint8 **ids = NULL;

  if (n < 2)
    return TRUE;
  ids = g_new (const guint8 *, n);
  for (guint32 i = 0; i < n; i++)
    ids[i] = v[i].sale_id;
  qsort (ids, n, sizeof ids[0], compare_sale_ids);
  for (guint32 i = 1; i < n; i++)
    if (memcmp (ids[i - 1], ids[i], OFFAUTH_SALE_ID_SIZE) == 0)
      return FALSE;
  return TRUE;
}

OffauthSyncAnswer *
offauth_sync_answer_parse (const guint8  *data,
                           gsize          len,
                           GError       **error)
{
  g_autoptr(OffauthSyncAnswer) a = NULL;
  const guint8 *d;
  guint32 n;

  if (!check_header (data, len, OFFAUTH_SYNC_ANSWER_MIN_SIZE, 'A', 3, "sync answer", error))
    return NULL;
  if (len > OFFAUTH_SYNC_MAX_SIZE)
    return refuse (error, "sync answer: %" G_GSIZE_FORMAT " bytes, at most 50331644 allowed",
                   len);
  n = get_u32 (data + 112);
  if (len != OFFAUTH_SYNC_ANSWER_MIN_SIZE + OFFAUTH_VERDICT_SIZE * (gsize) n)
    return refuse (error, "sync answer: %" G_GSIZE_FORMAT " bytes, %u verdicts need %"
                   G_GSIZE_FORMAT, len, n,
                   OFFAUTH_SYNC_ANSWER_MIN_SIZE + OFFAUTH_VERDICT_SIZE * (gsize) n);
  if ((get_u32 (data + 116) & ~OFFAUTH_SYNC_FLAG_MORE) != 0)
    return refuse (error, "sync answer: unknown flags are set");
  if (get_u64 (data + 24) == 0 && !all_zero (data + 32, OFFAUTH_HASH_SIZE))
    return refuse (error, "sync answer: h_acked is not zero while acked_seq is 0");

  a = g_new0 (OffauthSyncAnswer, 1);
  a->raw = g_bytes_new (data, len);
  d = g_bytes_get_data (a->raw, NULL);
  memcpy (a->terminal_id, d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  a->acked_seq = get_u64 (d + 24);
  memcpy (a->h_acked, d + 32, OFFAUTH_HASH_SIZE);
  a->acquirer_time = get_u64 (d + 64);
  memcpy (a->request_hash, d + 72, OFFAUTH_HASH_SIZE);
  a->verdict_cursor = get_u64 (d + 104);
  a->n_verdicts = n;
  a->flags = get_u32 (d + 116);
  a->verdicts = g_new (OffauthVerdict, MAX (n, 1));
  for (guint32 i = 0; i < n; i++)
    {
      const guint8 *e = d + 120 + OFFAUTH_VERDICT_SIZE * (gsize) i;
      OffauthVerdict *v = &a->verdicts[i];
      const char *problem;

      offauth_verdict_read (v, e);
      if (!all_zero (e + 44, 4))
        return refuse (error, "sync answer: verdict %u has non-zero reserved bytes", i);
      if (v->sale_seq < 1 || v->sale_seq > a->acked_seq)
        return refuse (error, "sync answer: verdict %u names row %" G_GUINT64_FORMAT
                       ", not one of 1 to acked_seq", i, v->sale_seq);
      if (i > 0 && a->verdicts[i - 1].sale_seq >= v->sale_seq)
        return refuse (error, "sync answer: verdicts not strictly ascending at %u", i);
      if ((problem = offauth_verdict_problem (v)) != NULL)
        return refuse (error, "sync answer: verdict %u: %s", i, problem);
    }
  if (!sale_ids_distinct (a->verdicts, n))
    return refuse (error, "sync answer: two verdicts for one sale id");
  memcpy (a->signature, d + len - OFFAUTH_SIG_SIZE, OFFAUTH_SIG_SIZE);
  return g_steal_pointer (&a);
}

OffauthSyncAnswer *
offauth_sync_answer_parse_text (const char  *text,
                                gssize       text_len,
                                GError     **error)
{
  g_autofree guint8 *bin = NULL;
  gsize len = 0;

  bin = offauth_text_decode (text, text_len, 'A', &len, error);
  if (bin == NULL)
    return NULL;
  return offauth_sync_answer_parse (bin, len, error);
}

static guint8 *
sync_answer_bytes (const OffauthSyncAnswer *f,
                   gsize                   *len_out,
                   GError                 **error)
{
  gsize len;
  guint8 *d;

  if (f->n_verdicts > (OFFAUTH_SYNC_MAX_SIZE - OFFAUTH_SYNC_ANSWER_MIN_SIZE) / OFFAUTH_VERDICT_SIZE)
    return refuse (error, "sync answer: longer than 50331644 bytes");
  len = OFFAUTH_SYNC_ANSWER_MIN_SIZE + OFFAUTH_VERDICT_SIZE * (gsize) f->n_verdicts;
  d = g_malloc (len);
  write_header (d, 120, 'A');
  memcpy (d + 8, f->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  put_u64 (d + 24, f->acked_seq);
  memcpy (d + 32, f->h_acked, OFFAUTH_HASH_SIZE);
  put_u64 (d + 64, f->acquirer_time);
  memcpy (d + 72, f->request_hash, OFFAUTH_HASH_SIZE);
  put_u64 (d + 104, f->verdict_cursor);
  put_u32 (d + 112, f->n_verdicts);
  put_u32 (d + 116, f->flags);
  for (guint32 i = 0; i < f->n_verdicts; i++)
    offauth_verdict_write (&f->verdicts[i], d + 120 + OFFAUTH_VERDICT_SIZE * (gsize) i);
  memcpy (d + len - OFFAUTH_SIG_SIZE, f->signature, OFFAUTH_SIG_SIZE);
  *len_out = len;
  return d;
}

GBytes *
offauth_sync_answer_encode (const OffauthSyncAnswer *fields,
                            GError                 **error)
{
  g_autoptr(OffauthSyncAnswer) check = NULL;
  gsize len;
  guint8 *d;

  g_return_val_if_fail (fields != NULL, NULL);

  d = sync_answer_bytes (fields, &len, error);
  if (d == NULL)
    return NULL;
  check = offauth_sync_answer_parse (d, len, error);
  if (check == NULL)
    {
      g_free (d);
      return NULL;
    }
  return g_bytes_new_take (d, len);
}

OffauthSyncAnswer *
offauth_sync_answer_sign (const OffauthSyncAnswer *fields,
                          const OffauthSecretKey  *acquirer_key,
                          GError                 **error)
{
  g_autofree guint8 *d = NULL;
  gsize len;

  g_return_val_if_fail (fields != NULL && acquirer_key != NULL, NULL);

  d = sync_answer_bytes (fields, &len, error);
  if (d == NULL)
    return NULL;
  offauth_sign (d + len - OFFAUTH_SIG_SIZE, OFFAUTH_TAG_ACKN, d, len - OFFAUTH_SIG_SIZE,
                acquirer_key->sk);
  return offauth_sync_answer_parse (d, len, error);
}

gboolean
offauth_sync_answer_verify (const OffauthSyncAnswer *a,
                            const guint8             acquirer_pk[OFFAUTH_PK_SIZE])
{
  gsize len;
  const guint8 *d = g_bytes_get_data (a->raw, &len);

  return offauth_verify (d + len - OFFAUTH_SIG_SIZE, OFFAUTH_TAG_ACKN, d,
                         len - OFFAUTH_SIG_SIZE, acquirer_pk);
}

void
offauth_sync_answer_hash (const OffauthSyncAnswer *a,
                          guint8                   out[OFFAUTH_HASH_SIZE])
{
  hash_bytes (a->raw, out);
}

/* Online request O */

#define ONLINE_SIGNED (OFFAUTH_ONLINE_REQUEST_SIZE - OFFAUTH_SIG_SIZE)

gboolean
offauth_online_request_parse (OffauthOnlineRequest  *out,
                              const guint8          *d,
                              gsize                  len,
                              GError               **error)
{
  g_autoptr(GError) inner = NULL;

  if (!check_header (d, len, OFFAUTH_ONLINE_REQUEST_SIZE, 'O', 3, "online request", error))
    return FALSE;
  if (len != OFFAUTH_ONLINE_REQUEST_SIZE)
    return malformed (error, "online request: %" G_GSIZE_FORMAT " bytes instead of 424", len);
  if (!offauth_payment_parse (&out->payment, d + 32, OFFAUTH_PAYMENT_SIZE, &inner))
    return malformed (error, "online request: %s", inner->message);
  memcpy (out->terminal_id, d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  out->created_at = get_u64 (d + 24);
  memcpy (out->signature, d + ONLINE_SIGNED, OFFAUTH_SIG_SIZE);
  memcpy (out->raw, d, OFFAUTH_ONLINE_REQUEST_SIZE);
  return TRUE;
}

gboolean
offauth_online_request_parse_text (OffauthOnlineRequest  *out,
                                   const char            *text,
                                   gssize                 text_len,
                                   GError               **error)
{
  return parse_text (out, text, text_len, 'O', (ParseFunc) offauth_online_request_parse, error);
}

void
offauth_online_request_encode (OffauthOnlineRequest *o)
{
  guint8 *d = o->raw;

  write_header (d, OFFAUTH_ONLINE_REQUEST_SIZE, 'O');
  memcpy (d + 8, o->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  put_u64 (d + 24, o->created_at);
  memcpy (d + 32, o->payment.raw, OFFAUTH_PAYMENT_SIZE);
  memcpy (d + ONLINE_SIGNED, o->signature, OFFAUTH_SIG_SIZE);
}

void
offauth_online_request_sign (OffauthOnlineRequest   *o,
                             const guint8            acquirer_pk[OFFAUTH_PK_SIZE],
                             const OffauthSecretKey *terminal_key)
{
  offauth_online_request_encode (o);
  bound_signature (o->signature, NULL, OFFAUTH_TAG_ONLN, acquirer_pk, o->raw, ONLINE_SIGNED,
                   terminal_key->sk, NULL);
  memcpy (o->raw + ONLINE_SIGNED, o->signature, OFFAUTH_SIG_SIZE);
}

gboolean
offauth_online_request_verify (const OffauthOnlineRequest *o,
                               const guint8                acquirer_pk[OFFAUTH_PK_SIZE],
                               const guint8                terminal_pk[OFFAUTH_PK_SIZE])
{
  return bound_signature (NULL, o->raw + ONLINE_SIGNED, OFFAUTH_TAG_ONLN, acquirer_pk, o->raw,
                          ONLINE_SIGNED, NULL, terminal_pk);
}

/* Decision D */

#define DECISION_SIGNED (OFFAUTH_ONLINE_DECISION_SIZE - OFFAUTH_SIG_SIZE)

gboolean
offauth_online_decision_parse (OffauthOnlineDecision  *out,
                        const guint8     *d,
                        gsize             len,
                        GError          **error)
{
  guint8 result, reason;

  if (!check_header (d, len, OFFAUTH_ONLINE_DECISION_SIZE, 'D', 3, "decision", error))
    return FALSE;
  if (len != OFFAUTH_ONLINE_DECISION_SIZE)
    return malformed (error, "decision: %" G_GSIZE_FORMAT " bytes instead of 144", len);
  if (!all_zero (d + 58, 6))
    return malformed (error, "decision: reserved bytes are not zero");
  result = d[56];
  reason = d[57];
  if (result == OFFAUTH_ONLINE_APPROVED)
    {
      if (reason != OFFAUTH_SETTLE_OK)
        return malformed (error, "decision: an approval with reason %u", reason);
    }
  else if (result == OFFAUTH_ONLINE_DECLINED)
    {
      if (!((reason >= 1 && reason <= 6) || reason == 8 || reason == 11 || reason == 12))
        return malformed (error, "decision: a decline with reason %u", reason);
    }
  else
    return malformed (error, "decision: result %u is not 1 or 2", result);
  memcpy (out->terminal_id, d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (out->sale_id, d + 24, OFFAUTH_SALE_ID_SIZE);
  out->result = result;
  out->reason = reason;
  out->acquirer_time = get_u64 (d + 64);
  out->amount = get_u64 (d + 72);
  memcpy (out->signature, d + DECISION_SIGNED, OFFAUTH_SIG_SIZE);
  memcpy (out->raw, d, OFFAUTH_ONLINE_DECISION_SIZE);
  return TRUE;
}

gboolean
offauth_online_decision_parse_text (OffauthOnlineDecision  *out,
                             const char       *text,
                             gssize            text_len,
                             GError          **error)
{
  return parse_text (out, text, text_len, 'D', (ParseFunc) offauth_online_decision_parse, error);
}

void
offauth_online_decision_encode (OffauthOnlineDecision *dec)
{
  guint8 *d = dec->raw;

  write_header (d, OFFAUTH_ONLINE_DECISION_SIZE, 'D');
  memcpy (d + 8, dec->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (d + 24, dec->sale_id, OFFAUTH_SALE_ID_SIZE);
  d[56] = dec->result;
  d[57] = dec->reason;
  put_u64 (d + 64, dec->acquirer_time);
  put_u64 (d + 72, dec->amount);
  memcpy (d + DECISION_SIGNED, dec->signature, OFFAUTH_SIG_SIZE);
}

void
offauth_online_decision_sign (OffauthOnlineDecision        *dec,
                       const OffauthSecretKey *acquirer_key)
{
  offauth_online_decision_encode (dec);
  offauth_sign (dec->signature, OFFAUTH_TAG_DECN, dec->raw, DECISION_SIGNED, acquirer_key->sk);
  memcpy (dec->raw + DECISION_SIGNED, dec->signature, OFFAUTH_SIG_SIZE);
}

gboolean
offauth_online_decision_verify (const OffauthOnlineDecision *dec,
                         const guint8           acquirer_pk[OFFAUTH_PK_SIZE])
{
  return offauth_verify (dec->raw + DECISION_SIGNED, OFFAUTH_TAG_DECN, dec->raw, DECISION_SIGNED,
                         acquirer_pk);
}

void
offauth_terminal_id_from_key (guint8       out[OFFAUTH_TERMINAL_ID_SIZE],
                              const guint8 terminal_pk[OFFAUTH_PK_SIZE])
{
  guint8 h[OFFAUTH_HASH_SIZE];

  offauth_hash (h, terminal_pk, OFFAUTH_PK_SIZE);
  memcpy (out, h, OFFAUTH_TERMINAL_ID_SIZE);
}
