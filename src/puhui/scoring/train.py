"""Training pipeline 训练流程: table + config → fitted model, report and registry artifacts.

Steps (all seeded by ``config.seed``):
1. read the table (CSV, CSV.gz or Parquet) where it lies; hash its bytes (sha256);
2. check the target, features, id, time and fairness columns exist;
3. split: with a time column the latest ``oot_fraction`` of rows (by time) is out-of-time; of
   the rest a stratified ``test_fraction`` is held out; the remainder is ``train`` (the model
   splits its own validation part off it for search, early stopping and calibration);
4. fit the family's estimator; score every sample; build the report (JSON + HTML);
5. return the artifact files (text) ready for :meth:`ModelRegistry.register`.

``created_at`` is passed in (the CLI takes it at its edge); nothing here reads a clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

from puhui.errors import ValidationError
from puhui.scoring.base import CreditModel, check_target, dump_json
from puhui.scoring.blend import BlendCreditModel
from puhui.scoring.config import TrainingConfig
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.metrics import group_labels
from puhui.scoring.reasons import ReasonWriter
from puhui.scoring.report import Sample, build_report, render_html, report_json
from puhui.scoring.scorecard import ScorecardCreditModel
from puhui.scoring.scorer import ScoringSpec


@dataclass(frozen=True)
class TrainedModel:
    model: CreditModel
    spec: ScoringSpec
    report: dict[str, Any]
    files: dict[str, str]


def read_table(path: Path, read_options: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) or Parquet table; refuse anything else clearly."""
    options = dict(read_options or {})
    if not path.exists():
        raise ValidationError(
            "DATASET_NOT_FOUND",
            f"找不到数据文件 {path}",
            f"dataset {path} does not exist",
        )
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path, **options)
        if name.endswith((".csv", ".csv.gz", ".txt")):
            return pd.read_csv(path, **options)
    except (ValueError, OSError, TypeError) as exc:
        raise ValidationError(
            "DATASET_UNREADABLE",
            f"无法读取数据文件 {path}：{exc}",
            f"cannot read dataset {path}: {exc}",
        ) from None
    raise ValidationError(
        "DATASET_FORMAT",
        f"数据文件必须是 CSV 或 Parquet：{path}",
        f"dataset must be .csv, .csv.gz or .parquet; got {path.name}",
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


Estimator = GBMCreditModel | ScorecardCreditModel | BlendCreditModel


def build_estimator(config: TrainingConfig) -> Estimator:
    common = {
        "monotone_constraints": config.monotone,
        "categorical_features": list(config.categorical),
        "sentinels": {k: list(v) for k, v in config.sentinels.items()},
        "calibration": config.calibration,
        "random_state": config.seed,
    }
    if config.family == "scorecard":
        return ScorecardCreditModel(**common)
    search = {
        "validation_fraction": config.split.validation_fraction,
        "max_trials": config.search.max_trials,
        "time_budget_s": config.search.time_budget_s,
        "early_stopping_rounds": config.search.early_stopping_rounds,
    }
    if config.family == "blend":
        return BlendCreditModel(weight_gbm=config.blend.weight_gbm, **common, **search)
    return GBMCreditModel(**common, **search)


def fit_summary(estimator: Estimator) -> dict[str, Any]:
    """What the fit chose, for the report: search result, ``C``, or the blend's weight."""
    if isinstance(estimator, BlendCreditModel):
        return {
            "weight_gbm": estimator.weight_gbm_,
            "oof_auc_by_weight": {str(w): a for w, a in estimator.oof_auc_by_weight_.items()},
            "members": {
                "lightgbm": fit_summary(estimator.gbm_),
                "scorecard": fit_summary(estimator.scorecard_),
            },
        }
    if isinstance(estimator, GBMCreditModel):
        return {
            "best_params": estimator.best_params_,
            "best_iteration": estimator.best_iteration_,
            "search_trials": len(estimator.search_log_),
        }
    return {"C": estimator.C_}


def _check_columns(frame: pd.DataFrame, config: TrainingConfig) -> None:
    wanted = [config.target, *config.feature_names]
    wanted += [c for c in (config.id_column, config.time_column) if c]
    wanted += [g.column for g in config.fairness]
    for column in wanted:
        if column not in frame.columns:
            raise ValidationError(
                "DATASET_COLUMN_MISSING",
                f"数据文件 {config.data_path.name} 缺少配置中的列 `{column}`",
                f"dataset {config.data_path.name} has no column `{column}` named in the config",
                column=column,
            )


#: Fewest rows of each outcome for a split with both outcomes in train and test.
MIN_CLASS_ROWS = 10


def split_rows(frame: pd.DataFrame, config: TrainingConfig) -> dict[str, np.ndarray]:
    """Row positions of ``train``, ``test`` and (with a time column) ``oot``."""
    positions = np.arange(len(frame))
    out: dict[str, np.ndarray] = {}
    if config.time_column and config.split.oot_fraction > 0:
        times = pd.to_datetime(frame[config.time_column], errors="coerce")
        if times.isna().any():
            bad = frame[config.time_column][times.isna()].iloc[0]
            raise ValidationError(
                "DATASET_TIME_INVALID",
                f"时间列 `{config.time_column}` 含无法解析的值 {bad!r}",
                f"time column `{config.time_column}` must hold dates; got {bad!r}",
            )
        order = np.argsort(times.to_numpy(), kind="stable")
        n_oot = round(len(frame) * config.split.oot_fraction)
        out["oot"] = np.sort(order[len(frame) - n_oot :])
        positions = np.sort(order[: len(frame) - n_oot])
    target = frame[config.target].to_numpy()[positions]
    positives = int(np.sum(target == 1))
    if min(positives, len(target) - positives) < MIN_CLASS_ROWS:
        raise ValidationError(
            "DATASET_TOO_FEW_OUTCOMES",
            f"训练数据中违约样本 {positives} 个、正常样本 {len(target) - positives} 个，"
            f"每类至少需要 {MIN_CLASS_ROWS} 个才能训练和验证；请扩大样本或延长观察期",
            f"the training rows hold {positives} defaults and {len(target) - positives} "
            f"non-defaults; each needs at least {MIN_CLASS_ROWS} to train and validate — "
            "use a larger population or a longer outcome window",
        )
    if config.split.test_fraction > 0:
        train, test = train_test_split(
            positions, test_size=config.split.test_fraction, stratify=target,
            random_state=config.seed,
        )  # fmt: skip
        out["train"], out["test"] = np.sort(train), np.sort(test)
    else:
        out["train"], out["test"] = positions, positions
    return out


def spec_from_config(config: TrainingConfig) -> ScoringSpec:
    return ScoringSpec(
        scale=config.scale,
        reasons=ReasonWriter(
            texts={f.name: f.reason for f in config.features if f.reason},
            labels_zh={f.name: f.label_zh for f in config.features if f.label_zh},
        ),
        reasons_top_k=config.reasons_top_k,
        policy_cutoff_points=config.policy_cutoff_points,
    )


def train(
    config: TrainingConfig,
    created_at: datetime,
    frame: pd.DataFrame | None = None,
) -> TrainedModel:
    """Train, validate and package a model; ``frame`` overrides reading ``config.data_path``."""
    if frame is None:
        frame = read_table(config.data_path, config.read_options)
        data_sha256 = file_sha256(config.data_path)
    else:
        data_sha256 = hashlib.sha256(
            pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
        ).hexdigest()
    _check_columns(frame, config)
    check_target(frame[config.target])
    rows = split_rows(frame, config)
    features = frame[list(config.feature_names)]
    target = frame[config.target].to_numpy().astype(np.int64)
    estimator = build_estimator(config)
    estimator.fit(features.iloc[rows["train"]], target[rows["train"]])
    spec = spec_from_config(config)

    samples = {}
    for name, idx in rows.items():
        pd_ = estimator.predict_proba(features.iloc[idx])[:, 1]
        points = config.scale.points_from_pd(pd_)
        groups = {
            g.name: group_labels(frame[g.column].to_numpy()[idx], g.bins) for g in config.fairness
        }
        samples[name] = Sample(target[idx], pd_, points, config.scale.bands(points), groups)

    info = {
        "name": config.name,
        "family": estimator.family,
        "created_at": created_at.isoformat(),
        "training_data": str(config.data_path),
        "training_data_sha256": data_sha256,
        "seed": config.seed,
        "features": list(config.feature_names),
        "protected": list(config.protected),
        "rows": {k: len(v) for k, v in rows.items()},
        "estimator_params": {k: v for k, v in estimator.get_params().items() if k != "sentinels"},
        **fit_summary(estimator),
    }
    report = build_report(
        model_info=info,
        samples=samples,
        scale=config.scale,
        policy_cutoff_points=config.policy_cutoff_points,
        feature_importance=estimator.feature_importance(),
        calibration={
            "method": estimator.calibrator_.kind,
            "cv_brier": estimator.calibration_brier_,
        },
        notes=config.notes,
        points_table=(
            estimator.points_table(config.scale)
            if isinstance(estimator, ScorecardCreditModel)
            else None
        ),
    )
    metadata = {**info, "headline": report["headline"]}
    files = {
        **estimator.to_files(),
        "scoring.json": spec.to_json(),
        "config.yaml": yaml.safe_dump(dict(config.raw), allow_unicode=True, sort_keys=False),
        "metadata.json": dump_json(metadata),
        "report.json": report_json(report),
        "report.html": render_html(report),
    }
    return TrainedModel(estimator, spec, report, files)
