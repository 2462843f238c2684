"""The default product terms and the default grant policy 授信策略 the simulator lends under.

Product terms come from the shipped catalogue (``xintai_farmer_line``): amount range, terms,
rate per band, which bands may choose interest-first, penalty multiplier, line validity and
the limit multiple of annual income. The grant policy is deliberately simple and uses only
what the county database held at launch (government files), never the truth:

1. eligible: aged 20–55, a platform account, at least 12 pension months in the last 5 years;
2. policy score = weighted z-scores of land area, pension months, pension grade, education,
   household size, plus a bonus for a machinery subsidy;
3. the best ``grant_share_of_eligible`` of eligible people get a line; bands A–E are the
   score quintiles among them (A best);
4. limit = multiple × estimated annual income × band factor, rounded down to 100 yuan and
   clipped to the product's amount range, where the estimate is
   ``income_per_mu × land + income_per_worker × workers`` (workers = household members
   aged to work, 1–2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from puhui.errors import invariant
from puhui.money import rate_to_e8, to_fen
from puhui.products import BANDS, load_catalogue
from puhui.schedule import Method
from puhui.sim.config import SimConfig
from puhui.sim.government import GovernmentFacts
from puhui.sim.population import Population

INCOME_PER_MU_YUAN = 3000.0
INCOME_PER_WORKER_YUAN = 24000.0
ELIGIBLE_AGES = (20.0, 56.0)
MIN_PENSION_MONTHS = 12


@dataclass(frozen=True, slots=True)
class ProductTerms:
    """What the simulator needs of a product, as integers (fen, rate × 10**8)."""

    code: str
    amount_min_fen: int
    amount_max_fen: int
    draw_min_fen: int
    terms_months: np.ndarray
    rate_e8_by_band: np.ndarray
    penalty_e8_by_band: np.ndarray
    interest_first_by_band: np.ndarray
    limit_multiple: float
    validity_months: int


def product_terms(code: str, term_count: int) -> ProductTerms:
    """Load ``code`` from the shipped catalogue; it must offer ``term_count`` terms."""
    product = load_catalogue().get(code)
    invariant(
        len(product.terms_months) == term_count,
        f"{code} offers {len(product.terms_months)} terms; the model has shares for {term_count}",
    )
    invariant(product.limit_rule is not None, f"{code} needs a limit rule")
    bands = [b for b in BANDS if b in product.rate_bands]
    invariant(len(bands) == len(BANDS), f"{code} must price every band A–E")
    return ProductTerms(
        code=code,
        amount_min_fen=to_fen(product.amount_min_yuan),
        amount_max_fen=to_fen(product.amount_max_yuan),
        draw_min_fen=to_fen(product.draw_min_yuan),
        terms_months=np.array(product.terms_months, dtype=np.int64),
        rate_e8_by_band=np.array([rate_to_e8(product.rate_for(b)) for b in bands]),
        penalty_e8_by_band=np.array(
            [rate_to_e8(product.penalty_rate(product.rate_for(b))) for b in bands]
        ),
        interest_first_by_band=np.array(
            [Method.INTEREST_FIRST in product.methods_for(b) for b in bands]
        ),
        limit_multiple=float(product.limit_rule.multiple),  # type: ignore[union-attr]
        validity_months=product.line_validity_months,
    )


@dataclass(frozen=True, slots=True)
class Grant:
    """The launch-day grant decision for everyone (band −1 and limit 0 when not granted)."""

    granted: np.ndarray
    band: np.ndarray
    limit_fen: np.ndarray
    policy_score: np.ndarray


def _z(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    ref = values[mask]
    spread = ref.std() if ref.size > 1 else 0.0
    return (values - ref.mean()) / spread if spread > 0 else np.zeros_like(values)


def grant_lines(
    pop: Population, facts: GovernmentFacts, terms: ProductTerms, config: SimConfig
) -> Grant:
    """Apply the default grant policy at launch (see the module docstring)."""
    p = config.params
    eligible = (
        pop.has_account
        & (pop.age_years >= ELIGIBLE_AGES[0])
        & (pop.age_years < ELIGIBLE_AGES[1])
        & (facts.pension_months_5y >= MIN_PENSION_MONTHS)
    )
    score = (
        0.5 * _z(np.log1p(facts.land_mu), eligible)
        + 0.7 * _z(facts.pension_months_5y.astype(float), eligible)
        + 0.3 * _z(np.log(facts.pension_grade_yuan), eligible)
        + 0.25 * _z(pop.education.astype(float), eligible)
        + 0.2 * _z(np.minimum(pop.household_size, 5).astype(float), eligible)
        + 0.3 * (facts.machinery_subsidy_yuan > 0)
    )
    granted = np.zeros(pop.n, dtype=bool)
    band = np.full(pop.n, -1, dtype=np.int64)
    if eligible.any():
        cut = np.quantile(score[eligible], 1 - p.grant_share_of_eligible)
        granted = eligible & (score >= cut)
        ranked = np.flatnonzero(granted)[np.argsort(-score[granted], kind="stable")]
        band[ranked] = np.arange(ranked.size) * len(BANDS) // max(ranked.size, 1)
    workers = np.clip(pop.household_size - 1, 1, 2)
    income_yuan = INCOME_PER_MU_YUAN * facts.land_mu + INCOME_PER_WORKER_YUAN * workers
    factor = np.asarray(p.band_limit_factor)[np.maximum(band, 0)]
    limit_yuan = np.floor(terms.limit_multiple * income_yuan * factor / 100) * 100
    limit_fen = np.clip(
        (limit_yuan * 100).astype(np.int64), terms.amount_min_fen, terms.amount_max_fen
    )
    return Grant(granted, band, np.where(granted, limit_fen, 0), score)
