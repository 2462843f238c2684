"""What a simulation run is asked for (``SimConfig``) and the model's parameters (``ModelParams``).

``SimConfig`` is validated once, at construction through :func:`make_config`, with the stable
error codes ``SIM_PEOPLE``, ``SIM_MONTHS``, ``SIM_START``, ``SIM_DISASTER`` and
``SIM_COUNTY_UNKNOWN``. ``ModelParams`` holds every coefficient of the generative model; the
defaults are the calibrated values (docs/simulator.md lists them and
docs/decisions/0201-simulator-calibration.md says how they were found). Change them only with
``puhui sim calibrate`` green afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from puhui.errors import ValidationError
from puhui.sim.county import County, get_county

MAX_PEOPLE = 5_000_000
MAX_MONTHS = 120
#: The Xintai programme went live in September 2018 (seed 003); simulations start there.
DEFAULT_START = date(2018, 9, 1)
DISASTER_KINDS: tuple[str, ...] = ("drought", "flood")


@dataclass(frozen=True, slots=True)
class DisasterSpec:
    """A disaster forced into a run (tests, what-if studies): township, month offset, severity.

    ``severity`` is the share of crop income lost in the harvests of the next six months.
    """

    township_code: str
    month_index: int
    kind: str
    severity: float


@dataclass(frozen=True, slots=True)
class ModelParams:
    """Coefficients of the generative model (logits unless said otherwise)."""

    # Probability of default (monthly hazard of entering default while owing money).
    pd_intercept: float = -7.1
    pd_willingness: float = -1.05
    pd_ability: float = -0.55
    pd_stress: float = 1.1
    pd_disaster: float = 2.2
    pd_circle_shock: float = -0.35
    pd_circle_default_share: float = 4.0
    pd_illness: float = 1.3
    pd_leverage: float = 0.8
    # Liquidity lateness (pays within two months, never reaches 90 days).
    late_intercept: float = -4.3
    late_willingness: float = -0.7
    late_ability: float = -0.3
    late_stress: float = 1.2
    cure_probability: float = 0.7
    # Loan demand.
    draw_intercept: float = -4.82
    draw_repeat: float = 2.15
    draw_need_sd: float = 1.2
    draw_rate_per_pp: float = -0.12
    draw_stress: float = 0.4
    draw_disaster: float = 0.8
    draw_share_a: float = 3.4
    draw_share_b: float = 2.0
    #: Probabilities of choosing a 3, 6, 9 or 12-month term.
    term_shares: tuple[float, float, float, float] = (0.40, 0.27, 0.08, 0.25)
    #: Share of A/B customers choosing interest-first repayment.
    interest_first_share: float = 0.5
    # Early repayment (whole balance) in a month.
    prepay_intercept: float = -1.1
    prepay_surplus: float = 1.2
    prepay_ability: float = 0.25
    # Grant policy.
    grant_share_of_eligible: float = 0.78
    band_limit_factor: tuple[float, ...] = (1.3, 1.15, 1.0, 0.85, 0.7)
    # Shocks.
    circle_shock_sd: float = 0.18
    circle_shock_persistence: float = 0.7
    person_shock_sd: float = 0.2
    person_shock_persistence: float = 0.6
    illness_probability: float = 0.006
    illness_months: int = 4
    illness_income_cut: float = 0.45
    drought_probability: float = 0.012
    flood_probability: float = 0.03
    disaster_months: int = 6


@dataclass(frozen=True, slots=True)
class SimConfig:
    """One run: which county, how many people, how long, which seed."""

    county: County
    people: int
    months: int
    seed: int
    start: date = DEFAULT_START
    disasters: tuple[DisasterSpec, ...] = ()
    random_disasters: bool = True
    product_code: str = "xintai_farmer_line"
    params: ModelParams = field(default_factory=ModelParams)


def make_config(
    county: str,
    people: int,
    months: int,
    seed: int,
    *,
    start: date = DEFAULT_START,
    disasters: tuple[DisasterSpec, ...] = (),
    random_disasters: bool = True,
    params: ModelParams | None = None,
) -> SimConfig:
    """Validate the inputs of a run and return its :class:`SimConfig`."""
    where = get_county(county)
    if isinstance(people, bool) or not isinstance(people, int) or not 0 < people <= MAX_PEOPLE:
        raise ValidationError(
            "SIM_PEOPLE",
            f"人数必须在 1 到 {MAX_PEOPLE:,} 之间；收到 {people}",
            f"people must be 1..{MAX_PEOPLE:,}; got {people}",
        )
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise ValidationError(
            "SIM_MONTHS",
            f"月数必须在 1 到 {MAX_MONTHS} 之间；收到 {months}",
            f"months must be 1..{MAX_MONTHS}; got {months}",
        )
    if start.day != 1 or not date(2000, 1, 1) <= start <= date(2090, 1, 1):
        raise ValidationError(
            "SIM_START",
            f"起始月份必须是 2000–2090 年某月的 1 日；收到 {start}",
            f"start must be the first day of a month in 2000–2090; got {start}",
        )
    if not 0 <= seed < 2**63:
        raise ValidationError(
            "SIM_SEED",
            f"随机种子必须是 0 到 2^63−1 之间的整数；收到 {seed}",
            f"seed must be an integer in 0..2**63-1; got {seed}",
        )
    codes = {t.code for t in where.townships}
    for spec in disasters:
        if (
            spec.township_code not in codes
            or spec.kind not in DISASTER_KINDS
            or not 0 <= spec.month_index < months
            or not 0 < spec.severity <= 1
        ):
            raise ValidationError(
                "SIM_DISASTER",
                f"灾害设定无效：{spec}",
                f"invalid disaster {spec}: township must be in {where.key}, kind one of "
                f"{DISASTER_KINDS}, month_index in 0..{months - 1}, severity in (0, 1]",
            )
    return SimConfig(
        county=where,
        people=people,
        months=months,
        seed=seed,
        start=start,
        disasters=tuple(disasters),
        random_disasters=random_disasters,
        params=params or ModelParams(),
    )
