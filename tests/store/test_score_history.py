"""The score history in the database (``store.scores``) on SQLite and PostgreSQL: records
round-trip exactly, read back oldest first, and can never be changed or deleted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from puhui.scoring.history import ScoreHistory, ScoreRecord
from puhui.store import scores as score_store
from puhui.store.tables import SCORE_APPEND_ONLY


def record(person: str, points: int, stamp: date | datetime, digest: str = "a" * 64) -> ScoreRecord:
    return ScoreRecord(
        person_key=person,
        scored_at=stamp,
        model_version="county:v0001",
        pd=0.0123456789012345,
        credit_points=points,
        band="B",
        reasons=("bill_late_share_12m", "收入"),
        features_sha256=digest,
    )


def test_records_round_trip_exactly_oldest_first(db):
    stamps = [
        date(2026, 1, 31),
        datetime(2026, 2, 3, 10, 30),  # naive stays naive
        datetime(2026, 2, 28, 18, 0, 5, 123456, tzinfo=timezone(timedelta(hours=8))),
    ]
    written = [record("p1", 700 - 10 * i, s, str(i) * 64) for i, s in enumerate(stamps)]
    with db.write() as conn:
        history: ScoreHistory = score_store.SqlScoreHistory(conn)
        for item in written:
            history.append(item)
        history.append(record("p2", 640, date(2026, 2, 28)))
    with db.read() as conn:
        history = score_store.SqlScoreHistory(conn)
        assert history.for_person("p1") == written
        assert history.latest("p1") == written[-1]
        assert history.latest("nobody") is None
        assert history.for_person("nobody") == []
        latest = score_store.latest_of(conn, ["p1", "p2", "nobody", "p1"])
        assert latest == {"p1": written[-1], "p2": record("p2", 640, date(2026, 2, 28))}
        assert [r.person_key for r in score_store.scored_on(conn, date(2026, 2, 28))] == [
            "p1",
            "p2",
        ]


def test_latest_of_reads_many_people_in_chunks(db):
    people = [f"p{i:05d}" for i in range(score_store.LOOKUP_CHUNK + 5)]
    with db.write() as conn:
        score_store.append_many(conn, [record(p, 600, date(2026, 1, 31)) for p in people])
        score_store.append_many(conn, [record(people[-1], 610, datetime(2026, 2, 1, tzinfo=UTC))])
    with db.read() as conn:
        latest = score_store.latest_of(conn, people)
    assert len(latest) == len(people)
    assert latest[people[-1]].credit_points == 610
    assert latest[people[0]].credit_points == 600


@pytest.mark.parametrize(
    "statement",
    ["UPDATE score_history SET credit_points = 950", "DELETE FROM score_history"],
)
def test_the_score_history_is_append_only(db, statement):
    assert SCORE_APPEND_ONLY == ("score_history",)
    with db.write() as conn:
        score_store.append_many(conn, [record("p1", 700, date(2026, 1, 31))])
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    with db.read() as conn:
        assert score_store.count_records(conn) == 1
        assert score_store.latest_of(conn, ["p1"])["p1"].credit_points == 700
