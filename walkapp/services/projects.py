"""Projects: create and edit them, set their perimeter, read their events and audit log.

Use cases flush; the request (or command) boundary commits. Every change is written to the audit
log in the same transaction. The rules for an INSEE code and a time zone live here once: the forms
call them to word their messages, the use cases check them again for any other caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..domain.perimeter_checks import Question
from ..domain.perimeter_checks import perimeter_questions as _perimeter_questions
from ..domain.vocabularies import PROJECT_PHASES
from ..extensions import db
from ..models import (
    AuditEvent,
    Observation,
    Participant,
    Project,
    ProjectMember,
    Stop,
    User,
    Walk,
)
from . import audit, retention
from .errors import Invalid, Problem

# The INSEE code of a commune: 5 digits ("59606" Valenciennes), or 2A/2B then 3 digits in Corsica
# ("2A004" Ajaccio). Overseas communes are 5 digits too (97xxx).
INSEE_CODE = re.compile(r"(?:\d{5}|2[AB]\d{3})")
DEFAULT_TIMEZONE = "Europe/Paris"
AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class ProjectData:
    """What a planner types, already parsed and stripped."""

    name: str
    commune: str = ""
    insee_code: str | None = None
    description: str = ""
    phase: str = "diagnostic"
    timezone: str = DEFAULT_TIMEZONE
    # Months the participants' data is kept after the project closes (services.retention).
    retention_months: int = retention.DEFAULT_MONTHS


@dataclass(frozen=True)
class EventCounts:
    participants: int = 0
    spots: int = 0


def normalize_insee_code(code: str | None) -> str | None:
    code = (code or "").strip().upper()
    return code or None


def is_insee_code(code: str) -> bool:
    return INSEE_CODE.fullmatch(code) is not None


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """An IANA time zone name known to zoneinfo ("Europe/Paris", "America/Cayenne", ...)."""
    return name in _timezones()


def _check(data: ProjectData) -> None:
    errors = {}
    if not data.name.strip():
        errors["name"] = "required"
    if data.insee_code is not None and not is_insee_code(data.insee_code):
        errors["insee_code"] = "insee_code_invalid"
    if data.phase not in PROJECT_PHASES:
        errors["phase"] = "unknown"
    if not is_timezone(data.timezone):
        errors["timezone"] = "unknown"
    if problem := retention.months_problem(data.retention_months):
        errors["retention_months"] = Problem(
            problem, min=retention.MIN_MONTHS, max=retention.MAX_MONTHS
        )
    if errors:
        raise Invalid(errors)


def _perimeter_summary(perimeter: dict[str, Any] | None, source: str) -> dict[str, Any]:
    if perimeter is None:
        return {"perimeter": "removed"}
    polygons = perimeter["coordinates"]
    if perimeter["type"] == "Polygon":
        polygons = [polygons]
    points = sum(len(ring) - 1 for polygon in polygons for ring in polygon)
    return {"type": perimeter["type"], "parts": len(polygons), "points": points, "source": source}


# --- Use cases ----------------------------------------------------------------------------------


def create_project(
    data: ProjectData,
    *,
    user_id: int,
    perimeter: dict[str, Any] | None = None,
    perimeter_source: str = "file",
) -> Project:
    """A new project; its creator becomes a member. `perimeter` is already normalised
    (domain.geo.perimeter_geometry)."""
    _check(data)
    project = Project(**asdict(data), perimeter=perimeter)
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectMember(user_id=user_id, project_id=project.id, role="planner"))
    fields = {k: v for k, v in asdict(data).items() if k != "description"}
    audit.record(
        "create", "project", project.id, user_id=user_id, project_id=project.id, details=fields
    )
    if perimeter is not None:
        audit.record(
            "edit",
            "perimeter",
            project.id,
            user_id=user_id,
            project_id=project.id,
            details=_perimeter_summary(perimeter, perimeter_source),
        )
    db.session.flush()
    return project


def update_project(project: Project, data: ProjectData, *, user_id: int) -> dict[str, Any]:
    """Change the project's fields; returns the changes ({field: [before, after]}).

    The description's text is not copied into the log (it may be long): only that it changed.
    """
    _check(data)
    changes: dict[str, Any] = {}
    for key, value in asdict(data).items():
        before = getattr(project, key)
        if before != value:
            changes[key] = "changed" if key == "description" else [before, value]
            setattr(project, key, value)
    if changes:
        audit.record(
            "edit", "project", project.id, user_id=user_id, project_id=project.id, details=changes
        )
        db.session.flush()
    return changes


def set_perimeter(
    project: Project, perimeter: dict[str, Any] | None, *, user_id: int, source: str
) -> bool:
    """Replace (or, with None, remove) the perimeter; False when it is the same shape."""
    if perimeter == project.perimeter:
        return False
    project.perimeter = perimeter
    audit.record(
        "edit",
        "perimeter",
        project.id,
        user_id=user_id,
        project_id=project.id,
        details=_perimeter_summary(perimeter, source),
    )
    db.session.flush()
    return True


def perimeter_questions(
    project: Project | None, perimeter: dict[str, Any] | None
) -> list[Question]:
    """What the planner must confirm before `perimeter` replaces the project's (None: a new
    project): domain.perimeter_checks, with the stops and visible spots the project has. None
    (no perimeter) and the project's own perimeter unchanged raise no question."""
    if perimeter is None or (project is not None and perimeter == project.perimeter):
        return []
    if project is None or project.id is None:
        return _perimeter_questions(perimeter)
    stops, spots = project_points(project.id)
    return _perimeter_questions(perimeter, stops=stops, spots=spots)


