/* till-sell-layout.c: the sell page's arrangement: the cart beside the grid, or under it.
 *
 * Decided in size_allocate from the width the page gets, so the same code serves a window,
 * a maximized one and a full screen, and nothing is queued again while allocating (no
 * property flips: the children are only placed). Its children, by their type in the .ui:
 *
 *   wide (900 px and more)            narrow
 *   +----------------+-------+        +-------------------------+
 *   |                | lines |        |        products         |
 *   |    products    |       |        +-------------+-----------+
 *   |                | total |        |  lines      |  total    |
 *   |                | pay   |        |             | clear pay |
 *   |                | clear |        +-------------+-----------+
 *   +----------------+-------+
 *
 * "panel" (an empty widget styled .cart-panel) is drawn first, under the cart's part.
 * Pay and Clear are always inside the page; the grid and the lines scroll.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include "till-sell-layout.h"

enum
{
  PART_PANEL,
  PART_PRODUCTS,
  PART_LINES,
  PART_TOTAL,
  PART_PAY,
  PART_CLEAR,
  N_PARTS
};

static const char *part_names[N_PARTS] = { "panel", "products", "lines", "total", "pay", "clear" };

struct _TillSellLayout
{
  GtkWidget  parent_instance;
  GtkWidget *parts[N_PARTS];
  gboolean   narrow;
};

static void buildable_iface_init (GtkBuildableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillSellLayout, till_sell_layout, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDABLE, buildable_iface_init))

#define PAD 16
#define GAP 12
#define CART_MIN 320
#define CART_MAX 440
#define ACTIONS_NARROW_MAX 400

static GtkBuildableIface *parent_buildable;

static void
till_sell_layout_add_child (GtkBuildable *buildable,
                            GtkBuilder   *builder,
                            GObject      *child,
                            const char   *type)
{
  TillSellLayout *self = TILL_SELL_LAYOUT (buildable);

  for (guint i = 0; GTK_IS_WIDGET (child) && i < N_PARTS; i++)
    if (g_strcmp0 (type, part_names[i]) == 0)
      {
        g_return_if_fail (self->parts[i] == NULL);
        self->parts[i] = GTK_WIDGET (child);
        /* In drawing order: the panel under the rest. */
        gtk_widget_insert_before (GTK_WIDGET (child), GTK_WIDGET (self),
                                  i == PART_PANEL ? gtk_widget_get_first_child (GTK_WIDGET (self)) : NULL);
        return;
      }
  parent_buildable->add_child (buildable, builder, child, type);
}

static void
buildable_iface_init (GtkBuildableIface *iface)
{
  parent_buildable = g_type_interface_peek_parent (iface);
  iface->add_child = till_sell_layout_add_child;
}

static void
measure_part (TillSellLayout *self,
              guint           part,
              GtkOrientation  orientation,
              int             for_size,
              int            *min,
              int            *nat)
{
  *min = *nat = 0;
  if (self->parts[part] != NULL && gtk_widget_get_visible (self->parts[part]))
    gtk_widget_measure (self->parts[part], orientation, for_size, min, nat, NULL, NULL);
}

static int
part_height (TillSellLayout *self,
             guint           part,
             int             width,
             gboolean        natural)
{
  int min, nat;

  measure_part (self, part, GTK_ORIENTATION_VERTICAL, width, &min, &nat);
  return natural ? nat : min;
}

static int
part_width (TillSellLayout *self,
            guint           part,
            gboolean        natural)
{
  int min, nat;

  measure_part (self, part, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat);
  return natural ? nat : min;
}

/* The cart column's width when wide, the actions' width when narrow. */
static int
cart_width (TillSellLayout *self,
            int             width,
            gboolean        narrow)
{
  int least = MAX (MAX (part_width (self, PART_LINES, FALSE), part_width (self, PART_PAY, FALSE)),
                   part_width (self, PART_TOTAL, FALSE)) + 2 * PAD;

  if (narrow)
    {
      least = MAX (least, part_width (self, PART_PAY, FALSE) + part_width (self, PART_CLEAR, FALSE) + GAP + 2 * PAD);
      return MAX (least, MIN (width * 45 / 100, ACTIONS_NARROW_MAX));
    }
  return MAX (least, CLAMP (width * 34 / 100, CART_MIN, CART_MAX));
}

/* Narrow: the height of the right-hand part (total, then Clear and Pay side by side). */
static int
actions_height_narrow (TillSellLayout *self,
                       int             width,
                       gboolean        natural)
{
  int clear_w = part_width (self, PART_CLEAR, TRUE);
  int row = MAX (part_height (self, PART_PAY, width - 2 * PAD - GAP - clear_w, natural),
                 part_height (self, PART_CLEAR, clear_w, natural));

  return PAD + part_height (self, PART_TOTAL, width - 2 * PAD, natural) + GAP + row + PAD;
}

/* Wide: the height of total, Pay and Clear, stacked at the column's foot. */
static int
actions_height_wide (TillSellLayout *self,
                     int             width,
                     gboolean        natural)
{
  int inner = width - 2 * PAD;

  return part_height (self, PART_TOTAL, inner, natural) + GAP + part_height (self, PART_PAY, inner, natural) +
         GAP + part_height (self, PART_CLEAR, inner, natural) + PAD;
}

static int
strip_height (TillSellLayout *self,
              int             width,
              int             height)
{
  int aw = cart_width (self, width, TRUE);
  int actions = actions_height_narrow (self, aw, TRUE);
  int lines_min = part_height (self, PART_LINES, width - aw, FALSE) + 2 * PAD;
  int lines_nat = part_height (self, PART_LINES, width - aw, TRUE) + 2 * PAD;

  return MAX (MAX (actions, lines_min), MIN (lines_nat, height * 42 / 100));
}

