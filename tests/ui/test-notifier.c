/* test-notifier.c: desktop notifications never block the screen, and their Review button
 * comes back to the main thread. Run by test-notifier.sh on a private session bus, with a
 * real daemon (dunst) or one that hangs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "till-notifier.h"

static gboolean
tick_cb (gpointer data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static void
spin_ms (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
}

/* With a daemon that never answers, the main loop keeps turning: a 20 ms tick fires about
 * as often as with no notification at all. The synchronous show used to block for the
 * D-Bus timeout (25 s). */
static void
test_hung_daemon (void)
{
  guint ticks = 0;
  guint id = g_timeout_add (20, tick_cb, &ticks);
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < 3; i++)
    till_notifier_show ("Till", "Offline payments are paused on this kiosk.", TRUE, NULL, NULL, NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 50 * 1000);
  spin_ms (1000);
  g_source_remove (id);
  g_test_message ("%u ticks of 20 ms in one second with a hung daemon", ticks);
  g_assert_cmpuint (ticks, >=, 30);
}

static void
review_cb (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  gchar **page = user_data;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  *page = g_variant_dup_string (parameter, NULL);
}

/* dunst shows it, and its action button (dunstctl action) activates ours on the main
 * thread with the page to open. */
static void
test_review_button (void)
{
  g_autoptr(GSimpleAction) review = g_simple_action_new ("review", G_VARIANT_TYPE_STRING);
  g_autofree gchar *page = NULL;
  gint64 deadline;
  guint displayed = 0;

  g_signal_connect (review, "activate", G_CALLBACK (review_cb), &page);
  till_notifier_show ("Late declines", "2 sales, € 12.00", TRUE, "Review",
                      G_ACTION (review), g_variant_new_string ("offauth-sales"));
  till_notifier_flush ();

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (displayed == 0 && g_get_monotonic_time () < deadline)
    {
      g_autofree gchar *out = NULL;

      spin_ms (100);
      if (g_spawn_command_line_sync ("dunstctl count displayed", &out, NULL, NULL, NULL))
        displayed = (guint) g_ascii_strtoull (out, NULL, 10);
    }
  g_assert_cmpuint (displayed, >=, 1);

  g_assert_true (g_spawn_command_line_sync ("dunstctl action 0", NULL, NULL, NULL, NULL));
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (page == NULL && g_get_monotonic_time () < deadline)
    spin_ms (20);
  g_assert_cmpstr (page, ==, "offauth-sales");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Till/Notifier/hung-daemon", test_hung_daemon);
  g_test_add_func ("/Till/Notifier/review-button", test_review_button);
  return g_test_run ();
}
