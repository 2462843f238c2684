"""Value rules of each source as pandera schemas 数据校验规则 (after type coercion).

``data.validate`` first coerces every column to its kind (reporting values of the wrong type),
then checks the coerced rows against the schema built here from the :class:`~puhui.data.sources
.Source` catalogue. Each check has a stable name — the problem code in the error report — and
:func:`reason` turns a failure into a sentence in English and Chinese.

Checks: ``VALUE_MISSING`` (a null in a column that is not nullable), ``BELOW_MINIMUM``,
``ABOVE_MAXIMUM``, ``NOT_FINITE``, ``CODE_UNKNOWN``, ``DIGITS_FORMAT``, ``TOO_LONG``,
``MONTH_NOT_FIRST_DAY``, ``MONTH_END_NOT_LAST_DAY``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from puhui.data.sources import Col, Kind, Source


def _checks(col: Col) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.minimum is not None:
        low = col.minimum
        checks.append(pa.Check(lambda s, low=low: s >= low, name="BELOW_MINIMUM"))
    if col.maximum is not None:
        high = col.maximum
        checks.append(pa.Check(lambda s, high=high: s <= high, name="ABOVE_MAXIMUM"))
    if col.kind is Kind.FLOAT:
        checks.append(pa.Check(lambda s: np.isfinite(s.astype("float64")), name="NOT_FINITE"))
    if col.allowed:
        allowed = frozenset(col.allowed)
        checks.append(pa.Check(lambda s, ok=allowed: s.isin(ok), name="CODE_UNKNOWN"))
    if col.kind is Kind.DIGITS:
        pattern = rf"[0-9]{{{col.length}}}"
        checks.append(pa.Check(lambda s, p=pattern: s.str.fullmatch(p), name="DIGITS_FORMAT"))
    if col.kind in (Kind.TEXT, Kind.CODE):
        width = col.max_length
        checks.append(pa.Check(lambda s, w=width: s.str.len() <= w, name="TOO_LONG"))
    if col.kind is Kind.MONTH:
        checks.append(pa.Check(lambda s: s.dt.day == 1, name="MONTH_NOT_FIRST_DAY"))
    if col.kind is Kind.MONTH_END:
        checks.append(
            pa.Check(
                lambda s: (s + pd.Timedelta(days=1)).dt.day == 1, name="MONTH_END_NOT_LAST_DAY"
            )
        )
    return checks


@cache
def schema(source: Source) -> pa.DataFrameSchema:
    """The pandera schema of ``source`` (columns not present are checked separately)."""
    return pa.DataFrameSchema(
        {
            col.name: pa.Column(nullable=col.nullable, checks=_checks(col), required=False)
            for col in source.columns
        },
        strict=False,
        name=source.name,
    )


def reason(col: Col, check: str, shown: str) -> tuple[str, str]:
    """(English, Chinese) sentence for a failed check on a value shown as ``shown``."""
    texts = {
        "VALUE_MISSING": ("a value is required", "不能为空"),
        "BELOW_MINIMUM": (
            f"must be at least {col.minimum:g}; got {shown}",
            f"不能小于 {col.minimum:g}；实际 {shown}",
        )
        if col.minimum is not None
        else ("", ""),
        "ABOVE_MAXIMUM": (
            f"must be at most {col.maximum:g}; got {shown}",
            f"不能大于 {col.maximum:g}；实际 {shown}",
        )
        if col.maximum is not None
        else ("", ""),
        "NOT_FINITE": (f"must be a finite number; got {shown}", f"必须是有限数值；实际 {shown}"),
        "CODE_UNKNOWN": (
            f"must be one of {', '.join(col.allowed)}; got {shown}",
            f"必须是 {'、'.join(col.allowed)} 之一；实际 {shown}",
        ),
        "DIGITS_FORMAT": (
            f"must be exactly {col.length} digits; got {shown}",
            f"必须是 {col.length} 位数字；实际 {shown}",
        ),
        "TOO_LONG": (
            f"must be at most {col.max_length} characters; got {shown}",
            f"不能超过 {col.max_length} 个字符；实际 {shown}",
        ),
        "MONTH_NOT_FIRST_DAY": (
            f"a month is written as its first day (YYYY-MM-01); got {shown}",
            f"月份应写为当月第一天（YYYY-MM-01）；实际 {shown}",
        ),
        "MONTH_END_NOT_LAST_DAY": (
            f"must be the last day of a month; got {shown}",
            f"必须是月末最后一天；实际 {shown}",
        ),
    }
    return texts.get(
        check, (f"fails check {check}; got {shown}", f"未通过检查 {check}；实际 {shown}")
    )
