/* bench-bare.c: the bare cost of an authorization (two Ed25519 verifications and one
 * synchronous SQLite commit), measured beside every figure of the benchmarks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "bench"

#include "config.h"

#include <stdlib.h>

#include <sodium.h>

#include "bench-bare.h"

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

BenchFigures
bench_figures (GArray *samples)
{
  BenchFigures f = { 0 };
  double sum = 0;

  if (samples->len == 0)
    return f;
  qsort (samples->data, samples->len, sizeof (double), compare_doubles);
  for (guint i = 0; i < samples->len; i++)
    sum += g_array_index (samples, double, i);
  f.p50 = g_array_index (samples, double, samples->len / 2);
  f.p99 = g_array_index (samples, double, (samples->len * 99) / 100);
  f.mean = sum / samples->len;
  return f;
}

void
bench_bare_init (BenchBare  *b,
                 const char *dir)
{
  g_autofree gchar *path = g_build_filename (dir, "bare.db", NULL);
  guint8 sk[64];

  g_assert (sqlite3_open (path, &b->db) == SQLITE_OK);
  g_assert (sqlite3_exec (b->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)",
                          NULL, NULL, NULL) == SQLITE_OK);
  g_assert (sqlite3_prepare_v2 (b->db, "INSERT INTO t (v) VALUES (?1)", -1, &b->insert,
                                NULL) == SQLITE_OK);
  randombytes_buf (b->msg, sizeof b->msg);
  randombytes_buf (b->row, sizeof b->row);
  crypto_sign_keypair (b->pk1, sk);
  crypto_sign_detached (b->sig1, NULL, b->msg, sizeof b->msg, sk);
  crypto_sign_keypair (b->pk2, sk);
  crypto_sign_detached (b->sig2, NULL, b->msg, 8 + 108, sk);
}

void
bench_bare_clear (BenchBare *b)
{
  g_clear_pointer (&b->insert, sqlite3_finalize);
  g_clear_pointer (&b->db, sqlite3_close);
}

double
bench_bare_verify (BenchBare *b)
{
  gint64 start = g_get_monotonic_time ();

  if (crypto_sign_verify_detached (b->sig1, b->msg, sizeof b->msg, b->pk1) != 0 ||
      crypto_sign_verify_detached (b->sig2, b->msg, 8 + 108, b->pk2) != 0)
    g_error ("bare verification failed");
  return (double) (g_get_monotonic_time () - start);
}

double
bench_bare_commit (BenchBare *b)
{
  gint64 start = g_get_monotonic_time ();

  sqlite3_exec (b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  sqlite3_bind_blob (b->insert, 1, b->row, sizeof b->row, SQLITE_STATIC);
  if (sqlite3_step (b->insert) != SQLITE_DONE)
    g_error ("bare insert failed");
  sqlite3_reset (b->insert);
  if (sqlite3_exec (b->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    g_error ("bare commit failed");
  return (double) (g_get_monotonic_time () - start);
}

double
bench_bare_once (BenchBare *b)
{
  return bench_bare_verify (b) + bench_bare_commit (b);
}
