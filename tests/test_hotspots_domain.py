"""Hotspots (domain.hotspots) on walks built by hand, with the results fixed in advance (issue
"Hotspots that find the place everyone named"). No database."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from walkapp.domain import hotspots as hs

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
ORIGIN = (50.3561, 3.5187)  # Valenciennes
M_LAT = 1 / 111_320
M_LON = 1 / (111_320 * math.cos(math.radians(ORIGIN[0])))


def at(east: float, north: float = 0.0) -> tuple[float, float]:
    """(lat, lon) `east` and `north` metres from the origin."""
    return ORIGIN[0] + north * M_LAT, ORIGIN[1] + east * M_LON


class Walk:
    """A walk east along a straight street from the origin, with its stops and spots."""

    def __init__(self, length: float = 600.0, stops: int = 4):
        self.length = length
        self.stops = [
            hs.StopPoint(i + 1, f"Stop {i + 1}", *at(length * i / (stops - 1)))
            for i in range(stops)
        ]
        self.spots: list[hs.Spot] = []

    def add(self, participant, east, north=0.0, feeling=1, light="night", **fields):
        lat, lon = at(east, north)
        self.spots.append(
            hs.Spot(
                id=len(self.spots) + 1,
                participant_id=participant,
                feeling=feeling,
                category=fields.pop("category", "lighting"),
                light_condition=light,
                recorded_at=T0 + timedelta(minutes=len(self.spots)),
                lat=lat,
                lon=lon,
                **fields,
            )
        )

    def calm(self, n, people, light="night", start=0.0):
        for i in range(n):
            self.add(
                people[i % len(people)],
                start + (i + 0.5) * (self.length - start) / n,
                feeling=5,
                light=light,
            )

    def analyse(self, light=None):
        spots = [s for s in self.spots if light is None or s.light_condition == light]
        route = [(s.lat, s.lon) for s in self.stops]
        return hs.analyse(spots, lines=[route], stops=self.stops)


def contains(place: hs.Hotspot, point) -> bool:
    import shapely

    ring = [(lon, lat) for lat, lon in place.polygon]
    return shapely.Polygon(ring).contains(shapely.Point(point[1], point[0]))


# --- The scenarios ------------------------------------------------------------------------


def test_1_seven_of_seven_at_a_grid_line_make_exactly_one_hotspot():
    walk = Walk(600)
    origin_xy = hs.to_metric([ORIGIN[0]], [ORIGIN[1]])[0]
    # About 300 m east of the origin, exactly on a line of the 10 m grid (Lambert-93).
    x = (math.floor(origin_xy[0] / hs.GRID_M) + 30) * hs.GRID_M - origin_xy[0]
    rng = random.Random(1)
    for person in range(7):
        angle, r = rng.uniform(0, 2 * math.pi), rng.uniform(0, 15)
        walk.add(person, x + r * math.cos(angle), r * math.sin(angle), feeling=1)
    walk.calm(40, list(range(7)))
    result = walk.analyse()
    assert result.tested
    assert len(result.hotspots) == 1
    (place,) = result.hotspots
    assert contains(place, at(x)) and place.n_heat_participants == 7
    assert place.stop is not None and place.q <= hs.ALPHA


def test_2_one_person_thirty_times_is_no_hotspot_and_no_consensus():
    walk = Walk(600)
    rng = random.Random(2)
    for _ in range(30):
        walk.add(1, 100 + rng.uniform(-8, 8), rng.uniform(-8, 8), feeling=1)
    walk.calm(40, [2, 3, 4, 5, 6, 7])
    result = walk.analyse()
    assert result.tested and result.hotspots == [] and result.consensus == []
    assert result.n_tested == 0


def test_3_two_places_200_m_apart_make_two_hotspots():
    walk = Walk(1500, stops=6)
    for place in (500, 700):
        for person in range(4):
            walk.add(person + (10 if place == 700 else 0), place + 3 * person, 2, feeling=1)
    walk.calm(60, list(range(20, 28)))
    result = walk.analyse()
    assert len(result.hotspots) == 2
    assert all(contains(h, at(500)) or contains(h, at(700)) for h in result.hotspots)


def test_4_unsafe_only_at_night():
    walk = Walk(1200, stops=5)
    for person in range(5):
        walk.add(person, 400 + 4 * person, feeling=1, light="night")
        walk.add(10 + person, 400 + 4 * person, feeling=5, light="day")
    walk.calm(40, list(range(5)), light="night")
    walk.calm(40, list(range(10, 15)), light="day")
    night = walk.analyse("night")
    day = walk.analyse("day")
    assert len(night.hotspots) == 1 and contains(night.hotspots[0], at(408))
    assert day.hotspots == [] and day.consensus == []


def test_5_random_spots_rarely_make_a_hotspot():
    with_hotspot = 0
    for seed in range(20):
        rng = random.Random(seed)
        walk = Walk(1000, stops=5)
        for i in range(80):
            walk.add(i % 8, rng.uniform(0, 1000), rng.uniform(-5, 5), feeling=rng.randint(1, 5))
        with_hotspot += bool(walk.analyse().hotspots)
    assert with_hotspot <= 1


def test_6_too_few_spots_show_consensus_places_labelled():
    walk = Walk(600)
    for person in range(3):
        walk.add(person, 200 + 5 * person, feeling=1, comment="Trop sombre")
    walk.calm(10, [0, 1, 2, 3])
    result = walk.analyse()
    assert not result.tested and result.hotspots == []
    (place,) = result.consensus
    assert place.kind == hs.CONSENSUS and place.z is None
    assert contains(place, at(205)) and place.n_heat_participants == 3
    assert place.stop.number == 2  # 200 m: the stop at 200 m


# --- Pieces ---------------------------------------------------------------------------------


def test_a_participant_counts_once_per_square_with_the_most_severe_value():
    xy = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [25.0, 1.0]])
    units = hs.make_units(xy, np.array([1, 1, 2, 1]), np.array([1, 2, 0, 0]))
    values = dict(zip(units.participant.tolist(), units.value.tolist(), strict=False))
    assert len(units.value) == 3 and sorted(units.value.tolist()) == [0, 0, 2]
    assert values[2] == 0


def test_benjamini_hochberg_by_hand():
    q = hs.benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    assert q.tolist() == pytest.approx([0.04, 0.05333333, 0.05333333, 0.5])


# A route of n units: 1,000 of value 0, 60 of value 1, 25 of value 2.
NULL_VALUES = np.repeat([0, 1, 2], [1000, 60, 25])


@pytest.mark.parametrize(("k", "own", "observed"), [(12, 2, 5), (30, 0, 6), (60, 1, 9)])
def test_the_exact_p_value_is_the_limit_of_the_permutations(k, own, observed):
    """The same null drawn 200,000 times (own value held, k - 1 neighbours drawn with
    replacement from the other units) agrees with the exact p within 4 standard errors."""
    draws = 200_000
    others = np.delete(NULL_VALUES, np.flatnonzero(own == NULL_VALUES)[0])
    rng = np.random.default_rng(k)
    sums = others[rng.integers(0, len(others), size=(draws, k - 1))].sum(axis=1)
    monte_carlo = float(np.mean(sums >= observed))
    (exact,) = hs.conditional_p(NULL_VALUES, [own], [own + observed], [k])
    error = math.sqrt(exact * (1 - exact) / draws)
    assert 0.001 < exact < 0.5  # a tail the draws can see
    assert abs(monte_carlo - exact) < 4 * error


def test_the_exact_null_by_hand():
    # Two draws of 0, 1, 2 with shares 1/2, 1/4, 1/4: P(S >= s) for s = 0..4.
    (tail,) = hs.null_tail(np.array([0.5, 0.25, 0.25]), [2]).values()
    assert tail.tolist() == pytest.approx([1, 0.75, 0.5, 0.1875, 0.0625])
    # The unit itself is left out of the shares: 3 others of value 0, 1 of value 2.
    assert hs.value_shares(np.array([0, 0, 0, 2, 2]), 2).tolist() == [0.75, 0.0, 0.25]
    # Nothing beyond the largest possible sum, and never exactly 0 or above 1.
    p = hs.conditional_p(np.array([0, 0, 1, 2]), [0, 0, 1], [0, 5, 1], [3, 3, 1])
    assert p.tolist() == [1.0, hs.P_FLOOR, 1.0]


def test_a_single_place_can_pass_the_correction_over_many_tests():
    # Exact p has no floor of 1 / (permutations + 1): 12 of 12 neighbours at 2 on a calm route.
    values = np.repeat([0, 2], [5000, 40])
    (p,) = hs.conditional_p(values, [2], [26], [13])
    q = hs.benjamini_hochberg(np.r_[p, np.full(9999, 0.9)])
    assert q[0] <= hs.ALPHA


def test_the_same_data_give_the_same_result():
    walk = Walk(600)
    for person in range(6):
        walk.add(person, 300 + person, feeling=1)
    walk.calm(40, list(range(6)))
    assert walk.analyse() == walk.analyse()


def test_a_hotspot_is_named_by_the_nearest_stop_and_is_an_area():
    walk = Walk(600)
    for person in range(6):
        walk.add(person, 395 + 2 * person, feeling=1, comment=f"c{person}")
    walk.calm(40, list(range(6)))
    (place,) = walk.analyse().hotspots
    assert place.stop.number == 3 and place.stop_distance_m < 20
    geometry = place.geometry()
    assert (
        geometry["type"] == "Polygon"
        and geometry["coordinates"][0][0] == (geometry["coordinates"][0][-1])
    )
    assert set(range(1, 7)) <= set(place.spot_ids)
    assert len(place.comments) == hs.REPRESENTATIVE_COMMENTS
    assert place.snapshot()["stop"] == [3, "Stop 3"]


def test_spots_outside_the_perimeter_are_left_out():
    walk = Walk(600)
    for person in range(6):
        walk.add(person, 300, feeling=1)
    walk.calm(40, list(range(6)))
    lat0, lon0 = at(-100, -100)
    lat1, lon1 = at(250, 100)  # the perimeter stops before the place
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    route = [(s.lat, s.lon) for s in walk.stops]
    result = hs.analyse(
        walk.spots,
        lines=[route],
        stops=walk.stops,
        perimeter={"type": "Polygon", "coordinates": [ring]},
    )
    assert result.hotspots == [] and result.n_spots < len(walk.spots)


# --- Cross-check with PySAL -----------------------------------------------------------------


def test_gi_star_agrees_with_esda():
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 400, size=(300, 2))
    y = rng.choice([0.0, 0.5, 1.0], size=300, p=[0.6, 0.2, 0.2])
    z, local, k = hs.gi_star(xy, y)
    tree = hs.cKDTree(xy)
    neighbours = {
        i: [j for j in tree.query_ball_point(xy[i], hs.BAND_M) if j != i] for i in range(300)
    }
    # id_order: without it the weights and the values are silently in different orders.
    w = libpysal.weights.W(neighbours, id_order=list(range(300)), silence_warnings=True)
    g = esda.G_Local(y, w, transform="B", star=True, permutations=0)
    assert np.allclose(z, g.Zs, atol=1e-9)
    assert local.tolist() == pytest.approx([y[[i, *neighbours[i]]].sum() for i in range(300)])
    assert k.tolist() == [len(neighbours[i]) + 1 for i in range(300)]
