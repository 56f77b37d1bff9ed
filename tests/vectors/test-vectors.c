/* test-vectors.c: checks the OA1 test vectors (README.md) and the engine against them.
 *
 *   test-vectors [--tap] GEN_VECTORS VECTORS_DIR
 *
 * /vectors/reproducible   gen-vectors writes exactly the files checked in to VECTORS_DIR
 * /vectors/messages       every message vector parses with the engine, field by field, and
 *                         agrees with an independent reading of the bytes at PROTOCOL.md's
 *                         offsets; derived values and signatures are recomputed
 * /vectors/invalid        every invalid form is refused as malformed (a payment also by the
 *                         terminal's decision)
 * /vectors/decisions/...  every scenario replayed step by step on a new terminal
 * /vectors/settlement/... every settlement scenario replayed on a new database of our
 *                         reference acquirer, every field of every answer compared
 * /vectors/coverage       every reason code has a scenario
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>

#include "offauth.h"
#include "offauth-testing-private.h"

#include "testutil.h"

#include "acquirer-sync.h"

static const char *gen_path;
static const char *vectors_dir;

/* Record files (README.md): "key: value" lines, records separated by blank lines, '#'
 * comments. */

typedef struct
{
  gchar   *key;
  gchar   *value;
  guint    line;
  gboolean used;
} Field;

typedef struct
{
  gchar     *file;
  guint      line;
  GPtrArray *fields;
  gboolean   failed;
} Record;

static void
field_free (Field *f)
{
  g_free (f->key);
  g_free (f->value);
  g_free (f);
}

static void
record_free (Record *r)
{
  g_ptr_array_unref (r->fields);
  g_free (r->file);
  g_free (r);
}

static void
fail_at (Record     *r,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

/* Failures of the current test; while a pending vector is replayed, they are collected
 * here rather than failing the test. */
static guint n_failures;
static GString *pending_failures;

static void
fail_at (Record     *r,
         const char *format,
         ...)
{
  va_list args;
  g_autofree gchar *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  r->failed = TRUE;
  n_failures++;
  if (pending_failures != NULL)
    g_string_append_printf (pending_failures, "%s%s:%u: %s", pending_failures->len ? "; " : "",
                            r->file, r->line, msg);
  else
    {
      /* g_test_fail_printf keeps the last message only: each one in the log too. */
      g_test_message ("%s:%u: %s", r->file, r->line, msg);
      g_test_fail_printf ("%s:%u: %s", r->file, r->line, msg);
    }
}

static gboolean
key_valid (const char *key, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!(g_ascii_islower (key[i]) || g_ascii_isdigit (key[i]) || key[i] == '_' || key[i] == '.' ||
          key[i] == '-'))
      return FALSE;
  return TRUE;
}

/* NULL (and a test failure) when the file breaks the format. */
static GPtrArray *
read_records (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  g_autofree gchar *base = g_path_get_basename (path);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  g_auto(GStrv) lines = NULL;
  Record *current = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      g_test_fail_printf ("%s", error->message);
      return NULL;
    }
  if (len == 0 || contents[len - 1] != '\n' || strlen (contents) != len || strchr (contents, '\r'))
    {
      g_test_fail_printf ("%s: not LF-terminated text without NUL or CR", base);
      return NULL;
    }
  contents[len - 1] = '\0';
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *sep;
      Field *f;

      if (line[0] == '#')
        continue;
      if (line[0] == '\0')
        {
          current = NULL;
          continue;
        }
      sep = strstr (line, ": ");
      if (sep == NULL || !key_valid (line, (gsize) (sep - line)) || sep[2] == '\0' ||
          g_ascii_isspace (sep[2]) || g_ascii_isspace (line[strlen (line) - 1]))
        {
          g_test_fail_printf ("%s:%u: not a \"key: value\" line", base, i + 1);
          return NULL;
        }
      if (current == NULL)
        {
          current = g_new0 (Record, 1);
          current->file = g_strdup (base);
          current->line = i + 1;
          current->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
          g_ptr_array_add (records, current);
        }
      f = g_new0 (Field, 1);
      f->key = g_strndup (line, (gsize) (sep - line));
      f->value = g_strdup (sep + 2);
      f->line = i + 1;
      g_ptr_array_add (current->fields, f);
    }
  return g_steal_pointer (&records);
}

static const char *
record_kind (Record *r)
{
  Field *f = g_ptr_array_index (r->fields, 0);

  f->used = TRUE;
  return f->key;
}

static const char *
record_name (Record *r)
{
  return ((Field *) g_ptr_array_index (r->fields, 0))->value;
}

/* The value of a key that must occur once (NULL and a failure otherwise). */
static const char *
rec_get_full (Record *r, const char *key, gboolean optional)
{
  Field *found = NULL;

  for (guint i = 0; i < r->fields->len; i++)
    {
      Field *f = g_ptr_array_index (r->fields, i);
      if (strcmp (f->key, key) != 0)
        continue;
      if (found != NULL)
        {
          fail_at (r, "%s given twice", key);
          return NULL;
        }
      found = f;
    }
  if (found == NULL)
    {
      if (!optional)
        fail_at (r, "%s missing", key);
      return NULL;
    }
  found->used = TRUE;
  return found->value;
}

static const char *
rec_get (Record *r, const char *key)
{
  return rec_get_full (r, key, FALSE);
}

static const char *
rec_opt (Record *r, const char *key)
{
  return rec_get_full (r, key, TRUE);
}

/* The values of a key that may repeat, in order. */
static GPtrArray *
rec_all (Record *r, const char *key)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < r->fields->len; i++)
    {
      Field *f = g_ptr_array_index (r->fields, i);
      if (strcmp (f->key, key) == 0)
        {
          f->used = TRUE;
          g_ptr_array_add (out, f->value);
        }
    }
  return out;
}

/* Every value of a record is checked: a key nobody read is an error. */
static void
rec_done (Record *r)
{
  for (guint i = 0; i < r->fields->len; i++)
    {
      Field *f = g_ptr_array_index (r->fields, i);
      if (!f->used)
        fail_at (r, "line %u: %s is not a key of this record", f->line, f->key);
    }
}

static gboolean
parse_u64_text (const char *s, guint64 *out)
{
  guint64 v = 0;

  if (s == NULL || *s == '\0' || (s[0] == '0' && s[1] != '\0'))
    return FALSE;
  for (; *s; s++)
    {
      if (!g_ascii_isdigit (*s) || v > (G_MAXUINT64 - (guint64) (*s - '0')) / 10)
        return FALSE;
      v = v * 10 + (guint64) (*s - '0');
    }
  *out = v;
  return TRUE;
}

static gboolean
get_u64 (Record *r, const char *key, guint64 *out)
{
  const char *v = rec_get (r, key);

  *out = 0;
  if (v == NULL)
    return FALSE;
  if (!parse_u64_text (v, out))
    {
      fail_at (r, "%s: %s is not a decimal u64", key, v);
      return FALSE;
    }
  return TRUE;
}

static gboolean
hex_to_bytes (const char *s, GByteArray *out)
{
  gsize len = strlen (s);

  if (len == 0 || len % 2 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i += 2)
    {
      int hi = g_ascii_xdigit_value (s[i]), lo = g_ascii_xdigit_value (s[i + 1]);
      if (hi < 0 || lo < 0 || g_ascii_isupper (s[i]) || g_ascii_isupper (s[i + 1]))
        return FALSE;
      g_byte_array_append (out, (guint8[]) { (guint8) (hi << 4 | lo) }, 1);
    }
  return TRUE;
}

/* Lower-case hex of any length. */
static GBytes *
get_hex (Record *r, const char *key)
{
  const char *v = rec_get (r, key);
  GByteArray *a = g_byte_array_new ();

  if (v == NULL || !hex_to_bytes (v, a))
    {
      if (v != NULL)
        fail_at (r, "%s is not lower-case hex", key);
      g_byte_array_unref (a);
      return NULL;
    }
  return g_byte_array_free_to_bytes (a);
}

static gboolean
get_hex_exact (Record *r, const char *key, guint8 *out, gsize len)
{
  g_autoptr(GBytes) b = get_hex (r, key);

  memset (out, 0, len);
  if (b == NULL)
    return FALSE;
  if (g_bytes_get_size (b) != len)
    {
      fail_at (r, "%s: %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT " expected", key,
               g_bytes_get_size (b), len);
      return FALSE;
    }
  memcpy (out, g_bytes_get_data (b, NULL), len);
  return TRUE;
}

/* Comparisons: the value in the file against what "who" (the engine, or an independent
 * reading of PROTOCOL.md) makes of the message. */

static void
check_str (Record *r, const char *key, const char *who, const char *expected)
{
  const char *v = rec_get (r, key);

  if (v != NULL && g_strcmp0 (v, expected) != 0)
    fail_at (r, "%s: the vector has %s, %s gives %s", key, v, who, expected);
}

static void
check_u64 (Record *r, const char *key, const char *who, guint64 expected)
{
  g_autofree gchar *s = g_strdup_printf ("%" G_GUINT64_FORMAT, expected);

  check_str (r, key, who, s);
}

static gchar *
hex (const guint8 *data, gsize len)
{
  gchar *out = g_malloc (2 * len + 1);

  sodium_bin2hex (out, 2 * len + 1, data, len);
  return out;
}

static void
check_hex (Record *r, const char *key, const char *who, const guint8 *data, gsize len)
{
  g_autofree gchar *s = hex (data, len);

  check_str (r, key, who, s);
}

