/* offauth-demo.c: the demo's issuer, enrolled terminal, payers and acquirer, in one folder.
 *
 * `till --demo` sells with no scheme around it: a local issuer enrolls the terminal and
 * credits two payers' wallets, kept fresh as a connected kiosk's would be (a new trust
 * bundle before the old expires, revocation lists every few hours), and a reference acquirer
 * runs as a child process on loopback (offauth-demo-acquirer.c), registered for the
 * terminal, holding the payers' balances (one rich, one poor), pinned in the terminal.
 * Everything here blocks: the service runs it on its worker, as the first job.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "offauth-demo.h"

/* The demo's merchant, as enrolled and as the acquirer registers it. */
#define DEMO_MERCHANT "festival-demo"

/* Each payer's files in the demo's folder, and the balance the acquirer opens it with. */
static const struct
{
  const char *wallet;
  const char *credential;
  guint64     balance;
} demo_payers[OFFAUTH_DEMO_N_PAYERS] = {
  { "payer.wallet", "credential.txt", 100000 },          /* €1,000.00 */
  { "payer-low.wallet", "credential-low.txt", 200 },     /* €2.00: its sales are declined late */
};

struct _OffauthDemo
{
  gchar               *dir;
  gchar               *db_path;
  OffauthWallet       *wallets[OFFAUTH_DEMO_N_PAYERS];
  gchar               *credentials[OFFAUTH_DEMO_N_PAYERS];
  gchar               *credential_paths[OFFAUTH_DEMO_N_PAYERS];
  OffauthDemoAcquirer *acquirer;         /* NULL when there is no offauth-acquirer */
  gchar               *acquirer_error;   /* why the demo is offline, or NULL */
};

OffauthDemo *
offauth_demo_new (const char *dir)
{
  OffauthDemo *demo = g_new0 (OffauthDemo, 1);
  g_autofree gchar *program = offauth_demo_acquirer_find_program ();

  demo->dir = dir != NULL ? g_strdup (dir)
                          : g_build_filename (g_get_user_data_dir (), "till", "demo", NULL);
  demo->db_path = g_build_filename (demo->dir, "terminal.db", NULL);
  for (guint i = 0; i < OFFAUTH_DEMO_N_PAYERS; i++)
    demo->credential_paths[i] = g_build_filename (demo->dir, demo_payers[i].credential, NULL);
  if (program != NULL)
    {
      g_autofree gchar *acquirer_dir = g_build_filename (demo->dir, "acquirer", NULL);

      demo->acquirer = offauth_demo_acquirer_new (program, acquirer_dir);
    }
  else
    demo->acquirer_error = g_strdup (_("offauth-acquirer was not found (install it, or set "
                                       "TILL_ACQUIRER)"));
  return demo;
}

void
offauth_demo_free (OffauthDemo *demo)
{
  if (demo == NULL)
    return;
  for (guint i = 0; i < OFFAUTH_DEMO_N_PAYERS; i++)
    {
      g_clear_pointer (&demo->wallets[i], offauth_wallet_free);
      g_free (demo->credentials[i]);
      g_free (demo->credential_paths[i]);
    }
  /* Kills the child acquirer. */
  g_clear_object (&demo->acquirer);
  g_free (demo->acquirer_error);
  g_free (demo->db_path);
  g_free (demo->dir);
  g_free (demo);
}

const char *
offauth_demo_get_db_path (OffauthDemo *demo)
{
  return demo->db_path;
}

static OffauthIssuer *
offauth_demo_open_issuer (OffauthDemo  *demo,
                          GError      **error)
{
  g_autofree gchar *issuer_dir = g_build_filename (demo->dir, "issuer", NULL);

  if (g_mkdir_with_parents (demo->dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot create %s: %s"),
                   demo->dir, g_strerror (saved));
      return NULL;
    }
  if (g_file_test (issuer_dir, G_FILE_TEST_IS_DIR))
    return offauth_issuer_open (issuer_dir, error);
  return offauth_issuer_create (issuer_dir, 365, 0, error);
}

