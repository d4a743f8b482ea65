"""Perimeters of projects and walks: GeoJSON in, one clean polygon geometry out.

A planner uploads or draws a perimeter. `perimeter_geometry` accepts:
  - a GeoJSON geometry: Polygon or MultiPolygon;
  - a Feature whose geometry is one of those;
  - a FeatureCollection of one or more such features. Several features are merged (their
    union) into one geometry: overlapping or touching parts fuse into a Polygon, separate parts
    give a MultiPolygon. Each feature is validated on its own first, so an error names it.

It returns a normalised GeoJSON geometry dict (RFC 7946): "Polygon" or "MultiPolygon", 2D
(an altitude, if any, is dropped), rings closed, exterior rings counter-clockwise and holes
clockwise, coordinates as lists of [longitude, latitude] floats in WGS84. Open rings are closed
rather than refused (drawing tools differ). Perimeters that cross the antimeridian are not
supported (nobody walks there).

Errors raise `PerimeterError` (a ValueError): its `.code` is a refusal code of
walkapp.error_messages (translated there, with `.params` quoted in the sentence); its `.message`
is the same reason in plain English, for logs and the command line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

from .json_limits import json_shape_problem
from .rules import valid_latitude, valid_longitude

# Far above any neighbourhood outline (Place du Canada has 9 vertices), low enough that
# validating a hostile upload stays cheap.
MAX_VERTICES = 20_000
# Square degrees; 1e-12 deg^2 is about 0.01 m^2. Below that, a "polygon" is a line or a point
# (floating-point noise keeps collinear points from giving exactly 0).
MIN_AREA_DEG2 = 1e-12
# A position of a MultiPolygon in a FeatureCollection is 8 levels deep (collection, features,
# feature, geometry, coordinates, polygon, ring, position): 12 leaves room for properties.
JSON_MAX_DEPTH = 12
# Each vertex is at most 4 items (its list, two or three numbers), plus properties and rings.
JSON_MAX_ITEMS = 5 * MAX_VERTICES + 10_000

_NOT_POLYGON_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection"}
_RANGE_HINT = (
    "coordinates must be WGS84 degrees, longitude first then latitude (as GeoJSON requires); "
    "projected coordinates such as Lambert-93 metres are not accepted"
)
# Plain words for GEOS's validity reasons (shapely.validation.explain_validity), and the
# refusal code of each (its translated sentence is in walkapp.error_messages).
_VALIDITY_WORDS = {
    "Self-intersection": ("its edges cross each other", "perimeter_self_intersection"),
    "Ring Self-intersection": ("an outline touches itself", "perimeter_ring_self_intersection"),
    "Hole lies outside shell": ("a hole lies outside the outline", "perimeter_hole_outside"),
    "Nested shells": ("one part lies inside another", "perimeter_nested_shells"),
    "Nested holes": ("one hole lies inside another", "perimeter_nested_holes"),
    "Interior is disconnected": ("its holes cut it into pieces", "perimeter_disconnected"),
    "Duplicate Rings": ("an outline is repeated", "perimeter_duplicate_rings"),
    "Too few points": ("an outline has too few points", "perimeter_too_few_points"),
}
_BROKEN = ("its outline is broken", "perimeter_broken")
# "Self-intersection[3.515 50.355]": the place GEOS names, longitude then latitude.
_WHERE = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]")

Ring = list[tuple[float, float]]


class PerimeterError(ValueError):
    """The perimeter cannot be used: `.code` and `.params` for walkapp.error_messages (the
    planner's language), `.message` the same reason in plain English."""

    def __init__(self, message: str, code: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.params = params


def _load(data: object) -> Mapping[str, Any]:
    if isinstance(data, str | bytes | bytearray):
        shape = json_shape_problem(data, max_depth=JSON_MAX_DEPTH, max_items=JSON_MAX_ITEMS)
        if shape == "too_deep":
            raise PerimeterError(
                f"This is not GeoJSON: it is nested more than {JSON_MAX_DEPTH} levels deep.",
                "too_deep",
                max=JSON_MAX_DEPTH,
            )
        if shape == "too_many_items":
            raise PerimeterError(
                f"This perimeter holds more than {JSON_MAX_ITEMS} values.",
                "too_many_items",
                max=JSON_MAX_ITEMS,
            )
        try:
            data = json.loads(data, parse_constant=_refuse_constant)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise PerimeterError(
                "This file is not GeoJSON: it is not valid JSON.", "perimeter_not_json"
            ) from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
        raise PerimeterError(
            'This is not GeoJSON: expected a JSON object with a "type".', "perimeter_no_type"
        )
    return data


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _position(pos: object) -> tuple[float, float]:
    if not isinstance(pos, list | tuple) or len(pos) not in (2, 3):
        raise PerimeterError(
            "This is not GeoJSON: a position must be [longitude, latitude].", "perimeter_position"
        )
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos):
        raise PerimeterError(
            "This is not GeoJSON: coordinates must be numbers.", "perimeter_not_numbers"
        )
    lon, lat = float(pos[0]), float(pos[1])
    if not valid_longitude(lon):
        raise PerimeterError(
            f"Longitude {pos[0]} is outside -180..180: {_RANGE_HINT}.",
            "perimeter_longitude_range",
            value=pos[0],
        )
    if not valid_latitude(lat):
        raise PerimeterError(
            f"Latitude {pos[1]} is outside -90..90: {_RANGE_HINT}.",
            "perimeter_latitude_range",
            value=pos[1],
        )
    return lon, lat


def _ring(coords: object) -> Ring:
    if not isinstance(coords, list | tuple):
        raise PerimeterError(
            "This is not GeoJSON: a ring must be a list of positions.", "perimeter_ring"
        )
    ring = [_position(p) for p in coords]
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise PerimeterError("An outline needs at least 3 corners.", "perimeter_few_corners")
    return ring


def _polygon_rings(coords: object) -> list[Ring]:
    if not isinstance(coords, list | tuple) or not coords:
        raise PerimeterError(
            "This is not GeoJSON: a polygon must be a list of rings.", "perimeter_rings"
        )
    return [_ring(r) for r in coords]


def _geometry_parts(geometry: object) -> list[list[Ring]]:
    """The polygons (each a list of rings) of one GeoJSON geometry."""
    if not isinstance(geometry, Mapping):
        raise PerimeterError(
            "This is not GeoJSON: a geometry must be an object.", "perimeter_geometry_object"
        )
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return [_polygon_rings(coords)]
    if kind == "MultiPolygon":
        if not isinstance(coords, list | tuple) or not coords:
            raise PerimeterError(
                "This is not GeoJSON: a MultiPolygon must list polygons.", "perimeter_multipolygon"
            )
        return [_polygon_rings(p) for p in coords]
    if kind in _NOT_POLYGON_TYPES:
        raise PerimeterError(
            f"{kind} is not a polygon: the perimeter must be a closed area.",
            "perimeter_not_polygon",
            kind=kind,
        )
    raise PerimeterError(
        f"This is not GeoJSON: unknown geometry type {kind!r}.",
        "perimeter_unknown_type",
        kind=str(kind)[:40],
    )


def _feature_geometry(feature: object, number: int | None) -> object:
    """The geometry of the lone Feature (number None) or of feature `number` of a collection."""
    where = "the feature" if number is None else f"feature {number}"
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise PerimeterError(
            f"This is not GeoJSON: {where} is not a Feature.",
            "perimeter_not_feature",
            number=number,
        )
    if feature.get("geometry") is None:
        if number is None:
            raise PerimeterError("The feature has no geometry.", "perimeter_feature_no_geometry")
        raise PerimeterError(
            f"Feature {number} has no geometry.", "perimeter_feature_n_no_geometry", number=number
        )
    return feature["geometry"]


def _geometries(obj: Mapping[str, Any]) -> list[object]:
    """The GeoJSON geometries the object carries (several only for a FeatureCollection)."""
    kind = obj["type"]
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list | tuple):
            raise PerimeterError(
                'This is not GeoJSON: a FeatureCollection needs "features".',
                "perimeter_no_features_list",
            )
        if not features:
            raise PerimeterError(
                "The file has no feature: draw or upload one perimeter.", "perimeter_no_feature"
            )
        return [_feature_geometry(f, i) for i, f in enumerate(features, start=1)]
    if kind == "Feature":
        return [_feature_geometry(obj, None)]
    return [obj]


