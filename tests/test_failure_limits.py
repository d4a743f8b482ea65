"""Failure limits shared by every worker: the instance's file store and Redis, the same
behaviour, atomic under concurrency — and a real gunicorn with two workers that answers exactly
the configured number of wrong join codes, on each store.

Redis runs at WALKAPP_TEST_REDIS_URL (./test starts it if it is down); the tests that need it are
in the db tier, and fail — never skip — without it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from walkapp.ratelimit import FailureLimiter, FileStore, Limit, RedisStore, store_from_uri

REDIS_URL = os.environ.get("WALKAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent


def clear_redis() -> None:
    store = RedisStore(REDIS_URL)
    keys = list(store.redis.scan_iter(match=RedisStore.NAMESPACE + "*"))
    if keys:
        store.redis.delete(*keys)


@pytest.fixture(params=["file", pytest.param("redis", marks=pytest.mark.db)])
def store(request, tmp_path):
    if request.param == "file":
        yield FileStore(tmp_path / "failed_attempts.db")
        return
    clear_redis()
    yield RedisStore(REDIS_URL)
    clear_redis()


@pytest.mark.parametrize(
    ("text", "amount", "seconds"),
    [("20 per 10 minutes", 20, 600), ("5/hour", 5, 3600), ("3 per second", 3, 1)],
)
def test_limits_read_as_written(text, amount, seconds):
    assert Limit.parse(text) == Limit(amount, seconds)


@pytest.mark.parametrize("text", ["", "twenty per minute", "0 per minute", "5 per fortnight"])
def test_a_limit_that_means_nothing_stops_the_start(text):
    with pytest.raises(ValueError, match="20 per 10 minutes"):
        Limit.parse(text)


def test_storage_uri_is_the_file_or_redis(tmp_path):
    assert isinstance(store_from_uri("", str(tmp_path)), FileStore)
    assert isinstance(store_from_uri("redis://127.0.0.1:6379/0", str(tmp_path)), RedisStore)
    with pytest.raises(ValueError, match="redis://"):
        store_from_uri("memory://", str(tmp_path))


def test_failures_within_the_limit_then_refused(store):
    limiter = FailureLimiter(store, {"join": Limit(3, 600)})
    assert [limiter.failed("join", "10.0.0.1") for _ in range(3)] == [0, 0, 0]
    assert 590 <= limiter.retry_after("join", "10.0.0.1") <= 600
    assert 590 <= limiter.failed("join", "10.0.0.1") <= 600  # the fourth is refused
    assert limiter.retry_after("join", "10.0.0.2") == 0  # another address


def test_retry_after_is_what_remains_of_the_oldest_counted_failure(store):
    limiter = FailureLimiter(store, {"join": Limit(2, 600)})
    now = time.time()
    store.add("join 10.0.0.1", now - 400, 600)
    store.add("join 10.0.0.1", now - 100, 600)
    assert 199 <= limiter.retry_after("join", "10.0.0.1") <= 201
    store.add("join 10.0.0.3", now - 700, 600)  # outside the window: not counted
    assert limiter.retry_after("join", "10.0.0.3") == 0


def test_clear_forgets_one_accounts_failures_from_every_address(store):
    limiter = FailureLimiter(store, {"login-account": Limit(5, 900)})
    for address in ("10.0.0.1", "10.0.0.2"):
        limiter.failed("login-account", "p@x.fr", address)
    limiter.failed("login-account", "p@x.fr.evil", "10.0.0.1")
    assert limiter.clear("login-account", "p@x.fr") == 2
    assert limiter.clear("login-account", "p@x.fr") == 0
    # A longer e-mail that starts with hers keeps its own.
    assert store.times("login-account p@x.fr.evil 10.0.0.1", 0)


def test_concurrent_failures_get_exactly_the_limit(store):
    limiter = FailureLimiter(store, {"join": Limit(20, 600)})
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda _: limiter.failed("join", "10.0.0.1"), range(60)))
    assert waits.count(0) == 20


# --- Two gunicorn workers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn(port: int, log: Path, env: dict, error_log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=2",
            "--worker-class=sync",  # one request at a time each: concurrent ones spread
            f"--bind=127.0.0.1:{port}",
            f"--access-logfile={log}",
            "--access-logformat=%(p)s %(s)s %(U)s",
            "walkapp:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=error_log,
        start_new_session=True,
    )


def _workers_seen(log: Path, path: str) -> set[str]:
    if not log.exists():
        return set()
    lines = (line.split() for line in log.read_text().splitlines())
    return {pid for pid, _status, seen in lines if re.fullmatch(path, seen)}


def _wait_for_both_workers(url: str, log: Path, server, errors: Path) -> None:
    """Until each worker has answered (one boots before the other: a single answer is not
    enough), sending a few requests at once."""

    def probe(_):
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            requests.get(f"{url}/api/v1/taxonomy", headers={"Connection": "close"}, timeout=10)

    deadline = time.monotonic() + 90
    while len(_workers_seen(log, "/api/v1/taxonomy")) < 2:
        assert server.poll() is None, errors.read_text()
        assert time.monotonic() < deadline, "gunicorn's two workers did not both answer"
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(probe, range(4)))
        time.sleep(0.2)


@pytest.mark.db
@pytest.mark.parametrize("storage", ["file", "redis"])
def test_two_gunicorn_workers_answer_exactly_the_configured_failures(tmp_path, storage):
    """60 wrong join codes from 8 connections at once: 20 answered (404), the rest 429, and
    the access log shows both workers answered (so a per-worker count would have let in up
    to 40)."""
    if storage == "redis":
        clear_redis()
    instance = tmp_path / "instance"
    env = {
        **os.environ,
        "WALKAPP_INSTANCE_PATH": str(instance),
        "WALKAPP_DATABASE_URL": f"sqlite:///{instance / 'walkapp.db'}",
        "WALKAPP_SECRET_KEY": "test",
        "WALKAPP_JOIN_FAILURE_LIMIT": "20 per 10 minutes",
        "WALKAPP_RATELIMIT_STORAGE_URI": REDIS_URL if storage == "redis" else "",
    }
    walkapp = [str(Path(sys.executable).parent / "walkapp")]
    upgrade = subprocess.run([*walkapp, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    port = free_port()
    log, errors = tmp_path / "access.log", tmp_path / "gunicorn.log"
    with errors.open("w") as error_log:
        server = _gunicorn(port, log, env, error_log)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_both_workers(url, log, server, errors)

        def wrong_code(_):
            # A new connection each time: nothing ties a request to one worker.
            r = requests.post(
                f"{url}/api/v1/walks/ZZZZZZ/participants",
                json={"consent": True},
                headers={"Connection": "close"},
                timeout=30,
            )
            return r.status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(wrong_code, range(60)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert statuses.count(404) == 20, statuses
    assert statuses.count(429) == 40
    answered_by = _workers_seen(log, r"/api/v1/walks/\w+/participants")
    assert len(answered_by) == 2, "the requests did not reach both workers"
    if storage == "redis":
        clear_redis()
