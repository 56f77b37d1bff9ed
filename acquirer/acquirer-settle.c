/* acquirer-settle.c: settles sales: checks 1-12 in table order, and credits payers.
 *
 * Also: finding the credential an operator names by its id, checking a credential against
 * the issuer, top-ups (which settle the payer's held and retryable sales), retries on the
 * schedule, closes, online decisions and their reversal, double spends revoked through
 * the issuer folder. Everything runs inside the caller's one durable transaction.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-acquirer"

#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "acquirer-settle.h"
#include "offauth-record.h"

/* Attempt k + 1 is due at the first decline + retry_due[k - 1]. */
static const guint64 retry_due[] = { 3600, 6 * 3600, 24 * 3600, 72 * 3600 };

gboolean
acquirer_credential_is_id (const char *arg)
{
  guint8 id[OFFAUTH_CREDENTIAL_ID_SIZE];

  /* An id, unless a file of that name exists (a text and "-" never look like one). */
  return strlen (arg) == 2 * OFFAUTH_CREDENTIAL_ID_SIZE && offauth_unhex (arg, id, sizeof id) &&
         !g_file_test (arg, G_FILE_TEST_EXISTS);
}

gboolean
acquirer_credential_by_id (AcquirerDb        *db,
                           const char        *hex,
                           OffauthCredential *out,
                           GError           **error)
{
  guint8 id[OFFAUTH_CREDENTIAL_ID_SIZE];
  g_autoptr(GBytes) found = NULL;
  gsize n;

  if (!offauth_unhex (hex, id, sizeof id))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "%s is not a credential id (32 hex digits)", hex);
      return FALSE;
    }
  if ((found = acquirer_db_credentials_by_id (db, id, error)) == NULL)
    return FALSE;
  n = g_bytes_get_size (found) / OFFAUTH_CREDENTIAL_SIZE;
  if (n != 1)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   n == 0 ? "No account holds a credential with id %s: give the credential's "
                            "text the first time"
                          : "Several accounts hold a credential with id %s: give the "
                            "credential's text",
                   hex);
      return FALSE;
    }
  return offauth_credential_parse (out, g_bytes_get_data (found, NULL), OFFAUTH_CREDENTIAL_SIZE,
                                   error);
}

gboolean
acquirer_credential_check (OffauthIssuer           *issuer,
                           const OffauthCredential *cred,
                           GError                 **error)
{
  g_autofree gchar *text = offauth_issuer_latest_bundle (issuer, error);
  g_autofree gchar *root = NULL;
  g_autofree gchar *bundle_root = NULL;
  OffauthBundle bundle;
  const OffauthIssuerKey *key;

  if (text == NULL)
    {
      g_prefix_error (error, "The credential cannot be checked: ");
      return FALSE;
    }
  if (!offauth_bundle_parse_text (&bundle, text, error))
    return FALSE;
  root = offauth_issuer_root_fingerprint (issuer);
  bundle_root = offauth_root_fingerprint (bundle.root_public_key);
  if (strcmp (root, bundle_root) != 0 || !offauth_bundle_verify (&bundle, bundle.root_public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The issuer's latest trust bundle is not signed by its root");
      return FALSE;
    }
  key = offauth_bundle_find_key (&bundle, cred->issuer_key_id);
  if (key == NULL)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The credential's issuer key is not in the issuer's latest trust bundle");
      return FALSE;
    }
  if (!offauth_credential_verify (cred, key->public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The credential's issuer signature does not verify");
      return FALSE;
    }
  return TRUE;
}

void
acquirer_settle_init (AcquirerSettle         *ctx,
                      AcquirerDb             *db,
                      const OffauthSecretKey *key,
                      const char             *issuer_dir,
                      guint64                 now)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->db = db;
  ctx->key = key;
  ctx->issuer_dir = issuer_dir;
  ctx->now = now;
  ctx->to_revoke = g_array_new (FALSE, FALSE, OFFAUTH_CREDENTIAL_SIZE);
}

void
acquirer_settle_clear (AcquirerSettle *ctx)
{
  g_clear_pointer (&ctx->to_revoke, g_array_unref);
  g_clear_pointer (&ctx->verified, g_hash_table_unref);
}

static OffauthIssuer *
settle_issuer (AcquirerSettle *ctx,
               GError        **error)
{
  OffauthIssuer *is = offauth_issuer_open (ctx->issuer_dir, error);

  if (is != NULL && ctx->now)
    offauth_issuer_set_now (is, ctx->now);
  return is;
}

/* Keeps the lists the issuer folder publishes, each verified under its key. */
static gboolean
keep_lists (AcquirerSettle *ctx,
            GPtrArray      *texts,
            GError        **error)
{
  for (guint i = 0; texts != NULL && i < texts->len; i++)
    {
      g_autoptr(OffauthRevocationList) list =
        offauth_revocation_list_parse_text (texts->pdata[i], NULL);
      OffauthIssuerKey key;
      gboolean found;

      if (list == NULL)
        continue;
      if (!acquirer_db_issuer_key (ctx->db, list->issuer_key_id, &key, &found, error))
        return FALSE;
      if (found && offauth_revocation_list_verify (list, key.public_key) &&
          !acquirer_db_put_revocation_list (ctx->db, list, error))
        return FALSE;
    }
  return TRUE;
}

