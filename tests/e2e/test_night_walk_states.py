"""Issue 10, what the phone says about the walk and its spots: a closed walk (point 5), one state
per spot and an erasure from elsewhere (point 6), nothing typed is lost (point 7), the erasure
code seen again (point 12), joining with no signal (point 13)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from walkapp.extensions import db, utcnow
from walkapp.models import Walk

from .conftest import PLACE
from .helpers import (
    counts,
    join,
    observations,
    participant_ids,
    save_spot,
    sync_status,
    tag,
    wait_until_controlled,
)
from .night_walk_helpers import became, menu_names, metres, tap_map, visible_map

pytestmark = pytest.mark.browser

WALK_CLOSED = re.compile(r"Cette marche est terminée")
SENT = re.compile(r"\bEnvoyé\b")  # the state "Envoyé", not "Non envoyé"
HERE = (PLACE["latitude"], PLACE["longitude"])


def close_walk(walk, when) -> None:
    """What the planner's "close" does to the walk (status and closing time)."""
    closed = db.session.get(Walk, walk.id)
    closed.status, closed.closed_at = "closed", when
    db.session.commit()


def test_a_closed_walk_says_so_on_every_screen(live_server, phone, make_walk):
    """After the planner closes the walk, the app (on reload) says so plainly on every screen
    and offers no new spot; a spot recorded before the close is still sent.

    Contract: "Cette marche est terminée" is visible on the first screen and on every screen of
    the menu ("Menu" navigation, if shown); no category button ("Éclairage") and no "Enregistrer
    la note" is offered. The app learns the walk's status from GET /api/v1/me.
    """
    walk = make_walk(stops=2)
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    wait_until_controlled(page)
    [participant_id] = participant_ids()
    phone.set_offline(True)
    tag(page, "Mal à l'aise", "Éclairage", online=False)  # recorded before the close
    close_walk(walk, utcnow())
    phone.set_offline(False)
    page.reload()

    assert became(lambda: counts(participant_id) == (1, 0), page), "the earlier spot was lost"
    expect(page.get_by_text(WALK_CLOSED).first).to_be_visible(timeout=10_000)
    for name in menu_names(page):
        page.get_by_role("navigation", name="Menu").get_by_role(
            "link", name=name, exact=True
        ).click()
        expect(page.get_by_text(WALK_CLOSED).first).to_be_visible()
        expect(page.get_by_role("button", name="Éclairage", exact=True)).to_be_hidden()
        expect(page.get_by_role("button", name="Enregistrer la note")).to_be_hidden()


def test_a_refused_spot_shows_one_state(live_server, phone, make_walk):
    """A spot the server refused (the walk closed long before it) shows one state only.

    Contract: its item in "Mes points" says "Non envoyé : …" and not "En attente d'envoi";
    each item of the list carries `data-state`, here "refused" (the others: "waiting",
    "sent", "deleting", "position_needed").
    """
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    wait_until_controlled(page)
    phone.set_offline(True)
    tag(page, "Mal à l'aise", "Éclairage", online=False)
    close_walk(walk, utcnow() - timedelta(hours=2))  # the server will refuse it (409)
    phone.set_offline(False)
    expect(sync_status(page)).to_contain_text("Non envoyés : 1", timeout=20_000)

    page.get_by_role("link", name="Mes points").click()
    item = page.get_by_role("listitem").filter(has_text="Point 1")
    expect(item).to_contain_text("Non envoyé")
    expect(item).not_to_contain_text("En attente d'envoi")
    expect(item).not_to_contain_text(SENT)
    expect(item).to_have_attribute("data-state", "refused")


def test_an_erasure_from_another_phone_shows_on_this_one(live_server, phone, make_walk, app):
    """Erased with the code elsewhere (POST /api/v1/erasure): this phone says its data was
    erased and no longer lists the spots as "Envoyé".

    Contract: GET /api/v1/me (or any answer) is 401 with code `erased`; the app then shows the
    heading "Vos données ont été effacées", at load at the latest.
    """
    walk = make_walk()
    page = phone.new_page()
    code = join(page, f"{live_server.url}/j/{walk.join_code}")
    tag(page, "Mal à l'aise", "Éclairage", online=True)
    page.get_by_role("link", name="Mes points").click()
    expect(page.get_by_role("listitem").filter(has_text=SENT)).to_have_count(1)

    answer = app.test_client().post("/api/v1/erasure", json={"erasure_code": code})
    assert answer.status_code == 204, answer.json
    assert participant_ids() == []
    page.reload()
    expect(page.get_by_role("heading", name="Vos données ont été effacées")).to_be_visible(
        timeout=10_000
    )
    expect(page.get_by_role("listitem").filter(has_text=SENT)).to_have_count(0)
    page.goto(f"{live_server.url}/app#spots")
    expect(page.get_by_role("listitem").filter(has_text=SENT)).to_have_count(0)