# --- Reading ------------------------------------------------------------------------------------


def _stop_positions(project_id: int) -> sa.Select:
    return (
        sa.select(Stop.lat, Stop.lon)
        .join(Walk, Walk.id == Stop.walk_id)
        .where(Walk.project_id == project_id)
    )


def _spot_positions(project_id: int) -> sa.Select:
    return (
        sa.select(Observation.lat, Observation.lon)
        .join(Walk, Walk.id == Observation.walk_id)
        .where(Walk.project_id == project_id, Observation.hidden_at.is_(None))
    )


def project_points(project_id: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(lat, lon) of the project's stops, and of its spots (hidden ones left out, as on maps)."""
    stops = [(lat, lon) for lat, lon in db.session.execute(_stop_positions(project_id))]
    spots = [(lat, lon) for lat, lon in db.session.execute(_spot_positions(project_id))]
    return stops, spots


def points_bounds(project_id: int) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the project's stops and visible spots (a map's
    bounds, Leaflet's order), None when it has neither."""
    boxes = []
    for query in (_stop_positions(project_id), _spot_positions(project_id)):
        rows = query.subquery()
        box = db.session.execute(
            sa.select(
                sa.func.min(rows.c.lat),
                sa.func.min(rows.c.lon),
                sa.func.max(rows.c.lat),
                sa.func.max(rows.c.lon),
            )
        ).one()
        if box[0] is not None:
            boxes.append(box)
    if not boxes:
        return None
    return [
        [min(b[0] for b in boxes), min(b[1] for b in boxes)],
        [max(b[2] for b in boxes), max(b[3] for b in boxes)],
    ]


def with_events(query: sa.Select) -> sa.Select:
    """Load each project's events with it (one more query, not one per project)."""
    return query.options(selectinload(Project.walks))


def event_counts(project_ids: Iterable[int]) -> dict[int, EventCounts]:
    """Participants and spots (hidden spots left out, as on maps) of each event of the projects."""
    ids = list(project_ids)
    if not ids:
        return {}
    people = dict(
        db.session.execute(
            sa.select(Walk.id, sa.func.count(Participant.id))
            .join(Participant, Participant.walk_id == Walk.id)
            .where(Walk.project_id.in_(ids))
            .group_by(Walk.id)
        ).all()
    )
    spots = dict(
        db.session.execute(
            sa.select(Walk.id, sa.func.count(Observation.id))
            .join(Observation, Observation.walk_id == Walk.id)
            .where(Walk.project_id.in_(ids), Observation.hidden_at.is_(None))
            .group_by(Walk.id)
        ).all()
    )
    return {
        walk_id: EventCounts(people.get(walk_id, 0), spots.get(walk_id, 0))
        for walk_id in people.keys() | spots.keys()
    }


@dataclass(frozen=True)
class AuditEntry:
    event: AuditEvent
    user: User | None
    project_name: str | None
    timezone: str


def audit_entries(
    project_id: int | None = None, *, before: int | None = None, limit: int = AUDIT_PAGE_SIZE
) -> tuple[list[AuditEntry], int | None]:
    """One page of the audit log, newest first: a project's, or (None) everything.

    Keyset paging on the id (the order of writing): `before` is the last id of the previous page;
    returns the entries and the `before` of the next page (None on the last page).
    """
    query = (
        sa.select(AuditEvent, User, Project.name, Project.timezone)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Project, Project.id == AuditEvent.project_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if project_id is not None:
        query = query.where(AuditEvent.project_id == project_id)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = db.session.execute(query).all()
    entries = [
        AuditEntry(event, user, name, tz or DEFAULT_TIMEZONE)
        for event, user, name, tz in rows[:limit]
    ]
    following = entries[-1].event.id if len(rows) > limit else None
    return entries, following
