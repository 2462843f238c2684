"""Gradient-boosted trees 梯度提升树 (LightGBM) with monotone constraints, as a credit model.

``fit`` splits off a stratified validation part, runs a small seeded random search over tree
parameters (bounded by ``max_trials`` and ``time_budget_s``) with early stopping on validation
AUC, then (``refit=True``, the default) refits the chosen recipe on every row and fits the
calibration map on out-of-fold raw log-odds of the same recipe (as scikit-learn's
``CalibratedClassifierCV(ensemble=False)`` does), so small datasets lose no rows to validation.

Invariants
- A feature given ``+1`` in ``monotone_constraints`` can only raise PD as it grows (``-1``:
  only lower it); LightGBM enforces this in every tree.
- Same data, same parameters, same ``random_state`` → the same model text (LightGBM runs with
  ``deterministic=True``), as long as the time budget is not what ended the search; the number
  of trials run is recorded in ``search_log_``.
- The model is saved as LightGBM's model text plus JSON; never pickled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.model_selection import StratifiedKFold

from puhui.errors import InvariantViolation, ValidationError
from puhui.scoring.base import (
    CreditClassifierMixin,
    as_frame,
    check_target,
    dump_json,
    jsonable_params,
    split_validation,
)
from puhui.scoring.calibration import Calibrator, fit_calibrator
from puhui.scoring.encoding import FeatureEncoder

#: Parameter grid of the random search; the first trial is always ``_FIRST_TRIAL``.
SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "num_leaves": (7, 15, 31, 63),
    "min_child_samples": (20, 50, 100, 200, 400),
    "learning_rate": (0.03, 0.05, 0.08),
    "feature_fraction": (0.6, 0.8, 1.0),
    "bagging_fraction": (0.7, 0.85, 1.0),
    "lambda_l2": (0.0, 1.0, 5.0, 20.0),
}
_FIRST_TRIAL: dict[str, Any] = {
    "num_leaves": 15,
    "min_child_samples": 100,
    "learning_rate": 0.05,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.85,
    "lambda_l2": 1.0,
}


def _bad_param(name: str, expected: str, got: object) -> ValidationError:
    return ValidationError(
        "MODEL_PARAM_INVALID",
        f"参数 `{name}` 必须是{expected}；收到 {got!r}",
        f"`{name}` must be {expected}; got {got!r}",
    )


class GBMCreditModel(CreditClassifierMixin):
    """LightGBM credit model with monotone constraints, search, early stopping and calibration.

    Parameters
    ----------
    monotone_constraints : mapping feature → +1 / -1 (risk direction); others are free.
    categorical_features : names of categorical columns.
    sentinels : feature → values meaning "unknown" (treated as missing).
    validation_fraction : share of ``fit`` rows held out for search, early stopping, calibration.
    max_trials, time_budget_s : bounds of the random search (whichever comes first).
    early_stopping_rounds : rounds without validation-AUC gain before a trial stops.
    max_rounds : upper bound of boosting rounds per trial.
    calibration : "auto" (lower cross-fitted Brier), "isotonic" or "platt".
    refit : after the search, refit on all rows (rounds scaled by 1 / (1 − validation_fraction))
        and calibrate on ``cv_folds`` out-of-fold log-odds; if False keep the search model and
        calibrate on the validation rows.
    cv_folds : folds of the out-of-fold calibration when ``refit``.
        With ``refit``, ``oof_log_odds_`` keeps those out-of-fold raw log-odds of every
        training row (for the blend family; not saved with the model).
    n_jobs : LightGBM threads.
    random_state : seed of the split, the search and LightGBM.
    """

    family: ClassVar[str] = "lightgbm"

    def __init__(
        self,
        monotone_constraints: Mapping[str, int] | None = None,
        categorical_features: Sequence[str] = (),
        sentinels: Mapping[str, Sequence[float]] | None = None,
        validation_fraction: float = 0.2,
        max_trials: int = 8,
        time_budget_s: float = 300.0,
        early_stopping_rounds: int = 50,
        max_rounds: int = 1500,
        calibration: str = "auto",
        refit: bool = True,
        cv_folds: int = 5,
        n_jobs: int = 2,
        random_state: int = 42,
    ) -> None:
        self.monotone_constraints = monotone_constraints
        self.categorical_features = categorical_features
        self.sentinels = sentinels
        self.validation_fraction = validation_fraction
        self.max_trials = max_trials
        self.time_budget_s = time_budget_s
        self.early_stopping_rounds = early_stopping_rounds
        self.max_rounds = max_rounds
        self.calibration = calibration
        self.refit = refit
        self.cv_folds = cv_folds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _validate_params(self, columns: Sequence[str]) -> dict[str, int]:
        if not 0.05 <= self.validation_fraction <= 0.5:
            raise _bad_param(
                "validation_fraction",
                "0.05–0.5 之间的数 (a number in [0.05, 0.5])",
                self.validation_fraction,
            )
        if not isinstance(self.cv_folds, int) or self.cv_folds < 2:
            raise _bad_param("cv_folds", "至少为 2 的整数 (an integer ≥ 2)", self.cv_folds)
        for name in ("max_trials", "early_stopping_rounds", "max_rounds", "n_jobs"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise _bad_param(name, "正整数 (a positive integer)", value)
        if not self.time_budget_s > 0:
            raise _bad_param("time_budget_s", "正数 (a positive number)", self.time_budget_s)
        monotone = dict(self.monotone_constraints or {})
        for name, direction in monotone.items():
            if name not in columns:
                raise _bad_param("monotone_constraints", f"已有特征 (one of {list(columns)})", name)
            if direction not in (-1, 0, 1):
                raise _bad_param(
                    f"monotone_constraints[{name!r}]", "-1、0 或 1 (-1, 0 or 1)", direction
                )
        for name in self.categorical_features:
            if name not in columns:
                raise _bad_param("categorical_features", f"已有特征 (one of {list(columns)})", name)
        return monotone

    def fit(self, X: object, y: object) -> Self:  # noqa: N803
        frame = as_frame(X)
        target = check_target(y)
        columns = [str(c) for c in frame.columns]
        monotone = self._validate_params(columns)
        self.encoder_ = FeatureEncoder.fit(
            frame, columns, self.categorical_features, self.sentinels
        )
        matrix = self.encoder_.encode_frame(frame)
        idx_train, idx_valid = split_validation(target, self.validation_fraction, self.random_state)
        categorical_idx = [columns.index(c) for c in self.categorical_features]
        dataset_params = {"feature_pre_filter": False, "verbose": -1, "seed": self.random_state}
        dtrain = lgb.Dataset(
            matrix[idx_train],
            target[idx_train],
            categorical_feature=categorical_idx or "auto",
            params=dataset_params,
            free_raw_data=False,
        )
        dvalid = lgb.Dataset(
            matrix[idx_valid],
            target[idx_valid],
            reference=dtrain,
            categorical_feature=categorical_idx or "auto",
            params=dataset_params,
            free_raw_data=False,
        )
        base = {
            "objective": "binary",
            "metric": "auc",
            "verbose": -1,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.n_jobs,
            "bagging_freq": 1,
            "monotone_constraints": [monotone.get(c, 0) for c in columns],
            "monotone_constraints_method": "intermediate",
        }
        rng = np.random.default_rng(self.random_state)
        started = time.perf_counter()  # wall time bounds the search only, never a result
        best: tuple[float, lgb.Booster, dict[str, Any]] | None = None
        self.search_log_: list[dict[str, Any]] = []
        for trial in range(self.max_trials):
            if trial and time.perf_counter() - started > self.time_budget_s:
                break
            sampled = (
                _FIRST_TRIAL
                if trial == 0
                else {k: v[int(rng.integers(len(v)))] for k, v in SEARCH_SPACE.items()}
            )
            booster = lgb.train(
                {**base, **sampled},
                dtrain,
                num_boost_round=self.max_rounds,
                valid_sets=[dvalid],
                valid_names=["valid"],
                callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
            auc = float(booster.best_score["valid"]["auc"])
            self.search_log_.append(
                {**sampled, "valid_auc": auc, "best_iteration": booster.best_iteration}
            )
            if best is None or auc > best[0]:
                best = (auc, booster, sampled)
        if best is None:
            raise InvariantViolation("the search ran no trial although max_trials ≥ 1")
        _, booster, params = best
        self.best_params_ = params
        self.best_iteration_ = int(booster.best_iteration)
        self.n_features_in_ = len(columns)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.classes_ = np.array([0, 1])
        if not self.refit:
            self.booster_ = lgb.Booster(
                model_str=booster.model_to_string(num_iteration=self.best_iteration_)
            )
            z_valid, y_calib = self.raw_log_odds(matrix[idx_valid]), target[idx_valid]
        else:
            # Refit on every row with rounds scaled to the larger sample; calibrate on
            # out-of-fold log-odds of the same recipe so no row calibrates its own fit.
            self.n_rounds_ = max(1, round(self.best_iteration_ / (1 - self.validation_fraction)))
            recipe = {**base, **params}

            def fit_rows(rows: npt.NDArray[np.int64]) -> lgb.Booster:
                data = lgb.Dataset(
                    matrix[rows], target[rows], categorical_feature=categorical_idx or "auto",
                    params=dataset_params,
                )  # fmt: skip
                return lgb.train(recipe, data, num_boost_round=self.n_rounds_)

            z_valid = np.empty(len(target))
            folds = StratifiedKFold(self.cv_folds, shuffle=True, random_state=self.random_state)
            for fit_idx, eval_idx in folds.split(matrix, target):
                z_valid[eval_idx] = fit_rows(fit_idx).predict(matrix[eval_idx], raw_score=True)
            y_calib = target
            self.oof_log_odds_ = z_valid
            self.booster_ = fit_rows(np.arange(len(target)))
        self.calibrator_, self.calibration_brier_ = fit_calibrator(
            z_valid, y_calib, self.calibration, self.random_state
        )
        return self

    def raw_log_odds(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]:
        return self.booster_.predict(matrix, raw_score=True, num_threads=self.n_jobs)

    def risk_contributions(self, matrix: npt.NDArray) -> npt.NDArray[np.float64]:
        """TreeSHAP contributions (LightGBM ``pred_contrib``) per feature, without the bias."""
        contrib = self.booster_.predict(matrix, pred_contrib=True, num_threads=self.n_jobs)
        return np.asarray(contrib)[:, :-1]

    def raw_and_contributions(self, matrix: npt.NDArray) -> list[tuple[float, list[float]]]:
        """Raw log-odds and contributions per encoded row (their sum is the log-odds), in one
        call: LightGBM predicts each row on its own, and each row's sum runs over the same
        contiguous values, so a row's numbers do not depend on the others."""
        contrib = np.ascontiguousarray(
            self.booster_.predict(matrix, pred_contrib=True, num_threads=1)
        )
        return [(float(row.sum()), row[:-1].tolist()) for row in contrib]

    def feature_importance(self) -> dict[str, float]:
        """Share of total split gain per feature."""
        gain = self.booster_.feature_importance(importance_type="gain")
        total = float(gain.sum()) or 1.0
        return {c: float(g) / total for c, g in zip(self.encoder_.columns, gain, strict=True)}

    def to_files(self) -> dict[str, str]:
        state = {
            "family": self.family,
            "params": jsonable_params(self.get_params()),
            "best_params": self.best_params_,
            "best_iteration": self.best_iteration_,
            "n_rounds": getattr(self, "n_rounds_", None),
            "search_log": self.search_log_,
            "calibration_brier": self.calibration_brier_,
        }
        return {
            "model.txt": self.booster_.model_to_string(),
            "encoder.json": dump_json(self.encoder_.to_dict()),
            "calibration.json": dump_json(self.calibrator_.to_dict()),
            "estimator.json": dump_json(state),
        }

    @classmethod
    def from_files(cls, files: Mapping[str, str]) -> Self:
        state = json.loads(files["estimator.json"])
        model = cls(**state["params"])
        model.booster_ = lgb.Booster(model_str=files["model.txt"])
        model.encoder_ = FeatureEncoder.from_dict(json.loads(files["encoder.json"]))
        model.calibrator_ = Calibrator.from_dict(json.loads(files["calibration.json"]))
        model.best_params_ = state["best_params"]
        model.best_iteration_ = state["best_iteration"]
        if state["n_rounds"] is not None:
            model.n_rounds_ = state["n_rounds"]
        model.search_log_ = state["search_log"]
        model.calibration_brier_ = state["calibration_brier"]
        model.n_features_in_ = len(model.encoder_.columns)
        model.feature_names_in_ = np.asarray(model.encoder_.columns, dtype=object)
        model.classes_ = np.array([0, 1])
        return model
