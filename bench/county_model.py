"""County model vs the oracle (issue 5 item 8): how close does our model get to the truth?

    OMP_WAIT_POLICY=PASSIVE nice -n 15 env PYTHONPATH=src .venv/bin/python bench/county_model.py \
        [--people 1000000] [--seed 7] [--as-of 2019-09-01] [--families lightgbm,scorecard,blend] \
        [--folds 5] [--max-trials N] [--table var/bench/county.parquet [--build-only]] \
        [--out county_model] [--verify-cut] [--no-ceiling]

Protocol
1. Simulate a county (24 months from 2018-09, seed 7) into a temporary folder.
2. Cut the run to the people who owed money at a month-end of the label window (a superset of
   the population; bench/_county_cut.py) so a million people fit in memory; ``--verify-cut``
   also builds the table from the whole run and checks both are equal.
3. Build the training table exactly as `puhui features training-table` does:
   ``facts_from_folder`` → ``compute_features`` as of T → ``training_frame(population=
   "borrowers")`` (features as of T from the partner files; label = a draw more than 90 days
   past due at a month-end in the 12 months from T). One as-of date, one row per person: no
   person is in two folds.
4. Add evaluation-only columns from ``truth/`` (never model inputs):
   - ``oracle_pd_12m`` — the table's oracle: ``1 − Π(1 − pd_month)`` over the 12 months from T.
     It uses the hazards the window really had (later droughts, income shocks, leverage of
     draws not yet made), so it is a *hindsight* oracle, not a PD anyone could know at T.
   - ``oracle_pd_at_t`` — the true PD **as of T**: 1 for a person already in default at the
     end of the last complete month before T (their draw will pass 90 days), otherwise
     ``1 − (1 − pd_month)^12`` with that month's hazard.
   - ``truth_willingness``, ``truth_ability``, ``truth_need`` — the latent traits.
   ``--table`` keeps the table (features + these columns) so the cross-validation can be
   re-run without simulating (each run stays within the 15-minute budget).
5. Stratified k-fold (shuffle, seed 42), the same folds for every model. Each family is the
   product's estimator built from the table's own YAML config (``training_config``; only the
   family and, with ``--max-trials``, the search budget are overridden), fitted on the training
   rows of the fold only. The blend (decision 0106) chooses its weight inside that fit, from its
   members' out-of-fold log-odds of the training rows, never from the held-out fold; its
   members are the LightGBM and scorecard families' own estimators (checked equal), so they are
   fitted once per fold and scored as those families. Reported per family: out-of-fold AUC over
   all rows and the mean ± sample sd of the per-fold AUCs; the blend's weight per fold; the
   oracles' AUC on the same rows; the best family's ratio to each oracle against the target
   0.95.
6. A ceiling: the same LightGBM (first search trial only) given the features **plus** the latent
   traits and ``oracle_pd_at_t`` — an estimate of the best AUC any model could reach at T.

Writes `bench/results/county_model.json` (``--out``). A county of 2,000,000 people takes two
bounded runs (about 4 and 10 minutes on 2 shared cores): ``--table … --build-only``, then the
same command without ``--build-only``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from _common import peak_rss_mib, write_results
from _county_cut import cut_run, owing_in_window
from puhui.data.consent import parse_scope
from puhui.data.files import read_file
from puhui.data.folder import facts_from_folder
from puhui.data.identity import PersonKeyer
from puhui.features.asof import last_complete_month
from puhui.features.build import compute_features
from puhui.features.history import LABEL_MONTHS
from puhui.features.training import (
    ORACLE_COLUMN,
    TARGET,
    oracle_pd,
    training_config,
    training_frame,
)
from puhui.scoring import parse_config
from puhui.scoring.blend import BlendCreditModel
from puhui.scoring.config import TrainingConfig
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.train import build_estimator
from puhui.sim.config import make_config
from puhui.sim.engine import generate

console = Console()
KEY = PersonKeyer(b"county-model-benchmark-key-0123456789abcdef")
TODAY = date(2026, 1, 1)
AT_T = "oracle_pd_at_t"
LATENT = ("truth_willingness", "truth_ability", "truth_need")
TARGET_RATIO = 0.95


def build_table(run: Path, as_of: date) -> pd.DataFrame:
    """The training table of ``run`` as of ``as_of`` (population ``borrowers``) with truth."""
    facts = facts_from_folder(run, KEY, TODAY)
    people = facts["government/residents"]["person_key"]
    scopes = pd.Series({key: parse_scope("all") for key in people}, dtype=object)
    features = compute_features(facts, as_of, scopes)
    monthly = read_file(run / "truth" / "monthly.parquet")
    frame = training_frame(features, facts, "borrowers", oracle_pd(monthly, KEY, as_of))
    return frame.join(truth_at(monthly, read_file(run / "truth" / "persons.parquet"), as_of),
                      on="person_key")  # fmt: skip


def truth_at(monthly: pd.DataFrame, persons: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per person key: the true PD as of ``as_of`` and the latent traits (evaluation only)."""
    last = monthly[pd.to_datetime(monthly["month"]) == last_complete_month(as_of)]
    keys = KEY.person_keys(last["id_number"].astype("str")).to_numpy()
    pd_month = last["pd_month"].to_numpy(dtype="float64")
    at_t = np.where(last["in_default"].to_numpy(dtype=bool), 1.0,
                    1.0 - (1.0 - pd_month) ** LABEL_MONTHS)  # fmt: skip
    out = pd.DataFrame({AT_T: at_t}, index=pd.Index(keys, name="person_key"))
    traits = persons.set_index(KEY.person_keys(persons["id_number"].astype("str")).to_numpy())
    for name in LATENT:
        out[name] = traits[name.removeprefix("truth_")].reindex(out.index).to_numpy()
    return out


