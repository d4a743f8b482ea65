"""What a facilitator does during a walk: count attendance, note remarks at stops, enter spots
for people without a smartphone (or from a paper grid), and watch spots arrive.

They flush; the request's unit of work commits (with the audit entries, in the same transaction).

Attendance is set as absolute counts per cell (gender x age band), each with the time the
facilitator's phone changed it (`edited_at`). A cell changes only if its edit is newer than the
last one applied, so sending the same counts again changes nothing (idempotent), and an old
change that arrives late (a phone back online after another device counted) cannot overwrite a
newer one. The time of the last applied edit of each cell is kept where every change is
recorded anyway: the audit log (one entry per changed cell, `details.edited_at`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..domain import indicators as ind
from ..domain import rules
from ..domain.rules import COMMENT_MAX_LENGTH, too_far_ahead, valid_feeling, valid_position
from ..domain.vocabularies import AGE_BANDS, CATEGORIES, GENDERS, MOBILITY, RESIDENT
from ..extensions import db, utcnow
from ..models import Attendance, AuditEvent, Observation, Participant, Stop, StopNote, Walk
from . import audit
from .capture import apply_fields, new_participant
from .errors import Conflict, Invalid, Problem
from .indicators import walk_people

NOTE_MAX_LENGTH = 4000
ORAL_CONSENT_PREFIX = "oral-"

# --- Attendance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellEdit:
    gender: str
    age_band: str
    count: int
    edited_at: datetime  # aware


@dataclass(frozen=True)
class CellResult:
    gender: str
    age_band: str
    count: int  # the stored count after this request
    applied: bool  # False: the same or an older edit was already applied


def _cell_key(walk_id: int, gender: str, age_band: str) -> str:
    return f"{walk_id}:{gender}:{age_band}"


def _last_edit(walk: Walk, key: str) -> datetime | None:
    details = db.session.scalar(
        sa.select(AuditEvent.details)
        .where(
            AuditEvent.project_id == walk.project_id,
            AuditEvent.target_type == "attendance",
            AuditEvent.target_id == key,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if not details or "edited_at" not in details:
        return None
    return datetime.fromisoformat(details["edited_at"])


def _check_cell(edit: CellEdit) -> None:
    if edit.gender not in GENDERS or edit.age_band not in AGE_BANDS:
        raise Invalid({"cells": "unknown"})
    if edit.count < 0:
        raise Invalid({"cells": "count_negative"})
    if too_far_ahead(edit.edited_at, utcnow()):
        raise Invalid({"cells": "in_future"})


def set_attendance(
    walk: Walk, edits: Iterable[CellEdit], *, user_id: int | None
) -> list[CellResult]:
    """Apply absolute counts per cell, newest edit wins (see the module docstring)."""
    edits = list(edits)
    for edit in edits:
        _check_cell(edit)
    # One writer per walk at a time (PostgreSQL; SQLite's write transactions are exclusive).
    db.session.execute(sa.select(Walk.id).where(Walk.id == walk.id).with_for_update())
    cells = {(a.gender, a.age_band): a for a in walk.attendance}
    results = []
    for edit in sorted(edits, key=lambda e: e.edited_at):
        key = _cell_key(walk.id, edit.gender, edit.age_band)
        row = cells.get((edit.gender, edit.age_band))
        last = _last_edit(walk, key)
        if last is not None and edit.edited_at.astimezone(UTC) <= last:
            results.append(CellResult(edit.gender, edit.age_band, row.count if row else 0, False))
            continue
        if row is None:
            row = cells[(edit.gender, edit.age_band)] = Attendance(
                gender=edit.gender, age_band=edit.age_band, count=0
            )
            walk.attendance.append(row)  # cascades into the session
        before, row.count = row.count, edit.count
        audit.record(
            "count",
            "attendance",
            key,
            user_id=user_id,
            project_id=walk.project_id,
            details={
                "count": [before, edit.count],  # [before, after], as every edit
                "edited_at": edit.edited_at.astimezone(UTC).isoformat(),
            },
        )
        db.session.flush()  # the next edit of the same cell reads this one back
        results.append(CellResult(edit.gender, edit.age_band, edit.count, True))
    return results


def attendance_table(walk: Walk) -> dict[str, dict[str, int]]:
    """{gender: {age_band: count}} with every cell present (zeros included)."""
    table = {g: dict.fromkeys(AGE_BANDS.codes, 0) for g in GENDERS.codes}
    for row in walk.attendance:
        if row.gender in table and row.age_band in table[row.gender]:
            table[row.gender][row.age_band] = row.count
    return table


# --- Notes at stops ----------------------------------------------------------------------------


def _stop_of(walk: Walk, stop_id: int | None) -> Stop | None:
    if stop_id is None:
        return None
    stop = db.session.get(Stop, stop_id)
    if stop is None or stop.walk_id != walk.id:
        raise Invalid({"stop_id": "stop_unknown"})
    return stop


def add_stop_note(
    walk: Walk, *, stop_id: int | None, text: str, user_id: int | None
) -> tuple[StopNote, bool]:
    """Note the group's remarks (at a stop, or on the walk as a whole). Returns (note, created).

    The same text by the same person at the same stop is one note: a form sent twice, or an
    offline queue that retries after a lost answer, never duplicates it.
    """
    text = (text or "").strip()
    if not text:
        raise Invalid({"text": "note_required"})
    if len(text) > NOTE_MAX_LENGTH:
        raise Invalid({"text": Problem("too_long", max=NOTE_MAX_LENGTH)})
    if rules.has_control_characters(text):
        raise Invalid({"text": "control_characters"})
    stop = _stop_of(walk, stop_id)
    existing = db.session.scalar(
        sa.select(StopNote).where(
            StopNote.walk_id == walk.id,
            StopNote.stop_id.is_(None) if stop is None else StopNote.stop_id == stop.id,
            StopNote.author_id.is_(None) if user_id is None else StopNote.author_id == user_id,
            StopNote.text == text,
        )
    )
    if existing is not None:
        return existing, False
    note = StopNote(walk_id=walk.id, stop=stop, author_id=user_id, text=text)
    db.session.add(note)
    db.session.flush()
    audit.record(
        "create",
        "stop_note",
        note.id,
        user_id=user_id,
        project_id=walk.project_id,
        details={"walk_id": walk.id, "stop": stop.number if stop else None},
    )
    return note, True


def notes_of(walk: Walk) -> list[StopNote]:
    return list(
        db.session.scalars(
            sa.select(StopNote)
            .where(StopNote.walk_id == walk.id)
            .order_by(StopNote.created_at, StopNote.id)
        )
    )


# --- Spots entered on someone's behalf ---------------------------------------------------------


@dataclass(frozen=True)
class ProxyProfile:
    gender: str | None = None
    age_band: str | None = None
    resident: str | None = None
    mobility: str | None = None


@dataclass(frozen=True)
class ProxySpot:
    id: uuid.UUID  # made once per form row, so a form sent twice stores nothing twice
    category: str
    feeling: int
    recorded_at: datetime  # aware, in the project's time zone (its offset is kept)
    lat: float | None = None
    lon: float | None = None
    stop_id: int | None = None
    comment: str | None = None


def _check_profile(profile: ProxyProfile) -> None:
    for name, vocab in (
        ("gender", GENDERS),
        ("age_band", AGE_BANDS),
        ("resident", RESIDENT),
        ("mobility", MOBILITY),
    ):
        value = getattr(profile, name)
        if value is not None and value not in vocab:
            raise Invalid({name: "unknown"})


def _spot_fields(walk: Walk, spot: ProxySpot, row: int) -> dict:
    where = f"spots.{row}"
    if spot.category not in CATEGORIES:
        raise Invalid({where: "unknown"})
    if not valid_feeling(spot.feeling):
        raise Invalid({where: "feeling_range"})
    if spot.recorded_at.tzinfo is None or too_far_ahead(spot.recorded_at, utcnow()):
        raise Invalid({where: "in_future"})
    stop = _stop_of(walk, spot.stop_id)
    lat, lon = spot.lat, spot.lon
    # A typed position is the facilitator's pin; without one, the chosen stop's position.
    source = "pin"
    if lat is None or lon is None:
        if stop is None:
            raise Invalid({where: "position_or_stop"})
        lat, lon, source = stop.lat, stop.lon, "stop"
    if not valid_position(lat, lon):
        raise Invalid({where: "position_invalid"})
    comment = (spot.comment or "").strip() or None
    if comment and len(comment) > COMMENT_MAX_LENGTH:
        raise Invalid({where: Problem("too_long", max=COMMENT_MAX_LENGTH)})
    return {
        "lat": lat,
        "lon": lon,
        "accuracy_m": None,
        "recorded_at": spot.recorded_at,
        "category": spot.category,
        "feeling": spot.feeling,
        "ratings": None,
        "stop_id": stop.id if stop else None,
        "comment": comment,
        "position_source": source,
    }


def enter_for_participant(
    walk: Walk,
    profile: ProxyProfile,
    spots: list[ProxySpot],
    *,
    user_id: int,
    consent_version: str,
) -> Participant:
    """A participant without a smartphone (consent given orally) and their spots, entered by the
    facilitator: both carry `entered_by_id`, and the profile counts in "who is missing".

    Nobody can log in as this participant: the token and the erasure code are random and never
    shown (the planner deletes on request).
    """
    if walk.status == "planned":
        raise Conflict({"walk": "walk_not_open"})
    if not spots:
        raise Invalid({"spots": "spots_required"})
    _check_profile(profile)
    fields = [_spot_fields(walk, spot, row) for row, spot in enumerate(spots, start=1)]
    ids = [spot.id for spot in spots]
    if db.session.scalar(sa.select(Observation.id).where(Observation.uuid.in_(ids)).limit(1)):
        raise Conflict({"form": "already_saved"})
    # Its token and erasure code are never shown: nobody can sign in as this participant.
    participant = new_participant(
        walk,
        consent_version=f"{ORAL_CONSENT_PREFIX}{consent_version}"[:20],
        entered_by_id=user_id,
        profile=asdict(profile),
    ).participant
    db.session.flush()
    for spot_id, values in zip(ids, fields, strict=True):
        obs = Observation(
            uuid=spot_id,
            participant_id=participant.id,
            walk_id=walk.id,
            received_at=utcnow(),
            entered_by_id=user_id,
        )
        apply_fields(obs, walk, values)
        db.session.add(obs)
    db.session.flush()
    audit.record(
        "create",
        "proxy_participant",
        participant.id,
        user_id=user_id,
        project_id=walk.project_id,
        details={"walk_id": walk.id, "spots": len(spots)},
    )
    return participant


# --- Live view ---------------------------------------------------------------------------------


def _count(query: sa.Select) -> int:
    return db.session.scalar(query) or 0


def women_share(walk: Walk) -> dict:
    """The walk's share of women as the indicators count it (domain.indicators.women_share,
    over the source domain.indicators.event_source picks): the live view and the indicators
    pages show the same figure for the same walk."""
    people = walk_people(walk)
    share = ind.women_share(people.people_by_gender)
    return {
        "value": share.value,
        "n": share.n,
        "numerator": share.numerator,
        "suppressed": share.suppressed,
        "source": people.source,
    }


def live_snapshot(walk: Walk, *, recent: int = 20) -> dict:
    """What the facilitator's phone shows: head counts, attendance, the latest spots, notes."""
    tz = ZoneInfo(walk.project.timezone)
    visible = sa.and_(Observation.walk_id == walk.id, Observation.hidden_at.is_(None))
    spots = db.session.scalars(
        sa.select(Observation)
        .where(visible)
        .order_by(Observation.received_at.desc(), Observation.id.desc())
        .limit(recent)
    )
    stops = {s.id: s.number for s in walk.stops}
    return {
        "walk": {"id": walk.id, "status": walk.status, "title": walk.title},
        "participants": _count(
            sa.select(sa.func.count(Participant.id)).where(Participant.walk_id == walk.id)
        ),
        "entered_by_facilitator": _count(
            sa.select(sa.func.count(Participant.id)).where(
                Participant.walk_id == walk.id, Participant.entered_by_id.is_not(None)
            )
        ),
        "spots": _count(sa.select(sa.func.count(Observation.id)).where(visible)),
        "attendance": attendance_table(walk),
        "women_share": women_share(walk),
        "recent": [
            {
                "id": str(obs.uuid),
                "category": obs.category,
                "feeling": obs.feeling,
                "recorded_at": obs.recorded_at.isoformat(),
                "time": obs.recorded_at.astimezone(tz).strftime("%H:%M"),
                "comment": obs.comment or "",
                "stop": stops.get(obs.stop_id),
                "entered_by_facilitator": obs.entered_by_id is not None,
            }
            for obs in spots
        ],
        "notes": [
            {
                "id": note.id,
                "stop": note.stop.number if note.stop else None,
                "text": note.text,
                "time": note.created_at.astimezone(tz).strftime("%H:%M"),
            }
            for note in notes_of(walk)
        ],
        "server_time": utcnow().isoformat(),
    }


def default_spot_time(walk: Walk, now: datetime | None = None) -> datetime:
    """A sensible time for a transcribed spot: now during the walk, else its start."""
    now = now or utcnow()
    if walk.starts_at <= now <= walk.ends_at + timedelta(hours=1):
        return now
    return walk.starts_at
