"""The residents' page in real Chromium, on a phone, anonymous: Leaflet draws exactly the
published hexagons (and the perimeter), under the app's CSP, with every other origin blocked;
the console stays clean; axe-core finds no serious or critical violation."""

from __future__ import annotations

import pytest
from e2e.conftest import AXE, PHONE
from test_public_page import K, public_path, scene  # noqa: F401 (fixture)

from e2e_analysis.test_hotspots_browser import axe_problems
from walkapp.extensions import db
from walkapp.services import publication


@pytest.fixture
def app_config():
    return {"PUBLIC_MIN_COUNT": K, "TILE_URL": ""}


def test_the_residents_page_draws_the_published_hexagons_alone(live_server, browser, scene):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `npm ci` (./test does)")
    publication.publish(
        scene.project_id, scene.planner.id, publication.Options(contact="Mairie"), K
    )
    published = publication.current(scene.project_id).snapshot
    db.session.commit()
    cells = len(published["cells"])
    assert cells == 1  # the scene's one place with k people and k reports
    path = public_path(scene.project_id)

    # bypass_csp only for axe's injected script below; the map runs before, under the CSP.
    context = browser.new_context(**{**PHONE, "locale": "en-GB"})
    context.set_default_timeout(15_000)
    blocked: list[str] = []
    errors: list[str] = []

    def guard(route):
        if route.request.url.startswith(live_server.url + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}{path}?lang=en")
        page.locator("#residents-map .leaflet-overlay-pane path").first.wait_for()
        # The perimeter is not interactive; the hexagons are, one path each.
        assert page.locator("#residents-map path.leaflet-interactive").count() == cells
        assert page.get_by_text("Mairie").is_visible()
        page.wait_for_load_state("networkidle")
        assert errors == []
        assert blocked == []
    finally:
        context.close()

    context = browser.new_context(**{**PHONE, "locale": "en-GB"}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}{path}?lang=en")
        page.locator("#residents-map .leaflet-overlay-pane path").first.wait_for()
        assert axe_problems(page) == []
    finally:
        context.close()
