/* offauth-terminal.c: the terminal object: open, lock, load, enrollment, configuration, clock, status.
 *
 * The terminal's state lives in one SQLite file (WAL, synchronous=FULL). The journal is
 * the record of truth: the tables the decision reads (sales, per-credential counters and
 * totals) are derived from it and checked against it whenever the terminal is opened
 * (offauth-verify.c). The terminal's secret key lives beside the database in its own 0600
 * file. The other jobs of the object live in the files offauth-terminal-private.h names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "offauth-private.h"
#include "offauth-terminal-private.h"
#include "offauth-testing-private.h"

/* Time */

static guint64
real_now (gpointer user_data)
{
  return (guint64) (g_get_real_time () / G_USEC_PER_SEC);
}

guint64
offauth_terminal_now (OffauthTerminal *t)
{
  g_return_val_if_fail (t != NULL, 0);

  return t->now_func (t->now_data);
}

void
offauth_terminal_set_now_func (OffauthTerminal *t,
                               OffauthNowFunc   func,
                               gpointer         user_data)
{
  g_return_if_fail (t != NULL);

  t->now_func = func ? func : real_now;
  t->now_data = user_data;
}

gboolean
_offauth_terminal_has_real_clock (OffauthTerminal *t)
{
  return t->now_func == real_now;
}

guint64
_offauth_terminal_time_floor (OffauthTerminal *t)
{
  guint64 floor = t->acquirer_time;

  if (t->has_bundle)
    floor = MAX (floor, t->bundle.issued_at);
  return floor;
}

guint
_offauth_id_hash (gconstpointer key)
{
  guint h;

  memcpy (&h, key, sizeof h);
  return h;
}

gboolean
_offauth_key_id_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, OFFAUTH_KEY_ID_SIZE) == 0;
}

gboolean
_offauth_credential_id_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, OFFAUTH_CREDENTIAL_ID_SIZE) == 0;
}

/* Loading the state: the settings, the trust material and what the decision needs of
 * the sales, read again after enrollment and after a commit whose outcome is unknown. */

static gboolean
load_settings (OffauthTerminal *t,
               GError         **error)
{
  g_autofree gchar *merchant = NULL;
  g_autofree gchar *pk_hex = NULL;
  guint64 scope, root_tofu = 0;
  gboolean found;
  const struct
  {
    const char *name;
    guint64    *value;
  } numbers[] = {
    { "floor_limit", &t->config.floor_limit },
    { "cap_total", &t->config.cap_total },
    { "cap_count", &t->config.cap_count },
    { "stale_cap", &t->config.stale_cap },
    { "upload_deadline", &t->config.upload_deadline },
    { "request_lifetime", &t->config.request_lifetime },
    { "scope", &scope },
    { "acquirer_time", &t->acquirer_time },
    { "accepted_floor", &t->accepted_floor },
    { "accepted_at", &t->accepted_at },
    { "accepted_seq", &t->accepted_seq },
    { "root_tofu", &root_tofu },
  };

  if (!_offauth_setting_get (t, "merchant_id", &found, NULL, &merchant, error))
    return FALSE;
  t->enrolled = found && merchant != NULL;
  if (t->enrolled)
    {
      g_strlcpy (t->merchant_id, merchant, sizeof t->merchant_id);
      if (!_offauth_setting_get (t, "terminal_pk", &found, NULL, &pk_hex, error))
        return FALSE;
      if (!found || !offauth_unhex (pk_hex, t->terminal_pk, OFFAUTH_PK_SIZE))
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "the terminal's public key is missing from the database");
          return FALSE;
        }
      offauth_terminal_id_from_key (t->terminal_id, t->terminal_pk);
    }

  offauth_terminal_config_init (&t->config);
  scope = t->config.scope;
  t->acquirer_time = t->accepted_floor = t->accepted_at = t->accepted_seq = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (numbers); i++)
    if (!_offauth_setting_get (t, numbers[i].name, &found, numbers[i].value, NULL, error))
      return FALSE;
  t->config.scope = (guint32) scope;
  t->root_tofu = t->enrolled && root_tofu != 0;
  return TRUE;
}

static gboolean
load_category_floors (OffauthTerminal *t,
                      GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_CATEGORY_FLOORS, error);
  gboolean ok, row;

  g_hash_table_remove_all (t->category_floors);
  if (s == NULL)
    return FALSE;
  while ((ok = _offauth_db_step (t, s, &row, error)) && row)
    {
      guint64 *floor = g_new (guint64, 1);
      *floor = (guint64) sqlite3_column_int64 (s, 1);
      g_hash_table_insert (t->category_floors,
                           g_strdup ((const char *) sqlite3_column_text (s, 0)), floor);
    }
  return ok;
}

static gboolean
load_trust (OffauthTerminal *t,
            GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_TRUST, error);
  g_autoptr(GError) local = NULL;
  gboolean row;

  t->has_bundle = FALSE;
  if (s == NULL || !_offauth_db_step (t, s, &row, error))
    return FALSE;
  if (!row)
    return TRUE;
  if (!offauth_bundle_parse (&t->bundle, sqlite3_column_blob (s, 0),
                             (gsize) sqlite3_column_bytes (s, 0), &local))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                   "the stored trust bundle is damaged: %s", local->message);
      return FALSE;
    }
  t->has_bundle = TRUE;
  return TRUE;
}

static gboolean
load_revocations (OffauthTerminal *t,
                  GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_REVOCATIONS, error);
  gboolean ok, row;

  g_hash_table_remove_all (t->revocations);
  if (s == NULL)
    return FALSE;
  while ((ok = _offauth_db_step (t, s, &row, error)) && row)
    {
      g_autoptr(GError) local = NULL;
      OffauthRevocationList *list = offauth_revocation_list_parse (sqlite3_column_blob (s, 0),
                                                                   (gsize) sqlite3_column_bytes (s, 0),
                                                                   &local);
      if (list == NULL)
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "a stored revocation list is damaged: %s", local->message);
          return FALSE;
        }
      g_hash_table_insert (t->revocations, g_memdup2 (list->issuer_key_id, 8), list);
    }
  return ok;
}

static gboolean
load_journal_head (OffauthTerminal *t,
                   GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_JOURNAL_HEAD, error);
  gboolean row;

  t->last_seq = 0;
  memset (t->last_hash, 0, sizeof t->last_hash);
  if (s == NULL || !_offauth_db_step (t, s, &row, error))
    return FALSE;
  if (row && sqlite3_column_bytes (s, 1) == OFFAUTH_HASH_SIZE)
    {
      t->last_seq = (guint64) sqlite3_column_int64 (s, 0);
      memcpy (t->last_hash, sqlite3_column_blob (s, 1), OFFAUTH_HASH_SIZE);
    }
  return TRUE;
}