static void
append_stat (GString    *out,
             const char *path,
             const char *name)
{
  struct stat st;

  if (stat (path, &st) == 0)
    g_string_append_printf (out, "%s %ju %ju %jd.%09ld %jd.%09ld\n", name, (uintmax_t) st.st_ino,
                            (uintmax_t) st.st_size, (intmax_t) st.st_mtim.tv_sec,
                            st.st_mtim.tv_nsec, (intmax_t) st.st_ctim.tv_sec,
                            st.st_ctim.tv_nsec);
}

/* The issuer folder's state: every file's name, inode, size and times (the issuer writes
 * each file whole under a new inode), or NULL if it cannot be listed. */
static gchar *
issuer_state (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GString *out;
  const char *name;

  if (d == NULL)
    return NULL;
  out = g_string_new (NULL);
  append_stat (out, dir, ".");
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);

      append_stat (out, path, name);
    }
  return g_string_free (out, FALSE);
}

gboolean
acquirer_settle_refresh (AcquirerSettle *ctx,
                         GError        **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree gchar *state = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *root = NULL;
  g_autofree gchar *bundle_root = NULL;
  g_autoptr(GPtrArray) lists = NULL;
  OffauthBundle bundle;

  if (ctx->issuer_dir == NULL)
    return TRUE;  /* no issuer folder: the trust material kept in the database */
  /* Read and verified again only when a file of the folder changed. */
  state = issuer_state (ctx->issuer_dir);
  if (acquirer_db_issuer_seen (ctx->db, state))
    return TRUE;
  if ((is = settle_issuer (ctx, &local)) == NULL)
    {
      g_warning ("The issuer folder cannot be read: %s", local->message);
      return TRUE;  /* settle with what is kept */
    }
  text = offauth_issuer_latest_bundle (is, NULL);
  root = offauth_issuer_root_fingerprint (is);
  if (text != NULL && offauth_bundle_parse_text (&bundle, text, NULL))
    {
      bundle_root = offauth_root_fingerprint (bundle.root_public_key);
      if (strcmp (root, bundle_root) == 0 &&
          offauth_bundle_verify (&bundle, bundle.root_public_key) &&
          !acquirer_db_put_bundle (ctx->db, &bundle, error))
        return FALSE;
    }
  lists = offauth_issuer_latest_revocation_lists (is, NULL);
  if (!keep_lists (ctx, lists, error))
    return FALSE;
  acquirer_db_set_issuer_seen (ctx->db, state);
  return TRUE;
}

gboolean
acquirer_settle_finish (AcquirerSettle *ctx,
                        GError        **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autoptr(GPtrArray) lists = NULL;
  g_autoptr(GByteArray) ids = g_byte_array_new ();
  guint n = 0;

  for (guint i = 0; i < ctx->to_revoke->len; i++)
    {
      const guint8 *cred = &g_array_index (ctx->to_revoke, guint8, i * OFFAUTH_CREDENTIAL_SIZE);
      gboolean was_new;

      if (!acquirer_db_mark_revoked (ctx->db, cred, ctx->now, &was_new, error))
        return FALSE;
      if (was_new)
        {
          /* credential_id: bytes 16..31 of the credential */
          g_byte_array_append (ids, cred + 16, OFFAUTH_CREDENTIAL_ID_SIZE);
          n++;
        }
    }
  g_array_set_size (ctx->to_revoke, 0);
  if (n == 0 || ctx->issuer_dir == NULL)
    return TRUE;  /* without an issuer folder, marked revoked in the database only */
  acquirer_db_set_issuer_seen (ctx->db, NULL);  /* the folder changes here */
  if ((is = settle_issuer (ctx, &local)) == NULL ||
      (lists = offauth_issuer_revoke (is, ids->data, n, ACQUIRER_REVOKE_HOURS, &local)) == NULL)
    {
      /* The verdicts stand and the report shows the double spend; the operator revokes. */
      g_warning ("A double-spent credential cannot be revoked: %s", local->message);
      return TRUE;
    }
  return keep_lists (ctx, lists, error);
}

/* Sets the verdict; a change of a sale that has a row gets the terminal's next version. */
static gboolean
set_verdict (AcquirerSettle *ctx,
             AcquirerSale   *sale,
             guint8          state,
             guint8          reason,
             guint16         attempt,
             guint64         retry_after,
             GError        **error)
{
  gboolean changed = sale->state != state || sale->reason != reason ||
                     sale->attempt != attempt || sale->retry_after != retry_after;

  sale->state = state;
  sale->reason = reason;
  sale->attempt = attempt;
  sale->retry_after = retry_after;
  sale->updated_at = ctx->now;
  if ((changed || sale->version == 0) && sale->sale_seq > 0 &&
      !acquirer_db_next_version (ctx->db, sale->terminal_id, &sale->version, error))
    return FALSE;
  return acquirer_db_update_sale (ctx->db, sale, error);
}

static const guint8 *
sale_credential (const AcquirerSale *sale)
{
  return sale->payment + 8;
}

