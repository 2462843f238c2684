"""A small credit model over the feature store's 57 features, trained in seconds on synthetic
rows (for tests of the 310 path, where the mechanics are under test, not the model)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from puhui.features.catalogue import FEATURE_NAMES
from puhui.features.training import training_config
from puhui.scoring import parse_config
from puhui.scoring.registry import ModelRegistry
from puhui.scoring.train import train

CREATED = datetime(2026, 1, 10, tzinfo=UTC)


def train_county_model(registry_dir: Path, name: str = "county", rows: int = 3000) -> str:
    """Register (as champion) a LightGBM model whose risk rises with lateness and falls with
    income; returns its version id."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        rng.gamma(2.0, 1.0, size=(rows, len(FEATURE_NAMES))), columns=list(FEATURE_NAMES)
    )
    frame["inflow_mean_12m_yuan"] = rng.lognormal(8.5, 0.6, rows)
    frame["bill_late_share_12m"] = rng.beta(1, 6, rows)
    frame["max_dpd_ever"] = rng.choice([0, 0, 0, 5, 40, 120], rows)
    logit = (
        -3.0
        + 4.0 * frame["bill_late_share_12m"]
        + 0.012 * frame["max_dpd_ever"]
        - 0.4 * (np.log(frame["inflow_mean_12m_yuan"]) - 8.5)
    )
    frame["label_90dpd_12m"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    frame["person_key"] = [f"p{i}" for i in range(rows)]
    for column in ("gender", "ethnicity", "age_band", "township"):
        frame[column] = rng.choice(["a", "b"], rows)
    config = training_config("synthetic.parquet", date(2019, 9, 1), "borrowers", oracle=False)
    config["name"] = name
    config["search"] = {"max_trials": 2, "time_budget_s": 20, "early_stopping_rounds": 20}
    trained = train(parse_config(config, registry_dir), CREATED, frame=frame)
    registry = ModelRegistry(registry_dir)
    return registry.register(name, trained.files, CREATED)
