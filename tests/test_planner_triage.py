"""Observation triage, moderation and the photo gallery of the planner workspace."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import DATA
from flask_babel import refresh
from planner_users import PASSWORD, login, make_user

from walkapp.extensions import db
from walkapp.models import AuditEvent, Observation, Participant, User, Walk
from walkapp.services import capture, spot_references
from walkapp.services.photo_store import PhotoStore
from walkapp.services.triage import BadCursor, Cursor

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # a November evening in Valenciennes

ROW_ID = re.compile(r'<tr id="obs-(\d+)"')
PHOTO_ID = re.compile(r'<li id="photo-(\d+)"')
LINK = re.compile(r'<a href="([^"]+)" rel="(next|prev)"')
TOTAL = re.compile(r'data-total="(\d+)"')


# --- Helpers --------------------------------------------------------------------------------


def add_participant(walk: Walk) -> Participant:
    participant = Participant(
        walk_id=walk.id,
        token_hash=secrets.token_hex(32),
        erasure_code_hash=secrets.token_hex(32),
        consent_at=T0,
        consent_version="test",
    )
    db.session.add(participant)
    db.session.flush()
    return participant


def add_spot(participant: Participant, minutes: float, **fields) -> Observation:
    """A spot `minutes` after T0 (a hand-made row: every field is chosen by the test)."""
    at = T0 + timedelta(minutes=minutes)
    values = {
        "category": "lighting",
        "feeling": 3,
        "light_condition": "night",
        "lat": 50.3561,
        "lon": 3.5187,
        "comment": None,
        **fields,
    }
    obs = Observation(
        uuid=uuid.uuid4(),
        participant_id=participant.id,
        walk_id=participant.walk_id,
        recorded_at=at,
        utc_offset_minutes=60,
        local_date=at.date(),
        time_slot="weekday_evening",
        **values,
    )
    db.session.add(obs)
    db.session.flush()
    return obs


def add_photo(app, obs: Observation, name: str = "day-path.jpg") -> int:
    participant = db.session.get(Participant, obs.participant_id)
    store = PhotoStore(app.config["PHOTO_DIR"])
    photo, _ = capture.add_photo(participant, obs.uuid, (DATA / name).read_bytes(), store)
    return photo.id


def row_ids(html: str) -> list[int]:
    return [int(i) for i in ROW_ID.findall(html)]


def links(html: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in LINK.findall(html)}


def triage_url(project_id: int) -> str:
    return f"/planner/projects/{project_id}/observations"


def fetch(client, url, **kwargs):
    """GET a photo and close the response (send_file streams from an open file)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


@dataclass
class World:
    project_id: int
    walk_a: Walk
    walk_b: Walk
    planner: User
    spots: dict[str, Observation]


@pytest.fixture
def world(app, make_walk) -> World:
    """A project with two events and a hand-made set of spots, each with a name."""
    walk_a = make_walk(title="Marche de nuit")
    walk_b = Walk(
        project_id=walk_a.project_id,
        kind="appropriation_survey",
        audience="mixed",
        title="Enquête après travaux",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=2),
        join_code="TESTB" + secrets.token_hex(2).upper(),
        status="open",
    )
    db.session.add(walk_b)
    db.session.flush()
    planner = make_user("planner@x.fr", projects=[walk_a.project_id])
    facilitator = make_user(
        "anim@x.fr", role="facilitator", projects=[walk_a.project_id], name="anim"
    )
    alice, bob = add_participant(walk_a), add_participant(walk_b)
    stop = walk_a.stops[0]
    spots = {
        "dark": add_spot(alice, 1, category="lighting", feeling=1, stop_id=stop.id),
        "paper": add_spot(alice, 2, category="lighting", feeling=2, entered_by_id=facilitator.id),
        "harassed": add_spot(
            alice, 3, category="harassment", feeling=1, light_condition="twilight"
        ),
        "corner": add_spot(bob, 4, category="visibility", feeling=4, light_condition="day"),
        "bench": add_spot(bob, 5, category="good_place", feeling=5, light_condition="day"),
        "named": add_spot(
            bob,
            6,
            category="harassment",
            feeling=2,
            comment="M. Dupont du 3e",
            hidden_at=T0,
            hidden_reason="names a person",
            hidden_by_id=planner.id,
        ),
    }
    db.session.commit()
    add_photo(app, spots["dark"])
    add_photo(app, spots["bench"])
    db.session.commit()
    return World(walk_a.project_id, walk_a, walk_b, planner, spots)


