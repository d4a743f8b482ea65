"""The planner's whole flow in real Chromium (the browser tier: once, on SQLite):

log in -> create the project by uploading its perimeter -> schedule a walk (one stop typed, one
placed on the map) -> open it -> print its QR sheet, decode the QR code from the rendered image
and follow it to the participant join page -> the facilitator's phone opens the live view, goes
offline, reloads it from the service worker, counts attendance and notes a remark -> back online,
everything arrives in the database.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from e2e.conftest import PHONE
from werkzeug.security import generate_password_hash

from walkapp.domain.join_codes import format_join_code
from walkapp.extensions import db, utcnow
from walkapp.models import Attendance, Project, ProjectMember, StopNote, User, Walk

DATA = Path(__file__).parents[1] / "data"
PASSWORD = "a-long-e2e-password"
TITLE = "Marche de nuit, place du Canada"
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
DESKTOP = {
    "viewport": {"width": 1280, "height": 900},
    "locale": "en-GB",
    "timezone_id": "Europe/Paris",
}
# The participant app's phone, in English so that the test reads the English labels.
FACILITATOR_PHONE = {**PHONE, "locale": "en-GB"}


def add_user(email: str, name: str, role: str) -> None:
    user = User(email=email, name=name, role=role, password_hash=generate_password_hash(PASSWORD))
    db.session.add(user)
    db.session.commit()


def wait_for(check, timeout: float = 20.0, message: str = "condition"):
    """Poll `check` (in the app's database) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each time (PostgreSQL)
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {message}")


def test_plan_print_join_and_count_offline(app, live_server, browser):
    add_user("paula@valenciennes-metropole.fr", "Paula", "planner")
    add_user("fatima@centre-social.fr", "Fatima", "facilitator")
    url = live_server.url
    started = time.monotonic()
    desk = browser.new_context(**DESKTOP)
    page = desk.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, url, "paula@valenciennes-metropole.fr")
    project_id = create_project(page, url)
    walk = schedule_and_open(page, url, project_id)
    decoded = print_and_decode(page, url, walk)
    assert decoded == f"{url}/j/{walk.join_code}"
    page.goto(decoded)
    page.get_by_text(TITLE).first.wait_for(state="visible")
    add_spot_with_a_hostile_comment(desk, url, walk)
    assert not errors, errors
    desk.close()
    count_offline(browser, url, walk)
    print(f"planner e2e flow: {time.monotonic() - started:.1f} s")


# --- Steps --------------------------------------------------------------------------------------


def login(page, url: str, email: str) -> None:
    page.goto(f"{url}/planner/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/planner/$"))


def create_project(page, url: str) -> int:
    page.goto(f"{url}/planner/projects/new")
    page.get_by_label("Name of the project").fill("Place du Canada")
    page.get_by_label("Commune", exact=True).fill("Valenciennes")
    page.get_by_label("INSEE code of the commune").fill("59606")
    page.get_by_label("GeoJSON file of the perimeter").set_input_files(
        DATA / "place-du-canada-perimeter.geojson"
    )
    page.get_by_role("button", name="Create the project").click()
    page.wait_for_url(re.compile(r"/planner/projects/\d+$"))
    project_id = int(page.url.rsplit("/", 1)[1])
    project = db.session.get(Project, project_id)
    assert project.perimeter["type"] in ("Polygon", "MultiPolygon")
    # The facilitator joins the project (the admin pages do this; not what this test is about).
    fatima = db.session.scalar(sa.select(User).where(User.name == "Fatima"))
    db.session.add(ProjectMember(user_id=fatima.id, project_id=project_id, role="facilitator"))
    db.session.commit()
    return project_id


def schedule_and_open(page, url: str, project_id: int) -> Walk:
    page.goto(f"{url}/planner/projects/{project_id}/events/new")
    now = datetime.now(ZoneInfo("Europe/Paris")).replace(second=0, microsecond=0)
    page.get_by_label("Kind of event").select_option(label="Exploratory walk")
    page.get_by_label("Group", exact=True).select_option(label="Women's group")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Start", exact=True).fill(now.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("End", exact=True).fill((now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Meeting point").fill("Devant la médiathèque")
    page.get_by_label("Facilitator", exact=True).select_option(label="Fatima")
    page.get_by_label("Name of stop 1").fill("Entrée nord")
    page.get_by_label("Latitude of stop 1").fill("50.3566")
    page.get_by_label("Longitude of stop 1").fill("3.5185")
    # Stop 2 is placed by tapping the map (Leaflet, served by the app) in the perimeter's middle.
    page.get_by_role("region", name=re.compile("Map of the route")).click()
    lat = page.get_by_label("Latitude of stop 2")
    page.wait_for_function("el => el.value !== ''", arg=lat.element_handle())
    page.get_by_label("Name of stop 2").fill("Centre de la place")
    page.get_by_role("button", name="Schedule the event").click()
    page.wait_for_url(re.compile(r"/planner/events/\d+$"))
    walk_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_role("button", name="Open the walk").click()
    page.get_by_text("The event is open: people can join.").wait_for()
    walk = db.session.get(Walk, walk_id)
    assert walk.status == "open" and walk.facilitator.name == "Fatima"
    assert [s.name for s in walk.stops] == ["Entrée nord", "Centre de la place"]
    assert 50.35 < walk.stops[1].lat < 50.36 and 3.51 < walk.stops[1].lon < 3.53
    return walk


