"""Helpers of the issue 10 tests (test_night_walk_*.py): phones with other settings, polling,
taps on the map, the walk's geometry, colours.

Selectors are what a participant sees (French text, roles); the few attributes a test reads
are contracts listed in each test's docstring.
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager

from playwright.sync_api import expect

from .conftest import PHONE

# The map of the tag and edit screens (role "application", its French label).
MAP_LABEL = "Carte : touchez-la pour placer le repère"
GUARDIAN = "J'ai moins de 15 ans : un parent ou un responsable légal est d'accord"
# The pin's confirmation button, if the app asks for one after a tap on the map.
CONFIRM_PLACE = re.compile(r"^(Confirmer|Valider)")
# Leaflet's own class of a marker (the participant app uses Leaflet, DESIGN.md).
LEAFLET_MARKER = ".leaflet-marker-icon"


@contextmanager
def phone_with(browser, **overrides):
    """A phone like conftest's PHONE, with some settings changed (viewport, permissions...)."""
    context = browser.new_context(**{**PHONE, **overrides})
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


def became(predicate, page, timeout_ms: int = 20_000, step_ms: int = 200) -> bool:
    """Whether predicate() turns true within timeout_ms (the browser keeps working meanwhile)."""
    waited = 0
    while True:
        if predicate():
            return True
        if waited >= timeout_ms:
            return False
        page.wait_for_timeout(step_ms)
        waited += step_ms


def stays(predicate, page, duration_ms: int, step_ms: int = 200) -> bool:
    """Whether predicate() holds during the whole of duration_ms."""
    waited = 0
    while predicate():
        if waited >= duration_ms:
            return True
        page.wait_for_timeout(step_ms)
        waited += step_ms
    return False


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lat, lon) points, equirectangular (fine at a walk's scale)."""
    rad = math.pi / 180
    x = (b[1] - a[1]) * rad * math.cos((a[0] + b[0]) / 2 * rad)
    y = (b[0] - a[0]) * rad
    return math.hypot(x, y) * 6_371_000


def vertex_mean(geometry: dict) -> tuple[float, float]:
    """The mean of a polygon's vertices (the app's fallback "centre" of a walk today)."""
    ring = geometry["coordinates"][0][:-1]
    return (sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring))


def in_bbox(point: tuple[float, float], geometry: dict) -> bool:
    ring = geometry["coordinates"][0]
    lats, lons = [p[1] for p in ring], [p[0] for p in ring]
    return min(lats) <= point[0] <= max(lats) and min(lons) <= point[1] <= max(lons)


def visible_map(page):
    """The map shown on the current screen, once Leaflet has drawn it."""
    the_map = page.get_by_role("application", name=MAP_LABEL)
    expect(the_map).to_be_visible()
    expect(the_map.locator(".leaflet-map-pane")).to_have_count(1)
    return the_map


def tap_map(page, the_map, dx: float, dy: float) -> None:
    """One tap on the map, dx/dy CSS pixels from its centre (a tap places the pin)."""
    the_map.scroll_into_view_if_needed()
    box = the_map.bounding_box()
    assert box, "the map has no box"
    the_map.tap(position={"x": box["width"] / 2 + dx, "y": box["height"] / 2 + dy})
    confirm = page.get_by_role("button", name=CONFIRM_PLACE)
    if became(lambda: confirm.count() > 0 and confirm.first.is_visible(), page, 1_000):
        confirm.first.click()


def menu_names(page) -> list[str]:
    """The names of the app's menu links shown now (its tabs), in order."""
    nav = page.get_by_role("navigation", name="Menu")
    if not nav.count() or not nav.first.is_visible():
        return []
    return [link.inner_text().strip() for link in nav.first.get_by_role("link").all()]


# The colour of what is painted behind the page: the body's background, or the root's.
BACKGROUND_JS = """() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  for (const el of [document.body, document.documentElement]) {
    if (!el) continue;
    const rgba = parse(getComputedStyle(el).backgroundColor);
    if (rgba.length >= 3 && (rgba.length < 4 || rgba[3] > 0)) return rgba.slice(0, 3);
  }
  return [255, 255, 255];
}"""


def luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour: 0 black, 1 white."""

    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
