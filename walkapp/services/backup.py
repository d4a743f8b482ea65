"""`walkapp backup` and `walkapp restore`: one .tar.gz holds an instance whole.

The archive:

- ``database.sqlite3`` (SQLite: a copy made with the online backup API, consistent while the app
  writes) or ``database.pgdump`` (PostgreSQL: ``pg_dump --format=custom`` of an exported
  snapshot, the same one the manifest's counts are read in);
- ``photos/…``: every photo file of the photo folder, as the folder holds them;
- ``erasure-journal.jsonl``: the erasure journal of the instance folder, when there is one;
- ``manifest.json``: walkapp's version, the alembic revision, the database's kind, when it was
  made, the number of rows of every table and the SHA-256 of every photo file's bytes.

A backup keeps what was erased after it was made, until the backup itself is deleted. That is
why every restore re-applies the erasure journal: the archive's, merged with the one already in
the target instance folder (a journal copied off the machine since, newer than the archive), so
whoever was erased after the backup is erased again before anyone sees the restored data.

Restore refuses a target that holds anything (a project or user row, or a photo file), checks
every photo against the manifest before it changes anything, then puts the database and the
photos in place. The erasures are re-applied by the caller in a unit of work (walkapp.cli).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import Flask

from ..extensions import db

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
PHOTOS = "photos"
FORMAT = 1  # the archive's layout; a later layout bumps it
# What an archive may hold: nothing else is ever extracted (no path outside the staging folder,
# no link, no device).
PHOTO_NAME = re.compile(r"photos/[0-9a-f]{2}/[0-9a-f]{64}(\.thumb)?\.jpg")
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in a sentence."""


def journal_name() -> str:
    from . import erasure_journal

    return erasure_journal.JOURNAL_NAME


# --- Helpers --------------------------------------------------------------------------------------


def database_kind(engine: sa.Engine) -> str:
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"walkapp backs up SQLite and PostgreSQL, not {name}")
    return name


