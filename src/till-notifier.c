/* till-notifier.c: desktop notifications shown from a thread of their own.
 *
 * libnotify's show is a synchronous D-Bus call: a daemon that hangs would freeze the sale
 * screen for its D-Bus timeout (25 s) if it ran on the main thread. Here one thread shows
 * the notifications in order; a button pressed on one comes back to the main thread and
 * activates the action the caller gave.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <glib/gi18n.h>
#include <libnotify/notify.h>

#include "till-notifier.h"

typedef struct
{
  gchar    *title;
  gchar    *body;
  gboolean  urgent;
  gchar    *action_label;
  GAction  *action;
  GVariant *target;
} TillNotice;

static void
till_notice_free (TillNotice *notice)
{
  g_free (notice->title);
  g_free (notice->body);
  g_free (notice->action_label);
  g_clear_object (&notice->action);
  g_clear_pointer (&notice->target, g_variant_unref);
  g_free (notice);
}

static GMutex      lock;
static GCond       idle_cond;
static GThreadPool *pool;
static guint       pending;

typedef struct
{
  GAction  *action;
  GVariant *target;
} TillNoticeAction;

/* On the main thread: the button was pressed. */
static gboolean
till_notifier_activate_cb (gpointer data)
{
  TillNoticeAction *press = data;

  g_action_activate (press->action, press->target);
  g_object_unref (press->action);
  g_clear_pointer (&press->target, g_variant_unref);
  g_free (press);
  return G_SOURCE_REMOVE;
}

/* Wherever libnotify delivers the signal (its proxy's context): bring it home, with
 * references of its own, since the notification may close and go first. */
static void
till_notifier_action_cb (NotifyNotification *notification,
                         char               *action,
                         gpointer            user_data)
{
  TillNotice *notice = user_data;
  TillNoticeAction *press = g_new0 (TillNoticeAction, 1);
  GSource *source = g_idle_source_new ();

  press->action = g_object_ref (notice->action);
  press->target = notice->target != NULL ? g_variant_ref (notice->target) : NULL;
  g_source_set_callback (source, till_notifier_activate_cb, press, NULL);
  g_source_set_static_name (source, "[till] notification action");
  g_source_attach (source, NULL);
  g_source_unref (source);
}

static void
till_notifier_closed_cb (NotifyNotification *notification,
                         gpointer            user_data)
{
  g_object_unref (notification);
}

static void
till_notifier_run (gpointer data,
                   gpointer user_data)
{
  TillNotice *notice = data;
  NotifyNotification *n;
  g_autoptr(GError) error = NULL;

  n = notify_notification_new (notice->title, notice->body, APP_ID);
  notify_notification_set_urgency (n, notice->urgent ? NOTIFY_URGENCY_CRITICAL : NOTIFY_URGENCY_NORMAL);
  notify_notification_set_app_name (n, _("Till"));
  if (notice->action_label != NULL && notice->action != NULL)
    {
      /* "default" is a click on the notification itself (some daemons have no buttons);
       * the button says what it does. Both do the same. */
      notify_notification_add_action (n, "default", notice->action_label, till_notifier_action_cb,
                                      notice, NULL);
      notify_notification_add_action (n, "review", notice->action_label, till_notifier_action_cb,
                                      notice, (GFreeFunc) till_notice_free);
      notice = NULL;   /* the notification's now */
      /* Kept until closed, so that the button still works. */
      g_signal_connect (n, "closed", G_CALLBACK (till_notifier_closed_cb), NULL);
      if (!notify_notification_show (n, &error))
        {
          g_debug ("No desktop notification: %s", error->message);
          g_object_unref (n);
        }
    }
  else
    {
      if (!notify_notification_show (n, &error))
        g_debug ("No desktop notification: %s", error->message);
      g_object_unref (n);
    }
  if (notice != NULL)
    till_notice_free (notice);

  g_mutex_lock (&lock);
  if (--pending == 0)
    g_cond_broadcast (&idle_cond);
  g_mutex_unlock (&lock);
}

void
till_notifier_show (const char *title,
                    const char *body,
                    gboolean    urgent,
                    const char *action_label,
                    GAction    *action,
                    GVariant   *target)
{
  TillNotice *notice;

  g_return_if_fail (title != NULL);
  g_return_if_fail (action == NULL || G_IS_ACTION (action));

  /* notify_init only records the name (and looks for the portal): cheap, main thread. */
  if (!notify_is_initted () && !notify_init (_("Till")))
    return;

  notice = g_new0 (TillNotice, 1);
  notice->title = g_strdup (title);
  notice->body = g_strdup (body);
  notice->urgent = urgent;
  notice->action_label = g_strdup (action_label);
  notice->action = action != NULL ? g_object_ref (action) : NULL;
  notice->target = target != NULL ? g_variant_ref_sink (target) : NULL;

  g_mutex_lock (&lock);
  if (pool == NULL)
    pool = g_thread_pool_new (till_notifier_run, NULL, 1, FALSE, NULL);
  pending++;
  g_mutex_unlock (&lock);
  g_thread_pool_push (pool, notice, NULL);
}

void
till_notifier_flush (void)
{
  g_mutex_lock (&lock);
  while (pending > 0)
    g_cond_wait (&idle_cond, &lock);
  g_mutex_unlock (&lock);
}
