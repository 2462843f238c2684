"""The model families: monotone constraints, determinism, sklearn conventions, text artifacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from puhui.errors import ValidationError
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.scorecard import ScorecardCreditModel

from .conftest import FEATURES, quick_gbm


def _sweep(model, table: pd.DataFrame, feature: str, values: np.ndarray) -> np.ndarray:
    """PD of 40 people as ``feature`` runs through ``values`` (rows: people, columns: values)."""
    people = table[FEATURES].head(40)
    out = []
    for value in values:
        varied = people.copy()
        varied[feature] = value
        out.append(model.predict_proba(varied)[:, 1])
    return np.column_stack(out)


@pytest.mark.parametrize("family", ["gbm", "scorecard", "blend"])
def test_pd_never_decreases_when_a_constrained_increasing_feature_increases(
    family: str, table: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    model = request.getfixturevalue(family)
    pd_ = _sweep(model, table, "late", np.arange(0, 12, 0.5))
    assert np.all(np.diff(pd_, axis=1) >= -1e-12)
    assert np.all(pd_[:, -1] > pd_[:, 0])  # the constraint binds a real effect


@pytest.mark.parametrize("family", ["gbm", "scorecard", "blend"])
def test_pd_never_increases_when_a_constrained_decreasing_feature_increases(
    family: str, table: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    model = request.getfixturevalue(family)
    pd_ = _sweep(model, table, "income", np.geomspace(1000, 500000, 40))
    assert np.all(np.diff(pd_, axis=1) <= 1e-12)


@pytest.mark.parametrize("family", ["gbm", "scorecard", "blend"])
def test_models_rank_risk(family: str, table: pd.DataFrame, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(family)
    assert roc_auc_score(table["bad"], model.predict_proba(table[FEATURES])[:, 1]) > 0.7


def test_same_seed_twice_gives_identical_scores(table: pd.DataFrame) -> None:
    first = quick_gbm(seed=5).fit(table[FEATURES], table["bad"])
    second = quick_gbm(seed=5).fit(table[FEATURES], table["bad"])
    assert first.booster_.model_to_string() == second.booster_.model_to_string()
    assert np.array_equal(
        first.predict_proba(table[FEATURES]), second.predict_proba(table[FEATURES])
    )


def test_scorecard_same_seed_twice_gives_identical_scores(table: pd.DataFrame) -> None:
    def fit() -> ScorecardCreditModel:
        return ScorecardCreditModel(categorical_features=["town"], cv_folds=3).fit(
            table[FEATURES], table["bad"]
        )

    assert fit().to_files() == fit().to_files()


@pytest.mark.parametrize("family", ["gbm", "scorecard", "blend"])
def test_text_artifacts_round_trip_to_the_same_predictions(
    family: str, table: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    model = request.getfixturevalue(family)
    files = model.to_files()
    assert all(isinstance(text, str) for text in files.values())
    again = type(model).from_files(files)
    assert np.array_equal(
        again.predict_proba(table[FEATURES]), model.predict_proba(table[FEATURES])
    )


def test_sentinels_are_treated_as_missing(gbm: GBMCreditModel, table: pd.DataFrame) -> None:
    person = table[FEATURES].head(1).copy()
    unknown, missing = person.copy(), person.copy()
    unknown["late"], missing["late"] = 98.0, np.nan
    assert gbm.predict_proba(unknown)[0, 1] == gbm.predict_proba(missing)[0, 1]


def test_estimators_follow_sklearn_conventions(gbm: GBMCreditModel) -> None:
    params = gbm.get_params()
    assert params["random_state"] == 42
    fresh = clone(gbm)
    assert not hasattr(fresh, "booster_")
    assert list(gbm.feature_names_in_) == FEATURES
    assert gbm.classes_.tolist() == [0, 1]
    assert not hasattr(gbm, "score_points")


def test_scorecard_points_table_has_a_row_per_bin(scorecard: ScorecardCreditModel) -> None:
    from puhui.scoring.scale import ScoreScale

    rows = scorecard.points_table(ScoreScale())
    assert {r["feature"] for r in rows} == set(FEATURES)
    assert any(r["bin"] == "缺失 missing" for r in rows)


def test_bad_parameters_and_targets_are_refused(table: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as err:
        GBMCreditModel(monotone_constraints={"nope": 1}).fit(table[FEATURES], table["bad"])
    assert err.value.code == "MODEL_PARAM_INVALID"
    with pytest.raises(ValidationError) as err:
        GBMCreditModel().fit(table[FEATURES], np.zeros(len(table)))
    assert err.value.code == "TARGET_INVALID"
    with pytest.raises(ValidationError) as err:
        GBMCreditModel().fit(table[FEATURES].to_numpy(), table["bad"])
    assert err.value.code == "FEATURES_NOT_A_FRAME"