/* Check 8 and the debit: settles the sale if the balance covers it. */
static gboolean
try_debit (AcquirerSettle *ctx,
           AcquirerSale   *sale,
           gboolean       *covered,
           GError        **error)
{
  guint64 balance;
  gboolean exists, debited;

  if (!acquirer_db_debited (ctx->db, sale->sale_id, &debited, error))
    return FALSE;
  if (debited)
    {
      /* Another row or request of this sale id paid it already: never twice. */
      *covered = TRUE;
      return TRUE;
    }
  if (!acquirer_db_balance (ctx->db, sale_credential (sale), &balance, &exists, error))
    return FALSE;
  *covered = exists && balance >= sale->amount;
  if (!*covered)
    return TRUE;
  sale->debited = TRUE;
  return acquirer_db_set_balance (ctx->db, sale_credential (sale), balance - sale->amount,
                                  ctx->now, error) &&
         acquirer_db_set_debit (ctx->db, sale, TRUE, ctx->now, error);
}

/* Check 6: whether the credential is revoked at t_sale. Online: named in any list issued
 * up to now. Otherwise: named in a list L, and t_sale > P.next_update + 300 for the list P
 * that L replaced (L.issued_at + 300 when L is the key's first). */
static gboolean
check_revoked (AcquirerSettle          *ctx,
               const OffauthCredential *cred,
               guint64                  t_sale,
               gboolean                 online,
               gboolean                *revoked,
               GError                 **error)
{
  g_autoptr(GPtrArray) lists = acquirer_db_revocation_lists (ctx->db, cred->issuer_key_id, error);

  *revoked = FALSE;
  if (lists == NULL)
    return FALSE;
  for (guint i = 0; i < lists->len; i++)
    {
      const OffauthRevocationList *l = lists->pdata[i];
      guint64 bound;

      if (!offauth_revocation_list_contains (l, cred->credential_id))
        continue;
      if (online)
        {
          *revoked = l->issued_at <= ctx->now;
          if (*revoked)
            return TRUE;
          continue;
        }
      bound = i > 0 ? ((const OffauthRevocationList *) lists->pdata[i - 1])->next_update
                    : l->issued_at;
      *revoked = t_sale > bound + OFFAUTH_CLOCK_SKEW;
      return TRUE;  /* the first list naming it decides */
    }
  return TRUE;
}

/* Both signatures of a payment, verified ahead (acquirer_settle_verify_ahead): the key the
 * credential was verified with, so that run_checks uses the result only for that key. */
typedef struct
{
  guint8   payment[OFFAUTH_PAYMENT_SIZE];
  guint8   issuer_pk[OFFAUTH_PK_SIZE];
  gboolean has_key;
  gboolean payment_ok;
  gboolean credential_ok;
} Verified;

static guint
verified_hash (gconstpointer v)
{
  guint h;

  /* The first bytes of the payer's signature. */
  memcpy (&h, (const guint8 *) v + OFFAUTH_PAYMENT_SIGNED, sizeof h);
  return h;
}

static gboolean
verified_equal (gconstpointer a,
                gconstpointer b)
{
  return memcmp (a, b, OFFAUTH_PAYMENT_SIZE) == 0;
}

static void
verify_range (Verified *v,
              guint     n)
{
  for (guint i = 0; i < n; i++)
    {
      OffauthPayment p;

      if (!offauth_payment_parse (&p, v[i].payment, OFFAUTH_PAYMENT_SIZE, NULL))
        continue;
      v[i].payment_ok = offauth_payment_verify (&p);
      v[i].credential_ok = v[i].has_key && offauth_credential_verify (&p.credential,
                                                                      v[i].issuer_pk);
    }
}

/* Check 2's verifications of p with the issuer key found: ahead when they were, else now. */
static void
verify_payment (AcquirerSettle         *ctx,
                const OffauthPayment   *p,
                const OffauthIssuerKey *key,
                gboolean                found,
                gboolean               *payment_ok,
                gboolean               *credential_ok)
{
  const Verified *v = ctx->verified != NULL ? g_hash_table_lookup (ctx->verified, p->raw) : NULL;

  if (v != NULL && (!found || (v->has_key && memcmp (v->issuer_pk, key->public_key,
                                                     OFFAUTH_PK_SIZE) == 0)))
    {
      *payment_ok = v->payment_ok;
      *credential_ok = found && v->credential_ok;
      return;
    }
  *payment_ok = offauth_payment_verify (p);
  *credential_ok = found && *payment_ok && offauth_credential_verify (&p->credential,
                                                                      key->public_key);
}

static gboolean
outside (guint64 t,
         guint64 not_before,
         guint64 not_after)
{
  return t + OFFAUTH_CLOCK_SKEW < not_before || t > not_after;
}

typedef enum
{
  CHECKS_OFFLINE,   /* 2, 3, 12, 4, 5, 6, 7, 8 */
  CHECKS_ONLINE,    /* 2, 3, 12, 4, 5, 6, 8 (online decisions, reversed sales afresh) */
} ChecksKind;

/* Runs checks 2 onwards on a stored sale with a parsed payment and gives its verdict:
 * final, held or retryable, or settled with the debit made. */
