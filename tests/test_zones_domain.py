"""Which zone a point falls in (domain/zones.py): inside, outside, on a shared edge or corner
(the first zone in the planner's order wins), after a reorder, a MultiPolygon, a hole; and the
file of zones (a FeatureCollection)."""

from __future__ import annotations

import json

import pytest

from walkapp.domain.zones import (
    ZoneFileError,
    ZoneIndex,
    ZoneShape,
    name_problem,
    outside_perimeter,
    overlaps,
    zone_features,
)


def square(west: float, south: float, east: float, north: float, holes=()) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring, *holes]}


# Two squares of Place du Canada sharing the edge lon = 3.52, and a third one touching the
# second at its corner (3.53, 50.36).
WEST = square(3.51, 50.35, 3.52, 50.36)
EAST = square(3.52, 50.35, 3.53, 50.36)
NORTH_EAST = square(3.53, 50.36, 3.54, 50.37)


def test_a_point_inside_one_zone_and_one_outside_every_zone():
    index = ZoneIndex.from_zones([(1, 1, WEST), (2, 2, EAST)])
    assert index.zone_of(50.355, 3.515) == 1
    assert index.zone_of(50.355, 3.525) == 2
    assert index.zone_of(50.40, 3.515) is None
    assert ZoneIndex.from_zones([]).zone_of(50.355, 3.515) is None


def test_a_point_on_a_shared_edge_goes_to_the_first_zone_in_the_order():
    index = ZoneIndex.from_zones([(1, 1, WEST), (2, 2, EAST)])
    assert index.zone_of(50.355, 3.52) == 1
    # Given in another order, or with the lower id second: the position decides.
    assert ZoneIndex.from_zones([(7, 2, WEST), (3, 1, EAST)]).zone_of(50.355, 3.52) == 3


def test_a_tie_in_position_goes_to_the_lowest_id():
    assert ZoneIndex.from_zones([(9, 1, WEST), (4, 1, EAST)]).zone_of(50.355, 3.52) == 4


def test_a_point_on_a_shared_corner_goes_to_the_first_zone():
    index = ZoneIndex.from_zones([(1, 1, WEST), (2, 2, EAST), (3, 3, NORTH_EAST)])
    assert index.zone_of(50.36, 3.53) == 2
    index = ZoneIndex.from_zones([(1, 1, WEST), (2, 3, EAST), (3, 2, NORTH_EAST)])
    assert index.zone_of(50.36, 3.53) == 3
    # The outer corner of a zone is its own (boundary included).
    assert index.zone_of(50.37, 3.54) == 3


def test_reordering_changes_the_winner_of_an_overlap():
    big = square(3.51, 50.35, 3.53, 50.36)
    inside = square(3.515, 50.352, 3.518, 50.355)
    assert ZoneIndex.from_zones([(1, 1, big), (2, 2, inside)]).zone_of(50.353, 3.516) == 1
    assert ZoneIndex.from_zones([(1, 2, big), (2, 1, inside)]).zone_of(50.353, 3.516) == 2


def test_a_multipolygon_holds_both_parts_and_not_the_gap():
    multi = {
        "type": "MultiPolygon",
        "coordinates": [WEST["coordinates"], NORTH_EAST["coordinates"]],
    }
    index = ZoneIndex.from_zones([(5, 1, multi)])
    assert index.zone_of(50.355, 3.515) == 5
    assert index.zone_of(50.365, 3.535) == 5
    assert index.zone_of(50.355, 3.525) is None


def test_a_hole_is_outside_the_zone_but_its_edge_is_inside():
    hole = [[3.514, 50.354], [3.514, 50.356], [3.516, 50.356], [3.516, 50.354], [3.514, 50.354]]
    index = ZoneIndex.from_zones([(1, 1, square(3.51, 50.35, 3.52, 50.36, [hole]))])
    assert index.zone_of(50.355, 3.515) is None
    assert index.zone_of(50.354, 3.515) == 1
    assert index.zone_of(50.351, 3.511) == 1
    # A zone drawn in the hole takes its points.
    index = ZoneIndex.from_zones(
        [
            (1, 1, square(3.51, 50.35, 3.52, 50.36, [hole])),
            (2, 2, square(3.514, 50.354, 3.516, 50.356)),
        ]
    )
    assert index.zone_of(50.355, 3.515) == 2


