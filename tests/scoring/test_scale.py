"""Score scale: points monotone in PD, clipped to 350–950, bands stable and named A–E."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.errors import ValidationError
from puhui.products.catalogue import BANDS as CATALOGUE_BANDS
from puhui.scoring.scale import BANDS, ScoreScale

SCALE = ScoreScale()
pds = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(pds, pds)
def test_points_never_increase_when_pd_increases(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert SCALE.point_from_pd(low) >= SCALE.point_from_pd(high)


@given(pds)
def test_points_are_clipped_to_the_range(pd_: float) -> None:
    assert 350 <= SCALE.point_from_pd(pd_) <= 950


@given(st.lists(pds, min_size=1, max_size=50))
def test_vectorised_points_and_bands_equal_the_single_row_path(values: list[float]) -> None:
    points = SCALE.points_from_pd(values)
    assert points.tolist() == [SCALE.point_from_pd(v) for v in values]
    assert SCALE.bands(points).tolist() == [SCALE.band(int(p)) for p in points]


def test_documented_anchor_points() -> None:
    assert SCALE.point_from_pd(1 / 21) == 650  # base odds 20:1
    assert SCALE.point_from_pd(1 / 41) == 700  # doubling the odds adds PDO = 50
    assert SCALE.point_from_pd(0.99) == 350
    assert SCALE.point_from_pd(1e-6) == 950
    assert math.isclose(SCALE.pd_at_points(650), 1 / 21)


def test_bands_are_the_catalogue_bands_and_stable_at_the_cuts() -> None:
    assert BANDS == CATALOGUE_BANDS == ("A", "B", "C", "D", "E")
    cuts = {"A": 750, "B": 700, "C": 650, "D": 600}
    for band, cut in cuts.items():
        assert SCALE.band(cut) == band
        assert SCALE.band(cut - 1) != band
    assert SCALE.band(350) == "E"
    assert SCALE.band(950) == "A"
    bands = SCALE.bands(np.arange(350, 951))
    order = [BANDS.index(b) for b in bands]
    assert order == sorted(order, reverse=True)  # better points never give a worse band


def test_invalid_scale_is_refused_with_every_problem() -> None:
    with pytest.raises(ValidationError) as err:
        ScoreScale(pdo=-1, band_cuts={"A": 600, "B": 700, "C": 650, "D": 600})
    assert err.value.code == "SCORE_SCALE_INVALID"
    assert "pdo" in err.value.message_en
    assert "strictly decrease" in err.value.message_en


def test_scale_round_trips_through_json() -> None:
    scale = ScoreScale(base_points=600, base_odds=30, pdo=40)
    assert ScoreScale.from_dict(scale.to_dict()) == scale
