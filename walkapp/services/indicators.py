"""Counts for the indicators, who-is-missing, stops and day-vs-night pages. No Flask here.

Everything the indicators and who-is-missing pages show is counted by the database (GROUP BY,
COUNT, EXISTS): observations never travel to Python, so the pages cost the same with a thousand
spots or a million. The queries are shaped for two indexes of the observation table:

- ``ix_observation_participant_category`` (participant_id, category, hidden_at): "did this
  woman report harassment?" is one index probe per woman participant;
- ``ix_observation_participant_slot`` (participant_id, time_slot, hidden_at): "did this person
  tag a spot in this time slot?" is one probe per participant and slot.

Both questions are asked per participant (tens of thousands), not per spot (millions). The
stops page reads the spots of the chosen walks' stops through ``ix_observation_stop_id_hidden_at``.
Hidden spots (moderated out of maps and exports) are left out everywhere.

A scope is a SELECT of project ids (one project, or every project the user may see), so the
access rule stays in one place: walkapp.access.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from ..domain import indicators as ind
from ..domain.indicators_daynight import Spot
from ..domain.participation import EVENING_SLOTS, REDUCED_MOBILITY, Profile
from ..domain.report import Period
from ..domain.stops import StopInput, Sums
from ..domain.vocabularies import CRITERIA, TIME_SLOTS, UNDER_18_AGE_BANDS
from ..extensions import db
from ..models import Attendance, Observation, Participant, Project, Stop, Walk

Scope = sa.Select | Sequence[int]


def _in_scope(scope: Scope):
    return Walk.project_id.in_(scope)


def _year_filter(when: int | Period | None) -> list:
    """Events that started in `when` — a year, or a period of dates (domain.report.Period, end
    excluded) — in UTC: a range on starts_at, so an index can serve it."""
    if when is None:
        return []
    if isinstance(when, Period):
        start, end = when.start_utc, when.end_utc
    else:
        start = datetime(when, 1, 1, tzinfo=UTC)
        end = datetime(when + 1, 1, 1, tzinfo=UTC)
    return [Walk.starts_at >= start, Walk.starts_at < end]


def _year_of_start():
    """The UTC year of the event's start. PostgreSQL would extract it in the session's time
    zone: ask for UTC explicitly, so the year shown agrees with the year filter's UTC range.
    (SQLite stores naive UTC already.)"""
    column = Walk.starts_at
    if db.session.get_bind().dialect.name == "postgresql":
        column = sa.func.timezone("UTC", column)
    return sa.cast(sa.extract("year", column), sa.Integer)


def _events(scope: Scope, year: int | Period | None):
    """(project_id, events, {year: walks held with groups of women})."""
    women_walk = sa.and_(
        Walk.kind == "exploratory_walk",
        Walk.audience.in_(ind.WOMEN_AUDIENCES),
        Walk.status.in_(ind.HELD_STATUSES),
    )
    query = (
        sa.select(
            Walk.project_id,
            _year_of_start().label("year"),
            sa.func.count().label("events"),
            sa.func.count().filter(women_walk).label("women_walks"),
        )
        .where(_in_scope(scope), *_year_filter(year))
        .group_by(Walk.project_id, "year")
    )
    events: dict[int, int] = defaultdict(int)
    walks: dict[int, dict[int, int]] = defaultdict(dict)
    for project_id, walk_year, n_events, n_walks in db.session.execute(query):
        events[project_id] += n_events
        if n_walks:
            walks[project_id][int(walk_year)] = n_walks
    return events, walks


def _participants_by_gender(scope: Scope, year: int | Period | None):
    query = (
        sa.select(Walk.project_id, Participant.gender, sa.func.count())
        .select_from(Participant)
        .join(Walk, Walk.id == Participant.walk_id)
        .where(_in_scope(scope), *_year_filter(year))
        .group_by(Walk.project_id, Participant.gender)
    )
    found: dict[int, dict[str | None, int]] = defaultdict(dict)
    for project_id, gender, n in db.session.execute(query):
        found[project_id][gender] = n
    return found


def _attendance_by_gender(scope: Scope, year: int | Period | None):
    query = (
        sa.select(Walk.project_id, Attendance.gender, sa.func.sum(Attendance.count))
        .select_from(Attendance)
        .join(Walk, Walk.id == Attendance.walk_id)
        .where(_in_scope(scope), Walk.kind == "meeting", *_year_filter(year))
        .group_by(Walk.project_id, Attendance.gender)
    )
    found: dict[int, dict[str | None, int]] = defaultdict(dict)
    for project_id, gender, n in db.session.execute(query):
        found[project_id][gender] = int(n or 0)
    return found


def _by_walk_and_gender(query: sa.Select) -> dict[int, dict[str | None, int]]:
    found: dict[int, dict[str | None, int]] = defaultdict(dict)
    for walk_id, gender, n in db.session.execute(query):
        found[walk_id][gender] = int(n or 0)
    return found


def _events_people(where: list) -> list[tuple[int, ind.EventPeople]]:
    """(project id, people) per event of `where` (on Walk): its attendance count and its app
    participants, by gender. The domain chooses which one the event contributes
    (ind.event_source)."""
    attendance = _by_walk_and_gender(
        sa.select(Attendance.walk_id, Attendance.gender, sa.func.sum(Attendance.count))
        .join(Walk, Walk.id == Attendance.walk_id)
        .where(*where)
        .group_by(Attendance.walk_id, Attendance.gender)
    )
    participants = _by_walk_and_gender(
        sa.select(Participant.walk_id, Participant.gender, sa.func.count())
        .join(Walk, Walk.id == Participant.walk_id)
        .where(*where)
        .group_by(Participant.walk_id, Participant.gender)
    )
    walks = db.session.execute(
        sa.select(Walk.project_id, Walk.id, Walk.title, Walk.kind, Walk.starts_at)
        .where(*where)
        .order_by(Walk.starts_at, Walk.id)
    )
    return [
        (
            pid,
            ind.EventPeople(
                walk_id=wid,
                title=title,
                kind=kind,
                starts_at=starts_at,
                attendance_by_gender=attendance.get(wid, {}),
                participants_by_gender=participants.get(wid, {}),
            ),
        )
        for pid, wid, title, kind, starts_at in walks
    ]


def walk_people(walk: Walk) -> ind.EventPeople:
    """The people of one event, as the indicators count them (for the live view)."""
    return _events_people([Walk.id == walk.id])[0][1]


def _women_reporting_harassment(scope: Scope, year: int | Period | None) -> dict[int, int]:
    reported = (
        sa.select(sa.literal(1))
        .where(
            Observation.participant_id == Participant.id,
            Observation.category == "harassment",
            Observation.hidden_at.is_(None),
        )
        .exists()
    )
    query = (
        sa.select(Walk.project_id, sa.func.count())
        .select_from(Participant)
        .join(Walk, Walk.id == Participant.walk_id)
        .where(_in_scope(scope), Participant.gender == "woman", reported, *_year_filter(year))
        .group_by(Walk.project_id)
    )
    return dict(db.session.execute(query).all())


def project_counts(
    scope: Scope, year: int | None = None, *, period: Period | None = None
) -> list[ind.ProjectCounts]:
    """What the indicators need, per project of the scope (every project, even without data):
    of every event, of the events of `year`, or of those of `period` (the monitoring report's
    dates)."""
    when = period if period is not None else year
    projects = db.session.execute(
        sa.select(Project.id, Project.name, Project.insee_code)
        .where(Project.id.in_(scope))
        .order_by(Project.name, Project.id)
    ).all()
    events, walks = _events(scope, when)
    people = _participants_by_gender(scope, when)
    attendance = _attendance_by_gender(scope, when)
    harassment = _women_reporting_harassment(scope, when)
    per_event: dict[int, list[ind.EventPeople]] = defaultdict(list)
    for pid, event in _events_people([_in_scope(scope), *_year_filter(when)]):
        per_event[pid].append(event)
    return [
        ind.ProjectCounts(
            project_id=pid,
            name=name,
            insee_code=insee,
            events=events.get(pid, 0),
            women_walks_by_year=walks.get(pid, {}),
            participants_by_gender=people.get(pid, {}),
            attendance_by_gender=attendance.get(pid, {}),
            women_reporting_harassment=harassment.get(pid, 0),
            events_people=tuple(per_event.get(pid, ())),
        )
        for pid, name, insee in projects
    ]


def event_years(scope: Scope) -> list[int]:
    """The years in which the scope's events started, newest first (for the year filter)."""
    query = (
        sa.select(_year_of_start().label("year"))
        .where(_in_scope(scope))
        .group_by("year")
        .order_by(sa.desc("year"))
    )
    return [int(y) for y in db.session.scalars(query) if y is not None]


