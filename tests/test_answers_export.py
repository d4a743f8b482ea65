"""The answers to an appropriation questionnaire as CSV and XLSX (services/answers_export.py,
exporters/survey_answers.py, the "answers" job of export_jobs.py, POST .../answers/export):
every item of a custom form is exported though not indexed, the built-in answers carry their
index and dimensions, typed text never runs in a spreadsheet, nothing links to a person, and a
questionnaire of another project is refused with nothing recorded."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa
from planner_users import login, make_user
from test_annex_rechecks import _finding
from test_appropriation_domain import A, B
from test_export_jobs import build
from test_survey_answers import body, send, zone_id
from test_zones import EAST, WEST, add_zones

from walkapp.domain import appropriation as domain
from walkapp.exporters import survey_answers
from walkapp.extensions import db
from walkapp.models import AuditEvent, Job, Participant, Questionnaire, RecheckItem, SurveyAnswer
from walkapp.services import appropriation

pytestmark = pytest.mark.db

HOSTILE = '=HYPERLINK("http://evil.example","clic")'
MARKUP = "<b>Plus de bancs</b> & de lumière"


def custom_items() -> list[dict]:
    """A custom form: no walkapp::dimension, so nothing of it is indexed; an item named like
    one of the facts' columns, a note, an image, a select_multiple, a geopoint."""
    words = domain.Words
    return [
        domain.item_data(item)
        for item in (
            domain.Item("intro", words("Bonjour", "Hello"), "", None, kind="note"),
            domain.Item(
                "transport",
                words("Comment venez-vous ?", "How do you come?"),
                "Enquête mobilité 2025",
                None,
                kind="select_multiple",
                choices=(
                    domain.Choice("bus", words("En bus", "By bus"), None),
                    domain.Choice("foot", words("À pied", "On foot"), None),
                ),
            ),
            domain.Item(
                "visits", words("Combien de fois ?", "How many times?"), "", None, kind="integer"
            ),
            domain.Item("remarks", words("Remarques", "Remarks"), "", None, kind="text"),
            domain.Item("where", words("Où ?", "Where?"), "", None, kind="geopoint"),
            domain.Item("_zone", words("Votre quartier", "Your area"), "", None, kind="text"),
            domain.Item("photo", words("Une photo", "A photo"), "", None, kind="image"),
        )
    ]


@pytest.fixture
def survey(make_walk):
    walk = make_walk(kind="appropriation_survey", stops=0)
    add_zones(walk.project_id, ("Le square <i>", WEST), ("Le passage souterrain", EAST))
    return walk


@pytest.fixture
def planner(app, client, survey):
    user = make_user("paula@valenciennes-metropole.fr", "planner", projects=[survey.project])
    login(client, user)
    return user


def ask(client, project_id: int, questionnaire_id: int, **form) -> int:
    data = {
        "answers-questionnaire": str(questionnaire_id),
        "answers-format": "csv",
        "answers-language": "fr",
        **{f"answers-{k}": v for k, v in form.items()},
    }
    answer = client.post(f"/planner/projects/{project_id}/answers/export", data=data)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:800]
    return int(re.search(r"/planner/jobs/(\d+)", answer.headers["Location"]).group(1))


