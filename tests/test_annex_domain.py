"""The rules of the tender annex (domain.annex) and its map figure (exporters.map_figure), on
records built by hand. No database."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from walkapp.domain import annex as domain
from walkapp.exporters.annex_docx import clean, quoted
from walkapp.exporters.map_figure import AREA_LINE, STOP_FILL, map_png, nice_length

ORIGIN = (50.3561, 3.5187)  # Valenciennes
M_LAT = 1 / 111_320
M_LON = 1 / (111_320 * math.cos(math.radians(ORIGIN[0])))


@dataclass(frozen=True)
class FakeClause:
    id: str
    categories: tuple[str, ...]
    theme: str = "t"
    title: str = "Title"
    text: str = "Text"
    criterion: str | None = None
    source: str = "Source"
    reception_check: str = "Measure"
    recheck_question: str = "Do you feel safe?"
    confirm_edition: bool = False


@dataclass(frozen=True)
class FakeCriterion:
    code: str
    default_weight: int
    title: str = "Criterion"
    description: str = "What is judged"


def spot(i: int, category: str = "lighting", status: str = domain.SHOWN, comment=None):
    return domain.SpotFacts(
        i, f"S{i:03d}", status, category, 2, date(2026, 11, 20), "night", comment
    )


# --- Requirements ----------------------------------------------------------------------------


def test_a_clause_cites_only_the_findings_spots_of_its_categories():
    spots = [spot(1, "lighting"), spot(2, "visibility"), spot(3, "lighting"), spot(4, "seating")]
    clauses = [
        FakeClause("light", ("lighting",)),
        FakeClause("sight", ("visibility", "harassment")),
        FakeClause("toilets", ("toilets",)),  # no spot of the finding: left out
    ]
    found = domain.requirements_for(spots, clauses)
    assert [(r.clause_id, r.references) for r in found] == [
        ("light", ("S001", "S003")),
        ("sight", ("S002",)),
    ]


def test_erased_and_hidden_spots_are_never_cited():
    spots = [spot(1), spot(2, status=domain.ERASED), spot(3, status=domain.HIDDEN)]
    (found,) = domain.requirements_for(spots, [FakeClause("light", ("lighting",))])
    assert found.references == ("S001",)


def test_a_clause_given_twice_is_kept_once():
    clause = FakeClause("light", ("lighting",))
    assert len(domain.requirements_for([spot(1)], [clause, clause])) == 1


@given(
    st.dictionaries(
        st.integers(1, 2000), st.sampled_from(["lighting", "visibility", "seating"]), max_size=30
    ),
    st.lists(
        st.sets(st.sampled_from(["lighting", "visibility", "seating", "toilets"])), max_size=5
    ),
)
def test_cited_references_are_always_a_subset_of_the_findings_spots(rows, clause_categories):
    spots = [spot(i, c) for i, c in rows.items()]
    clauses = [FakeClause(f"c{n}", tuple(sorted(c))) for n, c in enumerate(clause_categories)]
    mine = {s.reference for s in spots}
    for req in domain.requirements_for(spots, clauses):
        assert req.references and set(req.references) <= mine
        by_ref = {s.reference: s.category for s in spots}
        assert all(by_ref[r] in req.categories for r in req.references)


def test_references_sort_by_number_not_as_text():
    refs = ["S1000", "S010", "S002", "S999"]
    assert sorted(refs, key=domain.reference_order) == ["S002", "S010", "S999", "S1000"]


def test_the_main_categories_choose_the_clauses_ties_kept():
    counts = (("maintenance", 10), ("people_around", 10), ("harassment", 8), ("lighting", 8))
    assert domain.clause_categories(counts) == (
        "maintenance",
        "people_around",
        "harassment",
        "lighting",
    )
    assert domain.clause_categories(counts[:2] + (("x", 1),)) == (
        "maintenance",
        "people_around",
        "x",
    )
    assert domain.clause_categories(()) == ()


def test_reported_categories_most_first_ignoring_erased():
    spots = [
        spot(1, "visibility"),
        spot(2, "lighting"),
        spot(3, "lighting"),
        spot(4, "x", "erased"),
    ]
    assert domain.reported_categories(spots) == (("lighting", 2), ("visibility", 1))


# --- What a contractor may read --------------------------------------------------------------


def test_the_appendix_shows_a_comment_only_when_quoted():
    spots = [spot(1, comment="Pas de lumière"), spot(2, comment="Mon nom est Marie")]
    rows = domain.appendix_rows(spots, quoted_ids=[1])
    assert [(r.reference, r.comment) for r in rows] == [("S001", "Pas de lumière"), ("S002", None)]


def test_an_erased_spot_is_only_its_reference():
    rows = domain.appendix_rows([domain.SpotFacts(7, "S007", domain.ERASED)], quoted_ids=[7])
    assert rows == (domain.SpotFacts(7, "S007", domain.ERASED),)


def test_quotes_only_of_chosen_shown_spots_with_a_comment():
    spots = [spot(1, comment=" Sombre "), spot(2, comment="x"), spot(3, comment=None)]
    hidden = spot(4, status=domain.HIDDEN, comment="caché")
    quotes = domain.quotes_of([*spots, hidden], [1, 3, 4])
    assert quotes == (domain.Quote("S001", "lighting", "Sombre"),)


def test_a_harassment_report_needs_its_own_confirmation():
    spots = {1: spot(1, "harassment", comment="Il m'a suivie"), 2: spot(2, comment="Noir")}
    photos = {10: 1, 20: 2}
    assert domain.choice_problem(spots, photos, [1], [], []) == "harassment_unconfirmed"
    assert domain.choice_problem(spots, photos, [], [10], [2]) == "harassment_unconfirmed"
    assert domain.choice_problem(spots, photos, [1], [10], [1]) is None
    assert domain.choice_problem(spots, photos, [2], [20], []) is None


def test_choices_outside_the_finding_are_refused():
    spots = {1: spot(1, comment="Noir"), 2: spot(2, status=domain.ERASED)}
    assert domain.choice_problem(spots, {}, [3], [], []) == "not_in_finding"
    assert domain.choice_problem(spots, {}, [2], [], []) == "not_in_finding"
    assert domain.choice_problem(spots, {30: 99}, [], [30], []) == "not_in_finding"
    assert domain.choice_problem(spots, {}, [], [31], []) == "not_in_finding"


# --- Award weights ---------------------------------------------------------------------------

CRITERIA = [FakeCriterion("competence", 40), FakeCriterion("answers", 60)]


@pytest.mark.parametrize(
    "weights, problem",
    [
        ({"competence": 30, "answers": 70}, None),
        ({"competence": 0, "answers": 100}, None),
        ({"competence": 15, "answers": 20}, None),  # price and the rest take 65
        ({"competence": 50, "answers": 60}, "weights_total"),
        ({"competence": 30}, "weights_criteria"),
        ({"competence": 30, "answers": 70, "price": 0}, "weights_criteria"),
        ({"competence": -10, "answers": 110}, "weights_range"),
        ({"competence": 30.0, "answers": 70}, "weights_range"),
        ({"competence": True, "answers": 99}, "weights_range"),
        ({"competence": "30", "answers": 70}, "weights_range"),
    ],
)
def test_weights_are_whole_percentages_of_the_librarys_criteria_up_to_100(weights, problem):
    assert domain.weights_problem(["competence", "answers"], weights) == problem


def test_award_lines_default_then_the_planners_then_default_again_if_stale():
    lines, custom = domain.award_lines(CRITERIA, None)
    assert [(a.code, a.weight) for a in lines] == [("competence", 40), ("answers", 60)]
    assert not custom and domain.other_weight(lines) == 0
    lines, custom = domain.award_lines(CRITERIA, {"competence": 10, "answers": 25})
    assert custom and domain.other_weight(lines) == 65
    lines, custom = domain.award_lines(CRITERIA, {"competence": 25, "answers": 75})
    assert [a.weight for a in lines] == [25, 75] and custom
    lines, custom = domain.award_lines(CRITERIA, {"competence": 25, "old": 75})
    assert [a.weight for a in lines] == [40, 60] and not custom


def test_a_walk_is_at_night_when_most_of_its_spots_were():
    assert domain.walk_light({"night": 30, "twilight": 5, "day": 10}) == "night"
    assert domain.walk_light({"night": 3, "day": 10}) == "day"
    assert domain.walk_light({}) is None


# --- Text as a document holds it -------------------------------------------------------------


def test_user_text_loses_xml_invalid_characters_and_is_isolated():
    text = clean("a\x00b\x1bc\r\nd\u202e<w:t>\ud800")
    assert text == "\u2068abc\nd\u202e<w:t>\u2069"
    assert clean(None) == "" and clean("\x00") == ""


def test_french_quotes_have_non_breaking_spaces():
    assert quoted("Sombre", "fr") == "«\u00a0Sombre\u00a0»"
    assert quoted("Dark", "en") == "“Dark”"


# --- The map figure --------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    label: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Area:
    number: int
    geometry: dict


def square(east: float, north: float, side: float) -> dict:
    lat0, lon0 = ORIGIN[0] + north * M_LAT, ORIGIN[1] + east * M_LON
    dlat, dlon = side * M_LAT, side * M_LON
    ring = [[lon0, lat0], [lon0 + dlon, lat0], [lon0 + dlon, lat0 + dlat], [lon0, lat0 + dlat]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def colour_share(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 30) -> float:
    pixels = np.asarray(image.convert("RGB"), dtype=int).reshape(-1, 3)
    near = int((np.abs(pixels - np.array(colour)) <= tolerance).all(axis=1).sum())
    return near / len(pixels)


def test_the_map_draws_the_perimeter_stops_and_areas_north_up():
    perimeter = square(0, 0, 400)
    stops = [Stop("1", ORIGIN[0] + 100 * M_LAT, ORIGIN[1] + 100 * M_LON)]
    # The finding's area in the north-east corner of the perimeter.
    areas = [Area(1, square(300, 300, 60))]
    png = map_png(perimeter, stops, areas, width_px=800)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 800
    assert colour_share(image, STOP_FILL[:3]) > 0.0005
    outline = colour_share(image, AREA_LINE[:3], tolerance=20)
    assert outline > 0.0005
    # The orange outline is in the upper right quarter (north up, east right).
    w, h = image.size
    quarter = image.crop((w // 2, 0, w, h // 2))
    lower_left = image.crop((0, h // 2, w // 2, h))
    assert colour_share(quarter, AREA_LINE[:3], 20) > 4 * colour_share(
        lower_left, AREA_LINE[:3], 20
    )


def test_the_map_is_drawn_with_nothing_to_show():
    image = Image.open(io.BytesIO(map_png(None, [], [], width_px=400)))
    assert image.size[0] == 400


def test_the_scale_bar_is_a_round_length():
    assert nice_length(130) == 100
    assert nice_length(2600) == 2500
    assert nice_length(3) == 10
