"""The erasure journal's file: written by the erasures, read back by `walkapp restore`.

The public interface is walkapp.services.erasure_journal (which re-exports this and adds
`reapply`); this module holds the file side alone, so that the erasures (services.capture) can
record into the journal while the journal's `reapply` erases through them, without an import
cycle.

One JSON line per erased participant id or spot uuid: {"kind", "id", "at"} — ids and time,
nothing of the content. Appended once the unit of work has committed (an erasure that rolled
back is not in it), and fsync'd. Outside a unit of work (test set-up that commits by hand)
nothing is recorded, as for every after-commit step.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from flask import current_app

from .. import unit_of_work
from ..extensions import utcnow

JOURNAL_NAME = "erasure-journal.jsonl"
KINDS = ("participant", "observation")
log = logging.getLogger(__name__)


def journal_path(instance_path: str) -> Path:
    """The journal of an instance (beside the SQLite database, outside it)."""
    return Path(instance_path) / JOURNAL_NAME


def _normal_id(kind: str, value: int | str) -> int | str:
    if kind == "participant":
        return int(value)
    return str(uuid.UUID(str(value)))


def record(kind: str, ids: Iterable[int | str], *, at: datetime | None = None) -> None:
    """Journal the erasure of these participant ids ("participant") or spot uuids
    ("observation") once the current unit of work has committed."""
    if kind not in KINDS:
        raise ValueError(f"unknown erasure kind {kind!r}")
    when = (at or utcnow()).isoformat()
    lines = [
        json.dumps({"kind": kind, "id": _normal_id(kind, value), "at": when}) + "\n"
        for value in ids
    ]
    if lines:
        path = journal_path(current_app.instance_path)
        unit_of_work.after_commit(_append, path, "".join(lines).encode())


def _append(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # a line torn by a crash stays alone on its line
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new name itself must survive a crash
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def entries(path: Path) -> list[dict]:
    """The journal's lines, in order ([] if there is no journal). A line torn by a crash while
    it was written (the erasure had committed, its line did not make it whole) is skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            log.warning("erasure journal %s: line %d is torn, skipped", path, number)
            continue
        if isinstance(entry, dict) and entry.get("kind") in KINDS and "id" in entry:
            found.append(entry)
        else:
            log.warning("erasure journal %s: line %d is not an erasure, skipped", path, number)
    return found
