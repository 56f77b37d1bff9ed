/* till-window.c: one window, no dialogs: sell, pay, result, receipt, merchant area.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <glib/gi18n.h>
#include <libpeas/peas.h>

#include "till-application.h"
#include "till-cart.h"
#include "till-cash-provider.h"
#include "till-notifier.h"
#include "till-pin.h"
#include "till-receipt.h"
#include "till-report-page.h"
#include "till-sales-record.h"
#include "till-sell-layout.h"
#include "till-window.h"
#include "till-wrap-box.h"

typedef enum
{
  PIN_MODE_UNLOCK,
  PIN_MODE_NEW,
  PIN_MODE_REPEAT,
} PinMode;

struct _TillWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  AdwToastOverlay     *toast_overlay;
  AdwHeaderBar        *header_bar;
  AdwWindowTitle      *window_title;
  GtkBox              *status_box;
  GtkButton           *merchant_button;
  GtkStack            *stack;
  GtkGridView         *products_view;
  GtkStack            *cart_stack;
  GtkListView         *cart_view;
  GtkLabel            *total_label;
  GtkButton           *pay_button;
  GtkLabel            *pay_label;
  GtkButton           *clear_button;
  GtkLabel            *pay_amount_label;
  GtkStack            *pay_stack;
  GtkBox              *methods_box;
  AdwBin              *provider_bin;
  GtkButton           *cancel_button;
  GtkBox              *result_page;
  GtkImage            *result_icon;
  GtkLabel            *result_title;
  GtkLabel            *result_amount;
  GtkLabel            *result_highlight;
  GtkLabel            *result_message;
  GtkLabel            *result_next_step;
  GtkLabel            *result_reference;
  GtkLabel            *result_code;
  GtkButton           *receipt_button;
  GtkButton           *retry_button;
  GtkButton           *again_button;
  GtkButton           *done_button;
  GtkLabel            *receipt_label;
  GtkButton           *receipt_done_button;
  GtkStack            *merchant_stack;
  GtkLabel            *pin_title;
  GtkLabel            *pin_display;
  GtkLabel            *pin_message;
  GtkGrid             *pin_grid;
  GtkButton           *pin_back_button;
  GtkButton           *change_pin_button;
  GtkButton           *quit_button;
  GtkButton           *lock_button;
  GtkStack            *merchant_pages;
  GtkFlowBox          *merchant_tabs;
  TillReportPage      *today_page;

  GSettings           *settings;
  TillCatalog         *catalog;
  TillCart            *cart;
  gboolean             demo;
  GtkCssProvider      *category_css;

  GPtrArray           *providers;       /* TillPaymentProvider, by order */
  PeasExtensionSet    *provider_set;
  PeasExtensionSet    *addin_set;

  /* The payment under way */
  TillPayment         *payment;
  TillPaymentProvider *provider;
  TillPaymentProvider *refused_by;      /* the provider of a refusal, for "Try again" */
  GCancellable        *cancellable;
  guint                return_timeout;
  gboolean             result_tap_returns; /* an approval: a tap anywhere starts the next sale */
  guint                size_classes_idle;
  gboolean             narrow;           /* the window's classes "narrow" and "short" */
  gboolean             short_;
  gint64               enter_quiet_until; /* monotonic µs: the result page ignores Enter before */

  /* The PIN pad: what it is for, what was typed, and the wrong PINs in a row */
  PinMode              pin_mode;
  GString             *pin;
  gchar               *new_pin;          /* while changing: the first entry, to repeat */
  GCancellable        *pin_cancellable;
  guint                pin_failures;
  gint64               pin_wait_until;   /* monotonic µs; no PIN is taken before */
  guint                pin_wait_timeout;
  gchar               *last_receipt;
  gchar               *review_page;      /* the merchant page to show once unlocked */
  AdwToast            *last_toast;       /* weak: the last plain message on screen */

  /* Kiosk: nothing closes the window but the merchant's Quit */
  gboolean             kiosk;
  gboolean             may_close;
  guint                inhibit_cookie;

  /* The day's sales, kept across restarts ("Today" reads it) */
  TillSalesBook       *book;
};

static void host_iface_init (TillHostInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillWindow, till_window, ADW_TYPE_APPLICATION_WINDOW,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_HOST, host_iface_init))

enum
{
  PROP_0,
  PROP_CATALOG,
  PROP_DEMO,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gchar *
format_amount (TillWindow *self,
               guint64     amount)
{
  return till_format_amount (amount, till_catalog_get_currency (self->catalog));
}

/* Products */

static void
product_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  TillWindow               *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *price = gtk_label_new (NULL);

  gtk_widget_add_css_class (box, "product");
  gtk_label_set_wrap (GTK_LABEL (name), TRUE);
  gtk_label_set_justify (GTK_LABEL (name), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (name), 14);
  gtk_widget_add_css_class (name, "product-name");
  gtk_widget_add_css_class (price, "product-price");
  gtk_widget_add_css_class (price, "numeric");
  gtk_widget_set_vexpand (name, TRUE);
  gtk_widget_set_valign (name, GTK_ALIGN_END);
  gtk_widget_set_valign (price, GTK_ALIGN_START);
  gtk_widget_set_vexpand (price, TRUE);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), price);
  gtk_list_item_set_child (item, box);
}

static gchar *
category_class (const char *category)
{
  GString *s = g_string_new ("category-");

  /* Category ids come from the catalog: keep only what a CSS class may hold. */
  for (const char *p = category; p && *p; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '-');
  return g_string_free (s, FALSE);
}

static void
product_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 TillWindow               *self)
{
  TillProduct *product = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *name = gtk_widget_get_first_child (box);
  GtkWidget *price = gtk_widget_get_next_sibling (name);
  g_autofree gchar *amount = format_amount (self, till_product_get_price (product));
  g_autofree gchar *css = category_class (till_product_get_category (product));
  g_autofree gchar *a11y = g_strdup_printf ("%s, %s", till_product_get_name (product), amount);
  const char *old = g_object_get_data (G_OBJECT (box), "category-class");

  gtk_label_set_text (GTK_LABEL (name), till_product_get_name (product));
  gtk_label_set_text (GTK_LABEL (price), amount);
  if (old != NULL)
    gtk_widget_remove_css_class (box, old);
  gtk_widget_add_css_class (box, css);
  g_object_set_data_full (G_OBJECT (box), "category-class", g_steal_pointer (&css), g_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
}

static void
product_activated_cb (TillWindow *self,
                      guint       position)
{
  g_autoptr(TillProduct) product = g_list_model_get_item (till_catalog_get_products (self->catalog),
                                                          position);
  if (product != NULL)
    till_cart_add (self->cart, product);
}

/* Cart */

static void
cart_step_cb (GtkButton  *button,
              TillWindow *self)
{
  GtkListItem *item = g_object_get_data (G_OBJECT (button), "item");
  TillCartLine *line = gtk_list_item_get_item (item);
  gboolean add = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "add"));

  if (line == NULL)
    return;
  if (add)
    till_cart_add (self->cart, till_cart_line_get_product (line));
  else
    till_cart_remove_one (self->cart, till_cart_line_get_product (line));
}

