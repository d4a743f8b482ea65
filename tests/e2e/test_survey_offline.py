"""Issue 18, the appropriation questionnaire on a phone with no signal, in real Chromium (360 x
800, touch, French): the permanent QR of a zone opened once, then offline she agrees, joins,
answers one question per screen (one skipped, one answer changed with « Retour »), the re-checks
of her zone first, sees « Merci »; the app and the waiting answer survive an offline reload;
back online the join then the answer arrive — exactly one SurveyAnswer, with what she chose."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from planner_users import login, make_user
from playwright.sync_api import expect
from test_appropriation_pages import run_refresh
from test_zones import EAST, WEST, add_zones

from walkapp.domain.appropriation import built_in_data
from walkapp.extensions import db
from walkapp.models import Finding, Questionnaire, RecheckItem, SurveyAnswer, Zone

from .conftest import PLACE
from .helpers import participant_ids, sync_status, wait_until_controlled
from .night_walk_helpers import became

pytestmark = pytest.mark.browser

SQUARE, UNDERPASS = "Le square", "Le passage souterrain"


def choice(code: str, fr: str, en: str) -> dict:
    return {"code": code, "label": {"fr": fr, "en": en}, "score": None}


def extra_item(code: str, kind: str, fr: str, en: str, **fields) -> dict:
    return {
        "code": code,
        "type": kind,
        "prompt": {"fr": fr, "en": en},
        "hint": None,
        "source": "",
        "dimension": None,
        "choices": [],
        "range": None,
        "relevant": None,
        "required": False,
        "row": None,
        **fields,
    }


def questionnaire_items() -> list[dict]:
    """The built-in items, with a note first, a select_multiple asked unless she never avoids
    the place (relevant), and a position."""
    items = built_in_data()
    at = next(i for i, item in enumerate(items) if item["code"] == "avoidance") + 1
    avoid_when = extra_item(
        "avoid_when",
        "select_multiple",
        "Quand l'évitez-vous ?",
        "When do you avoid it?",
        choices=[
            choice("day", "Le jour", "By day"),
            choice("evening", "Le soir", "In the evening"),
            choice(
                "night", "La nuit, quand les commerces ont fermé et que la rue se vide", "At night"
            ),
        ],
        relevant=[[{"q": "avoidance", "op": "!=", "value": "never"}]],
    )
    note = extra_item("intro", "note", "Deux minutes, dix questions.", "Two minutes.")
    where = extra_item("where_exactly", "geopoint", "Où êtes-vous exactement ?", "Where exactly?")
    return [note, *items[:at], avoid_when, *items[at:], where]


def make_survey(make_walk):
    """An appropriation survey in a project with two zones, its questionnaire and six
    published re-checks: two of the underpass (asked first there), four of the square."""
    walk = make_walk(kind="appropriation_survey", stops=0, title="Enquête après travaux")
    add_zones(walk.project_id, (SQUARE, WEST), (UNDERPASS, EAST))
    zones = {z.name: z.id for z in db.session.scalars(sa.select(Zone))}
    questionnaire = Questionnaire(
        project_id=walk.project_id,
        title="Après travaux",
        origin="built_in",
        items=questionnaire_items(),
    )
    db.session.add(questionnaire)
    for n, zone in enumerate([SQUARE, UNDERPASS, SQUARE, SQUARE, UNDERPASS, SQUARE], start=1):
        finding = Finding(
            project_id=walk.project_id,
            place_key=f"place-{n}",
            lat=50.356,
            lon=3.516 if zone == SQUARE else 3.521,
            geometry={"type": "Point", "coordinates": [3.516, 50.356]},
            spot_ids=[],
            title=f"Constat {n}",
            recommendation="",
            statistics={},
        )
        db.session.add(finding)
        db.session.flush()
        questionnaire.rechecks.append(
            RecheckItem(
                finding=finding,
                zone_id=zones[zone],
                prompt_fr=f"Constat {n} ({zone}) : est-ce mieux aujourd'hui ?",
                prompt_en=f"Finding {n} ({zone}): better today?",
                position=n,
                published=True,
            )
        )
    db.session.commit()
    return walk, questionnaire.id, zones


def answers_stored() -> list[SurveyAnswer]:
    db.session.rollback()  # a fresh snapshot: the server commits in its own threads
    return list(db.session.scalars(sa.select(SurveyAnswer)))


def test_the_questionnaire_answered_offline_arrives_once(app, live_server, phone, make_walk):
    walk, questionnaire_id, zones = make_survey(make_walk)
    page = phone.new_page()
    page.goto(f"{live_server.url}/j/{walk.join_code}?zone={zones[UNDERPASS]}")
    wait_until_controlled(page)
    phone.set_offline(True)  # the QR opened once; then no signal

    page.get_by_role("checkbox", name="J'ai compris et j'accepte de participer").check()
    page.get_by_role("button", name="Continuer").click()
    page.check('input[name="gender"][value="woman"]')  # « Femme »: the index is women's
    page.get_by_role("button", name="Répondre au questionnaire").click()

    question = page.locator("#survey-q")
    progress = page.locator("#survey-progress-shown")
    # The QR carried her zone: no « Où êtes-vous ? »; the note first. 14 items (the image-less
    # questionnaire, avoid_when asked while avoidance is unanswered) and 5 re-checks.
    expect(question).to_have_text("Deux minutes, dix questions.")
    expect(progress).to_have_text("1 / 19")
    expect(page.get_by_role("button", name="Passer")).to_be_hidden()  # a note: nothing to skip
    page.get_by_role("button", name="Suivant").click()

    def tap(prompt: str, label: str) -> None:
        expect(question).to_have_text(prompt)
        page.get_by_role("button", name=label, exact=True).click()

    tap("À quelle fréquence venez-vous ici ?", "Chaque mois")
    expect(progress).to_have_text("3 / 19")
    page.get_by_role("button", name="Retour").click()  # she changes her mind
    expect(question).to_have_text("À quelle fréquence venez-vous ici ?")
    expect(page.get_by_role("button", name="Chaque mois")).to_have_attribute("aria-pressed", "true")
    tap("À quelle fréquence venez-vous ici ?", "Chaque semaine")

    expect(question).to_have_text("Quand vous venez, vous…")
    page.get_by_role("button", name="Passer").click()  # the one she skips
    tap("Vous sentez-vous en sécurité en marchant seule ici, de jour ?", "Plutôt en sécurité")
    tap(
        "Vous sentez-vous en sécurité en marchant seule ici, après la tombée de la nuit ?",
        "Très en insécurité",
    )
    tap(
        "Vous arrive-t-il d'éviter ce lieu ou de renoncer à y venir pour des raisons de sécurité ?",
        "Parfois",
    )
    expect(question).to_have_text("Quand l'évitez-vous ?")
    long_label = page.get_by_role("checkbox", name=re.compile("^La nuit, quand les commerces"))
    box = long_label.locator("xpath=..").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360, box  # a long label wraps
    page.get_by_role("checkbox", name="Le soir").check()
    page.get_by_role("button", name="English").click()  # offline: the same question in English
    expect(question).to_have_text("When do you avoid it?")
    expect(page.get_by_role("checkbox", name="In the evening")).to_be_checked()  # kept
    expect(page.locator("#survey-progress-said")).to_have_text("Question 7 of 19")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("#survey-progress-said")).to_have_text("Question 7 sur 19")
    long_label.check()
    page.get_by_role("button", name="Suivant").click()
    tap("Vous sentez-vous en sécurité ici ? (1 à 7)", "5")
    tap("« Je me sens à ma place ici »", "D'accord")
    expect(page.get_by_role("button", name=re.compile(r"^\d$"))).to_have_count(7)
    tap("Ce lieu a-t-il une identité à laquelle vous vous sentez appartenir ? (1 à 7)", "5")
    tap("Venez-vous ici après la tombée de la nuit ?", "Rarement")
    tap("Comment êtes-vous venue ici aujourd'hui ?", "À pied")
    expect(question).to_have_text("Qu'est-ce qui a changé ici depuis les travaux ?")
    page.get_by_role("textbox").fill("  Plus de lumière sous le pont, <b>enfin</b>  ")
    page.get_by_role("button", name="Suivant").click()
    expect(question).to_have_text("Où êtes-vous exactement ?")
    page.get_by_role("button", name="Utiliser ma position").click()

    # The re-checks: her zone's (the underpass: findings 2 and 5) first, then the square's, five.
    rechecks = [
        ("Constat 2 (Le passage souterrain) : est-ce mieux aujourd'hui ?", "Amélioré"),
        ("Constat 5 (Le passage souterrain) : est-ce mieux aujourd'hui ?", "Pire"),
        ("Constat 1 (Le square) : est-ce mieux aujourd'hui ?", "Inchangé"),
        ("Constat 3 (Le square) : est-ce mieux aujourd'hui ?", "Je ne sais pas"),
        ("Constat 4 (Le square) : est-ce mieux aujourd'hui ?", "Amélioré"),
    ]
    expect(progress).to_have_text("15 / 19")
    for prompt, label in rechecks:
        tap(prompt, label)

    thanks = page.get_by_role("heading", name="Merci")
    expect(thanks).to_be_visible()
    expect(page.locator("#thanks-msg")).to_have_text(
        "Vos réponses sont enregistrées sur ce téléphone. Elles seront envoyées dès qu'il y aura "
        "du réseau."
    )
    expect(sync_status(page)).to_contain_text("Vos réponses attendent d'être envoyées")
    assert participant_ids() == [] and answers_stored() == []

    page.reload()  # offline: the service worker opens the app; the answer still waits
    expect(thanks).to_be_visible()
    expect(sync_status(page)).to_contain_text("Vos réponses attendent d'être envoyées")
    assert answers_stored() == []

    phone.set_offline(False)  # the join goes first, then the answer
    assert became(lambda: len(answers_stored()) == 1, page), "the answer never arrived"
    code_screen = page.get_by_role("heading", name="Votre code d'effacement")
    expect(code_screen.or_(thanks)).to_be_visible()
    if code_screen.is_visible():  # the erasure code came with the join: shown once
        page.get_by_role("button", name="Je l'ai noté").click()
    expect(thanks).to_be_visible()
    expect(page.locator("#thanks-msg")).to_have_text("Vos réponses sont envoyées.")
    expect(sync_status(page)).to_contain_text("Tout est envoyé")
    page.wait_for_timeout(1_000)  # a second send would land now: it must change nothing

    [answer] = answers_stored()
    assert isinstance(answer.uuid, uuid.UUID) and answer.uuid.version == 4
    assert answer.zone_id == zones[UNDERPASS]
    assert answer.questionnaire_id == questionnaire_id
    assert answer.participant_id == participant_ids()[0]
    where = answer.answers.pop("where_exactly")
    assert where["lat"] == pytest.approx(PLACE["latitude"]) and where["accuracy_m"] == 8
    assert where["lon"] == pytest.approx(PLACE["longitude"])
    recheck = {n: f"recheck_{r.id}" for n, r in enumerate(_rechecks(questionnaire_id), start=1)}
    assert answer.answers == {
        "use_frequency": "weekly",  # changed with « Retour »; stay_or_pass skipped: absent
        "safe_alone_day": "fairly_safe",
        "safe_alone_dark": "very_unsafe",
        "avoidance": "sometimes",
        "avoid_when": ["evening", "night"],
        "ps_feeling_safe": 5,
        "belonging": "agree",
        "ps_identity": 5,
        "night_use": "rarely",
        "arrival_mode": "walking",
        "changes_since_works": "Plus de lumière sous le pont, <b>enfin</b>",
        recheck[2]: "better",
        recheck[5]: "worse",
        recheck[1]: "same",
        recheck[3]: "dont_know",
        recheck[4]: "better",
    }
    assert recheck[6] not in answer.answers  # five at most

    # The planner's indicators page: the answer waits for the refresh job, then counts in n.
    planner = app.test_client()
    login(planner, make_user("ines@valenciennes-metropole.fr", projects=[walk.project_id]))
    indicators = f"/planner/projects/{walk.project_id}/indicators"
    assert 'data-pending="1"' in planner.get(indicators).text
    (job,) = run_refresh(app)
    assert job.status == "done"
    page_text = planner.get(indicators).text
    assert 'data-pending="0"' in page_text
    assert 'data-phase="diagnostic" data-n="1"' in page_text


def _rechecks(questionnaire_id: int) -> list[RecheckItem]:
    return list(
        db.session.scalars(
            sa.select(RecheckItem)
            .where(RecheckItem.questionnaire_id == questionnaire_id)
            .order_by(RecheckItem.position)
        )
    )