def csv_rows(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_a_custom_forms_answers_are_exported_every_item_and_nothing_runs(
    app, client, join, survey, planner
):
    custom = Questionnaire(
        project_id=survey.project_id, title="Enquête <Kobo>", origin="xlsform", items=[]
    )
    custom.items = custom_items()
    db.session.add(custom)
    db.session.commit()
    first, _, _ = join(survey, profile={"gender": "woman", "age_band": "25_44"})
    second, _, _ = join(survey)
    answers = {
        "transport": ["bus", "foot"],
        "visits": 3,
        "remarks": HOSTILE,
        "where": {"lat": 50.35612345, "lon": 3.5187},
        "_zone": MARKUP,
    }
    stored = send(
        client,
        first,
        body(
            answers,
            questionnaire_id=custom.id,
            zone_id=zone_id("Le square <i>"),
            recorded_at="2026-11-20T21:40:00+01:00",
        ),
    )
    assert stored.status_code == 201, stored.json
    assert send(client, second, body({"remarks": "rien"}, questionnaire_id=custom.id)).status_code
    survey_uuid = db.session.scalars(sa.select(SurveyAnswer.uuid)).all()

    job_id = ask(client, survey.project_id, custom.id, french="y")
    data = build(app, client, job_id)
    rows = csv_rows(data, ";")
    assert len(rows) == 2
    row = rows[0]
    assert (row["_respondent"], rows[1]["_respondent"]) == ("R1", "R2")
    assert row["_zone"] == "Le square <i>" and row["_phase"] == "diagnostic"
    assert (row["_gender"], row["_gender_label"], row["_age_band"]) == ("woman", "Femme", "25_44")
    assert (row["_date"], row["_time"], row["_time_slot"]) == (
        "2026-11-20",
        "21:40",
        "weekday_evening",
    )
    # Not indexed: no dimension answered, no index.
    assert row["_index"] == "" and row["_use"] == "" and row["_duplicate"] == "no"
    assert (row["transport"], row["transport_label"]) == ("bus foot", "En bus; À pied")
    assert (row["where_lat"], row["where_lon"]) == ("50,35612345", "3,5187")
    assert row["visits"] == "3"
    assert row["remarks"] == "'" + HOSTILE  # neutralised: a spreadsheet shows it, never runs it
    assert row["_zone_2"] == MARKUP  # the item named like a fact column keeps its own column
    header = list(rows[0])
    assert "intro" not in header and "photo" not in header  # a note and an image ask nothing
    text = data.decode("utf-8-sig")
    assert all(str(u) not in text for u in survey_uuid)  # nothing joins a row to a phone
    assert rows[1]["remarks"] == "rien" and rows[1]["_gender"] == ""

    # Recorded in the request: who, which questionnaire, which format.
    entry = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
    ).all()[-1]
    assert entry.user_id == planner.id
    assert (entry.details["layer"], entry.details["questionnaire"]) == ("answers", custom.id)
    job = db.session.get(Job, job_id)
    assert job.filename.endswith(".csv") and "reponses" in job.filename


def test_the_built_in_answers_carry_their_index_and_the_xlsx_explains_every_column(
    app, client, join, survey, planner
):
    survey.permanent = True
    questionnaire = appropriation.built_in_questionnaire(survey.project_id)
    finding = _finding(survey.project_id, 1, "Passage <b>souterrain</b>", EAST)
    questionnaire.rechecks.append(
        RecheckItem(
            finding=finding,
            prompt_fr="L'éclairage du passage vous semble-t-il suffisant ?",
            prompt_en="Does the underpass's lighting seem enough?",
            position=1,
            published=True,
        )
    )
    db.session.commit()
    recheck = appropriation.recheck_code(questionnaire.rechecks[0])
    token, _, _ = join(survey)
    for answers, moment in (
        ({**A, recheck: "worse"}, "2026-11-20T10:00:00+01:00"),
        (B, "2026-11-20T18:00:00+01:00"),  # the same phone, the same day: a second answer
    ):
        assert send(client, token, body(answers, recorded_at=moment)).status_code == 201

    job_id = ask(client, survey.project_id, questionnaire.id, format="xlsx", language="en")
    book = openpyxl.load_workbook(io.BytesIO(build(app, client, job_id)), read_only=True)
    assert book.sheetnames == ["Answers", "Questions", "Definitions"]
    answers = list(book["Answers"].iter_rows(values_only=True))
    heading, first, second = answers
    cell = dict(zip(heading, first, strict=False))  # read-only rows end at their last value
    assert cell["Appropriation index"] == 63.61  # the respondent A
    assert cell["Dimension: Comfort and safety"] == 0.3889
    assert cell["How often do you come here?"] is not None
    assert cell["Does the underpass's lighting seem enough?"] == "Worse"
    assert cell["Second answer of the day"] is False
    again = dict(zip(heading, second, strict=False))
    assert again["Second answer of the day"] is True and again["Appropriation index"] is None
    assert again["Respondent"] == cell["Respondent"] == "R1"  # the same phone
    questions = {row[0]: row for row in book["Questions"].iter_rows(values_only=True)}
    assert (
        questions["ps_feeling_safe"][5] == "1–7"
        and "Place Standard" in questions["ps_feeling_safe"][4]
    )
    assert "very_safe = Very safe (1)" in questions["safe_alone_day"][5]
    definitions = [row for row in book["Definitions"].iter_rows(values_only=True) if row]
    codes = {row[0] for row in definitions}
    assert {"_index", "_comfort_safety", recheck, f"{recheck}_label"} <= codes
    assert any(f"F{finding.id}" in str(row[-1]) for row in definitions)


