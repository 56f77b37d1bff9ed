/* offauth-testing.c: hooks for tests, vectors, fuzzers and the benchmark; never called by the app.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "offauth-private.h"
#include "offauth-terminal-private.h"
#include "offauth-testing-private.h"

sqlite3 *
_offauth_terminal_get_db (OffauthTerminal *t)
{
  g_return_val_if_fail (t != NULL, NULL);

  return t->db;
}

gchar *
_offauth_terminal_create_request_with (OffauthTerminal *t,
                                       guint64          amount,
                                       const char      *currency,
                                       const guint8     challenge[OFFAUTH_CHALLENGE_SIZE],
                                       OffauthReason   *reason,
                                       GError         **error)
{
  g_return_val_if_fail (t != NULL, NULL);

  return _offauth_terminal_create_request (t, amount, currency, challenge, reason, error);
}

gboolean
_offauth_terminal_enroll_with_seed (OffauthTerminal             *t,
                                    const guint8                 seed[OFFAUTH_SEED_SIZE],
                                    const char                  *bundle_text,
                                    const char                  *merchant_id,
                                    const char                  *root_fingerprint,
                                    const OffauthTerminalConfig *config,
                                    GError                     **error)
{
  g_autoptr(OffauthSecretKey) key = NULL;

  g_return_val_if_fail (t != NULL, FALSE);

  key = offauth_secret_key_from_seed (seed);
  return _offauth_terminal_enroll (t, key, bundle_text, merchant_id, root_fingerprint, config,
                                   error);
}

typedef struct
{
  guint64 count;
  guint64 total;
} FillTotals;

/* One queued sale, shaped like a real one (payer i / 50, counters 1 to 50), unsigned. */
static void
fake_sale (OffauthTerminal *t,
           guint64          i,
           guint64          per_credential,
           guint64          time,
           OffauthPayment  *p)
{
  guint8 hash[OFFAUTH_HASH_SIZE], seed[8];

  memset (p, 0, sizeof *p);
  _offauth_put_u64 (seed, i / per_credential);
  offauth_hash (hash, seed, sizeof seed);
  memcpy (p->credential.credential_id, hash, 16);
  memcpy (p->credential.currency, "EUR", 4);
  p->credential.max_offline_count = (guint32) per_credential;
  p->credential.per_payment_limit = 10000;
  p->credential.offline_total_limit = 1000000;
  p->credential.not_after = 1;
  offauth_credential_encode (&p->credential);
  g_strlcpy (p->request.merchant_id, t->merchant_id, sizeof p->request.merchant_id);
  memcpy (p->request.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (p->request.currency, "EUR", 4);
  p->request.amount = 100 + i % 900;
  p->request.created_at = time;
  randombytes_buf (p->request.challenge, OFFAUTH_CHALLENGE_SIZE);
  offauth_request_encode (&p->request);
  p->counter = (guint32) (i % per_credential + 1);
  offauth_payment_encode (p);
}

/* Benchmark fill: n queued sales, in transactions of 20,000, then the credential totals. */
gboolean
_offauth_terminal_fill_settled (OffauthTerminal *t,
                                guint64          n,
                                GError         **error)
{
  g_autoptr(GHashTable) totals = NULL;
  guint64 now;
  const guint64 per_credential = 50;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (t != NULL, FALSE);

  if (!_offauth_terminal_require_enrolled (t, error))
    return FALSE;
  totals = g_hash_table_new_full (_offauth_id_hash, _offauth_credential_id_equal, g_free, g_free);
  now = offauth_terminal_now (t);
  for (guint64 i = 0; i < n;)
    {
      if (!_offauth_tx_begin (t, error))
        return FALSE;
      for (guint64 end = MIN (n, i + 20000); i < end; i++)
        {
          OffauthRecord rec = { .kind = OFFAUTH_RECORD_SALE_APPROVED, .time = now - n + i,
                                .sale.mode = OFFAUTH_MODE_OFFLINE };
          const OffauthPayment *p = &rec.sale.payment;
          FillTotals *ct;
          guint64 seq;

          fake_sale (t, i, per_credential, rec.time, &rec.sale.payment);
          if (!_offauth_journal_append (t, &rec, &seq, NULL, error) ||
              !_offauth_insert_sale (t, seq, p, rec.time, OFFAUTH_MODE_OFFLINE, error))
            goto fail;
          ct = g_hash_table_lookup (totals, p->credential.credential_id);
          if (ct == NULL)
            {
              ct = g_new0 (FillTotals, 1);
              g_hash_table_insert (totals, g_memdup2 (p->credential.credential_id, 16), ct);
            }
          ct->count++;
          ct->total += p->request.amount;
        }
      if (!_offauth_tx_commit (t, error))
        goto fail;
    }

  if (!_offauth_tx_begin (t, error))
    return FALSE;
  g_hash_table_iter_init (&iter, totals);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const FillTotals *ct = value;

      if (!_offauth_set_credential_totals (t, key, ct->count, ct->total, error))
        goto fail;
    }
  if (!_offauth_tx_commit (t, error))
    goto fail;
  return _offauth_terminal_load_state (t, error);

fail:
  _offauth_tx_rollback (t);
  _offauth_terminal_load_state (t, NULL);
  return FALSE;
}
