"""The rows of the export layers, read as they are written out: spots, findings, stops, perimeter,
zones.

Each layer is a :class:`Layer`: how many rows it has, and an iterator of rows — a dict of
column codes (domain/spreadsheet.py) to plain values, plus ``"geometry"`` (GeoJSON, RFC 7946).
The GeoJSON, CSV and XLSX writers share them, so every format says the same thing.

- Spots are the one filter's (services/observation_filter.py), hidden ones never; with a
  profile filter that keeps too few people, the layer is empty and says it is ``withheld``.
  They are read in batches (``yield_per``: a server-side cursor on PostgreSQL), so memory does
  not grow with the project. Nothing in a row links to a person: no participant id, no token,
  no spot uuid; the participant is a label, P1, P2... in order of first appearance, stable
  within one export only; the spot is its reference (services/spot_references.py: assigned by
  the caller before reading).
- Findings are the project's (a planner's conclusions: not narrowed by the spot filters); their
  spot references are those of their spots still shown (neither hidden nor erased).
- Stops are those of the events the filter keeps, each with its count of the exported spots.
- The perimeter is the project's, one row (none without a perimeter).
- The zones are the project's, in the planner's order, each with its count of shown spots; a
  spot's row names its zone.

Coordinates are rounded to 6 decimals (about 0.1 m, RFC 7946 section 11.2, far below a phone's
accuracy); polygons' exterior rings are counter-clockwise and holes clockwise (RFC 7946 3.1.6).
Lambert-93 X/Y, when asked for, come from the hotspots' transformer (domain/hotspots.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import shapely
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.polygon import orient

from ..domain import spreadsheet as sheet
from ..domain.hotspots import to_metric
from ..domain.vocabularies import CRITERIA
from ..extensions import db
from ..models import Finding, Observation, Photo, Project, SpotReference, Stop, Walk, Zone
from ..services.observation_filter import (
    HIDDEN_EXCLUDE,
    ObservationFilter,
    narrow,
    scope,
    too_few_participants,
)
from ..services.spot_references import label as reference_label

WITHHELD = "too_few_participants"
DECIMALS = 6
METRIC_DECIMALS = 2  # Lambert-93 metres: to the centimetre
BATCH = 1000  # spots read (and projected) at a time
PARTICIPANT_PREFIX = "P"
FINDING_PREFIX = "F"

Row = dict[str, Any]
RATING_COLUMNS = tuple((f"rating_{term.code}", term.code) for term in CRITERIA)


@dataclass
class Layer:
    name: str  # spreadsheet.SPOTS, FINDINGS, STOPS or PERIMETER
    total: int  # rows it will give
    rows: Iterator[Row]
    withheld: str | None = None


# --- Geometry ----------------------------------------------------------------------------------


def _rounded(value: float) -> float:
    return round(float(value), DECIMALS)


def point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [_rounded(lon), _rounded(lat)]}


def _ring(coords) -> list[list[float]]:
    """A ring's positions rounded, consecutive duplicates (made by the rounding) dropped."""
    out: list[list[float]] = []
    for x, y, *_ in coords:
        position = [_rounded(x), _rounded(y)]
        if not out or out[-1] != position:
            out.append(position)
    return out


def _polygon(polygon: Polygon) -> list[list[list[float]]]:
    polygon = orient(polygon, sign=1.0)  # exterior counter-clockwise, holes clockwise
    return [_ring(polygon.exterior.coords), *(_ring(r.coords) for r in polygon.interiors)]


