"""The rows the planner maps are drawn from: a project's visible spots, filtered. No Flask here.

Hidden spots (moderated: hidden_at set) never leave this module, whatever the filter says.
Queries are scoped to the project first (observation_filter.scope: its events, narrowed by the
event and kind fields), so an event of another project in the address matches nothing.
A filter on the participants' profile that keeps too few people (observation_filter.
too_few_participants) matches no spot at all: `withheld` tells the page to say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..domain import maps as domain
from ..extensions import db
from ..models import Observation, Photo, Stop
from .observation_filter import (
    AGE,
    CATEGORY,
    DATE_FROM,
    DATE_TO,
    EVENT,
    GENDER,
    HIDDEN_EXCLUDE,
    KIND,
    LIGHT,
    POSITION,
    ObservationFilter,
    narrow,
    scope,
    too_few_participants,
)

# The fields of the filter a map offers (its page, its document, its cells), and the export of
# the map's spots. No "hidden": hidden spots never reach a map, whatever the address says.
MAP_FIELDS = (EVENT, KIND, CATEGORY, LIGHT, GENDER, AGE, DATE_FROM, DATE_TO, POSITION)


def withheld(project_id: int, filters: ObservationFilter) -> bool:
    """Whether the filter's spots are not shown: its profile fields keep too few people."""
    filters = replace(filters, hidden=HIDDEN_EXCLUDE)
    return too_few_participants(scope(project_id, filters), filters)


def _select(
    project_id: int, filters: ObservationFilter, *columns, walk_ids: Sequence[int] | None = None
) -> sa.Select:
    """SELECT columns of the matching visible spots (`walk_ids`: scope() already read, or None);
    none when the filter's profile fields keep too few people."""
    filters = replace(filters, hidden=HIDDEN_EXCLUDE)
    if walk_ids is None:
        walk_ids = scope(project_id, filters)
    if too_few_participants(walk_ids, filters):
        walk_ids = []
    return narrow(sa.select(*columns).select_from(Observation), walk_ids, filters)


def count(project_id: int, filters: ObservationFilter) -> int:
    return db.session.scalar(_select(project_id, filters, sa.func.count())) or 0


def points(
    project_id: int, filters: ObservationFilter, walk_ids: Sequence[int] | None = None
) -> Sequence[tuple[float, float, int]]:
    """(lat, lon, feeling) of every matching spot: what the heat and the hexagons aggregate.

    Read through Core rows (tuples), not ORM objects: a map may read 100,000 of them.
    """
    query = _select(
        project_id,
        filters,
        Observation.lat,
        Observation.lon,
        Observation.feeling,
        walk_ids=walk_ids,
    )
    return db.session.connection().execute(query).all()


def _loaded(ids: Sequence[int]) -> list[Observation]:
    """The spots `ids` with their photos, newest first."""
    if not ids:
        return []
    query = (
        sa.select(Observation)
        .where(Observation.id.in_(ids))
        .options(selectinload(Observation.photos).joinedload(Photo.file))
        .order_by(Observation.recorded_at.desc(), Observation.id.desc())
    )
    return list(db.session.scalars(query))


def spots(
    project_id: int,
    filters: ObservationFilter,
    walk_ids: Sequence[int] | None = None,
    limit: int = domain.MARKER_LIMIT,
) -> list[Observation]:
    """The matching spots with their photos (for markers), newest first, at most `limit`."""
    query = _select(project_id, filters, Observation.id, walk_ids=walk_ids)
    query = query.order_by(Observation.recorded_at.desc(), Observation.id.desc()).limit(limit)
    return _loaded(list(db.session.scalars(query)))


@dataclass(frozen=True)
class CellSpots:
    total: int
    spots: list[Observation]


def cell_spots(
    project_id: int, filters: ObservationFilter, cell: str, limit: int = domain.CELL_DETAILS_LIMIT
) -> CellSpots:
    """The matching spots inside one map cell, newest first (at most `limit`), and their total.

    The database narrows to the cell's bounding box; the exact cell test is H3's, in Python.
    """
    south, west, north, east = domain.cell_box(cell)
    query = _select(project_id, filters, Observation.id, Observation.lat, Observation.lon).where(
        Observation.lat.between(south, north), Observation.lon.between(west, east)
    )
    query = query.order_by(Observation.recorded_at.desc(), Observation.id.desc())
    inside = [
        row.id for row in db.session.execute(query) if domain.cell_of_map(row.lat, row.lon) == cell
    ]
    return CellSpots(total=len(inside), spots=_loaded(inside[:limit]))


def stops(walk_ids: Sequence[int]) -> list[Stop]:
    """The stops of these events, with their event (for the tooltip)."""
    if not walk_ids:
        return []
    query = (
        sa.select(Stop)
        .where(Stop.walk_id.in_(walk_ids))
        .options(joinedload(Stop.walk))
        .order_by(Stop.walk_id, Stop.number)
    )
    return list(db.session.scalars(query))
