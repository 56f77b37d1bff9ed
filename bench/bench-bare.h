/* bench-bare.h: the bare cost every benchmark compares against, measured in the same run
 * (two Ed25519 verifications, one synchronous SQLite commit), and percentiles of samples.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "offauth.h"

G_BEGIN_DECLS

typedef struct
{
  double p50, p99, mean;
} BenchFigures;

/* Sorts samples and gives their median, 99th percentile and mean. */
BenchFigures bench_figures     (GArray       *samples);

typedef struct
{
  sqlite3      *db;
  sqlite3_stmt *insert;
  guint8        msg[8 + OFFAUTH_PAYMENT_SIGNED];
  guint8        sig1[64], sig2[64];
  guint8        pk1[32], pk2[32];
  guint8        row[1 + 8 + OFFAUTH_PAYMENT_SIZE + 1];
} BenchBare;

/* A database of its own (bare.db in dir: WAL, synchronous=FULL) and two signed messages of
 * the payment's and the credential's size. */
void         bench_bare_init   (BenchBare    *b,
                                const char   *dir);
void         bench_bare_clear  (BenchBare    *b);
/* Microseconds of the two verifications. */
double       bench_bare_verify (BenchBare    *b);
/* Microseconds of one commit of one row of a sale record's size. */
double       bench_bare_commit (BenchBare    *b);
/* Both: the least any authorization must do. */
double       bench_bare_once   (BenchBare    *b);

G_END_DECLS
