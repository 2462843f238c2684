"""Feature encoding 特征编码: raw columns → one float matrix, the same way at training and scoring.

Numeric features become float64 with sentinel values (e.g. 96/98 in late counts) turned into
missing (NaN). Categorical features become the index of their category in a vocabulary learned
at fit time (stored as JSON); unseen or missing categories become NaN, which both model
families treat as "missing".

Invariants
- Scoring input must have exactly the trained feature columns: a missing, extra or mistyped
  column is refused with an error naming it (``FEATURE_MISSING``, ``FEATURE_UNEXPECTED``,
  ``FEATURE_TYPE``); nothing is guessed.
- ``encode_rows`` (the 310 path: mappings, one per person) uses no pandas and gives exactly the
  same numbers as ``encode_frame`` on a frame of those rows.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from puhui.errors import ValidationError

MISSING = float("nan")


def _missing(column: str) -> ValidationError:
    return ValidationError(
        "FEATURE_MISSING",
        f"缺少特征列 `{column}`",
        f"feature `{column}` is missing from the input",
        column=column,
    )


def _unexpected(column: str, expected: Sequence[str]) -> ValidationError:
    return ValidationError(
        "FEATURE_UNEXPECTED",
        f"输入含有模型未使用的列 `{column}`",
        f"column `{column}` is not a feature of this model; expected exactly {list(expected)}",
        column=column,
    )


def _mistyped(column: str, value: object) -> ValidationError:
    return ValidationError(
        "FEATURE_TYPE",
        f"特征 `{column}` 必须是数值；收到 {type(value).__name__} {value!r}",
        f"feature `{column}` must be numeric; got {type(value).__name__} {value!r}",
        column=column,
    )


def _category_key(value: object) -> str:
    """The vocabulary key of one category: ``3``, ``3.0`` and ``"3"`` are the same category."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer():
            return str(int(number))
    return str(value)


def _category_keys(series: pd.Series) -> pd.Series:
    """Vectorised :func:`_category_key` (missing stays missing)."""
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if (whole == np.floor(whole)).all():
            series = series.astype("Int64")
    return series.astype("string")


@dataclass(frozen=True, slots=True)
class FeatureEncoder:
    """Learned encoding of the feature columns, in model column order."""

    columns: tuple[str, ...]
    categorical: frozenset[str]
    #: Category → code, per categorical column (categories kept as strings).
    vocab: Mapping[str, Mapping[str, int]]
    sentinels: Mapping[str, tuple[float, ...]]

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        columns: Sequence[str],
        categorical: Iterable[str] = (),
        sentinels: Mapping[str, Sequence[float]] | None = None,
    ) -> FeatureEncoder:
        """Learn vocabularies from ``frame``; category codes follow sorted category order."""
        categorical = frozenset(categorical)
        check_columns(frame.columns, columns, allow_extra=True)
        vocab: dict[str, dict[str, int]] = {}
        for column in columns:
            if column in categorical:
                values = _category_keys(frame[column]).dropna().unique().tolist()
                vocab[column] = {v: i for i, v in enumerate(sorted(values))}
        encoder = cls(
            columns=tuple(columns),
            categorical=categorical,
            vocab=vocab,
            sentinels={k: tuple(float(x) for x in v) for k, v in (sentinels or {}).items()},
        )
        return encoder

    def encode_frame(self, frame: pd.DataFrame, *, allow_extra: bool = False) -> npt.NDArray:
        """Encode a frame to a C-contiguous float64 matrix (rows × features)."""
        check_columns(frame.columns, self.columns, allow_extra=allow_extra)
        out = np.empty((len(frame), len(self.columns)), dtype=np.float64)
        for j, column in enumerate(self.columns):
            series = frame[column]
            if column in self.categorical:
                codes = _category_keys(series).map(self.vocab[column])
                out[:, j] = pd.to_numeric(codes, errors="coerce").to_numpy(np.float64)
                continue
            if not (pd.api.types.is_numeric_dtype(series) or series.isna().all()):
                coerced = pd.to_numeric(series, errors="coerce")
                bad = series[coerced.isna() & series.notna()]
                if len(bad):
                    raise _mistyped(column, bad.iloc[0])
                series = coerced
            values = series.to_numpy(np.float64, na_value=np.nan)
            for sentinel in self.sentinels.get(column, ()):
                values = np.where(values == sentinel, np.nan, values)
            out[:, j] = values
        return out

    def encode_row(self, features: Mapping[str, object]) -> npt.NDArray:
        """Encode one person's features (a mapping) to a 1 × n float64 matrix, without pandas."""
        return self.encode_rows([features])

    def encode_rows(self, people: Sequence[Mapping[str, object]]) -> npt.NDArray:
        """Encode people's features (a mapping each) to a rows × n float64 matrix, without
        pandas."""
        out = np.empty((len(people), len(self.columns)), dtype=np.float64)
        for i, features in enumerate(people):
            if len(features) != len(self.columns):
                check_columns(features.keys(), self.columns, allow_extra=False)
            row = out[i]
            for j, column in enumerate(self.columns):
                try:
                    value = features[column]
                except KeyError:
                    raise _missing(column) from None
                row[j] = self._encode_value(column, value)
        return out

    def _encode_value(self, column: str, value: object) -> float:
        if value is None:
            return MISSING
        if column in self.categorical:
            code = self.vocab[column].get(_category_key(value))
            return MISSING if code is None else float(code)
        # A float is the common case (snapshots are JSON numbers): skip the ABC check.
        if type(value) is not float:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise _mistyped(column, value)
            value = float(value)
        if math.isnan(value) or value in self.sentinels.get(column, ()):
            return MISSING
        return value

    def display_value(self, column: str, encoded: float) -> str:
        """A human-readable value for reason sentences (the category name, or the number)."""
        if math.isnan(encoded):
            return "缺失/missing"
        if column in self.categorical:
            for category, code in self.vocab[column].items():
                if code == int(encoded):
                    return category
        return f"{encoded:g}"

    def to_dict(self) -> dict[str, object]:
        return {
            "columns": list(self.columns),
            "categorical": sorted(self.categorical),
            "vocab": {k: dict(v) for k, v in self.vocab.items()},
            "sentinels": {k: list(v) for k, v in self.sentinels.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FeatureEncoder:
        return cls(
            columns=tuple(data["columns"]),  # type: ignore[arg-type]
            categorical=frozenset(data["categorical"]),  # type: ignore[arg-type]
            vocab={k: {str(c): int(i) for c, i in v.items()} for k, v in data["vocab"].items()},  # type: ignore[attr-defined]
            sentinels={k: tuple(v) for k, v in data["sentinels"].items()},  # type: ignore[attr-defined]
        )


def check_columns(given: Iterable[object], expected: Sequence[str], *, allow_extra: bool) -> None:
    """Refuse a missing column (always) or an extra one (unless allowed), naming it."""
    present = {str(c) for c in given}
    for column in expected:
        if column not in present:
            raise _missing(column)
    if not allow_extra:
        wanted = set(expected)
        for column in sorted(present):
            if column not in wanted:
                raise _unexpected(column, expected)