/* Unsettled sales: summed in C, as SQLite's SUM() stops at 2^63. */
static gboolean
load_unsettled (OffauthTerminal *t,
                GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_UNSETTLED, error);
  gboolean ok, row;

  t->unsettled_count = t->unsettled_total = t->oldest_unsettled = 0;
  if (s == NULL)
    return FALSE;
  while ((ok = _offauth_db_step (t, s, &row, error)) && row)
    {
      guint64 time = (guint64) sqlite3_column_int64 (s, 1);
      t->unsettled_count++;
      t->unsettled_total = _offauth_sat_add (t->unsettled_total, (guint64) sqlite3_column_int64 (s, 0));
      if (t->oldest_unsettled == 0 || time < t->oldest_unsettled)
        t->oldest_unsettled = time;
    }
  return ok;
}

static gboolean
load_latest_sale (OffauthTerminal *t,
                  GError         **error)
{
  g_autoptr(OffauthStmt) last = _offauth_db_stmt (t, ST_LAST_SALE_CHALLENGE, error);
  g_autoptr(OffauthStmt) latest = NULL;
  gboolean row;

  t->has_sale = FALSE;
  t->latest_sale_time = 0;
  if (last == NULL || !_offauth_db_step (t, last, &row, error))
    return FALSE;
  if (row && sqlite3_column_bytes (last, 0) == OFFAUTH_CHALLENGE_SIZE)
    {
      memcpy (t->last_sale_challenge, sqlite3_column_blob (last, 0), OFFAUTH_CHALLENGE_SIZE);
      t->has_sale = TRUE;
    }
  /* Sales recorded before the merchant accepted the clock do not count against it. */
  if ((latest = _offauth_db_stmt (t, ST_LATEST_SALE_TIME, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (latest, 1, (sqlite3_int64) t->accepted_seq);
  if (!_offauth_db_step (t, latest, &row, error))
    return FALSE;
  if (row)
    t->latest_sale_time = (guint64) sqlite3_column_int64 (latest, 0);
  return TRUE;
}

static gboolean
load_latest_request (OffauthTerminal *t,
                     GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_LATEST_REQUEST, error);
  gboolean row;

  t->latest_request_id = 0;
  t->latest_request_mono = 0;
  if (s == NULL || !_offauth_db_step (t, s, &row, error))
    return FALSE;
  if (row && sqlite3_column_bytes (s, 1) == OFFAUTH_CHALLENGE_SIZE)
    {
      t->latest_request_id = sqlite3_column_int64 (s, 0);
      memcpy (t->latest_challenge, sqlite3_column_blob (s, 1), OFFAUTH_CHALLENGE_SIZE);
    }
  return TRUE;
}

gboolean
_offauth_terminal_load_state (OffauthTerminal *t,
                              GError         **error)
{
  return load_settings (t, error) &&
         load_category_floors (t, error) &&
         load_trust (t, error) &&
         load_revocations (t, error) &&
         load_journal_head (t, error) &&
         load_unsettled (t, error) &&
         load_latest_sale (t, error) &&
         load_latest_request (t, error);
}

void
offauth_terminal_config_init (OffauthTerminalConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->cap_total = OFFAUTH_DEFAULT_CAP_TOTAL;
  config->cap_count = OFFAUTH_DEFAULT_CAP_COUNT;
  config->stale_cap = OFFAUTH_DEFAULT_STALE_CAP;
  config->upload_deadline = OFFAUTH_DEFAULT_UPLOAD_DEADLINE;
  config->request_lifetime = OFFAUTH_DEFAULT_REQUEST_LIFETIME;
}

/* Open and lock */

static gboolean
lock_database (OffauthTerminal *t,
               GError         **error)
{
  g_autofree gchar *lock_path = g_strconcat (t->path, ".lock", NULL);

  t->lock_fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (t->lock_fd < 0)
    {
      int saved = errno;
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO, "Cannot create %s: %s", lock_path,
                   g_strerror (saved));
      return FALSE;
    }
  if (flock (t->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "The terminal database %s is in use by another program", t->path);
      return FALSE;
    }
  return TRUE;
}

OffauthTerminal *
offauth_terminal_open (const char        *db_path,
                       OffauthOpenFlags   flags,
                       GError           **error)
{
  g_autoptr(OffauthTerminal) t = NULL;
  gboolean read_only = (flags & OFFAUTH_OPEN_READ_ONLY) != 0;

  g_return_val_if_fail (db_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!offauth_init ())
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "libsodium could not start");
      return NULL;
    }

  t = g_new0 (OffauthTerminal, 1);
  t->lock_fd = -1;
  t->flags = flags;
  t->path = g_strdup (db_path);
  t->key_path = g_strconcat (db_path, ".key", NULL);
  t->now_func = real_now;
  t->category_floors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  t->revocations = g_hash_table_new_full (_offauth_id_hash, _offauth_key_id_equal, g_free,
                                          (GDestroyNotify) offauth_revocation_list_free);

  if (!read_only && !lock_database (t, error))
    return NULL;
  if (!_offauth_db_open (t, error) || !_offauth_terminal_load_state (t, error))
    return NULL;

  if (t->enrolled && !read_only)
    {
      t->key = offauth_secret_key_load (t->key_path, error);
      if (t->key == NULL)
        return NULL;
      if (sodium_memcmp (t->key->pk, t->terminal_pk, OFFAUTH_PK_SIZE) != 0)
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "The key file %s does not belong to this terminal", t->key_path);
          return NULL;
        }
    }

  if (!(flags & OFFAUTH_OPEN_NO_CHECK))
    {
      guint64 bad = 0;
      g_autoptr(GError) local = NULL;

      if (!offauth_terminal_verify (t, &bad, &local))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                      "The journal check at start-up failed: ");
          return NULL;
        }
    }
  return g_steal_pointer (&t);
}

void
offauth_terminal_free (OffauthTerminal *t)
{
  if (t == NULL)
    return;
  _offauth_db_close (t);
  if (t->lock_fd >= 0)
    close (t->lock_fd);
  offauth_secret_key_free (t->key);
  g_hash_table_unref (t->category_floors);
  g_hash_table_unref (t->revocations);
  g_free (t->path);
  g_free (t->key_path);
  g_free (t);
}

/* Enrollment and configuration */

