/* fuzz-seeds.c: writes small seed corpora for the fuzzers, made of valid messages made
 * with the engine, so that no binary file needs to be kept in the repository.
 *
 *   fuzz-seeds DIR    writes DIR/<target>/seed-NN for each fuzzer (fuzz-<target>)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-fuzz"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"

static const char *out_dir;
static guint n_written;

static void
seed (const char *target, const void *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_build_filename (out_dir, target, NULL);
  g_autofree gchar *name = NULL;
  g_autofree gchar *path = NULL;
  guint n = 0;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    g_error ("cannot create %s: %s", dir, g_strerror (errno));
  do
    {
      g_free (name);
      g_free (path);
      name = g_strdup_printf ("seed-%02u", n++);
      path = g_build_filename (dir, name, NULL);
    }
  while (g_file_test (path, G_FILE_TEST_EXISTS));
  if (!g_file_set_contents (path, data, (gssize) len, &error))
    g_error ("%s", error->message);
  n_written++;
}

static void
seed_str (const char *target, const char *text)
{
  seed (target, text, strlen (text));
}

/* A binary message: to its parser's fuzzer, and its text form to the text fuzzers. */
static void
seed_message (const char *target, char type, const guint8 *raw, gsize len)
{
  g_autofree gchar *text = offauth_text_encode (type, raw, len);
  g_autofree gchar *text_lf = g_strconcat (text, "\n", NULL);

  seed (target, raw, len);
  seed_str ("text", text);
  seed_str ("parse-text", text);
  seed_str ("parse-text", text_lf);
  seed_str ("b64", text + 5);
}

/* An authorize input: the control byte, then the rest. */
static void
seed_authorize (guint8 control, const void *rest, gsize len)
{
  g_autofree guint8 *buf = g_malloc (len + 1);

  buf[0] = control;
  if (len > 0)
    memcpy (buf + 1, rest, len);
  seed ("authorize", buf, len + 1);
}

/* A mode-4 authorize input (the credential signed again) whose XOR turns the base
 * payment's credential into cred; prefix goes before it (clock, amount). */
static void
seed_credential (FuzzWorld               *w,
                 guint8                   control,
                 const guint8            *prefix,
                 gsize                    prefix_len,
                 const OffauthCredential *cred)
{
  OffauthCredential c = *cred;
  guint8 buf[8 + OFFAUTH_PAYMENT_SIZE] = { 0 };
  guint8 *delta = buf + prefix_len;

  g_assert (prefix_len <= 8);
  if (prefix_len > 0)
    memcpy (buf, prefix, prefix_len);
  offauth_credential_encode (&c);
  /* Signatures excepted: the harness makes them again. */
  for (gsize i = 0; i < 108; i++)
    delta[8 + i] = c.raw[i] ^ w->credential.raw[i];
  seed_authorize (control, buf, prefix_len + OFFAUTH_PAYMENT_SIZE);
}

