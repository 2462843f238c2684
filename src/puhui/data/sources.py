"""The partner sources 数据源 puhui imports, each described once: columns, keys, time, owner.

One :class:`Source` per file of the contract in ``docs/data-sources.md`` (the simulator writes
exactly these files; a real partner delivers the same columns as CSV, Parquet or JSON lines).
Everything else reads this catalogue: validation (``data.validate``), the fact tables
(``store.tables``), the import order, the consent rules (``data.consent``) and the feature
store's point-in-time rule (``features``).

Invariants
- :data:`SOURCES` is in dependency order: a source that names its person through another
  source's id (``platform/monthly`` → ``user_id`` → ``platform/accounts``) comes after it.
- Every natural key is unique in a valid file and in the database (a unique constraint).
- ``known_from`` names the column whose day a row becomes known: a dated event is known at the
  end of its day, a ``month`` row at the end of the month's last day. A fact may be used as of
  a date ``D`` only if it was known before ``D`` (``features.asof``).
- Identity numbers appear only in ``id_number`` columns (kind ``ID``); storage replaces them
  with the person key (``data.identity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from puhui.errors import ValidationError


class Kind(StrEnum):
    """How a column is parsed and stored."""

    ID = "id"  # 18-character identity number → person key
    TEXT = "text"  # free text (names)
    CODE = "code"  # one of a fixed set of lower-case codes
    DIGITS = "digits"  # a code made of digits, fixed length (township, village, plot)
    INT = "int"  # whole number (money in fen, counts, ids)
    FLOAT = "float"  # measured quantity (area in mu, mean rating)
    DATE = "date"  # calendar day
    MONTH = "month"  # first day of the month the row covers
    MONTH_END = "month_end"  # last day of a month


class Partner(StrEnum):
    """Who delivers the files; consent scopes and source agreements name partners."""

    GOVERNMENT = "government"
    PLATFORM = "platform"
    ECOMMERCE = "ecommerce"
    LENDER = "lender"


#: Default source agreement per partner (setting ``PUHUI_SOURCE_AGREEMENTS``; rules in
#: ``data.consent``): the county's data and the lender's own records are stored for everyone
#: under their agreements; platform and marketplace behaviour only with the person's consent.
DEFAULT_AGREEMENTS: dict[str, str] = {
    Partner.GOVERNMENT.value: "agreement",
    Partner.LENDER.value: "agreement",
    Partner.PLATFORM.value: "consent",
    Partner.ECOMMERCE.value: "consent",
}


@dataclass(frozen=True, slots=True)
class Col:
    """One column of a partner file."""

    name: str
    kind: Kind
    nullable: bool = False
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    length: int | None = None  # exact length of a DIGITS code
    max_length: int = 64  # storage width of text and codes


@dataclass(frozen=True, slots=True)
class Link:
    """How a row names its person through another source's id (``user_id`` → accounts)."""

    column: str
    parent: str


@dataclass(frozen=True, slots=True)
class Source:
    """A partner file: its columns, natural key, the day a row becomes known, its person."""

    name: str
    columns: tuple[Col, ...]
    natural_key: tuple[str, ...]
    known_from: str | None
    link: Link | None = None
    title_zh: str = ""

    @property
    def partner(self) -> Partner:
        return Partner(self.name.split("/")[0])

    @property
    def table(self) -> str:
        """Name of the fact table: ``government/land_plots`` → ``fact_government_land_plots``."""
        return "fact_" + self.name.replace("/", "_")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def has_id_number(self) -> bool:
        return any(c.kind is Kind.ID for c in self.columns)

    @property
    def stored_columns(self) -> tuple[str, ...]:
        """Columns as stored: ``id_number`` becomes ``person_key``."""
        return tuple("person_key" if c.kind is Kind.ID else c.name for c in self.columns)

    @property
    def stored_key(self) -> tuple[str, ...]:
        return tuple("person_key" if k == "id_number" else k for k in self.natural_key)

    def column(self, name: str) -> Col:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


_ID = Col("id_number", Kind.ID)
_USER = Col("user_id", Kind.INT, minimum=0)
_MONTH = Col("month", Kind.MONTH)


def _fen(name: str, nullable: bool = False) -> Col:
    return Col(name, Kind.INT, nullable=nullable, minimum=0)


def _count(name: str) -> Col:
    return Col(name, Kind.INT, minimum=0)