static GtkWidget *
step_button (TillWindow  *self,
             GtkListItem *item,
             gboolean     add)
{
  GtkWidget *button = gtk_button_new_from_icon_name (add ? "list-add-symbolic" : "list-remove-symbolic");

  gtk_widget_add_css_class (button, "step");
  gtk_widget_add_css_class (button, "circular");
  /* Translators: screen-reader names of the + and − buttons on a line of the sale */
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  add ? _("One more") : _("One less"), -1);
  g_object_set_data (G_OBJECT (button), "item", item);
  g_object_set_data (G_OBJECT (button), "add", GINT_TO_POINTER (add));
  g_signal_connect (button, "clicked", G_CALLBACK (cart_step_cb), self);
  return button;
}

static void
cart_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               TillWindow               *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *detail = gtk_label_new (NULL);
  GtkWidget *qty = gtk_label_new (NULL);

  gtk_widget_add_css_class (row, "cart-line");
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (detail), 0);
  gtk_widget_add_css_class (name, "cart-name");
  gtk_widget_add_css_class (detail, "numeric");
  gtk_widget_add_css_class (detail, "dim-label");
  gtk_widget_add_css_class (qty, "cart-qty");
  gtk_widget_add_css_class (qty, "numeric");
  gtk_widget_set_hexpand (labels, TRUE);
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (labels), name);
  gtk_box_append (GTK_BOX (labels), detail);
  gtk_box_append (GTK_BOX (row), labels);
  gtk_box_append (GTK_BOX (row), step_button (self, item, FALSE));
  gtk_box_append (GTK_BOX (row), qty);
  gtk_box_append (GTK_BOX (row), step_button (self, item, TRUE));
  gtk_list_item_set_child (item, row);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
cart_line_update (GtkListItem *item)
{
  TillCartLine *line = gtk_list_item_get_item (item);
  GtkWidget *row = gtk_list_item_get_child (item);
  GtkWidget *labels = gtk_widget_get_first_child (row);
  GtkWidget *name = gtk_widget_get_first_child (labels);
  GtkWidget *detail = gtk_widget_get_next_sibling (name);
  GtkWidget *qty = gtk_widget_get_next_sibling (gtk_widget_get_next_sibling (labels));
  TillWindow *self = g_object_get_data (G_OBJECT (row), "window");
  TillProduct *product;
  g_autofree gchar *total = NULL;
  g_autofree gchar *count = NULL;

  if (line == NULL || self == NULL)
    return;
  product = till_cart_line_get_product (line);
  total = format_amount (self, till_cart_line_get_total (line));
  count = g_strdup_printf ("%u", till_cart_line_get_quantity (line));
  gtk_label_set_text (GTK_LABEL (name), till_product_get_name (product));
  gtk_label_set_text (GTK_LABEL (detail), total);
  gtk_label_set_text (GTK_LABEL (qty), count);
}

static void
cart_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              TillWindow               *self)
{
  TillCartLine *line = gtk_list_item_get_item (item);

  g_object_set_data (G_OBJECT (gtk_list_item_get_child (item)), "window", self);
  cart_line_update (item);
  g_signal_connect_swapped (line, "notify::quantity", G_CALLBACK (cart_line_update), item);
}

static void
cart_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                TillWindow               *self)
{
  TillCartLine *line = gtk_list_item_get_item (item);

  if (line != NULL)
    g_signal_handlers_disconnect_by_func (line, cart_line_update, item);
}

static void
cart_changed_cb (TillWindow *self)
{
  guint64 total = till_cart_get_total (self->cart);
  guint n = till_cart_get_n_items (self->cart);
  g_autofree gchar *amount = format_amount (self, total);
  g_autofree gchar *pay = NULL;

  gtk_label_set_text (self->total_label, amount);
  gtk_stack_set_visible_child_name (self->cart_stack, n > 0 ? "lines" : "empty");
  gtk_widget_set_sensitive (GTK_WIDGET (self->pay_button), n > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->clear_button), n > 0);
  /* Translators: the big button, e.g. "Pay €12.50" */
  pay = n > 0 ? g_strdup_printf (_("Pay %s"), amount) : g_strdup (C_("button", "Pay"));
  gtk_label_set_text (self->pay_label, pay);
  /* Its child is a label the screen reader does not reach through the button: say it. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pay_button), GTK_ACCESSIBLE_PROPERTY_LABEL, pay, -1);
}

static void
clear_clicked_cb (TillWindow *self)
{
  till_cart_clear (self->cart);
}

/* Paying */

static void show_sell (TillWindow *self);
static void pay_done_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
present_cb (TillPayment *payment,
            GtkWidget   *page,
            TillWindow  *self)
{
  if (payment != self->payment)
    return;
  adw_bin_set_child (self->provider_bin, page);
  gtk_stack_set_visible_child_name (self->pay_stack, "provider");
}

static void
end_payment (TillWindow *self)
{
  if (self->payment != NULL)
    g_signal_handlers_disconnect_by_func (self->payment, present_cb, self);
  g_clear_object (&self->payment);
  g_clear_object (&self->provider);
  g_clear_object (&self->refused_by);
  g_clear_object (&self->cancellable);
  adw_bin_set_child (self->provider_bin, NULL);
}

static void
start_provider (TillWindow          *self,
                TillPaymentProvider *provider)
{
  if (self->payment == NULL || self->provider != NULL)
    return;
  self->provider = g_object_ref (provider);
  self->cancellable = g_cancellable_new ();
  till_payment_provider_pay_async (provider, self->payment, self->cancellable, pay_done_cb,
                                   g_object_ref (self));
}

static void
method_clicked_cb (GtkButton  *button,
                   TillWindow *self)
{
  start_provider (self, g_object_get_data (G_OBJECT (button), "provider"));
}

static TillPayment *
payment_from_cart (TillWindow *self)
{
  GListModel *lines = till_cart_get_lines (self->cart);
  TillPayment *payment = till_payment_new (till_cart_get_total (self->cart),
                                           till_catalog_get_currency (self->catalog));

  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr(TillCartLine) line = g_list_model_get_item (lines, i);
      TillProduct *product = till_cart_line_get_product (line);

      till_payment_add_line (payment, till_product_get_name (product), till_product_get_category (product),
                             till_cart_line_get_quantity (line), till_cart_line_get_total (line));
    }
  return payment;
}

static void
rebuild_methods (TillWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->methods_box))) != NULL)
    gtk_box_remove (self->methods_box, child);
  for (guint i = 0; i < self->providers->len; i++)
    {
      TillPaymentProvider *provider = self->providers->pdata[i];
      GtkWidget *button = gtk_button_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
      GtkWidget *icon = gtk_image_new_from_icon_name (till_payment_provider_get_icon_name (provider));
      GtkWidget *label = gtk_label_new (till_payment_provider_get_name (provider));
      const char *unavailable = till_payment_provider_get_unavailable_reason (provider);

      gtk_image_set_pixel_size (GTK_IMAGE (icon), 64);
      gtk_box_append (GTK_BOX (box), icon);
      gtk_box_append (GTK_BOX (box), label);
      /* A method that would refuse says so before anyone taps it. */
      if (unavailable != NULL)
        {
          GtkWidget *why = gtk_label_new (unavailable);
          gtk_label_set_wrap (GTK_LABEL (why), TRUE);
          gtk_label_set_max_width_chars (GTK_LABEL (why), 20);
          gtk_label_set_justify (GTK_LABEL (why), GTK_JUSTIFY_CENTER);
          gtk_widget_add_css_class (why, "method-unavailable");
          gtk_box_append (GTK_BOX (box), why);
          gtk_widget_set_sensitive (button, FALSE);
        }
      gtk_button_set_child (GTK_BUTTON (button), box);
      /* The tile is an icon and labels in a box: its name is the method's, and why it is
       * unavailable, if it is, is its description. */
      gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, till_payment_provider_get_name (provider),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, unavailable ? unavailable : "",
                                      -1);
      gtk_widget_add_css_class (button, "method");
      gtk_widget_set_name (button, till_payment_provider_get_id (provider));
      g_object_set_data (G_OBJECT (button), "provider", provider);
      g_signal_connect (button, "clicked", G_CALLBACK (method_clicked_cb), self);
      gtk_box_append (self->methods_box, button);
    }
}

