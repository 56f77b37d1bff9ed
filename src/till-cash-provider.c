/* till-cash-provider.c
 *
 * The cash page: one tap on what the payer handed over (the exact amount or a round note),
 * or the amount typed on a keypad (or a keyboard) and "Given"; the result says the change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-cash-provider.h"

struct _TillCashProvider
{
  GObject   parent_instance;
  TillHost *host;
};

static void provider_iface_init (TillPaymentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillCashProvider, till_cash_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_PAYMENT_PROVIDER, provider_iface_init))

enum
{
  PROP_0,
  PROP_HOST,
  N_PROPS
};

static void
till_cash_provider_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TillCashProvider *self = TILL_CASH_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_set_weak_pointer (&self->host, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_cash_provider_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TillCashProvider *self = TILL_CASH_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_object (value, self->host);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_cash_provider_finalize (GObject *object)
{
  g_clear_weak_pointer (&TILL_CASH_PROVIDER (object)->host);
  G_OBJECT_CLASS (till_cash_provider_parent_class)->finalize (object);
}

static void
till_cash_provider_class_init (TillCashProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = till_cash_provider_set_property;
  object_class->get_property = till_cash_provider_get_property;
  object_class->finalize = till_cash_provider_finalize;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
till_cash_provider_init (TillCashProvider *self)
{
}

/* Notes and coins in whole units; above the largest, whole multiples of it. */
guint
till_cash_suggestions (guint64  amount,
                       guint    exponent,
                       guint64 *out,
                       guint    n_out)
{
  static const guint64 steps[] = { 5, 10, 20, 50, 100, 200 };
  guint64 unit = 1;
  guint n = 0;

  if (n_out == 0)
    return 0;
  for (guint i = 0; i < exponent; i++)
    unit *= 10;
  out[n++] = amount;
  for (gsize i = 0; i < G_N_ELEMENTS (steps) && n < n_out; i++)
    {
      guint64 step = steps[i] * unit;
      guint64 up = (amount + step - 1) / step * step;
      if (up > amount && up != out[n - 1])
        out[n++] = up;
    }
  return n;
}

gboolean
till_cash_typed_amount (const char *typed,
                        guint       exponent,
                        guint64    *amount)
{
  guint64 whole = 0, fraction = 0;
  guint n_fraction = 0;
  gboolean point = FALSE, digits = FALSE;

  for (const char *p = typed; p != NULL && *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (point)
            return FALSE;
          point = TRUE;
          continue;
        }
      if (!g_ascii_isdigit (*p))
        return FALSE;
      digits = TRUE;
      if (!point)
        {
          if (whole > (G_MAXUINT64 / 1000 - 9) / 10)
            return FALSE;
          whole = whole * 10 + (guint64) (*p - '0');
        }
      else if (n_fraction < exponent)
        {
          fraction = fraction * 10 + (guint64) (*p - '0');
          n_fraction++;
        }
    }
  if (!digits)
    return FALSE;
  for (; n_fraction < exponent; n_fraction++)
    fraction *= 10;
  for (guint i = 0; i < exponent; i++)
    whole *= 10;
  *amount = whole + fraction;
  return TRUE;
}

static const char *
cash_get_id (TillPaymentProvider *provider)
{
  return "cash";
}

static const char *
cash_get_name (TillPaymentProvider *provider)
{
  return C_("payment method", "Cash");
}

static const char *
cash_get_icon_name (TillPaymentProvider *provider)
{
  return "till-cash-symbolic";
}

static int
cash_get_order (TillPaymentProvider *provider)
{
  return 0;
}

/* The keypad's state, held by the page (which holds the task). */
#define MAX_WHOLE_DIGITS 7

typedef struct
{
  TillPaymentTask *task;        /* borrowed: the page holds it */
  guint64          total;
  const char      *currency;
  guint            exponent;
  GString         *typed;       /* digits and at most one '.', whatever the locale's separator */
  GtkLabel        *display;
  GtkLabel        *change;
  GtkWidget       *given;
} CashPad;

