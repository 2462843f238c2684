"""How people behave in a month: the probabilities that drive the loan book (pure functions).

- ``pd``: the monthly hazard of entering default (stop paying) for someone who owes money —
  this is the ground truth written to ``truth/monthly``. Its logit adds: low willingness and
  ability (stable), income stress over the last three months, a disaster in the township,
  the shared shock of the kin circle, the share of the circle already in default
  (contagion), serious illness in the household, and leverage (balance / expected income).
- ``late``: missing an instalment for want of cash while willing (cured within two months).
- ``prepay``: repaying the whole balance early, more likely in a month of surplus income.
- ``draw``: drawing on the line when none is open (need, season, price, stress, disaster, and
  a large habit effect once a person has borrowed).
"""

from __future__ import annotations

import numpy as np

from puhui.sim.config import ModelParams
from puhui.sim.county import DEMAND_SEASON_LOGIT
from puhui.sim.economy import MonthFlows
from puhui.sim.lending import LoanBook, MonthChoices
from puhui.sim.population import Population

RATE_POINT_E8 = 1_000_000  # one percentage point of annual rate, × 10**8


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def default_hazard(
    pop: Population,
    flows: MonthFlows,
    params: ModelParams,
    circle_default_share: np.ndarray,
    leverage: np.ndarray,
) -> np.ndarray:
    """Monthly probability of entering default if owing money (truth ``pd_month``)."""
    p = params
    logit = (
        p.pd_intercept
        + p.pd_willingness * pop.willingness
        + p.pd_ability * pop.ability
        + p.pd_stress * flows.stress
        + p.pd_disaster * flows.disaster_effect
        + p.pd_circle_shock * flows.circle_shock
        + p.pd_circle_default_share * circle_default_share
        + p.pd_illness * flows.ill
        + p.pd_leverage * leverage
    )
    return _logistic(logit)


def month_choices(
    pop: Population,
    flows: MonthFlows,
    params: ModelParams,
    book: LoanBook,
    calendar_month: int,
) -> MonthChoices:
    """All behaviour probabilities for one month (calendar_month 1–12)."""
    p = params
    circle_default_share = (
        np.bincount(pop.circle, weights=book.defaulted, minlength=pop.circle_size.size)
        / pop.circle_size
    )[pop.circle]
    expected_year = np.maximum(flows.typical_month_yuan * 12, 6000.0)
    leverage = np.minimum(book.outstanding_fen / 100 / expected_year, 3.0)
    pd = default_hazard(pop, flows, p, circle_default_share, leverage)
    late = _logistic(
        p.late_intercept
        + p.late_willingness * pop.willingness
        + p.late_ability * pop.ability
        + p.late_stress * flows.stress
    )
    prepay = _logistic(
        p.prepay_intercept + p.prepay_surplus * flows.surplus + p.prepay_ability * pop.ability
    )
    rate_points = (book.rate_e8 - book.terms.rate_e8_by_band.min()) / RATE_POINT_E8
    draw = _logistic(
        p.draw_intercept
        + p.draw_repeat * book.ever_drawn
        + pop.need
        + DEMAND_SEASON_LOGIT[pop.occupation, calendar_month - 1]
        + p.draw_rate_per_pp * rate_points
        + p.draw_stress * flows.stress
        + p.draw_disaster * flows.disaster_effect
    )
    return MonthChoices(pd=pd, late=late, prepay=prepay, draw=draw)