static void
show_methods (TillWindow *self)
{
  g_autofree gchar *amount = format_amount (self, till_payment_get_amount (self->payment));

  gtk_label_set_text (self->pay_amount_label, amount);
  gtk_stack_set_visible_child_name (self->pay_stack, "methods");
  gtk_stack_set_visible_child_name (self->stack, "pay");
  if (self->providers->len > 0)
    gtk_widget_grab_focus (gtk_widget_get_first_child (GTK_WIDGET (self->methods_box)));
}

static void
pay_clicked_cb (TillWindow *self)
{
  if (till_cart_get_n_items (self->cart) == 0 || self->payment != NULL)
    return;
  self->payment = payment_from_cart (self);
  g_signal_connect (self->payment, "present", G_CALLBACK (present_cb), self);
  show_methods (self);
}

static void
cancel_clicked_cb (TillWindow *self)
{
  if (self->provider != NULL)
    {
      /* The provider answers with G_IO_ERROR_CANCELLED; pay_done_cb goes back. */
      g_cancellable_cancel (self->cancellable);
      return;
    }
  end_payment (self);
  show_sell (self);
}

static void
show_sell (TillWindow *self)
{
  g_clear_handle_id (&self->return_timeout, g_source_remove);
  self->result_tap_returns = FALSE;
  gtk_stack_set_visible_child_name (self->stack, "sell");
  /* On a product tile, so that Enter adds it and the arrows move between tiles. */
  gtk_widget_grab_focus (GTK_WIDGET (self->products_view));
  gtk_widget_child_focus (GTK_WIDGET (self->products_view), GTK_DIR_TAB_FORWARD);
}

static gboolean
auto_return_cb (gpointer user_data)
{
  TillWindow *self = user_data;

  self->return_timeout = 0;
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "result") == 0)
    show_sell (self);
  return G_SOURCE_REMOVE;
}

/* A scanner's Enter comes after the code it typed; a whole code is decided as soon as its
 * last character arrives, so that Enter may reach the result page: it must not press the
 * focused button and take the refusal away before the cashier has read it. */
#define ENTER_QUIET_USEC (G_USEC_PER_SEC)

static gboolean
result_key_pressed_cb (GtkEventControllerKey *controller,
                       guint                  keyval,
                       guint                  keycode,
                       GdkModifierType        state,
                       TillWindow            *self)
{
  gboolean enter = keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter;

  return enter && g_get_monotonic_time () < self->enter_quiet_until;
}

static void
show_result (TillWindow              *self,
             const TillPaymentResult *result)
{
  g_autofree gchar *amount = format_amount (self, till_payment_get_amount (self->payment));
  GtkWidget *primary;

  gtk_widget_remove_css_class (GTK_WIDGET (self->result_page), "approved");
  gtk_widget_remove_css_class (GTK_WIDGET (self->result_page), "declined");
  gtk_widget_add_css_class (GTK_WIDGET (self->result_page), result->approved ? "approved" : "declined");
  gtk_image_set_from_icon_name (self->result_icon, result->approved ? "emblem-ok-symbolic"
                                                                    : "dialog-error-symbolic");
  gtk_label_set_text (self->result_title, result->title);
  gtk_label_set_text (self->result_amount, amount);
  gtk_label_set_text (self->result_highlight, result->highlight ? result->highlight : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_highlight), result->highlight != NULL);
  gtk_label_set_text (self->result_message, result->message ? result->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_message), result->message != NULL);
  gtk_label_set_text (self->result_next_step, result->next_step ? result->next_step : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_next_step), result->next_step != NULL);
  gtk_label_set_text (self->result_reference, result->reference ? result->reference : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_reference), result->reference != NULL);
  gtk_label_set_text (self->result_code, result->reason_code ? result->reason_code : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_code), result->reason_code != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->receipt_button), result->approved);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), !result->approved);
  gtk_widget_set_visible (GTK_WIDGET (self->again_button),
                          !result->approved && result->next_action == TILL_PAYMENT_ACTION_RETRY);
  gtk_button_set_label (self->again_button, result->action_label ? result->action_label
                                                                 : C_("payment", "Try again"));
  gtk_button_set_label (self->done_button, result->approved ? _("New sale") : _("Back to the sale"));
  /* The recommended next step is the primary button, and has the focus. */
  primary = GTK_WIDGET (self->done_button);
  if (!result->approved && result->next_action == TILL_PAYMENT_ACTION_OTHER_METHOD)
    primary = GTK_WIDGET (self->retry_button);
  else if (!result->approved && result->next_action == TILL_PAYMENT_ACTION_RETRY)
    primary = GTK_WIDGET (self->again_button);
  for (GtkWidget *b = gtk_widget_get_first_child (gtk_widget_get_parent (primary)); b != NULL;
       b = gtk_widget_get_next_sibling (b))
    if (b == primary)
      gtk_widget_add_css_class (b, "suggested-action");
    else
      gtk_widget_remove_css_class (b, "suggested-action");
  gtk_stack_set_visible_child_name (self->stack, "result");
  self->enter_quiet_until = g_get_monotonic_time () + ENTER_QUIET_USEC;
  gtk_widget_grab_focus (primary);

  if (result->approved)
    {
      /* Only now, after the provider recorded the sale, is the cart cleared. */
      {
        g_autofree gchar *merchant = g_settings_get_string (self->settings, "merchant-name");
        g_autoptr(GDateTime) now = g_date_time_new_now_local ();

        g_free (self->last_receipt);
        self->last_receipt = till_receipt_build (self->payment, result, merchant, now);
      }
      gtk_label_set_text (self->receipt_label, self->last_receipt);
      till_cart_clear (self->cart);
      /* What the cashier must act on (the change to hand back) stays until tapped. */
      self->result_tap_returns = TRUE;
      if (result->highlight == NULL)
        self->return_timeout = g_timeout_add_seconds (g_settings_get_uint (self->settings, "auto-return-seconds"),
                                                      auto_return_cb, self);
    }
}

static void
pay_done_cb (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TillPaymentResult) result = NULL;

  result = till_payment_provider_pay_finish (TILL_PAYMENT_PROVIDER (source), res, &error);
  if (self->provider != TILL_PAYMENT_PROVIDER (source))
    return;
  g_clear_object (&self->refused_by);
  if (result != NULL && !result->approved)
    self->refused_by = g_object_ref (TILL_PAYMENT_PROVIDER (source));
  g_clear_object (&self->provider);
  g_clear_object (&self->cancellable);
  adw_bin_set_child (self->provider_bin, NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Cancelled: the sale is still in the cart, nothing was charged. */
      end_payment (self);
      show_sell (self);
      return;
    }
  /* Into the day's book before the approval shows. The payer paid: if the book cannot be
   * written the sale is still shown approved, and the merchant is told. */
  if (result != NULL && result->approved &&
      !till_sales_record_payment (self->book, self->payment, result,
                                  till_payment_provider_get_id (TILL_PAYMENT_PROVIDER (source)), NULL))
    till_host_notify (TILL_HOST (self), _("This sale is not in the day's sales book. A wallet sale is added "
                                          "back from the terminal at the next start; note a cash sale by hand."),
                      FALSE);
  if (result == NULL)
    {
      result = till_payment_result_new (FALSE, TILL_PAYMENT_MODE_CASH, "", _("Not paid"));
      result->message = g_strdup (error ? error->message : _("The payment failed."));
      result->next_step = g_strdup (_("Ask for another payment method."));
      result->next_action = TILL_PAYMENT_ACTION_OTHER_METHOD;
    }
  show_result (self, result);
  if (result->approved)
    end_payment (self);
}

