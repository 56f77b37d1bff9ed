/* acquirer-settle.c: credits payers and (next) settles their sales.
 *
 * Today: finding the credential an operator names by its id, checking a credential
 * against the issuer, and top-ups. Settlement of uploaded sales (sync) and online authorization build on these.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-acquirer"

#include "config.h"

#include <string.h>

#include "acquirer-settle.h"

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

/* Settlement's hook: the payer's sales held for want of an account (reason 4) or declined
 * as retryable (reason 8) are settled here, oldest first while the balance covers them,
 * in the top-up's transaction. Nothing is held before sync exists. */
static gboolean
settle_payer_sales (AcquirerDb              *db,
                    const OffauthCredential *credential,
                    guint64                  now,
                    guint                   *settled,
                    GError                 **error)
{
  *settled = 0;
  return TRUE;
}

gboolean
acquirer_topup (AcquirerDb              *db,
                const OffauthCredential *credential,
                guint64                  amount,
                guint64                  now,
                AcquirerTopup           *result,
                GError                 **error)
{
  memset (result, 0, sizeof *result);
  if (amount == 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID, "A top-up is at least 1 minor unit");
      return FALSE;
    }
  if (!acquirer_db_begin (db, error))
    return FALSE;
  if (!acquirer_db_credit (db, credential, amount, now, &result->balance, &result->created, error) ||
      !settle_payer_sales (db, credential, now, &result->settled, error))
    {
      acquirer_db_rollback (db);
      return FALSE;
    }
  return acquirer_db_commit (db, error);
}
