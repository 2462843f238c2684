"""The people of a simulated county: who they are, what they own, whom they know.

Each simulated person is the main working adult (户主) of a rural household. Generated here,
all vectorised over people:

- demographics: township, village, birth date, gender, ethnicity, education, household size;
- latent traits (truth only): ability, willingness to repay, borrowing need, digital share;
- occupation and income sources: land by crop, wages, livestock, shop sales, pension;
- identity: an 18-digit identity number with a valid check character, unique in the run,
  and a Chinese name; a platform account (16-digit user id starting 2088) for most;
- a social graph: kin circles of about a dozen households inside each village, and each
  person's contacts (mostly in the circle, some in the village, a few in the county).

Invariants: identity numbers and user ids are unique; every number passes
:func:`puhui.idcard.validate` as of the run's start; circles never cross villages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from puhui.errors import invariant
from puhui.idcard import check_values
from puhui.sim.config import SimConfig
from puhui.sim.county import CROPS, OCCUPATIONS
from puhui.sim.names import ETHNICITIES, ETHNICITY_SHARES, make_names, village_names
from puhui.sim.schemas import labels
from puhui.sim.timeline import civil_from_epoch_days, rng, to_epoch_day

EDUCATION_LEVELS: tuple[str, ...] = ("primary", "junior_high", "senior_high", "college")
CIRCLE_SIZE = 12
HOUSEHOLDS_PER_VILLAGE = 450
MAX_PLOTS = 8
USER_ID_BASE = 2088_0000_0000_0000
USER_ID_HALF = 10**6


@dataclass(frozen=True, slots=True)
class Population:
    """Per-person arrays (index = person) plus the land plots and the contact graph."""

    n: int
    township: np.ndarray
    village: np.ndarray
    village_code: pa.Array
    village_name: pa.Array
    circle: np.ndarray
    circle_size: np.ndarray
    birth_day: np.ndarray
    age_years: np.ndarray
    male: np.ndarray
    ethnicity: np.ndarray
    education: np.ndarray
    household_size: np.ndarray
    ability: np.ndarray
    willingness: np.ndarray
    need: np.ndarray
    digital_share: np.ndarray
    has_account: np.ndarray
    occupation: np.ndarray
    crop_area_mu: np.ndarray
    wage_yuan_month: np.ndarray
    livestock_yuan_year: np.ndarray
    shop_sales_yuan_month: np.ndarray
    consumption_yuan_month: np.ndarray
    id_number: pa.Array
    name: pa.Array
    user_id: np.ndarray
    user_id_keys: np.ndarray
    account_opened_day: np.ndarray
    plot_owner: np.ndarray
    plot_area_mu: np.ndarray
    plot_crop: np.ndarray
    plot_registered_day: np.ndarray
    contact_start: np.ndarray
    contact_target: np.ndarray


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _categorical(gen: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of an ``(n, k)`` probability matrix (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    u = gen.random(probs.shape[0]) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), probs.shape[1] - 1)


@dataclass(frozen=True, slots=True)
class _Places:
    township: np.ndarray
    village: np.ndarray
    village_codes: np.ndarray
    clan: np.ndarray
    circle: np.ndarray
    circle_size: np.ndarray


def _places(gen: np.random.Generator, config: SimConfig) -> _Places:
    """Township, village and kin circle of everyone (circles never cross villages)."""
    n = config.people
    towns = config.county.townships
    weights = np.array([t.population_weight for t in towns])
    township = gen.choice(len(towns), size=n, p=weights / weights.sum())
    villages_per_town = int(np.clip(n // (len(towns) * HOUSEHOLDS_PER_VILLAGE), 1, 60))
    village_weight = gen.dirichlet(np.full(villages_per_town, 4.0), size=len(towns))
    village_local = np.zeros(n, dtype=np.int64)
    for k in range(len(towns)):
        members = np.flatnonzero(township == k)
        village_local[members] = gen.choice(villages_per_town, members.size, p=village_weight[k])
    village = township * villages_per_town + village_local
    village_codes = np.array(
        [f"{t.code}{v + 201:03d}" for t in towns for v in range(villages_per_town)], dtype=object
    )
    clan = gen.integers(0, 1 << 30, size=len(village_codes))
    # Circles: shuffle inside each village, cut into consecutive groups of CIRCLE_SIZE.
    order = np.lexsort((gen.random(n), village))
    sorted_village = village[order]
    rank_in_village = np.arange(n) - np.searchsorted(sorted_village, sorted_village, side="left")
    circle_sorted = sorted_village.astype(np.int64) * (n + 1) + rank_in_village // CIRCLE_SIZE
    circle = np.empty(n, dtype=np.int64)
    circle[order] = np.cumsum(np.diff(circle_sorted, prepend=circle_sorted[:1]) != 0)
    return _Places(township, village, village_codes, clan, circle, np.bincount(circle))


def generate_population(config: SimConfig) -> Population:
    """All people of the run, deterministic for ``config.seed``."""
    n = config.people
    gen = rng(config.seed, "population")
    places = _places(gen, config)
    township, village, circle, circle_size = (
        places.township,
        places.village,
        places.circle,
        places.circle_size,
    )
    age_years = 22.0 + 53.0 * gen.beta(2.6, 2.2, size=n)
    start_day = to_epoch_day(config.start)
    birth_day = start_day - np.floor(age_years * 365.25).astype(np.int64) - gen.integers(0, 365, n)
    age_years = (start_day - birth_day) / 365.25
    male = gen.random(n) < 0.8
    ethnicity = gen.choice(len(ETHNICITIES), size=n, p=np.asarray(ETHNICITY_SHARES))

    village_effect = gen.normal(size=len(places.village_codes))[village]
    circle_effect = gen.normal(size=circle_size.size)[circle]
    ability = 0.3 * village_effect + np.sqrt(1 - 0.09) * gen.normal(size=n)
    willingness = (
        0.45 * circle_effect + 0.2 * ability + np.sqrt(1 - 0.2025 - 0.04) * gen.normal(size=n)
    )
    need = config.params.draw_need_sd * (-0.25 * ability + np.sqrt(1 - 0.0625) * gen.normal(size=n))
    education_score = 0.6 * ability - 0.045 * (age_years - 45) + gen.normal(0, 0.8, n)
    education = np.searchsorted(np.array([-0.3, 0.9, 1.9]), education_score)
    household_size = 1 + gen.binomial(5, np.where(age_years < 35, 0.35, 0.45))
    digital_share = np.clip(
        _logistic(0.6 + 0.5 * education - 0.03 * (age_years - 45) + gen.normal(0, 0.5, n)),
        0.15,
        0.97,
    )
    has_account = gen.random(n) < _logistic(3.2 - 0.08 * np.maximum(age_years - 50, 0))

    mix = np.array([t.crop_mix for t in config.county.townships])[township]
    occupation_weight = np.column_stack(
        [
            0.45 * mix[:, 0],
            0.55 * mix[:, 1],
            0.6 * mix[:, 2],
            np.full(n, 0.05),
            np.full(n, 0.22),
            0.06 * np.exp(0.5 * ability),
        ]
    )
    occupation = _categorical(gen, occupation_weight)

    plots = _land(gen, occupation, ability, mix, n, start_day)
    crop_area_mu = np.zeros((n, len(CROPS)))
    np.add.at(crop_area_mu, (plots[0], plots[2]), plots[1])

    income = _income_sources(gen, occupation, ability, household_size)
    id_number = _identity_numbers(gen, config, birth_day, male)
    name = make_names(gen, male, places.clan[village])
    user_id_keys = gen.integers(1, USER_ID_HALF, size=(4, 2))
    user_id = user_ids(user_id_keys, np.arange(n))
    opened = start_day - gen.integers(30, 8 * 365, n)
    contact_start, contact_target = _contacts(gen, village, circle, has_account, n)

    return Population(
        n=n,
        township=township,
        village=village,
        village_code=pa.array(places.village_codes, type=pa.string()),
        village_name=pa.array(village_names(places.clan), type=pa.string()),
        circle=circle,
        circle_size=circle_size,
        birth_day=birth_day,
        age_years=age_years,
        male=male,
        ethnicity=ethnicity,
        education=education,
        household_size=household_size,
        ability=ability,
        willingness=willingness,
        need=need,
        digital_share=digital_share,
        has_account=has_account,
        occupation=occupation,
        crop_area_mu=crop_area_mu,
        **income,
        id_number=id_number,
        name=name,
        user_id=user_id,
        user_id_keys=user_id_keys,
        account_opened_day=opened,
        plot_owner=plots[0],
        plot_area_mu=plots[1],
        plot_crop=plots[2],
        plot_registered_day=plots[3],
        contact_start=contact_start,
        contact_target=contact_target,
    )


def _income_sources(
    gen: np.random.Generator,
    occupation: np.ndarray,
    ability: np.ndarray,
    household_size: np.ndarray,
) -> dict[str, np.ndarray]:
    """Wages, livestock sales, shop sales and consumption by occupation and ability (yuan)."""
    n = occupation.size
    occ = {name: occupation == k for k, name in enumerate(OCCUPATIONS)}
    workers = np.minimum(np.maximum(household_size - 1, 1), 2)
    part_time = gen.random(n) < 0.6
    return {
        "wage_yuan_month": np.where(
            occ["wage"],
            3000.0 * workers * np.exp(0.25 * ability + gen.normal(0, 0.25, n)),
            np.where(part_time, 700.0 * np.exp(0.2 * ability + gen.normal(0, 0.3, n)), 0.0),
        ),
        "livestock_yuan_year": np.where(
            occ["livestock"], 50000.0 * np.exp(0.35 * ability + gen.normal(0, 0.4, n)), 0.0
        ),
        "shop_sales_yuan_month": np.where(
            occ["merchant"], 15000.0 * np.exp(0.45 * ability + gen.normal(0, 0.5, n)), 0.0
        ),
        "consumption_yuan_month": (900.0 + 450.0 * household_size)
        * np.exp(0.2 * ability + gen.normal(0, 0.2, n)),
    }


def _land(
    gen: np.random.Generator,
    occupation: np.ndarray,
    ability: np.ndarray,
    mix: np.ndarray,
    n: int,
    start_day: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Contracted land plots 承包地块: (owner, area_mu, crop, registration day) per plot."""
    median_mu = np.array([7.0, 4.0, 5.0, 4.0, 3.0, 2.0])[occupation]
    has_land = gen.random(n) < np.array([1.0, 1.0, 1.0, 0.9, 0.8, 0.5])[occupation]
    total_mu = np.where(has_land, median_mu * np.exp(0.2 * ability + gen.normal(0, 0.5, n)), 0.0)
    n_plots = np.where(has_land, np.minimum(1 + gen.poisson(total_mu / 3.0), MAX_PLOTS), 0)
    owner = np.repeat(np.arange(n), n_plots)
    share = gen.gamma(2.0, size=owner.size)
    share /= np.bincount(owner, weights=share, minlength=n)[owner]
    area_mu = np.maximum(np.round(total_mu[owner] * share, 2), 0.05)
    # The occupation's own crop on most plots; the rest follows the township's land use.
    main_crop = np.array([0, 1, 2, -1, -1, -1])[occupation[owner]]
    local = _categorical(gen, mix[owner])
    use_main = (main_crop >= 0) & (gen.random(owner.size) < 0.6)
    crop = np.where(use_main, main_crop, local)
    # Land-rights registration (土地确权) was completed in Shandong in 2015–2017.
    registered = start_day - 365 - gen.integers(0, 3 * 365, n)
    return owner, area_mu, crop, registered[owner]