static gchar *
b64 (const guint8 *data, gsize len)
{
  gsize n = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  gchar *out = g_malloc (n);

  sodium_bin2base64 (out, n, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

static void
check_b64 (Record *r, const char *key, const char *who, const guint8 *data, gsize len)
{
  g_autofree gchar *s = b64 (data, len);

  check_str (r, key, who, s);
}

/* Independent helpers, written from PROTOCOL.md */

static guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
rd64 (const guint8 *p)
{
  return (guint64) rd32 (p) | (guint64) rd32 (p + 4) << 32;
}

static void
blake (guint8 out[32], const guint8 *a, gsize alen, const guint8 *b, gsize blen)
{
  crypto_generichash_state st;

  crypto_generichash_init (&st, NULL, 0, 32);
  crypto_generichash_update (&st, a, alen);
  if (b != NULL)
    crypto_generichash_update (&st, b, blen);
  crypto_generichash_final (&st, out, 32);
}

static gboolean
spec_verify (const guint8 *sig, const char *tag, const guint8 *body, gsize len, const guint8 *pk)
{
  g_autofree guint8 *m = g_malloc (len + 8);

  memcpy (m, tag, 8);
  memcpy (m + 8, body, len);
  return crypto_sign_verify_detached (sig, m, len + 8, pk) == 0;
}

static void
spec_journal_hash (guint8        out[32],
                   guint64       seq,
                   const guint8  prev[32],
                   const guint8 *record,
                   gsize         len)
{
  crypto_generichash_state st;
  guint8 n[8];

  crypto_generichash_init (&st, NULL, 0, 32);
  crypto_generichash_update (&st, (const guint8 *) "OA1.JRNL", 8);
  for (int i = 0; i < 8; i++)
    n[i] = (guint8) (seq >> (8 * i));
  crypto_generichash_update (&st, n, 8);
  crypto_generichash_update (&st, prev, 32);
  for (int i = 0; i < 4; i++)
    n[i] = (guint8) ((guint64) len >> (8 * i));
  crypto_generichash_update (&st, n, 4);
  crypto_generichash_update (&st, record, len);
  crypto_generichash_final (&st, out, 32);
}

/* /vectors/reproducible */

static void
collect_files (const char *root, const char *rel, GPtrArray *out)
{
  g_autofree gchar *path = g_build_filename (root, rel, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child_rel = *rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree gchar *child = g_build_filename (root, child_rel, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        collect_files (root, child_rel, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&child_rel));
    }
}

static gboolean
is_vector_file (const char *rel)
{
  return strcmp (rel, "messages.txt") == 0 || strcmp (rel, "invalid.txt") == 0 ||
         ((g_str_has_prefix (rel, "decisions" G_DIR_SEPARATOR_S) ||
           g_str_has_prefix (rel, "pending" G_DIR_SEPARATOR_S) ||
           g_str_has_prefix (rel, "settlement" G_DIR_SEPARATOR_S)) &&
          g_str_has_suffix (rel, ".vec"));
}

static void
test_reproducible (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *tmp = test_tmp_dir (NULL, "oa1-vectors");
  g_autoptr(GPtrArray) generated = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) checked_in = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *out = NULL, *err = NULL;
  const char *argv[] = { gen_path, tmp, NULL };
  int status = 0;

  g_assert_no_error (error);
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    {
      g_test_fail_printf ("%s failed: %s\n%s", gen_path, error->message, err);
      test_remove_dir (tmp);
      return;
    }

  collect_files (tmp, "", generated);
  collect_files (vectors_dir, "", checked_in);
  g_assert_cmpuint (generated->len, >, 2);
  for (guint i = 0; i < generated->len; i++)
    {
      const char *rel = g_ptr_array_index (generated, i);
      g_autofree gchar *a = g_build_filename (tmp, rel, NULL);
      g_autofree gchar *b = g_build_filename (vectors_dir, rel, NULL);
      g_autofree gchar *ca = NULL, *cb = NULL;
      gsize la = 0, lb = 0;

      g_assert_true (is_vector_file (rel));
      g_assert_true (g_file_get_contents (a, &ca, &la, NULL));
      if (!g_file_get_contents (b, &cb, &lb, NULL))
        g_test_fail_printf ("%s is written by gen-vectors but not checked in", rel);
      else if (la != lb || memcmp (ca, cb, la) != 0)
        g_test_fail_printf ("%s differs from what gen-vectors writes now: regenerate the vectors "
                            "(ninja update-vectors) if the change is deliberate", rel);
    }
  for (guint i = 0; i < checked_in->len; i++)
    {
      const char *rel = g_ptr_array_index (checked_in, i);
      g_autofree gchar *a = g_build_filename (tmp, rel, NULL);

      if (is_vector_file (rel) && !g_file_test (a, G_FILE_TEST_EXISTS))
        g_test_fail_printf ("%s is checked in but gen-vectors no longer writes it", rel);
    }
  test_remove_dir (tmp);
}

/* /vectors/messages */

typedef struct
{
  guint8 seed[32];
  guint8 pk[32];
} KeyInfo;

typedef struct
{
  GHashTable *keys;      /* name -> KeyInfo */
  GHashTable *binaries;  /* vector name -> GBytes */
  GArray     *journal;   /* element i-1: the 32 bytes of h_i */
  GHashTable *rows;      /* seq -> GBytes of the record */
} Messages;

static const KeyInfo *
signer (Messages *m, Record *r)
{
  const char *name = rec_get (r, "signed_by");
  const KeyInfo *k = name ? g_hash_table_lookup (m->keys, name) : NULL;

  if (name != NULL && k == NULL)
    fail_at (r, "signed_by: no key named %s", name);
  return k;
}

static void
check_key_record (Messages *m, Record *r)
{
  KeyInfo *k = g_new0 (KeyInfo, 1);
  g_autoptr(OffauthSecretKey) engine = NULL;
  guint8 sk[64], h[32], id[8], tid[16];
  g_autofree gchar *fpr = NULL;

  if (!get_hex_exact (r, "seed", k->seed, 32))
    {
      g_free (k);
      return;
    }
  crypto_sign_seed_keypair (k->pk, sk, k->seed);
  engine = offauth_secret_key_from_seed (k->seed);
  if (memcmp (engine->pk, k->pk, 32) != 0)
    fail_at (r, "the engine derives another public key from the seed");
  check_b64 (r, "public_key", "the seed", k->pk, 32);
  check_hex (r, "public_key_hex", "the seed", k->pk, 32);
  blake (h, k->pk, 32, NULL, 0);
  check_hex (r, "key_id", "H(pk)[0..8]", h, 8);
  offauth_key_id (id, k->pk);
  check_hex (r, "key_id", "the engine", id, 8);
  if (rec_opt (r, "fingerprint") != NULL)
    {
      fpr = offauth_root_fingerprint (k->pk);
      check_hex (r, "fingerprint", "H(pk)", h, 32);
      check_str (r, "fingerprint", "the engine", fpr);
    }
  if (rec_opt (r, "terminal_id") != NULL)
    {
      offauth_terminal_id_from_key (tid, k->pk);
      check_hex (r, "terminal_id", "H(pk)[0..16]", h, 16);
      check_hex (r, "terminal_id", "the engine", tid, 16);
    }
  g_hash_table_insert (m->keys, g_strdup (record_name (r)), k);
  rec_done (r);
}

/* The binary (hex) and text of a message vector, checked against each other; NULL on failure. */
static GBytes *
check_forms (Record *r, char type, gsize expected_len)
{
  g_autoptr(GBytes) bin = get_hex (r, "hex");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *spec_text = NULL, *engine_text = NULL, *with_lf = NULL;
  g_autofree guint8 *decoded = NULL;
  const char *text = rec_get (r, "text");
  const guint8 *d;
  gsize len, dlen = 0;

  if (bin == NULL || text == NULL)
    return NULL;
  d = g_bytes_get_data (bin, &len);
  if (expected_len != 0 && len != expected_len)
    {
      fail_at (r, "%" G_GSIZE_FORMAT " bytes, a %c is %" G_GSIZE_FORMAT, len, type, expected_len);
      return NULL;
    }
  if (len < 8 || memcmp (d, "OA1", 3) != 0 || d[3] != (guint8) type || d[4] != 1)
    {
      fail_at (r, "not an OA1 %c of version 1", type);
      return NULL;
    }
  {
    g_autofree gchar *body = b64 (d, len);
    spec_text = g_strdup_printf ("OA1%c.%s", type, body);
  }
  check_str (r, "text", "\"OA1\" T \".\" base64url(hex)", spec_text);
  engine_text = offauth_text_encode (type, d, len);
  check_str (r, "text", "the engine", engine_text);
  decoded = offauth_text_decode (text, -1, type, &dlen, &error);
  if (decoded == NULL || dlen != len || memcmp (decoded, d, len) != 0)
    fail_at (r, "the engine decodes the text to other bytes (%s)", error ? error->message : "");
  g_clear_pointer (&decoded, g_free);
  with_lf = g_strconcat (text, "\n", NULL);
  decoded = offauth_text_decode (with_lf, -1, type, &dlen, NULL);
  if (decoded == NULL || dlen != len)
    fail_at (r, "the engine refuses the text with one trailing LF");
  return g_steal_pointer (&bin);
}

static void
check_signature (Record *r, const KeyInfo *k, const char *tag, const guint8 *d, gsize len,
                 gboolean engine_ok)
{
  g_autofree guint8 *flipped = g_memdup2 (d, len);

  check_hex (r, "signature", "the last 64 bytes", d + len - 64, 64);
  if (k == NULL)
    return;
  if (!spec_verify (d + len - 64, tag, d, len - 64, k->pk))
    fail_at (r, "the signature does not verify (Ed25519 over %s || body)", tag);
  if (!engine_ok)
    fail_at (r, "the engine does not verify the signature");
  flipped[len / 2] ^= 0x01;
  if (offauth_verify (flipped + len - 64, tag, flipped, len - 64, k->pk))
    fail_at (r, "the engine verifies a changed body");
}

static void
check_reserved_zero (Record *r, const guint8 *d, gsize from, gsize to)
{
  for (gsize i = from; i < to; i++)
    if (d[i] != 0)
      fail_at (r, "reserved byte %" G_GSIZE_FORMAT " is not zero", i);
}

static void
check_engine_raw (Record *r, const char *what, gboolean parsed, const guint8 *raw,
                  const guint8 *d, gsize len)
{
  if (!parsed || memcmp (raw, d, len) != 0)
    fail_at (r, "the engine does not parse the %s to the same bytes", what);
}

static void
check_credential (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'C', OFFAUTH_CREDENTIAL_SIZE);
  const KeyInfo *k = signer (m, r);
  g_autoptr(GError) error = NULL;
  OffauthCredential c, ct;
  char cur[4];
  guint8 id[8];
  const guint8 *d;

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, NULL);
  if (!offauth_credential_parse (&c, d, OFFAUTH_CREDENTIAL_SIZE, &error))
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  check_engine_raw (r, "text", offauth_credential_parse_text (&ct, rec_get (r, "text"), NULL), ct.raw, d,
                    OFFAUTH_CREDENTIAL_SIZE);
  check_reserved_zero (r, d, 5, 8);
  check_reserved_zero (r, d, 67, 68);
  memcpy (cur, d + 64, 3);
  cur[3] = '\0';
  if (!g_ascii_isupper (cur[0]) || !g_ascii_isupper (cur[1]) || !g_ascii_isupper (cur[2]) ||
      rd32 (d + 68) < 1 || rd64 (d + 72) < 1 || rd64 (d + 80) < rd64 (d + 72) || rd64 (d + 96) <= rd64 (d + 88))
    fail_at (r, "a bound of PROTOCOL.md is broken");

  check_hex (r, "issuer_key_id", "bytes 8..15", d + 8, 8);
  check_hex (r, "issuer_key_id", "the engine", c.issuer_key_id, 8);
  check_hex (r, "credential_id", "bytes 16..31", d + 16, 16);
  check_hex (r, "credential_id", "the engine", c.credential_id, 16);
  check_b64 (r, "payer_public_key", "bytes 32..63", d + 32, 32);
  check_b64 (r, "payer_public_key", "the engine", c.payer_public_key, 32);
  check_str (r, "currency", "bytes 64..66", cur);
  check_str (r, "currency", "the engine", c.currency);
  check_u64 (r, "max_offline_count", "bytes 68..71", rd32 (d + 68));
  check_u64 (r, "max_offline_count", "the engine", c.max_offline_count);
  check_u64 (r, "per_payment_limit", "bytes 72..79", rd64 (d + 72));
  check_u64 (r, "per_payment_limit", "the engine", c.per_payment_limit);
  check_u64 (r, "offline_total_limit", "bytes 80..87", rd64 (d + 80));
  check_u64 (r, "offline_total_limit", "the engine", c.offline_total_limit);
  check_u64 (r, "not_before", "bytes 88..95", rd64 (d + 88));
  check_u64 (r, "not_before", "the engine", c.not_before);
  check_u64 (r, "not_after", "bytes 96..103", rd64 (d + 96));
  check_u64 (r, "not_after", "the engine", c.not_after);
  check_u64 (r, "scope", "bytes 104..107", rd32 (d + 104));
  check_u64 (r, "scope", "the engine", c.scope);
  check_hex (r, "signature", "the engine", c.signature, 64);
  if (k != NULL)
    {
      offauth_key_id (id, k->pk);
      if (memcmp (id, d + 8, 8) != 0)
        fail_at (r, "issuer_key_id is not the key id of the signing key");
    }
  check_signature (r, k, OFFAUTH_TAG_CRED, d, OFFAUTH_CREDENTIAL_SIZE,
                   k != NULL && offauth_credential_verify (&c, k->pk));
  rec_done (r);
}

static gboolean
merchant_char (guint8 c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

static void
check_request_fields (Record *r, const guint8 *d, const OffauthRequest *q)
{
  char merchant[17] = { 0 };
  char cur[4] = { (char) d[44], (char) d[45], (char) d[46], 0 };
  gsize n = 0;

  while (n < 16 && d[8 + n] != 0)
    {
      if (!merchant_char (d[8 + n]))
        fail_at (r, "merchant_id has a character outside [A-Za-z0-9._-]");
      merchant[n] = (char) d[8 + n];
      n++;
    }
  if (n == 0)
    fail_at (r, "merchant_id is empty");
  check_reserved_zero (r, d, 8 + n, 24);
  check_reserved_zero (r, d, 5, 8);
  check_reserved_zero (r, d, 47, 48);
  if (rd64 (d + 48) < 1)
    fail_at (r, "amount is 0");
  check_str (r, "merchant_id", "bytes 8..23", merchant);
  check_str (r, "merchant_id", "the engine", q->merchant_id);
  check_hex (r, "terminal_id", "bytes 24..39", d + 24, 16);
  check_hex (r, "terminal_id", "the engine", q->terminal_id, 16);
  check_u64 (r, "scope", "bytes 40..43", rd32 (d + 40));
  check_u64 (r, "scope", "the engine", q->scope);
  check_str (r, "currency", "bytes 44..46", cur);
  check_str (r, "currency", "the engine", q->currency);
  check_u64 (r, "amount", "bytes 48..55", rd64 (d + 48));
  check_u64 (r, "amount", "the engine", q->amount);
  check_u64 (r, "created_at", "bytes 56..63", rd64 (d + 56));
  check_u64 (r, "created_at", "the engine", q->created_at);
  check_hex (r, "challenge", "bytes 64..79", d + 64, 16);
  check_hex (r, "challenge", "the engine", q->challenge, 16);
}

static void
check_request (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'R', OFFAUTH_REQUEST_SIZE);
  g_autoptr(GError) error = NULL;
  OffauthRequest q, qt;
  const guint8 *d;

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, NULL);
  if (!offauth_request_parse (&q, d, OFFAUTH_REQUEST_SIZE, &error))
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  check_engine_raw (r, "text", offauth_request_parse_text (&qt, rec_get (r, "text"), NULL), qt.raw, d,
                    OFFAUTH_REQUEST_SIZE);
  check_request_fields (r, d, &q);
  rec_done (r);
}

static void
check_reference (Messages *m, Record *r, const char *key, const guint8 *d, gsize len)
{
  const char *name = rec_get (r, key);
  GBytes *ref = name ? g_hash_table_lookup (m->binaries, name) : NULL;

  if (name == NULL)
    return;
  if (ref == NULL)
    fail_at (r, "%s: no vector named %s", key, name);
  else if (g_bytes_get_size (ref) != len || memcmp (g_bytes_get_data (ref, NULL), d, len) != 0)
    fail_at (r, "%s: the bytes inside are not those of %s", key, name);
}