static void
retry_clicked_cb (TillWindow *self)
{
  if (self->payment != NULL)
    show_methods (self);
  else
    show_sell (self);
}

/* The same method afresh for the same sale: for a wallet, a new request to scan. */
static void
again_clicked_cb (TillWindow *self)
{
  g_autoptr(TillPaymentProvider) provider = g_steal_pointer (&self->refused_by);

  if (self->payment == NULL || provider == NULL)
    {
      show_sell (self);
      return;
    }
  show_methods (self);
  start_provider (self, provider);
}

static void
done_clicked_cb (TillWindow *self)
{
  if (self->payment != NULL && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "result") == 0)
    end_payment (self);
  show_sell (self);
}

static void
receipt_clicked_cb (TillWindow *self)
{
  g_clear_handle_id (&self->return_timeout, g_source_remove);
  gtk_stack_set_visible_child_name (self->stack, "receipt");
}

static void
result_tapped_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  TillWindow      *self)
{
  /* An approval goes away on a tap anywhere; a refusal waits for a button. */
  if (self->payment == NULL && self->result_tap_returns &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "result") == 0)
    show_sell (self);
}

/* Merchant area */

static void
pin_update (TillWindow *self)
{
  g_autoptr(GString) dots = g_string_new (NULL);

  for (gsize i = 0; i < self->pin->len; i++)
    g_string_append (dots, "●");
  gtk_label_set_text (self->pin_display, self->pin->len ? dots->str : "");
}

static void pin_wait_update (TillWindow *self);

static void
pin_set_message (TillWindow *self,
                 const char *message)
{
  gtk_label_set_text (self->pin_message, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->pin_message), message != NULL);
}

static void
pin_set_mode (TillWindow *self,
              PinMode     mode)
{
  static const char *titles[] = {
    [PIN_MODE_UNLOCK] = N_("Merchant PIN"),
    [PIN_MODE_NEW] = N_("New PIN"),
    [PIN_MODE_REPEAT] = N_("The new PIN again"),
  };

  self->pin_mode = mode;
  pin_set_message (self, NULL);
  if (mode != PIN_MODE_REPEAT && self->new_pin != NULL)
    {
      memset (self->new_pin, 0, strlen (self->new_pin));
      g_clear_pointer (&self->new_pin, g_free);
    }
  gtk_label_set_text (self->pin_title, _(titles[mode]));
  g_string_truncate (self->pin, 0);
  pin_update (self);
  pin_wait_update (self);
}

static gboolean
pin_wait_cb (gpointer user_data)
{
  TillWindow *self = user_data;

  pin_wait_update (self);
  return self->pin_wait_timeout != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* While the pad waits after too many wrong PINs, it says so and for how long, every second. */
static void
pin_wait_update (TillWindow *self)
{
  gint64 left = self->pin_wait_until - g_get_monotonic_time ();

  if (self->pin_mode != PIN_MODE_UNLOCK || left <= 0)
    {
      self->pin_wait_until = MIN (self->pin_wait_until, g_get_monotonic_time ());
      if (self->pin_wait_timeout != 0)
        {
          /* The source returns G_SOURCE_REMOVE by itself once this is 0. */
          self->pin_wait_timeout = 0;
          pin_set_message (self, NULL);
        }
      gtk_widget_set_sensitive (GTK_WIDGET (self->pin_grid), self->pin_cancellable == NULL);
      return;
    }
  {
    guint seconds = (guint) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
    g_autofree gchar *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                           "Too many wrong PINs. Try again in %u second.",
                                                           "Too many wrong PINs. Try again in %u seconds.",
                                                           seconds), seconds);
    pin_set_message (self, text);
  }
  gtk_widget_set_sensitive (GTK_WIDGET (self->pin_grid), FALSE);
  if (self->pin_wait_timeout == 0)
    self->pin_wait_timeout = g_timeout_add_seconds (1, pin_wait_cb, self);
}

static void
pin_checked_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = till_pin_check_finish (G_SETTINGS (source), result, &error);
  guint wait;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->pin_cancellable);
  if (error != NULL)
    g_warning ("The PIN could not be checked: %s", error->message);
  if (ok)
    {
      self->pin_failures = 0;
      pin_set_message (self, NULL);
      gtk_stack_set_visible_child_name (self->merchant_stack, "area");
      if (self->review_page != NULL)
        gtk_stack_set_visible_child_name (self->merchant_pages, self->review_page);
      g_clear_pointer (&self->review_page, g_free);
    }
  else
    {
      self->pin_failures++;
      wait = till_pin_backoff_seconds (self->pin_failures);
      self->pin_wait_until = g_get_monotonic_time () + wait * G_USEC_PER_SEC;
      if (wait == 0)
        pin_set_message (self, _("Wrong PIN"));
    }
  pin_wait_update (self);
}

static void
pin_changed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!till_pin_change_finish (G_SETTINGS (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->pin_cancellable);
  pin_set_mode (self, PIN_MODE_UNLOCK);
  gtk_stack_set_visible_child_name (self->merchant_stack, "area");
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (error == NULL ? _("The PIN is changed.")
                                                            : _("The PIN could not be changed.")));
}

static void
pin_entered (TillWindow *self)
{
  g_autofree gchar *pin = g_strndup (self->pin->str, self->pin->len);

  memset (self->pin->str, 0, self->pin->len);
  g_string_truncate (self->pin, 0);
  switch (self->pin_mode)
    {
    case PIN_MODE_UNLOCK:
      self->pin_cancellable = g_cancellable_new ();
      till_pin_check_async (self->settings, pin, self->pin_cancellable, pin_checked_cb,
                            g_object_ref (self));
      break;
    case PIN_MODE_NEW:
      if (strlen (pin) < TILL_PIN_MIN_LENGTH)
        {
          g_autofree gchar *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                 "A PIN has at least %u digit.",
                                                                 "A PIN has at least %u digits.",
                                                                 TILL_PIN_MIN_LENGTH),
                                                    TILL_PIN_MIN_LENGTH);
          pin_set_message (self, text);
          break;
        }
      pin_set_mode (self, PIN_MODE_REPEAT);
      self->new_pin = g_steal_pointer (&pin);
      break;
    case PIN_MODE_REPEAT:
      if (g_strcmp0 (pin, self->new_pin) != 0)
        {
          pin_set_mode (self, PIN_MODE_NEW);
          pin_set_message (self, _("The two PINs differ. Type the new PIN again."));
          break;
        }
      self->pin_cancellable = g_cancellable_new ();
      till_pin_change_async (self->settings, pin, self->pin_cancellable, pin_changed_cb,
                             g_object_ref (self));
      break;
    default:
      g_assert_not_reached ();
    }
  if (pin != NULL)
    memset (pin, 0, strlen (pin));
  pin_update (self);
  pin_wait_update (self);
}

