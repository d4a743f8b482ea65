"""Issue 14, "Erasure that leaves nothing": once a participant has erased herself (either way),
or deleted one of her spots, nothing of what she wrote remains in a copy the app controls — the
database file and its WAL (SQLite), any row of any table (both databases), the audit log, the
photo folder, the browser's cache — and the erasure journal (outside the database) lets a
restored backup be erased again."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import DATA, auth, base_config
from planner_users import login, make_user
from test_me_and_erased_tokens import _erase_with_the_code, _erase_with_the_phone
from test_photos_api import fetch, new_spot, upload

from walkapp import create_app
from walkapp.extensions import db
from walkapp.models import AuditEvent, Observation, Participant, Photo, StoredFile
from walkapp.services import capture, erasure_journal
from walkapp.services.erasure_journal_file import _append
from walkapp.services.photo_store import PhotoStore
from walkapp.unit_of_work import unit

# ASCII only: the audit log's JSON escapes other characters, a byte search would miss them.
COMMENT = "Quokka-7731 follows me from the bus stop every night"
REASON = f'Names someone: "{COMMENT}"'
OTHER_REASON = "an insult, nothing else"


def photo_dir(app) -> Path:
    return Path(app.config["PHOTO_DIR"])


def sqlite_files(app) -> list[Path]:
    """The database file and its companions (-wal, -shm), those that exist."""
    path = Path(db.engine.url.database)
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def needles(spot_uuid: str) -> dict[str, bytes]:
    u = uuid.UUID(spot_uuid)
    return {"comment": COMMENT.encode(), "uuid": str(u).encode(), "hex": u.hex.encode()}


def files_holding(paths, wanted: dict[str, bytes]) -> list[tuple[str, str]]:
    """(file, needle name) for every file whose bytes or name hold a needle."""
    found = []
    for path in paths:
        data = path.read_bytes() + str(path).encode()
        found += [(str(path), name) for name, needle in wanted.items() if needle in data]
    return found


def rows_holding(wanted: dict[str, bytes]) -> list[tuple[str, str]]:
    """(table, needle name) for every table with a row whose columns, cast to text, hold a
    needle: every table of the database, not only the models'."""
    found = []
    inspector = sa.inspect(db.engine)
    for name in inspector.get_table_names():
        table = sa.Table(name, sa.MetaData(), autoload_with=db.engine)
        as_text = [sa.cast(column, sa.Text) for column in table.columns]
        for label, needle in wanted.items():
            hit = sa.or_(*(text.contains(needle.decode(), autoescape=True) for text in as_text))
            if db.session.scalar(sa.select(sa.func.count()).select_from(table).where(hit)):
                found.append((name, label))
    db.session.rollback()  # no snapshot left open: the next erasure's checkpoint completes
    return found


def spot_with_photo(client, token) -> tuple[str, dict]:
    spot = new_spot(client, token)
    r = client.patch(f"/api/v1/observations/{spot}", headers=auth(token), json={"comment": COMMENT})
    assert r.status_code == 200, r.json
    photo = upload(client, token, spot, (DATA / "day-path.jpg").read_bytes())
    assert photo.status_code == 201
    return spot, photo.json


def hide(client, project_id: int, spot: str, reason: str) -> int:
    obs_id = db.session.scalar(sa.select(Observation.id).where(Observation.uuid == uuid.UUID(spot)))
    url = f"/planner/projects/{project_id}/observations/{obs_id}"
    assert client.post(f"{url}/hide", data={"reason": reason}).status_code == 303
    db.session.rollback()
    return obs_id


def snapshot(participant_id: int) -> dict[str, list[dict]]:
    """Her rows as a backup taken before the erasure holds them, in insertion order."""
    spots = sa.select(Observation.id).where(Observation.participant_id == participant_id)
    photos = db.session.scalars(sa.select(Photo).where(Photo.observation_id.in_(spots))).all()
    tables = {
        Participant.__table__: Participant.__table__.c.id == participant_id,
        Observation.__table__: Observation.__table__.c.participant_id == participant_id,
        StoredFile.__table__: StoredFile.__table__.c.id.in_([p.file_id for p in photos]),
        Photo.__table__: Photo.__table__.c.id.in_([p.id for p in photos]),
    }
    rows = {
        table.name: [dict(r) for r in db.session.execute(sa.select(table).where(cond)).mappings()]
        for table, cond in tables.items()
    }
    audit = AuditEvent.__table__
    about = sa.select(audit).where(
        audit.c.target_type == "observation",
        audit.c.target_id.in_([str(o["id"]) for o in rows["observation"]]),
    )
    rows["audit_event"] = [dict(r) for r in db.session.execute(about).mappings()]
    db.session.rollback()
    return rows


