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

A unit that reads a lot before one short write (a spot's submit, the hot path of a walk) is
marked `reads_first` instead, and does its write in `with write_phase():`. Its reads run
outside any transaction (each statement its own snapshot; PostgreSQL's connection in
autocommit); the block begins one (SQLite: ``BEGIN IMMEDIATE``) and the unit commits when the
block ends — before the view builds its answer — so the write lock is held for the write alone
(with every request holding it from its start to its answer, requests queued behind each
other's reads and serialisation, and a thread holding it could wait for Python's GIL while the
others slept on the lock). A write of one statement (`write_phase(one_statement=True)`) begins
none: the statement commits as it runs — SQLite's lock taken and freed within the one call that
runs it, no Python code in between — and PostgreSQL spends no BEGIN and COMMIT round trips.
What the reads found may be a millisecond old when the write lands: fine for the checks they
serve (quota, walk state), and the write itself is guarded by the database (a unique key). A
refusal raised after the block cannot undo the write: the block is the unit's last write.

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

import sqlalchemy as sa
from flask import Flask, request

from .extensions import db, reads_first_intent, write_intent

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITES = "walkapp_writes"  # the attribute `writes` sets on a view function
READS_FIRST = "walkapp_reads_first"  # the attribute `reads_first` sets on a view function
log = logging.getLogger(__name__)

V = TypeVar("V", bound=Callable[..., Any])


def writes(view: V) -> V:
    """Mark `view` as a unit that writes whatever its method (a GET that records an export)."""
    setattr(view, WRITES, True)
    return view


def reads_first(view: V) -> V:
    """Mark `view` as a unit that reads, then writes in `with write_phase():`."""
    setattr(view, READS_FIRST, True)
    return view


@contextmanager
def write_phase(*, one_statement: bool = False) -> Iterator[None]:
    """The current unit's write (see the module's docstring). In a `reads_first` unit the block
    begins a transaction — SQLite takes its write lock (BEGIN IMMEDIATE) — and the unit commits
    as it ends. `one_statement`: the block runs a single statement, which needs no transaction
    of its own: on a connection that commits each statement as it runs (see `unit`) it begins
    none. Elsewhere (a unit that writes from its start, a test's own session): the block is
    part of the transaction, committed by its unit as usual."""
    current = _current.get()
    if write_intent.get() or current is None or not current.reads_first:
        yield
        return
    connection = db.session.connection()
    # A test's session may share the request's and hold a transaction already: it goes on (and
    # commits with the block), as in any unit that did not read first.
    if not one_statement and autocommits(connection):
        sqlite = connection.dialect.name == "sqlite"
        connection.exec_driver_sql("BEGIN IMMEDIATE" if sqlite else "BEGIN")
    _declare(True)
    yield
    _commit(current)


@dataclass
class Unit:
    failed: bool = False
    reads_first: bool = False
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


def _declare(write: bool, reads_first: bool = False) -> None:
    """How the unit's transaction begins on SQLite (extensions._sqlite_on_begin)."""
    write_intent.set(write)
    reads_first_intent.set(reads_first)


def _forget_intents() -> None:
    _declare(False)


@contextmanager
def unit(*, write: bool = True, reads_first: bool = False) -> Iterator[Unit]:
    """A unit of work: commit when the block ends normally and nothing failed, else roll back.
    `reads_first`: a unit that calls `write_phase()` before it writes (see the docstring)."""
    current = Unit(reads_first=reads_first)
    token = _current.set(current)
    _declare(write and not reads_first, reads_first)
    if reads_first and not db.session().in_transaction():
        _commit_each_statement()
    try:
        try:
            yield current
        except BaseException:
            current.failed = True
            raise
        finally:
            _end(current)
    finally:
        _forget_intents()
        _current.reset(token)


def _commit_each_statement() -> None:
    """A reads-first unit's connection commits each statement as it runs: its reads need no
    transaction (each sees the latest commit, as under READ COMMITTED) and a write of one
    statement is its own. PostgreSQL in autocommit, sparing the BEGIN and COMMIT round trips;
    SQLite is so already (extensions._sqlite_on_begin begins nothing for such a unit)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def autocommits(connection: sa.Connection) -> bool:
    """Whether `connection`'s statements each commit as they run (no transaction is open and
    none will begin unasked)."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        return not driver.in_transaction  # isolation_level None: nothing begins unasked
    return bool(driver.autocommit)


def _end(current: Unit) -> None:
    if current.failed:
        db.session.rollback()
        _forget_intents()
        _run(current.on_rollback)
        return
    session = db.session()
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        _commit(current)
        return
    # Nothing since the last commit (a reads-first unit's write phase): no commit to ask for.
    _committed(current)


def _commit(current: Unit) -> None:
    """Commit the unit's work (at its end, or at the end of a reads-first unit's write)."""
    token = committing.set(True)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _forget_intents()
        _run(current.on_rollback)
        raise
    finally:
        committing.reset(token)
    _committed(current)


def _committed(current: Unit) -> None:
    _forget_intents()
    done, current.on_commit, current.on_rollback = current.on_commit, [], []
    _run(done)


class UnitOfWorkFlask(Flask):
    """Flask whose view dispatch is one unit of work (error handlers and after-request hooks
    run after it has ended)."""

    def _view_marks(self) -> tuple[bool, bool]:
        """(writes, reads_first) of the current request's unit: it writes by its method or
        its view's `writes` mark; a view marked `reads_first` declares that it reads first."""
        view = self.view_functions.get(request.endpoint) if request.endpoint else None
        if getattr(view, READS_FIRST, False):
            return True, True
        return request.method in WRITE_METHODS or bool(getattr(view, WRITES, False)), False

    def preprocess_request(self):
        # Declared before any before-request hook reads, so the unit's first statement on
        # SQLite is already BEGIN IMMEDIATE for a write (a read first would be a deferred
        # transaction that cannot safely write later).
        write, reads_first = self._view_marks()
        _declare(write and not reads_first, reads_first)
        return super().preprocess_request()

    def dispatch_request(self):
        write, reads_first = self._view_marks()
        with unit(write=write, reads_first=reads_first) as current:
            response = self.make_response(super().dispatch_request())
            if response.status_code >= 400:
                current.failed = True
        return response

    def do_teardown_request(self, exc=None):
        _forget_intents()
        super().do_teardown_request(exc)
