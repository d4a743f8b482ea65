"""Indicator formulas, who is missing, stops and day vs night on hand-computed small cases."""

from __future__ import annotations

import math

import pytest

from walkapp.domain import indicators as ind
from walkapp.domain.cells import cell_of
from walkapp.domain.indicators_daynight import Spot, day_vs_night
from walkapp.domain.participation import (
    EMPTY,
    GIRLS,
    MAX_PRIORITIES,
    MOBILITY,
    NIGHT,
    RESIDENTS,
    SENIOR_WOMEN,
    THIN,
    Profile,
    participation_matrix,
    priorities,
)
from walkapp.domain.stops import StopInput, Sums, pair_walks, stat, stop_stats
from walkapp.domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from walkapp.domain.vocabularies import CRITERIA, TIME_SLOTS

# --- Indicator formulas -----------------------------------------------------------------------


def test_threshold_is_five_as_design_fixes():
    assert MIN_PEOPLE_FOR_FIGURE == 5


def test_share_below_five_people_is_not_a_number():
    below = ind.share(ind.WOMEN_SHARE_PARTICIPANTS, 3, 4)
    assert below.value is None and below.suppressed and below.n == 4
    assert below.numerator is None and below.percent is None


def test_share_at_five_people_is_shown():
    at = ind.share(ind.WOMEN_SHARE_PARTICIPANTS, 2, 5)
    assert not at.suppressed
    assert at.value == pytest.approx(0.4) and at.percent == pytest.approx(40.0)
    assert (at.numerator, at.n) == (2, 5)


def test_share_of_women_leaves_undisclosed_and_empty_profiles_out():
    people = {"woman": 6, "man": 3, "non_binary": 1, "undisclosed": 7, None: 9}
    counts = ind.ProjectCounts(
        project_id=1,
        participants_by_gender=people,
        events_people=(ind.EventPeople(1, participants_by_gender=people),),
    )
    share = ind.project_indicators(counts)[1]
    assert share.code == ind.WOMEN_SHARE_PARTICIPANTS
    assert share.n == 10  # 6 + 3 + 1: stated genders only
    assert share.value == pytest.approx(0.6)


def test_each_event_contributes_its_head_count_or_its_app_participants_never_both():
    counted = ind.EventPeople(
        1,
        attendance_by_gender={"woman": 7, "man": 1, "undisclosed": 1},
        participants_by_gender={"woman": 3, "man": 2},
    )
    app_only = ind.EventPeople(2, participants_by_gender={"woman": 2, "man": 2})
    zero_count = ind.EventPeople(
        3, attendance_by_gender={"woman": 0}, participants_by_gender={"woman": 1}
    )
    nobody = ind.EventPeople(4)
    assert counted.source == ind.SOURCE_ATTENDANCE
    assert (counted.women, counted.stated) == (7, 8)  # "prefer not to say" is left out
    assert app_only.source == zero_count.source == ind.SOURCE_PARTICIPANTS
    assert nobody.source is None and nobody.people_by_gender == {}
    total = ind.people_by_gender([counted, app_only, zero_count, nobody])
    assert total == {"woman": 10, "man": 3, "undisclosed": 1}
    share = ind.women_share(total)
    assert (share.numerator, share.n) == (10, 13)
    # The live view's figure for one walk is the same function over the same source.
    assert ind.women_share(counted.people_by_gender).value == pytest.approx(7 / 8)


def test_share_of_women_at_meetings_uses_attendance_counts():
    counts = ind.ProjectCounts(project_id=1, attendance_by_gender={"woman": 12, "man": 8})
    share = ind.project_indicators(counts)[2]
    assert (share.code, share.n, share.value) == (ind.WOMEN_SHARE_MEETINGS, 20, 0.6)


def test_harassment_share_over_women_participants():
    counts = ind.ProjectCounts(
        project_id=1, participants_by_gender={"woman": 8, "man": 30}, women_reporting_harassment=2
    )
    share = ind.project_indicators(counts)[3]
    assert (share.code, share.n, share.numerator) == (ind.WOMEN_HARASSMENT_SHARE, 8, 2)
    assert share.value == pytest.approx(0.25)


def test_harassment_share_of_four_women_is_suppressed_even_with_many_men():
    counts = ind.ProjectCounts(
        project_id=1, participants_by_gender={"woman": 4, "man": 40}, women_reporting_harassment=4
    )
    share = ind.project_indicators(counts)[3]
    assert share.suppressed and share.value is None and share.n == 4


def test_walks_with_women_are_counted_per_year_and_never_suppressed():
    walks = ind.women_walks({2025: 1, 2026: 2, 2024: 0})
    assert walks.value == 3 and walks.n == 3 and not walks.suppressed
    assert walks.by_year == ((2025, 1), (2026, 2))