def _validity_error(reason: str) -> PerimeterError:
    """GEOS's reason ("Self-intersection[3.515 50.355]") as a refusal: the code of its plain
    words, and where it is (latitude and longitude, 5 decimals: about a metre)."""
    words, code = _VALIDITY_WORDS.get(reason.split("[", 1)[0], _BROKEN)
    english = f"The perimeter is not a valid polygon: {words} ({reason}). Redraw it."
    where = _WHERE.search(reason)
    try:
        lon, lat = float(where.group(1)), float(where.group(2))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        return PerimeterError(english, _BROKEN[1])
    if code == _BROKEN[1]:
        return PerimeterError(english, code)
    return PerimeterError(english, code, lat=round(lat, 5), lon=round(lon, 5))


def _check_area(rings: list[Ring]) -> None:
    # The convex hull of the outline: zero when every corner is on one line (or one point).
    # Checked before validity, which would only say "Too few points" or "Self-intersection".
    if Polygon(rings[0]).convex_hull.area < MIN_AREA_DEG2:
        raise PerimeterError(
            "The perimeter has no area: its corners are all on one line.", "perimeter_flat"
        )


def _check_valid(geom: shapely.Geometry) -> None:
    if not geom.is_valid:
        raise _validity_error(explain_validity(geom))


