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
        memcpy (buf, (const char *[]) { "OA1C", "OA1R", "OA1P", "OA1T", "OA1V", "OA1K" }[i % 6], 4);
      offauth_credential_parse (&c, buf, len, NULL);
      offauth_request_parse (&r, buf, len, NULL);
      if (offauth_payment_parse (&q, buf, len, NULL))
        offauth_payment_verify (&q);
      if (offauth_bundle_parse (&b, buf, len, NULL))
        offauth_bundle_verify (&b, w->root->pk);
      list = offauth_revocation_list_parse (buf, len, NULL);
      offauth_checkpoint_parse (&k, buf, len, NULL);
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

  return g_test_run ();
}
