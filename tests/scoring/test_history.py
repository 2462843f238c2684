"""Score history: re-scoring on changed features appends; records are plain and durable."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from puhui.errors import ValidationError
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.history import JsonlScoreHistory, ScoreHistory, rescore
from puhui.scoring.reasons import ReasonWriter
from puhui.scoring.scale import ScoreScale
from puhui.scoring.scorer import Scorer, ScoringSpec

PERSON = {"income": 6000.0, "late": 1.0, "age": 35.0, "town": "西村"}


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
