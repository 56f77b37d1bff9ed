/* fuzz-authorize.c: the whole terminal decision, offauth_terminal_authorize(), against an
 * enrolled terminal (built once, in LLVMFuzzerInitialize, in a g_dir_make_tmp directory).
 *
 * Input: byte 0 says what to do with the rest.
 *   bits 0-2, the mode:
 *     0  the rest is the payment text, with an explicit length
 *     1  the rest is the payment text, as a C string (a copy, NUL-terminated)
 *     2  the rest is XORed into the binary of a valid payment for the terminal's latest
 *        request (the base), which is then text-encoded: past the base64 layer
 *     3  as 2, then the payer signature is made again (the payer key is known here), so
 *        that mutations reach the checks after the payer's signature
 *     4  as 3, but the credential is signed again first, by the issuer key it names (the
 *        first issuer key when it names none of the bundle's): reaches the whole decision
 *     5  offauth_terminal_load_bundle() of the rest as text
 *     6  offauth_terminal_load_revocations() of the rest as text
 *     7  offauth_terminal_verify_checkpoint() of the rest as text
 *   bit 5: modes 2-4 add one trailing LF to the text
 *   bit 7: first move the terminal's clock forward by the seconds in the next byte (up to
 *          an hour in all, so that the trust material stays valid): requests expire
 *   bit 6: then issue a new request for the amount in the next 4 bytes (u32 LE), which
 *          becomes the base, paid with a counter never used before
 * In modes 2-4, bytes after the 328 XORed into the payment are sale lines of 9 bytes
 * (category selector, u64 LE amount), at most 8.
 *
 * Besides the sanitizers, the decision is checked against the protocol's guarantees: an
 * approval is for a payment that verifies, for the latest request, within the
 * credential's limits; no sale id, (credential, counter) or request is approved twice;
 * refusals follow the decision order for what can be told from outside.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-fuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_LINES   8
#define LINE_SIZE   9
#define VERIFY_EVERY 512   /* approvals between two walks of the whole journal */
#define MAX_ADVANCE  3600  /* seconds the clock may move forward in all */

typedef struct
{
  guint64 count;
  guint64 total;
} CredTotals;

static FuzzWorld      *world;
static OffauthRequest  latest;             /* the terminal's latest request: the base's */
static OffauthPayment  base;               /* a valid payment for it */
static guint32         next_counter = 1;
static guint8          key2_id[OFFAUTH_KEY_ID_SIZE];
static guint8          key3_id[OFFAUTH_KEY_ID_SIZE];
static guint64         n_approved;
static GHashTable     *approved_sales;     /* sale id -> TRUE */
static GHashTable     *approved_counters;  /* credential id || counter -> TRUE */
static GHashTable     *approved_requests;  /* challenge -> TRUE */
static GHashTable     *cred_totals;        /* credential id -> CredTotals */
static gboolean        debug;              /* FUZZ_DEBUG set: print each decision */

static GBytes *
key_bytes (const guint8 *a, gsize a_len, const guint8 *b, gsize b_len)
{
  guint8 buf[64];

  memcpy (buf, a, a_len);
  if (b_len > 0)
    memcpy (buf + a_len, b, b_len);
  return g_bytes_new (buf, a_len + b_len);
}

static void
check_journal (void)
{
  g_autoptr(GError) error = NULL;
  guint64 bad = 0;

  if (!offauth_terminal_verify (world->term, &bad, &error))
    {
      fprintf (stderr, "journal check failed at row %" G_GUINT64_FORMAT ": %s\n", bad,
               error != NULL ? error->message : "?");
      abort ();
    }
}

static void
new_base (guint64 amount)
{
  g_autoptr(GError) error = NULL;
  OffauthRequest req;

  if (!fuzz_world_request (world, amount, &req, &error))
    {
      /* Only a bad amount may be refused: the terminal state allows requests. */
      FUZZ_CHECK (amount == 0 && error != NULL && error->code == OFFAUTH_ERROR_INVALID);
      return;
    }
  FUZZ_CHECK (req.amount == amount);
  latest = req;
  fuzz_world_payment (world, &latest, next_counter++, &base);
}

