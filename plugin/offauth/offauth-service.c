/* offauth-service.c
 *
 * One terminal per process. Every call into the engine runs on a worker thread under one
 * lock, so that the fsync of each sale never blocks the screen; results and status come
 * back to the main thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "offauth-service.h"

struct _OffauthService
{
  GObject                parent_instance;

  GMutex                 lock;         /* guards terminal and wallet */
  OffauthTerminal       *terminal;
  OffauthWallet         *wallet;       /* demo only */
  gchar                 *credential;   /* demo only */

  GMainContext          *main_context;
  gchar                 *db_path;
  gchar                 *error;
  gboolean               demo;
  OffauthTerminalStatus  status;       /* main thread's copy */
};

G_DEFINE_FINAL_TYPE (OffauthService, offauth_service, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
offauth_service_finalize (GObject *object)
{
  OffauthService *self = OFFAUTH_SERVICE (object);

  g_clear_pointer (&self->terminal, offauth_terminal_free);
  g_clear_pointer (&self->wallet, offauth_wallet_free);
  g_free (self->credential);
  g_free (self->db_path);
  g_free (self->error);
  offauth_terminal_status_clear (&self->status);
  g_main_context_unref (self->main_context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (offauth_service_parent_class)->finalize (object);
}

static void
offauth_service_class_init (OffauthServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = offauth_service_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
offauth_service_init (OffauthService *self)
{
  g_mutex_init (&self->lock);
  self->main_context = g_main_context_ref_thread_default ();
}

/* Status goes from the worker to the main thread by copy. */

typedef struct
{
  OffauthService        *self;
  OffauthTerminalStatus  status;
} StatusUpdate;

static gboolean
apply_status_cb (gpointer data)
{
  StatusUpdate *u = data;

  offauth_terminal_status_clear (&u->self->status);
  u->self->status = u->status;
  g_signal_emit (u->self, signals[CHANGED], 0);
  g_object_unref (u->self);
  g_free (u);
  return G_SOURCE_REMOVE;
}

/* Called with the lock held. */
static void
post_status (OffauthService *self)
{
  StatusUpdate *u = g_new0 (StatusUpdate, 1);
  GSource *source = g_idle_source_new ();

  u->self = g_object_ref (self);
  if (self->terminal != NULL)
    offauth_terminal_get_status (self->terminal, &u->status);
  /* Always through the main context's loop, never run here: "changed" updates widgets. */
  g_source_set_callback (source, apply_status_cb, u, NULL);
  g_source_attach (source, self->main_context);
  g_source_unref (source);
}

/* The demo: a local issuer, an enrolled terminal and a payer's wallet, in one folder, kept
 * fresh (a new bundle before the old expires, revocation lists every few hours). */

static gchar *
read_text (const char *path)
{
  gchar *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strstrip (text);
}

static gboolean
demo_prepare (OffauthService *self,
              const char     *dir,
              GError        **error)
{
  g_autofree gchar *issuer_dir = g_build_filename (dir, "issuer", NULL);
  g_autofree gchar *wallet_path = g_build_filename (dir, "payer.wallet", NULL);
  g_autofree gchar *cred_path = g_build_filename (dir, "credential.txt", NULL);
  g_autoptr(OffauthIssuer) issuer = NULL;
  g_autoptr(GPtrArray) lists = NULL;
  g_autofree gchar *fpr = NULL;
  OffauthTerminalStatus st;
  OffauthCredential cred;
  guint64 now = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  gboolean fresh;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot create %s", dir);
      return FALSE;
    }
  issuer = g_file_test (issuer_dir, G_FILE_TEST_IS_DIR) ? offauth_issuer_open (issuer_dir, error)
                                                        : offauth_issuer_create (issuer_dir, 365, 0, error);
  if (issuer == NULL)
    return FALSE;
  fpr = offauth_issuer_root_fingerprint (issuer);

  fresh = !g_file_test (self->db_path, G_FILE_TEST_EXISTS);
  self->terminal = offauth_terminal_open (self->db_path, OFFAUTH_OPEN_DEFAULT, error);
  if (self->terminal == NULL)
    return FALSE;
  offauth_terminal_get_status (self->terminal, &st);
  if (fresh || !st.enrolled)
    {
      g_autofree gchar *bundle = offauth_issuer_bundle (issuer, 30, error);
      /* The demo stall sells alcohol: above €20.00 of it, a sale needs an online check. */
      if (bundle == NULL ||
          !offauth_terminal_enroll (self->terminal, bundle, "festival-demo", fpr, NULL, error) ||
          !offauth_terminal_set_category_floor (self->terminal, "alcohol", 2000, error))
        {
          offauth_terminal_status_clear (&st);
          return FALSE;
        }
    }
  else if (st.bundle_expires_at < now + 7 * 86400)
    {
      g_autofree gchar *bundle = offauth_issuer_bundle (issuer, 30, error);
      if (bundle == NULL || !offauth_terminal_load_bundle (self->terminal, bundle, error))
        {
          offauth_terminal_status_clear (&st);
          return FALSE;
        }
    }
  /* Fresh revocation lists, as a connected kiosk would fetch them. */
  if (fresh || st.n_revocation_lists == 0 || st.oldest_revocation_issued_at + 6 * 3600 < now)
    {
      lists = offauth_issuer_revocation_lists (issuer, 24, error);
      if (lists == NULL)
        {
          offauth_terminal_status_clear (&st);
          return FALSE;
        }
      for (guint i = 0; i < lists->len; i++)
        if (!offauth_terminal_load_revocations (self->terminal, lists->pdata[i], error))
          {
            offauth_terminal_status_clear (&st);
            return FALSE;
          }
    }
  offauth_terminal_status_clear (&st);

  self->wallet = g_file_test (wallet_path, G_FILE_TEST_EXISTS) ? offauth_wallet_open (wallet_path, error)
                                                               : offauth_wallet_create (wallet_path, error);
  if (self->wallet == NULL)
    return FALSE;
  self->credential = read_text (cred_path);
  if (self->credential == NULL || !offauth_credential_parse_text (&cred, self->credential, NULL) ||
      cred.not_after < now + 86400)
    {
      OffauthCredentialSpec spec = { 0 };

      spec.payer_public_key = offauth_wallet_public_key (self->wallet);
      spec.currency = "EUR";
      spec.per_payment_limit = 5000;
      spec.offline_total_limit = 50000;
      spec.max_offline_count = 100;
      spec.days = 30;
      g_free (self->credential);
      self->credential = offauth_issuer_credential (issuer, &spec, error);
      if (self->credential == NULL ||
          !offauth_write_file_atomic (cred_path, self->credential, strlen (self->credential), 0600, error))
        return FALSE;
    }
  return TRUE;
}

static OffauthService *
service_new (GSettings *settings,
             gboolean   demo)
{
  OffauthService *self = g_object_new (OFFAUTH_TYPE_SERVICE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *configured = settings ? g_settings_get_string (settings, "terminal-db") : NULL;

  self->demo = demo;
  if (demo)
    {
      const char *env = g_getenv ("TILL_DEMO_DIR");
      g_autofree gchar *dir = env ? g_strdup (env) : g_build_filename (g_get_user_data_dir (), "till", "demo", NULL);

      self->db_path = g_build_filename (dir, "terminal.db", NULL);
      if (!demo_prepare (self, dir, &error))
        {
          self->error = g_strdup (error->message);
          g_clear_pointer (&self->terminal, offauth_terminal_free);
        }
    }
  else
    {
      self->db_path = configured && *configured ? g_strdup (configured)
                                                : g_build_filename (g_get_user_data_dir (), "till", "terminal.db", NULL);
      /* A kiosk is enrolled by the operator (offauth-terminal init); an empty database
       * made here would only be in the way. */
      if (!g_file_test (self->db_path, G_FILE_TEST_EXISTS))
        self->error = g_strdup_printf (_("This kiosk is not enrolled for offline payments. The merchant "
                                         "enrols it with: offauth-terminal init %s --trust BUNDLE "
                                         "--merchant ID --root FINGERPRINT"), self->db_path);
      else if ((self->terminal = offauth_terminal_open (self->db_path, OFFAUTH_OPEN_DEFAULT, &error)) == NULL)
        self->error = g_strdup (error->message);
    }
  if (self->error != NULL)
    g_message ("Offline payments: %s", self->error);
  if (self->terminal != NULL)
    offauth_terminal_get_status (self->terminal, &self->status);
  else
    self->status.state = OFFAUTH_REASON_NOT_ENROLLED;
  return self;
}

OffauthService *
offauth_service_get (GSettings *settings,
                     gboolean   demo)
{
  static OffauthService *service;

  /* Lives as long as the process: the terminal's lock goes with it. */
  if (service == NULL)
    service = service_new (settings, demo);
  return service;
}

const OffauthTerminalStatus *
offauth_service_get_status (OffauthService *self)
{
  return &self->status;
}

const char *
offauth_service_get_db_path (OffauthService *self)
{
  return self->db_path;
}

const char *
offauth_service_get_error (OffauthService *self)
{
  return self->error;
}

gboolean
offauth_service_is_demo (OffauthService *self)
{
  return self->demo;
}

static void
refresh_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  OffauthService *self = source;

  g_mutex_lock (&self->lock);
  post_status (self);
  g_mutex_unlock (&self->lock);
  g_task_return_boolean (task, TRUE);
}

void
offauth_service_refresh (OffauthService *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->terminal == NULL)
    return;
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_run_in_thread (task, refresh_thread);
}

/* Requests */

typedef struct
{
  guint64       amount;
  gchar        *currency;
  gchar        *text;
  OffauthReason reason;
} RequestData;

static void
request_data_free (RequestData *d)
{
  g_free (d->currency);
  g_free (d->text);
  g_free (d);
}

static void
request_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  OffauthService *self = source;
  RequestData *d = data;
  GError *error = NULL;

  g_mutex_lock (&self->lock);
  d->text = offauth_terminal_create_request (self->terminal, d->amount, d->currency, &d->reason, &error);
  post_status (self);
  g_mutex_unlock (&self->lock);
  if (d->text == NULL && d->reason == OFFAUTH_REASON_NONE)
    g_task_return_error (task, error);
  else
    {
      g_clear_error (&error);
      g_task_return_boolean (task, TRUE);
    }
}