static gboolean
run_checks (AcquirerSettle          *ctx,
            const AcquirerTerminal  *t,
            AcquirerSale            *sale,
            const OffauthPayment    *p,
            ChecksKind               kind,
            GError                 **error)
{
  const OffauthCredential *cred = &p->credential;
  const OffauthRequest *req = &p->request;
  OffauthIssuerKey key;
  gboolean found, exists, revoked, covered, payment_ok, credential_ok;
  guint64 balance, sum;
  gint64 earlier;
  guint16 attempt = sale->attempt ? sale->attempt : 1;

  /* 2: signatures. A key in no bundle kept is held for the acquirer's data. */
  if (!acquirer_db_issuer_key (ctx->db, cred->issuer_key_id, &key, &found, error))
    return FALSE;
  verify_payment (ctx, p, &key, found, &payment_ok, &credential_ok);
  if (!payment_ok)
    return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_BAD_SIGNATURE, attempt, 0, error);
  if (!found)
    return set_verdict (ctx, sale, 3, OFFAUTH_SETTLE_BAD_SIGNATURE, 1, 0, error);
  if (!credential_ok)
    return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_BAD_SIGNATURE, attempt, 0, error);
  /* 3 */
  if (memcmp (req->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0)
    return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_WRONG_TERMINAL, attempt, 0, error);
  sale->evidence = TRUE;  /* the payer signed it, for the terminal that uploaded it */
  if (strcmp (req->merchant_id, t->merchant_id) != 0 || req->scope != t->scope)
    return set_verdict (ctx, sale, 3, OFFAUTH_SETTLE_WRONG_TERMINAL, 1, 0, error);
  /* 12 */
  if (strcmp (req->currency, cred->currency) != 0 ||
      (cred->scope != 0 && cred->scope != t->scope) || (key.scope != 0 && key.scope != t->scope) ||
      outside (sale->t_sale, cred->not_before, cred->not_after) ||
      outside (sale->t_sale, key.not_before, key.not_after))
    return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_INVALID_CREDENTIAL, attempt, 0, error);
  /* 4 */
  if (!acquirer_db_balance (ctx->db, cred->raw, &balance, &exists, error))
    return FALSE;
  if (!exists)
    return set_verdict (ctx, sale, 3, OFFAUTH_SETTLE_UNKNOWN_CREDENTIAL, 1, 0, error);
  /* 5 */
  if (!acquirer_db_earlier_evidence (ctx->db, sale, &earlier, error))
    return FALSE;
  if (earlier != 0)
    {
      sale->conflict = earlier;
      g_array_append_vals (ctx->to_revoke, cred->raw, 1);
      return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_DOUBLE_SPEND, attempt, 0, error);
    }
  /* 6 */
  if (!check_revoked (ctx, cred, sale->t_sale, kind == CHECKS_ONLINE, &revoked, error))
    return FALSE;
  if (revoked)
    return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_REVOKED, attempt, 0, error);
  /* 7 */
  if (kind == CHECKS_OFFLINE && sale->mode == 0)
    {
      if (!acquirer_db_offline_sum (ctx->db, sale, &sum, error))
        return FALSE;
      if (p->counter > cred->max_offline_count || sum > cred->offline_total_limit ||
          sale->amount > cred->offline_total_limit - sum)
        return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_OVER_OFFLINE_LIMIT, attempt, 0, error);
    }
  /* 8 */
  if (!try_debit (ctx, sale, &covered, error))
    return FALSE;
  if (covered)
    return set_verdict (ctx, sale, 1, OFFAUTH_SETTLE_OK, attempt, 0, error);
  if (kind == CHECKS_ONLINE)
    return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_INSUFFICIENT_FUNDS, attempt, 0, error);
  sale->first_decline = ctx->now;
  return set_verdict (ctx, sale, 3, OFFAUTH_SETTLE_INSUFFICIENT_FUNDS, 1,
                      ctx->now + retry_due[0], error);
}

static gboolean
sale_payment (const AcquirerSale *sale,
              OffauthPayment     *p)
{
  return sale->has_payment && offauth_payment_parse (p, sale->payment, sizeof sale->payment, NULL);
}

/* A kind-1 record, split: the payment when it parses, the mode, the decision when it
 * parses. *malformed for check 1. */
typedef struct
{
  gboolean              malformed;
  OffauthPayment        payment;
  guint8                mode;
  gboolean              has_decision;
  OffauthOnlineDecision decision;
  guint64               time;
} SaleRecord;