static gboolean
store_config (OffauthTerminal             *t,
              const OffauthTerminalConfig *c,
              gboolean                     all,
              GError                     **error)
{
  const struct
  {
    const char *name;
    guint64     value;
    guint64     old;
  } items[] = {
    { "floor_limit", c->floor_limit, t->config.floor_limit },
    { "cap_total", c->cap_total, t->config.cap_total },
    { "cap_count", c->cap_count, t->config.cap_count },
    { "stale_cap", c->stale_cap, t->config.stale_cap },
    { "upload_deadline", c->upload_deadline, t->config.upload_deadline },
    { "request_lifetime", c->request_lifetime, t->config.request_lifetime },
    { "scope", c->scope, t->config.scope },
  };
  guint64 now = offauth_terminal_now (t);

  for (gsize i = 0; i < G_N_ELEMENTS (items); i++)
    if ((all || items[i].value != items[i].old) &&
        !_offauth_journal_setting (t, items[i].name, items[i].value, now, error))
      return FALSE;
  return TRUE;
}

gboolean
_offauth_terminal_enroll (OffauthTerminal             *t,
                          OffauthSecretKey            *key,
                          const char                  *bundle_text,
                          const char                  *merchant_id,
                          const char                  *root_fingerprint,
                          const OffauthTerminalConfig *config,
                          GError                     **error)
{
  OffauthBundle bundle;
  OffauthTerminalConfig defaults;
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_ENROLLED };
  g_autofree gchar *fpr = NULL;
  g_autofree gchar *pk_hex = NULL;
  g_autofree gchar *lower = NULL;

  /* Enrollment happens once, into an empty database, with a key made for it. */
  if (t->enrolled || t->last_seq > 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "This terminal is already enrolled for merchant %s", t->merchant_id);
      return FALSE;
    }
  if (!offauth_merchant_id_valid (merchant_id))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "A merchant id is 1 to 16 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
      return FALSE;
    }
  if (!offauth_bundle_parse_text (&bundle, bundle_text, error))
    return FALSE;
  if (!offauth_bundle_verify (&bundle, bundle.root_public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The trust bundle's root signature does not verify");
      return FALSE;
    }
  fpr = offauth_root_fingerprint (bundle.root_public_key);
  lower = root_fingerprint ? g_ascii_strdown (root_fingerprint, -1) : NULL;
  if (lower != NULL &&
      (strlen (lower) != strlen (fpr) || sodium_memcmp (lower, fpr, strlen (fpr)) != 0))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The trust bundle's root key %s is not the expected root %s", fpr,
                   root_fingerprint);
      return FALSE;
    }
  if (!_offauth_terminal_check_bundle_time (t, &bundle, error))
    return FALSE;
  if (config == NULL)
    {
      offauth_terminal_config_init (&defaults);
      config = &defaults;
    }

  /* The key file first: a database that names a key nobody holds would be useless.
   * An existing key file is never overwritten: it may belong to sales not uploaded. */
  if (g_file_test (t->key_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "%s already exists: a terminal key is never overwritten", t->key_path);
      return FALSE;
    }
  if (!offauth_secret_key_save (key, t->key_path, error))
    return FALSE;

  pk_hex = offauth_hex (key->pk, OFFAUTH_PK_SIZE);
  rec.time = offauth_terminal_now (t);
  g_strlcpy (rec.enrolled.merchant_id, merchant_id, sizeof rec.enrolled.merchant_id);
  offauth_terminal_id_from_key (rec.enrolled.terminal_id, key->pk);
  memcpy (rec.enrolled.root_public_key, bundle.root_public_key, OFFAUTH_PK_SIZE);
  rec.enrolled.root_pinned = root_fingerprint != NULL;
  rec.enrolled.scope = config->scope;

  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_journal_append (t, &rec, NULL, NULL, error) ||
      !_offauth_setting_set (t, "merchant_id", merchant_id, 0, error) ||
      !_offauth_setting_set (t, "terminal_pk", pk_hex, 0, error) ||
      !_offauth_setting_set (t, "root_tofu", NULL, root_fingerprint == NULL, error) ||
      !_offauth_terminal_store_bundle (t, &bundle, error) ||
      !store_config (t, config, TRUE, error) ||
      !_offauth_tx_commit (t, error))
    {
      _offauth_tx_rollback (t);
      return FALSE;
    }

  return _offauth_terminal_load_state (t, error) &&
         (t->key = offauth_secret_key_from_seed (key->sk)) != NULL;
}

gboolean
offauth_terminal_enroll (OffauthTerminal             *t,
                         const char                  *bundle_text,
                         const char                  *merchant_id,
                         const char                  *root_fingerprint,
                         const OffauthTerminalConfig *config,
                         GError                     **error)
{
  g_autoptr(OffauthSecretKey) key = NULL;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (bundle_text != NULL, FALSE);
  g_return_val_if_fail (merchant_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  key = offauth_secret_key_generate ();
  return _offauth_terminal_enroll (t, key, bundle_text, merchant_id, root_fingerprint, config,
                                   error);
}

gboolean
offauth_terminal_set_config (OffauthTerminal             *t,
                             const OffauthTerminalConfig *config,
                             GError                     **error)
{
  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!store_config (t, config, FALSE, error) || !_offauth_tx_commit (t, error))
    {
      _offauth_tx_rollback (t);
      return FALSE;
    }
  t->config = *config;
  return TRUE;
}

gboolean
offauth_terminal_set_category_floor (OffauthTerminal *t,
                                     const char      *category,
                                     guint64          floor,
                                     GError         **error)
{
  g_autofree gchar *name = NULL;
  OffauthStmt *s;
  guint64 *value;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (category != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  name = g_strdup_printf ("category_floor:%s", category);
  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_journal_setting (t, name, floor, offauth_terminal_now (t), error) ||
      (s = _offauth_db_stmt (t, ST_SET_CATEGORY_FLOOR, error)) == NULL)
    goto fail;
  sqlite3_bind_text (s, 1, category, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) floor);
  if (!_offauth_db_step_done (t, s, error) || !_offauth_tx_commit (t, error))
    goto fail;
  value = g_new (guint64, 1);
  *value = floor;
  g_hash_table_insert (t->category_floors, g_strdup (category), value);
  return TRUE;

fail:
  _offauth_tx_rollback (t);
  return FALSE;
}

gboolean
_offauth_terminal_require_enrolled (OffauthTerminal *t,
                                    GError         **error)
{
  if (!t->enrolled)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "This terminal is not enrolled");
      return FALSE;
    }
  return TRUE;
}

/* The clock */

gboolean
offauth_terminal_accept_clock (OffauthTerminal *t,
                               GError         **error)
{
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_CLOCK_ACCEPTED };
  guint64 floor, now, seq;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  floor = _offauth_terminal_time_floor (t);
  rec.time = now = offauth_terminal_now (t);
  if (!_offauth_terminal_require_enrolled (t, error))
    return FALSE;
  /* The record keeps the floor the clock may lag from now on and the latest sale time
   * it was behind; its own time is the accepted clock, which later clocks may not go
   * back behind. */
  rec.clock.floor = floor;
  rec.clock.latest_sale_time = t->latest_sale_time;
  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_journal_append (t, &rec, &seq, NULL, error) ||
      !_offauth_setting_set (t, "accepted_floor", NULL, floor, error) ||
      !_offauth_setting_set (t, "accepted_at", NULL, now, error) ||
      !_offauth_setting_set (t, "accepted_seq", NULL, seq, error) ||
      !_offauth_tx_commit (t, error))
    goto fail;
  t->accepted_floor = floor;
  t->accepted_at = now;
  t->accepted_seq = seq;
  t->latest_sale_time = 0;
  return TRUE;

