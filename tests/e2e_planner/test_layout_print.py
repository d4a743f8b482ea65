"""Reading and printing (issue 12, section 4) in real Chromium.

On a 1280 x 800 screen the key actions (« Confirmer comme constat » on the hotspots page, the
moderation control on the triage page) are on screen without scrolling sideways, with long
titles and comments in the data. Printed on A4 (print media, 794 px: 210 mm at 96 dpi), the
findings, hotspots and indicators pages and the QR sheet fit the width and leave the navigation
out; the findings page printed to PDF still has every column's header. On a phone the live
view's figures never split a word across two lines.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from e2e.conftest import PHONE
from planner_users import PASSWORD, make_user
from test_hotspots_pages import HOT, at, hotspots_url, world  # noqa: F401 (fixture)
from test_planner_triage import add_participant, add_spot

from walkapp.extensions import db
from walkapp.models import User
from walkapp.services import hotspots as hotspot_service
from walkapp.services.observation_filter import ObservationFilter

SCREEN = {
    "viewport": {"width": 1280, "height": 800},
    "locale": "fr-FR",  # the users' language, and the longer labels
    "timezone_id": "Europe/Paris",
}
A4_WIDTH = 794  # 210 mm at 96 dpi
A4 = {"width": A4_WIDTH, "height": 1123}
LONG_TITLE = (
    "Marche exploratoire de nuit avec le groupe de femmes du centre social Dutemple, "
    "de la gare routière à la place du Canada par le passage souterrain"
)
LONG_STOP = "Sortie du passage souterrain sous les voies, côté parking relais de la gare"
LONG_COMMENT = (
    "Le soir, en sortant du passage souterrain, on ne voit pas qui attend derrière les piliers "
    "du parking : les lampadaires sont éteints depuis l'automne, les haies cachent le trottoir "
    "et il n'y a aucun commerce ouvert après 19 heures. Avec la poussette on doit descendre sur "
    "la chaussée parce que les voitures sont garées sur le trottoir. Plusieurs d'entre nous font "
    "un détour de dix minutes par le boulevard pour éviter cet endroit, surtout l'hiver."
)
LONG_FINDING = "Passage souterrain de la gare : sortie sans lumière ni visibilité, évitée le soir"
LONG_RECOMMENDATION = (
    "Éclairer la sortie du passage et le cheminement jusqu'à l'arrêt de bus (éclairage "
    "uniforme, sans zone d'ombre), tailler les haies à un mètre, dégager le trottoir du "
    "stationnement et installer une borne d'appel visible depuis la sortie."
)

# Where an element lies, with the page and every horizontal scroller left where they are, and
# the part of the screen its scrolling ancestors let it show in (`clip`).
RECT = """el => {
    const r = el.getBoundingClientRect();
    const scrolled = [...document.querySelectorAll('.table-scroll')].some(s => s.scrollLeft);
    let clip = {left: 0, right: window.innerWidth};
    for (let a = el.parentElement; a; a = a.parentElement) {
        if (getComputedStyle(a).overflowX === 'visible') continue;
        const c = a.getBoundingClientRect();
        clip = {left: Math.max(clip.left, c.left), right: Math.min(clip.right, c.right)};
    }
    return {left: r.left, right: r.right, top: r.top, height: r.height,
            scrollX: window.scrollX, scrolled, clip};
}"""
# The element seen at the centre of its first line box (nothing drawn over it), after a vertical
# scroll only.
ON_TOP = """el => {
    const r = el.getBoundingClientRect();
    window.scrollTo(0, window.scrollY + r.top - 200);
    const s = el.getClientRects()[0];
    const seen = document.elementFromPoint(s.left + s.width / 2, s.top + s.height / 2);
    return seen !== null && (seen === el || el.contains(seen));
}"""
# Each table's width against its own box, its scroller's and the page's.
TABLES = """() => [...document.querySelectorAll('table')].map(t => {
    const box = t.closest('.table-scroll') || t.parentElement;
    return {caption: (t.caption ? t.caption.innerText : t.className).trim(),
            scroll: t.scrollWidth, client: t.clientWidth,
            box_scroll: box.scrollWidth, box_client: box.clientWidth,
            right: t.getBoundingClientRect().right,
            page: document.documentElement.clientWidth,
            row_break: getComputedStyle(t.querySelector('tbody tr')).breakInside};
})"""
PAGE_WIDTH = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
# The words of the live view's figure titles that the browser laid out on two lines or more.
SPLIT_WORDS = """() => [...document.querySelectorAll('.live-figures dt')].flatMap(dt => {
    const split = [];
    for (const node of dt.childNodes) {
        if (node.nodeType !== Node.TEXT_NODE) continue;
        for (const m of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            const lines = new Set([...range.getClientRects()].map(c => Math.round(c.top)));
            if (lines.size > 1) split.push(m[0]);
        }
    }
    if (dt.scrollWidth > dt.clientWidth) split.push('overflow: ' + dt.innerText);
    return split;
})"""


@pytest.fixture
def long_world(world):  # noqa: F811
    """The hotspots' world with the texts planners really type: a long event title, long stop
    names and a long comment at the hotspot (a fourth woman who felt very unsafe there)."""
    walk = world.night_walk
    walk.title = LONG_TITLE
    for stop in walk.stops:
        stop.name = f"{LONG_STOP} ({stop.number})"
    add_spot(add_participant(walk), 150, feeling=1, comment=LONG_COMMENT, **at(HOT))
    db.session.commit()
    (hot,) = hotspot_service.analysis(world.project_id, ObservationFilter()).hotspots
    world.hot = hot.key
    return world


def sign_in(context, url: str, user: User):
    page = context.new_page()
    page.goto(f"{url}/planner/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/planner/$"))
    return page


def assert_on_screen(page, element, what: str) -> None:
    """`element` lies within 0..1280 px, seen, with no sideways scrolling at all."""
    width = page.viewport_size["width"]
    box = element.evaluate(RECT)
    assert box["scrollX"] == 0 and not box["scrolled"]
    assert box["height"] > 0, f"{what} is not displayed"
    assert box["left"] >= 0 and box["right"] <= width, f"{what} lies at {box}, off the screen"
    clip = box["clip"]
    assert clip["left"] <= box["left"] and box["right"] <= clip["right"], (
        f"{what} lies at {box}, outside the part of its table on screen"
    )
    assert element.evaluate(ON_TOP), f"{what} is covered by something else"
    scroll_width, client_width = page.evaluate(PAGE_WIDTH)
    assert scroll_width <= client_width, "the page itself scrolls sideways"


def test_key_actions_are_on_a_1280_screen(live_server, browser, long_world):
    world = long_world  # noqa: F811 (the fixture imported above, lengthened)
    context = browser.new_context(**SCREEN)
    context.set_default_timeout(15_000)
    try:
        page = sign_in(context, live_server.url, world.planner)
        page.goto(f"{live_server.url}{hotspots_url(world.project_id)}")
        confirm = page.locator(f"#place-{world.hot} a[href$='/hotspots/{world.hot}/confirm']")
        assert confirm.inner_text().strip() == "Confirmer comme constat"
        assert LONG_COMMENT in page.locator(f"#place-{world.hot} + tr.hotspot-said").inner_text()
        assert_on_screen(page, confirm, "« Confirmer comme constat »")

        page.goto(f"{live_server.url}/planner/projects/{world.project_id}/observations")
        row = page.locator("table.triage tbody tr", has_text=LONG_COMMENT)
        assert LONG_TITLE in row.inner_text()
        hide = row.locator("details.hide-form summary")
        assert_on_screen(page, hide, "the moderation control")
        hide.click()
        assert_on_screen(page, row.locator("input[name=reason]"), "the reason to hide")
        assert_on_screen(page, row.locator("details.hide-form button"), "the hide button")
    finally:
        context.close()


def printed(page, url: str) -> None:
    page.set_viewport_size(A4)
    page.emulate_media(media="print")
    page.goto(url)


def assert_fits_a4(page, n_tables: int) -> None:
    """At least `n_tables` tables (none: a sheet without tables), each within the sheet."""
    tables = page.evaluate(TABLES)
    assert len(tables) >= n_tables and (n_tables or not tables), tables
    for t in tables:
        assert t["scroll"] <= t["client"], t
        assert t["box_scroll"] <= t["box_client"], t
        assert t["right"] <= t["page"], t
        assert t["row_break"] == "avoid", t  # no row cut between two sheets
    scroll_width, client_width = page.evaluate(PAGE_WIDTH)
    assert scroll_width <= client_width <= A4_WIDTH
    for hidden in ("nav.planner-nav", "header.top", "form.filters", "button"):
        for element in page.locator(hidden).all():
            assert not element.is_visible(), f"{hidden} is printed"


def pdf_text(pdf: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() for p in reader.pages)
    return len(reader.pages), " ".join(unicodedata.normalize("NFKC", text).split())


def test_findings_hotspots_indicators_and_qr_sheet_print_on_a4(live_server, browser, long_world):
    world = long_world  # noqa: F811
    hotspot_service.confirm(
        world.project_id,
        world.hot,
        ObservationFilter(),
        title=LONG_FINDING,
        recommendation=LONG_RECOMMENDATION,
        user_id=world.planner.id,
    )
    db.session.commit()
    url = live_server.url
    project = f"{url}/planner/projects/{world.project_id}"
    context = browser.new_context(**SCREEN)
    context.set_default_timeout(15_000)
    try:
        page = sign_in(context, url, world.planner)

        printed(page, f"{project}/findings")
        assert_fits_a4(page, 1)
        # Every column but the screen's "Modifier" (an edit link means nothing on paper).
        headers = [h.strip() for h in page.locator("table.findings thead th").all_inner_texts()]
        shown = [h for h in headers if h and page.get_by_role("columnheader", name=h).is_visible()]
        assert len(headers) == 12 and shown == headers[:11] and headers[11] == "Modifier"
        assert "Préconisation" in shown
        pages, text = pdf_text(page.pdf(format="A4"))
        assert pages >= 1
        for header in shown:
            assert " ".join(header.split()) in text, f"« {header} » is not in the printed page"
        assert " ".join(LONG_FINDING.split()) in text
        assert "Se déconnecter" not in text and "Projets" not in text  # no navigation

        printed(page, f"{url}{hotspots_url(world.project_id)}")
        assert_fits_a4(page, 1)
        printed(page, f"{project}/indicators")
        assert_fits_a4(page, 1)

        printed(page, f"{url}/planner/events/{world.night_walk.id}/qr")
        assert_fits_a4(page, 0)
        assert page.locator("img.qr").is_visible()
        pages, text = pdf_text(page.pdf(format="A4"))
        assert pages == 1, "the QR sheet takes more than one A4 sheet"
        assert "Imprimer" not in text
    finally:
        context.close()


def test_live_view_figures_never_split_a_word(live_server, browser, make_walk):
    walk = make_walk()
    planner = make_user("planner@x.fr", projects=[walk.project_id])
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    try:
        page = sign_in(context, live_server.url, planner)
        page.goto(f"{live_server.url}/planner/events/{walk.id}/live")
        titles = page.locator(".live-figures dt").all_inner_texts()
        assert "Participantes et participants" in titles
        # Every phone width from a small one to a large one held sideways.
        split = {}
        for width in range(300, 700, 4):
            page.set_viewport_size({"width": width, "height": 800})
            found = page.evaluate(SPLIT_WORDS)
            if found:
                split[width] = found
        assert split == {}
    finally:
        context.close()
