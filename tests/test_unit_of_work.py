"""One unit of work per request and per command: commit once at the boundary, or roll back all.

A use case that flushes rows and writes a photo file, then is refused, must leave no row and no
file behind — whether the refusal reaches the error handler, is caught by the view (which then
redirects), or is any other exception. On SQLite and PostgreSQL (the `app` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from commit_guard import PACKAGE_DIR, CommitGuard
from conftest import DATA, auth

from walkapp import unit_of_work
from walkapp.error_messages import MESSAGES
from walkapp.extensions import db
from walkapp.models import AuditEvent, Observation, Participant, Photo, StoredFile
from walkapp.services import audit, capture
from walkapp.services.errors import Conflict, ServiceError
from walkapp.services.photo_store import PhotoStore

pytestmark = pytest.mark.db

TABLES = (Observation, Photo, StoredFile, AuditEvent)


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {
        t.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in TABLES
    }


def photo_files(app) -> list[Path]:
    root = Path(app.config["PHOTO_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def spot(app, client, make_walk, join):
    """A participant's spot (committed through the API) and its token."""
    walk = make_walk()
    token, _code, _ = join(walk)
    body = {
        "id": "6f1c1d2e-6b0e-4f7e-9a55-0d1f3c2b1a00",
        "lat": 50.356,
        "lon": 3.5185,
        "recorded_at": "2026-11-20T21:00:00+01:00",
        "category": "lighting",
        "feeling": 2,
    }
    assert client.post("/api/v1/observations", json=body, headers=auth(token)).status_code == 201
    return token


def store_photo_then(app, fail) -> None:
    """A use case's work on the spot of the `spot` fixture: a photo stored (rows flushed, file
    written), an audit entry, then `fail`."""
    participant = db.session.scalars(sa.select(Participant)).one()
    obs = capture.list_observations(participant)[0]
    store = PhotoStore(app.config["PHOTO_DIR"])
    capture.add_photo(participant, obs.uuid, (DATA / "day-path.jpg").read_bytes(), store)
    audit.record("edit", "observation", obs.id, user_id=None)
    db.session.flush()
    assert photo_files(app), "the file is written before the unit ends"
    fail()


def _refuse():
    raise Conflict({"walk": "walk_closed"})


def _crash():
    raise RuntimeError("disk on fire")


@pytest.fixture
def failing_routes(app):
    """Routes registered before any request (Flask refuses them later)."""

    def uncaught():
        store_photo_then(app, _refuse)

    def caught():
        try:
            store_photo_then(app, _refuse)
        except ServiceError:
            return "refused, shown as a message", 302, {"Location": "/"}

    def crashed():
        store_photo_then(app, _crash)

    def succeeded():
        store_photo_then(app, lambda: None)
        return "stored"

    for name, view in (
        ("uncaught", uncaught),
        ("caught", caught),
        ("crashed", crashed),
        ("succeeded", succeeded),
    ):
        app.add_url_rule(f"/test-unit/{name}", name, view, methods=["POST"])
    return app


@pytest.mark.parametrize(
    "route, status",
    [("uncaught", 409), ("caught", 302), ("crashed", 500)],
)
def test_a_failed_unit_leaves_no_row_and_no_file(app, client, failing_routes, spot, route, status):
    before = row_counts()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the crash answers 500, as in production
    assert client.post(f"/test-unit/{route}").status_code == status
    assert row_counts() == before
    assert photo_files(app) == []


def test_a_successful_unit_commits_rows_and_keeps_the_file(app, client, failing_routes, spot):
    before = row_counts()
    assert client.post("/test-unit/succeeded").status_code == 200
    after = row_counts()
    assert after["photo"] == before["photo"] + 1
    assert after["stored_file"] == before["stored_file"] + 1
    assert after["audit_event"] == before["audit_event"] + 1
    assert len(photo_files(app)) == 2  # the photo and its thumbnail


def test_a_command_unit_rolls_back_on_refusal(app, spot):
    from walkapp.cli import command_unit

    before = row_counts()
    with pytest.raises(click.ClickException) as refused, command_unit():
        store_photo_then(app, _refuse)
    assert refused.value.message == str(MESSAGES["walk_closed"])
    assert row_counts() == before
    assert photo_files(app) == []


def test_erasure_unlinks_files_only_after_its_commit(app, client, spot):
    photo = client.post(
        "/api/v1/observations/6f1c1d2e-6b0e-4f7e-9a55-0d1f3c2b1a00/photos",
        data={"photo": ((DATA / "day-path.jpg").open("rb"), "p.jpg")},
        headers=auth(spot),
    )
    assert photo.status_code == 201
    assert len(photo_files(app)) == 2
    assert client.delete("/api/v1/me", headers=auth(spot)).status_code == 204
    assert photo_files(app) == []
    assert row_counts()["stored_file"] == 0


def test_the_commit_guard_catches_a_commit_from_walkapp_code(app):
    """The suite-wide guard can fail: a commit compiled as if written in walkapp/ is caught,
    one made by the boundary is not."""
    guard = CommitGuard()
    guard.install()
    try:
        code = compile("db.session.commit()", str(PACKAGE_DIR / "services" / "sneaky.py"), "exec")
        exec(code, {"db": db})
        with unit_of_work.unit():
            pass
    finally:
        guard.uninstall()
    assert guard.violations == ["walkapp/services/sneaky.py"]


# --- A unit that reads first: the write lock for the write alone ---------------------------------


