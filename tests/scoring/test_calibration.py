"""Calibration maps: monotone, bounded, chosen by cross-fitted Brier, stored as JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from puhui.errors import ValidationError
from puhui.scoring.calibration import PD_MIN, Calibrator, brier, fit_calibrator


def _data(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z = rng.normal(-2, 1.2, n)
    true_pd = 1 / (1 + np.exp(-(0.5 * z**2 / 3 + 0.8 * z)))  # not a straight line in z
    return z, (rng.random(n) < true_pd).astype(int)


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_every_map_is_non_decreasing_and_bounded(method: str) -> None:
    z, y = _data()
    calibrator, _ = fit_calibrator(z, y, method)
    grid = np.linspace(-10, 10, 2001)
    pd_ = calibrator.predict(grid)
    assert np.all(np.diff(pd_) >= 0)
    assert pd_.min() >= PD_MIN
    assert pd_.max() <= 1 - PD_MIN
    assert [calibrator.predict_one(float(v)) for v in grid[::50]] == pytest.approx(
        pd_[::50].tolist()
    )


def test_auto_picks_the_map_with_the_lower_cross_fitted_brier() -> None:
    z, y = _data()
    calibrator, scores = fit_calibrator(z, y, "auto", seed=3)
    assert set(scores) == {"platt", "isotonic"}
    assert calibrator.kind == min(scores, key=scores.get)


def test_isotonic_keeps_the_ranking_inside_the_data_range() -> None:
    z, y = _data()
    calibrator, _ = fit_calibrator(z, y, "isotonic")
    inside = np.linspace(min(calibrator.knots_z), max(calibrator.knots_z), 500)
    assert len(np.unique(calibrator.predict(inside))) > 400


def test_calibration_improves_brier_of_a_miscalibrated_score() -> None:
    z, y = _data()
    raw = 1 / (1 + np.exp(-z))
    calibrator, _ = fit_calibrator(z, y, "auto")
    assert brier(y, calibrator.predict(z)) < brier(y, raw)


def test_maps_round_trip_through_json() -> None:
    z, y = _data()
    for method in ("platt", "isotonic"):
        calibrator, _ = fit_calibrator(z, y, method)
        again = Calibrator.from_dict(json.loads(json.dumps(calibrator.to_dict())))
        assert np.array_equal(again.predict(z), calibrator.predict(z))


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        fit_calibrator([0.0, 1.0], [0, 1], "beta")
    assert err.value.code == "CALIBRATION_INVALID"


def test_calibration_never_inverts_the_ranking():
    """Held-out log-odds that run against the labels (an overfit model on few defaults) must
    not flip the order: the map stays increasing and the PDs fall to about the base rate."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=400)
    y = (z < -1.2).astype(int)  # defaults where the model said "safe"
    for method in ("platt", "auto"):
        calibrator, _ = fit_calibrator(z, y, method=method)
        pd_ = calibrator.predict(np.sort(z))
        assert np.all(np.diff(pd_) >= 0)
    platt, _ = fit_calibrator(z, y, method="platt")
    assert abs(float(np.mean(platt.predict(z))) - y.mean()) < 0.02
