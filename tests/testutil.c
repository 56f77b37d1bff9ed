/* testutil.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "testutil.h"

OffauthSecretKey *
test_key (guint8 fill)
{
  guint8 seed[OFFAUTH_SEED_SIZE];

  memset (seed, fill, sizeof seed);
  return offauth_secret_key_from_seed (seed);
}

guint64
test_world_now_cb (gpointer user_data)
{
  return ((TestWorld *) user_data)->now;
}

gchar *
test_bundle_text (TestWorld *w,
                  guint64    sequence,
                  guint64    issued_at,
                  guint64    expires_at)
{
  OffauthBundle b = { 0 };

  b.sequence = sequence;
  b.issued_at = issued_at;
  b.expires_at = expires_at;
  b.n_keys = 2;
  memcpy (b.keys[0].public_key, w->issuer->pk, OFFAUTH_PK_SIZE);
  b.keys[0].not_before = TEST_NOW - 86400;
  b.keys[0].not_after = TEST_NOW + 365 * 86400;
  memcpy (b.keys[1].public_key, w->issuer2->pk, OFFAUTH_PK_SIZE);
  b.keys[1].not_before = TEST_NOW - 86400;
  b.keys[1].not_after = TEST_NOW + 2 * 86400;
  offauth_bundle_sign (&b, w->root);
  w->bundle = b;
  return offauth_text_encode ('T', b.raw, b.raw_len);
}

gchar *
test_revocations_text (TestWorld              *w,
                       const OffauthSecretKey *issuer,
                       guint64                 sequence,
                       const guint8           *ids,
                       guint32                 n_ids)
{
  g_autoptr(OffauthRevocationList) list = NULL;
  guint8 key_id[OFFAUTH_KEY_ID_SIZE];
  gsize len;
  const guint8 *raw;

  offauth_key_id (key_id, issuer->pk);
  list = offauth_revocation_list_build (key_id, sequence, w->now, w->now + 86400, ids, n_ids, issuer);
  raw = g_bytes_get_data (list->raw, &len);
  return offauth_text_encode ('V', raw, len);
}

static void
open_terminal (TestWorld *w)
{
  g_autoptr(GError) error = NULL;

  w->terminal = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  offauth_terminal_set_now_func (w->terminal, test_world_now_cb, w);
}

TestWorld *
test_world_new (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = g_new0 (TestWorld, 1);
  guint8 seed[OFFAUTH_SEED_SIZE];
  g_autofree gchar *fpr = NULL;
  g_autofree gchar *rev1 = NULL;
  g_autofree gchar *rev2 = NULL;

  g_assert_true (offauth_init ());
  w->dir = g_dir_make_tmp ("offauth-test-XXXXXX", &error);
  g_assert_no_error (error);
  w->db_path = g_build_filename (w->dir, "terminal.db", NULL);
  w->now = TEST_NOW;
  w->root = test_key (1);
  w->issuer = test_key (2);
  w->issuer2 = test_key (3);
  w->payer = test_key (4);
  w->stranger = test_key (5);
  w->bundle_text = test_bundle_text (w, 1, TEST_NOW - 3600, TEST_NOW + 30 * 86400);
  fpr = offauth_root_fingerprint (w->root->pk);

  open_terminal (w);
  memset (seed, 6, sizeof seed);
  _offauth_terminal_enroll_with_seed (w->terminal, seed, w->bundle_text, "kiosk-1", fpr, NULL, &error);
  g_assert_no_error (error);
  rev1 = test_revocations_text (w, w->issuer, 1, NULL, 0);
  rev2 = test_revocations_text (w, w->issuer2, 1, NULL, 0);
  offauth_terminal_load_revocations (w->terminal, rev1, &error);
  g_assert_no_error (error);
  offauth_terminal_load_revocations (w->terminal, rev2, &error);
  g_assert_no_error (error);
  return w;
}

void
test_world_reopen (TestWorld *w)
{
  g_clear_pointer (&w->terminal, offauth_terminal_free);
  open_terminal (w);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

void
test_world_free (TestWorld *w)
{
  g_clear_pointer (&w->terminal, offauth_terminal_free);
  remove_dir (w->dir);
  offauth_secret_key_free (w->root);
  offauth_secret_key_free (w->issuer);
  offauth_secret_key_free (w->issuer2);
  offauth_secret_key_free (w->payer);
  offauth_secret_key_free (w->stranger);
  g_free (w->bundle_text);
  g_free (w->db_path);
  g_free (w->dir);
  g_free (w);
}

void
test_world_config (TestWorld *w,
                   void     (*edit) (OffauthTerminalConfig *c))
{
  g_autoptr(GError) error = NULL;
  OffauthTerminalStatus st;
  OffauthTerminalConfig c;

  offauth_terminal_get_status (w->terminal, &st);
  c = st.config;
  offauth_terminal_status_clear (&st);
  edit (&c);
  g_assert_true (offauth_terminal_set_config (w->terminal, &c, &error));
  g_assert_no_error (error);
}

void
test_credential_sign (TestWorld              *w,
                      OffauthCredential      *cred,
                      const OffauthSecretKey *issuer)
{
  offauth_key_id (cred->issuer_key_id, issuer->pk);
  offauth_credential_sign (cred, issuer);
}

void
test_credential (TestWorld         *w,
                 OffauthCredential *cred)
{
  memset (cred, 0, sizeof *cred);
  memset (cred->credential_id, 0xc0 + w->next_id++, sizeof cred->credential_id);
  memcpy (cred->payer_public_key, w->payer->pk, OFFAUTH_PK_SIZE);
  memcpy (cred->currency, "EUR", 4);
  cred->max_offline_count = 5;
  cred->per_payment_limit = 2000;
  cred->offline_total_limit = 5000;
  cred->not_before = w->now - 600;
  cred->not_after = w->now + 7 * 86400;
  cred->scope = 0;
  test_credential_sign (w, cred, w->issuer);
}

void
test_request (TestWorld      *w,
              guint64         amount,
              OffauthRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  guint8 challenge[OFFAUTH_CHALLENGE_SIZE];
  OffauthReason reason;

  memset (challenge, 0, sizeof challenge);
  challenge[0] = w->next_id++;
  challenge[1] = 0x5a;
  text = _offauth_terminal_create_request_with (w->terminal, amount, "EUR", challenge, &reason, &error);
  g_assert_no_error (error);
  g_assert_true (offauth_request_parse_text (req, text, &error));
  g_assert_no_error (error);
}

gchar *
test_pay (TestWorld               *w,
          const OffauthCredential *cred,
          const OffauthRequest    *req,
          guint32                  counter)
{
  return offauth_payment_make (cred, req, counter, w->payer, NULL);
}

void
test_sale (TestWorld               *w,
           const OffauthCredential *cred,
           guint64                  amount,
           guint32                  counter,
           OffauthDecision         *d)
{
  OffauthRequest req;
  g_autofree gchar *text = NULL;

  test_request (w, amount, &req);
  text = test_pay (w, cred, &req, counter);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, d);
}
