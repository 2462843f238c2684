"""Seeded random loan books for tests and benchmarks (every product, method and basis)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from puhui.products import Catalogue, Segment
from puhui.store.bulk import LoanSpec

_SEGMENT_FOR = {
    "xintai_farmer_line": Segment.FARMER,
    "merchant_sales_line": Segment.MERCHANT,
    "seasonal_farm_loan": Segment.FARMER,
    "disaster_insurance_loan": Segment.FARMER,
    "green_agri_loan": Segment.FARMER,
}


def random_book(
    catalogue: Catalogue,
    n: int,
    seed: int,
    wallet_share: float = 0.7,
    spread_before: date | None = None,
) -> Iterator[LoanSpec]:
    """``n`` customers, each with one line and one drawdown; most keep money in the wallet.

    With ``spread_before`` the loans were drawn over the 28 days before that date, so due dates
    spread over the month as in a real book.
    """
    rng = random.Random(seed)
    codes = sorted(catalogue.products)
    for i in range(n):
        product = catalogue.get(rng.choice(codes))
        band = rng.choice(sorted(product.rate_bands))
        methods = product.methods_for(band)
        low, high = int(product.amount_min_yuan), int(product.amount_max_yuan)
        limit = Decimal(rng.randrange(max(low, 2000), min(high, 100_000) + 1, 100))
        amount = Decimal(rng.randrange(int(product.draw_min_yuan), int(limit) + 1, 100))
        term = rng.choice(product.terms_months)
        # some borrowers keep enough in the wallet for a few instalments, some nothing
        wallet = (
            Decimal(rng.randrange(0, int(amount) // 2 + 1, 10))
            if rng.random() < wallet_share
            else Decimal(0)
        )
        yield LoanSpec(
            name=f"客户{i + 1}",
            segment=_SEGMENT_FOR[product.code].value,
            product_code=product.code,
            limit_yuan=limit,
            band=band,
            amount_yuan=amount,
            term_months=term,
            method=rng.choice(methods),
            wallet_yuan=wallet,
            keep_disbursement=rng.random() < 0.2,
            start_date=(
                spread_before - timedelta(days=rng.randrange(0, 29)) if spread_before else None
            ),
            county="新泰市",
            township=rng.choice(["羊流镇", "楼德镇", "天宝镇", "小协镇"]),
        )
