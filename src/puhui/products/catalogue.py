"""Product catalogue 产品目录: types, pricing rules and the validating YAML loader.

A catalogue is validated as a whole: every problem is collected (product code, field, reason)
and reported together, so an operator fixes a file in one pass. Nothing half-valid is ever
returned — :func:`load_catalogue` either gives a complete :class:`Catalogue` or raises
:class:`CatalogueInvalid` listing every problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from puhui.errors import NotFound, ValidationError
from puhui.money import rate, yuan
from puhui.schedule import Basis, Method

#: Legal ceiling on the annualised rate of a loan product (24 % APR).
APR_CAP = Decimal("0.24")
BANDS: tuple[str, ...] = ("A", "B", "C", "D", "E")


class Segment(StrEnum):
    """Customer segment 客群."""

    FARMER = "farmer"
    MERCHANT = "merchant"
    INDIVIDUAL_BUSINESS = "individual_business"


class LimitBasis(StrEnum):
    """What a line's limit is sized from (the decision engine applies it)."""

    ANNUAL_INCOME = "annual_income"
    MONTHLY_SALES = "monthly_sales"
    LAND_AREA = "land_area"


@dataclass(frozen=True, slots=True)
class MethodRule:
    method: Method
    bands: frozenset[str]


@dataclass(frozen=True, slots=True)
class SalesTier:
    min_monthly_sales_yuan: Decimal
    rate_delta: Decimal


@dataclass(frozen=True, slots=True)
class LimitRule:
    basis: LimitBasis
    multiple: Decimal


@dataclass(frozen=True, slots=True)
class Product:
    """One loan product; immutable. Amounts in yuan, rates annual fractions."""

    code: str
    name_zh: str
    name_en: str
    description_zh: str
    segments: frozenset[Segment]
    amount_min_yuan: Decimal
    amount_max_yuan: Decimal
    draw_min_yuan: Decimal
    terms_months: tuple[int, ...]
    interest_basis: Basis
    revolving: bool
    line_validity_months: int
    penalty_multiplier: Decimal
    rate_bands: Mapping[str, Decimal]
    methods: tuple[MethodRule, ...]
    limit_rule: LimitRule | None = None
    principal_months: frozenset[int] = frozenset()
    rate_discount: Decimal = Decimal(0)
    sales_pricing: tuple[SalesTier, ...] = ()
    requires_insurance: bool = False

    def rate_for(self, band: str, monthly_sales_yuan: Decimal | None = None) -> Decimal:
        """Contract annual rate for a risk ``band`` (and, if priced on sales, monthly sales)."""
        if band not in self.rate_bands:
            raise ValidationError(
                "UNKNOWN_BAND",
                f"产品 {self.code} 没有信用等级 {band}",
                f"product {self.code} has no band {band!r}; bands are {sorted(self.rate_bands)}",
            )
        value = self.rate_bands[band] - self.rate_discount
        if self.sales_pricing and monthly_sales_yuan is not None:
            delta = Decimal(0)
            for tier in self.sales_pricing:
                if monthly_sales_yuan >= tier.min_monthly_sales_yuan:
                    delta = tier.rate_delta
            value += delta
        return value

    def methods_for(self, band: str) -> tuple[Method, ...]:
        """Repayment methods offered to ``band`` (interest-first only for quality bands)."""
        return tuple(rule.method for rule in self.methods if band in rule.bands)

    def penalty_rate(self, rate_annual: Decimal) -> Decimal:
        """Penalty interest rate 罚息利率 on overdue principal."""
        return rate_annual * self.penalty_multiplier

    def check_draw(self, amount_yuan: Decimal, term_months: int, method: Method) -> None:
        """Refuse a drawdown this product does not allow (amount, term, method)."""
        if amount_yuan < self.draw_min_yuan:
            raise ValidationError(
                "DRAW_BELOW_MINIMUM",
                f"单笔支用不得低于 {self.draw_min_yuan} 元",
                f"a drawdown must be at least {self.draw_min_yuan} yuan; got {amount_yuan}",
            )
        if term_months not in self.terms_months:
            raise ValidationError(
                "TERM_NOT_OFFERED",
                f"产品 {self.name_zh} 的期限只有 {list(self.terms_months)} 个月",
                f"product {self.code} offers terms {list(self.terms_months)}; got {term_months}",
            )
        if method not in {rule.method for rule in self.methods}:
            raise ValidationError(
                "METHOD_NOT_OFFERED",
                f"产品 {self.name_zh} 不提供{method.label_zh}",
                f"product {self.code} does not offer {method.value}",
            )


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: str
    products: Mapping[str, Product]

    def get(self, code: str) -> Product:
        try:
            return self.products[code]
        except KeyError:
            raise NotFound(
                "PRODUCT_NOT_FOUND",
                f"产品不存在：{code}",
                f"no product {code!r}; known: {sorted(self.products)}",
            ) from None


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem in a catalogue file."""

    product: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"product {self.product}: {self.field}: {self.message}"


class CatalogueInvalid(ValidationError):
    """The catalogue file has problems; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem], source: str) -> None:
        self.problems = problems
        self.source = source
        listing = "; ".join(str(p) for p in problems)
        super().__init__(
            "CATALOGUE_INVALID",
            f"产品目录 {source} 有 {len(problems)} 处错误：{listing}",
            f"product catalogue {source} has {len(problems)} problem(s): {listing}",
        )


