/* faultvfs.c: a fault-injecting SQLite VFS over the default one, for tests of failing disks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "faultvfs.h"

#define N_OPS 3

typedef struct
{
  sqlite3_file  base;
  sqlite3_file *real;   /* the wrapped file, allocated right after this struct */
} FaultFile;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;

/* What is armed: a countdown per operation, or a random rate over a set of operations. */
static guint   countdown[N_OPS];
static guint   calls[N_OPS];
static guint   random_one_in[N_OPS];   /* 0: no random failures of this operation */
static GRand  *fault_rand;
static guint   failures;

static guint
op_index (FaultVfsOp op)
{
  switch (op)
    {
    case FAULT_VFS_WRITE:
      return 0;
    case FAULT_VFS_SYNC:
      return 1;
    case FAULT_VFS_SHMLOCK:
      return 2;
    default:
      g_assert_not_reached ();
    }
}

/* Counts a call of op and says whether it must fail. */
static gboolean
should_fail (FaultVfsOp op)
{
  guint i = op_index (op);
  gboolean fail = FALSE;

  calls[i]++;
  if (countdown[i] > 0 && --countdown[i] == 0)
    fail = TRUE;
  if (random_one_in[i] > 0 && fault_rand != NULL &&
      g_rand_int_range (fault_rand, 0, (gint32) random_one_in[i]) == 0)
    fail = TRUE;
  if (fail)
    failures++;
  return fail;
}

static int
fault_close (sqlite3_file *file)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xClose (f->real);
}

static int
fault_read (sqlite3_file *file, void *buf, int amount, sqlite3_int64 offset)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xRead (f->real, buf, amount, offset);
}

static int
fault_write (sqlite3_file *file, const void *buf, int amount, sqlite3_int64 offset)
{
  FaultFile *f = (FaultFile *) file;

  if (should_fail (FAULT_VFS_WRITE))
    return SQLITE_IOERR_WRITE;
  return f->real->pMethods->xWrite (f->real, buf, amount, offset);
}

static int
fault_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xTruncate (f->real, size);
}

/* As fsync(2) on Linux: the data may or may not be in the file after an EIO. Here it is
 * (the wrapped file got every write), which is the case that loses money. */
static int
fault_sync (sqlite3_file *file, int flags)
{
  FaultFile *f = (FaultFile *) file;

  if (should_fail (FAULT_VFS_SYNC))
    return SQLITE_IOERR_FSYNC;
  return f->real->pMethods->xSync (f->real, flags);
}

static int
fault_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xFileSize (f->real, size);
}

static int
fault_lock (sqlite3_file *file, int lock)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xLock (f->real, lock);
}

static int
fault_unlock (sqlite3_file *file, int lock)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xUnlock (f->real, lock);
}

static int
fault_check_reserved_lock (sqlite3_file *file, int *out)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xCheckReservedLock (f->real, out);
}

static int
fault_file_control (sqlite3_file *file, int op, void *arg)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xFileControl (f->real, op, arg);
}

static int
fault_sector_size (sqlite3_file *file)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xSectorSize (f->real);
}

static int
fault_device_characteristics (sqlite3_file *file)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xDeviceCharacteristics (f->real);
}

static int
fault_shm_map (sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xShmMap (f->real, region, size, extend, out);
}

static int
fault_shm_lock (sqlite3_file *file, int offset, int n, int flags)
{
  FaultFile *f = (FaultFile *) file;

  /* Slot 0 of the wal-index is the WAL's write lock (SQLite's wal.c, WAL_WRITE_LOCK). */
  if ((flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE) && offset == 0 &&
      should_fail (FAULT_VFS_SHMLOCK))
    return SQLITE_IOERR_SHMLOCK;
  return f->real->pMethods->xShmLock (f->real, offset, n, flags);
}

static void
fault_shm_barrier (sqlite3_file *file)
{
  FaultFile *f = (FaultFile *) file;
  f->real->pMethods->xShmBarrier (f->real);
}

static int
fault_shm_unmap (sqlite3_file *file, int delete_flag)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xShmUnmap (f->real, delete_flag);
}

static int
fault_fetch (sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xFetch (f->real, offset, amount, out);
}

static int
fault_unfetch (sqlite3_file *file, sqlite3_int64 offset, void *p)
{
  FaultFile *f = (FaultFile *) file;
  return f->real->pMethods->xUnfetch (f->real, offset, p);
}

static const sqlite3_io_methods fault_io_methods = {
  3,
  fault_close,
  fault_read,
  fault_write,
  fault_truncate,
  fault_sync,
  fault_file_size,
  fault_lock,
  fault_unlock,
  fault_check_reserved_lock,
  fault_file_control,
  fault_sector_size,
  fault_device_characteristics,
  fault_shm_map,
  fault_shm_lock,
  fault_shm_barrier,
  fault_shm_unmap,
  fault_fetch,
  fault_unfetch,
};