static void
split_record (const guint8 *record,
              gsize         len,
              SaleRecord   *r,
              guint8        sale_id[OFFAUTH_SALE_ID_SIZE])
{
  const guint8 *payload = record + OFFAUTH_RECORD_HEADER_SIZE;
  gsize plen = len - OFFAUTH_RECORD_HEADER_SIZE;

  memset (r, 0, sizeof *r);
  r->time = GUINT64_FROM_LE (*(const guint64 *) (gconstpointer) (record + 1));
  if (plen >= OFFAUTH_PAYMENT_SIZE)
    {
      guint8 buf[OFFAUTH_TAG_SIZE + OFFAUTH_PAYMENT_SIGNED];

      memcpy (buf, OFFAUTH_TAG_PAYM, OFFAUTH_TAG_SIZE);
      memcpy (buf + OFFAUTH_TAG_SIZE, payload, OFFAUTH_PAYMENT_SIGNED);
      offauth_hash (sale_id, buf, sizeof buf);
    }
  else
    offauth_hash (sale_id, record, len);
  r->mode = plen > OFFAUTH_PAYMENT_SIZE ? payload[OFFAUTH_PAYMENT_SIZE] : 0xff;
  r->malformed = !((plen == OFFAUTH_RECORD_SALE_SIZE && r->mode == 0) ||
                   (plen == OFFAUTH_RECORD_SALE_ONLINE_SIZE && r->mode == 1)) ||
                 !offauth_payment_parse (&r->payment, payload, OFFAUTH_PAYMENT_SIZE, NULL);
  if (!r->malformed && r->mode == 1)
    r->has_decision = offauth_online_decision_parse (&r->decision,
                                                     payload + OFFAUTH_PAYMENT_SIZE + 1,
                                                     OFFAUTH_ONLINE_DECISION_SIZE, NULL);
}

typedef struct
{
  Verified *v;
  guint     n;
} VerifyPart;

static gpointer
verify_part_thread (gpointer data)
{
  VerifyPart *part = data;

  verify_range (part->v, part->n);
  return NULL;
}

typedef struct
{
  gboolean         found;
  OffauthIssuerKey key;
} AheadKey;

/* The issuer key of that id, looked up once per request. NULL on a database error. */
static const AheadKey *
ahead_key (AcquirerSettle *ctx,
           GArray         *keys,
           const guint8    key_id[OFFAUTH_KEY_ID_SIZE],
           GError        **error)
{
  AheadKey k = { 0 };

  for (guint i = 0; i < keys->len; i++)
    {
      const AheadKey *known = &g_array_index (keys, AheadKey, i);

      if (memcmp (known->key.key_id, key_id, OFFAUTH_KEY_ID_SIZE) == 0)
        return known;
    }
  if (!acquirer_db_issuer_key (ctx->db, key_id, &k.key, &k.found, error))
    return NULL;
  memcpy (k.key.key_id, key_id, OFFAUTH_KEY_ID_SIZE);
  g_array_append_val (keys, k);
  return &g_array_index (keys, AheadKey, keys->len - 1);
}

/* Check 2's two Ed25519 verifications of every new sale among the records, on every core
 * (they read nothing but the records and the issuer keys, looked up here first); run_checks
 * then takes each result instead of verifying again. Both signatures of every sale are still
 * verified, once each. */
gboolean
acquirer_settle_verify_ahead (AcquirerSettle    *ctx,
                              const OffauthView *records,
                              guint              n,
                              GError           **error)
{
  g_autoptr (GArray) all = g_array_new (FALSE, TRUE, sizeof (Verified));
  g_autoptr (GArray) keys = g_array_new (FALSE, TRUE, sizeof (AheadKey));
  guint n_threads = MIN (g_get_num_processors (), 8);
  GThread *threads[8];
  VerifyPart parts[8];
  guint per, done = 0;

  g_clear_pointer (&ctx->verified, g_hash_table_unref);
  for (guint i = 0; i < n; i++)
    {
      SaleRecord r;
      guint8 sale_id[OFFAUTH_SALE_ID_SIZE];
      Verified v = { 0 };
      const AheadKey *key;

      if (records[i].len < OFFAUTH_RECORD_HEADER_SIZE ||
          records[i].data[0] != OFFAUTH_RECORD_SALE_APPROVED)
        continue;
      split_record (records[i].data, records[i].len, &r, sale_id);
      if (r.malformed)
        continue;
      key = ahead_key (ctx, keys, r.payment.credential.issuer_key_id, error);
      if (key == NULL)
        return FALSE;
      memcpy (v.payment, r.payment.raw, OFFAUTH_PAYMENT_SIZE);
      v.has_key = key->found;
      memcpy (v.issuer_pk, key->key.public_key, OFFAUTH_PK_SIZE);
      g_array_append_val (all, v);
    }
  if (all->len == 0)
    return TRUE;
  n_threads = CLAMP (MIN (n_threads, all->len / 16), 1, 8);
  per = (all->len + n_threads - 1) / n_threads;
  for (guint i = 0; i < n_threads; i++)
    {
      parts[i].v = &g_array_index (all, Verified, MIN (done, all->len));
      parts[i].n = MIN (per, all->len - MIN (done, all->len));
      done += parts[i].n;
      threads[i] = i == 0 ? NULL : g_thread_new ("verify", verify_part_thread, &parts[i]);
    }
  verify_range (parts[0].v, parts[0].n);
  for (guint i = 1; i < n_threads; i++)
    g_thread_join (threads[i]);
  ctx->verified = g_hash_table_new_full (verified_hash, verified_equal, g_free, NULL);
  for (guint i = 0; i < all->len; i++)
    {
      Verified *v = g_memdup2 (&g_array_index (all, Verified, i), sizeof (Verified));

      g_hash_table_replace (ctx->verified, v, v);
    }
  return TRUE;
}

