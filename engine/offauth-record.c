/* offauth-record.c: journal records, kinds 1-9: parse, encode and name each kind.
 *
 * The layouts are docs/protocol.md's table "Record kinds written by this implementation";
 * tests/vectors/gen-vectors.c writes them independently, from the protocol.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include "offauth-private.h"
#include "offauth-record.h"

static const char *kind_names[] = {
  [OFFAUTH_RECORD_SALE_APPROVED] = "sale",
  [OFFAUTH_RECORD_ENROLLED] = "enrolled",
  [OFFAUTH_RECORD_TRUST_LOADED] = "trust",
  [OFFAUTH_RECORD_REVOCATIONS] = "revocations",
  [OFFAUTH_RECORD_CLOCK_ACCEPTED] = "clock",
  [OFFAUTH_RECORD_SETTING] = "setting",
  [OFFAUTH_RECORD_NEGATIVE_LIST] = "negative",
  [OFFAUTH_RECORD_SALE_STATE] = "sale-state",
  [OFFAUTH_RECORD_SYNC_ACCEPTED] = "sync",
  [OFFAUTH_RECORD_ACQUIRER_PINNED] = "acquirer",
};

gboolean
offauth_record_kind_known (guint kind)
{
  return kind < G_N_ELEMENTS (kind_names) && kind_names[kind] != NULL;
}

const char *
offauth_record_kind_name (guint kind)
{
  return offauth_record_kind_known (kind) ? kind_names[kind] : "?";
}

static gboolean
malformed (GError    **error,
           guint       kind,
           const char *what)
{
  g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED, "a %s record %s",
               offauth_record_kind_name (kind), what);
  return FALSE;
}

static gboolean
expect_size (GError **error,
             guint    kind,
             gsize    len,
             gsize    size)
{
  if (len == size)
    return TRUE;
  g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
               "a %s record has %" G_GSIZE_FORMAT " bytes of payload, not %" G_GSIZE_FORMAT,
               offauth_record_kind_name (kind), len, size);
  return FALSE;
}

static gboolean
parse_sale (OffauthRecordSale *r,
            const guint8      *p,
            gsize              len,
            GError           **error)
{
  g_autoptr(GError) local = NULL;

  if (len != OFFAUTH_RECORD_SALE_SIZE && len != OFFAUTH_RECORD_SALE_ONLINE_SIZE)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "a sale record has %" G_GSIZE_FORMAT " bytes of payload, not 329 or 473", len);
      return FALSE;
    }
  if (!offauth_payment_parse (&r->payment, p, OFFAUTH_PAYMENT_SIZE, &local))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "a sale record holds no valid payment: %s", local->message);
      return FALSE;
    }
  r->mode = p[OFFAUTH_PAYMENT_SIZE];
  if (len == OFFAUTH_RECORD_SALE_SIZE)
    {
      if (r->mode != OFFAUTH_MODE_OFFLINE)
        return malformed (error, OFFAUTH_RECORD_SALE_APPROVED, "of 329 bytes is not offline");
      return TRUE;
    }
  if (r->mode != OFFAUTH_MODE_ONLINE)
    return malformed (error, OFFAUTH_RECORD_SALE_APPROVED, "of 473 bytes is not online");
  if (!offauth_online_decision_parse (&r->decision, p + OFFAUTH_PAYMENT_SIZE + 1,
                                      OFFAUTH_ONLINE_DECISION_SIZE, &local))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "an online sale record holds no valid decision: %s", local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_sale_state (OffauthRecordSaleState *r,
                  const guint8           *p,
                  gsize                   len,
                  GError                **error)
{
  const OffauthVerdict *v = &r->verdict;
  const char *problem;

  if (!expect_size (error, OFFAUTH_RECORD_SALE_STATE, len, OFFAUTH_RECORD_SALE_STATE_SIZE))
    return FALSE;
  offauth_verdict_read (&r->verdict, p);
  if (_offauth_get_u32 (p + 44) != 0)
    return malformed (error, OFFAUTH_RECORD_SALE_STATE, "has non-zero reserved bytes");
  if (v->sale_seq < 1)
    return malformed (error, OFFAUTH_RECORD_SALE_STATE, "names row 0");
  if (v->state == OFFAUTH_WIRE_STATE_WRITTEN_OFF ||
      v->state == OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE)
    {
      if (v->reason != 0 || v->attempt != 0 || v->retry_after != 0)
        return malformed (error, OFFAUTH_RECORD_SALE_STATE,
                          "closing a sale has a reason, attempt or retry_after");
      return TRUE;
    }
  if ((problem = offauth_verdict_problem (v)) != NULL)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "a sale-state record is no valid verdict: %s", problem);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_sync_accepted (OffauthRecordSyncAccepted *r,
                     const guint8              *p,
                     gsize                      len,
                     GError                   **error)
{
  if (!expect_size (error, OFFAUTH_RECORD_SYNC_ACCEPTED, len, OFFAUTH_RECORD_SYNC_ACCEPTED_SIZE))
    return FALSE;
  r->acked_seq = _offauth_get_u64 (p);
  r->acquirer_time = _offauth_get_u64 (p + 8);
  r->verdict_cursor = _offauth_get_u64 (p + 16);
  memcpy (r->answer_hash, p + 24, OFFAUTH_HASH_SIZE);
  return TRUE;
}

static gboolean
parse_acquirer (OffauthRecordAcquirer *r,
                const guint8          *p,
                gsize                  len,
                GError               **error)
{
  if (len <= OFFAUTH_PK_SIZE || len > OFFAUTH_PK_SIZE + OFFAUTH_RECORD_ACQUIRER_URL_MAX)
    return malformed (error, OFFAUTH_RECORD_ACQUIRER_PINNED, "has no URL or one too long");
  memcpy (r->acquirer_pk, p, OFFAUTH_PK_SIZE);
  if (!g_utf8_validate ((const char *) p + OFFAUTH_PK_SIZE, (gssize) (len - OFFAUTH_PK_SIZE), NULL) ||
      memchr (p + OFFAUTH_PK_SIZE, 0, len - OFFAUTH_PK_SIZE) != NULL)
    return malformed (error, OFFAUTH_RECORD_ACQUIRER_PINNED, "has a URL that is no text");
  r->url = g_strndup ((const char *) p + OFFAUTH_PK_SIZE, len - OFFAUTH_PK_SIZE);
  return TRUE;
}

static gboolean
parse_enrolled (OffauthRecordEnrolled *r,
                const guint8          *p,
                gsize                  len,
                GError               **error)
{
  if (!expect_size (error, OFFAUTH_RECORD_ENROLLED, len, OFFAUTH_RECORD_ENROLLED_SIZE))
    return FALSE;
  memset (r->merchant_id, 0, sizeof r->merchant_id);
  memcpy (r->merchant_id, p, OFFAUTH_MERCHANT_ID_SIZE);
  memcpy (r->terminal_id, p + 16, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (r->root_public_key, p + 32, OFFAUTH_PK_SIZE);
  r->root_pinned = p[64] != 0;
  r->scope = _offauth_get_u32 (p + 65);
  return TRUE;
}

static gboolean
parse_revocations (OffauthRecordRevocations *r,
                   const guint8             *p,
                   gsize                     len,
                   GError                  **error)
{
  if (!expect_size (error, OFFAUTH_RECORD_REVOCATIONS, len, OFFAUTH_RECORD_REVOCATIONS_SIZE))
    return FALSE;
  memcpy (r->issuer_key_id, p, OFFAUTH_KEY_ID_SIZE);
  r->sequence = _offauth_get_u64 (p + 8);
  memcpy (r->list_hash, p + 16, OFFAUTH_HASH_SIZE);
  return TRUE;
}

static gboolean
parse_clock (OffauthRecordClock *r,
             const guint8       *p,
             gsize               len,
             GError            **error)
{
  if (!expect_size (error, OFFAUTH_RECORD_CLOCK_ACCEPTED, len, OFFAUTH_RECORD_CLOCK_SIZE))
    return FALSE;
  r->floor = _offauth_get_u64 (p);
  r->latest_sale_time = _offauth_get_u64 (p + 8);
  return TRUE;
}

/* The name may itself hold '=' (a category's name): the value follows the last one. */
static gboolean
parse_setting (OffauthRecordSetting *r,
               const guint8         *p,
               gsize                 len,
               GError              **error)
{
  g_autofree gchar *text = g_strndup ((const char *) p, len);
  char *eq;

  if (strlen (text) != len)
    return malformed (error, OFFAUTH_RECORD_SETTING, "holds a NUL byte");
  eq = strrchr (text, '=');
  if (eq == NULL)
    return malformed (error, OFFAUTH_RECORD_SETTING, "is not name=value");
  if (!g_ascii_string_to_unsigned (eq + 1, 10, 0, G_MAXUINT64, &r->value, NULL))
    return malformed (error, OFFAUTH_RECORD_SETTING, "has a value that is not a decimal number");
  r->name = g_strndup (text, (gsize) (eq - text));
  return TRUE;
}

