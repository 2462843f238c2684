"""What the payment platform and the e-commerce marketplace see each month.

Payment platform (account holders only):
- inflow = the household's income × its digital share (the part of its money that passes
  through the wallet) × noise; outflow = spending × digital share, never more than the
  balance plus the month's inflow; the balance carries over. The lender's own disbursements
  and repayments are *not* in these figures (they are in ``lender/``).
- counts of receipts and payments; utility-bill payments 生活缴费 and how many were paid
  after their due date (willingness shows here); days with a login (fewer once in default);
- transfers to contacts (mostly kin circle and village, some to accounts outside the county),
  aggregated per month and counterparty;
- device changes 换机 (more frequent for low willingness and after default).

E-commerce (shops of merchants): sales follow the shop's season and the household's fortune;
orders, refunds (more for low willingness/ability) and ratings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from puhui.sim.economy import SHOP_SEASON, MonthFlows
from puhui.sim.population import Population, user_ids
from puhui.sim.schemas import table
from puhui.sim.timeline import Timeline

EXTERNAL_SHARE = 0.1
EXTERNAL_ACCOUNTS_PER_RESIDENT = 10
DEVICE_ID_SPAN = 1 << 60


@dataclass(frozen=True, slots=True)
class PlatformState:
    balance_yuan: np.ndarray


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _fen(yuan: np.ndarray) -> np.ndarray:
    """Simulated yuan amounts to integer fen, half-up, once (files never hold float money)."""
    return np.floor(yuan * 100 + 0.5).astype(np.int64)


def initial_platform(
    pop: Population, flows_typical_yuan: np.ndarray, gen: np.random.Generator
) -> PlatformState:
    return PlatformState(
        balance_yuan=flows_typical_yuan * pop.digital_share * np.exp(gen.normal(-0.7, 0.6, pop.n))
    )


def platform_month(
    pop: Population,
    flows: MonthFlows,
    state: PlatformState,
    in_default: np.ndarray,
    shop_id: np.ndarray,
    timeline: Timeline,
    t: int,
    gen: np.random.Generator,
) -> tuple[PlatformState, dict[str, pa.Table]]:
    """The month's platform and e-commerce rows, and the carried-over balances."""
    who = np.flatnonzero(pop.has_account)
    d = pop.digital_share[who]
    stress = flows.stress[who]
    bad = in_default[who]
    inflow = flows.income_yuan[who] * d * np.exp(gen.normal(-0.01, 0.15, who.size))
    wanted = flows.spending_yuan[who] * d * np.exp(gen.normal(-0.01, 0.15, who.size))
    available = state.balance_yuan[who] + inflow
    outflow = np.minimum(wanted, available)
    balance = state.balance_yuan.copy()
    balance[who] = available - outflow

    bills = gen.poisson(2.5 * (0.5 + d))
    bill_fen = _fen(
        bills * 110.0 * np.exp(0.1 * pop.household_size[who] + gen.normal(0, 0.3, who.size))
    )
    late_p = _logistic(-3.1 - 0.5 * pop.willingness[who] + 0.8 * stress + 1.5 * bad)
    days = int(timeline.days_in_month[t])
    login_p = np.clip((0.15 + 0.7 * d) * np.where(bad, 0.5, 1.0), 0.02, 0.98)
    month_day = np.full(who.size, timeline.first_day[t])
    monthly = table(
        "platform/monthly",
        {
            "user_id": pop.user_id[who],
            "month": month_day,
            "inflow_fen": _fen(inflow),
            "outflow_fen": _fen(outflow),
            "inflow_count": gen.poisson(1.0 + inflow / 1500.0),
            "outflow_count": gen.poisson(2.0 + outflow / 90.0),
            "bill_payment_count": bills,
            "bill_payment_fen": bill_fen,
            "bill_late_count": gen.binomial(bills, late_p),
            "login_days": gen.binomial(days, login_p),
            "balance_end_fen": _fen(balance[who]),
        },
    )
    tables = {
        "platform/monthly": monthly,
        "platform/transfers": _transfers(pop, flows, timeline, t, gen),
        "platform/device_changes": _device_changes(pop, in_default, timeline, t, gen),
        "ecommerce/monthly": _shop_month(pop, flows, in_default, shop_id, timeline, t, gen),
    }
    return PlatformState(balance), tables


