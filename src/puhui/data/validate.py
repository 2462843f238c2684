"""Validating a partner file 数据校验: coercion, value rules, identity numbers, duplicates.

:func:`validate_frame` turns the records of one file (``data.files.read_file``) into a clean
frame of the contract's types, or raises :class:`~puhui.data.report.ImportRejected` with every
problem found. Steps, all over whole columns:

1. **columns** — each contract column must be present (``COLUMN_MISSING``); extra columns
   are ignored and never stored (``CleanFile.ignored_columns`` names them);
2. **normalisation and coercion** — text is NFKC-normalised (full-width digits typed on a
   Chinese keyboard become ASCII) and stripped; lower-case codes are lower-cased; each value is
   coerced to its kind; a value that cannot be is ``WRONG_TYPE``;
3. **value rules** — the pandera schema of the source (``data.schemas``);
4. **identity numbers** — each distinct number through :func:`puhui.idcard.validate` as of
   the import date (``ID_FORMAT``, ``ID_REGION``, ``ID_BIRTH_DATE``, ``ID_CHECKSUM``); residents'
   gender and birth date must agree with the number (``ID_MISMATCH``);
5. **duplicates** — exact duplicate records are dropped and counted; two records with the same
   natural key but different values are ``DUPLICATE_CONFLICT`` (which one is right is the
   partner's call, not ours).

Invariants: the clean frame's index is the record index in the file (record = index + 1);
columns are in contract order; no problem message holds a clear identity number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from pandas.api import types as ptypes
from pandera.errors import SchemaErrors

from puhui import idcard
from puhui.data.identity import mask
from puhui.data.report import MAX_PER_KIND, ErrorReport, ImportRejected, Problem
from puhui.data.schemas import reason, schema
from puhui.data.sources import Col, Kind, Source
from puhui.errors import ValidationError
from puhui.logs import redact

DATE_FORMAT = "%Y-%m-%d"
DATE_UNIT = "datetime64[s]"
_SHOW_CHARS = 40
_KIND_EN = {
    Kind.ID: "an 18-character identity number",
    Kind.TEXT: "text",
    Kind.CODE: "a code",
    Kind.DIGITS: "a code of digits",
    Kind.INT: "a whole number",
    Kind.FLOAT: "a number",
    Kind.DATE: "a date YYYY-MM-DD",
    Kind.MONTH: "a month YYYY-MM-01",
    Kind.MONTH_END: "a month-end date YYYY-MM-DD",
}
_KIND_ZH = {
    Kind.ID: "18 位身份证号码",
    Kind.TEXT: "文本",
    Kind.CODE: "代码",
    Kind.DIGITS: "数字代码",
    Kind.INT: "整数",
    Kind.FLOAT: "数值",
    Kind.DATE: "日期 YYYY-MM-DD",
    Kind.MONTH: "月份 YYYY-MM-01",
    Kind.MONTH_END: "月末日期 YYYY-MM-DD",
}


@dataclass(frozen=True, slots=True)
class CleanFile:
    """A validated file: typed, normalised, without exact duplicates."""

    source: Source
    frame: pd.DataFrame
    rows_in_file: int
    duplicate_rows: int
    ignored_columns: tuple[str, ...]


def show(value: object, col: Col) -> str:
    """A value as a report shows it: identity numbers masked, long values cut."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(empty)"
    text = str(value)
    if col.kind is Kind.ID:
        return mask(text)
    text = redact(text)
    text = text if len(text) <= _SHOW_CHARS else text[:_SHOW_CHARS] + "…"
    return repr(text) if isinstance(value, str) else text


def _text(series: pd.Series) -> pd.Series:
    text = series.astype("str")
    return text.str.normalize("NFKC").str.strip().replace("", pd.NA)