def area_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    """A stored Polygon or MultiPolygon as RFC 7946 wants it (winding, 6 decimals)."""
    shaped = shape(geometry)
    if isinstance(shaped, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": [_polygon(p) for p in shaped.geoms]}
    if isinstance(shaped, Polygon):
        return {"type": "Polygon", "coordinates": _polygon(shaped)}
    raise ValueError(f"not an area: {geometry.get('type')!r}")


def area_m2(geometry: dict[str, Any]) -> float:
    """The area in square metres, measured in Lambert-93."""
    metric = shapely.transform(shape(geometry), lambda c: to_metric(c[:, 1], c[:, 0]))
    return round(float(metric.area), 1)


def wkt(geometry: dict[str, Any]) -> str:
    return shapely.to_wkt(shape(geometry), rounding_precision=DECIMALS, trim=True)


def _add_lambert93(rows: list[Row]) -> None:
    """X/Y in Lambert-93 for a batch of rows with lat/lon (one call to the transformer)."""
    if not rows:
        return
    xy = to_metric([r["lat"] for r in rows], [r["lon"] for r in rows])
    for row, (x, y) in zip(rows, xy.tolist(), strict=True):
        row["x_l93"], row["y_l93"] = round(x, METRIC_DECIMALS), round(y, METRIC_DECIMALS)


# --- Spots -------------------------------------------------------------------------------------


def spot_filter(filters: ObservationFilter | None) -> ObservationFilter:
    """The export's filter: the page's, hidden spots always left out."""
    return replace(filters or ObservationFilter(), hidden=HIDDEN_EXCLUDE)


def _photo_count() -> sa.ScalarSelect:
    return (
        sa.select(sa.func.count(Photo.id))
        .where(Photo.observation_id == Observation.id)
        .scalar_subquery()
    )


def _spot_query(project_id: int, walk_ids: list[int], filters: ObservationFilter) -> sa.Select:
    query = (
        sa.select(
            Observation.participant_id,
            Observation.lat,
            Observation.lon,
            Observation.accuracy_m,
            Observation.position_source,
            Observation.position_suspect,
            Observation.recorded_at,
            Observation.local_date,
            Observation.time_slot,
            Observation.light_condition,
            Observation.category,
            Observation.feeling,
            Observation.ratings,
            Observation.comment,
            Observation.entered_by_id,
            SpotReference.number.label("reference"),
            Walk.title.label("event"),
            Walk.kind.label("event_kind"),
            Stop.number.label("stop"),
            Stop.name.label("stop_name"),
            Zone.name.label("zone"),
            _photo_count().label("photos"),
        )
        .select_from(Observation)
        .join(
            SpotReference,
            sa.and_(
                SpotReference.observation_id == Observation.id,
                SpotReference.project_id == project_id,
            ),
        )
        .join(Walk, Walk.id == Observation.walk_id)
        .outerjoin(Stop, Stop.id == Observation.stop_id)
        .outerjoin(Zone, Zone.id == Observation.zone_id)
    )
    # The reference order is the spots' order; the unique (project, number) index gives it
    # without sorting (an ORDER BY on the spot id made SQLite sort every row before the first).
    return narrow(query, walk_ids, filters).order_by(SpotReference.number)


def _count(walk_ids: list[int], filters: ObservationFilter) -> int:
    query = narrow(sa.select(sa.func.count()).select_from(Observation), walk_ids, filters)
    return db.session.scalar(query) or 0


class ParticipantLabels:
    """P1, P2... in order of first appearance: tells people apart within one file and names
    nobody; another export (another filter) numbers them afresh, so nothing joins files."""

    def __init__(self, prefix: str = PARTICIPANT_PREFIX) -> None:
        self._prefix = prefix
        self._labels: dict[int, str] = {}

    def __call__(self, participant_id: int) -> str:
        found = self._labels.get(participant_id)
        if found is None:
            found = self._labels[participant_id] = f"{self._prefix}{len(self._labels) + 1}"
        return found


def _spot_row(spot, tz: ZoneInfo, participant: ParticipantLabels) -> Row:
    ratings = spot.ratings or {}
    return {
        "reference": reference_label(spot.reference),
        "event": spot.event,
        "event_kind": spot.event_kind,
        "local_date": spot.local_date,
        "local_time": spot.recorded_at.astimezone(tz).time().replace(second=0, microsecond=0),
        "time_slot": spot.time_slot,
        "light_condition": spot.light_condition,
        "category": spot.category,
        "feeling": spot.feeling,
        "accuracy_m": spot.accuracy_m,
        "position_source": spot.position_source,
        "position_suspect": bool(spot.position_suspect),
        **{column: ratings.get(code) for column, code in RATING_COLUMNS},
        "stop": spot.stop,
        "stop_name": spot.stop_name,
        "zone": spot.zone,
        "entered_by_facilitator": spot.entered_by_id is not None,
        "comment": spot.comment,
        "participant": participant(spot.participant_id),
        "photos": spot.photos,
        "lat": _rounded(spot.lat),
        "lon": _rounded(spot.lon),
        "geometry": point(spot.lat, spot.lon),
    }


def _spot_rows(project: Project, query: sa.Select, lambert93: bool) -> Iterator[Row]:
    tz = ZoneInfo(project.timezone)
    participant = ParticipantLabels()
    # Core rows on the session's connection (no ORM loading: plain tuples), BATCH at a time.
    result = db.session.connection().execute(query.execution_options(yield_per=BATCH))
    try:
        for batch in result.partitions():
            rows = [_spot_row(spot, tz, participant) for spot in batch]
            if lambert93:
                _add_lambert93(rows)
            yield from rows
    finally:
        result.close()


def spots(project: Project, filters: ObservationFilter | None, *, lambert93: bool = False) -> Layer:
    filters = spot_filter(filters)
    walk_ids = scope(project.id, filters)
    if too_few_participants(walk_ids, filters):
        return Layer(sheet.SPOTS, 0, iter(()), WITHHELD)
    query = _spot_query(project.id, walk_ids, filters)
    return Layer(sheet.SPOTS, _count(walk_ids, filters), _spot_rows(project, query, lambert93))


# --- Findings ----------------------------------------------------------------------------------


def _shown_references(project_id: int, spot_ids: list) -> str:
    """The references of the spots still shown among `spot_ids`, in order, space-separated."""
    ids = sorted({int(i) for i in spot_ids})
    numbers: list[int] = []
    for start in range(0, len(ids), 500):
        numbers += db.session.scalars(
            sa.select(SpotReference.number)
            .join(Observation, Observation.id == SpotReference.observation_id)
            .where(
                SpotReference.project_id == project_id,
                SpotReference.observation_id.in_(ids[start : start + 500]),
                Observation.hidden_at.is_(None),
            )
        )
    return " ".join(reference_label(n) for n in sorted(numbers))


def _finding_row(finding: Finding, tz: ZoneInfo) -> Row:
    stats = finding.statistics or {}
    geometry = area_geometry(finding.geometry)
    return {
        "reference": f"{FINDING_PREFIX}{finding.id}",
        "title": finding.title,
        "recommendation": finding.recommendation,
        "method": stats.get("kind"),
        "n_reports": stats.get("n_reports"),
        "n_participants": stats.get("n_participants"),
        "share_night": stats.get("share_night"),
        "mean_feeling": stats.get("mean_feeling"),
        "z": stats.get("z"),
        "p": stats.get("p"),
        "top_categories": " ".join(code for code, _ in stats.get("top_categories") or ()) or None,
        "spots": _shown_references(finding.project_id, finding.spot_ids or []),
        "area_m2": area_m2(geometry),
        "confirmed_on": finding.created_at.astimezone(tz).date(),
        "lat": _rounded(finding.lat),
        "lon": _rounded(finding.lon),
        "wkt": wkt(geometry),
        "geometry": geometry,
    }


def _finding_rows(project: Project, lambert93: bool) -> Iterator[Row]:
    tz = ZoneInfo(project.timezone)
    query = sa.select(Finding).where(Finding.project_id == project.id).order_by(Finding.id)
    for finding in db.session.scalars(query):
        row = _finding_row(finding, tz)
        if lambert93:
            _add_lambert93([row])
        yield row


def findings(project: Project, *, lambert93: bool = False) -> Layer:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Finding).where(Finding.project_id == project.id)
    )
    return Layer(sheet.FINDINGS, total or 0, _finding_rows(project, lambert93))


