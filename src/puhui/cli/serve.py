"""``puhui serve`` — run the API (and pages) with uvicorn on the configured database.

With ``--workers N`` (N > 1) the parent opens one listening socket and every worker accepts
from it, least connections first: a worker holding more than ``SLACK`` connections above the
emptiest leaves a waiting connection to the others for ``YIELD_S`` (then takes it, so none
waits longer), the counts kept in memory the workers share. Keep-alive connections stay
where they were accepted, and a worker's callers wait in proportion to how many it holds.
Uvicorn's own ``--workers`` (one shared socket, whoever wakes first) left one worker with 44
of 64 connections in 4 of 6 starts; one ``SO_REUSEPORT`` socket per worker (the kernel hashes
each connection to one) split 64 as 38/26 and 39/25 in the 310 benchmark, where the fuller
worker's callers waited 30–40 % longer.
The parent only supervises: it restarts a worker that dies, stops when one cannot start,
and on Ctrl-C / SIGTERM lets every worker finish its requests.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import signal
import socket
import threading
from collections.abc import MutableSequence, Sequence
from datetime import date
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Annotated

import typer

from puhui.cli._shared import console, database, settings
from puhui.logs import log_event

if TYPE_CHECKING:
    import uvicorn

APP = "puhui.api.app:create_app"
STOP_TIMEOUT_S = 30.0
#: How long a worker holding more connections than another leaves a waiting one to it: long
#: enough for a peer busy with a batch or short of CPU (5 ms split 64 as 10/54 while the test
#: suite ran beside it), short beside a phone's round trip. Only a new connection waits.
YIELD_S = 0.02
#: Connections a worker may hold beyond the emptiest before it yields (so that a burst of
#: connections is shared in runs of a few, not one by one with a wait between).
SLACK = 1
#: After a failed accept (out of file descriptors), a worker stops accepting this long.
ACCEPT_PAUSE_S = 0.5


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (one per core)")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "warning",
) -> None:
    """服务 Serve the API and pages; the schema is migrated first. Ctrl-C stops it."""
    import uvicorn

    if not 1 <= port <= 65535 or workers < 1:
        raise typer.BadParameter("--port must be 1..65535 and --workers ≥ 1")
    cfg = settings()
    db = database()
    db.upgrade(date.today())
    db.dispose()
    sock = None if workers == 1 else _listen(host, port)
    target = cfg.resolved_database_url.split("@")[-1]
    console.print(f"[green]✓[/] puhui 普惠 on http://{host}:{port}  (database {target})")
    console.print(f"  API docs: http://{host}:{port}/api/v1/docs")
    if sock is None:
        uvicorn.run(APP, factory=True, host=host, port=port, log_level=log_level, access_log=False)
        return
    raise typer.Exit(_supervise(sock, workers, log_level))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _listen(host: str, port: int) -> socket.socket:
    """The workers' listening socket; refuses, with a sentence, a port something already
    listens on (an earlier ``puhui serve`` included)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        console.print(
            f"[red]✗[/] 端口 {host}:{port} 已被占用，无法启动 / "
            f"{host}:{port} is already in use ({exc.strerror}); stop what listens there "
            "or choose another --port"
        )
        raise typer.Exit(1) from exc
    sock.listen(2048)
    return sock


def takes_connection(held: int, held_by_others: Sequence[int]) -> bool:
    """Least connections, give or take ``SLACK``: a worker takes a waiting connection unless
    another holds more than ``SLACK`` fewer."""
    return not held_by_others or held <= min(held_by_others) + SLACK


def _balanced_server(
    config: uvicorn.Config, sock: socket.socket, held: MutableSequence[int], index: int
) -> uvicorn.Server:
    """A uvicorn server that accepts from the shared ``sock`` itself, least connections first
    (``takes_connection``); ``held[index]`` is its count of open connections (one more on
    accept, one less when the connection is lost), ``held`` everyone's."""
    import uvicorn

    def closed() -> None:
        held[index] -= 1

    class BalancedServer(uvicorn.Server):
        yielded = False
        protocol: functools.partial[asyncio.Protocol]

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=[])  # the app's lifespan; no listener of its own
            loaded = self.config.http_protocol_class  # known once the config is loaded

            class CountedProtocol(loaded):  # type: ignore[misc,valid-type]
                def connection_lost(self, exc: Exception | None) -> None:
                    closed()
                    super().connection_lost(exc)

            self.protocol = functools.partial(
                CountedProtocol,
                config=self.config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
            )
            sock.setblocking(False)
            asyncio.get_running_loop().add_reader(sock.fileno(), self.readable)

        def readable(self) -> None:
            loop = asyncio.get_running_loop()
            while True:
                others = [count for at, count in enumerate(held) if at != index]
                if not self.yielded and not takes_connection(held[index], others):
                    self.yielded = True
                    self.pause(YIELD_S)
                    return
                self.yielded = False
                try:
                    conn, _ = sock.accept()
                except (BlockingIOError, InterruptedError):
                    return  # none waiting (another worker took it)
                except OSError as exc:  # out of file descriptors: let the others serve a while
                    log_event("accept_failed", error=exc.strerror or str(exc))
                    self.pause(ACCEPT_PAUSE_S)
                    return
                conn.setblocking(False)
                if conn.family in (socket.AF_INET, socket.AF_INET6):
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                held[index] += 1
                self.server_state.tasks.add(task := loop.create_task(self.connect(conn)))
                task.add_done_callback(self.server_state.tasks.discard)

        def pause(self, seconds: float) -> None:
            loop = asyncio.get_running_loop()
            loop.remove_reader(sock.fileno())
            loop.call_later(seconds, self.resume)

        def resume(self) -> None:
            if not self.should_exit:
                asyncio.get_running_loop().add_reader(sock.fileno(), self.readable)

        async def connect(self, conn: socket.socket) -> None:
            try:
                await asyncio.get_running_loop().connect_accepted_socket(self.protocol, conn)
            except OSError:
                closed()  # the client went away before it was served
                conn.close()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()
            await super().shutdown(sockets=None)

    return BalancedServer(config)


def _worker(sock: socket.socket, held: MutableSequence[int], index: int, log_level: str) -> None:
    """One worker process: accepts from the shared socket (``_balanced_server``)."""
    import uvicorn

    held[index] = 0  # a replacement starts empty, whatever its predecessor held
    config = uvicorn.Config(APP, factory=True, log_level=log_level, access_log=False)
    _balanced_server(config, sock, held, index).run()


def _supervise(sock: socket.socket, workers: int, log_level: str) -> int:
    """Run ``workers`` worker processes on ``sock`` until a signal or a failed start; the
    exit code."""
    from uvicorn.config import STARTUP_FAILURE  # a worker that would fail again on restart

    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    held = spawn.RawArray("i", workers)  # connections each worker holds

    def start(index: int) -> BaseProcess:
        process = spawn.Process(target=_worker, args=(sock, held, index, log_level), daemon=False)
        process.start()
        return process

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    processes = [start(index) for index in range(workers)]
    code = 0
    try:
        while not stop.wait(0.5):
            for index, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    console.print(f"[red]✗[/] worker {process.pid} could not start; stopping")
                    code = 1
                    stop.set()
                    break
                console.print(f"[yellow]![/] worker {process.pid} died; starting another")
                processes[index] = start(index)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process in processes:
            process.join(STOP_TIMEOUT_S)
            if process.is_alive():
                process.kill()
                process.join()
        sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
