"""WOE-binned logistic scorecard 评分卡 (optbinning binning + logistic regression).

``fit`` bins every feature with optbinning's optimal binning (monotone event-rate trend where
the config gives a direction) and fits an L2 logistic regression on the weights of evidence
(WOE). ``C`` is chosen by out-of-fold AUC over ``cv_folds`` stratified folds (binning refitted in
each fold), the calibration map is fitted on those out-of-fold log-odds, and the final binning
and regression are fitted on every row. The learned binning is kept as plain tables (split points or
category groups, WOE per bin, WOE of missing) so scoring needs no optbinning object and the
model is saved as JSON.

Invariants
- Raw log-odds of default = intercept + Σ coef_j · WOE_j(x_j); with the optbinning convention
  WOE = ln(share of goods / share of bads), so a higher WOE means lower risk.
- Numeric bins are left-closed: bin k holds ``splits[k-1] ≤ x < splits[k]``.
- A missing value takes its bin's WOE from training (0 when training had none); an unseen
  category takes WOE 0 (neutral).
- Risk contributions are ``coef_j · (WOE_j(x) − mean training WOE term)``: relative to the
  average applicant, the same baseline as TreeSHAP.
"""

from __future__ import annotations

import bisect
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from optbinning import OptimalBinning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from puhui.errors import ValidationError
from puhui.scoring.base import (
    CreditClassifierMixin,
    as_frame,
    check_target,
    dump_json,
    jsonable_params,
)
from puhui.scoring.calibration import Calibrator, fit_calibrator
from puhui.scoring.encoding import FeatureEncoder
from puhui.scoring.scale import ScoreScale

#: Regularisation strengths tried on the validation split.
C_GRID: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)
_TREND = {1: "ascending", -1: "descending"}


