"""`walkapp backup` and `walkapp restore`, on the demo project, on SQLite and on PostgreSQL.

A backup restored into an empty second instance holds the same rows in every table and the
same photo files; a participant erased after the backup is erased again by the restore (the
erasure journal, newer than the archive, is in the target instance folder); a target that
holds anything is refused and left as it was, and so is an archive whose photos differ from
its manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import base_config

from walkapp import create_app
from walkapp.cli import main
from walkapp.extensions import db
from walkapp.models import ErasedToken, Observation, Participant, StoredFile
from walkapp.services import capture, erasure_journal
from walkapp.services.backup import photo_files
from walkapp.services.demo import load_demo
from walkapp.services.photo_store import PhotoStore
from walkapp.unit_of_work import unit


@pytest.fixture
def demo(app):
    """The demo project in the test's instance, committed by a unit of work as the command's."""
    store = PhotoStore(app.config["PHOTO_DIR"])
    with unit():
        load_demo(store, password="demo-password-for-tests")
    assert photo_files(Path(app.config["PHOTO_DIR"])), "the demo has photos"
    return store


@pytest.fixture
def new_instance(app, tmp_path):
    """new_instance(name) -> an app on an empty instance folder and an empty, never-migrated
    database of the same kind as the test's (PostgreSQL: a database of its own on the same
    server, dropped at the end)."""
    made: list[tuple] = []
    kind = db.engine.dialect.name
    server = db.engine.url

    def make(name: str):
        instance = tmp_path / name
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'{name}.db'}"
        else:
            database = f"test_restore_{name}"
            _admin(server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            _admin(server, f'CREATE DATABASE "{database}"')
            url = server.set(database=database).render_as_string(hide_password=False)
        other = create_app({**base_config(instance), "SQLALCHEMY_DATABASE_URI": url})
        made.append((other, url))
        return other

    yield make
    for other, url in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        if kind == "postgresql":
            database = sa.make_url(url).database
            _admin(server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _admin(server: sa.URL, statement: str) -> None:
    engine = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def run(app, *args: str):
    """The `walkapp` command on `app` (its own app context: the test's belongs to the first)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(main, list(args))
        db.session.remove()
    return result


def rows(app) -> dict[str, list[tuple]]:
    """Every table's rows, sorted (the alembic revision with them)."""
    with app.app_context():
        tables = [*db.metadata.sorted_tables, sa.table("alembic_version", sa.column("version_num"))]
        found = {
            table.name: sorted(
                (tuple(row) for row in db.session.execute(sa.select(table))), key=repr
            )
            for table in tables
        }
        db.session.remove()
    return found


def photo_hashes(app) -> dict[str, str]:
    folder = Path(app.config["PHOTO_DIR"])
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in photo_files(folder)
    }


def files_of_rows(app) -> set[str]:
    """The photo files the stored_file rows name (image and thumbnail)."""
    with app.app_context():
        digests = list(db.session.scalars(sa.select(StoredFile.sha256)))
        db.session.remove()
    return {f"{sha[:2]}/{sha}{suffix}" for sha in digests for suffix in (".jpg", ".thumb.jpg")}


