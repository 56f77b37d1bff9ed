/* offauth-wallet.c: a payer's wallet file: key and counters, saved before a payment shows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "offauth-wallet.h"

struct _OffauthWallet
{
  gchar            *path;
  GKeyFile         *state;
  OffauthSecretKey *key;
};

void
offauth_wallet_free (OffauthWallet *w)
{
  if (w == NULL)
    return;
  g_free (w->path);
  g_clear_pointer (&w->state, g_key_file_unref);
  offauth_secret_key_free (w->key);
  g_free (w);
}

/* The file starts with the secret, which never enters the GKeyFile (whose copies cannot
 * be wiped): "[secret]\nseed=BASE64URL\n\n", then the public state as a key file. */
#define SECRET_PREFIX "[secret]\nseed="

static gboolean
wallet_save (OffauthWallet *w,
             GError       **error)
{
  gsize state_len, b64_len = sodium_base64_ENCODED_LEN (OFFAUTH_SEED_SIZE,
                                                        sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  g_autofree gchar *state = g_key_file_to_data (w->state, &state_len, NULL);
  gsize prefix_len = strlen (SECRET_PREFIX);
  gsize len = prefix_len + (b64_len - 1) + 2 + state_len;
  char *buf = sodium_malloc (len + 1);
  gboolean ok;

  memcpy (buf, SECRET_PREFIX, prefix_len);
  sodium_bin2base64 (buf + prefix_len, b64_len, w->key->sk, OFFAUTH_SEED_SIZE,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  memcpy (buf + prefix_len + b64_len - 1, "\n\n", 2);
  memcpy (buf + prefix_len + b64_len + 1, state, state_len);
  ok = offauth_write_file_atomic (w->path, buf, len, 0600, error);
  sodium_free (buf);
  return ok;
}

OffauthWallet *
offauth_wallet_create (const char  *path,
                       GError     **error)
{
  g_autoptr(OffauthWallet) w = NULL;

  if (!offauth_init ())
    return NULL;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "%s already exists; a wallet is never overwritten", path);
      return NULL;
    }
  w = g_new0 (OffauthWallet, 1);
  w->path = g_strdup (path);
  w->key = offauth_secret_key_generate ();
  w->state = g_key_file_new ();
  if (!wallet_save (w, error))
    return NULL;
  return g_steal_pointer (&w);
}

OffauthWallet *
offauth_wallet_open (const char  *path,
                     GError     **error)
{
  g_autoptr(OffauthWallet) w = g_new0 (OffauthWallet, 1);
  g_autoptr(OffauthSecretKey) file_key = NULL;
  gsize prefix_len = strlen (SECRET_PREFIX);
  gchar *contents = NULL;
  const char *end;
  gsize len = 0;
  gboolean ok;

  if (!offauth_init ())
    return NULL;
  w->path = g_strdup (path);
  w->state = g_key_file_new ();
  /* Checks the file's owner and mode as for every secret key. */
  file_key = offauth_secret_key_load_prefixed (path, SECRET_PREFIX, error);
  if (file_key == NULL)
    return NULL;
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  end = len > prefix_len ? memchr (contents + prefix_len, '\n', len - prefix_len) : NULL;
  ok = end != NULL && end + 1 < contents + len && end[1] == '\n' &&
       g_key_file_load_from_data (w->state, end + 2, len - (gsize) (end + 2 - contents),
                                  G_KEY_FILE_NONE, error);
  sodium_memzero (contents, len);
  g_free (contents);
  if (!ok)
    {
      g_clear_error (error);
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED, "%s is not a wallet file", path);
      return NULL;
    }
  w->key = g_steal_pointer (&file_key);
  return g_steal_pointer (&w);
}

const guint8 *
offauth_wallet_public_key (OffauthWallet *w)
{
  return w->key->pk;
}

gchar *
offauth_wallet_public_key_text (OffauthWallet *w)
{
  return offauth_b64_encode (w->key->pk, OFFAUTH_PK_SIZE);
}

gchar *
offauth_payment_make (const OffauthCredential *credential,
                      const OffauthRequest    *request,
                      guint32                  counter,
                      const OffauthSecretKey  *payer_key,
                      OffauthPayment          *out)
{
  OffauthPayment p = { 0 };

  p.credential = *credential;
  p.request = *request;
  p.counter = counter;
  offauth_payment_sign (&p, payer_key);
  if (out != NULL)
    *out = p;
  return offauth_text_encode ('P', p.raw, OFFAUTH_PAYMENT_SIZE);
}

gchar *
offauth_wallet_pay (OffauthWallet   *w,
                    const char      *credential_text,
                    const char      *request_text,
                    OffauthPayment  *payment_out,
                    GError         **error)
{
  OffauthCredential cred;
  OffauthRequest req;
  g_autofree gchar *id_hex = NULL;
  g_autofree gchar *group = NULL;
  g_autofree gchar *req_text = NULL;
  g_autofree gchar *last_request = NULL;
  g_autofree gchar *last_payment = NULL;
  g_autofree gchar *saved = NULL;
  gsize saved_len = 0;
  OffauthPayment made;
  gchar *text;
  guint64 counter;

  if (!offauth_credential_parse_text (&cred, credential_text, error) ||
      !offauth_request_parse_text (&req, request_text, error))
    return NULL;
  if (memcmp (cred.payer_public_key, w->key->pk, OFFAUTH_PK_SIZE) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "This credential was issued to another wallet");
      return NULL;
    }
  id_hex = offauth_hex (cred.credential_id, sizeof cred.credential_id);
  group = g_strdup_printf ("credential %s", id_hex);
  req_text = offauth_text_encode ('R', req.raw, OFFAUTH_REQUEST_SIZE);

  /* The same request again: show the same bytes again, spend no counter. */
  last_request = g_key_file_get_string (w->state, group, "last_request", NULL);
  last_payment = g_key_file_get_string (w->state, group, "last_payment", NULL);
  if (last_request != NULL && last_payment != NULL && strcmp (last_request, req_text) == 0)
    {
      if (payment_out != NULL && !offauth_payment_parse_text (payment_out, last_payment, -1, error))
        return NULL;
      return g_steal_pointer (&last_payment);
    }

  counter = g_key_file_get_uint64 (w->state, group, "counter", NULL) + 1;
  if (counter > G_MAXUINT32)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "The credential's counter is exhausted");
      return NULL;
    }
  /* Saved before the payment is shown: a counter is never used twice. And only what was
   * saved is kept: after a failed save the wallet is as it was, so that a retry neither
   * shows the unsaved payment nor, after a restart, signs another with its counter. */
  saved = g_key_file_to_data (w->state, &saved_len, NULL);
  text = offauth_payment_make (&cred, &req, (guint32) counter, w->key, &made);
  g_key_file_set_uint64 (w->state, group, "counter", counter);
  g_key_file_set_string (w->state, group, "last_request", req_text);
  g_key_file_set_string (w->state, group, "last_payment", text);
  if (!wallet_save (w, error))
    {
      g_autoptr(GKeyFile) before = g_key_file_new ();

      if (g_key_file_load_from_data (before, saved, saved_len, G_KEY_FILE_NONE, NULL))
        {
          g_key_file_unref (w->state);
          w->state = g_steal_pointer (&before);
        }
      g_free (text);
      return NULL;
    }
  if (payment_out != NULL)
    *payment_out = made;
  return text;
}