def _coerce_int(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_bool_dtype(series):
        return pd.Series(pd.NA, index=series.index, dtype="Int64"), series.notna()
    if ptypes.is_integer_dtype(series):
        return series.astype("Int64"), pd.Series(False, index=series.index)
    if ptypes.is_float_dtype(series):
        bad = series.notna() & (series != series.round())
        return series.where(~bad).astype("Int64"), bad
    text = _text(series).str.replace(r"\.0+$", "", regex=True)
    ok = text.str.fullmatch(r"[+-]?[0-9]{1,18}").fillna(False).astype(bool)
    values = pd.Series(pd.NA, index=series.index, dtype="Int64")
    values[ok] = text[ok].astype("int64")
    return values, text.notna() & ~ok


def _coerce_float(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_bool_dtype(series):
        return pd.Series(float("nan"), index=series.index), series.notna()
    if ptypes.is_numeric_dtype(series):
        return series.astype("float64"), pd.Series(False, index=series.index)
    text = _text(series)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    return values, text.notna() & values.isna()


def _coerce_date(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_datetime64_any_dtype(series):
        values = series.dt.tz_localize(None) if series.dt.tz is not None else series
        has_time = values.notna() & (values != values.dt.normalize())
        return values.where(~has_time).astype(DATE_UNIT), has_time
    present = series.dropna()
    if len(present) and all(
        isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present.head(1000)
    ):
        values = pd.to_datetime(series.astype(object), errors="coerce")
    else:
        text = _text(series)
        values = pd.to_datetime(text, format=DATE_FORMAT, errors="coerce")
        retry = text.notna() & values.isna()
        if retry.any():
            # JSON exporters often write a date as an ISO timestamp at midnight; that is a date.
            stamped = pd.to_datetime(text[retry], format="ISO8601", errors="coerce", utc=True)
            stamped = stamped.dt.tz_localize(None)
            midnight = stamped.notna() & (stamped == stamped.dt.normalize())
            values = values.astype("datetime64[us]")
            values[retry] = stamped.where(midnight).astype("datetime64[us]")
    return values.astype(DATE_UNIT), series.notna() & values.isna()


def coerce(series: pd.Series, col: Col) -> tuple[pd.Series, pd.Series]:
    """(values of the column's kind, mask of values that could not be coerced)."""
    if col.kind is Kind.INT:
        return _coerce_int(series)
    if col.kind is Kind.FLOAT:
        return _coerce_float(series)
    if col.kind in (Kind.DATE, Kind.MONTH, Kind.MONTH_END):
        return _coerce_date(series)
    if ptypes.is_float_dtype(series) or ptypes.is_bool_dtype(series):
        # A float where text belongs (an ID read as a number) has already lost digits.
        return pd.Series(pd.NA, index=series.index, dtype="str"), series.notna()
    text = _text(series)
    if col.kind is Kind.ID:
        text = text.str.upper()
    elif col.kind is Kind.CODE and all(a == a.lower() for a in col.allowed):
        text = text.str.lower()
    return text, pd.Series(False, index=series.index)


def _problem(row: int | None, col: Col | None, code: str, en: str, zh: str) -> Problem:
    return Problem(row, None if col is None else col.name, code, en, zh)


class _Problems:
    """Problems of one file; beyond MAX_PER_KIND rows of a kind only the count is kept."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.more = 0

    def __bool__(self) -> bool:
        return bool(self.listed) or self.more > 0

    def add(self, problem: Problem) -> None:
        self.listed.append(problem)

    def rows(self, indexes: pd.Index) -> pd.Index:
        """The first rows of a kind to describe; counts the rest."""
        self.more += max(0, len(indexes) - MAX_PER_KIND)
        return indexes[:MAX_PER_KIND]

    def reject(self, file_name: str, source: Source) -> ImportRejected:
        return ImportRejected(ErrorReport.build(file_name, source.name, self.listed, self.more))


def _schema_problems(
    frame: pd.DataFrame, source: Source, wrong_type: dict[str, pd.Series], found: _Problems
) -> None:
    try:
        schema(source).validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases[["column", "check", "failure_case", "index"]]
        # A value of the wrong type is blank after coercion: already reported, not "missing".
        already = pd.Series(
            [
                check == "not_nullable" and bool(wrong_type[str(column)].iat[int(index)])
                for column, check, index in zip(
                    cases["column"], cases["check"], cases["index"].fillna(-1), strict=True
                )
            ],
            index=cases.index,
            dtype=bool,
        )
        cases = cases[~already]
        for (column, check), group in cases.groupby(["column", "check"], sort=True):
            col = source.column(str(column))
            code = "VALUE_MISSING" if check == "not_nullable" else str(check)
            for position in found.rows(pd.RangeIndex(len(group))):
                value, index = group["failure_case"].iat[position], group["index"].iat[position]
                en, zh = reason(col, code, show(value, col))
                row = None if index is None or pd.isna(index) else int(index) + 1
                found.add(_problem(row, col, code, en, zh))


@lru_cache(maxsize=1 << 20)
def _validated(number: str, as_of: dt.date) -> idcard.IdNumber | ValidationError:
    """:func:`puhui.idcard.validate` as a value, remembered: the same people appear in file
    after file of a delivery (residents, pensions, land, subsidies, accounts, lines)."""
    try:
        return idcard.validate(number, as_of=as_of)
    except ValidationError as exc:
        return exc


def _check_ids(values: pd.Series, col: Col, as_of: dt.date, found: _Problems) -> pd.Series:
    """Report invalid numbers; return the parsed numbers (``IdNumber``) indexed by number."""
    parsed: dict[str, idcard.IdNumber] = {}
    failed: dict[str, ValidationError] = {}
    for number in values.dropna().unique():
        outcome = _validated(number, as_of)
        if isinstance(outcome, ValidationError):
            failed[number] = outcome
        else:
            parsed[number] = outcome
    if failed:
        bad = values[values.isin(failed)]
        codes = bad.map(lambda number: failed[number].code)
        for _, rows in codes.groupby(codes, sort=True):
            for index in found.rows(rows.index):
                exc = failed[bad[index]]
                found.add(_problem(int(index) + 1, col, exc.code, exc.message_en, exc.message_zh))
    return pd.Series(parsed, dtype=object)


def _residents_agree(frame: pd.DataFrame, parsed: pd.Series, found: _Problems) -> None:
    """Residents' gender and birth date must be those the identity number encodes."""
    numbers = frame["id_number"]
    ids = numbers.map(parsed).dropna()
    expected = {
        "gender": pd.Series([n.gender.value for n in ids], index=ids.index, dtype="str"),
        "birth_date": pd.Series(
            pd.to_datetime([n.birth_date for n in ids]).astype(DATE_UNIT), index=ids.index
        ),
    }
    for column, wanted in expected.items():
        given = frame.loc[ids.index, column]
        wrong = given.index[(given.notna() & (given != wanted)).to_numpy()]
        for index in found.rows(wrong):
            found.add(
                Problem(
                    int(index) + 1,
                    column,
                    "ID_MISMATCH",
                    f"{column} does not agree with identity number {mask(numbers[index])}",
                    f"{column} 与身份证号码 {mask(numbers[index])} 不一致",
                )
            )


def _duplicates(frame: pd.DataFrame, source: Source, found: _Problems) -> tuple[pd.DataFrame, int]:
    exact = frame.duplicated(keep="first")
    frame = frame[~exact]
    key = list(source.natural_key)
    clashing = frame[frame.duplicated(subset=key, keep=False)]
    if len(clashing):
        first = clashing.groupby(key, sort=False, dropna=False).head(1)
        first_row = {
            values: int(index) + 1
            for index, values in zip(
                first.index, first[key].itertuples(index=False, name=None), strict=True
            )
        }
        later = clashing.drop(index=first.index)
        for index in found.rows(later.index):
            values = tuple(later.loc[index, key])
            shown = ", ".join(
                f"{k}={show(v, source.column(k))}" for k, v in zip(key, values, strict=True)
            )
            found.add(
                Problem(
                    int(index) + 1,
                    ",".join(key),
                    "DUPLICATE_CONFLICT",
                    f"same key ({shown}) as row {first_row[values]} but different values",
                    f"与第 {first_row[values]} 行键值相同（{shown}）但内容不同",
                )
            )
    return frame, int(exact.sum())


def validate_frame(raw: pd.DataFrame, source: Source, file_name: str, as_of: dt.date) -> CleanFile:
    """Validate one file's records against ``source``; raise ImportRejected with every problem."""
    found = _Problems()
    present = [c for c in source.columns if c.name in raw.columns]
    for col in source.columns:
        if col.name not in raw.columns:
            found.add(
                _problem(
                    None,
                    col,
                    "COLUMN_MISSING",
                    f"column {col.name} ({_KIND_EN[col.kind]}) is missing",
                    f"缺少列 {col.name}（{_KIND_ZH[col.kind]}）",
                )
            )
    coerced: dict[str, pd.Series] = {}
    wrong_type: dict[str, pd.Series] = {}
    for col in present:
        values, bad = coerce(raw[col.name], col)
        coerced[col.name], wrong_type[col.name] = values, bad
        for index in found.rows(raw.index[bad.to_numpy()]):
            shown = show(raw.at[index, col.name], col)
            found.add(
                _problem(
                    int(index) + 1,
                    col,
                    "WRONG_TYPE",
                    f"expected {_KIND_EN[col.kind]}; got {shown}",
                    f"应为{_KIND_ZH[col.kind]}；实际 {shown}",
                )
            )
    frame = pd.DataFrame(coerced, index=raw.index)
    _schema_problems(frame, source, wrong_type, found)
    for col in present:
        if col.kind is Kind.ID:
            parsed = _check_ids(frame[col.name], col, as_of, found)
            if source.name == "government/residents" and {"gender", "birth_date"} <= set(frame):
                _residents_agree(frame, parsed, found)
    if len(present) == len(source.columns):
        frame, duplicate_rows = _duplicates(frame, source, found)
    if found:
        raise found.reject(file_name, source)
    ignored = tuple(str(c) for c in raw.columns if c not in source.column_names)
    return CleanFile(source, frame, len(raw), duplicate_rows, ignored)