def simulate_table(
    people: int, seed: int, as_of: date, verify_cut: bool
) -> tuple[pd.DataFrame, dict[str, float]]:
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="puhui-county-") as tmp:
        run, cut = Path(tmp) / "xintai", Path(tmp) / "cut"
        started = time.perf_counter()
        generate(make_config(county="xintai", people=people, months=24, seed=seed), run)
        timings["simulate_s"] = time.perf_counter() - started
        started = time.perf_counter()
        chosen = owing_in_window(run, as_of, LABEL_MONTHS)
        cut_run(run, cut, chosen)
        timings["cut_s"] = time.perf_counter() - started
        started = time.perf_counter()
        frame = build_table(cut, as_of)
        timings["features_s"] = time.perf_counter() - started
        if verify_cut:
            whole = build_table(run, as_of)
            pd.testing.assert_frame_equal(frame, whole)
            console.print(f"cut verified: {len(frame):,} rows equal to the whole run's table")
    console.print(f"cut to {len(chosen):,} of {people:,} people")
    return frame, timings


def _cv_auc(
    label: np.ndarray, score: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]
) -> dict[str, Any]:
    per_fold = [float(roc_auc_score(label[te], score[te])) for _, te in folds]
    return {
        "auc_oof": round(float(roc_auc_score(label, score)), 4),
        "auc_mean": round(float(np.mean(per_fold)), 4),
        "auc_sd": round(float(np.std(per_fold, ddof=1)), 4),
        "per_fold": [round(a, 4) for a in per_fold],
    }


def cross_validate(
    make: Any, features: pd.DataFrame, label: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, float]:
    out_of_fold = np.zeros(len(label))
    started = time.perf_counter()
    for train_idx, test_idx in folds:
        model = make()
        model.fit(features.iloc[train_idx], label[train_idx])
        out_of_fold[test_idx] = model.predict_proba(features.iloc[test_idx])[:, 1]
    return out_of_fold, (time.perf_counter() - started) / len(folds)


def members_reused(blend: BlendCreditModel, configs: dict[str, TrainingConfig]) -> list[str]:
    """The member families whose own estimator is exactly the blend's member (same class, same
    parameters): their scores are read off the blend's fitted members instead of fitted again."""
    members = {"lightgbm": blend.gbm_, "scorecard": blend.scorecard_}
    reused = []
    for family, member in members.items():
        if family not in configs:
            continue
        own = build_estimator(configs[family])
        if type(own) is type(member) and own.get_params() == member.get_params():
            reused.append(family)
    return reused