fail:
  _offauth_tx_rollback (t);
  return FALSE;
}

/* The terminal's state, before a request is issued and again at authorization */

OffauthReason
_offauth_terminal_check_state (OffauthTerminal *t,
                               guint64          now,
                               guint64          amount)
{
  guint64 floor = _offauth_terminal_time_floor (t);

  if (!t->enrolled || !t->has_bundle)
    return OFFAUTH_REASON_NOT_ENROLLED;
  if (now > t->bundle.expires_at)
    return OFFAUTH_REASON_BUNDLE_EXPIRED;
  /* The clock may lag by the protocol's skew before it is called untrusted, as a
   * bundle issued up to 300 s ahead is accepted when loaded. */
  if ((now + OFFAUTH_CLOCK_SKEW < floor && floor > t->accepted_floor) ||
      now + OFFAUTH_CLOCK_SKEW < MAX (t->latest_sale_time, t->accepted_at))
    return OFFAUTH_REASON_CLOCK_UNTRUSTED;
  if (t->unsettled_count > 0 && now > _offauth_sat_add (t->oldest_unsettled, t->config.upload_deadline))
    return OFFAUTH_REASON_UPLOAD_OVERDUE;
  if ((t->config.cap_count > 0 && t->unsettled_count + 1 > t->config.cap_count) ||
      (t->config.cap_total > 0 &&
       _offauth_sat_add (t->unsettled_total, MAX (amount, 1)) > t->config.cap_total))
    return OFFAUTH_REASON_OVER_TERMINAL_CAP;
  return OFFAUTH_REASON_NONE;
}

OffauthReason
offauth_terminal_check_state (OffauthTerminal *t,
                              guint64          amount)
{
  g_return_val_if_fail (t != NULL, OFFAUTH_REASON_NOT_ENROLLED);

  return _offauth_terminal_check_state (t, offauth_terminal_now (t), amount);
}

/* Status */

void
offauth_terminal_get_status (OffauthTerminal       *t,
                             OffauthTerminalStatus *st)
{
  g_autoptr(OffauthStmt) s = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer value;
  gboolean row;

  g_return_if_fail (t != NULL);
  g_return_if_fail (st != NULL);

  memset (st, 0, sizeof *st);
  st->enrolled = t->enrolled;
  g_strlcpy (st->merchant_id, t->merchant_id, sizeof st->merchant_id);
  memcpy (st->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  st->config = t->config;
  st->root_trusted_on_first_use = t->root_tofu;
  if (t->has_bundle)
    {
      st->root_fingerprint = offauth_root_fingerprint (t->bundle.root_public_key);
      st->bundle_sequence = t->bundle.sequence;
      st->bundle_issued_at = t->bundle.issued_at;
      st->bundle_expires_at = t->bundle.expires_at;
      st->n_issuer_keys = t->bundle.n_keys;
    }
  st->n_revocation_lists = g_hash_table_size (t->revocations);
  g_hash_table_iter_init (&iter, t->revocations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const OffauthRevocationList *list = value;
      if (st->oldest_revocation_issued_at == 0 || list->issued_at < st->oldest_revocation_issued_at)
        st->oldest_revocation_issued_at = list->issued_at;
    }
  st->now = offauth_terminal_now (t);
  st->time_floor = _offauth_terminal_time_floor (t);
  st->state = _offauth_terminal_check_state (t, st->now, 0);
  st->unsettled_count = t->unsettled_count;
  st->unsettled_total = t->unsettled_total;
  st->oldest_unsettled_time = t->unsettled_count ? t->oldest_unsettled : 0;
  st->journal_rows = t->last_seq;
  memcpy (st->journal_head, t->last_hash, OFFAUTH_HASH_SIZE);

  /* The status has no error to return: the counts stay 0, and the failure is logged. */
  if ((s = _offauth_db_stmt (t, ST_COUNTS, &error)) == NULL || !_offauth_db_step (t, s, &row, &error))
    {
      g_warning ("The terminal's counts cannot be read: %s", error->message);
      return;
    }
  if (row)
    {
      st->n_sales = (guint64) sqlite3_column_int64 (s, 0);
      st->n_credentials = (guint64) sqlite3_column_int64 (s, 1);
      st->n_negative = (guint64) sqlite3_column_int64 (s, 2);
    }
}

void
offauth_terminal_status_clear (OffauthTerminalStatus *st)
{
  g_return_if_fail (st != NULL);

  g_clear_pointer (&st->root_fingerprint, g_free);
}

const char *
offauth_sale_state_name (OffauthSaleState state)
{
  static const char *names[] = {
    "queued", "uploading", "approved", "declined", "retry-scheduled", "written-off",
    "collected-otherwise",
  };

  return (guint) state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}


/* ---- (moves to offauth-authorize.c next) ---- */

/* Requests */

gchar *
_offauth_terminal_create_request (OffauthTerminal *t,
                                  guint64          amount,
                                  const char      *currency,
                                  const guint8    *challenge,
                                  OffauthReason   *reason_out,
                                  GError         **error)
{
  OffauthRequest req = { 0 };
  OffauthReason reason;
  OffauthStmt *s;
  guint64 now = offauth_terminal_now (t);

  if (reason_out != NULL)
    *reason_out = OFFAUTH_REASON_NONE;
  if (amount < 1 || currency == NULL || !offauth_currency_valid (currency))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "A request needs an amount of at least 1 and a currency of 3 capital letters");
      return NULL;
    }
  /* No payer is asked to pay into a terminal that would refuse the payment. */
  reason = _offauth_terminal_check_state (t, now, amount);
  if (reason != OFFAUTH_REASON_NONE)
    {
      if (reason_out != NULL)
        *reason_out = reason;
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "%s (%s)",
                   offauth_reason_message (reason), offauth_reason_code (reason));
      return NULL;
    }

  g_strlcpy (req.merchant_id, t->merchant_id, sizeof req.merchant_id);
  memcpy (req.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  req.scope = t->config.scope;
  memcpy (req.currency, currency, 4);
  req.amount = amount;
  req.created_at = now;
  if (challenge != NULL)
    memcpy (req.challenge, challenge, OFFAUTH_CHALLENGE_SIZE);
  else
    randombytes_buf (req.challenge, OFFAUTH_CHALLENGE_SIZE);
  offauth_request_encode (&req);

  s = _offauth_db_stmt (t, ST_INSERT_REQUEST, error);
  if (s != NULL)
    {
      sqlite3_bind_blob (s, 1, req.challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
      sqlite3_bind_blob (s, 2, req.raw, OFFAUTH_REQUEST_SIZE, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 3, (sqlite3_int64) now);
    }
  if (s == NULL || sqlite3_step (s) != SQLITE_DONE)
    {
      if (s != NULL)
        {
          _offauth_db_error (t, error, "The request could not be saved");
          sqlite3_reset (s);
        }
      if (reason_out != NULL)
        *reason_out = OFFAUTH_REASON_STORAGE_UNAVAILABLE;
      return NULL;
    }
  sqlite3_reset (s);
  t->latest_request_id = sqlite3_last_insert_rowid (t->db);
  memcpy (t->latest_challenge, req.challenge, OFFAUTH_CHALLENGE_SIZE);
  t->latest_request_mono = _offauth_terminal_has_real_clock (t) ? g_get_monotonic_time () : 0;
  return offauth_text_encode ('R', req.raw, OFFAUTH_REQUEST_SIZE);
}

gchar *
offauth_terminal_create_request (OffauthTerminal *t,
                                 guint64          amount,
                                 const char      *currency,
                                 OffauthReason   *reason,
                                 GError         **error)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return _offauth_terminal_create_request (t, amount, currency, NULL, reason, error);
}

