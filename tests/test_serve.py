"""`walkapp serve`: each gunicorn worker listens on a socket of its own (SO_REUSEPORT), so that
the kernel deals a burst of new connections out to all of them.

On one shared socket, the worker that wakes first took most of a burst (42 of 50 phones on one
worker and 8 on the other, seen in bench/submit_floor.py); a phone keeps its connection, and its
worker, for the whole walk. Read from /proc (Linux, as the deployment): the listening sockets
on the port, and which worker holds each accepted connection.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The `db` tier: a server of two processes, started and stopped (a few seconds); it takes no
# database fixture, so it runs once.
pytestmark = pytest.mark.db

LISTEN, ESTABLISHED = "0A", "01"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sockets_on(port: int) -> dict[str, str]:
    """Inode -> TCP state of the IPv4 sockets whose local port is `port`."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if int(local.rsplit(":", 1)[1], 16) == port:
            found[inode] = state
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _wait_for(condition, server: subprocess.Popen, log: Path, what: str, limit: float = 30):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"walkapp serve stopped: {log.read_text()[-2000:]}")
        if found := condition():
            return found
        time.sleep(0.1)
    pytest.fail(f"{what} within {limit:.0f} s: {log.read_text()[-2000:]}")


def test_each_worker_listens_on_its_own_socket_and_a_burst_reaches_both(tmp_path):
    port, log = _free_port(), tmp_path / "serve.log"
    env = {**os.environ, "WALKAPP_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("WALKAPP_DATABASE_URL", None)  # its own SQLite file: only the sockets are looked at
    walkapp = Path(sys.executable).parent / "walkapp"
    command = [walkapp, "serve", "--port", str(port), "--workers", "2", "--threads", "2"]
    with log.open("w") as out:
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    burst: list[socket.socket] = []
    try:

        def listening() -> list[str]:
            states = _sockets_on(port)
            listeners = [inode for inode, state in states.items() if state == LISTEN]
            return listeners if len(listeners) >= 2 else []

        listeners = _wait_for(listening, server, log, "two workers listening")
        workers = _children(server.pid)
        assert len(workers) == 2
        # Each worker's own socket, none in the master (which would share one with both).
        assert {w: len(_socket_inodes(w) & set(listeners)) for w in workers} == dict.fromkeys(
            workers, 1
        )
        assert not _socket_inodes(server.pid) & set(listeners)

        burst = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(24)]

        def held_by_worker() -> dict[int, int]:
            accepted = {i for i, s in _sockets_on(port).items() if s == ESTABLISHED}
            held = {w: len(_socket_inodes(w) & accepted) for w in workers}
            return held if sum(held.values()) == len(burst) else {}

        held = _wait_for(held_by_worker, server, log, "the burst accepted")
        # The kernel deals by the connection's address: all 24 on one worker has odds of 1e-7.
        assert all(count > 0 for count in held.values()), held
    finally:
        for s in burst:
            s.close()
        os.killpg(server.pid, 15)
        server.wait(30)
