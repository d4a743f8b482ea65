"""Issue 10 point 11, two leftovers: on the "My spots" map a spot waiting to be sent does not look
like a sent one (its shape and its name say its state, not the colour alone); with location
refused, the tag screen says how to turn it back on and offers "Try again", which asks again.

Written with an English phone (en-GB): the new sentences' French is not in the catalogs yet.

Contracts: the tag screen's help contains "site settings" and "Allow", and "Try again" is a
button; each spot on the map is an image named "Spot <n> on the map: <its state>"; a sent spot's
dot is filled (a solid rim), any other one a hollow ring with a dashed rim.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PLACE
from .night_walk_helpers import phone_with

pytestmark = pytest.mark.browser

RIM_JS = """(el) => {
  const dot = el.querySelector(".spot-dot") || el;
  const style = getComputedStyle(dot);
  return { border: style.borderTopStyle, background: style.backgroundColor };
}"""


def join_in_english(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("checkbox", name="I understand and I agree to take part").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Skip and join").click()
    page.get_by_role("button", name="I wrote it down").click()
    expect(page.get_by_role("heading", name="Tag a spot")).to_be_visible()


def save_spot(page, saved: str) -> None:
    page.get_by_role("radio", name="Unsafe", exact=True).check()
    page.get_by_role("button", name="Lighting", exact=True).click()
    expect(page.get_by_role("status").filter(has_text=saved)).to_be_visible(timeout=20_000)


def test_location_refused_then_retried_and_spots_on_the_map(live_server, browser, make_walk):
    walk = make_walk()
    with phone_with(browser, locale="en-GB", permissions=[]) as context:  # location refused
        page = context.new_page()
        join_in_english(page, f"{live_server.url}/j/{walk.join_code}")

        # (b) Refused: how to turn it back on, and "Try again".
        position = page.locator("#position")
        expect(position).to_contain_text("Location is off", timeout=10_000)
        help_text = page.get_by_text(re.compile(r"site settings.*Allow.*Android"))
        expect(help_text).to_be_visible()
        retry = page.get_by_role("button", name="Try again", exact=True)
        expect(retry).to_be_visible()

        # She turns location back on for the site, then taps "Try again": it asks again.
        context.grant_permissions(["geolocation"])
        context.set_geolocation(PLACE)
        retry.click()
        expect(position).to_have_text(re.compile(r"^Position: precise"), timeout=15_000)
        expect(help_text).to_be_hidden()
        expect(retry).to_be_hidden()

        # (a) One spot sent, one waiting (no network).
        save_spot(page, "Spot saved and sent.")
        page.get_by_role("button", name="Tag another spot").click()
        context.set_offline(True)
        save_spot(page, "Spot saved on this phone.")

        page.get_by_role("link", name="My spots").click()
        the_map = page.get_by_role("region", name="Map of my spots")
        sent = the_map.get_by_role("img", name="Spot 1 on the map: Sent", exact=True)
        waiting = the_map.get_by_role(
            "img", name="Spot 2 on the map: Waiting to be sent", exact=True
        )
        expect(sent).to_have_count(1, timeout=15_000)
        expect(waiting).to_have_count(1)
        sent_rim, waiting_rim = sent.evaluate(RIM_JS), waiting.evaluate(RIM_JS)
        assert sent_rim["border"] == "solid", sent_rim
        assert waiting_rim["border"] == "dashed", waiting_rim
        assert sent_rim != waiting_rim, "waiting and sent spots look the same"
        # The state is in words too, in the marker's title and its popup.
        expect(waiting).to_have_attribute("title", "Spot 2 on the map: Waiting to be sent")
        waiting.click()
        expect(the_map.locator(".leaflet-popup")).to_contain_text("Waiting to be sent")
        context.set_offline(False)
