"""The facilitator's on-behalf entry in real Chromium: a tap on the map places the spot (issue
12, section 4). The map (Leaflet, served by the app) fills the latitude and longitude fields;
the position stored is the one tapped, within a few metres."""

from __future__ import annotations

import math
import re

import sqlalchemy as sa
from planner_users import PASSWORD, make_user

from walkapp.extensions import db
from walkapp.models import Observation

DESKTOP = {
    "viewport": {"width": 1280, "height": 900},
    "locale": "en-GB",
    "timezone_id": "Europe/Paris",
}


def _coordinates(geometry) -> list[tuple[float, float]]:
    """Every (lon, lat) of a Polygon or MultiPolygon."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [tuple(point) for polygon in polygons for ring in polygon for point in ring]


def _mercator_middle(geometry) -> tuple[float, float]:
    """The middle of the perimeter's bounds on a Web Mercator map: where the map, fitted to
    them, has its centre."""
    points = _coordinates(geometry)
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]

    def y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    middle_y = (y(min(lats)) + y(max(lats))) / 2
    lat = math.degrees(2 * math.atan(math.exp(middle_y)) - math.pi / 2)
    return lat, (min(lons) + max(lons)) / 2


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = math.radians(b[0] - a[0])
    dlon = math.radians(b[1] - a[1]) * math.cos(math.radians(a[0]))
    return 6_371_000 * math.hypot(dlat, dlon)


def test_a_tap_on_the_map_places_the_spot(app, live_server, browser, make_walk):
    walk = make_walk(status="open")
    facilitator = make_user("anim@x.fr", role="facilitator", projects=[walk.project_id])
    middle = _mercator_middle(walk.project.perimeter)
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/planner/login")
    page.locator("input[name=email]").fill(facilitator.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/planner/$"))

    page.goto(f"{live_server.url}/planner/events/{walk.id}/proxy")
    area = page.get_by_role("region", name=re.compile("Map of the walk: tap to place spot 1"))
    area.wait_for(state="visible")
    lat, lon = page.locator("#spots-0-lat"), page.locator("#spots-0-lon")
    assert lat.input_value() == "" and lon.input_value() == ""
    # A first tap off the middle fills the fields; a second one, in the middle, moves the pin.
    box = area.bounding_box()
    area.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.7})
    page.wait_for_function("el => el.value !== ''", arg=lat.element_handle())
    first = (float(lat.input_value()), float(lon.input_value()))
    assert page.locator("#proxy-map .stop-marker").count() == 1
    before = lat.input_value()
    area.click()  # the middle of the map
    page.wait_for_function("([el, v]) => el.value !== v", arg=[lat.element_handle(), before])
    tapped = (float(lat.input_value()), float(lon.input_value()))
    assert metres(first, tapped) > 20  # the second tap moved it
    assert metres(tapped, middle) < 5, (tapped, middle)
    assert page.locator("#proxy-map .stop-marker").count() == 1  # one pin per spot

    page.locator("#spots-0-category").select_option("lighting")
    page.locator("#spots-0-feeling").select_option("2")
    page.locator("#consent").check()
    page.get_by_role("button", name="Save these spots").click()
    page.wait_for_url(re.compile(rf"/planner/events/{walk.id}$"))
    assert not errors, errors
    context.close()

    db.session.rollback()
    spot = db.session.scalar(sa.select(Observation).where(Observation.walk_id == walk.id))
    assert spot.entered_by_id == facilitator.id and spot.stop_id is None
    assert metres((spot.lat, spot.lon), middle) < 5, ((spot.lat, spot.lon), middle)
    assert (round(spot.lat, 6), round(spot.lon, 6)) == tapped
