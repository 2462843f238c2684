"""Scoring one person and a batch: agreement, reason codes, clear errors on bad columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from puhui.errors import ValidationError
from puhui.scoring.config import ReasonText
from puhui.scoring.reasons import ReasonWriter, top_reason_indices, top_reason_matrix
from puhui.scoring.scale import ScoreScale
from puhui.scoring.scorer import Scorer, ScoringSpec

from .conftest import FEATURES

SPEC = ScoringSpec(
    scale=ScoreScale(),
    reasons=ReasonWriter(
        texts={"late": ReasonText(zh="近期逾期 {value} 次", en="{value} recent late payments")},
        labels_zh={"income": "月收入"},
    ),
    reasons_top_k=3,
)
PERSON = {"income": 6000.0, "late": 3.0, "age": 25.0, "town": "南村"}


@pytest.fixture(params=["gbm", "scorecard", "blend"])
def scorer(request: pytest.FixtureRequest) -> Scorer:
    return Scorer(request.getfixturevalue(request.param), SPEC, "demo:v0001")


def test_score_one_gives_pd_points_band_reasons_and_version(scorer: Scorer) -> None:
    result = scorer.score_one(PERSON)
    assert 0 < result.pd < 1
    assert 350 <= result.credit_points <= 950
    assert result.band in ("A", "B", "C", "D", "E")
    assert result.band == SPEC.scale.band(result.credit_points)
    assert result.model_version == "demo:v0001"
    assert result.reasons
    assert result.reasons[0].feature == "late"


def test_single_row_and_batch_agree(scorer: Scorer, table: pd.DataFrame) -> None:
    frame = table[FEATURES].head(200)
    batch = scorer.score_batch(frame, with_reasons=True)
    for i, record in enumerate(frame.to_dict("records")):
        person = {k: (None if pd.isna(v) else v) for k, v in record.items()}
        one = scorer.score_one(person)
        row = batch.iloc[i]
        assert one.pd == pytest.approx(row["pd"], rel=1e-9, abs=1e-12)
        assert one.credit_points == row["credit_points"]
        assert one.band == row["band"]
        codes = [row[f"reason_{k}"] for k in (1, 2, 3)]
        assert [r.feature for r in one.reasons] == [c for c in codes if c]


def test_a_batch_gives_each_person_exactly_what_they_get_alone(
    scorer: Scorer, table: pd.DataFrame
) -> None:
    # The 310 path scores applicants in batches; replay scores one — they must agree bit for
    # bit (==, not approx), whoever else is in the batch and wherever the person sits in it.
    people = [
        {k: (None if pd.isna(v) else v) for k, v in record.items()}
        for record in table[FEATURES].head(60).to_dict("records")
    ]
    alone = [scorer.score_one(person) for person in people]
    assert scorer.score_many(people) == alone
    assert scorer.score_many(people[::-1]) == alone[::-1]
    assert scorer.score_many(people[7:9]) == alone[7:9]
    assert len({r.pd for r in alone}) > 30  # people differ: the comparison is not vacuous
    assert scorer.score_many([]) == []


def test_reason_codes_are_the_factors_with_the_most_negative_effect_on_the_score(
    scorer: Scorer,
) -> None:
    row = scorer.model.encoder_.encode_row(PERSON)
    contributions = scorer.model.risk_contributions(row)[0]
    result = scorer.score_one(PERSON)
    positive = [(c, f) for c, f in zip(contributions, FEATURES, strict=True) if c > 0]
    expected = [f for _, f in sorted(positive, key=lambda cf: -cf[0])][:3]
    assert [r.feature for r in result.reasons] == expected
    impacts = [r.impact_log_odds for r in result.reasons]
    assert impacts == sorted(impacts, reverse=True)
    assert all(i > 0 for i in impacts)


def test_reason_sentences_use_config_texts_with_a_generic_fallback(scorer: Scorer) -> None:
    reasons = {r.feature: r for r in scorer.score_one(PERSON).reasons}
    assert reasons["late"].text_zh == "近期逾期 3 次"
    assert reasons["late"].text_en == "3 recent late payments"
    others = [r for f, r in reasons.items() if f != "late"]
    for reason in others:
        assert "拉低了评分" in reason.text_zh
        assert "lowered the score" in reason.text_en
    if "income" in reasons:
        assert reasons["income"].text_zh.startswith("“月收入”")


def test_top_reason_helpers_agree_and_skip_non_positive_factors() -> None:
    contributions = np.array([[0.1, -0.5, 0.3, 0.3], [-1.0, -2.0, 0.0, -0.1]])
    assert top_reason_indices(contributions[0].tolist(), 3) == [2, 3, 0]
    assert top_reason_indices(contributions[1].tolist(), 3) == []
    assert top_reason_matrix(contributions, 3).tolist() == [[2, 3, 0], [-1, -1, -1]]


@pytest.mark.parametrize(
    ("person", "code", "column"),
    [
        ({"income": 1.0, "late": 0.0, "age": 30.0}, "FEATURE_MISSING", "town"),
        ({**PERSON, "gender": "F"}, "FEATURE_UNEXPECTED", "gender"),
        ({**PERSON, "age": "thirty"}, "FEATURE_TYPE", "age"),
        ({**PERSON, "late": True}, "FEATURE_TYPE", "late"),
    ],
)
def test_bad_columns_in_one_person_name_the_column(
    scorer: Scorer, person: dict, code: str, column: str
) -> None:
    with pytest.raises(ValidationError) as err:
        scorer.score_one(person)
    assert err.value.code == code
    assert f"`{column}`" in err.value.message_en
    assert f"`{column}`" in err.value.message_zh


def test_bad_columns_in_a_batch_name_the_column(scorer: Scorer, table: pd.DataFrame) -> None:
    frame = table[FEATURES].head(5)
    cases = [
        (frame.drop(columns=["age"]), "FEATURE_MISSING", "age"),
        (frame.assign(gender="F"), "FEATURE_UNEXPECTED", "gender"),
        (frame.assign(income=["x", "1", "2", "3", "4"]), "FEATURE_TYPE", "income"),
    ]
    for bad, code, column in cases:
        with pytest.raises(ValidationError) as err:
            scorer.score_batch(bad)
        assert err.value.code == code
        assert f"`{column}`" in err.value.message_en


def test_unseen_category_and_missing_values_score_as_missing(scorer: Scorer) -> None:
    result = scorer.score_one({**PERSON, "town": "北村", "income": None})
    assert 350 <= result.credit_points <= 950


def test_numeric_categories_match_whatever_number_type_arrives(table: pd.DataFrame) -> None:
    from puhui.scoring.encoding import FeatureEncoder

    frame = pd.DataFrame({"region": [1.0, 2.0, np.nan, 3.0]})
    encoder = FeatureEncoder.fit(frame, ["region"], categorical=["region"])
    assert encoder.encode_row({"region": 2})[0, 0] == encoder.encode_row({"region": "2"})[0, 0]
    assert encoder.encode_row({"region": 2.0})[0, 0] == encoder.encode_frame(frame)[1, 0]
    assert np.isnan(encoder.encode_row({"region": 9})[0, 0])