/* Storing a sale: shared by the decision's commit and the benchmark fill */

gboolean
_offauth_insert_sale (OffauthTerminal      *t,
                      guint64               seq,
                      const OffauthPayment *p,
                      guint64               time,
                      GError              **error)
{
  OffauthStmt *s = _offauth_db_stmt (t, ST_INSERT_SALE, error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  sqlite3_bind_blob (s, 2, p->sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_blob (s, 3, p->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 4, p->counter);
  sqlite3_bind_blob (s, 5, p->request.challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 6, (sqlite3_int64) p->request.amount);
  sqlite3_bind_text (s, 7, p->request.currency, 3, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 8, (sqlite3_int64) time);
  sqlite3_bind_int (s, 9, OFFAUTH_MODE_OFFLINE);
  sqlite3_bind_int (s, 10, OFFAUTH_SALE_QUEUED);
  return _offauth_db_step_done (t, s, error);
}

gboolean
_offauth_set_credential_totals (OffauthTerminal *t,
                                const guint8     credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                                guint64          count,
                                guint64          total,
                                GError         **error)
{
  OffauthStmt *s = _offauth_db_stmt (t, ST_UPSERT_CRED, error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) count);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) total);
  return _offauth_db_step_done (t, s, error);
}

static gboolean
commit_sale (OffauthTerminal      *t,
             const OffauthPayment *p,
             guint64               now,
             guint64               cred_count,
             guint64               cred_total,
             OffauthDecision      *d,
             GError              **error)
{
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_SALE_APPROVED, .time = now,
                        .sale = { *p, OFFAUTH_MODE_OFFLINE } };
  guint8 hash[OFFAUTH_HASH_SIZE];
  guint64 seq;

  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_journal_append (t, &rec, &seq, hash, error) ||
      !_offauth_insert_sale (t, seq, p, now, error) ||
      !_offauth_set_credential_totals (t, p->credential.credential_id, cred_count + 1,
                                       _offauth_sat_add (cred_total, p->request.amount), error) ||
      !_offauth_tx_commit (t, error))
    {
      _offauth_tx_rollback (t);
      return FALSE;
    }

  t->latest_sale_time = MAX (t->latest_sale_time, now);
  if (t->unsettled_count == 0 || now < t->oldest_unsettled)
    t->oldest_unsettled = now;
  t->unsettled_count++;
  t->unsettled_total = _offauth_sat_add (t->unsettled_total, p->request.amount);
  memcpy (t->last_sale_challenge, p->request.challenge, OFFAUTH_CHALLENGE_SIZE);
  t->has_sale = TRUE;

  d->sale_number = seq;
  memcpy (d->journal_hash, hash, OFFAUTH_HASH_SIZE);
  return TRUE;
}

/* The decision: one payment on its way through the checks */

typedef struct
{
  OffauthTerminal             *t;
  const char                  *text;
  gssize                       text_len;
  const OffauthSaleLine       *lines;
  gsize                        n_lines;
  OffauthDecision             *d;
  guint64                      now;

  guint8                      *bin;
  gsize                        bin_len;
  GError                      *error;          /* why the code did not decode or parse */
  OffauthPayment               p;
  gboolean                     parsed;
  gboolean                     payer_ok;
  gboolean                     recorded;
  const OffauthIssuerKey      *key;
  const OffauthRevocationList *list;
  guint64                      cred_count;
  guint64                      cred_total;
} Authorization;

/* A check returns TRUE to pass the payment on, FALSE once the decision is made. */
typedef gboolean (*CheckFunc) (Authorization *a);

