"""Perimeter validation (walkapp.domain.geo) and the questions before saving one
(walkapp.domain.perimeter_checks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import LinearRing, shape

from walkapp.domain.geo import PerimeterError, centroid, perimeter_geometry, point_in_perimeter
from walkapp.domain.perimeter_checks import (
    FRANCE_BOXES,
    MAX_AREA_KM2,
    area_km2,
    diameter_km,
    perimeter_questions,
    region_of,
    swap_axes,
)

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


def test_bow_tie_code_says_where_the_edges_cross() -> None:
    with pytest.raises(PerimeterError) as info:
        perimeter_geometry(polygon((3.51, 50.35), (3.52, 50.36), (3.52, 50.35), (3.51, 50.36)))
    assert info.value.code == "perimeter_self_intersection"
    assert info.value.params == {"lat": 50.355, "lon": 3.515}


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


REFUSED = [
    "not json",
    [1, 2],
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
    {"type": "Polygon", "coordinates": [[["0", "0"], [1, 0], [1, 1], [0, 0]]]},
    {"type": "Polygon", "coordinates": [[0, 0]]},
    {"type": "Polygon", "coordinates": []},
    {"type": "Polygon", "coordinates": [[[200, 50], [3.5, 50], [3.5, 51], [200, 50]]]},
    {"type": "Polygon", "coordinates": [[[3.5, 95], [3.5, 50], [4.5, 51], [3.5, 95]]]},
    {"type": "MultiPolygon", "coordinates": []},
    {"type": "Circle", "coordinates": [0, 0]},
    {"type": "Point", "coordinates": [3.5, 50.3]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
    {"type": "Feature", "geometry": None},
    {"type": "FeatureCollection"},
    {"type": "FeatureCollection", "features": []},
    {"type": "FeatureCollection", "features": [{"type": "Polygon"}]},
    {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None}]},
    {"type": "Polygon", "coordinates": [[[i * 1e-6, 0.0] for i in range(25_000)] + [[0, 1]]]},
    "[" * 20 + "]" * 20,
]


@pytest.mark.parametrize("data", REFUSED)
def test_every_refusal_is_a_code_with_a_sentence(data: object) -> None:
    """No plain-English reason reaches a page: each refusal is a code of error_messages, whose
    sentence takes the refusal's values (a missing placeholder would raise KeyError)."""
    from walkapp.error_messages import MESSAGES

    with pytest.raises(PerimeterError) as info:
        perimeter_geometry(data)
    code, params = info.value.code, info.value.params
    assert code in MESSAGES, code
    sentence = str(MESSAGES[code]) % params  # outside a request: the English msgid
    assert "%(" not in sentence
    for value in params.values():
        assert str(value) in sentence


# --- Questions before saving (walkapp.domain.perimeter_checks) ----------------------------------


def test_place_du_canada_raises_no_question(place_du_canada: dict) -> None:
    geometry = perimeter_geometry(place_du_canada)
    assert 0.2 < area_km2(geometry) < 0.45
    assert 0.5 < diameter_km(geometry) < 1.0
    assert perimeter_questions(geometry) == []


def test_swapped_axes_are_detected_and_offered_as_a_fix(place_du_canada: dict) -> None:
    geometry = perimeter_geometry(place_du_canada)
    swapped = swap_axes(geometry)
    assert swapped["coordinates"][0][0][0] > 50  # "longitude" 50: the Indian Ocean
    assert LinearRing(swapped["coordinates"][0]).is_ccw  # normalised again
    [question] = perimeter_questions(swapped)
    assert question.code == "perimeter_axes_swapped" and question.fix == "swap_axes"
    assert question.params["region"] == "metropole"
    assert question.params["lat"] == pytest.approx(3.52, abs=0.01)
    assert question.params["lon"] == pytest.approx(50.356, abs=0.01)
    assert swap_axes(swapped) == geometry
    assert perimeter_questions(swap_axes(swapped)) == []


def test_swapped_overseas_perimeter_names_its_department() -> None:
    # Saint-Denis de La Réunion (-20.88 N, 55.45 E) written [lat, lon].
    square = polygon((-20.89, 55.44), (-20.88, 55.44), (-20.88, 55.45), (-20.89, 55.45))
    [question] = perimeter_questions(perimeter_geometry(square))
    assert (question.code, question.params["region"]) == ("perimeter_axes_swapped", "reunion")


