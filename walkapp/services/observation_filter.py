"""The one filter of a project's spots: parsed once from an address, made SQL in one place.

Every page that lists spots — triage, the photo gallery, the map (its page, its document and
its cells) and the hotspots — and every export read them through an :class:`ObservationFilter`:

- :func:`from_args` reads it from a query string (``request.args``, any MultiDict), told which
  fields the page offers. A field the page does not offer is ignored (the map and the hotspots
  offer no ``hidden``: hidden spots never reach them through an address), and a value that is
  not one of its vocabulary's codes, not a number or not a date is dropped, as a stale bookmark's
  would be: never an error.
- :func:`to_args` turns it back into query arguments, for the links that carry it.
- :func:`scope` reads the project's events it keeps; :func:`narrow` adds its conditions to a
  query on Observation (joining Participant only when a profile field is set).
- :func:`too_few_participants`: a filter on the participants' profile that keeps the spots of
  fewer than MIN_PEOPLE_FOR_FIGURE people (domain/thresholds.py) could point at someone: every
  page and export then shows none of its spots and says why (the same rule as the figures).

The query-string names are the pages' addresses, bookmarked and shared: keep them. No Flask here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa

from ..domain.thresholds import enough_people
from ..domain.vocabularies import (
    AGE_BANDS,
    CATEGORIES,
    EVENT_KINDS,
    FEELINGS,
    GENDERS,
    LIGHT_CONDITIONS,
)
from ..extensions import db
from ..models import Observation, Participant, Photo, Walk

# The "hidden" field: leave hidden spots out (the default), show them too, or only them.
HIDDEN_EXCLUDE, HIDDEN_INCLUDE, HIDDEN_ONLY = "exclude", "include", "only"
HIDDEN_CHOICES = (HIDDEN_EXCLUDE, HIDDEN_INCLUDE, HIDDEN_ONLY)

# The "position" field: every spot (the default), leave out the suspect ones (an old app's
# spots at the perimeter's centre, domain/positions.py), or only spots whose position source is
# known (gps, pin, stop: leaves out every `unknown`, the suspect ones included).
POSITION_ALL, POSITION_NOT_SUSPECT, POSITION_KNOWN = "all", "not_suspect", "known"
POSITION_CHOICES = (POSITION_ALL, POSITION_NOT_SUSPECT, POSITION_KNOWN)

# The fields, by their name in the query string.
EVENT, KIND, CATEGORY, FEELING, LIGHT = "event", "kind", "category", "feeling", "light"
GENDER, AGE, DATE_FROM, DATE_TO = "gender", "age", "from", "to"
PHOTO, FACILITATOR, HIDDEN = "photo", "facilitator", "hidden"
POSITION = "position"

YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class ObservationFilter:
    """What a planner narrowed a project's spots to; an empty tuple (or None) means "any".

    Built by from_args(), codes come in their vocabulary's order and ids sorted, so the same
    choice always gives the same filter and the same address.
    """

    walk_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()  # of event
    categories: tuple[str, ...] = ()
    feelings: tuple[int, ...] = ()
    light_conditions: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()  # of the participant's profile
    age_bands: tuple[str, ...] = ()  # of the participant's profile
    date_from: date | None = None  # local dates (the project's time zone), both included
    date_to: date | None = None
    has_photo: bool | None = None
    entered_by_facilitator: bool | None = None
    hidden: str = HIDDEN_EXCLUDE
    positions: str = POSITION_ALL

    def __post_init__(self) -> None:
        if self.hidden not in HIDDEN_CHOICES:
            raise ValueError(f"hidden must be one of {HIDDEN_CHOICES}")
        if self.positions not in POSITION_CHOICES:
            raise ValueError(f"positions must be one of {POSITION_CHOICES}")

    @property
    def on_profile(self) -> bool:
        """Whether it narrows by the participants' profile (their spots need Participant)."""
        return bool(self.genders or self.age_bands)


# --- Query string ---------------------------------------------------------------------------


class Args(Protocol):
    """What the parser needs of request.args (a werkzeug MultiDict)."""

    def getlist(self, key: str) -> list[str]: ...


def _ints(values: list[str]) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 10}))


def _codes(allowed: tuple[str, ...]) -> Callable[[list[str]], tuple[str, ...]]:
    return lambda values: tuple(code for code in allowed if code in set(values))


def _feelings(values: list[str]) -> tuple[int, ...]:
    return tuple(int(code) for code in _codes(FEELINGS.codes)(values))


def _date(values: list[str]) -> date | None:
    value = values[0] if values else ""
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _yes_no(values: list[str]) -> bool | None:
    return YES_NO.get(values[0]) if values else None


def _hidden(values: list[str]) -> str:
    return values[0] if values and values[0] in HIDDEN_CHOICES else HIDDEN_EXCLUDE


def _positions(values: list[str]) -> str:
    return values[0] if values and values[0] in POSITION_CHOICES else POSITION_ALL


def _many(value: Iterable[Any]) -> list[str]:
    return [str(v) for v in value]


def _one(value: date | None) -> str:
    return value.isoformat() if value else ""


