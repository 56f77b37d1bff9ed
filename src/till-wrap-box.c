/* till-wrap-box.c: children in one row when their natural widths fit, else one per row.
 *
 * The merchant area's bar (its tabs, then Change PIN, Quit and Lock) on a narrow screen.
 * Decided at each allocation from the width given; nothing is changed but where the
 * children go, so a window, a maximized one and a full screen behave the same. In a row
 * the first child takes what the others leave; in a column each child gets the full width
 * and places itself by its own halign.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include "till-wrap-box.h"

#define SPACING 12

struct _TillWrapBox
{
  GtkWidget parent_instance;
  gboolean  wrapped;
};

static void buildable_iface_init (GtkBuildableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillWrapBox, till_wrap_box, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDABLE, buildable_iface_init))

static GtkBuildableIface *parent_buildable;

static void
till_wrap_box_add_child (GtkBuildable *buildable,
                         GtkBuilder   *builder,
                         GObject      *child,
                         const char   *type)
{
  if (GTK_IS_WIDGET (child) && type == NULL)
    gtk_widget_insert_before (GTK_WIDGET (child), GTK_WIDGET (buildable), NULL);
  else
    parent_buildable->add_child (buildable, builder, child, type);
}

static void
buildable_iface_init (GtkBuildableIface *iface)
{
  parent_buildable = g_type_interface_peek_parent (iface);
  iface->add_child = till_wrap_box_add_child;
}

/* The natural width of the one row. */
static int
row_width (GtkWidget *widget,
           gboolean   natural)
{
  int sum = 0, n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      int min, nat;

      if (!gtk_widget_should_layout (c))
        continue;
      gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      sum += natural ? nat : min;
      n++;
    }
  return sum + MAX (n - 1, 0) * SPACING;
}

static void
till_wrap_box_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  gboolean row = orientation == GTK_ORIENTATION_VERTICAL && (for_size < 0 || for_size >= row_width (widget, TRUE));
  int n = 0;

  *minimum = *natural = 0;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      int min, nat;

      if (!gtk_widget_should_layout (c))
        continue;
      if (orientation == GTK_ORIENTATION_HORIZONTAL)
        {
          /* At least the widest child (a column); naturally, the row. */
          gtk_widget_measure (c, orientation, -1, &min, &nat, NULL, NULL);
          *minimum = MAX (*minimum, min);
          *natural += nat;
        }
      else
        {
          gtk_widget_measure (c, orientation, row ? -1 : for_size, &min, &nat, NULL, NULL);
          if (row)
            {
              *minimum = MAX (*minimum, min);
              *natural = MAX (*natural, nat);
            }
          else
            {
              *minimum += min;
              *natural += nat;
            }
        }
      n++;
    }
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *natural += MAX (n - 1, 0) * SPACING;
  else if (!row)
    {
      *minimum += MAX (n - 1, 0) * SPACING;
      *natural += MAX (n - 1, 0) * SPACING;
    }
  *minimum_baseline = *natural_baseline = -1;
}

static void
till_wrap_box_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  TillWrapBox *self = TILL_WRAP_BOX (widget);
  GtkWidget *first = NULL;
  int x, y = 0;

  self->wrapped = width < row_width (widget, TRUE);
  if (self->wrapped)
    {
      for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
        {
          int min, nat;

          if (!gtk_widget_should_layout (c))
            continue;
          gtk_widget_measure (c, GTK_ORIENTATION_VERTICAL, width, &min, &nat, NULL, NULL);
          gtk_widget_size_allocate (c, &(GtkAllocation) { 0, y, width, nat }, -1);
          y += nat + SPACING;
        }
      return;
    }
  /* One row: the others at their natural width on the right, the first takes the rest. */
  x = width;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL && first == NULL; c = gtk_widget_get_next_sibling (c))
    if (gtk_widget_should_layout (c))
      first = c;
  for (GtkWidget *c = gtk_widget_get_last_child (widget); c != NULL && c != first; c = gtk_widget_get_prev_sibling (c))
    {
      int min, nat;

      if (!gtk_widget_should_layout (c))
        continue;
      gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      x -= nat;
      gtk_widget_size_allocate (c, &(GtkAllocation) { x, 0, nat, height }, -1);
      x -= SPACING;
    }
  if (first != NULL)
    gtk_widget_size_allocate (first, &(GtkAllocation) { 0, 0, MAX (x, 0), height }, -1);
}

static void
till_wrap_box_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (till_wrap_box_parent_class)->dispose (object);
}

static GtkSizeRequestMode
till_wrap_box_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
till_wrap_box_class_init (TillWrapBoxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_wrap_box_dispose;
  widget_class->measure = till_wrap_box_measure;
  widget_class->size_allocate = till_wrap_box_size_allocate;
  widget_class->get_request_mode = till_wrap_box_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "wrapbox");
}

static void
till_wrap_box_init (TillWrapBox *self)
{
}

gboolean
till_wrap_box_get_wrapped (TillWrapBox *self)
{
  g_return_val_if_fail (TILL_IS_WRAP_BOX (self), FALSE);
  return self->wrapped;
}
