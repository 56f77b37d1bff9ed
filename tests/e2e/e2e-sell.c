/* e2e-sell.c: N real offline sales in one process (request, the wallet's payment, the
 * decision), so that the end-to-end tests get a day's queue in seconds, not minutes; and,
 * for the hostile server, a sync answer signed again under a key nobody pinned.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "e2e-sell"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "offauth.h"

static int
resign (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncAnswer) a = offauth_sync_answer_parse_text (text, -1, &error);
  g_autoptr(OffauthSecretKey) key = offauth_secret_key_generate ();
  g_autoptr(OffauthSyncAnswer) signed_again = a ? offauth_sync_answer_sign (a, key, &error) : NULL;
  g_autofree gchar *out = NULL;
  gsize len;
  const guint8 *raw;

  if (signed_again == NULL)
    {
      fprintf (stderr, "e2e-sell: %s\n", error->message);
      return 1;
    }
  raw = g_bytes_get_data (signed_again->raw, &len);
  out = offauth_text_encode ('A', raw, len);
  printf ("%s\n", out);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthTerminal) t = NULL;
  g_autoptr(OffauthWallet) w = NULL;
  g_autofree gchar *cred = NULL;
  guint64 n, amount;

  if (!offauth_init ())
    return 1;
  if (argc == 3 && g_strcmp0 (argv[1], "--resign") == 0)
    return resign (argv[2]);
  if (argc != 6 || !g_ascii_string_to_unsigned (argv[4], 10, 1, G_MAXUINT32, &n, NULL) ||
      !g_ascii_string_to_unsigned (argv[5], 10, 1, G_MAXUINT32, &amount, NULL))
    {
      fprintf (stderr, "usage: e2e-sell DB WALLET CREDENTIAL_FILE N AMOUNT | e2e-sell --resign ANSWER\n");
      return 2;
    }
  if (!g_file_get_contents (argv[3], &cred, NULL, &error) ||
      (t = offauth_terminal_open (argv[1], OFFAUTH_OPEN_DEFAULT, &error)) == NULL ||
      (w = offauth_wallet_open (argv[2], &error)) == NULL)
    {
      fprintf (stderr, "e2e-sell: %s\n", error->message);
      return 1;
    }
  g_strstrip (cred);
  for (guint64 i = 0; i < n; i++)
    {
      OffauthReason reason = OFFAUTH_REASON_NONE;
      g_autofree gchar *req = offauth_terminal_create_request (t, amount, "EUR", &reason, &error);
      g_autofree gchar *pay = req ? offauth_wallet_pay (w, cred, req, NULL, &error) : NULL;
      OffauthDecision d;

      if (pay == NULL)
        {
          fprintf (stderr, "e2e-sell: sale %" G_GUINT64_FORMAT ": %s\n", i + 1,
                   error ? error->message : offauth_reason_code (reason));
          return 1;
        }
      offauth_terminal_authorize (t, pay, -1, NULL, 0, &d);
      if (!d.approved)
        {
          fprintf (stderr, "e2e-sell: sale %" G_GUINT64_FORMAT " refused: %s %s\n", i + 1,
                   offauth_reason_code (d.reason), d.detail);
          return 1;
        }
    }
  printf ("%" G_GUINT64_FORMAT "\n", n);
  return 0;
}
