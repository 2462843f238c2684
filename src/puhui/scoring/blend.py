"""Blend 融合: LightGBM and the scorecard averaged on the calibrated log-odds scale.

``fit`` fits a :class:`~.gbm.GBMCreditModel` and a :class:`~.scorecard.ScorecardCreditModel`
on the same rows with the same monotone constraints, categorical features, sentinels, folds and
seed. Each member's own calibrator puts its raw log-odds ``z_m`` on one common scale, the
calibrated log-odds ``L_m(z_m) = logit(calibrated PD_m)``. The blend's raw log-odds is::

    z(x) = w · L_gbm(z_gbm(x)) + (1 − w) · L_scorecard(z_scorecard(x)),   w = ``weight_gbm_``

and, like the other families, a calibrator over ``z`` fitted on out-of-fold values gives the PD.
Both members already compute out-of-fold raw log-odds of every training row for their own
calibration (decision 0104); the blend reuses them, so it costs no fit beyond its members'.
With ``weight_gbm="auto"`` (the default) ``w`` is the point of ``WEIGHT_GRID`` with the highest
out-of-fold AUC of ``z``; a number fixes it (decision 0106).

Risk contributions. Member m's contributions ``c_mj(x)`` add up to ``z_m(x) − b_m``, its raw
log-odds relative to its own baseline ``b_m`` (TreeSHAP's expected value; the scorecard's average
WOE terms). The calibrator is not linear, so each member's contributions are scaled by the
secant slope of its calibrated log-odds between the baseline and the row::

    s_m(x) = (L_m(z_m(x)) − L_m(b_m)) / (z_m(x) − b_m)     (the local slope when z_m(x) = b_m)
    c_j(x) = w · s_gbm(x) · c_gbm,j(x) + (1 − w) · s_scorecard(x) · c_scorecard,j(x)

Their sum is exactly ``z(x) − z_0`` with ``z_0 = w · L_gbm(b_gbm) + (1 − w) · L_scorecard(b_sc)``,
the blend of the members' average applicants. The approximation is in how that sum is split
among features: one slope per member and row serves all its features, as if the calibrator were
linear between ``b_m`` and ``z_m(x)`` (exact for a Platt map; for an isotonic map a feature keeps
its share of the member's raw log-odds). The maps never decrease, so ``s_m ≥ 0`` and no feature
changes the sign of its effect.

Invariants
- Both members encode the features identically (checked at fit); the blend keeps one encoder.
- ``raw_log_odds(x) = z_0 + Σ_j risk_contributions(x)_j`` up to floating-point rounding.
- A monotone feature stays monotone: ``L_m`` and the blend's calibrator never decrease, w ∈ [0, 1].
- Saved as text: the members' own files with a ``lightgbm_`` / ``scorecard_`` prefix, one
  ``encoder.json``, and the blend's ``calibration.json`` and ``estimator.json``; never pickled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from puhui.errors import ValidationError, invariant
from puhui.scoring.base import (
    CreditClassifierMixin,
    as_frame,
    check_target,
    dump_json,
    jsonable_params,
)
from puhui.scoring.calibration import Calibrator, fit_calibrator
from puhui.scoring.encoding import FeatureEncoder
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.scorecard import ScorecardCreditModel

#: Weights of LightGBM tried by ``weight_gbm="auto"``; the scorecard gets ``1 − w``.
WEIGHT_GRID: tuple[float, ...] = tuple(k / 10 for k in range(11))
#: Below this distance from the baseline the secant slope becomes the local slope.
_SECANT_MIN = 1e-12
#: Half-width of the central difference giving the local slope.
_LOCAL_STEP = 1e-4


def _logit(pd_: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.log(pd_ / (1.0 - pd_))


def calibrated_log_odds(calibrator: Calibrator, z: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``L(z) = logit(calibrated PD)``; finite because PDs are clipped to [PD_MIN, 1 − PD_MIN]."""
    return _logit(calibrator.predict(z))


def _calibrated_log_odds_one(calibrator: Calibrator, z: float) -> float:
    pd_ = calibrator.predict_one(z)
    return math.log(pd_ / (1.0 - pd_))