# --- Who is missing -------------------------------------------------------------------------


def participation_counts(scope: Scope) -> dict[tuple[str | None, str | None, str], int]:
    """Distinct participants per (gender, age band, time slot) they tagged a spot in."""
    columns = []
    for slot in TIME_SLOTS.codes:
        tagged = (
            sa.select(sa.literal(1))
            .where(
                Observation.participant_id == Participant.id,
                Observation.time_slot == slot,
                Observation.hidden_at.is_(None),
            )
            .exists()
        )
        columns.append(sa.func.sum(sa.case((tagged, 1), else_=0)).label(slot))
    query = (
        sa.select(Participant.gender, Participant.age_band, *columns)
        .join(Walk, Walk.id == Participant.walk_id)
        .where(_in_scope(scope))
        .group_by(Participant.gender, Participant.age_band)
    )
    counts: dict[tuple[str | None, str | None, str], int] = {}
    for row in db.session.execute(query):
        for slot in TIME_SLOTS.codes:
            if n := int(getattr(row, slot) or 0):
                counts[row.gender, row.age_band, slot] = n
    return counts


def participation_profile(scope: Scope, period: Period | None = None) -> Profile:
    """Distinct participants of the scope (of the events of `period`, when one is given) per
    group a gap is looked for in (one row, one probe of ix_observation_participant_slot per
    woman for "after dark")."""
    evening = (
        sa.select(sa.literal(1))
        .where(
            Observation.participant_id == Participant.id,
            Observation.time_slot.in_(EVENING_SLOTS),
            Observation.hidden_at.is_(None),
        )
        .exists()
    )
    woman = Participant.gender == "woman"

    def count(*where):
        return sa.func.sum(sa.case((sa.and_(*where), 1), else_=0))

    row = db.session.execute(
        sa.select(
            count(woman, evening),
            count(woman, Participant.age_band == "65_plus"),
            count(Participant.mobility.in_(REDUCED_MOBILITY)),
            count(Participant.resident == "yes"),
            count(woman, Participant.age_band.in_(UNDER_18_AGE_BANDS)),
        )
        .select_from(Participant)
        .join(Walk, Walk.id == Participant.walk_id)
        .where(_in_scope(scope), *_year_filter(period))
    ).one()
    return Profile(*(int(n or 0) for n in row))


