"""Money: Chinese yuan as ``Decimal`` with fen (0.01) precision, and annual rates.

Invariants
- An amount is a finite ``Decimal`` with at most two decimal places. Floats are refused
  outright: ``0.1 + 0.2`` is not a sum of money.
- Rounding is half-up (四舍五入) to the fen, applied once to each amount that is posted; use
  :func:`round_fen` on a computed value, never on an amount already posted.
- Storage keeps integer fen (``amount_fen``); :func:`to_fen` / :func:`from_fen` convert exactly.
- A rate is an annual fraction (``rate_annual = Decimal("0.072")`` is 7.2 %), finite, within
  [0, 1), with at most :data:`RATE_DECIMALS` decimal places so that integer arithmetic in SQL
  reproduces every Python result exactly (see ``store.eod``).

Names carry units: ``amount_yuan`` is a Decimal in yuan, ``amount_fen`` an int in fen.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from puhui.errors import ValidationError

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
RATE_DECIMALS = 8
#: Integer scale of stored rates: ``rate_annual_e8 = rate_annual * 10**8``.
RATE_SCALE = 10**RATE_DECIMALS
_RATE_QUANTUM = Decimal(1).scaleb(-RATE_DECIMALS)
#: Day-count divisor for daily interest (日利率 = 年利率 / 360), the PBoC convention.
DAYS_PER_YEAR = 360
MONTHS_PER_YEAR = 12


def _as_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool | float):
        raise ValidationError(
            "AMOUNT_TYPE",
            f"{field} 必须是字符串或整数形式的金额，不能是浮点数；收到 {value!r}",
            f"{field} must be given as a string, int or Decimal, never a float; got {value!r}",
            field=field,
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise ValidationError(
                "AMOUNT_FORMAT",
                f"{field} 不是有效的数字：{value!r}",
                f"{field} must be a number; got {value!r}",
                field=field,
            ) from None
    else:
        raise ValidationError(
            "AMOUNT_TYPE",
            f"{field} 的类型不受支持：{type(value).__name__}",
            f"{field} must be a string, int or Decimal; got {type(value).__name__}",
            field=field,
        )
    if not result.is_finite():
        raise ValidationError(
            "AMOUNT_NOT_FINITE",
            f"{field} 必须是有限数值；收到 {value!r}",
            f"{field} must be finite; got {value!r}",
            field=field,
        )
    return result


def yuan(value: object, *, field: str = "amount", allow_negative: bool = False) -> Decimal:
    """Parse an amount in yuan, refusing floats, NaN/inf, >2 decimals and (by default) negatives.

    >>> yuan("1000.5")
    Decimal('1000.50')
    """
    amount = _as_decimal(value, field)
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise ValidationError(
            "AMOUNT_PRECISION",
            f"{field} 最多两位小数（精确到分）；收到 {value}",
            f"{field} must have at most 2 decimal places (fen); got {value}",
            field=field,
        )
    if amount < 0 and not allow_negative:
        raise ValidationError(
            "AMOUNT_NEGATIVE",
            f"{field} 不能为负数；收到 {value}",
            f"{field} must not be negative; got {value}",
            field=field,
        )
    return amount.quantize(FEN)


def positive_yuan(value: object, *, field: str = "amount") -> Decimal:
    """Like :func:`yuan` but the amount must be strictly greater than zero."""
    amount = yuan(value, field=field)
    if amount <= 0:
        raise ValidationError(
            "AMOUNT_NOT_POSITIVE",
            f"{field} 必须大于零；收到 {value}",
            f"{field} must be greater than zero; got {value}",
            field=field,
        )
    return amount


def round_fen(value: Decimal) -> Decimal:
    """Round a computed amount half-up (四舍五入) to the fen."""
    with localcontext() as ctx:
        ctx.prec = 40
        return value.quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(amount_yuan: Decimal) -> int:
    """Exact conversion of a fen-precision yuan amount to integer fen."""
    fen = amount_yuan * 100
    if fen != fen.to_integral_value():
        raise ValidationError(
            "AMOUNT_PRECISION",
            f"金额精度超过分：{amount_yuan}",
            f"amount has sub-fen precision: {amount_yuan}",
        )
    return int(fen)


def from_fen(amount_fen: int) -> Decimal:
    """Integer fen to a yuan ``Decimal`` with two places."""
    return (Decimal(amount_fen) / 100).quantize(FEN)


def rate(value: object, *, field: str = "rate_annual") -> Decimal:
    """Parse an annual rate as a fraction (``"0.072"`` = 7.2 %).

    Refuses floats, NaN/inf, negatives, rates of 100 % or more, and more than
    :data:`RATE_DECIMALS` decimal places.
    """
    value_dec = _as_decimal(value, field)
    if value_dec < 0 or value_dec >= 1:
        raise ValidationError(
            "RATE_RANGE",
            f"{field} 必须是 0 到 1 之间的小数（如 0.072 表示 7.2%）；收到 {value}",
            f"{field} must be a fraction in [0, 1) (0.072 means 7.2 %); got {value}",
            field=field,
        )
    if value_dec != value_dec.quantize(_RATE_QUANTUM):
        raise ValidationError(
            "RATE_PRECISION",
            f"{field} 最多 {RATE_DECIMALS} 位小数；收到 {value}",
            f"{field} must have at most {RATE_DECIMALS} decimal places; got {value}",
            field=field,
        )
    return value_dec


def rate_to_e8(rate_annual: Decimal) -> int:
    """Exact integer form of a rate for storage and SQL arithmetic."""
    scaled = rate_annual * RATE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            "RATE_PRECISION",
            f"利率精度超过 {RATE_DECIMALS} 位小数：{rate_annual}",
            f"rate has more than {RATE_DECIMALS} decimal places: {rate_annual}",
        )
    return int(scaled)


def rate_from_e8(rate_annual_e8: int) -> Decimal:
    """Inverse of :func:`rate_to_e8`."""
    return (Decimal(rate_annual_e8) / RATE_SCALE).normalize()


def daily_interest_fen(principal_fen: int, rate_annual_e8: int, days: int) -> int:
    """Interest on ``principal_fen`` for ``days`` actual days at ``rate/360``, half-up to the fen.

    Pure integer arithmetic so the set-based SQL in ``store.eod`` computes the identical value:
    ``round_half_up(principal * rate_e8 * days / (360 * 10**8))``.
    """
    numerator = principal_fen * rate_annual_e8 * days
    denominator = DAYS_PER_YEAR * RATE_SCALE
    return (2 * numerator + denominator) // (2 * denominator)


def format_yuan(amount_yuan: Decimal) -> str:
    """``Decimal('12345.6')`` → ``'¥12,345.60'`` for display."""
    return f"¥{amount_yuan.quantize(FEN):,}"


def format_rate(rate_annual: Decimal) -> str:
    """``Decimal('0.072')`` → ``'7.20%'``."""
    return f"{(rate_annual * 100).quantize(FEN, rounding=ROUND_HALF_UP)}%"