static gboolean
parse_negative (OffauthRecordNegative *r,
                const guint8          *p,
                gsize                  len,
                GError               **error)
{
  if (len < OFFAUTH_CREDENTIAL_ID_SIZE)
    return malformed (error, OFFAUTH_RECORD_NEGATIVE_LIST, "is shorter than a credential id");
  memcpy (r->credential_id, p, OFFAUTH_CREDENTIAL_ID_SIZE);
  r->reason = g_strndup ((const char *) p + OFFAUTH_CREDENTIAL_ID_SIZE,
                         len - OFFAUTH_CREDENTIAL_ID_SIZE);
  return TRUE;
}

gboolean
offauth_record_parse_payload (OffauthRecord *record,
                              guint          kind,
                              guint64        time,
                              const guint8  *payload,
                              gsize          len,
                              GError       **error)
{
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (payload != NULL || len == 0, FALSE);

  memset (record, 0, sizeof *record);
  record->kind = kind;
  record->time = time;
  if (len > OFFAUTH_RECORD_MAX_SIZE - OFFAUTH_RECORD_HEADER_SIZE)
    return malformed (error, kind, "is longer than a journal record may be");
  switch (kind)
    {
    case OFFAUTH_RECORD_SALE_APPROVED:
      return parse_sale (&record->sale, payload, len, error);
    case OFFAUTH_RECORD_ENROLLED:
      return parse_enrolled (&record->enrolled, payload, len, error);
    case OFFAUTH_RECORD_TRUST_LOADED:
      record->trust.bundle = g_bytes_new (payload, len);
      return TRUE;
    case OFFAUTH_RECORD_REVOCATIONS:
      return parse_revocations (&record->revocations, payload, len, error);
    case OFFAUTH_RECORD_CLOCK_ACCEPTED:
      return parse_clock (&record->clock, payload, len, error);
    case OFFAUTH_RECORD_SETTING:
      return parse_setting (&record->setting, payload, len, error);
    case OFFAUTH_RECORD_NEGATIVE_LIST:
      return parse_negative (&record->negative, payload, len, error);
    case OFFAUTH_RECORD_SALE_STATE:
      return parse_sale_state (&record->sale_state, payload, len, error);
    case OFFAUTH_RECORD_SYNC_ACCEPTED:
      return parse_sync_accepted (&record->sync_accepted, payload, len, error);
    case OFFAUTH_RECORD_ACQUIRER_PINNED:
      return parse_acquirer (&record->acquirer, payload, len, error);
    default:
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "record kind %u is not one this terminal writes", kind);
      return FALSE;
    }
}