static gboolean
refuse (OffauthDecision *d,
        OffauthReason    reason,
        const char      *format,
        ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (OffauthDecision *d,
        OffauthReason    reason,
        const char      *format,
        ...)
{
  va_list args;

  d->reason = reason;
  d->approved = FALSE;
  va_start (args, format);
  g_vsnprintf (d->detail, sizeof d->detail, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
storage_failed (Authorization *a,
                GError        *error)
{
  refuse (a->d, OFFAUTH_REASON_STORAGE_UNAVAILABLE, "%s", error->message);
  g_error_free (error);
  return FALSE;
}

/* Looks the sale id up; fills the decision with the first sale when found. */
static gboolean
find_sale (Authorization *a,
           GError       **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (a->t, ST_FIND_SALE, error);
  OffauthDecision *d = a->d;

  if (s == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, a->p.sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (a->t, s, &a->recorded, error))
    return FALSE;
  if (a->recorded)
    {
      d->sale_number = (guint64) sqlite3_column_int64 (s, 0);
      d->amount = (guint64) sqlite3_column_int64 (s, 1);
      g_strlcpy (d->currency, (const char *) sqlite3_column_text (s, 2), sizeof d->currency);
      d->time = (guint64) sqlite3_column_int64 (s, 3);
      d->mode = sqlite3_column_int (s, 5);
      memcpy (d->sale_id, a->p.sale_id, OFFAUTH_SALE_ID_SIZE);
    }
  return TRUE;
}

/* 3, first half. The same payment for the terminal's latest request is a double scan or a
 * crash between the commit and the screen: it is the sale already recorded, approved again
 * and recorded nothing. This comes before the terminal state, which may have changed
 * because of that very sale (docs/protocol.md). */
static gboolean
check_double_scan (Authorization *a)
{
  OffauthTerminal *t = a->t;
  OffauthDecision *d = a->d;
  GError *error = NULL;
  gboolean found;

  if (a->text != NULL)
    a->bin = offauth_text_decode (a->text, a->text_len, 'P', &a->bin_len, &a->error);
  if (a->bin == NULL)
    return TRUE;
  a->parsed = offauth_payment_parse (&a->p, a->bin, a->bin_len, &a->error);
  a->payer_ok = a->parsed && offauth_payment_verify (&a->p);
  if (!a->payer_ok)
    return TRUE;
  if (!find_sale (a, &error))
    return storage_failed (a, error);
  if (!a->recorded || t->latest_request_id == 0 ||
      memcmp (a->p.request.challenge, t->latest_challenge, OFFAUTH_CHALLENGE_SIZE) != 0)
    return TRUE;

  if (!_offauth_journal_hash (t, d->sale_number, &found, d->journal_hash, &error))
    return storage_failed (a, error);
  d->approved = TRUE;
  d->already_recorded = TRUE;
  d->reason = OFFAUTH_REASON_NONE;
  g_snprintf (d->detail, sizeof d->detail, "already recorded as sale %" G_GUINT64_FORMAT,
              d->sale_number);
  return FALSE;
}

/* The terminal state. The amount counts toward the caps only once the payer's signature
 * vouches for it. */
static gboolean
check_terminal_state (Authorization *a)
{
  OffauthReason state = _offauth_terminal_check_state (a->t, a->now,
                                                       a->payer_ok ? a->p.request.amount : 0);

  if (state != OFFAUTH_REASON_NONE)
    return refuse (a->d, state, "%s", offauth_reason_detail (state));
  return TRUE;
}

/* 1. A code that does not decode to a payment's size is a bad scan (cut short, or read
 * wrong): the cashier scans again. */
static gboolean
check_malformed (Authorization *a)
{
  OffauthDecision *d = a->d;

  if (a->bin == NULL || a->bin_len != OFFAUTH_PAYMENT_SIZE)
    {
      d->garbled = TRUE;
      return refuse (d, OFFAUTH_REASON_MALFORMED, "%s", a->error ? a->error->message : "no code");
    }
  if (!a->parsed)
    return refuse (d, OFFAUTH_REASON_MALFORMED, "%s", a->error->message);

  memcpy (d->sale_id, a->p.sale_id, OFFAUTH_SALE_ID_SIZE);
  d->amount = a->p.request.amount;
  memcpy (d->currency, a->p.request.currency, 4);
  return TRUE;
}

/* 2. */
static gboolean
check_payer_signature (Authorization *a)
{
  if (!a->payer_ok)
    return refuse (a->d, OFFAUTH_REASON_BAD_PAYER_SIGNATURE, "payer signature does not verify");
  return TRUE;
}

/* 3. Already recorded, for an older request: an old payment shown again. */
static gboolean
check_already_recorded (Authorization *a)
{
  OffauthDecision *d = a->d;
  GError *error = NULL;
  gboolean found;

  if (a->recorded)
    {
      if (!_offauth_journal_hash (a->t, d->sale_number, &found, d->journal_hash, &error))
        return storage_failed (a, error);
      return refuse (d, OFFAUTH_REASON_ALREADY_RECORDED,
                     "already recorded as sale %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT,
                     d->sale_number, d->time);
    }
  d->time = 0;
  return TRUE;
}

/* 4. */
static gboolean
check_issuer (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthCredential *cred = &a->p.credential;

  a->key = t->has_bundle ? offauth_bundle_find_key (&t->bundle, cred->issuer_key_id) : NULL;
  if (a->key == NULL)
    return refuse (a->d, OFFAUTH_REASON_UNKNOWN_ISSUER_KEY, "issuer key not in trust bundle %"
                   G_GUINT64_FORMAT, t->bundle.sequence);
  if (a->now < a->key->not_before || a->now > a->key->not_after)
    return refuse (a->d, OFFAUTH_REASON_ISSUER_KEY_EXPIRED, "issuer key valid %" G_GUINT64_FORMAT
                   "..%" G_GUINT64_FORMAT, a->key->not_before, a->key->not_after);
  if (!offauth_credential_verify (cred, a->key->public_key))
    return refuse (a->d, OFFAUTH_REASON_BAD_ISSUER_SIGNATURE, "issuer signature does not verify");
  return TRUE;
}

/* 5. The request this terminal issued. */
static gboolean
check_request (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthRequest *req = &a->p.request;
  g_autoptr(OffauthStmt) s = NULL;
  GError *error = NULL;
  gint64 request_id = 0;
  guint64 created_at = 0, age;
  gboolean same_bytes = FALSE, row;

  if (strcmp (req->merchant_id, t->merchant_id) != 0 ||
      memcmp (req->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0)
    return refuse (a->d, OFFAUTH_REASON_WRONG_TERMINAL, "request for merchant %s", req->merchant_id);

  if ((s = _offauth_db_stmt (t, ST_FIND_REQUEST, &error)) == NULL)
    return storage_failed (a, error);
  sqlite3_bind_blob (s, 1, req->challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (t, s, &row, &error))
    return storage_failed (a, error);
  if (row)
    {
      request_id = sqlite3_column_int64 (s, 0);
      same_bytes = _offauth_db_blob_equals (s, 1, req->raw, OFFAUTH_REQUEST_SIZE);
      created_at = (guint64) sqlite3_column_int64 (s, 2);
    }
  if (request_id == 0)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_UNKNOWN, "challenge never issued here");
  if (request_id != t->latest_request_id)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_SUPERSEDED, "a newer request was issued");
  if (!same_bytes)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_MISMATCH, "request bytes differ from those issued");
  if (t->has_sale && memcmp (t->last_sale_challenge, req->challenge, OFFAUTH_CHALLENGE_SIZE) == 0)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_USED, "request already paid");
  /* Ages come from the monotonic clock while this process issued the request. */
  if (t->latest_request_mono != 0)
    age = (guint64) ((g_get_monotonic_time () - t->latest_request_mono) / G_USEC_PER_SEC);
  else
    age = a->now > created_at ? a->now - created_at : 0;
  if (age > t->config.request_lifetime)
    return refuse (a->d, OFFAUTH_REASON_REQUEST_EXPIRED, "request is %" G_GUINT64_FORMAT " s old",
                   age);
  return TRUE;
}