SOURCES: tuple[Source, ...] = (
    Source(
        "government/residents",
        (
            _ID,
            Col("name", Kind.TEXT, max_length=50),
            Col("gender", Kind.CODE, allowed=("male", "female")),
            Col("birth_date", Kind.DATE),
            Col("ethnicity", Kind.TEXT, max_length=20),
            Col("township_code", Kind.DIGITS, length=9),
            Col("township_name", Kind.TEXT, max_length=40),
            Col("village_code", Kind.DIGITS, length=12),
            Col("village_name", Kind.TEXT, max_length=60),
            Col("household_size", Kind.INT, minimum=1, maximum=30),
            Col(
                "education",
                Kind.CODE,
                allowed=("primary", "junior_high", "senior_high", "college"),
            ),
        ),
        ("id_number",),
        None,
        title_zh="户籍人口",
    ),
    Source(
        "government/social_insurance",
        (
            _ID,
            Col("year", Kind.INT, minimum=1950, maximum=2100),
            Col("months_contributed", Kind.INT, minimum=1, maximum=12),
            _fen("contribution_fen"),
            Col("paid_date", Kind.DATE),
        ),
        ("id_number", "year"),
        "paid_date",
        title_zh="城乡居民养老保险缴费",
    ),
    Source(
        "government/land_plots",
        (
            Col("plot_code", Kind.DIGITS, length=19),
            _ID,
            Col("village_code", Kind.DIGITS, length=12),
            Col("area_mu", Kind.FLOAT, minimum=0, maximum=100_000),
            Col("crop", Kind.CODE, allowed=("wheat_maize", "vegetables", "fruit", "peanut")),
            Col("registered_date", Kind.DATE),
        ),
        ("plot_code",),
        "registered_date",
        title_zh="土地确权",
    ),
    Source(
        "government/subsidies",
        (
            _ID,
            Col("paid_date", Kind.DATE),
            Col("kind", Kind.CODE, allowed=("cultivated_land_protection", "farm_machinery")),
            _fen("amount_fen"),
            Col("area_mu", Kind.FLOAT, nullable=True, minimum=0, maximum=100_000),
            Col(
                "machine",
                Kind.CODE,
                nullable=True,
                allowed=("tractor", "harvester", "seeder", "rotary_tiller", "sprayer_drone"),
            ),
        ),
        ("id_number", "paid_date", "kind"),
        "paid_date",
        title_zh="农业补贴",
    ),
    Source(
        "government/disaster_notices",
        (
            Col("notice_id", Kind.INT, minimum=1),
            Col("township_code", Kind.DIGITS, length=9),
            Col("township_name", Kind.TEXT, max_length=40),
            Col("notice_date", Kind.DATE),
            Col("kind", Kind.CODE, allowed=("drought", "flood")),
            Col("level", Kind.INT, minimum=1, maximum=4),
        ),
        ("notice_id",),
        "notice_date",
        title_zh="灾情通报",
    ),
    Source(
        "platform/accounts",
        (_USER, _ID, Col("opened_date", Kind.DATE)),
        ("user_id",),
        "opened_date",
        title_zh="实名账户",
    ),
    Source(
        "platform/monthly",
        (
            _USER,
            _MONTH,
            _fen("inflow_fen"),
            _fen("outflow_fen"),
            _count("inflow_count"),
            _count("outflow_count"),
            _count("bill_payment_count"),
            _fen("bill_payment_fen"),
            _count("bill_late_count"),
            Col("login_days", Kind.INT, minimum=0, maximum=31),
            _fen("balance_end_fen"),
        ),
        ("user_id", "month"),
        "month",
        link=Link("user_id", "platform/accounts"),
        title_zh="月度收支",
    ),
    Source(
        "platform/transfers",
        (
            _USER,
            _MONTH,
            Col("counterparty_user_id", Kind.INT, minimum=0),
            Col("transfer_count", Kind.INT, minimum=1),
            _fen("amount_fen"),
        ),
        ("user_id", "month", "counterparty_user_id"),
        "month",
        link=Link("user_id", "platform/accounts"),
        title_zh="转账",
    ),
    Source(
        "platform/device_changes",
        (_USER, Col("event_date", Kind.DATE), Col("device_id", Kind.INT)),
        ("user_id", "event_date", "device_id"),
        "event_date",
        link=Link("user_id", "platform/accounts"),
        title_zh="换机记录",
    ),
    Source(
        "ecommerce/shops",
        (
            Col("shop_id", Kind.INT, minimum=0),
            _ID,
            Col("opened_date", Kind.DATE),
            Col(
                "category",
                Kind.CODE,
                allowed=("grocery", "agri_produce", "farm_supplies", "apparel", "handicraft"),
            ),
        ),
        ("shop_id",),
        "opened_date",
        title_zh="网店",
    ),
    Source(
        "ecommerce/monthly",
        (
            Col("shop_id", Kind.INT, minimum=0),
            _MONTH,
            _fen("sales_fen"),
            _count("order_count"),
            _count("refund_count"),
            _fen("refund_fen"),
            Col("rating_avg", Kind.FLOAT, nullable=True, minimum=1, maximum=5),
            _count("rating_count"),
        ),
        ("shop_id", "month"),
        "month",
        link=Link("shop_id", "ecommerce/shops"),
        title_zh="网店月度经营",
    ),
    Source(
        "lender/lines",
        (
            Col("line_id", Kind.INT, minimum=0),
            _ID,
            Col("product_code", Kind.TEXT, max_length=60),
            Col("granted_date", Kind.DATE),
            Col("expiry_date", Kind.DATE),
            _fen("limit_fen"),
            Col("band", Kind.CODE, allowed=("A", "B", "C", "D", "E"), max_length=2),
            Col("rate_annual_e8", Kind.INT, minimum=0, maximum=100_000_000),
            Col("renewal_of", Kind.INT, nullable=True, minimum=0),
        ),
        ("line_id",),
        "granted_date",
        title_zh="授信",
    ),
    Source(
        "lender/draws",
        (
            Col("draw_id", Kind.INT, minimum=0),
            Col("line_id", Kind.INT, minimum=0),
            Col("draw_date", Kind.DATE),
            Col("principal_fen", Kind.INT, minimum=1),
            Col("term_months", Kind.INT, minimum=1, maximum=360),
            Col(
                "repayment_method",
                Kind.CODE,
                allowed=("equal_installment", "interest_first"),
            ),
            Col("rate_annual_e8", Kind.INT, minimum=0, maximum=100_000_000),
            Col("maturity_date", Kind.DATE),
        ),
        ("draw_id",),
        "draw_date",
        link=Link("line_id", "lender/lines"),
        title_zh="支用",
    ),
    Source(
        "lender/repayments",
        (
            Col("draw_id", Kind.INT, minimum=0),
            Col("repay_date", Kind.DATE),
            Col("kind", Kind.CODE, allowed=("instalment", "overdue", "prepayment")),
            _fen("principal_fen"),
            _fen("interest_fen"),
            _fen("penalty_fen"),
            _fen("principal_remaining_fen"),
        ),
        ("draw_id", "repay_date", "kind"),
        "repay_date",
        link=Link("draw_id", "lender/draws"),
        title_zh="还款",
    ),
    Source(
        "lender/monthly_status",
        (
            Col("month_end", Kind.MONTH_END),
            Col("draw_id", Kind.INT, minimum=0),
            Col("line_id", Kind.INT, minimum=0),
            _fen("outstanding_principal_fen"),
            _fen("overdue_principal_fen"),
            _fen("overdue_interest_fen"),
            Col("days_past_due", Kind.INT, minimum=0),
            Col(
                "classification",
                Kind.CODE,
                allowed=("normal", "special_mention", "substandard", "doubtful", "loss"),
            ),
        ),
        ("month_end", "draw_id"),
        "month_end",
        link=Link("line_id", "lender/lines"),
        title_zh="月末贷款状态",
    ),
)

BY_NAME: dict[str, Source] = {source.name: source for source in SOURCES}


def get_source(name: str) -> Source:
    """The source called ``name`` (``government/residents``; a ``.parquet`` suffix is ignored)."""
    key = name.strip().removesuffix(".parquet")
    try:
        return BY_NAME[key]
    except KeyError:
        raise ValidationError(
            "SOURCE_UNKNOWN",
            f"未知数据源 {name!r}；可选：{'、'.join(BY_NAME)}",
            f"unknown source {name!r}; known sources: {', '.join(BY_NAME)}",
        ) from None


def person_source(source: Source) -> Source:
    """The source that names the person behind ``source``'s rows (itself if it has IDs)."""
    while source.link is not None:
        source = BY_NAME[source.link.parent]
    return source
