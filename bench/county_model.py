"""County model vs the oracle (issue 5 item 8): how close does our model get to the truth?

    .venv/bin/python bench/county_model.py [--people 200000] [--seed 7] [--as-of 2019-09-01]
                                           [--family lightgbm] [--folds 5]

Generates a simulated county (24 months from 2018-09), builds the point-in-time training table
from its partner files exactly as `puhui features training-table` does (features as of T, label
= a draw more than 90 days past due within the 12 months after T, borrowers only), then runs a
stratified k-fold cross-validation of our model family with the table's own YAML config. The
oracle is the simulator's true 12-month default probability of the same people, which no model
can see (it is in `truth/` only). Reported: out-of-fold AUC of the model, AUC of the oracle on the
same rows, and their ratio; target ratio ≥ 0.95. Writes `bench/results/county_model.json`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from _common import peak_rss_mib, write_results
from puhui.data.consent import parse_scope
from puhui.data.files import read_file
from puhui.data.folder import facts_from_folder
from puhui.data.identity import PersonKeyer
from puhui.features.build import compute_features
from puhui.features.training import (
    ORACLE_COLUMN,
    TARGET,
    oracle_pd,
    training_config,
    training_frame,
)
from puhui.scoring import parse_config
from puhui.scoring.train import build_estimator
from puhui.sim.config import make_config
from puhui.sim.engine import generate

console = Console()
KEY = PersonKeyer(b"county-model-benchmark-key-0123456789abcdef")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default="2019-09-01")
    parser.add_argument("--family", default="lightgbm", choices=["lightgbm", "scorecard"])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="puhui-county-") as tmp:
        run = Path(tmp) / "xintai"
        started = time.perf_counter()
        generate(make_config(county="xintai", people=args.people, months=24, seed=args.seed), run)
        timings["simulate_s"] = time.perf_counter() - started

        started = time.perf_counter()
        facts = facts_from_folder(run, KEY, date(2026, 1, 1))
        people = facts["government/residents"]["person_key"]
        everyone = {key: parse_scope("all") for key in people}
        import pandas as pd

        table = compute_features(facts, as_of, pd.Series(everyone))
        oracle = oracle_pd(read_file(run / "truth" / "monthly.parquet"), KEY, as_of)
        frame = training_frame(table, facts, "borrowers", oracle)
        timings["features_s"] = time.perf_counter() - started

    config_data = training_config("county.parquet", as_of, "borrowers", oracle=True)
    config_data["family"] = args.family
    config_data["search"] = {"max_trials": 6, "time_budget_s": 120, "early_stopping_rounds": 50}
    config = parse_config(config_data, Path("."))
    features = frame[list(config.feature_names)]
    label = frame[TARGET].to_numpy().astype(int)
    truth = frame[ORACLE_COLUMN].to_numpy()
    positives = int(label.sum())
    console.print(
        f"county {args.people:,} households, as of {as_of}: {len(frame):,} borrowers, "
        f"{positives} went 90+ days past due within 12 months"
    )

    started = time.perf_counter()
    out_of_fold = np.zeros(len(frame))
    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=42)
    for train_idx, test_idx in folds.split(features, label):
        model = build_estimator(config)
        model.fit(features.iloc[train_idx], label[train_idx])
        out_of_fold[test_idx] = model.predict_proba(features.iloc[test_idx])[:, 1]
    timings["cross_validation_s"] = time.perf_counter() - started

    model_auc = float(roc_auc_score(label, out_of_fold))
    oracle_auc = float(roc_auc_score(label, truth))
    per_fold = []
    for _, test_idx in folds.split(features, label):
        per_fold.append(
            (
                float(roc_auc_score(label[test_idx], out_of_fold[test_idx])),
                float(roc_auc_score(label[test_idx], truth[test_idx])),
            )
        )
    ratio = model_auc / oracle_auc
    result = {
        "people": args.people,
        "seed": args.seed,
        "as_of": as_of.isoformat(),
        "family": args.family,
        "borrowers": len(frame),
        "positives": positives,
        "model_auc_oof": round(model_auc, 4),
        "oracle_auc": round(oracle_auc, 4),
        "ratio": round(ratio, 4),
        "target_ratio": 0.95,
        "per_fold_model_oracle_auc": [[round(a, 4), round(b, 4)] for a, b in per_fold],
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "peak_rss_mib": round(peak_rss_mib()),
        "created_at": datetime.now(UTC).isoformat(),
    }
    table_out = Table(title="County model vs oracle (out-of-fold AUC on the same borrowers)")
    for column in ("family", "borrowers", "positives", "model AUC", "oracle AUC", "ratio"):
        table_out.add_column(column, justify="right")
    table_out.add_row(
        args.family,
        f"{len(frame):,}",
        str(positives),
        f"{model_auc:.4f}",
        f"{oracle_auc:.4f}",
        f"{ratio:.3f}",
    )
    console.print(table_out)
    console.print(f"timings {result['timings_s']}, peak memory {result['peak_rss_mib']} MiB")
    name = "county_model" if args.family == "lightgbm" else f"county_model_{args.family}"
    console.print(f"wrote {write_results(name, result)}")


if __name__ == "__main__":
    main()
