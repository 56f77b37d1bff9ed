/* offauth-service-private.h: a service of its own, for the tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "offauth-demo.h"
#include "offauth-service.h"
#include "offauth-worker.h"

G_BEGIN_DECLS

/* A service of its own, not the process's one: host_settings is the app's GSettings and
 * settings the plugin's (either may be NULL: no migration, the default database). */
OffauthService *_offauth_service_new (GSettings *host_settings,
                                      GSettings *settings,
                                      gboolean   demo);

/* For the plugin's other files (the uploader, the sales listing, online authorization): one
 * path for every call into the engine. `run` runs on the worker at `priority` with the
 * terminal and the task's data; the status it leaves is posted to the main thread; the task
 * returns TRUE, or run's error. A task pushed while the terminal is not open returns
 * G_IO_ERROR_NOT_INITIALIZED. */
typedef struct
{
  OffauthWorkerPriority priority;
  gboolean (*run) (OffauthService  *self,
                   OffauthTerminal *terminal,
                   gpointer         data,
                   GError         **error);
  /* The status posted after it counts the sales, payers and blocked payers again (a walk
   * of those tables: 0.1-0.4 s at a million sales); otherwise it carries the last counts.
   * Only the merchant's refresh asks: never a sale. */
  gboolean counts;
} OffauthServiceCall;

void            _offauth_service_call           (OffauthService           *self,
                                                 GTask                    *task,
                                                 const OffauthServiceCall *call);
/* The demo (NULL outside it): only its blocking calls, and only from a job. */
OffauthDemo    *_offauth_service_get_demo       (OffauthService           *self);
/* The uploader's: the acquirer answered its last probe (and the merchant has not chosen to
 * work offline). Notifies "online". */
void            _offauth_service_set_online     (OffauthService           *self,
                                                 gboolean                  online);
/* After a pairing: the client for the newly pinned acquirer (NULL: none). Notifies
 * "acquirer". */
void            _offauth_service_set_acquirer   (OffauthService           *self,
                                                 OffauthAcquirerClient    *client);

G_END_DECLS