def print_and_decode(page, url: str, walk: Walk) -> str:
    import zxingcpp
    from PIL import Image

    page.get_by_role("link", name="QR code sheet to print").click()
    page.wait_for_url(re.compile(r"/qr$"))
    code = format_join_code(walk.join_code)
    assert page.locator("p.code").inner_text() == code
    page.get_by_text("Scannez le code QR").wait_for()
    page.get_by_text("Scan the QR code").wait_for()
    assert page.get_by_role("button", name="Print").is_visible()
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Print").is_visible()  # the toolbar stays home
    image = page.get_by_role("img", name=re.compile("QR code to join the walk"))
    shot = Image.open(io.BytesIO(image.screenshot()))
    page.emulate_media(media="screen")
    results = zxingcpp.read_barcodes(shot)
    assert len(results) == 1, results
    return results[0].text


def add_spot_with_a_hostile_comment(context, url: str, walk: Walk) -> None:
    joined = context.request.post(
        f"{url}/api/v1/walks/{walk.join_code}/participants", data={"consent": True}
    )
    assert joined.status == 201
    spot = context.request.post(
        f"{url}/api/v1/observations",
        headers={"Authorization": f"Bearer {joined.json()['token']}"},
        data={
            "id": str(uuid.uuid4()),
            "lat": 50.3561,
            "lon": 3.5187,
            "recorded_at": utcnow().isoformat(),
            "category": "lighting",
            "feeling": 1,
            "comment": XSS,
        },
    )
    assert spot.status == 201, spot.text()


def count_offline(browser, url: str, walk: Walk) -> None:
    phone = browser.new_context(**FACILITATOR_PHONE)
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, url, "fatima@centre-social.fr")
    live_path = f"/planner/events/{walk.id}/live"
    page.goto(url + live_path)
    page.get_by_role("heading", name=TITLE).wait_for()
    # The spot arrived, its comment shown as text (never run as HTML).
    page.locator("#spots").get_by_text("<script>window.__pwned=1</script>", exact=False).wait_for()
    assert page.evaluate("window.__pwned") is None
    # The service worker has kept the page and its data for offline use.
    kept = """async (paths) => {
        await navigator.serviceWorker.ready;
        for (const p of paths) if (!(await caches.match(p, {ignoreVary: true}))) return false;
        return true;
    }"""
    deadline = time.monotonic() + 15
    while not page.evaluate(kept, [live_path, live_path + ".json"]):
        assert time.monotonic() < deadline, "the service worker did not keep the live page"
        page.wait_for_timeout(100)

    phone.set_offline(True)
    page.reload()
    page.get_by_role("heading", name=TITLE).wait_for()
    page.get_by_text("Offline: your counts are kept on this phone").wait_for()
    plus = page.get_by_role("button", name="Add one: Woman, 25 to 44")
    for _ in range(3):
        plus.click()
    page.get_by_role("button", name="Remove one: Woman, 25 to 44").click()
    page.get_by_role("button", name="Add one: Man, 65 and over").click()
    assert page.get_by_role("status", name="Woman, 25 to 44").inner_text() == "2"
    page.get_by_label("Stop", exact=True).select_option(label="2. Centre de la place")
    page.get_by_label("The group's remark").fill("Trop sombre près des bancs")
    page.get_by_role("button", name="Add the note").click()
    page.get_by_text("Note kept: it will be sent when the phone is back online.").wait_for()
    page.get_by_text("3 changes waiting to be sent").wait_for()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0

    phone.set_offline(False)  # fires `online`: the page sends what it kept
    counts = wait_for(
        lambda: (
            {
                (a.gender, a.age_band): a.count
                for a in db.session.scalars(
                    sa.select(Attendance).where(Attendance.walk_id == walk.id)
                )
            }
            if db.session.scalar(sa.select(sa.func.count(StopNote.id)))
            else None
        ),
        message="the counts and the note",
    )
    assert counts == {("woman", "25_44"): 2, ("man", "65_plus"): 1}
    note = db.session.scalar(sa.select(StopNote))
    assert note.text == "Trop sombre près des bancs" and note.stop.name == "Centre de la place"
    page.get_by_text("Everything is sent.").wait_for()
    assert not errors, errors
    phone.close()
