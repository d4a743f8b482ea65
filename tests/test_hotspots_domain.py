"""Hotspot statistics (domain.hotspots) on small cases computed by hand. No database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import h3
import pytest

from walkapp.domain import cells
from walkapp.domain import hotspots as hs
from walkapp.domain.thresholds import MIN_HOTSPOT_PARTICIPANTS, heat_weight

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)

# Three places of Valenciennes, far apart in H3 steps (26, 33 and 43 cells between them), so
# their neighbourhoods never touch.
A = cells.cell_of(50.3561, 3.5187)  # the corner under test
B = cells.cell_of(50.3661, 3.5187)  # the centre of a calm background walk
C = cells.cell_of(50.3561, 3.5387)  # a second corner


def spot(participant: int, cell: str, feeling: int = 1, minutes: float = 0, **fields) -> hs.Spot:
    values = {"category": "lighting", "light_condition": "night", **fields}
    return hs.Spot(
        participant_id=participant,
        cell=cell,
        feeling=feeling,
        recorded_at=T0 + timedelta(minutes=minutes),
        **values,
    )


def calm_background(radius: int = 5) -> list[hs.Spot]:
    """One "safe" spot (weight 0) by a different person in every cell within `radius` of B.

    With its neighbours the study area gets the disk of radius + 1 around B: for radius 5,
    1 + 3 * 6 * 7 = 127 cells, all of value 0.
    """
    return [
        spot(1000 + i, cell, feeling=5, light_condition="day")
        for i, cell in enumerate(sorted(h3.grid_disk(B, radius)))
    ]


def test_the_places_are_far_apart():
    assert h3.grid_distance(A, B) > 7 and h3.grid_distance(A, C) > 2
    assert h3.grid_distance(B, C) > 7
    assert h3.get_resolution(A) == cells.HOTSPOT_RESOLUTION


# --- Heat weights and cell values -----------------------------------------------------------


def test_heat_weights_follow_design():
    assert [heat_weight(f) for f in (1, 2, 3, 4, 5)] == [1.0, 0.5, 0.0, 0.0, 0.0]
    assert spot(1, A, feeling=2).weight == 0.5


def test_a_participant_counts_once_per_cell_with_their_most_severe_weight():
    # Participant 1: feelings 2, 1, 3 -> most severe weight 1.0 (not 1.5, not the mean 0.5).
    # Participant 2: feelings 2, 2 -> 0.5 (not 1.0). Participant 3: feeling 4 -> 0.
    # x = 1.0 + 0.5 + 0 = 1.5
    spots = [spot(1, A, 2), spot(1, A, 1), spot(1, A, 3), spot(2, A, 2), spot(2, A, 2)]
    spots.append(spot(3, A, 4))
    assert hs.participant_weights(spots) == {1: 1.0, 2: 0.5, 3: 0.0}
    assert hs.cell_value(spots) == 1.5
    assert hs.cell_value([spot(1, A, 1) for _ in range(30)]) == 1.0


def test_a_cell_is_computed_from_the_position():
    lat, lon = cells.centre(A)
    located = hs.Spot(1, 1, "lighting", "night", T0, lat=lat, lon=lon)
    assert located.cell_id() == A
    with pytest.raises(ValueError):
        hs.Spot(1, 1, "lighting", "night", T0).cell_id()


def test_the_study_area_is_the_cells_with_spots_and_their_neighbours():
    area = hs.study_area({A: 2.0})
    assert area == {A: 2.0, **{n: 0.0 for n in cells.neighbours(A)}}
    assert len(area) == 7


# --- Gi* on a 7-cell toy grid ---------------------------------------------------------------

# c0 in the middle, c1..c6 around it; each outer cell touches c0 and the two outer cells next
# to it (c1 touches c6 and c2): the shape of one H3 cell and its six neighbours.
TOY = {"c0": ["c1", "c2", "c3", "c4", "c5", "c6"]}
TOY.update({f"c{i}": ["c0", f"c{i % 6 + 1}", f"c{(i - 2) % 6 + 1}"] for i in range(1, 7)})
TOY_VALUES = {"c0": 2.0, "c1": 3.0, "c2": 1.0, "c3": 0.0, "c4": 0.0, "c5": 0.0, "c6": 0.0}

# By hand. n = 7, Σx = 6, X̄ = 6/7; Σx² = 4 + 9 + 1 = 14,
#   S² = Σx²/n − X̄² = 14/7 − 36/49 = 62/49, S = √62 / 7.
# c0: its neighbourhood is all 7 cells, Σw = Σw² = 7, n Σw² − (Σw)² = 49 − 49 = 0: no contrast
#   possible, z := 0 (and the numerator is 6 − 6/7 · 7 = 0 anyway).
# An outer cell: itself, c0 and two outer cells, Σw = Σw² = 4,
#   √[(7·4 − 4²)/(7 − 1)] = √(12/6) = √2, so the denominator is S√2 = √124 / 7,
#   and z = (Σ_j x_j − 4 · 6/7) / (√124 / 7) = (7 Σ_j x_j − 24) / √124.
#   c1: c1 + c0 + c2 + c6 = 3 + 2 + 1 + 0 = 6 -> z = (42 − 24)/√124 = 18/√124 = 1.61645
#   c2: c2 + c0 + c1 + c3 = 1 + 2 + 3 + 0 = 6 -> 18/√124
#   c3: c3 + c0 + c2 + c4 = 0 + 2 + 1 + 0 = 3 -> (21 − 24)/√124 = −3/√124 = −0.26941
#   c4: c4 + c0 + c3 + c5 = 2 -> (14 − 24)/√124 = −10/√124 = −0.89803
#   c5: c5 + c0 + c4 + c6 = 2 -> −10/√124
#   c6: c6 + c0 + c5 + c1 = 0 + 2 + 0 + 3 = 5 -> (35 − 24)/√124 = 11/√124 = 0.98783
HAND_Z = {
    "c0": 0.0,
    "c1": 18 / math.sqrt(124),
    "c2": 18 / math.sqrt(124),
    "c3": -3 / math.sqrt(124),
    "c4": -10 / math.sqrt(124),
    "c5": -10 / math.sqrt(124),
    "c6": 11 / math.sqrt(124),
}


def test_gi_star_on_the_toy_grid_matches_the_hand_calculation():
    stats = hs.gi_star(TOY_VALUES, TOY)
    assert set(stats) == set(HAND_Z)
    for cell, z in HAND_Z.items():
        assert stats[cell].z == pytest.approx(z, abs=1e-12), cell
        assert stats[cell].p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), abs=1e-12)
    assert stats["c1"].z == pytest.approx(1.61645, abs=1e-5)
    assert stats["c0"].p == 1.0


def test_the_toy_grid_is_one_h3_cell_and_its_neighbours():
    """The same numbers on real H3 cells: the outer cell valued 3 and its ring neighbour 1."""
    ring = sorted(cells.neighbours(A))
    first = ring[0]
    for outer in ring:  # each outer cell touches the centre and exactly two outer cells
        assert A in cells.neighbours(outer)
        assert len(cells.neighbours(outer) & set(ring)) == 2
    second = sorted(cells.neighbours(first) & set(ring))[0]
    values = {A: 2.0, **dict.fromkeys(ring, 0.0), first: 3.0, second: 1.0}
    stats = hs.gi_star(values, cells.neighbours)  # neighbours outside the area are ignored
    assert stats[first].z == pytest.approx(18 / math.sqrt(124), abs=1e-12)
    assert stats[second].z == pytest.approx(18 / math.sqrt(124), abs=1e-12)
    assert stats[A].z == 0.0


def test_gi_star_with_nothing_to_contrast():
    assert hs.gi_star({"a": 1.0}, {"a": []}) == {"a": hs.GiStar(0.0, 1.0)}
    flat = hs.gi_star(dict.fromkeys(TOY, 2.0), TOY)
    assert {s.z for s in flat.values()} == {0.0}


# --- p-values -------------------------------------------------------------------------------


def test_two_sided_p_values_of_the_normal_distribution():
    assert hs.two_sided_p(0.0) == 1.0
    assert hs.two_sided_p(1.959963984540054) == pytest.approx(0.05, abs=1e-12)
    assert hs.two_sided_p(2.5758293035489004) == pytest.approx(0.01, abs=1e-12)
    assert hs.two_sided_p(-1.959963984540054) == hs.two_sided_p(1.959963984540054)
    # The threshold 1.96 lies just beyond the 5 % level: z > 1.96 implies p < 0.05.
    assert hs.two_sided_p(hs.Z_THRESHOLD) < 0.05


# --- The distinct-participant rule ----------------------------------------------------------

# One hot cell A (value v > 0) among n cells that are all 0 else, its neighbourhood (7 cells)
# inside the area. X̄ = v/n, S² = v²/n − v²/n² = v²(n − 1)/n², S = v√(n − 1)/n;
# numerator = v − 7v/n = v(n − 7)/n; √[(7n − 49)/(n − 1)] = √[7(n − 7)/(n − 1)];
# z = v(n − 7)/n / (v√(n − 1)/n · √[7(n − 7)/(n − 1)]) = √[(n − 7)/7], whatever v is.
# Here n = 127 (background) + 7 (A and its ring) = 134: z = √(127/7) = 4.2594.
# The z-score alone cannot tell one person from three: the participant rule must.
LONE_Z = math.sqrt(127 / 7)


def test_one_person_with_thirty_spots_makes_no_hotspot():
    spots = calm_background() + [spot(1, A, minutes=i) for i in range(30)]
    stats = hs.gi_star(hs.study_area(hs.cell_values(hs.by_cell(spots))), cells.neighbours)
    assert stats[A].z == pytest.approx(LONE_Z, abs=1e-9)  # significant...
    assert hs.hotspots(spots) == []  # ...but made by one person


def test_two_people_make_no_hotspot_three_do():
    two = calm_background() + [spot(p, A, minutes=p) for p in (1, 2)]
    assert hs.hotspots(two) == []
    three = two + [spot(3, A)]
    found = hs.hotspots(three)
    assert [h.cell for h in found] == [A]
    assert found[0].z == pytest.approx(LONE_Z, abs=1e-9)
    assert found[0].n_participants == found[0].n_heat_participants == MIN_HOTSPOT_PARTICIPANTS


def test_people_who_felt_safe_there_do_not_count_towards_the_three():
    spots = calm_background() + [spot(1, A), spot(2, A), spot(3, A, feeling=4)]
    assert hs.hotspots(spots) == []  # z is high, but only two found the place unsafe


def test_without_a_background_a_lone_cluster_stands_out_from_nothing():
    # The study area is exactly A's neighbourhood (n = 7): Gi* cannot contrast it.
    spots = [spot(p, A) for p in range(1, 11)]
    assert hs.hotspots(spots) == []


# --- Ranking and description ----------------------------------------------------------------


def test_hotspots_are_ranked_by_z_not_by_counts():
    # A: 3 people, one "very unsafe" spot each: x = 3.0, 3 spots.
    # C: 5 people, 8 "unsafe" spots each: x = 5 * 0.5 = 2.5, 40 spots.
    # n = 127 + 7 + 7 = 141, X̄ = 5.5/141, S² = (9 + 6.25)/141 − X̄².
    # z = (x − 7 X̄) / (S √[7 · 134 / 140]): A 3.2262, C 2.6347.
    spots = calm_background() + [spot(p, A) for p in (1, 2, 3)]
    spots += [spot(p, C, feeling=2, minutes=k) for p in range(10, 15) for k in range(8)]
    found = hs.hotspots(spots)
    assert [h.cell for h in found] == [A, C]
    assert found[0].z == pytest.approx(3.2262, abs=1e-4)
    assert found[1].z == pytest.approx(2.6347, abs=1e-4)
    assert found[1].n_reports > found[0].n_reports
    assert found[1].n_participants > found[0].n_participants
    assert all(h.p < 0.05 and h.p == hs.two_sided_p(h.z) for h in found)


def test_a_hotspot_carries_its_figures_comments_and_photos():
    spots = calm_background()
    spots += [
        spot(1, A, 2, 1, category="harassment", comment="Des hommes nous suivent"),
        spot(1, A, 1, 2, category="harassment", comment="On nous a sifflées", photos=("p1",)),
        spot(1, A, 1, 3, category="lighting", comment="Le même, encore"),
        spot(2, A, 1, 4, category="lighting", light_condition="day", photos=("p2", "p3")),
        spot(3, A, 2, 5, category="lighting", comment="  Trop sombre  "),
        spot(4, A, 5, 6, category="seating", comment="Un banc, c'est bien"),
    ]
    (h,) = hs.hotspots(spots)
    assert (h.n_reports, h.n_participants, h.n_heat_participants) == (6, 4, 3)
    assert h.value == 1.0 + 1.0 + 0.5
    assert h.n_night == 5 and h.share_night == pytest.approx(5 / 6)
    assert h.top_categories == [("lighting", 3), ("harassment", 2), ("seating", 1)]
    assert h.mean_feeling == pytest.approx((2 + 1 + 1 + 1 + 2 + 5) / 6)
    # The most severe first, one per participant: participant 1's latest feeling-1 comment.
    assert [c.text for c in h.comments] == ["Le même, encore", "Trop sombre", "Un banc, c'est bien"]
    assert [c.spot.participant_id for c in h.comments] == [1, 3, 4]
    # Photos: first one per participant (most severe first), then the others.
    assert [p.photo for p in h.photos] == ["p2", "p1", "p3"]
    assert (h.lat, h.lon) == pytest.approx(cells.centre(A))
    assert len(h.boundary) == 6
    snap = h.snapshot()
    assert snap["n_participants"] == 4 and snap["top_categories"][0] == ["lighting", 3]
    assert snap["z"] == pytest.approx(h.z, abs=1e-6) and snap["share_night"] == 0.833333