static void
pin_key_cb (GtkButton  *button,
            TillWindow *self)
{
  const char *key = g_object_get_data (G_OBJECT (button), "key");

  if (self->pin_cancellable != NULL || self->pin_wait_until > g_get_monotonic_time ())
    return;
  if (g_str_equal (key, "clear"))
    g_string_truncate (self->pin, 0);
  else if (g_str_equal (key, "ok"))
    {
      pin_entered (self);
      return;
    }
  else if (self->pin->len < 12)
    {
      /* The last answer ("Wrong PIN") goes once the next PIN is being typed. */
      pin_set_message (self, NULL);
      g_string_append (self->pin, key);
    }
  pin_update (self);
}

static void
build_pin_pad (TillWindow *self)
{
  static const char *keys[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "ok" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkWidget *button;

      if (g_str_equal (keys[i], "clear"))
        /* Translators: on the PIN pad: erases the digits typed so far */
        button = gtk_button_new_with_label (C_("PIN pad", "Clear"));
      else if (g_str_equal (keys[i], "ok"))
        {
          /* Translators: on the PIN pad: confirms the PIN typed */
          button = gtk_button_new_with_label (C_("PIN pad", "OK"));
          gtk_widget_add_css_class (button, "suggested-action");
        }
      else
        button = gtk_button_new_with_label (keys[i]);
      gtk_widget_add_css_class (button, "pin-key");
      /* Words ("Clear", "OK") in smaller type than digits: three columns fit 800 px. */
      if (!g_ascii_isdigit (keys[i][0]))
        gtk_widget_add_css_class (button, "pin-word");
      g_object_set_data (G_OBJECT (button), "key", (gpointer) keys[i]);
      g_signal_connect (button, "clicked", G_CALLBACK (pin_key_cb), self);
      gtk_grid_attach (self->pin_grid, button, (int) (i % 3), (int) (i / 3), 1, 1);
    }
}

static void
merchant_clicked_cb (TillWindow *self)
{
  if (self->payment != NULL)
    return;  /* not in the middle of a sale */
  pin_set_mode (self, PIN_MODE_UNLOCK);
  gtk_stack_set_visible_child_name (self->merchant_stack, "pin");
  gtk_stack_set_visible_child_name (self->stack, "merchant");
}

static void
lock_clicked_cb (TillWindow *self)
{
  g_clear_pointer (&self->review_page, g_free);
  /* A PIN being changed is dropped; a check under way is forgotten. */
  g_cancellable_cancel (self->pin_cancellable);
  g_clear_object (&self->pin_cancellable);
  pin_set_mode (self, PIN_MODE_UNLOCK);
  gtk_stack_set_visible_child_name (self->merchant_stack, "pin");
  show_sell (self);
}

static void
change_pin_clicked_cb (TillWindow *self)
{
  pin_set_mode (self, PIN_MODE_NEW);
  gtk_stack_set_visible_child_name (self->merchant_stack, "pin");
}

static void
quit_clicked_cb (TillWindow *self)
{
  /* Only from behind the PIN: the one way out of a kiosk. */
  self->may_close = TRUE;
  gtk_window_close (GTK_WINDOW (self));
}

/* Kiosk */

static gboolean
till_window_close_request (GtkWindow *window)
{
  TillWindow *self = TILL_WINDOW (window);

  /* The window manager's close, Alt+F4 and window.close all end here: a kiosk stays. */
  if (self->kiosk && !self->may_close)
    {
      g_debug ("Kiosk: the window does not close; the merchant area has Quit");
      return TRUE;
    }
  return GTK_WINDOW_CLASS (till_window_parent_class)->close_request (window);
}

static gboolean
kiosk_swallow_cb (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  /* Handled, so GtkWindow's own bindings (the Inspector on Ctrl+Shift+I and Ctrl+Shift+D)
   * never see the key. */
  return TILL_WINDOW (widget)->kiosk;
}

static void
add_kiosk_shortcuts (TillWindow *self)
{
  /* The capture phase runs before the class bindings, whatever the GTK debug settings say
   * (org.gtk.gtk4.Settings.Debug enable-inspector-keybinding defaults to true, and it is
   * the user's setting, not ours to write). */
  static const guint keys[] = { GDK_KEY_I, GDK_KEY_D };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (controller), GTK_SHORTCUT_SCOPE_GLOBAL);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (keys[i],
                                                                                    GDK_CONTROL_MASK | GDK_SHIFT_MASK),
                                                            gtk_callback_action_new (kiosk_swallow_cb, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

/* Providers and addins from plugins */

static int
compare_providers (gconstpointer a, gconstpointer b)
{
  TillPaymentProvider *pa = *(TillPaymentProvider **) a, *pb = *(TillPaymentProvider **) b;

  return till_payment_provider_get_order (pa) - till_payment_provider_get_order (pb);
}

static void
provider_added_cb (PeasExtensionSet *set,
                   PeasPluginInfo   *info,
                   GObject          *extension,
                   TillWindow       *self)
{
  g_signal_connect_object (extension, "availability-changed", G_CALLBACK (rebuild_methods), self,
                           G_CONNECT_SWAPPED);
  g_ptr_array_add (self->providers, g_object_ref (extension));
  g_ptr_array_sort (self->providers, compare_providers);
  rebuild_methods (self);
}

static void
provider_removed_cb (PeasExtensionSet *set,
                     PeasPluginInfo   *info,
                     GObject          *extension,
                     TillWindow       *self)
{
  g_ptr_array_remove (self->providers, extension);
  rebuild_methods (self);
}

static void
addin_added_cb (PeasExtensionSet *set,
                PeasPluginInfo   *info,
                GObject          *extension,
                TillWindow       *self)
{
  till_host_addin_load (TILL_HOST_ADDIN (extension), TILL_HOST (self));
}

static void
addin_removed_cb (PeasExtensionSet *set,
                  PeasPluginInfo   *info,
                  GObject          *extension,
                  TillWindow       *self)
{
  till_host_addin_unload (TILL_HOST_ADDIN (extension), TILL_HOST (self));
}

static void
load_extensions (TillWindow *self)
{
  PeasEngine *engine = peas_engine_get_default ();

  g_ptr_array_add (self->providers, till_cash_provider_new (TILL_HOST (self)));
  self->provider_set = peas_extension_set_new (engine, TILL_TYPE_PAYMENT_PROVIDER, "host", self, NULL);
  g_signal_connect (self->provider_set, "extension-added", G_CALLBACK (provider_added_cb), self);
  g_signal_connect (self->provider_set, "extension-removed", G_CALLBACK (provider_removed_cb), self);
  peas_extension_set_foreach (self->provider_set, (PeasExtensionSetForeachFunc) provider_added_cb, self);
  rebuild_methods (self);

  self->addin_set = peas_extension_set_new (engine, TILL_TYPE_HOST_ADDIN, "host", self, NULL);
  g_signal_connect (self->addin_set, "extension-added", G_CALLBACK (addin_added_cb), self);
  g_signal_connect (self->addin_set, "extension-removed", G_CALLBACK (addin_removed_cb), self);
  peas_extension_set_foreach (self->addin_set, (PeasExtensionSetForeachFunc) addin_added_cb, self);
}

/* TillHost */

static void
host_add_status_widget (TillHost  *host,
                        GtkWidget *widget)
{
  gtk_box_append (TILL_WINDOW (host)->status_box, widget);
}

/* The merchant area's tabs: a toggle button per page of merchant_pages, in a flow box that
 * wraps. The stack stays the one truth: a tab shows its page, and the visible page marks its
 * tab. */

static void
merchant_tab_toggled_cb (GtkToggleButton *button,
                         TillWindow      *self)
{
  if (gtk_toggle_button_get_active (button))
    gtk_stack_set_visible_child_name (self->merchant_pages,
                                      g_object_get_data (G_OBJECT (button), "page-name"));
}

static void
merchant_tabs_sync (TillWindow *self)
{
  const char *visible = gtk_stack_get_visible_child_name (self->merchant_pages);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->merchant_tabs));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *button = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));
      const char *name = g_object_get_data (G_OBJECT (button), "page-name");

      g_signal_handlers_block_by_func (button, merchant_tab_toggled_cb, self);
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (button), g_strcmp0 (name, visible) == 0);
      g_signal_handlers_unblock_by_func (button, merchant_tab_toggled_cb, self);
    }
}