/* 6. The credential. */
static gboolean
check_credential (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthCredential *cred = &a->p.credential;
  const OffauthRequest *req = &a->p.request;
  g_autoptr(OffauthStmt) s = NULL;
  GError *error = NULL;
  gboolean row;

  if (a->now + OFFAUTH_CLOCK_SKEW < cred->not_before)
    return refuse (a->d, OFFAUTH_REASON_NOT_YET_VALID, "valid from %" G_GUINT64_FORMAT,
                   cred->not_before);
  if (a->now > cred->not_after)
    return refuse (a->d, OFFAUTH_REASON_EXPIRED, "expired at %" G_GUINT64_FORMAT, cred->not_after);
  if (memcmp (cred->currency, req->currency, 3) != 0)
    return refuse (a->d, OFFAUTH_REASON_CURRENCY_MISMATCH, "credential in %s, request in %s",
                   cred->currency, req->currency);
  a->list = g_hash_table_lookup (t->revocations, cred->issuer_key_id);
  if (a->list != NULL && offauth_revocation_list_contains (a->list, cred->credential_id))
    return refuse (a->d, OFFAUTH_REASON_REVOKED, "on revocation list %" G_GUINT64_FORMAT,
                   a->list->sequence);

  if ((s = _offauth_db_stmt (t, ST_NEGATIVE, &error)) == NULL)
    return storage_failed (a, error);
  sqlite3_bind_blob (s, 1, cred->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (t, s, &row, &error))
    return storage_failed (a, error);
  if (row)
    return refuse (a->d, OFFAUTH_REASON_NEGATIVE_LIST, "credential on the negative list");

  /* A key's scope, when set, also binds its credentials: they must carry it (PROTOCOL.md,
   * trust bundle), so a scope-0 credential of a scoped key is out of scope everywhere. */
  if ((cred->scope != 0 && cred->scope != req->scope) ||
      (a->key->scope != 0 && a->key->scope != req->scope) ||
      (a->key->scope != 0 && cred->scope != a->key->scope))
    return refuse (a->d, OFFAUTH_REASON_OUT_OF_SCOPE, "credential scope %u, key scope %u, merchant %u",
                   cred->scope, a->key->scope, req->scope);
  return TRUE;
}

/* 7. A counter that belongs to another sale: a double spend. */
static gboolean
check_counter (Authorization *a)
{
  g_autoptr(OffauthStmt) s = NULL;
  GError *error = NULL;
  gboolean row;

  if ((s = _offauth_db_stmt (a->t, ST_FIND_COUNTER, &error)) == NULL)
    return storage_failed (a, error);
  sqlite3_bind_blob (s, 1, a->p.credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, a->p.counter);
  if (!_offauth_db_step (a->t, s, &row, &error))
    return storage_failed (a, error);
  if (row)
    return refuse (a->d, OFFAUTH_REASON_COUNTER_REUSED, "counter %u already used by sale %"
                   G_GUINT64_FORMAT, a->p.counter, (guint64) sqlite3_column_int64 (s, 0));
  return TRUE;
}

/* 8. The payer's limits. */
static gboolean
check_limits (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthCredential *cred = &a->p.credential;
  guint64 amount = a->p.request.amount;
  g_autoptr(OffauthStmt) s = NULL;
  GError *error = NULL;
  gboolean row;

  if ((s = _offauth_db_stmt (t, ST_CRED_TOTALS, &error)) == NULL)
    return storage_failed (a, error);
  sqlite3_bind_blob (s, 1, cred->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step (t, s, &row, &error))
    return storage_failed (a, error);
  if (row)
    {
      a->cred_count = (guint64) sqlite3_column_int64 (s, 0);
      a->cred_total = (guint64) sqlite3_column_int64 (s, 1);
    }

  if (amount > cred->per_payment_limit)
    return refuse (a->d, OFFAUTH_REASON_OVER_PAYMENT_LIMIT, "limit %" G_GUINT64_FORMAT,
                   cred->per_payment_limit);
  if ((a->list == NULL || a->now > a->list->next_update) && amount > t->config.stale_cap)
    return refuse (a->d, OFFAUTH_REASON_REVOCATION_STALE,
                   a->list == NULL ? "no revocation list for the issuer key, amount above %" G_GUINT64_FORMAT
                                   : "revocation list past next_update, amount above %" G_GUINT64_FORMAT,
                   t->config.stale_cap);
  if (a->p.counter > cred->max_offline_count || a->cred_count >= cred->max_offline_count)
    return refuse (a->d, OFFAUTH_REASON_OVER_OFFLINE_COUNT, "counter %u, %" G_GUINT64_FORMAT
                   " sales here, at most %u", a->p.counter, a->cred_count, cred->max_offline_count);
  if (_offauth_sat_add (a->cred_total, amount) > cred->offline_total_limit)
    return refuse (a->d, OFFAUTH_REASON_OVER_OFFLINE_TOTAL, "%" G_GUINT64_FORMAT " spent here, limit %"
                   G_GUINT64_FORMAT, a->cred_total, cred->offline_total_limit);
  return TRUE;
}

/* 9. Floor limits: above them the sale needs an online authorization. */
static gboolean
check_floors (Authorization *a)
{
  OffauthTerminal *t = a->t;
  const OffauthSaleLine *lines = a->lines;
  guint64 amount = a->p.request.amount;

  if (t->config.floor_limit > 0 && amount > t->config.floor_limit)
    return refuse (a->d, OFFAUTH_REASON_OVER_FLOOR_LIMIT, "terminal floor %" G_GUINT64_FORMAT,
                   t->config.floor_limit);
  for (gsize i = 0; i < a->n_lines; i++)
    {
      const guint64 *floor;
      guint64 sum = 0;

      /* A floor of 0 means no floor, as for the terminal's floor_limit. */
      if (lines[i].category == NULL ||
          (floor = g_hash_table_lookup (t->category_floors, lines[i].category)) == NULL || *floor == 0)
        continue;
      for (gsize j = 0; j < a->n_lines; j++)
        if (g_strcmp0 (lines[j].category, lines[i].category) == 0)
          sum = _offauth_sat_add (sum, lines[j].amount);
      if (sum > *floor)
        return refuse (a->d, OFFAUTH_REASON_OVER_FLOOR_LIMIT, "category %s floor %" G_GUINT64_FORMAT,
                       lines[i].category, *floor);
    }
  return TRUE;
}

/* 10. The durable commit; nothing is approved without it. */
static gboolean
check_commit (Authorization *a)
{
  OffauthDecision *d = a->d;
  g_autoptr(GError) error = NULL;

  if (!commit_sale (a->t, &a->p, a->now, a->cred_count, a->cred_total, d, &error))
    {
      /* The head in memory may no longer be the database's: read it again, so that a
       * sale that did reach the disk is found when the same code is scanned again. */
      refuse (d, OFFAUTH_REASON_STORAGE_UNAVAILABLE, "%s", error->message);
      _offauth_terminal_load_state (a->t, NULL);
      return FALSE;
    }
  d->approved = TRUE;
  d->reason = OFFAUTH_REASON_NONE;
  d->mode = OFFAUTH_MODE_OFFLINE;
  d->time = a->now;
  return TRUE;
}

