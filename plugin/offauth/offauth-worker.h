/* offauth-worker.h: the one thread that calls the engine, with priorities.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "offauth.h"

G_BEGIN_DECLS

/* Highest first; FIFO within a priority. */
typedef enum
{
  OFFAUTH_WORKER_OPEN,        /* opening the terminal: before anything else */
  OFFAUTH_WORKER_SALE,        /* a payer waits: requests, decisions, the demo's payer */
  OFFAUTH_WORKER_STATUS,      /* the status views show, the clock */
  OFFAUTH_WORKER_BACKGROUND,  /* uploads and the like, in slices */
} OffauthWorkerPriority;

#define OFFAUTH_TYPE_WORKER (offauth_worker_get_type ())
G_DECLARE_FINAL_TYPE (OffauthWorker, offauth_worker, OFFAUTH, WORKER, GObject)

/* Work that waits on the network holds no job: the uploader queues "build the batch", sends
 * it from the main loop when that job's task completes, and queues "apply the results".
 *
 * A job, run on the worker thread with the terminal (NULL until a job has set one, or when
 * the open failed). It completes its task with g_task_return_*(): the callback then runs
 * in the task's main context. A job that returns TRUE has not completed its task and is
 * queued again behind the jobs already waiting at its priority: a slice of background
 * work, so that a sale waits for one slice at most. A job whose task was cancelled before
 * it ran is not run; its task returns G_IO_ERROR_CANCELLED. */
typedef gboolean (*OffauthWorkerFunc) (OffauthWorker   *worker,
                                       OffauthTerminal *terminal,
                                       GTask           *task,
                                       gpointer         user_data);

OffauthWorker   *offauth_worker_new          (void);
/* Queues func (with user_data, which the worker does not own) to run with task. */
void             offauth_worker_push         (OffauthWorker         *self,
                                              OffauthWorkerPriority  priority,
                                              GTask                 *task,
                                              OffauthWorkerFunc      func,
                                              gpointer               user_data);
/* From a job only: the terminal later jobs receive; the worker owns and frees it. */
void             offauth_worker_set_terminal (OffauthWorker         *self,
                                              OffauthTerminal       *terminal);

G_END_DECLS
