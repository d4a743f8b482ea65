"""Events of a project: schedule, edit, delete, open and close them (they flush; the
request's unit of work commits).

An event is a `Walk` row whatever its kind (exploratory walk, post-works survey, consultation
meeting). Its life is planned -> open -> closed, each step once: a closed walk still takes the
spots that phones recorded before it closed (late sync, see capture.submit_observation), so
closing never loses data, and it is never reopened (indicators count it as held).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..domain.geo import point_in_perimeter
from ..domain.join_codes import new_join_code
from ..domain.permissions import FACILITATE, can
from ..domain.rules import valid_position
from ..domain.vocabularies import AUDIENCES, EVENT_KINDS
from ..extensions import db, utcnow
from ..models import Participant, Project, ProjectMember, Stop, User, Walk
from . import audit
from .errors import Conflict, Invalid

PERMANENT_KIND = "appropriation_survey"  # the one kind whose QR may be permanent
# 27^8 codes: a collision is already unlikely once; this many in a row means something is broken.
JOIN_CODE_TRIES = 8


@dataclass(frozen=True)
class StopData:
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class EventData:
    """What a planner types, already parsed; times are aware UTC datetimes."""

    kind: str
    audience: str
    title: str
    starts_at: datetime
    ends_at: datetime
    group_description: str = ""
    meeting_point: str = ""
    facilitator_id: int | None = None
    stops: tuple[StopData, ...] = field(default_factory=tuple)
    # An appropriation survey's QR codes stay on street furniture (Walk.permanent); ignored for
    # any other kind.
    permanent: bool = False


@dataclass(frozen=True)
class StopWarning:
    """A stop that is stored but looks wrong (outside the perimeter): warn, do not block."""

    number: int
    name: str
    swapped: bool  # latitude and longitude swapped would put it inside


# --- Time --------------------------------------------------------------------------------------


def local_to_utc(naive: datetime, tz_name: str) -> datetime:
    """A wall-clock time typed in the project's time zone, as an aware UTC datetime.

    A time skipped when clocks go forward (02:30 on the last Sunday of March in Paris) does not
    exist: Invalid. A time that happens twice when clocks go back takes the first one (summer
    time), as a person reading a poster would.
    """
    tz = ZoneInfo(tz_name)
    aware = naive.replace(tzinfo=tz, fold=0)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive.replace(tzinfo=None):
        raise Invalid({"time": "time_skipped"})
    return aware.astimezone(UTC)


def utc_to_local(value: datetime, tz_name: str) -> datetime:
    """The naive wall-clock time in the project's time zone (to fill a form field)."""
    return value.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)


# --- Checks ------------------------------------------------------------------------------------


def facilitator_choices(project: Project) -> list[User]:
    """Members of the project whose role lets them lead a walk, by name."""
    rows = db.session.execute(
        sa.select(User, ProjectMember.role)
        .join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id, User.active.is_(True))
        .order_by(User.name, User.email)
    )
    return [user for user, role in rows if can(role, FACILITATE)]


def _check(project: Project, data: EventData) -> None:
    errors: dict[str, str] = {}
    if data.kind not in EVENT_KINDS:
        errors["kind"] = "unknown"
    if data.audience not in AUDIENCES:
        errors["audience"] = "unknown"
    if not data.title.strip():
        errors["title"] = "required"
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = "ends_before_start"
    if data.facilitator_id is not None and data.facilitator_id not in {
        u.id for u in facilitator_choices(project)
    }:
        errors["facilitator_id"] = "facilitator_not_member"
    for number, stop in enumerate(data.stops, start=1):
        if not valid_position(stop.lat, stop.lon):
            errors[f"stops.{number}"] = "position_invalid"
        elif not stop.name.strip():
            errors[f"stops.{number}"] = "stop_name_required"
    if errors:
        raise Invalid(errors)


def stop_warnings(project: Project, stops: tuple[StopData, ...] | list[Stop]) -> list[StopWarning]:
    """Stops outside the project's perimeter (none if the project has no perimeter)."""
    if not project.perimeter:
        return []
    warnings = []
    for number, stop in enumerate(stops, start=1):
        if point_in_perimeter(project.perimeter, stop.lat, stop.lon):
            continue
        swapped = valid_position(stop.lon, stop.lat) and point_in_perimeter(
            project.perimeter, stop.lon, stop.lat
        )
        warnings.append(StopWarning(number, stop.name, swapped))
    return warnings


# --- Use cases ---------------------------------------------------------------------------------

_FIELDS = (
    "kind",
    "audience",
    "title",
    "group_description",
    "meeting_point",
    "starts_at",
    "ends_at",
    "facilitator_id",
    "permanent",
)


