"""Limits on failed attempts (join codes, erasure codes, sign-ins), shared by every worker.

Only failures count: a whole group joining through one Wi-Fi never spends the budget. Once a key
(an address, or an address and an account) has spent it, every attempt with it waits for the
window to pass — answering right codes while refusing wrong ones would tell a guesser which
codes exist.

A failure is recorded and counted in one atomic step, so that concurrent guesses on several
workers get exactly `amount` answers, never more. The failures live outside the request's
database transaction (a refusal rolls that back, and on SQLite a second writer would wait for
it): by default in a small SQLite file of the instance folder, which every worker of one machine
shares; in Redis when WALKAPP_RATELIMIT_STORAGE_URI says `redis://…` (several machines).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

LIMITER_KEY = "walkapp.failure_limiter"
SEPARATOR = " "  # between a key's parts: never in an address, an e-mail or a scope
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
LIMIT_TEXT = re.compile(r"\s*(\d+)\s*(?:per|/)\s*(\d*)\s*(second|minute|hour|day)s?\s*", re.I)


@dataclass(frozen=True)
class Limit:
    amount: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Limit:
        """ "20 per 10 minutes" (also "20/minute", "5 per hour")."""
        match = LIMIT_TEXT.fullmatch(text)
        if not match or int(match[1]) < 1:
            raise ValueError(f"not a limit such as '20 per 10 minutes': {text!r}")
        return cls(int(match[1]), int(match[2] or 1) * UNITS[match[3].lower()])


class FailureStore(Protocol):
    def add(self, name: str, now: float, keep: float) -> int:
        """Record a failure at `now` and return the failures of `name` since `now - keep`."""

    def times(self, name: str, since: float) -> list[float]:
        """The times of the failures of `name` since `since`, oldest first."""

    def clear(self, prefix: str) -> int:
        """Forget the failures of every name that starts with `prefix`; how many there were."""


class FileStore:
    """Failures in a SQLite file of their own (WAL, one short transaction per call)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._ready = threading.Lock()
        self._made = False

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as conn:
            if not self._made:
                with self._ready:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("CREATE TABLE IF NOT EXISTS failure (name TEXT, at REAL)")
                    conn.execute("CREATE INDEX IF NOT EXISTS ix_failure ON failure (name, at)")
                    conn.execute("CREATE INDEX IF NOT EXISTS ix_failure_at ON failure (at)")
                    self._made = True
            yield conn

    def add(self, name: str, now: float, keep: float) -> int:
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")  # the insert and the count, one at a time
            try:
                conn.execute("DELETE FROM failure WHERE at < ?", (now - keep,))
                conn.execute("INSERT INTO failure VALUES (?, ?)", (name, now))
                (count,) = conn.execute(
                    "SELECT count(*) FROM failure WHERE name = ? AND at >= ?", (name, now - keep)
                ).fetchone()
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return count

    def times(self, name: str, since: float) -> list[float]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT at FROM failure WHERE name = ? AND at >= ? ORDER BY at", (name, since)
            )
            return [at for (at,) in rows]

    def clear(self, prefix: str) -> int:
        with self._connection() as conn:
            found = conn.execute(
                "DELETE FROM failure WHERE substr(name, 1, ?) = ?", (len(prefix), prefix)
            )
            return found.rowcount


class RedisStore:
    """Failures in Redis: one sorted set per name, scored by time, expiring with its window."""

    NAMESPACE = "walkapp:failures:"

    def __init__(self, url: str):
        import redis  # only deployments that configure Redis need the package's server

        self.redis = redis.Redis.from_url(url)

    def add(self, name: str, now: float, keep: float) -> int:
        key = self.NAMESPACE + name
        pipe = self.redis.pipeline(transaction=True)  # MULTI … EXEC: atomic
        pipe.zremrangebyscore(key, "-inf", now - keep)
        pipe.zadd(key, {uuid.uuid4().hex: now})
        pipe.zcard(key)
        pipe.expire(key, int(keep) + 1)
        return int(pipe.execute()[2])

    def times(self, name: str, since: float) -> list[float]:
        found = self.redis.zrangebyscore(self.NAMESPACE + name, since, "+inf", withscores=True)
        return [score for _member, score in found]

    def clear(self, prefix: str) -> int:
        keys = list(self.redis.scan_iter(match=_glob_escape(self.NAMESPACE + prefix) + "*"))
        if not keys:
            return 0
        pipe = self.redis.pipeline(transaction=True)
        for key in keys:
            pipe.zcard(key)
        pipe.delete(*keys)
        return int(sum(pipe.execute()[:-1]))


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def store_from_uri(uri: str, instance_path: str) -> FailureStore:
    """'' (the instance's file), 'redis://…' / 'rediss://…' / 'unix://…' (Redis)."""
    if not uri:
        return FileStore(Path(instance_path) / "failed_attempts.db")
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(uri)
    raise ValueError(
        f"WALKAPP_RATELIMIT_STORAGE_URI must be empty (a file of the instance folder, shared by "
        f"the workers of one machine) or a redis:// URL, not {uri!r}"
    )


class FailureLimiter:
    """Failures per scope ('join', 'erasure', 'login-address', 'login-account') and key."""

    def __init__(self, store: FailureStore, limits: dict[str, Limit]):
        self.store = store
        self.limits = limits

    @staticmethod
    def _name(scope: str, key: tuple[str, ...]) -> str:
        return SEPARATOR.join((scope, *key))

    def _recent(self, scope: str, key: tuple[str, ...]) -> list[float]:
        return self.store.times(self._name(scope, key), time.time() - self.limits[scope].seconds)

    def retry_after(self, scope: str, *key: str) -> int:
        """0 while the key may still fail; else the seconds until its oldest counted failure
        leaves the window (the answer's Retry-After)."""
        limit = self.limits[scope]
        recent = self._recent(scope, key)
        if len(recent) < limit.amount:
            return 0
        # The failure whose leaving brings the count below the limit.
        frees_at = recent[len(recent) - limit.amount] + limit.seconds
        return max(1, round(frees_at - time.time() + 0.5))

    def failed(self, scope: str, *key: str) -> int:
        """Record a failure. 0 if it was within the limit, else the seconds to wait: the attempt
        must then be answered as refused (another worker spent the last one first)."""
        limit = self.limits[scope]
        count = self.store.add(self._name(scope, key), time.time(), limit.seconds)
        return 0 if count <= limit.amount else self.retry_after(scope, *key)

    def clear(self, scope: str, *key_prefix: str) -> int:
        """Forget the failures of the keys that start with these parts (an admin's unlock)."""
        return self.store.clear(self._name(scope, key_prefix) + SEPARATOR)

    @contextmanager
    def attempt(
        self,
        scope: str,
        *key: str,
        failures: tuple[type[BaseException], ...],
        refusal: Callable[[int], BaseException],
    ) -> Iterator[None]:
        """Run the block unless the key has spent its failures. An exception of `failures` from
        the block counts as one, and becomes `refusal(seconds to wait)` beyond the limit."""
        wait = self.retry_after(scope, *key)
        if wait:
            raise refusal(wait)
        try:
            yield
        except failures:
            wait = self.failed(scope, *key)  # its own store: kept although the unit rolls back
            if wait:
                raise refusal(wait) from None
            raise


def failure_limiter() -> FailureLimiter:
    """The app's limiter (made by the app factory)."""
    from flask import current_app

    return current_app.extensions[LIMITER_KEY]
