"""The outbox against a server that misbehaves: lost answers, refusals, edits and deletions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from walkapp.extensions import db, utcnow
from walkapp.models import Walk

from .helpers import (
    counts,
    join,
    observations,
    participant_ids,
    save_spot,
    sync_status,
    tag,
    wait_for,
    wait_until_controlled,
)

pytestmark = pytest.mark.browser


def test_lost_answer_is_sent_again_and_stored_once(live_server, phone, make_walk, lost_answers):
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    [participant_id] = participant_ids()
    posts = []
    page.on(
        "request", lambda r: r.method == "POST" and "/observations" in r.url and posts.append(r)
    )
    hook = lost_answers
    hook.arm("POST", "/api/v1/observations")  # commit, then hang up before answering

    save_spot(page, "Mal à l'aise", "Éclairage", online=False)
    # The app saw a network error, kept the spot, and retries on its own (backoff)...
    expect(page.get_by_role("status").filter(has_text="Point enregistré et envoyé.")).to_be_visible(
        timeout=20_000
    )
    assert hook.dropped == [("POST", "/api/v1/observations")]
    assert len(posts) >= 2
    # ...and the server, idempotent on the spot's UUID, holds exactly one copy.
    assert counts(participant_id) == (1, 0)
    expect(sync_status(page)).to_contain_text("Tout est envoyé")


def test_send_now_after_a_failure(live_server, phone, make_walk, lost_answers):
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    [participant_id] = participant_ids()
    hook = lost_answers
    hook.arm("POST", "/api/v1/observations")
    save_spot(page, "Bof", "Se repérer", online=False)
    wait_for(lambda: hook.dropped, page)
    page.get_by_role("button", name="Envoyer maintenant").click()
    expect(sync_status(page)).to_contain_text("Tout est envoyé", timeout=20_000)
    assert counts(participant_id) == (1, 0)


def test_a_refused_spot_is_shown_never_dropped(live_server, phone, make_walk):
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    wait_until_controlled(page)
    [participant_id] = participant_ids()

    phone.set_offline(True)
    tag(page, "Mal à l'aise", "Éclairage", online=False)
    # Meanwhile the walk closed long before this spot: the server will refuse it (409).
    closed = db.session.get(Walk, walk.id)
    closed.status, closed.closed_at = "closed", utcnow() - timedelta(hours=2)
    db.session.commit()
    phone.set_offline(False)

    expect(sync_status(page)).to_contain_text("Non envoyés : 1", timeout=20_000)
    page.get_by_role("link", name="Mes points").click()
    item = page.get_by_role("listitem").filter(has_text="Point 1")
    expect(item).to_contain_text("Non envoyé : la marche est terminée")
    assert counts(participant_id) == (0, 0)
    # Still there after a reload: only she can decide to give it up.
    page.reload()
    item = page.get_by_role("listitem").filter(has_text="Point 1")
    expect(item).to_contain_text("Non envoyé")
    item.get_by_role("button", name="Retirer de la liste").click()
    expect(page.get_by_text("Aucun point pour l'instant.")).to_be_visible()
    expect(sync_status(page)).to_contain_text("Tout est envoyé")


def test_delete_question_stays_open_while_the_outbox_syncs(live_server, phone, make_walk):
    """The list is drawn again when a sync lands: an open "delete?" question must survive it."""
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    wait_until_controlled(page)
    [participant_id] = participant_ids()
    phone.set_offline(True)
    tag(page, "Mal à l'aise", "Éclairage", online=False)
    page.get_by_role("link", name="Mes points").click()
    page.get_by_role("button", name="Supprimer le point 1").click()
    yes = page.get_by_role("button", name="Oui, supprimer")
    expect(yes).to_be_focused()

    phone.set_offline(False)  # the spot is sent: the list is drawn again with its new state
    expect(sync_status(page)).to_contain_text("Tout est envoyé", timeout=20_000)
    wait_for(lambda: counts(participant_id) == (1, 0), page)
    expect(yes).to_be_visible()
    expect(yes).to_be_focused()
    yes.click()
    expect(page.get_by_role("listitem")).to_have_count(0)
    wait_for(lambda: counts(participant_id) == (0, 0), page)


def test_edit_and_delete_my_spots(live_server, phone, make_walk):
    walk = make_walk()
    page = phone.new_page()
    join(page, f"{live_server.url}/j/{walk.join_code}")
    wait_until_controlled(page)
    [participant_id] = participant_ids()
    tag(page, "Mal à l'aise", "Éclairage", online=True)
    tag(page, "Bof", "Toilettes", online=True)
    # A third spot, edited before it ever reached the server: no PATCH, one POST.
    phone.set_offline(True)
    tag(page, "Plutôt bien", "Bancs, assises", online=False)

    page.get_by_role("link", name="Mes points").click()
    expect(page.get_by_role("heading", name="Mes points")).to_be_visible()
    page.get_by_role("button", name="Modifier le point 3").click()
    page.get_by_role("textbox", name="Commentaire").fill("Bancs cassés <b>ici</b>")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_text("Modifications enregistrées sur ce téléphone.")).to_be_visible()
    phone.set_offline(False)

    page.get_by_role("link", name="Mes points").click()
    page.get_by_role("button", name="Modifier le point 1").click()
    page.get_by_role("radio", name="Très mal à l'aise", exact=True).check()
    page.get_by_role("textbox", name="Commentaire").fill("Lampadaire éteint")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_text("Modifications enregistrées sur ce téléphone.")).to_be_visible()

    page.get_by_role("link", name="Mes points").click()
    page.get_by_role("button", name="Supprimer le point 2").click()
    page.get_by_role("button", name="Oui, supprimer").click()
    expect(page.get_by_role("listitem")).to_have_count(2)
    # The comment is shown as text, never as HTML.
    expect(page.get_by_role("listitem").nth(1)).to_contain_text("Bancs cassés <b>ici</b>")

    expect(sync_status(page)).to_contain_text("Tout est envoyé", timeout=20_000)
    wait_for(lambda: counts(participant_id) == (2, 0), page)
    first, third = observations(participant_id)
    assert (first.feeling, first.comment, first.category) == (1, "Lampadaire éteint", "lighting")
    assert first.updated_at is not None  # changed with PATCH
    assert (third.category, third.comment) == ("seating", "Bancs cassés <b>ici</b>")
    assert third.updated_at is None  # never patched: the edit went into the waiting POST