static void
cash_pad_free (CashPad *pad)
{
  g_string_free (pad->typed, TRUE);
  g_free (pad);
}

static void
tender (CashPad *pad,
        guint64  given)
{
  guint64 amount = pad->total;
  g_autofree gchar *given_text = till_format_amount (given, pad->currency);
  g_autofree gchar *change_text = till_format_amount (given - amount, pad->currency);
  TillPaymentResult *result;

  if (till_payment_task_get_done (pad->task) || given < amount)
    return;
  result = till_payment_result_new (TRUE, TILL_PAYMENT_MODE_CASH, C_("payment method", "Cash"), _("Paid in cash"));
  /* The change stays on screen, very large, until the cashier taps. */
  if (given > amount)
    /* Translators: the money handed back to the payer, e.g. "Change: €7.50" */
    result->highlight = g_strdup_printf (C_("money handed back", "Change: %s"), change_text);
  /* Translators: receipt line, e.g. "Cash given €20.00, change €7.50" */
  g_ptr_array_add (result->receipt, g_strdup_printf (_("Cash given %s, change %s"), given_text, change_text));
  till_payment_task_return_result (pad->task, result);
}

static void
quick_amount_cb (GtkButton *button,
                 CashPad   *pad)
{
  guint64 *given = g_object_get_data (G_OBJECT (button), "amount");

  tender (pad, *given);
}

static void
cash_pad_update (CashPad *pad)
{
  guint64 given = 0;
  gboolean typed = till_cash_typed_amount (pad->typed->str, pad->exponent, &given);
  g_autofree gchar *text = till_format_amount (given, pad->currency);
  g_autofree gchar *line = NULL;

  gtk_label_set_text (pad->display, text);
  if (typed)
    gtk_widget_remove_css_class (GTK_WIDGET (pad->display), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (pad->display), "dim-label");
  if (!typed)
    line = g_strdup (_("Type the amount given."));
  else if (given < pad->total)
    {
      g_autofree gchar *due = till_format_amount (pad->total - given, pad->currency);
      /* Translators: under the typed amount while it is less than the total, e.g. "€2.00 short" */
      line = g_strdup_printf (_("%s short"), due);
    }
  else
    {
      g_autofree gchar *change = till_format_amount (given - pad->total, pad->currency);
      line = g_strdup_printf (C_("money handed back", "Change: %s"), change);
    }
  gtk_label_set_text (pad->change, line);
  gtk_widget_set_sensitive (pad->given, typed && given >= pad->total);
}

/* A key of the pad, tapped or typed: a digit, "." (the separator) or "back". */
static void
cash_pad_key (CashPad    *pad,
              const char *key)
{
  const char *point = strchr (pad->typed->str, '.');

  if (g_str_equal (key, "back"))
    {
      if (pad->typed->len > 0)
        g_string_truncate (pad->typed, pad->typed->len - 1);
    }
  else if (g_str_equal (key, "."))
    {
      if (point == NULL && pad->exponent > 0)
        g_string_append_c (pad->typed, '.');
    }
  else if (point != NULL)
    {
      if (strlen (point + 1) < pad->exponent)
        g_string_append (pad->typed, key);
    }
  else if (pad->typed->len < MAX_WHOLE_DIGITS)
    {
      /* No leading zeros: "0" then "5" is 5. */
      if (g_str_equal (pad->typed->str, "0"))
        g_string_truncate (pad->typed, 0);
      g_string_append (pad->typed, key);
    }
  cash_pad_update (pad);
}

static void
key_clicked_cb (GtkButton *button,
                CashPad   *pad)
{
  cash_pad_key (pad, g_object_get_data (G_OBJECT (button), "key"));
}

static void
given_clicked_cb (GtkButton *button,
                  CashPad   *pad)
{
  guint64 given;

  if (till_cash_typed_amount (pad->typed->str, pad->exponent, &given))
    tender (pad, given);
}

