/* test-payment-task.c: the completion protocol of a payment (libtill's TillPaymentTask).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <gtk/gtk.h>
#include <till.h>

/* A provider that does nothing by itself: each test drives its task by hand. */
#define TEST_TYPE_PROVIDER (test_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestProvider, test_provider, TEST, PROVIDER, GObject)

struct _TestProvider
{
  GObject          parent_instance;
  TillPaymentTask *task;   /* the last payment's, weak */
};

static void
test_provider_pay_async (TillPaymentProvider *provider,
                         TillPayment         *payment,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  TestProvider *self = TEST_PROVIDER (provider);
  g_autoptr(TillPaymentTask) task = till_payment_task_new (provider, payment, cancellable,
                                                          callback, user_data);

  g_set_weak_pointer (&self->task, task);
  till_payment_task_present (task, gtk_label_new ("page"));
}

static TillPaymentResult *
test_provider_pay_finish (TillPaymentProvider  *provider,
                          GAsyncResult         *result,
                          GError              **error)
{
  return till_payment_task_propagate (result, error);
}

static const char *
test_provider_get_id (TillPaymentProvider *provider)
{
  return "test";
}

static void
test_provider_iface_init (TillPaymentProviderInterface *iface)
{
  iface->get_id = test_provider_get_id;
  iface->get_name = test_provider_get_id;
  iface->get_icon_name = test_provider_get_id;
  iface->pay_async = test_provider_pay_async;
  iface->pay_finish = test_provider_pay_finish;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestProvider, test_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_PAYMENT_PROVIDER,
                                                      test_provider_iface_init))

static void
test_provider_finalize (GObject *object)
{
  g_clear_weak_pointer (&TEST_PROVIDER (object)->task);
  G_OBJECT_CLASS (test_provider_parent_class)->finalize (object);
}

/* The interface's "host": this provider has none. */
static void
test_provider_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  g_value_set_object (value, NULL);
}

static void
test_provider_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
}

static void
test_provider_class_init (TestProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = test_provider_finalize;
  object_class->get_property = test_provider_get_property;
  object_class->set_property = test_provider_set_property;
  g_object_class_override_property (object_class, 1, "host");
}

static void
test_provider_init (TestProvider *self)
{
}

typedef struct
{
  TestProvider      *provider;
  TillPayment       *payment;
  GCancellable      *cancellable;
  guint              n_completions;
  TillPaymentResult *result;
  GError            *error;
} Fixture;

static void
paid_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  f->n_completions++;
  f->result = till_payment_provider_pay_finish (TILL_PAYMENT_PROVIDER (source), result, &f->error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->provider = g_object_new (TEST_TYPE_PROVIDER, NULL);
  f->payment = till_payment_new (900, "EUR");
  f->cancellable = g_cancellable_new ();
  till_payment_provider_pay_async (TILL_PAYMENT_PROVIDER (f->provider), f->payment,
                                   f->cancellable, paid_cb, f);
  g_assert_nonnull (f->provider->task);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->result, till_payment_result_free);
  g_clear_error (&f->error);
  /* Completed: nothing holds the task any more once the payment lets go of its page. */
  g_assert_finalize_object (f->payment);
  g_assert_null (f->provider->task);
  g_assert_finalize_object (f->provider);
  g_assert_finalize_object (f->cancellable);
}

static void
run_until_completed (Fixture *f)
{
  while (f->n_completions == 0)
    g_main_context_iteration (NULL, TRUE);
  /* Nothing completes twice: a later completion would arrive by now. */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static TillPaymentResult *
approval (void)
{
  return till_payment_result_new (TRUE, TILL_PAYMENT_MODE_OFFLINE, "Wallet", "Approved");
}

static void
test_completes_once (Fixture       *f,
                     gconstpointer  data)
{
  /* As a provider's callback does: a reference for as long as it uses the task. */
  g_autoptr(TillPaymentTask) task = g_object_ref (f->provider->task);

  g_assert_true (till_payment_task_get_payment (task) == f->payment);
  g_assert_true (till_payment_task_get_provider (task) == TILL_PAYMENT_PROVIDER (f->provider));
  g_assert_nonnull (till_payment_get_page (f->payment));
  g_assert_true (till_payment_task_return_result (task, approval ()));
  /* Done: a second decision and a late Cancel find the payment complete. */
  g_assert_false (till_payment_task_return_result (task, approval ()));
  g_cancellable_cancel (f->cancellable);
  g_clear_object (&task);
  run_until_completed (f);
  g_assert_cmpuint (f->n_completions, ==, 1);
  g_assert_no_error (f->error);
  g_assert_true (f->result->approved);
}

static void
test_cancel_at_once (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(TillPaymentTask) task = g_object_ref (f->provider->task);

  g_cancellable_cancel (f->cancellable);
  g_assert_true (till_payment_task_get_done (task));
  g_clear_object (&task);
  run_until_completed (f);
  g_assert_cmpuint (f->n_completions, ==, 1);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f->result);
}

static void
cancel_requested_cb (TillPaymentTask *task,
                     guint           *n)
{
  (*n)++;
}

/* A sale recorded while the cashier taps Cancel is the sale the payer paid: approved. */
static void
test_cancel_waits_for_approval (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(TillPaymentTask) task = g_object_ref (f->provider->task);
  guint n_requested = 0;

  g_signal_connect (task, "cancel-requested", G_CALLBACK (cancel_requested_cb), &n_requested);
  till_payment_task_begin_decision (task);
  g_assert_true (till_payment_task_get_deciding (task));
  g_cancellable_cancel (f->cancellable);
  g_assert_cmpuint (n_requested, ==, 1);
  g_assert_true (till_payment_task_get_cancel_requested (task));
  g_assert_false (till_payment_task_get_done (task));
  g_assert_true (till_payment_task_end_decision (task));
  g_assert_true (till_payment_task_return_result (task, approval ()));
  g_clear_object (&task);
  run_until_completed (f);
  g_assert_no_error (f->error);
  g_assert_true (f->result->approved);
}

/* A refusal decided after Cancel ends as cancelled: the cashier asked to stop. */
static void
test_cancel_waits_then_cancels (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(TillPaymentTask) task = g_object_ref (f->provider->task);

  till_payment_task_begin_decision (task);
  g_cancellable_cancel (f->cancellable);
  g_assert_true (till_payment_task_end_decision (task));
  g_assert_true (till_payment_task_cancel (task));
  g_assert_false (till_payment_task_end_decision (task));
  g_clear_object (&task);
  run_until_completed (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Without a Cancel, a decision that does not complete (a garbled scan) leaves the payment
 * open for the next scan. */
static void
test_decision_without_cancel (Fixture       *f,
                              gconstpointer  data)
{
  TillPaymentTask *task = f->provider->task;

  till_payment_task_begin_decision (task);
  g_assert_false (till_payment_task_end_decision (task));
  g_assert_false (till_payment_task_get_done (task));
  g_assert_true (till_payment_task_return_result (task, approval ()));
  run_until_completed (f);
  g_assert_true (f->result->approved);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/Till/PaymentTask/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("completes-once", test_completes_once);
  ADD ("cancel-at-once", test_cancel_at_once);
  ADD ("cancel-waits-for-approval", test_cancel_waits_for_approval);
  ADD ("cancel-waits-then-cancels", test_cancel_waits_then_cancels);
  ADD ("decision-without-cancel", test_decision_without_cancel);
  return g_test_run ();
}
