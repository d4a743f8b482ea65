"""The counter's phone in real Chromium (the browser tier: once, on SQLite).

A facilitator opens the count page online (the live view's service worker keeps it), goes
offline, reloads it from the worker, counts 10 people staying then 30 passing in two periods
(one extra tap taken back), back online the first request reaches the server but its answer is
lost, the phone sends again: every person is in the database once.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from walkapp.domain import vocabularies as v
from walkapp.domain.geo import perimeter_geometry
from walkapp.extensions import db
from walkapp.models import CountPeriod, CountRecord, Project, ProjectMember, User
from walkapp.services import zones as zones_service
from walkapp.unit_of_work import unit

DATA = Path(__file__).parents[1] / "data"
PASSWORD = "a-long-e2e-password"
EMAIL = "fatima@centre-social.fr"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-GB",
    "timezone_id": "Europe/Paris",
    "service_workers": "allow",
}
# A small square in the middle of Place du Canada, Valenciennes.
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [
            [3.5180, 50.3558],
            [3.5192, 50.3558],
            [3.5192, 50.3565],
            [3.5180, 50.3565],
            [3.5180, 50.3558],
        ]
    ],
}
ZONE = "Square Nord"


def make_world() -> tuple[int, int]:
    project = Project(
        name="Place du Canada",
        commune="Valenciennes",
        insee_code="59606",
        timezone="Europe/Paris",
        perimeter=perimeter_geometry(
            json.loads((DATA / "place-du-canada-perimeter.geojson").read_text())
        ),
    )
    user = User(
        email=EMAIL,
        name="Fatima",
        role="facilitator",
        password_hash=generate_password_hash(PASSWORD),
    )
    db.session.add_all([project, user])
    db.session.flush()
    db.session.add(ProjectMember(user_id=user.id, project_id=project.id, role="facilitator"))
    db.session.commit()
    with unit():
        zones_service.create_zone(project.id, ZONE, SQUARE, user_id=None)
    zone_id = zones_service.list_zones(project.id)[0].id
    return project.id, zone_id


def sign_in(page, url: str) -> None:
    page.goto(f"{url}/planner/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/planner/$"))


def gender(code: str) -> str:
    return {"female": "Women and girls", "male": "Men and boys", "unknown": "Undetermined"}[code]


def age(code: str) -> str:
    return {"0-14": "0–14", "15-24": "15–24", "25-64": "25–64", "65+": "65 and over"}[code]


def tap(page, g: str, a: str) -> None:
    page.get_by_role("button", name=f"{gender(g)}, {age(a)}", exact=True).click()
    page.get_by_role("status").filter(has_text=f"Counted: {gender(g)}, {age(a)}").wait_for()


def wait_db(check, timeout: float = 20.0, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {message}")


def start(page, kind_label: str, **fields) -> None:
    page.get_by_role("radio", name=re.compile("^" + kind_label)).check()
    if "line" in fields:
        page.get_by_label("Line or gate (optional)").fill(fields["line"])
    if "weather" in fields:
        page.get_by_label("Weather (optional)").select_option(fields["weather"])
    page.get_by_role("button", name="Start counting").click()
    page.locator("#screen-counting").wait_for(state="visible")


def count_staying(page) -> None:
    """10 people staying, in several postures, activities and groups; one extra taken back."""
    acts = v.ACTIVITIES.codes
    plan = [
        (v.POSTURES.codes[0], acts[0], v.GROUP_SIZES.codes[1], [("female", "25-64")] * 2),
        (
            v.POSTURES.codes[1],
            acts[3],
            v.GROUP_SIZES.codes[0],
            [("male", "65+"), ("female", "65+")],
        ),
        (v.POSTURES.codes[2], acts[5], v.GROUP_SIZES.codes[2], [("female", "0-14")] * 3),
        (
            v.POSTURES.codes[0],
            acts[6],
            v.GROUP_SIZES.codes[0],
            [("unknown", "15-24"), ("male", "25-64"), ("female", "15-24")],
        ),
    ]
    for posture, activity, group, people in plan:
        page.locator(f"input[name=posture][value='{posture}']").check()
        page.get_by_label("Activity").select_option(activity)
        page.locator(f"input[name=group_size][value='{group}']").check()
        for g, a in people:
            tap(page, g, a)
    # One tap too many, taken back before anything was sent (dropped from the queue).
    tap(page, "male", "0-14")
    assert page.locator("#total").inner_text() == "11"
    page.get_by_role("button", name="Undo the last").click()
    page.get_by_role("status").filter(has_text="Taken back: Men and boys, 0–14").wait_for()
    assert page.locator("#total").inner_text() == "10"
    button = page.get_by_role("button", name="Women and girls, 0–14", exact=True)
    assert button.locator(".tap-n").inner_text() == "3"


def count_passing(page) -> None:
    """30 people passing, in a few modes, in a period shorter than the protocol's 10 minutes."""
    start(page, "People passing", line="Entrée rue de Paris")
    modes = v.MOVING_MODES.codes
    for i in range(30):
        if i in (0, 20, 25):
            page.locator(f"input[name=mode][value='{modes[(i // 10) % len(modes)]}']").check()
        g = v.PERCEIVED_GENDERS.codes[i % 3]
        a = v.AGE_GROUPS.codes[i % 4]
        page.get_by_role("button", name=f"{gender(g)}, {age(a)}", exact=True).click()
    assert page.locator("#total").inner_text() == "30"
    page.get_by_role("button", name="End the period").click()
    page.get_by_text("Period ended in Square Nord (People passing): 30 counted").wait_for()


