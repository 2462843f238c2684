"""The decision policy 授信政策: a versioned YAML file, validated against the rules of the trade.

Every problem is collected and reported together. Besides the shape of the file, three rules of
the trade are enforced — a policy that breaks one is refused, naming it:

- ``INTERNET_LINE_CAP``: an internet consumer credit line is at most 200,000 CNY per borrower at
  this lender (互联网贷款管理暂行办法), so ``max_limit_per_borrower`` may not exceed it;
- ``APR_DISCLOSURE``: every offer states the annualised rate next to any daily or monthly rate
  (PBoC 2021 disclosure), so ``disclosure.show_rates`` must contain ``apr`` whenever it shows
  another rate, and must show at least the APR;
- ``JUDICIAL_CEILING``: interest plus penalty interest never exceed ``ceiling_lpr_multiple`` ×
  the one-year LPR in force (default 4×, the LPR a dated setting). Every contract rate a covered
  product can charge must be at or below the ceiling from the policy's effective date; the
  penalty rate offered is capped at the ceiling (see :meth:`Policy.penalty_rate`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from puhui.errors import ValidationError
from puhui.products import BANDS, Catalogue

INTERNET_LINE_CAP_YUAN = Decimal("200000")
RATE_NAMES = ("apr", "daily", "monthly")


@dataclass(frozen=True, slots=True)
class LprPoint:
    effective_from: date
    rate_annual: Decimal


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated decision policy; ``digest`` is the sha256 of the file it came from."""

    version: str
    digest: str
    source_text: str
    lender_zh: str
    effective_from: date
    lpr: tuple[LprPoint, ...]
    ceiling_lpr_multiple: Decimal
    max_limit_yuan: Decimal
    show_rates: tuple[str, ...]
    require_real_name: bool
    require_consent: str
    age_min: int
    age_max: int
    counties: frozenset[str]
    max_open_days_past_due: int
    decline_cooldown_days: int
    min_points: int
    annual_income_feature: str
    annual_income_multiplier: Decimal
    monthly_sales_feature: str
    land_area_feature: str
    band_factor: Mapping[str, Decimal]
    debt_to_income_ceiling: Decimal
    round_down_to_yuan: Decimal
    products: tuple[str, ...]

    def lpr_on(self, day: date) -> Decimal:
        """The one-year LPR in force on ``day``."""
        known = [p for p in self.lpr if p.effective_from <= day]
        if not known:
            raise ValidationError(
                "LPR_UNKNOWN",
                f"政策中没有 {day} 适用的一年期 LPR",
                f"the policy has no one-year LPR in force on {day}",
            )
        return known[-1].rate_annual

    def ceiling(self, day: date) -> Decimal:
        """Judicial ceiling on interest plus penalty interest on ``day``."""
        return self.ceiling_lpr_multiple * self.lpr_on(day)

    def penalty_rate(self, rate_annual: Decimal, multiplier: Decimal, day: date) -> Decimal:
        """Penalty rate on overdue principal: the product's multiple, capped at the ceiling."""
        return min(rate_annual * multiplier, self.ceiling(day))


class PolicyInvalid(ValidationError):
    """The policy breaks structure or a rule of the trade; ``problems`` lists each."""

    def __init__(self, problems: list[tuple[str, str]], source: str) -> None:
        self.problems = problems
        listing = "; ".join(f"{rule}: {message}" for rule, message in problems)
        super().__init__(
            "POLICY_INVALID",
            f"授信政策 {source} 不能加载，共 {len(problems)} 处问题：{listing}",
            f"decision policy {source} refused, {len(problems)} problem(s): {listing}",
        )


def _decimal(raw: object, name: str, problems: list[tuple[str, str]]) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        problems.append(("FIELD", f"{name} must be a number; got {raw!r}"))
        return None
    if not value.is_finite():
        problems.append(("FIELD", f"{name} must be finite; got {raw!r}"))
        return None
    return value


def _date(raw: object, name: str, problems: list[tuple[str, str]]) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        problems.append(("FIELD", f"{name} must be a date YYYY-MM-DD; got {raw!r}"))
        return None


