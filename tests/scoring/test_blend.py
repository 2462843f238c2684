"""The blend family: members averaged on calibrated log-odds, additive reasons, text artifacts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from puhui.errors import ValidationError
from puhui.scoring.blend import (
    WEIGHT_GRID,
    BlendCreditModel,
    calibrated_log_odds,
    secant_slopes,
)
from puhui.scoring.calibration import Calibrator
from puhui.scoring.reasons import ReasonWriter
from puhui.scoring.registry import ModelRegistry
from puhui.scoring.scale import ScoreScale
from puhui.scoring.scorer import Scorer, ScoringSpec

from .conftest import FEATURES, make_table, quick_blend

SPEC = ScoringSpec(ScoreScale(), ReasonWriter({}, {}), reasons_top_k=3)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def make_mixed_table(n: int = 4000, seed: int = 3) -> pd.DataFrame:
    """Risk with an additive part (income, town) and an interaction (age × late payments):
    the scorecard reads the first well, the trees the second."""
    frame = make_table(n=n, seed=seed)
    rng = np.random.default_rng(seed + 100)
    late = frame["late"].where(frame["late"] < 90, 1.0)
    young = frame["age"] < 35
    logit = (
        -1.3
        - 0.8 * np.log(frame["income"].fillna(20000) / 20000)
        + 1.5 * (young & (late >= 1))
        - 1.0 * (~young & (late == 0))
        + 0.4 * (frame["town"] == "南村")
    )
    frame["bad"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


@pytest.fixture(scope="module")
def mixed() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = make_mixed_table()
    return frame.iloc[:2400], frame.iloc[2400:]


@pytest.fixture(scope="module")
def mixed_blend(mixed: tuple[pd.DataFrame, pd.DataFrame]) -> BlendCreditModel:
    train, _ = mixed
    return quick_blend().fit(train[FEATURES], train["bad"])


def test_blend_ranks_held_out_people_at_least_as_well_as_its_weaker_member(
    mixed_blend: BlendCreditModel, mixed: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    _, test = mixed
    auc = {
        name: roc_auc_score(test["bad"], model.predict_proba(test[FEATURES])[:, 1])
        for name, model in (
            ("lightgbm", mixed_blend.gbm_),
            ("scorecard", mixed_blend.scorecard_),
            ("blend", mixed_blend),
        )
    }
    assert auc["lightgbm"] > 0.65  # both members carry signal
    assert auc["scorecard"] > 0.65
    assert 0 < mixed_blend.weight_gbm_ < 1  # and both are used
    assert auc["blend"] >= min(auc["lightgbm"], auc["scorecard"])
    pd_ = mixed_blend.predict_proba(test[FEATURES])
    assert np.all((pd_ >= 0) & (pd_ <= 1))
    assert np.allclose(pd_.sum(axis=1), 1.0)


def test_blend_log_odds_are_the_weighted_calibrated_log_odds_of_its_members(
    mixed_blend: BlendCreditModel, mixed: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    x = mixed[1][FEATURES]
    w = mixed_blend.weight_gbm_
    expected = w * _logit(mixed_blend.gbm_.predict_proba(x)[:, 1]) + (1 - w) * _logit(
        mixed_blend.scorecard_.predict_proba(x)[:, 1]
    )
    assert np.allclose(mixed_blend.decision_function(x), expected, rtol=0, atol=1e-9)
    assert np.array_equal(
        mixed_blend.predict_proba(x)[:, 1],
        mixed_blend.calibrator_.predict(mixed_blend.decision_function(x)),
    )


def test_auto_weight_is_the_grid_weight_with_the_best_out_of_fold_auc(
    mixed_blend: BlendCreditModel,
) -> None:
    by_weight = mixed_blend.oof_auc_by_weight_
    assert tuple(by_weight) == WEIGHT_GRID
    assert by_weight[mixed_blend.weight_gbm_] == max(by_weight.values())
    assert mixed_blend.oof_auc_ == pytest.approx(by_weight[mixed_blend.weight_gbm_])
    # the blend's out-of-fold AUC is at least that of either member alone (weights 0 and 1)
    assert mixed_blend.oof_auc_ >= max(by_weight[0.0], by_weight[1.0])


def test_blend_contributions_add_up_to_its_log_odds_from_one_baseline(
    mixed_blend: BlendCreditModel, mixed: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    matrix = mixed_blend.encoder_.encode_frame(mixed[1][FEATURES])
    z = mixed_blend.raw_log_odds(matrix)
    contributions = mixed_blend.risk_contributions(matrix)
    baseline = z - contributions.sum(axis=1)
    assert np.ptp(baseline) < 1e-9
    assert np.ptp(z) > 1.0  # people differ, so the check above is not vacuous
    for i in range(20):
        ((raw_one, contrib_one),) = mixed_blend.raw_and_contributions(matrix[i : i + 1])
        assert raw_one == pytest.approx(z[i], abs=1e-9)
        assert contrib_one == pytest.approx(contributions[i].tolist(), abs=1e-9)


def test_blend_contributions_are_the_members_scaled_by_their_secant_slopes(
    mixed_blend: BlendCreditModel, mixed: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    matrix = mixed_blend.encoder_.encode_frame(mixed[1][FEATURES].head(50))
    expected = np.zeros(matrix.shape)
    for member, weight in (
        (mixed_blend.gbm_, mixed_blend.weight_gbm_),
        (mixed_blend.scorecard_, 1 - mixed_blend.weight_gbm_),
    ):
        raw = member.raw_log_odds(matrix)
        own = member.risk_contributions(matrix)
        calibrated = calibrated_log_odds(member.calibrator_, raw)
        at_base = calibrated_log_odds(member.calibrator_, raw - own.sum(axis=1))
        expected += (weight * (calibrated - at_base) / own.sum(axis=1))[:, None] * own
    assert np.allclose(mixed_blend.risk_contributions(matrix), expected, rtol=1e-7, atol=1e-9)


def test_secant_slope_of_a_platt_map_is_its_slope_and_of_an_isotonic_map_its_chord() -> None:
    platt = Calibrator("platt", slope=0.8, intercept=-0.3)
    base = np.array([-1.0, -1.0, 0.5, 0.5])
    z = np.array([1.0, -1.0, -2.0, 0.5 + 1e-15])
    assert np.allclose(secant_slopes(platt, base, z), 0.8, atol=1e-6)
    isotonic = Calibrator("isotonic", knots_z=(-2.0, 0.0, 2.0), knots_pd=(0.05, 0.2, 0.6))
    slopes = secant_slopes(isotonic, base, z)
    apart = [0, 2]
    chord = (_logit(isotonic.predict(z[apart])) - _logit(isotonic.predict(base[apart]))) / (
        z[apart] - base[apart]
    )
    assert np.allclose(slopes[apart], chord)
    assert slopes[1] > 0  # z == base: the local slope, not 0/0
    flat = secant_slopes(isotonic, np.array([3.0]), np.array([5.0]))
    assert flat.tolist() == [0.0]  # beyond the last knot the map is flat: no contribution


def test_blend_text_artifacts_round_trip_to_identical_scores_and_reasons(
    blend: BlendCreditModel, table: pd.DataFrame, tmp_path: Path
) -> None:
    files = blend.to_files()
    assert all(isinstance(text, str) for text in files.values())
    assert {"lightgbm_model.txt", "scorecard_scorecard.json", "encoder.json"} <= set(files)
    again = BlendCreditModel.from_files(files)
    x = table[FEATURES]
    assert np.array_equal(again.predict_proba(x), blend.predict_proba(x))
    assert again.to_files() == files

    registry = ModelRegistry(tmp_path / "models")
    created = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    registry.register("demo", {**files, "scoring.json": SPEC.to_json()}, created_at=created)
    loaded = registry.load_scorer("demo")
    assert isinstance(loaded.model, BlendCreditModel)
    direct = Scorer(blend, SPEC, "demo:v0001")
    frame = x.head(300)
    pd.testing.assert_frame_equal(
        loaded.score_batch(frame, with_reasons=True), direct.score_batch(frame, with_reasons=True)
    )


def test_same_seed_twice_gives_identical_blend_files(table: pd.DataFrame) -> None:
    x, y = table[FEATURES].head(1500), table["bad"].head(1500)
    first = quick_blend(seed=5, weight_gbm=0.3).fit(x, y)
    second = quick_blend(seed=5, weight_gbm=0.3).fit(x, y)
    assert first.weight_gbm_ == 0.3  # a fixed weight is kept, not searched
    assert first.to_files() == second.to_files()
    assert np.array_equal(first.predict_proba(x), second.predict_proba(x))


@pytest.mark.parametrize("weight", [1.5, -0.1, "half", True, None, float("nan")])
def test_a_bad_weight_is_refused_before_anything_is_fitted(
    weight: object, table: pd.DataFrame
) -> None:
    model = quick_blend(weight_gbm=weight)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as err:
        model.fit(table[FEATURES], table["bad"])
    assert err.value.code == "MODEL_PARAM_INVALID"
    assert "`weight_gbm`" in err.value.message_en
    assert not hasattr(model, "gbm_")
