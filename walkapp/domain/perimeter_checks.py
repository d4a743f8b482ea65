"""Questions asked about a valid perimeter before it is saved (pure: no Flask, no session).

`domain.geo.perimeter_geometry` refuses what is not a polygon. A polygon can still be a
mistake: latitude and longitude swapped (Valenciennes lands in the Indian Ocean), a whole
département drawn at the wrong zoom, or an outline that leaves out the stops and spots the
project already has. `perimeter_questions` lists such doubts; the planner then confirms the
perimeter (or fixes it) before it is saved. Each question is a code of walkapp.error_messages
with the values its sentence quotes.

Measures are on the WGS84 ellipsoid (pyproj.Geod): area in km², diameter (the longest distance
between two corners) in km.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import shape

from .geo import perimeter_geometry

# A neighbourhood fits in a few km²: above either number the perimeter is questioned.
MAX_AREA_KM2 = 5
MAX_DIAMETER_KM = 5
# The diameter is sought among the convex hull's corners, simplified to this many metres (a
# hostile 20,000-point circle would otherwise take 200 million distances).
_HULL_TOLERANCE_M = 1.0
_HULL_MAX_CORNERS = 2_000


class Box(NamedTuple):
    """A bounding box in WGS84 degrees."""

    west: float
    south: float
    east: float
    north: float

    def holds(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


# Where walkapp's perimeters are expected: metropolitan France (Corsica included) and the five
# overseas departments, each a generous bounding box (a few km of sea around the coast). The
# code names the place in the questions' sentences (walkapp.error_messages, "region_...").
FRANCE_BOXES: Mapping[str, Box] = {
    "metropole": Box(-5.5, 41.2, 9.8, 51.2),
    "guadeloupe": Box(-61.9, 15.8, -60.9, 16.6),
    "martinique": Box(-61.3, 14.35, -60.75, 14.95),
    "guyane": Box(-54.7, 2.1, -51.5, 5.9),
    "reunion": Box(55.15, -21.45, 55.9, -20.8),
    "mayotte": Box(44.9, -13.1, 45.35, -12.55),
}

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Question:
    """A doubt about a perimeter: a code of walkapp.error_messages and the values it quotes.
    `fix` names what the page may offer to do about it ("swap_axes"), if anything."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    fix: str | None = None


def region_of(lat: float, lon: float) -> str | None:
    """The code of the first box of FRANCE_BOXES that holds the point, else None."""
    for code, box in FRANCE_BOXES.items():
        if box.holds(lon, lat):
            return code
    return None


def area_km2(geometry: Mapping[str, Any]) -> float:
    """The geodesic area of a perimeter (holes left out), in km²."""
    area, _perimeter = _GEOD.geometry_area_perimeter(shape(geometry))
    return abs(area) / 1e6


def diameter_km(geometry: Mapping[str, Any]) -> float:
    """The longest geodesic distance between two corners of the perimeter, in km."""
    geom = shape(geometry)
    lon0, lat0 = geom.centroid.x, geom.centroid.y
    hull = geom.convex_hull
    # The farthest pair is found on a local plane (degrees scaled to metres at the centre: close
    # enough to choose the pair), then measured on the ellipsoid.
    scale = np.array([111_320.0 * np.cos(np.radians(lat0)), 110_574.0])
    corners = np.asarray(shapely.get_coordinates(hull), dtype=float)
    if len(corners) > _HULL_MAX_CORNERS:
        simpler = shapely.simplify(hull, _HULL_TOLERANCE_M / float(scale.min()))
        corners = np.asarray(shapely.get_coordinates(simpler), dtype=float)
    if len(corners) < 2:
        return 0.0
    metres = (corners - [lon0, lat0]) * scale
    best, pair = -1.0, (0, 0)
    for i in range(len(metres) - 1):
        d = np.hypot(*(metres[i + 1 :] - metres[i]).T)
        j = int(d.argmax())
        if d[j] > best:
            best, pair = float(d[j]), (i, i + 1 + j)
    (lon1, lat1), (lon2, lat2) = corners[pair[0]], corners[pair[1]]
    _az, _back, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return float(dist) / 1000


def swap_axes(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """The perimeter with each position's longitude and latitude exchanged, normalised again
    (the exchange mirrors the shape, so its rings turn the other way)."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    swapped = [[[[y, x] for x, y in ring] for ring in rings] for rings in polygons]
    return perimeter_geometry({"type": "MultiPolygon", "coordinates": swapped})


def _centre(geometry: Mapping[str, Any]) -> tuple[float, float]:
    point = shape(geometry).centroid
    return point.y, point.x


def _outside(geom: shapely.Geometry, points: Sequence[tuple[float, float]]) -> int:
    if not points:
        return 0
    lat, lon = np.asarray(points, dtype=float).T
    # A point "intersects" the polygon when it is inside or on the edge (as point_in_perimeter).
    return int((~shapely.intersects_xy(geom, lon, lat)).sum())


def perimeter_questions(
    geometry: Mapping[str, Any],
    *,
    stops: Iterable[tuple[float, float]] = (),
    spots: Iterable[tuple[float, float]] = (),
) -> list[Question]:
    """The doubts about a valid perimeter (as returned by `perimeter_geometry`), in the order
    a page shows them; an empty list when there is none.

    `stops` and `spots` are the (lat, lon) of what the project already has. Codes:
      - perimeter_axes_swapped: its centre is outside France but would be inside with latitude
        and longitude exchanged (`fix="swap_axes"`; `region` names where it would be);
      - perimeter_far_away: its centre is outside FRANCE_BOXES;
      - perimeter_large_area, perimeter_large_diameter: over MAX_AREA_KM2, MAX_DIAMETER_KM;
      - perimeter_stops_outside, perimeter_spots_outside: how many (`count` of `total`).
    """
    questions: list[Question] = []
    lat, lon = _centre(geometry)
    if region_of(lat, lon) is None:
        where = {"lat": round(lat, 4), "lon": round(lon, 4)}
        swapped_region = region_of(lon, lat)
        if swapped_region is not None:
            questions.append(
                Question(
                    "perimeter_axes_swapped",
                    {**where, "region": swapped_region},
                    fix="swap_axes",
                )
            )
        else:
            questions.append(Question("perimeter_far_away", where))
    area = area_km2(geometry)
    if area > MAX_AREA_KM2:
        questions.append(
            Question("perimeter_large_area", {"area": round(area, 1), "max": MAX_AREA_KM2})
        )
    diameter = diameter_km(geometry)
    if diameter > MAX_DIAMETER_KM:
        questions.append(
            Question(
                "perimeter_large_diameter", {"diameter": round(diameter, 1), "max": MAX_DIAMETER_KM}
            )
        )
    geom = shape(geometry)
    shapely.prepare(geom)
    for code, points in (("perimeter_stops_outside", stops), ("perimeter_spots_outside", spots)):
        listed = list(points)
        outside = _outside(geom, listed)
        if outside:
            questions.append(Question(code, {"count": outside, "total": len(listed)}))
    return questions
