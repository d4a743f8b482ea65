"""The appropriation index (domain/appropriation.py): the issue's fixture as it stands, the
3-of-5 rule, weights, and answers that are not on an item's scale."""

from __future__ import annotations

import pytest

from walkapp.domain import appropriation as domain

# Respondent A of the issue: chaque semaine; s'arrête souvent; jour plutôt en sécurité, nuit très
# en insécurité, évite parfois, skips the Place Standard safety item; à sa place « d'accord »,
# Place Standard identity 5; nuit rarement.
A = {
    "use_frequency": "weekly",
    "stay_or_pass": "stop_often",
    "safe_alone_day": "fairly_safe",
    "safe_alone_dark": "very_unsafe",
    "avoidance": "sometimes",
    "belonging": "agree",
    "ps_identity": 5,
    "night_use": "rarely",
}
B = {"use_frequency": "daily", "stay_or_pass": "stop_sometimes"}
C = {
    "use_frequency": "daily",
    "stay_or_pass": "stop_often",
    "safe_alone_day": "very_safe",
    "safe_alone_dark": "very_safe",
    "avoidance": "never",
    "ps_feeling_safe": 7,
    "belonging": "strongly_agree",
    "ps_identity": 7,
    "night_use": "often",
}
D = {
    "use_frequency": "never",
    "stay_or_pass": "pass_only",
    "safe_alone_day": "very_unsafe",
    "safe_alone_dark": "very_unsafe",
    "avoidance": "often",
    "ps_feeling_safe": 1,
    "belonging": "strongly_disagree",
    "ps_identity": 1,
    "night_use": "never",
}


def test_respondent_a_scores_as_the_issue_says():
    scores = domain.dimension_scores(domain.BY_CODE, A)
    assert [round(scores[d], 4) for d in domain.DIMENSIONS] == [0.75, 1, 0.3889, 0.7083, 0.3333]
    assert round(domain.respondent_index(A), 2) == 63.61


def test_two_dimensions_give_no_index_and_the_extremes_are_0_and_100():
    assert domain.respondent_index(B) is None
    assert domain.respondent_index(C) == pytest.approx(100)
    assert domain.respondent_index(D) == pytest.approx(0)


def test_weights_count_only_the_answered_dimensions():
    scores = {"use": 1.0, "stay": 0.0, "night_use": 0.5}
    assert domain.index(scores) == pytest.approx(50)
    assert domain.index(scores, {"use": 2, "comfort_safety": 10}) == pytest.approx(62.5)
    assert domain.index(scores, {"use": 0, "stay": 0, "night_use": 0}) is None


@pytest.mark.parametrize(
    "code, answer", [("ps_identity", 8), ("ps_identity", True), ("belonging", "maybe")]
)
def test_an_answer_off_the_item_is_refused(code, answer):
    with pytest.raises(ValueError, match=code):
        domain.BY_CODE[code].score(answer)


def test_every_item_has_both_languages_and_a_source():
    for item in domain.BUILT_IN_ITEMS:
        assert item.prompt("fr") and item.prompt("en") and item.source
        assert item.dimension in (*domain.DIMENSIONS, None)
        assert all(c.score is None or 0 <= c.score <= 1 for c in item.choices)
        if item.dimension is None:  # asked and shown, never scored
            assert all(c.score is None for c in item.choices)
    assert {i.dimension for i in domain.BUILT_IN_ITEMS} == {*domain.DIMENSIONS, None}


def test_the_items_stored_as_data_score_as_the_built_in_ones():
    items = {d["code"]: domain.item_from_data(d) for d in domain.built_in_data()}
    assert [domain.item_data(i) for i in items.values()] == domain.built_in_data()
    for answers in (A, B, C, D):
        assert domain.dimension_scores(items, answers) == domain.dimension_scores(
            domain.BY_CODE, answers
        )


def test_answers_that_do_not_fit_their_item_are_named():
    problem = domain.answer_problem
    use, safe = domain.BY_CODE["use_frequency"], domain.BY_CODE["ps_feeling_safe"]
    assert problem(use, "weekly") is None
    assert problem(use, "sometimes") == "not_a_choice"
    assert problem(use, ["weekly"]) == "not_a_choice"
    assert problem(safe, 7) is None
    assert [problem(safe, v) for v in (0, 8, 2.5, True, "5")] == ["off_scale"] * 5
    text = domain.BY_CODE["changes_since_works"]
    assert problem(text, "Plus de lumière") is None
    assert problem(text, "x" * 2001) == "too_long"
    assert problem(text, 3) == "not_text"


def test_relevant_conditions_hold_as_xlsform_says():
    item = domain.item_from_data(
        {
            "code": "why",
            "type": "text",
            "prompt": {"fr": "Pourquoi ?"},
            "relevant": [
                [{"q": "avoidance", "op": "!=", "value": "never"}],
                [{"q": "modes", "op": "selected", "value": "car"}],
            ],
        }
    )
    assert item.prompt("en") == "Pourquoi ?"  # one language: copied to the other
    assert item.asked({"avoidance": "often"})
    assert item.asked({})  # not answered is not "never"
    assert not item.asked({"avoidance": "never"})
    assert item.asked({"avoidance": "never", "modes": ["walking", "car"]})
    assert not item.asked({"avoidance": "never", "modes": "car"})