static void
till_sell_layout_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  TillSellLayout *self = TILL_SELL_LAYOUT (widget);
  int pmin, pnat;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* At least what the narrow arrangement needs; naturally, the grid beside a cart. */
      measure_part (self, PART_PRODUCTS, orientation, -1, &pmin, &pnat);
      *minimum = MAX (pmin, part_width (self, PART_LINES, FALSE) + 2 * PAD +
                            cart_width (self, 0, TRUE));
      *natural = MAX (*minimum, pnat + CART_MAX);
    }
  else
    {
      gboolean narrow = for_size >= 0 && for_size < TILL_SELL_LAYOUT_NARROW;
      int width = for_size >= 0 ? for_size : TILL_SELL_LAYOUT_NARROW;
      int cw = cart_width (self, width, narrow);

      measure_part (self, PART_PRODUCTS, orientation, -1, &pmin, &pnat);
      if (narrow)
        {
          int lines = part_height (self, PART_LINES, width - cw, FALSE) + 2 * PAD;
          *minimum = pmin + MAX (actions_height_narrow (self, cw, FALSE), lines);
          *natural = pnat + MAX (actions_height_narrow (self, cw, TRUE), lines);
        }
      else
        {
          int lines_min, lines_nat;

          measure_part (self, PART_LINES, orientation, cw - 2 * PAD, &lines_min, &lines_nat);
          *minimum = MAX (pmin, PAD + lines_min + GAP + actions_height_wide (self, cw, FALSE));
          *natural = MAX (pnat, PAD + lines_nat + GAP + actions_height_wide (self, cw, TRUE));
        }
    }
  *minimum_baseline = *natural_baseline = -1;
}

static void
place (GtkWidget *child,
       int        x,
       int        y,
       int        width,
       int        height)
{
  if (child != NULL && gtk_widget_get_visible (child))
    gtk_widget_size_allocate (child, &(GtkAllocation) { x, y, MAX (width, 0), MAX (height, 0) }, -1);
}

static void
till_sell_layout_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  TillSellLayout *self = TILL_SELL_LAYOUT (widget);
  GtkWidget **p = self->parts;

  self->narrow = width < TILL_SELL_LAYOUT_NARROW;
  if (self->narrow)
    {
      int aw = cart_width (self, width, TRUE);
      int strip = MIN (strip_height (self, width, height), height);
      int top = height - strip;
      int clear_w = part_width (self, PART_CLEAR, TRUE);
      int total_h = part_height (self, PART_TOTAL, aw - 2 * PAD, FALSE);
      int row_y = top + PAD + total_h + GAP;
      int row_h = strip - 2 * PAD - total_h - GAP;

      place (p[PART_PRODUCTS], 0, 0, width, top);
      place (p[PART_PANEL], 0, top, width, strip);
      place (p[PART_LINES], PAD, top + PAD, width - aw - PAD, strip - 2 * PAD);
      place (p[PART_TOTAL], width - aw + PAD, top + PAD, aw - 2 * PAD, total_h);
      /* The row sits at the strip's foot, as high as Pay wants (not the whole rest). */
      row_h = MIN (row_h, MAX (part_height (self, PART_PAY, aw - 2 * PAD - GAP - clear_w, TRUE),
                               part_height (self, PART_CLEAR, clear_w, TRUE)));
      row_y = height - PAD - row_h;
      place (p[PART_CLEAR], width - aw + PAD, row_y, clear_w, row_h);
      place (p[PART_PAY], width - aw + PAD + clear_w + GAP, row_y, aw - 2 * PAD - clear_w - GAP, row_h);
    }
  else
    {
      int cw = cart_width (self, width, FALSE);
      int x = width - cw, inner = cw - 2 * PAD;
      int clear_h = part_height (self, PART_CLEAR, inner, TRUE);
      int pay_h = part_height (self, PART_PAY, inner, TRUE);
      int total_h = part_height (self, PART_TOTAL, inner, TRUE);
      int y = height - PAD - clear_h;

      place (p[PART_PRODUCTS], 0, 0, width - cw, height);
      place (p[PART_PANEL], x, 0, cw, height);
      place (p[PART_CLEAR], x + PAD, y, inner, clear_h);
      y -= GAP + pay_h;
      place (p[PART_PAY], x + PAD, y, inner, pay_h);
      y -= GAP + total_h;
      place (p[PART_TOTAL], x + PAD, y, inner, total_h);
      place (p[PART_LINES], x + PAD, PAD, inner, y - GAP - PAD);
    }
}

static void
till_sell_layout_dispose (GObject *object)
{
  TillSellLayout *self = TILL_SELL_LAYOUT (object);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  memset (self->parts, 0, sizeof self->parts);
  G_OBJECT_CLASS (till_sell_layout_parent_class)->dispose (object);
}

static GtkSizeRequestMode
till_sell_layout_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
till_sell_layout_class_init (TillSellLayoutClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_sell_layout_dispose;
  widget_class->measure = till_sell_layout_measure;
  widget_class->size_allocate = till_sell_layout_size_allocate;
  widget_class->get_request_mode = till_sell_layout_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "selllayout");
}

static void
till_sell_layout_init (TillSellLayout *self)
{
}

gboolean
till_sell_layout_get_narrow (TillSellLayout *self)
{
  g_return_val_if_fail (TILL_IS_SELL_LAYOUT (self), FALSE);
  return self->narrow;
}
