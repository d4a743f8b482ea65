"""Appropriation survey answers through the API (POST /api/v1/answers, services/appropriation):
what a phone is asked, an answer stored once however often it is sent, what is refused (and
leaves nothing), the phase and scores stored with it, one answer a day at a permanent QR, and
erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import auth
from test_appropriation_domain import A
from test_zones import EAST, WEST, add_zones

from walkapp.extensions import db, utcnow
from walkapp.models import Job, Project, Questionnaire, SurveyAnswer, Zone
from walkapp.services import appropriation

pytestmark = pytest.mark.db


@pytest.fixture
def survey(make_walk):
    walk = make_walk(kind="appropriation_survey", stops=0)
    add_zones(walk.project_id, ("Le square", WEST), ("Le passage souterrain", EAST))
    return walk


def zone_id(name: str) -> int:
    return db.session.scalar(sa.select(Zone.id).where(Zone.name == name))


def body(answers: dict, **extra) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": (utcnow() - timedelta(minutes=2)).isoformat(),
        "answers": answers,
        **extra,
    }


def send(client, token: str, data: dict):
    return client.post("/api/v1/answers", json=data, headers=auth(token))


def stored() -> list[SurveyAnswer]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SurveyAnswer).order_by(SurveyAnswer.id)))


def test_the_phone_is_asked_the_built_in_items_and_the_zones(app, survey, join):
    _, _, joined = join(survey)
    asked = joined["walk"]["questionnaire"]
    assert asked["id"] is None  # the built-in one, not made yet: nothing written by a read
    codes = [item["code"] for item in asked["items"]]
    assert codes[:3] == ["use_frequency", "stay_or_pass", "safe_alone_day"]
    assert "arrival_mode" in codes and "changes_since_works" in codes
    safe = next(i for i in asked["items"] if i["code"] == "ps_feeling_safe")
    assert safe["type"] == "range" and safe["range"] == {"start": 1, "end": 7, "step": 1}
    assert [z["name"] for z in asked["zones"]] == ["Le square", "Le passage souterrain"]
    assert asked["zone_id"] is None and asked["max_rechecks"] == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire)) == 0


def test_a_permanent_qr_carries_its_zone_and_a_foreign_zone_is_ignored(app, survey, make_walk):
    other = make_walk()
    add_zones(other.project_id, ("Ailleurs", WEST))
    square = zone_id("Le square")
    assert appropriation.phone_questionnaire(survey, str(square))["zone_id"] == square
    assert appropriation.phone_questionnaire(survey, zone_id("Ailleurs"))["zone_id"] is None
    assert appropriation.phone_questionnaire(survey, "x")["zone_id"] is None
    assert appropriation.phone_questionnaire(other) is None  # a walk asks nothing


def test_an_answer_is_stored_once_with_its_phase_zone_slot_and_scores(app, client, survey, join):
    token, _, _ = join(survey, profile={"gender": "woman", "age_band": "25_44"})
    # Friday 20 November 2026, 21:40 in Valenciennes: a weekday, after dark.
    data = body(
        {**A, "arrival_mode": "walking", "changes_since_works": "<b>Plus de lumière</b>"},
        zone_id=zone_id("Le square"),
        recorded_at="2026-11-20T21:40:00+01:00",
    )
    survey.starts_at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    db.session.commit()
    first = send(client, token, data)
    assert first.status_code == 201, first.json
    assert first.json["phase"] == "diagnostic" and first.json["duplicate"] is False
    assert first.json["time_slot"] == "weekday_evening"
    again = send(client, token, data)
    assert again.status_code == 200 and again.json == first.json
    [answer] = stored()
    assert answer.zone_id == zone_id("Le square") and answer.utc_offset_minutes == 60
    assert answer.answers["changes_since_works"] == "<b>Plus de lumière</b>"  # stored as typed
    assert {k: round(v, 4) for k, v in answer.scores.items()} == {
        "use": 0.75,
        "stay": 1.0,
        "comfort_safety": 0.3889,
        "legitimacy": 0.7083,
        "night_use": 0.3333,
    }
    questionnaire = db.session.get(Questionnaire, answer.questionnaire_id)
    assert questionnaire.origin == "built_in" and questionnaire.project_id == survey.project_id
    # The figures' refresh is queued once, however many answers arrive before it runs.
    send(client, token, body({"use_frequency": "daily"}))
    jobs = db.session.scalars(sa.select(Job).where(Job.kind == appropriation.KIND)).all()
    assert len(jobs) == 1 and jobs[0].project_id == survey.project_id


def test_the_same_id_with_other_answers_is_a_conflict(app, client, survey, join):
    token, _, _ = join(survey)
    data = body({"use_frequency": "weekly"})
    assert send(client, token, data).status_code == 201
    changed = send(client, token, {**data, "answers": {"use_frequency": "daily"}})
    assert changed.status_code == 409 and changed.json["codes"] == {"id": "answer_id_conflict"}
    other_token, _, _ = join(survey)
    assert send(client, other_token, data).status_code == 409  # someone else's id
    assert [a.answers for a in stored()] == [{"use_frequency": "weekly"}]


@pytest.mark.parametrize(
    "answers, field",
    [
        ({"use_frequency": "sometimes"}, "use_frequency"),  # not one of its choices
        ({"ps_feeling_safe": 9}, "ps_feeling_safe"),  # off the 1-7 scale
        ({"ps_feeling_safe": 2.5}, "ps_feeling_safe"),  # off the scale's step
        ({"favourite_colour": "blue"}, "favourite_colour"),  # no such item
        ({"recheck_1": "better"}, "recheck_1"),  # no such re-check item
        ({"changes_since_works": "x" * 2001}, "changes_since_works"),
    ],
)
def test_an_answer_that_does_not_fit_is_refused_whole(app, client, survey, join, answers, field):
    token, _, _ = join(survey)
    response = send(client, token, body({"use_frequency": "weekly", **answers}))
    assert response.status_code == 422
    assert list(response.json["codes"]) == [f"answers.{field}"]
    assert stored() == []


def test_a_zone_of_another_project_or_an_unknown_questionnaire_is_refused(
    app, client, survey, join, make_walk
):
    other = make_walk()
    add_zones(other.project_id, ("Ailleurs", WEST))
    token, _, _ = join(survey)
    foreign = send(client, token, body({"use_frequency": "weekly"}, zone_id=zone_id("Ailleurs")))
    assert foreign.status_code == 422 and foreign.json["codes"] == {"zone_id": "zone_unknown"}
    theirs = appropriation.built_in_questionnaire(other.project_id)
    db.session.commit()
    wrong = send(client, token, body({"use_frequency": "weekly"}, questionnaire_id=theirs.id))
    assert wrong.status_code == 422
    assert wrong.json["codes"] == {"questionnaire_id": "questionnaire_unknown"}
    assert stored() == []


def test_a_walk_takes_no_answers_and_a_signed_out_phone_gets_401(app, client, make_walk, join):
    token, _, _ = join(make_walk())
    response = send(client, token, body({"use_frequency": "weekly"}))
    assert response.status_code == 409 and response.json["codes"] == {"walk": "not_a_survey"}
    assert client.post("/api/v1/answers", json=body({})).status_code == 401


def test_a_second_answer_the_same_day_at_a_permanent_qr_is_kept_and_flagged(
    app, client, survey, join
):
    survey.permanent = True
    db.session.commit()
    token, _, _ = join(survey)

    moment_a = "2026-11-20T10:00:00+01:00"

    def at(moment: str, frequency: str = "daily"):
        return send(client, token, body({"use_frequency": frequency}, recorded_at=moment)).json

    assert at("2026-11-20T10:00:00+01:00", "weekly")["duplicate"] is False
    assert at("2026-11-20T18:00:00+01:00")["duplicate"] is True  # the same day
    assert at("2026-11-21T09:00:00+01:00")["duplicate"] is False  # the next day
    assert [a.duplicate for a in stored()] == [False, True, False]
    other_token, _, _ = join(survey)  # another phone
    other = send(client, other_token, body({"use_frequency": "daily"}, recorded_at=moment_a))
    assert other.json["duplicate"] is False


def test_the_phase_is_the_projects_when_the_answer_arrives(app, client, survey, join):
    token, _, _ = join(survey)
    send(client, token, body({"use_frequency": "never"}))
    db.session.get(Project, survey.project_id).phase = "after_works"
    db.session.commit()
    send(client, token, body({"use_frequency": "daily"}))
    assert [a.phase for a in stored()] == ["diagnostic", "after_works"]


def test_erasure_removes_her_answers(app, client, survey, join):
    token, code, _ = join(survey)
    send(client, token, body({"use_frequency": "weekly", "changes_since_works": "Mon texte"}))
    keep_token, _, _ = join(survey)
    send(client, keep_token, body({"use_frequency": "daily"}))
    assert client.delete("/api/v1/me", headers=auth(token)).status_code == 204
    assert [a.answers for a in stored()] == [{"use_frequency": "daily"}]