_REQUIRED = (
    "code",
    "name_zh",
    "name_en",
    "segments",
    "amount_min",
    "amount_max",
    "terms_months",
    "interest_basis",
    "revolving",
    "penalty_multiplier",
    "rate_bands",
    "methods",
)
_OPTIONAL = (
    "description_zh",
    "draw_min",
    "line_validity_months",
    "limit_rule",
    "principal_months",
    "rate_discount",
    "sales_pricing",
    "requires_insurance",
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Collector:
    """Collects problems for one product; each parse helper returns None on failure."""

    def __init__(self, code: str, problems: list[Problem]) -> None:
        self.code = code
        self.problems = problems

    def bad(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.code, field_name, message))

    def amount(self, raw: object, field_name: str) -> Decimal | None:
        try:
            return yuan(raw if not isinstance(raw, float) else str(raw), field=field_name)
        except ValidationError as exc:
            self.bad(field_name, exc.message_en)
            return None

    def fraction(self, raw: object, field_name: str) -> Decimal | None:
        # YAML turns 0.072 into a float; accept it only via its exact decimal text.
        text = str(raw) if isinstance(raw, float | int) and not isinstance(raw, bool) else raw
        try:
            return rate(text, field=field_name)
        except ValidationError as exc:
            self.bad(field_name, exc.message_en)
            return None

    def enum(self, enum_type: type[StrEnum], raw: object, field_name: str) -> Any:
        try:
            return enum_type(raw)
        except ValueError:
            allowed = ", ".join(m.value for m in enum_type)  # type: ignore[attr-defined]
            self.bad(field_name, f"unknown value {raw!r}; allowed: {allowed}")
            return None


