"""Shared fixtures: a small synthetic credit table the tests make, and quick-fitted models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from puhui.scoring.blend import BlendCreditModel
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.scorecard import ScorecardCreditModel

FEATURES = ["income", "late", "age", "town"]


def make_table(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """People with a known risk: more late payments and lower income raise PD."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "pid": np.arange(n),
            "month": np.repeat(pd.date_range("2020-01-01", periods=12, freq="MS"), n // 12 + 1)[
                :n
            ].strftime("%Y-%m-%d"),
            "income": rng.lognormal(10, 0.5, n).round(0),
            "late": rng.poisson(0.4, n).astype(float),
            "age": rng.integers(20, 70, n).astype(float),
            "town": rng.choice(["东村", "西村", "南村"], n),
            "gender": rng.choice(["F", "M"], n),
        }
    )
    frame.loc[rng.random(n) < 0.03, "late"] = 98.0  # sentinel: unknown
    frame.loc[rng.random(n) < 0.05, "income"] = np.nan
    late = frame["late"].where(frame["late"] < 90, 1.0)
    logit = (
        -2.6
        + 0.9 * np.minimum(late, 5)
        - 0.6 * np.log(frame["income"].fillna(20000) / 20000)
        - 0.02 * (frame["age"] - 40)
        + 0.5 * (frame["town"] == "南村")
    )
    frame["bad"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


MONOTONE = {"late": 1, "income": -1}


@pytest.fixture(scope="session")
def table() -> pd.DataFrame:
    return make_table()


#: The small, fast search both tree-based test models use.
QUICK = {
    "monotone_constraints": MONOTONE,
    "categorical_features": ["town"],
    "sentinels": {"late": [96, 98]},
    "max_trials": 2,
    "max_rounds": 200,
    "cv_folds": 3,
    "n_jobs": 1,
}


def quick_gbm(seed: int = 42) -> GBMCreditModel:
    return GBMCreditModel(**QUICK, random_state=seed)


@pytest.fixture(scope="session")
def gbm(table: pd.DataFrame) -> GBMCreditModel:
    return quick_gbm().fit(table[FEATURES], table["bad"])


@pytest.fixture(scope="session")
def scorecard(table: pd.DataFrame) -> ScorecardCreditModel:
    return ScorecardCreditModel(
        monotone_constraints=MONOTONE,
        categorical_features=["town"],
        sentinels={"late": [96, 98]},
        cv_folds=3,
    ).fit(table[FEATURES], table["bad"])


def quick_blend(seed: int = 42, weight_gbm: float | str = "auto") -> BlendCreditModel:
    return BlendCreditModel(weight_gbm=weight_gbm, **QUICK, random_state=seed)


@pytest.fixture(scope="session")
def blend(table: pd.DataFrame) -> BlendCreditModel:
    return quick_blend().fit(table[FEATURES], table["bad"])


def config_dict(data_path: str, family: str = "lightgbm") -> dict:
    return {
        "name": "demo",
        "family": family,
        "data": {"path": data_path, "target": "bad", "id": "pid", "time": "month"},
        "features": [
            {
                "name": "income",
                "monotone": "decreasing",
                "label_zh": "月收入",
                "reason": {"zh": "{feature}偏低（{value} 元）", "en": "Low income ({value} yuan)"},
            },
            {"name": "late", "monotone": "increasing", "sentinels": [96, 98]},
            "age",
            {"name": "town", "categorical": True},
        ],
        "protected": ["gender"],
        "fairness": ["gender", {"column": "age", "name": "age_band", "bins": [30, 45, 60]}],
        "search": {"max_trials": 2, "time_budget_s": 60},
        "notes": ["synthetic test data"],
    }


@pytest.fixture
def config_file(tmp_path: Path, table: pd.DataFrame) -> Path:
    table.to_csv(tmp_path / "people.csv", index=False)
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(config_dict("people.csv"), allow_unicode=True), "utf-8")
    return path
