"""A project's end: archived (read-only, out of the current lists and indicators, still counted
in the years its events ran) or deleted (its data erased, photo files included)."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db, utcnow
from ..models import Observation, Participant, Photo, Project, Walk
from . import audit
from .capture import delete_photos_where
from .errors import Conflict, Invalid
from .photo_store import PhotoStore


def archive(project: Project, *, user_id: int) -> bool:
    """Archive the project; False if it already was. Refused while one of its walks is open:
    participants are tagging spots in it."""
    if project.archived_at is not None:
        return False
    open_walk = db.session.scalar(
        sa.select(Walk.title).where(Walk.project_id == project.id, Walk.status == "open").limit(1)
    )
    if open_walk is not None:
        raise Conflict({"project": "archive_walk_open"})
    project.archived_at = utcnow()
    audit.record("archive", "project", project.id, user_id=user_id, project_id=project.id)
    db.session.flush()
    return True


def unarchive(project: Project, *, user_id: int) -> bool:
    if project.archived_at is None:
        return False
    project.archived_at = None
    audit.record("unarchive", "project", project.id, user_id=user_id, project_id=project.id)
    db.session.flush()
    return True


def delete(project: Project, typed_name: str, *, user_id: int, store: PhotoStore) -> dict:
    """Erase the project and everything in it (events, participants, spots, photos and their
    files once committed, findings); the typed name must be the project's. The audit entry
    keeps the fact and the counts, not the content. Returns the counts."""
    if typed_name.strip() != project.name.strip():
        raise Invalid({"confirm_name": "delete_name_mismatch"})
    counts = contents(project)
    walks = sa.select(Walk.id).where(Walk.project_id == project.id)
    spots = sa.select(Observation.id).where(Observation.walk_id.in_(walks))
    delete_photos_where(Photo.observation_id.in_(spots), store)
    audit.record(
        "delete",
        "project",
        project.id,
        user_id=user_id,
        details={"name": project.name, **counts},
    )
    # Events, stops, participants, spots, traces, findings, memberships: ON DELETE CASCADE.
    db.session.execute(sa.delete(Project).where(Project.id == project.id))
    db.session.expire_all()
    return counts


def contents(project: Project) -> dict[str, int]:
    """What deleting the project would erase, counted (the confirmation page says it)."""
    walks = sa.select(Walk.id).where(Walk.project_id == project.id)
    spots = sa.select(Observation.id).where(Observation.walk_id.in_(walks))
    return {
        "events": db.session.scalar(sa.select(sa.func.count()).select_from(walks.subquery())),
        "participants": db.session.scalar(
            sa.select(sa.func.count(Participant.id)).where(Participant.walk_id.in_(walks))
        ),
        "spots": db.session.scalar(sa.select(sa.func.count()).select_from(spots.subquery())),
        "photos": db.session.scalar(
            sa.select(sa.func.count(Photo.id)).where(Photo.observation_id.in_(spots))
        ),
    }
