"""The behaviour-event stream: dated, ordered, complete, and free of truth."""

from __future__ import annotations

import pandas as pd
import pytest

from puhui.errors import ValidationError
from puhui.sim.events import (
    DAILY_KINDS,
    EVENT_COLUMNS,
    MONTHLY_KINDS,
    behaviour_events,
    read_run,
)


@pytest.fixture(scope="module")
def months(small_tables):
    return list(behaviour_events(small_tables))


def test_one_frame_per_month_in_date_order(months, small_config):
    assert len(months) == small_config.months
    previous = None
    for frame in months:
        assert tuple(frame.columns) == EVENT_COLUMNS
        periods = frame["event_date"].dt.to_period("M").unique()
        assert len(periods) == 1
        assert previous is None or periods[0] > previous
        previous = periods[0]
        assert frame["event_date"].is_monotonic_increasing


def test_kinds_and_granularity(months):
    frames = pd.concat(months, ignore_index=True)
    assert set(frames["kind"]) <= set(DAILY_KINDS) | set(MONTHLY_KINDS)
    monthly = frames[frames["kind"].isin(MONTHLY_KINDS)]
    assert monthly["event_date"].dt.is_month_end.all()
    person = frames[frames["kind"] != "disaster_notice"]
    assert person["id_number"].notna().all()
    assert person["township_code"].notna().all()


def test_events_match_the_partner_files(months, small_tables):
    frames = pd.concat(months, ignore_index=True)
    counts = frames["kind"].value_counts()
    assert counts["drawdown"] == small_tables["lender/draws"].num_rows
    assert counts["repayment"] == small_tables["lender/repayments"].num_rows
    assert counts["inflow"] == small_tables["platform/monthly"].num_rows
    assert counts["transfer_out"] == small_tables["platform/transfers"].num_rows
    assert counts["device_change"] == small_tables["platform/device_changes"].num_rows
    assert counts.get("disaster_notice", 0) == small_tables["government/disaster_notices"].num_rows
    drawn = frames.loc[frames["kind"] == "drawdown", "amount_fen"].sum()
    assert drawn == pd.Series(small_tables["lender/draws"]["principal_fen"]).sum()
    late = (pd.Series(small_tables["lender/monthly_status"]["days_past_due"]) > 0).sum()
    assert counts["delinquency"] == late


def test_no_truth_in_the_stream(months, small_tables):
    frames = pd.concat(months, ignore_index=True)
    truth_columns = set(small_tables["truth/monthly"].column_names) - {"id_number", "month"}
    assert not truth_columns & set(frames.columns)


def test_read_run_refuses_an_incomplete_folder(tmp_path):
    with pytest.raises(ValidationError) as err:
        read_run(tmp_path)
    assert err.value.code == "SIM_RUN_INCOMPLETE"
