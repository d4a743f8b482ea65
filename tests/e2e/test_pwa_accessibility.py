"""WCAG 2.2 AA checks of every screen of the participant app, by day and by night.

axe-core (npm) must report no serious or critical violation; each screen must reflow at 320 CSS
pixels (no horizontal scrolling) and keep working with text at 200 %.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import PHONE
from .helpers import consent, save_spot, tag

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {
      type: "tag",
      values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


def audit(page, axe_source, screen: str, problems: list) -> None:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_source))
    for violation in page.evaluate(AXE_RUN):
        if violation["impact"] in ("serious", "critical"):
            problems.append((screen, violation))
    # Reflow (WCAG 1.4.10): nothing scrolls sideways at 320 CSS pixels.
    page.set_viewport_size({"width": 320, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 320:
        problems.append((screen, f"scrolls sideways at 320 px: {width}"))
    # Text at 200 % (WCAG 1.4.4) still fits the phone's width.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 360:
        problems.append((screen, f"text at 200 % scrolls sideways: {width}"))
    page.evaluate("document.documentElement.style.fontSize = ''")
    page.set_viewport_size({"width": 360, "height": 800})
    # A phone may have zoomed while the text was large: back to 100 % for the next steps.
    page.context.new_cdp_session(page).send("Emulation.setPageScaleFactor", {"pageScaleFactor": 1})


@pytest.fixture
def phone(browser):
    """A phone whose pages accept axe's inline script (the app's CSP forbids inline scripts)."""
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["day", "night"])
def test_every_screen_passes_axe_and_reflows(live_server, phone, make_walk, axe_source, theme):
    walk = make_walk(stops=2)
    phone.add_init_script(f"localStorage.setItem('walkapp.theme', '{theme}')")
    page = phone.new_page()
    problems: list = []
    base = live_server.url

    page.goto(f"{base}/")
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    audit(page, axe_source, "home", problems)

    page.goto(f"{base}/j/{walk.join_code}")
    expect(page.get_by_role("button", name="Continuer")).to_be_visible()
    audit(page, axe_source, "join and consent", problems)

    consent(page, f"{base}/j/{walk.join_code}")
    audit(page, axe_source, "profile", problems)

    page.get_by_role("radio", name="Moins de 15 ans").check()
    page.get_by_role("button", name="Rejoindre la marche").click()
    expect(page.get_by_role("alert")).to_contain_text("Moins de 15 ans")
    audit(page, axe_source, "profile, under 15", problems)
    page.get_by_role("checkbox", name="J'ai moins de 15 ans").check()
    page.get_by_role("button", name="Rejoindre la marche").click()
    expect(page.get_by_role("heading", name="Votre code d'effacement")).to_be_visible()
    audit(page, axe_source, "erasure code shown once", problems)
    page.get_by_role("button", name="Je l'ai noté").click()

    expect(page.get_by_role("heading", name="Signaler un point")).to_be_visible()
    expect(page.locator("#tag-map .leaflet-pane").first).to_be_attached()
    audit(page, axe_source, "tag a spot", problems)

    save_spot(page, "Très mal à l'aise", "Harcèlement", online=True)
    expect(page.get_by_role("link", name="17 : police secours")).to_have_attribute("href", "tel:17")
    page.get_by_role("form", name="Ajouter des précisions").get_by_text(
        "Noter les critères"
    ).click()
    audit(page, axe_source, "spot saved: harassment help and details", problems)
    page.get_by_role("button", name="Signaler un autre point").click()
    tag(page, "Bof", "Éclairage", online=True)

    page.get_by_role("link", name="Noter un arrêt").click()
    expect(page.get_by_role("heading", name="Noter un arrêt")).to_be_visible()
    audit(page, axe_source, "stop rating", problems)

    page.get_by_role("link", name="Mes points").click()
    expect(page.get_by_role("listitem")).to_have_count(2)
    expect(page.locator("#spots-map .leaflet-pane").first).to_be_attached()
    audit(page, axe_source, "my spots", problems)

    page.get_by_role("button", name="Modifier le point 1").click()
    expect(page.get_by_role("heading", name="Modifier le point")).to_be_visible()
    audit(page, axe_source, "edit a spot", problems)

    page.goto(f"{base}/erase")
    expect(page.get_by_role("heading", name="Effacer mes données avec mon code")).to_be_visible()
    audit(page, axe_source, "erasure with the code", problems)

    assert problems == []


def test_the_audit_finds_what_it_looks_for(browser, axe_source):
    """A check that could fail: a page with known faults must be reported."""
    context = browser.new_context(**PHONE, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_content(
            '<html><body><img src="x.png"><button></button>'
            '<div style="width: 500px">wide</div></body></html>'
        )
        problems: list = []
        audit(page, axe_source, "faulty page", problems)
    finally:
        context.close()
    found = {p[1]["id"] if isinstance(p[1], dict) else "reflow" for p in problems}
    assert {"image-alt", "button-name", "reflow"} <= found