/* Enrolls a fresh terminal, or loads a new bundle and revocation lists when they age. */
static gboolean
offauth_demo_refresh_trust (OffauthTerminal  *terminal,
                            OffauthIssuer    *issuer,
                            gboolean          fresh,
                            GError          **error)
{
  g_autofree gchar *fpr = offauth_issuer_root_fingerprint (issuer);
  g_autoptr(GPtrArray) lists = NULL;
  guint64 now = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  OffauthTerminalStatus st;
  gboolean enrolled, bundle_ages, lists_age;

  offauth_terminal_get_status_quick (terminal, &st);
  enrolled = st.enrolled;
  bundle_ages = st.bundle_expires_at < now + 7 * 86400;
  lists_age = st.n_revocation_lists == 0 || st.oldest_revocation_issued_at + 6 * 3600 < now;
  offauth_terminal_status_clear (&st);

  if (fresh || !enrolled)
    {
      g_autofree gchar *bundle = offauth_issuer_bundle (issuer, 30, error);

      /* The demo stall sells alcohol: above €20.00 of it, a sale needs an online check. */
      if (bundle == NULL ||
          !offauth_terminal_enroll (terminal, bundle, DEMO_MERCHANT, fpr, NULL, error) ||
          !offauth_terminal_set_category_floor (terminal, "alcohol", 2000, error))
        return FALSE;
    }
  else if (bundle_ages)
    {
      g_autofree gchar *bundle = offauth_issuer_bundle (issuer, 30, error);

      if (bundle == NULL || !offauth_terminal_load_bundle (terminal, bundle, error))
        return FALSE;
    }
  /* Fresh revocation lists, as a connected kiosk would fetch them. */
  if (fresh || lists_age)
    {
      lists = offauth_issuer_revocation_lists (issuer, 24, error);
      if (lists == NULL)
        return FALSE;
      for (guint i = 0; i < lists->len; i++)
        if (!offauth_terminal_load_revocations (terminal, lists->pdata[i], error))
          return FALSE;
    }
  return TRUE;
}

static gchar *
offauth_demo_read_text (const char *path)
{
  gchar *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strstrip (text);
}

/* A payer's wallet, and a credential valid for at least another day. */
static gboolean
offauth_demo_prepare_payer (OffauthDemo    *demo,
                            OffauthIssuer  *issuer,
                            guint           payer,
                            GError        **error)
{
  g_autofree gchar *wallet_path = g_build_filename (demo->dir, demo_payers[payer].wallet, NULL);
  const char *cred_path = demo->credential_paths[payer];
  guint64 now = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  OffauthCredentialSpec spec = { 0 };
  OffauthCredential cred;
  OffauthWallet *wallet;
  gchar *text;

  g_clear_pointer (&demo->wallets[payer], offauth_wallet_free);
  wallet = g_file_test (wallet_path, G_FILE_TEST_EXISTS)
             ? offauth_wallet_open (wallet_path, error)
             : offauth_wallet_create (wallet_path, error);
  if ((demo->wallets[payer] = wallet) == NULL)
    return FALSE;
  g_free (demo->credentials[payer]);
  text = demo->credentials[payer] = offauth_demo_read_text (cred_path);
  if (text != NULL && offauth_credential_parse_text (&cred, text, NULL) &&
      cred.not_after >= now + 86400)
    return TRUE;

  spec.payer_public_key = offauth_wallet_public_key (wallet);
  spec.currency = "EUR";
  spec.per_payment_limit = 5000;
  spec.offline_total_limit = 50000;
  spec.max_offline_count = 100;
  spec.days = 30;
  g_free (demo->credentials[payer]);
  text = demo->credentials[payer] = offauth_issuer_credential (issuer, &spec, error);
  return text != NULL && offauth_write_file_atomic (cred_path, text, strlen (text), 0600, error);
}

OffauthTerminal *
offauth_demo_open (OffauthDemo  *demo,
                   GError      **error)
{
  g_autoptr(OffauthIssuer) issuer = NULL;
  g_autoptr(OffauthTerminal) terminal = NULL;
  gboolean fresh;

  g_return_val_if_fail (demo != NULL, NULL);

  issuer = offauth_demo_open_issuer (demo, error);
  if (issuer == NULL)
    return NULL;
  fresh = !g_file_test (demo->db_path, G_FILE_TEST_EXISTS);
  terminal = offauth_terminal_open (demo->db_path, OFFAUTH_OPEN_DEFAULT, error);
  if (terminal == NULL ||
      !offauth_demo_refresh_trust (terminal, issuer, fresh, error) ||
      !offauth_demo_prepare_payer (demo, issuer, OFFAUTH_DEMO_PAYER_RICH, error) ||
      !offauth_demo_prepare_payer (demo, issuer, OFFAUTH_DEMO_PAYER_POOR, error))
    return NULL;
  return g_steal_pointer (&terminal);
}

