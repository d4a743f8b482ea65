"""Zones of a project: which zone a point falls in, and what to say about a set of zones.

THE RULE. A point inside a zone, or on its boundary, belongs to that zone. A point inside or on
the boundary of several zones (a shared edge, a shared corner, an overlap) goes to the zone that
comes first in the planner's order: the lowest `position`, then the lowest id. A point in no zone
belongs to none (None). Reordering the zones can therefore change where a shared edge's points go.

A zone's geometry is cleaned like a perimeter (domain.geo.perimeter_geometry: Polygon or
MultiPolygon, WGS84, rings oriented); holes are outside the zone. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from .geo import PerimeterError, perimeter_geometry
from .rules import has_control_characters

NAME_MAX = 120
# Two zones whose common area is below this share an edge, they do not overlap (square degrees;
# about 1 m² at Valenciennes' latitude).
OVERLAP_MIN_DEG2 = 1e-10


class ZoneIndex:
    """The zones of one project, ready to answer `zone_of` (prepared geometries in an STRtree).

    Built once per version of the project's zones (services.zones caches it); `zone_of` costs a
    tree query and a `covers` test per candidate zone."""

    def __init__(self, zones: Sequence[tuple[int, int, Mapping[str, Any]]]):
        # In the planner's order: the first candidate that covers the point wins.
        ordered = sorted(zones, key=lambda z: (z[1], z[0]))
        self.ids = [zone_id for zone_id, _position, _geometry in ordered]
        self._shapes = [shape(geometry) for _id, _position, geometry in ordered]
        for geom in self._shapes:
            shapely.prepare(geom)
        self._tree = STRtree(self._shapes) if self._shapes else None

    @classmethod
    def from_zones(cls, zones: Iterable[tuple[int, int, Mapping[str, Any]]]) -> ZoneIndex:
        """From (zone_id, position, GeoJSON geometry) triples, in any order."""
        return cls(list(zones))

    def __len__(self) -> int:
        return len(self.ids)

    def zone_of(self, lat: float, lon: float) -> int | None:
        """The zone of (lat, lon) by THE RULE (module docstring), None outside every zone."""
        if self._tree is None:
            return None
        point = shapely.Point(lon, lat)
        # Indices into the planner's order: the lowest that covers the point is the answer.
        for index in sorted(self._tree.query(point)):
            if self._shapes[index].covers(point):
                return self.ids[index]
        return None

    def zones_of(self, lats: Sequence[float], lons: Sequence[float]) -> list[int | None]:
        """`zone_of` for many points at once (a re-attach batch): one vectorised test per zone."""
        result: list[int | None] = [None] * len(lats)
        if self._tree is None or not len(lats):
            return result
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        left = np.ones(len(lats), dtype=bool)
        for zone_id, geom in zip(self.ids, self._shapes, strict=True):
            if not left.any():
                break
            inside = left & shapely.covers(geom, points)
            for i in np.flatnonzero(inside):
                result[i] = zone_id
            left &= ~inside
        return result


@dataclass(frozen=True)
class ZoneShape:
    """A zone as the planner's page speaks of it: its id, name and geometry."""

    zone_id: int
    name: str
    geometry: Mapping[str, Any]


def overlaps(zones: Sequence[ZoneShape]) -> list[tuple[int, int]]:
    """Pairs of zone ids (first, second in the given order) whose areas overlap (more than a
    shared edge or corner): the page says which, since the order then decides."""
    shapes = [shape(z.geometry) for z in zones]
    found = []
    for i, a in enumerate(shapes):
        for j in range(i + 1, len(shapes)):
            b = shapes[j]
            if a.intersects(b) and a.intersection(b).area > OVERLAP_MIN_DEG2:
                found.append((zones[i].zone_id, zones[j].zone_id))
    return found


def outside_perimeter(geometry: Mapping[str, Any], perimeter: Mapping[str, Any] | None) -> bool:
    """Whether a zone reaches out of the project's perimeter (a warning, never a refusal)."""
    if not perimeter:
        return False
    zone = shape(geometry)
    return zone.difference(shape(perimeter)).area > OVERLAP_MIN_DEG2


def name_problem(name: str | None) -> str | None:
    """Why a zone's name is refused (an error code of walkapp.error_messages), or None."""
    text = (name or "").strip()
    if not text:
        return "required"
    if len(text) > NAME_MAX:
        return "too_long"
    if has_control_characters(text, allowed=""):
        return "control_characters"
    return None


def zone_geometry(data: object) -> dict[str, Any]:
    """A zone's geometry cleaned like a perimeter's (raises domain.geo.PerimeterError)."""
    return perimeter_geometry(data)


# --- A file of zones (a FeatureCollection, e.g. from QGIS) ----------------------------------------


class ZoneFileError(ValueError):
    """Feature `number` (1-based) of the file cannot be a zone: `code` and `params` say why
    (walkapp.error_messages); number None: the file itself is not a collection of zones."""

    def __init__(self, number: int | None, code: str, **params: Any):
        super().__init__(f"feature {number}: {code}")
        self.number = number
        self.code = code
        self.params = params


def zone_features(data: object) -> list[tuple[str, dict[str, Any]]]:
    """(name, cleaned geometry) of each feature of a GeoJSON FeatureCollection (object or JSON
    text), in the file's order. Each feature needs a `name` property (non-empty text, at most
    NAME_MAX characters, no control character), a Polygon or MultiPolygon geometry, and a name
    of its own in the file. Raises ZoneFileError naming the first feature refused."""
    from .geo import _load  # the perimeter's own reader: size, depth and JSON checks

    try:
        obj = _load(data)
    except PerimeterError as exc:
        raise ZoneFileError(None, exc.code, **exc.params) from exc
    features = obj.get("features") if obj.get("type") == "FeatureCollection" else None
    if not isinstance(features, list) or not features:
        raise ZoneFileError(None, "zones_not_a_collection")
    found: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, Mapping) else None
        raw = properties.get("name") if isinstance(properties, Mapping) else None
        name = raw.strip() if isinstance(raw, str) else ""
        problem = name_problem(name)
        if problem is not None:
            code = "zone_name_missing" if problem == "required" else problem
            raise ZoneFileError(number, code, max=NAME_MAX)
        if name.casefold() in seen:
            raise ZoneFileError(number, "zone_name_repeated", name=name)
        seen.add(name.casefold())
        try:
            geometry = zone_geometry(feature)
        except PerimeterError as exc:
            raise ZoneFileError(number, exc.code, **exc.params) from exc
        found.append((name, geometry))
    return found
