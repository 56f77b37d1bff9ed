/* offauth-crypto.c: hashes, key ids, Ed25519 over tagged bodies, key files, hex, base64url.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "offauth-crypto.h"

#define SECRET_KEY_HEADER "OA1-ED25519-SECRET-SEED\n"

G_DEFINE_QUARK (offauth-error-quark, offauth_error)

gboolean
offauth_init (void)
{
  return sodium_init () >= 0;
}

void
offauth_hash (guint8      out[OFFAUTH_HASH_SIZE],
              const void *data,
              gsize       len)
{
  crypto_generichash (out, OFFAUTH_HASH_SIZE, data, len, NULL, 0);
}

void
offauth_key_id (guint8       out[OFFAUTH_KEY_ID_SIZE],
                const guint8 pk[OFFAUTH_PK_SIZE])
{
  guint8 h[OFFAUTH_HASH_SIZE];

  /* The first 8 bytes of the 32-byte hash, not an 8-byte BLAKE2b. */
  offauth_hash (h, pk, OFFAUTH_PK_SIZE);
  memcpy (out, h, OFFAUTH_KEY_ID_SIZE);
}

/* Messages signed by the hot path (payments, credentials) are small: sign them from a
 * stack buffer; trust bundles and revocation lists may be large and go to the heap. */
#define STACK_MESSAGE 512

void
offauth_sign (guint8        sig[OFFAUTH_SIG_SIZE],
              const char   *tag,
              const guint8 *body,
              gsize         len,
              const guint8 *sk)
{
  guint8 stack_buf[STACK_MESSAGE];
  guint8 *buf = len + OFFAUTH_TAG_SIZE <= sizeof stack_buf ? stack_buf
                                                            : g_malloc (len + OFFAUTH_TAG_SIZE);

  memcpy (buf, tag, OFFAUTH_TAG_SIZE);
  memcpy (buf + OFFAUTH_TAG_SIZE, body, len);
  crypto_sign_detached (sig, NULL, buf, len + OFFAUTH_TAG_SIZE, sk);
  if (buf != stack_buf)
    g_free (buf);
}

gboolean
offauth_verify (const guint8 *sig,
                const char   *tag,
                const guint8 *body,
                gsize         len,
                const guint8 *pk)
{
  guint8 stack_buf[STACK_MESSAGE];
  guint8 *buf = len + OFFAUTH_TAG_SIZE <= sizeof stack_buf ? stack_buf
                                                            : g_malloc (len + OFFAUTH_TAG_SIZE);
  int rc;

  memcpy (buf, tag, OFFAUTH_TAG_SIZE);
  memcpy (buf + OFFAUTH_TAG_SIZE, body, len);
  rc = crypto_sign_verify_detached (sig, buf, len + OFFAUTH_TAG_SIZE, pk);
  if (buf != stack_buf)
    g_free (buf);
  return rc == 0;
}

static OffauthSecretKey *
secret_key_alloc (void)
{
  OffauthSecretKey *key = sodium_malloc (sizeof *key);

  if (key == NULL)
    g_error ("sodium_malloc failed");
  return key;
}

OffauthSecretKey *
offauth_secret_key_generate (void)
{
  OffauthSecretKey *key = secret_key_alloc ();

  crypto_sign_keypair (key->pk, key->sk);
  return key;
}

OffauthSecretKey *
offauth_secret_key_from_seed (const guint8 seed[OFFAUTH_SEED_SIZE])
{
  OffauthSecretKey *key = secret_key_alloc ();

  crypto_sign_seed_keypair (key->pk, key->sk, seed);
  return key;
}

void
offauth_secret_key_free (OffauthSecretKey *key)
{
  /* sodium_free wipes the memory before releasing it. */
  if (key != NULL)
    sodium_free (key);
}

OffauthSecretKey *
offauth_secret_key_load_prefixed (const char  *path,
                                  const char  *header,
                                  GError     **error)
{
  guint8 seed[OFFAUTH_SEED_SIZE];
  char buf[256];
  struct stat st;
  ssize_t n;
  gsize hlen = strlen (header);
  gsize b64_len = sodium_base64_ENCODED_LEN (OFFAUTH_SEED_SIZE, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
  OffauthSecretKey *key = NULL;
  int fd;

  g_return_val_if_fail (hlen + b64_len < sizeof buf, NULL);

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO,
                   "Cannot open secret key %s: %s", path, g_strerror (saved));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid ())
    {
      close (fd);
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO,
                   "Secret key %s is not a regular file of this user", path);
      return NULL;
    }
  if ((st.st_mode & 077) != 0)
    {
      close (fd);
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO,
                   "Secret key %s is readable by others (mode %03o); run chmod 600 on it",
                   path, (unsigned) (st.st_mode & 0777));
      return NULL;
    }
  n = read (fd, buf, hlen + b64_len + 1);
  close (fd);
  if (n >= 0 && (gsize) n >= hlen + b64_len && memcmp (buf, header, hlen) == 0 &&
      ((gsize) n == hlen + b64_len || buf[hlen + b64_len] == '\n') &&
      offauth_b64_decode_exact (buf + hlen, b64_len, seed, sizeof seed))
    key = offauth_secret_key_from_seed (seed);
  else
    g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED, "%s is not an OA1 secret key file", path);
  sodium_memzero (seed, sizeof seed);
  sodium_memzero (buf, sizeof buf);
  return key;
}