def parse_policy(  # noqa: PLR0912, PLR0915
    data: Mapping[str, Any], catalogue: Catalogue, source_text: str, source: str = "<memory>"
) -> Policy:
    """Validate a parsed policy document against the catalogue and the rules of the trade."""
    problems: list[tuple[str, str]] = []
    required = (
        "version",
        "effective_from",
        "lpr_one_year",
        "ceiling_lpr_multiple",
        "max_limit_per_borrower",
        "disclosure",
        "eligibility",
        "scoring",
        "limit",
        "products",
    )
    missing = [k for k in required if k not in data]
    if missing:
        raise PolicyInvalid([("FIELD", f"missing {', '.join(missing)}")], source)
    effective = _date(data["effective_from"], "effective_from", problems)

    lpr: list[LprPoint] = []
    for k, point in enumerate(data["lpr_one_year"] or []):
        when = _date(
            point.get("from") if isinstance(point, Mapping) else None, f"lpr[{k}].from", problems
        )
        rate = _decimal(
            point.get("rate") if isinstance(point, Mapping) else None, f"lpr[{k}].rate", problems
        )
        if when and rate is not None:
            if not Decimal(0) < rate < Decimal("0.2"):
                problems.append(
                    ("FIELD", f"lpr[{k}].rate must be a fraction like 0.03; got {rate}")
                )
            lpr.append(LprPoint(when, rate))
    if not lpr:
        problems.append(("JUDICIAL_CEILING", "lpr_one_year must list at least one dated LPR"))
    lpr.sort(key=lambda p: p.effective_from)
    multiple = _decimal(data["ceiling_lpr_multiple"], "ceiling_lpr_multiple", problems)

    max_limit = _decimal(data["max_limit_per_borrower"], "max_limit_per_borrower", problems)
    if max_limit is not None and max_limit > INTERNET_LINE_CAP_YUAN:
        problems.append(
            (
                "INTERNET_LINE_CAP",
                f"max_limit_per_borrower {max_limit} exceeds the {INTERNET_LINE_CAP_YUAN} CNY cap "
                "on an internet consumer line per borrower",
            )
        )

    shown = tuple((data["disclosure"] or {}).get("show_rates") or ())
    unknown = [r for r in shown if r not in RATE_NAMES]
    if unknown:
        problems.append(("FIELD", f"disclosure.show_rates: unknown {unknown}; use {RATE_NAMES}"))
    if "apr" not in shown:
        problems.append(
            ("APR_DISCLOSURE", "every offer must state the APR (年化利率); add apr to show_rates")
        )

    elig = data["eligibility"] or {}
    age_min, age_max = int(elig.get("age_min", 18)), int(elig.get("age_max", 65))
    if not 18 <= age_min < age_max <= 70:
        problems.append(
            (
                "FIELD",
                f"eligibility ages must satisfy 18 ≤ min < max ≤ 70; got {age_min}..{age_max}",
            )
        )
    counties = frozenset(elig.get("counties") or ())
    if not counties:
        problems.append(("FIELD", "eligibility.counties must list the counties served"))
    min_points = int((data["scoring"] or {}).get("min_points", 0))
    if not 350 <= min_points <= 950:
        problems.append(("FIELD", f"scoring.min_points must be 350..950; got {min_points}"))

    lim = data["limit"] or {}
    factors: dict[str, Decimal] = {}
    for band in BANDS:
        raw = (lim.get("band_factor") or {}).get(band)
        value = _decimal(raw, f"limit.band_factor.{band}", problems) if raw is not None else None
        if value is None or not Decimal(0) < value <= 1:
            problems.append(("FIELD", f"limit.band_factor.{band} must be in (0, 1]; got {raw!r}"))
        else:
            factors[band] = value
    dti = _decimal(lim.get("debt_to_income_ceiling"), "limit.debt_to_income_ceiling", problems)
    if dti is not None and not Decimal(0) < dti <= 1:
        problems.append(("FIELD", f"limit.debt_to_income_ceiling must be in (0, 1]; got {dti}"))
    round_to = _decimal(lim.get("round_down_to", "1000"), "limit.round_down_to", problems)
    income_mult = _decimal(
        lim.get("annual_income_multiplier", "1"), "limit.annual_income_multiplier", problems
    )

    codes = tuple(data["products"] or ())
    for code in codes:
        if code not in catalogue.products:
            problems.append(("FIELD", f"products: unknown product {code!r}"))
    if multiple is not None and lpr and effective is not None:
        # The ceiling falls when the LPR falls: every fixing from the effective date on counts.
        in_force = [p for p in lpr if p.effective_from <= effective][-1:]
        points = in_force + [p for p in lpr if p.effective_from > effective]
        if not in_force:
            problems.append(("JUDICIAL_CEILING", f"no LPR in force on effective_from {effective}"))
        strictest = min(points, key=lambda p: p.rate_annual) if points else None
        if strictest is not None:
            ceiling = multiple * strictest.rate_annual
            for code in codes:
                product = catalogue.products.get(code)
                for band in product.rate_bands if product else ():
                    highest = product.rate_for(band) + max(
                        [t.rate_delta for t in product.sales_pricing] or [Decimal(0)]
                    )
                    if highest > ceiling:
                        problems.append(
                            (
                                "JUDICIAL_CEILING",
                                f"{code} band {band} rate {highest} exceeds {multiple} × LPR "
                                f"{strictest.rate_annual} (from {strictest.effective_from}) "
                                f"= {ceiling}",
                            )
                        )

    if problems:
        raise PolicyInvalid(problems, source)
    if None in (effective, multiple, max_limit, dti, round_to, income_mult):
        raise PolicyInvalid([("FIELD", "a required number or date is missing")], source)
    return Policy(
        version=str(data["version"]),
        digest=hashlib.sha256(source_text.encode("utf-8")).hexdigest(),
        source_text=source_text,
        lender_zh=str(data.get("lender_zh", "")),
        effective_from=effective,
        lpr=tuple(lpr),
        ceiling_lpr_multiple=multiple,
        max_limit_yuan=max_limit,
        show_rates=shown,
        require_real_name=bool(elig.get("require_real_name", True)),
        require_consent=str(elig.get("require_consent", "credit_scoring")),
        age_min=age_min,
        age_max=age_max,
        counties=counties,
        max_open_days_past_due=int(elig.get("max_open_days_past_due", 29)),
        decline_cooldown_days=int(elig.get("decline_cooldown_days", 30)),
        min_points=min_points,
        annual_income_feature=str(lim.get("annual_income_feature", "")),
        annual_income_multiplier=income_mult,
        monthly_sales_feature=str(lim.get("monthly_sales_feature", "")),
        land_area_feature=str(lim.get("land_area_feature", "")),
        band_factor=factors,
        debt_to_income_ceiling=dti,
        round_down_to_yuan=round_to,
        products=codes,
    )


def load_policy(catalogue: Catalogue, path: Path | None = None) -> Policy:
    """Load and validate a policy file (the shipped ``decision/policy.yaml`` by default)."""
    if path is None:
        text = resources.files("puhui.decision").joinpath("policy.yaml").read_text("utf-8")
        source = "puhui/decision/policy.yaml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ValidationError(
                "POLICY_UNREADABLE",
                f"无法读取授信政策 {path}：{exc.strerror}",
                f"cannot read decision policy {path}: {exc.strerror}",
            ) from None
        source = str(path)
    return policy_from_text(text, catalogue, source)


def policy_from_text(text: str, catalogue: Catalogue, source: str = "<memory>") -> Policy:
    """Parse policy YAML text (also how a stored policy is reloaded for a replay)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyInvalid([("FIELD", f"not valid YAML: {exc}")], source) from None
    if not isinstance(data, Mapping):
        raise PolicyInvalid([("FIELD", "the policy must be a mapping")], source)
    return parse_policy(data, catalogue, text, source)
