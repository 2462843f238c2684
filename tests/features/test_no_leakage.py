"""No feature uses a fact that was not known before the as-of date (property test).

Take the tiny county's facts, move copies of random facts to on-or-after the as-of date (a
``month`` row to the as-of date's own month or later: not complete yet), change their
numbers, append them as new facts (a fresh id where the natural key is an id, no duplicate
natural key — a state the database can hold) — and every feature and group must stay exactly
as it was.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from puhui.data.folder import facts_from_folder
from puhui.data.sources import BY_NAME, SOURCES, Kind
from puhui.features.asof import month_start
from puhui.features.build import FeatureTable, compute_features
from tests.county import NOW, keyer

AS_OF_DATES = (date(2019, 3, 1), date(2019, 9, 15), date(2020, 1, 1))
DATED = tuple(s.name for s in SOURCES if s.known_from is not None)
_NUMBERS = (
    "_fen",
    "_count",
    "days_past_due",
    "login_days",
    "area_mu",
    "level",
    "months_contributed",
)


@cache
def _facts(run: Path) -> dict[str, pd.DataFrame]:
    return facts_from_folder(run, keyer(), NOW.date())


def _scopes(facts: dict[str, pd.DataFrame]) -> pd.Series:
    people = facts["government/residents"]["person_key"]
    return pd.Series([frozenset({"all"})] * len(people), index=people.to_numpy())


@cache
def _baseline(run: Path, as_of: date) -> FeatureTable:
    facts = _facts(run)
    return compute_features(facts, as_of, _scopes(facts))


def _future_day(kind: Kind, as_of: date, offset_days: int) -> pd.Timestamp:
    if kind is Kind.MONTH:
        return month_start(as_of) + pd.DateOffset(months=offset_days % 14)
    day = pd.Timestamp(as_of) + pd.Timedelta(days=offset_days)
    if kind is Kind.MONTH_END:
        return day + pd.offsets.MonthEnd(0)
    return day


def _moved(frame: pd.DataFrame, name: str, pick: int, offset: int, scale: int, as_of: date):
    source = BY_NAME[name]
    row = frame.iloc[[pick % len(frame)]].copy()
    column = source.known_from
    row[column] = _future_day(source.column(column).kind, as_of, offset)
    if len(source.natural_key) == 1:  # an id: the copy is a new line, draw, account, plot …
        [key] = source.stored_key
        fresh = int(pd.to_numeric(frame[key]).max()) + 1 + pick % 1000
        row[key] = str(fresh) if source.column(key).kind is Kind.DIGITS else fresh
    if name == "platform/transfers":  # a new contact, not only more money to an old one
        users = frame["user_id"].unique()
        row["counterparty_user_id"] = users[scale % len(users)]
    for col in source.columns:
        if col.name.endswith(_NUMBERS) and col.kind in (Kind.INT, Kind.FLOAT):
            row[col.name] = (row[col.name] * (scale % 7 + 2) + scale % 91).astype(
                row[col.name].dtype
            )
    return row


facts_after = st.lists(
    st.tuples(
        st.sampled_from(DATED),
        st.integers(0, 10**6),
        st.integers(0, 500),
        st.integers(0, 10**6),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(as_of=st.sampled_from(AS_OF_DATES), moves=facts_after)
def test_facts_dated_on_or_after_the_as_of_date_change_no_feature(tiny_run, as_of, moves):
    facts = dict(_facts(tiny_run))
    # every dated source gets a fact exactly on the boundary (the as-of day / its month) …
    boundary = [(name, pick, 0, pick) for name, pick, _, _ in moves[:1] for name in DATED]
    # … and the drawn ones anywhere after
    for name, pick, offset, scale in boundary + moves:
        if len(facts[name]):
            moved = _moved(facts[name], name, pick, offset, scale, as_of)
            merged = pd.concat([facts[name], moved], ignore_index=True)
            key = list(BY_NAME[name].stored_key)
            facts[name] = merged.drop_duplicates(subset=key, keep="first")
    table = compute_features(facts, as_of, _scopes(facts))
    baseline = _baseline(tiny_run, as_of)
    pd.testing.assert_frame_equal(table.features, baseline.features)
    pd.testing.assert_frame_equal(table.groups, baseline.groups)


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_the_baseline_has_features_from_every_partner(tiny_run, as_of):
    features = _baseline(tiny_run, as_of).features
    for column in (
        "inflow_mean_3m_yuan",
        "pension_months_5y",
        "shop_sales_mean_3m_yuan",
        "draws_count",
        "contacts_12m",
    ):
        assert features[column].notna().any(), column