static void
check_payment (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'P', OFFAUTH_PAYMENT_SIZE);
  const KeyInfo *k = signer (m, r);
  g_autoptr(GError) error = NULL;
  OffauthPayment p, pt;
  guint8 sale[32];
  const guint8 *d;

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, NULL);
  if (!offauth_payment_parse (&p, d, OFFAUTH_PAYMENT_SIZE, &error))
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  check_engine_raw (r, "text", offauth_payment_parse_text (&pt, rec_get (r, "text"), -1, NULL), pt.raw, d,
                    OFFAUTH_PAYMENT_SIZE);
  if (strlen (rec_get (r, "text")) != OFFAUTH_PAYMENT_TEXT_LEN)
    fail_at (r, "the text form of a payment is 443 characters");
  check_reserved_zero (r, d, 5, 8);
  check_reference (m, r, "credential", d + 8, OFFAUTH_CREDENTIAL_SIZE);
  check_reference (m, r, "request", d + 180, OFFAUTH_REQUEST_SIZE);
  if (memcmp (p.credential.raw, d + 8, OFFAUTH_CREDENTIAL_SIZE) != 0 ||
      memcmp (p.request.raw, d + 180, OFFAUTH_REQUEST_SIZE) != 0)
    fail_at (r, "the engine reads another credential or request inside");
  check_u64 (r, "counter", "bytes 260..263", rd32 (d + 260));
  check_u64 (r, "counter", "the engine", p.counter);
  check_hex (r, "signature", "the engine", p.signature, 64);
  blake (sale, (const guint8 *) "OA1.PAYM", 8, d, OFFAUTH_PAYMENT_SIGNED);
  check_hex (r, "sale_id", "H(\"OA1.PAYM\" || bytes 0..263)", sale, 32);
  check_hex (r, "sale_id", "the engine", p.sale_id, 32);
  if (k != NULL && memcmp (k->pk, d + 8 + 32, 32) != 0)
    fail_at (r, "signed_by is not the payer key inside the credential");
  check_signature (r, k, OFFAUTH_TAG_PAYM, d, OFFAUTH_PAYMENT_SIZE, offauth_payment_verify (&p));
  rec_done (r);
}

static void
check_bundle (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'T', 0);
  const KeyInfo *k = signer (m, r);
  g_autoptr(GError) error = NULL;
  OffauthBundle *b = g_new0 (OffauthBundle, 1), *bt = g_new0 (OffauthBundle, 1);
  g_autofree gchar *fpr = NULL;
  guint8 h[32];
  const guint8 *d;
  gsize len;
  guint n;

  if (bin == NULL)
    goto out;
  d = g_bytes_get_data (bin, &len);
  if (!offauth_bundle_parse (b, d, len, &error))
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      goto out;
    }
  check_engine_raw (r, "text", offauth_bundle_parse_text (bt, rec_get (r, "text"), NULL), bt->raw, d, len);
  n = (guint) d[6] | (guint) d[7] << 8;
  check_reserved_zero (r, d, 5, 6);
  if (n < 1 || n > 64 || len != 128 + 64 * (gsize) n || rd64 (d + 56) <= rd64 (d + 48))
    fail_at (r, "a bound of PROTOCOL.md is broken");
  check_u64 (r, "n", "bytes 6..7", n);
  check_u64 (r, "n", "the engine", b->n_keys);
  check_b64 (r, "root_public_key", "bytes 8..39", d + 8, 32);
  check_b64 (r, "root_public_key", "the engine", b->root_public_key, 32);
  blake (h, d + 8, 32, NULL, 0);
  check_hex (r, "root_fingerprint", "H(root_public_key)", h, 32);
  fpr = offauth_root_fingerprint (b->root_public_key);
  check_str (r, "root_fingerprint", "the engine", fpr);
  check_u64 (r, "sequence", "bytes 40..47", rd64 (d + 40));
  check_u64 (r, "sequence", "the engine", b->sequence);
  check_u64 (r, "issued_at", "bytes 48..55", rd64 (d + 48));
  check_u64 (r, "issued_at", "the engine", b->issued_at);
  check_u64 (r, "expires_at", "bytes 56..63", rd64 (d + 56));
  check_u64 (r, "expires_at", "the engine", b->expires_at);
  for (guint i = 0; i < n && i < b->n_keys; i++)
    {
      const guint8 *e = d + 64 + 64 * i;
      const OffauthIssuerKey *key = &b->keys[i];
      g_autofree gchar *k_id = g_strdup_printf ("entry.%u.key_id", i);
      g_autofree gchar *k_pk = g_strdup_printf ("entry.%u.public_key", i);
      g_autofree gchar *k_nb = g_strdup_printf ("entry.%u.not_before", i);
      g_autofree gchar *k_na = g_strdup_printf ("entry.%u.not_after", i);
      g_autofree gchar *k_sc = g_strdup_printf ("entry.%u.scope", i);

      blake (h, e + 8, 32, NULL, 0);
      if (memcmp (h, e, 8) != 0)
        fail_at (r, "entry %u: the key id is not H(key)[0..8]", i);
      if (i > 0 && memcmp (e - 64, e, 8) >= 0)
        fail_at (r, "entry %u: key ids not strictly ascending", i);
      check_reserved_zero (r, e, 60, 64);
      check_hex (r, k_id, "the entry's bytes 0..7", e, 8);
      check_hex (r, k_id, "H(entry's key)[0..8]", h, 8);
      check_hex (r, k_id, "the engine", key->key_id, 8);
      check_b64 (r, k_pk, "the entry's bytes 8..39", e + 8, 32);
      check_b64 (r, k_pk, "the engine", key->public_key, 32);
      check_u64 (r, k_nb, "the entry's bytes 40..47", rd64 (e + 40));
      check_u64 (r, k_nb, "the engine", key->not_before);
      check_u64 (r, k_na, "the entry's bytes 48..55", rd64 (e + 48));
      check_u64 (r, k_na, "the engine", key->not_after);
      check_u64 (r, k_sc, "the entry's bytes 56..59", rd32 (e + 56));
      check_u64 (r, k_sc, "the engine", key->scope);
      if (offauth_bundle_find_key (b, e) != key)
        fail_at (r, "the engine does not find entry %u by its key id", i);
    }
  check_hex (r, "signature", "the engine", b->signature, 64);
  if (k != NULL && memcmp (k->pk, d + 8, 32) != 0)
    fail_at (r, "signed_by is not the root key the bundle carries");
  check_signature (r, k, OFFAUTH_TAG_TRST, d, len, k != NULL && offauth_bundle_verify (b, k->pk));
  rec_done (r);
out:
  g_free (b);
  g_free (bt);
}

static void
check_revocation (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'V', 0);
  const KeyInfo *k = signer (m, r);
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthRevocationList) list = NULL;
  g_autoptr(OffauthRevocationList) list_t = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  guint8 id[8], absent[16];
  const guint8 *d;
  gsize len;
  guint32 n;

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, &len);
  list = offauth_revocation_list_parse (d, len, &error);
  if (list == NULL)
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  list_t = offauth_revocation_list_parse_text (rec_get (r, "text"), NULL);
  check_engine_raw (r, "text", list_t != NULL && g_bytes_get_size (list_t->raw) == len,
                    list_t ? g_bytes_get_data (list_t->raw, NULL) : d, d, len);
  n = rd32 (d + 40);
  check_reserved_zero (r, d, 5, 8);
  check_reserved_zero (r, d, 44, 48);
  if (n > 1048576 || len != 112 + 16 * (gsize) n || rd64 (d + 32) < rd64 (d + 24))
    fail_at (r, "a bound of PROTOCOL.md is broken");
  check_hex (r, "issuer_key_id", "bytes 8..15", d + 8, 8);
  check_hex (r, "issuer_key_id", "the engine", list->issuer_key_id, 8);
  check_u64 (r, "sequence", "bytes 16..23", rd64 (d + 16));
  check_u64 (r, "sequence", "the engine", list->sequence);
  check_u64 (r, "issued_at", "bytes 24..31", rd64 (d + 24));
  check_u64 (r, "issued_at", "the engine", list->issued_at);
  check_u64 (r, "next_update", "bytes 32..39", rd64 (d + 32));
  check_u64 (r, "next_update", "the engine", list->next_update);
  check_u64 (r, "n", "bytes 40..43", n);
  check_u64 (r, "n", "the engine", list->n_ids);
  ids = rec_all (r, "revoked");
  if (ids->len != n)
    fail_at (r, "%u revoked ids listed, n is %u", ids->len, n);
  for (guint32 i = 0; i < n && i < ids->len; i++)
    {
      g_autofree gchar *want = hex (d + 48 + 16 * (gsize) i, 16);
      g_autofree gchar *engine = hex (list->ids + 16 * (gsize) i, 16);

      if (strcmp (want, g_ptr_array_index (ids, i)) != 0 || strcmp (engine, want) != 0)
        fail_at (r, "revoked id %u: the vector has %s, the bytes %s, the engine %s", i,
                 (const char *) g_ptr_array_index (ids, i), want, engine);
      if (i > 0 && memcmp (d + 48 + 16 * (gsize) (i - 1), d + 48 + 16 * (gsize) i, 16) >= 0)
        fail_at (r, "revoked ids not strictly ascending at %u", i);
      if (!offauth_revocation_list_contains (list, d + 48 + 16 * (gsize) i))
        fail_at (r, "the engine does not find revoked id %u", i);
    }
  memset (absent, 0, sizeof absent);
  if (offauth_revocation_list_contains (list, absent))
    fail_at (r, "the engine finds an id that is not listed");
  check_hex (r, "signature", "the engine", list->signature, 64);
  if (k != NULL)
    {
      offauth_key_id (id, k->pk);
      if (memcmp (id, d + 8, 8) != 0)
        fail_at (r, "issuer_key_id is not the key id of the signing key");
    }
  check_signature (r, k, OFFAUTH_TAG_REVK, d, len, k != NULL && offauth_revocation_list_verify (list, k->pk));
  rec_done (r);
}

static void
check_checkpoint (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'K', OFFAUTH_CHECKPOINT_SIZE);
  const KeyInfo *k = signer (m, r);
  g_autoptr(GError) error = NULL;
  OffauthCheckpoint c, ct;
  guint8 tid[32];
  const guint8 *d;
  guint64 seq;

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, NULL);
  if (!offauth_checkpoint_parse (&c, d, OFFAUTH_CHECKPOINT_SIZE, &error))
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  check_engine_raw (r, "text", offauth_checkpoint_parse_text (&ct, rec_get (r, "text"), NULL), ct.raw, d,
                    OFFAUTH_CHECKPOINT_SIZE);
  check_reserved_zero (r, d, 5, 8);
  check_hex (r, "terminal_id", "bytes 8..23", d + 8, 16);
  check_hex (r, "terminal_id", "the engine", c.terminal_id, 16);
  check_u64 (r, "seq", "bytes 24..31", rd64 (d + 24));
  check_u64 (r, "seq", "the engine", c.seq);
  check_hex (r, "chain_hash", "bytes 32..63", d + 32, 32);
  check_hex (r, "chain_hash", "the engine", c.chain_hash, 32);
  check_u64 (r, "created_at", "bytes 64..71", rd64 (d + 64));
  check_u64 (r, "created_at", "the engine", c.created_at);
  check_hex (r, "signature", "the engine", c.signature, 64);
  if (k != NULL)
    {
      blake (tid, k->pk, 32, NULL, 0);
      if (memcmp (tid, d + 8, 16) != 0)
        fail_at (r, "terminal_id is not H(signing key)[0..16]");
    }
  /* The checkpoint covers the journal example. */
  seq = rd64 (d + 24);
  if (seq < 1 || seq > m->journal->len)
    fail_at (r, "seq %" G_GUINT64_FORMAT " is not a row of the journal example", seq);
  else if (memcmp (m->journal->data + 32 * (seq - 1), d + 32, 32) != 0)
    fail_at (r, "chain_hash is not h_%" G_GUINT64_FORMAT " of the journal example", seq);
  check_signature (r, k, OFFAUTH_TAG_CHKP, d, OFFAUTH_CHECKPOINT_SIZE,
                   k != NULL && offauth_checkpoint_verify (&c, k->pk));
  rec_done (r);
}

/* Reconciliation messages */

static const KeyInfo *
bound_key (Messages *m, Record *r)
{
  const char *name = rec_get (r, "bound_to");
  const KeyInfo *k = name ? g_hash_table_lookup (m->keys, name) : NULL;

  if (name != NULL && k == NULL)
    fail_at (r, "bound_to: no key named %s", name);
  return k;
}

/* U and O: Ed25519 over TAG || key id of the acquirer key || body. */
static void
check_bound_signature (Record *r, const KeyInfo *k, const KeyInfo *acq, const char *tag,
                       const guint8 *d, gsize len, gboolean engine_ok)
{
  g_autofree guint8 *m = g_malloc (16 + len);
  guint8 h[32];

  check_hex (r, "signature", "the last 64 bytes", d + len - 64, 64);
  if (acq == NULL)
    return;
  blake (h, acq->pk, 32, NULL, 0);
  check_hex (r, "acquirer_key_id", "H(acquirer pk)[0..8]", h, 8);
  if (k == NULL)
    return;
  memcpy (m, tag, 8);
  memcpy (m + 8, h, 8);
  memcpy (m + 16, d, len - 64);
  if (crypto_sign_verify_detached (d + len - 64, m, 16 + len - 64, k->pk) != 0)
    fail_at (r, "the signature does not verify (Ed25519 over %s || acquirer key id || body)", tag);
  if (!engine_ok)
    fail_at (r, "the engine does not verify the signature");
  if (spec_verify (d + len - 64, tag, d, len - 64, k->pk))
    fail_at (r, "the signature verifies without the acquirer key id");
}