def _parse_product(raw: Mapping[str, Any], index: int, problems: list[Problem]) -> Product | None:  # noqa: PLR0912, PLR0915
    code = str(raw.get("code") or f"#{index + 1}")
    c = _Collector(code, problems)
    start = len(problems)
    for name in _REQUIRED:
        if name not in raw:
            c.bad(name, "is required")
    for name in raw:
        if name not in _REQUIRED and name not in _OPTIONAL:
            c.bad(name, "unknown field (typo?)")
    if len(problems) > start:
        return None

    segments = frozenset(c.enum(Segment, s, "segments") for s in raw["segments"] or [])
    if not raw["segments"]:
        c.bad("segments", "must list at least one segment")
    amount_min = c.amount(raw["amount_min"], "amount_min")
    amount_max = c.amount(raw["amount_max"], "amount_max")
    if amount_min is not None and amount_max is not None:
        if amount_min <= 0:
            c.bad("amount_min", f"must be greater than zero; got {amount_min}")
        if amount_min > amount_max:
            c.bad("amount_min", f"{amount_min} is greater than amount_max ({amount_max})")
    draw_min = c.amount(raw.get("draw_min", "100"), "draw_min")
    if draw_min is not None and amount_max is not None and draw_min > amount_max:
        c.bad("draw_min", f"draw_min ({draw_min}) is greater than amount_max ({amount_max})")

    terms_raw = raw["terms_months"]
    terms: tuple[int, ...] = ()
    if not isinstance(terms_raw, list) or not terms_raw:
        c.bad("terms_months", "must be a non-empty list of months")
    elif not all(_is_int(t) and 1 <= t <= 360 for t in terms_raw):
        c.bad("terms_months", f"each term must be a whole number of months 1..360; got {terms_raw}")
    else:
        terms = tuple(sorted(set(terms_raw)))

    basis = c.enum(Basis, raw["interest_basis"], "interest_basis")
    if not isinstance(raw["revolving"], bool):
        c.bad("revolving", f"must be true or false; got {raw['revolving']!r}")
    validity = raw.get("line_validity_months", 12)
    if not _is_int(validity) or not 1 <= validity <= 120:
        c.bad("line_validity_months", f"must be 1..120 months; got {validity!r}")

    multiplier_text = raw["penalty_multiplier"]
    multiplier: Decimal | None
    try:
        multiplier = Decimal(str(multiplier_text))
        if not multiplier.is_finite() or multiplier < 1 or multiplier > 2:
            c.bad("penalty_multiplier", f"must be between 1 and 2; got {multiplier_text}")
            multiplier = None
    except ArithmeticError:
        c.bad("penalty_multiplier", f"must be a number; got {multiplier_text!r}")
        multiplier = None

    bands: dict[str, Decimal] = {}
    bands_raw = raw["rate_bands"]
    if not isinstance(bands_raw, Mapping) or not bands_raw:
        c.bad("rate_bands", "must map each risk band (A–E) to an annual rate")
    else:
        for band, band_rate in bands_raw.items():
            if band not in BANDS:
                c.bad(f"rate_bands.{band}", f"unknown band; bands are {', '.join(BANDS)}")
                continue
            parsed = c.fraction(band_rate, f"rate_bands.{band}")
            if parsed is not None:
                bands[band] = parsed

    discount = Decimal(0)
    if "rate_discount" in raw:
        discount = c.fraction(raw["rate_discount"], "rate_discount") or Decimal(0)

    tiers: list[SalesTier] = []
    for k, tier in enumerate(raw.get("sales_pricing") or []):
        name = f"sales_pricing[{k}]"
        if not isinstance(tier, Mapping) or set(tier) != {"min_monthly_sales", "rate_delta"}:
            c.bad(name, "must have exactly min_monthly_sales and rate_delta")
            continue
        floor = c.amount(tier["min_monthly_sales"], f"{name}.min_monthly_sales")
        try:
            delta = Decimal(str(tier["rate_delta"]))
        except ArithmeticError:
            c.bad(f"{name}.rate_delta", f"must be a number; got {tier['rate_delta']!r}")
            continue
        if floor is not None:
            tiers.append(SalesTier(floor, delta))
    if [t.min_monthly_sales_yuan for t in tiers] != sorted(t.min_monthly_sales_yuan for t in tiers):
        c.bad("sales_pricing", "tiers must be in ascending order of min_monthly_sales")

    deltas = [t.rate_delta for t in tiers] or [Decimal(0)]
    for band, band_rate in bands.items():
        for delta in deltas:
            effective = band_rate - discount + delta
            if effective > APR_CAP:
                c.bad(
                    f"rate_bands.{band}",
                    f"rate {effective} is above the {APR_CAP:.0%} APR cap",
                )
            if effective <= 0:
                c.bad(f"rate_bands.{band}", f"effective rate {effective} must be positive")

    rules: list[MethodRule] = []
    methods_raw = raw["methods"]
    if not isinstance(methods_raw, list) or not methods_raw:
        c.bad("methods", "must list at least one repayment method")
    else:
        for k, rule in enumerate(methods_raw):
            name = f"methods[{k}]"
            if not isinstance(rule, Mapping) or "method" not in rule:
                c.bad(name, "must be {method: ..., bands: [...]}")
                continue
            method = c.enum(Method, rule["method"], f"{name}.method")
            rule_bands = frozenset(rule.get("bands") or bands)
            unknown = sorted(rule_bands - set(bands))
            if unknown:
                c.bad(f"{name}.bands", f"bands {unknown} have no rate in rate_bands")
            if method is not None:
                rules.append(MethodRule(method, rule_bands))

    months: frozenset[int] = frozenset()
    if "principal_months" in raw:
        pm = raw["principal_months"]
        if not isinstance(pm, list) or not pm or not all(_is_int(m) and 1 <= m <= 12 for m in pm):
            c.bad("principal_months", f"must list calendar months 1..12; got {pm}")
        else:
            months = frozenset(pm)
    if any(r.method is Method.SEASONAL for r in rules) and not months:
        c.bad("principal_months", "the seasonal method needs the months principal falls due in")

    limit_rule: LimitRule | None = None
    if "limit_rule" in raw:
        lr = raw["limit_rule"]
        if not isinstance(lr, Mapping) or set(lr) != {"basis", "multiple"}:
            c.bad("limit_rule", "must be {basis: ..., multiple: ...}")
        else:
            lb = c.enum(LimitBasis, lr["basis"], "limit_rule.basis")
            try:
                mult = Decimal(str(lr["multiple"]))
                if not mult.is_finite() or mult <= 0:
                    raise ArithmeticError
            except ArithmeticError:
                c.bad("limit_rule.multiple", f"must be a positive number; got {lr['multiple']!r}")
                mult = None
            if lb is not None and mult is not None:
                limit_rule = LimitRule(lb, mult)

    insurance = raw.get("requires_insurance", False)
    if not isinstance(insurance, bool):
        c.bad("requires_insurance", f"must be true or false; got {insurance!r}")

    if len(problems) > start:
        return None
    if amount_min is None or amount_max is None or draw_min is None or multiplier is None:
        return None  # already reported above
    return Product(
        code=code,
        name_zh=str(raw["name_zh"]),
        name_en=str(raw["name_en"]),
        description_zh=str(raw.get("description_zh", "")).strip(),
        segments=segments,
        amount_min_yuan=amount_min,
        amount_max_yuan=amount_max,
        draw_min_yuan=draw_min,
        terms_months=terms,
        interest_basis=basis,
        revolving=raw["revolving"],
        line_validity_months=validity,
        penalty_multiplier=multiplier,
        rate_bands=dict(sorted(bands.items())),
        methods=tuple(rules),
        limit_rule=limit_rule,
        principal_months=months,
        rate_discount=discount,
        sales_pricing=tuple(tiers),
        requires_insurance=insurance,
    )


