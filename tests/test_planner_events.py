"""Events in the planner workspace: schedule, edit, delete, open, close, the QR sheet, per role."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from planner_users import PASSWORD, login, make_user

from walkapp.domain.join_codes import format_join_code, normalize_join_code
from walkapp.extensions import db, utcnow
from walkapp.models import AuditEvent, Project, Stop, StopNote, User, Walk
from walkapp.services import events as events_service
from walkapp.services.errors import Conflict

XSS = '<script>window.__pwned=1</script><img src=x onerror="alert(1)"> & "nuit"'
XSS_ESCAPED = (
    "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"
)


# --- Helpers --------------------------------------------------------------------------------


@dataclass
class Team:
    """A project with its walk, and one user per role (plus a planner of another project)."""

    project: Project
    walk: Walk
    admin: User
    planner: User
    facilitator: User
    viewer: User
    outsider: User


@pytest.fixture
def team(make_walk) -> Team:
    walk = make_walk(status="planned")
    project = walk.project
    other = make_walk(status="planned", title="Ailleurs").project
    return Team(
        project=project,
        walk=walk,
        admin=make_user("admin@x.fr", "admin"),
        planner=make_user("planner@x.fr", "planner", projects=[project]),
        facilitator=make_user("facilitator@x.fr", "facilitator", projects=[project]),
        viewer=make_user("viewer@x.fr", "viewer", projects=[project]),
        outsider=make_user("outsider@x.fr", "planner", projects=[other]),
    )


def form_data(**overrides) -> dict[str, str]:
    data = {
        "kind": "exploratory_walk",
        "audience": "women",
        "title": "Marche de nuit, place du Canada",
        "group_description": "Association du quartier",
        "starts_at": "2026-11-24T19:00",
        "ends_at": "2026-11-24T21:00",
        "meeting_point": "Devant la médiathèque",
        "facilitator_id": "",
        "stops-0-name": "Entrée nord",
        "stops-0-lat": "50.3566",
        "stops-0-lon": "3.5185",
        "stops-1-name": "Passage sous la voie",
        "stops-1-lat": "50,3560",  # a French decimal comma
        "stops-1-lon": "3,5190",
        "stops-2-name": "",
        "stops-2-lat": "",
        "stops-2-lon": "",
    }
    data.update(overrides)
    return data


def audit_actions(project_id: int | None = None) -> list[tuple[str, str]]:
    query = sa.select(AuditEvent.action, AuditEvent.target_type).order_by(AuditEvent.id)
    if project_id is not None:
        query = query.where(AuditEvent.project_id == project_id)
    return [tuple(row) for row in db.session.execute(query)]


def html(response) -> str:
    return response.get_data(as_text=True)


# --- Create ---------------------------------------------------------------------------------


def test_planner_schedules_an_event_in_the_projects_time_zone(client, team):
    login(client, team.planner)
    r = client.post(
        f"/planner/projects/{team.project.id}/events/new",
        data=form_data(facilitator_id=str(team.facilitator.id)),
    )
    assert r.status_code == 302
    walk = db.session.scalar(sa.select(Walk).where(Walk.title.like("Marche de nuit, place%")))
    assert r.headers["Location"].endswith(f"/planner/events/{walk.id}")
    # 19:00 in Paris in November is 18:00 UTC.
    assert walk.starts_at == datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    assert walk.ends_at == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    assert walk.status == "planned" and walk.opened_at is None
    assert walk.facilitator_id == team.facilitator.id
    assert normalize_join_code(walk.join_code) == walk.join_code
    assert [(s.number, s.name, s.lat, s.lon) for s in walk.stops] == [
        (1, "Entrée nord", 50.3566, 3.5185),
        (2, "Passage sous la voie", 50.356, 3.519),
    ]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.target_id == str(walk.id)))
    assert (event.action, event.target_type, event.user_id) == ("create", "walk", team.planner.id)
    assert event.details["title"] == walk.title and event.details["stops"] == 2
    page = html(client.get(r.headers["Location"]))
    assert format_join_code(walk.join_code) in page and "Devant la médiathèque" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": "2026-11-24T18:00"}, "The end must come after the start."),
        ({"ends_at": "2026-11-24T19:00"}, "The end must come after the start."),
        ({"title": "   "}, "This field is required."),
        ({"kind": "picnic"}, "Not a valid choice"),
        ({"stops-0-lat": "95"}, "A latitude in degrees, from -90 to 90."),
        ({"stops-0-lon": "east"}, "A longitude in degrees, from -180 to 180."),
        ({"stops-0-name": ""}, "Give the stop a name."),
        # 02:30 on 29 March 2026 does not exist in Paris (clocks go from 02:00 to 03:00).
        (
            {"starts_at": "2026-03-29T02:30", "ends_at": "2026-03-29T04:00"},
            "This time does not exist: the clocks change then.",
        ),
    ],
)
def test_invalid_event_forms_say_why(client, team, overrides, message):
    login(client, team.planner)
    before = db.session.scalar(sa.select(sa.func.count(Walk.id)))
    r = client.post(
        f"/planner/projects/{team.project.id}/events/new",
        data=form_data(**overrides),
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    assert message in html(r) and 'aria-invalid="true"' in html(r)
    assert db.session.scalar(sa.select(sa.func.count(Walk.id))) == before


def test_a_stop_outside_the_perimeter_is_a_warning_not_an_error(client, team):
    login(client, team.planner)
    r = client.post(
        f"/planner/projects/{team.project.id}/events/new",
        # Stop 1 far away (Lille); stop 2 with latitude and longitude swapped.
        data=form_data(**{"stops-0-lat": "50.6292", "stops-0-lon": "3.0573"})
        | {"stops-1-lat": "3.5190", "stops-1-lon": "50.3560"},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    page = html(r)
    assert r.status_code == 200
    assert "Stop 1 (\u2068Entrée nord\u2069) is outside the project&#39;s perimeter" in page
    assert "Stop 2 (\u2068Passage sous la voie\u2069) is outside" in page
    assert page.count("Latitude and longitude may be swapped.") >= 1
    walk = db.session.scalar(sa.select(Walk).where(Walk.title.like("Marche de nuit, place%")))
    assert len(walk.stops) == 2


def test_a_taken_join_code_is_drawn_again(app, team):
    codes = iter([team.walk.join_code, "ABCDEFGH"])
    data = events_service.EventData(
        kind="meeting",
        audience="mixed",
        title="Réunion publique",
        starts_at=utcnow() + timedelta(days=3),
        ends_at=utcnow() + timedelta(days=3, hours=2),
    )
    walk = events_service.create_event(
        team.project, data, user_id=team.planner.id, new_code=lambda: next(codes)
    )
    db.session.commit()
    assert walk.join_code == "ABCDEFGH" and walk.id is not None
    with pytest.raises(Conflict):
        events_service.create_event(
            team.project, data, user_id=None, new_code=lambda: team.walk.join_code
        )


def test_facilitator_must_belong_to_the_project(client, team):
    login(client, team.planner)
    r = client.post(
        f"/planner/projects/{team.project.id}/events/new",
        data=form_data(facilitator_id=str(team.outsider.id)),
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422 and "Not a valid choice" in html(r)
    page = html(client.get(f"/planner/projects/{team.project.id}/events/new"))
    assert "Facilitator" in page and ">Viewer<" not in page  # viewers cannot lead a walk


# --- Edit and delete ------------------------------------------------------------------------


def test_edit_keeps_the_stops_rows_and_audits_the_changes(client, team):
    login(client, team.planner)
    walk = team.walk
    stop_ids = [s.id for s in walk.stops]
    page = html(client.get(f"/planner/events/{walk.id}/edit"))
    assert 'value="Marche de nuit"' in page and 'value="Arrêt 1"' in page
    data = form_data(title="Marche de nuit (reportée)", kind="exploratory_walk")
    data.update(
        {"stops-0-name": "Arrêt 1 renommé", "stops-0-lat": "50.356", "stops-0-lon": "3.5185"}
    )
    data.update({"stops-1-name": "", "stops-1-lat": "", "stops-1-lon": ""})
    r = client.post(f"/planner/events/{walk.id}/edit", data=data)
    assert r.status_code == 302
    db.session.expire_all()
    walk = db.session.get(Walk, walk.id)
    assert walk.title == "Marche de nuit (reportée)"
    assert [(s.id, s.number, s.name) for s in walk.stops] == [(stop_ids[0], 1, "Arrêt 1 renommé")]
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "edit", AuditEvent.target_type == "walk")
    )
    assert event.details["title"] == ["Marche de nuit", "Marche de nuit (reportée)"]
    assert event.details["stops"] == 1 and event.user_id == team.planner.id
    # The audit page shows the edit as every edit: before → after.
    page = client.get(f"/planner/projects/{walk.project_id}/audit").get_data(as_text=True)
    assert "Marche de nuit → Marche de nuit (reportée)" in page


def test_delete_only_while_nobody_has_joined(client, team, join):
    login(client, team.planner)
    walk_id = team.walk.id
    team.walk.status = "open"
    db.session.commit()
    join(team.walk)
    r = client.post(
        f"/planner/events/{walk_id}/delete",
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    assert "People have joined this event: it cannot be deleted any more." in html(r)
    assert db.session.get(Walk, walk_id) is not None
    assert "Delete" not in html(client.get(f"/planner/events/{walk_id}?lang=en")).split("</nav>")[1]

    empty = Walk(
        project_id=team.project.id,
        kind="meeting",
        audience="mixed",
        title="Réunion",
        starts_at=utcnow(),
        ends_at=utcnow() + timedelta(hours=1),
        join_code="ABCDEFGH",
        stops=[Stop(number=1, name="Salle", lat=50.356, lon=3.5185)],
    )
    db.session.add(empty)
    db.session.commit()
    empty_id = empty.id
    assert client.get(f"/planner/events/{empty_id}/delete").status_code == 200
    r = client.post(f"/planner/events/{empty_id}/delete")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Walk, empty_id) is None
    assert db.session.scalar(sa.select(sa.func.count(Stop.id)).where(Stop.walk_id == empty_id)) == 0
    deleted = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "delete"))
    assert deleted.target_id == str(empty_id) and deleted.details["title"] == "Réunion"


# --- Open and close -------------------------------------------------------------------------


def test_open_then_close_and_late_spots_still_arrive(client, team, join):
    login(client, team.facilitator)
    walk_id = team.walk.id
    r = client.post(f"/planner/events/{walk_id}/open")
    assert r.status_code == 302
    db.session.expire_all()
    walk = db.session.get(Walk, walk_id)
    assert walk.status == "open" and walk.opened_at is not None
    token, _, _ = join(walk)
    recorded = utcnow() - timedelta(minutes=1)
    # Opening twice is refused with a message, nothing changes.
    r = client.post(
        f"/planner/events/{walk_id}/open", follow_redirects=True, headers={"Accept-Language": "en"}
    )
    assert "Only a planned event can be opened." in html(r)

    assert client.post(f"/planner/events/{walk_id}/close").status_code == 302
    db.session.expire_all()
    walk = db.session.get(Walk, walk_id)
    assert walk.status == "closed" and walk.closed_at >= walk.opened_at
    # A phone that was offline sends a spot recorded before the close: it is kept.
    r = client.post(
        "/api/v1/observations",
        json={
            "id": "6f1c1a52-3c57-4c4e-9d0e-2b7b8c1d9e01",
            "lat": 50.3561,
            "lon": 3.5187,
            "recorded_at": recorded.isoformat(),
            "category": "lighting",
            "feeling": 2,
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201
    assert client.post(f"/planner/events/{walk_id}/close").status_code == 302  # refused, flashed
    db.session.expire_all()
    assert db.session.get(Walk, walk_id).status == "closed"
    actions = [a for a in audit_actions(team.project.id) if a[1] == "walk"]
    assert actions == [("open", "walk"), ("close", "walk")]


# --- Who may do what ------------------------------------------------------------------------

MANAGE = ("new", "edit_get", "edit_post", "delete_get", "delete_post")
FACILITATE = ("open", "close", "live", "proxy")


def call(client, action: str, team: Team):
    walk_id, project_id = team.walk.id, team.project.id
    return {
        "page": lambda: client.get(f"/planner/events/{walk_id}"),
        "qr": lambda: client.get(f"/planner/events/{walk_id}/qr"),
        "new": lambda: client.post(f"/planner/projects/{project_id}/events/new", data=form_data()),
        "edit_get": lambda: client.get(f"/planner/events/{walk_id}/edit"),
        "edit_post": lambda: client.post(f"/planner/events/{walk_id}/edit", data=form_data()),
        "delete_get": lambda: client.get(f"/planner/events/{walk_id}/delete"),
        "delete_post": lambda: client.post(f"/planner/events/{walk_id}/delete"),
        "open": lambda: client.post(f"/planner/events/{walk_id}/open"),
        "close": lambda: client.post(f"/planner/events/{walk_id}/close"),
        "live": lambda: client.get(f"/planner/events/{walk_id}/live"),
        "proxy": lambda: client.get(f"/planner/events/{walk_id}/proxy"),
    }[action]()


@pytest.mark.parametrize("action", MANAGE + FACILITATE + ("page", "qr"))
def test_viewer_reads_but_changes_nothing(client, team, action):
    login(client, team.viewer)
    r = call(client, action, team)
    assert r.status_code == (200 if action in ("page", "qr") else 403)
    db.session.expire_all()
    assert db.session.get(Walk, team.walk.id).status == "planned"


@pytest.mark.parametrize("action", MANAGE)
def test_facilitator_cannot_schedule_edit_or_delete(client, team, action):
    login(client, team.facilitator)
    assert call(client, action, team).status_code == 403
    page = html(client.get(f"/planner/events/{team.walk.id}?lang=en"))
    assert "Open the walk" in page and "/edit" not in page


@pytest.mark.parametrize("action", MANAGE + FACILITATE + ("page", "qr"))
def test_planner_of_another_project_sees_nothing(client, team, action):
    login(client, team.outsider)
    assert call(client, action, team).status_code == 404


@pytest.mark.parametrize("action", MANAGE + FACILITATE + ("page", "qr"))
def test_no_session_goes_to_the_login_page(client, team, action):
    r = call(client, action, team)
    assert r.status_code == 302 and "/planner/login" in r.headers["Location"]


@pytest.mark.parametrize("who", ["admin", "planner"])
def test_admin_and_planner_manage_events(client, team, who):
    login(client, getattr(team, who))
    assert call(client, "edit_get", team).status_code == 200
    assert call(client, "new", team).status_code == 302
    assert call(client, "open", team).status_code == 302


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_open_needs_the_csrf_token(self, client, team):
        page = client.get("/planner/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/planner/login",
            data={"email": team.facilitator.email, "password": PASSWORD, "csrf_token": token},
        )
        walk_id = team.walk.id
        assert client.post(f"/planner/events/{walk_id}/open").status_code == 400
        db.session.expire_all()
        assert db.session.get(Walk, walk_id).status == "planned"
        page = html(client.get(f"/planner/events/{walk_id}"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = client.post(f"/planner/events/{walk_id}/open", data={"csrf_token": token})
        assert r.status_code == 302
        db.session.expire_all()
        assert db.session.get(Walk, walk_id).status == "open"


# --- The QR sheet ---------------------------------------------------------------------------


class TestQrSheet:
    @pytest.fixture
    def app_config(self):
        return {"BASE_URL": "https://marches.valenciennes-metropole.fr"}

    @pytest.mark.parametrize("lang", ["fr", "en"])
    def test_both_languages_whatever_the_page_language(self, client, team, lang):
        walk = team.walk
        walk.meeting_point = "Devant la médiathèque"
        walk.starts_at = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
        walk.ends_at = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
        db.session.commit()
        login(client, team.viewer)
        r = client.get(f"/planner/events/{walk.id}/qr?lang={lang}")
        page = html(r)
        assert r.status_code == 200
        assert f"https://marches.valenciennes-metropole.fr/j/{walk.join_code}" in page
        code = format_join_code(walk.join_code)
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        assert '<p class="code"' in page and f">{code}</p>" in page
        # French and English, each marked with its language, whatever the UI language.
        assert 'lang="fr"' in page and 'lang="en"' in page
        assert "Scannez le code QR" in page and "Scan the QR code" in page
        assert "Ou allez sur marches.valenciennes-metropole.fr et tapez le code" in page
        assert "Or go to marches.valenciennes-metropole.fr and type the code" in page
        assert "mardi 24 novembre 2026, 19:00 – 21:00" in page
        assert "Tuesday 24 November 2026, 7:00 PM – 9:00 PM" in page
        assert "Marche exploratoire" in page and "Exploratory walk" in page
        assert page.count("Devant la médiathèque") == 2
        # The QR code is an image from a data: URI (the CSP allows data: images, no inline script).
        assert re.search(r'<img class="qr" src="data:image/svg\+xml', page)
        assert "<script>" not in page and "planner/events-print.js" in page
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        with client.get("/static/planner/qr-sheet.css") as response:
            css = response.get_data(as_text=True)
        assert "@page { size: A4" in css and "@media print" in css

    def test_qr_code_decodes_to_the_join_url(self, client, team):
        zxingcpp = pytest.importorskip("zxingcpp")
        login(client, team.viewer)
        page = html(client.get(f"/planner/events/{team.walk.id}/qr"))
        src = re.search(r'<img class="qr" src="([^"]+)"', page).group(1)
        svg = urllib.parse.unquote(src.replace("&amp;", "&").split(",", 1)[1])
        results = zxingcpp.read_barcodes(rasterize_qr_svg(svg))
        url = f"https://marches.valenciennes-metropole.fr/j/{team.walk.join_code}"
        assert [r.text for r in results] == [url]


def rasterize_qr_svg(svg: str, scale: int = 8):
    """Draw segno's SVG (one stroked path of horizontal runs) into a PIL image."""
    from PIL import Image, ImageDraw

    size = int(re.search(r'width="(\d+)"', svg.replace("'", '"')).group(1))
    path = re.search(r'class=.qrline.[^>]*\bd=.([^"\']+)', svg).group(1)
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for op, args in re.findall(r"([MmHh])([-\d.\s]+)", path):
        numbers = [float(n) for n in args.split()]
        if op in "Mm":
            x, y = (numbers[0], numbers[1]) if op == "M" else (x + numbers[0], y + numbers[1])
        else:
            end = numbers[0] if op == "H" else x + numbers[0]
            row = int(y)
            draw.rectangle([x * scale, row * scale, end * scale - 1, (row + 1) * scale - 1], 0)
            x = end
    return image


# --- Escaping -------------------------------------------------------------------------------


def test_titles_and_notes_are_escaped_everywhere(client, team):
    walk = team.walk
    walk.title = XSS
    walk.meeting_point = XSS
    walk.group_description = XSS
    walk.stops[0].name = XSS
    walk.status = "open"
    db.session.add(StopNote(walk_id=walk.id, stop_id=walk.stops[0].id, text=XSS))
    db.session.commit()
    login(client, team.planner)
    for path in ("", "/qr", "/live", "/edit", "/proxy", "/delete"):
        page = html(client.get(f"/planner/events/{walk.id}{path}"))
        assert "<script>window.__pwned" not in page, path
        assert 'onerror="alert(1)"' not in page, path
    page = html(client.get(f"/planner/events/{walk.id}"))
    assert XSS_ESCAPED in page
    # The live page embeds its data as JSON that cannot close the script element.
    live = html(client.get(f"/planner/events/{walk.id}/live"))
    assert "\\u003cscript\\u003ewindow.__pwned" in live
    r = client.get(f"/planner/events/{walk.id}/live.json")
    assert r.mimetype == "application/json" and r.json["notes"][0]["text"] == XSS