@pytest.fixture
def reads_first_route(app):
    """A `reads_first` view that records whether another connection could take SQLite's write
    lock while it read, during its `write_phase()` and after it (while it builds its answer),
    and whether its write was committed by then."""
    seen: dict[str, bool] = {}

    def lock_is_free() -> bool:
        if db.engine.dialect.name != "sqlite":
            return True  # PostgreSQL locks rows, not the database: nothing to probe
        other = db.engine.raw_connection()  # autocommit: BEGIN IMMEDIATE takes the lock or fails
        try:
            cursor = other.cursor()
            cursor.execute("PRAGMA busy_timeout=0")
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except Exception:  # sqlite3.OperationalError: database is locked
                return False
            cursor.execute("ROLLBACK")
            return True
        finally:
            other.close()

    def committed_elsewhere() -> bool:
        with db.engine.connect() as other:
            return other.scalar(sa.select(sa.func.count(AuditEvent.id))) == 1

    @unit_of_work.reads_first
    def reading_then_writing():
        db.session.scalar(sa.select(sa.func.count(Participant.id)))
        seen["while_reading"] = lock_is_free()
        with unit_of_work.write_phase():
            audit.record("edit", "observation", "1", user_id=None)
            db.session.flush()
            seen["while_writing"] = lock_is_free()
        seen["after_writing"] = lock_is_free()
        seen["committed_before_the_answer"] = committed_elsewhere()
        return "written"

    app.add_url_rule(
        "/test-unit/reads-first", "reads_first", reading_then_writing, methods=["POST"]
    )
    return seen


def test_a_reads_first_unit_holds_the_write_lock_for_its_write_alone(
    app, client, reads_first_route
):
    response = client.post("/test-unit/reads-first")
    assert response.status_code == 200
    sqlite = db.engine.dialect.name == "sqlite"
    assert reads_first_route == {
        "while_reading": True,
        "while_writing": not sqlite,
        "after_writing": True,
        "committed_before_the_answer": True,
    }
    assert row_counts()["audit_event"] == 1


def _audit_rows_elsewhere() -> int:
    """Counted on another connection of the pool, in plain SQL (no unit's begin rules)."""
    other = db.engine.raw_connection()
    try:
        cursor = other.cursor()
        cursor.execute("SELECT count(*) FROM audit_event")
        return cursor.fetchone()[0]
    finally:
        other.close()


def test_a_reads_first_unit_reads_and_writes_one_statement_without_a_transaction(app, client):
    """Its connection commits each statement as it runs (PostgreSQL in autocommit: no BEGIN and
    COMMIT round trips): a one-statement write is stored once the statement returns."""
    seen: dict[str, object] = {}

    @unit_of_work.reads_first
    def one_statement():
        db.session.scalar(sa.select(sa.func.count(Participant.id)))
        seen["autocommits"] = unit_of_work.autocommits(db.session.connection())
        with unit_of_work.write_phase(one_statement=True):
            db.session.connection().execute(
                sa.insert(AuditEvent), {"action": "edit", "target_type": "observation"}
            )
            seen["stored_as_it_ran"] = _audit_rows_elsewhere()
        return "written"

    app.add_url_rule("/test-unit/one-statement", "one_statement", one_statement, methods=["POST"])
    assert client.post("/test-unit/one-statement").status_code == 200
    assert seen == {"autocommits": True, "stored_as_it_ran": 1}
    assert row_counts()["audit_event"] == 1


def test_a_reads_first_units_write_of_several_statements_is_one_transaction(app, client):
    """On the connection that commits each statement, a write phase begins a transaction of its
    own: nothing of it is seen before it ends, and a refusal in it undoes all of it."""
    seen: dict[str, int] = {}

    @unit_of_work.reads_first
    def two_statements_then_refused():
        db.session.scalar(sa.select(sa.func.count(Participant.id)))
        with unit_of_work.write_phase():
            audit.record("edit", "observation", "1", user_id=None)
            audit.record("edit", "observation", "2", user_id=None)
            db.session.flush()
            seen["seen_elsewhere"] = _audit_rows_elsewhere()
            raise Conflict({"walk": "walk_closed"})

    app.add_url_rule(
        "/test-unit/two-statements", "two_statements", two_statements_then_refused, methods=["POST"]
    )
    assert client.post("/test-unit/two-statements").status_code == 409
    assert seen == {"seen_elsewhere": 0}
    assert row_counts()["audit_event"] == 0


def test_a_spot_sent_again_after_its_walk_closed_is_answered_as_stored(app, client, spot):
    """A phone that lost the answer resends after the close: told it is stored, not refused
    (the phone would otherwise keep it forever, or drop a spot the server has)."""
    walk = db.session.scalars(sa.select(Observation)).one().walk
    walk.status = "closed"
    # Closed before the spot's time (a clock that was wrong): sent now, it would be refused.
    walk.closed_at = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    db.session.commit()
    body = {
        "id": "6f1c1d2e-6b0e-4f7e-9a55-0d1f3c2b1a00",
        "lat": 50.356,
        "lon": 3.5185,
        "recorded_at": "2026-11-20T21:00:00+01:00",
        "category": "lighting",
        "feeling": 2,
    }
    again = client.post("/api/v1/observations", json=body, headers=auth(spot))
    assert again.status_code == 200
    assert again.json["id"] == body["id"]
    recorded_after_close = capture.utcnow().isoformat()
    new = {
        **body,
        "id": "0e8b1c55-3b52-4d1e-8f0a-6a2b9c3d4e5f",
        "recorded_at": recorded_after_close,
    }
    refused = client.post("/api/v1/observations", json=new, headers=auth(spot))
    assert refused.status_code == 409 and refused.json["codes"] == {"walk": "walk_closed"}
    assert row_counts()["observation"] == 1