# --- Stops -------------------------------------------------------------------------------------


def _stop_rows(stops_found: list, counts: dict[int, int] | None, lambert93: bool) -> Iterator[Row]:
    rows = [
        {
            "event": title,
            "event_kind": kind,
            "number": stop.number,
            "name": stop.name,
            "spots": None if counts is None else counts.get(stop.id, 0),
            "lat": _rounded(stop.lat),
            "lon": _rounded(stop.lon),
            "geometry": point(stop.lat, stop.lon),
        }
        for stop, title, kind in stops_found
    ]
    if lambert93:
        _add_lambert93(rows)
    yield from rows


def stops(project: Project, filters: ObservationFilter | None, *, lambert93: bool = False) -> Layer:
    """The stops of the events the filter keeps; `spots`: how many of the exported spots were
    tagged at each (none when the spots are withheld)."""
    filters = spot_filter(filters)
    walk_ids = scope(project.id, filters)
    found = db.session.execute(
        sa.select(Stop, Walk.title, Walk.kind)
        .join(Walk, Walk.id == Stop.walk_id)
        .where(Walk.id.in_(walk_ids))
        .order_by(Walk.starts_at, Walk.id, Stop.number)
    ).all()
    counts: dict[int, int] | None = None
    if not too_few_participants(walk_ids, filters):
        query = narrow(
            sa.select(Observation.stop_id, sa.func.count()).select_from(Observation),
            walk_ids,
            filters,
        ).group_by(Observation.stop_id)
        counts = {stop_id: n for stop_id, n in db.session.execute(query) if stop_id is not None}
    return Layer(sheet.STOPS, len(found), _stop_rows(found, counts, lambert93))