/* A keyboard works as the pad: digits, either separator, BackSpace, Enter for "Given". */
static gboolean
cash_key_pressed_cb (GtkEventControllerKey *controller,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     CashPad               *pad)
{
  static const char *digits[] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };
  gunichar c = gdk_keyval_to_unicode (keyval);

  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK))
    return FALSE;
  if (c >= '0' && c <= '9')
    {
      cash_pad_key (pad, digits[c - '0']);
      return TRUE;
    }
  switch (keyval)
    {
    case GDK_KEY_comma:
    case GDK_KEY_period:
    case GDK_KEY_KP_Decimal:
    case GDK_KEY_KP_Separator:
      cash_pad_key (pad, ".");
      return TRUE;
    case GDK_KEY_BackSpace:
      cash_pad_key (pad, "back");
      return TRUE;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      /* With nothing typed, Enter presses the focused button (an amount, a key). */
      if (pad->typed->len == 0)
        return FALSE;
      if (gtk_widget_get_sensitive (pad->given))
        given_clicked_cb (NULL, pad);
      return TRUE;
    default:
      return FALSE;
    }
}

static GtkWidget *
quick_amounts (CashPad *pad)
{
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  guint64 amounts[4];
  guint n = till_cash_suggestions (pad->total, pad->exponent, amounts, G_N_ELEMENTS (amounts));

  gtk_widget_add_css_class (column, "cash-quick");
  gtk_widget_set_valign (column, GTK_ALIGN_START);
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *text = till_format_amount (amounts[i], pad->currency);
      /* Translators: the first cash button: the payer gives the exact amount, e.g. "Exact: €9.00" */
      g_autofree gchar *exact = i == 0 ? g_strdup_printf (_("Exact: %s"), text) : NULL;
      GtkWidget *button = gtk_button_new_with_label (exact ? exact : text);
      guint64 *given = g_new (guint64, 1);

      *given = amounts[i];
      gtk_widget_add_css_class (button, "tender");
      gtk_widget_add_css_class (button, "numeric");
      if (i == 0)
        gtk_widget_add_css_class (button, "exact");
      g_object_set_data_full (G_OBJECT (button), "amount", given, g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (quick_amount_cb), pad);
      gtk_box_append (GTK_BOX (column), button);
    }
  return column;
}

static GtkWidget *
keypad (CashPad *pad)
{
  static const char *keys[] = { "7", "8", "9", "4", "5", "6", "1", "2", "3", ".", "0", "back" };
  GtkWidget *grid = gtk_grid_new ();

  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_homogeneous (GTK_GRID (grid), TRUE);
  gtk_grid_set_column_homogeneous (GTK_GRID (grid), TRUE);
  gtk_widget_set_valign (grid, GTK_ALIGN_START);
  gtk_widget_add_css_class (grid, "cash-keypad");
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkWidget *button;

      if (g_str_equal (keys[i], "back"))
        {
          button = gtk_button_new_from_icon_name ("edit-clear-symbolic");
          /* Translators: the keypad's backspace key, for screen readers and as its tooltip */
          gtk_widget_set_tooltip_text (button, _("Delete the last digit"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          _("Delete the last digit"), -1);
        }
      else if (g_str_equal (keys[i], "."))
        {
          button = gtk_button_new_with_label (till_money_decimal_point ());
          /* Translators: the keypad's key between whole units and cents, for screen readers */
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          _("Decimal separator"), -1);
          /* A currency without minor units (JPY) has no fraction to type. */
          gtk_widget_set_sensitive (button, pad->exponent > 0);
        }
      else
        button = gtk_button_new_with_label (keys[i]);
      gtk_widget_add_css_class (button, "cash-key");
      gtk_widget_add_css_class (button, "numeric");
      gtk_widget_set_name (button, g_str_equal (keys[i], ".") ? "point" : keys[i]);
      g_object_set_data (G_OBJECT (button), "key", (gpointer) keys[i]);
      g_signal_connect (button, "clicked", G_CALLBACK (key_clicked_cb), pad);
      gtk_grid_attach (GTK_GRID (grid), button, (int) (i % 3), (int) (i / 3), 1, 1);
    }
  return grid;
}

