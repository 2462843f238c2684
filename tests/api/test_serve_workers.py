"""``puhui serve --workers N``: the workers accept from one listening socket, least connections
first (64 keep-alive connections split 32/32, give or take one), a second server on the same
port is refused with a sentence, a worker that dies is replaced, and Ctrl-C stops every
worker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

START_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_sockets(port: int) -> int:
    """Listening TCP sockets on ``port`` (``/proc/net/tcp``: state 0A is LISTEN)."""
    found = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            found += 1
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child waits for this container's init to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _socket_inodes(pid: int) -> set[str]:
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return set()
    inodes = set()
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _tcp_sockets(pid: int, port: int, state: str) -> int:
    """TCP sockets of process ``pid`` on local ``port`` in ``state`` (0A listen, 01 open)."""
    inodes = _socket_inodes(pid)
    found = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == state and int(fields[1].split(":")[1], 16) == port:
            found += fields[9] in inodes
    return found


def _listens(pid: int) -> bool:
    """Whether process ``pid`` is a worker (it holds a listening socket; the supervisor's
    other child, multiprocessing's resource tracker, does not)."""
    inodes = _socket_inodes(pid)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:
            return True
    return False


def _served_connections(port: int, count: int) -> list[socket.socket]:
    """``count`` keep-alive connections opened one after another, each answered one request
    before the next is opened (so a worker holds it)."""
    request = f"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    opened = []
    for _ in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
        conn.sendall(request)
        answer = b""
        while b'"status":"ok"' not in answer:
            chunk = conn.recv(4096)
            assert chunk, "the server closed a connection"
            answer += chunk
        opened.append(conn)
    return opened


def _started(log: Path) -> int:
    """Workers that finished starting (uvicorn says so at ``--log-level info``)."""
    return log.read_text(errors="replace").count("Application startup complete")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
def test_workers_share_connections_evenly_refuse_a_taken_port_and_stop_together(
    tmp_path, sqlite_template
):
    path = tmp_path / "serve.db"
    shutil.copy(sqlite_template, path)
    port = _free_port()
    env = {
        **os.environ,
        "PUHUI_DATABASE_URL": f"sqlite:///{path}",
        "PUHUI_DATA_DIR": str(tmp_path),
        "PUHUI_ENV": "test",
    }
    command = [sys.executable, "-m", "puhui", "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    sink = log.open("wb")
    server = subprocess.Popen(
        [*command, "--log-level", "info"], env=env, stdout=sink, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        # Holding the socket is not being ready: a worker still loading the app accepts
        # nothing, and the other one takes every connection after its yield.
        while _started(log) < 2:
            assert server.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the two workers did not start"
            time.sleep(0.2)
        assert _listening_sockets(port) == 1  # one socket, shared by the workers
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert all(client.get("/api/v1/health").status_code == 200 for _ in range(20))
        workers = [p for p in _children(server.pid) if _listens(p)]
        assert len(workers) == 2

        # Least connections first: one SO_REUSEPORT socket per worker split 64 as 38/26.
        connections = _served_connections(port, 64)
        held = sorted(_tcp_sockets(pid, port, "01") for pid in workers)
        assert sum(held) == 64
        assert held[1] - held[0] <= 2, held
        for conn in connections:
            conn.close()

        second = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert second.returncode != 0
        assert "already in use" in second.stdout + second.stderr
        assert _listening_sockets(port) == 1  # the first server is untouched

        # A worker that dies is replaced.
        dead = next(pid for pid in workers if _listens(pid))
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (
            len([p for p in _children(server.pid) if _listens(p)]) == 2
            and dead not in _children(server.pid)
        ):
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.2)
        workers = [pid for pid in _children(server.pid) if _listens(pid)]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert all(client.get("/api/v1/health").status_code == 200 for _ in range(20))

        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=60) == 0
        assert not [pid for pid in workers if _running(pid)]
        assert _listening_sockets(port) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
        sink.close()
