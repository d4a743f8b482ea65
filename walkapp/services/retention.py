"""Retention: how long a project keeps its participants' data, and the purge of what is due.

The one definition, read by the purge, the project pages, the consent screen and the privacy
page:

- a project **closes** when it is archived (its `archived_at`); a project not archived closes at
  the end of its last event, each event ending at its planned `ends_at`, or at its `closed_at`
  when it was closed later than planned. A project with an event still open, or with no event at
  all, has not closed;
- its participants' data (spots, photos, route traces, optional profiles, pseudonymous tokens) is
  kept `Project.retention_months` calendar months after it closes (DEFAULT_MONTHS unless the
  planners chose otherwise, MIN_MONTHS to MAX_MONTHS), then `walkapp purge` erases it, each
  participant as her own erasure would (services.capture.erase_participant). The project, its
  events and stops, its attendance counts and findings stay.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import Observation, Participant, Photo, Project, TrackPoint, Walk
from . import audit
from .capture import erase_participant
from .photo_store import PhotoStore

DEFAULT_MONTHS = 24  # also the column's server default (models.Project, migration 0013)
MIN_MONTHS = 1
MAX_MONTHS = 120


def add_months(when: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later; the month's last day when it is
    shorter (31 January + 1 month = 28 or 29 February)."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def months_problem(months: object) -> str | None:
    """Why a retention cannot be used ("retention_range"), None when it can."""
    if isinstance(months, bool) or not isinstance(months, int):
        return "retention_range"
    return None if MIN_MONTHS <= months <= MAX_MONTHS else "retention_range"


def _closes(archived_at: datetime | None, ends: list[datetime], open_events: int):
    if archived_at is not None:
        return archived_at
    if open_events or not ends:
        return None
    return max(ends)


def closes_at(project: Project) -> datetime | None:
    """When the project closed (see the module's docstring), None if it has not."""
    ends = [max(w.ends_at, w.closed_at or w.ends_at) for w in project.walks]
    open_events = sum(1 for w in project.walks if w.status == "open")
    return _closes(project.archived_at, ends, open_events)


def erased_after(project: Project) -> datetime | None:
    """When the project's participants' data becomes due for erasure, None while it is open."""
    closed = closes_at(project)
    return None if closed is None else add_months(closed, project.retention_months)


@dataclass(frozen=True)
class Purged:
    """What the purge erased of one project."""

    project_id: int
    name: str
    closed_at: datetime
    retention_months: int
    participants: int
    spots: int
    photos: int
    track_points: int


def _counts(project_id: int) -> tuple[int, int, int, int]:
    people = sa.select(Participant.id).join(Walk).where(Walk.project_id == project_id)
    spots = sa.select(Observation.id).where(Observation.participant_id.in_(people))

    def count(query: sa.Select) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0

    return (
        count(people),
        count(spots),
        count(sa.select(Photo.id).where(Photo.observation_id.in_(spots))),
        count(sa.select(TrackPoint.id).where(TrackPoint.participant_id.in_(people))),
    )


def due_projects(now: datetime) -> list[tuple[Project, datetime]]:
    """The projects whose retention has passed at `now`, with when they closed."""
    ends = (
        sa.select(
            Walk.project_id,
            sa.func.max(Walk.ends_at).label("ends"),
            sa.func.max(Walk.closed_at).label("closed"),
            sa.func.count(Walk.id).filter(Walk.status == "open").label("open"),
        )
        .group_by(Walk.project_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Project, ends.c.ends, ends.c.closed, ends.c.open)
        .outerjoin(ends, ends.c.project_id == Project.id)
        .order_by(Project.id)
    ).all()
    due = []
    for project, last_end, last_close, open_events in rows:
        closed = _closes(
            project.archived_at, [t for t in (last_end, last_close) if t], open_events or 0
        )
        if closed is not None and now >= add_months(closed, project.retention_months):
            due.append((project, closed))
    return due


def purge(now: datetime, store: PhotoStore) -> list[Purged]:
    """Erase the participants of every project whose retention has passed at `now` (their spots,
    photos, traces and profiles), one audit entry per project that had any; what was erased."""
    done = []
    for project, closed in due_projects(now):
        people, spots, photos, points = _counts(project.id)
        if not people:
            continue
        result = Purged(
            project.id,
            project.name,
            closed,
            project.retention_months,
            people,
            spots,
            photos,
            points,
        )
        ids = list(
            db.session.scalars(
                sa.select(Participant.id).join(Walk).where(Walk.project_id == project.id)
            )
        )
        for participant_id in ids:
            participant = db.session.get(Participant, participant_id)
            if participant is not None:
                erase_participant(participant, store)
        details = {k: v for k, v in asdict(result).items() if k not in ("project_id", "name")}
        details["closed_at"] = closed.isoformat()
        audit.record(
            "purge", "project", project.id, user_id=None, project_id=project.id, details=details
        )
        done.append(result)
    db.session.flush()
    return done
