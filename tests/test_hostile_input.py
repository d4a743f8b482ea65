"""Hostile input answers 4xx, never 500, on both databases: JSON nested too deep, control
characters in text fields, ids beyond the integer columns, a `next` that would split a header."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import auth
from hypothesis import given
from hypothesis import strategies as st
from planner_users import PASSWORD, login, make_user
from test_planner_events import Team, form_data, team  # noqa: F401 (fixture)
from test_planner_live import proxy_form
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from walkapp.domain import json_limits
from walkapp.domain.json_limits import json_shape_problem
from walkapp.domain.rules import has_control_characters
from walkapp.extensions import db, utcnow
from walkapp.models import Observation, Participant, Project, StopNote, User, Walk

DEEP = b"[" * 1000 + b"]" * 1000  # 2 KB
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
TOO_DEEP_FR = "Le JSON est imbriqué sur plus de"
CONTROL_FR = "Les caractères de contrôle (comme NUL) ne sont pas acceptés dans un texte."
PROJECT_FIELDS = {
    "name": "Place du Canada",
    "commune": "Valenciennes",
    "insee_code": "59606",
    "description": "Réaménagement de la place.",
    "phase": "diagnostic",
    "timezone": "Europe/Paris",
}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def multipart(client, url: str, fields: dict):
    data = {**fields, "perimeter_file": FileStorage(io.BytesIO(b""), filename="")}
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def spot(**overrides) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": (utcnow() - timedelta(minutes=5)).isoformat(),
        "category": "lighting",
        "feeling": 2,
        **overrides,
    }


@pytest.fixture
def open_team(team):  # noqa: F811
    team.walk.status = "open"
    team.walk.opened_at = utcnow()
    db.session.commit()
    return team


# --- The scanner (pure) ---------------------------------------------------------------------


def test_json_shape_counts_nesting_outside_strings_and_honours_escapes():
    assert json_shape_problem(DEEP, max_depth=8, max_items=100) == "too_deep"
    assert json_shape_problem(DEEP.decode(), max_depth=8, max_items=100) == "too_deep"
    assert json_shape_problem(b"[[[[[[[[]]]]]]]]", max_depth=8, max_items=100) is None
    assert json_shape_problem(b"[[[[[[[[[]]]]]]]]]", max_depth=8, max_items=100) == "too_deep"
    text = '{"a": "[[[[[[[[[[ \\" [[[[[[[[[[ {{{{", "b": [1, 2]}'
    assert json_shape_problem(text, max_depth=2, max_items=100) is None
    assert json_shape_problem(b'"\\\\"' + b"[[[", max_depth=2, max_items=100) == "too_deep"
    assert json_shape_problem(b"[" + b"1," * 100 + b"1]", max_depth=8, max_items=50) == (
        "too_many_items"
    )
    assert json_shape_problem(b'"unterminated [[[[', max_depth=1, max_items=1) is None


@given(
    st.text(alphabet='[]{},"\\ a1', max_size=40),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=12),
)
def test_json_shape_skips_its_scan_only_where_the_scan_finds_nothing(text, depth, items):
    for raw in (text, text.encode()):
        if json_limits._surely_within(raw, depth, items):
            assert json_limits._scan(raw, depth, items) is None
        assert json_shape_problem(raw, max_depth=depth, max_items=items) == json_limits._scan(
            raw, depth, items
        )


def test_control_characters_rule():
    assert not has_control_characters("Lampadaire\téteint\r\nici\n")
    for char in ("\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"):
        assert has_control_characters(f"a{char}b"), repr(char)
    assert has_control_characters("/\r\n", allowed="")
    assert not has_control_characters("") and not has_control_characters(None)


# --- 1. JSON nested too deep ----------------------------------------------------------------


@pytest.mark.parametrize("raw", [DEEP, DEEP_OBJECT])
def test_deep_json_is_400_on_the_api_with_or_without_a_token(client, make_walk, join, raw):
    walk = make_walk()
    token = join(walk)[0]
    participants = count(Participant)
    headers = {"Content-Type": "application/json"}
    for url, extra in (
        ("/api/v1/observations", auth(token)),
        ("/api/v1/erasure", {}),
        (f"/api/v1/walks/{walk.join_code}/participants", {}),
    ):
        r = client.post(url, headers={**headers, **extra}, data=raw)
        assert r.status_code == 400, (url, r.status_code)
        assert r.json["codes"] == {"body": "too_deep"}, url
        assert r.json["errors"]["body"].startswith(TOO_DEEP_FR)
    assert count(Observation) == 0 and count(Participant) == participants


def test_too_many_items_is_400(client, make_walk):
    walk = make_walk()
    raw = b'{"consent": true, "x": [' + b"1," * 30_000 + b"1]}"
    r = client.post(
        f"/api/v1/walks/{walk.join_code}/participants",
        headers={"Content-Type": "application/json"},
        data=raw,
    )
    assert r.status_code == 400 and r.json["codes"] == {"body": "too_many_items"}
    assert count(Participant) == 0


def test_deep_drawn_perimeter_is_a_field_error(client, app):
    planner = make_user("planner@x.fr", "planner")
    login(client, planner)
    projects = count(Project)
    r = multipart(
        client, "/planner/projects/new", {**PROJECT_FIELDS, "perimeter_drawn": DEEP.decode()}
    )
    assert r.status_code == 422
    assert f"{TOO_DEEP_FR} 12 niveaux" in r.get_data(as_text=True)
    assert count(Project) == projects


# --- 2. Control characters in text fields ---------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b"])
def test_project_name_and_description_refuse_control_characters(client, app, char):
    login(client, make_user("planner@x.fr", "planner"))
    projects = count(Project)
    for field in ("name", "description"):
        r = multipart(
            client, "/planner/projects/new", {**PROJECT_FIELDS, field: f"Place{char}Canada"}
        )
        assert r.status_code == 422, field
        assert CONTROL_FR in r.get_data(as_text=True)
    assert count(Project) == projects
    # A textarea's line breaks (CR LF) and tabs are text.
    fields = {**PROJECT_FIELDS, "description": "Ligne 1\r\nLigne\t2"}
    assert multipart(client, "/planner/projects/new", fields).status_code == 302


@pytest.mark.parametrize("field", ["title", "group_description", "meeting_point", "stops-0-name"])
def test_event_text_fields_refuse_nul(client, team, field):  # noqa: F811
    login(client, team.planner)
    walks = count(Walk)
    r = client.post(
        f"/planner/projects/{team.project.id}/events/new",
        data=form_data(**{field: "Marche\x00de nuit"}),
    )
    assert r.status_code == 422
    assert CONTROL_FR in r.get_data(as_text=True)
    assert count(Walk) == walks


def test_user_name_refuses_nul(client, app):
    login(client, make_user("admin@x.fr", "admin"))
    users = count(User)
    r = client.post(
        "/planner/admin/users/new",
        data={"email": "n@x.fr", "name": "Nul\x00le", "role": "planner", "password": PASSWORD},
    )
    assert r.status_code == 422 and CONTROL_FR in r.get_data(as_text=True)
    assert count(User) == users


def test_api_text_refuses_control_characters(client, make_walk, join):
    token = join(make_walk())[0]
    for char in ("\x00", "\x07"):
        r = client.post("/api/v1/observations", headers=auth(token), json=spot(comment=f"a{char}b"))
        assert r.status_code == 422 and "comment" in r.json["errors"]
    assert count(Observation) == 0


def test_hide_reason_refuses_nul(client, open_team, join):
    token = join(open_team.walk)[0]
    assert client.post("/api/v1/observations", headers=auth(token), json=spot()).status_code in (
        200,
        201,
    )
    obs = db.session.scalar(sa.select(Observation))
    login(client, open_team.planner)
    r = client.post(
        f"/planner/projects/{open_team.project.id}/observations/{obs.id}/hide",
        data={"reason": "Injure\x00"},
        follow_redirects=True,
    )
    assert r.status_code == 200 and CONTROL_FR in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Observation, obs.id).hidden_at is None


def test_proxy_comment_refuses_nul(client, open_team):
    walk = open_team.walk
    login(client, open_team.facilitator)
    page = client.get(f"/planner/events/{walk.id}/proxy").get_data(as_text=True)
    nonce = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post(
        f"/planner/events/{walk.id}/proxy",
        data=proxy_form(walk, nonce, **{"spots-0-comment": "Trottoir\x00"}),
    )
    assert r.status_code == 422 and CONTROL_FR in r.get_data(as_text=True)
    assert count(Participant) == 0 and count(Observation) == 0


# --- 3. The stop-note form ------------------------------------------------------------------


def test_stop_note_form_refuses_nul(client, open_team):
    login(client, open_team.facilitator)
    r = client.post(
        f"/planner/events/{open_team.walk.id}/notes", data={"stop_id": "", "text": "Nuit\x00"}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("#notes")
    assert CONTROL_FR in client.get(r.headers["Location"]).get_data(as_text=True)
    assert count(StopNote) == 0


# --- 4. The live view's note: stop ids beyond the integer columns ---------------------------


@pytest.mark.parametrize("stop_id", [2_147_483_648, 2**64])
def test_live_note_stop_id_out_of_range_is_422(client, open_team, stop_id):
    login(client, open_team.facilitator)
    r = client.post(
        f"/planner/events/{open_team.walk.id}/live/notes", json={"stop_id": stop_id, "text": "x"}
    )
    assert r.status_code == 422 and "stop_id" in r.json["errors"]
    assert count(StopNote) == 0


def test_live_note_refuses_nul(client, open_team):
    login(client, open_team.facilitator)
    r = client.post(f"/planner/events/{open_team.walk.id}/live/notes", json={"text": "a\x00"})
    assert r.status_code == 422 and count(StopNote) == 0


# --- 5. Sign-in with a `next` that would split the Location header --------------------------


def test_sign_in_next_with_crlf_falls_back_to_the_projects_page(client, app):
    user = make_user("planner@x.fr", "planner")
    r = client.post(
        "/planner/login?next=/%0D%0ASet-Cookie:%20x=1",
        data={"email": user.email, "password": PASSWORD},
    )
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "\r" not in location and "\n" not in location
    assert location.endswith("/planner/projects") or location.endswith("/planner/")
    assert not any("x=1" in c for c in r.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize(
    "field, value",
    [
        ("spots-0-feeling", "abc"),
        ("spots-0-feeling", "9"),
        ("spots-0-category", "nonsense"),
        ("spots-0-stop_id", "99999999999"),
        ("spots-0-stop_id", "abc"),
    ],
)
def test_proxy_form_refuses_values_it_never_offered(client, open_team, field, value):
    walk = open_team.walk
    login(client, open_team.facilitator)
    page = client.get(f"/planner/events/{walk.id}/proxy").get_data(as_text=True)
    nonce = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post(
        f"/planner/events/{walk.id}/proxy", data=proxy_form(walk, nonce, **{field: value})
    )
    assert r.status_code == 422
    assert count(Participant) == 0 and count(Observation) == 0


def test_proxy_form_refuses_another_walks_stop(client, open_team, make_walk):
    other = make_walk(stops=1)
    walk = open_team.walk
    login(client, open_team.facilitator)
    page = client.get(f"/planner/events/{walk.id}/proxy").get_data(as_text=True)
    nonce = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    data = proxy_form(walk, nonce, **{"spots-0-stop_id": str(other.stops[0].id)})
    r = client.post(f"/planner/events/{walk.id}/proxy", data=data)
    assert r.status_code == 422
    assert count(Participant) == 0 and count(Observation) == 0


# --- 6. Dates near the years 1 and 9999 (tests/test_hostile_forms.py found them) ------------

YEARS_EN = "A date between the years 2000 and 2100."


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59"])
def test_event_times_out_of_the_years_are_422_not_an_overflow(client, team, field, value):  # noqa: F811
    # 0001-01-01 00:00 in Paris is 23:50:39 the day before in UTC: before the year 1, an
    # OverflowError (500) in services.events.local_to_utc.
    login(client, team.planner)
    walks = count(Walk)
    for url in (
        f"/planner/projects/{team.project.id}/events/new",
        f"/planner/events/{team.walk.id}/edit",
    ):
        r = client.post(url, data=form_data(**{field: value}), query_string={"lang": "en"})
        assert r.status_code == 422, url
        assert YEARS_EN in r.get_data(as_text=True)
    assert count(Walk) == walks


def test_proxy_spot_time_out_of_the_years_is_422_not_an_overflow(client, open_team):
    walk = open_team.walk
    login(client, open_team.facilitator)
    page = client.get(f"/planner/events/{walk.id}/proxy").get_data(as_text=True)
    nonce = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    for value in ("0001-01-01T00:00", "9999-12-31T23:59"):
        r = client.post(
            f"/planner/events/{walk.id}/proxy",
            data=proxy_form(walk, nonce, **{"spots-0-recorded_at": value}),
            query_string={"lang": "en"},
        )
        assert r.status_code == 422 and YEARS_EN in r.get_data(as_text=True)
    assert count(Participant) == 0 and count(Observation) == 0


def test_wtforms_messages_of_form_rows_are_french(client, open_team):
    # The rows of the stops and of the proxy spots are plain WTForms forms: their own messages
    # ("Not a valid datetime value.") came in English on a French page.
    walk = open_team.walk
    login(client, open_team.facilitator)
    page = client.get(f"/planner/events/{walk.id}/proxy").get_data(as_text=True)
    nonce = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post(
        f"/planner/events/{walk.id}/proxy",
        data=proxy_form(walk, nonce, **{"spots-0-recorded_at": "2026-13-45"}),
    )
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "N&#39;est pas une date/heure valide." in text
    assert "Not a valid datetime value" not in text
    login(client, open_team.planner)
    r = client.post(
        f"/planner/projects/{open_team.project.id}/events/new",
        data=form_data(**{"stops-0-name": "x" * 201}),
    )
    assert r.status_code == 422 and "Field cannot be longer" not in r.get_data(as_text=True)


# --- 7. The moderation forms' `next` with a CR LF (tests/test_hostile_forms.py) -------------


@pytest.mark.parametrize("suffix", ["?a=\r\nSet-Cookie:%20x=1", "?a=\x00", "#\x7f"])
def test_moderation_next_with_control_characters_goes_back_to_triage(
    client, open_team, join, suffix
):
    token = join(open_team.walk)[0]
    assert client.post("/api/v1/observations", headers=auth(token), json=spot()).status_code == 201
    obs = db.session.scalar(sa.select(Observation))
    login(client, open_team.planner)
    triage = f"/planner/projects/{open_team.project.id}/observations"
    for action, data in (("hide", {"reason": "Injure"}), ("unhide", {})):
        r = client.post(
            f"/planner/projects/{open_team.project.id}/observations/{obs.id}/{action}",
            data={**data, "next": triage + suffix},
        )
        # The Location header would have been split (a ValueError, 500): the page itself.
        assert r.status_code == 303 and r.headers["Location"] == triage, action
    db.session.expire_all()
    assert db.session.get(Observation, obs.id).hidden_at is None  # hidden, then shown again


# --- 8. A finding's title and recommendation refuse NUL (PostgreSQL would answer 500) -------


def test_finding_text_refuses_control_characters(app):
    from walkapp.models import Finding
    from walkapp.planner.hotspots import FindingForm
    from walkapp.services import hotspots
    from walkapp.services.errors import Invalid

    for field in ("title", "recommendation"):
        data = {"title": "Sous le pont", "recommendation": "Éclairer", field: "Sous\x00le pont"}
        with app.test_request_context(method="POST", data=data):
            form = FindingForm(meta={"csrf": False})
            assert not form.validate()
            assert form.errors == {field: [CONTROL_FR]}
        finding = Finding(title="Sous le pont", recommendation="Éclairer")
        with pytest.raises(Invalid) as refused:
            hotspots.edit(finding, **{**data, "user_id": None})
        assert refused.value.codes == {field: "control_characters"}
        assert finding.title == "Sous le pont"
