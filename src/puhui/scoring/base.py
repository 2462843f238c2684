"""What every credit model family shares: the scikit-learn surface and the scoring protocol.

A family (LightGBM, scorecard) learns an :class:`~.encoding.FeatureEncoder`, a raw log-odds
function and a :class:`~.calibration.Calibrator`. This module turns those into the sklearn
methods (``predict_proba``, ``predict``, ``decision_function``) and defines
:class:`CreditModel`, the protocol the :class:`~.scorer.Scorer` and the registry rely on.

Invariants
- ``predict_proba(X)[:, 1]`` is the *calibrated* PD; ``decision_function`` is the raw log-odds.
- ``risk_contributions`` are in raw log-odds, one column per feature, positive = raises PD
  (lowers the score); they are what reason codes are ranked by.
- ``raw_and_contributions`` gives each row the numbers it gets alone, bit for bit, whatever
  the other rows (so a decision scored in a batch replays one at a time).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split

from puhui.errors import ValidationError
from puhui.scoring.calibration import Calibrator
from puhui.scoring.encoding import FeatureEncoder


class CreditModel(Protocol):
    """A fitted model as the scorer and the registry see it."""

    family: ClassVar[str]
    encoder_: FeatureEncoder
    calibrator_: Calibrator

    def raw_log_odds(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]: ...

    def risk_contributions(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]: ...

    def raw_and_contributions(self, matrix: npt.NDArray) -> list[tuple[float, list[float]]]:
        """Each encoded row's raw log-odds and contributions, exactly as for that row alone
        (the 310 path scores a batch; a replay scores one)."""
        ...

    def feature_importance(self) -> dict[str, float]: ...

    def to_files(self) -> dict[str, str]: ...

    @classmethod
    def from_files(cls, files: Mapping[str, str]) -> Self: ...


def check_target(y: object) -> npt.NDArray[np.int64]:
    """The target must be 0/1 (1 = default) with both classes present."""
    values = np.asarray(pd.Series(y).to_numpy())
    if values.size == 0:
        raise ValidationError(
            "TARGET_INVALID", "目标列为空", "`y` must have at least one row; got none"
        )
    if pd.isna(values).any():
        raise ValidationError(
            "TARGET_INVALID",
            "目标列含缺失值",
            "`y` must have no missing values; got missing values in the target",
        )
    uniques = set(np.unique(values).tolist())
    if not uniques <= {0, 1} or len(uniques) < 2:
        raise ValidationError(
            "TARGET_INVALID",
            f"目标列必须同时包含 0 和 1（1 = 违约）；收到 {sorted(uniques, key=str)[:5]}",
            "`y` must contain both 0 and 1 (1 = default); got values "
            f"{sorted(uniques, key=str)[:5]}",
        )
    return values.astype(np.int64)


def as_frame(X: object) -> pd.DataFrame:  # noqa: N803 (sklearn's name for the design matrix)
    if isinstance(X, pd.DataFrame):
        return X
    raise ValidationError(
        "FEATURES_NOT_A_FRAME",
        "特征必须是带列名的 pandas DataFrame",
        f"`X` must be a pandas DataFrame with named columns; got {type(X).__name__}",
    )


class CreditClassifierMixin(ClassifierMixin, BaseEstimator):
    """sklearn surface shared by the families; subclasses implement ``raw_log_odds``."""

    encoder_: FeatureEncoder
    calibrator_: Calibrator

    def raw_log_odds(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]:
        raise NotImplementedError

    def _encode(self, X: object) -> npt.NDArray:  # noqa: N803
        return self.encoder_.encode_frame(as_frame(X))

    def decision_function(self, X: object) -> npt.NDArray[np.float64]:  # noqa: N803
        """Raw (uncalibrated) log-odds of default."""
        return self.raw_log_odds(self._encode(X))

    def predict_proba(self, X: object) -> npt.NDArray[np.float64]:  # noqa: N803
        """Columns: P(good), P(default) — the default probability is calibrated."""
        pd_ = self.calibrator_.predict(self.decision_function(X))
        return np.column_stack([1.0 - pd_, pd_])

    def predict(self, X: object) -> npt.NDArray[np.int64]:  # noqa: N803
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def get_feature_names_out(self) -> npt.NDArray[np.str_]:
        return np.asarray(self.encoder_.columns)


def split_validation(
    target: npt.NDArray[np.int64], fraction: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Stratified, seeded split of row positions into (fit, validation)."""
    fit_idx, valid_idx = train_test_split(
        np.arange(len(target)), test_size=fraction, stratify=target, random_state=seed
    )
    return np.sort(fit_idx), np.sort(valid_idx)


def jsonable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """sklearn ``get_params()`` as plain JSON values (tuples → lists)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            out[key] = {
                str(k): list(v) if isinstance(v, tuple | list) else v for k, v in value.items()
            }
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out


def dump_json(data: object, *, sort_keys: bool = True) -> str:
    """Stable, readable JSON text for artifacts (UTF-8, trailing newline; NaN refused)."""
    return (
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=sort_keys, allow_nan=False) + "\n"
    )
