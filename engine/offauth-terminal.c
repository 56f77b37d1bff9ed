/* offauth-terminal.c: the terminal: open, lock, load, enrollment, configuration, clock, status.
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
    { "online_timeout", &t->config.online_timeout },
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

  t->unsettled_count = t->unsettled_total = t->oldest_unsettled = t->waiting_online = 0;
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) t->acked_seq);
  while ((ok = _offauth_db_step (t, s, &row, error)) && row)
    {
      guint64 time = (guint64) sqlite3_column_int64 (s, 1);

      if (sqlite3_column_int (s, 2) != OFFAUTH_MODE_OFFLINE)
        t->waiting_online++;
      else
        {
          t->unsettled_count++;
          t->unsettled_total = _offauth_sat_add (t->unsettled_total,
                                                 (guint64) sqlite3_column_int64 (s, 0));
        }
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
         _offauth_load_acquirer (t, error) &&
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
  config->online_timeout = OFFAUTH_DEFAULT_ONLINE_TIMEOUT;
}

/* Open and lock */

/* One terminal is one file. A file with a second name (a hard link) is refused: SQLite
 * keeps one WAL per name, so a sale committed through one name could be lost, or replayed,
 * through the other, even with a lock that covers both. */
gboolean
_offauth_check_one_name (const char  *path,
                         int          fd,
                         GError     **error)
{
  GStatBuf st;

  if ((fd >= 0 ? fstat (fd, &st) : g_stat (path, &st)) != 0)
    {
      int saved = errno;
      if (fd < 0 && saved == ENOENT)
        return TRUE;
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO, "Cannot read %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  if (st.st_nlink > 1)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "%s has %u names (hard links): a terminal's database and key must have one "
                   "name each; remove the others", path, (guint) st.st_nlink);
      return FALSE;
    }
  return TRUE;
}

/* The lock is taken on the database file itself, so that it follows the file and not one
 * of its names. flock() locks do not mix with SQLite's POSIX locks, and this descriptor is
 * closed only after SQLite's connection (closing it earlier would drop SQLite's locks). */
static gboolean
lock_database (OffauthTerminal *t,
               GError         **error)
{
  t->lock_fd = g_open (t->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (t->lock_fd < 0)
    {
      int saved = errno;
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO, "Cannot open %s: %s", t->path,
                   g_strerror (saved));
      return FALSE;
    }
  if (flock (t->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "The terminal database %s is in use by another program", t->path);
      return FALSE;
    }
  /* Checked under the lock: a second name made earlier is seen here, and a process that
   * opens a second name made later finds the file locked. */
  return _offauth_check_one_name (t->path, t->lock_fd, error) &&
         _offauth_check_one_name (t->key_path, -1, error);
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
  g_free (t->acquirer_url);
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
    gboolean    optional;   /* journaled only when it changes, even at enrollment */
  } items[] = {
    { "floor_limit", c->floor_limit, t->config.floor_limit },
    { "cap_total", c->cap_total, t->config.cap_total },
    { "cap_count", c->cap_count, t->config.cap_count },
    { "stale_cap", c->stale_cap, t->config.stale_cap },
    { "upload_deadline", c->upload_deadline, t->config.upload_deadline },
    { "request_lifetime", c->request_lifetime, t->config.request_lifetime },
    { "scope", c->scope, t->config.scope },
    /* Added with online authorization: a terminal that keeps the default journals nothing
     * more than before. */
    { "online_timeout", c->online_timeout, t->config.online_timeout, TRUE },
  };
  guint64 now = offauth_terminal_now (t);

  for (gsize i = 0; i < G_N_ELEMENTS (items); i++)
    if (((all && !items[i].optional) || items[i].value != items[i].old) &&
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

  /* Before the other states: while a commit's outcome is unknown, the state in memory
   * (head, totals, even enrollment) may not be the disk's. */
  if (t->unresolved && !_offauth_terminal_resolve_if_due (t))
    return OFFAUTH_REASON_STORAGE_UNAVAILABLE;
  if (!t->enrolled || !t->has_bundle)
    return OFFAUTH_REASON_NOT_ENROLLED;
  if (now > t->bundle.expires_at)
    return OFFAUTH_REASON_BUNDLE_EXPIRED;
  /* The clock may lag by the protocol's skew before it is called untrusted, as a
   * bundle issued up to 300 s ahead is accepted when loaded. */
  if ((now + OFFAUTH_CLOCK_SKEW < floor && floor > t->accepted_floor) ||
      now + OFFAUTH_CLOCK_SKEW < MAX (t->latest_sale_time, t->accepted_at))
    return OFFAUTH_REASON_CLOCK_UNTRUSTED;
  if (t->unsettled_count + t->waiting_online > 0 &&
      now > _offauth_sat_add (t->oldest_unsettled, t->config.upload_deadline))
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
offauth_terminal_get_status_quick (OffauthTerminal       *t,
                                   OffauthTerminalStatus *st)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (t != NULL);
  g_return_if_fail (st != NULL);

  memset (st, 0, sizeof *st);
  st->enrolled = t->enrolled;
  g_strlcpy (st->merchant_id, t->merchant_id, sizeof st->merchant_id);
  memcpy (st->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (st->terminal_public_key, t->terminal_pk, OFFAUTH_PK_SIZE);
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
  st->oldest_unsettled_time = t->unsettled_count + t->waiting_online ? t->oldest_unsettled : 0;
  st->journal_rows = t->last_seq;
  memcpy (st->journal_head, t->last_hash, OFFAUTH_HASH_SIZE);
}

void
offauth_terminal_get_status (OffauthTerminal       *t,
                             OffauthTerminalStatus *st)
{
  g_autoptr(OffauthStmt) s = NULL;
  g_autoptr(GError) error = NULL;
  gboolean row;

  g_return_if_fail (t != NULL);
  g_return_if_fail (st != NULL);

  offauth_terminal_get_status_quick (t, st);
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
