"""The k rule of the residents' page and its snapshot (domain.public_page): pure, no database."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Point, Polygon

from walkapp.domain import cells
from walkapp.domain import public_page as page
from walkapp.domain.public_page import Quote, Report

HERE = cells.centre(cells.cell_of(50.3561, 3.5187, cells.MAP_RESOLUTION))
ELSEWHERE = cells.centre(cells.cell_of(50.3661, 3.5387, cells.MAP_RESOLUTION))
K = 5


def reports(place, people: dict[int, int], category="lighting", feeling=2) -> list[Report]:
    """{participant: number of reports} at `place` (a cell's centre)."""
    lat, lon = place
    return [
        Report(lat, lon, person, category, feeling)
        for person, n in people.items()
        for _ in range(n)
    ]


def test_k_people_with_one_report_each_make_a_hexagon():
    shown, left_out = page.public_cells(reports(HERE, dict.fromkeys(range(K), 1)), K)
    assert len(shown) == 1 and left_out == 0
    assert shown[0]["reports"] == K and shown[0]["participants"] == K


def test_k_minus_one_people_with_many_reports_are_not_shown():
    rows = reports(HERE, {1: 40, 2: 3, 3: 3, 4: 3})
    shown, left_out = page.public_cells(rows, K)
    assert shown == [] and left_out == len(rows)


def test_one_person_with_many_spots_in_one_place_is_never_a_hexagon():
    rows = reports(HERE, {7: 200})
    assert page.public_cells(rows, K) == ([], 200)
    assert page.public_cells(rows, 2) == ([], 200)


def test_each_cell_is_judged_alone():
    """Eight people across two cells, neither with five: none shown; two more make one."""
    rows = reports(HERE, {1: 1, 2: 1, 3: 1}) + reports(ELSEWHERE, {4: 1, 5: 1, 6: 3})
    shown, left_out = page.public_cells(rows, K)
    assert shown == [] and left_out == 8
    more = rows + reports(ELSEWHERE, {7: 1, 8: 1})
    shown, left_out = page.public_cells(more, K)
    assert [c["participants"] for c in shown] == [5] and left_out == 3


def test_the_mean_feeling_counts_each_person_once():
    """One person with twenty spots at 1 and four people at 5: the mean of five people's own
    means (1, 5, 5, 5, 5) = 4.2, not the mean of 24 spots (about 1.7)."""
    rows = reports(HERE, {1: 20}, feeling=1) + reports(HERE, {2: 1, 3: 1, 4: 1, 5: 1}, feeling=5)
    (cell,), _ = page.public_cells(rows, K)
    assert cell["mean_feeling"] == 4.2
    assert cell["reports"] == 24


def test_no_mean_over_fewer_than_five_people_even_with_a_lower_k():
    (cell,), _ = page.public_cells(reports(HERE, {1: 1, 2: 1, 3: 1}), 3)
    assert cell["mean_feeling"] is None and cell["colour"] == page.NO_MEAN_COLOUR


def test_a_category_is_named_only_with_k_reports_of_k_people_in_the_cell():
    rows = (
        reports(HERE, dict.fromkeys(range(K), 1), "lighting")
        + reports(HERE, {100: 9}, "harassment")  # one woman, nine times: not named
        + reports(HERE, {200: 1, 201: 1, 202: 1, 203: 1}, "visibility")  # four people
    )
    (cell,), _ = page.public_cells(rows, K)
    assert cell["categories"] == {"lighting": K}
    assert cell["reports"] == len(rows)  # still counted in the hexagon's total
    named = rows + reports(HERE, {300 + i: 1 for i in range(4)}, "harassment")
    (cell,), _ = page.public_cells(named, K)
    assert cell["categories"] == {"harassment": 13, "lighting": K}


def test_harassment_in_a_small_cell_leaves_no_trace_but_the_left_out_count():
    rows = reports(HERE, dict.fromkeys(range(K), 1)) + reports(ELSEWHERE, {9: 1}, "harassment")
    shown, left_out = page.public_cells(rows, K)
    assert left_out == 1
    for cell in shown:
        assert not Polygon(cell["outline"]).contains(Point(ELSEWHERE[1], ELSEWHERE[0]))


def test_the_outline_is_a_closed_counter_clockwise_ring_around_the_cell():
    cell = cells.cell_of(*HERE, cells.MAP_RESOLUTION)
    ring = page.outline(cell)
    assert ring[0] == ring[-1] and len(ring) == 7
    polygon = Polygon(ring)
    assert polygon.is_valid and polygon.exterior.is_ccw
    assert polygon.contains(Point(HERE[1], HERE[0]))  # [lon, lat]


def test_harassment_total_needs_k_people_and_k_reports():
    few = reports(HERE, {1: 9}, "harassment") + reports(HERE, dict.fromkeys(range(10, 20), 1))
    assert page.report_figures(few, K)["harassment_reports"] is None
    enough = reports(HERE, dict.fromkeys(range(K), 1), "harassment")
    figures = page.report_figures(enough, K)
    assert figures == {"reports": K, "participants": K, "harassment_reports": K}


def test_quotes_never_show_harassment_or_empty_comments():
    quotes = [
        Quote("lighting", "  Trop sombre  "),
        Quote("harassment", "Il m'a suivie"),
        Quote("seating", " "),
    ]
    assert page.public_quotes(quotes) == [{"category": "lighting", "text": "Trop sombre"}]


def test_k_below_two_is_refused():
    with pytest.raises(ValueError):
        page.public_cells([], 1)


def _snapshot(rows, findings=()) -> dict:
    return page.snapshot(
        project={"name": "Place du Canada", "commune": "Valenciennes"},
        reports=rows,
        k=K,
        walks={"held": 3, "with_women": 2},
        findings=list(findings),
        contact="  democratie@ville.fr ",
        perimeter=None,
    )


def test_the_snapshot_is_plain_json_with_its_version():
    rows = reports(HERE, dict.fromkeys(range(K), 2))
    finding = {
        "title": "Sous le pont",
        "recommendation": "Éclairer",
        "quotes": [Quote("lighting", "Noir")],
    }
    built = _snapshot(rows, [finding])
    assert json.loads(json.dumps(built)) == built
    assert built["version"] == page.SNAPSHOT_VERSION and built["k"] == K
    assert built["figures"] == {
        "walks_held": 3,
        "walks_with_women": 2,
        "participants": K,
        "reports": 2 * K,
        "harassment_reports": None,
        "findings": 1,
    }
    assert built["contact"] == "democratie@ville.fr"
    assert built["findings"][0]["quotes"] == [{"category": "lighting", "text": "Noir"}]
    collection = page.feature_collection(built)
    assert [f["geometry"]["type"] for f in collection["features"]] == ["Polygon"]
    assert set(collection["features"][0]["properties"]) == {
        "reports",
        "participants",
        "mean_feeling",
        "colour",
    }


def test_without_erased_keeps_the_published_texts_and_recounts_the_spots():
    rows = reports(HERE, dict.fromkeys(range(K), 1))
    finding = {
        "title": "Sous le pont",
        "recommendation": "Éclairer",
        "quotes": [Quote("lighting", "Noir")],
    }
    published = _snapshot(rows, [finding])
    rebuilt = page.without_erased(published, rows[1:], [[]])
    assert rebuilt["cells"] == [] and rebuilt["left_out_reports"] == K - 1
    assert rebuilt["figures"]["participants"] == K - 1
    assert rebuilt["figures"]["walks_held"] == 3 and rebuilt["contact"] == published["contact"]
    assert rebuilt["findings"] == [
        {"title": "Sous le pont", "recommendation": "Éclairer", "quotes": []}
    ]
