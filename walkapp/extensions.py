"""Flask extensions and the database engine rules shared by every app instance."""

from __future__ import annotations

import contextvars
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from werkzeug.routing import IntegerConverter

# Stable constraint names, so migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after the request's commit: answers are built from what was just
# written, without reading every row back.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


class UTCDateTime(sa.TypeDecorator):
    """An aware UTC datetime on every backend (SQLite keeps no time zone; PostgreSQL does)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: walkapp stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        # SQLite compares datetimes as text: store them naive so every row has the same shape.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- SQLite: pragmas and write transactions -------------------------------------------------
# Registered once, at import, on the Engine class (registering in create_app would stack them).
# A read-then-write transaction that starts deferred fails with "database is locked" when another
# writer got there first; `BEGIN IMMEDIATE` takes the write lock up front and waits
# (busy_timeout) instead. Read-only work keeps plain deferred transactions so readers never queue.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)
BUSY_TIMEOUT_MS = 15000
CHECKPOINT_BUSY_TIMEOUT_MS = 2000  # an erasure's checkpoint waits this long for old readers
log = logging.getLogger(__name__)


@sa.event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.split(".")[0] != "sqlite3":
        return
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is broken).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Deleted content is overwritten with zeros, not left in free space (erasure, issue 14).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def checkpoint_wal() -> bool:
    """SQLite: copy the WAL back into the database file and truncate it, so that the old page
    images an erasure overwrote are gone from disk too (run after the erasure has committed).
    Best effort: a reader still holding an older snapshot makes it wait a little, then give up
    (the next checkpoint does it). Returns whether it completed; True on other databases."""
    if db.engine.dialect.name != "sqlite":
        return True
    raw = db.engine.raw_connection()  # autocommit (isolation_level None): no BEGIN around it
    try:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_TIMEOUT_MS}")
        try:
            busy, _frames, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()
    finally:
        raw.close()
    if busy:
        log.warning("WAL checkpoint after an erasure could not complete (readers still open)")
    return not busy


# A unit that reads first (unit_of_work.reads_first) reads outside any transaction on SQLite,
# each statement its own snapshot, until its write begins one with BEGIN IMMEDIATE.
reads_first_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "reads_first_intent", default=False
)


@sa.event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    if write_intent.get():
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif not reads_first_intent.get():
        conn.exec_driver_sql("BEGIN")


# Ids are INTEGER columns (PostgreSQL: at most 2**31 - 1). A larger id in a URL cannot name a
# row, and sent to the database it fails with a 500 (NumericValueOutOfRange); bounding the
# `int` URL converter makes such a URL match no route: a plain 404, on every blueprint.
ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's signature)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)