static void
cleanup (void)
{
  if (world == NULL)
    return;
  /* The journal and the tables derived from it must still agree, and reopening (which
   * checks them again) must work. */
  check_journal ();
  {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *ckpt = offauth_terminal_make_checkpoint (world->term, &error);

    FUZZ_CHECK (ckpt != NULL);
    FUZZ_CHECK (offauth_terminal_verify_checkpoint (world->term, ckpt, NULL, &error));
  }
  g_clear_pointer (&world->term, offauth_terminal_free);
  {
    g_autoptr(GError) error = NULL;

    world->term = offauth_terminal_open (world->db_path, OFFAUTH_OPEN_DEFAULT, &error);
    if (world->term == NULL)
      {
        fprintf (stderr, "reopening the terminal failed: %s\n", error->message);
        abort ();
      }
  }
  fprintf (stderr, "fuzz-authorize: %" G_GUINT64_FORMAT " sales approved, %" G_GUINT64_FORMAT
           " requests issued\n", n_approved, world->n_requests);
  g_clear_pointer (&world, fuzz_world_free);
  g_clear_pointer (&approved_sales, g_hash_table_unref);
  g_clear_pointer (&approved_counters, g_hash_table_unref);
  g_clear_pointer (&approved_requests, g_hash_table_unref);
  g_clear_pointer (&cred_totals, g_hash_table_unref);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  debug = g_getenv ("FUZZ_DEBUG") != NULL;
  world = fuzz_world_new (TRUE);
  offauth_key_id (key2_id, world->issuer2->pk);
  offauth_key_id (key3_id, world->issuer3->pk);
  approved_sales = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                          (GDestroyNotify) g_bytes_unref, NULL);
  approved_counters = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                             (GDestroyNotify) g_bytes_unref, NULL);
  approved_requests = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                             (GDestroyNotify) g_bytes_unref, NULL);
  cred_totals = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                       (GDestroyNotify) g_bytes_unref, g_free);
  new_base (FUZZ_AMOUNT);
  atexit (cleanup);
  return 0;
}

