"""Numbers and plurals of the planner pages (issue 12, section 4): one format for positions in
the page's language, real plural forms instead of « signalement(s) », and the on-behalf form's
map (its data, escaped; the fields that work without it)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from planner_users import login
from test_planner_events import XSS, team  # noqa: F401 (fixture)
from test_planner_live import open_team, proxy_form  # noqa: F401 (fixture)

from walkapp.extensions import db

ONE_SPOT_ONLY = {
    f"spots-1-{name}": "" for name in ("category", "feeling", "stop_id", "lat", "lon", "comment")
}


def saved_message(client, walk, lang: str, **overrides) -> str:
    r = client.post(
        f"/planner/events/{walk.id}/proxy?lang={lang}",
        data=proxy_form(walk, str(uuid.uuid4()), **overrides),
        follow_redirects=True,
    )
    assert r.status_code == 200
    return re.search(r'<p class="flash flash-ok" role="alert">([^<]*)</p>', r.text)[1]


def test_spots_saved_on_someones_behalf_are_counted_in_real_plurals(client, open_team):  # noqa: F811
    login(client, open_team.facilitator)
    walk = open_team.walk
    one = saved_message(client, walk, "en", **ONE_SPOT_ONLY)
    assert one.startswith("1 spot saved for this participant") and "(s)" not in one
    two = saved_message(client, walk, "en")
    assert two.startswith("2 spots saved for this participant") and "(s)" not in two


def test_french_plurals(client, open_team):  # noqa: F811
    """Needs the French catalogue with the new plural messages (/tmp/fr_gallery.json merged)."""
    login(client, open_team.facilitator)
    walk = open_team.walk
    one = saved_message(client, walk, "fr", **ONE_SPOT_ONLY)
    assert one.startswith("1 signalement enregistré pour cette personne, marqué comme saisi")
    two = saved_message(client, walk, "fr")
    assert two.startswith("2 signalements enregistrés pour cette personne, marqués comme saisis")


def test_positions_have_one_format_in_the_pages_language(client, open_team):  # noqa: F811
    login(client, open_team.facilitator)
    walk = open_team.walk
    stop = walk.stops[0]
    stop.lat, stop.lon = 50.356671, 3.5
    db.session.commit()
    cell = re.compile(r'<td class="small">(lat\.[^<]*)</td>')
    french = cell.search(client.get(f"/planner/events/{walk.id}?lang=fr").text)[1]
    assert "50,35667" in french and "3,50000" in french  # five decimals, a decimal comma
    assert "50.3566" not in french and "50,356671" not in french
    english = cell.search(client.get(f"/planner/events/{walk.id}?lang=en").text)[1]
    assert english == "lat. 50.35667, long. 3.50000"


def test_the_on_behalf_form_offers_a_map_and_keeps_its_fields(client, open_team):  # noqa: F811
    walk = open_team.walk
    walk.stops[0].name = XSS
    db.session.commit()
    login(client, open_team.facilitator)
    html = client.get(f"/planner/events/{walk.id}/proxy?lang=en").text
    # Without script the fields do the work: the map's box stays hidden, every row has its
    # latitude and longitude fields.
    assert re.search(r'<div class="proxy-map-box" id="proxy-map-box" hidden>', html)
    assert html.count('name="spots-0-lat"') == 1 and html.count('name="spots-5-lon"') == 1
    assert html.count('class="secondary proxy-map-button" hidden') == 6
    # Leaflet comes from the app, never from a CDN.
    assert re.search(r'<script src="/vendor/leaflet/leaflet\.js\?v=\w+" defer>', html)
    # No file from another host (a word match would meet a random CSRF token: "…ggcdnotm…").
    assert not re.search(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", html)
    # The map's data: the stops, the stop's name escaped in the page (it is planner-typed).
    raw = re.search(
        r'<script type="application/json" id="proxy-map-data">(.*?)</script>', html, re.S
    )
    assert "<script>" not in raw[1] and "<img" not in raw[1]
    data = json.loads(raw[1])
    assert [s["number"] for s in data["stops"]] == [1, 2]
    assert data["stops"][0]["name"] == XSS
    assert data["stops"][0]["lat"] == pytest.approx(walk.stops[0].lat)
    assert data["perimeter"]["type"] in ("Polygon", "MultiPolygon")