def test_a_perimeter_700_km_across_is_too_large() -> None:
    big = perimeter_geometry(polygon((-1, 44), (5, 44), (5, 49), (-1, 49)))
    questions = {q.code: q.params for q in perimeter_questions(big)}
    assert set(questions) == {"perimeter_large_area", "perimeter_large_diameter"}
    assert 200_000 < questions["perimeter_large_area"]["area"] < 300_000
    assert questions["perimeter_large_area"]["max"] == MAX_AREA_KM2
    assert 650 < questions["perimeter_large_diameter"]["diameter"] < 800


def test_a_long_thin_perimeter_is_too_wide_but_not_too_large() -> None:
    # 0.09 degree of latitude (10 km) by 0.001 degree of longitude (70 m): 0.7 km².
    strip = perimeter_geometry(polygon((3.5, 50.0), (3.501, 50.0), (3.501, 50.09), (3.5, 50.09)))
    assert area_km2(strip) == pytest.approx(0.716, rel=0.02)
    assert diameter_km(strip) == pytest.approx(10.01, rel=0.01)
    assert [q.code for q in perimeter_questions(strip)] == ["perimeter_large_diameter"]


def test_just_under_the_limits_raises_no_question() -> None:
    # About 2 km by 2 km (4 km², 2.8 km across) in Valenciennes.
    square = perimeter_geometry(
        polygon((3.5, 50.35), (3.528, 50.35), (3.528, 50.368), (3.5, 50.368))
    )
    assert 3.5 < area_km2(square) < 4.5
    assert perimeter_questions(square) == []


def test_a_perimeter_far_from_france_is_questioned() -> None:
    manhattan = polygon((-74.0, 40.70), (-73.99, 40.70), (-73.99, 40.71), (-74.0, 40.71))
    [question] = perimeter_questions(perimeter_geometry(manhattan))
    assert question.code == "perimeter_far_away" and question.fix is None
    assert question.params == {"lat": pytest.approx(40.705), "lon": pytest.approx(-73.995)}


@pytest.mark.parametrize(
    ("lat", "lon", "region"),
    [
        (48.857, 2.352, "metropole"),  # Paris
        (51.034, 2.377, "metropole"),  # Dunkerque
        (48.39, -4.49, "metropole"),  # Brest
        (43.775, 7.50, "metropole"),  # Menton
        (41.39, 9.16, "metropole"),  # Bonifacio (Corsica)
        (15.998, -61.726, "guadeloupe"),  # Basse-Terre
        (14.607, -61.073, "martinique"),  # Fort-de-France
        (4.937, -52.326, "guyane"),  # Cayenne
        (-20.882, 55.451, "reunion"),  # Saint-Denis
        (-12.781, 45.228, "mayotte"),  # Mamoudzou
        (0.0, 0.0, None),
        (3.52, 50.36, None),  # Valenciennes swapped: the Indian Ocean
        (-1.29, 36.82, None),  # Nairobi
    ],
)
def test_france_boxes(lat: float, lon: float, region: str | None) -> None:
    assert region_of(lat, lon) == region
    assert set(FRANCE_BOXES) == {
        "metropole",
        "guadeloupe",
        "martinique",
        "guyane",
        "reunion",
        "mayotte",
    }


def test_stops_and_spots_outside_are_counted(place_du_canada: dict) -> None:
    geometry = perimeter_geometry(place_du_canada)
    lat, lon = centroid(geometry)
    corner = geometry["coordinates"][0][0]  # on the edge: inside
    stops = [(lat, lon), (corner[1], corner[0]), (50.40, 3.60)]
    spots = [(lat, lon)] * 3 + [(50.30, 3.50), (48.85, 2.35)]
    questions = perimeter_questions(geometry, stops=stops, spots=spots)
    assert [(q.code, q.params) for q in questions] == [
        ("perimeter_stops_outside", {"count": 1, "total": 3}),
        ("perimeter_spots_outside", {"count": 2, "total": 5}),
    ]
    assert perimeter_questions(geometry, stops=stops[:2], spots=spots[:3]) == []


def test_too_many_vertices_are_refused() -> None:
    ring = [(i * 1e-6, 0.0) for i in range(25_000)] + [(0.0, 1.0), (0.0, 0.0)]
    assert "simplify" in refused(polygon(*ring))
