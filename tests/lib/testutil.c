/* testutil.c: the helpers that tests, vectors, fuzzers and the benchmark share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "testutil.h"

gchar *
test_tmp_dir (const char *parent,
              const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *name = g_strconcat (prefix, "-XXXXXX", NULL);
  g_autofree gchar *path = NULL;

  if (parent == NULL)
    {
      path = g_dir_make_tmp (name, &error);
      g_assert_no_error (error);
      return g_steal_pointer (&path);
    }
  path = g_build_filename (parent, name, NULL);
  if (g_mkdtemp (path) == NULL)
    g_error ("cannot create a folder in %s: %s", parent, g_strerror (errno));
  return g_steal_pointer (&path);
}

void
test_remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        test_remove_dir (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

OffauthSecretKey *
test_key (guint8 fill)
{
  guint8 seed[OFFAUTH_SEED_SIZE];

  memset (seed, fill, sizeof seed);
  return offauth_secret_key_from_seed (seed);
}

gchar *
test_bundle_sign (OffauthBundle          *b,
                  const OffauthSecretKey *root)
{
  offauth_bundle_sign (b, root);
  return offauth_text_encode ('T', b->raw, b->raw_len);
}

gchar *
test_revocations_encode (const OffauthRevocationList *list)
{
  gsize len;
  const guint8 *raw = g_bytes_get_data (list->raw, &len);

  return offauth_text_encode ('V', raw, len);
}

void
test_credential_init (OffauthCredential      *cred,
                      const OffauthSecretKey *payer,
                      guint64                 not_before,
                      guint64                 not_after)
{
  memset (cred, 0, sizeof *cred);
  memcpy (cred->payer_public_key, payer->pk, OFFAUTH_PK_SIZE);
  memcpy (cred->currency, "EUR", 4);
  cred->not_before = not_before;
  cred->not_after = not_after;
}

static guint64
now_cb (gpointer user_data)
{
  return *(const guint64 *) user_data;
}

OffauthTerminal *
test_terminal_open (const char *db_path,
                    guint64    *now)
{
  g_autoptr(GError) error = NULL;
  OffauthTerminal *t = offauth_terminal_open (db_path, OFFAUTH_OPEN_DEFAULT, &error);

  g_assert_no_error (error);
  if (now != NULL)
    offauth_terminal_set_now_func (t, now_cb, now);
  return t;
}

void
test_terminal_enroll (OffauthTerminal             *t,
                      const guint8                *seed,
                      const char                  *bundle_text,
                      const char                  *merchant,
                      const OffauthSecretKey      *root,
                      const OffauthTerminalConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *fpr = root != NULL ? offauth_root_fingerprint (root->pk) : NULL;

  if (seed != NULL)
    _offauth_terminal_enroll_with_seed (t, seed, bundle_text, merchant, fpr, config, &error);
  else
    offauth_terminal_enroll (t, bundle_text, merchant, fpr, config, &error);
  g_assert_no_error (error);
}

GPtrArray *
test_journal_rows (const char *db_path,
                   gint64      first,
                   gint64      count,
                   guint8      prev_hash[OFFAUTH_HASH_SIZE])
{
  sqlite3 *db;
  sqlite3_stmt *s;
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  memset (prev_hash, 0, OFFAUTH_HASH_SIZE);
  if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    g_error ("cannot open %s", db_path);
  sqlite3_prepare_v2 (db, "SELECT hash FROM journal WHERE seq = ?1", -1, &s, NULL);
  sqlite3_bind_int64 (s, 1, first - 1);
  if (sqlite3_step (s) == SQLITE_ROW)
    memcpy (prev_hash, sqlite3_column_blob (s, 0), OFFAUTH_HASH_SIZE);
  sqlite3_finalize (s);
  sqlite3_prepare_v2 (db, "SELECT record FROM journal WHERE seq >= ?1 ORDER BY seq LIMIT ?2", -1,
                      &s, NULL);
  sqlite3_bind_int64 (s, 1, first);
  sqlite3_bind_int64 (s, 2, count);
  while (sqlite3_step (s) == SQLITE_ROW)
    g_ptr_array_add (rows, g_bytes_new (sqlite3_column_blob (s, 0),
                                        (gsize) sqlite3_column_bytes (s, 0)));
  sqlite3_finalize (s);
  sqlite3_close (db);
  return rows;
}

guint64
test_world_now_cb (gpointer user_data)
{
  return ((TestWorld *) user_data)->now;
}

void
test_bundle_init (TestWorld     *w,
                  OffauthBundle *b,
                  guint64        sequence,
                  guint64        issued_at,
                  guint64        expires_at)
{
  memset (b, 0, sizeof *b);
  b->sequence = sequence;
  b->issued_at = issued_at;
  b->expires_at = expires_at;
  b->n_keys = 2;
  memcpy (b->keys[0].public_key, w->issuer->pk, OFFAUTH_PK_SIZE);
  b->keys[0].not_before = TEST_NOW - 86400;
  b->keys[0].not_after = TEST_NOW + 365 * 86400;
  memcpy (b->keys[1].public_key, w->issuer2->pk, OFFAUTH_PK_SIZE);
  b->keys[1].not_before = TEST_NOW - 86400;
  b->keys[1].not_after = TEST_NOW + 2 * 86400;
}

gchar *
test_bundle_text (TestWorld *w,
                  guint64    sequence,
                  guint64    issued_at,
                  guint64    expires_at)
{
  OffauthBundle b;
  gchar *text;

  test_bundle_init (w, &b, sequence, issued_at, expires_at);
  text = test_bundle_sign (&b, w->root);
  w->bundle = b;
  return text;
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

  offauth_key_id (key_id, issuer->pk);
  list = offauth_revocation_list_build (key_id, sequence, w->now, w->now + 86400, ids, n_ids, issuer);
  return test_revocations_encode (list);
}

TestWorld *
test_world_new (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = g_new0 (TestWorld, 1);
  guint8 seed[OFFAUTH_SEED_SIZE];
  g_autofree gchar *rev1 = NULL;
  g_autofree gchar *rev2 = NULL;

  g_assert_true (offauth_init ());
  w->dir = test_tmp_dir (NULL, "offauth-test");
  w->db_path = g_build_filename (w->dir, "terminal.db", NULL);
  w->now = TEST_NOW;
  w->root = test_key (1);
  w->issuer = test_key (2);
  w->issuer2 = test_key (3);
  w->payer = test_key (4);
  w->stranger = test_key (5);
  w->bundle_text = test_bundle_text (w, 1, TEST_NOW - 3600, TEST_NOW + 30 * 86400);

  w->terminal = test_terminal_open (w->db_path, &w->now);
  memset (seed, 6, sizeof seed);
  test_terminal_enroll (w->terminal, seed, w->bundle_text, "kiosk-1", w->root, NULL);
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
  w->terminal = test_terminal_open (w->db_path, &w->now);
}

void
test_world_free (TestWorld *w)
{
  g_clear_pointer (&w->terminal, offauth_terminal_free);
  test_remove_dir (w->dir);
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
  test_credential_init (cred, w->payer, w->now - 600, w->now + 7 * 86400);
  memset (cred->credential_id, 0xc0 + w->next_id++, sizeof cred->credential_id);
  cred->max_offline_count = 5;
  cred->per_payment_limit = 2000;
  cred->offline_total_limit = 5000;
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

gchar *
test_answer_text (const OffauthSecretKey *acquirer,
                  const char             *request_text,
                  guint64                 acked_seq,
                  const guint8           *h_acked,
                  guint64                 acquirer_time,
                  guint64                 cursor,
                  guint32                 flags,
                  const OffauthVerdict   *verdicts,
                  guint32                 n_verdicts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse_text (request_text, -1, &error);
  g_autoptr(OffauthSyncAnswer) a = NULL;
  OffauthSyncAnswer fields = { 0 };
  guint8 h[OFFAUTH_HASH_SIZE];
  const guint8 *raw;
  gsize len;

  g_assert_no_error (error);
  memcpy (fields.terminal_id, u->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  fields.acked_seq = acked_seq;
  if (h_acked != NULL)
    memcpy (fields.h_acked, h_acked, OFFAUTH_HASH_SIZE);
  else if (acked_seq > 0)
    {
      g_assert_cmpuint (acked_seq + 1, >=, u->first_seq);
      g_assert_cmpuint (acked_seq, <, u->first_seq + u->n_records);
      memcpy (h, u->prev_hash, OFFAUTH_HASH_SIZE);
      for (guint64 seq = u->first_seq; seq <= acked_seq; seq++)
        {
          const OffauthView *r = &u->records[seq - u->first_seq];
          guint8 next[OFFAUTH_HASH_SIZE];

          _offauth_chain_hash (next, seq, h, r->data, r->len);
          memcpy (h, next, OFFAUTH_HASH_SIZE);
        }
      memcpy (fields.h_acked, h, OFFAUTH_HASH_SIZE);
    }
  fields.acquirer_time = acquirer_time;
  offauth_sync_request_hash (u, fields.request_hash);
  fields.verdict_cursor = cursor;
  fields.flags = flags;
  fields.n_verdicts = n_verdicts;
  fields.verdicts = (OffauthVerdict *) verdicts;
  a = offauth_sync_answer_sign (&fields, acquirer, &error);
  g_assert_no_error (error);
  raw = g_bytes_get_data (a->raw, &len);
  return offauth_text_encode ('A', raw, len);
}

gchar *
test_online_decision_text (const OffauthSecretKey *acquirer,
                           const char             *request_text,
                           guint8                  result,
                           guint8                  reason,
                           guint64                 acquirer_time,
                           const guint8           *sale_id,
                           guint64                 amount)
{
  g_autoptr(GError) error = NULL;
  OffauthOnlineRequest o;
  OffauthOnlineDecision dec = { 0 };

  g_assert_true (offauth_online_request_parse_text (&o, request_text, -1, &error));
  g_assert_no_error (error);
  memcpy (dec.terminal_id, o.terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (dec.sale_id, sale_id != NULL ? sale_id : o.payment.sale_id, OFFAUTH_SALE_ID_SIZE);
  dec.result = result;
  dec.reason = reason;
  dec.acquirer_time = acquirer_time;
  dec.amount = amount != 0 ? amount : o.payment.request.amount;
  offauth_online_decision_sign (&dec, acquirer);
  return offauth_text_encode ('D', dec.raw, OFFAUTH_ONLINE_DECISION_SIZE);
}
