/* sales-world.h: a terminal whose sales have every fate the status view shows, made through
 * the engine and a sync answer signed by an acquirer key, as tests/engine/test-sync.c does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "testutil.h"

G_BEGIN_DECLS

enum
{
  SALE_SETTLED,        /* 450: settled */
  SALE_DOUBLE_SPEND,   /* 1200: declined late, double spend */
  SALE_NO_FUNDS,       /* 800: retry scheduled, insufficient funds (attempt 1) */
  SALE_UNMATCHED,      /* 300: retry, unknown credential (the acquirer retries by itself) */
  SALE_WAITING,        /* 250: sold after the sync: waiting */
  N_SALES
};

/* The world with its terminal closed (w->terminal NULL, the database at w->db_path); sales
 * get the sales' decisions, in the order above. */
TestWorld *sales_world_new (OffauthDecision sales[N_SALES]);
/* The sale numbered seq, as listed by the terminal (opened again with the world's clock). */
OffauthSaleInfo sales_world_info (TestWorld *w,
                                  guint64    seq);

G_END_DECLS
