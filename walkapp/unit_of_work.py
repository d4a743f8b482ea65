"""One unit of work per request and per CLI command: the boundary commits once, or rolls back.

Services flush; nothing but this module commits. A unit commits when its handler returns an
answer below 400 and no `ServiceError` was raised during it — even one a view caught to show a
message and redirect: raising marks the unit as failed (`mark_failed`) and the whole unit rolls
back. Any other exception rolls it back too.

Files live outside the transaction. A service that writes one registers its undoing
(`after_rollback`); one that drops the rows of files registers their removal (`after_commit`).
Outside a unit (test set-up that commits by hand) there is no boundary to run them: they are
dropped.

SQLite: a unit that writes begins its transaction with ``BEGIN IMMEDIATE`` (`write_intent`,
see extensions.py), declared when the request starts — before any hook reads — and forgotten
when the unit ends, so that work after it (reading the session's user back) never queues for
the write lock. A unit writes when its method is POST, PUT, PATCH or DELETE, or when its view
is marked with `writes` — a GET that writes too (an export records its audit entry): without
the mark its transaction would begin with a plain ``BEGIN`` that reads first and may then fail
with "database is locked" when it writes. The mark is an attribute of the view function
(`WRITES`); `functools.wraps` copies it onto a wrapper such as the API's `endpoint`, so
``@writes`` goes either below or above it.

Writes that must survive a refusal (failed sign-in and join-code counters) are not in the
database's unit: they go to the rate limiter's own store (walkapp.ratelimit), written at once.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, request

from .extensions import db, write_intent

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITES = "walkapp_writes"  # the attribute `writes` sets on a view function
log = logging.getLogger(__name__)

V = TypeVar("V", bound=Callable[..., Any])


def writes(view: V) -> V:
    """Mark `view` as a unit that writes whatever its method (a GET that records an export)."""
    setattr(view, WRITES, True)
    return view


@dataclass
class Unit:
    failed: bool = False
    on_commit: list[Callable[[], Any]] = field(default_factory=list)
    on_rollback: list[Callable[[], Any]] = field(default_factory=list)


_current: contextvars.ContextVar[Unit | None] = contextvars.ContextVar("unit", default=None)
# True only while the boundary itself commits (the test suite checks nobody else does).
committing: contextvars.ContextVar[bool] = contextvars.ContextVar("committing", default=False)


def mark_failed() -> None:
    """The current unit must roll back whatever happens next (a refusal was raised)."""
    unit = _current.get()
    if unit is not None:
        unit.failed = True


def after_commit(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` once the unit has committed (e.g. unlink files whose rows are gone)."""
    unit = _current.get()
    if unit is not None:
        unit.on_commit.append(functools.partial(fn, *args))


def after_rollback(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` if the unit rolls back (e.g. remove a file written for it)."""
    unit = _current.get()
    if unit is not None:
        unit.on_rollback.append(functools.partial(fn, *args))


def _run(callbacks: list[Callable[[], Any]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # one failed clean-up must not stop the next ones
            log.exception("clean-up after the unit of work failed")
        finally:
            # Clean-ups read in a transaction of their own, never left open.
            db.session.rollback()


@contextmanager
def unit(*, write: bool = True) -> Iterator[Unit]:
    """A unit of work: commit when the block ends normally and nothing failed, else roll back."""
    current = Unit()
    token = _current.set(current)
    write_intent.set(write)
    try:
        try:
            yield current
        except BaseException:
            current.failed = True
            raise
        finally:
            _end(current)
    finally:
        write_intent.set(False)
        _current.reset(token)


def _end(current: Unit) -> None:
    if current.failed:
        db.session.rollback()
        write_intent.set(False)
        _run(current.on_rollback)
        return
    token = committing.set(True)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        write_intent.set(False)
        _run(current.on_rollback)
        raise
    finally:
        committing.reset(token)
    write_intent.set(False)
    _run(current.on_commit)


class UnitOfWorkFlask(Flask):
    """Flask whose view dispatch is one unit of work (error handlers and after-request hooks
    run after it has ended)."""

    def request_writes(self) -> bool:
        """Whether the current request's unit writes: by its method, or its view is marked."""
        if request.method in WRITE_METHODS:
            return True
        view = self.view_functions.get(request.endpoint) if request.endpoint else None
        return bool(getattr(view, WRITES, False))

    def preprocess_request(self):
        # Declared before any before-request hook reads, so the unit's first statement on
        # SQLite is already BEGIN IMMEDIATE for a write (a read first would be a deferred
        # transaction that cannot safely write later).
        write_intent.set(self.request_writes())
        return super().preprocess_request()

    def dispatch_request(self):
        with unit(write=self.request_writes()) as current:
            response = self.make_response(super().dispatch_request())
            if response.status_code >= 400:
                current.failed = True
        return response

    def do_teardown_request(self, exc=None):
        write_intent.set(False)
        super().do_teardown_request(exc)