def _identity_numbers(
    gen: np.random.Generator, config: SimConfig, birth_day: np.ndarray, male: np.ndarray
) -> pa.Array:
    """Unique 18-digit numbers: region, birth date, sequence (odd for men), check value."""
    n = birth_day.size
    county = config.county
    codes = [county.region_code] + [c for c, _ in county.other_region_codes]
    other = np.array([s for _, s in county.other_region_codes])
    probs = np.concatenate([[county.local_share], (1 - county.local_share) * other / other.sum()])
    region = np.array([int(c) for c in codes], dtype=np.int64)[gen.choice(len(codes), n, p=probs)]
    year, month, day = civil_from_epoch_days(birth_day)
    birth = year * 10000 + month * 100 + day
    # Sequence codes are handed out in random order within (region, birth date, gender):
    # rank people in that group, start each group at a random slot, odd codes for men.
    key = (region * 100_000_000 + birth) * 2 + male
    order = np.lexsort((gen.random(n), key))
    sorted_key = key[order]
    group_first = np.searchsorted(sorted_key, sorted_key, side="left")
    rank = np.arange(n) - group_first
    invariant(rank.max(initial=0) < 499, "more than 499 people share a region, birthday, gender")
    offset = gen.integers(0, 499, n)[group_first]
    slot = np.empty(n, dtype=np.int64)
    slot[order] = (offset + rank) % 499
    sequence = 2 * slot + np.where(male, 1, 2)
    first17 = (region * 100_000_000 + birth) * 1000 + sequence
    ordered = np.sort(first17)
    invariant(bool((ordered[1:] != ordered[:-1]).all()), "identity numbers must be unique")
    digits = (first17[:, None] // 10 ** np.arange(16, -1, -1, dtype=np.int64)) % 10
    check = check_values(digits)
    body = pc.cast(pa.array(first17), pa.string())
    last = labels("0123456789X", check)
    return pc.binary_join_element_wise(body, last, "")


def user_ids(keys: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Platform user ids (16 digits, 2088…) of person indexes: a keyed bijection.

    A Feistel network on the two 6-digit halves is a bijection of 0 … 10**12 − 1, so distinct
    indexes give distinct ids that do not look sequential. Indexes ≥ the population size name
    accounts outside the county (transfer counterparties) and never collide with residents.
    """
    left, right = np.divmod(index.astype(np.int64), USER_ID_HALF)
    for mul, add in keys:
        mixed = ((right * mul + add) ^ (right >> 3)) % USER_ID_HALF
        left, right = right, (left + mixed) % USER_ID_HALF
    return USER_ID_BASE + left * USER_ID_HALF + right


def _contacts(
    gen: np.random.Generator,
    village: np.ndarray,
    circle: np.ndarray,
    has_account: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Directed contact lists in CSR form, account holders only (transfers need accounts)."""
    holders = np.flatnonzero(has_account)
    degree = 2 + gen.poisson(6.0, holders.size)
    source = np.repeat(holders, degree)
    kind = gen.random(source.size)
    by_circle = holders[np.lexsort((holders, circle[holders]))]
    by_village = holders[np.lexsort((holders, village[holders]))]
    target = gen.choice(holders, size=source.size)
    for keys, members, share in ((circle, by_circle, 0.65), (village, by_village, 0.95)):
        pick = kind < share
        size = np.bincount(keys[holders], minlength=keys.max() + 1)
        first = np.cumsum(size) - size
        group = keys[source[pick]]
        offset = (gen.random(group.size) * size[group]).astype(np.int64)
        target[pick] = members[first[group] + offset]
        kind[pick] = 2.0  # settled; later passes skip it
    keep = target != source
    pairs = np.sort(source[keep] * np.int64(n) + target[keep])
    pairs = pairs[np.diff(pairs, prepend=-1) != 0]
    source, target = pairs // n, pairs % n
    start = np.searchsorted(source, np.arange(n + 1), side="left")
    return start, target
