/* faultvfs.h: a SQLite VFS for tests that wraps the default (unix) one and fails chosen
 * writes, fsyncs or write locks, as a failing disk would.
 *
 * fault_vfs_register() makes it the default VFS of the process, so that a terminal opened
 * afterwards (by the engine, unchanged) goes through it. It does nothing until armed:
 * either the nth call of an operation from now fails once (fault_vfs_fail_nth), or every
 * call of the chosen operations fails with a probability (fault_vfs_fail_random). A fork()
 * child inherits the state and may arm it on its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FAULT_VFS_WRITE   = 1 << 0,  /* xWrite of any file: SQLITE_IOERR_WRITE */
  FAULT_VFS_SYNC    = 1 << 1,  /* xSync of any file: SQLITE_IOERR_FSYNC (EIO from fsync) */
  FAULT_VFS_SHMLOCK = 1 << 2,  /* the WAL's write lock, taken when a write transaction
                                * begins: SQLITE_IOERR_SHMLOCK, before anything is written */
} FaultVfsOp;

/* Registers the VFS as the process's default; calling it again does nothing. */
void     fault_vfs_register    (void);
/* The nth call (1 = the next one) of op from now fails, once. */
void     fault_vfs_fail_nth    (FaultVfsOp  op,
                                guint       n);
/* From now on each call of one of ops fails with probability 1/one_in; the other
 * operations keep their rates. Seeds (again) the one random sequence of all operations. */
void     fault_vfs_fail_random (guint       ops,
                                guint       one_in,
                                guint32     seed);
/* Disarms and sets the counts to 0. */
void     fault_vfs_reset       (void);
/* Calls of op since the last reset, and how many calls failed. */
guint    fault_vfs_calls       (FaultVfsOp  op);
guint    fault_vfs_failures    (void);

G_END_DECLS