static void
cash_pay_async (TillPaymentProvider *provider,
                TillPayment         *payment,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(TillPaymentTask) task = till_payment_task_new (provider, payment, cancellable,
                                                          callback, user_data);
  CashPad *pad = g_new0 (CashPad, 1);
  GtkWidget *page, *middle, *title, *display, *change, *given, *quick;
  GtkEventController *keys;

  pad->task = task;
  pad->total = till_payment_get_amount (payment);
  pad->currency = till_payment_get_currency (payment);
  pad->exponent = till_currency_exponent (pad->currency);
  pad->typed = g_string_new (NULL);

  /* Quick amounts on the left, what was typed and "Given" in the middle, the keypad on the
   * right: one row, 4 keys high, so that it fits an 800x480 screen. */
  page = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 24);
  gtk_widget_set_halign (page, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (page, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (page, "cash-page");
  g_object_set_data_full (G_OBJECT (page), "till-cash-pad", pad, (GDestroyNotify) cash_pad_free);

  quick = quick_amounts (pad);

  middle = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_valign (middle, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (middle, "cash-given");
  title = gtk_label_new (_("What did the payer give?"));
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (title), 16);
  gtk_label_set_justify (GTK_LABEL (title), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (title, "cash-title");
  display = gtk_label_new (NULL);
  gtk_widget_add_css_class (display, "cash-display");
  gtk_widget_add_css_class (display, "numeric");
  /* Translators: screen-reader name of the amount typed on the cash keypad */
  gtk_accessible_update_property (GTK_ACCESSIBLE (display), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Amount given"), -1);
  change = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (change), TRUE);
  gtk_label_set_justify (GTK_LABEL (change), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (change, "cash-change");
  gtk_widget_add_css_class (change, "numeric");
  /* Translators: the button under the cash keypad: the payer gave the amount typed */
  given = gtk_button_new_with_label (C_("cash", "Given"));
  gtk_widget_add_css_class (given, "suggested-action");
  gtk_widget_add_css_class (given, "cash-given-button");
  gtk_box_append (GTK_BOX (middle), title);
  gtk_box_append (GTK_BOX (middle), display);
  gtk_box_append (GTK_BOX (middle), change);
  gtk_box_append (GTK_BOX (middle), given);
  g_signal_connect (given, "clicked", G_CALLBACK (given_clicked_cb), pad);

  pad->display = GTK_LABEL (display);
  pad->change = GTK_LABEL (change);
  pad->given = given;

  gtk_box_append (GTK_BOX (page), quick);
  gtk_box_append (GTK_BOX (page), middle);
  gtk_box_append (GTK_BOX (page), keypad (pad));
  cash_pad_update (pad);

  /* Before the focused button: a typed digit goes to the pad, whatever has the focus. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (cash_key_pressed_cb), pad);
  gtk_widget_add_controller (page, keys);

  /* The page holds the task until an amount is given or the sale is cancelled. */
  till_payment_task_present (task, page);
  gtk_widget_grab_focus (gtk_widget_get_first_child (quick));
}

static TillPaymentResult *
cash_pay_finish (TillPaymentProvider  *provider,
                 GAsyncResult         *result,
                 GError              **error)
{
  return till_payment_task_propagate (result, error);
}

static void
provider_iface_init (TillPaymentProviderInterface *iface)
{
  iface->get_id = cash_get_id;
  iface->get_name = cash_get_name;
  iface->get_icon_name = cash_get_icon_name;
  iface->get_order = cash_get_order;
  iface->pay_async = cash_pay_async;
  iface->pay_finish = cash_pay_finish;
}

TillPaymentProvider *
till_cash_provider_new (TillHost *host)
{
  return g_object_new (TILL_TYPE_CASH_PROVIDER, "host", host, NULL);
}
