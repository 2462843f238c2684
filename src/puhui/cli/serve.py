"""``puhui serve`` — run the API (and pages) with uvicorn on the configured database.

With ``--workers N`` (N > 1) each worker process listens on the port with its own socket
(``SO_REUSEPORT``), so the kernel spreads new connections evenly over them. With one socket
shared by all workers (uvicorn's own ``--workers``), whichever worker wakes first takes the
connection: at 64 keep-alive connections one worker held about twice as many as the other,
and their callers waited twice as long (the 310 benchmark's p95 at 64 in flight: 214 ms).
The parent only supervises: it restarts a worker that dies, stops when one cannot start,
and on Ctrl-C / SIGTERM lets every worker finish its requests.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import threading
from datetime import date
from multiprocessing.process import BaseProcess
from typing import Annotated

import typer

from puhui.cli._shared import console, database, settings

APP = "puhui.api.app:create_app"
STOP_TIMEOUT_S = 30.0


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
    if workers > 1:
        _check_port_free(host, port)
    target = cfg.resolved_database_url.split("@")[-1]
    console.print(f"[green]✓[/] puhui 普惠 on http://{host}:{port}  (database {target})")
    console.print(f"  API docs: http://{host}:{port}/api/v1/docs")
    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, log_level=log_level, access_log=False)
        return
    raise typer.Exit(_supervise(host, port, workers, log_level))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _check_port_free(host: str, port: int) -> None:
    """Refuse a port something already listens on — an earlier ``puhui serve`` included,
    whose ``SO_REUSEPORT`` sockets would otherwise silently share it with ours."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            console.print(
                f"[red]✗[/] 端口 {host}:{port} 已被占用，无法启动 / "
                f"{host}:{port} is already in use ({exc.strerror}); stop what listens there "
                "or choose another --port"
            )
            raise typer.Exit(1) from exc


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _worker(host: str, port: int, log_level: str) -> None:
    """One worker process: its own listening socket on the shared port."""
    import uvicorn

    config = uvicorn.Config(APP, factory=True, log_level=log_level, access_log=False)
    uvicorn.Server(config).run(sockets=[_listen(host, port)])


def _supervise(host: str, port: int, workers: int, log_level: str) -> int:
    """Run ``workers`` worker processes until a signal or a failed start; the exit code."""
    from uvicorn.config import STARTUP_FAILURE  # a worker that would fail again on restart

    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start() -> BaseProcess:
        process = spawn.Process(target=_worker, args=(host, port, log_level), daemon=False)
        process.start()
        return process

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
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
                processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process in processes:
            process.join(STOP_TIMEOUT_S)
            if process.is_alive():
                process.kill()
                process.join()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