/* A mode-1 record's decision: ours, approved, for this terminal, sale and amount. */
static gboolean
decision_valid (AcquirerSettle         *ctx,
                const AcquirerTerminal *t,
                const SaleRecord       *r)
{
  const OffauthOnlineDecision *d = &r->decision;

  return r->has_decision && offauth_online_decision_verify (d, ctx->key->pk) &&
         d->result == OFFAUTH_ONLINE_APPROVED &&
         memcmp (d->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) == 0 &&
         memcmp (d->sale_id, r->payment.sale_id, OFFAUTH_SALE_ID_SIZE) == 0 &&
         d->amount == r->payment.request.amount;
}

static void
fill_sale (AcquirerSale           *sale,
           const AcquirerTerminal *t,
           const guint8            sale_id[OFFAUTH_SALE_ID_SIZE],
           const OffauthPayment   *p,
           guint64                 now)
{
  memset (sale, 0, sizeof *sale);
  memcpy (sale->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (sale->sale_id, sale_id, OFFAUTH_SALE_ID_SIZE);
  if (p != NULL)
    {
      sale->has_payment = TRUE;
      memcpy (sale->payment, p->raw, OFFAUTH_PAYMENT_SIZE);
      sale->counter = p->counter;
      sale->amount = p->request.amount;
    }
  sale->updated_at = now;
}

gboolean
acquirer_settle_record (AcquirerSettle         *ctx,
                        const AcquirerTerminal *t,
                        guint64                 seq,
                        const guint8           *record,
                        gsize                   len,
                        guint64                 k9_time,
                        AcquirerSale           *sale,
                        GError                **error)
{
  SaleRecord r;
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE];
  gboolean found;

  split_record (record, len, &r, sale_id);
  if (!acquirer_db_find_sale (ctx->db, t->terminal_id, sale_id, sale, &found, error))
    return FALSE;
  if (found && sale->sale_seq > 0)
    return TRUE;  /* an earlier row carried it: its verdict again, nothing twice */
  if (found)
    {
      /* An online decision of ours, or a sale of a fork's branch (settled with seq 0),
       * without its row in the chain kept until now. */
      sale->sale_seq = seq;
      if (sale->state == 1 && !sale->reversed)
        return set_verdict (ctx, sale, 1, OFFAUTH_SETTLE_OK, MAX (sale->attempt, 1), 0, error);
      if (!sale->reversed)
        return set_verdict (ctx, sale, sale->state, sale->reason, MAX (sale->attempt, 1),
                            sale->state == 3 ? sale->retry_after : 0, error);
      /* Reversed: settled afresh with the online checks, a new debit. */
      sale->reversed = FALSE;
      sale->debited = FALSE;
      sale->attempt = 1;
      sale->t_sale = ctx->now;
      return run_checks (ctx, t, sale, &r.payment, CHECKS_ONLINE, error);
    }
  /* A new sale: checked first, then written once with its verdict (set_verdict). */
  fill_sale (sale, t, sale_id, r.malformed ? NULL : &r.payment, ctx->now);
  sale->sale_seq = seq;
  sale->attempt = 1;
  if (!acquirer_db_next_arrival (ctx->db, &sale->arrival, error))
    return FALSE;
  if (r.malformed)
    return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_MALFORMED, 1, 0, error);
  sale->t_sale = MAX (r.payment.request.created_at, k9_time);
  /* A mode-1 record whose decision is not valid is settled as a mode-0 one. */
  sale->mode = r.mode == 1 && decision_valid (ctx, t, &r) ? 1 : 0;
  return run_checks (ctx, t, sale, &r.payment, sale->mode == 1 ? CHECKS_ONLINE : CHECKS_OFFLINE,
                     error);
}

/* Checks 7 and 8 again for a sale in state 3 with reason 8. scheduled: the due attempt
 * runs (the attempt count moves); otherwise it settles or stays as it is. */
static gboolean
retry_sale (AcquirerSettle         *ctx,
            const AcquirerTerminal *t,
            AcquirerSale           *sale,
            gboolean                scheduled,
            GError                **error)
{
  OffauthPayment p;
  guint64 sum;
  gboolean covered;
  guint16 attempt = scheduled ? sale->attempt + 1 : sale->attempt;

  if (!sale_payment (sale, &p))
    return TRUE;
  if (sale->mode == 0)
    {
      if (!acquirer_db_offline_sum (ctx->db, sale, &sum, error))
        return FALSE;
      if (p.counter > p.credential.max_offline_count || sum > p.credential.offline_total_limit ||
          sale->amount > p.credential.offline_total_limit - sum)
        return !scheduled ||
               set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_OVER_OFFLINE_LIMIT, attempt, 0, error);
    }
  if (!try_debit (ctx, sale, &covered, error))
    return FALSE;
  if (covered)
    return set_verdict (ctx, sale, 1, OFFAUTH_SETTLE_OK, attempt, 0, error);
  if (!scheduled)
    return TRUE;
  if (attempt >= OFFAUTH_VERDICT_MAX_ATTEMPT)
    return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_RETRIES_EXHAUSTED, OFFAUTH_VERDICT_MAX_ATTEMPT,
                        0, error);
  return set_verdict (ctx, sale, 3, OFFAUTH_SETTLE_INSUFFICIENT_FUNDS, attempt,
                      MAX (sale->first_decline + retry_due[attempt - 1],
                           ctx->now + ACQUIRER_RETRY_GAP),
                      error);
}

