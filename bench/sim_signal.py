"""How learnable is the simulator's default signal? (bench/results/sim_signal.json)

    nice -n 10 env PYTHONPATH=src .venv/bin/python bench/sim_signal.py --people 100000

Generates a county (24 months), builds a handful of simple point-in-time features from the
partner files as of T = month 12 (only facts dated before T), and labels each person who owes
money after T and is not already in default at T: 1 if a draw is more than 90 days past due
in the 12 months from T. Prints the cross-validated AUC of a plain logistic regression on the
features next to the AUC of the true PD (truth/) on the same people. The simulator is meant
to sit between "no signal" (0.5) and "the truth" — learnable, not trivial. This is a check of
the generator, not the scoring engine (issue 3, feature store and scoring own the real thing).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

from puhui.sim.config import make_config
from puhui.sim.engine import generate

RESULTS = Path(__file__).parent / "results" / "sim_signal.json"


def _read(root: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(root / f"{name}.parquet")
    for column in ("month", "month_end", "paid_date", "event_date"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def features(root: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    """Simple features per person from facts dated before ``as_of``."""
    accounts = _read(root, "platform/accounts")[["user_id", "id_number"]]
    monthly = _read(root, "platform/monthly").merge(accounts, on="user_id")
    monthly = monthly[monthly["month"] < as_of]
    f = monthly.groupby("id_number").agg(
        inflow=("inflow_fen", "mean"),
        inflow_sd=("inflow_fen", "std"),
        outflow=("outflow_fen", "mean"),
        balance=("balance_end_fen", "mean"),
        bills=("bill_payment_count", "sum"),
        bills_late=("bill_late_count", "sum"),
        login_days=("login_days", "mean"),
    )
    f["bill_late_rate"] = f["bills_late"] / np.maximum(f["bills"], 1)
    f["inflow_cv"] = f["inflow_sd"] / (f["inflow"] + 1)
    pension = _read(root, "government/social_insurance")
    f = f.join(
        pension[pension["paid_date"] < as_of]
        .groupby("id_number")["months_contributed"]
        .sum()
        .rename("pension_months")
    )
    f = f.join(_read(root, "government/land_plots").groupby("id_number")["area_mu"].sum())
    devices = _read(root, "platform/device_changes").merge(accounts, on="user_id")
    f = f.join(
        devices[devices["event_date"] < as_of].groupby("id_number").size().rename("device_changes")
    )
    status = _read(root, "lender/monthly_status").merge(
        _read(root, "lender/lines")[["line_id", "id_number"]], on="line_id"
    )
    history = status[status["month_end"] < as_of].groupby("id_number")["days_past_due"]
    f = f.join(history.max().rename("max_dpd")).join(history.size().rename("months_owing"))
    f = f.fillna(0)
    for column in ("inflow", "outflow", "balance", "area_mu"):
        f[column] = np.log1p(f[column].clip(lower=0))
    return f


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    config = make_config("xintai", args.people, 24, args.seed)
    scratch = Path(tempfile.mkdtemp(prefix="puhui-bench-signal-"))
    root = scratch / "run"
    generate(config, root)
    as_of = pd.Timestamp(config.start) + pd.DateOffset(months=12)

    status = _read(root, "lender/monthly_status").merge(
        _read(root, "lender/lines")[["line_id", "id_number"]], on="line_id"
    )
    truth = _read(root, "truth/monthly")
    in_default = truth.loc[
        (truth["month"] == as_of - pd.DateOffset(months=1)) & truth["in_default"], "id_number"
    ]
    after = status[status["month_end"] >= as_of]
    label = after.groupby("id_number")["days_past_due"].max() > 90
    label = label[~label.index.isin(in_default)]
    x = features(root, as_of).reindex(label.index).fillna(0)
    y = label.to_numpy()
    x = (x - x.mean()) / x.std().replace(0, 1)
    predicted = cross_val_predict(
        LogisticRegression(max_iter=2000), x, y, cv=5, method="predict_proba"
    )[:, 1]
    pd_at_t = truth[truth["month"] == as_of].set_index("id_number")["pd_month"]
    pd_after = truth[truth["month"] >= as_of].groupby("id_number")["pd_month"].mean()
    result = {
        "benchmark": "sim.signal",
        "people": args.people,
        "seed": args.seed,
        "as_of": as_of.date().isoformat(),
        "labelled_people": int(y.size),
        "positives": int(y.sum()),
        "auc_logistic_on_simple_features": round(float(roc_auc_score(y, predicted)), 3),
        "auc_true_pd_at_as_of": round(float(roc_auc_score(y, pd_at_t.loc[label.index])), 3),
        "auc_true_pd_mean_after": round(float(roc_auc_score(y, pd_after.loc[label.index])), 3),
        "single_feature_auc": {
            c: round(float(roc_auc_score(y, x[c])), 3) for c in x.columns if x[c].std() > 0
        },
    }
    shutil.rmtree(scratch, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