def test_many_points_at_once_agree_with_one_at_a_time():
    index = ZoneIndex.from_zones([(1, 2, WEST), (2, 1, EAST), (3, 3, NORTH_EAST)])
    points = [(50.355, 3.515), (50.355, 3.52), (50.36, 3.53), (50.40, 3.0), (50.365, 3.535)]
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    assert index.zones_of(lats, lons) == [index.zone_of(lat, lon) for lat, lon in points]
    assert index.zones_of(lats, lons) == [1, 2, 2, None, 3]


def test_overlaps_are_named_and_shared_edges_are_not_overlaps():
    big = square(3.51, 50.35, 3.53, 50.36)
    shapes = [
        ZoneShape(1, "le square", WEST),
        ZoneShape(2, "le parvis", EAST),
        ZoneShape(3, "tout", big),
    ]
    assert overlaps(shapes) == [(1, 3), (2, 3)]
    assert overlaps(shapes[:2]) == []


def test_a_zone_outside_the_perimeter_is_flagged():
    perimeter = square(3.51, 50.35, 3.525, 50.36)
    assert not outside_perimeter(WEST, perimeter)
    assert outside_perimeter(EAST, perimeter)
    assert not outside_perimeter(EAST, None)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("le square", None),
        ("  ", "required"),
        (None, "required"),
        ("a" * 121, "too_long"),
        ("a\x00b", "control_characters"),
        ("a\tb", "control_characters"),
    ],
)
def test_names(name, problem):
    assert name_problem(name) == problem


def feature(name, geometry) -> dict:
    return {
        "type": "Feature",
        "properties": {"name": name} if name is not None else {},
        "geometry": geometry,
    }


def test_a_file_of_zones_gives_each_name_and_its_cleaned_geometry():
    collection = {
        "type": "FeatureCollection",
        "features": [feature(" le square ", WEST), feature("l'arrêt de bus", EAST)],
    }
    found = zone_features(json.dumps(collection))
    assert [name for name, _ in found] == ["le square", "l'arrêt de bus"]
    assert found[0][1]["type"] == "Polygon"
    # Cleaned like a perimeter: the exterior ring counter-clockwise whatever the file said.
    clockwise = {"type": "Polygon", "coordinates": [list(reversed(WEST["coordinates"][0]))]}
    ((_, cleaned),) = zone_features(
        {"type": "FeatureCollection", "features": [feature("a", clockwise)]}
    )
    assert cleaned["coordinates"][0] != clockwise["coordinates"][0]


@pytest.mark.parametrize(
    ("features", "number", "code"),
    [
        ([feature("a", WEST), feature(None, EAST)], 2, "zone_name_missing"),
        ([feature("a", WEST), feature("", EAST)], 2, "zone_name_missing"),
        ([feature("a", WEST), feature("A", EAST)], 2, "zone_name_repeated"),
        ([feature("a", {"type": "Point", "coordinates": [3.5, 50.3]})], 1, "perimeter_not_polygon"),
        (
            [
                feature("a", WEST),
                feature("b", WEST),
                feature(
                    "bow",
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [3.51, 50.35],
                                [3.52, 50.36],
                                [3.52, 50.35],
                                [3.51, 50.36],
                                [3.51, 50.35],
                            ]
                        ],
                    },
                ),
            ],
            3,
            "perimeter_self_intersection",
        ),
    ],
)
def test_a_bad_feature_is_named_by_its_number(features, number, code):
    with pytest.raises(ZoneFileError) as refused:
        zone_features({"type": "FeatureCollection", "features": features})
    assert (refused.value.number, refused.value.code) == (number, code)


@pytest.mark.parametrize(
    "data",
    ["not json", json.dumps(WEST), json.dumps({"type": "FeatureCollection", "features": []})],
)
def test_what_is_not_a_collection_of_zones_is_refused_as_a_file(data):
    with pytest.raises(ZoneFileError) as refused:
        zone_features(data)
    assert refused.value.number is None