def test_overall_sums_projects_and_counts_distinct_communes():
    projects = [
        ind.ProjectCounts(
            1,
            insee_code="59606",
            events=2,
            women_walks_by_year={2026: 2},
            participants_by_gender={"woman": 3, "man": 1},
            women_reporting_harassment=1,
            events_people=(ind.EventPeople(1, participants_by_gender={"woman": 3, "man": 1}),),
        ),
        ind.ProjectCounts(
            2,
            insee_code="59606",
            events=1,
            women_walks_by_year={2025: 1, 2026: 1},
            participants_by_gender={"woman": 2},
            women_reporting_harassment=1,
            events_people=(ind.EventPeople(2, participants_by_gender={"woman": 2}),),
        ),
        ind.ProjectCounts(3, insee_code="59172", events=1),
        ind.ProjectCounts(4, insee_code="59350", events=0),  # no event: not covered
        ind.ProjectCounts(5, insee_code=None, events=3),
    ]
    values = {i.code: i for i in ind.overall_indicators(projects)}
    assert values[ind.WOMEN_WALKS].by_year == ((2025, 1), (2026, 3))
    assert values[ind.WOMEN_WALKS].value == 4
    # 5 women out of 6 stated: alone each project is below five, together they are not.
    assert values[ind.WOMEN_SHARE_PARTICIPANTS].value == pytest.approx(5 / 6)
    assert values[ind.WOMEN_HARASSMENT_SHARE].value == pytest.approx(2 / 5)
    assert values[ind.PROJECTS_COVERED].value == 4
    assert values[ind.COMMUNES_COVERED].value == 2  # 59606 twice, 59172; 59350 has no event


# --- Who is missing ---------------------------------------------------------------------------


def test_matrix_counts_flags_and_suggestions():
    counts = {
        ("woman", "25_44", "weekday_day"): 7,
        ("woman", "25_44", "weekday_evening"): 5,
        ("woman", "25_44", "weekend_day"): 4,
        ("woman", "15_17", "weekday_day"): 2,
        (None, "25_44", "weekday_day"): 3,
        ("undisclosed", "18_24", "weekday_day"): 1,
        ("woman", None, "weekend_evening"): 2,
    }
    matrix = participation_matrix(counts)
    assert len(matrix.rows) == 3 * 6
    assert matrix.cell("woman", "25_44", "weekday_day").n == 7
    assert matrix.cell("woman", "25_44", "weekday_day").flag is None
    assert matrix.cell("woman", "25_44", "weekday_evening").flag is None  # 5 is enough
    assert matrix.cell("woman", "25_44", "weekend_day").flag == THIN  # 4 is not
    assert matrix.cell("woman", "25_44", "weekend_evening").flag == EMPTY
    assert matrix.cell("man", "65_plus", "weekday_day").flag == EMPTY
    assert dict(matrix.not_stated) == {
        "weekday_day": 4,
        "weekday_evening": 0,
        "weekend_day": 0,
        "weekend_evening": 2,
    }
    assert len(matrix.flagged) == 3 * 6 * 4 - 2

    by_row = {(s.gender, s.age_band): s for s in matrix.suggestions}
    adults = by_row["woman", "25_44"]
    assert adults.empty_slots == ("weekend_evening",) and adults.thin_slots == ("weekend_day",)
    assert adults.partner == "parents" and not adults.is_young
    girls = by_row["woman", "15_17"]
    assert girls.is_young and girls.partner == "youth_centre"
    assert girls.thin_slots == ("weekday_day",)
    assert girls.empty_slots == ("weekday_evening", "weekend_day", "weekend_evening")
    # Non-binary rows are flagged in the matrix, with no suggested partner.
    assert all(s.gender in ("woman", "man") for s in matrix.suggestions)
    assert len(matrix.suggestions) == 12


def test_a_full_row_has_no_suggestion():
    counts = {("woman", "45_64", slot): 5 for slot in TIME_SLOTS.codes}
    matrix = participation_matrix(counts)
    assert ("woman", "45_64") not in {(s.gender, s.age_band) for s in matrix.suggestions}


def test_priorities_put_the_widest_gaps_first_and_leave_full_groups_out():
    profile = Profile(women_evening=0, senior_women=2, reduced_mobility=0, residents=9, girls=5)
    gaps = priorities(profile)
    # Nobody before too few; among equals, the order of importance for the audience.
    assert [(g.code, g.n, g.flag) for g in gaps] == [
        (NIGHT, 0, EMPTY),
        (MOBILITY, 0, EMPTY),
        (SENIOR_WOMEN, 2, THIN),
    ]
    everyone = Profile(women_evening=5, senior_women=5, reduced_mobility=5, residents=5, girls=5)
    assert priorities(everyone) == ()
    # Every gap at once: still one each, and the page shows only the first MAX_PRIORITIES.
    assert [g.code for g in priorities(Profile())] == [
        NIGHT,
        SENIOR_WOMEN,
        MOBILITY,
        RESIDENTS,
        GIRLS,
    ]
    assert MAX_PRIORITIES == 4