static void
merchant_tabs_rebuild (TillWindow *self)
{
  g_autoptr(GtkSelectionModel) pages = gtk_stack_get_pages (self->merchant_pages);
  GtkToggleButton *group = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->merchant_tabs))) != NULL)
    gtk_flow_box_remove (self->merchant_tabs, child);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (pages)); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (pages), i);
      GtkStackPage *page = GTK_STACK_PAGE (item);
      GtkWidget *button = gtk_toggle_button_new_with_label (gtk_stack_page_get_title (page));

      g_object_set_data_full (G_OBJECT (button), "page-name", g_strdup (gtk_stack_page_get_name (page)), g_free);
      if (group != NULL)
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), group);
      else
        group = GTK_TOGGLE_BUTTON (button);
      g_signal_connect (button, "toggled", G_CALLBACK (merchant_tab_toggled_cb), self);
      gtk_flow_box_append (self->merchant_tabs, button);
    }
  merchant_tabs_sync (self);
}

static void
host_add_merchant_page (TillHost   *host,
                        const char *id,
                        const char *title,
                        GtkWidget  *page)
{
  /* The page scrolls as a whole: on a short screen (800x480 leaves about 200 px under the
   * merchant bar) its headings scroll away with it instead of making the window taller than
   * the screen. A page with a list of its own gives that list a minimum height. */
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), page);
  gtk_stack_add_titled (TILL_WINDOW (host)->merchant_pages, scroller, id, title);
  merchant_tabs_rebuild (TILL_WINDOW (host));
}

static void
host_remove_widget (TillHost  *host,
                    GtkWidget *widget)
{
  TillWindow *self = TILL_WINDOW (host);
  GtkWidget *parent = gtk_widget_get_parent (widget);
  GtkWidget *scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);

  if (parent == GTK_WIDGET (self->status_box))
    gtk_box_remove (self->status_box, widget);
  else if (scroller != NULL && gtk_widget_get_parent (scroller) == GTK_WIDGET (self->merchant_pages))
    {
      gtk_stack_remove (self->merchant_pages, scroller);
      merchant_tabs_rebuild (self);
    }
}

static void
host_notify (TillHost   *host,
             const char *message,
             gboolean    urgent)
{
  TillWindow *self = TILL_WINDOW (host);
  AdwToast *toast = adw_toast_new (message);

  /* A newer state supersedes the last message ("Network back" after "Network down"): the
   * old one goes rather than wait its turn in the queue. */
  if (self->last_toast != NULL)
    adw_toast_dismiss (self->last_toast);
  g_set_weak_pointer (&self->last_toast, toast);
  adw_toast_set_priority (toast, urgent ? ADW_TOAST_PRIORITY_HIGH : ADW_TOAST_PRIORITY_NORMAL);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  /* Urgent news also goes to the desktop, for a merchant away from the kiosk. With no
   * notification daemon the toast above is all there is, and that is fine. */
  if (urgent)
    till_notifier_show (_("Till"), message, TRUE, NULL, NULL, NULL);
}

static void
host_notify_review (TillHost   *host,
                    const char *title,
                    const char *body,
                    const char *review_page)
{
  TillWindow *self = TILL_WINDOW (host);
  /* "Late declines: 2 more sales…", but "Offline payments are paused on this kiosk. The
   * kiosk…" when the title is a sentence of its own. */
  gboolean sentence = g_str_has_suffix (title, ".") || g_str_has_suffix (title, "!") ||
                      g_str_has_suffix (title, "?");
  g_autofree gchar *text = body == NULL ? g_strdup (title)
                           : g_strdup_printf (sentence ? "%s %s" : "%s: %s", title, body);
  AdwToast *toast = adw_toast_new (text);
  GAction *review = g_action_map_lookup_action (G_ACTION_MAP (self), "review");

  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  if (review_page != NULL)
    {
      adw_toast_set_timeout (toast, 0);   /* until dismissed: the merchant acts on it */
      /* Translators: the button of a notification (and of the message on screen) that
       * opens the merchant's page about it, behind the PIN */
      adw_toast_set_button_label (toast, C_("notification", "Review"));
      adw_toast_set_action_name (toast, "win.review");
      adw_toast_set_action_target (toast, "s", review_page);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  till_notifier_show (title, body, TRUE,
                      review_page != NULL ? C_("notification", "Review") : NULL,
                      review_page != NULL ? review : NULL,
                      review_page != NULL ? g_variant_new_string (review_page) : NULL);
}

/* "win.review": the merchant page a notification is about, behind the PIN. */
static void
review_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  TillWindow *self = TILL_WINDOW (user_data);
  const char *page = g_variant_get_string (parameter, NULL);

  if (gtk_stack_get_child_by_name (self->merchant_pages, page) == NULL)
    return;
  gtk_window_present (GTK_WINDOW (self));
  g_free (self->review_page);
  self->review_page = g_strdup (page);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "merchant") == 0 &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->merchant_stack), "area") == 0)
    {
      gtk_stack_set_visible_child_name (self->merchant_pages, page);
      g_clear_pointer (&self->review_page, g_free);
      return;
    }
  /* Not in the middle of a sale: the page waits for the sale to end otherwise. */
  if (self->payment == NULL)
    merchant_clicked_cb (self);
}

static gboolean
host_is_demo (TillHost *host)
{
  return TILL_WINDOW (host)->demo;
}

static const char *
host_get_currency (TillHost *host)
{
  return till_catalog_get_currency (TILL_WINDOW (host)->catalog);
}

static GSettings *
host_get_settings (TillHost *host)
{
  return TILL_WINDOW (host)->settings;
}

static void
host_iface_init (TillHostInterface *iface)
{
  iface->add_status_widget = host_add_status_widget;
  iface->add_merchant_page = host_add_merchant_page;
  iface->remove_widget = host_remove_widget;
  iface->notify = host_notify;
  iface->notify_review = host_notify_review;
  iface->is_demo = host_is_demo;
  iface->get_currency = host_get_currency;
  iface->get_settings = host_get_settings;
}

/* Screen sizes: from 800x480 up */

#define SHORT_HEIGHT 600

static gboolean
size_classes_cb (gpointer user_data)
{
  TillWindow *self = user_data;

  self->size_classes_idle = 0;
  if (self->narrow)
    gtk_widget_add_css_class (GTK_WIDGET (self), "narrow");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "narrow");
  if (self->short_)
    gtk_widget_add_css_class (GTK_WIDGET (self), "short");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "short");
  return G_SOURCE_REMOVE;
}