static void
check_terminal_id_of (Record *r, const KeyInfo *k, const guint8 *tid)
{
  guint8 h[32];

  if (k == NULL)
    return;
  blake (h, k->pk, 32, NULL, 0);
  if (memcmp (h, tid, 16) != 0)
    fail_at (r, "terminal_id is not H(signing key)[0..16]");
}

static void
check_sync_request (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'U', 0);
  const KeyInfo *k = signer (m, r), *acq = bound_key (m, r);
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncRequest) u = NULL, ut = NULL;
  guint64 first_seq, nr, nn;
  const guint8 *d;
  gsize len, pos;
  guint8 h[32];

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, &len);
  u = offauth_sync_request_parse (d, len, &error);
  if (u == NULL)
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  ut = offauth_sync_request_parse_text (rec_get (r, "text"), -1, NULL);
  check_engine_raw (r, "text", ut != NULL && g_bytes_equal (ut->raw, u->raw), d, d, len);
  check_reserved_zero (r, d, 5, 8);
  check_hex (r, "terminal_id", "bytes 8..23", d + 8, 16);
  check_hex (r, "terminal_id", "the engine", u->terminal_id, 16);
  check_terminal_id_of (r, k, d + 8);
  first_seq = rd64 (d + 24);
  check_u64 (r, "first_seq", "bytes 24..31", first_seq);
  check_u64 (r, "first_seq", "the engine", u->first_seq);
  check_hex (r, "prev_hash", "bytes 32..63", d + 32, 32);
  check_hex (r, "prev_hash", "the engine", u->prev_hash, 32);
  if (first_seq < 1 || first_seq - 1 > m->journal->len)
    fail_at (r, "first_seq is not a row after the journal example's start");
  else if (first_seq > 1 && memcmp (m->journal->data + 32 * (first_seq - 2), d + 32, 32) != 0)
    fail_at (r, "prev_hash is not h_(first_seq - 1) of the journal example");
  check_u64 (r, "created_at", "bytes 64..71", rd64 (d + 64));
  check_u64 (r, "created_at", "the engine", u->created_at);
  check_u64 (r, "verdict_cursor", "bytes 72..79", rd64 (d + 72));
  check_u64 (r, "verdict_cursor", "the engine", u->verdict_cursor);
  nr = rd32 (d + 80);
  nn = rd32 (d + 84);
  check_u64 (r, "r", "bytes 80..83", nr);
  check_u64 (r, "r", "the engine", u->n_asks);
  check_u64 (r, "n", "bytes 84..87", nn);
  check_u64 (r, "n", "the engine", u->n_records);
  pos = 88;
  for (guint i = 0; i < nr && i < u->n_asks; i++, pos += 8)
    {
      g_autofree gchar *key = g_strdup_printf ("retry_ask.%u", i);
      check_u64 (r, key, "the bytes", rd64 (d + pos));
      check_u64 (r, key, "the engine", u->asks[i]);
    }
  for (guint i = 0; i < nn && i < u->n_records && pos + 4 <= len; i++)
    {
      g_autofree gchar *key = g_strdup_printf ("record.%u", i);
      guint32 rl = rd32 (d + pos);
      GBytes *row = g_hash_table_lookup (m->rows, GUINT_TO_POINTER ((guint) (first_seq + i)));

      check_hex (r, key, "u32 len, then the record's bytes", d + pos + 4, MIN (rl, len - pos - 4));
      check_hex (r, key, "the engine", u->records[i].data, u->records[i].len);
      if (row == NULL || g_bytes_get_size (row) != rl ||
          memcmp (g_bytes_get_data (row, NULL), d + pos + 4, rl) != 0)
        fail_at (r, "record %u is not row %" G_GUINT64_FORMAT " of the journal example", i,
                 first_seq + i);
      pos += 4 + rl;
    }
  if (pos + 64 != len || len != 152 + 8 * nr + (pos - 88 - 8 * nr))
    fail_at (r, "U is not exactly 152 + 8r + sum(4 + len_i) bytes");
  blake (h, d, len, NULL, 0);
  check_hex (r, "request_hash", "H(binary)", h, 32);
  {
    guint8 eh[32];
    offauth_sync_request_hash (u, eh);
    check_hex (r, "request_hash", "the engine", eh, 32);
  }
  check_hex (r, "signature", "the engine", u->signature, 64);
  check_bound_signature (r, k, acq, OFFAUTH_TAG_UPLD, d, len,
                         k != NULL && acq != NULL && offauth_sync_request_verify (u, acq->pk, k->pk));
  rec_done (r);
}

static void
check_sync_answer (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'A', 0);
  const KeyInfo *k = signer (m, r);
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncAnswer) a = NULL, at = NULL;
  const char *answers = rec_get (r, "answers");
  GBytes *u = answers ? g_hash_table_lookup (m->binaries, answers) : NULL;
  const guint8 *d;
  guint64 acked, n;
  gsize len;
  guint8 h[32];

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, &len);
  a = offauth_sync_answer_parse (d, len, &error);
  if (a == NULL)
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  at = offauth_sync_answer_parse_text (rec_get (r, "text"), -1, NULL);
  check_engine_raw (r, "text", at != NULL && g_bytes_equal (at->raw, a->raw), d, d, len);
  check_reserved_zero (r, d, 5, 8);
  check_hex (r, "terminal_id", "bytes 8..23", d + 8, 16);
  check_hex (r, "terminal_id", "the engine", a->terminal_id, 16);
  acked = rd64 (d + 24);
  check_u64 (r, "acked_seq", "bytes 24..31", acked);
  check_u64 (r, "acked_seq", "the engine", a->acked_seq);
  check_hex (r, "h_acked", "bytes 32..63", d + 32, 32);
  check_hex (r, "h_acked", "the engine", a->h_acked, 32);
  if (acked < 1 || acked > m->journal->len || memcmp (m->journal->data + 32 * (acked - 1), d + 32, 32) != 0)
    fail_at (r, "h_acked is not h_acked_seq of the journal example");
  check_u64 (r, "acquirer_time", "bytes 64..71", rd64 (d + 64));
  check_u64 (r, "acquirer_time", "the engine", a->acquirer_time);
  check_hex (r, "request_hash", "bytes 72..103", d + 72, 32);
  check_hex (r, "request_hash", "the engine", a->request_hash, 32);
  if (u == NULL)
    fail_at (r, "answers: no vector named %s", answers ? answers : "");
  else
    {
      blake (h, g_bytes_get_data (u, NULL), g_bytes_get_size (u), NULL, 0);
      if (memcmp (h, d + 72, 32) != 0)
        fail_at (r, "request_hash is not H(%s)", answers);
    }
  check_u64 (r, "verdict_cursor", "bytes 104..111", rd64 (d + 104));
  check_u64 (r, "verdict_cursor", "the engine", a->verdict_cursor);
  n = rd32 (d + 112);
  check_u64 (r, "n", "bytes 112..115", n);
  check_u64 (r, "n", "the engine", a->n_verdicts);
  check_u64 (r, "flags", "bytes 116..119", rd32 (d + 116));
  check_u64 (r, "flags", "the engine", a->flags);
  if (len != 184 + 56 * n)
    fail_at (r, "A is not exactly 184 + 56n bytes");
  for (guint i = 0; i < n && i < a->n_verdicts; i++)
    {
      const guint8 *e = d + 120 + 56 * i;
      const OffauthVerdict *v = &a->verdicts[i];
#define VK(f) g_autofree gchar *k_##f = g_strdup_printf ("verdict.%u." #f, i)
      VK (sale_seq); VK (sale_id); VK (state); VK (reason); VK (attempt); VK (retry_after);
#undef VK
      check_u64 (r, k_sale_seq, "the bytes", rd64 (e));
      check_u64 (r, k_sale_seq, "the engine", v->sale_seq);
      check_hex (r, k_sale_id, "the bytes", e + 8, 32);
      check_hex (r, k_sale_id, "the engine", v->sale_id, 32);
      check_u64 (r, k_state, "the bytes", e[40]);
      check_u64 (r, k_state, "the engine", v->state);
      check_u64 (r, k_reason, "the bytes", e[41]);
      check_u64 (r, k_reason, "the engine", v->reason);
      check_u64 (r, k_attempt, "the bytes", (guint) e[42] | (guint) e[43] << 8);
      check_u64 (r, k_attempt, "the engine", v->attempt);
      check_reserved_zero (r, e, 44, 48);
      check_u64 (r, k_retry_after, "the bytes", rd64 (e + 48));
      check_u64 (r, k_retry_after, "the engine", v->retry_after);
    }
  blake (h, d, len, NULL, 0);
  check_hex (r, "answer_hash", "H(binary)", h, 32);
  {
    guint8 eh[32];
    offauth_sync_answer_hash (a, eh);
    check_hex (r, "answer_hash", "the engine", eh, 32);
  }
  check_hex (r, "signature", "the engine", a->signature, 64);
  check_signature (r, k, OFFAUTH_TAG_ACKN, d, len, k != NULL && offauth_sync_answer_verify (a, k->pk));
  rec_done (r);
}

static void
check_online_request (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'O', OFFAUTH_ONLINE_REQUEST_SIZE);
  const KeyInfo *k = signer (m, r), *acq = bound_key (m, r);
  g_autoptr(GError) error = NULL;
  OffauthOnlineRequest o, ot;
  const guint8 *d;

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, NULL);
  if (!offauth_online_request_parse (&o, d, OFFAUTH_ONLINE_REQUEST_SIZE, &error))
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  check_engine_raw (r, "text", offauth_online_request_parse_text (&ot, rec_get (r, "text"), -1, NULL),
                    ot.raw, d, OFFAUTH_ONLINE_REQUEST_SIZE);
  check_reserved_zero (r, d, 5, 8);
  check_hex (r, "terminal_id", "bytes 8..23", d + 8, 16);
  check_hex (r, "terminal_id", "the engine", o.terminal_id, 16);
  check_terminal_id_of (r, k, d + 8);
  check_u64 (r, "created_at", "bytes 24..31", rd64 (d + 24));
  check_u64 (r, "created_at", "the engine", o.created_at);
  check_reference (m, r, "payment", d + 32, OFFAUTH_PAYMENT_SIZE);
  if (memcmp (o.payment.raw, d + 32, OFFAUTH_PAYMENT_SIZE) != 0)
    fail_at (r, "the engine reads another payment inside");
  check_hex (r, "signature", "the engine", o.signature, 64);
  check_bound_signature (r, k, acq, OFFAUTH_TAG_ONLN, d, OFFAUTH_ONLINE_REQUEST_SIZE,
                         k != NULL && acq != NULL && offauth_online_request_verify (&o, acq->pk, k->pk));
  rec_done (r);
}

static void
check_decision (Messages *m, Record *r)
{
  g_autoptr(GBytes) bin = check_forms (r, 'D', OFFAUTH_ONLINE_DECISION_SIZE);
  const KeyInfo *k = signer (m, r);
  g_autoptr(GError) error = NULL;
  OffauthOnlineDecision dec, dt;
  const guint8 *d;

  if (bin == NULL)
    return;
  d = g_bytes_get_data (bin, NULL);
  if (!offauth_online_decision_parse (&dec, d, OFFAUTH_ONLINE_DECISION_SIZE, &error))
    {
      fail_at (r, "the engine refuses it: %s", error->message);
      return;
    }
  check_engine_raw (r, "text", offauth_online_decision_parse_text (&dt, rec_get (r, "text"), -1, NULL),
                    dt.raw, d, OFFAUTH_ONLINE_DECISION_SIZE);
  check_reserved_zero (r, d, 5, 8);
  check_reserved_zero (r, d, 58, 64);
  check_hex (r, "terminal_id", "bytes 8..23", d + 8, 16);
  check_hex (r, "terminal_id", "the engine", dec.terminal_id, 16);
  check_hex (r, "sale_id", "bytes 24..55", d + 24, 32);
  check_hex (r, "sale_id", "the engine", dec.sale_id, 32);
  check_u64 (r, "result", "byte 56", d[56]);
  check_u64 (r, "result", "the engine", dec.result);
  check_u64 (r, "reason", "byte 57", d[57]);
  check_u64 (r, "reason", "the engine", dec.reason);
  check_u64 (r, "acquirer_time", "bytes 64..71", rd64 (d + 64));
  check_u64 (r, "acquirer_time", "the engine", dec.acquirer_time);
  check_u64 (r, "amount", "bytes 72..79", rd64 (d + 72));
  check_u64 (r, "amount", "the engine", dec.amount);
  check_hex (r, "signature", "the engine", dec.signature, 64);
  check_signature (r, k, OFFAUTH_TAG_DECN, d, OFFAUTH_ONLINE_DECISION_SIZE,
                   k != NULL && offauth_online_decision_verify (&dec, k->pk));
  rec_done (r);
}