def restore(rows: dict[str, list[dict]]) -> None:
    """Bring her rows back, as a restored backup would (audit entries as they were then)."""
    for name in ("participant", "observation", "stored_file", "photo"):
        if rows[name]:
            db.session.execute(sa.insert(db.metadata.tables[name]), rows[name])
    audit = AuditEvent.__table__
    for row in rows["audit_event"]:
        values = {"target_id": row["target_id"], "details": row["details"]}
        db.session.execute(sa.update(audit).where(audit.c.id == row["id"]).values(values))
    db.session.commit()


@pytest.fixture
def scene(app, client, make_walk, join):
    """Her spot, with its distinctive comment and a photo, hidden by a planner with a reason
    quoting the comment, shown again and hidden again; his spot hidden too."""
    walk = make_walk()
    planner = make_user("planner@x.fr", projects=[walk.project_id])
    token, code, joined = join(walk)
    his_token = join(walk)[0]
    spot, photo = spot_with_photo(client, token)
    his_spot = new_spot(client, his_token)
    for url in (photo["url"], photo["thumbnail_url"]):
        answer = fetch(client, url, headers=auth(token))
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "private, no-store"
    login(client, planner)
    obs_id = hide(client, walk.project_id, spot, REASON)
    assert client.post(f"/planner/projects/{walk.project_id}/observations/{obs_id}/unhide")
    hide(client, walk.project_id, spot, REASON)
    his_id = hide(client, walk.project_id, his_spot, OTHER_REASON)
    return {
        "walk": walk,
        "planner": planner,
        "token": token,
        "code": code,
        "participant_id": joined["participant_id"],
        "spot": spot,
        "obs_id": obs_id,
        "his_id": his_id,
        "backup": snapshot(joined["participant_id"]),
    }


def assert_nothing_left(app, wanted: dict[str, bytes]) -> None:
    if db.engine.dialect.name == "sqlite":
        assert files_holding(sqlite_files(app), wanted) == []
    under_photos = [p for p in photo_dir(app).rglob("*") if p.is_file()]
    assert files_holding(under_photos, wanted) == []
    assert rows_holding(wanted) == []


def assert_audit_keeps_the_fact_only(scene) -> None:
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target_type == "observation").order_by(AuditEvent.id)
    ).all()
    planner, project_id = scene["planner"].id, scene["walk"].project_id
    hers = [e for e in events if e.target_id is None]
    assert [(e.action, e.user_id, e.project_id) for e in hers] == [
        ("hide", planner, project_id),
        ("unhide", planner, project_id),
        ("hide", planner, project_id),
    ]
    assert hers[0].details == hers[2].details == {"redacted": True}
    assert set(hers[1].details) == {"redacted", "hidden_at", "hidden_by_id"}
    assert all(e.at is not None for e in hers)
    # His spot's entry is untouched.
    (his,) = [e for e in events if e.target_id is not None]
    assert his.target_id == str(scene["his_id"]) and his.details["reason"] == OTHER_REASON
    db.session.rollback()


@pytest.mark.parametrize("erase", [_erase_with_the_phone, _erase_with_the_code])
def test_an_erased_participant_leaves_nothing_and_a_restore_erases_her_again(
    app, client, scene, erase
):
    wanted = needles(scene["spot"])
    if db.engine.dialect.name == "sqlite":  # the test can see them: they are there before
        assert db.session.execute(sa.text("PRAGMA secure_delete")).scalar() == 1
        db.session.rollback()
        found = {name for _file, name in files_holding(sqlite_files(app), wanted)}
        assert found == set(wanted)
    # (SQLite keeps a uuid as 32 hex digits, PostgreSQL as a uuid: its text is the str form.)
    assert {"comment", "uuid"} <= {name for _table, name in rows_holding(wanted)}
    assert list(photo_dir(app).rglob("*.jpg"))

    erase(client, scene["token"], scene["code"])

    assert_nothing_left(app, wanted)
    assert list(photo_dir(app).rglob("*.jpg")) == []
    assert_audit_keeps_the_fact_only(scene)

    path = erasure_journal.journal_path(app.instance_path)
    assert path.parent == Path(app.instance_path) and path.name == "erasure-journal.jsonl"
    entries = erasure_journal.entries(path)
    assert [(e["kind"], e["id"]) for e in entries] == [("participant", scene["participant_id"])]
    assert set(entries[0]) == {"kind", "id", "at"}
    assert not any(needle in path.read_bytes() for needle in wanted.values())

    # A backup taken before the erasure is restored: the journal erases her again.
    restore(scene["backup"])
    assert db.session.get(Participant, scene["participant_id"]) is not None
    assert {"comment", "uuid"} <= {name for _table, name in rows_holding(wanted)}
    with unit():
        assert erasure_journal.reapply(entries, PhotoStore(app.config["PHOTO_DIR"])) == 1
    assert db.session.get(Participant, scene["participant_id"]) is None
    assert_nothing_left(app, wanted)
    assert_audit_keeps_the_fact_only(scene)
    assert len(erasure_journal.entries(path)) == 1  # re-applying journals nothing again
    with unit():  # nothing left to erase
        assert erasure_journal.reapply(entries, PhotoStore(app.config["PHOTO_DIR"])) == 0


