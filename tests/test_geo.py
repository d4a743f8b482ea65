"""Perimeter validation (walkapp.domain.geo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import LinearRing, shape

from walkapp.domain.geo import PerimeterError, centroid, perimeter_geometry, point_in_perimeter

DATA = Path(__file__).parent / "data"
PLACE_DU_CANADA = DATA / "place-du-canada-perimeter.geojson"


@pytest.fixture
def place_du_canada() -> dict:
    return json.loads(PLACE_DU_CANADA.read_text(encoding="utf-8"))


def polygon(*ring: tuple[float, float]) -> dict:
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


SQUARE_CW = polygon((3.50, 50.35), (3.50, 50.36), (3.51, 50.36), (3.51, 50.35), (3.50, 50.35))


def refused(data: object) -> str:
    with pytest.raises(PerimeterError) as info:
        perimeter_geometry(data)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == info.value.message
    return info.value.message


def test_place_du_canada_is_accepted(place_du_canada: dict) -> None:
    geometry = perimeter_geometry(place_du_canada)
    assert geometry["type"] == "Polygon"
    ring = geometry["coordinates"][0]
    assert ring[0] == ring[-1]
    assert LinearRing(ring).is_ccw
    # About 30 hectares (rough metres per degree at 50.36 N).
    hectares = shape(geometry).area * 111_320 * 0.6383 * 111_200 / 10_000
    assert 20 < hectares < 45
    json.dumps(geometry)  # plain JSON types


def test_place_du_canada_points(place_du_canada: dict) -> None:
    geometry = perimeter_geometry(place_du_canada)
    lat, lon = centroid(geometry)
    assert 50.35 < lat < 50.36 and 3.51 < lon < 3.53
    assert point_in_perimeter(geometry, lat, lon)
    assert point_in_perimeter(geometry, 50.3560, 3.5185)
    assert not point_in_perimeter(geometry, 50.36, 3.53)


def test_feature_geometry_and_json_text_are_accepted(place_du_canada: dict) -> None:
    expected = perimeter_geometry(place_du_canada)
    feature = place_du_canada["features"][0]
    assert perimeter_geometry(feature) == expected
    assert perimeter_geometry(feature["geometry"]) == expected
    assert perimeter_geometry(PLACE_DU_CANADA.read_text(encoding="utf-8")) == expected


def test_clockwise_polygon_is_rewound() -> None:
    assert not LinearRing(SQUARE_CW["coordinates"][0]).is_ccw
    geometry = perimeter_geometry(SQUARE_CW)
    assert LinearRing(geometry["coordinates"][0]).is_ccw
    assert shape(geometry).equals(shape(SQUARE_CW))


def test_holes_are_clockwise_and_open_rings_closed() -> None:
    outer = [[0, 0], [0, 4], [4, 4], [4, 0]]  # clockwise and not closed
    hole = [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]  # counter-clockwise
    geometry = perimeter_geometry({"type": "Polygon", "coordinates": [outer, hole]})
    shell, inner = geometry["coordinates"]
    assert shell[0] == shell[-1] and len(shell) == 5
    assert LinearRing(shell).is_ccw
    assert not LinearRing(inner).is_ccw
    assert not point_in_perimeter(geometry, 1.5, 1.5)
    assert point_in_perimeter(geometry, 3, 3)


def test_altitude_is_dropped() -> None:
    geometry = perimeter_geometry(polygon((0, 0, 12), (1, 0, 12), (1, 1, 12), (0, 0, 12)))
    assert all(len(p) == 2 for p in geometry["coordinates"][0])


def test_multipolygon_is_kept() -> None:
    geometry = perimeter_geometry(
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
                [[[5, 5], [5, 6], [6, 6], [6, 5], [5, 5]]],
            ],
        }
    )
    assert geometry["type"] == "MultiPolygon"
    assert all(LinearRing(p[0]).is_ccw for p in geometry["coordinates"])


def test_several_features_are_merged() -> None:
    def feature(geometry: dict) -> dict:
        return {"type": "Feature", "properties": {}, "geometry": geometry}

    a = polygon((0, 0), (2, 0), (2, 2), (0, 2), (0, 0))
    b = polygon((1, 1), (3, 1), (3, 3), (1, 3), (1, 1))  # overlaps a
    c = polygon((10, 10), (11, 10), (11, 11), (10, 10))  # apart
    fused = perimeter_geometry({"type": "FeatureCollection", "features": [feature(a), feature(b)]})
    assert fused["type"] == "Polygon"
    assert shape(fused).area == pytest.approx(7)
    parts = perimeter_geometry(
        {"type": "FeatureCollection", "features": [feature(a), feature(b), feature(c)]}
    )
    assert parts["type"] == "MultiPolygon"
    assert point_in_perimeter(parts, 10.2, 10.8)


def test_bow_tie_is_refused_with_the_reason() -> None:
    message = refused(polygon((0, 0), (1, 1), (1, 0), (0, 1), (0, 0)))
    assert "Self-intersection" in message
    assert "cross" in message


def test_overlapping_parts_of_one_multipolygon_are_refused() -> None:
    message = refused(
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]],
                [[[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]],
            ],
        }
    )
    assert "not a valid polygon" in message


@pytest.mark.parametrize("kind", ["Point", "LineString", "MultiPoint", "GeometryCollection"])
def test_other_geometry_types_are_refused(kind: str) -> None:
    assert refused({"type": kind, "coordinates": [3.5, 50.3]}).startswith(
        f"{kind} is not a polygon"
    )


def test_point_feature_is_refused() -> None:
    point = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [3.5, 50.3]},
    }
    assert refused({"type": "FeatureCollection", "features": [point]}) == (
        "Point is not a polygon: the perimeter must be a closed area."
    )


@pytest.mark.parametrize(
    ("ring", "words"),
    [
        (((200, 50), (3.5, 50), (3.5, 51), (200, 50)), "Longitude 200"),
        (((-180.5, 50), (3.5, 50), (3.5, 51), (-180.5, 50)), "Longitude -180.5"),
        (((3.5, 95), (3.5, 50), (4.5, 51), (3.5, 95)), "Latitude 95"),
        # Lambert-93 metres instead of degrees.
        (
            (
                (720_000, 7_030_000),
                (721_000, 7_030_000),
                (721_000, 7_031_000),
                (720_000, 7_030_000),
            ),
            "outside",
        ),
    ],
)
def test_out_of_range_coordinates_are_refused(ring: tuple, words: str) -> None:
    message = refused(polygon(*ring))
    assert words in message
    assert "longitude first" in message


def test_zero_area_polygons_are_refused() -> None:
    assert "no area" in refused(polygon((0, 0), (1, 1), (2, 2), (0, 0)))
    assert "no area" in refused(polygon((3.5, 50.3), (3.5, 50.3), (3.5, 50.3), (3.5, 50.3)))


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        '{"type": "Polygon", "coordinates": [[[NaN, 0], [1, 1], [1, 0], [0, 0]]]}',
        [1, 2],
        {"coordinates": []},
        {"type": "Polygon"},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
        {"type": "Polygon", "coordinates": [[["0", "0"], [1, 0], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[True, 0], [1, 0], [1, 1], [0, 0]]]},
        {"type": "Circle", "coordinates": [0, 0]},
        {"type": "FeatureCollection", "features": []},
        {"type": "FeatureCollection"},
        {"type": "Feature", "geometry": None},
        {"type": "FeatureCollection", "features": [{"type": "Polygon"}]},
    ],
)
def test_not_geojson_is_refused(data: object) -> None:
    assert refused(data)


def test_too_many_vertices_are_refused() -> None:
    ring = [(i * 1e-6, 0.0) for i in range(25_000)] + [(0.0, 1.0), (0.0, 0.0)]
    assert "simplify" in refused(polygon(*ring))
