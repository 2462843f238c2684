"""Writers of one process take turns before they touch the database (``Database.write``).

A server runs requests on a pool of threads. Writes are serialised by the database anyway; a
thread waiting for its turn must not hold a pooled connection meanwhile (readers would starve)
nor poll in SQLite's busy handler (it sleeps up to 100 ms between tries).
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from puhui.store.db import Database
from puhui.store.tables import system_state

#: How long the test lets the second writer try to get in while the first holds its turn.
WAIT_S = 0.5


def test_a_waiting_writer_holds_no_connection_until_its_turn(db: Database):
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