# --- Perimeter ---------------------------------------------------------------------------------


def perimeter(project: Project) -> Layer:
    if not project.perimeter:
        return Layer(sheet.PERIMETER, 0, iter(()))
    geometry = area_geometry(project.perimeter)
    row = {
        "project": project.name,
        "commune": project.commune,
        "insee_code": project.insee_code,
        "area_m2": area_m2(geometry),
        "wkt": wkt(geometry),
        "geometry": geometry,
    }
    return Layer(sheet.PERIMETER, 1, iter([row]))


# --- Zones -------------------------------------------------------------------------------------


def zones(project: Project) -> Layer:
    """The project's zones in the planner's order, with their shown spots' counts."""
    found = db.session.scalars(
        sa.select(Zone).where(Zone.project_id == project.id).order_by(Zone.position, Zone.id)
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(Observation.zone_id, sa.func.count())
            .where(
                Observation.zone_id.in_([z.id for z in found]),
                Observation.hidden_at.is_(None),
            )
            .group_by(Observation.zone_id)
        ).all()
    )

    def rows() -> Iterator[Row]:
        for order, zone in enumerate(found, start=1):
            geometry = area_geometry(zone.geometry)
            yield {
                "name": zone.name,
                "order": order,
                "spots": counts.get(zone.id, 0),
                "area_m2": area_m2(geometry),
                "wkt": wkt(geometry),
                "geometry": geometry,
            }

    return Layer(sheet.ZONES, len(found), rows())


def open_layer(
    name: str, project: Project, filters: ObservationFilter | None, *, lambert93: bool = False
) -> Layer:
    """The layer `name` (spreadsheet.LAYERS) of `project`, its rows not read yet."""
    if name == sheet.SPOTS:
        return spots(project, filters, lambert93=lambert93)
    if name == sheet.FINDINGS:
        return findings(project, lambert93=lambert93)
    if name == sheet.STOPS:
        return stops(project, filters, lambert93=lambert93)
    if name == sheet.PERIMETER:
        return perimeter(project)
    if name == sheet.ZONES:
        return zones(project)
    raise ValueError(f"unknown layer {name!r}")


def local_day(project: Project, when) -> date:
    return when.astimezone(ZoneInfo(project.timezone)).date()