def names(world: World, html: str) -> set[str]:
    by_id = {obs.id: name for name, obs in world.spots.items()}
    return {by_id[i] for i in row_ids(html)}


# --- Filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, {"dark", "paper", "harassed", "corner", "bench"}),
        ({"event": "A"}, {"dark", "paper", "harassed"}),
        ({"event": "B"}, {"corner", "bench"}),
        ({"category": "lighting"}, {"dark", "paper"}),
        ({"category": ["harassment", "visibility"]}, {"harassed", "corner"}),
        ({"feeling": ["1", "2"]}, {"dark", "paper", "harassed"}),
        ({"feeling": "5"}, {"bench"}),
        ({"light": "night"}, {"dark", "paper"}),
        ({"light": ["day", "twilight"]}, {"harassed", "corner", "bench"}),
        ({"photo": "yes"}, {"dark", "bench"}),
        ({"photo": "no"}, {"paper", "harassed", "corner"}),
        ({"facilitator": "yes"}, {"paper"}),
        ({"facilitator": "no"}, {"dark", "harassed", "corner", "bench"}),
        ({"hidden": "include"}, {"dark", "paper", "harassed", "corner", "bench", "named"}),
        ({"hidden": "only"}, {"named"}),
        ({"category": "harassment", "hidden": "include"}, {"harassed", "named"}),
        ({"event": "A", "feeling": ["1", "2"], "light": "night", "photo": "no"}, {"paper"}),
        (
            {"category": "not-a-category", "feeling": "9"},
            {"dark", "paper", "harassed", "corner", "bench"},
        ),
    ],
)
def test_each_filter_narrows_the_table(client, world, query, expected):
    events = {"A": str(world.walk_a.id), "B": str(world.walk_b.id)}
    if "event" in query:
        query = {**query, "event": events[query["event"]]}
    login(client, world.planner)
    r = client.get(triage_url(world.project_id), query_string=query)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert names(world, html) == expected
    assert TOTAL.search(html)[1] == str(len(expected))


def test_an_event_of_another_project_matches_nothing(client, world, make_walk):
    elsewhere = make_walk()
    add_spot(add_participant(elsewhere), 1)
    db.session.commit()
    login(client, world.planner)
    html = client.get(triage_url(world.project_id), query_string={"event": elsewhere.id}).text
    assert row_ids(html) == [] and TOTAL.search(html)[1] == "0"


def test_the_table_shows_each_column(client, world):
    login(client, world.planner)
    html = client.get(triage_url(world.project_id), query_string={"hidden": "include"}).text
    assert "<caption>" in html and '<th scope="col">' in html and '<th scope="row">' in html
    assert "Marche de nuit" in html and "Enquête après travaux" in html
    assert (
        "Éclairage" in html and "Très mal à l&#39;aise" in html and "Nuit" in html
    )  # French first
    assert "Arrêt 1" in html  # the stop of "dark"
    assert "20/11/2026 19:01" in html  # 18:01 UTC shown in Europe/Paris
    assert 'class="mark mark-entered"' in html and "(anim)" in html
    assert 'class="mark mark-hidden"' in html and "names a person" in html
    assert html.count('loading="lazy"') == 2  # one thumbnail for "dark", one for "bench"


def test_rows_are_newest_first(client, world):
    login(client, world.planner)
    ids = row_ids(client.get(triage_url(world.project_id)).text)
    spots = {obs.id: obs for obs in world.spots.values()}
    times = [spots[i].recorded_at for i in ids]
    assert times == sorted(times, reverse=True)


# --- Keyset paging --------------------------------------------------------------------------


@pytest.fixture
def many(app, make_walk):
    """130 spots over two events, in runs of 7 sharing the same second (ties cross pages)."""
    walk = make_walk()
    other = make_walk()  # another project's spots never show
    planner = make_user("pager@x.fr", projects=[walk.project_id])
    people = [add_participant(walk) for _ in range(3)]
    outsider = add_participant(other)
    spots = [add_spot(people[i % 3], (i // 7) * 1.0, feeling=1 + i % 5) for i in range(130)]
    for i in range(20):
        add_spot(outsider, i * 0.5)
    db.session.commit()
    order = sorted(spots, key=lambda o: (o.recorded_at, o.id), reverse=True)
    return walk.project_id, planner, [o.id for o in order]


def test_keyset_paging_visits_every_row_once_forward_and_backward(client, many):
    project_id, planner, expected = many
    login(client, planner)
    pages, url = [], triage_url(project_id)
    while url:
        r = client.get(url)
        assert r.status_code == 200
        html = r.text
        assert TOTAL.search(html)[1] == "130"
        pages.append(row_ids(html))
        url = links(html).get("next")
        assert "OFFSET" not in (url or "") and "page=" not in (url or "")
    assert [len(p) for p in pages] == [50, 50, 30]
    assert [i for page in pages for i in page] == expected
    assert "prev" not in links(client.get(triage_url(project_id)).text)

    back = [pages[-1]]
    url = links(client.get(f"{triage_url(project_id)}?{_last_query(client, project_id)}").text)[
        "prev"
    ]
    while url:
        html = client.get(url).text
        back.append(row_ids(html))
        url = links(html).get("prev")
    assert back[::-1] == pages


def _last_query(client, project_id) -> str:
    """The query string of the last page, reached by following "next"."""
    url = triage_url(project_id)
    while True:
        nxt = links(client.get(url).text).get("next")
        if nxt is None:
            return url.partition("?")[2]
        url = nxt


def test_paging_keeps_the_filters(client, many):
    project_id, planner, expected = many
    login(client, planner)
    spots = {o.id: o for o in db.session.scalars(sa.select(Observation))}
    wanted = [i for i in expected if spots[i].feeling <= 2]
    seen, url = [], triage_url(project_id) + "?feeling=1&feeling=2"
    while url:
        html = client.get(url).text
        assert TOTAL.search(html)[1] == str(len(wanted))
        seen += row_ids(html)
        url = links(html).get("next")
        assert url is None or "feeling=1&feeling=2" in url
    assert seen == wanted


@pytest.mark.parametrize(
    "query",
    [
        "after=nonsense",
        "after=20261120T180000Z_1",
        "after=20261332T180000.000000Z_1",
        "after=20261120T180000.000000Z_0",
        "after=20261120T180000.000000Z_-1",
        "before=20261120T180000.000000Z_1%0A",
        "after=20261120T180000.000000Z_1&before=20261120T180000.000000Z_2",
        "after=２0261120T180000.000000Z_1",
    ],
)
def test_a_bad_cursor_is_a_400_page(client, world, query):
    login(client, world.planner)
    assert client.get(f"{triage_url(world.project_id)}?{query}").status_code == 400
    assert client.get(f"/planner/projects/{world.project_id}/photos?{query}").status_code == 400


def test_cursor_round_trip_and_strict_parse():
    cursor = Cursor(datetime(2026, 11, 20, 18, 0, 1, 250, tzinfo=UTC), 42)
    assert cursor.encode() == "20261120T180001.000250Z_42"
    assert Cursor.parse(cursor.encode()) == cursor
    for text in ("", "20261120T180001.000250Z_42 ", "20261120T180001.000250Z_042", "x_1"):
        with pytest.raises(BadCursor):
            Cursor.parse(text)


# --- Who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "facilitator"])
def test_viewer_and_facilitator_read_but_cannot_hide(client, world, role):
    user = make_user(f"{role}-2@x.fr", role=role, projects=[world.project_id])
    login(client, user)
    r = client.get(triage_url(world.project_id))
    assert r.status_code == 200 and len(row_ids(r.text)) == 5
    assert "/hide" not in r.text and "/unhide" not in r.text
    target = world.spots["dark"]
    r = client.post(f"{triage_url(world.project_id)}/{target.id}/hide", data={"reason": "x"})
    assert r.status_code == 403
    r = client.post(f"{triage_url(world.project_id)}/{world.spots['named'].id}/unhide")
    assert r.status_code == 403
    db.session.refresh(target)
    assert target.hidden_at is None


def test_planner_of_another_project_gets_404(client, world, make_walk):
    elsewhere = make_walk()
    stranger = make_user("stranger@x.fr", projects=[elsewhere.project_id])
    login(client, stranger)
    assert client.get(triage_url(world.project_id)).status_code == 404
    assert client.get(f"/planner/projects/{world.project_id}/photos").status_code == 404
    target = world.spots["dark"].id
    r = client.post(f"{triage_url(world.project_id)}/{target}/hide", data={"reason": "x"})
    assert r.status_code == 404
    # Nor through the stranger's own project: the spot is not one of theirs.
    r = client.post(f"{triage_url(elsewhere.project_id)}/{target}/hide", data={"reason": "x"})
    assert r.status_code == 404
    assert db.session.get(Observation, target).hidden_at is None


def test_pages_need_a_session(client, world):
    r = client.get(triage_url(world.project_id))
    assert r.status_code == 302 and "/planner/login" in r.headers["Location"]


# --- Hiding and showing again ---------------------------------------------------------------


def geojson_ids(client, project_id: int) -> set[str]:
    """The export's feature ids: the spots' references (S001...)."""
    r = client.get(f"/api/v1/projects/{project_id}/observations.geojson")
    assert r.status_code == 200
    return {f["id"] for f in r.json["features"]}


def test_hiding_keeps_the_row_with_its_reason_and_unhide_brings_it_back(client, world):
    login(client, world.planner)
    target = world.spots["harassed"]
    target_id = target.id
    shown_ids = geojson_ids(client, world.project_id)  # the export hands out the references
    target_ref = spot_references.labels(world.project_id, [target_id])[target_id]  # "S003"
    assert target_ref in shown_ids
    page = f"{triage_url(world.project_id)}?category=harassment"

    r = client.post(
        f"{triage_url(world.project_id)}/{target_id}/hide",
        data={"reason": "  Names   a neighbour ", "next": page},
    )
    assert r.status_code == 303 and r.headers["Location"].endswith(page)
    db.session.expire_all()
    stored = db.session.get(Observation, target_id)
    assert stored is not None and stored.hidden_at is not None
    assert stored.hidden_reason == "Names a neighbour" and stored.hidden_by_id == world.planner.id
    assert target_ref not in geojson_ids(client, world.project_id)
    assert target_id not in row_ids(client.get(triage_url(world.project_id)).text)
    shown = client.get(triage_url(world.project_id), query_string={"hidden": "only"}).text
    assert target_id in row_ids(shown) and "Names a neighbour" in shown

    r = client.post(f"{triage_url(world.project_id)}/{target_id}/unhide", data={"next": page})
    assert r.status_code == 303
    db.session.expire_all()
    stored = db.session.get(Observation, target_id)
    assert (stored.hidden_at, stored.hidden_reason, stored.hidden_by_id) == (None, None, None)
    assert target_ref in geojson_ids(client, world.project_id)
    assert target_id in row_ids(client.get(triage_url(world.project_id)).text)

    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target_id == str(target_id)).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.target_type, e.user_id, e.project_id) for e in events] == [
        ("hide", "observation", world.planner.id, world.project_id),
        ("unhide", "observation", world.planner.id, world.project_id),
    ]
    assert events[0].details["reason"] == "Names a neighbour"
    assert events[1].details["reason"] == "Names a neighbour"  # the log keeps what was cleared


def test_hiding_needs_a_reason_and_twice_changes_nothing(client, world):
    login(client, world.planner)
    target = world.spots["dark"]
    url = f"{triage_url(world.project_id)}/{target.id}"
    assert client.post(f"{url}/hide", data={"reason": "   "}).status_code == 303
    assert client.post(f"{url}/unhide").status_code == 303  # not hidden: nothing to do
    db.session.expire_all()
    assert db.session.get(Observation, target.id).hidden_at is None
    assert client.post(f"{url}/hide", data={"reason": "x" * 501}).status_code == 303
    assert client.post(f"{url}/hide", data={"reason": "once"}).status_code == 303
    assert client.post(f"{url}/hide", data={"reason": "twice"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Observation, target.id).hidden_reason == "once"
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions == ["hide"]
    assert client.post(f"{triage_url(world.project_id)}/999999/hide").status_code == 404


def test_after_hiding_the_redirect_stays_on_the_triage_page(client, world):
    login(client, world.planner)
    url = f"{triage_url(world.project_id)}/{world.spots['dark'].id}/hide"
    for evil in ("https://evil.example/", "//evil.example/x", "/planner/", "/\\evil.example"):
        r = client.post(url, data={"reason": "r", "next": evil})
        assert r.headers["Location"] == triage_url(world.project_id)
        client.post(url.replace("/hide", "/unhide"))


def test_a_hostile_comment_and_reason_are_escaped(client, world):
    hostile = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'
    obs = world.spots["corner"]
    obs.comment = hostile
    world.spots["named"].hidden_reason = hostile
    db.session.commit()
    login(client, world.planner)
    html = client.get(triage_url(world.project_id), query_string={"hidden": "include"}).text
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    escaped = (
        "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"
    )
    assert html.count(escaped) == 2  # the comment and the hiding reason


# --- Gallery --------------------------------------------------------------------------------


def test_gallery_shows_thumbnails_of_visible_spots_only(app, client, world, make_walk):
    hidden_photo = add_photo(app, world.spots["named"])
    db.session.commit()
    login(client, world.planner)
    # Hidden spots' photos never show in the gallery, whatever the query string says.
    r = client.get(f"/planner/projects/{world.project_id}/photos", query_string={"hidden": "only"})
    html = r.text
    assert r.status_code == 200
    shown = [int(i) for i in PHOTO_ID.findall(html)]
    assert len(shown) == 2 and hidden_photo not in shown
    assert TOTAL.search(html)[1] == "2"
    assert html.count('loading="lazy"') == 2
    assert 'alt="Éclairage, 20/11/2026 19:01"' in html  # category and time
    # A thumbnail opens the photo's viewer (its spot's context), which links to the full photo.
    viewer = f"/planner/projects/{world.project_id}/photos/{shown[1]}"
    assert f'href="{viewer}?hidden=only"' in html  # the address's filter, kept as it came
    assert f'href="/api/v1/photos/{shown[1]}"' in client.get(viewer).text

    r = client.get(
        f"/planner/projects/{world.project_id}/photos",
        query_string={"category": "good_place", "event": world.walk_b.id},
    )
    assert len(PHOTO_ID.findall(r.text)) == 1
    r = client.get(
        f"/planner/projects/{world.project_id}/photos",
        query_string={"category": "lighting", "event": world.walk_b.id},
    )
    assert PHOTO_ID.findall(r.text) == []

    for photo_id in shown:
        assert fetch(client, f"/api/v1/photos/{photo_id}").status_code == 200
        assert fetch(client, f"/api/v1/photos/{photo_id}/thumbnail").status_code == 200
    elsewhere = make_walk()
    login(client, make_user("outsider@x.fr", projects=[elsewhere.project_id]))
    for photo_id in shown:
        assert fetch(client, f"/api/v1/photos/{photo_id}").status_code == 404
        assert fetch(client, f"/api/v1/photos/{photo_id}/thumbnail").status_code == 404
    client.post("/planner/logout")
    assert fetch(client, f"/api/v1/photos/{shown[0]}").status_code == 404


def test_gallery_pages_by_keyset(app, client, world):
    alice = db.session.get(Participant, world.spots["dark"].participant_id)
    spots = [add_spot(alice, 10 + i // 3, category="seating") for i in range(60)]
    db.session.commit()
    for obs in spots:
        add_photo(app, obs)  # one file, stored once, used by every spot
    db.session.commit()
    login(client, world.planner)
    seen, url = [], f"/planner/projects/{world.project_id}/photos?category=seating"
    while url:
        html = client.get(url).text
        assert TOTAL.search(html)[1] == "60"
        seen += [int(i) for i in PHOTO_ID.findall(html)]
        url = links(html).get("next")
    assert len(seen) == len(set(seen)) == 60


# --- The gallery's photo viewer -----------------------------------------------------------

VIEWER_LINK = re.compile(r'<a href="([^"]+)" rel="(next|prev)"')


def viewer_url(world: World, photo_id: int) -> str:
    return f"/planner/projects/{world.project_id}/photos/{photo_id}"


def viewer_links(html: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in VIEWER_LINK.findall(html)}


def photo_of(href: str) -> int:
    return int(re.search(r"/photos/(\d+)", href)[1])


@pytest.fixture
def viewer_world(app, world) -> dict[str, int]:
    """Photos on bench (walk B, 19:05), corner (walk B, 19:04, a hostile comment), dark (walk
    A, 19:01, at stop 1) and on the hidden spot "named": the gallery shows the first three."""
    photos = {
        "bench": db.session.get(Observation, world.spots["bench"].id).photos[0].id,
        "dark": db.session.get(Observation, world.spots["dark"].id).photos[0].id,
    }
    photos["corner"] = add_photo(app, world.spots["corner"], "lamp.png")
    photos["named"] = add_photo(app, world.spots["named"])
    world.spots["corner"].comment = '<script>window.__pwned=1</script>Dark "corner" & bins'
    db.session.commit()
    return photos


def test_viewer_shows_the_spots_context_and_escapes_its_comment(client, world, viewer_world):
    login(client, world.planner)
    r = client.get(viewer_url(world, viewer_world["corner"]))
    assert r.status_code == 200
    html = r.text
    assert "<h1>Visibilité · 20/11/2026 19:04</h1>" in html
    assert 'data-field="feeling"><span class="feeling feeling-4">4</span> Plutôt bien' in html
    assert "Enquête après travaux" in html  # its walk
    assert 'data-field="stop"' not in html  # no stop for this spot
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;Dark &#34;corner&#34; &amp; bins" in html
    assert f'src="/api/v1/photos/{viewer_world["corner"]}"' in html
    assert 'data-position="2" data-total="3"' in html
    # A spot at a stop shows it; the position in the page's language (5 decimals).
    html = client.get(viewer_url(world, viewer_world["dark"])).text
    assert 'data-field="stop">1. Arrêt 1</dd>' in html
    position = re.search(r'data-field="position">([^<]+)<', html)[1]
    assert "50,35610" in position and "3,51870" in position and "50.3561" not in position
    refresh()  # Babel keeps the locale in the app context the test shares with its requests
    html = client.get(viewer_url(world, viewer_world["dark"]), query_string={"lang": "en"}).text
    position = re.search(r'data-field="position">([^<]+)<', html)[1]
    assert position == "lat. 50.35610, long. 3.51870", position


def test_viewer_previous_and_next_follow_the_gallery_and_keep_its_filter(
    client, world, viewer_world
):
    login(client, world.planner)
    gallery = client.get(f"/planner/projects/{world.project_id}/photos").text
    order = [int(i) for i in PHOTO_ID.findall(gallery)]
    assert order == [viewer_world[n] for n in ("bench", "corner", "dark")]
    # Each thumbnail opens its viewer, not the bare file.
    assert f'href="/planner/projects/{world.project_id}/photos/{order[0]}"' in gallery

    seen, url = [], viewer_url(world, order[0])
    while url:
        html = client.get(url).text
        seen.append(photo_of(url))
        found = viewer_links(html)
        if len(seen) > 1:
            assert photo_of(found["prev"]) == seen[-2]  # back to the newer one
        else:
            assert "prev" not in found
        url = found.get("next")
    assert seen == order

    # The filter (walk B only) narrows previous/next and is kept by every link.
    query = {"event": world.walk_b.id}
    gallery = client.get(f"/planner/projects/{world.project_id}/photos", query_string=query)
    thumb_link = f"/planner/projects/{world.project_id}/photos/{viewer_world['bench']}"
    assert f'href="{thumb_link}?event={world.walk_b.id}"' in gallery.text
    html = client.get(viewer_url(world, viewer_world["corner"]), query_string=query).text
    found = viewer_links(html)
    assert "next" not in found  # dark is in walk A: out of this filter
    assert found["prev"].endswith(f"/photos/{viewer_world['bench']}?event={world.walk_b.id}")
    assert 'data-position="2" data-total="2"' in html
    back = re.search(r'<a href="([^"]+)" data-key="Escape"', html)[1].replace("&amp;", "&")
    assert f"event={world.walk_b.id}" in back and back.endswith(f"#photo-{viewer_world['corner']}")
    # The way back opens the gallery page that starts with this photo.
    page = client.get(back.split("#")[0]).text
    assert [int(i) for i in PHOTO_ID.findall(page)][0] == viewer_world["corner"]


def test_viewer_is_404_outside_the_gallery(client, world, viewer_world, make_walk, app):
    login(client, world.planner)
    # A hidden spot's photo, whatever the address says.
    for query in ({}, {"hidden": "include"}, {"hidden": "only"}):
        r = client.get(viewer_url(world, viewer_world["named"]), query_string=query)
        assert r.status_code == 404
    # A photo the filter leaves out.
    r = client.get(viewer_url(world, viewer_world["corner"]), query_string={"category": "lighting"})
    assert r.status_code == 404
    assert client.get(viewer_url(world, 999999)).status_code == 404
    # Another project's photo, through this project's address or its own.
    elsewhere = make_walk()
    stranger = add_spot(add_participant(elsewhere), 1)
    db.session.commit()
    foreign = add_photo(app, stranger)
    db.session.commit()
    assert client.get(viewer_url(world, foreign)).status_code == 404
    r = client.get(f"/planner/projects/{elsewhere.project_id}/photos/{foreign}")
    assert r.status_code == 404
    # A planner of another project cannot open this project's photos.
    login(client, make_user("outsider@x.fr", projects=[elsewhere.project_id]))
    assert client.get(viewer_url(world, viewer_world["corner"])).status_code == 404
    client.post("/planner/logout")
    r = client.get(viewer_url(world, viewer_world["corner"]))
    assert r.status_code == 302 and "/planner/login" in r.headers["Location"]


# --- CSRF -----------------------------------------------------------------------------------


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_hiding_needs_the_form_token(self, client, world):
        login_page = client.get("/planner/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)[1]
        r = client.post(
            "/planner/login",
            data={"email": world.planner.email, "password": PASSWORD, "csrf_token": token},
        )
        assert r.status_code == 302
        url = f"{triage_url(world.project_id)}/{world.spots['dark'].id}/hide"
        assert client.post(url, data={"reason": "no token"}).status_code == 400
        html = client.get(triage_url(world.project_id)).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
        r = client.post(url, data={"reason": "with token", "csrf_token": token})
        assert r.status_code == 303
        db.session.expire_all()
        assert db.session.get(Observation, world.spots["dark"].id).hidden_reason == "with token"
