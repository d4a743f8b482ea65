"""The acceptance scenario, in real Chromium on a 360 x 800 touch phone: join, tag spots online
and offline (one with a 12 MP photo), reload offline, come back online — nothing is lost."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import PHOTO, counts, join, participant_ids, sync_status, tag, wait_until_controlled


@pytest.mark.browser
def test_spots_survive_offline_reload_and_all_arrive(live_server, phone, make_walk):
    walk = make_walk()
    page = phone.new_page()
    erasure_code = join(page, f"{live_server.url}/j/{walk.join_code}")
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", erasure_code)
    wait_until_controlled(page)
    [participant_id] = participant_ids()

    tag(page, "Mal à l'aise", "Éclairage", online=True)
    tag(page, "Bof", "Visibilité", online=True)
    tag(page, "En sécurité, bien", "Lieu agréable", online=True)
    expect(sync_status(page)).to_contain_text("Tout est envoyé")
    assert counts(participant_id) == (3, 0)

    phone.set_offline(True)
    tag(page, "Très mal à l'aise", "Harcèlement", online=False)
    tag(page, "Mal à l'aise", "Éclairage", online=False, photo=PHOTO)
    expect(sync_status(page)).to_contain_text("2 points en attente d'envoi")

    page.reload()  # offline: the service worker opens the app, the outbox is still there
    expect(page.get_by_role("heading", name="Signaler un point")).to_be_visible()
    expect(sync_status(page)).to_contain_text("2 points en attente d'envoi")
    assert counts(participant_id) == (3, 0)

    phone.set_offline(False)  # fires `online`: the app sends what waits
    expect(sync_status(page)).to_contain_text("Tout est envoyé", timeout=30_000)
    assert counts(participant_id) == (5, 1)