def _transfers(
    pop: Population, flows: MonthFlows, timeline: Timeline, t: int, gen: np.random.Generator
) -> pa.Table:
    degree = np.diff(pop.contact_start)
    sender = np.flatnonzero(pop.has_account & (degree > 0))
    k = np.minimum(gen.poisson(0.4 + 0.5 * pop.digital_share[sender]), degree[sender])
    src = np.repeat(sender, k)
    pick = pop.contact_start[src] + (gen.random(src.size) * degree[src]).astype(np.int64)
    dst_user = pop.user_id[pop.contact_target[pick]]
    external = gen.random(src.size) < EXTERNAL_SHARE
    outside = pop.n + gen.integers(0, EXTERNAL_ACCOUNTS_PER_RESIDENT * pop.n, int(external.sum()))
    dst_user[external] = user_ids(pop.user_id_keys, outside)
    src_user = pop.user_id[src]
    # One row per (sender, counterparty) and month: merge repeated picks.
    order = np.lexsort((dst_user, src_user))
    src_user, dst_user, src = src_user[order], dst_user[order], src[order]
    new_pair = np.ones(src.size, dtype=bool)
    new_pair[1:] = (src_user[1:] != src_user[:-1]) | (dst_user[1:] != dst_user[:-1])
    group = np.cumsum(new_pair) - 1
    first = np.flatnonzero(new_pair)
    count = np.bincount(group, minlength=first.size) + gen.poisson(0.4, src.size)[first]
    typical = np.maximum(flows.typical_month_yuan[src[first]], 300.0)
    amount = count * np.exp(gen.normal(np.log(150 + 0.05 * typical), 0.8))
    return table(
        "platform/transfers",
        {
            "user_id": src_user[first],
            "month": np.full(first.size, timeline.first_day[t]),
            "counterparty_user_id": dst_user[first],
            "transfer_count": count,
            "amount_fen": _fen(amount),
        },
    )


def _device_changes(
    pop: Population, in_default: np.ndarray, timeline: Timeline, t: int, gen: np.random.Generator
) -> pa.Table:
    who = np.flatnonzero(pop.has_account)
    p = 0.012 * np.exp(-0.5 * pop.willingness[who]) * np.where(in_default[who], 3.0, 1.0)
    changed = who[gen.random(who.size) < p]
    day = timeline.first_day[t] + gen.integers(0, timeline.days_in_month[t], changed.size)
    order = np.lexsort((pop.user_id[changed], day))
    return table(
        "platform/device_changes",
        {
            "user_id": pop.user_id[changed][order],
            "event_date": day[order],
            "device_id": gen.integers(1, DEVICE_ID_SPAN, changed.size),
        },
    )


def _shop_month(
    pop: Population,
    flows: MonthFlows,
    in_default: np.ndarray,
    shop_id: np.ndarray,
    timeline: Timeline,
    t: int,
    gen: np.random.Generator,
) -> pa.Table:
    who = np.flatnonzero(shop_id >= 0)
    fortune = np.clip(flows.income_yuan[who] / np.maximum(flows.expected_yuan[who], 1.0), 0, 3)
    sales_yuan = (
        pop.shop_sales_yuan_month[who]
        * SHOP_SEASON[timeline.month[t] - 1]
        * fortune
        * np.exp(gen.normal(0, 0.1, who.size))
    )
    ticket_yuan = 60.0 * np.exp(0.3 * pop.ability[who])
    orders = gen.poisson(sales_yuan / ticket_yuan)
    a, w = pop.ability[who], pop.willingness[who]
    refund_p = _logistic(-3.0 - 0.5 * w - 0.3 * a + 0.5 * in_default[who])
    refunds = gen.binomial(orders, refund_p)
    ratings = gen.binomial(orders, 0.3)
    refund_rate = refunds / np.maximum(orders, 1)
    score = 4.5 + 0.15 * a + 0.15 * w - 3 * refund_rate
    score += gen.normal(0, 0.4, who.size) / np.sqrt(ratings + 1)
    return table(
        "ecommerce/monthly",
        {
            "shop_id": shop_id[who],
            "month": np.full(who.size, timeline.first_day[t]),
            "sales_fen": _fen(sales_yuan),
            "order_count": orders,
            "refund_count": refunds,
            "refund_fen": _fen(refunds * ticket_yuan * np.exp(gen.normal(0, 0.2, who.size))),
            "rating_avg": pa.array(np.round(np.clip(score, 1, 5), 2), mask=ratings == 0),
            "rating_count": ratings,
        },
    )