static gboolean
is_held (const AcquirerSale *sale)
{
  return sale->state == 3 && sale->reason != OFFAUTH_SETTLE_INSUFFICIENT_FUNDS;
}

/* A held sale runs again from check 2 (its place in arrival order and t_sale kept). */
static gboolean
rerun_held (AcquirerSettle         *ctx,
            const AcquirerTerminal *t,
            AcquirerSale           *sale,
            GError                **error)
{
  OffauthPayment p;

  if (!sale_payment (sale, &p))
    return TRUE;
  return run_checks (ctx, t, sale, &p, sale->mode == 1 ? CHECKS_ONLINE : CHECKS_OFFLINE, error);
}

gboolean
acquirer_settle_ask (AcquirerSettle         *ctx,
                     const AcquirerTerminal *t,
                     guint64                 sale_seq,
                     gboolean                replayed,
                     AcquirerSale           *sale,
                     gboolean               *found,
                     GError                **error)
{
  if (!acquirer_db_sale_by_seq (ctx->db, t->terminal_id, sale_seq, sale, found, error))
    return FALSE;
  if (!*found || sale->state != 3)
    return TRUE;
  if (is_held (sale))
    return rerun_held (ctx, t, sale, error);
  /* A replayed ask is "any other ask" (PROTOCOL.md, "Retry schedule"): run only when due,
   * it would let whoever saw one request spend the sale's attempts up to a final decline. */
  return retry_sale (ctx, t, sale, !replayed && ctx->now >= sale->retry_after, error);
}

gboolean
acquirer_settle_close (AcquirerSettle         *ctx,
                       const AcquirerTerminal *t,
                       const OffauthVerdict   *close,
                       GError                **error)
{
  AcquirerSale sale;
  gboolean found;

  if (!acquirer_db_sale_by_seq (ctx->db, t->terminal_id, close->sale_seq, &sale, &found, error))
    return FALSE;
  if (!found || memcmp (sale.sale_id, close->sale_id, OFFAUTH_SALE_ID_SIZE) != 0 ||
      sale.state != 3)
    return TRUE;  /* settled before the close came: the settled verdict stands */
  return set_verdict (ctx, &sale, 2, OFFAUTH_SETTLE_WITHDRAWN, sale.attempt, 0, error);
}

/* The registered terminal of a sale (held and retryable sales of a payer). */
static gboolean
sale_terminal (AcquirerSettle     *ctx,
               const AcquirerSale *sale,
               AcquirerTerminal   *t,
               gboolean           *found,
               GError            **error)
{
  return acquirer_db_find_terminal (ctx->db, sale->terminal_id, t, found, error);
}

gboolean
acquirer_settle_held (AcquirerSettle         *ctx,
                      const AcquirerTerminal *t,
                      GError                **error)
{
  g_autoptr(GArray) held = acquirer_db_sales (ctx->db, ACQUIRER_SALES_HELD, t->terminal_id, 0, 0,
                                              0, error);

  if (held == NULL)
    return FALSE;
  for (guint i = 0; i < held->len; i++)
    if (!rerun_held (ctx, t, &g_array_index (held, AcquirerSale, i), error))
      return FALSE;
  return TRUE;
}

gboolean
acquirer_settle_reverse (AcquirerSettle *ctx,
                         AcquirerSale   *sale,
                         GError        **error)
{
  guint64 balance;
  gboolean exists;

  if (sale->debited)
    {
      if (!acquirer_db_balance (ctx->db, sale_credential (sale), &balance, &exists, error))
        return FALSE;
      if (exists && !acquirer_db_set_balance (ctx->db, sale_credential (sale),
                                              balance + sale->amount, ctx->now, error))
        return FALSE;
      if (!acquirer_db_set_debit (ctx->db, sale, FALSE, ctx->now, error))
        return FALSE;
    }
  sale->debited = FALSE;
  sale->reversed = TRUE;
  return set_verdict (ctx, sale, 2, OFFAUTH_SETTLE_REVERSED, sale->attempt, 0, error);
}

gboolean
acquirer_settle_reverse_expired (AcquirerSettle *ctx,
                                 GError        **error)
{
  g_autoptr(GArray) due = NULL;

  if (ctx->now <= ACQUIRER_REVERSE_AFTER)
    return TRUE;
  due = acquirer_db_sales (ctx->db, ACQUIRER_SALES_ONLINE_EXPIRED, NULL,
                           ctx->now - ACQUIRER_REVERSE_AFTER, 0, 0, error);
  if (due == NULL)
    return FALSE;
  for (guint i = 0; i < due->len; i++)
    if (!acquirer_settle_reverse (ctx, &g_array_index (due, AcquirerSale, i), error))
      return FALSE;
  return TRUE;
}

