"""Issue 10, what reaches the database: a spot without a position (point 1), double taps
(point 2), a participant under 15 (point 4). Real Chromium, on a phone viewport."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from walkapp.extensions import db
from walkapp.models import Participant

from .helpers import consent, counts, join, observations, participant_ids, sync_status
from .night_walk_helpers import (
    GUARDIAN,
    became,
    in_bbox,
    metres,
    phone_with,
    stays,
    tap_map,
    visible_map,
)

pytestmark = pytest.mark.browser


def test_a_spot_without_position_waits_for_the_pin(live_server, browser, make_walk):
    """Location refused: tapping a face then a category must not send the spot.

    Contract: the spot waits on the phone, the tag screen says "Position à confirmer" (visible
    text) and shows the map (role application, "Carte : touchez-la pour placer le repère");
    nothing reaches the server until she places it. One tap on the map places the pin (if the
    app then asks, a button whose name starts with "Confirmer" or "Valider" confirms it). The
    spot is then sent with `position_source` "pin", at the tapped place: not the centre of the
    walk's perimeter.
    """
    walk = make_walk()
    perimeter = walk.project.perimeter
    with phone_with(browser, permissions=[]) as context:  # geolocation refused
        page = context.new_page()
        join(page, f"{live_server.url}/j/{walk.join_code}")
        [participant_id] = participant_ids()
        page.get_by_role("radio", name="Mal à l'aise", exact=True).check()
        page.get_by_role("button", name="Éclairage", exact=True).click()

        assert stays(lambda: counts(participant_id) == (0, 0), page, 3_000), (
            "the spot was sent before its position was placed"
        )
        expect(page.get_by_text("Position à confirmer").first).to_be_visible(timeout=5_000)
        the_map = visible_map(page)
        tap_map(page, the_map, 60, -50)

        assert became(lambda: counts(participant_id) == (1, 0), page), "placed, never sent"
        [spot] = observations(participant_id)
        assert getattr(spot, "position_source", None) == "pin"
        where = (spot.lat, spot.lon)
        centre = walk_centre(walk)
        assert metres(where, centre) > 10, "stored at the walk's centre, not where she tapped"
        assert in_bbox(where, perimeter)


def walk_centre(walk) -> tuple[float, float]:
    from walkapp.domain.geo import centroid

    return centroid(walk.project.perimeter)


def test_a_double_tap_on_a_category_stores_one_spot(live_server, phone, make_walk):
    """Both taps reach the button inside one evaluate, on a CPU throttled 6 times: one row."""
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    [participant_id] = participant_ids()
    page.get_by_role("radio", name="Mal à l'aise", exact=True).check()
    cdp = phone.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 6})
    page.get_by_role("button", name="Éclairage", exact=True).evaluate(
        "(button) => { button.click(); button.click(); }"
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    assert became(lambda: counts(participant_id)[0] >= 1, page), "nothing was sent"
    expect(sync_status(page)).to_contain_text("Tout est envoyé", timeout=20_000)
    assert stays(lambda: counts(participant_id)[0] == 1, page, 1_500), (
        f"one double tap stored {counts(participant_id)[0]} spots"
    )


def test_a_double_tap_on_save_the_rating_stores_one_rating(live_server, phone, make_walk):
    """The same double tap on "Enregistrer la note" of a stop: one rating."""
    walk = make_walk(stops=2)
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    [participant_id] = participant_ids()
    page.get_by_role("link", name="Noter un arrêt").click()
    expect(page.get_by_role("heading", name="Noter un arrêt")).to_be_visible()
    page.get_by_role("group", name="Comment vous sentez-vous à cet arrêt ?").get_by_role(
        "radio", name="Bof", exact=True
    ).check()
    cdp = phone.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 6})
    page.get_by_role("button", name="Enregistrer la note").evaluate(
        "(button) => { button.click(); button.click(); }"
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    assert became(lambda: counts(participant_id)[0] >= 1, page), "nothing was sent"
    expect(sync_status(page)).to_contain_text("Tout est envoyé", timeout=20_000)
    assert stays(lambda: counts(participant_id)[0] == 1, page, 1_500), (
        f"one double tap stored {counts(participant_id)[0]} ratings"
    )


def test_under_15_skipping_the_questions_still_needs_the_guardian(live_server, phone, make_walk):
    """ "Moins de 15 ans" then "Passer et rejoindre": no join without the guardian's agreement.

    Contract: the age band stays chosen, the guardian's checkbox ("J'ai moins de 15 ans : un
    parent ou un responsable légal est d'accord") is shown, nobody is in the database; once it
    is ticked, "Rejoindre la marche" joins with the age band under_15.
    """
    walk = make_walk()
    page = phone.new_page()
    consent(page, f"{live_server.url}/j/{walk.join_code}")
    page.get_by_role("radio", name="Moins de 15 ans").check()
    page.get_by_role("button", name="Passer et rejoindre").click()

    assert stays(lambda: participant_ids() == [], page, 2_000), "joined without the guardian"
    expect(page.get_by_role("radio", name="Moins de 15 ans")).to_be_checked()
    guardian = page.get_by_role("checkbox", name=GUARDIAN)
    expect(guardian).to_be_visible()
    guardian.check()
    page.get_by_role("button", name="Rejoindre la marche").click()
    expect(page.get_by_role("heading", name="Votre code d'effacement")).to_be_visible()
    [participant_id] = participant_ids()
    assert db.session.get(Participant, participant_id).age_band == "under_15"