/* Credentials that reach the decision's later refusals (and approvals). */
static void
seed_credentials (FuzzWorld *w)
{
  static const guint8 amount_1500[4] = { 0xdc, 0x05, 0, 0 };
  static const guint8 amount_500[4] = { 0xf4, 0x01, 0, 0 };
  OffauthCredential c;

  /* Each on a new request: the one before may have been paid. */

  c = w->credential;                          /* issuer_key_expired */
  offauth_key_id (c.issuer_key_id, w->issuer3->pk);
  seed_credential (w, 4 | 0x40, amount_500, 4, &c);
  c = w->credential;                          /* not_yet_valid */
  c.not_before = FUZZ_NOW + 1000;
  c.not_after = FUZZ_NOW + 2000;
  seed_credential (w, 4 | 0x40, amount_500, 4, &c);
  c = w->credential;                          /* expired */
  c.not_after = FUZZ_NOW - 1;
  seed_credential (w, 4 | 0x40, amount_500, 4, &c);
  c = w->credential;                          /* currency_mismatch */
  memcpy (c.currency, "USD", 4);
  seed_credential (w, 4 | 0x40, amount_500, 4, &c);
  c = w->credential;                          /* revoked */
  memcpy (c.credential_id, w->revoked[1], OFFAUTH_CREDENTIAL_ID_SIZE);
  seed_credential (w, 4 | 0x40, amount_500, 4, &c);
  c = w->credential;                          /* negative_list */
  memcpy (c.credential_id, w->negative, OFFAUTH_CREDENTIAL_ID_SIZE);
  seed_credential (w, 4 | 0x40, amount_500, 4, &c);
  c = w->credential;                          /* out_of_scope */
  c.scope = FUZZ_KEY2_SCOPE + 1;
  seed_credential (w, 4 | 0x40, amount_500, 4, &c);
  c = w->credential;                          /* over_payment_limit, on a new request */
  c.per_payment_limit = 1000;
  c.offline_total_limit = 1000;
  seed_credential (w, 4 | 0x40, amount_1500, 4, &c);
  c = w->credential;                          /* revocation_stale: the second key has no list */
  offauth_key_id (c.issuer_key_id, w->issuer2->pk);
  seed_credential (w, 4 | 0x40, amount_1500, 4, &c);
  c = w->credential;                          /* over_offline_count, or approved once */
  c.max_offline_count = 1;
  memset (c.credential_id, 0x11, OFFAUTH_CREDENTIAL_ID_SIZE);
  seed_credential (w, 4 | 0x40, amount_1500, 4, &c);
  c = w->credential;                          /* over_offline_total, or approved once */
  c.offline_total_limit = 2000;
  memset (c.credential_id, 0x22, OFFAUTH_CREDENTIAL_ID_SIZE);
  seed_credential (w, 4 | 0x40, amount_1500, 4, &c);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  FuzzWorld *w;
  OffauthRequest req;
  OffauthPayment pay;
  OffauthCheckpoint ckpt;

  if (argc != 2)
    {
      fprintf (stderr, "Usage: %s DIR\n", argv[0]);
      return 2;
    }
  out_dir = argv[1];

  /* The same terminal as fuzz-authorize's: its first request is the same. */
  w = fuzz_world_new (TRUE);
  if (!fuzz_world_request (w, FUZZ_AMOUNT, &req, &error))
    g_error ("%s", error->message);
  fuzz_world_payment (w, &req, 1, &pay);

  seed_message ("credential", 'C', w->credential.raw, OFFAUTH_CREDENTIAL_SIZE);
  seed_message ("request", 'R', req.raw, OFFAUTH_REQUEST_SIZE);
  seed_message ("payment", 'P', pay.raw, OFFAUTH_PAYMENT_SIZE);
  seed_message ("bundle", 'T', w->bundle.raw, w->bundle.raw_len);
  for (int with_ids = 0; with_ids < 2; with_ids++)
    {
      g_autoptr(OffauthRevocationList) list = fuzz_world_revocations (w, with_ids);
      gsize len;
      const guint8 *raw = g_bytes_get_data (list->raw, &len);

      seed_message ("revocation", 'V', raw, len);
    }
  fuzz_world_checkpoint (w, &ckpt);
  seed_message ("checkpoint", 'K', ckpt.raw, OFFAUTH_CHECKPOINT_SIZE);

  /* Reconciliation: a sync request with a retry ask and two rows (the enrollment and a
   * sale), its answer, an online request and its decision, and the records of kinds 1, 8
   * and 9. */
  {
    g_autoptr(OffauthSecretKey) terminal = test_key (0x71);
    g_autoptr(OffauthSecretKey) acquirer = test_key (0x72);
    guint8 sale_rec[OFFAUTH_RECORD_HEADER_SIZE + OFFAUTH_RECORD_SALE_ONLINE_SIZE] = { 1 };
    guint8 setting[] = { 6, 0, 0, 0, 0, 0, 0, 0, 0, 's', 'c', 'o', 'p', 'e', '=', '7' };
    guint64 asks[] = { 2 };
    OffauthView rows[] = { { setting, sizeof setting }, { sale_rec, OFFAUTH_RECORD_HEADER_SIZE + OFFAUTH_RECORD_SALE_SIZE } };
    OffauthSyncRequest uf = { .first_seq = 2, .created_at = FUZZ_NOW, .n_asks = 1, .asks = asks,
                              .n_records = 2, .records = rows };
    OffauthVerdict v[] = { { .sale_seq = 3, .state = 3, .reason = 8, .attempt = 1, .retry_after = FUZZ_NOW + 3600 } };
    OffauthSyncAnswer af = { .acked_seq = 3, .acquirer_time = FUZZ_NOW, .verdict_cursor = 1,
                             .n_verdicts = 1, .verdicts = v };
    OffauthOnlineRequest o = { .created_at = FUZZ_NOW, .payment = pay };
    OffauthOnlineDecision d = { .result = 1, .acquirer_time = FUZZ_NOW, .amount = pay.request.amount };
    OffauthRecord st = { .kind = OFFAUTH_RECORD_SALE_STATE, .time = FUZZ_NOW, .sale_state.verdict = v[0] };
    OffauthRecord sy = { .kind = OFFAUTH_RECORD_SYNC_ACCEPTED, .time = FUZZ_NOW,
                         .sync_accepted = { .acked_seq = 3, .acquirer_time = FUZZ_NOW, .verdict_cursor = 1 } };
    g_autoptr(OffauthSyncRequest) u = NULL;
    g_autoptr(OffauthSyncAnswer) a = NULL;
    g_autofree guint8 *st_raw = NULL, *sy_raw = NULL;
    gsize st_len, sy_len, len;
    const guint8 *raw;

    memcpy (sale_rec + OFFAUTH_RECORD_HEADER_SIZE, pay.raw, OFFAUTH_PAYMENT_SIZE);
    offauth_terminal_id_from_key (uf.terminal_id, terminal->pk);
    u = offauth_sync_request_sign (&uf, acquirer->pk, terminal, &error);
    if (u == NULL)
      g_error ("%s", error->message);
    raw = g_bytes_get_data (u->raw, &len);
    seed_message ("sync-request", 'U', raw, len);
    memcpy (af.terminal_id, uf.terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
    memcpy (v[0].sale_id, pay.sale_id, OFFAUTH_SALE_ID_SIZE);
    offauth_sync_request_hash (u, af.request_hash);
    memset (af.h_acked, 0x5a, OFFAUTH_HASH_SIZE);
    a = offauth_sync_answer_sign (&af, acquirer, &error);
    if (a == NULL)
      g_error ("%s", error->message);
    raw = g_bytes_get_data (a->raw, &len);
    seed_message ("sync-answer", 'A', raw, len);
    memcpy (o.terminal_id, uf.terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
    offauth_online_request_sign (&o, acquirer->pk, terminal);
    seed_message ("online", 'O', o.raw, OFFAUTH_ONLINE_REQUEST_SIZE);
    memcpy (d.terminal_id, uf.terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
    memcpy (d.sale_id, pay.sale_id, OFFAUTH_SALE_ID_SIZE);
    offauth_online_decision_sign (&d, acquirer);
    seed_message ("online", 'D', d.raw, OFFAUTH_ONLINE_DECISION_SIZE);

    seed ("record", sale_rec, OFFAUTH_RECORD_HEADER_SIZE + OFFAUTH_RECORD_SALE_SIZE);
    sale_rec[OFFAUTH_RECORD_HEADER_SIZE + OFFAUTH_PAYMENT_SIZE] = 1;
    memcpy (sale_rec + OFFAUTH_RECORD_HEADER_SIZE + OFFAUTH_RECORD_SALE_SIZE, d.raw,
            OFFAUTH_ONLINE_DECISION_SIZE);
    seed ("record", sale_rec, sizeof sale_rec);
    seed ("record", setting, sizeof setting);
    st_raw = offauth_record_encode (&st, &st_len, &error);
    sy_raw = offauth_record_encode (&sy, &sy_len, &error);
    if (st_raw == NULL || sy_raw == NULL)
      g_error ("%s", error->message);
    seed ("record", st_raw, st_len);
    seed ("record", sy_raw, sy_len);
  }

  /* Hex, as ids and fingerprints are printed. */
  {
    g_autofree gchar *hex = offauth_hex (w->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
    g_autofree gchar *fpr = offauth_root_fingerprint (w->root->pk);

    seed_str ("b64", hex);
    seed_str ("b64", fpr);
  }
  /* Reason codes and merchant ids for the small validators. */
  seed_str ("text", "over_offline_total");
  seed_str ("text", FUZZ_MERCHANT);

  /* The decision: the valid payment as text, and each mode from a valid base. */
  {
    g_autofree gchar *text = offauth_text_encode ('P', pay.raw, OFFAUTH_PAYMENT_SIZE);
    g_autofree gchar *text_lf = g_strconcat (text, "\n", NULL);
    g_autofree gchar *ckpt_text = offauth_terminal_make_checkpoint (w->term, &error);
    g_autoptr(OffauthRevocationList) list = fuzz_world_revocations (w, TRUE);
    gsize list_len;
    const guint8 *list_raw = g_bytes_get_data (list->raw, &list_len);
    g_autofree gchar *list_text = offauth_text_encode ('V', list_raw, list_len);
    guint8 zeros[OFFAUTH_PAYMENT_SIZE + 2 * 9] = { 0 };
    guint8 with_amount[4 + OFFAUTH_PAYMENT_SIZE] = { 0xdc, 0x05, 0, 0 };   /* 1500 */
    guint8 *lines = zeros + OFFAUTH_PAYMENT_SIZE;

    if (ckpt_text == NULL)
      g_error ("%s", error->message);
    seed_authorize (0, text, strlen (text));
    seed_authorize (1, text_lf, strlen (text_lf));
    seed_authorize (2, zeros, OFFAUTH_PAYMENT_SIZE);
    seed_authorize (3, zeros, OFFAUTH_PAYMENT_SIZE);
    seed_authorize (3 | 0x20, zeros, OFFAUTH_PAYMENT_SIZE);
    /* Two sale lines: 100 of food, 50 of drink. */
    lines[0] = 0;
    lines[1] = 100;
    lines[9] = 1;
    lines[10] = 50;
    seed_authorize (4, zeros, sizeof zeros);
    seed_authorize (4 | 0x40, with_amount, sizeof with_amount);
    /* The clock moved forward 255 s: the request is older, not yet expired. */
    zeros[0] = 0xff;
    seed_authorize (3 | 0x80, zeros, OFFAUTH_PAYMENT_SIZE + 1);
    zeros[0] = 0;
    seed_authorize (5, w->bundle_text, strlen (w->bundle_text));
    seed_authorize (6, list_text, strlen (list_text));
    seed_authorize (7, ckpt_text, strlen (ckpt_text));
    seed_credentials (w);
  }

  fuzz_world_free (w);
  printf ("fuzz-seeds: %u seeds written under %s\n", n_written, out_dir);
  return 0;
}
