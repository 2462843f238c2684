"""Storage of feature snapshots 特征快照: one JSON object per person and as-of date.

Owns every SQL statement over ``feature_build`` and ``feature_snapshot``. A build replaces the
snapshot rows of its as-of date in one transaction, so a reader sees either the old build or
the new one, never a mix; withdrawn people simply get no new row. The read path for the 310
decision is one primary-key lookup (:func:`latest`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    delete,
    func,
    insert,
    select,
)

from puhui.store.rows import insert_frame
from puhui.store.tables import feature_build, feature_snapshot


@dataclass(frozen=True, slots=True)
class Snapshot:
    person_key: str
    as_of: date
    build_id: int
    features: dict[str, float | None]


def replace_build(
    conn: Connection,
    as_of: date,
    built_at: datetime,
    version: str,
    feature_names: list[str],
    person_keys: list[str],
    json_rows: list[str],
    refused_no_consent: int,
    last_batch_id: int | None,
) -> int:
    """Record a build and make its rows the snapshot of ``as_of``; returns the build id."""
    build_id = int(
        conn.execute(
            insert(feature_build).values(
                as_of=as_of,
                built_at=built_at,
                feature_version=version,
                persons=len(person_keys),
                refused_no_consent=refused_no_consent,
                last_batch_id=last_batch_id,
                feature_names=",".join(feature_names),
            )
        ).inserted_primary_key[0]
    )
    conn.execute(delete(feature_snapshot).where(feature_snapshot.c.as_of == as_of))
    insert_frame(
        conn,
        feature_snapshot,
        pd.DataFrame(
            {
                "person_key": person_keys,
                "as_of": pd.Timestamp(as_of),
                "build_id": build_id,
                "features": json_rows,
            }
        ),
    )
    return build_id


def newest_snapshot_of(person_key: ColumnElement[str]) -> ColumnElement[bool]:
    """The condition that picks a person's newest snapshot out of ``feature_snapshot`` (for
    :func:`latest`, and for statements that join it to other facts: the 310 decision's)."""
    newer = feature_snapshot.alias("newer")
    newest = select(func.max(newer.c.as_of)).where(newer.c.person_key == person_key)
    return (feature_snapshot.c.person_key == person_key) & (
        feature_snapshot.c.as_of == newest.scalar_subquery()
    )


def newest_snapshot(person_key: ColumnElement[str]) -> Select[tuple[date, int, str]]:
    """The statement for a person's newest snapshot (as of, build id, features JSON)."""
    return select(
        feature_snapshot.c.as_of, feature_snapshot.c.build_id, feature_snapshot.c.features
    ).where(newest_snapshot_of(person_key))


_LATEST = newest_snapshot(bindparam("person_key", type_=String))


def latest(conn: Connection, person_key: str) -> Snapshot | None:
    """The person's snapshot with the newest as-of date, if any."""
    row = conn.execute(_LATEST, {"person_key": person_key}).first()
    if row is None:
        return None
    return Snapshot(person_key, row.as_of, int(row.build_id), json.loads(row.features))


def snapshot_count(conn: Connection, as_of: date | None = None) -> int:
    query = select(func.count()).select_from(feature_snapshot)
    if as_of is not None:
        query = query.where(feature_snapshot.c.as_of == as_of)
    return int(conn.execute(query).scalar_one())


def put_person(
    conn: Connection,
    person_key: str,
    as_of: date,
    built_at: datetime,
    version: str,
    feature_names: list[str],
    json_row: str,
    last_batch_id: int | None,
) -> Snapshot:
    """Store one person's snapshot of ``as_of`` (computed on demand), replacing theirs."""
    build_id = int(
        conn.execute(
            insert(feature_build).values(
                as_of=as_of,
                built_at=built_at,
                feature_version=version,
                persons=1,
                refused_no_consent=0,
                last_batch_id=last_batch_id,
                feature_names=",".join(feature_names),
            )
        ).inserted_primary_key[0]
    )
    conn.execute(
        delete(feature_snapshot).where(
            (feature_snapshot.c.person_key == person_key) & (feature_snapshot.c.as_of == as_of)
        )
    )
    conn.execute(
        insert(feature_snapshot).values(
            person_key=person_key, as_of=as_of, build_id=build_id, features=json_row
        )
    )
    return Snapshot(person_key, as_of, build_id, json.loads(json_row))


def persons_of_build(conn: Connection, as_of: date | None) -> list[str]:
    """Person keys with a snapshot of ``as_of`` (any date when None)."""
    query = select(feature_snapshot.c.person_key).distinct()
    if as_of is not None:
        query = query.where(feature_snapshot.c.as_of == as_of)
    return list(conn.execute(query).scalars())