static void
check_journal_row (Messages *m, Record *r)
{
  guint64 seq = 0, kind = 0, when = 0;
  g_autoptr(GBytes) payload = NULL;
  g_autofree guint8 *record = NULL;
  guint8 prev[32] = { 0 }, h[32];
  const guint8 *p;
  gsize plen;

  if (!parse_u64_text (record_name (r), &seq) || seq != m->journal->len + 1)
    {
      fail_at (r, "journal rows are numbered 1, 2, ... in order");
      return;
    }
  payload = get_hex (r, "payload");
  if (!get_u64 (r, "kind", &kind) || !get_u64 (r, "time", &when) || payload == NULL || kind > 255)
    return;
  p = g_bytes_get_data (payload, &plen);
  record = g_malloc (9 + plen);
  record[0] = (guint8) kind;
  for (int i = 0; i < 8; i++)
    record[1 + i] = (guint8) (when >> (8 * i));
  memcpy (record + 9, p, plen);
  if (seq > 1)
    memcpy (prev, m->journal->data + 32 * (seq - 2), 32);
  spec_journal_hash (h, seq, prev, record, 9 + plen);
  check_hex (r, "record", "u8 kind || u64 time || payload", record, 9 + plen);
  check_hex (r, "prev_hash", "the previous row", prev, 32);
  check_hex (r, "hash", "H(\"OA1.JRNL\" || u64 i || h_(i-1) || u32 len || record)", h, 32);
  if (kind == OFFAUTH_RECORD_SALE_APPROVED)
    {
      OffauthPayment pay;
      OffauthOnlineDecision dec;

      if (!(plen == OFFAUTH_PAYMENT_SIZE + 1 && p[OFFAUTH_PAYMENT_SIZE] == 0) &&
          !(plen == OFFAUTH_PAYMENT_SIZE + 1 + OFFAUTH_ONLINE_DECISION_SIZE && p[OFFAUTH_PAYMENT_SIZE] == 1 &&
            offauth_online_decision_parse (&dec, p + OFFAUTH_PAYMENT_SIZE + 1, OFFAUTH_ONLINE_DECISION_SIZE,
                                           NULL)))
        fail_at (r, "a sale row's payload is a payment and mode 0, or mode 1 and a decision D");
      if (plen < OFFAUTH_PAYMENT_SIZE ||
          !offauth_payment_parse (&pay, p, OFFAUTH_PAYMENT_SIZE, NULL) || !offauth_payment_verify (&pay))
        fail_at (r, "a sale row's payload starts with a valid payment");
    }
  if (kind == OFFAUTH_RECORD_SALE_STATE &&
      (plen != 56 || p[40] < 1 || p[40] > 5 || rd32 (p + 44) != 0 || rd64 (p) < 1))
    fail_at (r, "a sale-state row is u64 sale_seq || sale id || state 1-5 || reason || u16 attempt || "
                "u32 0 || u64 retry_after");
  if (kind == OFFAUTH_RECORD_SYNC_ACCEPTED && plen != 56)
    fail_at (r, "a sync-accepted row is 56 bytes of payload");
  if (kind == OFFAUTH_RECORD_SALE_APPROVED || kind == OFFAUTH_RECORD_SALE_STATE ||
      kind == OFFAUTH_RECORD_SYNC_ACCEPTED)
    {
      g_auto(OffauthRecord) rec = { 0 };
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *again = NULL;
      gsize alen = 0;

      if (!offauth_record_parse (&rec, record, 9 + plen, &error))
        fail_at (r, "the engine refuses the record: %s", error->message);
      else if ((again = offauth_record_encode (&rec, &alen, NULL)) == NULL || alen != 9 + plen ||
               memcmp (again, record, alen) != 0)
        fail_at (r, "the engine encodes the record to other bytes");
      else if (kind == OFFAUTH_RECORD_SALE_STATE &&
               (rec.sale_state.verdict.sale_seq != rd64 (p) || rec.sale_state.verdict.state != p[40] ||
                rec.sale_state.verdict.retry_after != rd64 (p + 48)))
        fail_at (r, "the engine reads other fields of the sale-state row");
      else if (kind == OFFAUTH_RECORD_SYNC_ACCEPTED &&
               (rec.sync_accepted.acked_seq != rd64 (p) || rec.sync_accepted.acquirer_time != rd64 (p + 8) ||
                rec.sync_accepted.verdict_cursor != rd64 (p + 16) ||
                memcmp (rec.sync_accepted.answer_hash, p + 24, 32) != 0))
        fail_at (r, "the engine reads other fields of the sync-accepted row");
    }
  g_hash_table_insert (m->rows, GUINT_TO_POINTER ((guint) seq), g_bytes_new (record, 9 + plen));
  g_array_append_vals (m->journal, h, 1);
  rec_done (r);
}

static void
test_messages (void)
{
  g_autofree gchar *path = g_build_filename (vectors_dir, "messages.txt", NULL);
  g_autoptr(GPtrArray) records = read_records (path);
  Messages m;
  guint counts[128] = { 0 };
  const char types[] = "CRPTVKUAOD";

  if (records == NULL)
    return;
  m.rows = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_bytes_unref);
  m.keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m.binaries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  m.journal = g_array_new (FALSE, FALSE, 32);

  /* Keys, journal rows and every vector's bytes first: records refer to one another. */
  for (guint i = 0; i < records->len; i++)
    {
      Record *r = g_ptr_array_index (records, i);
      const char *kind = record_kind (r);

      if (strcmp (kind, "key") == 0)
        check_key_record (&m, r);
      else if (strcmp (kind, "journal") == 0)
        check_journal_row (&m, r);
      else if (strcmp (kind, "vector") == 0)
        {
          GByteArray *a = g_byte_array_new ();
          const char *v = rec_get (r, "hex");

          if (v != NULL && hex_to_bytes (v, a))
            g_hash_table_insert (m.binaries, g_strdup (record_name (r)), g_byte_array_free_to_bytes (a));
          else
            g_byte_array_unref (a);
        }
      else
        fail_at (r, "unknown record %s", kind);
    }
  for (guint i = 0; i < records->len; i++)
    {
      Record *r = g_ptr_array_index (records, i);
      const char *type;

      if (strcmp (record_kind (r), "vector") != 0)
        continue;
      type = rec_get (r, "type");
      if (type == NULL || strlen (type) != 1 || strchr (types, type[0]) == NULL)
        {
          fail_at (r, "type is one of %s", types);
          continue;
        }
      counts[(guchar) type[0]]++;
      switch (type[0])
        {
        case 'C': check_credential (&m, r); break;
        case 'R': check_request (&m, r); break;
        case 'P': check_payment (&m, r); break;
        case 'T': check_bundle (&m, r); break;
        case 'V': check_revocation (&m, r); break;
        case 'K': check_checkpoint (&m, r); break;
        case 'U': check_sync_request (&m, r); break;
        case 'A': check_sync_answer (&m, r); break;
        case 'O': check_online_request (&m, r); break;
        case 'D': check_decision (&m, r); break;
        default: g_assert_not_reached ();
        }
    }
  for (const char *t = types; *t; t++)
    if (counts[(guchar) *t] == 0)
      g_test_fail_printf ("messages.txt has no vector of type %c", *t);
  if (m.journal->len < 2)
    g_test_fail_printf ("messages.txt has no journal example");
  g_test_message ("%u records checked", records->len);
  g_hash_table_unref (m.keys);
  g_hash_table_unref (m.binaries);
  g_array_unref (m.journal);
  g_hash_table_unref (m.rows);
}

/* A terminal with a fixed clock in a directory of its own. */

typedef struct
{
  guint64 seq;
  guint64 when;
  guint8  payment[OFFAUTH_PAYMENT_SIZE];
  guint8  hash[32];
} ApprovedSale;

typedef struct
{
  gchar           *dir;
  gchar           *db_path;
  OffauthTerminal *terminal;
  guint64          now;
  gboolean         enrolled;
  guint8           terminal_pk[32];
  guint8           terminal_id[16];
  GArray          *sales;
} Replay;

static void
replay_open (Replay *rp)
{
  rp->terminal = test_terminal_open (rp->db_path, &rp->now);
}

static Replay *
replay_new (void)
{
  Replay *rp = g_new0 (Replay, 1);

  rp->dir = test_tmp_dir (NULL, "oa1-vector-terminal");
  rp->db_path = g_build_filename (rp->dir, "terminal.db", NULL);
  rp->sales = g_array_new (FALSE, TRUE, sizeof (ApprovedSale));
  replay_open (rp);
  return rp;
}

static void
replay_free (Replay *rp)
{
  g_clear_pointer (&rp->terminal, offauth_terminal_free);
  test_remove_dir (rp->dir);
  g_free (rp->dir);
  g_free (rp->db_path);
  g_array_unref (rp->sales);
  g_free (rp);
}

static gboolean
replay_enroll (Replay *rp, Record *r, const guint8 seed[32], const char *bundle, const char *merchant,
               const char *fingerprint, const OffauthTerminalConfig *config, GError **error)
{
  guint8 sk[64];

  if (!_offauth_terminal_enroll_with_seed (rp->terminal, seed, bundle, merchant, fingerprint, config,
                                           error))
    return FALSE;
  rp->enrolled = TRUE;
  crypto_sign_seed_keypair (rp->terminal_pk, sk, seed);
  offauth_terminal_id_from_key (rp->terminal_id, rp->terminal_pk);
  return TRUE;
}

/* /vectors/invalid */

static const char *
text_of (Record *r, gsize *len)
{
  const char *text = rec_opt (r, "text");
  const char *text_hex = rec_opt (r, "text_hex");
  static GByteArray *buf;

  if ((text == NULL) == (text_hex == NULL))
    {
      fail_at (r, "give text or text_hex");
      return NULL;
    }
  if (text != NULL)
    {
      *len = strlen (text);
      return text;
    }
  if (buf == NULL)
    buf = g_byte_array_new ();
  g_byte_array_set_size (buf, 0);
  if (!hex_to_bytes (text_hex, buf))
    {
      fail_at (r, "text_hex is not lower-case hex");
      return NULL;
    }
  *len = buf->len;
  g_byte_array_append (buf, (const guint8 *) "", 1);
  return (const char *) buf->data;
}

static void
expect_malformed (Record *r, const char *what, gboolean ok, GError *error)
{
  if (ok)
    fail_at (r, "the engine accepts the %s", what);
  else if (!g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED))
    fail_at (r, "the engine refuses the %s, but not as malformed (%s)", what,
             error ? error->message : "no error");
}

static gboolean
parse_binary (char type, const guint8 *d, gsize len, GError **error)
{
  switch (type)
    {
    case 'C':
      {
        OffauthCredential c;
        return offauth_credential_parse (&c, d, len, error);
      }
    case 'R':
      {
        OffauthRequest q;
        return offauth_request_parse (&q, d, len, error);
      }
    case 'P':
      {
        OffauthPayment p;
        return offauth_payment_parse (&p, d, len, error);
      }
    case 'T':
      {
        g_autofree OffauthBundle *b = g_new0 (OffauthBundle, 1);
        return offauth_bundle_parse (b, d, len, error);
      }
    case 'V':
      {
        g_autoptr(OffauthRevocationList) l = offauth_revocation_list_parse (d, len, error);
        return l != NULL;
      }
    case 'K':
      {
        OffauthCheckpoint k;
        return offauth_checkpoint_parse (&k, d, len, error);
      }
    case 'U':
      {
        g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse (d, len, error);
        return u != NULL;
      }
    case 'A':
      {
        g_autoptr(OffauthSyncAnswer) a = offauth_sync_answer_parse (d, len, error);
        return a != NULL;
      }
    case 'O':
      {
        OffauthOnlineRequest o;
        return offauth_online_request_parse (&o, d, len, error);
      }
    case 'D':
      {
        OffauthOnlineDecision dec;
        return offauth_online_decision_parse (&dec, d, len, error);
      }
    default:
      g_assert_not_reached ();
    }
}

/* The public text parsers (they take a NUL-terminated text). */
static gboolean
parse_text_api (char type, const char *text, GError **error)
{
  switch (type)
    {
    case 'C':
      {
        OffauthCredential c;
        return offauth_credential_parse_text (&c, text, error);
      }
    case 'R':
      {
        OffauthRequest q;
        return offauth_request_parse_text (&q, text, error);
      }
    case 'P':
      {
        OffauthPayment p;
        return offauth_payment_parse_text (&p, text, -1, error);
      }
    case 'T':
      {
        g_autofree OffauthBundle *b = g_new0 (OffauthBundle, 1);
        return offauth_bundle_parse_text (b, text, error);
      }
    case 'V':
      {
        g_autoptr(OffauthRevocationList) l = offauth_revocation_list_parse_text (text, error);
        return l != NULL;
      }
    case 'K':
      {
        OffauthCheckpoint k;
        return offauth_checkpoint_parse_text (&k, text, error);
      }
    case 'U':
      {
        g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse_text (text, -1, error);
        return u != NULL;
      }
    case 'A':
      {
        g_autoptr(OffauthSyncAnswer) a = offauth_sync_answer_parse_text (text, -1, error);
        return a != NULL;
      }
    case 'O':
      {
        OffauthOnlineRequest o;
        return offauth_online_request_parse_text (&o, text, -1, error);
      }
    case 'D':
      {
        OffauthOnlineDecision dec;
        return offauth_online_decision_parse_text (&dec, text, -1, error);
      }
    default:
      g_assert_not_reached ();
    }
}

static Record *
find_record (GPtrArray *records, const char *kind, const char *name)
{
  for (guint i = 0; i < records->len; i++)
    {
      Record *r = g_ptr_array_index (records, i);
      if (strcmp (((Field *) g_ptr_array_index (r->fields, 0))->key, kind) == 0 &&
          strcmp (record_name (r), name) == 0)
        return r;
    }
  return NULL;
}

