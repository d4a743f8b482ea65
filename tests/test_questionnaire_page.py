"""The planner's questionnaire page (planner/questionnaire.py, services/questionnaires.py): the
documentation of the index and the items in use (a read writes nothing), the weights, the XLSForm
import (a refused form writes nothing and names sheet, row and column), the built-in
questionnaire again, the loop closed (one re-check item per finding, worded and published), the
rights, and the permanent QR sheet of an appropriation survey (one QR per zone)."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from planner_users import login, make_user
from test_survey_answers import body, send
from test_xlsform import q, xlsx
from test_zones import EAST, WEST, add_zones
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from walkapp.domain import appropriation as domain
from walkapp.extensions import db
from walkapp.models import (
    AuditEvent,
    Finding,
    IndicatorCache,
    Job,
    Questionnaire,
    RecheckItem,
    Walk,
    Zone,
)
from walkapp.services import appropriation

SAMPLE = Path(__file__).parent / "data" / "xlsform" / "appropriation_custom.xlsx"
WATCHED = (Questionnaire, RecheckItem, AuditEvent, Job, IndicatorCache, Walk)


# --- Pure functions ------------------------------------------------------------------------------


def test_a_recheck_draft_names_the_finding_and_its_main_category():
    fr = domain.recheck_draft("Sous le pont", "lighting", "fr")
    assert fr == (
        "Aujourd'hui, ce qui avait été relevé ici — « Sous le pont », surtout pour l'éclairage "
        "— vous semble-t-il amélioré, inchangé ou pire ?"
    )
    en = domain.recheck_draft("Sous le pont", None, "en")
    assert en == (
        "Today, does what was reported here — “Sous le pont” — seem better, unchanged or worse "
        "to you?"
    )
    assert "good" not in domain.recheck_draft("Le square", "good_place", "en")  # not a problem
    assert domain.recheck_draft("Sous  le\npont", "unknown", "fr").count("Sous le pont") == 1


def test_a_recheck_draft_fits_its_limit_by_dropping_the_category_then_shortening():
    long_title = "Passage " * 25  # 200 characters
    fr = domain.recheck_draft(long_title, "footpath_access", "fr")
    assert len(fr) <= domain.MAX_RECHECK_PROMPT and "trottoir" not in fr
    longer = domain.recheck_draft("x" * 400, "lighting", "en")
    assert len(longer) == domain.MAX_RECHECK_PROMPT and "x…”" in longer


def test_weights_problems_and_their_stored_form():
    equal = dict.fromkeys(domain.DIMENSIONS, 1.0)
    assert domain.weights_problem(equal) is None
    assert domain.weights_problem({**equal, "use": -1}) == "weights_range"
    assert domain.weights_problem({**equal, "use": float("inf")}) == "weights_range"
    assert domain.weights_problem({**equal, "use": 101}) == "weights_range"
    assert domain.weights_problem(dict.fromkeys(domain.DIMENSIONS, 0.0)) == "weights_zero"
    assert domain.weights_problem({"use": 1}) == "weights_dimensions"
    assert domain.stored_weights(dict.fromkeys(domain.DIMENSIONS, 3)) is None  # equal
    assert domain.stored_weights({**equal, "use": 2})["use"] == 2.0


# --- Set-up --------------------------------------------------------------------------------------


@pytest.fixture
def survey(make_walk):
    walk = make_walk(kind="appropriation_survey", stops=0)
    add_zones(walk.project_id, ("Le square", WEST), ("Le passage <souterrain>", EAST))
    return walk


def _finding(project_id: int, title: str, lat: float, lon: float, key: str, top=None) -> Finding:
    finding = Finding(
        project_id=project_id,
        place_key=key,
        lat=lat,
        lon=lon,
        geometry={"type": "Point", "coordinates": [lon, lat]},
        spot_ids=[],
        title=title,
        recommendation="Éclairer le passage.",
        statistics={"top_categories": top or []},
    )
    db.session.add(finding)
    db.session.commit()
    return finding


@pytest.fixture
def findings(survey):
    west = _finding(survey.project_id, "Bancs trop isolés", 50.356, 3.516, "a", [["seating", 4]])
    east = _finding(
        survey.project_id, "Sous le pont", 50.356, 3.521, "b", [["lighting", 7], ["harassment", 2]]
    )
    return west, east


def _client(app, user):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the msgids, whatever the catalog holds
    login(client, user)
    return client


@pytest.fixture
def planner(app, survey):
    user = make_user("paula@valenciennes-metropole.fr", "planner", projects=[survey.project_id])
    return _client(app, user)


@pytest.fixture
def viewer(app, survey):
    user = make_user("victor@valenciennes-metropole.fr", "viewer", projects=[survey.project_id])
    return _client(app, user)


def url(survey, action: str = "") -> str:
    return f"/planner/projects/{survey.project_id}/questionnaire" + (f"/{action}" if action else "")


def counts() -> dict[str, int]:
    db.session.rollback()
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in WATCHED
    }


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def current(survey) -> Questionnaire | None:
    db.session.expire_all()
    return appropriation.current_questionnaire(survey.project_id)


def upload(data: bytes, filename: str = "form.xlsx", **fields) -> dict:
    """The import form's body, encoded in memory (the test client's own encoder leaves a
    temporary file open for a large file)."""
    file = FileStorage(io.BytesIO(data), filename=filename)
    boundary, encoded = encode_multipart({"xlsform_file": file, **fields})
    return {"data": encoded, "content_type": f"multipart/form-data; boundary={boundary}"}


# --- Reading -------------------------------------------------------------------------------------


def test_the_page_documents_the_index_and_lists_the_built_in_items_without_writing(
    app, survey, planner, viewer
):
    before = counts()
    for client in (planner, viewer):
        response = client.get(url(survey))
        assert response.status_code == 200
        page = text(response)
        assert "How the appropriation index is computed" in page
        assert "at least 3 of the 5 dimensions" in page
        assert "fewer than 5 people stays hidden" in page
        assert "BCa method up to 5,000 people" in page
        assert "Wilson" in page and "Newcombe" in page
        for item in domain.BUILT_IN_ITEMS:
            assert item.prompt.fr in page and item.prompt.en in page
        assert "(x − 1) / 6" in page  # the Place Standard scales' rule
        assert "UN SDG indicator 16.1.4" in page and "Comfort and safety" in page
        assert "0.75" in page  # « chaque semaine », « d'accord »
    assert counts() == before  # nothing written, not even the built-in questionnaire
    assert "Save the weights" in text(planner.get(url(survey)))
    assert "Save the weights" not in text(viewer.get(url(survey)))
    nav = text(planner.get(f"/planner/projects/{survey.project_id}/zones"))
    assert url(survey) in nav  # the project's navigation links it


# --- Weights -------------------------------------------------------------------------------------


def test_weights_are_saved_audited_and_mark_the_figures_stale(app, survey, planner):
    db.session.add(IndicatorCache(project_id=survey.project_id, key="women", data={}, stale=False))
    db.session.commit()
    response = planner.post(
        url(survey, "weights"), data={"weight_use": "2", "weight_night_use": "0,5"}
    )
    assert response.status_code == 303
    saved = current(survey)
    assert saved.origin == "built_in"  # made by this first change
    assert saved.weights == {
        "use": 2.0,
        "stay": 1.0,
        "comfort_safety": 1.0,
        "legitimacy": 1.0,
        "night_use": 0.5,
    }
    edit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target_type == "questionnaire")
    ).one()
    assert edit.action == "edit" and edit.details["weights"][0] is None
    assert db.session.scalar(sa.select(IndicatorCache.stale)) is True
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Job).where(Job.kind == appropriation.KIND)
        )
        == 1
    )
    page = text(planner.get(url(survey)))
    assert "This project weighs the dimensions" in page
    # Every box blank: equal weights again.
    assert planner.post(url(survey, "weights"), data={}).status_code == 303
    assert current(survey).weights is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"weight_use": "-1"}, "A number from 0 to 100."),
        ({"weight_stay": "1e309"}, "A number from 0 to 100."),
        ({"weight_stay": "beaucoup"}, "A number from 0 to 100."),
        ({f"weight_{d}": "0" for d in domain.DIMENSIONS}, "At least one weight must be above 0."),
    ],
)
def test_weights_that_are_negative_or_all_zero_are_refused_and_write_nothing(
    app, survey, planner, data, message
):
    before = counts()
    response = planner.post(url(survey, "weights"), data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert counts() == before


# --- XLSForm import ------------------------------------------------------------------------------


def test_an_xlsform_becomes_the_questionnaire_the_phones_are_asked(app, survey, planner):
    response = planner.post(url(survey, "import"), **upload(SAMPLE.read_bytes(), SAMPLE.name))
    assert response.status_code == 303, text(response)
    imported = current(survey)
    assert imported.origin == "xlsform" and imported.title == "Appropriation de la place du Canada"
    asked = appropriation.phone_questionnaire(db.session.get(Walk, survey.id))
    assert asked["id"] == imported.id
    assert asked["items"] == [i for i in imported.items if i["type"] != "image"]
    assert [i["code"] for i in asked["items"]][:2] == ["welcome", "come_often"]
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert audit.details["filename"] == SAMPLE.name and audit.target_id == str(imported.id)
    page = text(planner.get(url(survey)))
    assert "Appropriation de la place du Canada" in page and "Imported from an XLSForm" in page
    # The condition in words, with the choices' labels; the select_multiple's scores.
    assert (
        "Asked only if the answer to question 6 is “Never” or the answer to question 6 is "
        "“Rarely” and “I pass through” is among the answers to question 3." in page
    )
    assert "Photo questions are not asked on phones yet." in page


def _refused_workbook() -> bytes:
    rows = [q("select_one yn", "a", walkapp__dimension="use")]
    rows += [q("text", name) for name in ("b", "c", "d", "e")]
    rows.append(q("text", "f", relevant="${a} > 'yes'"))  # row 7
    choices = [
        {"list_name": "yn", "name": "yes", "label::French (fr)": "Oui", "walkapp::score": 1},
        {"list_name": "yn", "name": "no", "label::French (fr)": "Non", "walkapp::score": 0},
    ]
    return xlsx(rows, choices)


def test_a_refused_xlsform_names_sheet_row_and_column_and_writes_nothing(app, survey, planner):
    before = counts()
    response = planner.post(url(survey, "import"), **upload(_refused_workbook()))
    assert response.status_code == 422
    page = text(response)
    assert "The form was not imported, and nothing was changed." in page
    found = re.search(r"Sheet “survey”, row 7, column “relevant” \((\w+)\): ([^<]+)<", page)
    assert found, page
    assert found.group(1) == "F7"  # type, name, 2 labels, walkapp::dimension, relevant
    assert "the operator '>' is not supported" in found.group(2)  # the importer's own words
    assert counts() == before
    assert current(survey) is None


def test_an_import_without_a_file_or_too_large_is_refused(app, survey, planner):
    before = counts()
    none = planner.post(url(survey, "import"), data={})
    assert none.status_code == 422 and "Choose an XLSForm file" in text(none)
    big = planner.post(url(survey, "import"), **upload(b"x" * (2 * 1024 * 1024 + 1)))
    assert big.status_code == 422 and "weighs more than 2 MB" in text(big)
    huge = planner.post(url(survey, "import"), **upload(b"x" * (3 * 1024 * 1024)))
    assert huge.status_code == 413
    not_a_form = planner.post(url(survey, "import"), **upload(b"hello", "notes.txt"))
    assert not_a_form.status_code == 422
    assert "The file: the file is not an XLSForm workbook" in text(not_a_form)
    assert counts() == before


def test_once_answers_arrived_a_change_of_questionnaire_asks_for_a_confirmation(
    app, client, survey, planner, join
):
    token, _, _ = join(survey)
    assert send(client, token, body({"use_frequency": "weekly"})).status_code == 201
    page = text(planner.get(url(survey)))
    assert "Answers already received for the questionnaire in use: 1." in page
    assert "Before and after compare the answers to one same questionnaire only" in page
    before = counts()
    refused = planner.post(url(survey, "import"), **upload(SAMPLE.read_bytes(), SAMPLE.name))
    assert refused.status_code == 422 and "tick the box" in text(refused)
    assert counts() == before
    confirmed = planner.post(
        url(survey, "import"), **upload(SAMPLE.read_bytes(), SAMPLE.name, confirm="y")
    )
    assert confirmed.status_code == 303
    assert current(survey).origin == "xlsform"


def test_the_built_in_questionnaire_can_be_made_current_again(app, survey, planner, findings):
    assert planner.post(url(survey, "rechecks/draft")).status_code == 303
    planner.post(url(survey, "import"), **upload(SAMPLE.read_bytes(), SAMPLE.name))
    imported = current(survey)
    assert imported.origin == "xlsform" and len(imported.rechecks) == 2  # kept
    assert planner.post(url(survey, "built-in")).status_code == 303
    again = current(survey)
    assert again.origin == "built_in" and again.id != imported.id
    assert again.items == domain.built_in_data()
    assert [r.prompt_fr for r in again.rechecks] == [r.prompt_fr for r in imported.rechecks]
    before = counts()
    assert planner.post(url(survey, "built-in")).status_code == 303  # already: nothing
    assert counts() == before


# --- The loop closed -----------------------------------------------------------------------------


def test_drafting_makes_one_item_per_finding_once(app, survey, planner, findings):
    west, east = findings
    assert planner.post(url(survey, "rechecks/draft")).status_code == 303
    drafted = current(survey).rechecks
    assert [r.finding_id for r in drafted] == [west.id, east.id]
    assert [r.position for r in drafted] == [1, 2]
    zones = {z.name: z.id for z in db.session.scalars(sa.select(Zone))}
    assert [r.zone_id for r in drafted] == [zones["Le square"], zones["Le passage <souterrain>"]]
    assert drafted[1].prompt_fr == domain.recheck_draft("Sous le pont", "lighting", "fr")
    assert drafted[1].prompt_en == domain.recheck_draft("Sous le pont", "lighting", "en")
    assert not any(r.published for r in drafted)
    assert appropriation.phone_questionnaire(db.session.get(Walk, survey.id))["rechecks"] == []
    before = counts()
    assert planner.post(url(survey, "rechecks/draft")).status_code == 303  # twice: none more
    assert counts() == before
    page = text(planner.get(url(survey)))
    assert "Sous le pont" in page and "Le passage <souterrain>" in page  # its zone, escaped:
    raw = planner.get(url(survey)).get_data(as_text=True)
    assert "Le passage &lt;souterrain&gt;" in raw and "<souterrain>" not in raw
    assert "At most 5 are asked of one respondent, those of her zone first." in page


def test_an_item_edited_and_published_is_asked(app, survey, planner, findings):
    planner.post(url(survey, "rechecks/draft"))
    first, second = current(survey).rechecks
    data = {
        "rechecks-0-id": str(first.id),
        "rechecks-0-prompt_fr": "Les bancs vous semblent-ils moins isolés aujourd'hui ?",
        "rechecks-0-prompt_en": "Do the benches seem less isolated today?",
        "rechecks-0-published": "y",
        "rechecks-1-id": str(second.id),
        "rechecks-1-prompt_fr": second.prompt_fr,
        "rechecks-1-prompt_en": second.prompt_en,
    }
    assert planner.post(url(survey, "rechecks"), data=data).status_code == 303
    asked = appropriation.phone_questionnaire(db.session.get(Walk, survey.id))["rechecks"]
    assert [r["prompt"] for r in asked] == [
        {
            "fr": "Les bancs vous semblent-ils moins isolés aujourd'hui ?",
            "en": "Do the benches seem less isolated today?",
        }
    ]
    edits = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target_type == "recheck_item")
    ).all()
    assert [e.target_id for e in edits] == [str(first.id)]  # the unchanged one is not audited
    assert edits[0].details["published"] == [False, True]


@pytest.mark.parametrize(
    "change",
    [
        {"rechecks-0-prompt_fr": "x" * 301},
        {"rechecks-0-prompt_en": ""},
        {"rechecks-0-prompt_fr": "Marche\x00de nuit"},
        {"rechecks-0-id": "999999"},  # not an item of the questionnaire in use
        {"rechecks-0-id": "abc"},
    ],
)
def test_a_refused_edit_changes_nothing(app, survey, planner, findings, change):
    planner.post(url(survey, "rechecks/draft"))
    first = current(survey).rechecks[0]
    data = {
        "rechecks-0-id": str(first.id),
        "rechecks-0-prompt_fr": "Mieux ?",
        "rechecks-0-prompt_en": "Better?",
        "rechecks-0-published": "y",
        **change,
    }
    before = counts()
    response = planner.post(url(survey, "rechecks"), data=data)
    assert response.status_code == 422
    assert counts() == before
    assert not current(survey).rechecks[0].published


# --- Rights --------------------------------------------------------------------------------------


def test_a_viewer_cannot_change_anything(app, survey, viewer, findings):
    before = counts()
    for action, request in (
        ("weights", {"data": {"weight_use": "2"}}),
        ("import", upload(SAMPLE.read_bytes(), SAMPLE.name)),
        ("built-in", {}),
        ("rechecks/draft", {}),
        ("rechecks", {"data": {"rechecks-0-id": "1", "rechecks-0-prompt_fr": "x"}}),
    ):
        assert viewer.post(url(survey, action), **request).status_code == 403, action
    assert counts() == before


# --- The permanent QR ----------------------------------------------------------------------------


def test_a_permanent_survey_prints_one_qr_per_zone(app, survey, planner):
    from test_planner_events import form_data

    new = planner.post(
        f"/planner/projects/{survey.project_id}/events/new",
        data=form_data(kind="appropriation_survey", permanent="y", title="QR du square"),
    )
    assert new.status_code == 302
    walk = db.session.scalars(sa.select(Walk).where(Walk.title == "QR du square")).one()
    assert walk.permanent is True
    form = text(planner.get(f"/planner/events/{walk.id}/edit"))
    assert re.search(r'<input[^>]*checked[^>]*id="permanent"|id="permanent"[^>]*checked', form)
    sheet = planner.get(f"/planner/events/{walk.id}/qr").get_data(as_text=True)
    join = f"http://localhost:5000/j/{walk.join_code}"
    zones = db.session.scalars(sa.select(Zone).order_by(Zone.position)).all()
    assert sheet.count('class="qr"') == 1 + len(zones)  # the plain one, and one per zone
    for zone in zones:
        assert f'<p class="url">{join}?zone={zone.id}</p>' in sheet
    assert "Le passage &lt;souterrain&gt;" in sheet and "<souterrain>" not in sheet
    # A walk is never permanent, ticked or not; a survey not ticked prints the plain QR only.
    planner.post(
        f"/planner/projects/{survey.project_id}/events/new",
        data=form_data(permanent="y", title="Marche cochée"),
    )
    walk = db.session.scalars(sa.select(Walk).where(Walk.title == "Marche cochée")).one()
    assert walk.permanent is False
    plain = planner.get(f"/planner/events/{survey.id}/qr").get_data(as_text=True)
    assert plain.count('class="qr"') == 1 and "?zone=" not in plain
