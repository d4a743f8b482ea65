"""The monitoring report's pure parts (domain/report.py): periods, intervals, the women's walk
rule, a finding's follow-up and after-works figures, what goes in the report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from walkapp.domain import indicators as ind
from walkapp.domain import report as domain
from walkapp.domain.participation import NIGHT, SENIOR_WOMEN, Profile

AREA = {
    "type": "Polygon",
    "coordinates": [[[3.0, 50.0], [3.001, 50.0], [3.001, 50.001], [3.0, 50.001], [3.0, 50.0]]],
}


def spot(participant: int, feeling: int, inside: bool = True, walk: int = 1) -> domain.Spot:
    lat, lon = (50.0005, 3.0005) if inside else (50.01, 3.01)
    return domain.Spot(lat, lon, feeling, participant, walk)


def test_a_year_is_the_calendar_year_end_excluded():
    year = domain.Period.year(2026)
    assert (year.start, year.end, year.last_day) == (
        date(2026, 1, 1),
        date(2027, 1, 1),
        date(2026, 12, 31),
    )
    assert year.calendar_year == 2026
    assert year.contains(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert not year.contains(datetime(2027, 1, 1, tzinfo=UTC))
    assert not year.contains(datetime(2025, 12, 31, 23, 59, tzinfo=UTC))


def test_chosen_dates_include_the_last_day_and_are_no_calendar_year():
    period = domain.Period.between(date(2026, 3, 1), date(2026, 6, 30))
    assert period.end == date(2026, 7, 1)
    assert period.calendar_year is None
    assert domain.slug(period) == "2026-03-01_2026-06-30"
    assert (
        domain.file_name(period, "fr", "docx")
        == "rapport-de-suivi-egalite-2026-03-01_2026-06-30.docx"
    )
    assert domain.file_name(domain.Period.year(2026), "en", "html") == (
        "equality-monitoring-report-2026.html"
    )
    assert domain.Period.from_params(period.to_params()) == period


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        domain.Period(date(2026, 5, 1), date(2026, 5, 1))
    assert domain.period_problem(date(2026, 5, 2), date(2026, 5, 1)) == "dates_reversed"
    assert domain.period_problem(None, date(2026, 5, 1)) == "dates_missing"
    assert domain.period_problem(date(2020, 1, 1), date(2026, 1, 1)) == "period_too_long"
    assert domain.period_problem(date(2026, 5, 1), date(2026, 5, 1)) is None  # one day


def test_wilson_interval_brackets_the_share_and_stays_in_0_1():
    found = domain.wilson_interval(8, 10)
    assert found.low < 0.8 < found.high
    # Known values of Wilson's 95 % interval for 8 / 10.
    assert found.low == pytest.approx(0.4902, abs=1e-3)
    assert found.high == pytest.approx(0.9433, abs=1e-3)
    edge = domain.wilson_interval(10, 10)
    assert edge.high == 1.0 and 0.6 < edge.low < 0.75
    assert domain.wilson_interval(0, 10).low == 0.0
    assert domain.wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        domain.wilson_interval(11, 10)


def test_an_interval_is_given_for_a_shown_share_only():
    shown = ind.share(ind.WOMEN_SHARE_PARTICIPANTS, 6, 10)
    assert domain.interval(shown) == domain.wilson_interval(6, 10)
    assert domain.interval(ind.share(ind.WOMEN_SHARE_PARTICIPANTS, 1, 3)) is None  # suppressed
    assert domain.interval(ind.women_walks({2026: 4})) is None  # a count


@pytest.mark.parametrize(
    ("kind", "audience", "status", "expected"),
    [
        ("exploratory_walk", "women", "closed", True),
        ("exploratory_walk", "girls", "open", True),
        ("exploratory_walk", "women", "planned", False),
        ("exploratory_walk", "mixed", "closed", False),
        ("appropriation_survey", "women", "closed", False),
        ("meeting", "women", "closed", False),
    ],
)
def test_the_women_walk_rule_is_the_indicators(kind, audience, status, expected):
    assert domain.is_women_walk(kind, audience, status) is expected


def test_after_works_counts_the_spots_inside_the_area_and_hides_a_mean_over_few_people():
    few = domain.after_works(AREA, [spot(1, 4), spot(2, 5), spot(3, 1, inside=False)])
    assert (few.spots, few.people, few.mean_feeling, few.suppressed) == (2, 2, None, True)
    many = domain.after_works(AREA, [spot(p, 4, walk=1 + p % 2) for p in range(5)] + [spot(0, 2)])
    assert (many.spots, many.people, many.surveys) == (6, 5, 2)
    assert many.mean_feeling == pytest.approx((4 * 5 + 2) / 6)
    assert domain.after_works(AREA, []) == domain.AfterWorks()
    assert domain.after_works(None, [spot(1, 4)]) == domain.AfterWorks()
    assert domain.after_works({"type": "Polygon"}, [spot(1, 4)]) == domain.AfterWorks()


def test_follow_up_is_the_survey_or_else_the_phase():
    assert domain.follow_up("diagnostic", surveyed=True) == domain.SURVEYED
    assert domain.follow_up("diagnostic", surveyed=False) == "recommended"
    assert domain.follow_up("works", surveyed=False) == "works_under_way"
    assert domain.follow_up("after_works", surveyed=False) == "works_done_not_surveyed"


def test_an_archived_project_is_reported_only_for_a_period_it_ran_in():
    assert domain.in_report(events=0, archived=False)
    assert domain.in_report(events=3, archived=True)
    assert not domain.in_report(events=0, archived=True)


def test_who_was_missing_across_projects_adds_the_profiles():
    a = Profile(women_evening=3, senior_women=0, reduced_mobility=9, residents=9, girls=9)
    b = Profile(women_evening=3, senior_women=0, reduced_mobility=0, residents=0, girls=0)
    assert domain.combine_profiles([a, b]) == Profile(6, 0, 9, 9, 9)
    gaps = domain.missing_across([a, b])
    assert [g.code for g in gaps] == [SENIOR_WOMEN]  # 6 women at night is enough
    assert NIGHT in [g.code for g in domain.missing_across([a])]


def test_a_report_counts_its_sources_and_follow_ups():
    event = domain.Event(1, "Marche", "exploratory_walk", "women", "closed", datetime.now(UTC))
    counted = domain.Event(
        2, "Réunion", "meeting", "mixed", "closed", datetime.now(UTC), source="attendance"
    )
    finding = domain.FindingReport(1, 9, "Passage", "Éclairer", datetime.now(UTC))
    project = domain.ProjectReport(
        1, "P", "", None, "works", False, (), (event, counted), (), (finding,)
    )
    report = domain.Report(domain.Period.year(2026), "fr", datetime.now(UTC), (), (project,), ())
    assert report.sources() == {None: 1, "attendance": 1}
    assert report.follow_ups()["recommended"] == 1
    assert project.women_walks == (event,)
    assert project.post_works_surveys == ()
