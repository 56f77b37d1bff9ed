/* acquirer-db.h: the acquirer's SQLite file: terminals, payer accounts, settings.
 *
 * Errors are OFFAUTH_ERROR_STORAGE (the database failed), OFFAUTH_ERROR_STATE or
 * OFFAUTH_ERROR_INVALID, so that the tools report them like the engine's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"

G_BEGIN_DECLS

typedef struct _AcquirerDb AcquirerDb;

/* A registered terminal. from_seq and from_hash: the row up to which an earlier acquirer
 * acknowledged the terminal's chain (0 and zeros for a terminal new to acquirers). */
typedef struct
{
  guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint8  public_key[OFFAUTH_PK_SIZE];
  char    merchant_id[OFFAUTH_MERCHANT_ID_SIZE + 1];
  guint32 scope;
  guint64 from_seq;
  guint8  from_hash[OFFAUTH_HASH_SIZE];
  guint64 registered_at;
} AcquirerTerminal;

/* The payer accounts of one currency. */
typedef struct
{
  char    currency[4];
  guint64 count;
  guint64 balance;
} AcquirerAccountTotal;

/* create: make the file and its schema (init); otherwise the file must exist. */
AcquirerDb *acquirer_db_open             (const char              *path,
                                          gboolean                 create,
                                          GError                 **error);
void        acquirer_db_free             (AcquirerDb              *db);

/* One durable transaction (BEGIN IMMEDIATE ... COMMIT, synchronous=FULL). */
gboolean    acquirer_db_begin            (AcquirerDb              *db,
                                          GError                 **error);
gboolean    acquirer_db_commit           (AcquirerDb              *db,
                                          GError                 **error);
void        acquirer_db_rollback         (AcquirerDb              *db);

gboolean    acquirer_db_set_setting      (AcquirerDb              *db,
                                          const char              *name,
                                          const char              *value,
                                          GError                 **error);
/* NULL without an error when the setting is absent. */
gchar      *acquirer_db_get_setting      (AcquirerDb              *db,
                                          const char              *name,
                                          GError                 **error);

/* Inside a transaction. *existed tells whether the key was registered already; an
 * existing registration is replaced only when replace is TRUE (else OFFAUTH_ERROR_STATE). */
gboolean    acquirer_db_register_terminal (AcquirerDb             *db,
                                          const AcquirerTerminal  *terminal,
                                          gboolean                 replace,
                                          gboolean                *existed,
                                          GError                 **error);
/* Every registered terminal, by merchant then terminal id. */
GArray     *acquirer_db_terminals        (AcquirerDb              *db,
                                          GError                 **error);

/* The whole credentials (172 bytes each, concatenated) of the accounts whose credential
 * has this id: usually one; more when credentials share an id. */
GBytes     *acquirer_db_credentials_by_id (AcquirerDb             *db,
                                          const guint8             credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                                          GError                 **error);
/* Inside a transaction: credits the account of the whole credential, creating it, and
 * keeps the top-up in the ledger. */
gboolean    acquirer_db_credit           (AcquirerDb              *db,
                                          const OffauthCredential *credential,
                                          guint64                  amount,
                                          guint64                  now,
                                          guint64                 *balance,
                                          gboolean                *created,
                                          GError                 **error);
/* Per currency: how many accounts and their balances. */
GArray     *acquirer_db_account_totals   (AcquirerDb              *db,
                                          GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AcquirerDb, acquirer_db_free)

G_END_DECLS