static guint64
get_u64 (const guint8 *p)
{
  guint64 v = 0;

  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static gboolean
is_revoked (const OffauthCredential *c)
{
  for (guint i = 0; i < FUZZ_N_REVOKED; i++)
    if (memcmp (c->credential_id, world->revoked[i], OFFAUTH_CREDENTIAL_ID_SIZE) == 0)
      return TRUE;
  return FALSE;
}

/* What an approval (a new sale) must satisfy, from outside the engine. */
static void
check_approval (const OffauthPayment    *p,
                const OffauthDecision   *d,
                const OffauthSaleLine   *lines,
                gsize                    n_lines)
{
  const OffauthCredential *c = &p->credential;
  const OffauthRequest *r = &p->request;
  const OffauthIssuerKey *key = offauth_bundle_find_key (&world->bundle, c->issuer_key_id);
  g_autoptr(GBytes) sale = key_bytes (p->sale_id, OFFAUTH_SALE_ID_SIZE, NULL, 0);
  g_autoptr(GBytes) challenge = key_bytes (r->challenge, OFFAUTH_CHALLENGE_SIZE, NULL, 0);
  guint8 counter[4] = { (guint8) p->counter, (guint8) (p->counter >> 8),
                        (guint8) (p->counter >> 16), (guint8) (p->counter >> 24) };
  g_autoptr(GBytes) cred_counter = key_bytes (c->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE,
                                              counter, 4);
  g_autoptr(GBytes) cred_id = key_bytes (c->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, NULL, 0);
  CredTotals *totals;
  guint64 food = 0;

  FUZZ_CHECK (offauth_payment_verify (p));
  FUZZ_CHECK (key != NULL && offauth_credential_verify (c, key->public_key));
  FUZZ_CHECK (world->now >= key->not_before && world->now <= key->not_after);
  /* For the latest request, as the terminal issued it, paid once. */
  FUZZ_CHECK (memcmp (r->raw, latest.raw, OFFAUTH_REQUEST_SIZE) == 0);
  FUZZ_CHECK (!g_hash_table_contains (approved_requests, challenge));
  FUZZ_CHECK (world->now - latest.created_at <= OFFAUTH_DEFAULT_REQUEST_LIFETIME);
  FUZZ_CHECK (!g_hash_table_contains (approved_sales, sale));
  FUZZ_CHECK (!g_hash_table_contains (approved_counters, cred_counter));
  /* The credential. */
  FUZZ_CHECK (world->now + OFFAUTH_CLOCK_SKEW >= c->not_before && world->now <= c->not_after);
  FUZZ_CHECK (memcmp (c->currency, r->currency, 3) == 0);
  FUZZ_CHECK (!is_revoked (c) || memcmp (c->issuer_key_id, key2_id, 8) == 0);
  FUZZ_CHECK (memcmp (c->credential_id, world->negative, OFFAUTH_CREDENTIAL_ID_SIZE) != 0);
  FUZZ_CHECK (c->scope == 0 || c->scope == r->scope);
  FUZZ_CHECK (key->scope == 0 || key->scope == r->scope);
  /* The limits. */
  FUZZ_CHECK (r->amount <= c->per_payment_limit);
  FUZZ_CHECK (p->counter >= 1 && p->counter <= c->max_offline_count);
  FUZZ_CHECK (memcmp (c->issuer_key_id, key2_id, 8) != 0 ||
              r->amount <= OFFAUTH_DEFAULT_STALE_CAP);   /* no list for the second key */
  totals = g_hash_table_lookup (cred_totals, cred_id);
  if (totals == NULL)
    {
      totals = g_new0 (CredTotals, 1);
      g_hash_table_insert (cred_totals, g_bytes_ref (cred_id), totals);
    }
  totals->count++;
  totals->total = totals->total + r->amount < totals->total ? G_MAXUINT64
                                                            : totals->total + r->amount;
  FUZZ_CHECK (totals->count <= c->max_offline_count);
  FUZZ_CHECK (totals->total <= c->offline_total_limit);
  /* The floors. */
  FUZZ_CHECK (r->amount <= FUZZ_FLOOR);
  for (gsize i = 0; i < n_lines; i++)
    if (g_strcmp0 (lines[i].category, "food") == 0)
      food = food + lines[i].amount < food ? G_MAXUINT64 : food + lines[i].amount;
  FUZZ_CHECK (food <= FUZZ_FOOD_FLOOR);
  /* The decision tells the sale. */
  FUZZ_CHECK (memcmp (d->sale_id, p->sale_id, OFFAUTH_SALE_ID_SIZE) == 0);
  FUZZ_CHECK (d->amount == r->amount && d->sale_number > 0 && d->time == world->now);
  FUZZ_CHECK (strcmp (d->currency, r->currency) == 0);

  g_hash_table_add (approved_sales, g_steal_pointer (&sale));
  g_hash_table_add (approved_counters, g_steal_pointer (&cred_counter));
  g_hash_table_add (approved_requests, g_steal_pointer (&challenge));
  if (++n_approved % VERIFY_EVERY == 0)
    check_journal ();
}

static void
authorize (const char            *text,
           gssize                 text_len,
           const OffauthSaleLine *lines,
           gsize                  n_lines)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bin = NULL;
  OffauthDecision d;
  OffauthPayment p;
  gboolean parsed = FALSE, payer_ok = FALSE;
  gsize bin_len = 0;

  offauth_terminal_authorize (world->term, text, text_len, lines, n_lines, &d);

  /* What the decision must be consistent with. */
  bin = offauth_text_decode (text, text_len, 'P', &bin_len, &error);
  if (bin != NULL)
    parsed = offauth_payment_parse (&p, bin, bin_len, NULL);
  payer_ok = parsed && offauth_payment_verify (&p);
  if (debug)
    fprintf (stderr, "decision: %s%s%s (%s); independent decode %s, parse %s, payer %s\n",
             offauth_reason_code (d.reason), d.garbled ? ", garbled" : "",
             d.already_recorded ? ", already recorded" : "", d.detail,
             bin != NULL ? "ok" : error->message, parsed ? "ok" : "failed",
             payer_ok ? "ok" : "failed");

  FUZZ_CHECK ((guint) d.reason < OFFAUTH_N_REASONS);
  FUZZ_CHECK (d.approved == (d.reason == OFFAUTH_REASON_NONE));
  FUZZ_CHECK (offauth_reason_code (d.reason) != NULL && offauth_reason_message (d.reason) != NULL);
  FUZZ_CHECK (memchr (d.detail, '\0', sizeof d.detail) != NULL);
  /* The terminal state is fine all along: fixed clock, no caps, fresh bundle. */
  FUZZ_CHECK (!offauth_reason_is_terminal_state (d.reason));
  /* A code that does not decode is a bad scan ("scan again"); one that decodes to a
   * payment that parses is not. */
  FUZZ_CHECK (!d.garbled || d.reason == OFFAUTH_REASON_MALFORMED);
  FUZZ_CHECK (bin != NULL || d.garbled);
  FUZZ_CHECK (!parsed || !d.garbled);
  FUZZ_CHECK ((d.reason == OFFAUTH_REASON_MALFORMED) == !parsed);
  FUZZ_CHECK ((d.reason == OFFAUTH_REASON_BAD_PAYER_SIGNATURE) == (parsed && !payer_ok));
  if (!d.approved)
    return;

  if (d.already_recorded)
    {
      /* The double scan: a sale approved before, for the latest request. */
      g_autoptr(GBytes) sale = key_bytes (p.sale_id, OFFAUTH_SALE_ID_SIZE, NULL, 0);

      FUZZ_CHECK (g_hash_table_contains (approved_sales, sale));
      FUZZ_CHECK (memcmp (p.request.challenge, latest.challenge, OFFAUTH_CHALLENGE_SIZE) == 0);
      FUZZ_CHECK (memcmp (d.sale_id, p.sale_id, OFFAUTH_SALE_ID_SIZE) == 0);
      return;
    }
  check_approval (&p, &d, lines, n_lines);
}

