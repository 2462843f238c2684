"""The training table 训练表 for the scoring engine, and its YAML config.

One row per person in the population, columns (stable names):

- ``person_key`` — the id column (pseudonymous; never the identity number);
- ``as_of`` — the date ``T`` the features are computed as of;
- every feature of :data:`~puhui.features.catalogue.FEATURE_NAMES`, as of ``T``;
- ``label_90dpd_12m`` — the target: 1 if a draw of the person is more than 90 days past due
  at a month-end in the 12 months from ``T`` (``features.history.label_90dpd``);
- ``gender``, ``ethnicity``, ``age_band``, ``township`` — fairness groups, never features;
- ``oracle_pd_12m`` — only with the simulator's ``truth/``: the true probability of
  default within the 12 months, ``1 − Π(1 − pd_month)``, for oracle AUC. **Evaluation only**;
  the config lists it nowhere as a feature.

Populations: ``borrowers`` (default) — people who owed money at a month-end of the window and
were not already more than 90 days past due at ``T`` (the people whose outcome the label
observes); ``granted`` — people with a line granted before ``T``, not already bad;
``all`` — everyone with a scoring consent (label 0 when nothing was owed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from puhui.data.identity import PersonKeyer
from puhui.data.sources import BY_NAME
from puhui.errors import ValidationError
from puhui.features.asof import known
from puhui.features.build import FeatureTable
from puhui.features.catalogue import (
    FEATURE_VERSION,
    FEATURES,
    GROUP_COLUMNS,
    PROTECTED_COLUMNS,
)
from puhui.features.history import LABEL_MONTHS, label_90dpd

TARGET = "label_90dpd_12m"
ID_COLUMN = "person_key"
ORACLE_COLUMN = "oracle_pd_12m"
POPULATIONS = ("borrowers", "granted", "all")


def _check_window(facts: Mapping[str, pd.DataFrame], as_of: date) -> None:
    """The label needs every month-end of the window: the last one must be imported."""
    status = facts["lender/monthly_status"]
    last_day = pd.Timestamp(as_of) + pd.DateOffset(months=LABEL_MONTHS) - pd.Timedelta(days=1)
    is_month_end = (last_day + pd.Timedelta(days=1)).day == 1
    needed = last_day if is_month_end else last_day.replace(day=1) - pd.Timedelta(days=1)
    latest = status["month_end"].max() if len(status) else None
    if latest is None or pd.isna(latest) or latest < needed:
        shown = "none" if latest is None or pd.isna(latest) else latest.date().isoformat()
        raise ValidationError(
            "LABEL_WINDOW_INCOMPLETE",
            f"标签需要 {as_of} 之后 12 个月的放贷月末状态（至 {needed.date()}），"
            f"已导入的最新月末为 {shown}；请选更早的日期或导入更多 lender/monthly_status",
            f"the label needs month-end loan status for the 12 months after {as_of} (through "
            f"{needed.date()}); the newest imported month-end is {shown} — choose an earlier "
            "as-of date or import more lender/monthly_status",
        )


def training_frame(
    table: FeatureTable,
    facts: Mapping[str, pd.DataFrame],
    population: str = "borrowers",
    oracle: pd.Series | None = None,
) -> pd.DataFrame:
    """The training table (see the module docstring) from features built as of ``T``."""
    if population not in POPULATIONS:
        raise ValidationError(
            "POPULATION_UNKNOWN",
            f"样本范围必须是 {'、'.join(POPULATIONS)} 之一；收到 {population!r}",
            f"population must be one of {', '.join(POPULATIONS)}; got {population!r}",
        )
    as_of = table.as_of
    _check_window(facts, as_of)
    labels = label_90dpd(facts, as_of)
    persons = table.features.index
    if population == "borrowers":
        chosen = labels.index[~labels["bad_at_as_of"]]
    elif population == "granted":
        lines = known(facts["lender/lines"], BY_NAME["lender/lines"], as_of)
        bad = labels.index[labels["bad_at_as_of"]]
        chosen = pd.Index(lines["person_key"].unique()).difference(bad)
    else:
        chosen = persons
    chosen = persons.intersection(chosen)
    frame = table.features.loc[chosen].copy()
    frame.insert(0, "as_of", pd.Timestamp(as_of))
    frame[TARGET] = labels[TARGET].reindex(chosen, fill_value=0).astype("int64")
    frame = frame.join(table.groups.loc[chosen])
    if oracle is not None:
        frame[ORACLE_COLUMN] = oracle.reindex(chosen)
    return frame.reset_index().rename(columns={"index": ID_COLUMN})


def oracle_pd(truth_monthly: pd.DataFrame, keyer: PersonKeyer, as_of: date) -> pd.Series:
    """True 12-month PD per person key from the simulator's ``truth/monthly`` (evaluation only)."""
    months = pd.to_datetime(truth_monthly["month"])
    start = pd.Timestamp(as_of)
    window = truth_monthly[
        (months >= start) & (months < start + pd.DateOffset(months=LABEL_MONTHS))
    ]
    survival = np.log1p(-window["pd_month"].astype("float64").clip(upper=1 - 1e-12))
    keys = keyer.person_keys(window["id_number"].astype("str"))
    total = survival.groupby(keys.to_numpy()).sum()
    return (1.0 - np.exp(total)).rename(ORACLE_COLUMN)


def training_config(table_file: str, as_of: date, population: str, oracle: bool) -> dict[str, Any]:
    """A plain YAML-able training config for the scoring engine (docs/features.md)."""
    features = []
    for spec in FEATURES:
        item: dict[str, Any] = {"name": spec.name}
        if spec.monotone != "none":
            item["monotone"] = spec.monotone
        item["label_zh"] = spec.label_zh
        features.append(item)
    notes = [
        f"Features as of {as_of.isoformat()} (feature version {FEATURE_VERSION}); only facts "
        "known before that date.",
        f"Target {TARGET}: a draw more than 90 days past due at a month-end in the "
        f"{LABEL_MONTHS} months from {as_of.isoformat()}. Population: {population}.",
        "Group columns gender, ethnicity, age_band, township are for fairness reports only.",
    ]
    if oracle:
        notes.append(
            f"{ORACLE_COLUMN} is the simulator's true 12-month PD: for oracle AUC only, never a "
            "feature."
        )
    return {
        "name": f"county_pd_{as_of.strftime('%Y%m%d')}",
        "family": "lightgbm",
        "data": {"path": table_file, "target": TARGET, "id": ID_COLUMN},
        "features": features,
        "protected": list(PROTECTED_COLUMNS),
        "fairness": list(GROUP_COLUMNS),
        "notes": notes,
    }