static void
sign_decision (AcquirerSettle         *ctx,
               const AcquirerTerminal *t,
               const OffauthPayment   *p,
               guint8                  result,
               guint8                  reason,
               OffauthOnlineDecision  *d)
{
  memset (d, 0, sizeof *d);
  memcpy (d->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (d->sale_id, p->sale_id, OFFAUTH_SALE_ID_SIZE);
  d->result = result;
  d->reason = reason;
  d->acquirer_time = ctx->now;
  d->amount = p->request.amount;
  offauth_online_decision_sign (d, ctx->key);
}

gboolean
acquirer_settle_online (AcquirerSettle             *ctx,
                        const AcquirerTerminal     *t,
                        const OffauthOnlineRequest *request,
                        OffauthOnlineDecision      *d,
                        GError                    **error)
{
  const OffauthPayment *p = &request->payment;
  AcquirerSale sale;
  gboolean found;

  if (!acquirer_db_find_sale (ctx->db, t->terminal_id, p->sale_id, &sale, &found, error))
    return FALSE;
  if (found && sale.reversed)
    {
      sign_decision (ctx, t, p, OFFAUTH_ONLINE_DECLINED, OFFAUTH_SETTLE_REVERSED, d);
      return TRUE;
    }
  if (found && sale.decided_at > 0)
    {
      /* The same request again: the same decision. */
      sale.online_at = MAX (sale.online_at, request->created_at);
      return acquirer_db_update_sale (ctx->db, &sale, error) &&
             offauth_online_decision_parse (d, sale.decision, sizeof sale.decision, error);
    }
  if (found)
    {
      /* Uploaded offline already: its verdict, nothing debited again. */
      if (sale.state == 1)
        sign_decision (ctx, t, p, OFFAUTH_ONLINE_APPROVED, OFFAUTH_SETTLE_OK, d);
      else
        sign_decision (ctx, t, p, OFFAUTH_ONLINE_DECLINED, sale.reason, d);
      return TRUE;
    }
  fill_sale (&sale, t, p->sale_id, p, ctx->now);
  sale.mode = 1;
  sale.attempt = 1;
  sale.t_sale = ctx->now;
  sale.online_at = request->created_at;
  if (!acquirer_db_next_arrival (ctx->db, &sale.arrival, error) ||
      !run_checks (ctx, t, &sale, p, CHECKS_ONLINE, error))
    return FALSE;
  if (sale.state == 1)
    sign_decision (ctx, t, p, OFFAUTH_ONLINE_APPROVED, OFFAUTH_SETTLE_OK, d);
  else
    {
      /* Declined online stays declined for this terminal. */
      sign_decision (ctx, t, p, OFFAUTH_ONLINE_DECLINED, sale.reason, d);
      sale.state = 2;
      sale.retry_after = 0;
    }
  sale.decided_at = ctx->now;
  memcpy (sale.decision, d->raw, sizeof sale.decision);
  return acquirer_db_update_sale (ctx->db, &sale, error);
}

/* Settlement's hook in a top-up: the payer's held sales (reason 2, 3 or 4) run again and
 * its retryable ones (reason 8) settle, oldest first while the balance covers them, with
 * no attempt used; in the top-up's transaction. */
static gboolean
settle_payer_sales (AcquirerSettle          *ctx,
                    const OffauthCredential *credential,
                    guint                   *settled,
                    GError                 **error)
{
  g_autoptr(GArray) sales = NULL;

  *settled = 0;
  if (!acquirer_settle_refresh (ctx, error))
    return FALSE;
  sales = acquirer_db_sales (ctx->db, ACQUIRER_SALES_OF_CREDENTIAL, credential->raw, 0, 0, 0,
                             error);
  if (sales == NULL)
    return FALSE;
  for (guint i = 0; i < sales->len; i++)
    {
      AcquirerSale *sale = &g_array_index (sales, AcquirerSale, i);
      AcquirerTerminal t;
      gboolean found;

      if (!sale_terminal (ctx, sale, &t, &found, error))
        return FALSE;
      if (!found)
        continue;
      if (!(is_held (sale) ? rerun_held (ctx, &t, sale, error)
                           : retry_sale (ctx, &t, sale, FALSE, error)))
        return FALSE;
      if (sale->state == 1)
        (*settled)++;
    }
  return acquirer_settle_finish (ctx, error);
}

gboolean
acquirer_topup (AcquirerDb              *db,
                const OffauthSecretKey  *key,
                const char              *issuer_dir,
                const OffauthCredential *credential,
                guint64                  amount,
                guint64                  now,
                AcquirerTopup           *result,
                GError                 **error)
{
  AcquirerSettle ctx;
  gboolean exists, ok;

  memset (result, 0, sizeof *result);
  if (amount == 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "A top-up is at least 1 minor unit");
      return FALSE;
    }
  if (!acquirer_db_begin (db, error))
    return FALSE;
  acquirer_settle_init (&ctx, db, key, issuer_dir, now);
  ok = acquirer_db_credit (db, credential, amount, now, &result->balance, &result->created,
                           error) &&
       settle_payer_sales (&ctx, credential, &result->settled, error) &&
       acquirer_db_balance (db, credential->raw, &result->balance, &exists, error);
  acquirer_settle_clear (&ctx);
  if (!ok)
    {
      acquirer_db_rollback (db);
      return FALSE;
    }
  return acquirer_db_commit (db, error);
}
