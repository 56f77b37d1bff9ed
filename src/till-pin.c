/* till-pin.c: the merchant PIN, stored as an Argon2id hash, checked off the main thread.
 *
 * The settings hold `merchant-pin-hash` (libsodium's crypto_pwhash_str, interactive limits).
 * While it is empty, the plain `merchant-pin` (default 1234) is the PIN. A plain PIN that an
 * operator sets with gsettings wins over the hash: it works once, and at that first use it is
 * hashed and the plain key reset. So `gsettings reset io.github.tillpos.Till merchant-pin-hash`
 * brings back 1234, and `gsettings set io.github.tillpos.Till merchant-pin 5678` sets 5678.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "till-pin.h"

typedef struct
{
  gchar    *pin;    /* what was typed, in sodium_malloc memory */
  gchar    *hash;   /* the stored hash, or NULL when the plain PIN applies */
  gchar    *plain;  /* the plain PIN from the settings, or NULL */
  gchar    *new_hash;
  gboolean  ok;
} PinData;

static void
pin_data_free (PinData *data)
{
  if (data->pin != NULL)
    sodium_free (data->pin);
  g_free (data->hash);
  if (data->plain != NULL)
    sodium_memzero (data->plain, strlen (data->plain));
  g_free (data->plain);
  g_free (data->new_hash);
  g_free (data);
}

static PinData *
pin_data_new (const char *pin)
{
  PinData *data = g_new0 (PinData, 1);
  gsize len = strlen (pin);

  g_assert (sodium_init () >= 0);
  data->pin = sodium_malloc (len + 1);
  g_assert (data->pin != NULL);
  memcpy (data->pin, pin, len + 1);
  return data;
}

/**
 * till_pin_backoff_seconds:
 * @n_failures: wrong PINs in a row
 *
 * Returns: how long the PIN pad waits before it takes another PIN: nothing for the first
 *   #TILL_PIN_FREE_ATTEMPTS, then 30 s, doubling with each further wrong PIN, at most an hour.
 */
guint
till_pin_backoff_seconds (guint n_failures)
{
  guint seconds = 30;

  if (n_failures < TILL_PIN_FREE_ATTEMPTS)
    return 0;
  for (guint i = TILL_PIN_FREE_ATTEMPTS; i < n_failures && seconds < 3600; i++)
    seconds *= 2;
  return MIN (seconds, 3600);
}

/**
 * till_pin_hash:
 * @pin: a PIN
 *
 * Returns: (transfer full) (nullable): an Argon2id hash string with its salt and limits, or
 *   %NULL if the memory for it could not be had.
 */
gchar *
till_pin_hash (const char *pin)
{
  char out[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (pin != NULL, NULL);
  g_assert (sodium_init () >= 0);
  if (crypto_pwhash_str_alg (out, pin, strlen (pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return NULL;
  return g_strdup (out);
}

static void
check_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  PinData *data = task_data;

  if (data->plain != NULL)
    {
      gsize len = strlen (data->plain);

      /* Constant time for a PIN of the right length; the length itself is no secret worth
       * the trouble (the pad shows a dot per digit). */
      data->ok = strlen (data->pin) == len && sodium_memcmp (data->pin, data->plain, len) == 0;
      if (data->ok && (data->new_hash = till_pin_hash (data->pin)) == NULL)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                                   "Not enough memory to hash the PIN");
          return;
        }
    }
  else
    data->ok = crypto_pwhash_str_verify (data->hash, data->pin, strlen (data->pin)) == 0;
  g_task_return_boolean (task, data->ok);
}

/**
 * till_pin_check_async:
 * @settings: the app's settings
 * @pin: what the merchant typed
 *
 * Checks @pin against the stored hash (or the plain PIN, see the top of this file) in a
 * worker thread: Argon2id takes a noticeable moment by design.
 */
void
till_pin_check_async (GSettings           *settings,
                      const char          *pin,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (settings, cancellable, callback, user_data);
  g_autoptr(GVariant) user_plain = g_settings_get_user_value (settings, "merchant-pin");
  PinData *data = pin_data_new (pin);

  g_task_set_source_tag (task, till_pin_check_async);
  data->hash = g_settings_get_string (settings, "merchant-pin-hash");
  if (user_plain != NULL || *data->hash == '\0')
    data->plain = g_settings_get_string (settings, "merchant-pin");
  g_task_set_task_data (task, data, (GDestroyNotify) pin_data_free);
  g_task_run_in_thread (task, check_thread);
}

/**
 * till_pin_check_finish:
 *
 * Returns: %TRUE if the PIN was right. A right plain PIN is now hashed in the settings.
 */
gboolean
till_pin_check_finish (GSettings     *settings,
                       GAsyncResult  *result,
                       GError       **error)
{
  PinData *data;
  gboolean ok;

  g_return_val_if_fail (g_task_is_valid (result, settings), FALSE);

  ok = g_task_propagate_boolean (G_TASK (result), error);
  data = g_task_get_task_data (G_TASK (result));
  if (ok && data->new_hash != NULL)
    {
      /* Migrated: from now on only the hash is kept. */
      g_settings_set_string (settings, "merchant-pin-hash", data->new_hash);
      g_settings_reset (settings, "merchant-pin");
    }
  return ok;
}

static void
change_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  PinData *data = task_data;

  if ((data->new_hash = till_pin_hash (data->pin)) == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                             "Not enough memory to hash the PIN");
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * till_pin_change_async:
 * @settings: the app's settings
 * @pin: the new PIN, at least #TILL_PIN_MIN_LENGTH digits
 *
 * Hashes @pin in a worker thread; till_pin_change_finish() stores it.
 */
void
till_pin_change_async (GSettings           *settings,
                       const char          *pin,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (settings, cancellable, callback, user_data);

  g_return_if_fail (strlen (pin) >= TILL_PIN_MIN_LENGTH);
  g_task_set_source_tag (task, till_pin_change_async);
  g_task_set_task_data (task, pin_data_new (pin), (GDestroyNotify) pin_data_free);
  g_task_run_in_thread (task, change_thread);
}

gboolean
till_pin_change_finish (GSettings     *settings,
                        GAsyncResult  *result,
                        GError       **error)
{
  PinData *data;

  g_return_val_if_fail (g_task_is_valid (result, settings), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  g_settings_set_string (settings, "merchant-pin-hash", data->new_hash);
  g_settings_reset (settings, "merchant-pin");
  return TRUE;
}
