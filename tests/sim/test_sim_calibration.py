"""Calibration to the Xintai figures (seed 003) under the default product and grant policy.

100,000 households is the smallest scale at which the NPL ratio is not dominated by counting
a handful of defaulted draws (docs/decisions/0201-simulator-calibration.md); the run takes a
few seconds.
"""

from __future__ import annotations

import pytest

from puhui.errors import ValidationError
from puhui.sim.calibration import NEEDED, TARGETS, measure, report
from puhui.sim.config import make_config
from puhui.sim.engine import run
from puhui.sim.output import MemorySink


@pytest.fixture(scope="module")
def figures():
    config = make_config("xintai", 100_000, 24, 7)
    sink = MemorySink(NEEDED)
    run(config, sink)
    return measure(sink.tables(), config.start)


@pytest.mark.parametrize("target", TARGETS, ids=[t.key for t in TARGETS])
def test_calibrated_figure_is_within_tolerance(figures, target):
    value = figures[target.key]
    assert abs(value - target.target) <= target.tolerance, (
        f"{target.key}: simulated {value:.4f}, target {target.target} ± {target.tolerance}"
    )


def test_truth_carries_the_signal(figures):
    assert figures["truth_pd_auc"] > 0.75


def test_report_lists_targets_then_references(figures):
    rows = report(figures)
    assert [r.key for r in rows[: len(TARGETS)]] == [t.key for t in TARGETS]
    assert all(r.ok for r in rows)
    assert all(r.target is None for r in rows[len(TARGETS) :])


def test_calibration_needs_a_year_of_lending():
    config = make_config("xintai", 500, 6, 1)
    sink = MemorySink(NEEDED)
    run(config, sink)
    with pytest.raises(ValidationError) as err:
        measure(sink.tables(), config.start)
    assert err.value.code == "SIM_CALIBRATION_SHORT"
