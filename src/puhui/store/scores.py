"""Score history in the database 评分历史 (``score_history``): the ``ScoreHistory`` port.

Owns every SQL statement over ``score_history``. Rows are only inserted (triggers refuse
UPDATE and DELETE); a person's records read back oldest first, in insertion order.
:class:`SqlScoreHistory` implements :class:`puhui.scoring.history.ScoreHistory` inside the
caller's transaction (the caller is the unit of work); :func:`append_many` and
:func:`latest_of` are the set-based forms the re-scoring run uses.

A record round-trips exactly: ``scored_at`` is kept as the ISO text of the date or datetime
given (with or without a zone), ``reasons`` as a JSON array.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from puhui.scoring.history import ScoreRecord
from puhui.store.tables import score_history

#: Person keys per ``IN (…)`` lookup.
LOOKUP_CHUNK = 1000


def _row(record: ScoreRecord) -> dict[str, Any]:
    stamp = record.scored_at
    return {
        "person_key": record.person_key,
        "scored_on": stamp.date() if isinstance(stamp, datetime) else stamp,
        "scored_at": stamp.isoformat(),
        "model_version": record.model_version,
        "pd": float(record.pd),
        "credit_points": int(record.credit_points),
        "band": record.band,
        "reasons": json.dumps(list(record.reasons), ensure_ascii=False),
        "features_sha256": record.features_sha256,
    }


def _record(row: Any) -> ScoreRecord:
    stamp = str(row.scored_at)
    scored_at: date | datetime = (
        datetime.fromisoformat(stamp) if "T" in stamp else date.fromisoformat(stamp)
    )
    return ScoreRecord(
        person_key=row.person_key,
        scored_at=scored_at,
        model_version=row.model_version,
        pd=float(row.pd),
        credit_points=int(row.credit_points),
        band=row.band,
        reasons=tuple(json.loads(row.reasons)),
        features_sha256=row.features_sha256,
    )


def append_many(conn: Connection, records: Iterable[ScoreRecord]) -> int:
    """Append ``records`` in order; returns how many."""
    rows = [_row(r) for r in records]
    if rows:
        conn.execute(insert(score_history), rows)
    return len(rows)


def for_person(conn: Connection, person_key: str) -> list[ScoreRecord]:
    query = (
        select(score_history)
        .where(score_history.c.person_key == person_key)
        .order_by(score_history.c.id)
    )
    return [_record(row) for row in conn.execute(query)]


def latest_of(conn: Connection, person_keys: Sequence[str]) -> dict[str, ScoreRecord]:
    """The newest record of each of ``person_keys`` that has one."""
    found: dict[str, ScoreRecord] = {}
    keys = list(dict.fromkeys(person_keys))
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        newest = (
            select(func.max(score_history.c.id))
            .where(score_history.c.person_key.in_(chunk))
            .group_by(score_history.c.person_key)
        )
        query = select(score_history).where(score_history.c.id.in_(newest))
        found.update({row.person_key: _record(row) for row in conn.execute(query)})
    return found


def scored_on(conn: Connection, day: date) -> list[ScoreRecord]:
    """Every record stamped ``day``, in insertion order."""
    query = (
        select(score_history).where(score_history.c.scored_on == day).order_by(score_history.c.id)
    )
    return [_record(row) for row in conn.execute(query)]


def count_records(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(score_history)).scalar_one())


class SqlScoreHistory:
    """The score history port over ``score_history``, in the transaction of ``conn``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, record: ScoreRecord) -> None:
        append_many(self.conn, [record])

    def for_person(self, person_key: str) -> list[ScoreRecord]:
        return for_person(self.conn, person_key)

    def latest(self, person_key: str) -> ScoreRecord | None:
        return latest_of(self.conn, [person_key]).get(person_key)
