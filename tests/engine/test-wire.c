/* test-wire.c: the OA1 messages byte for byte, the text form, and total parsing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "testutil.h"

static void
make_payment (TestWorld *w, OffauthPayment *p, gchar **text)
{
  OffauthCredential cred;
  OffauthRequest req;

  test_credential (w, &cred);
  test_request (w, 450, &req);
  *text = offauth_payment_make (&cred, &req, 3, w->payer, p);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthPayment p, q;
  OffauthBundle b;
  OffauthCheckpoint k = { 0 }, k2;
  g_autofree gchar *text = NULL;
  g_autofree gchar *ktext = NULL;

  make_payment (w, &p, &text);
  g_assert_cmpuint (strlen (text), ==, 443);
  g_assert_true (g_str_has_prefix (text, "OA1P."));
  g_assert_true (offauth_payment_parse_text (&q, text, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (q.raw, OFFAUTH_PAYMENT_SIZE, p.raw, OFFAUTH_PAYMENT_SIZE);
  g_assert_cmpuint (q.counter, ==, 3);
  g_assert_cmpuint (q.request.amount, ==, 450);
  g_assert_cmpstr (q.request.merchant_id, ==, "kiosk-1");
  g_assert_cmpstr (q.credential.currency, ==, "EUR");
  g_assert_cmpuint (q.credential.per_payment_limit, ==, 2000);
  g_assert_true (offauth_payment_verify (&q));
  g_assert_true (offauth_credential_verify (&q.credential, w->issuer->pk));
  g_assert_false (offauth_credential_verify (&q.credential, w->stranger->pk));

  /* Little-endian fields at their offsets. */
  g_assert_cmpmem (p.raw, 4, "OA1P", 4);
  g_assert_cmpuint (p.raw[260], ==, 3);
  g_assert_cmpuint (p.raw[180 + 48], ==, 450 & 0xff);
  g_assert_cmpuint (p.raw[180 + 49], ==, 450 >> 8);

  g_assert_true (offauth_bundle_parse_text (&b, w->bundle_text, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (b.n_keys, ==, 2);
  g_assert_cmpuint (b.raw_len, ==, 128 + 64 * 2);
  g_assert_true (offauth_bundle_verify (&b, w->root->pk));
  g_assert_nonnull (offauth_bundle_find_key (&b, p.credential.issuer_key_id));
  g_assert_cmpint (memcmp (b.keys[0].key_id, b.keys[1].key_id, 8), <, 0);

  memset (k.terminal_id, 7, sizeof k.terminal_id);
  k.seq = 42;
  k.created_at = TEST_NOW;
  offauth_checkpoint_sign (&k, w->stranger);
  ktext = offauth_text_encode ('K', k.raw, OFFAUTH_CHECKPOINT_SIZE);
  g_assert_true (offauth_checkpoint_parse_text (&k2, ktext, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (k2.seq, ==, 42);
  g_assert_true (offauth_checkpoint_verify (&k2, w->stranger->pk));
  g_assert_false (offauth_checkpoint_verify (&k2, w->payer->pk));
  test_world_free (w);
}

static void
test_ids (void)
{
  TestWorld *w = test_world_new ();
  OffauthPayment p, resigned;
  g_autofree gchar *text = NULL;
  guint8 h[32], h8[8], id[8];
  guint8 buf[8 + OFFAUTH_PAYMENT_SIGNED];

  /* The key id is the first 8 bytes of the 32-byte hash, not an 8-byte BLAKE2b. */
  offauth_key_id (id, w->issuer->pk);
  crypto_generichash (h, 32, w->issuer->pk, 32, NULL, 0);
  crypto_generichash (h8, 8, w->issuer->pk, 32, NULL, 0);
  g_assert_cmpmem (id, 8, h, 8);
  g_assert_cmpint (memcmp (id, h8, 8), !=, 0);

  /* The sale id leaves the signature out. */
  make_payment (w, &p, &text);
  memcpy (buf, "OA1.PAYM", 8);
  memcpy (buf + 8, p.raw, OFFAUTH_PAYMENT_SIGNED);
  crypto_generichash (h, 32, buf, sizeof buf, NULL, 0);
  g_assert_cmpmem (p.sale_id, 32, h, 32);
  resigned = p;
  memset (resigned.signature, 0x55, 64);
  offauth_payment_encode (&resigned);
  g_assert_cmpmem (resigned.sale_id, 32, p.sale_id, 32);
  g_assert_false (offauth_payment_verify (&resigned));
  test_world_free (w);
}

static void
test_text_rules (void)
{
  TestWorld *w = test_world_new ();
  OffauthPayment p, q;
  g_autofree gchar *text = NULL;
  const struct
  {
    const char *what;
    const char *prefix;
    const char *suffix;
    gsize       cut;      /* characters cut from the end of the base64 */
  } bad[] = {
    { "padding", "", "=", 0 },
    { "CR LF", "", "\r\n", 0 },
    { "two LF", "", "\n\n", 0 },
    { "space", "", " ", 0 },
    { "leading space", " ", "", 0 },
    { "one character short", "", "", 1 },
    { "one byte short", "", "", 2 },
  };

  make_payment (w, &p, &text);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree gchar *body = g_strndup (text, strlen (text) - bad[i].cut);
      g_autofree gchar *t = g_strconcat (bad[i].prefix, body, bad[i].suffix, NULL);

      g_test_message ("%s", bad[i].what);
      g_assert_false (offauth_payment_parse_text (&q, t, -1, &error));
      g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
    }

  /* One trailing LF is allowed. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *lf = g_strconcat (text, "\n", NULL);
    g_assert_true (offauth_payment_parse_text (&q, lf, -1, &error));
    g_assert_no_error (error);
  }

  /* The type letter must match the magic. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *t = g_strdup (text);
    OffauthRequest r;
    t[3] = 'R';
    g_assert_false (offauth_request_parse_text (&r, t, &error));
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
  }

  /* Unused bits of the last character must be zero: 328 bytes leave 4 bits over. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *t = g_strdup (text);
    gsize last = strlen (t) - 1;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *pos = strchr (alphabet, t[last]);
    g_assert_nonnull (pos);
    t[last] = alphabet[(pos - alphabet) | 1];
    g_assert_false (offauth_payment_parse_text (&q, t, -1, &error));
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
  }

  /* A NUL inside the text. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *t = g_strdup (text);
    t[100] = '\0';
    g_assert_false (offauth_payment_parse_text (&q, t, (gssize) strlen (text), &error));
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
  }
  test_world_free (w);
}

static void
test_bounds (void)
{
  TestWorld *w = test_world_new ();
  OffauthPayment p, q;
  g_autofree gchar *text = NULL;
  const struct
  {
    const char *what;
    gsize       offset;
    guint8      value;
  } edits[] = {
    { "payment version", 4, 2 },
    { "payment reserved", 5, 1 },
    { "credential magic", 8 + 3, 'X' },
    { "credential reserved", 8 + 5, 1 },
    { "credential currency lowercase", 8 + 64, 'e' },
    { "credential reserved after currency", 8 + 67, 1 },
    { "request reserved", 180 + 7, 1 },
    { "merchant id character", 180 + 8, '!' },
    { "merchant id inner NUL", 180 + 9, 0 },
    { "merchant id empty", 180 + 8, 0 },
    { "request currency", 180 + 44, '1' },
    { "request reserved after currency", 180 + 47, 1 },
  };

  make_payment (w, &p, &text);
  for (gsize i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autoptr(GError) error = NULL;
      guint8 raw[OFFAUTH_PAYMENT_SIZE];

      memcpy (raw, p.raw, sizeof raw);
      raw[edits[i].offset] = edits[i].value;
      g_test_message ("%s", edits[i].what);
      g_assert_false (offauth_payment_parse (&q, raw, sizeof raw, &error));
      g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
    }

  g_assert_true (offauth_merchant_id_valid ("kiosk-1"));
  g_assert_true (offauth_merchant_id_valid ("A.b_c-0123456789"));
  g_assert_false (offauth_merchant_id_valid ("A.b_c-01234567890"));
  g_assert_false (offauth_merchant_id_valid (""));
  g_assert_false (offauth_merchant_id_valid ("kiosk 1"));
  g_assert_true (offauth_currency_valid ("EUR"));
  g_assert_false (offauth_currency_valid ("EURO"));
  g_assert_false (offauth_currency_valid ("eur"));
  test_world_free (w);
}

/* Any byte string gives a message or an error: random input, and every prefix of a
 * valid message, through every parser. */
static void
test_total (void)
{
  TestWorld *w = test_world_new ();
  OffauthPayment p;
  g_autofree gchar *text = NULL;
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());

  make_payment (w, &p, &text);
  for (guint i = 0; i < 20000; i++)
    {
      guint8 buf[400];
      gsize len = (gsize) g_rand_int_range (rand, 0, sizeof buf);
      OffauthCredential c;
      OffauthRequest r;
      OffauthPayment q;
      OffauthBundle b;
      OffauthCheckpoint k;
      g_autoptr(OffauthRevocationList) list = NULL;
      g_autofree gchar *t = NULL;

      for (gsize j = 0; j < len; j++)
        buf[j] = (guint8) g_rand_int (rand);
      /* Half the time, start from a valid payment so that deeper checks are reached. */
      if (i % 2 == 0)
        {
          len = OFFAUTH_PAYMENT_SIZE;
          memcpy (buf, p.raw, len);
          buf[g_rand_int_range (rand, 0, (gint32) len)] ^= (guint8) g_rand_int (rand);
        }
      else if (len >= 4)
        memcpy (buf, (const char *[]) { "OA1C", "OA1R", "OA1P", "OA1T", "OA1V", "OA1K",
                                         "OA1U", "OA1A", "OA1O", "OA1D" }[i % 10], 4);
      offauth_credential_parse (&c, buf, len, NULL);
      offauth_request_parse (&r, buf, len, NULL);
      if (offauth_payment_parse (&q, buf, len, NULL))
        offauth_payment_verify (&q);
      if (offauth_bundle_parse (&b, buf, len, NULL))
        offauth_bundle_verify (&b, w->root->pk);
      list = offauth_revocation_list_parse (buf, len, NULL);
      offauth_checkpoint_parse (&k, buf, len, NULL);
      {
        g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse (buf, len, NULL);
        g_autoptr(OffauthSyncAnswer) a = offauth_sync_answer_parse (buf, len, NULL);
        OffauthOnlineRequest o;
        OffauthOnlineDecision dec;

        offauth_online_request_parse (&o, buf, len, NULL);
        offauth_online_decision_parse (&dec, buf, len, NULL);
      }
      t = g_strndup ((const char *) buf, len);
      offauth_payment_parse_text (&q, t, -1, NULL);
      offauth_bundle_parse_text (&b, t, NULL);
    }
  for (gsize len = 0; len <= strlen (text); len++)
    {
      OffauthPayment q;
      g_autofree gchar *prefix = g_strndup (text, len);
      g_assert_cmpint (offauth_payment_parse_text (&q, prefix, -1, NULL), ==, len == strlen (text));
    }
  g_rand_free (rand);
  test_world_free (w);
}

static void
test_revocation_list (void)
{
  TestWorld *w = test_world_new ();
  guint8 ids[5][16];
  guint8 absent[16];
  guint8 key_id[8];
  g_autoptr(OffauthRevocationList) list = NULL;

  for (guint i = 0; i < 5; i++)
    memset (ids[i], 0x90 - 0x10 * (gint) i, 16);
  memcpy (ids[4], ids[1], 16); /* a duplicate is dropped */
  offauth_key_id (key_id, w->issuer->pk);
  list = offauth_revocation_list_build (key_id, 3, TEST_NOW, TEST_NOW + 3600, (const guint8 *) ids, 5,
                                        w->issuer);
  g_assert_cmpuint (list->n_ids, ==, 4);
  g_assert_true (offauth_revocation_list_verify (list, w->issuer->pk));
  for (guint i = 0; i < 4; i++)
    g_assert_true (offauth_revocation_list_contains (list, ids[i]));
  memset (absent, 0x85, 16);
  g_assert_false (offauth_revocation_list_contains (list, absent));
  memset (absent, 0x00, 16);
  g_assert_false (offauth_revocation_list_contains (list, absent));
  memset (absent, 0xff, 16);
  g_assert_false (offauth_revocation_list_contains (list, absent));
  test_world_free (w);
}

static void
test_amounts (void)
{
  const struct
  {
    guint64     amount;
    const char *currency;
    const char *expected;
  } cases[] = {
    { 450, "EUR", "€4.50" },
    { 5, "EUR", "€0.05" },
    { 0, "EUR", "€0.00" },
    { 123456789, "EUR", "€1234567.89" },
    { 450, "JPY", "¥450" },
    { 1234, "BHD", "BHD 1.234" },
    { 100, "CHF", "CHF 1.00" },
    { G_MAXUINT64, "USD", "$184467440737095516.15" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *s = money_format_amount (cases[i].amount, cases[i].currency);
      g_assert_cmpstr (s, ==, cases[i].expected);
    }
}

/* Reconciliation messages */

static void
put32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
put64 (guint8 *p, guint64 v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static OffauthSyncRequest *
make_sync_request (TestWorld *w, const OffauthPayment *p, OffauthSecretKey *terminal,
                   OffauthSecretKey *acquirer)
{
  g_autoptr(GError) error = NULL;
  guint8 rec1[9 + OFFAUTH_PAYMENT_SIZE + 1] = { 1 }, rec2[9 + 7] = { 6 };
  guint64 asks[] = { 2, 40 };
  OffauthView records[] = { { rec1, sizeof rec1 }, { rec2, sizeof rec2 } };
  OffauthSyncRequest f = { .first_seq = 41, .created_at = TEST_NOW, .verdict_cursor = 9,
                           .n_asks = 2, .asks = asks, .n_records = 2, .records = records };
  OffauthSyncRequest *u;

  memcpy (rec1 + 9, p->raw, OFFAUTH_PAYMENT_SIZE);
  memcpy (rec2 + 9, "scope=7", 7);
  offauth_terminal_id_from_key (f.terminal_id, terminal->pk);
  memset (f.prev_hash, 0xab, sizeof f.prev_hash);
  u = offauth_sync_request_sign (&f, acquirer->pk, terminal, &error);
  g_assert_no_error (error);
  g_assert_nonnull (u);
  return u;
}

static OffauthSyncAnswer *
make_sync_answer (const OffauthSyncRequest *u, const OffauthPayment *p,
                  OffauthSecretKey *acquirer)
{
  g_autoptr(GError) error = NULL;
  OffauthVerdict v[2] = {
    { .sale_seq = 2, .state = 3, .reason = 8, .attempt = 2, .retry_after = TEST_NOW + 3600 },
    { .sale_seq = 41, .state = 1, .reason = 0, .attempt = 1 },
  };
  OffauthSyncAnswer f = { .acked_seq = 42, .acquirer_time = TEST_NOW + 5, .verdict_cursor = 11,
                          .n_verdicts = 2, .flags = OFFAUTH_SYNC_FLAG_MORE, .verdicts = v };
  OffauthSyncAnswer *a;

  memset (v[0].sale_id, 0x11, 32);
  memcpy (v[1].sale_id, p->sale_id, 32);
  memcpy (f.terminal_id, u->terminal_id, 16);
  memset (f.h_acked, 0xcd, 32);
  offauth_sync_request_hash (u, f.request_hash);
  a = offauth_sync_answer_sign (&f, acquirer, &error);
  g_assert_no_error (error);
  g_assert_nonnull (a);
  return a;
}

static void
assert_u_refused (const guint8 *d, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse (d, len, &error);

  g_assert_null (u);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
}

static void
assert_a_refused (const guint8 *d, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncAnswer) a = offauth_sync_answer_parse (d, len, &error);

  g_assert_null (a);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
}

static void
test_sync_request (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  g_autoptr(OffauthSecretKey) terminal = test_key (0x71);
  g_autoptr(OffauthSecretKey) acquirer = test_key (0x72);
  g_autoptr(OffauthSyncRequest) u = NULL, u2 = NULL;
  OffauthPayment p;
  g_autofree gchar *ptext = NULL, *text = NULL;
  g_autofree guint8 *d = NULL;
  gsize len;
  guint8 h[32];

  make_payment (w, &p, &ptext);
  u = make_sync_request (w, &p, terminal, acquirer);
  d = g_bytes_unref_to_data (g_bytes_ref (u->raw), &len);
  g_assert_cmpuint (len, ==, 152 + 8 * 2 + (4 + 338) + (4 + 16));
  g_assert_cmpmem (d, 4, "OA1U", 4);
  g_assert_cmpuint (u->first_seq, ==, 41);
  g_assert_cmpuint (u->verdict_cursor, ==, 9);
  g_assert_cmpuint (u->n_asks, ==, 2);
  g_assert_cmpuint (u->asks[1], ==, 40);
  g_assert_cmpuint (u->n_records, ==, 2);
  g_assert_cmpuint (u->records[0].len, ==, 338);
  g_assert_true (u->records[0].data == (const guint8 *) g_bytes_get_data (u->raw, NULL) + 108);
  g_assert_cmpmem (u->records[0].data + 9, 328, p.raw, 328);
  g_assert_cmpmem (u->records[1].data + 9, 7, "scope=7", 7);
  g_assert_true (offauth_sync_request_verify (u, acquirer->pk, terminal->pk));
  /* Bound to the acquirer: another acquirer's key id does not verify. */
  g_assert_false (offauth_sync_request_verify (u, w->stranger->pk, terminal->pk));
  g_assert_false (offauth_sync_request_verify (u, acquirer->pk, w->stranger->pk));

  /* The text form round-trips; request_hash is H(binary). */
  text = offauth_text_encode ('U', d, len);
  u2 = offauth_sync_request_parse_text (text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (u->raw, u2->raw));
  offauth_sync_request_hash (u2, h);
  {
    guint8 expect[32];
    crypto_generichash (expect, 32, d, len, NULL, 0);
    g_assert_cmpmem (h, 32, expect, 32);
  }

  /* Every length rule. */
  assert_u_refused (d, len - 1);
  assert_u_refused (d, 151);
  {
    g_autofree guint8 *b = g_memdup2 (d, len + 1);
    b[len] = 0;
    assert_u_refused (b, len + 1);                 /* a byte after the signature */
    b[5] = 1;
    assert_u_refused (b, len);                     /* reserved */
    memcpy (b, d, len);
    put64 (b + 88, 40);                 /* asks 40, 40: not strictly ascending */
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put64 (b + 88, 0);                  /* ask for row 0 */
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put32 (b + 80, 1025);
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put32 (b + 84, 65537);
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put32 (b + 84, 1);                  /* one record fewer than present */
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put32 (b + 84, 3);                  /* one more than present */
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put32 (b + 104, 8);                 /* record 0 shorter than 9 bytes */
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put32 (b + 104, 1048577);
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put64 (b + 24, 0);                  /* first_seq 0 */
    assert_u_refused (b, len);
    memcpy (b, d, len);
    put64 (b + 24, G_MAXUINT64);        /* rows past 2^64 - 1 */
    assert_u_refused (b, len);
  }

  /* A poll: no asks, no records, 152 bytes. */
  {
    OffauthSyncRequest f = { .first_seq = 1 };
    g_autoptr(OffauthSyncRequest) poll = offauth_sync_request_sign (&f, acquirer->pk, terminal,
                                                                     &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_bytes_get_size (poll->raw), ==, 152);
    g_assert_true (offauth_sync_request_verify (poll, acquirer->pk, terminal->pk));
  }
  /* The encoder refuses what the parser would. */
  {
    guint64 asks[] = { 5, 5 };
    OffauthSyncRequest f = { .first_seq = 1, .n_asks = 2, .asks = asks };
    g_autoptr(GBytes) b = offauth_sync_request_encode (&f, &error);
    g_assert_null (b);
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
  }
  test_world_free (w);
}

static void
test_sync_answer (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  g_autoptr(OffauthSecretKey) terminal = test_key (0x71);
  g_autoptr(OffauthSecretKey) acquirer = test_key (0x72);
  g_autoptr(OffauthSyncRequest) u = NULL;
  g_autoptr(OffauthSyncAnswer) a = NULL, a2 = NULL;
  OffauthPayment p;
  g_autofree gchar *ptext = NULL, *text = NULL;
  g_autofree guint8 *d = NULL, *b = NULL;
  gsize len;

  make_payment (w, &p, &ptext);
  u = make_sync_request (w, &p, terminal, acquirer);
  a = make_sync_answer (u, &p, acquirer);
  d = g_bytes_unref_to_data (g_bytes_ref (a->raw), &len);
  g_assert_cmpuint (len, ==, 184 + 56 * 2);
  g_assert_cmpmem (d, 4, "OA1A", 4);
  g_assert_cmpuint (a->acked_seq, ==, 42);
  g_assert_cmpuint (a->flags, ==, 1);
  g_assert_cmpuint (a->n_verdicts, ==, 2);
  g_assert_cmpuint (a->verdicts[0].retry_after, ==, TEST_NOW + 3600);
  g_assert_cmpuint (a->verdicts[0].attempt, ==, 2);
  g_assert_cmpmem (a->verdicts[1].sale_id, 32, p.sale_id, 32);
  g_assert_cmpuint (d[120 + 56 + 40], ==, 1);
  g_assert_true (offauth_sync_answer_verify (a, acquirer->pk));
  g_assert_false (offauth_sync_answer_verify (a, terminal->pk));
  text = offauth_text_encode ('A', d, len);
  a2 = offauth_sync_answer_parse_text (text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (a->raw, a2->raw));

  b = g_memdup2 (d, len + 56);
#define MUTATE(stmt) G_STMT_START { memcpy (b, d, len); stmt; assert_a_refused (b, len); } G_STMT_END
  assert_a_refused (d, len - 1);
  assert_a_refused (d, 183);
  MUTATE (put32 (b + 112, 3));                      /* n disagrees with the size */
  MUTATE (put32 (b + 116, 2));                      /* unknown flag */
  MUTATE (b[7] = 1);                                            /* reserved */
  MUTATE (put64 (b + 24, 40));                      /* verdict above acked_seq */
  MUTATE (put64 (b + 120, 41));                     /* 41, 41 */
  MUTATE (put64 (b + 120, 0));                      /* row 0 */
  MUTATE (memcpy (b + 120 + 8, p.sale_id, 32));                /* one sale twice */
  MUTATE (b[120 + 44] = 1);                                     /* verdict reserved */
  MUTATE (b[120 + 40] = 4);                                     /* state 4 in an answer */
  MUTATE (b[120 + 40] = 0);
  MUTATE (b[120 + 41] = 2);                                     /* (3, 2) with retry_after */
  MUTATE (put64 (b + 120 + 48, 0));                 /* (3, 8) without */
  MUTATE (b[120 + 56 + 41] = 4);                                /* (1, 4) */
  MUTATE (b[120 + 56 + 40] = 2);                                /* (2, 0) */
  MUTATE (put64 (b + 120 + 56 + 48, 1));            /* retry_after outside 3 */
  MUTATE (b[120 + 42] = 0);                                     /* attempt 0 */
  MUTATE (b[120 + 42] = 6);                                     /* attempt 6 */
#undef MUTATE
  /* acked_seq 0: h_acked must be zero, and no verdict fits. */
  {
    OffauthSyncAnswer f = { .acquirer_time = 1 };
    g_autoptr(OffauthSyncAnswer) empty = offauth_sync_answer_sign (&f, acquirer, &error);
    g_autoptr(GBytes) bad = NULL;

    g_assert_no_error (error);
    g_assert_cmpuint (g_bytes_get_size (empty->raw), ==, 184);
    f.h_acked[3] = 1;
    bad = offauth_sync_answer_encode (&f, &error);
    g_assert_null (bad);
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
  }
  test_world_free (w);
}

static void
test_sync_text_cap (void)
{
  /* A text over 67,108,864 characters is refused before it is decoded; the binary cap
   * follows from it. */
  gsize n = OFFAUTH_SYNC_MAX_TEXT + 1;
  g_autofree gchar *text = g_malloc (n + 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncRequest) u = NULL;

  memcpy (text, "OA1U.", 5);
  memset (text + 5, 'A', n - 5);
  text[n] = '\n';
  text[n + 1] = '\0';
  u = offauth_sync_request_parse_text (text, -1, &error);
  g_assert_null (u);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "too long"));
  g_assert_cmpuint (5 + (OFFAUTH_SYNC_MAX_SIZE / 3) * 4 + 3, ==, OFFAUTH_SYNC_MAX_TEXT);
}

static void
test_online (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  g_autoptr(OffauthSecretKey) terminal = test_key (0x71);
  g_autoptr(OffauthSecretKey) acquirer = test_key (0x72);
  OffauthPayment p;
  OffauthOnlineRequest o = { .created_at = TEST_NOW }, o2;
  OffauthOnlineDecision dec = { .result = 1, .acquirer_time = TEST_NOW + 1 }, dec2;
  g_autofree gchar *ptext = NULL, *otext = NULL, *dtext = NULL;
  guint8 b[OFFAUTH_ONLINE_REQUEST_SIZE];

  make_payment (w, &p, &ptext);
  o.payment = p;
  offauth_terminal_id_from_key (o.terminal_id, terminal->pk);
  offauth_online_request_sign (&o, acquirer->pk, terminal);
  otext = offauth_text_encode ('O', o.raw, sizeof o.raw);
  g_assert_true (offauth_online_request_parse_text (&o2, otext, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (o2.raw, 424, o.raw, 424);
  g_assert_cmpmem (o2.payment.sale_id, 32, p.sale_id, 32);
  g_assert_cmpuint (o2.created_at, ==, TEST_NOW);
  g_assert_true (offauth_online_request_verify (&o2, acquirer->pk, terminal->pk));
  g_assert_false (offauth_online_request_verify (&o2, w->stranger->pk, terminal->pk));
  memcpy (b, o.raw, sizeof b);
  b[6] = 1;
  g_assert_false (offauth_online_request_parse (&o2, b, sizeof b, NULL));
  memcpy (b, o.raw, sizeof b);
  b[32 + 260] = 0;                               /* the payment's counter 0 */
  b[32 + 261] = 0;
  b[32 + 262] = 0;
  b[32 + 263] = 0;
  g_assert_false (offauth_online_request_parse (&o2, b, sizeof b, NULL));
  g_assert_false (offauth_online_request_parse (&o2, o.raw, 423, NULL));

  memcpy (dec.terminal_id, o.terminal_id, 16);
  memcpy (dec.sale_id, p.sale_id, 32);
  dec.amount = p.request.amount;
  offauth_online_decision_sign (&dec, acquirer);
  dtext = offauth_text_encode ('D', dec.raw, sizeof dec.raw);
  g_assert_true (offauth_online_decision_parse_text (&dec2, dtext, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dec2.amount, ==, 450);
  g_assert_true (offauth_online_decision_verify (&dec2, acquirer->pk));
  g_assert_false (offauth_online_decision_verify (&dec2, terminal->pk));
  for (guint r = 0; r < 2; r++)
    for (guint reason = 0; reason < 256; reason++)
      {
        gboolean ok = r == 0 ? reason == 0
                             : (reason >= 1 && reason <= 6) || reason == 8 || reason == 11 ||
                               reason == 12;
        memcpy (b, dec.raw, 144);
        b[56] = (guint8) (r + 1);
        b[57] = (guint8) reason;
        g_assert_cmpint (offauth_online_decision_parse (&dec2, b, 144, NULL), ==, ok);
      }
  memcpy (b, dec.raw, 144);
  b[56] = 3;
  b[57] = 0;
  g_assert_false (offauth_online_decision_parse (&dec2, b, 144, NULL));
  memcpy (b, dec.raw, 144);
  b[63] = 1;
  g_assert_false (offauth_online_decision_parse (&dec2, b, 144, NULL));
  test_world_free (w);
}

static gboolean
last_negative_cb (guint64 seq, guint kind, guint64 time, const guint8 *payload, gsize len,
                  const guint8 hash[OFFAUTH_HASH_SIZE], gpointer user_data)
{
  if (kind == OFFAUTH_RECORD_NEGATIVE_LIST)
    *(gsize *) user_data = len;
  return TRUE;
}

static void
test_records_sync (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  g_autoptr(OffauthSecretKey) acquirer = test_key (0x72);
  OffauthPayment p;
  g_autofree gchar *ptext = NULL;
  OffauthRecord st = { .kind = OFFAUTH_RECORD_SALE_STATE, .time = TEST_NOW,
                       .sale_state.verdict = { .sale_seq = 12, .state = 3, .reason = 8,
                                               .attempt = 1, .retry_after = TEST_NOW + 3600 } };
  OffauthRecord sy = { .kind = OFFAUTH_RECORD_SYNC_ACCEPTED, .time = TEST_NOW,
                       .sync_accepted = { .acked_seq = 40, .acquirer_time = TEST_NOW - 3,
                                          .verdict_cursor = 7 } };
  OffauthRecord sale = { .kind = OFFAUTH_RECORD_SALE_APPROVED, .time = TEST_NOW,
                         .sale.mode = OFFAUTH_MODE_ONLINE };
  g_auto(OffauthRecord) back = { 0 };
  g_autofree guint8 *b1 = NULL, *b2 = NULL, *b3 = NULL;
  gsize len1, len2, len3;

  memset (st.sale_state.verdict.sale_id, 0x5a, 32);
  memset (sy.sync_accepted.answer_hash, 0x6b, 32);
  b1 = offauth_record_encode (&st, &len1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len1, ==, 65);
  g_assert_cmpuint (b1[0], ==, 8);
  g_assert_cmpuint (b1[9 + 40], ==, 3);
  g_assert_true (offauth_record_parse (&back, b1, len1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back.sale_state.verdict.retry_after, ==, TEST_NOW + 3600);
  g_assert_cmpstr (offauth_record_kind_name (8), ==, "sale-state");

  b2 = offauth_record_encode (&sy, &len2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len2, ==, 65);
  offauth_record_clear (&back);
  g_assert_true (offauth_record_parse (&back, b2, len2, &error));
  g_assert_cmpuint (back.sync_accepted.verdict_cursor, ==, 7);
  g_assert_cmpmem (back.sync_accepted.answer_hash, 32, sy.sync_accepted.answer_hash, 32);

  /* The online sale: payment || 1 || D, 482 bytes. */
  make_payment (w, &p, &ptext);
  sale.sale.payment = p;
  sale.sale.decision = (OffauthOnlineDecision) { .result = 1, .amount = 450 };
  memcpy (sale.sale.decision.sale_id, p.sale_id, 32);
  offauth_online_decision_sign (&sale.sale.decision, acquirer);
  b3 = offauth_record_encode (&sale, &len3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len3, ==, 482);
  offauth_record_clear (&back);
  g_assert_true (offauth_record_parse (&back, b3, len3, &error));
  g_assert_cmpuint (back.sale.decision.amount, ==, 450);

  /* One rule broken each. */
  {
    guint8 b[482];
#define REFUSED(src, n, stmt) G_STMT_START { \
    memcpy (b, src, n); stmt; offauth_record_clear (&back); \
    g_assert_false (offauth_record_parse (&back, b, n, NULL)); } G_STMT_END
    REFUSED (b1, 64, (void) 0);
    REFUSED (b1, 65, b[9 + 44] = 1);                 /* reserved */
    REFUSED (b1, 65, b[9 + 40] = 0);                 /* state 0 */
    REFUSED (b1, 65, b[9 + 40] = 6);                 /* state 6 */
    REFUSED (b1, 65, b[9 + 40] = 4);                 /* a close with a reason */
    REFUSED (b1, 65, b[9] = 0);                      /* row 0 */
    REFUSED (b1, 65, b[9 + 48] = 0; b[9 + 49] = 0; b[9 + 50] = 0; b[9 + 51] = 0;
                     b[9 + 52] = 0; b[9 + 53] = 0; b[9 + 54] = 0; b[9 + 55] = 0);
    REFUSED (b2, 64, (void) 0);
    REFUSED (b3, 481, (void) 0);
    REFUSED (b3, 482, b[9 + 328] = 0);               /* 482 bytes, mode 0 */
    REFUSED (b3, 482, b[9 + 329 + 56] = 3);          /* D with result 3 */
    REFUSED (b3, 338, b[9 + 328] = 1);               /* 338 bytes, mode 1 */
#undef REFUSED
  }
  /* Closes: state 4 and 5 with reason, attempt and retry_after 0. */
  st.sale_state.verdict = (OffauthVerdict) { .sale_seq = 12, .state = 4 };
  g_free (b1);
  b1 = offauth_record_encode (&st, &len1, &error);
  g_assert_no_error (error);
  st.sale_state.verdict.attempt = 1;
  g_assert_null (offauth_record_encode (&st, &len1, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Every record is at most 1 MiB, at write and at parse; a negative list's reason is cut
   * to 256 bytes before it is journaled. */
  {
    gsize n = OFFAUTH_RECORD_MAX_SIZE;
    g_autofree gchar *reason = g_malloc (n + 1);
    OffauthRecord neg = { .kind = OFFAUTH_RECORD_NEGATIVE_LIST, .negative.reason = reason };
    g_autofree guint8 *big = g_malloc0 (n + 1);
    g_autofree guint8 *enc = NULL;
    gsize len = 0;
    OffauthCredential cred;

    memset (reason, 'x', n);
    reason[n] = '\0';
    g_assert_null (offauth_record_encode (&neg, &len, &error));
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED);
    g_clear_error (&error);
    reason[n - 16 - 9] = '\0';
    enc = offauth_record_encode (&neg, &len, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (len, ==, n);
    big[0] = OFFAUTH_RECORD_NEGATIVE_LIST;
    offauth_record_clear (&back);
    g_assert_true (offauth_record_parse (&back, big, n, NULL));
    offauth_record_clear (&back);
    g_assert_false (offauth_record_parse (&back, big, n + 1, NULL));

    memset (reason, 'x', 300);
    memcpy (reason + 255, "\xc3\xa9", 2);              /* é across byte 256: cut before */
    reason[300] = '\0';
    test_credential (w, &cred);
    g_assert_true (offauth_terminal_add_negative (w->terminal, cred.credential_id, reason, &error));
    g_assert_no_error (error);
    len = 0;
    g_assert_true (offauth_terminal_foreach_record (w->terminal, 0, last_negative_cb, &len, &error));
    g_assert_cmpuint (len, ==, 16 + 255);
  }
  test_world_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Offauth/Wire/round-trip", test_round_trip);
  g_test_add_func ("/Offauth/Wire/ids", test_ids);
  g_test_add_func ("/Offauth/Wire/text-rules", test_text_rules);
  g_test_add_func ("/Offauth/Wire/bounds", test_bounds);
  g_test_add_func ("/Offauth/Wire/total", test_total);
  g_test_add_func ("/Offauth/Wire/revocation-list", test_revocation_list);
  g_test_add_func ("/Offauth/Wire/amounts", test_amounts);
  g_test_add_func ("/Offauth/Wire/sync-request", test_sync_request);
  g_test_add_func ("/Offauth/Wire/sync-answer", test_sync_answer);
  g_test_add_func ("/Offauth/Wire/sync-text-cap", test_sync_text_cap);
  g_test_add_func ("/Offauth/Wire/online", test_online);
  g_test_add_func ("/Offauth/Wire/records-sync", test_records_sync);

  return g_test_run ();
}