/* The window's size, whatever set it (the default size, a maximize, a full screen), gives
 * it the classes "narrow" (under 900 px wide) and "short" (under 600 px high) for the
 * style sheet: smaller type and icons where space is short. The classes change only
 * sizes that do not decide them (no loop), after the allocation, never during it. */
static void
till_window_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  TillWindow *self = TILL_WINDOW (widget);
  gboolean narrow = width < TILL_SELL_LAYOUT_NARROW;
  gboolean short_ = height < SHORT_HEIGHT;

  GTK_WIDGET_CLASS (till_window_parent_class)->size_allocate (widget, width, height, baseline);
  if ((narrow != self->narrow || short_ != self->short_) && self->size_classes_idle == 0)
    self->size_classes_idle = g_idle_add (size_classes_cb, self);
  self->narrow = narrow;
  self->short_ = short_;
}

/* Escape is Cancel on the pay page, the next sale on the result page, back to sales on the
 * PIN pad: the whole sale works from a keyboard. */
static gboolean
escape_pressed_cb (GtkEventControllerKey *controller,
                   guint                  keyval,
                   guint                  keycode,
                   GdkModifierType        state,
                   TillWindow            *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);

  if (keyval != GDK_KEY_Escape)
    return FALSE;
  if (g_strcmp0 (page, "pay") == 0)
    cancel_clicked_cb (self);
  else if (g_strcmp0 (page, "result") == 0 && self->result_tap_returns)
    done_clicked_cb (self);
  else if (g_strcmp0 (page, "receipt") == 0)
    done_clicked_cb (self);
  else if (g_strcmp0 (page, "merchant") == 0 &&
           g_strcmp0 (gtk_stack_get_visible_child_name (self->merchant_stack), "pin") == 0)
    lock_clicked_cb (self);
  else
    return FALSE;
  return TRUE;
}

/* GObject */

static void
load_category_css (TillWindow *self)
{
  GListModel *products = till_catalog_get_products (self->catalog);
  g_autoptr(GString) css = g_string_new (NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (products); i++)
    {
      g_autoptr(TillProduct) p = g_list_model_get_item (products, i);
      g_autofree gchar *cls = category_class (till_product_get_category (p));
      const char *color = till_product_get_color (p);
      GdkRGBA rgba;

      /* Colours come from the catalog: only well-formed ones reach the style sheet. */
      if (color == NULL || !gdk_rgba_parse (&rgba, color) || !g_hash_table_add (seen, g_strdup (cls)))
        continue;
      g_string_append_printf (css, ".product.%s { background-color: alpha(%s, 0.16); "
                              "border-bottom: 6px solid %s; }\n", cls, color, color);
    }
  self->category_css = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (self->category_css, css->str, (gssize) css->len);
  gtk_style_context_add_provider_for_display (gtk_widget_get_display (GTK_WIDGET (self)),
                                              GTK_STYLE_PROVIDER (self->category_css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
}

static void
till_window_constructed (GObject *object)
{
  TillWindow *self = TILL_WINDOW (object);
  GtkListItemFactory *factory;
  GtkGesture *tap;

  G_OBJECT_CLASS (till_window_parent_class)->constructed (object);

  g_signal_connect_object (self->merchant_pages, "notify::visible-child",
                           G_CALLBACK (merchant_tabs_sync), self, G_CONNECT_SWAPPED);
  merchant_tabs_rebuild (self);

  g_assert (self->catalog != NULL);
  adw_window_title_set_title (self->window_title, till_catalog_get_name (self->catalog));
  if (self->demo)
    /* Translators: under the shop's name when the app runs as a demonstration */
    adw_window_title_set_subtitle (self->window_title, C_("mode", "Demo"));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (product_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (product_bind_cb), self);
  gtk_grid_view_set_factory (self->products_view, factory);
  g_object_unref (factory);
  {
    g_autoptr(GtkNoSelection) model = gtk_no_selection_new (g_object_ref (till_catalog_get_products (self->catalog)));
    gtk_grid_view_set_model (self->products_view, GTK_SELECTION_MODEL (model));
  }
  load_category_css (self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (cart_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (cart_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (cart_unbind_cb), self);
  gtk_list_view_set_factory (self->cart_view, factory);
  g_object_unref (factory);
  {
    g_autoptr(GtkNoSelection) model = gtk_no_selection_new (g_object_ref (till_cart_get_lines (self->cart)));
    gtk_list_view_set_model (self->cart_view, GTK_SELECTION_MODEL (model));
  }
  g_signal_connect_object (self->cart, "notify::total", G_CALLBACK (cart_changed_cb), self, G_CONNECT_SWAPPED);
  cart_changed_cb (self);

  /* On a narrow screen the result page's and the merchant bar's buttons wrap their words
   * rather than push the row past the edge. */
  {
    GtkButton *buttons[] = { self->receipt_button, self->retry_button, self->again_button, self->done_button,
                             self->change_pin_button, self->quit_button, self->lock_button };

    for (gsize i = 0; i < G_N_ELEMENTS (buttons); i++)
      {
        GtkWidget *text = gtk_button_get_child (buttons[i]);

        gtk_label_set_wrap (GTK_LABEL (text), TRUE);
        gtk_label_set_justify (GTK_LABEL (text), GTK_JUSTIFY_CENTER);
        if (i >= 4)
          {
            gtk_label_set_max_width_chars (GTK_LABEL (text), 20);
            /* Naturally on one line: GTK's default for a wrapping label is its narrowest
             * width, which stacked "Quit the kiosk" on three lines with room to spare. */
            gtk_label_set_natural_wrap_mode (GTK_LABEL (text), GTK_NATURAL_WRAP_NONE);
          }
      }
  }

  tap = gtk_gesture_click_new ();
  g_signal_connect (tap, "released", G_CALLBACK (result_tapped_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->stack), GTK_EVENT_CONTROLLER (tap));
  {
    GtkEventController *keys = gtk_event_controller_key_new ();

    gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
    g_signal_connect (keys, "key-pressed", G_CALLBACK (result_key_pressed_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->result_page), keys);
  }

  {
    GtkEventController *keys = gtk_event_controller_key_new ();

    g_signal_connect (keys, "key-pressed", G_CALLBACK (escape_pressed_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->stack), keys);
  }

  build_pin_pad (self);
  load_extensions (self);
  {
    g_autofree gchar *notice = NULL;

    self->book = till_sales_record_open_book (self->settings, self->demo, &notice);
    if (notice != NULL)
      till_host_notify (TILL_HOST (self), notice, TRUE);
    till_report_page_set_providers (self->today_page, self->providers);
    till_report_page_set_book (self->today_page, self->book);
    /* Sales a provider approved while the book could not be written come back now. */
    if (self->book != NULL)
      till_sales_record_repair_async (self->book, self->providers, NULL, NULL, NULL);
  }
  show_sell (self);
}

static void
till_window_dispose (GObject *object)
{
  TillWindow *self = TILL_WINDOW (object);

  g_clear_handle_id (&self->return_timeout, g_source_remove);
  g_clear_handle_id (&self->size_classes_idle, g_source_remove);
  g_clear_handle_id (&self->pin_wait_timeout, g_source_remove);
  g_cancellable_cancel (self->pin_cancellable);
  g_clear_object (&self->pin_cancellable);
  if (self->inhibit_cookie != 0 && gtk_window_get_application (GTK_WINDOW (self)) != NULL)
    gtk_application_uninhibit (gtk_window_get_application (GTK_WINDOW (self)), self->inhibit_cookie);
  self->inhibit_cookie = 0;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  /* Unload each addin once: the sets' own disposal would emit extension-removed again. */
  if (self->provider_set != NULL)
    g_signal_handlers_disconnect_by_data (self->provider_set, self);
  if (self->addin_set != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->addin_set, self);
      peas_extension_set_foreach (self->addin_set, (PeasExtensionSetForeachFunc) addin_removed_cb, self);
    }
  g_clear_object (&self->addin_set);
  g_clear_object (&self->provider_set);
  if (self->category_css != NULL)
    gtk_style_context_remove_provider_for_display (gtk_widget_get_display (GTK_WIDGET (self)),
                                                   GTK_STYLE_PROVIDER (self->category_css));
  g_clear_object (&self->category_css);
  end_payment (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_WINDOW);
  G_OBJECT_CLASS (till_window_parent_class)->dispose (object);
}

static void
till_window_finalize (GObject *object)
{
  TillWindow *self = TILL_WINDOW (object);

  g_clear_pointer (&self->providers, g_ptr_array_unref);
  g_clear_pointer (&self->review_page, g_free);
  g_clear_weak_pointer (&self->last_toast);
  g_clear_object (&self->book);
  g_clear_object (&self->settings);
  g_clear_object (&self->catalog);
  g_clear_object (&self->cart);
  g_string_free (self->pin, TRUE);
  g_free (self->new_pin);
  g_free (self->last_receipt);
  G_OBJECT_CLASS (till_window_parent_class)->finalize (object);
}

static void
till_window_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TillWindow *self = TILL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CATALOG:
      self->catalog = g_value_dup_object (value);
      break;
    case PROP_DEMO:
      self->demo = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_window_class_init (TillWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = till_window_constructed;
  object_class->dispose = till_window_dispose;
  object_class->finalize = till_window_finalize;
  object_class->set_property = till_window_set_property;
  GTK_WINDOW_CLASS (klass)->close_request = till_window_close_request;
  widget_class->size_allocate = till_window_size_allocate;

  properties[PROP_CATALOG] =
    g_param_spec_object ("catalog", NULL, NULL, TILL_TYPE_CATALOG,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEMO] =
    g_param_spec_boolean ("demo", NULL, NULL, FALSE,
                          G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TILL_TYPE_REPORT_PAGE);
  g_type_ensure (TILL_TYPE_SELL_LAYOUT);
  g_type_ensure (TILL_TYPE_WRAP_BOX);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, TillWindow, name)
  CHILD (toast_overlay);
  CHILD (header_bar);
  CHILD (window_title);
  CHILD (status_box);
  CHILD (merchant_button);
  CHILD (stack);
  CHILD (products_view);
  CHILD (cart_stack);
  CHILD (cart_view);
  CHILD (total_label);
  CHILD (pay_button);
  CHILD (pay_label);
  CHILD (clear_button);
  CHILD (pay_amount_label);
  CHILD (pay_stack);
  CHILD (methods_box);
  CHILD (provider_bin);
  CHILD (cancel_button);
  CHILD (result_page);
  CHILD (result_icon);
  CHILD (result_title);
  CHILD (result_amount);
  CHILD (result_highlight);
  CHILD (result_message);
  CHILD (result_next_step);
  CHILD (result_reference);
  CHILD (result_code);
  CHILD (receipt_button);
  CHILD (retry_button);
  CHILD (again_button);
  CHILD (done_button);
  CHILD (receipt_label);
  CHILD (receipt_done_button);
  CHILD (merchant_stack);
  CHILD (pin_title);
  CHILD (pin_display);
  CHILD (pin_message);
  CHILD (pin_grid);
  CHILD (pin_back_button);
  CHILD (change_pin_button);
  CHILD (quit_button);
  CHILD (lock_button);
  CHILD (merchant_pages);
  CHILD (merchant_tabs);
  CHILD (today_page);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, product_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, pay_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, clear_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, receipt_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, again_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, done_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, merchant_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, lock_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, change_pin_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, quit_clicked_cb);
}

static const GActionEntry window_actions[] = {
  { .name = "review", .activate = review_activated_cb, .parameter_type = "s" },
};

static void
till_window_init (TillWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cart = till_cart_new ();
  self->providers = g_ptr_array_new_with_free_func (g_object_unref);
  self->pin = g_string_new (NULL);
  self->settings = g_settings_new (SCHEMA_ID);
  add_kiosk_shortcuts (self);
  g_action_map_add_action_entries (G_ACTION_MAP (self), window_actions, G_N_ELEMENTS (window_actions), self);
}

TillWindow *
till_window_new (TillApplication *app,
                 TillCatalog     *catalog,
                 gboolean         demo)
{
  return g_object_new (TILL_TYPE_WINDOW, "application", app, "catalog", catalog, "demo", demo, NULL);
}

TillCart *
till_window_get_cart (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);
  return self->cart;
}