gchar *
offauth_demo_pay (OffauthDemo  *demo,
                  guint         payer,
                  const char   *request_text,
                  GError      **error)
{
  g_return_val_if_fail (demo != NULL, NULL);
  g_return_val_if_fail (payer < OFFAUTH_DEMO_N_PAYERS, NULL);
  g_return_val_if_fail (request_text != NULL, NULL);

  if (demo->wallets[payer] == NULL || demo->credentials[payer] == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "%s",
                   _("The demo’s payer is not set up"));
      return NULL;
    }
  return offauth_wallet_pay (demo->wallets[payer], demo->credentials[payer], request_text, NULL,
                             error);
}

const char *
offauth_demo_get_credential_path (OffauthDemo *demo,
                                  guint        payer)
{
  g_return_val_if_fail (demo != NULL, NULL);
  g_return_val_if_fail (payer < OFFAUTH_DEMO_N_PAYERS, NULL);

  return demo->credential_paths[payer];
}

OffauthDemoAcquirer *
offauth_demo_get_acquirer (OffauthDemo *demo)
{
  g_return_val_if_fail (demo != NULL, NULL);

  return demo->acquirer;
}

const char *
offauth_demo_get_acquirer_error (OffauthDemo *demo)
{
  g_return_val_if_fail (demo != NULL, NULL);

  return demo->acquirer_error;
}

/* The acquirer */

/* What the demo did already in the acquirer's folder, so that nothing is done twice: the
 * terminal key it registered, the credentials it funded. */
#define DEMO_STATE_FILE "demo-acquirer.ini"

static gboolean
offauth_demo_save_state (OffauthDemo  *demo,
                         GKeyFile     *state,
                         GError      **error)
{
  g_autofree gchar *path = g_build_filename (demo->dir, DEMO_STATE_FILE, NULL);
  gsize len;
  g_autofree gchar *data = g_key_file_to_data (state, &len, NULL);

  return offauth_write_file_atomic (path, data, len, 0600, error);
}