# --- Stops ------------------------------------------------------------------------------------
# Two steps, so that nothing is counted DISTINCT and each rating is read out of its JSON once:
# (1) a materialized CTE with one row per spot at a stop and one column per criterion; (2) per
# (stop, person) the count, sum, sum of squares, min and max of each; (3) per stop the sums of
# those, and the number of people with a count above zero.

QUANTITIES = ("feeling", *CRITERIA.codes)
_PARTS = ("n", "total", "sq", "min", "max")


def _spots_at_stops(walk_ids: Sequence[int]) -> sa.CTE:
    values = [sa.cast(Observation.feeling, sa.Float).label("feeling")]
    values += [Observation.ratings[code].as_float().label(code) for code in CRITERIA.codes]
    rated = sa.case((Observation.ratings.is_not(None), 1), else_=0).label("rated")
    query = (
        sa.select(Observation.stop_id, Observation.participant_id, rated, *values)
        .join(Stop, Stop.id == Observation.stop_id)
        .where(Stop.walk_id.in_(walk_ids), Observation.hidden_at.is_(None))
    )
    return query.cte("spots_at_stops").prefix_with("MATERIALIZED")


def _per_person(spots: sa.CTE) -> sa.Subquery:
    columns = [spots.c.stop_id, sa.func.max(spots.c.rated).label("rated")]
    for name in QUANTITIES:
        value = spots.c[name]
        columns += [
            sa.func.count(value).label(f"{name}_n"),
            sa.func.sum(value).label(f"{name}_total"),
            sa.func.sum(value * value).label(f"{name}_sq"),
            sa.func.min(value).label(f"{name}_min"),
            sa.func.max(value).label(f"{name}_max"),
        ]
    return sa.select(*columns).group_by(spots.c.stop_id, spots.c.participant_id).subquery("person")