def test_a_typed_comment_is_kept_or_asked_about(live_server, phone, make_walk):
    """A comment typed, not saved, then "Signaler un autre point": it is kept (the spot's stored
    comment is what she typed) or she is asked (a dialog: role dialog or alertdialog, or the
    browser's confirm())."""
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    [participant_id] = participant_ids()
    save_spot(page, "Bof", "Visibilité", online=True)
    typed = "Haie trop haute, on ne voit rien"
    page.get_by_role("textbox", name="Commentaire").fill(typed)
    asked_natively = []
    page.on("dialog", lambda dialog: (asked_natively.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Signaler un autre point").click()

    dialog = page.get_by_role("dialog").or_(page.get_by_role("alertdialog"))

    def kept_or_asked() -> bool:
        stored = [spot.comment for spot in observations(participant_id)]
        return stored == [typed] or bool(asked_natively) or dialog.count() > 0

    assert became(kept_or_asked, page, 8_000), "the comment was dropped without a question"


def test_a_moved_pin_survives_a_tab_change(live_server, phone, make_walk):
    """On the edit screen, a pin moved by a tap is not lost when she switches tab and comes
    back ("Mes points", "Modifier le point 1"): saving then stores the moved place.

    Contract: the moved pin is saved at once, or kept as the spot's draft until she saves or
    cancels.
    """
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    [participant_id] = participant_ids()
    tag(page, "Bof", "Éclairage", online=True)
    assert became(lambda: counts(participant_id) == (1, 0), page)
    page.get_by_role("link", name="Mes points").click()
    page.get_by_role("button", name="Modifier le point 1").click()
    tap_map(page, visible_map(page), -70, 60)

    page.get_by_role("link", name="Signaler un point").click()
    expect(page.get_by_role("heading", name="Signaler un point")).to_be_visible()
    page.get_by_role("link", name="Mes points").click()
    page.get_by_role("button", name="Modifier le point 1").click()
    visible_map(page)
    page.get_by_role("button", name="Enregistrer les modifications").click()

    def moved() -> bool:
        [spot] = observations(participant_id)
        return metres((spot.lat, spot.lon), HERE) > 10

    assert became(moved, page, 10_000), "the pin went back to the GPS position"


def test_the_erasure_code_can_be_seen_again(live_server, phone, make_walk):
    """While the phone holds the session, the erasure code can be seen again later.

    Contract: a button or link whose name contains "code d'effacement" (e.g. "Mon code
    d'effacement") on the first screen or on a screen of the menu; it shows the code.
    """
    walk = make_walk()
    page = phone.new_page()
    code = join(page, f"{live_server.url}/j/{walk.join_code}")
    page.reload()  # later: the code is kept on the phone, not only in the page
    expect(page.get_by_role("heading", name="Signaler un point")).to_be_visible()
    control = page.get_by_role("button", name=re.compile("code d'effacement")).or_(
        page.get_by_role("link", name=re.compile("code d'effacement"))
    )
    found = False
    for name in [None, *menu_names(page)]:
        if name:
            page.get_by_role("navigation", name="Menu").get_by_role(
                "link", name=name, exact=True
            ).click()
        found = became(lambda: control.count() > 0 and control.first.is_visible(), page, 1_000)
        if found:
            break
    assert found, "no button or link shows the erasure code again"
    control.first.click()
    expect(page.get_by_text(code).first).to_be_visible()


def test_join_with_no_signal_at_the_meeting_point(live_server, phone, make_walk):
    """The join link opened once (the service worker controls it), then no signal: she agrees
    and joins offline, tags spots, and back online the participant then the spots arrive.

    Contract: offline, "Passer et rejoindre" leads to "Signaler un point" (the erasure code may
    be shown when it arrives: "Je l'ai noté" is then tapped); spots say "Point enregistré sur ce
    téléphone."; online, the join is sent first, then the spots.
    """
    walk = make_walk()
    page = phone.new_page()
    page.goto(f"{live_server.url}/j/{walk.join_code}")
    wait_until_controlled(page)
    phone.set_offline(True)  # the same page, still open: she agrees with no signal
    page.get_by_role("checkbox", name="J'ai compris et j'accepte de participer").check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("button", name="Passer et rejoindre").click()
    tag_screen = page.get_by_role("heading", name="Signaler un point")
    code_screen = page.get_by_role("heading", name="Votre code d'effacement")
    expect(tag_screen.or_(code_screen)).to_be_visible(timeout=10_000)
    if code_screen.is_visible():
        page.get_by_role("button", name="Je l'ai noté").click()
    expect(tag_screen).to_be_visible()
    tag(page, "Mal à l'aise", "Éclairage", online=False)
    tag(page, "Bof", "Propreté, accueil", online=False)
    assert participant_ids() == []

    phone.set_offline(False)
    assert became(lambda: len(participant_ids()) == 1, page), "the join never arrived"
    [participant_id] = participant_ids()
    assert became(lambda: counts(participant_id) == (2, 0), page), "the spots never arrived"