void
offauth_service_request_async (OffauthService      *self,
                               guint64              amount,
                               const char          *currency,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  RequestData *d = g_new0 (RequestData, 1);

  g_task_set_source_tag (task, offauth_service_request_async);
  d->amount = amount;
  d->currency = g_strdup (currency);
  g_task_set_task_data (task, d, (GDestroyNotify) request_data_free);
  if (self->terminal == NULL)
    {
      d->reason = OFFAUTH_REASON_NOT_ENROLLED;
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_task_run_in_thread (task, request_thread);
}

gchar *
offauth_service_request_finish (OffauthService  *self,
                                GAsyncResult    *result,
                                OffauthReason   *reason,
                                GError         **error)
{
  RequestData *d = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  *reason = d->reason;
  return g_steal_pointer (&d->text);
}

/* Authorization */

typedef struct
{
  gchar           *text;
  GArray          *categories;   /* gchar * */
  GArray          *lines;        /* OffauthSaleLine pointing into categories */
  OffauthDecision  decision;
} AuthorizeData;

static void
authorize_data_free (AuthorizeData *d)
{
  g_free (d->text);
  for (guint i = 0; i < d->categories->len; i++)
    g_free (g_array_index (d->categories, gchar *, i));
  g_array_unref (d->categories);
  g_array_unref (d->lines);
  g_free (d);
}

static void
authorize_thread (GTask        *task,
                  gpointer      source,
                  gpointer      data,
                  GCancellable *cancellable)
{
  OffauthService *self = source;
  AuthorizeData *d = data;

  g_mutex_lock (&self->lock);
  offauth_terminal_authorize (self->terminal, d->text, -1, (const OffauthSaleLine *) (gpointer) d->lines->data,
                              d->lines->len, &d->decision);
  post_status (self);
  g_mutex_unlock (&self->lock);
  g_task_return_boolean (task, TRUE);
}

void
offauth_service_authorize_async (OffauthService        *self,
                                 const char            *payment_text,
                                 const OffauthSaleLine *lines,
                                 gsize                  n_lines,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  AuthorizeData *d = g_new0 (AuthorizeData, 1);

  g_task_set_source_tag (task, offauth_service_authorize_async);
  d->text = g_strdup (payment_text);
  d->categories = g_array_new (FALSE, FALSE, sizeof (gchar *));
  d->lines = g_array_new (FALSE, FALSE, sizeof (OffauthSaleLine));
  for (gsize i = 0; i < n_lines; i++)
    {
      gchar *category = g_strdup (lines[i].category);
      OffauthSaleLine line = { category, lines[i].amount };
      g_array_append_val (d->categories, category);
      g_array_append_val (d->lines, line);
    }
  g_task_set_task_data (task, d, (GDestroyNotify) authorize_data_free);
  if (self->terminal == NULL)
    {
      d->decision.reason = OFFAUTH_REASON_NOT_ENROLLED;
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_task_run_in_thread (task, authorize_thread);
}

gboolean
offauth_service_authorize_finish (OffauthService   *self,
                                  GAsyncResult     *result,
                                  OffauthDecision  *decision,
                                  GError          **error)
{
  AuthorizeData *d = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  *decision = d->decision;
  return TRUE;
}

/* Journal verification and the clock */

static void
verify_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  OffauthService *self = source;
  GError *error = NULL;
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = offauth_terminal_verify (self->terminal, NULL, &error);
  g_mutex_unlock (&self->lock);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
offauth_service_verify_async (OffauthService      *self,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  if (self->terminal == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "%s",
                               self->error ? self->error : _("No terminal"));
      return;
    }
  g_task_run_in_thread (task, verify_thread);
}

gboolean
offauth_service_verify_finish (OffauthService  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
offauth_service_accept_clock (OffauthService  *self,
                              GError         **error)
{
  gboolean ok;

  if (self->terminal == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "%s", self->error);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  ok = offauth_terminal_accept_clock (self->terminal, error);
  post_status (self);
  g_mutex_unlock (&self->lock);
  return ok;
}

gchar *
offauth_service_demo_pay (OffauthService  *self,
                          const char      *request_text,
                          GError         **error)
{
  gchar *text;

  if (!self->demo || self->wallet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Only the demo has a payer");
      return NULL;
    }
  g_mutex_lock (&self->lock);
  text = offauth_wallet_pay (self->wallet, self->credential, request_text, NULL, error);
  g_mutex_unlock (&self->lock);
  return text;
}