def test_the_exports_page_offers_the_projects_questionnaires_only(
    app, client, survey, planner, make_walk
):
    page = client.get(f"/planner/projects/{survey.project_id}/exports")
    assert 'id="no-questionnaire"' in page.get_data(as_text=True)
    mine = appropriation.built_in_questionnaire(survey.project_id)
    elsewhere = appropriation.built_in_questionnaire(make_walk().project_id)
    db.session.commit()
    page = client.get(f"/planner/projects/{survey.project_id}/exports").get_data(as_text=True)
    assert f'value="{mine.id}"' in page and "0 réponse" in page
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    refused = client.post(
        f"/planner/projects/{survey.project_id}/answers/export",
        data={
            "answers-questionnaire": str(elsewhere.id),
            "answers-format": "csv",
            "answers-language": "fr",
        },
    )
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before
    assert db.session.scalar(sa.select(sa.func.count(Job.id)).where(Job.kind == "answers")) == 0


def test_an_erased_respondent_leaves_no_row(app, client, join, survey, planner):
    token, code, _ = join(survey)
    questionnaire = appropriation.built_in_questionnaire(survey.project_id)
    db.session.commit()
    assert send(client, token, body({**A, "changes_since_works": "mon secret"})).status_code
    erased = client.post("/api/v1/erasure", json={"erasure_code": code})
    assert erased.status_code in (200, 204), erased.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 0
    data = build(app, client, ask(client, survey.project_id, questionnaire.id))
    assert csv_rows(data) == [] and b"mon secret" not in data


def test_column_names_never_collide():
    columns = survey_answers.unique_codes(
        [
            survey_answers.AnswerColumn(code, code, "", lambda a: None)
            for code in ("a", "a_label", "a", "a_label", "a_2")
        ]
    )
    assert [c.code for c in columns] == ["a", "a_label", "a_2", "a_label_2", "a_2_2"]


def test_a_custom_forms_other_questions_are_shown_on_the_page_not_indexed(
    app, client, join, survey, planner
):
    from test_appropriation_pages import run_refresh

    custom = Questionnaire(
        project_id=survey.project_id, title="Kobo", origin="xlsform", items=custom_items()
    )
    db.session.add(custom)
    db.session.commit()
    for n in range(6):
        token, _, _ = join(survey, profile={"gender": "woman"})
        answers = {"transport": ["bus", "foot"] if n < 2 else ["foot"], "visits": n, "_zone": "x"}
        sent = send(client, token, body(answers, questionnaire_id=custom.id))
        assert sent.status_code == 201, sent.json
    (job,) = run_refresh(app)
    assert job.status == "done", job.error
    page = client.get(f"/planner/projects/{survey.project_id}/appropriation").text
    assert 'id="other-questions"' in page
    assert 'data-code="transport" data-n="6"' in page
    assert "En bus</bdi> — 2" in page and "À pied</bdi> — 6" in page
    assert "médiane 2,5, de 0 à 5 (n = 6)" in page
    assert 'data-code="_zone" data-n="6"' in page and "6 réponses" in page
    assert 'data-code="remarks" data-n="0"' in page  # asked, never answered: too few
    assert 'data-code="intro"' not in page and 'data-code="photo"' not in page


def test_other_answers_are_counted_and_suppressed_below_the_minimum():
    from walkapp.domain import appropriation_figures as figures

    items = [domain.item_from_data(data) for data in custom_items()]
    questions = figures.other_questions(items)
    assert [q.code for q in questions] == ["transport", "visits", "remarks", "where", "_zone"]

    def person(**others):
        return figures.Respondent(
            None, "diagnostic", "weekday_day", "woman", None, {}, None, others=others
        )

    five = [person(transport=["foot"], visits=v) for v in (1, 2, 3, 4, 10)]
    summary = {s["code"]: s for s in figures.other_answers(five, questions)}
    assert summary["transport"]["choices"] == [("bus", 0), ("foot", 5)]
    assert (summary["visits"]["median"], summary["visits"]["high"]) == (3, 10)
    few = {s["code"]: s for s in figures.other_answers(five[:4], questions)}
    assert few["transport"] == {"code": "transport", "kind": "select_multiple", "n": 4}
    built_in = figures.other_questions(list(domain.BUILT_IN_ITEMS))
    assert domain.SOFT_MOBILITY_ITEM not in {q.code for q in built_in}
    assert domain.CHANGES_ITEM not in {q.code for q in built_in}
