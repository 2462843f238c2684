"""Mainland resident identity number 居民身份证号码 (GB 11643-1999), pure functions.

Owns: the 18-character citizen identification number — its check character (ISO 7064
MOD 11-2), validation, birth date and gender extraction, and masking for display.

Layout (positions 1–18)
- 1–6   administrative region code 行政区划代码 (GB/T 2260) of the place of registration;
- 7–14  birth date ``YYYYMMDD``;
- 15–17 sequence code 顺序码; odd for men, even for women;
- 18    check character ``0``–``9`` or ``X`` (the value 10).

Invariants
- :func:`validate` either returns a complete :class:`IdNumber` or raises
  :class:`~puhui.errors.ValidationError` with one of the stable codes ``ID_FORMAT``,
  ``ID_REGION``, ``ID_BIRTH_DATE``, ``ID_CHECKSUM``. Error messages never echo the full
  number, only its mask.
- :func:`mask` never reveals more than 8 characters (the first 4 and the last 4).
- "Today" is never read from the clock: a birth date is checked against ``as_of``, passed in.

The region check is on shape only (six digits starting with a known province code): the full
GB/T 2260 table changes every year and old numbers keep their old codes for life.

May import: ``puhui.errors``, numpy (for the vectorised check characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

from puhui.errors import ValidationError

ID_LENGTH = 18
#: Weight of each of the first 17 digits: 2**(17 - i) mod 11 for i = 0 … 16 (left to right).
WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
#: Check character for (weighted sum mod 11) = 0 … 10.
CHECK_CHARS = "10X98765432"
#: First two digits of a region code: provinces, autonomous regions and municipalities, plus
#: 81/82/83 used on residence permits for Hong Kong, Macao and Taiwan residents.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37}
    | {41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
#: Earliest birth date accepted; older numbers are data errors, not people.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
_MASK_KEEP = 4


class Gender(StrEnum):
    """Gender as encoded in the sequence code (odd = male)."""

    MALE = "male"
    FEMALE = "female"

    @property
    def label_zh(self) -> str:
        return "男" if self is Gender.MALE else "女"


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A validated identity number and what it encodes."""

    number: str
    region_code: str
    birth_date: date
    gender: Gender

    @property
    def masked(self) -> str:
        return mask(self.number)


def mask(raw: str) -> str:
    """Display form: first 4 and last 4 characters, the rest ``*`` (``3701**********1234``).

    Anything shorter than 12 characters is masked entirely, so a mask never shows more than
    8 characters, nor more than a third of a short value.
    """
    text = str(raw).strip()
    if len(text) < 3 * _MASK_KEEP:
        return "*" * len(text)
    hidden = len(text) - 2 * _MASK_KEEP
    return f"{text[:_MASK_KEEP]}{'*' * hidden}{text[-_MASK_KEEP:]}"


def normalize(raw: str) -> str:
    """Strip surrounding whitespace and upper-case a trailing ``x`` (the form people type)."""
    return str(raw).strip().upper()


def check_char(first17: str) -> str:
    """Check character (``0``–``9`` or ``X``) for the first 17 digits.

    >>> check_char("11010519491231002")
    'X'
    """
    if len(first17) != ID_LENGTH - 1 or not first17.isascii() or not first17.isdigit():
        raise ValidationError(
            "ID_FORMAT",
            "计算校验码需要 17 位数字",
            f"the check character needs exactly 17 digits; got {len(first17)} characters",
        )
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def check_values(digits17: np.ndarray) -> np.ndarray:
    """Vectorised check values: an ``(n, 17)`` integer digit array → ``(n,)`` values 0–10.

    The value 10 is written ``X``; ``CHECK_CHARS`` maps a weighted sum to the character, this
    returns the *value* of that character so callers can build numbers without strings.
    """
    if digits17.ndim != 2 or digits17.shape[1] != ID_LENGTH - 1:
        raise ValidationError(
            "ID_FORMAT",
            "数字数组必须是 n×17",
            f"digits17 must have shape (n, 17); got {digits17.shape}",
        )
    weighted_sum = digits17.astype(np.int64) @ np.asarray(WEIGHTS, dtype=np.int64)
    # CHECK_CHARS as values: "1","0","X"(10),"9",…,"2".
    value_of_sum = np.array([1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int8)
    return value_of_sum[weighted_sum % 11]


def _format_error(number: str, reason_zh: str, reason_en: str) -> ValidationError:
    return ValidationError(
        "ID_FORMAT",
        f"身份证号码 {mask(number)} 格式不正确：{reason_zh}",
        f"identity number {mask(number)} is malformed: {reason_en}",
    )


def validate(raw: str, *, as_of: date) -> IdNumber:
    """Validate an 18-character identity number and parse it.

    Checks, in order: format (17 digits then a digit or ``X``; lower-case ``x`` and surrounding
    spaces are accepted and normalised), region code shape, birth date (a real calendar date,
    not before 1900, not after ``as_of``), and the check character.
    """
    number = normalize(raw)
    if len(number) != ID_LENGTH:
        raise _format_error(
            number,
            f"应为 18 位，实际 {len(number)} 位",
            f"must be 18 characters; got {len(number)}",
        )
    body, last = number[:17], number[17]
    if not (body.isascii() and body.isdigit()) or last not in "0123456789X":
        raise _format_error(
            number,
            "前 17 位必须是数字，最后一位是数字或 X",
            "the first 17 characters must be digits, the last a digit or X",
        )
    region = body[:6]
    if int(region[:2]) not in PROVINCE_CODES:
        raise ValidationError(
            "ID_REGION",
            f"身份证号码 {mask(number)} 的地区码以 {region[:2]} 开头，不是已知的省级代码",
            f"identity number {mask(number)}: region code starts with {region[:2]}, "
            "which is not a known province code",
        )
    birth = _birth_date(number)
    if birth is None or birth < EARLIEST_BIRTH_DATE or birth > as_of:
        raise ValidationError(
            "ID_BIRTH_DATE",
            f"身份证号码 {mask(number)} 的出生日期无效（不是真实日期、早于 1900 年或晚于 {as_of}）",
            f"identity number {mask(number)} has an invalid birth date (not a real date, before "
            f"1900, or after {as_of.isoformat()})",
        )
    expected = check_char(body)
    if last != expected:
        raise ValidationError(
            "ID_CHECKSUM",
            f"身份证号码 {mask(number)} 校验码错误",
            f"identity number {mask(number)} fails its check character (ISO 7064 MOD 11-2)",
        )
    return IdNumber(number=number, region_code=region, birth_date=birth, gender=_gender(number))


def is_valid(raw: str, *, as_of: date) -> bool:
    """``True`` when :func:`validate` would accept ``raw``."""
    try:
        validate(raw, as_of=as_of)
    except ValidationError:
        return False
    return True


def birth_date(raw: str, *, as_of: date) -> date:
    """Birth date of a valid identity number (validates first)."""
    return validate(raw, as_of=as_of).birth_date


def gender(raw: str, *, as_of: date) -> Gender:
    """Gender of a valid identity number (validates first)."""
    return validate(raw, as_of=as_of).gender


def _birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def _gender(number: str) -> Gender:
    return Gender.MALE if int(number[16]) % 2 == 1 else Gender.FEMALE