static gsize
read_lines (const uint8_t *data, size_t size, OffauthSaleLine *lines)
{
  static const char *categories[] = { "food", "drink", "other", NULL };
  gsize n = 0;

  while (size >= LINE_SIZE && n < MAX_LINES)
    {
      lines[n].category = categories[data[0] % G_N_ELEMENTS (categories)];
      lines[n].amount = get_u64 (data + 1);
      n++;
      data += LINE_SIZE;
      size -= LINE_SIZE;
    }
  return n;
}

static void
mutated_payment (const uint8_t *data, size_t size, guint mode, gboolean trailing_lf)
{
  guint8 raw[OFFAUTH_PAYMENT_SIZE];
  OffauthSaleLine lines[MAX_LINES];
  gsize n_lines = 0;
  g_autofree gchar *text = NULL;

  memcpy (raw, base.raw, OFFAUTH_PAYMENT_SIZE);
  for (gsize i = 0; i < size && i < OFFAUTH_PAYMENT_SIZE; i++)
    raw[i] ^= data[i];
  if (size > OFFAUTH_PAYMENT_SIZE)
    n_lines = read_lines (data + OFFAUTH_PAYMENT_SIZE, size - OFFAUTH_PAYMENT_SIZE, lines);

  if (mode == 4)
    {
      /* The credential is bytes 8..179; its issuer key id is at its byte 8. */
      const OffauthSecretKey *issuer =
        memcmp (raw + 16, key2_id, OFFAUTH_KEY_ID_SIZE) == 0 ? world->issuer2 :
        memcmp (raw + 16, key3_id, OFFAUTH_KEY_ID_SIZE) == 0 ? world->issuer3 : world->issuer;

      offauth_sign (raw + 8 + 108, OFFAUTH_TAG_CRED, raw + 8, 108, issuer->sk);
    }
  if (mode >= 3)
    offauth_sign (raw + OFFAUTH_PAYMENT_SIGNED, OFFAUTH_TAG_PAYM, raw, OFFAUTH_PAYMENT_SIGNED,
                  world->payer->sk);

  {
    g_autofree gchar *b64 = offauth_text_encode ('P', raw, OFFAUTH_PAYMENT_SIZE);

    text = trailing_lf ? g_strconcat (b64, "\n", NULL) : g_steal_pointer (&b64);
  }
  authorize (text, -1, lines, n_lines);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint mode;
  gboolean trailing_lf, new_request;

  if (size < 1)
    return 0;
  mode = data[0] & 7;
  trailing_lf = (data[0] & 0x20) != 0;

  new_request = (data[0] & 0x40) != 0;
  if (data[0] & 0x80)
    {
      if (size < 2)
        return 0;
      world->now = MIN (world->now + data[1], FUZZ_NOW + MAX_ADVANCE);
      data++;
      size--;
    }
  if (new_request)
    {
      guint64 amount = 0;

      if (size < 5)
        return 0;
      for (int i = 4; i >= 1; i--)
        amount = amount << 8 | data[i];
      new_base (amount);
      data += 4;
      size -= 4;
    }
  data++;
  size--;

  switch (mode)
    {
    case 0:
      authorize ((const char *) data, (gssize) size, NULL, 0);
      break;

    case 1:
      {
        g_autofree gchar *text = g_strndup ((const char *) data, size);

        authorize (text, -1, NULL, 0);
      }
      break;

    case 2:
    case 3:
    case 4:
      mutated_payment (data, size, mode, trailing_lf);
      break;

    case 5:
    case 6:
    case 7:
      {
        g_autoptr(GError) error = NULL;
        g_autofree gchar *text = g_strndup ((const char *) data, size);
        gboolean ok;

        if (mode == 5)
          ok = offauth_terminal_load_bundle (world->term, text, &error);
        else if (mode == 6)
          ok = offauth_terminal_load_revocations (world->term, text, &error);
        else
          ok = offauth_terminal_verify_checkpoint (world->term, text, NULL, &error);
        FUZZ_CHECK (ok == (error == NULL));
        /* Loading trust material needs the signature of a key the fuzzer does not hold:
         * only the seeds' own bundle and list can be valid, and they are not newer. */
        if (mode != 7)
          FUZZ_CHECK (!ok);
      }
      break;

    default:
      g_assert_not_reached ();
    }
  return 0;
}
