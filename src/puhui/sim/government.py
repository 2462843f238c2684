"""Government files of the county database (seed 003) and the static platform/shop registers.

The county shares four sources with the lender: the resident register, rural resident pension
contributions 城乡居民养老保险 (people aged 20–59), the land-rights registry 土地确权, and
subsidy payments (耕地地力保护补贴 per mu each spring, 农机购置补贴 when a machine is bought).
History reaches back five years before the run starts; nothing is dated on or after the run's
end. The same draws give the grant policy what the lender knew at launch
(:class:`GovernmentFacts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from puhui.sim.config import SimConfig
from puhui.sim.county import CROPS
from puhui.sim.names import ETHNICITIES
from puhui.sim.population import EDUCATION_LEVELS, Population
from puhui.sim.schemas import labels, table
from puhui.sim.timeline import Timeline, civil_from_epoch_days, rng, to_epoch_day

HISTORY_YEARS = 5
PENSION_GRADES_YUAN = np.array([100, 200, 300, 500, 800, 1000, 1500, 2000])
LAND_SUBSIDY_YUAN_PER_MU = 125.0
MACHINES: tuple[str, ...] = ("tractor", "harvester", "seeder", "rotary_tiller", "sprayer_drone")
MACHINE_PRICE_YUAN = np.array([60000.0, 150000.0, 15000.0, 8000.0, 50000.0])
SHOP_CATEGORIES: tuple[str, ...] = (
    "grocery",
    "agri_produce",
    "farm_supplies",
    "apparel",
    "handicraft",
)
SHOP_ID_BASE = 5_100_000_000
SUBSIDY_KINDS: tuple[str, ...] = ("cultivated_land_protection", "farm_machinery")


@dataclass(frozen=True, slots=True)
class GovernmentFacts:
    """Per-person facts known before launch (what the grant policy may use)."""

    pension_months_5y: np.ndarray
    pension_grade_yuan: np.ndarray
    machinery_subsidy_yuan: np.ndarray
    land_mu: np.ndarray


def _year_start(years: np.ndarray) -> np.ndarray:
    return (
        np.array([f"{y:04d}" for y in years], dtype="datetime64[Y]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def government_tables(
    pop: Population, config: SimConfig, timeline: Timeline
) -> tuple[dict[str, pa.Table], GovernmentFacts]:
    """The static government files and the launch-time facts."""
    gen = rng(config.seed, "government")
    start_day = to_epoch_day(config.start)
    end_day = timeline.end_day
    first_year = config.start.year - HISTORY_YEARS
    last_year = int(civil_from_epoch_days(np.array([end_day - 1]))[0][0])
    years = np.arange(first_year, last_year + 1)
    year_start = _year_start(years)
    birth_year = civil_from_epoch_days(pop.birth_day)[0]
    towns = config.county.townships

    residents = table(
        "government/residents",
        {
            "id_number": pop.id_number,
            "name": pop.name,
            "gender": labels(("female", "male"), pop.male),
            "birth_date": pop.birth_day,
            "ethnicity": labels(ETHNICITIES, pop.ethnicity),
            "township_code": labels([t.code for t in towns], pop.township),
            "township_name": labels([t.name_zh for t in towns], pop.township),
            "village_code": pop.village_code.take(pa.array(pop.village)),
            "village_name": pop.village_name.take(pa.array(pop.village)),
            "household_size": pop.household_size,
            "education": labels(EDUCATION_LEVELS, pop.education),
        },
    )

    # Pension: a yearly contribution for ages 20–59; willingness and ability decide who pays.
    age = years[None, :] - birth_year[:, None]
    trend = 0.15 * (years - config.start.year)[None, :]
    pay_logit = 1.0 + 0.5 * pop.willingness[:, None] + 0.4 * pop.ability[:, None] + trend
    pays = (age >= 20) & (age <= 59) & (gen.random(age.shape) < 1 / (1 + np.exp(-pay_logit)))
    months = np.where(gen.random(age.shape) < 0.85, 12, gen.integers(1, 12, age.shape))
    grade_index = np.clip(
        np.round(1.5 + 0.9 * pop.ability + gen.normal(0, 0.6, pop.n)), 0, 7
    ).astype(np.int64)
    grade_yuan = PENSION_GRADES_YUAN[grade_index]
    paid_day = year_start[None, :] + gen.integers(59, 181, age.shape)
    keep = pays & (paid_day < end_day)
    person, year_idx = np.nonzero(keep)
    fen = (grade_yuan[person] * 100 * months[keep] * 2 + 12) // 24  # half-up of ×months/12
    pension = table(
        "government/social_insurance",
        {
            "id_number": pop.id_number.take(pa.array(person)),
            "year": years[year_idx],
            "months_contributed": months[keep],
            "contribution_fen": fen,
            "paid_date": paid_day[keep],
        },
    )
    before_launch = keep & (paid_day < start_day)
    pension_months_5y = np.where(before_launch, months, 0).sum(axis=1)

    plot_index = np.arange(pop.plot_owner.size)
    plot_village = pop.village_code.take(pa.array(pop.village[pop.plot_owner]))
    plot_number = pc.utf8_lpad(pc.cast(pa.array(plot_index + 1), pa.string()), 7, "0")
    land = table(
        "government/land_plots",
        {
            "plot_code": pc.binary_join_element_wise(plot_village, plot_number, ""),
            "id_number": pop.id_number.take(pa.array(pop.plot_owner)),
            "village_code": plot_village,
            "area_mu": pop.plot_area_mu,
            "crop": labels(CROPS, pop.plot_crop),
            "registered_date": pop.plot_registered_day,
        },
    )

    subsidies, machinery_yuan = _subsidies(gen, pop, years, year_start, start_day, end_day)
    land_mu = pop.crop_area_mu.sum(axis=1)
    facts = GovernmentFacts(pension_months_5y, grade_yuan, machinery_yuan, land_mu)
    return {
        "government/residents": residents,
        "government/social_insurance": pension,
        "government/land_plots": land,
        "government/subsidies": subsidies,
    }, facts


def _subsidies(
    gen: np.random.Generator,
    pop: Population,
    years: np.ndarray,
    year_start: np.ndarray,
    start_day: int,
    end_day: int,
) -> tuple[pa.Table, np.ndarray]:
    land_mu = np.round(pop.crop_area_mu.sum(axis=1), 2)
    # The per-mu subsidy in its current form started in 2016; keep three years before launch.
    recent = years >= years[0] + HISTORY_YEARS - 3
    land_day = year_start[None, recent] + 129 + gen.integers(0, 41, (pop.n, recent.sum()))
    land_keep = (land_mu[:, None] > 0) & (land_day < end_day)
    land_person, land_year = np.nonzero(land_keep)
    land_fen = np.round(land_mu[land_person] * LAND_SUBSIDY_YUAN_PER_MU * 100).astype(np.int64)

    buy_p = 0.015 * np.exp(0.5 * pop.ability) * (land_mu > 6)
    buys = gen.random((pop.n, years.size)) < buy_p[:, None]
    machine_day = year_start[None, :] + gen.integers(0, 365, buys.shape)
    buys &= machine_day < end_day
    machine_person, machine_year = np.nonzero(buys)
    machine = gen.integers(0, len(MACHINES), machine_person.size)
    price = MACHINE_PRICE_YUAN[machine] * np.exp(gen.normal(0, 0.2, machine_person.size))
    machine_fen = np.round(0.3 * price).astype(np.int64) * 100
    machine_days = machine_day[machine_person, machine_year]
    machinery_yuan = np.bincount(
        machine_person,
        weights=np.where(machine_days < start_day, machine_fen / 100, 0.0),
        minlength=pop.n,
    )

    person = np.concatenate([land_person, machine_person])
    paid = np.concatenate([land_day[land_person, land_year], machine_days])
    order = np.lexsort((person, paid))
    n_land = land_person.size
    subsidies = table(
        "government/subsidies",
        {
            "id_number": pop.id_number.take(pa.array(person[order])),
            "paid_date": paid[order],
            "kind": labels(SUBSIDY_KINDS, order >= n_land),
            "amount_fen": np.concatenate([land_fen, machine_fen])[order],
            "area_mu": pa.array(
                np.concatenate([land_mu[land_person], np.zeros(machine_person.size)])[order],
                mask=order >= n_land,
            ),
            "machine": labels(
                MACHINES,
                np.concatenate([np.zeros(n_land, dtype=np.int64), machine])[order],
                mask=order < n_land,
            ),
        },
    )
    return subsidies, machinery_yuan


def register_tables(pop: Population, config: SimConfig) -> tuple[dict[str, pa.Table], np.ndarray]:
    """Platform accounts and e-commerce shops; returns the shop id per person (−1: none)."""
    gen = rng(config.seed, "registers")
    holders = np.flatnonzero(pop.has_account)
    accounts = table(
        "platform/accounts",
        {
            "user_id": pop.user_id[holders],
            "id_number": pop.id_number.take(pa.array(holders)),
            "opened_date": pop.account_opened_day[holders],
        },
    )
    merchant = np.flatnonzero((pop.shop_sales_yuan_month > 0) & pop.has_account)
    shop_id = np.full(pop.n, -1, dtype=np.int64)
    shop_id[merchant] = SHOP_ID_BASE + 7 * np.arange(merchant.size) + 3
    start_day = to_epoch_day(config.start)
    shops = table(
        "ecommerce/shops",
        {
            "shop_id": shop_id[merchant],
            "id_number": pop.id_number.take(pa.array(merchant)),
            "opened_date": np.maximum(
                pop.account_opened_day[merchant],
                start_day - gen.integers(30, 6 * 365, merchant.size),
            ),
            "category": labels(
                SHOP_CATEGORIES, gen.integers(0, len(SHOP_CATEGORIES), merchant.size)
            ),
        },
    )
    return {"platform/accounts": accounts, "ecommerce/shops": shops}, shop_id