def cross_validate_families(
    configs: dict[str, TrainingConfig],
    features: pd.DataFrame,
    label: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[dict[str, np.ndarray], dict[str, float | None], list[dict[str, Any]]]:
    """Out-of-fold PDs of every family, fitted on the training rows of each fold only.

    The blend chooses its weight inside ``fit`` from its members' out-of-fold log-odds of the
    training rows (decision 0106); the held-out fold is scored once, after. When the blend runs,
    LightGBM and the scorecard are its fitted members (checked equal to their own families'
    estimators), so each fold fits each member once. Returns the scores, the fit seconds per
    fold (``None`` for a reused member: its time is inside the blend's) and the blend's choice
    per fold.
    """
    scores = {family: np.zeros(len(label)) for family in configs}
    seconds = dict.fromkeys(configs, 0.0)
    blend_folds: list[dict[str, Any]] = []
    for train_idx, test_idx in folds:
        train, test = features.iloc[train_idx], features.iloc[test_idx]
        fitted: dict[str, Any] = {}
        if "blend" in configs:
            started = time.perf_counter()
            blend = build_estimator(configs["blend"]).fit(train, label[train_idx])
            seconds["blend"] += time.perf_counter() - started
            fitted["blend"] = blend
            for family in members_reused(blend, configs):
                fitted[family] = blend.gbm_ if family == "lightgbm" else blend.scorecard_
            blend_folds.append(
                {
                    "weight_gbm": blend.weight_gbm_,
                    "train_oof_auc_by_weight": {
                        str(w): round(a, 4) for w, a in blend.oof_auc_by_weight_.items()
                    },
                    "members_reused": sorted(set(fitted) - {"blend"}),
                }
            )
        for family, config in configs.items():
            if family not in fitted:
                started = time.perf_counter()
                fitted[family] = build_estimator(config).fit(train, label[train_idx])
                seconds[family] += time.perf_counter() - started
            scores[family][test_idx] = fitted[family].predict_proba(test)[:, 1]
    reused = set(blend_folds[0]["members_reused"]) if blend_folds else set()
    per_fold = {f: None if f in reused else s / len(folds) for f, s in seconds.items()}
    return scores, per_fold, blend_folds


def family_config(as_of: date, family: str, max_trials: int | None) -> TrainingConfig:
    data = training_config("county.parquet", as_of, "borrowers", oracle=True)
    data["family"] = family
    if max_trials is not None:
        data["search"] = {"max_trials": max_trials}
    return parse_config(data, Path("."))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default="2019-09-01")
    parser.add_argument("--families", default="lightgbm,scorecard,blend")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--max-trials", type=int, default=None, help="override the config's LightGBM search budget"
    )
    parser.add_argument(
        "--table", type=Path, default=None, help="Parquet: read the table if present, else write"
    )
    parser.add_argument("--build-only", action="store_true", help="stop once --table is written")
    parser.add_argument("--out", default="county_model", help="bench/results/<OUT>.json")
    parser.add_argument("--verify-cut", action="store_true")
    parser.add_argument("--no-ceiling", action="store_true")
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of)
    families = [f for f in args.families.split(",") if f]

    made = {"people": args.people, "seed": args.seed, "as_of": as_of.isoformat()}
    if args.table is not None and args.table.exists():
        stored = json.loads(args.table.with_suffix(".json").read_text("utf-8"))
        if {k: stored[k] for k in made} != made:
            parser.error(f"{args.table} holds {stored}, not {made}: pass a new --table path")
        frame, build = pd.read_parquet(args.table), stored
        console.print(f"table read from {args.table} (simulation skipped)")
    else:
        frame, timings = simulate_table(args.people, args.seed, as_of, args.verify_cut)
        build = {**made, "timings_s": timings, "peak_rss_mib": round(peak_rss_mib())}
        if args.table is not None:
            args.table.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(args.table)
            args.table.with_suffix(".json").write_text(json.dumps(build), "utf-8")
            console.print(f"table written to {args.table} {build}")
    if args.build_only:
        return

    base = family_config(as_of, "lightgbm", args.max_trials)
    features = frame[list(base.feature_names)]
    label = frame[TARGET].to_numpy().astype(int)
    positives = int(label.sum())
    console.print(
        f"county {args.people:,} people, as of {as_of}: {len(frame):,} borrowers, "
        f"{positives:,} went 90+ days past due within 12 months"
    )
    splitter = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=42)
    folds = list(splitter.split(features, label))

    oracles = {
        "window": _cv_auc(label, frame[ORACLE_COLUMN].to_numpy(), folds),
        "at_t": _cv_auc(label, frame[AT_T].to_numpy(), folds),
    }
    configs = {family: family_config(as_of, family, args.max_trials) for family in families}
    scores_by_family, fit_s, blend_folds = cross_validate_families(configs, features, label, folds)
    models: dict[str, dict[str, Any]] = {}
    for family in families:
        seconds = fit_s[family]
        models[family] = {
            **_cv_auc(label, scores_by_family[family], folds),
            "fit_s_per_fold": None if seconds is None else round(seconds, 1),
        }
        console.print(f"{family}: out-of-fold AUC {models[family]['auc_oof']:.4f}")
    if blend_folds:
        models["blend"]["per_fold_choice"] = blend_folds
        weights = [f["weight_gbm"] for f in blend_folds]
        console.print(f"blend: weight of LightGBM chosen per training fold {weights}")
    if not args.no_ceiling:
        columns = [*base.feature_names, *LATENT, AT_T]

        def ceiling_model() -> GBMCreditModel:
            return GBMCreditModel(monotone_constraints=base.monotone, max_trials=1,
                                  random_state=base.seed)  # fmt: skip

        scores, fit_s = cross_validate(ceiling_model, frame[columns], label, folds)
        models["ceiling"] = {**_cv_auc(label, scores, folds), "fit_s_per_fold": round(fit_s, 1)}

    best = max(families, key=lambda f: models[f]["auc_oof"])
    ratio_window = models[best]["auc_oof"] / oracles["window"]["auc_oof"]
    ratio_at_t = models[best]["auc_oof"] / oracles["at_t"]["auc_oof"]
    paired = {
        name: np.divide(models[best]["per_fold"], oracle["per_fold"])
        for name, oracle in oracles.items()
    }
    result = {
        "people": args.people,
        "seed": args.seed,
        "as_of": as_of.isoformat(),
        "borrowers": len(frame),
        "positives": positives,
        "folds": args.folds,
        "protocol": "stratified k-fold, one as-of date (one row per person), shuffle seed 42",
        "search_max_trials": base.search.max_trials,
        "models": models,
        "oracles": oracles,
        "best_family": best,
        "ratio_vs_window_oracle": round(ratio_window, 4),
        "ratio_vs_oracle_at_t": round(ratio_at_t, 4),
        "ratio_per_fold_mean_sd": {
            name: [round(float(r.mean()), 4), round(float(r.std(ddof=1)), 4)]
            for name, r in paired.items()
        },
        "target_ratio": TARGET_RATIO,
        "target_met_vs_oracle_at_t": ratio_at_t >= TARGET_RATIO,
        "target_met_vs_window_oracle": ratio_window >= TARGET_RATIO,
        "table_build": {
            "timings_s": {k: round(v, 1) for k, v in build["timings_s"].items()},
            "peak_rss_mib": build["peak_rss_mib"],
        },
        "peak_rss_mib": round(peak_rss_mib()),
        "created_at": datetime.now(UTC).isoformat(),
    }
    table_out = Table(title="County model vs oracle (AUC on the same borrowers)")
    for column in ("scorer", "AUC out-of-fold", "AUC mean ± sd (folds)", "÷ oracle at T",
                   "÷ window oracle"):  # fmt: skip
        table_out.add_column(column, justify="right")
    rows = [(name, models[name]) for name in models] + [
        ("oracle at T", oracles["at_t"]),
        ("oracle, window (hindsight)", oracles["window"]),
    ]
    for name, figures in rows:
        table_out.add_row(
            name,
            f"{figures['auc_oof']:.4f}",
            f"{figures['auc_mean']:.4f} ± {figures['auc_sd']:.4f}",
            f"{figures['auc_oof'] / oracles['at_t']['auc_oof']:.4f}",
            f"{figures['auc_oof'] / oracles['window']['auc_oof']:.4f}",
        )
    console.print(table_out)
    console.print(f"table build {result['table_build']}, peak memory {result['peak_rss_mib']} MiB")
    console.print(f"wrote {write_results(args.out, result)}")


if __name__ == "__main__":
    main()