def libpq_url(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy URL (postgresql+psycopg://…) as libpq takes it, and the environment that
    carries its password (PGPASSWORD: never on a command line that `ps` shows)."""
    env = {}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        )
    result = subprocess.run(
        [tool, *command[1:]],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _facts(scalar) -> dict[str, Any]:
    """The alembic revision and the rows of every table, `scalar(sql)` reading one value."""
    try:
        counts = {
            table.name: scalar(f'SELECT count(*) FROM "{table.name}"')
            for table in db.metadata.sorted_tables
        }
        revision = scalar("SELECT version_num FROM alembic_version")
    except (sqlite3.Error, sa.exc.DBAPIError):
        raise BackupError(
            "the database has no walkapp tables yet (`walkapp db upgrade` first)"
        ) from None
    return {"revision": revision, "counts": counts}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("walkapp")
    except PackageNotFoundError:
        return "unknown"


def photo_files(photo_dir: Path) -> list[Path]:
    """The files of the photo folder (not the temporary files of a write under way)."""
    if not photo_dir.is_dir():
        return []
    return sorted(
        path
        for path in photo_dir.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.parts[-2:])
    )


def _is_photo(photo_dir: Path, path: Path) -> bool:
    """Named as PhotoStore names its files (anything else in the folder is not walkapp's)."""
    return bool(PHOTO_NAME.fullmatch(f"{PHOTOS}/{path.relative_to(photo_dir).as_posix()}"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _Hashing:
    """A file read through once: into the archive, and into its SHA-256."""

    def __init__(self, f: IO[bytes]):
        self.f, self.digest = f, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.digest.update(data)
        return data


# --- Backup ---------------------------------------------------------------------------------------


@dataclass
class Manifest:
    data: dict[str, Any]

    @property
    def photos(self) -> dict[str, str]:
        return self.data["photos"]

    @property
    def counts(self) -> dict[str, int]:
        return self.data["counts"]


def _database_snapshot(kind: str, staging: Path) -> tuple[Path, dict[str, Any]]:
    """The database as one consistent snapshot in a file, and what the manifest says of it
    (revision, counts), read from that same snapshot."""
    if kind == "sqlite":
        target = staging / SQLITE_MEMBER
        src, dst = sqlite3.connect(db.engine.url.database), sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            facts = _facts(lambda sql: dst.execute(sql).fetchone()[0])
        finally:
            src.close()
            dst.close()
        return target, facts
    target = staging / PG_MEMBER
    url, env = libpq_url(db.engine.url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        # pg_dump reads the very snapshot the counts are read in (exported by this transaction,
        # valid while it is open).
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        facts = _facts(lambda sql: conn.exec_driver_sql(sql).scalar())
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}", url],
            env,
        )
        conn.rollback()
    return target, facts


def backup(app: Flask, archive: Path) -> Manifest:
    """Write the instance's backup to `archive` (.tar.gz), atomically: a reader never finds half
    an archive, and a failed backup leaves none."""
    from . import erasure_journal

    archive = Path(archive).resolve()
    archive.parent.mkdir(parents=True, exist_ok=True)
    kind = database_kind(db.engine)
    instance = Path(app.instance_path)
    photo_dir = Path(app.config["PHOTO_DIR"])
    # Made beside its final name (renamed once whole), readable by its owner only (mode 0600):
    # it holds the participants' data.
    fd, tmp_name = tempfile.mkstemp(dir=archive.parent, prefix=".backup-", suffix=".tar.gz")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with (
            tempfile.TemporaryDirectory(dir=instance, prefix=".backup-") as staging,
            tarfile.open(tmp, "w:gz") as tar,
        ):
            dump, facts = _database_snapshot(kind, Path(staging))
            tar.add(dump, arcname=dump.name)
            photos = {}
            for path in filter(lambda p: _is_photo(photo_dir, p), photo_files(photo_dir)):
                name = f"{PHOTOS}/{path.relative_to(photo_dir).as_posix()}"
                try:
                    f = path.open("rb")
                except FileNotFoundError:
                    continue  # erased since it was listed: the journal erases its row too
                with f:
                    info = tar.gettarinfo(arcname=name, fileobj=f)
                    info.mode, info.uid, info.gid, info.uname, info.gname = 0o644, 0, 0, "", ""
                    reader = _Hashing(f)
                    tar.addfile(info, reader)
                photos[name] = reader.digest.hexdigest()
            # After the snapshot: an erasure committed meanwhile is in the journal, re-applied
            # by the restore (one committed before is in the snapshot already).
            journal = erasure_journal.journal_path(str(instance))
            has_journal = journal.is_file()
            if has_journal:
                tar.add(journal, arcname=journal_name())
            manifest = Manifest(
                {
                    "format": FORMAT,
                    "walkapp_version": _version(),
                    "alembic_revision": facts["revision"],
                    "database": kind,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "counts": facts["counts"],
                    "photos": photos,
                    "erasure_journal": has_journal,
                }
            )
            body = json.dumps(manifest.data, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o644, int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(body))
        os.replace(tmp, archive)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return manifest


# --- Restore --------------------------------------------------------------------------------------


@dataclass
class Restore:
    """An archive unpacked and checked, beside the target instance, not yet in place."""

    staging: Path
    manifest: Manifest
    kind: str
    journal_entries: list[dict] = field(default_factory=list)
    photos: int = 0


def target_holds_data(app: Flask) -> str | None:
    """Why the target instance is not empty (a sentence), or None when it is."""
    tables = set(sa.inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        for table in ("project", "user"):
            if table in tables and conn.exec_driver_sql(f'SELECT 1 FROM "{table}"').first():
                return f"the target database already holds data (table {table!r} is not empty)"
    if photo_files(Path(app.config["PHOTO_DIR"])):
        return f"the photo folder {app.config['PHOTO_DIR']} already holds files"
    return None


def _extract(archive: Path, staging: Path) -> None:
    allowed = {MANIFEST, SQLITE_MEMBER, PG_MEMBER, journal_name()}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.isdir():
                    continue
                if not member.isfile() or not (
                    member.name in allowed or PHOTO_NAME.fullmatch(member.name)
                ):
                    raise BackupError(f"{archive} holds {member.name!r}: not a walkapp backup")
                tar.extract(member, staging, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{archive} cannot be read as a walkapp backup: {exc}") from None


def prepare(app: Flask, archive: Path) -> Restore:
    """Refuse a target that is not empty, unpack the archive beside it and check it whole (every
    photo's SHA-256 against the manifest) — before anything of the target changes."""
    from . import erasure_journal

    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    kind = database_kind(db.engine)
    if (reason := target_holds_data(app)) is not None:
        raise BackupError(f"Restore refused: {reason}. Restore into an empty instance.")
    staging = Path(tempfile.mkdtemp(dir=app.instance_path, prefix=".restore-"))
    try:
        _extract(archive, staging)
        manifest = _checked_manifest(archive, staging, kind)
        if kind == "postgresql":
            _check_target_revision(manifest)
        entries = []
        for journal in (staging / journal_name(), erasure_journal.journal_path(app.instance_path)):
            if journal.is_file():
                entries += erasure_journal.entries(journal)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Restore(staging, manifest, kind, merge(entries), len(manifest.photos))


def _checked_manifest(archive: Path, staging: Path, kind: str) -> Manifest:
    """The archive's manifest, once the unpacked archive is found to be what it says."""
    try:
        manifest = Manifest(json.loads((staging / MANIFEST).read_text()))
    except (OSError, ValueError):
        raise BackupError(f"{archive} has no readable manifest: not a walkapp backup") from None
    if manifest.data.get("format") != FORMAT:
        raise BackupError(f"{archive}: archive format {manifest.data.get('format')!r} unknown")
    if manifest.data["database"] != kind:
        raise BackupError(
            f"{archive} holds a {manifest.data['database']} database; the target is {kind}"
        )
    if not (staging / (SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER)).is_file():
        raise BackupError(f"{archive} holds no database")
    found = {
        f"{PHOTOS}/{path.relative_to(staging / PHOTOS).as_posix()}": path
        for path in photo_files(staging / PHOTOS)
    }
    if set(found) != set(manifest.photos):
        missing = sorted(set(manifest.photos) - set(found))
        extra = sorted(set(found) - set(manifest.photos))
        raise BackupError(
            f"{archive}: the photos do not match the manifest "
            f"(missing: {missing[:5]}, not listed: {extra[:5]})"
        )
    damaged = sorted(
        name for name, path in found.items() if sha256_of(path) != manifest.photos[name]
    )
    if damaged:
        raise BackupError(
            f"{archive}: {len(damaged)} photo(s) differ from the manifest, e.g. {damaged[0]}"
        )
    return manifest


def _check_target_revision(manifest: Manifest) -> None:
    """PostgreSQL: the dump replaces the tables it holds, no other. A target already migrated
    to another revision would keep tables of that one, and the next upgrade would fail."""
    tables = set(sa.inspect(db.engine).get_table_names())
    if "alembic_version" not in tables:
        return
    with db.engine.connect() as conn:
        current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    if current is not None and current != manifest.data["alembic_revision"]:
        raise BackupError(
            f"Restore refused: the target database is at migration {current}, the backup at "
            f"{manifest.data['alembic_revision']}. Restore into a new, empty database (not "
            "upgraded), then run `walkapp db upgrade`."
        )


def merge(entries: list[dict]) -> list[dict]:
    """Each erasure once (by kind and id), the earliest, in the order they were made."""
    first: dict[tuple[str, str], dict] = {}
    for entry in entries:
        key = (entry["kind"], str(entry["id"]))
        if key not in first or str(entry.get("at") or "") < str(first[key].get("at") or ""):
            first[key] = entry
    return sorted(first.values(), key=lambda e: (str(e.get("at") or ""), e["kind"], str(e["id"])))


def install(app: Flask, plan: Restore) -> None:
    """Put the database and the photos in place (the target was found empty by `prepare`)."""
    db.session.remove()
    db.engine.dispose()  # no connection of ours holds a lock the restore must take
    if plan.kind == "sqlite":
        # The backup API copies the file into place page by page, in one transaction: the target
        # file (and its -wal) stay coherent, whoever else has it open.
        src = sqlite3.connect(plan.staging / SQLITE_MEMBER)
        dst = sqlite3.connect(db.engine.url.database)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    else:
        url, env = libpq_url(db.engine.url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={url}",
                str(plan.staging / PG_MEMBER),
            ],
            env,
        )
    photo_dir = Path(app.config["PHOTO_DIR"])
    for name in plan.manifest.photos:
        source = plan.staging / name
        target = photo_dir / Path(name).relative_to(PHOTOS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
    # The installed files are the ones checked (a move within one file system is a rename; across
    # two, a copy: checked again).
    for name, digest in plan.manifest.photos.items():
        if sha256_of(photo_dir / Path(name).relative_to(PHOTOS)) != digest:
            raise BackupError(f"{name} differs from the manifest once in place")


def write_journal(app: Flask, plan: Restore) -> None:
    """The target instance keeps the merged journal: its next backup carries it on."""
    path = Path(app.instance_path) / journal_name()
    if not plan.journal_entries:
        return  # nobody was ever erased: no journal yet, as on a new instance
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".journal-")
    with os.fdopen(fd, "w") as f:
        for entry in plan.journal_entries:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
    os.replace(tmp, path)


def finish(plan: Restore) -> None:
    shutil.rmtree(plan.staging, ignore_errors=True)


def reapply_erasures(plan: Restore, store) -> int:
    """Erase again, in the caller's unit of work, whoever the journal says was erased."""
    from . import erasure_journal

    return erasure_journal.reapply(plan.journal_entries, store)
