"""Planner projects: pages for every role, one project never readable from another, perimeter
upload and drawing (and their refusals), escaping, audit log. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from conftest import DATA, auth
from flask import current_app
from planner_users import PASSWORD, login, make_user
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from walkapp.domain.geo import perimeter_geometry
from walkapp.extensions import db, utcnow
from walkapp.models import AuditEvent, Project, ProjectMember

PERIMETER_FILE = DATA / "place-du-canada-perimeter.geojson"
# Two triangles touching at one point: GEOS says "Self-intersection".
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[3.51, 50.35], [3.52, 50.36], [3.52, 50.35], [3.51, 50.36], [3.51, 50.35]]],
}
XSS = '<script>alert("x")</script> & Co'
XSS_ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co"
EN = {"Accept-Language": "en"}  # sentences checked in English (French comes from the catalog)
FIELDS = {
    "name": "Place du Canada",
    "commune": "Valenciennes",
    "insee_code": "59606",
    "description": "Réaménagement de la place.",
    "phase": "diagnostic",
    "timezone": "Europe/Paris",
}


def make_project(name: str = "Place du Canada", **fields) -> Project:
    project = Project(name=name, commune="Valenciennes", insee_code="59606", **fields)
    db.session.add(project)
    db.session.commit()
    return project


def multipart(client, url: str, fields: dict, files: dict | None = None, headers=None):
    """POST a multipart form, encoded in memory (no temporary file left open)."""
    data = {**fields}
    for name, (content, filename) in (files or {}).items():
        data[name] = FileStorage(io.BytesIO(content), filename=filename)
    boundary, body = encode_multipart(data)
    return client.post(
        url,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def audit_rows(**where) -> list[AuditEvent]:
    query = sa.select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def project_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Project.id)))


@pytest.fixture
def project_a(app):
    return make_project("Projet A", perimeter=perimeter_geometry(PERIMETER_FILE.read_text()))


@pytest.fixture
def planner(project_a):
    return make_user("planner@x.fr", "planner", projects=[project_a])


# --- Every page, every role ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may_edit"),
    [("admin", True), ("planner", True), ("facilitator", False), ("viewer", False)],
)
def test_every_page_for_every_role(client, project_a, role, may_edit):
    user = make_user(f"{role}@x.fr", role, projects=[project_a])
    login(client, user)
    pid = project_a.id
    for url in ("/planner/", f"/planner/projects/{pid}", f"/planner/projects/{pid}/audit"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Projet A" in response.get_data(as_text=True)
    edit_pages = ("/planner/projects/new", f"/planner/projects/{pid}/edit")
    for url in edit_pages:
        assert client.get(url).status_code == (200 if may_edit else 403), url
    html = client.get(f"/planner/projects/{pid}").get_data(as_text=True)
    assert (f"/planner/projects/{pid}/edit" in html) is may_edit
    if not may_edit:
        changed = multipart(client, f"/planner/projects/{pid}/edit", {**FIELDS, "name": "Changed"})
        created = multipart(client, "/planner/projects/new", FIELDS)
        assert (changed.status_code, created.status_code) == (403, 403)
        db.session.expire_all()
        assert project_a.name == "Projet A" and project_count() == 1
        assert audit_rows() == []


def test_project_pages_need_a_session(client, project_a):
    for url in (f"/planner/projects/{project_a.id}", "/planner/projects/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/planner/login" in response.headers["Location"]


def new_spot(client, token: str) -> str:
    obs_id = str(uuid.uuid4())
    body = {
        "id": obs_id,
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
        "category": "lighting",
        "feeling": 1,
    }
    assert client.post("/api/v1/observations", headers=auth(token), json=body).status_code == 201
    return obs_id


def upload_photo(client, token: str, obs_id: str) -> dict:
    data = (DATA / "lamp.png").read_bytes()
    boundary, body = encode_multipart({"photo": FileStorage(io.BytesIO(data), filename="a.png")})
    response = client.post(
        f"/api/v1/observations/{obs_id}/photos",
        headers=auth(token),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 201
    return response.json


def fetch(client, url: str):
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_planner_of_a_cannot_read_b(client, app, planner, project_a, make_walk, join):
    walk_b = make_walk(title="Marche B")  # in a project of its own: B
    pid_b = walk_b.project_id
    token = join(walk_b)[0]
    photo = upload_photo(client, token, new_spot(client, token))

    login(client, planner)
    for url in (
        f"/planner/projects/{pid_b}",
        f"/planner/projects/{pid_b}/edit",
        f"/planner/projects/{pid_b}/audit",
        f"/api/v1/projects/{pid_b}/observations.geojson",
    ):
        assert client.get(url).status_code == 404, url
    for url in (photo["url"], photo["thumbnail_url"]):
        assert fetch(client, url).status_code == 404, url
    edit = multipart(client, f"/planner/projects/{pid_b}/edit", {**FIELDS, "name": "Mine"})
    assert edit.status_code == 404
    listing = client.get("/planner/").get_data(as_text=True)
    assert "Projet A" in listing and "Marche B" not in listing and walk_b.join_code not in listing
    # Their own project answers.
    assert client.get(f"/api/v1/projects/{project_a.id}/observations.geojson").status_code == 200

    admin = make_user("admin@x.fr", "admin")
    client.post("/planner/logout")
    login(client, admin)
    assert client.get(f"/planner/projects/{pid_b}").status_code == 200
    assert fetch(client, photo["url"]).status_code == 200


def test_unknown_project_is_404(client, planner):
    login(client, planner)
    assert client.get("/planner/projects/999999").status_code == 404


# --- Creating and editing -----------------------------------------------------------------------


def test_create_project_with_the_perimeter_file(client, app, planner):
    login(client, planner)
    geojson = PERIMETER_FILE.read_bytes()
    files = {"perimeter_file": (geojson, "place-du-canada-perimeter.geojson")}
    response = multipart(client, "/planner/projects/new", FIELDS, files)
    assert response.status_code == 302
    project = db.session.scalar(sa.select(Project).where(Project.name == "Place du Canada"))
    assert response.headers["Location"].endswith(f"/planner/projects/{project.id}")
    assert project.perimeter == perimeter_geometry(geojson)
    assert (project.insee_code, project.timezone, project.phase) == (
        "59606",
        "Europe/Paris",
        "diagnostic",
    )
    assert (
        db.session.get(ProjectMember, (planner.id, project.id)) is not None
    )  # creator is a member
    entries = audit_rows(project_id=project.id)
    assert [(e.action, e.target_type, e.user_id) for e in entries] == [
        ("create", "project", planner.id),
        ("edit", "perimeter", planner.id),
    ]
    assert entries[1].details["source"] == "file" and entries[1].details["type"] == "Polygon"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="perimeter-map"' in page and "Place du Canada" in page


def test_create_project_with_a_drawn_perimeter(client, planner):
    login(client, planner)
    # What perimeter.js sends: a FeatureCollection of the drawn polygons (two separate parts).
    square = [[3.51, 50.35], [3.511, 50.35], [3.511, 50.351], [3.51, 50.351], [3.51, 50.35]]
    far = [[x + 0.01, y] for x, y in square]
    drawn = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for ring in (square, far)
        ],
    }
    response = multipart(
        client, "/planner/projects/new", {**FIELDS, "perimeter_drawn": json.dumps(drawn)}
    )
    assert response.status_code == 302
    project = db.session.scalar(sa.select(Project).where(Project.name == FIELDS["name"]))
    assert project.perimeter["type"] == "MultiPolygon"
    [entry] = audit_rows(target_type="perimeter")
    assert entry.details == {"type": "MultiPolygon", "parts": 2, "points": 8, "source": "map"}


def test_create_project_without_perimeter(client, planner):
    login(client, planner)
    assert multipart(client, "/planner/projects/new", FIELDS).status_code == 302
    project = db.session.scalar(sa.select(Project).where(Project.name == FIELDS["name"]))
    assert project.perimeter is None
    assert [e.target_type for e in audit_rows(project_id=project.id)] == ["project"]


@pytest.mark.parametrize("how", ["file", "drawn"])
def test_bow_tie_perimeter_is_refused_with_shapelys_reason(client, planner, how):
    login(client, planner)
    text = json.dumps(BOW_TIE)
    if how == "file":
        response = multipart(
            client,
            "/planner/projects/new",
            FIELDS,
            {"perimeter_file": (text.encode(), "p.geojson")},
            headers=EN,
        )
    else:
        response = multipart(
            client, "/planner/projects/new", {**FIELDS, "perimeter_drawn": text}, headers=EN
        )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'<p id="perimeter-error"[^>]*>(.*?)</p>', html, re.S).group(1)
    # GEOS's reason in words, and where: no English code left in the page (nor lang="en").
    assert "its edges cross each other near latitude 50.355, longitude 3.515" in error
    assert "Self-intersection" not in html and 'lang="en"' not in error
    file_input = re.search(r'<input[^>]*id="perimeter_file"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in file_input and "perimeter-error" in file_input
    assert project_count() == 1 and audit_rows() == []  # only project A: nothing saved
    # What was typed is still there.
    assert 'value="Place du Canada"' in html


def test_bow_tie_on_edit_keeps_the_old_perimeter(client, planner, project_a):
    login(client, planner)
    before = project_a.perimeter
    url = f"/planner/projects/{project_a.id}/edit"
    response = multipart(
        client,
        url,
        {**FIELDS, "name": "Nouveau nom", "perimeter_drawn": json.dumps(BOW_TIE)},
        headers=EN,
    )
    assert response.status_code == 422 and "edges cross" in response.get_data(as_text=True)
    db.session.expire_all()
    assert project_a.perimeter == before and project_a.name == "Projet A"
    assert audit_rows() == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not json", "not valid JSON"),
        (json.dumps({"type": "Point", "coordinates": [3.5, 50.3]}).encode(), "Point is not a"),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[700000, 7000000], [700100, 7000000], [700100, 7000100], [700000, 7000000]]
                    ],
                }
            ).encode(),
            "Lambert-93",
        ),
    ],
)
def test_unusable_files_say_why(client, planner, content, reason):
    login(client, planner)
    response = multipart(
        client, "/planner/projects/new", FIELDS, {"perimeter_file": (content, "p.json")}, EN
    )
    assert response.status_code == 422 and reason in response.get_data(as_text=True)
    assert project_count() == 1


@pytest.mark.parametrize(
    ("field", "value", "ok", "stored"),
    [
        ("insee_code", "59606", True, "59606"),
        ("insee_code", "2A004", True, "2A004"),
        ("insee_code", "2b033", True, "2B033"),
        ("insee_code", "97411", True, "97411"),
        ("insee_code", "", True, None),
        ("insee_code", "5960", False, None),
        ("insee_code", "2C004", False, None),
        ("insee_code", "596060", False, None),
        ("insee_code", "ABCDE", False, None),
        ("timezone", "America/Cayenne", True, "America/Cayenne"),
        ("timezone", "Mars/Olympus", False, None),
        ("timezone", "../../etc/passwd", False, None),
        ("timezone", "", False, None),
        ("phase", "after_works", True, "after_works"),
        ("phase", "demolished", False, None),
        ("name", "", False, None),
        ("commune", "", False, None),
        ("name", "x" * 201, False, None),
    ],
)
def test_project_fields_are_validated(client, planner, field, value, ok, stored):
    login(client, planner)
    response = multipart(client, "/planner/projects/new", {**FIELDS, field: value})
    html = response.get_data(as_text=True)
    if ok:
        assert response.status_code == 302, html
        project = db.session.scalar(sa.select(Project).order_by(Project.id.desc()))
        assert getattr(project, field) == stored
    else:
        assert response.status_code == 422
        assert f'id="{field}-error"' in html
        assert re.search(
            rf'<(input|select|textarea)[^>]*aria-describedby="[^"]*{field}-error"[^>]*>', html
        )
        assert project_count() == 1


def test_edit_records_each_change(client, planner, project_a):
    login(client, planner)
    url = f"/planner/projects/{project_a.id}/edit"
    form = client.get(url).get_data(as_text=True)
    drawn = re.search(r'name="perimeter_drawn" type="hidden" value="([^"]*)"', form)
    drawn = drawn or re.search(
        r'id="perimeter_drawn" name="perimeter_drawn" type="hidden" value="([^"]*)"', form
    )
    current = json.loads(drawn.group(1).replace("&#34;", '"'))
    assert current == project_a.perimeter

    fields = {**FIELDS, "name": "Projet A", "phase": "works", "timezone": "Europe/Paris"}
    # The same perimeter sent back (what the page does when the map is not touched): no entry.
    response = multipart(client, url, {**fields, "perimeter_drawn": json.dumps(current)})
    assert response.status_code == 302
    [entry] = audit_rows(action="edit")
    assert entry.target_type == "project" and entry.project_id == project_a.id
    assert entry.details["phase"] == ["diagnostic", "works"]
    assert entry.details["description"] == "changed"
    assert "commune" not in entry.details and "name" not in entry.details  # unchanged

    # An empty drawing removes the perimeter, and says so.
    assert multipart(client, url, {**fields, "perimeter_drawn": ""}).status_code == 302
    db.session.expire_all()
    assert project_a.perimeter is None
    [removed] = audit_rows(target_type="perimeter")
    assert removed.details == {"perimeter": "removed"}

    # Nothing posted about the perimeter (no file, no field): it stays as it is.
    with_file = {"perimeter_file": (PERIMETER_FILE.read_bytes(), "p.geojson")}
    assert multipart(client, url, fields, with_file).status_code == 302
    assert multipart(client, url, fields).status_code == 302
    db.session.expire_all()
    assert project_a.perimeter == perimeter_geometry(PERIMETER_FILE.read_text())
    assert len(audit_rows(target_type="perimeter")) == 2


def test_perimeter_upload_has_a_size_limit(client, planner):
    login(client, planner)
    big = b" " * (3 * 1024 * 1024)
    response = multipart(
        client, "/planner/projects/new", FIELDS, {"perimeter_file": (big, "p.geojson")}
    )
    assert response.status_code == 413
    assert project_count() == 1


def test_too_large_a_file_gets_a_page_that_says_why_and_goes_back(client, planner):
    login(client, planner)
    big = {"perimeter_file": (b" " * (25 * 1024 * 1024), "p.geojson")}
    response = multipart(client, "/planner/projects/new?lang=en", FIELDS, big)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "weighs more than the 2 MB this page accepts" in html
    assert "nothing was saved" in html and "your browser keeps what you typed" in html
    assert "draw the perimeter on the map" in html  # the perimeter's own advice
    back = re.search(r"<a[^>]*data-go-back[^>]*>", html).group(0)
    assert 'href="/planner/projects/new"' in back
    assert "/static/planner/go-back.js" in html
    assert project_count() == 1


def test_too_large_page_in_french(client, planner):
    """Passes once the French of /tmp/fr_perimeters.json is in the catalogue."""
    login(client, planner)
    big = {"perimeter_file": (b" " * (3 * 1024 * 1024), "p.geojson")}
    response = multipart(client, "/planner/projects/new", FIELDS, big)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Fichier trop lourd" in html
    assert "pèse plus que les 2\u00a0Mo acceptés par cette page" in html


def test_the_file_input_carries_the_servers_limit(client, planner, project_a):
    from walkapp.planner.projects import PERIMETER_BODY_LIMIT

    login(client, planner)
    for url in ("/planner/projects/new", f"/planner/projects/{project_a.id}/edit"):
        html = client.get(url).get_data(as_text=True)
        file_input = re.search(r'<input[^>]*id="perimeter_file"[^>]*>', html).group(0)
        assert f'data-max-bytes="{PERIMETER_BODY_LIMIT}"' in file_input
    config = map_config(client.get("/planner/projects/new?lang=en").get_data(as_text=True))
    assert "{size}" in config["labels"]["file_too_large"]
    assert "at most 2 MB" in config["labels"]["file_too_large"]


# --- Questions before a perimeter is saved ------------------------------------------------------


def swapped(geometry: dict) -> dict:
    """The perimeter written [latitude, longitude], as some tools export it."""
    return {
        "type": "Polygon",
        "coordinates": [[[lat, lon] for lon, lat in ring] for ring in geometry["coordinates"]],
    }


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    value = re.search(r'value="([^"]*)"', match.group(0)) if match else None
    return value.group(1).replace("&#34;", '"').replace("&quot;", '"') if value else ""


def checkbox_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input type="checkbox" id="{name}" name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else None


def map_config(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="perimeter-config">(.*?)</script>', html)
    return json.loads(text.group(1))


def test_swapped_axes_are_asked_about_then_swapped(client, planner):
    login(client, planner)
    good = perimeter_geometry(PERIMETER_FILE.read_text())
    upload = {"perimeter_file": (json.dumps(swapped(good)).encode(), "swapped.geojson")}
    response = multipart(client, "/planner/projects/new", FIELDS, upload, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and project_count() == 1
    assert "with latitude and longitude swapped it would lie in metropolitan France" in html
    assert "I confirm this perimeter" in html and "Swap latitude and longitude" in html
    # What she typed, and the file's shape (a file cannot come back), are in the page.
    assert 'value="Place du Canada"' in html and "Réaménagement de la place." in html
    carried = hidden_value(html, "perimeter_drawn")
    assert json.loads(carried) == perimeter_geometry(swapped(good))
    assert hidden_value(html, "perimeter_origin") == "file"
    swap = checkbox_value(html, "perimeter_swap")
    assert swap and swap == checkbox_value(html, "perimeter_confirmed")

    fields = {**FIELDS, "perimeter_drawn": carried, "perimeter_origin": "file"}
    # Sent again without an answer: asked again, nothing saved.
    assert multipart(client, "/planner/projects/new", fields).status_code == 422
    assert project_count() == 1
    response = multipart(client, "/planner/projects/new", {**fields, "perimeter_swap": swap})
    assert response.status_code == 302
    project = db.session.scalar(sa.select(Project).order_by(Project.id.desc()))
    assert project.perimeter == good  # back in Valenciennes
    [entry] = audit_rows(target_type="perimeter")
    assert entry.details["source"] == "file"


def test_a_drawn_perimeter_700_km_across_needs_a_confirmation(client, planner):
    login(client, planner)
    big = {"type": "Polygon", "coordinates": [[[-1, 44], [5, 44], [5, 49], [-1, 49], [-1, 44]]]}
    fields = {**FIELDS, "perimeter_drawn": json.dumps(big)}
    response = multipart(client, "/planner/projects/new", fields, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and project_count() == 1
    assert re.search(r"Its area is [\d,.]+ km², more than the 5 km² of a neighbourhood", html)
    assert re.search(r"It is 7\d\d(\.\d)? km across, more than 5 km\.", html)
    assert "swapped" not in html and checkbox_value(html, "perimeter_swap") is None
    digest = checkbox_value(html, "perimeter_confirmed")
    # A confirmation for another shape (she redrew it after the question) is no confirmation.
    stale = multipart(client, "/planner/projects/new", {**fields, "perimeter_confirmed": "x" * 16})
    assert stale.status_code == 422 and project_count() == 1
    ok = multipart(client, "/planner/projects/new", {**fields, "perimeter_confirmed": digest})
    assert ok.status_code == 302 and project_count() == 2
    project = db.session.scalar(sa.select(Project).order_by(Project.id.desc()))
    assert project.perimeter == perimeter_geometry(big)


def test_a_perimeter_far_away_is_asked_about(client, planner):
    login(client, planner)
    manhattan = [[-74.0, 40.70], [-73.99, 40.70], [-73.99, 40.71], [-74.0, 40.71], [-74.0, 40.70]]
    drawn = json.dumps({"type": "Polygon", "coordinates": [manhattan]})
    response = multipart(
        client, "/planner/projects/new", {**FIELDS, "perimeter_drawn": drawn}, headers=EN
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "Its centre (latitude 40.705, longitude -73.995) lies outside metropolitan France and "
        "the overseas departments." in html
    )
    assert project_count() == 1


def test_stops_and_spots_left_outside_are_asked_about(client, planner, project_a, make_walk, join):
    walk = make_walk()  # two stops in the Place du Canada
    walk.project_id = project_a.id
    db.session.commit()
    token = join(walk)[0]
    new_spot(client, token)
    login(client, planner)
    url = f"/planner/projects/{project_a.id}/edit"
    elsewhere = [[3.50, 50.30], [3.51, 50.30], [3.51, 50.31], [3.50, 50.31], [3.50, 50.30]]
    fields = {
        **FIELDS,
        "perimeter_drawn": json.dumps({"type": "Polygon", "coordinates": [elsewhere]}),
    }
    response = multipart(client, url, fields, headers=EN)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Stops of the project's events outside this perimeter: 2 of 2." in html
    assert "Spots already tagged outside this perimeter: 1 of 1." in html
    db.session.expire_all()
    assert project_a.perimeter == perimeter_geometry(PERIMETER_FILE.read_text())
    assert project_a.name == "Projet A"  # nothing of the form was saved either
    # The perimeter kept as it is raises no question.
    same = {**FIELDS, "perimeter_drawn": json.dumps(project_a.perimeter)}
    assert multipart(client, url, same).status_code == 302


def test_questions_are_in_french(client, planner):
    """Passes once the French of /tmp/fr_perimeters.json is in the catalogue."""
    login(client, planner)
    good = perimeter_geometry(PERIMETER_FILE.read_text())
    fields = {**FIELDS, "perimeter_drawn": json.dumps(swapped(good))}
    html = multipart(client, "/planner/projects/new", fields).get_data(as_text=True)
    assert "Je confirme ce périmètre" in html
    assert "en France métropolitaine" in html
    assert "latitude 3,5" in html  # a decimal comma


# --- Where the drawing map opens -----------------------------------------------------------------


def test_drawing_map_opens_on_the_perimeter_else_stops_else_default_place(
    client, app, planner, project_a, make_walk
):
    login(client, planner)
    new = map_config(client.get("/planner/projects/new").get_data(as_text=True))
    assert new["perimeter"] is None and new["points"] is None
    assert new["home"] == [50.357, 3.523]  # Valenciennes, WALKAPP_DEFAULT_PLACE's default
    with_perimeter = client.get(f"/planner/projects/{project_a.id}/edit").get_data(as_text=True)
    assert map_config(with_perimeter)["perimeter"] == project_a.perimeter
    walk = make_walk(stops=3)
    walk.project_id = project_a.id
    project_a.perimeter = None
    db.session.commit()
    config = map_config(client.get(f"/planner/projects/{project_a.id}/edit").get_data(as_text=True))
    assert config["perimeter"] is None
    assert config["points"] == [[50.356, 3.5185], [50.357, 3.5185]]
    app.config["DEFAULT_PLACE"] = (16.0, -61.7)
    other = map_config(client.get("/planner/projects/new").get_data(as_text=True))
    assert other["home"] == [16.0, -61.7]


def test_default_place_setting():
    from walkapp.config import parse_place, settings_from_env

    assert settings_from_env({})["DEFAULT_PLACE"] == (50.357, 3.523)
    assert settings_from_env({"WALKAPP_DEFAULT_PLACE": "-20.88, 55.45"})["DEFAULT_PLACE"] == (
        -20.88,
        55.45,
    )
    for wrong in ("50.357", "a,b", "95,3", "50,200"):
        with pytest.raises(ValueError, match="WALKAPP_DEFAULT_PLACE"):
            parse_place(wrong)


# --- Project page -------------------------------------------------------------------------------


def test_project_page_lists_its_events(client, app, make_walk, join):
    walk = make_walk(title="Marche de nuit")
    project = db.session.get(Project, walk.project_id)
    project.timezone = "America/Cayenne"
    db.session.commit()
    token = join(walk)[0]
    join(walk)
    new_spot(client, token)
    user = make_user("p@x.fr", "viewer", projects=[project])
    login(client, user)
    html = client.get(f"/planner/projects/{project.id}").get_data(as_text=True)
    assert "Marche de nuit" in html and "Marche exploratoire" in html and "En cours" in html
    assert walk.join_code in html
    row = re.search(r"<tr>\s*<td>.*?Marche de nuit.*?</tr>", html, re.S).group(0)
    assert re.findall(r"<td>(\d+)</td>", row) == ["2", "1"]  # participants, spots
    from walkapp.i18n import format_local

    with app.test_request_context():
        assert format_local(walk.starts_at, "America/Cayenne", "short") in html
    if "planner.event" in current_app.view_functions:
        assert f"/planner/events/{walk.id}" in html
    if "planner.event_new" in current_app.view_functions:
        assert (
            f"/planner/projects/{project.id}/events/new" not in html
        )  # a viewer schedules nothing
    assert f"/planner/projects/{project.id}/audit" in html


def test_pages_render_without_the_other_modules(client, planner, project_a, make_walk, monkeypatch):
    """Links to event, triage pages only when those endpoints exist."""
    make_walk()
    views = dict(current_app.view_functions)
    for name in ("planner.event", "planner.event_new", "planner.triage"):
        views.pop(name, None)
    monkeypatch.setattr(current_app, "view_functions", views)
    login(client, planner)
    for url in ("/planner/", f"/planner/projects/{project_a.id}"):
        assert client.get(url).status_code == 200


# --- Escaping -----------------------------------------------------------------------------------


def test_project_name_is_escaped_everywhere(client, app, make_walk):
    admin = make_user("admin@x.fr", "admin")
    login(client, admin)
    response = multipart(
        client, "/planner/projects/new", {**FIELDS, "name": XSS, "description": XSS, "commune": XSS}
    )
    assert response.status_code == 302
    project = db.session.scalar(sa.select(Project).where(Project.name == XSS))
    other = make_user("p@x.fr")
    client.post(f"/planner/admin/users/{other.id}/memberships", data={"project_id": project.id})
    pages = [
        "/planner/",
        f"/planner/projects/{project.id}",
        f"/planner/projects/{project.id}/edit",
        f"/planner/projects/{project.id}/audit",
        "/planner/admin/audit",
        "/planner/admin/users",
        f"/planner/admin/users/{other.id}",
        f"/planner/admin/users/{admin.id}",  # the project in the "add" list
    ]
    client.post(f"/planner/admin/users/{other.id}", data={"name": XSS, "role": "planner"})
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert '<script>alert("x")' not in html, url
        assert "&lt;script&gt;alert(" in html, url


# --- Audit log ----------------------------------------------------------------------------------


def test_audit_log_pages(client, app, planner, project_a):
    from walkapp.services import audit

    for i in range(60):
        audit.record(
            "edit",
            "project",
            project_a.id,
            user_id=planner.id,
            project_id=project_a.id,
            details={"n": i},
        )
    audit.record("create", "user", 1, user_id=None, details={"email": "x@x.fr"})  # no project
    db.session.commit()
    login(client, planner)
    first = client.get(f"/planner/projects/{project_a.id}/audit").get_data(as_text=True)
    numbers = [int(n) for n in re.findall(r"<dt>n</dt><dd>(\d+)</dd>", first)]
    assert numbers == list(range(59, 9, -1))  # newest first, 50 a page
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert [int(n) for n in re.findall(r"<dt>n</dt><dd>(\d+)</dd>", second)] == list(
        range(9, -1, -1)
    )
    assert "before=" not in second  # the last page: no link to older entries
    assert "x@x.fr" not in first + second  # not this project's entry
    assert client.get("/planner/admin/audit").status_code == 403

    admin = make_user("admin@x.fr", "admin")
    client.post("/planner/logout")
    login(client, admin)
    everything = client.get("/planner/admin/audit").get_data(as_text=True)
    assert "x@x.fr" in everything and "Projet A" in everything


# --- The drawing plug-in's files ----------------------------------------------------------------


def test_drawing_plugin_is_served_by_the_app(client, planner):
    login(client, planner)
    form = client.get("/planner/projects/new").get_data(as_text=True)
    js = re.search(r'src="([^"]*leaflet-geoman\.min\.js[^"]*)"', form).group(1)
    css = re.search(r'href="([^"]*leaflet-geoman\.css[^"]*)"', form).group(1)
    for url in (js, css):
        response = fetch(client, url.replace("&amp;", "&"))
        assert (
            response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"]
        )
    assert re.search(r'src="[^"]*/leaflet\.js\?v=', form)  # Leaflet itself, from the app
    for bad in ("package.json", "../package.json", "leaflet-geoman.js.map", "..%2Fpackage.json"):
        assert fetch(client, f"/planner/vendor/{bad}").status_code == 404, bad


def test_map_config_carries_the_tile_setting(client, planner):
    login(client, planner)
    html = client.get("/planner/projects/new").get_data(as_text=True)
    config = json.loads(re.search(r'id="perimeter-config">(.*?)</script>', html, re.S).group(1))
    assert config["tiles"] == "" and config["lang"] == "fr"  # tests run without tiles


# --- CSRF ---------------------------------------------------------------------------------------


class TestProjectsWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_project_form_needs_the_token(self, client, app):
        user = make_user("p@x.fr")
        page = client.get("/planner/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
        assert client.post("/planner/login", data=data).status_code == 302

        assert multipart(client, "/planner/projects/new", FIELDS).status_code == 400
        assert project_count() == 0
        form = client.get("/planner/projects/new").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        files = {"perimeter_file": (PERIMETER_FILE.read_bytes(), "p.geojson")}
        response = multipart(
            client, "/planner/projects/new", {**FIELDS, "csrf_token": token}, files
        )
        assert response.status_code == 302 and project_count() == 1