gboolean
offauth_record_parse (OffauthRecord *record,
                      const guint8  *data,
                      gsize          len,
                      GError       **error)
{
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (len < OFFAUTH_RECORD_HEADER_SIZE)
    {
      memset (record, 0, sizeof *record);
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "a record of %" G_GSIZE_FORMAT " bytes is truncated", len);
      return FALSE;
    }
  return offauth_record_parse_payload (record, data[0], _offauth_get_u64 (data + 1),
                                       data + OFFAUTH_RECORD_HEADER_SIZE,
                                       len - OFFAUTH_RECORD_HEADER_SIZE, error);
}

/* Writes the payload into out (NULL: only measures) and returns its size. */
static gsize
encode_payload (const OffauthRecord *r,
                guint8              *out)
{
  gsize len = 0;

  switch (r->kind)
    {
    case OFFAUTH_RECORD_SALE_APPROVED:
      if (out != NULL)
        {
          memcpy (out, r->sale.payment.raw, OFFAUTH_PAYMENT_SIZE);
          out[OFFAUTH_PAYMENT_SIZE] = r->sale.mode;
          if (r->sale.mode == OFFAUTH_MODE_ONLINE)
            memcpy (out + OFFAUTH_RECORD_SALE_SIZE, r->sale.decision.raw,
                    OFFAUTH_ONLINE_DECISION_SIZE);
        }
      return r->sale.mode == OFFAUTH_MODE_ONLINE ? OFFAUTH_RECORD_SALE_ONLINE_SIZE
                                                 : OFFAUTH_RECORD_SALE_SIZE;
    case OFFAUTH_RECORD_ENROLLED:
      if (out != NULL)
        {
          memset (out, 0, OFFAUTH_RECORD_ENROLLED_SIZE);
          memcpy (out, r->enrolled.merchant_id,
                  strnlen (r->enrolled.merchant_id, OFFAUTH_MERCHANT_ID_SIZE));
          memcpy (out + 16, r->enrolled.terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
          memcpy (out + 32, r->enrolled.root_public_key, OFFAUTH_PK_SIZE);
          out[64] = r->enrolled.root_pinned ? 1 : 0;
          _offauth_put_u32 (out + 65, r->enrolled.scope);
        }
      return OFFAUTH_RECORD_ENROLLED_SIZE;
    case OFFAUTH_RECORD_TRUST_LOADED:
      {
        const guint8 *data = r->trust.bundle ? g_bytes_get_data (r->trust.bundle, &len) : NULL;
        if (out != NULL && len > 0)
          memcpy (out, data, len);
        return len;
      }
    case OFFAUTH_RECORD_REVOCATIONS:
      if (out != NULL)
        {
          memcpy (out, r->revocations.issuer_key_id, OFFAUTH_KEY_ID_SIZE);
          _offauth_put_u64 (out + 8, r->revocations.sequence);
          memcpy (out + 16, r->revocations.list_hash, OFFAUTH_HASH_SIZE);
        }
      return OFFAUTH_RECORD_REVOCATIONS_SIZE;
    case OFFAUTH_RECORD_CLOCK_ACCEPTED:
      if (out != NULL)
        {
          _offauth_put_u64 (out, r->clock.floor);
          _offauth_put_u64 (out + 8, r->clock.latest_sale_time);
        }
      return OFFAUTH_RECORD_CLOCK_SIZE;
    case OFFAUTH_RECORD_SETTING:
      {
        g_autofree gchar *text = g_strdup_printf ("%s=%" G_GUINT64_FORMAT, r->setting.name,
                                                  r->setting.value);
        len = strlen (text);
        if (out != NULL)
          memcpy (out, text, len);
        return len;
      }
    case OFFAUTH_RECORD_NEGATIVE_LIST:
      len = r->negative.reason ? strlen (r->negative.reason) : 0;
      if (out != NULL)
        {
          memcpy (out, r->negative.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
          if (len > 0)
            memcpy (out + OFFAUTH_CREDENTIAL_ID_SIZE, r->negative.reason, len);
        }
      return OFFAUTH_CREDENTIAL_ID_SIZE + len;
    case OFFAUTH_RECORD_SALE_STATE:
      if (out != NULL)
        offauth_verdict_write (&r->sale_state.verdict, out);
      return OFFAUTH_RECORD_SALE_STATE_SIZE;
    case OFFAUTH_RECORD_SYNC_ACCEPTED:
      if (out != NULL)
        {
          _offauth_put_u64 (out, r->sync_accepted.acked_seq);
          _offauth_put_u64 (out + 8, r->sync_accepted.acquirer_time);
          _offauth_put_u64 (out + 16, r->sync_accepted.verdict_cursor);
          memcpy (out + 24, r->sync_accepted.answer_hash, OFFAUTH_HASH_SIZE);
        }
      return OFFAUTH_RECORD_SYNC_ACCEPTED_SIZE;
    case OFFAUTH_RECORD_ACQUIRER_PINNED:
      len = r->acquirer.url ? strlen (r->acquirer.url) : 0;
      if (out != NULL)
        {
          memcpy (out, r->acquirer.acquirer_pk, OFFAUTH_PK_SIZE);
          if (len > 0)
            memcpy (out + OFFAUTH_PK_SIZE, r->acquirer.url, len);
        }
      return OFFAUTH_PK_SIZE + len;
    default:
      g_return_val_if_reached (0);
    }
}

guint8 *
offauth_record_encode (const OffauthRecord *record,
                       gsize               *len,
                       GError             **error)
{
  g_auto(OffauthRecord) check = { 0 };
  gsize payload_len;
  guint8 *out;

  g_return_val_if_fail (record != NULL && len != NULL, NULL);
  g_return_val_if_fail (offauth_record_kind_known (record->kind), NULL);

  /* Measured before anything is written: a free text (a negative list's reason, a
   * setting's name) could otherwise make a record of any size. */
  payload_len = encode_payload (record, NULL);
  if (payload_len > OFFAUTH_RECORD_MAX_SIZE - OFFAUTH_RECORD_HEADER_SIZE)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "a %s record of %" G_GSIZE_FORMAT " bytes is longer than a journal record "
                   "may be (1 MiB)", offauth_record_kind_name (record->kind),
                   payload_len + OFFAUTH_RECORD_HEADER_SIZE);
      return NULL;
    }
  *len = OFFAUTH_RECORD_HEADER_SIZE + payload_len;
  out = g_malloc (*len);
  out[0] = (guint8) record->kind;
  _offauth_put_u64 (out + 1, record->time);
  encode_payload (record, out + OFFAUTH_RECORD_HEADER_SIZE);
  /* Nothing is journaled that the start-up check would refuse. */
  if (!offauth_record_parse (&check, out, *len, error))
    {
      g_free (out);
      return NULL;
    }
  return out;
}

void
offauth_record_clear (OffauthRecord *record)
{
  if (record->kind == OFFAUTH_RECORD_TRUST_LOADED)
    g_clear_pointer (&record->trust.bundle, g_bytes_unref);
  else if (record->kind == OFFAUTH_RECORD_SETTING)
    g_clear_pointer (&record->setting.name, g_free);
  else if (record->kind == OFFAUTH_RECORD_NEGATIVE_LIST)
    g_clear_pointer (&record->negative.reason, g_free);
  else if (record->kind == OFFAUTH_RECORD_ACQUIRER_PINNED)
    g_clear_pointer (&record->acquirer.url, g_free);
}
