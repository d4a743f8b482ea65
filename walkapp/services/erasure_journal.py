"""The erasure journal: who and which spots were erased, kept outside the database.

A backup restored after an erasure would bring the erased people back; the journal (a JSON-lines
file in the instance folder, ids and times only) lets `walkapp restore` erase them again
(`reapply`). The erasures record into it (services.capture: `erase_participant`, the owner's
`delete_observation`) once their unit of work has committed.

    JOURNAL_NAME, journal_path(instance_path) -> Path
    record(kind, ids, *, at=None)   kind "participant" (ids) or "observation" (spot uuids)
    entries(path) -> list[dict]      {"kind", "id", "at"}, in order; no file: []
    reapply(entries, store) -> int   erase again what is still there; how many were
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from ..extensions import db
from ..models import Observation, Participant
from . import capture
from .erasure_journal_file import JOURNAL_NAME, KINDS, entries, journal_path, record
from .photo_store import PhotoStore

__all__ = ["JOURNAL_NAME", "KINDS", "entries", "journal_path", "reapply", "record"]


def reapply(entries: list[dict], store: PhotoStore) -> int:
    """Erase again whatever of these journal entries is still in the database (a restored
    backup): participants through capture.erase_participant, spots through the deletion of a
    spot by its owner. Inside the caller's unit of work; nothing is journaled again (it is
    already). Returns how many were found and erased."""
    erased = 0
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        kind, value = entry.get("kind"), entry.get("id")
        if kind not in KINDS:
            raise ValueError(f"unknown erasure kind {kind!r}")
        if (kind, str(value)) in seen:
            continue
        seen.add((kind, str(value)))
        if kind == "participant":
            participant = db.session.scalar(
                sa.select(Participant).where(Participant.id == int(value))
            )
            if participant is not None:
                capture.erase_participant(participant, store, journal=False)
                erased += 1
        else:
            obs = db.session.scalar(
                sa.select(Observation).where(Observation.uuid == uuid.UUID(str(value)))
            )
            if obs is not None:
                capture.erase_observation(obs, store, journal=False)
                erased += 1
    return erased