# --- Stops ------------------------------------------------------------------------------------


def sums(values: list[float], people: int | None = None) -> Sums:
    return Sums(
        n=len(values),
        people=len(values) if people is None else people,
        total=sum(values),
        total_sq=sum(v * v for v in values),
        minimum=min(values) if values else None,
        maximum=max(values) if values else None,
    )


def test_criterion_stat_mean_sample_sd_and_range():
    s = stat("lighting", sums([0, 1, 1, 2, 3]))
    assert s.mean == pytest.approx(1.4)
    # sample variance: ((0-1.4)^2 + 2*(1-1.4)^2 + (2-1.4)^2 + (3-1.4)^2) / 4 = 5.2 / 4 = 1.3
    assert s.sd == pytest.approx(math.sqrt(1.3))
    assert (s.minimum, s.maximum, s.n, s.people) == (0, 3, 5, 5)


def test_criterion_stat_below_five_people_is_suppressed_even_with_many_ratings():
    s = stat("lighting", sums([1, 2, 2, 3, 3, 3], people=4))
    assert s.suppressed and s.mean is None and s.sd is None and s.n == 6


def test_safety_score_is_mean_of_criterion_means_over_three_times_100():
    criteria = {
        "lighting": sums([3, 3, 3, 3, 3]),  # mean 3
        "openness": sums([0, 0, 1, 1, 3]),  # mean 1
        "people": sums([2, 2], people=2),  # too few: left out of the score
    }
    stop = stop_stats(
        StopInput(
            1, 10, 1, "Parvis", people=6, raters=5, feeling=sums([2, 3, 4, 2, 1]), criteria=criteria
        )
    )
    assert stop.safety_mean == pytest.approx(2.0)
    assert stop.safety_score == pytest.approx(2 / 3 * 100)
    assert stop.criterion("people").suppressed
    assert stop.feeling.mean == pytest.approx(2.4)
    assert [c.code for c in stop.criteria] == list(CRITERIA.codes)


def test_safety_score_needs_five_raters():
    criteria = {"lighting": sums([3, 3, 3, 3, 3])}
    stop = stop_stats(StopInput(1, 10, 1, "Parvis", people=5, raters=4, criteria=criteria))
    assert stop.safety_score is None


def test_paired_walks_match_stops_by_number():
    def walk_stop(walk_id, number, lighting):
        return stop_stats(
            StopInput(
                walk_id * 10 + number,
                walk_id,
                number,
                f"Stop {number}",
                people=5,
                raters=5,
                feeling=sums([3] * 5),
                criteria={"lighting": sums(lighting)},
            )
        )

    day = [walk_stop(1, 1, [3, 3, 3, 2, 2]), walk_stop(1, 2, [2] * 5)]
    night = [walk_stop(2, 1, [1, 1, 0, 0, 1]), walk_stop(2, 3, [1] * 5)]
    pairs = pair_walks(day, night)
    assert [p.number for p in pairs] == [1, 2, 3]
    assert pairs[0].difference("lighting") == pytest.approx(0.6 - 2.6)
    assert pairs[0].difference("feeling") == pytest.approx(0.0)
    assert pairs[1].b is None and pairs[1].difference("lighting") is None
    assert pairs[2].a is None


# --- Day vs night -----------------------------------------------------------------------------

LAT, LON = 50.35600, 3.51850


def test_day_vs_night_per_cell():
    spots = [Spot(LAT, LON, "day", f, pid) for pid, f in enumerate([4, 5, 4, 3, 2], 1)]
    spots += [Spot(LAT, LON, "night", f, pid) for pid, f in enumerate([1, 2, 2, 3, 4, 1], 10)]
    spots += [Spot(LAT, LON, "twilight", 1, 99)]  # left out
    spots += [Spot(50.3700, 3.5300, "night", 1, 1)]  # another place, night only: left out
    [place] = day_vs_night(spots)
    assert place.cell == cell_of(LAT, LON)
    assert place.day.mean_feeling == pytest.approx(18 / 5)
    assert place.day.negative_share == pytest.approx(1 / 5)
    assert place.night.mean_feeling == pytest.approx(13 / 6)
    assert place.night.negative_share == pytest.approx(4 / 6)
    assert (place.night.people, place.night.spots) == (6, 6)
    assert place.feeling_drop == pytest.approx(18 / 5 - 13 / 6)


def test_day_vs_night_counts_people_not_spots_for_suppression():
    spots = [Spot(LAT, LON, "day", 2, pid % 4) for pid in range(20)]  # 4 people, 20 spots
    spots += [Spot(LAT, LON, "night", 1, pid) for pid in range(5)]
    [place] = day_vs_night(spots)
    assert place.day.suppressed and place.day.spots == 20 and place.day.people == 4
    assert not place.night.suppressed and place.night.negative_share == 1.0
    assert place.feeling_drop is None