/* A terminal enrolled with bundle-1 and key 'terminal' of messages.txt, at bundle-1's
 * issued_at + 1 h, with a request open: a payment is judged on its form alone. */
static Replay *
ready_terminal (void)
{
  g_autofree gchar *path = g_build_filename (vectors_dir, "messages.txt", NULL);
  g_autoptr(GPtrArray) records = read_records (path);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *req = NULL;
  Record *bundle, *key, *request;
  OffauthBundle *b = g_new0 (OffauthBundle, 1);
  guint8 seed[32], challenge[16] = { 0 };
  Replay *rp;

  g_assert_nonnull (records);
  bundle = find_record (records, "vector", "bundle-1");
  key = find_record (records, "key", "terminal");
  request = find_record (records, "vector", "request-1");
  g_assert_true (bundle != NULL && key != NULL && request != NULL);
  g_assert_true (offauth_bundle_parse_text (b, rec_get (bundle, "text"), NULL));
  g_assert_true (get_hex_exact (key, "seed", seed, 32));
  rp = replay_new ();
  rp->now = b->issued_at + 3600;
  g_assert_true (replay_enroll (rp, key, seed, rec_get (bundle, "text"), rec_get (request, "merchant_id"),
                                NULL, NULL, &error));
  g_assert_no_error (error);
  req = _offauth_terminal_create_request_with (rp->terminal, 100, "EUR", challenge, NULL, &error);
  g_assert_no_error (error);
  g_free (b);
  return rp;
}

static void
test_invalid (void)
{
  g_autofree gchar *path = g_build_filename (vectors_dir, "invalid.txt", NULL);
  g_autoptr(GPtrArray) records = read_records (path);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  Replay *rp;
  guint n_payments = 0;

  if (records == NULL)
    return;
  rp = ready_terminal ();
  for (guint i = 0; i < records->len; i++)
    {
      Record *r = g_ptr_array_index (records, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) binary = NULL;
      g_autofree guint8 *decoded = NULL;
      const char *type, *text;
      gsize tlen = 0, dlen = 0;
      gboolean ok;

      if (strcmp (record_kind (r), "invalid_record") == 0)
        {
          g_auto(OffauthRecord) rec = { 0 };
          g_autoptr(GBytes) bytes = get_hex (r, "record");

          if (!g_hash_table_add (names, (gpointer) record_name (r)))
            fail_at (r, "the name %s is used twice", record_name (r));
          rec_get (r, "rule");
          if (bytes != NULL)
            {
              ok = offauth_record_parse (&rec, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                         &error);
              expect_malformed (r, "record", ok, error);
            }
          rec_done (r);
          continue;
        }
      if (strcmp (record_kind (r), "invalid") != 0)
        {
          fail_at (r, "unknown record %s", record_kind (r));
          continue;
        }
      if (!g_hash_table_add (names, (gpointer) record_name (r)))
        fail_at (r, "the name %s is used twice", record_name (r));
      type = rec_get (r, "type");
      rec_get (r, "rule");
      text = text_of (r, &tlen);
      if (type == NULL || strlen (type) != 1 || strchr ("CRPTVKUAOD", type[0]) == NULL || text == NULL)
        {
          fail_at (r, "type is one of CRPTVKUAOD");
          continue;
        }

      /* The text, as a whole (it may hold a NUL): decoding and parsing. */
      decoded = offauth_text_decode (text, (gssize) tlen, type[0], &dlen, &error);
      if (decoded != NULL)
        ok = parse_binary (type[0], decoded, dlen, &error);
      else
        ok = FALSE;
      expect_malformed (r, "text", ok, error);
      g_clear_error (&error);
      if (strlen (text) == tlen)
        {
          ok = parse_text_api (type[0], text, &error);
          expect_malformed (r, "text (public parser)", ok, error);
          g_clear_error (&error);
        }

      if (rec_opt (r, "binary") != NULL)
        {
          g_autofree gchar *body = NULL, *expect_text = NULL;
          const guint8 *d;
          gsize len;

          binary = get_hex (r, "binary");
          if (binary == NULL)
            continue;
          d = g_bytes_get_data (binary, &len);
          body = b64 (d, len);
          expect_text = g_strdup_printf ("OA1%c.%s", type[0], body);
          if (strcmp (expect_text, text) != 0)
            fail_at (r, "text is not the text form of binary");
          ok = parse_binary (type[0], d, len, &error);
          expect_malformed (r, "binary", ok, error);
          g_clear_error (&error);
        }

      if (type[0] == 'P')
        {
          OffauthDecision dec;

          n_payments++;
          offauth_terminal_authorize (rp->terminal, text, (gssize) tlen, NULL, 0, &dec);
          if (dec.approved || dec.reason != OFFAUTH_REASON_MALFORMED)
            fail_at (r, "the terminal's decision is %s, not malformed",
                     dec.approved ? "approved" : offauth_reason_code (dec.reason));
        }
      rec_done (r);
    }
  g_test_message ("%u invalid forms checked, %u also by the decision", records->len, n_payments);
  replay_free (rp);
}

/* /vectors/decisions/... */

typedef enum
{
  EXPECT_OK,
  EXPECT_ERROR,
  EXPECT_APPROVED,
  EXPECT_APPROVED_AGAIN,
  EXPECT_REFUSED,
} ExpectKind;

