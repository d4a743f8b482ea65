"""Usage counts: what a counter's phone sends (periods and the people tapped, offline too), and
the sums the planner's pages read (domain.counts).

A phone's batch is applied whole, in the request's transaction: periods are upserted by their
uuid, records inserted by theirs (a uuid already stored changes nothing, so a resend after a lost
answer never doubles a person), and the undone records deleted. The phone sends its batches in
order and waits for each answer, so an undo always arrives with or after its record.

Flushes only; the request's unit of work commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from shapely.geometry import shape

from ..domain import counts as domain
from ..domain.light import light_condition
from ..domain.rules import too_far_ahead
from ..domain.timeslots import local_time, time_slot
from ..extensions import db, utcnow
from ..models import CountPeriod, CountRecord, Project, Zone
from . import audit
from .errors import Invalid, NotFound, Problem

MAX_RECORDS_PER_BATCH = 200  # ~40 KB of JSON: under the 64 KB body limit
MAX_PERIODS_PER_BATCH = 50
LINE_MAX_LENGTH = 120
NOTE_MAX_LENGTH = 2000
# A person may be tapped a little before the period's recorded start (clocks, a quick thumb)
# and until some time after its end (the phone ends the period, the last taps were queued).
RECORD_SLACK = timedelta(minutes=5)
MAX_PERIOD = timedelta(hours=12)
MIN_MOVING_PERIOD = timedelta(minutes=10)  # the protocol's shortest count of people moving


@dataclass(frozen=True)
class PeriodIn:
    uuid: uuid.UUID
    zone_id: int
    kind: str
    started_at: datetime  # aware
    ended_at: datetime | None = None
    weather: str | None = None
    time_character: str = "none"
    line: str = ""
    note: str = ""


@dataclass(frozen=True)
class RecordIn:
    uuid: uuid.UUID
    period_uuid: uuid.UUID
    recorded_at: datetime  # aware
    gender: str
    age_group: str
    mode: str | None = None
    posture: str | None = None
    activity: str | None = None
    group_size: str | None = None


# --- Writing --------------------------------------------------------------------------------


def _project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound({"project": "not_found"})
    return project


def period_time_slot(project: Project, zone: Zone, started_at: datetime) -> str:
    """The time slot of a period begun at `started_at` in `zone` (light at the zone's centre)."""
    centre = shape(zone.geometry).representative_point()
    light = light_condition(centre.y, centre.x, started_at)
    return time_slot(local_time(started_at, project.timezone), light)


def _check_period(item: PeriodIn, now: datetime) -> None:
    if too_far_ahead(item.started_at, now):
        raise Invalid({"started_at": "in_future"})
    if item.ended_at is not None:
        if item.ended_at < item.started_at or item.ended_at - item.started_at > MAX_PERIOD:
            raise Invalid({"ended_at": "period_end_invalid"})
        if too_far_ahead(item.ended_at, now):
            raise Invalid({"ended_at": "in_future"})


def _check_record(item: RecordIn, period: CountPeriod) -> None:
    staying = period.kind == domain.STAYING
    if staying != (item.mode is None) or staying == (
        None in (item.posture, item.activity, item.group_size)
    ):
        # Passing: a mode and nothing of staying; staying: posture, activity and group, no mode.
        raise Invalid({"records": Problem("record_kind_mismatch", kind=period.kind)})
    if item.recorded_at < period.started_at - RECORD_SLACK or (
        period.ended_at is not None and item.recorded_at > period.ended_at + RECORD_SLACK
    ):
        raise Invalid({"records": "record_outside_period"})


def _apply_period(project: Project, item: PeriodIn, user_id: int | None) -> CountPeriod:
    period = db.session.scalar(sa.select(CountPeriod).where(CountPeriod.uuid == item.uuid))
    if period is not None and period.project_id != project.id:
        raise Invalid({"periods": "period_of_another_project"})
    if period is None:
        zone = db.session.get(Zone, item.zone_id)
        if zone is None or zone.project_id != project.id:
            raise Invalid({"zone_id": "zone_unknown"})
        period = CountPeriod(
            uuid=item.uuid,
            project_id=project.id,
            zone_id=zone.id,
            kind=item.kind,
            phase=project.phase,
            started_at=item.started_at,
            time_slot=period_time_slot(project, zone, item.started_at),
            counted_by_id=user_id,
        )
        db.session.add(period)
        audit.record(
            "create",
            "count_period",
            item.uuid,
            user_id=user_id,
            project_id=project.id,
            details={"zone": zone.name, "kind": item.kind},
        )
    elif period.kind != item.kind or period.started_at != item.started_at:
        raise Invalid({"periods": "period_changed"})  # a period's kind and start never change
    period.ended_at = item.ended_at
    period.weather = item.weather
    period.time_character = item.time_character
    period.line = item.line
    period.note = item.note
    return period


def sync(
    project_id: int,
    periods: list[PeriodIn],
    records: list[RecordIn],
    undone: list[uuid.UUID],
    *,
    user_id: int | None,
) -> dict:
    """Apply a phone's batch (see the module's docstring); what the phone needs back."""
    project = _project(project_id)
    if project.archived_at is not None:
        raise Invalid({"project": "project_archived"})
    now = utcnow()
    by_uuid: dict[uuid.UUID, CountPeriod] = {}
    for item in periods:
        _check_period(item, now)
        by_uuid[item.uuid] = _apply_period(project, item, user_id)
    db.session.flush()

    wanted = {r.period_uuid for r in records} - by_uuid.keys()
    if wanted:
        for period in db.session.scalars(
            sa.select(CountPeriod).where(
                CountPeriod.uuid.in_(wanted), CountPeriod.project_id == project.id
            )
        ):
            by_uuid[period.uuid] = period
    if wanted - by_uuid.keys():
        raise Invalid({"records": "period_unknown"})

    stored = _insert_records(records, by_uuid)
    removed = _delete_records(undone, project.id)
    return {
        "periods": {
            str(key): {"id": period.id, "records": record_count(period.id)}
            for key, period in by_uuid.items()
        },
        "stored": stored,
        "undone": removed,
    }


def _insert_records(records: list[RecordIn], periods: dict[uuid.UUID, CountPeriod]) -> int:
    if not records:
        return 0
    known = set(
        db.session.scalars(
            sa.select(CountRecord.uuid).where(CountRecord.uuid.in_([r.uuid for r in records]))
        )
    )
    fresh: dict[uuid.UUID, RecordIn] = {}
    for item in records:
        _check_record(item, periods[item.period_uuid])
        if item.uuid not in known:
            fresh.setdefault(item.uuid, item)
    for item in fresh.values():
        db.session.add(
            CountRecord(
                uuid=item.uuid,
                period_id=periods[item.period_uuid].id,
                recorded_at=item.recorded_at,
                gender=item.gender,
                age_group=item.age_group,
                mode=item.mode,
                posture=item.posture,
                activity=item.activity,
                group_size=item.group_size,
            )
        )
    db.session.flush()
    return len(fresh)


def _delete_records(undone: list[uuid.UUID], project_id: int) -> int:
    if not undone:
        return 0
    mine = sa.select(CountPeriod.id).where(CountPeriod.project_id == project_id)
    result = db.session.execute(
        sa.delete(CountRecord).where(CountRecord.uuid.in_(undone), CountRecord.period_id.in_(mine))
    )
    return result.rowcount or 0


# --- Reading --------------------------------------------------------------------------------


def record_count(period_id: int) -> int:
    query = sa.select(sa.func.count()).where(CountRecord.period_id == period_id)
    return db.session.scalar(query)


def rows(project_id: int, zone_id: int | None = None) -> list[domain.CountRow]:
    """The project's counts, one row per zone x phase x time slot x kind x gender x age group."""
    query = (
        sa.select(
            CountPeriod.zone_id,
            CountPeriod.phase,
            CountPeriod.time_slot,
            CountPeriod.kind,
            CountRecord.gender,
            CountRecord.age_group,
            sa.func.count(),
        )
        .join(CountRecord, CountRecord.period_id == CountPeriod.id)
        .where(CountPeriod.project_id == project_id)
        .group_by(
            CountPeriod.zone_id,
            CountPeriod.phase,
            CountPeriod.time_slot,
            CountPeriod.kind,
            CountRecord.gender,
            CountRecord.age_group,
        )
    )
    if zone_id is not None:
        query = query.where(CountPeriod.zone_id == zone_id)
    return [domain.CountRow(*row) for row in db.session.execute(query)]


def zone_order(project_id: int) -> dict[int, int]:
    query = sa.select(Zone.id, Zone.position).where(Zone.project_id == project_id)
    return {zone: position for zone, position in db.session.execute(query)}


def zone_table(project_id: int, phase: str | None = None) -> list[domain.ZoneCounts]:
    return domain.zone_counts(rows(project_id), phase=phase, order=zone_order(project_id))


def zone_summary(project_id: int, zone_id: int, phase: str | None = None) -> domain.ZoneCounts:
    found = domain.zone_counts(rows(project_id, zone_id), phase=phase)
    empty = domain.SlotCounts(domain.ALL_SLOTS, domain.Tally(), domain.Tally())
    return found[0] if found else domain.ZoneCounts(zone_id=zone_id, slots=(), whole=empty)


def before_after(project_id: int, zone_id: int | None = None) -> list[domain.BeforeAfter]:
    return domain.before_after(rows(project_id, zone_id), zone_order(project_id))


def periods(project_id: int, zone_id: int | None = None) -> list[tuple[CountPeriod, int]]:
    """The counting periods, newest first, each with its number of people counted."""
    n = (
        sa.select(sa.func.count())
        .where(CountRecord.period_id == CountPeriod.id)
        .correlate(CountPeriod)
        .scalar_subquery()
    )
    query = (
        sa.select(CountPeriod, n)
        .where(CountPeriod.project_id == project_id)
        .order_by(CountPeriod.started_at.desc(), CountPeriod.id.desc())
    )
    if zone_id is not None:
        query = query.where(CountPeriod.zone_id == zone_id)
    return [(period, count) for period, count in db.session.execute(query)]


def short_moving_period(period: CountPeriod) -> bool:
    """People passing counted for less than the protocol's 10 minutes (shown as such)."""
    return (
        period.kind == domain.MOVING
        and period.ended_at is not None
        and period.ended_at - period.started_at < MIN_MOVING_PERIOD
    )
