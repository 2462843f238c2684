"""``api.batching.Batches``: requests that arrive together are served together, each gets its
own outcome in its place, a failure reaches only its batch, and nothing waits to fill a batch
— except, for at most ``gather_s``, the batch after a busy one."""

from __future__ import annotations

import asyncio
import threading

import pytest

from puhui.api import batching
from puhui.api.batching import Batches


def test_a_lone_request_is_served_at_once_and_alone():
    seen: list[list[int]] = []
    batches = Batches(lambda items: seen.append(list(items)) or [i * 10 for i in items])

    async def one():
        return await batches.submit(7)

    assert asyncio.run(one()) == 70
    assert seen == [[7]]


def test_a_burst_is_served_in_batches_each_item_its_own_outcome():
    sizes: list[int] = []
    gate = threading.Event()

    def handle(items):
        gate.wait(5)  # the first batch holds the thread while the burst arrives
        sizes.append(len(items))
        return [f"out-{i}" for i in items]

    batches = Batches(handle, max_batch=8, max_in_flight=1)

    async def burst():
        calls = [asyncio.ensure_future(batches.submit(i)) for i in range(20)]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*calls)

    assert asyncio.run(burst()) == [f"out-{i}" for i in range(20)]
    assert sizes == [8, 8, 4]  # in arrival order, never more than max_batch
    assert (batches.stats.batches, batches.stats.items, batches.stats.largest) == (3, 20, 8)


def test_a_failing_batch_fails_only_its_own_items():
    def handle(items):
        if 13 in items:
            raise RuntimeError("boom")
        return list(items)

    batches = Batches(handle, max_batch=2, max_in_flight=1)

    async def burst():
        return await asyncio.gather(
            *(batches.submit(i) for i in (1, 12, 13, 14, 15)), return_exceptions=True
        )

    outcomes = asyncio.run(burst())  # batches (1, 12), (13, 14), (15,)
    assert outcomes[:2] == [1, 12]
    assert [type(o) for o in outcomes[2:4]] == [RuntimeError, RuntimeError]
    assert outcomes[4] == 15


def test_a_caller_that_went_away_does_not_stop_the_others():
    gate = threading.Event()

    def handle(items):
        gate.wait(5)
        return list(items)

    batches = Batches(handle, max_batch=4, max_in_flight=1)

    async def burst():
        first = asyncio.ensure_future(batches.submit(0))
        calls = [asyncio.ensure_future(batches.submit(i)) for i in (1, 2, 3)]
        await asyncio.sleep(0.05)
        calls[1].cancel()  # its client disconnected while it waited
        gate.set()
        return await first, await asyncio.gather(*calls, return_exceptions=True)

    first, rest = asyncio.run(burst())
    assert first == 0
    assert rest[0] == 1
    assert isinstance(rest[1], asyncio.CancelledError)
    assert rest[2] == 3


def test_a_handler_must_answer_every_item():
    batches = Batches(lambda items: [], max_batch=4)

    async def one():
        return await batches.submit(1)

    with pytest.raises(Exception, match="one outcome per item"):
        asyncio.run(one())


def test_each_batch_is_logged_with_its_size(monkeypatch):
    logged: list[dict] = []
    monkeypatch.setattr(batching, "log_event", lambda event, **fields: logged.append(fields))
    gate = threading.Event()

    def handle(items):
        gate.wait(5)
        return list(items)

    batches = Batches(handle, name="apply", max_batch=3, max_in_flight=1)

    async def burst():
        calls = [asyncio.ensure_future(batches.submit(i)) for i in range(5)]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*calls)

    assert asyncio.run(burst()) == list(range(5))
    assert [(f["name"], f["size"], f["waiting"]) for f in logged] == [
        ("apply", 3, 2),
        ("apply", 2, 0),
    ]
    assert all(f["ms"] >= 0 for f in logged)


def _busy_then(next_items: list[float], *, gather_s: float, gather_from: int) -> list[int]:
    """Batch sizes when a lone item is followed by a burst of three (a busy batch) and then,
    once the burst is answered, by items arriving ``next_items`` seconds apart."""
    sizes: list[int] = []
    gate = threading.Event()

    def handle(items):
        gate.wait(5)  # the lone item holds the thread while the burst arrives
        sizes.append(len(items))
        return list(items)

    batches = Batches(
        handle, max_batch=8, max_in_flight=1, gather_s=gather_s, gather_from=gather_from
    )

    async def run():
        lone = asyncio.ensure_future(batches.submit(0))
        await asyncio.sleep(0.02)  # its batch has started
        burst = [asyncio.ensure_future(batches.submit(i)) for i in (1, 2, 3)]
        await asyncio.sleep(0.05)
        gate.set()
        await lone
        await asyncio.gather(*burst)
        later = []
        for number, pause_s in enumerate(next_items, start=10):
            later.append(asyncio.ensure_future(batches.submit(number)))
            await asyncio.sleep(pause_s)
        return await asyncio.gather(*later)

    # A generous bound: a gather that did not end when its callers were back would run to
    # its gather_s (30 s) and fail here.
    asyncio.run(asyncio.wait_for(run(), timeout=10))
    return sizes


def test_after_a_busy_batch_the_next_waits_for_its_callers_to_come_back():
    # Without gathering the first caller back would be served alone: sizes 1, 3, 1, 2.
    assert _busy_then([0.02, 0.02, 0.0], gather_s=30, gather_from=3) == [1, 3, 3]


def test_a_gathering_batch_starts_with_what_came_once_gather_s_has_passed():
    assert _busy_then([0.3, 0.0], gather_s=0.05, gather_from=3) == [1, 3, 1, 1]


def test_a_batch_smaller_than_gather_from_does_not_make_the_next_wait():
    assert _busy_then([0.3, 0.0], gather_s=30, gather_from=4) == [1, 3, 1, 1]
