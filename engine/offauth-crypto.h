/* offauth-crypto.h: hashing, key ids, tagged Ed25519 signatures and secret key files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OFFAUTH_PK_SIZE     32
#define OFFAUTH_SK_SIZE     64
#define OFFAUTH_SEED_SIZE   32
#define OFFAUTH_SIG_SIZE    64
#define OFFAUTH_HASH_SIZE   32
#define OFFAUTH_KEY_ID_SIZE 8
#define OFFAUTH_TAG_SIZE    8

#define OFFAUTH_TAG_CRED "OA1.CRED"
#define OFFAUTH_TAG_PAYM "OA1.PAYM"
#define OFFAUTH_TAG_TRST "OA1.TRST"
#define OFFAUTH_TAG_REVK "OA1.REVK"
#define OFFAUTH_TAG_CHKP "OA1.CHKP"
#define OFFAUTH_TAG_JRNL "OA1.JRNL"
#define OFFAUTH_TAG_UPLD "OA1.UPLD"
#define OFFAUTH_TAG_ACKN "OA1.ACKN"
#define OFFAUTH_TAG_ONLN "OA1.ONLN"
#define OFFAUTH_TAG_DECN "OA1.DECN"

#define OFFAUTH_ERROR (offauth_error_quark ())

typedef enum
{
  OFFAUTH_ERROR_MALFORMED,     /* bytes or text not as the wire format requires */
  OFFAUTH_ERROR_BAD_SIGNATURE, /* a signature does not verify */
  OFFAUTH_ERROR_ROLLBACK,      /* older or equal sequence, or a foreign root */
  OFFAUTH_ERROR_UNTRUSTED,     /* fingerprint mismatch, unknown key, clock ahead */
  OFFAUTH_ERROR_IO,            /* a file could not be read or written */
  OFFAUTH_ERROR_STORAGE,       /* the database failed */
  OFFAUTH_ERROR_TAMPERED,      /* the journal or derived tables disagree */
  OFFAUTH_ERROR_STATE,         /* the operation is not possible in this state */
  OFFAUTH_ERROR_INVALID,       /* bad argument (usage) */
} OffauthError;

GQuark    offauth_error_quark      (void);

gboolean  offauth_init             (void);

void      offauth_hash             (guint8        out[OFFAUTH_HASH_SIZE],
                                    const void   *data,
                                    gsize         len);
void      offauth_key_id           (guint8        out[OFFAUTH_KEY_ID_SIZE],
                                    const guint8  pk[OFFAUTH_PK_SIZE]);
void      offauth_sign             (guint8        sig[OFFAUTH_SIG_SIZE],
                                    const char   *tag,
                                    const guint8 *body,
                                    gsize         len,
                                    const guint8 *sk);
gboolean  offauth_verify           (const guint8 *sig,
                                    const char   *tag,
                                    const guint8 *body,
                                    gsize         len,
                                    const guint8 *pk);

/* Secret keys live in sodium_malloc() memory: guarded pages, wiped on free. */
typedef struct _OffauthSecretKey OffauthSecretKey;
struct _OffauthSecretKey
{
  guint8 sk[OFFAUTH_SK_SIZE];
  guint8 pk[OFFAUTH_PK_SIZE];
};

OffauthSecretKey *offauth_secret_key_generate  (void);
OffauthSecretKey *offauth_secret_key_from_seed (const guint8      seed[OFFAUTH_SEED_SIZE]);
OffauthSecretKey *offauth_secret_key_load      (const char        *path,
                                                GError           **error);
/* A seed in base64url after a fixed header, then LF or the end of the first line. */
OffauthSecretKey *offauth_secret_key_load_prefixed (const char    *path,
                                                const char        *header,
                                                GError           **error);
gboolean          offauth_secret_key_save      (const OffauthSecretKey *key,
                                                const char        *path,
                                                GError           **error);
void              offauth_secret_key_free      (OffauthSecretKey  *key);

gboolean  offauth_write_file_atomic (const char   *path,
                                     const void   *data,
                                     gsize         len,
                                     int           mode,
                                     GError      **error);

gchar    *offauth_hex               (const guint8 *data,
                                     gsize         len);
gboolean  offauth_unhex             (const char   *hex,
                                     guint8       *out,
                                     gsize         len);
gchar    *offauth_b64_encode        (const guint8 *data,
                                     gsize         len);
gboolean  offauth_b64_decode_exact  (const char   *text,
                                     gsize         text_len,
                                     guint8       *out,
                                     gsize         len);
gchar    *offauth_root_fingerprint  (const guint8  root_pk[OFFAUTH_PK_SIZE]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthSecretKey, offauth_secret_key_free)

G_END_DECLS
