"""Marketplace features 电商经营特征: sales level and trend, refunds, ratings, shop tenure.

Inputs: ``ecommerce/shops`` (shop → owner) and ``ecommerce/monthly``; a person with several
shops has their months summed (ratings weighted by rating count). As of ``as_of``
(``features.asof``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from puhui.data.sources import BY_NAME
from puhui.features import windows as w
from puhui.features.asof import known, months_back, months_between


def merchant_features(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Merchant features per person (index ``person_key``) who opened a shop before ``as_of``."""
    shops = known(facts["ecommerce/shops"], BY_NAME["ecommerce/shops"], as_of)
    monthly = known(facts["ecommerce/monthly"], BY_NAME["ecommerce/monthly"], as_of)
    monthly = monthly.merge(shops[["shop_id", "person_key"]], on="shop_id")
    monthly = monthly.assign(
        months_back=months_back(monthly["month"], as_of),
        rating_points=monthly["rating_avg"].fillna(0.0) * monthly["rating_count"],
    )
    columns = ["sales_fen", "order_count", "refund_count", "rating_points", "rating_count"]
    summed = monthly.groupby(["person_key", "months_back"], as_index=False)[columns].sum()
    persons, m = w.month_matrix(summed, columns)
    sales = m["sales_fen"] / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        orders = w.window_sum(m["order_count"], 6)
        refund_rate = np.where(orders > 0, w.window_sum(m["refund_count"], 6) / orders, np.nan)
        ratings = w.window_sum(m["rating_count"], 6)
        rating = np.where(ratings > 0, w.window_sum(m["rating_points"], 6) / ratings, np.nan)
    result = pd.DataFrame(
        {
            "shop_sales_mean_3m_yuan": w.window_mean(sales, 3),
            "shop_sales_mean_12m_yuan": w.window_mean(sales, 12),
            "shop_sales_trend_12m": w.window_trend(sales, 12),
            "shop_refund_rate_6m": refund_rate,
            "shop_rating_6m": rating,
        },
        index=persons,
    )
    opened = shops.groupby("person_key")["opened_date"].min()
    tenure = pd.DataFrame(
        {
            "has_shop": pd.Series(1.0, index=opened.index),
            "shop_age_months": months_between(opened, as_of).astype("float64"),
        }
    )
    return tenure.join(result, how="outer")
