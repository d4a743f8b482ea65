"""The hotspots and findings pages in real Chromium: confirm a finding through the form (with
its CSRF token), hostile text stays text, and axe-core finds no serious or critical violation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from e2e.conftest import AXE
from e2e.test_pwa_accessibility import AXE_RUN
from planner_users import PASSWORD
from test_hotspots_pages import HOSTILE, hotspots_url, world  # noqa: F401 (fixture)

from walkapp.extensions import db
from walkapp.models import AuditEvent, Finding

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def axe_problems(page) -> list:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_confirm_a_finding_in_the_browser(live_server, browser, world):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `npm ci` (./test does)")
    # bypass_csp: axe is injected as an inline script, which the app's policy forbids.
    context = browser.new_context(**DESKTOP, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/planner/login?lang=en")
        page.get_by_label("Email").fill(world.planner.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/planner/**")

        page.goto(f"{live_server.url}{hotspots_url(world.project_id)}")
        rows = page.locator("table.hotspots tbody tr[id]")
        assert rows.count() == 1 and rows.first.get_attribute("id") == f"place-{world.hot}"
        # The hostile comment shows literally (in the row under the figures) and ran nothing.
        said = page.locator(f"#place-{world.hot} + tr.hotspot-said")
        assert HOSTILE in said.inner_text()
        assert page.evaluate("window.__pwned") is None
        assert axe_problems(page) == []

        page.get_by_role("link", name="Confirm as a finding").click()
        assert axe_problems(page) == []
        page.get_by_label("Title of the finding").fill(HOSTILE[:200])
        page.get_by_label("Recommendation").fill("Éclairer le passage.\n" + HOSTILE)
        page.get_by_role("button", name="Confirm the finding").click()
        page.wait_for_url("**/findings")
        row = page.locator("table.findings tbody tr").first
        assert row.locator("th").inner_text() == HOSTILE[:200]
        assert page.evaluate("window.__pwned") is None
        assert axe_problems(page) == []
    finally:
        context.close()

    db.session.rollback()  # a fresh snapshot (PostgreSQL)
    finding = db.session.scalars(sa.select(Finding)).one()
    assert finding.place_key == world.hot and finding.statistics["n_participants"] == 3
    assert finding.geometry["type"] == "Polygon" and len(finding.spot_ids) == 3
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions == ["create"]