def _flag(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


@dataclass(frozen=True)
class _Field:
    parse: Callable[[list[str]], Any]  # the values given -> the attribute (bad ones dropped)
    attribute: str
    show: Callable[[Any], list[str] | str]  # the attribute -> query value(s); empty if default


_FIELDS: dict[str, _Field] = {
    EVENT: _Field(_ints, "walk_ids", _many),
    KIND: _Field(_codes(EVENT_KINDS.codes), "kinds", _many),
    CATEGORY: _Field(_codes(CATEGORIES.codes), "categories", _many),
    FEELING: _Field(_feelings, "feelings", _many),
    LIGHT: _Field(_codes(LIGHT_CONDITIONS.codes), "light_conditions", _many),
    GENDER: _Field(_codes(GENDERS.codes), "genders", _many),
    AGE: _Field(_codes(AGE_BANDS.codes), "age_bands", _many),
    DATE_FROM: _Field(_date, "date_from", _one),
    DATE_TO: _Field(_date, "date_to", _one),
    PHOTO: _Field(_yes_no, "has_photo", _flag),
    FACILITATOR: _Field(_yes_no, "entered_by_facilitator", _flag),
    HIDDEN: _Field(_hidden, "hidden", lambda v: "" if v == HIDDEN_EXCLUDE else v),
    POSITION: _Field(_positions, "positions", lambda v: "" if v == POSITION_ALL else v),
}
FIELDS = tuple(_FIELDS)


def from_args(args: Args, fields: Collection[str]) -> ObservationFilter:
    """The filter a page's address asks for, reading only the `fields` the page offers.

    A field the page does not offer keeps its default, whatever the address says; values that
    are not valid are dropped (a stale bookmark shows the spots, never an error).
    """
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise ValueError(f"unknown filter fields: {sorted(unknown)}")
    return ObservationFilter(
        **{_FIELDS[name].attribute: _FIELDS[name].parse(args.getlist(name)) for name in fields}
    )


def to_args(observation_filter: ObservationFilter) -> dict[str, list[str] | str]:
    """The query arguments of a filter (defaults left out), for the links that carry it."""
    shown = {
        name: field.show(getattr(observation_filter, field.attribute))
        for name, field in _FIELDS.items()
    }
    return {name: value for name, value in shown.items() if value}


# --- SQL ------------------------------------------------------------------------------------


def scope(project_id: int, observation_filter: ObservationFilter) -> list[int]:
    """The project's events whose spots the filter keeps (its event and kind fields).

    Read first and passed on as a list of numbers: the database then plans for these very
    events (PostgreSQL estimates a small project's share from its statistics instead of
    scanning the whole table), and an event of another project in the filter matches nothing.
    """
    query = sa.select(Walk.id).where(Walk.project_id == project_id).order_by(Walk.id)
    if observation_filter.kinds:
        query = query.where(Walk.kind.in_(observation_filter.kinds))
    ids = list(db.session.scalars(query))
    wanted = observation_filter.walk_ids
    return [i for i in ids if i in wanted] if wanted else ids


def _choices(f: ObservationFilter) -> Iterable[sa.ColumnElement[bool]]:
    for column, chosen in (
        (Observation.category, f.categories),
        (Observation.feeling, f.feelings),
        (Observation.light_condition, f.light_conditions),
    ):
        if chosen:
            yield column.in_(chosen)
    if f.date_from is not None:
        yield Observation.local_date >= f.date_from
    if f.date_to is not None:
        yield Observation.local_date <= f.date_to


def _flags(f: ObservationFilter) -> Iterable[sa.ColumnElement[bool]]:
    if f.has_photo is not None:
        has_photo = sa.exists().where(Photo.observation_id == Observation.id)
        yield has_photo if f.has_photo else ~has_photo
    if f.entered_by_facilitator is not None:
        entered = Observation.entered_by_id
        yield entered.is_not(None) if f.entered_by_facilitator else entered.is_(None)
    if f.hidden == HIDDEN_EXCLUDE:
        yield Observation.hidden_at.is_(None)
    elif f.hidden == HIDDEN_ONLY:
        yield Observation.hidden_at.is_not(None)
    if f.positions == POSITION_NOT_SUSPECT:
        yield Observation.position_suspect.is_(False)
    elif f.positions == POSITION_KNOWN:
        yield Observation.position_source != "unknown"


def _profile(f: ObservationFilter) -> Iterable[sa.ColumnElement[bool]]:
    if f.genders:
        yield Participant.gender.in_(f.genders)
    if f.age_bands:
        yield Participant.age_band.in_(f.age_bands)


def narrow(query: sa.Select, walk_ids: Sequence[int], f: ObservationFilter) -> sa.Select:
    """`query` (whose FROM has Observation) kept to the spots of `walk_ids` (see scope()) that
    `f` keeps; Participant is joined only when a profile field is set.

    Only columns of Observation otherwise, so the triage index (migration 0003: walk, hidden,
    light, feeling, category, entered by, time, id) answers the triage's counts and pages alone.
    """
    if f.on_profile:
        query = query.join(Participant, Participant.id == Observation.participant_id)
    return query.where(Observation.walk_id.in_(walk_ids), *_choices(f), *_flags(f), *_profile(f))


def too_few_participants(walk_ids: Sequence[int], f: ObservationFilter) -> bool:
    """Whether `f` narrows by profile to the spots (of `walk_ids`) of too few people to show.

    Counts the distinct participants of the spots `f` keeps, only when it has a profile field
    (no query otherwise). A page or an export that lists spots shows none of them when this is
    true, and says why.
    """
    if not f.on_profile:
        return False
    query = narrow(
        sa.select(sa.func.count(sa.distinct(Observation.participant_id))).select_from(Observation),
        walk_ids,
        f,
    )
    return not enough_people(db.session.scalar(query) or 0)
