"""Score history: re-scoring on changed features appends; records are plain and durable."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from puhui.errors import ValidationError
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.history import (
    GrantScore,
    JsonlScoreHistory,
    ScoreHistory,
    features_sha256,
    rescore,
    rescore_many,
)
from puhui.scoring.reasons import ReasonWriter
from puhui.scoring.scale import ScoreScale
from puhui.scoring.scorer import Scorer, ScoringSpec

PERSON = {"income": 6000.0, "late": 1.0, "age": 35.0, "town": "西村"}
D1, D2 = date(2026, 10, 31), date(2026, 11, 30)


@pytest.fixture
def scorer(gbm: GBMCreditModel) -> Scorer:
    return Scorer(gbm, ScoringSpec(ScoreScale(), ReasonWriter({}, {})), "demo:v0001")


def test_rescoring_appends_only_when_features_change(scorer: Scorer, tmp_path: Path) -> None:
    check_the_port(scorer, JsonlScoreHistory(tmp_path / "scores.jsonl"))


def test_the_database_history_keeps_the_same_contract(scorer: Scorer, db) -> None:
    from puhui.store.scores import SqlScoreHistory

    with db.write() as conn:
        check_the_port(scorer, SqlScoreHistory(conn))


def check_the_port(scorer: Scorer, history: ScoreHistory) -> None:
    _, appended = rescore(scorer, history, "p-1", PERSON, date(2026, 11, 1))
    assert appended
    _, appended = rescore(scorer, history, "p-1", dict(PERSON), date(2026, 11, 2))
    assert not appended
    worse = {**PERSON, "late": 4.0}
    result, appended = rescore(scorer, history, "p-1", worse, datetime(2026, 11, 3, 10, 30))
    assert appended
    records = history.for_person("p-1")
    assert [r.scored_at for r in records] == [date(2026, 11, 1), datetime(2026, 11, 3, 10, 30)]
    assert records[-1].credit_points == result.credit_points
    assert records[-1].credit_points < records[0].credit_points
    assert records[-1].reasons == tuple(r.feature for r in result.reasons)
    assert history.for_person("p-2") == []
    assert history.latest("p-2") is None


def test_a_torn_last_line_is_ignored_and_a_corrupt_line_is_named(
    scorer: Scorer, tmp_path: Path
) -> None:
    path = tmp_path / "scores.jsonl"
    history = JsonlScoreHistory(path)
    rescore(scorer, history, "p-1", PERSON, date(2026, 11, 1))
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"person_key": "p-1", "scor')
    assert len(history.for_person("p-1")) == 1
    path.write_text("not json\n" + path.read_text("utf-8"), "utf-8")
    with pytest.raises(ValidationError) as err:
        history.for_person("p-1")
    assert err.value.code == "SCORE_HISTORY_CORRUPT"
    assert "line 1" in err.value.message_en


def test_rescore_many_agrees_with_rescore_person_by_person(scorer: Scorer, tmp_path: Path) -> None:
    people = {
        "p-b": {**PERSON, "late": 3.0},
        "p-a": PERSON,
        "p-c": {**PERSON, "income": None, "town": "南村"},
    }
    many = rescore_many(scorer, people, {}, date(2026, 11, 30))
    assert [r.record.person_key for r in many] == ["p-a", "p-b", "p-c"]
    history = JsonlScoreHistory(tmp_path / "one-by-one.jsonl")
    for rescored in many:
        key = rescored.record.person_key
        rescore(scorer, history, key, people[key], date(2026, 11, 30))
        assert rescored.record == history.latest(key)
        assert rescored.points_before is None  # nothing earlier to compare with


def test_rescore_many_skips_the_unchanged_and_compares_within_one_model(scorer: Scorer) -> None:
    first = {r.record.person_key: r.record for r in rescore_many(scorer, {"p": PERSON}, {}, D1)}
    assert rescore_many(scorer, {"p": dict(PERSON)}, first, D2) == []  # same features, same model

    worse = {"p": {**PERSON, "late": 4.0}}
    (moved,) = rescore_many(scorer, worse, first, D2)
    assert moved.points_before == first["p"].credit_points
    assert moved.record.credit_points < first["p"].credit_points
    assert moved.record.scored_at == D2

    # Before any record, the score the line was granted on is the comparison.
    granted = GrantScore("demo:v0001", 900, features_sha256(PERSON))
    assert rescore_many(scorer, {"p": PERSON}, {"p": granted}, D1) == []
    (since_grant,) = rescore_many(scorer, worse, {"p": granted}, D2)
    assert since_grant.points_before == 900

    # A new champion re-bases the score: recorded, but not a change in behaviour.
    other = Scorer(scorer.model, scorer.spec, "demo:v0002")
    (rebased,) = rescore_many(other, {"p": PERSON}, first, D2)
    assert rebased.record.model_version == "demo:v0002"
    assert rebased.points_before is None


def test_rescore_many_refuses_features_the_model_does_not_have(scorer: Scorer) -> None:
    with pytest.raises(ValidationError) as err:
        rescore_many(scorer, {"p": {**PERSON, "shoe_size": 42.0}}, {}, D1)
    assert err.value.code == "FEATURE_UNEXPECTED"
