"""Training the anomaly model on normal behaviour (from any event stream, e.g. the simulator's).

"Normal" is decided from what a lender observes, never from ground truth: a person-month is a
training row when the person has shown no delinquency up to that month. Rows are sampled with
a seeded generator so training stays fast on a large county; the same events and seed give the
same model, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from puhui.errors import ValidationError
from puhui.risk.anomaly import AnomalyModel, features, train
from puhui.risk.events import EventKind
from puhui.risk.profile import merge_profiles, month_no, monthly_profile

#: Training rows taken per month at most (a seeded sample).
ROWS_PER_MONTH = 20_000


def train_from_events(
    months: Iterable[pd.DataFrame],
    *,
    seed: int,
    months_from: int = 13,
    rows_per_month: int = ROWS_PER_MONTH,
) -> AnomalyModel:
    """Fit the forest on months ``months_from``… of a stream (month 1 = its first month)."""
    rng = np.random.default_rng(seed)
    profile = pd.DataFrame()
    delinquent: set[str] = set()
    blocks = []
    for index, frame in enumerate(months, start=1):
        profile = merge_profiles(profile, monthly_profile(frame))
        late = frame[frame["kind"] == EventKind.DELINQUENCY.value]["person_key"].dropna()
        delinquent |= set(late.astype(str))
        if index < months_from or frame.empty:
            continue
        last_day = np.array([frame["occurred_on"].max()], dtype="datetime64[D]")
        month = int(month_no(last_day)[0])
        present = profile.loc[profile["month"] == month, "person_key"].astype(str).unique()
        normal = np.array(sorted(set(present) - delinquent), dtype=object)
        if len(normal) > rows_per_month:
            normal = rng.choice(normal, size=rows_per_month, replace=False)
        blocks.append(features(profile, pd.Index(normal), month))
    if not blocks:
        raise ValidationError(
            "ANOMALY_TRAINING_DATA",
            "事件流太短，没有可用于训练的月份",
            f"the stream has no month at or after month {months_from} to train on",
        )
    return train(np.vstack(blocks), seed=seed)