static gboolean
get_expect (Record *r, ExpectKind *kind, OffauthReason *reason)
{
  const char *v = rec_get (r, "expect");

  *reason = OFFAUTH_REASON_NONE;
  if (v == NULL)
    return FALSE;
  if (strcmp (v, "ok") == 0)
    *kind = EXPECT_OK;
  else if (strcmp (v, "error") == 0)
    *kind = EXPECT_ERROR;
  else if (strcmp (v, "approved") == 0)
    *kind = EXPECT_APPROVED;
  else if (strcmp (v, "approved-again") == 0)
    *kind = EXPECT_APPROVED_AGAIN;
  else if (g_str_has_prefix (v, "refused ") &&
           (*reason = offauth_reason_from_code (v + 8)) != OFFAUTH_N_REASONS &&
           *reason != OFFAUTH_REASON_NONE)
    *kind = EXPECT_REFUSED;
  else
    {
      fail_at (r, "expect: %s is not ok, error, approved, approved-again or refused <reason code>", v);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_config (Record *r, OffauthTerminalConfig *c)
{
  guint64 scope = 0;
  gboolean ok = TRUE;

  offauth_terminal_config_init (c);
  ok &= get_u64 (r, "floor_limit", &c->floor_limit);
  ok &= get_u64 (r, "cap_total", &c->cap_total);
  ok &= get_u64 (r, "cap_count", &c->cap_count);
  ok &= get_u64 (r, "stale_cap", &c->stale_cap);
  ok &= get_u64 (r, "upload_deadline", &c->upload_deadline);
  ok &= get_u64 (r, "request_lifetime", &c->request_lifetime);
  ok &= get_u64 (r, "scope", &scope);
  if (scope > G_MAXUINT32)
    {
      fail_at (r, "scope is a u32");
      ok = FALSE;
    }
  c->scope = (guint32) scope;
  return ok;
}

/* A step other than request and authorize: it succeeds (ok) or fails (error). */
static gboolean
expect_ok (Record *r, const char *what, gboolean ok, GError *error)
{
  ExpectKind kind;
  OffauthReason reason;

  if (!get_expect (r, &kind, &reason))
    return FALSE;
  if (kind != EXPECT_OK && kind != EXPECT_ERROR)
    {
      fail_at (r, "a %s step expects ok or error", what);
      return FALSE;
    }
  if (kind == EXPECT_OK && !ok)
    fail_at (r, "%s failed: %s", what, error ? error->message : "no reason given");
  if (kind == EXPECT_ERROR && ok)
    fail_at (r, "%s succeeded, it should fail", what);
  return !r->failed;
}

static gboolean
step_enroll (Replay *rp, Record *r)
{
  g_autoptr(GError) error = NULL;
  OffauthTerminalConfig config;
  OffauthTerminalStatus st;
  guint8 seed[32], tid[16], h[32], sk[64], pk[32];
  const char *fpr = rec_get (r, "root_fingerprint");
  const char *merchant = rec_get (r, "merchant_id");
  const char *bundle = rec_get (r, "bundle");
  gboolean ok;

  if (!get_hex_exact (r, "terminal_seed", seed, 32) || !get_hex_exact (r, "terminal_id", tid, 16) ||
      !get_config (r, &config) || fpr == NULL || merchant == NULL || bundle == NULL)
    return FALSE;
  crypto_sign_seed_keypair (pk, sk, seed);
  blake (h, pk, 32, NULL, 0);
  if (memcmp (h, tid, 16) != 0)
    fail_at (r, "terminal_id is not H(terminal key)[0..16]");
  ok = replay_enroll (rp, r, seed, bundle, merchant, strcmp (fpr, "none") == 0 ? NULL : fpr, &config,
                      &error);
  if (!expect_ok (r, "enroll", ok, error))
    return FALSE;
  if (!ok)
    return TRUE;
  offauth_terminal_get_status (rp->terminal, &st);
  if (memcmp (st.terminal_id, tid, 16) != 0 || strcmp (st.merchant_id, merchant) != 0)
    fail_at (r, "the terminal's id or merchant is not the one given");
  offauth_terminal_status_clear (&st);
  return !r->failed;
}

static gboolean
step_request (Replay *rp, Record *r)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  guint64 amount = 0;
  guint8 challenge[16];
  const char *currency = rec_get (r, "currency");
  ExpectKind kind;
  OffauthReason want, got = OFFAUTH_REASON_NONE;

  if (!get_u64 (r, "amount", &amount) || !get_hex_exact (r, "challenge", challenge, 16) ||
      currency == NULL || !get_expect (r, &kind, &want))
    return FALSE;
  text = _offauth_terminal_create_request_with (rp->terminal, amount, currency, challenge, &got, &error);
  if (kind == EXPECT_OK)
    {
      if (text == NULL)
        fail_at (r, "the request was refused: %s (%s)", offauth_reason_code (got),
                 error ? error->message : "");
      else
        check_str (r, "request", "the engine", text);
    }
  else if (kind == EXPECT_REFUSED)
    {
      if (text != NULL)
        fail_at (r, "the request was issued, %s expected", offauth_reason_code (want));
      else if (got != want)
        fail_at (r, "the request was refused with %s, %s expected (%s)", offauth_reason_code (got),
                 offauth_reason_code (want), error ? error->message : "");
    }
  else
    fail_at (r, "a request step expects ok or refused <reason>");
  return !r->failed;
}

static gboolean
step_authorize (Replay *rp, Record *r)
{
  g_autoptr(GPtrArray) line_texts = rec_all (r, "line");
  g_autoptr(GPtrArray) categories = g_ptr_array_new_with_free_func (g_free);
  g_autofree OffauthSaleLine *lines = g_new0 (OffauthSaleLine, line_texts->len + 1);
  const char *text = rec_get (r, "payment");
  OffauthDecision d;
  ExpectKind kind;
  OffauthReason want;
  const char *got;

  if (text == NULL || !get_expect (r, &kind, &want))
    return FALSE;
  for (guint i = 0; i < line_texts->len; i++)
    {
      const char *l = g_ptr_array_index (line_texts, i);
      const char *eq = strchr (l, '=');

      if (eq == NULL || eq == l || !parse_u64_text (eq + 1, &lines[i].amount))
        {
          fail_at (r, "line: %s is not category=amount", l);
          return FALSE;
        }
      lines[i].category = g_strndup (l, (gsize) (eq - l));
      g_ptr_array_add (categories, (gpointer) lines[i].category);
    }
  offauth_terminal_authorize (rp->terminal, text, -1, lines, line_texts->len, &d);
  got = d.approved ? (d.already_recorded ? "approved-again" : "approved") : offauth_reason_code (d.reason);
  switch (kind)
    {
    case EXPECT_APPROVED:
      if (!d.approved || d.already_recorded || d.reason != OFFAUTH_REASON_NONE)
        fail_at (r, "approved expected, got %s (%s)", got, d.detail);
      break;
    case EXPECT_APPROVED_AGAIN:
      if (!d.approved || !d.already_recorded || d.reason != OFFAUTH_REASON_NONE)
        fail_at (r, "approved-again expected, got %s (%s)", got, d.detail);
      break;
    case EXPECT_REFUSED:
      if (d.approved || d.reason != want)
        fail_at (r, "refused %s expected, got %s (%s)", offauth_reason_code (want), got, d.detail);
      break;
    case EXPECT_OK:
    case EXPECT_ERROR:
    default:
      fail_at (r, "an authorize step expects approved, approved-again or refused <reason>");
      return FALSE;
    }
  if (r->failed)
    return FALSE;

  /* The sale approved, approved again, or named by already_recorded. */
  if (rec_opt (r, "sale_id") != NULL || kind != EXPECT_REFUSED)
    {
      guint64 amount = 0, when = 0;

      check_hex (r, "sale_id", "the decision", d.sale_id, 32);
      if (get_u64 (r, "sale_amount", &amount) && amount != d.amount)
        fail_at (r, "sale_amount: the decision says %" G_GUINT64_FORMAT, d.amount);
      if (get_u64 (r, "sale_time", &when) && when != d.time)
        fail_at (r, "sale_time: the decision says %" G_GUINT64_FORMAT, d.time);
    }
  if (kind == EXPECT_APPROVED && !r->failed)
    {
      ApprovedSale s = { 0 };
      OffauthPayment p;

      g_assert_true (offauth_payment_parse_text (&p, text, -1, NULL));
      s.seq = d.sale_number;
      s.when = rp->now;
      memcpy (s.payment, p.raw, OFFAUTH_PAYMENT_SIZE);
      memcpy (s.hash, d.journal_hash, 32);
      g_array_append_val (rp->sales, s);
    }
  return !r->failed;
}

static gboolean
set_query_only (Replay *rp, gboolean on)
{
  return sqlite3_exec (_offauth_terminal_get_db (rp->terminal),
                       on ? "PRAGMA query_only = 1" : "PRAGMA query_only = 0", NULL, NULL, NULL) == SQLITE_OK;
}

static gboolean
run_step (Replay *rp, Record *r)
{
  g_autoptr(GError) error = NULL;
  const char *step = record_name (r);
  guint64 when = 0;
  gboolean ok;

  if (!get_u64 (r, "time", &when))
    return FALSE;
  rp->now = when;

  if (strcmp (step, "enroll") == 0)
    ok = step_enroll (rp, r);
  else if (strcmp (step, "revocations") == 0)
    {
      const char *list = rec_get (r, "list");
      ok = list != NULL && expect_ok (r, step, offauth_terminal_load_revocations (rp->terminal, list, &error),
                                      error);
    }
  else if (strcmp (step, "bundle") == 0)
    {
      const char *bundle = rec_get (r, "bundle");
      ok = bundle != NULL && expect_ok (r, step, offauth_terminal_load_bundle (rp->terminal, bundle, &error),
                                        error);
    }
  else if (strcmp (step, "restart") == 0)
    {
      offauth_terminal_free (rp->terminal);
      replay_open (rp);
      ok = expect_ok (r, step, TRUE, NULL);
    }
  else if (strcmp (step, "request") == 0)
    ok = step_request (rp, r);
  else if (strcmp (step, "authorize") == 0)
    ok = step_authorize (rp, r);
  else if (strcmp (step, "accept-clock") == 0)
    ok = expect_ok (r, step, offauth_terminal_accept_clock (rp->terminal, &error), error);
  else if (strcmp (step, "block") == 0)
    {
      guint8 id[16];
      const char *reason = rec_get (r, "reason");
      ok = get_hex_exact (r, "credential_id", id, 16) && reason != NULL &&
           expect_ok (r, step, offauth_terminal_add_negative (rp->terminal, id, reason, &error), error);
    }
  else if (strcmp (step, "config") == 0)
    {
      OffauthTerminalConfig config;
      ok = get_config (r, &config) &&
           expect_ok (r, step, offauth_terminal_set_config (rp->terminal, &config, &error), error);
    }
  else if (strcmp (step, "category-floor") == 0)
    {
      const char *category = rec_get (r, "category");
      guint64 floor_value = 0;
      ok = category != NULL && get_u64 (r, "floor", &floor_value) &&
           expect_ok (r, step, offauth_terminal_set_category_floor (rp->terminal, category, floor_value,
                                                                    &error), error);
    }
  else if (strcmp (step, "storage-full") == 0)
    ok = expect_ok (r, step, set_query_only (rp, TRUE), NULL);
  else if (strcmp (step, "storage-ok") == 0)
    ok = expect_ok (r, step, set_query_only (rp, FALSE), NULL);
  else
    {
      fail_at (r, "unknown step %s", step);
      return FALSE;
    }
  if (!r->failed)
    rec_done (r);
  return ok && !r->failed;
}

typedef struct
{
  guint64 rows;
  guint8  prev[32];
  GArray *sales;
  gchar  *problem;
} JournalWalk;

static gboolean
walk_row (guint64       seq,
          guint         kind,
          guint64       when,
          const guint8 *payload,
          gsize         payload_len,
          const guint8  hash[OFFAUTH_HASH_SIZE],
          gpointer      user_data)
{
  JournalWalk *w = user_data;
  g_autofree guint8 *record = g_malloc (9 + payload_len);
  guint8 h[32];

  if (seq != w->rows + 1)
    {
      w->problem = g_strdup_printf ("journal row %" G_GUINT64_FORMAT " follows row %" G_GUINT64_FORMAT,
                                    seq, w->rows);
      return FALSE;
    }
  record[0] = (guint8) kind;
  for (int i = 0; i < 8; i++)
    record[1 + i] = (guint8) (when >> (8 * i));
  if (payload_len > 0)
    memcpy (record + 9, payload, payload_len);
  spec_journal_hash (h, seq, w->prev, record, 9 + payload_len);
  if (memcmp (h, hash, 32) != 0)
    {
      w->problem = g_strdup_printf ("journal row %" G_GUINT64_FORMAT ": the engine's h_i is not "
                                    "PROTOCOL.md's chain hash", seq);
      return FALSE;
    }
  for (guint i = 0; i < w->sales->len; i++)
    {
      const ApprovedSale *s = &g_array_index (w->sales, ApprovedSale, i);
      if (s->seq != seq)
        continue;
      if (kind != OFFAUTH_RECORD_SALE_APPROVED || when != s->when ||
          payload_len != OFFAUTH_PAYMENT_SIZE + 1 || memcmp (payload, s->payment, OFFAUTH_PAYMENT_SIZE) != 0 ||
          payload[OFFAUTH_PAYMENT_SIZE] != OFFAUTH_MODE_OFFLINE || memcmp (hash, s->hash, 32) != 0)
        {
          w->problem = g_strdup_printf ("journal row %" G_GUINT64_FORMAT " is not kind 1, the time, "
                                        "payment || 0 and the hash of the sale approved", seq);
          return FALSE;
        }
    }
  memcpy (w->prev, h, 32);
  w->rows = seq;
  return TRUE;
}

/* After a scenario: the engine's journal follows PROTOCOL.md's chain and records each
 * approved sale; a checkpoint covers it; the database opens again and passes its check. */
static void
check_terminal_journal (Replay *rp, Record *header)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *ktext = NULL;
  JournalWalk w = { 0 };
  OffauthTerminalStatus st, st2;
  OffauthCheckpoint k;
  guint64 bad = 0;

  set_query_only (rp, FALSE);
  w.sales = rp->sales;
  g_assert_true (offauth_terminal_foreach_record (rp->terminal, 1, walk_row, &w, &error));
  if (w.problem != NULL)
    fail_at (header, "%s", w.problem);
  g_free (w.problem);
  if (!offauth_terminal_verify (rp->terminal, &bad, &error))
    fail_at (header, "the engine's journal check fails at row %" G_GUINT64_FORMAT ": %s", bad,
             error->message);
  g_clear_error (&error);
  offauth_terminal_get_status (rp->terminal, &st);
  if (st.journal_rows != w.rows || memcmp (st.journal_head, w.prev, 32) != 0)
    fail_at (header, "the journal head is not the last row's chain hash");
  if (st.n_sales != rp->sales->len)
    fail_at (header, "%" G_GUINT64_FORMAT " sales recorded, %u approved", st.n_sales, rp->sales->len);

  ktext = offauth_terminal_make_checkpoint (rp->terminal, &error);
  if (ktext == NULL || !offauth_checkpoint_parse_text (&k, ktext, NULL))
    fail_at (header, "no checkpoint: %s", error ? error->message : "it does not parse");
  else
    {
      if (memcmp (k.terminal_id, rp->terminal_id, 16) != 0 || k.seq != w.rows ||
          memcmp (k.chain_hash, w.prev, 32) != 0 || k.created_at != rp->now)
        fail_at (header, "the checkpoint does not name this terminal, its last row and chain hash");
      if (!spec_verify (k.raw + 72, "OA1.CHKP", k.raw, 72, rp->terminal_pk))
        fail_at (header, "the checkpoint's signature does not verify under the terminal key");
      if (!offauth_terminal_verify_checkpoint (rp->terminal, ktext, NULL, &error))
        fail_at (header, "the engine refuses its own checkpoint: %s", error->message);
    }

  offauth_terminal_free (rp->terminal);
  replay_open (rp);
  offauth_terminal_get_status (rp->terminal, &st2);
  if (st2.journal_rows != st.journal_rows || memcmp (st2.journal_head, st.journal_head, 32) != 0 ||
      st2.n_sales != st.n_sales || st2.unsettled_total != st.unsettled_total)
    fail_at (header, "the terminal reopened is not the same");
  offauth_terminal_status_clear (&st);
  offauth_terminal_status_clear (&st2);
}

static void
replay_scenario (const char *path, gboolean pending)
{
  g_autoptr(GPtrArray) records = read_records (path);
  g_autofree gchar *base = g_path_get_basename (path);
  Record *header;
  Replay *rp;
  const char *covers, *why;
  guint n_steps = 0;
  int nn;

  n_failures = 0;
  if (records == NULL)
    return;
  header = g_ptr_array_index (records, 0);
  if (strcmp (record_kind (header), "scenario") != 0)
    {
      fail_at (header, "a scenario file starts with a scenario record");
      return;
    }
  if (!g_str_has_suffix (base, ".vec") || strncmp (record_name (header), base, strlen (base) - 4) != 0 ||
      strlen (record_name (header)) != strlen (base) - 4)
    fail_at (header, "scenario is not the file's name");
  covers = rec_get (header, "covers");
  rec_get (header, "description");
  why = rec_opt (header, "pending");
  if ((why != NULL) != pending)
    fail_at (header, "a pending key is given in pending/ and only there");
  nn = (g_ascii_isdigit (base[0]) && g_ascii_isdigit (base[1]) && base[2] == '-') ?
         (base[0] - '0') * 10 + (base[1] - '0') : -1;
  if (covers == NULL || nn < 0 || nn >= OFFAUTH_N_REASONS ||
      strcmp (covers, offauth_reason_code ((OffauthReason) nn)) != 0 ||
      !g_str_has_prefix (base + 3, covers))
    fail_at (header, "a scenario file is NN-<reason>[-variant].vec, NN the reason's number, covers the reason");
  rec_done (header);
  if (header->failed)
    return;

  rp = replay_new ();
  for (guint i = 1; i < records->len; i++)
    {
      Record *r = g_ptr_array_index (records, i);

      if (strcmp (record_kind (r), "step") != 0)
        {
          fail_at (r, "only step records follow the scenario record");
          break;
        }
      n_steps++;
      if (!run_step (rp, r))
        {
          g_test_message ("%s: stopped at the step of line %u", base, r->line);
          break;
        }
    }
  if (n_failures == 0 && rp->enrolled)
    check_terminal_journal (rp, header);
  g_test_message ("%u steps, %u sales", n_steps, rp->sales->len);
  replay_free (rp);
}

static void
test_decision (gconstpointer data)
{
  replay_scenario (data, FALSE);
}

/* A vector whose expectation follows PROTOCOL.md where our engine does not (README.md):
 * replayed, and reported as a known failure (TAP "TODO") while it fails. */
static void
test_pending (gconstpointer data)
{
  pending_failures = g_string_new (NULL);
  replay_scenario (data, TRUE);
  if (pending_failures->len > 0)
    g_test_incomplete_printf ("the engine disagrees with PROTOCOL.md: %s", pending_failures->str);
  else
    g_test_message ("this pending vector passes now: move it to decisions/ in gen-vectors.c");
  g_string_free (g_steal_pointer (&pending_failures), TRUE);
}

/* /vectors/settlement/... (README.md, "Settlement scenarios"): every scenario replayed on
 * a new database of our reference acquirer (acquirer/), through the function its HTTP
 * server calls for POST /v1/sync, with the step's time as the acquirer's clock. */

typedef struct
{
  gchar            *dir;
  AcquirerDb       *db;
  OffauthSecretKey *key;
  GHashTable       *terminals;  /* name -> the terminal's public key (32 bytes) */
  GHashTable       *accounts;   /* name -> OffauthCredential */
  guint             step;
} SettleRun;

static void
settle_run_clear (SettleRun *run)
{
  g_clear_pointer (&run->db, acquirer_db_free);
  g_clear_pointer (&run->key, offauth_secret_key_free);
  g_clear_pointer (&run->terminals, g_hash_table_unref);
  g_clear_pointer (&run->accounts, g_hash_table_unref);
  if (run->dir != NULL)
    test_remove_dir (run->dir);
  g_clear_pointer (&run->dir, g_free);
}