/* Blocking: the acquirer's folder, the terminal registered, the payers' accounts opened. */
static gboolean
offauth_demo_prepare_acquirer (OffauthDemo      *demo,
                               OffauthTerminal  *terminal,
                               guint8            acquirer_pk[OFFAUTH_PK_SIZE],
                               GError          **error)
{
  OffauthDemoAcquirer *acquirer = demo->acquirer;
  const char *dir = offauth_demo_acquirer_get_dir (acquirer);
  g_autofree gchar *issuer_dir = g_build_filename (demo->dir, "issuer", NULL);
  g_autofree gchar *key_path = g_build_filename (dir, "acquirer.key", NULL);
  g_autofree gchar *state_path = g_build_filename (demo->dir, DEMO_STATE_FILE, NULL);
  g_autoptr(GKeyFile) state = g_key_file_new ();
  g_autoptr(OffauthSecretKey) key = NULL;
  g_autofree gchar *terminal_pk = NULL;
  g_autofree gchar *registered = NULL;
  OffauthTerminalStatus st;

  g_key_file_load_from_file (state, state_path, G_KEY_FILE_NONE, NULL);
  /* An init cut short (the app quit meanwhile) leaves a database without its key, which init
   * never overwrites: with no key, nothing in it can be used again. */
  if (!g_file_test (key_path, G_FILE_TEST_EXISTS))
    for (const char *const *name = (const char *const[]) { "acquirer.db", "acquirer.db-wal",
                                                             "acquirer.db-shm", NULL };
         *name != NULL; name++)
      {
        g_autofree gchar *path = g_build_filename (dir, *name, NULL);

        g_unlink (path);
      }
  if (!g_file_test (key_path, G_FILE_TEST_EXISTS) &&
      !offauth_demo_acquirer_run (acquirer,
                                  (const char *[]) { "init", dir, "--issuer", issuer_dir, NULL },
                                  NULL, error))
    return FALSE;
  if ((key = offauth_secret_key_load (key_path, error)) == NULL)
    return FALSE;
  memcpy (acquirer_pk, key->pk, OFFAUTH_PK_SIZE);

  offauth_terminal_get_status_quick (terminal, &st);
  terminal_pk = offauth_b64_encode (st.terminal_public_key, OFFAUTH_PK_SIZE);
  offauth_terminal_status_clear (&st);
  registered = g_key_file_get_string (state, "acquirer", "terminal", NULL);
  if (g_strcmp0 (registered, terminal_pk) != 0)
    {
      g_autoptr(GError) local = NULL;

      /* Registered already (this file was lost): as good as registered now. */
      const char *args[] = { "terminal", dir, "--merchant", DEMO_MERCHANT, "--key", terminal_pk,
                             NULL };

      if (!offauth_demo_acquirer_run (acquirer, args, NULL, &local) &&
          strstr (local->message, "\"already_registered\"") == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_key_file_set_string (state, "acquirer", "terminal", terminal_pk);
      if (!offauth_demo_save_state (demo, state, error))
        return FALSE;
    }

  /* Each credential's account is opened once, with its payer's balance. */
  for (guint i = 0; i < OFFAUTH_DEMO_N_PAYERS; i++)
    {
      g_autofree gchar *balance = g_strdup_printf ("%" G_GUINT64_FORMAT, demo_payers[i].balance);
      g_autofree gchar *id = NULL;
      OffauthCredential cred;

      if (!offauth_credential_parse_text (&cred, demo->credentials[i], error))
        return FALSE;
      id = offauth_hex (cred.credential_id, sizeof cred.credential_id);
      if (g_key_file_get_boolean (state, "funded", id, NULL))
        continue;
      const char *args[] = { "topup", dir, demo->credential_paths[i], balance, NULL };

      if (!offauth_demo_acquirer_run (acquirer, args, NULL, error))
        return FALSE;
      g_key_file_set_boolean (state, "funded", id, TRUE);
      if (!offauth_demo_save_state (demo, state, error))
        return FALSE;
    }
  return TRUE;
}

/* Blocking: serves on the port pinned before when it is free (so that the pin does not
 * change at every start), else on a port the child binds itself; pins what it serves. */
static gboolean
offauth_demo_serve_and_pin (OffauthDemo      *demo,
                            OffauthTerminal  *terminal,
                            const guint8      acquirer_pk[OFFAUTH_PK_SIZE],
                            GError          **error)
{
  OffauthDemoAcquirer *acquirer = demo->acquirer;
  g_autofree gchar *pinned_url = NULL;
  guint8 pinned_pk[OFFAUTH_PK_SIZE];
  guint16 port = 0;
  const char *url;

  if (offauth_terminal_get_acquirer (terminal, &pinned_url, pinned_pk) &&
      memcmp (pinned_pk, acquirer_pk, OFFAUTH_PK_SIZE) == 0)
    {
      g_autoptr(GUri) uri = g_uri_parse (pinned_url, G_URI_FLAGS_NONE, NULL);

      if (uri != NULL && g_strcmp0 (g_uri_get_host (uri), "127.0.0.1") == 0 &&
          g_uri_get_port (uri) > 0)
        port = (guint16) g_uri_get_port (uri);
    }
  if (!offauth_demo_acquirer_start (acquirer, port, port != 0 ? NULL : error) &&
      (port == 0 || !offauth_demo_acquirer_start (acquirer, 0, error)))
    return FALSE;
  url = offauth_demo_acquirer_get_url (acquirer);
  if (g_strcmp0 (url, pinned_url) == 0 && memcmp (pinned_pk, acquirer_pk, OFFAUTH_PK_SIZE) == 0)
    return TRUE;
  return offauth_terminal_pin_acquirer (terminal, url, acquirer_pk, error);
}

gboolean
offauth_demo_start_acquirer (OffauthDemo     *demo,
                             OffauthTerminal *terminal)
{
  g_autoptr(GError) error = NULL;
  guint8 acquirer_pk[OFFAUTH_PK_SIZE];

  g_return_val_if_fail (demo != NULL, FALSE);
  g_return_val_if_fail (terminal != NULL, FALSE);

  if (demo->acquirer != NULL &&
      offauth_demo_prepare_acquirer (demo, terminal, acquirer_pk, &error) &&
      offauth_demo_serve_and_pin (demo, terminal, acquirer_pk, &error))
    {
      g_clear_pointer (&demo->acquirer_error, g_free);
      g_message ("Demo: the acquirer serves at %s (pid %s)",
                 offauth_demo_acquirer_get_url (demo->acquirer),
                 offauth_demo_acquirer_get_pid (demo->acquirer));
      return TRUE;
    }
  if (error != NULL)
    {
      g_free (demo->acquirer_error);
      demo->acquirer_error = g_strdup (error->message);
    }
  g_message ("Demo: no acquirer, the demo sells offline only: %s", demo->acquirer_error);
  return FALSE;
}
