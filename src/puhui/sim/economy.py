"""The county's economy month by month: prices, disasters, shocks, household income.

Income of a household in month ``t`` (yuan) is the sum of its streams

- crops: area by crop × value per mu × that month's share in the crop calendar × the crop's
  price index × the household's yield factor × (1 − disaster loss of its township);
- wages (Spring Festival bonus in January, little work in February), livestock sales at the
  hog-price index, shop sales (Double Eleven in November, New Year in January);

times the shared circle shock and the household's own shock (both log-AR(1)), times
(1 − 45 %) while someone in the household is seriously ill, plus the basic pension from 60.
The *expected* income is the same with prices at 1 and no shocks, disasters or illness;
``stress`` compares the last three months of the two (0 = as expected, 0.7 ≈ half).

Disasters strike townships: drought in March–June, flood in July–August, each with a
severity (share of crop income lost in the harvests of the next six months). The government
issues a notice (level 1 = most severe … 4) on the day it strikes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from puhui.sim.config import SimConfig
from puhui.sim.county import (
    CROP_INPUT_CALENDAR,
    CROP_INPUT_SHARE,
    CROP_SALES_CALENDAR,
    CROP_VALUE_YUAN_PER_MU,
)
from puhui.sim.population import Population
from puhui.sim.schemas import table
from puhui.sim.timeline import Timeline, rng

WAGE_SEASON = np.array([1.4, 0.6, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
SHOP_SEASON = np.array([1.3, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.6, 1.2])
SPEND_SEASON = np.array([1.5, 1.6, 0.9, 0.9, 0.9, 0.9, 0.9, 1.2, 1.2, 0.9, 0.9, 1.0])
PENSION_YUAN_MONTH = 150.0
STRESS_FLOOR_YUAN = 1000.0
NON_CROP_DISASTER_SHARE = 0.3


@dataclass(frozen=True, slots=True)
class World:
    """County-level paths fixed for the run (prices, disasters) and person yield factors."""

    crop_price: np.ndarray
    hog_price: np.ndarray
    disaster_effect: np.ndarray
    yield_factor: np.ndarray
    expected_month_yuan: np.ndarray
    notices: pa.Table


@dataclass(frozen=True, slots=True)
class EconomyState:
    circle_shock: np.ndarray
    person_shock: np.ndarray
    illness_left: np.ndarray
    income_recent: np.ndarray
    expected_recent: np.ndarray


@dataclass(frozen=True, slots=True)
class MonthFlows:
    """Everything the rest of the model needs from the economy in one month (per person)."""

    income_yuan: np.ndarray
    expected_yuan: np.ndarray
    typical_month_yuan: np.ndarray
    spending_yuan: np.ndarray
    stress: np.ndarray
    surplus: np.ndarray
    disaster_effect: np.ndarray
    circle_shock: np.ndarray
    ill: np.ndarray


def make_world(pop: Population, config: SimConfig, timeline: Timeline) -> World:
    """Prices, disasters (random and forced) and the notices the government issues."""
    gen = rng(config.seed, "world")
    months = config.months
    p = config.params
    log_price = np.zeros((len(CROP_VALUE_YUAN_PER_MU) + 1, months))
    volatility = np.array([0.03, 0.08, 0.06, 0.04, 0.07])
    for t in range(1, months):
        log_price[:, t] = 0.85 * log_price[:, t - 1] + volatility * gen.normal(size=5)
    price = np.exp(log_price)

    towns = config.county.townships
    rows: list[tuple[int, int, int, str, float]] = []
    if config.random_disasters:
        drought = np.array([t.drought_exposure for t in towns])
        flood = np.array([t.flood_exposure for t in towns])
        for t in range(months):
            month = timeline.month[t]
            for kind, exposure, season, base in (
                ("drought", drought, (3, 4, 5, 6), p.drought_probability),
                ("flood", flood, (7, 8), p.flood_probability),
            ):
                hit = gen.random(len(towns)) < base * exposure * (month in season)
                severity = gen.uniform(0.25, 0.7, len(towns))
                day = gen.integers(1, 29, len(towns))
                rows += [
                    (int(k), t, int(day[k]), kind, float(severity[k])) for k in np.flatnonzero(hit)
                ]
    index = {town.code: k for k, town in enumerate(towns)}
    rows += [
        (index[d.township_code], d.month_index, 15, d.kind, d.severity) for d in config.disasters
    ]
    rows.sort(key=lambda r: (r[1], r[2], r[0], r[3]))

    effect = np.zeros((len(towns), months))
    for town, t, _, _, severity in rows:
        effect[town, t : t + p.disaster_months] += severity
    effect = np.minimum(effect, 1.0)
    severity = np.array([r[4] for r in rows])
    notices = table(
        "government/disaster_notices",
        {
            "notice_id": np.arange(1, len(rows) + 1),
            "township_code": [towns[r[0]].code for r in rows],
            "township_name": [towns[r[0]].name_zh for r in rows],
            "notice_date": np.array(
                [timeline.first_day[r[1]] + r[2] - 1 for r in rows], dtype=np.int64
            ),
            "kind": [r[3] for r in rows],
            "level": 4 - np.searchsorted(np.array([0.35, 0.45, 0.6]), severity, side="right"),
        },
    )
    yield_factor = np.exp(0.15 * pop.ability + gen.normal(0, 0.1, pop.n))
    expected_year = (
        (pop.crop_area_mu * CROP_VALUE_YUAN_PER_MU).sum(axis=1) * yield_factor
        + pop.wage_yuan_month * WAGE_SEASON.sum()
        + pop.livestock_yuan_year
        + pop.shop_sales_yuan_month * SHOP_SEASON.sum()
    )
    return World(
        crop_price=price[:-1],
        hog_price=price[-1],
        disaster_effect=effect,
        yield_factor=yield_factor,
        expected_month_yuan=expected_year / 12,
        notices=notices,
    )


def initial_state(pop: Population, world: World, seed: int) -> EconomyState:
    gen = rng(seed, "economy-initial")
    n = pop.n
    return EconomyState(
        circle_shock=gen.normal(size=pop.circle_size.size),
        person_shock=gen.normal(size=n),
        illness_left=np.zeros(n, dtype=np.int64),
        income_recent=np.tile(world.expected_month_yuan[:, None], (1, 2)),
        expected_recent=np.tile(world.expected_month_yuan[:, None], (1, 2)),
    )


def step_economy(
    pop: Population,
    world: World,
    state: EconomyState,
    config: SimConfig,
    timeline: Timeline,
    t: int,
) -> tuple[EconomyState, MonthFlows]:
    """Advance the economy one month; return the new state and the month's flows."""
    p = config.params
    gen = rng(config.seed, f"economy-{t}")
    m = timeline.month[t] - 1
    rho_c, rho_p = p.circle_shock_persistence, p.person_shock_persistence
    circle_shock = rho_c * state.circle_shock + np.sqrt(1 - rho_c**2) * gen.normal(
        size=state.circle_shock.size
    )
    person_shock = rho_p * state.person_shock + np.sqrt(1 - rho_p**2) * gen.normal(size=pop.n)
    new_illness = (state.illness_left == 0) & (gen.random(pop.n) < p.illness_probability)
    illness_left = np.where(new_illness, p.illness_months, np.maximum(state.illness_left - 1, 0))
    ill = illness_left > 0

    effect = world.disaster_effect[pop.township, t]
    crop_value = pop.crop_area_mu * (CROP_VALUE_YUAN_PER_MU * CROP_SALES_CALENDAR[:, m])
    crop_base = crop_value.sum(axis=1) * world.yield_factor
    crop_priced = crop_value.dot(world.crop_price[:, t]) * world.yield_factor
    other_base = (
        pop.wage_yuan_month * WAGE_SEASON[m]
        + pop.livestock_yuan_year / 12
        + pop.shop_sales_yuan_month * SHOP_SEASON[m]
    )
    other_priced = (
        pop.wage_yuan_month * WAGE_SEASON[m]
        + pop.livestock_yuan_year / 12 * world.hog_price[t]
        + pop.shop_sales_yuan_month * SHOP_SEASON[m]
    )
    shock = np.exp(
        p.circle_shock_sd * circle_shock[pop.circle]
        + p.person_shock_sd * person_shock
        - (p.circle_shock_sd**2 + p.person_shock_sd**2) / 2
    )
    pension = np.where(pop.age_years + t / 12 >= 60, PENSION_YUAN_MONTH, 0.0)
    income = (
        crop_priced * (1 - effect) + other_priced * (1 - NON_CROP_DISASTER_SHARE * effect)
    ) * shock * np.where(ill, 1 - p.illness_income_cut, 1.0) + pension
    expected = crop_base + other_base + pension

    inputs = (
        pop.crop_area_mu * CROP_VALUE_YUAN_PER_MU * CROP_INPUT_SHARE * CROP_INPUT_CALENDAR[:, m]
    ).sum(axis=1)
    spending = (
        pop.consumption_yuan_month
        * SPEND_SEASON[m]
        * np.exp(0.5 * p.person_shock_sd * person_shock)
        + inputs
        + 0.55 * pop.livestock_yuan_year / 12
        + 0.7 * pop.shop_sales_yuan_month * SHOP_SEASON[m]
    )
    income_3m = state.income_recent.sum(axis=1) + income
    expected_3m = state.expected_recent.sum(axis=1) + expected
    stress = np.clip(
        np.log((expected_3m + STRESS_FLOOR_YUAN) / (income_3m + STRESS_FLOOR_YUAN)), -1.0, 3.0
    )
    surplus = np.clip(income / np.maximum(world.expected_month_yuan, 500.0) - 1.0, -1.0, 3.0)
    new_state = EconomyState(
        circle_shock=circle_shock,
        person_shock=person_shock,
        illness_left=illness_left,
        income_recent=np.column_stack([state.income_recent[:, 1], income]),
        expected_recent=np.column_stack([state.expected_recent[:, 1], expected]),
    )
    flows = MonthFlows(
        income_yuan=income,
        expected_yuan=expected,
        typical_month_yuan=world.expected_month_yuan,
        spending_yuan=spending,
        stress=stress,
        surplus=surplus,
        disaster_effect=effect,
        circle_shock=circle_shock[pop.circle],
        ill=ill,
    )
    return new_state, flows