static const struct
{
  const char *step;
  CheckFunc   check;
} checks[] = {
  { "approved again (3)", check_double_scan },
  { "terminal state", check_terminal_state },
  { "malformed (1)", check_malformed },
  { "payer signature (2)", check_payer_signature },
  { "already recorded (3)", check_already_recorded },
  { "issuer (4)", check_issuer },
  { "request (5)", check_request },
  { "credential (6)", check_credential },
  { "counter (7)", check_counter },
  { "limits (8)", check_limits },
  { "floor limits (9)", check_floors },
  { "commit (10)", check_commit },
};

void
offauth_terminal_authorize (OffauthTerminal       *t,
                            const char            *text,
                            gssize                 text_len,
                            const OffauthSaleLine *lines,
                            gsize                  n_lines,
                            OffauthDecision       *d)
{
  Authorization a = { .t = t, .text = text, .text_len = text_len, .lines = lines,
                      .n_lines = n_lines, .d = d };

  g_return_if_fail (t != NULL);
  g_return_if_fail (d != NULL);
  g_return_if_fail (lines != NULL || n_lines == 0);

  memset (d, 0, sizeof *d);
  a.now = offauth_terminal_now (t);
  for (gsize i = 0; i < G_N_ELEMENTS (checks); i++)
    if (!checks[i].check (&a))
      {
        g_debug ("decided at step %s: %s", checks[i].step, offauth_reason_code (d->reason));
        break;
      }
  g_clear_error (&a.error);
  g_free (a.bin);
}

/* ---- (moves to offauth-testing.c next) ---- */

sqlite3 *
_offauth_terminal_get_db (OffauthTerminal *t)
{
  g_return_val_if_fail (t != NULL, NULL);

  return t->db;
}

gchar *
_offauth_terminal_create_request_with (OffauthTerminal *t,
                                       guint64          amount,
                                       const char      *currency,
                                       const guint8     challenge[OFFAUTH_CHALLENGE_SIZE],
                                       OffauthReason   *reason,
                                       GError         **error)
{
  g_return_val_if_fail (t != NULL, NULL);

  return _offauth_terminal_create_request (t, amount, currency, challenge, reason, error);
}

gboolean
_offauth_terminal_enroll_with_seed (OffauthTerminal             *t,
                                    const guint8                 seed[OFFAUTH_SEED_SIZE],
                                    const char                  *bundle_text,
                                    const char                  *merchant_id,
                                    const char                  *root_fingerprint,
                                    const OffauthTerminalConfig *config,
                                    GError                     **error)
{
  g_autoptr(OffauthSecretKey) key = NULL;

  g_return_val_if_fail (t != NULL, FALSE);

  key = offauth_secret_key_from_seed (seed);
  return _offauth_terminal_enroll (t, key, bundle_text, merchant_id, root_fingerprint, config,
                                   error);
}

typedef struct
{
  guint64 count;
  guint64 total;
} FillTotals;

/* One queued sale, shaped like a real one (payer i / 50, counters 1 to 50), unsigned. */
static void
fake_sale (OffauthTerminal *t,
           guint64          i,
           guint64          per_credential,
           guint64          time,
           OffauthPayment  *p)
{
  guint8 hash[OFFAUTH_HASH_SIZE], seed[8];

  memset (p, 0, sizeof *p);
  _offauth_put_u64 (seed, i / per_credential);
  offauth_hash (hash, seed, sizeof seed);
  memcpy (p->credential.credential_id, hash, 16);
  memcpy (p->credential.currency, "EUR", 4);
  p->credential.max_offline_count = (guint32) per_credential;
  p->credential.per_payment_limit = 10000;
  p->credential.offline_total_limit = 1000000;
  p->credential.not_after = 1;
  offauth_credential_encode (&p->credential);
  g_strlcpy (p->request.merchant_id, t->merchant_id, sizeof p->request.merchant_id);
  memcpy (p->request.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (p->request.currency, "EUR", 4);
  p->request.amount = 100 + i % 900;
  p->request.created_at = time;
  randombytes_buf (p->request.challenge, OFFAUTH_CHALLENGE_SIZE);
  offauth_request_encode (&p->request);
  p->counter = (guint32) (i % per_credential + 1);
  offauth_payment_encode (p);
}

/* Benchmark fill: n queued sales, in transactions of 20,000, then the credential totals. */
gboolean
_offauth_terminal_fill_settled (OffauthTerminal *t,
                                guint64          n,
                                GError         **error)
{
  g_autoptr(GHashTable) totals = NULL;
  guint64 now;
  const guint64 per_credential = 50;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (t != NULL, FALSE);

  if (!_offauth_terminal_require_enrolled (t, error))
    return FALSE;
  totals = g_hash_table_new_full (_offauth_id_hash, _offauth_credential_id_equal, g_free, g_free);
  now = offauth_terminal_now (t);
  for (guint64 i = 0; i < n;)
    {
      if (!_offauth_tx_begin (t, error))
        return FALSE;
      for (guint64 end = MIN (n, i + 20000); i < end; i++)
        {
          OffauthRecord rec = { .kind = OFFAUTH_RECORD_SALE_APPROVED, .time = now - n + i,
                                .sale.mode = OFFAUTH_MODE_OFFLINE };
          const OffauthPayment *p = &rec.sale.payment;
          FillTotals *ct;
          guint64 seq;

          fake_sale (t, i, per_credential, rec.time, &rec.sale.payment);
          if (!_offauth_journal_append (t, &rec, &seq, NULL, error) ||
              !_offauth_insert_sale (t, seq, p, rec.time, error))
            goto fail;
          ct = g_hash_table_lookup (totals, p->credential.credential_id);
          if (ct == NULL)
            {
              ct = g_new0 (FillTotals, 1);
              g_hash_table_insert (totals, g_memdup2 (p->credential.credential_id, 16), ct);
            }
          ct->count++;
          ct->total += p->request.amount;
        }
      if (!_offauth_tx_commit (t, error))
        goto fail;
    }

  if (!_offauth_tx_begin (t, error))
    return FALSE;
  g_hash_table_iter_init (&iter, totals);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const FillTotals *ct = value;

      if (!_offauth_set_credential_totals (t, key, ct->count, ct->total, error))
        goto fail;
    }
  if (!_offauth_tx_commit (t, error))
    goto fail;
  return _offauth_terminal_load_state (t, error);

fail:
  _offauth_tx_rollback (t);
  _offauth_terminal_load_state (t, NULL);
  return FALSE;
}
