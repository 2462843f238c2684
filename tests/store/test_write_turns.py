"""On SQLite, writers of one process take turns before they touch the database
(``Database.write``).

A server runs requests on a pool of threads. Writes are serialised by SQLite anyway; a thread
waiting for its turn must not poll in SQLite's busy handler meanwhile (it sleeps up to 100 ms
between tries, which made the p99 of 310 decisions 4 × worse at 16 in flight).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from puhui.store.db import Database
from puhui.store.tables import system_state

#: How long the test lets the second writer try to get in while the first holds its turn.
WAIT_S = 0.5


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_waiting_sqlite_writer_waits_for_its_turn_before_touching_the_database(db: Database):
    inside, release = threading.Event(), threading.Event()
    second_done: list[str] = []

    def first() -> None:
        with db.write() as conn:
            conn.execute(select(system_state.c.business_date))
            inside.set()
            release.wait(timeout=30)

    def second() -> None:
        with db.write() as conn:
            conn.execute(select(system_state.c.business_date))
        second_done.append("written")

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(timeout=30)
    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(timeout=WAIT_S)
    try:
        assert waiter.is_alive(), "the second writer got in while the first held the write"
        assert db.engine.pool.checkedout() == 1  # only the first writer's connection
    finally:
        release.set()
        holder.join(timeout=30)
        waiter.join(timeout=30)
    assert second_done == ["written"]