OffauthSecretKey *
offauth_secret_key_load (const char  *path,
                         GError     **error)
{
  return offauth_secret_key_load_prefixed (path, SECRET_KEY_HEADER, error);
}

gboolean
offauth_secret_key_save (const OffauthSecretKey  *key,
                         const char              *path,
                         GError                 **error)
{
  char b64[sodium_base64_ENCODED_LEN (OFFAUTH_SEED_SIZE, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  char buf[128];
  gboolean ok;
  int len;

  /* The seed is the first half of libsodium's secret key. */
  sodium_bin2base64 (b64, sizeof b64, key->sk, OFFAUTH_SEED_SIZE,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  len = g_snprintf (buf, sizeof buf, "%s%s\n", SECRET_KEY_HEADER, b64);
  ok = offauth_write_file_atomic (path, buf, (gsize) len, 0600, error);
  sodium_memzero (buf, sizeof buf);
  sodium_memzero (b64, sizeof b64);
  return ok;
}

gboolean
offauth_write_file_atomic (const char  *path,
                           const void  *data,
                           gsize        len,
                           int          mode,
                           GError     **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.tmp-XXXXXX", path);
  g_autofree char *dir = g_path_get_dirname (path);
  const guint8 *p = data;
  gsize done = 0;
  int fd, dfd;

  /* mkstemp creates the file with mode 0600, so a secret is never readable by others,
   * not even for a moment; other modes are set before the rename. */
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    goto fail;
  while (done < len)
    {
      ssize_t n = write (fd, p + done, len - done);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          goto fail_fd;
        }
      done += (gsize) n;
    }
  if (mode != 0600 && fchmod (fd, (mode_t) mode) != 0)
    goto fail_fd;
  if (fsync (fd) != 0)
    goto fail_fd;
  if (close (fd) != 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (g_rename (tmp, path) != 0)
    goto fail;
  dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  return TRUE;

fail_fd:
  {
    int saved = errno;
    close (fd);
    errno = saved;
  }
fail:
  {
    int saved = errno;
    g_unlink (tmp);
    g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO,
                 "Cannot write %s: %s", path, g_strerror (saved));
  }
  return FALSE;
}

gchar *
offauth_hex (const guint8 *data,
             gsize         len)
{
  gchar *out = g_malloc (len * 2 + 1);

  sodium_bin2hex (out, len * 2 + 1, data, len);
  return out;
}

gboolean
offauth_unhex (const char *hex,
               guint8     *out,
               gsize       len)
{
  size_t bin_len = 0;
  const char *end = NULL;

  if (hex == NULL || strlen (hex) != len * 2)
    return FALSE;
  for (gsize i = 0; i < len * 2; i++)
    if (!g_ascii_isxdigit (hex[i]))
      return FALSE;
  if (sodium_hex2bin (out, len, hex, len * 2, NULL, &bin_len, &end) != 0)
    return FALSE;
  return bin_len == len && end == hex + len * 2;
}

gchar *
offauth_b64_encode (const guint8 *data,
                    gsize         len)
{
  gsize out_len = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  gchar *out = g_malloc (out_len);

  sodium_bin2base64 (out, out_len, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

/* Decodes base64url without padding into exactly len bytes; anything else is refused:
 * other characters, padding, non-zero unused bits, or a different length. */
gboolean
offauth_b64_decode_exact (const char *text,
                          gsize       text_len,
                          guint8     *out,
                          gsize       len)
{
  size_t bin_len = 0;
  const char *end = NULL;

  if (text_len != sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1)
    return FALSE;
  /* libsodium 1.0.18 reads the text as signed chars: bytes 0x80-0xFF decode as '_'.
   * Only the alphabet itself is let through. */
  for (gsize i = 0; i < text_len; i++)
    if (!(g_ascii_isalnum (text[i]) || text[i] == '-' || text[i] == '_'))
      return FALSE;
  if (sodium_base642bin (out, len, text, text_len, NULL, &bin_len, &end,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return FALSE;
  return bin_len == len && end == text + text_len;
}

gchar *
offauth_root_fingerprint (const guint8 root_pk[OFFAUTH_PK_SIZE])
{
  guint8 h[OFFAUTH_HASH_SIZE];

  offauth_hash (h, root_pk, OFFAUTH_PK_SIZE);
  return offauth_hex (h, sizeof h);
}