class BinTable:
    """One feature's learned bins and WOE; a plain value, JSON round-trip."""

    __slots__ = ("categorical", "category_woe", "name", "splits", "woe", "woe_missing")

    def __init__(
        self,
        name: str,
        categorical: bool,
        splits: Sequence[float],
        woe: Sequence[float],
        woe_missing: float,
        category_woe: Mapping[int, float],
    ) -> None:
        self.name = name
        self.categorical = categorical
        self.splits = list(splits)
        self.woe = list(woe)
        self.woe_missing = woe_missing
        self.category_woe = dict(category_woe)

    def transform(self, column: npt.NDArray) -> npt.NDArray[np.float64]:
        """WOE of an encoded column (vectorised)."""
        missing = np.isnan(column)
        if self.categorical:
            out = np.zeros(len(column))
            for code, woe in self.category_woe.items():
                out[column == code] = woe
        else:
            index = np.searchsorted(np.asarray(self.splits), column, side="right")
            out = np.asarray(self.woe)[np.minimum(index, len(self.woe) - 1)]
        return np.where(missing, self.woe_missing, out)

    def woe_one(self, value: float) -> float:
        if math.isnan(value):
            return self.woe_missing
        if self.categorical:
            return self.category_woe.get(int(value), 0.0)
        return self.woe[bisect.bisect_right(self.splits, value)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "categorical": self.categorical,
            "splits": self.splits,
            "woe": self.woe,
            "woe_missing": self.woe_missing,
            "category_woe": {str(k): v for k, v in sorted(self.category_woe.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BinTable:
        return cls(
            name=data["name"],
            categorical=bool(data["categorical"]),
            splits=[float(s) for s in data["splits"]],
            woe=[float(w) for w in data["woe"]],
            woe_missing=float(data["woe_missing"]),
            category_woe={int(k): float(v) for k, v in data["category_woe"].items()},
        )


def _fit_bins(
    name: str, column: npt.NDArray, y: npt.NDArray, categorical: bool, direction: int
) -> BinTable:
    if categorical:
        values = np.array([None if math.isnan(v) else str(int(v)) for v in column], dtype=object)
        binning = OptimalBinning(name=name, dtype="categorical")
    else:
        values = column
        binning = OptimalBinning(
            name=name, dtype="numerical", monotonic_trend=_TREND.get(direction, "auto")
        )
    binning.fit(values, y)
    with warnings.catch_warnings():
        # optbinning's table builder trips a pandas 3 dtype deprecation; the numbers are right.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        table = binning.binning_table.build()
    woe = table["WoE"].to_numpy()
    n_bins = len(binning.splits) + (0 if categorical else 1)
    bins_woe = [float(w) for w in woe[:n_bins]]
    missing_woe = float(woe[n_bins + 1])  # rows: bins…, Special, Missing, Totals
    if categorical:
        category_woe = {
            int(code): bins_woe[k] for k, group in enumerate(binning.splits) for code in group
        }
        return BinTable(name, True, [], [], missing_woe, category_woe)
    return BinTable(name, False, [float(s) for s in binning.splits], bins_woe, missing_woe, {})


def _woe(bins: Sequence[BinTable], matrix: npt.NDArray) -> npt.NDArray[np.float64]:
    return np.column_stack([b.transform(matrix[:, j]) for j, b in enumerate(bins)])


class ScorecardCreditModel(CreditClassifierMixin):
    """WOE logistic scorecard with optimal binning, monotone trends and calibration.

    Parameters are those of :class:`~.gbm.GBMCreditModel` that apply: ``monotone_constraints``
    (risk direction per feature → monotone event-rate trend of its bins),
    ``categorical_features``, ``sentinels``, ``cv_folds`` (out-of-fold choice of ``C`` and
    calibration), ``calibration``, ``random_state``.
    """

    family: ClassVar[str] = "scorecard"

    def __init__(
        self,
        monotone_constraints: Mapping[str, int] | None = None,
        categorical_features: Sequence[str] = (),
        sentinels: Mapping[str, Sequence[float]] | None = None,
        cv_folds: int = 5,
        calibration: str = "auto",
        random_state: int = 42,
    ) -> None:
        self.monotone_constraints = monotone_constraints
        self.categorical_features = categorical_features
        self.sentinels = sentinels
        self.cv_folds = cv_folds
        self.calibration = calibration
        self.random_state = random_state

    def fit(self, X: object, y: object) -> Self:  # noqa: N803
        frame = as_frame(X)
        target = check_target(y)
        columns = [str(c) for c in frame.columns]
        if not isinstance(self.cv_folds, int) or self.cv_folds < 2:
            raise ValidationError(
                "MODEL_PARAM_INVALID",
                f"`cv_folds` 必须是至少为 2 的整数；收到 {self.cv_folds!r}",
                f"`cv_folds` must be an integer ≥ 2; got {self.cv_folds!r}",
            )
        monotone = dict(self.monotone_constraints or {})
        for name in [*monotone, *self.categorical_features]:
            if name not in columns:
                raise ValidationError(
                    "MODEL_PARAM_INVALID",
                    f"约束中的特征 `{name}` 不在数据中",
                    f"feature `{name}` in the constraints must be one of {columns}; got {name!r}",
                )
        self.encoder_ = FeatureEncoder.fit(
            frame, columns, self.categorical_features, self.sentinels
        )
        matrix = self.encoder_.encode_frame(frame)
        categorical = set(self.categorical_features)

        def fit_bins(rows: npt.NDArray[np.int64]) -> list[BinTable]:
            return [
                _fit_bins(c, matrix[rows, j], target[rows], c in categorical, monotone.get(c, 0))
                for j, c in enumerate(columns)
            ]

        oof = np.empty((len(C_GRID), len(target)))
        folds = StratifiedKFold(self.cv_folds, shuffle=True, random_state=self.random_state)
        for fit_idx, eval_idx in folds.split(matrix, target):
            bins = fit_bins(fit_idx)
            woe_fit, woe_eval = _woe(bins, matrix[fit_idx]), _woe(bins, matrix[eval_idx])
            for k, c in enumerate(C_GRID):
                lr = LogisticRegression(C=c, max_iter=2000).fit(woe_fit, target[fit_idx])
                oof[k, eval_idx] = lr.decision_function(woe_eval)  # log-odds of default
        aucs = [roc_auc_score(target, oof[k]) for k in range(len(C_GRID))]
        best = int(np.argmax(aucs))  # first of equals: the strongest regularisation
        self.C_ = C_GRID[best]
        self.oof_auc_ = float(aucs[best])
        self.oof_log_odds_ = oof[best]  # what the calibrator is fitted on; not saved
        self.bins_ = fit_bins(np.arange(len(target)))
        woe = _woe(self.bins_, matrix)
        lr = LogisticRegression(C=self.C_, max_iter=2000).fit(woe, target)
        self.coef_ = lr.coef_[0].astype(np.float64)
        self.intercept_ = float(lr.intercept_[0])
        self.mean_terms_ = (self.coef_ * woe.mean(axis=0)).astype(np.float64)
        self.woe_std_ = woe.std(axis=0)
        self.n_features_in_ = len(columns)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.classes_ = np.array([0, 1])
        self.calibrator_, self.calibration_brier_ = fit_calibrator(
            oof[best], target, self.calibration, self.random_state
        )
        return self

    def raw_log_odds(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]:
        return _woe(self.bins_, matrix) @ self.coef_ + self.intercept_

    def risk_contributions(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]:
        return _woe(self.bins_, matrix) * self.coef_ - self.mean_terms_

    def raw_and_contributions(self, matrix: npt.NDArray) -> list[tuple[float, list[float]]]:
        """Raw log-odds and contributions per encoded row, in pure Python, row by row."""
        coefs = self.coef_.tolist()
        means = self.mean_terms_.tolist()
        out = []
        for values in matrix.tolist():
            terms = [
                coef * b.woe_one(v) for coef, b, v in zip(coefs, self.bins_, values, strict=True)
            ]
            raw = self.intercept_ + sum(terms)
            out.append((raw, [t - m for t, m in zip(terms, means, strict=True)]))
        return out

    def feature_importance(self) -> dict[str, float]:
        """Share of |coef| × std(WOE): how much each feature moves the log-odds."""
        weight = np.abs(self.coef_) * self.woe_std_
        total = float(weight.sum()) or 1.0
        return {c: float(w) / total for c, w in zip(self.encoder_.columns, weight, strict=True)}

    def points_table(self, scale: ScoreScale) -> list[dict[str, Any]]:
        """Points per attribute 每个属性的分值 on ``scale`` (before calibration).

        The intercept and the scale offset are spread evenly over the features, so the points of
        one person's attributes add up to ``offset − factor · raw log-odds``.
        """
        share = (scale.offset - scale.factor * self.intercept_) / len(self.bins_)
        rows: list[dict[str, Any]] = []
        for coef, b in zip(self.coef_.tolist(), self.bins_, strict=True):

            def points(w: float, coef: float = coef) -> float:
                return round(share - scale.factor * coef * w, 1)

            if b.categorical:
                inverse = {code: cat for cat, code in self.encoder_.vocab[b.name].items()}
                groups: dict[float, list[str]] = {}
                for code, w in b.category_woe.items():
                    groups.setdefault(w, []).append(inverse.get(code, str(code)))
                for w, cats in groups.items():
                    rows.append(
                        {
                            "feature": b.name,
                            "bin": ", ".join(sorted(cats)),
                            "woe": w,
                            "points": points(w),
                        }
                    )
            else:
                edges = [-math.inf, *b.splits, math.inf]
                for k, w in enumerate(b.woe):
                    label = f"[{edges[k]:g}, {edges[k + 1]:g})"
                    rows.append({"feature": b.name, "bin": label, "woe": w, "points": points(w)})
            rows.append(
                {
                    "feature": b.name,
                    "bin": "缺失 missing",
                    "woe": b.woe_missing,
                    "points": points(b.woe_missing),
                }
            )
        return rows

    def to_files(self) -> dict[str, str]:
        card = {
            "intercept": self.intercept_,
            "features": [
                {**b.to_dict(), "coef": float(c), "mean_term": float(m), "woe_std": float(s)}
                for b, c, m, s in zip(
                    self.bins_, self.coef_, self.mean_terms_, self.woe_std_, strict=True
                )
            ],
        }
        state = {
            "family": self.family,
            "params": jsonable_params(self.get_params()),
            "C": self.C_,
            "oof_auc": self.oof_auc_,
            "calibration_brier": self.calibration_brier_,
        }
        return {
            "scorecard.json": dump_json(card),
            "encoder.json": dump_json(self.encoder_.to_dict()),
            "calibration.json": dump_json(self.calibrator_.to_dict()),
            "estimator.json": dump_json(state),
        }

    @classmethod
    def from_files(cls, files: Mapping[str, str]) -> Self:
        state = json.loads(files["estimator.json"])
        card = json.loads(files["scorecard.json"])
        model = cls(**state["params"])
        model.encoder_ = FeatureEncoder.from_dict(json.loads(files["encoder.json"]))
        model.calibrator_ = Calibrator.from_dict(json.loads(files["calibration.json"]))
        model.bins_ = [BinTable.from_dict(f) for f in card["features"]]
        model.coef_ = np.array([f["coef"] for f in card["features"]], dtype=np.float64)
        model.mean_terms_ = np.array([f["mean_term"] for f in card["features"]], dtype=np.float64)
        model.woe_std_ = np.array([f["woe_std"] for f in card["features"]], dtype=np.float64)
        model.intercept_ = float(card["intercept"])
        model.C_ = state["C"]
        model.oof_auc_ = state["oof_auc"]
        model.calibration_brier_ = state["calibration_brier"]
        model.n_features_in_ = len(model.encoder_.columns)
        model.feature_names_in_ = np.asarray(model.encoder_.columns, dtype=object)
        model.classes_ = np.array([0, 1])
        return model