def test_a_spot_deleted_by_its_owner_leaves_nothing(app, client, scene):
    wanted = needles(scene["spot"])
    r = client.delete(f"/api/v1/observations/{scene['spot']}", headers=auth(scene["token"]))
    assert r.status_code == 204

    assert_nothing_left(app, wanted)
    assert_audit_keeps_the_fact_only(scene)
    assert db.session.get(Participant, scene["participant_id"]) is not None  # she stays
    path = erasure_journal.journal_path(app.instance_path)
    entries = erasure_journal.entries(path)
    assert [(e["kind"], e["id"]) for e in entries] == [("observation", scene["spot"])]
    assert COMMENT.encode() not in path.read_bytes()

    backup = scene["backup"]
    restore({**backup, "participant": []})  # her spot comes back with an old backup
    with unit():
        assert erasure_journal.reapply(entries, PhotoStore(app.config["PHOTO_DIR"])) == 1
    assert_nothing_left(app, wanted)
    assert_audit_keeps_the_fact_only(scene)


def test_the_journal_is_written_only_once_the_erasure_commits(app, client, make_walk, join):
    walk = make_walk()
    token, _code, joined = join(walk)
    path = erasure_journal.journal_path(app.instance_path)
    with pytest.raises(RuntimeError), unit():
        participant = db.session.get(Participant, joined["participant_id"])
        capture.erase_participant(participant, PhotoStore(app.config["PHOTO_DIR"]))
        raise RuntimeError("the unit fails after the erasure")
    assert erasure_journal.entries(path) == []
    assert db.session.get(Participant, joined["participant_id"]) is not None
    db.session.rollback()
    assert client.delete("/api/v1/me", headers=auth(token)).status_code == 204
    assert [e["id"] for e in erasure_journal.entries(path)] == [joined["participant_id"]]


def test_journal_entries_skip_a_torn_line_and_the_next_record_starts_a_new_one(tmp_path):
    path = tmp_path / "erasure-journal.jsonl"
    assert erasure_journal.entries(path) == []
    path.write_text('{"kind": "participant", "id": 3, "at": "2026-12-01T10:00:00+00:00"}\n{"ki')
    assert [e["id"] for e in erasure_journal.entries(path)] == [3]
    _append(path, b'{"kind": "observation", "id": "x", "at": "2026-12-01T10:01:00+00:00"}\n')
    assert [e["id"] for e in erasure_journal.entries(path)] == [3, "x"]


def test_stale_upload_files_are_swept_at_start_up(tmp_path):
    instance = tmp_path / "instance"
    folder = instance / "photos" / "ab"
    folder.mkdir(parents=True)
    stale, fresh, photo = folder / ".upload-x", folder / ".upload-y", folder / "ab12.jpg"
    for path in (stale, fresh, photo):
        path.write_bytes(COMMENT.encode())
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    os.utime(photo, (an_hour_ago, an_hour_ago))
    create_app({**base_config(instance), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert not stale.exists()
    assert fresh.exists() and photo.exists()  # an upload still writing; a photo


def test_an_erasure_finds_the_audit_entries_of_its_spots_by_index(app):
    """audit.redact's lookup by target reads ix_audit_event_target (migration 0015), never a
    scan of the whole audit log inside the erasure's transaction."""
    query = sa.select(AuditEvent.id).where(
        AuditEvent.target_type == "observation", AuditEvent.target_id.in_(["1", "2"])
    )
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            )
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # an empty table: force the choice
            plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_audit_event_target" in plan, plan