/* The scenario's first record: the acquirer's key and the bundle it holds. */
static gboolean
settle_setup (SettleRun *run, Record *r, guint64 *setup_time)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = NULL;
  guint8 seed[32];
  OffauthBundle bundle;
  const char *text;

  rec_get (r, "covers");
  rec_get (r, "description");
  if (!get_u64 (r, "time", setup_time) || !get_hex_exact (r, "acquirer_seed", seed, sizeof seed))
    return FALSE;
  run->key = offauth_secret_key_from_seed (seed);
  check_b64 (r, "acquirer_public_key", "crypto_sign_seed_keypair", run->key->pk, 32);
  if ((text = rec_get (r, "bundle")) == NULL)
    return FALSE;
  if (!offauth_bundle_parse_text (&bundle, text, &error) ||
      !offauth_bundle_verify (&bundle, bundle.root_public_key))
    {
      fail_at (r, "bundle: does not parse or verify under its root");
      return FALSE;
    }
  run->dir = test_tmp_dir (NULL, "oa1-settlement");
  path = g_build_filename (run->dir, "acquirer.db", NULL);
  if ((run->db = acquirer_db_open (path, TRUE, &error)) == NULL ||
      !acquirer_db_begin (run->db, &error) || !acquirer_db_put_bundle (run->db, &bundle, &error) ||
      !acquirer_db_commit (run->db, &error))
    {
      fail_at (r, "the acquirer's database: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
settle_terminal (SettleRun *run, Record *r, guint64 setup_time)
{
  g_autoptr(GError) error = NULL;
  AcquirerTerminal t = { 0 };
  const char *pk = rec_get (r, "public_key"), *merchant = rec_get (r, "merchant_id");
  guint64 scope;
  gboolean existed;

  if (pk == NULL || merchant == NULL || !get_u64 (r, "scope", &scope) ||
      !offauth_b64_decode_exact (pk, strlen (pk), t.public_key, sizeof t.public_key))
    {
      fail_at (r, "terminal: public_key, merchant_id and scope needed");
      return;
    }
  offauth_terminal_id_from_key (t.terminal_id, t.public_key);
  check_hex (r, "terminal_id", "H(public_key)", t.terminal_id, sizeof t.terminal_id);
  g_strlcpy (t.merchant_id, merchant, sizeof t.merchant_id);
  t.scope = (guint32) scope;
  t.registered_at = setup_time;
  if (!acquirer_db_begin (run->db, &error) ||
      !acquirer_db_register_terminal (run->db, &t, FALSE, &existed, &error) ||
      !acquirer_db_commit (run->db, &error))
    fail_at (r, "registering the terminal: %s", error->message);
  g_hash_table_insert (run->terminals, g_strdup (record_name (r)),
                       g_memdup2 (t.public_key, sizeof t.public_key));
}

static void
settle_topup (SettleRun *run, Record *r, const OffauthCredential *cred, guint64 amount,
              guint64 now)
{
  g_autoptr(GError) error = NULL;
  AcquirerTopup result;

  if (!acquirer_topup (run->db, run->key, NULL, cred, amount, now, &result, &error))
    fail_at (r, "step %u: the top-up fails: %s", run->step, error->message);
}

static void
settle_account (SettleRun *run, Record *r, guint64 setup_time)
{
  g_autoptr(GError) error = NULL;
  OffauthCredential *cred = g_new0 (OffauthCredential, 1);
  const char *text = rec_get (r, "credential");
  guint64 balance;

  g_hash_table_insert (run->accounts, g_strdup (record_name (r)), cred);
  if (text == NULL || !get_u64 (r, "balance", &balance))
    return;
  if (!offauth_credential_parse_text (cred, text, &error))
    fail_at (r, "credential: %s", error->message);
  else if (balance > 0)
    settle_topup (run, r, cred, balance, setup_time);
}

/* balance.NAME of every account, after the step. */
static void
settle_balances (SettleRun *run, Record *r, const char *who)
{
  GHashTableIter iter;
  gpointer name, cred;

  g_hash_table_iter_init (&iter, run->accounts);
  while (g_hash_table_iter_next (&iter, &name, &cred))
    {
      g_autoptr(GError) error = NULL;
      g_autofree gchar *key = g_strdup_printf ("balance.%s", (const char *) name);
      guint64 balance = 0;
      gboolean exists;

      if (!acquirer_db_balance (run->db, ((OffauthCredential *) cred)->raw, &balance, &exists,
                                &error))
        fail_at (r, "%s: %s", key, error->message);
      else
        check_u64 (r, key, who, balance);
    }
}

static void
settle_sync (SettleRun *run, Record *r, guint64 now, const char *who)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncRequest) u = NULL;
  g_autoptr(OffauthSyncAnswer) a = NULL;
  const char *term = rec_get (r, "terminal"), *text = rec_get (r, "request");
  const guint8 *pk = term != NULL ? g_hash_table_lookup (run->terminals, term) : NULL;
  AcquirerSyncStatus status;
  const guint8 *raw;
  guint8 h[32];
  gsize len;

  if (text == NULL || pk == NULL ||
      (u = offauth_sync_request_parse_text (text, -1, &error)) == NULL)
    {
      fail_at (r, "step %u: a registered terminal and a request that parses are needed%s%s",
               run->step, error ? ": " : "", error ? error->message : "");
      return;
    }
  if (!offauth_sync_request_verify (u, run->key->pk, pk))
    fail_at (r, "step %u: request: the terminal's signature does not verify", run->step);
  raw = g_bytes_get_data (u->raw, &len);
  blake (h, raw, len, NULL, 0);
  check_hex (r, "request_hash", "H(request)", h, sizeof h);
  if (!acquirer_sync_handle (run->db, run->key, NULL, now, u, &status, &a, &error))
    {
      fail_at (r, "step %u: the acquirer fails: %s", run->step, error->message);
      return;
    }
  check_u64 (r, "status", who, status == ACQUIRER_SYNC_ANSWERED ? 200
                                : status == ACQUIRER_SYNC_FORK ? 409 : 403);
  if (a == NULL)
    return;
  raw = g_bytes_get_data (a->raw, &len);
  if (!spec_verify (raw + len - 64, "OA1.ACKN", raw, len - 64, run->key->pk))
    fail_at (r, "step %u: the answer's signature does not verify under the acquirer key",
             run->step);
  if (memcmp (a->request_hash, h, sizeof h) != 0)
    fail_at (r, "step %u: the answer's request_hash is not H(request)", run->step);
  if (memcmp (a->terminal_id, u->terminal_id, sizeof u->terminal_id) != 0)
    fail_at (r, "step %u: the answer's terminal_id is not the request's", run->step);
  check_u64 (r, "acked_seq", who, a->acked_seq);
  check_hex (r, "h_acked", who, a->h_acked, sizeof a->h_acked);
  check_u64 (r, "acquirer_time", who, a->acquirer_time);
  check_u64 (r, "verdict_cursor", who, a->verdict_cursor);
  check_u64 (r, "flags", who, a->flags);
  check_u64 (r, "n", who, a->n_verdicts);
  for (guint i = 0; i < a->n_verdicts; i++)
    {
      const OffauthVerdict *v = &a->verdicts[i];
#define VK(f) g_autofree gchar *k_##f = g_strdup_printf ("verdict.%u." #f, i)
      VK (sale_seq); VK (sale_id); VK (state); VK (reason); VK (attempt); VK (retry_after);
#undef VK
      if (rec_opt (r, k_sale_seq) == NULL)
        {
          fail_at (r, "step %u: %s gives a verdict %u (sale_seq %" G_GUINT64_FORMAT
                   ") the vector does not have", run->step, who, i, v->sale_seq);
          continue;
        }
      check_u64 (r, k_sale_seq, who, v->sale_seq);
      check_hex (r, k_sale_id, who, v->sale_id, sizeof v->sale_id);
      check_u64 (r, k_state, who, v->state);
      check_u64 (r, k_reason, who, v->reason);
      check_u64 (r, k_attempt, who, v->attempt);
      check_u64 (r, k_retry_after, who, v->retry_after);
    }
  blake (h, raw, len, NULL, 0);
  check_hex (r, "answer_hash", who, h, sizeof h);
  {
    g_autofree gchar *answer = offauth_text_encode ('A', raw, len);
    check_str (r, "answer", who, answer);
  }
}

static void
test_settlement (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GPtrArray) records = read_records (path);
  SettleRun run = { 0 };
  guint64 setup_time = 0;

  if (records == NULL)
    return;
  run.terminals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  run.accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < records->len; i++)
    {
      Record *r = g_ptr_array_index (records, i);
      const char *kind = record_kind (r);

      if (i == 0)
        {
          g_autofree gchar *base = g_path_get_basename (path);
          if (strcmp (kind, "scenario") != 0 || !g_str_has_prefix (base, record_name (r)) ||
              strlen (base) != strlen (record_name (r)) + 4)
            fail_at (r, "the first record is `scenario: <the file name without .vec>`");
          if (!settle_setup (&run, r, &setup_time))
            break;
        }
      else if (strcmp (kind, "terminal") == 0 && run.step == 0)
        settle_terminal (&run, r, setup_time);
      else if (strcmp (kind, "account") == 0 && run.step == 0)
        settle_account (&run, r, setup_time);
      else if (strcmp (kind, "step") == 0)
        {
          const char *step = record_name (r);
          g_autofree gchar *who = NULL;
          guint64 now;

          who = g_strdup_printf ("our acquirer at step %u (%s)", ++run.step, step);
          if (!get_u64 (r, "time", &now))
            continue;
          if (strcmp (step, "sync") == 0)
            settle_sync (&run, r, now, who);
          else if (strcmp (step, "topup") == 0)
            {
              const char *name = rec_get (r, "account");
              const OffauthCredential *cred =
                name != NULL ? g_hash_table_lookup (run.accounts, name) : NULL;
              guint64 amount;

              if (cred == NULL || !get_u64 (r, "amount", &amount))
                fail_at (r, "step %u: topup: an account of the scenario and an amount needed",
                         run.step);
              else
                settle_topup (&run, r, cred, amount, now);
            }
          else
            fail_at (r, "step %u: unknown step %s", run.step, step);
          settle_balances (&run, r, who);
        }
      else
        fail_at (r, "unknown record %s (set-up records come before the steps)", kind);
      rec_done (r);
    }
  settle_run_clear (&run);
}

/* /vectors/coverage */

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
vec_files (const char *subdir)
{
  g_autofree gchar *dir_path = g_build_filename (vectors_dir, subdir, NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".vec"))
      g_ptr_array_add (out, g_build_filename (dir_path, name, NULL));
  g_ptr_array_sort (out, compare_paths);
  return out;
}

static void
test_coverage (void)
{
  g_autoptr(GPtrArray) files = vec_files ("decisions");
  gboolean covered[OFFAUTH_N_REASONS] = { FALSE };
  gboolean approved = FALSE, again = FALSE;

  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autoptr(GPtrArray) records = read_records (path);
      g_autofree gchar *base = g_path_get_basename (path);
      const char *covers;
      OffauthReason reason;

      if (records == NULL || records->len == 0)
        continue;
      covers = rec_opt (g_ptr_array_index (records, 0), "covers");
      reason = covers ? offauth_reason_from_code (covers) : OFFAUTH_N_REASONS;
      for (guint j = 1; j < records->len && reason != OFFAUTH_N_REASONS; j++)
        {
          const char *expect = rec_opt (g_ptr_array_index (records, j), "expect");
          g_autofree gchar *refused = g_strdup_printf ("refused %s", covers);

          if (g_strcmp0 (expect, refused) == 0 && reason != OFFAUTH_REASON_NONE)
            covered[reason] = TRUE;
          if (reason == OFFAUTH_REASON_NONE && g_strcmp0 (expect, "approved") == 0)
            approved = TRUE;
          if (reason == OFFAUTH_REASON_NONE && g_strcmp0 (expect, "approved-again") == 0)
            again = TRUE;
        }
    }
  for (int i = 1; i < OFFAUTH_N_REASONS; i++)
    if (!covered[i])
      g_test_fail_printf ("no decisions/%02d-%s*.vec refuses a payment or request with %s", i,
                          offauth_reason_code ((OffauthReason) i), offauth_reason_code ((OffauthReason) i));
  if (!approved || !again)
    g_test_fail_printf ("no decisions/00-approved*.vec with both approved and approved-again steps");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc != 3)
    {
      g_printerr ("Usage: %s [--tap] GEN_VECTORS VECTORS_DIR\n", argv[0]);
      return 2;
    }
  gen_path = argv[1];
  vectors_dir = argv[2];
  g_assert_true (offauth_init ());

  g_test_add_func ("/vectors/reproducible", test_reproducible);
  g_test_add_func ("/vectors/messages", test_messages);
  g_test_add_func ("/vectors/invalid", test_invalid);
  for (int pending = 0; pending < 2; pending++)
    {
      const char *subdir = pending ? "pending" : "decisions";
      GPtrArray *files = vec_files (subdir);

      for (guint i = 0; i < files->len; i++)
        {
          const char *path = g_ptr_array_index (files, i);
          g_autofree gchar *base = g_path_get_basename (path);
          g_autofree gchar *test_path = g_strdup_printf ("/vectors/%s/%.*s", subdir, (int) strlen (base) - 4,
                                                         base);

          g_test_add_data_func (test_path, path, pending ? test_pending : test_decision);
        }
      /* The paths stay in use until the tests have run. */
      g_ptr_array_set_free_func (files, NULL);
      g_ptr_array_unref (files);
    }
  {
    g_autoptr(GPtrArray) files = vec_files ("settlement");

    for (guint i = 0; i < files->len; i++)
      {
        const char *path = g_ptr_array_index (files, i);
        g_autofree gchar *base = g_path_get_basename (path);
        g_autofree gchar *test_path = g_strdup_printf ("/vectors/settlement/%.*s",
                                                       (int) strlen (base) - 4, base);

        g_test_add_data_func (test_path, path, test_settlement);
      }
    /* The paths stay in use until the tests have run. */
    g_ptr_array_set_free_func (files, NULL);
  }
  g_test_add_func ("/vectors/coverage", test_coverage);
  return g_test_run ();
}
