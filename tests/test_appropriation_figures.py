"""The appropriation index's figures (domain/appropriation_figures.py): groups, suppression under
5 people, before/after with an interval on the difference, soft mobility, re-check tallies."""

from __future__ import annotations

import pytest

from walkapp.domain import appropriation as items
from walkapp.domain import appropriation_figures as domain
from walkapp.domain.intervals import METHOD_BCA


def person(phase: str, level: float, *, zone: int | None = 1, gender: str = "woman", **extra):
    """A respondent whose five dimensions all score `level` (her index: 100 x level)."""
    return domain.Respondent(
        zone_id=zone,
        phase=phase,
        time_slot=extra.pop("time_slot", "weekday_day"),
        gender=gender,
        age_band=extra.pop("age_band", "25_44"),
        scores={dim: level for dim in items.DIMENSIONS},
        **extra,
    )


def spread(phase: str, centre: float, n: int, **extra) -> list[domain.Respondent]:
    return [person(phase, centre + (i % 5 - 2) * 0.05, **extra) for i in range(n)]


def test_a_zone_better_after_the_works_has_a_difference_that_excludes_zero():
    people = spread(domain.BEFORE, 0.4, 30) + spread(domain.AFTER, 0.7, 30)
    zone = domain.figures(people)["zones"]["1"]
    before, after = zone["index"][domain.BEFORE], zone["index"][domain.AFTER]
    assert (before["n"], after["n"]) == (30, 30)
    assert before["mean"] == pytest.approx(40) and after["mean"] == pytest.approx(70)
    assert before["low"] < 40 < before["high"] and before["method"] == METHOD_BCA
    difference = zone["difference"]
    assert difference["difference"] == pytest.approx(30)
    assert difference["excludes_zero"] and 20 < difference["low"] < 30 < difference["high"] < 40


def test_the_same_index_before_and_after_has_a_difference_that_includes_zero():
    people = spread(domain.BEFORE, 0.5, 20) + spread(domain.AFTER, 0.5, 20)
    difference = domain.figures(people)["overall"]["difference"]
    assert difference["low"] < 0 < difference["high"] and not difference["excludes_zero"]


def test_under_five_respondents_nothing_is_given_but_n():
    people = spread(domain.BEFORE, 0.5, 4) + spread(domain.AFTER, 0.5, 10)
    zone = domain.figures(people)["zones"]["1"]
    assert zone["index"][domain.BEFORE] == {"n": 4, "mean": None}
    assert zone["index"][domain.AFTER]["mean"] == pytest.approx(50)
    assert zone["difference"] is None
    assert zone["dimensions"][domain.BEFORE][items.USE] == {"n": 4, "mean": None}


def test_respondents_under_three_dimensions_are_not_in_n():
    partial = domain.Respondent(1, domain.AFTER, "weekday_day", "woman", None, {"use": 1.0})
    people = spread(domain.AFTER, 0.5, 5) + [partial]
    assert domain.figures(people)["zones"]["1"]["index"][domain.AFTER]["n"] == 5


def test_women_only_by_default_and_the_gender_breakdown_is_over_everyone():
    people = spread(domain.AFTER, 0.3, 5) + spread(domain.AFTER, 0.9, 5, gender="man")
    women = domain.figures(people)
    assert women["overall"]["index"][domain.AFTER]["mean"] == pytest.approx(30)
    assert domain.figures(people, population="all")["overall"]["index"][domain.AFTER][
        "mean"
    ] == pytest.approx(60)
    by_gender = women["by"]["gender"]
    assert by_gender["man"][domain.AFTER]["mean"] == pytest.approx(90)
    assert by_gender["woman"][domain.AFTER]["mean"] == pytest.approx(30)


def test_weights_change_the_index():
    scores = {"use": 1.0, "stay": 1.0, "comfort_safety": 0.0, "legitimacy": 0.0, "night_use": 0.0}
    people = [domain.Respondent(1, domain.AFTER, "weekday_day", "woman", None, scores)] * 5
    equal = domain.figures(people)["overall"]["index"][domain.AFTER]["mean"]
    heavy = domain.figures(people, weights={"comfort_safety": 8})["overall"]["index"][domain.AFTER]
    assert equal == pytest.approx(40) and heavy["mean"] == pytest.approx(200 / 12)


def test_soft_mobility_is_the_share_of_women_on_foot_or_by_bicycle_with_newcombe():
    before = [person(domain.BEFORE, 0.5, arrival_mode="car") for _ in range(12)] + [
        person(domain.BEFORE, 0.5, arrival_mode="walking") for _ in range(8)
    ]
    after = [person(domain.AFTER, 0.5, arrival_mode="cycling") for _ in range(15)] + [
        person(domain.AFTER, 0.5, arrival_mode="public_transport") for _ in range(5)
    ]
    men = [person(domain.AFTER, 0.5, gender="man", arrival_mode="car") for _ in range(10)]
    overall = domain.figures(before + after + men, population="all")["overall"]
    soft = overall["soft_mobility"]
    assert (soft[domain.BEFORE]["count"], soft[domain.BEFORE]["n"]) == (8, 20)
    assert soft[domain.AFTER]["share"] == pytest.approx(0.75)  # the men are not counted
    difference = overall["soft_mobility_difference"]
    assert difference["difference"] == pytest.approx(0.35) and difference["excludes_zero"]


def test_recheck_answers_are_tallied_per_item():
    people = [
        person(domain.AFTER, 0.5, rechecks={"recheck_3": choice})
        for choice in ("better", "better", "same", "worse", "dont_know")
    ]
    assert domain.figures(people)["rechecks"] == {
        "recheck_3": {"better": 2, "same": 1, "worse": 1, "dont_know": 1}
    }


def test_an_unknown_population_is_refused():
    with pytest.raises(ValueError):
        domain.figures([], population="men")


def test_feeling_safe_by_day_and_after_dark_is_a_share_with_its_difference():
    def answered(phase, day, dark, n):
        return [person(phase, 0.5, safe_day=day, safe_dark=dark) for _ in range(n)]

    people = (
        answered(domain.BEFORE, "fairly_unsafe", "fairly_safe", 10)
        + answered(domain.BEFORE, "very_safe", "fairly_safe", 10)
        + answered(domain.AFTER, "very_safe", "very_unsafe", 18)
        + answered(domain.AFTER, "fairly_unsafe", "fairly_safe", 2)
    )
    safe = domain.figures(people)["zones"]["1"]["safe"]
    assert safe["safe_day"][domain.BEFORE]["share"] == pytest.approx(0.5)
    assert safe["safe_day"][domain.AFTER]["share"] == pytest.approx(0.9)
    assert safe["safe_day"]["difference"]["excludes_zero"]  # better by day
    assert safe["safe_dark"][domain.AFTER]["share"] == pytest.approx(0.1)
    assert safe["safe_dark"]["difference"]["difference"] == pytest.approx(-0.9)  # worse at night