def lose_first_answer(seen: dict):
    """A route handler: the first sync request reaches the server, its answer is lost."""

    def handle(route):
        if seen["sync"] == 0:
            try:
                route.fetch()
            except Exception:  # still offline for this one: let it fail as it would
                route.abort()
                return
            seen["sync"] += 1
            route.abort()
        else:
            seen["sync"] += 1
            route.continue_()

    return handle


def check_database(project_id: int, zone_id: int) -> None:
    db.session.rollback()
    periods = db.session.scalars(
        sa.select(CountPeriod).where(CountPeriod.project_id == project_id)
    ).all()
    assert len(periods) == 2 and all(p.ended_at is not None for p in periods)
    assert all(p.zone_id == zone_id for p in periods)
    by_kind = {
        kind: n
        for kind, n in db.session.execute(
            sa.select(CountPeriod.kind, sa.func.count(CountRecord.id))
            .join(CountRecord, CountRecord.period_id == CountPeriod.id)
            .group_by(CountPeriod.kind)
        )
    }
    assert by_kind == {"staying": 10, "moving": 30}
    uuids = db.session.scalars(sa.select(CountRecord.uuid)).all()
    assert len(uuids) == len(set(uuids)) == 40
    staying = db.session.scalars(
        sa.select(CountRecord).join(CountPeriod).where(CountPeriod.kind == "staying")
    ).all()
    assert all(r.posture and r.activity and r.group_size and r.mode is None for r in staying)
    assert {r.activity for r in staying} == {v.ACTIVITIES.codes[i] for i in (0, 3, 5, 6)}
    assert not [r for r in staying if (r.gender, r.age_group) == ("male", "0-14")]  # the undo
    moving = [p for p in periods if p.kind == "moving"][0]
    assert moving.line == "Entrée rue de Paris"
    assert {p.weather for p in periods if p.kind == "staying"} == {v.WEATHER.codes[0]}


def test_count_offline_then_resend_after_a_lost_answer(app, live_server, browser):
    project_id, zone_id = make_world()
    url = live_server.url
    count_path = f"/planner/projects/{project_id}/count"
    phone = browser.new_context(**PHONE)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", on_dialog)
    sign_in(page, url)
    page.goto(url + count_path)
    page.get_by_role("heading", name=re.compile("Usage counts")).wait_for()
    assert page.locator("#zone").input_value() == str(zone_id)  # the only zone, chosen
    kept = """async (path) => {
        await navigator.serviceWorker.ready;
        return Boolean(await caches.match(path, {ignoreVary: true}));
    }"""
    deadline = time.monotonic() + 15
    while not page.evaluate(kept, count_path):
        assert time.monotonic() < deadline, "the service worker did not keep the count page"
        page.wait_for_timeout(100)

    phone.set_offline(True)
    page.reload()  # from the worker: the network is gone
    page.get_by_role("heading", name=re.compile("Usage counts")).wait_for()
    page.get_by_text("Offline: your counts are kept on this phone").wait_for()

    start(page, "People staying", weather=v.WEATHER.codes[0])
    # Every target of the counting screen is at least 48 px.
    for button in page.locator(".tap, .toggle span, #undo, #end").all():
        if button.is_visible():
            box = button.bounding_box()
            assert box["height"] >= 48 and box["width"] >= 48, box
    count_staying(page)
    # The period in progress survives a reload (offline, from the worker).
    page.reload()
    page.locator("#screen-counting").wait_for(state="visible")
    assert page.locator("#total").inner_text() == "10"
    page.get_by_role("button", name="End the period").click()
    page.get_by_text("Period ended in Square Nord (People staying): 10 counted").wait_for()

    count_passing(page)
    assert dialogs and "at least 10 minutes" in dialogs[0]  # warned, but allowed
    page.get_by_text("40 people waiting to be sent").wait_for()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CountRecord.id))) == 0

    # Back online: the first request reaches the server, its answer is lost; the phone resends.
    seen = {"sync": 0}
    phone.route(f"**/planner/projects/{project_id}/counts/sync", lose_first_answer(seen))
    phone.set_offline(False)
    page.get_by_text("Everything is sent.").wait_for(timeout=30_000)
    assert seen["sync"] >= 2, seen  # the lost answer, then the resend

    check_database(project_id, zone_id)

    # The zone's page: 10 people staying and 30 passing, in the whole-zone tables.
    page.goto(f"{url}/planner/projects/{project_id}/zones/{zone_id}")
    for kind, n in (("staying", 10), ("moving", 30)):
        table = page.locator(f'table[data-slot="all"][data-kind="{kind}"]')
        total = table.locator('tr[data-gender="total"] td[data-age="total"]')
        assert total.get_attribute("data-n") == str(n), kind

    # Online, a tap already sent and then taken back: the phone asks the server to delete it.
    page.goto(url + count_path)
    start(page, "People staying")
    tap(page, "female", "25-64")
    page.get_by_text("Everything is sent.").wait_for()
    wait_db(
        lambda: db.session.scalar(sa.select(sa.func.count(CountRecord.id))) == 41,
        message="the online tap",
    )
    page.get_by_role("button", name="Undo the last").click()
    page.get_by_text("Everything is sent.").wait_for()
    wait_db(
        lambda: db.session.scalar(sa.select(sa.func.count(CountRecord.id))) == 40,
        message="the undo on the server",
    )
    assert not errors, errors
    phone.close()