TillCatalog *
till_window_get_catalog (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);
  return self->catalog;
}

void
till_window_set_kiosk (TillWindow *self,
                       gboolean    kiosk)
{
  GtkApplication *app;
  GtkSettings *settings;

  g_return_if_fail (TILL_IS_WINDOW (self));

  kiosk = !!kiosk;
  self->kiosk = kiosk;
  app = gtk_window_get_application (GTK_WINDOW (self));
  settings = gtk_widget_get_settings (GTK_WIDGET (self));
  /* Nothing to close or move by accident; full screen even without a window manager. */
  gtk_window_set_decorated (GTK_WINDOW (self), !kiosk);
  gtk_window_set_resizable (GTK_WINDOW (self), !kiosk);
  adw_header_bar_set_show_start_title_buttons (self->header_bar, !kiosk);
  adw_header_bar_set_show_end_title_buttons (self->header_bar, !kiosk);
  gtk_widget_set_visible (GTK_WIDGET (self->quit_button), kiosk);
  if (kiosk)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "kiosk");
      gtk_window_fullscreen (GTK_WINDOW (self));
      /* No window menu (Minimize would leave no way back) on a right-click in the header,
       * and no maximize or lower on a double or middle click. */
      g_object_set (settings,
                    "gtk-titlebar-right-click", "none",
                    "gtk-titlebar-double-click", "none",
                    "gtk-titlebar-middle-click", "none",
                    NULL);
      if (self->inhibit_cookie == 0 && app != NULL)
        self->inhibit_cookie = gtk_application_inhibit (app, GTK_WINDOW (self), GTK_APPLICATION_INHIBIT_IDLE,
                                                        _("The kiosk is selling: the screen stays on"));
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self), "kiosk");
      gtk_window_unfullscreen (GTK_WINDOW (self));
      gtk_settings_reset_property (settings, "gtk-titlebar-right-click");
      gtk_settings_reset_property (settings, "gtk-titlebar-double-click");
      gtk_settings_reset_property (settings, "gtk-titlebar-middle-click");
      if (self->inhibit_cookie != 0 && app != NULL)
        gtk_application_uninhibit (app, self->inhibit_cookie);
      self->inhibit_cookie = 0;
    }
}

gboolean
till_window_get_kiosk (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), FALSE);
  return self->kiosk;
}

/**
 * till_window_get_inhibit_cookie:
 *
 * Returns: the session manager's cookie for the idle inhibition a kiosk asks for, or 0
 *   if it was not asked or not granted (no session manager).
 */
guint
till_window_get_inhibit_cookie (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), 0);
  return self->inhibit_cookie;
}

const char *
till_window_get_page (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}