def secant_slopes(
    calibrator: Calibrator, base: npt.NDArray[np.float64], z: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``(L(z) − L(base)) / (z − base)`` per row; the local slope where ``z`` is ``base``."""
    gap = z - base
    near = np.abs(gap) < _SECANT_MIN
    secant = (calibrated_log_odds(calibrator, z) - calibrated_log_odds(calibrator, base)) / (
        np.where(near, 1.0, gap)
    )
    local = (
        calibrated_log_odds(calibrator, base + _LOCAL_STEP)
        - calibrated_log_odds(calibrator, base - _LOCAL_STEP)
    ) / (2 * _LOCAL_STEP)
    return np.where(near, local, secant)


def _secant_slope_one(calibrator: Calibrator, base: float, z: float) -> float:
    """:func:`secant_slopes` for one row, without numpy (the 310 path)."""
    gap = z - base
    if abs(gap) < _SECANT_MIN:
        upper = _calibrated_log_odds_one(calibrator, base + _LOCAL_STEP)
        lower = _calibrated_log_odds_one(calibrator, base - _LOCAL_STEP)
        return (upper - lower) / (2 * _LOCAL_STEP)
    return (
        _calibrated_log_odds_one(calibrator, z) - _calibrated_log_odds_one(calibrator, base)
    ) / gap


class BlendCreditModel(CreditClassifierMixin):
    """LightGBM and scorecard averaged on calibrated log-odds, then calibrated again.

    Parameters
    ----------
    weight_gbm : "auto" (the grid weight with the best out-of-fold AUC) or a number in [0, 1];
        the scorecard's weight is ``1 − weight_gbm``.
    monotone_constraints, categorical_features, sentinels : passed to both members.
    validation_fraction, max_trials, time_budget_s, early_stopping_rounds, max_rounds, n_jobs :
        the LightGBM member's search (see :class:`~.gbm.GBMCreditModel`).
    calibration : "auto", "isotonic" or "platt", for both members and the blend.
    cv_folds : out-of-fold folds of both members (the same folds: same target and seed).
    random_state : seed of both members and of the blend's calibration.
    """

    family: ClassVar[str] = "blend"

    def __init__(
        self,
        weight_gbm: float | str = "auto",
        monotone_constraints: Mapping[str, int] | None = None,
        categorical_features: Sequence[str] = (),
        sentinels: Mapping[str, Sequence[float]] | None = None,
        validation_fraction: float = 0.2,
        max_trials: int = 8,
        time_budget_s: float = 300.0,
        early_stopping_rounds: int = 50,
        max_rounds: int = 1500,
        calibration: str = "auto",
        cv_folds: int = 5,
        n_jobs: int = 2,
        random_state: int = 42,
    ) -> None:
        self.weight_gbm = weight_gbm
        self.monotone_constraints = monotone_constraints
        self.categorical_features = categorical_features
        self.sentinels = sentinels
        self.validation_fraction = validation_fraction
        self.max_trials = max_trials
        self.time_budget_s = time_budget_s
        self.early_stopping_rounds = early_stopping_rounds
        self.max_rounds = max_rounds
        self.calibration = calibration
        self.cv_folds = cv_folds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _check_weight(self) -> float | None:
        """The fixed weight, or None for "auto"."""
        weight = self.weight_gbm
        if weight == "auto":
            return None
        if (
            not isinstance(weight, int | float)
            or isinstance(weight, bool)
            or not 0.0 <= weight <= 1.0
        ):
            raise ValidationError(
                "MODEL_PARAM_INVALID",
                f"参数 `weight_gbm` 必须是 auto 或 0–1 之间的数；收到 {weight!r}",
                f"`weight_gbm` must be 'auto' or a number in [0, 1]; got {weight!r}",
            )
        return float(weight)

    def fit(self, X: object, y: object) -> Self:  # noqa: N803
        frame = as_frame(X)
        target = check_target(y)
        fixed = self._check_weight()
        shared = {
            "monotone_constraints": self.monotone_constraints,
            "categorical_features": self.categorical_features,
            "sentinels": self.sentinels,
            "calibration": self.calibration,
            "cv_folds": self.cv_folds,
            "random_state": self.random_state,
        }
        self.gbm_ = GBMCreditModel(
            **shared,
            validation_fraction=self.validation_fraction,
            max_trials=self.max_trials,
            time_budget_s=self.time_budget_s,
            early_stopping_rounds=self.early_stopping_rounds,
            max_rounds=self.max_rounds,
            refit=True,  # gives out-of-fold log-odds of every row
            n_jobs=self.n_jobs,
        ).fit(frame, target)
        self.scorecard_ = ScorecardCreditModel(**shared).fit(frame, target)
        invariant(
            self.gbm_.encoder_.to_dict() == self.scorecard_.encoder_.to_dict(),
            "the blend's members must encode the features identically",
        )
        self.encoder_ = self.gbm_.encoder_
        oof_gbm = calibrated_log_odds(self.gbm_.calibrator_, self.gbm_.oof_log_odds_)
        oof_card = calibrated_log_odds(self.scorecard_.calibrator_, self.scorecard_.oof_log_odds_)
        self.oof_auc_by_weight_ = {
            w: float(roc_auc_score(target, w * oof_gbm + (1 - w) * oof_card)) for w in WEIGHT_GRID
        }
        if fixed is None:
            # Best out-of-fold AUC; among equals the weight nearest an even split.
            fixed = max(WEIGHT_GRID, key=lambda w: (self.oof_auc_by_weight_[w], -abs(w - 0.5)))
        self.weight_gbm_ = fixed
        blended = fixed * oof_gbm + (1 - fixed) * oof_card
        self.oof_auc_ = float(roc_auc_score(target, blended))
        self.calibrator_, self.calibration_brier_ = fit_calibrator(
            blended, target, self.calibration, self.random_state
        )
        self.n_features_in_ = self.gbm_.n_features_in_
        self.feature_names_in_ = self.gbm_.feature_names_in_
        self.classes_ = np.array([0, 1])
        return self

    def _members(self) -> Iterator[tuple[GBMCreditModel | ScorecardCreditModel, float]]:
        yield self.gbm_, self.weight_gbm_
        yield self.scorecard_, 1.0 - self.weight_gbm_

    def raw_log_odds(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]:
        total = np.zeros(len(matrix))
        for member, weight in self._members():
            total += weight * calibrated_log_odds(member.calibrator_, member.raw_log_odds(matrix))
        return total

    def risk_contributions(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]:
        """Members' contributions × their secant slopes × their weights (module docstring)."""
        out = np.zeros(matrix.shape, dtype=np.float64)
        for member, weight in self._members():
            raw = member.raw_log_odds(matrix)
            contributions = member.risk_contributions(matrix)
            slopes = secant_slopes(member.calibrator_, raw - contributions.sum(axis=1), raw)
            out += (weight * slopes)[:, None] * contributions
        return out

    def raw_and_contributions(self, matrix: npt.NDArray) -> list[tuple[float, list[float]]]:
        """Raw log-odds and contributions per encoded row (scalar maths after the members)."""
        members = [
            (member.calibrator_, weight, member.raw_and_contributions(matrix))
            for member, weight in self._members()
        ]
        out = []
        for i in range(matrix.shape[0]):
            total = 0.0
            combined = [0.0] * matrix.shape[1]
            for calibrator, weight, rows in members:
                raw, contributions = rows[i]
                slope = _secant_slope_one(calibrator, raw - sum(contributions), raw)
                total += weight * _calibrated_log_odds_one(calibrator, raw)
                combined = [
                    o + weight * slope * c for o, c in zip(combined, contributions, strict=True)
                ]
            out.append((total, combined))
        return out

    def feature_importance(self) -> dict[str, float]:
        """The members' shares weighted by ``w`` and ``1 − w`` (they still add up to 1)."""
        shares = dict.fromkeys(self.encoder_.columns, 0.0)
        for member, weight in self._members():
            for column, share in member.feature_importance().items():
                shares[column] += weight * share
        return shares

    def to_files(self) -> dict[str, str]:
        files = {
            "encoder.json": dump_json(self.encoder_.to_dict()),
            "calibration.json": dump_json(self.calibrator_.to_dict()),
            "estimator.json": dump_json(
                {
                    "family": self.family,
                    "params": jsonable_params(self.get_params()),
                    "weight_gbm": self.weight_gbm_,
                    "oof_auc": self.oof_auc_,
                    "oof_auc_by_weight": [[w, a] for w, a in self.oof_auc_by_weight_.items()],
                    "calibration_brier": self.calibration_brier_,
                }
            ),
        }
        for member, _ in self._members():
            for name, text in member.to_files().items():
                if name == "encoder.json":
                    invariant(text == files["encoder.json"], "members must share one encoder")
                    continue
                files[f"{member.family}_{name}"] = text
        return files

    @classmethod
    def from_files(cls, files: Mapping[str, str]) -> Self:
        state = json.loads(files["estimator.json"])
        model = cls(**state["params"])
        members: dict[str, Any] = {}
        for kind in (GBMCreditModel, ScorecardCreditModel):
            prefix = f"{kind.family}_"
            own = {n[len(prefix) :]: t for n, t in files.items() if n.startswith(prefix)}
            members[kind.family] = kind.from_files({**own, "encoder.json": files["encoder.json"]})
        model.gbm_ = members[GBMCreditModel.family]
        model.scorecard_ = members[ScorecardCreditModel.family]
        model.encoder_ = FeatureEncoder.from_dict(json.loads(files["encoder.json"]))
        model.calibrator_ = Calibrator.from_dict(json.loads(files["calibration.json"]))
        model.weight_gbm_ = float(state["weight_gbm"])
        model.oof_auc_ = state["oof_auc"]
        model.oof_auc_by_weight_ = {float(w): float(a) for w, a in state["oof_auc_by_weight"]}
        model.calibration_brier_ = state["calibration_brier"]
        model.n_features_in_ = len(model.encoder_.columns)
        model.feature_names_in_ = np.asarray(model.encoder_.columns, dtype=object)
        model.classes_ = np.array([0, 1])
        return model
