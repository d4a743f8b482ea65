"""Issue 10, the screens: the first screen on small phones and the emergency numbers (point 8),
night mode at dusk and before the first paint (point 9), dates and times (point 10), smaller
things (point 11), the position is not watched while hidden (point 14)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from walkapp.domain.join_codes import format_join_code

from .helpers import join, participant_ids, save_spot, tag
from .night_walk_helpers import (
    BACKGROUND_JS,
    became,
    luminance,
    menu_names,
    phone_with,
)

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
EMERGENCY = re.compile(r"^Numéros d'urgence")
SECONDS = re.compile(r":\d\d:\d\d")
NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")  # a second format
FR_MONTH = r"(janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.?"
EN_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
# « 1 déc. 2026, 06:54 »; in English « 1 Dec 2026, 06:54 » or « Dec 1, 2026, 6:54 AM ».
DATE_TIME = {
    "fr": re.compile(rf"\b\d{{1,2}} {FR_MONTH} \d{{4}},? (à )?\d{{2}}:\d{{2}}"),
    "en": re.compile(
        rf"(\b\d{{1,2}} {EN_MONTH} \d{{4}}|\b{EN_MONTH} \d{{1,2}}, \d{{4}}),? (at )?"
        r"\d{1,2}:\d{2}(\s?[AP]M)?"
    ),
}


def taxonomy_labels(app, vocabulary: str, lang: str = "fr") -> list[str]:
    """The labels of a vocabulary, in its order (GET /api/v1/taxonomy)."""
    answer = app.test_client().get("/api/v1/taxonomy")
    return [term["label"][lang] for term in answer.json[vocabulary]]


# --- Point 8: the first screen, the emergency numbers ------------------------------------------

OUTER_BOX_JS = """(el) => {
  const r = (el.closest("label") || el).getBoundingClientRect();
  return { x: r.left, y: r.top, right: r.right, bottom: r.bottom };
}"""


@pytest.mark.parametrize("width, height", [(360, 740), (320, 568)])
def test_faces_and_first_categories_fit_the_first_screen(
    live_server, browser, make_walk, app, width, height
):
    """Right after joining, with no scrolling: the five faces (each radio's label) and the first
    six categories (their buttons) lie entirely inside the viewport."""
    walk = make_walk()
    with phone_with(browser, viewport={"width": width, "height": height}) as context:
        page = context.new_page()
        join(page, f"{live_server.url}/j/{walk.join_code}")
        page.evaluate("() => window.scrollTo(0, 0)")
        assert page.evaluate("() => window.scrollY") == 0
        controls = [("radio", name) for name in taxonomy_labels(app, "feeling")]
        controls += [("button", name) for name in taxonomy_labels(app, "category")[:6]]
        outside = []
        for role, name in controls:
            control = page.get_by_role(role, name=name, exact=True)
            expect(control).to_have_count(1)
            box = control.evaluate(OUTER_BOX_JS)
            inside = box["x"] >= 0 and box["y"] >= 0
            if not (inside and box["right"] <= width and box["bottom"] <= height):
                outside.append(f"{name} (bottom {round(box['bottom'])})")
        assert not outside, f"outside the first {width}x{height} screen: {outside}"


def test_emergency_numbers_on_every_screen(live_server, browser, make_walk):
    """A control to the emergency numbers is visible on every screen of the walk: the first one,
    each screen of the menu (the list and its map), after a harassment spot, the edit screen.

    Contract: a button or link whose name starts with "Numéros d'urgence".
    """
    walk = make_walk()
    with phone_with(browser, viewport={"width": 360, "height": 740}) as context:
        page = context.new_page()
        join(page, f"{live_server.url}/j/{walk.join_code}")
        control = page.get_by_role("button", name=EMERGENCY).or_(
            page.get_by_role("link", name=EMERGENCY)
        )
        missing = []

        def check(where: str) -> None:
            if not became(lambda: control.count() > 0 and control.first.is_visible(), page, 1_000):
                missing.append(where)

        check("first screen")
        for name in menu_names(page):
            page.get_by_role("navigation", name="Menu").get_by_role(
                "link", name=name, exact=True
            ).click()
            check(name)
        page.get_by_role("navigation", name="Menu").get_by_role(
            "link", name="Signaler un point"
        ).click()
        save_spot(page, "Très mal à l'aise", "Harcèlement", online=True)
        check("after a harassment spot")
        page.get_by_role("link", name="Mes points").click()
        page.get_by_role("button", name="Modifier le point 1").click()
        expect(page.get_by_role("heading", name="Modifier le point")).to_be_visible()
        check("edit screen")
        assert not missing, f"no emergency numbers on: {missing}"


# --- Point 9: night mode -----------------------------------------------------------------------


def test_night_comes_at_dusk_without_a_reload(live_server, phone, make_walk):
    """The app stays open from 16:25 (day, 1 December, Valenciennes) to 17:45 (after dusk): it
    turns to night by itself. Contract: `data-theme` on <html> ("day" / "night"), as today."""
    walk = make_walk()
    page = phone.new_page()
    page.clock.install(time=datetime(2026, 12, 1, 16, 25, tzinfo=PARIS))
    join(page, f"{live_server.url}/j/{walk.join_code}")
    page.goto(f"{live_server.url}/app")  # the phone's clock decides, not the server's
    expect(page.get_by_role("heading", name="Signaler un point")).to_be_visible()
    root = page.locator("html")
    expect(root).to_have_attribute("data-theme", "day")
    page.clock.run_for("01:20:00")
    expect(root).to_have_attribute("data-theme", "night", timeout=5_000)
    assert luminance(page.evaluate(BACKGROUND_JS)) < 0.1


# The background when <body> first exists: what the first paint shows.
BACKGROUND_AT_BODY = (
    "window.__backgroundAtBody = null;\n"
    "new MutationObserver((changes, observer) => {\n"
    "  if (document.body) {\n"
    f"    window.__backgroundAtBody = ({BACKGROUND_JS})();\n"
    "    observer.disconnect();\n"
    "  }\n"
    "}).observe(document, { childList: true, subtree: true });"
)


@pytest.mark.parametrize("path", ["/", "/erase", "/no-such-page"])
def test_pages_are_dark_at_night_before_the_first_paint(live_server, phone, path):
    """A phone that never joined, at 22:00 (its clock): the home page, /erase and a 404 page are
    dark before the first paint. Contract: the phone's clock decides (theme.js in <head>), with a
    place the server gives (its default) when the phone knows none."""
    page = phone.new_page()
    page.clock.install(time=datetime(2026, 12, 1, 22, 0, tzinfo=PARIS))
    page.add_init_script(BACKGROUND_AT_BODY)
    page.goto(f"{live_server.url}{path}")
    first_paint = page.evaluate("window.__backgroundAtBody")
    assert first_paint is not None
    assert luminance(first_paint) < 0.1, f"{path} starts light: rgb{tuple(first_paint)}"
    assert luminance(page.evaluate(BACKGROUND_JS)) < 0.1


# --- Point 10: dates and times -----------------------------------------------------------------

TEXTS = {
    "fr": {
        "locale": "fr-FR",
        "agree": "J'ai compris et j'accepte de participer",
        "continue": "Continuer",
        "skip": "Passer et rejoindre",
        "code_done": "Je l'ai noté",
        "tag": "Signaler un point",
        "feeling": "Mal à l'aise",
        "category": "Éclairage",
        "sent": "Point enregistré et envoyé.",
        "spots": "Mes points",
        "item": "Point 1",
        "walk_time": re.compile(r"déc\.? 2026"),
        "starts": re.compile(r"\b06:54\b"),
    },
    "en": {
        "locale": "en-GB",
        "agree": "I understand and I agree to take part",
        "continue": "Continue",
        "skip": "Skip and join",
        "code_done": "I wrote it down",
        "tag": "Tag a spot",
        "feeling": "Unsafe",
        "category": "Lighting",
        "sent": "Spot saved and sent.",
        "spots": "My spots",
        "item": "Spot 1",
        "walk_time": re.compile(r"Dec\w* \d|\d Dec"),
        "starts": re.compile(r"\b(06:54|6:54\s?AM)\b"),
    },
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_dates_and_times_have_one_format_without_seconds(live_server, browser, make_walk, lang):
    """The walk's times (join screen) and a spot's time (the list) in one format, without
    seconds: « 1 déc. 2026, 06:54 » in French, English month names in English."""
    text = TEXTS[lang]
    walk = make_walk(
        starts_at=datetime(2026, 12, 1, 5, 54, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
    )
    with phone_with(browser, locale=text["locale"]) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/j/{walk.join_code}")
        when = page.get_by_text(text["walk_time"]).first.inner_text()
        assert not SECONDS.search(when), f"seconds in the walk's times: {when!r}"
        assert DATE_TIME[lang].search(when), f"not the one format: {when!r}"
        assert not NUMERIC_DATE.search(when), f"two formats: {when!r}"
        assert text["starts"].search(when), when
        if lang == "en":
            assert not re.search(FR_MONTH, when), f"French in English: {when!r}"

        page.get_by_role("checkbox", name=text["agree"]).check()
        page.get_by_role("button", name=text["continue"]).click()
        page.get_by_role("button", name=text["skip"]).click()
        page.get_by_role("button", name=text["code_done"]).click()
        expect(page.get_by_role("heading", name=text["tag"])).to_be_visible()
        page.get_by_role("radio", name=text["feeling"], exact=True).check()
        page.get_by_role("button", name=text["category"], exact=True).click()
        expect(page.get_by_role("status").filter(has_text=text["sent"])).to_be_visible()
        page.get_by_role("link", name=text["spots"]).click()
        item = page.get_by_role("listitem").filter(has_text=text["item"])
        expect(item).to_be_visible()
        listed = item.inner_text()
        assert not SECONDS.search(listed), f"seconds in the list: {listed!r}"
        assert DATE_TIME[lang].search(listed), f"not the one format: {listed!r}"
        assert not NUMERIC_DATE.search(listed), f"two formats: {listed!r}"


# --- Point 11: smaller things ------------------------------------------------------------------


def test_no_back_to_my_walk_on_a_phone_that_never_joined(live_server, phone):
    page = phone.new_page()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Rejoindre une marche")).to_be_visible()
    expect(page.get_by_role("link", name="Revenir à ma marche")).to_be_hidden()


def test_no_rate_a_stop_tab_on_a_walk_without_stops(live_server, phone, make_walk):
    walk = make_walk(stops=0)
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    expect(page.get_by_role("link", name="Mes points")).to_be_visible()
    expect(page.get_by_role("link", name="Noter un arrêt")).to_be_hidden()
    page.reload()
    expect(page.get_by_role("link", name="Mes points")).to_be_visible()
    expect(page.get_by_role("link", name="Noter un arrêt")).to_be_hidden()


def test_an_unknown_join_code_can_be_typed_again(live_server, phone, make_walk):
    """A mistyped code (well formed, no such walk) lands on a page with the code field
    ("Code de la marche") to type it again; the right code then opens the walk."""
    walk = make_walk()
    unknown = "ABCDEFGH" if walk.join_code != "ABCDEFGH" else "HGFEDCBA"
    page = phone.new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_role("textbox", name="Code de la marche").fill(format_join_code(unknown))
    page.get_by_role("button", name="Rejoindre", exact=True).click()
    field = page.get_by_role("textbox", name="Code de la marche")
    expect(field).to_be_visible(timeout=5_000)
    field.fill(format_join_code(walk.join_code))
    page.get_by_role("button", name="Rejoindre", exact=True).click()
    expect(
        page.get_by_role("checkbox", name="J'ai compris et j'accepte de participer")
    ).to_be_visible()


# --- Point 14: battery -------------------------------------------------------------------------

# Counts the position watches the page holds (started and not cleared).
COUNT_WATCHES = """(() => {
  const geo = navigator.geolocation;
  if (!geo) return;
  const active = new Set();
  const watch = geo.watchPosition.bind(geo);
  const clear = geo.clearWatch.bind(geo);
  geo.watchPosition = (ok, error, options) => {
    const id = watch(ok, error, options);
    active.add(id);
    return id;
  };
  geo.clearWatch = (id) => {
    active.delete(id);
    clear(id);
  };
  window.__activeWatches = () => active.size;
})();"""

SET_VISIBILITY = """(state) => {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => state === "hidden" });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_the_position_is_not_watched_while_hidden(live_server, phone, make_walk):
    """Hidden (screen locked, another app): no active navigator.geolocation watch; visible
    again: watched again. Contract: the app uses watchPosition/clearWatch."""
    walk = make_walk()
    page = phone.new_page()
    page.add_init_script(COUNT_WATCHES)
    join(page, f"{live_server.url}/j/{walk.join_code}")
    [_participant] = participant_ids()
    tag(page, "Bof", "Éclairage", online=True)

    def watches() -> int:
        return page.evaluate("window.__activeWatches()")

    assert became(lambda: watches() >= 1, page, 5_000), "the app never watched the position"

    page.evaluate(SET_VISIBILITY, "hidden")
    assert became(lambda: watches() == 0, page, 3_000), f"{watches()} watch(es) while hidden"
    page.evaluate(SET_VISIBILITY, "visible")
    assert became(lambda: watches() >= 1, page, 5_000), "not watched again once visible"