def _per_stop(person: sa.Subquery) -> sa.Select:
    columns = [
        person.c.stop_id,
        sa.func.count().label("people"),
        sa.func.sum(person.c.rated).label("raters"),
    ]
    for name in QUANTITIES:
        n = person.c[f"{name}_n"]
        columns += [
            sa.func.sum(n).label(f"{name}_n"),
            sa.func.sum(sa.case((n > 0, 1), else_=0)).label(f"{name}_people"),
            sa.func.sum(person.c[f"{name}_total"]).label(f"{name}_total"),
            sa.func.sum(person.c[f"{name}_sq"]).label(f"{name}_sq"),
            sa.func.min(person.c[f"{name}_min"]).label(f"{name}_min"),
            sa.func.max(person.c[f"{name}_max"]).label(f"{name}_max"),
        ]
    return sa.select(*columns).group_by(person.c.stop_id)


def _sums(row, name: str) -> Sums:
    def number(suffix: str):
        value = getattr(row, f"{name}_{suffix}")
        return None if value is None else float(value)

    return Sums(
        n=int(getattr(row, f"{name}_n") or 0),
        people=int(getattr(row, f"{name}_people") or 0),
        total=number("total") or 0.0,
        total_sq=number("sq") or 0.0,
        minimum=number("min"),
        maximum=number("max"),
    )


def stop_inputs(walk_ids: Sequence[int]) -> list[StopInput]:
    """Per stop of these walks: people, feeling and the nine criteria's aggregates."""
    query = _per_stop(_per_person(_spots_at_stops(walk_ids)))
    rows = {row.stop_id: row for row in db.session.execute(query)}
    stops = db.session.scalars(
        sa.select(Stop).where(Stop.walk_id.in_(walk_ids)).order_by(Stop.walk_id, Stop.number)
    )
    result = []
    for stop in stops:
        row = rows.get(stop.id)
        result.append(
            StopInput(
                stop_id=stop.id,
                walk_id=stop.walk_id,
                number=stop.number,
                name=stop.name,
                people=int(row.people) if row else 0,
                raters=int(row.raters or 0) if row else 0,
                feeling=_sums(row, "feeling") if row else Sums(),
                criteria={c: _sums(row, c) for c in CRITERIA.codes} if row else {},
            )
        )
    return result


def project_walks(project_id: int) -> list[Walk]:
    return list(
        db.session.scalars(
            sa.select(Walk).where(Walk.project_id == project_id).order_by(Walk.starts_at, Walk.id)
        )
    )


# --- Day vs night -----------------------------------------------------------------------------


def daynight_spots(project_id: int) -> list[Spot]:
    """The project's shown day and night spots, as the five numbers the comparison needs.

    H3 cells cannot be computed in SQL, so this one reads rows — of one project, five columns,
    never the across-projects scope.
    """
    query = (
        sa.select(
            Observation.lat,
            Observation.lon,
            Observation.light_condition,
            Observation.feeling,
            Observation.participant_id,
        )
        .join(Walk, Walk.id == Observation.walk_id)
        .where(
            Walk.project_id == project_id,
            Observation.hidden_at.is_(None),
            Observation.light_condition.in_(("day", "night")),
        )
    )
    return [Spot(*row) for row in db.session.execute(query)]