def parse_catalogue(data: object, source: str = "<memory>") -> Catalogue:
    """Validate a parsed YAML document; raise :class:`CatalogueInvalid` listing all problems."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping) or not isinstance(data.get("products"), list):
        raise CatalogueInvalid(
            problems=[Problem("-", "products", "the file must have a top-level list `products`")],
            source=source,
        )
    if not data["products"]:
        problems.append(Problem("-", "products", "the catalogue has no products"))
    products: dict[str, Product] = {}
    for index, raw in enumerate(data["products"]):
        if not isinstance(raw, Mapping):
            problems.append(Problem(f"#{index + 1}", "-", "each product must be a mapping"))
            continue
        product = _parse_product(raw, index, problems)
        if product is None:
            continue
        if product.code in products:
            problems.append(Problem(product.code, "code", "duplicate product code"))
        products[product.code] = product
    if problems:
        raise CatalogueInvalid(problems=problems, source=source)
    return Catalogue(version=str(data.get("version", "")), products=products)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load and validate a catalogue file (the shipped default when ``path`` is None)."""
    if path is None:
        text = resources.files("puhui.products").joinpath("catalogue.yaml").read_text("utf-8")
        source = "puhui/products/catalogue.yaml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ValidationError(
                "CATALOGUE_UNREADABLE",
                f"无法读取产品目录 {path}：{exc.strerror}",
                f"cannot read product catalogue {path}: {exc.strerror}",
            ) from None
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueInvalid(
            problems=[Problem("-", "-", f"not valid YAML: {exc}")], source=source
        ) from None
    return parse_catalogue(data, source)