static int
fault_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
  FaultFile *f = (FaultFile *) file;
  int rc;

  (void) vfs;
  f->base.pMethods = NULL;
  f->real = (sqlite3_file *) (f + 1);
  rc = real_vfs->xOpen (real_vfs, name, f->real, flags, out_flags);
  /* The wrapped VFS is version 3 (unix); a file it did not open is not closed again. */
  if (f->real->pMethods != NULL)
    {
      g_assert (f->real->pMethods->iVersion >= 3);
      f->base.pMethods = &fault_io_methods;
    }
  return rc;
}

#define PASS(name, ...) real_vfs->name (real_vfs, __VA_ARGS__)

static int
fault_delete (sqlite3_vfs *vfs, const char *name, int sync_dir)
{
  (void) vfs;
  return PASS (xDelete, name, sync_dir);
}

static int
fault_access (sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
  (void) vfs;
  return PASS (xAccess, name, flags, out);
}

static int
fault_full_pathname (sqlite3_vfs *vfs, const char *name, int n, char *out)
{
  (void) vfs;
  return PASS (xFullPathname, name, n, out);
}

static void *
fault_dl_open (sqlite3_vfs *vfs, const char *name)
{
  (void) vfs;
  return PASS (xDlOpen, name);
}

static void
fault_dl_error (sqlite3_vfs *vfs, int n, char *msg)
{
  (void) vfs;
  PASS (xDlError, n, msg);
}

static void (*
fault_dl_sym (sqlite3_vfs *vfs, void *handle, const char *symbol)) (void)
{
  (void) vfs;
  return PASS (xDlSym, handle, symbol);
}

static void
fault_dl_close (sqlite3_vfs *vfs, void *handle)
{
  (void) vfs;
  PASS (xDlClose, handle);
}

static int
fault_randomness (sqlite3_vfs *vfs, int n, char *out)
{
  (void) vfs;
  return PASS (xRandomness, n, out);
}

static int
fault_sleep (sqlite3_vfs *vfs, int usec)
{
  (void) vfs;
  return PASS (xSleep, usec);
}

static int
fault_current_time (sqlite3_vfs *vfs, double *out)
{
  (void) vfs;
  return PASS (xCurrentTime, out);
}

static int
fault_get_last_error (sqlite3_vfs *vfs, int n, char *out)
{
  (void) vfs;
  return PASS (xGetLastError, n, out);
}

static int
fault_current_time_int64 (sqlite3_vfs *vfs, sqlite3_int64 *out)
{
  (void) vfs;
  return PASS (xCurrentTimeInt64, out);
}

void
fault_vfs_register (void)
{
  if (real_vfs != NULL)
    return;
  g_assert_cmpint (sqlite3_initialize (), ==, SQLITE_OK);
  real_vfs = sqlite3_vfs_find (NULL);
  g_assert_nonnull (real_vfs);
  g_assert_cmpint (real_vfs->iVersion, >=, 2);

  fault_vfs.iVersion = 2;
  fault_vfs.szOsFile = (int) sizeof (FaultFile) + real_vfs->szOsFile;
  fault_vfs.mxPathname = real_vfs->mxPathname;
  fault_vfs.zName = "offauth-fault";
  fault_vfs.xOpen = fault_open;
  fault_vfs.xDelete = fault_delete;
  fault_vfs.xAccess = fault_access;
  fault_vfs.xFullPathname = fault_full_pathname;
  fault_vfs.xDlOpen = fault_dl_open;
  fault_vfs.xDlError = fault_dl_error;
  fault_vfs.xDlSym = fault_dl_sym;
  fault_vfs.xDlClose = fault_dl_close;
  fault_vfs.xRandomness = fault_randomness;
  fault_vfs.xSleep = fault_sleep;
  fault_vfs.xCurrentTime = fault_current_time;
  fault_vfs.xGetLastError = fault_get_last_error;
  fault_vfs.xCurrentTimeInt64 = fault_current_time_int64;
  g_assert_cmpint (sqlite3_vfs_register (&fault_vfs, 1), ==, SQLITE_OK);
}

void
fault_vfs_fail_nth (FaultVfsOp op,
                    guint      n)
{
  countdown[op_index (op)] = n;
}

void
fault_vfs_fail_random (guint   ops,
                       guint   one_in,
                       guint32 seed)
{
  g_assert_cmpuint (one_in, >, 0);
  g_clear_pointer (&fault_rand, g_rand_free);
  fault_rand = g_rand_new_with_seed (seed);
  for (guint i = 0; i < N_OPS; i++)
    if (ops & (1u << i))
      random_one_in[i] = one_in;
}

void
fault_vfs_reset (void)
{
  memset (countdown, 0, sizeof countdown);
  memset (calls, 0, sizeof calls);
  memset (random_one_in, 0, sizeof random_one_in);
  g_clear_pointer (&fault_rand, g_rand_free);
  failures = 0;
}

guint
fault_vfs_calls (FaultVfsOp op)
{
  return calls[op_index (op)];
}

guint
fault_vfs_failures (void)
{
  return failures;
}
