"""What a participant does, step by step, found by role and name as a screen reader would."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from walkapp.extensions import db
from walkapp.models import Observation, Participant, Photo

from .conftest import ROOT

PHOTO = ROOT / "tests" / "data" / "night-street-12mp.jpg"
# Without eval (the app's CSP forbids it): resolves once a service worker controls the page.
WAIT_FOR_WORKER = """async () => {
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((ok) =>
      navigator.serviceWorker.addEventListener("controllerchange", ok, { once: true }),
    );
  }
  return true;
}"""


def fresh_session() -> None:
    db.session.rollback()  # a fresh snapshot: the server commits in its own threads


def counts(participant_id: int) -> tuple[int, int]:
    """(observations, photos) the server holds for this participant."""
    fresh_session()
    observations = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Observation)
        .where(Observation.participant_id == participant_id)
    )
    photos = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Photo)
        .join(Observation)
        .where(Observation.participant_id == participant_id)
    )
    return observations, photos


def observations(participant_id: int) -> list[Observation]:
    fresh_session()
    return list(
        db.session.scalars(
            sa.select(Observation)
            .where(Observation.participant_id == participant_id)
            .order_by(Observation.recorded_at)
        )
    )


def participant_ids() -> list[int]:
    fresh_session()
    return list(db.session.scalars(sa.select(Participant.id).order_by(Participant.id)))


def consent(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("checkbox", name="J'ai compris et j'accepte de participer").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Quelques questions (facultatif)")).to_be_visible()


def join(page, url: str) -> str:
    """Open the join link, agree, skip the profile; returns the erasure code shown once."""
    consent(page, url)
    page.get_by_role("button", name="Passer et rejoindre").click()
    expect(page.get_by_role("heading", name="Votre code d'effacement")).to_be_visible()
    code = page.locator("#erasure-code").inner_text()
    page.get_by_role("button", name="Je l'ai noté").click()
    expect(page.get_by_role("heading", name="Signaler un point")).to_be_visible()
    return code


def save_spot(page, feeling: str, category: str, *, online: bool) -> None:
    page.get_by_role("radio", name=feeling, exact=True).check()
    page.get_by_role("button", name=category, exact=True).click()
    saved = "Point enregistré et envoyé." if online else "Point enregistré sur ce téléphone."
    expect(page.get_by_role("status").filter(has_text=saved)).to_be_visible(timeout=20_000)


def tag(page, feeling: str, category: str, *, online: bool, photo=None) -> None:
    """Tag a spot (feeling, then category: that saves), maybe add a photo, then start again."""
    save_spot(page, feeling, category, online=online)
    if photo is not None:
        page.get_by_role("button", name="Prendre une photo").set_input_files(photo)
        expect(page.get_by_text("Photo enregistrée sur ce téléphone.").first).to_be_visible()
    page.get_by_role("button", name="Signaler un autre point").click()


def sync_status(page):
    return page.locator("#sync-status")


def wait_until_controlled(page) -> None:
    """The service worker has installed (its precache complete) and controls the page."""
    assert page.evaluate(WAIT_FOR_WORKER)


def wait_for(predicate, page, timeout_ms: int = 20_000) -> None:
    """Poll a server-side condition while the browser works."""
    waited = 0
    while not predicate():
        if waited >= timeout_ms:
            raise AssertionError("condition not met in time")
        page.wait_for_timeout(200)
        waited += 200