def _build(parts: list[list[Ring]]) -> Polygon | MultiPolygon:
    polygons = []
    for rings in parts:
        _check_area(rings)
        polygon = Polygon(rings[0], rings[1:])
        _check_valid(polygon)
        polygons.append(polygon)
    if len(polygons) == 1:
        return polygons[0]
    multi = MultiPolygon(polygons)
    _check_valid(multi)  # parts of one MultiPolygon must not overlap
    return multi


def _oriented(geom: shapely.Geometry) -> Polygon | MultiPolygon:
    """Exterior rings counter-clockwise, holes clockwise (RFC 7946, section 3.1.6)."""
    if isinstance(geom, Polygon):
        return orient(geom, sign=1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
    # A union of valid polygons is polygonal; anything else is a bug upstream.
    raise PerimeterError(
        f"The perimeter is a {geom.geom_type}, not a polygon.",
        "perimeter_not_polygon",
        kind=geom.geom_type,
    )


def _polygon_coords(polygon: Polygon) -> list[list[list[float]]]:
    rings = [polygon.exterior, *polygon.interiors]
    return [[[x, y] for x, y in ring.coords] for ring in rings]


def _to_geojson(geom: Polygon | MultiPolygon) -> dict[str, Any]:
    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": _polygon_coords(geom)}
    return {"type": "MultiPolygon", "coordinates": [_polygon_coords(p) for p in geom.geoms]}


def perimeter_geometry(data: object) -> dict[str, Any]:
    """Validate a perimeter (GeoJSON object, or its JSON text) and return it normalised.

    See the module docstring for what is accepted and returned. Raises PerimeterError.
    """
    obj = _load(data)
    all_parts = [_geometry_parts(g) for g in _geometries(obj)]
    vertices = sum(len(ring) for parts in all_parts for rings in parts for ring in rings)
    if vertices > MAX_VERTICES:
        raise PerimeterError(
            f"The perimeter has {vertices} points; simplify it to at most {MAX_VERTICES}.",
            "perimeter_too_many_points",
            count=vertices,
            max=MAX_VERTICES,
        )
    shapes = [_build(parts) for parts in all_parts]
    merged = shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)
    geom = _oriented(merged)
    if geom.is_empty or geom.area < MIN_AREA_DEG2:
        raise PerimeterError("The perimeter has no area.", "perimeter_no_area")
    return _to_geojson(geom)


def point_in_perimeter(geometry: Mapping[str, Any], lat: float, lon: float) -> bool:
    """Whether (lat, lon) is inside the perimeter or on its edge.

    `geometry` is a GeoJSON geometry as returned by `perimeter_geometry`.
    """
    return bool(shape(geometry).covers(Point(lon, lat)))


def centroid(geometry: Mapping[str, Any]) -> tuple[float, float]:
    """The centre of mass of the perimeter as (lat, lon), e.g. to centre a map.

    For a concave or multi-part perimeter it may fall outside the area itself.
    """
    geom = shape(geometry)
    if geom.is_empty:
        raise ValueError("an empty geometry has no centroid")
    point = geom.centroid
    return point.y, point.x