def add_with_join_code(walk: Walk, new_code: Callable[[], str] = new_join_code) -> None:
    """Add a new walk to the session with a join code no other walk has (the unique index
    decides, so two planners scheduling at once never share one)."""
    for _ in range(JOIN_CODE_TRIES):
        walk.join_code = new_code()
        try:
            with db.session.begin_nested():
                db.session.add(walk)
        except IntegrityError:
            continue  # the savepoint rolled back; the walk is transient again
        return
    raise Conflict({"join_code": "join_code_exhausted"})


def _audit_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def create_event(
    project: Project,
    data: EventData,
    *,
    user_id: int | None,
    new_code: Callable[[], str] = new_join_code,
) -> Walk:
    """Schedule an event with a fresh join code (drawn again if it is already taken)."""
    _check(project, data)
    walk = Walk(project_id=project.id, status="planned", **_values(data))
    add_with_join_code(walk, new_code)
    _set_stops(walk, data.stops)
    db.session.flush()
    audit.record(
        "create",
        "walk",
        walk.id,
        user_id=user_id,
        project_id=project.id,
        details={
            **{k: _audit_value(getattr(walk, k)) for k in _FIELDS},
            "stops": len(data.stops),
        },
    )
    return walk


def _values(data: EventData) -> dict[str, Any]:
    return {
        "kind": data.kind,
        "audience": data.audience,
        "title": data.title.strip(),
        "group_description": data.group_description.strip(),
        "meeting_point": data.meeting_point.strip(),
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "facilitator_id": data.facilitator_id,
        "permanent": bool(data.permanent) and data.kind == PERMANENT_KIND,
    }


def _set_stops(walk: Walk, stops: tuple[StopData, ...]) -> bool:
    """Stops are numbered 1..n in the given order; a stop keeps its row (and so the spots and
    notes attached to it) when its number stays. Returns whether anything changed."""
    existing = {s.number: s for s in walk.stops}
    changed = False
    for number, data in enumerate(stops, start=1):
        stop = existing.pop(number, None)
        if stop is None:
            walk.stops.append(
                Stop(number=number, name=data.name.strip(), lat=data.lat, lon=data.lon)
            )
            changed = True
        elif (stop.name, stop.lat, stop.lon) != (data.name.strip(), data.lat, data.lon):
            stop.name, stop.lat, stop.lon = data.name.strip(), data.lat, data.lon
            changed = True
    for stop in existing.values():
        walk.stops.remove(stop)  # delete-orphan; spots and notes keep their row (SET NULL)
        changed = True
    return changed


def update_event(walk: Walk, data: EventData, *, user_id: int | None) -> dict[str, Any]:
    """Edit an event; returns the changed fields (also written to the audit log)."""
    _check(walk.project, data)
    changes: dict[str, Any] = {}
    for key, value in _values(data).items():
        if getattr(walk, key) != value:
            changes[key] = [_audit_value(getattr(walk, key)), _audit_value(value)]
            setattr(walk, key, value)
    if _set_stops(walk, data.stops):
        changes["stops"] = len(data.stops)
    db.session.flush()
    if changes:
        audit.record(
            "edit", "walk", walk.id, user_id=user_id, project_id=walk.project_id, details=changes
        )
    return changes


def participant_count(walk: Walk) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Participant.id)).where(Participant.walk_id == walk.id)
    )


def delete_event(walk: Walk, *, user_id: int | None) -> None:
    """Delete an event that nobody has joined yet (afterwards its data is evidence: keep it)."""
    if participant_count(walk):
        raise Conflict({"walk": "event_has_participants"})
    audit.record(
        "delete",
        "walk",
        walk.id,
        user_id=user_id,
        project_id=walk.project_id,
        details={"title": walk.title, "kind": walk.kind, "starts_at": walk.starts_at.isoformat()},
    )
    db.session.delete(walk)
    db.session.flush()


def open_event(walk: Walk, *, user_id: int | None) -> None:
    if walk.status != "planned":
        raise Conflict({"status": "event_not_planned"})
    walk.status, walk.opened_at = "open", utcnow()
    audit.record("open", "walk", walk.id, user_id=user_id, project_id=walk.project_id)
    db.session.flush()


def close_event(walk: Walk, *, user_id: int | None) -> None:
    """Close an open event. Phones that sync late still deliver spots recorded before now."""
    if walk.status != "open":
        raise Conflict({"status": "event_not_open"})
    walk.status, walk.closed_at = "closed", utcnow()
    audit.record("close", "walk", walk.id, user_id=user_id, project_id=walk.project_id)
    db.session.flush()
