/* offauth-demo-acquirer.h: the demo's reference acquirer, a child process on loopback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define OFFAUTH_TYPE_DEMO_ACQUIRER (offauth_demo_acquirer_get_type ())
G_DECLARE_FINAL_TYPE (OffauthDemoAcquirer, offauth_demo_acquirer, OFFAUTH, DEMO_ACQUIRER, GObject)

/* Properties (notified on the main thread only, by start_async and stop):
 *   "running"  gboolean  the child serves */

/* The offauth-acquirer program: $TILL_ACQUIRER (empty: none, the demo stays offline; `meson
 * devenv` sets the build tree's), else the build tree's when the plugin is loaded from one
 * (TILL_PLUGIN_PATH), else BINDIR's, else the first on PATH. NULL when there is none. */
gchar               *offauth_demo_acquirer_find_program (void);

/* The acquirer kept in dir (its key and database), run by program. Nothing starts yet. In
 * an application, the child is also stopped at the application's "shutdown". */
OffauthDemoAcquirer *offauth_demo_acquirer_new          (const char           *program,
                                                         const char           *dir);
const char          *offauth_demo_acquirer_get_dir      (OffauthDemoAcquirer  *self);

/* Blocking: runs `program ARGS… --json` to its end; its standard output in *out (may be
 * NULL). An exit status other than 0 is an error that carries what it printed. */
gboolean             offauth_demo_acquirer_run          (OffauthDemoAcquirer  *self,
                                                         const char *const    *args,
                                                         gchar               **out,
                                                         GError              **error);

/* Blocking: starts `serve` on 127.0.0.1:port (0: a free port, which the child binds and
 * reports) and waits for its address. The child gets SIGKILL when the thread that started
 * it ends (PR_SET_PDEATHSIG), so start it from a thread that lives as long as the process
 * (the main thread, or the service's worker). */
gboolean             offauth_demo_acquirer_start        (OffauthDemoAcquirer  *self,
                                                         guint16               port,
                                                         GError              **error);
/* The same from the main thread, waiting for the address without blocking. */
void                 offauth_demo_acquirer_start_async  (OffauthDemoAcquirer  *self,
                                                         guint16               port,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean             offauth_demo_acquirer_start_finish (OffauthDemoAcquirer  *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
/* Kills the child (SIGKILL: every answer it gave was committed first) and reaps it. */
void                 offauth_demo_acquirer_stop         (OffauthDemoAcquirer  *self);

gboolean             offauth_demo_acquirer_is_running   (OffauthDemoAcquirer  *self);
/* Where it listens ("http://127.0.0.1:PORT"), or NULL before the first start. Kept after a
 * stop: a start on get_port() serves the same address again. */
const char          *offauth_demo_acquirer_get_url      (OffauthDemoAcquirer  *self);
guint16              offauth_demo_acquirer_get_port     (OffauthDemoAcquirer  *self);
/* The child's process id as text, or NULL when it does not run. */
const char          *offauth_demo_acquirer_get_pid      (OffauthDemoAcquirer  *self);

/* `topup DIR CREDENTIAL AMOUNT` beside the running server (its database is shared). */
void                 offauth_demo_acquirer_topup_async  (OffauthDemoAcquirer  *self,
                                                         const char           *credential,
                                                         guint64               amount,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean             offauth_demo_acquirer_topup_finish (OffauthDemoAcquirer  *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS
