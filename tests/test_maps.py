"""The planner maps: escaping, aggregation, filters, access, hidden spots, offline document."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape

import h3
import pytest
from conftest import DATA
from flask_babel import refresh
from jinja2.utils import htmlsafe_json_dumps
from planner_users import login, make_user

from walkapp.domain import cells, thresholds
from walkapp.domain import maps as domain
from walkapp.extensions import db
from walkapp.models import Observation, Participant, User, Walk
from walkapp.services import capture
from walkapp.services.photo_store import PhotoStore

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
PAYLOADS = [
    '<img src=x onerror="window.__pwned=1">',
    "${window.__pwned=1}",
    "\\`;window.__pwned=1;//",
    "</script><script>window.__pwned=1</script>",
]
HERE = (50.3561, 3.5187)  # Place du Canada, Valenciennes


# --- Domain: escaping -----------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_popup_text_leaves_no_html_nor_template_literal_syntax(payload):
    safe = domain.popup_text(payload)
    for dangerous in "<>\"'`$\\":
        assert dangerous not in safe
    assert unescape(safe) == payload  # the planner reads exactly what was typed


def test_popup_text_exact_entities():
    assert domain.popup_text("a\\b`c$d<e>&\"'") == ("a&#92;b&#96;c&#36;d&lt;e&gt;&amp;&#34;&#39;")
    assert domain.popup_text(None) == ""
    assert domain.popup_text("Rue de l’Europe, 20 h") == "Rue de l’Europe, 20 h"


# --- Domain: aggregation --------------------------------------------------------------------


def test_heat_points_sum_weights_per_fine_cell_and_skip_comfortable_spots():
    lat, lon = HERE
    far = (lat + 0.01, lon)
    rows = [(lat, lon, 1), (lat, lon, 2), (lat, lon, 4), (*far, 5), (*far, 3)]
    points = domain.heat_points(rows)
    assert len(points) == 1  # the far cell weighs 0: left out
    centre = h3.cell_to_latlng(cells.cell_of(lat, lon, cells.HOTSPOT_RESOLUTION))
    assert points[0][:2] == [round(centre[0], 6), round(centre[1], 6)]
    assert points[0][2] == 1.5  # 1.0 (very unsafe) + 0.5 (unsafe) + 0 (fairly comfortable)


def test_hexagons_count_mean_and_negative_per_map_cell():
    lat, lon = HERE
    rows = [(lat, lon, 1), (lat, lon, 2), (lat + 0.00001, lon, 5), (lat + 0.02, lon, 4)]
    found = {h.cell: h for h in domain.hexagons(rows)}
    here = cells.cell_of(lat, lon, cells.MAP_RESOLUTION)
    assert set(found) == {here, cells.cell_of(lat + 0.02, lon, cells.MAP_RESOLUTION)}
    assert (found[here].count, found[here].negative) == (3, 2)
    assert found[here].mean_feeling == pytest.approx(8 / 3)
    assert found[here].colour == domain.FEELING_COLOURS[3]
    assert len(found[here].outline()) == 6


def test_hexagons_place_each_spot_in_its_own_map_cell():
    rows = [(HERE[0] + i * 0.0007, HERE[1] + (i % 7) * 0.0009, 1 + i % 5) for i in range(300)]
    direct: dict[str, int] = {}
    for lat, lon, _f in rows:
        cell = cells.cell_of(lat, lon, cells.MAP_RESOLUTION)
        direct[cell] = direct.get(cell, 0) + 1
    assert {h.cell: h.count for h in domain.hexagons(rows)} == direct


@pytest.mark.parametrize(
    "text, ok",
    [
        (cells.cell_of(*HERE, cells.MAP_RESOLUTION), True),
        (cells.cell_of(*HERE, cells.HOTSPOT_RESOLUTION), False),  # not the map's resolution
        ("zz", False),
        ("", False),
        ("<script>", False),
    ],
)
def test_is_map_cell(text, ok):
    assert domain.is_map_cell(text) is ok


# --- A project with spots -------------------------------------------------------------------


@dataclass
class World:
    project_id: int
    other_project_id: int
    walk_a: Walk
    walk_b: Walk
    planner: User
    outsider: User


def add_participant(walk: Walk, gender: str | None = None, age: str | None = None):
    participant = Participant(
        walk_id=walk.id,
        token_hash=secrets.token_hex(32),
        erasure_code_hash=secrets.token_hex(32),
        consent_at=T0,
        consent_version="test",
        gender=gender,
        age_band=age,
    )
    db.session.add(participant)
    db.session.flush()
    return participant


def add_spot(participant, comment: str, *, days: int = 0, **fields) -> Observation:
    at = T0 + timedelta(days=days)
    values = {
        "category": "lighting",
        "feeling": 1,
        "light_condition": "night",
        "lat": HERE[0],
        "lon": HERE[1],
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
        comment=comment,
        **values,
    )
    db.session.add(obs)
    db.session.flush()
    return obs


@pytest.fixture
def world(app, make_walk) -> World:
    """Two events of project A (a walk of women, a meeting of men), and a project B."""
    walk_a = make_walk(title="Marche de nuit")
    walk_b = Walk(
        project_id=walk_a.project_id,
        kind="meeting",
        audience="mixed",
        title="Réunion",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=2),
        join_code="MAPB" + secrets.token_hex(3).upper(),
        status="open",
    )
    db.session.add(walk_b)
    db.session.flush()
    other = make_walk(title="Autre projet")
    alice = add_participant(walk_a, "woman", "18_24")
    girl = add_participant(walk_a, "woman", "15_17")
    bob = add_participant(walk_b, "man", "45_64")
    add_spot(alice, "tok-dark")
    add_spot(girl, "tok-teen", category="harassment", light_condition="twilight", days=2)
    add_spot(bob, "tok-meeting", category="visibility", feeling=4, light_condition="day", days=5)
    add_spot(bob, "tok-hidden", hidden_at=T0, hidden_reason="names someone")
    add_spot(add_participant(other), "tok-other-project")
    dark = db.session.scalar(db.select(Observation).where(Observation.comment == "tok-dark"))
    store = PhotoStore(app.config["PHOTO_DIR"])
    capture.add_photo(alice, dark.uuid, (DATA / "day-path.jpg").read_bytes(), store)
    db.session.commit()
    planner = make_user("planner@x.fr", projects=[walk_a.project_id])
    outsider = make_user("outsider@x.fr", projects=[other.project_id])
    return World(walk_a.project_id, other.project_id, walk_a, walk_b, planner, outsider)


TOKENS = re.compile(r"tok-[a-z-]+")


@pytest.fixture
def small_groups_shown(monkeypatch):
    """Spots of any number of people are shown (the world has one or two per profile): for the
    tests of what the filters keep, not of the rule that withholds small groups."""
    monkeypatch.setattr(thresholds, "MIN_PEOPLE_FOR_FIGURE", 1)


def doc_url(project_id: int) -> str:
    return f"/planner/projects/{project_id}/map/document"


def cell_url(project_id: int, cell: str = "") -> str:
    cell = cell or cells.cell_of(*HERE, cells.MAP_RESOLUTION)
    return f"/planner/projects/{project_id}/map/cells/{cell}.json"


def shown(client, project_id: int, query=None) -> set[str]:
    """The comments the markers document carries (each spot's comment is its token)."""
    r = client.get(doc_url(project_id), query_string={"lang": "en", **(query or {})})
    assert r.status_code == 200
    return set(TOKENS.findall(r.get_data(as_text=True)))


# --- Filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, {"tok-dark", "tok-teen", "tok-meeting"}),
        ({"event": "A"}, {"tok-dark", "tok-teen"}),
        ({"kind": "meeting"}, {"tok-meeting"}),
        ({"kind": "exploratory_walk"}, {"tok-dark", "tok-teen"}),
        ({"category": ["harassment", "visibility"]}, {"tok-teen", "tok-meeting"}),
        ({"light": "night"}, {"tok-dark"}),
        ({"gender": "woman"}, {"tok-dark", "tok-teen"}),
        ({"gender": "man"}, {"tok-meeting"}),
        ({"age": ["15_17", "45_64"]}, {"tok-teen", "tok-meeting"}),
        ({"from": "2026-11-22"}, {"tok-teen", "tok-meeting"}),
        ({"to": "2026-11-22"}, {"tok-dark", "tok-teen"}),
        ({"from": "2026-11-21", "to": "2026-11-23"}, {"tok-teen"}),
        # unknown values (a stale bookmark) are dropped, not errors
        ({"category": "nonsense", "kind": "x", "gender": "?", "from": "2026-13-45"}, None),
        ({"event": "999999"}, set()),  # an event of nobody: nothing
    ],
)
def test_filters(client, world, small_groups_shown, query, expected):
    login(client, world.planner)
    if "event" in query and query["event"] == "A":
        query = {**query, "event": str(world.walk_a.id)}
    if expected is None:
        expected = {"tok-dark", "tok-teen", "tok-meeting"}
    assert shown(client, world.project_id, query) == expected


def test_event_of_another_project_matches_nothing(client, world):
    login(client, world.planner)
    other_walk = db.session.scalar(
        db.select(Walk.id).where(Walk.project_id == world.other_project_id)
    )
    assert shown(client, world.project_id, {"event": str(other_walk)}) == set()


def test_page_counts_and_has_the_filter_form(client, world, small_groups_shown):
    login(client, world.planner)
    r = client.get(f"/planner/projects/{world.project_id}/map?lang=en&gender=woman")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'data-total="2"' in html and 'data-aggregated="no"' in html
    for name in ("event", "kind", "category", "light", "gender", "age", "from", "to"):
        assert f'name="{name}"' in html
    assert re.search(r'<iframe[^>]+title="[^"]+"[^>]+src="[^"]*/map/document\?gender=woman', html)
    assert '<html lang="en">' in html and "<title>" in html
    assert "user-scalable=no" not in html and "maximum-scale" not in html


def test_cell_json_follows_filters(client, world, small_groups_shown):
    login(client, world.planner)
    r = client.get(cell_url(world.project_id), query_string={"lang": "en"})
    assert r.status_code == 200
    body = r.json
    assert body["total"] == 3 and body["shown"] == 3
    assert [s["comment"] for s in body["spots"]] == ["tok-meeting", "tok-teen", "tok-dark"]
    dark = body["spots"][2]
    assert dark["category"] == "Lighting" and dark["light"] == "Night" and dark["feeling"] == 1
    assert dark["time"] == "11/20/26, 7:00\u202fPM"  # Europe/Paris
    assert len(dark["thumbnails"]) == 1
    thumbnail = client.get(dark["thumbnails"][0])
    thumbnail.get_data()
    thumbnail.close()
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    r = client.get(cell_url(world.project_id), query_string={"gender": "man", "lang": "en"})
    assert [s["comment"] for s in r.json["spots"]] == ["tok-meeting"]
    far = cells.cell_of(HERE[0] + 0.05, HERE[1], cells.MAP_RESOLUTION)
    assert client.get(cell_url(world.project_id, far)).json["total"] == 0


# --- Too few participants: their spots are withheld -----------------------------------------

WITHHELD_EN = "Not enough participants for this filter: their spots are not shown, to protect them."


def test_a_profile_filter_on_one_teenager_shows_none_of_her_spots(client, world):
    login(client, world.planner)
    teen = {"age": "15_17", "lang": "en"}
    r = client.get(f"/planner/projects/{world.project_id}/map", query_string=teen)
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 200 and WITHHELD_EN in html and 'data-total="0"' in html
    assert shown(client, world.project_id, {"age": "15_17"}) == set()
    body = client.get(cell_url(world.project_id), query_string=teen).json
    assert body["withheld"] is True and body["total"] == 0 and body["spots"] == []
    refresh()  # the locale is cached in the app context the test shares with its requests
    r = client.get(f"/planner/projects/{world.project_id}/map", query_string={**teen, "lang": "fr"})
    assert "Pas assez de participantes et participants pour ce filtre" in unescape(r.text)
    url = f"/api/v1/projects/{world.project_id}/observations.geojson"
    document = client.get(url, query_string={"age": "15_17"}).json
    assert document["features"] == [] and document["withheld"] == "too_few_participants"
    # without a profile field nothing is withheld, however few people
    refresh()
    r = client.get(f"/planner/projects/{world.project_id}/map", query_string={"lang": "en"})
    assert WITHHELD_EN not in unescape(r.text) and 'data-total="3"' in r.text


def test_triage_and_gallery_withhold_the_spots_of_too_few_participants(world):
    from walkapp.services import triage as triage_service
    from walkapp.services.observation_filter import ObservationFilter

    teen = ObservationFilter(age_bands=("15_17",))
    page = triage_service.observations_page(world.project_id, teen)
    assert page.withheld and page.rows == [] and page.total == 0
    women = ObservationFilter(genders=("woman",))
    gallery = triage_service.gallery_page(world.project_id, women)
    assert gallery.withheld and gallery.rows == [] and gallery.total == 0
    everyone = triage_service.gallery_page(world.project_id, ObservationFilter())
    assert not everyone.withheld and everyone.total == 1


def test_five_participants_of_the_profile_are_shown(client, world):
    for i in range(4):
        add_spot(add_participant(world.walk_a, "woman", "15_17"), f"tok-teen-{'abcd'[i]}")
    db.session.commit()
    login(client, world.planner)
    teen = {"age": "15_17", "lang": "en"}
    r = client.get(f"/planner/projects/{world.project_id}/map", query_string=teen)
    assert WITHHELD_EN not in unescape(r.text) and 'data-total="5"' in r.text
    expected = {"tok-teen", "tok-teen-a", "tok-teen-b", "tok-teen-c", "tok-teen-d"}
    assert shown(client, world.project_id, {"age": "15_17"}) == expected
    body = client.get(cell_url(world.project_id), query_string=teen).json
    assert body["withheld"] is False and body["total"] == 5


# --- Hidden spots and access ----------------------------------------------------------------


def test_hidden_spots_never_appear(client, world):
    login(client, world.planner)
    for query in ({}, {"aggregate": "1"}, {"hidden": "include"}, {"hidden": "only"}):
        html = client.get(doc_url(world.project_id), query_string=query).get_data(as_text=True)
        assert "tok-hidden" not in html
    assert "tok-hidden" not in client.get(cell_url(world.project_id)).get_data(as_text=True)
    page = client.get(f"/planner/projects/{world.project_id}/map").get_data(as_text=True)
    assert 'data-total="3"' in page


def test_planner_of_another_project_gets_404(client, world):
    login(client, world.outsider)
    for url in (
        f"/planner/projects/{world.project_id}/map",
        doc_url(world.project_id),
        doc_url(world.project_id) + "?aggregate=1",
        cell_url(world.project_id),
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(doc_url(world.other_project_id)).status_code == 200
    assert "tok-dark" not in client.get(cell_url(world.other_project_id)).get_data(as_text=True)


def test_signed_out_is_sent_to_login(client, world):
    r = client.get(cell_url(world.project_id))
    assert r.status_code == 302 and "/planner/login" in r.headers["Location"]


@pytest.mark.parametrize("cell", ["zz", "8b1fb46622dffff0", "<x>", "0"])
def test_unknown_cell_is_404(client, world, cell):
    login(client, world.planner)
    assert client.get(cell_url(world.project_id, cell)).status_code == 404


# --- The document: aggregation, escaping, offline, accessibility ----------------------------


def test_aggregation_forced_keeps_comments_out_of_the_document(client, world, small_groups_shown):
    login(client, world.planner)
    r = client.get(doc_url(world.project_id), query_string={"aggregate": "1", "gender": "woman"})
    html = r.get_data(as_text=True)
    assert "walkappMap.cellLayer(" in html and "walkappMap.spotMarker" not in html
    assert not TOKENS.search(html)
    assert cells.cell_of(*HERE, cells.MAP_RESOLUTION) in html
    assert "cells/" in html and "gender=woman" in html  # details follow the same filters


def test_markers_document_carries_escaped_popups(client, world):
    lat, lon = HERE
    walk = world.walk_a
    participant = add_participant(walk)
    for payload in PAYLOADS:
        add_spot(participant, payload, lat=lat, lon=lon)
    walk.stops[0].name = "</script><script>window.__pwned=1</script>"
    db.session.commit()
    login(client, world.planner)
    html = client.get(doc_url(world.project_id)).get_data(as_text=True)
    assert "walkappMap.spotMarker" in html
    for payload in PAYLOADS:
        assert payload not in html
        # inside the markers' data, written by Jinja's tojson (<, >, &, ' as \u00XX)
        assert htmlsafe_json_dumps(domain.popup_text(payload))[1:-1] in html
    assert "window.__pwned=1" in html  # the text is there, inert
    assert domain.popup_text(walk.stops[0].name) in html  # the stop's tooltip
    assert html.count("</script>") == html.count("<script")


def test_document_works_offline_and_is_accessible(client, world):
    login(client, world.planner)
    r = client.get(doc_url(world.project_id), query_string={"lang": "en"})
    html = r.get_data(as_text=True)
    hosts = set(re.findall(r"https?://([^/\"'\s)]+)", html))
    assert hosts <= {"localhost"}, hosts
    # (No test for the letters "cdn": the script nonce is random, and the hosts are checked.)
    assert "bootstrap" not in html.lower()
    assert re.search(r'<meta name="viewport" content="width=device-width, initial-scale=1">', html)
    assert "user-scalable=no" not in html and "maximum-scale" not in html
    assert '<html lang="en">' in html
    assert re.search(r"<title>Map of [^<]+</title>", html)
    assert "walkappMap.legend(" in html and '"title": "Legend"' in html
    assert "maxZoom" in html  # clusters need it without tiles
    assert "tileLayer" not in html


def test_document_csp_allows_only_its_own_nonce(client, world):
    login(client, world.planner)
    r = client.get(doc_url(world.project_id))
    csp = r.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)[1]
    html = r.get_data(as_text=True)
    tags = re.findall(r"<script[^>]*>", html)
    assert tags and all(f'nonce="{nonce}"' in tag for tag in tags)
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'self'" in csp and "connect-src 'self'" in csp
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
    again = client.get(doc_url(world.project_id)).headers["Content-Security-Policy"]
    assert again != csp  # a fresh nonce per response
    page = client.get(f"/planner/projects/{world.project_id}/map")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "nonce" not in page.headers["Content-Security-Policy"]


def test_every_file_the_document_loads_is_served_by_the_app(client, world):
    login(client, world.planner)
    for query in ({}, {"aggregate": "1"}):
        html = client.get(doc_url(world.project_id), query_string=query).get_data(as_text=True)
        urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert len(urls) >= 5
        for url in urls:
            response = client.get(url)
            response.close()
            assert response.status_code == 200, url
            if "/vendor/" in url:  # libraries: versioned by content, cached for a year
                assert "v=" in url and "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/planner/map/vendor/../../secret_key").status_code == 404
    assert client.get("/planner/map/vendor/jquery.js").status_code == 404


def test_tile_url_draws_a_background_and_opens_the_csp_to_it(app, client, world):
    app.config["TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    login(client, world.planner)
    r = client.get(doc_url(world.project_id))
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in r.get_data(as_text=True)
    assert "https://tiles.example.org" in r.headers["Content-Security-Policy"]


def test_large_data_is_aggregated_without_the_parameter(app, client, world, monkeypatch):
    monkeypatch.setattr(domain, "MARKER_LIMIT", 2)
    login(client, world.planner)
    html = client.get(doc_url(world.project_id)).get_data(as_text=True)
    assert "walkappMap.cellLayer(" in html and not TOKENS.search(html)
    page = client.get(f"/planner/projects/{world.project_id}/map").get_data(as_text=True)
    assert 'data-aggregated="yes"' in page


def test_building_a_map_leaves_folium_class_defaults_alone(client, world):
    """Per-instance overrides only: add_js_link() would rewrite the defaults of every later map."""
    import folium
    from folium.plugins import FastMarkerCluster, HeatMap

    before = {
        cls: (list(cls.default_js), list(cls.default_css))
        for cls in (folium.Map, FastMarkerCluster, HeatMap)
    }
    login(client, world.planner)
    for query in ({}, {"aggregate": "1"}):
        assert client.get(doc_url(world.project_id), query_string=query).status_code == 200
    after = {
        cls: (list(cls.default_js), list(cls.default_css))
        for cls in (folium.Map, FastMarkerCluster, HeatMap)
    }
    assert after == before
    assert any("cdn" in url for _name, url in folium.Map.default_js)  # still folium's own


def test_cell_box_holds_every_point_of_its_cell():
    cell = cells.cell_of(*HERE, cells.MAP_RESOLUTION)
    south, west, north, east = domain.cell_box(cell)
    inside = [
        (HERE[0] + dy * 1e-4, HERE[1] + dx * 1e-4)
        for dy in range(-10, 11)
        for dx in range(-10, 11)
        if domain.cell_of_map(HERE[0] + dy * 1e-4, HERE[1] + dx * 1e-4) == cell
    ]
    assert len(inside) > 50
    assert all(south <= lat <= north and west <= lon <= east for lat, lon in inside)
