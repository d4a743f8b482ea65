"""Stop rating, erasure (on the phone and with the code), language and night mode."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from walkapp.domain.light import sun_elevation

from .helpers import (
    counts,
    join,
    observations,
    participant_ids,
    sync_status,
    tag,
    wait_for,
    wait_until_controlled,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.browser
def test_rate_a_stop_on_one_screen(live_server, phone, make_walk):
    walk = make_walk(stops=3)
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    [participant_id] = participant_ids()
    page.get_by_role("link", name="Noter un arrêt").click()
    expect(page.get_by_role("heading", name="Noter un arrêt")).to_be_visible()
    page.get_by_role("radio", name="Arrêt 2 : Arrêt 2").check()
    page.get_by_role("group", name="Comment vous sentez-vous à cet arrêt ?").get_by_role(
        "radio", name="Mal à l'aise", exact=True
    ).check()
    page.get_by_role("group", name="Éclairage").get_by_role("radio", name="0 Très mauvais").check()
    page.get_by_role("group", name="Présence de monde").get_by_role("radio", name="1").check()
    page.get_by_role("group", name="Sentiment de sécurité").get_by_role("radio", name="1").check()
    # What stands out follows the worst criterion, unless she changes it.
    expect(page.get_by_role("combobox", name="Ce qui ressort le plus")).to_have_value("lighting")
    page.get_by_role("button", name="Enregistrer la note").click()
    expect(page.get_by_role("status").filter(has_text="Note enregistrée")).to_be_visible()
    wait_for(lambda: counts(participant_id) == (1, 0), page)
    [obs] = observations(participant_id)
    stop = walk.stops[1]
    assert (obs.stop_id, obs.lat, obs.lon, obs.feeling) == (stop.id, stop.lat, stop.lon, 2)
    assert obs.ratings == {"lighting": 0, "people": 1, "perceived_safety": 1}
    assert obs.category == "lighting"


@pytest.mark.browser
def test_erase_all_my_data_from_the_phone(live_server, phone, make_walk):
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    tag(page, "Mal à l'aise", "Éclairage", online=True)
    page.get_by_role("link", name="Mes points").click()
    page.get_by_role("button", name="Effacer toutes mes données").click()
    page.get_by_role("button", name="Oui, tout effacer").click()
    expect(page.get_by_role("heading", name="Vos données ont été effacées")).to_be_visible()
    assert participant_ids() == []
    page.reload()  # nothing left on the phone either
    expect(
        page.get_by_role("heading", name="Vous n'avez pas encore rejoint de marche")
    ).to_be_visible()


@pytest.mark.browser
def test_erase_with_the_code_after_losing_the_phone(live_server, browser, phone, make_walk):
    from .conftest import PHONE

    walk = make_walk()
    page = phone.new_page()
    code = join(page, f"{live_server.url}/j/{walk.join_code}")
    tag(page, "Bof", "Propreté, accueil", online=True)
    assert len(participant_ids()) == 1
    other = browser.new_context(**PHONE)  # another phone: a friend's, or a new one
    try:
        page = other.new_page()
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="Effacer mes données avec mon code").click()
        expect(
            page.get_by_role("heading", name="Effacer mes données avec mon code")
        ).to_be_visible()
        page.get_by_role("textbox", name="Code d'effacement").fill("AAAA-BBBB-CCCC")
        page.get_by_role("button", name="Effacer", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("Ce code n'existe pas")
        page.get_by_role("textbox", name="Code d'effacement").fill(code.lower().replace("-", " "))
        page.get_by_role("button", name="Effacer", exact=True).click()
        expect(page.get_by_role("heading", name="Vos données ont été effacées")).to_be_visible()
    finally:
        other.close()
    assert participant_ids() == []


@pytest.mark.browser
def test_language_switches_offline_and_is_remembered(live_server, phone, make_walk):
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    wait_until_controlled(page)
    phone.set_offline(True)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Tag a spot")).to_be_visible()
    expect(page.get_by_role("button", name="Lighting", exact=True)).to_be_visible()  # taxonomy
    expect(page.get_by_role("radio", name="Very unsafe")).to_be_visible()
    expect(sync_status(page)).to_contain_text("Everything is sent")
    page.reload()
    expect(page.get_by_role("heading", name="Tag a spot")).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Signaler un point")).to_be_visible()


@pytest.mark.parametrize(
    "local_time, theme",
    [("2026-11-22T21:30:00", "night"), ("2026-11-22T13:00:00", "day")],
)
def test_night_mode_follows_the_sun_at_the_walk(browser, local_time, theme):
    """theme.js: no server, no network — the sun at the walk's place decides, before paint."""
    from .conftest import PHONE

    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        when = datetime.fromisoformat(local_time).replace(tzinfo=PARIS)
        page.clock.set_fixed_time(when)
        page.add_init_script("localStorage.setItem('walkapp.place', '50.3571,3.5219')")
        html = f"<!doctype html><html><head><script>{THEME_JS.read_text()}</script></head></html>"
        page.route(
            "http://walkapp.test/", lambda route: route.fulfill(body=html, content_type="text/html")
        )
        page.goto("http://walkapp.test/")
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        # The same sun as the server's (astral): within a tenth of a degree.
        for hour in (6, 8, 12, 16.5, 17, 22):
            instant = when.replace(hour=int(hour), minute=int(hour % 1 * 60))
            js = page.evaluate(
                "(ms) => walkappTheme.sunElevation(50.3571, 3.5219, new Date(ms))",
                instant.timestamp() * 1000,
            )
            assert js == pytest.approx(sun_elevation(50.3571, 3.5219, instant), abs=0.1)
    finally:
        context.close()


@pytest.mark.browser
def test_night_mode_toggle_is_kept_and_has_no_white_flash(live_server, phone, make_walk):
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    toggle = page.get_by_role("button", name="Mode nuit")
    before = toggle.get_attribute("aria-pressed")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false" if before == "true" else "true")
    if before == "true":
        toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "night")
    # The next page is dark before its body exists: theme.js runs in <head>, before any paint.
    page.add_init_script(
        """window.__themeAtBody = null;
        new MutationObserver((changes, observer) => {
          if (document.body) {
            window.__themeAtBody = document.documentElement.dataset.theme || "none";
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });"""
    )
    for path in ("/", "/app", "/erase"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("window.__themeAtBody") == "night", path
        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        assert background == "rgb(14, 12, 18)", path


THEME_JS = __import__("pathlib").Path(__file__).resolve().parents[2] / "static/pwa/theme.js"