def test_a_backup_restored_into_an_empty_instance_is_the_same_instance(
    app, demo, tmp_path, new_instance
):
    archive = tmp_path / "backups" / "walkapp.tar.gz"
    result = run(app, "backup", str(archive))
    assert result.exit_code == 0, result.output
    assert "photo files" in result.output
    assert archive.stat().st_mode & 0o777 == 0o600  # the participants' data: its owner's only
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    kind = db.engine.dialect.name
    assert ("database.sqlite3" if kind == "sqlite" else "database.pgdump") in names
    assert manifest["database"] == kind
    assert manifest["alembic_revision"] == rows(app)["alembic_version"][0][0]
    assert manifest["walkapp_version"] and manifest["created_at"]
    before = rows(app)
    assert manifest["counts"] == {
        name: len(table_rows) for name, table_rows in before.items() if name != "alembic_version"
    }
    assert manifest["counts"]["participant"] > 0 and manifest["counts"]["photo"] > 0
    assert {k.removeprefix("photos/"): v for k, v in manifest["photos"].items()} == photo_hashes(
        app
    )
    assert not manifest["erasure_journal"]  # nobody was erased yet

    target = new_instance("copy")
    result = run(target, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert rows(target) == before
    assert photo_hashes(target) == photo_hashes(app)
    assert set(photo_hashes(target)) == files_of_rows(target)
    # Nothing of the restore is left behind in the instance folder.
    leftovers = [p.name for p in Path(target.instance_path).iterdir() if p.name.startswith(".")]
    assert leftovers == []
    with target.app_context():
        assert target.test_client().get("/healthz").json["status"] == "ok"


def test_a_restore_erases_again_whoever_was_erased_after_the_backup(
    app, demo, tmp_path, new_instance
):
    archive = tmp_path / "before-erasure.tar.gz"
    assert run(app, "backup", str(archive)).exit_code == 0

    # After the backup: a participant with photos asks to be erased.
    participant = db.session.scalar(
        sa.select(Participant)
        .join(Observation, Observation.participant_id == Participant.id)
        .where(Observation.photos.any())
        .order_by(Participant.id)
        .limit(1)
    )
    gone_id, gone_token = participant.id, participant.token_hash
    with unit():
        capture.erase_participant(participant, demo)
    journal = erasure_journal.journal_path(app.instance_path)
    assert [(e["kind"], e["id"]) for e in erasure_journal.entries(journal)] == [
        ("participant", gone_id)
    ]
    after_erasure = rows(app)

    # A new machine: the older archive, and the journal copied off the old one since.
    target = new_instance("after-erasure")
    Path(target.instance_path).mkdir(parents=True, exist_ok=True)
    shutil.copy(journal, erasure_journal.journal_path(target.instance_path))
    result = run(target, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "1 erased again" in result.output

    restored = rows(target)
    assert gone_id not in {row[0] for row in restored["participant"]}
    with target.app_context():
        assert db.session.get(Participant, gone_id) is None
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(Observation.participant_id == gone_id)
            )
            == 0
        )
        assert db.session.get(ErasedToken, gone_token) is not None
        db.session.remove()
    # The same data as the instance the erasure was made on (the erasure's own times aside).
    for name in after_erasure:
        if name != "erased_token":
            assert restored[name] == after_erasure[name], name
    # Her photo files are gone too, and the target keeps the journal for its own backups.
    assert set(photo_hashes(target)) == files_of_rows(target) == set(photo_hashes(app))
    assert erasure_journal.entries(erasure_journal.journal_path(target.instance_path)) == (
        erasure_journal.entries(journal)
    )

    # Its next backup carries the journal on.
    again = tmp_path / "after-restore.tar.gz"
    assert run(target, "backup", str(again)).exit_code == 0
    with tarfile.open(again) as tar:
        assert json.load(tar.extractfile("manifest.json"))["erasure_journal"] is True


def test_a_restore_into_an_instance_that_holds_data_is_refused_and_changes_nothing(
    app, demo, tmp_path
):
    archive = tmp_path / "walkapp.tar.gz"
    assert run(app, "backup", str(archive)).exit_code == 0
    db.session.execute(sa.delete(Participant).where(Participant.id.in_([1, 2])))
    db.session.commit()
    before, files = rows(app), photo_hashes(app)

    result = run(app, "restore", str(archive))
    assert result.exit_code == 1
    assert "Restore refused" in result.output and "not empty" in result.output
    assert rows(app) == before
    assert photo_hashes(app) == files
    assert [p for p in Path(app.instance_path).iterdir() if p.name.startswith(".restore")] == []


def test_a_stray_photo_file_is_enough_to_refuse(app, demo, tmp_path, new_instance):
    archive = tmp_path / "walkapp.tar.gz"
    assert run(app, "backup", str(archive)).exit_code == 0
    target = new_instance("stray")
    stray = Path(target.config["PHOTO_DIR"]) / "ab" / ("ab" + "0" * 62 + ".jpg")
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"a photo of another instance")

    result = run(target, "restore", str(archive))
    assert result.exit_code == 1
    assert "Restore refused" in result.output and "photo folder" in result.output
    assert photo_files(Path(target.config["PHOTO_DIR"])) == [stray]


def test_an_archive_whose_photo_differs_from_its_manifest_is_refused(
    app, demo, tmp_path, new_instance
):
    archive = tmp_path / "walkapp.tar.gz"
    assert run(app, "backup", str(archive)).exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        changed = None
        for member in src:
            data = src.extractfile(member).read()
            if changed is None and member.name.startswith("photos/"):
                changed, data = member.name, data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(member, io.BytesIO(data))
    target = new_instance("damaged")

    result = run(target, "restore", str(damaged))
    assert result.exit_code == 1
    assert "differ from the manifest" in result.output
    assert photo_files(Path(target.config["PHOTO_DIR"])) == []
    with target.app_context():
        tables = sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert "project" not in tables  # the database was not touched
