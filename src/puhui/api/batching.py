"""Serving requests in batches 批量处理 (group commit) — the 310 decision's hot path.

Requests that arrive while a batch is being served wait on the event loop and go together in
the next batch: one trip to the thread pool, and inside it whatever sharing the handler does
(the 310 handler reads every applicant's session and facts in one transaction each and stores
every decision in one write). Under load the batches grow by themselves; a request that finds
nothing in flight is served at once, alone — nothing ever waits for a batch to fill, except
right after a large batch (``gather_s``, below).

Invariants: every submitted item gets exactly one outcome — the handler's for it, in its place,
or, if the handler raised, that exception; at most ``max_in_flight`` batches are served at
once, each of at most ``max_batch`` items, in arrival order; no batch waits longer than
``gather_s`` to start.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from puhui.errors import invariant
from puhui.logs import log_event

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(slots=True)
class BatchStats:
    """What the batches were like (for the benchmark and the tests)."""

    batches: int = 0
    items: int = 0
    largest: int = 0

    @property
    def mean_size(self) -> float:
        return self.items / self.batches if self.batches else 0.0


class Batches(Generic[In, Out]):
    """Submit items one by one; a blocking ``handle`` serves them a batch at a time in the
    thread pool and returns one outcome per item, in order."""

    def __init__(
        self,
        handle: Callable[[Sequence[In]], Sequence[Out]],
        *,
        name: str = "batch",
        max_batch: int = 64,
        max_in_flight: int = 1,
        gather_s: float = 0.0,
        gather_from: int = 8,
    ) -> None:
        """``max_in_flight``: batches served at once. One keeps the tail short: at 64 in flight
        on two workers the 310 apply's p99 was 93–122 ms with one, 138–188 ms with two (two
        batch threads and the event loop contend for the GIL, and the batches halve).
        ``max_batch``: 64 holds a worker's whole share of 64 in flight even when the workers
        hold 33 and 31 connections — with 32, the 33rd connection's request waited a whole
        batch every round (p99 52–59 ms against 45–46 at 32/32).

        ``gather_s`` (like PostgreSQL's ``commit_delay``): after a batch of at least
        ``gather_from`` items — the service is busy — the next one waits up to ``gather_s``
        for as many items as that batch held. Its callers, just answered, are sending their
        next requests; a batch started at once holds the few already waiting and runs while
        the event loop answers and reads the rest, the two contending for the GIL. At 64 in
        flight the 310 batches alternated 2 and 29 items, the 2 taking as long as the 29;
        gathering (5 ms at most) they run full."""
        invariant(max_batch >= 1 and max_in_flight >= 1, "batches hold and run at least one")
        invariant(gather_s >= 0 and gather_from >= 1, "gathering waits a while for some")
        self.handle = handle
        self.name = name
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.gather_s = gather_s
        self.gather_from = gather_from
        self.stats = BatchStats()
        self._waiting: deque[tuple[In, asyncio.Future[Out]]] = deque()
        self._in_flight = 0
        # While a batch gathers: how many it waits for, and the signal that they are here.
        self._gather_to = 0
        self._gathered: asyncio.Event | None = None

    async def submit(self, item: In) -> Out:
        """The item's outcome, once the batch it joined has been served."""
        done: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._gathered is not None and len(self._waiting) >= self._gather_to:
            self._gathered.set()
        if self._in_flight < self.max_in_flight:
            self._in_flight += 1
            asyncio.get_running_loop().create_task(self._serve())
        return await done

    async def _serve(self) -> None:
        try:
            while self._waiting:
                count = min(self.max_batch, len(self._waiting))
                batch = [self._waiting.popleft() for _ in range(count)]
                self.stats.batches += 1
                self.stats.items += count
                self.stats.largest = max(self.stats.largest, count)
                started = time.perf_counter()
                try:
                    outcomes = await run_in_threadpool(self.handle, [item for item, _ in batch])
                    invariant(len(outcomes) == count, "one outcome per item")
                except Exception as error:
                    # Every caller of the batch gets it (mapped once, at the edge, to a 500).
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(error)
                    continue
                finally:
                    # One line per batch (each request has its own too): how full they run.
                    log_event(
                        "batch",
                        name=self.name,
                        size=count,
                        waiting=len(self._waiting),
                        ms=round((time.perf_counter() - started) * 1000, 1),
                    )
                for (_, done), outcome in zip(batch, outcomes, strict=True):
                    if not done.done():  # its caller may have gone (client disconnected)
                        done.set_result(outcome)
                if self.gather_s and count >= self.gather_from:
                    await self._gather(min(count, self.max_batch))
        finally:
            self._in_flight -= 1

    async def _gather(self, items: int) -> None:
        """Wait until ``items`` are waiting, or ``gather_s`` has passed."""
        if len(self._waiting) >= items:
            return
        self._gather_to = items
        self._gathered = asyncio.Event()
        try:
            await asyncio.wait_for(self._gathered.wait(), self.gather_s)
        except TimeoutError:
            pass  # serve what came
        finally:
            self._gathered = None
