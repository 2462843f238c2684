"""A small closed-loop HTTP/1.1 load generator for the server benchmarks (loopback only).

``run_level`` is meant to run in its own process (the benchmark starts it with
``multiprocessing``'s spawn), so the generator never shares an interpreter — or a GIL — with
the server or the benchmark's bookkeeping. It opens ``concurrency`` keep-alive connections to
127.0.0.1 (each, optionally, used once for a ``warm`` request before the clock starts) and
each connection sends the next prepared request as soon as its previous answer has arrived,
until every request was sent or ``max_seconds`` passed (closed loop: latency is the server's
answer time under that many requests in flight).

The client is plain ``asyncio`` streams with prebuilt request bytes rather than httpx: on a
2-core machine the generator's own CPU time is taken from the server, and the thinner the
client, the less it inflates the figures (the no-op floor especially). Only what the puhui
server sends is parsed: a status line, headers, a ``Content-Length`` or chunked body.

Standard library only (uvloop when installed). A spawned process still imports the parent's
main module; its collector made no pause over 1 ms during a level (measured).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"
#: One request may take at most this long before it counts as an error.
REQUEST_TIMEOUT_S = 30.0
#: Error messages kept verbatim (the rest are only counted).
ERROR_SAMPLES_MAX = 5
#: Largest response body accepted (a decision is ~1.5 KB).
BODY_MAX_BYTES = 1_000_000


def http_request(
    method: str, path: str, port: int, headers: dict[str, str], body: bytes = b""
) -> bytes:
    """The bytes of one HTTP/1.1 keep-alive request to the loopback server."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


@dataclass
class LevelResult:
    """What one level measured; latencies in milliseconds, client side, send → last byte."""

    concurrency: int
    planned: int
    sent: int = 0
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    #: CPU time of the generator process during the level (its cost on the shared cores).
    client_cpu_s: float = 0.0
    stopped_by_time: bool = False
    decision_id_min: int | None = None
    decision_id_max: int | None = None
    approved: int = 0


class _ProtocolError(Exception):
    """The server's reply is not the HTTP/1.1 this client speaks."""


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> tuple[int, bytes]:
    status = int(head[9:12])
    length: int | None = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size > BODY_MAX_BYTES:
                raise _ProtocolError(f"chunk of {size} bytes")
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
            if size == 0:
                return status, b"".join(parts)
    if length is None or length > BODY_MAX_BYTES:
        raise _ProtocolError(f"response without a usable Content-Length (status {status})")
    return status, await reader.readexactly(length)


def _check(kind: str, status: int, body: bytes, result: LevelResult) -> str | None:
    """None if the answer is what ``kind`` expects, else why not."""
    if kind == "noop":
        if status == 200 and b'"status":"ok"' in body:
            return None
        return f"no-op answered {status}: {body[:200]!r}"
    if status != 201:
        return f"apply answered {status}: {body[:300].decode('utf-8', 'replace')}"
    try:
        data = json.loads(body)
        decision_id = int(data["decision_id"])
        approved = bool(data["approved"])
    except (ValueError, KeyError, TypeError):
        return f"apply answered 201 without a decision id: {body[:200]!r}"
    if decision_id < 1:
        return f"apply answered decision id {decision_id}"
    result.approved += approved
    low, high = result.decision_id_min, result.decision_id_max
    result.decision_id_min = decision_id if low is None else min(low, decision_id)
    result.decision_id_max = decision_id if high is None else max(high, decision_id)
    return None


async def _warm(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
) -> None:
    reader, writer = connection
    writer.write(request)
    async with asyncio.timeout(REQUEST_TIMEOUT_S):
        await _read_body(reader, await reader.readuntil(b"\r\n\r\n"))


async def _level(
    port: int,
    requests: Sequence[bytes],
    concurrency: int,
    max_seconds: float,
    kind: str,
    warm: bytes | None,
) -> LevelResult:
    result = LevelResult(concurrency=concurrency, planned=len(requests))
    connections = [
        await asyncio.open_connection(LOOPBACK, port) for _ in range(min(concurrency, 4096))
    ]
    if warm is not None:
        # Every connection accepted and served once before the clock starts: a level measures
        # requests on open keep-alive connections, not connection set-up.
        await asyncio.gather(*(_warm(connection, warm) for connection in connections))
    next_index = 0
    cpu_started = time.process_time()
    started = time.perf_counter()
    deadline = started + max_seconds

    def error(message: str) -> None:
        result.errors += 1
        if len(result.error_samples) < ERROR_SAMPLES_MAX:
            result.error_samples.append(message)

    async def worker(slot: int) -> None:
        nonlocal next_index
        reader, writer = connections[slot]
        while next_index < len(requests):
            if time.perf_counter() >= deadline:
                result.stopped_by_time = True
                break
            raw = requests[next_index]
            next_index += 1
            result.sent += 1
            sent_at = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    writer.write(raw)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status, body = await _read_body(reader, head)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, _ProtocolError) as exc:
                error(f"{type(exc).__name__}: {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection(LOOPBACK, port)
                connections[slot] = (reader, writer)
                continue
            latency_ms = (time.perf_counter() - sent_at) * 1000
            result.statuses[status] = result.statuses.get(status, 0) + 1
            problem = _check(kind, status, body, result)
            if problem is None:
                result.ok += 1
                result.latencies_ms.append(latency_ms)
            else:
                error(problem)

    await asyncio.gather(*(worker(slot) for slot in range(len(connections))))
    result.elapsed_s = time.perf_counter() - started
    result.client_cpu_s = time.process_time() - cpu_started
    for _, writer in connections:
        writer.close()
    return result


def run_level(
    port: int,
    requests: Sequence[bytes],
    concurrency: int,
    max_seconds: float,
    kind: str,
    warm: bytes | None = None,
) -> LevelResult:
    """Send ``requests`` with ``concurrency`` in flight, for at most ``max_seconds``.

    ``kind`` is ``"noop"`` (expects 200 ``{"status":"ok"}``) or ``"decision"`` (expects 201
    with a positive ``decision_id``); any other answer is counted as an error. ``warm``: a
    request sent once on every connection before timing starts (its answer not counted).
    """
    if kind not in ("noop", "decision"):
        raise ValueError(f"kind must be 'noop' or 'decision'; got {kind!r}")
    if not 1 <= concurrency <= 4096 or max_seconds <= 0:
        raise ValueError(f"concurrency must be 1..4096 and max_seconds > 0; got {concurrency}")
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_level(port, requests, concurrency, max_seconds, kind, warm))
    return uvloop.run(_level(port, requests, concurrency, max_seconds, kind, warm))


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence (``fraction`` in (0, 1])."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(len(sorted_values) * fraction))
    return sorted_values[rank - 1]
