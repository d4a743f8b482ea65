"""The appropriation survey: a project's questionnaire, what a phone is asked, the answers.

A project's surveys ask its latest questionnaire (`current_questionnaire`); until a planner
imports one or drafts re-check items, that is the built-in one, made on first need
(`built_in_questionnaire`) so that the words asked are stored beside the answers. A phone sends
`questionnaire_id` null for the built-in questionnaire it was given before that row existed.

An answer (`submit_answer`) is one respondent's whole questionnaire, made on the phone with its
uuid: a resend with the same content is answered as stored, the same uuid with other content is
a conflict. It records the project's phase when it arrives (before/after compares the diagnostic
phase with the after-works phase), the zone (the permanent QR's, or her choice), the time slot,
and each dimension's score (domain.appropriation), so that the figures need no re-parsing. At a
permanent QR, a second answer of the same phone to the same questionnaire on the same local day
is kept and flagged `duplicate`: it is shown, never in the index.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from shapely.geometry import shape

from .. import jobs
from ..domain import appropriation as domain
from ..domain.light import light_condition
from ..domain.timeslots import local_time, time_slot
from ..extensions import db, utcnow
from ..models import (
    IndicatorCache,
    Job,
    Participant,
    Project,
    Questionnaire,
    RecheckItem,
    SurveyAnswer,
    Walk,
    Zone,
)
from .errors import Conflict, Invalid, Problem
from .walk_times import check_recorded_at

SURVEY = "appropriation_survey"
KIND = "appropriation"  # the job kind that refreshes the figures (walkapp.appropriation_jobs)
MAX_RECHECKS = 5  # re-check items asked of one respondent (her zone's first)
RECHECK_PREFIX = "recheck_"
RECHECK_CHOICES = (
    ("better", "Amélioré", "Better"),
    ("same", "Inchangé", "Unchanged"),
    ("worse", "Pire", "Worse"),
    ("dont_know", "Je ne sais pas", "I don't know"),
)
RECHECK_CODES = tuple(code for code, _, _ in RECHECK_CHOICES)


# --- The questionnaire -------------------------------------------------------------------------


def current_questionnaire(project_id: int) -> Questionnaire | None:
    return db.session.scalar(
        sa.select(Questionnaire)
        .where(Questionnaire.project_id == project_id)
        .order_by(Questionnaire.id.desc())
        .limit(1)
    )


def _first_built_in(project_id: int) -> Questionnaire | None:
    return db.session.scalar(
        sa.select(Questionnaire)
        .where(Questionnaire.project_id == project_id, Questionnaire.origin == "built_in")
        .order_by(Questionnaire.id)
        .limit(1)
    )


def built_in_questionnaire(project_id: int, *, user_id: int | None = None) -> Questionnaire:
    """The project's built-in questionnaire, made now if it has none (a write)."""
    found = _first_built_in(project_id)
    if found is None:
        found = Questionnaire(
            project_id=project_id,
            title="walkapp",
            origin="built_in",
            items=domain.built_in_data(),
            created_by_id=user_id,
        )
        db.session.add(found)
        db.session.flush()
    return found


def questionnaire_in_use(project_id: int, *, user_id: int | None = None) -> Questionnaire:
    """The questionnaire a planner edits: the current one, or the built-in one made now."""
    return current_questionnaire(project_id) or built_in_questionnaire(project_id, user_id=user_id)


def item_map(questionnaire: Questionnaire) -> dict[str, domain.Item]:
    return {data["code"]: domain.item_from_data(data) for data in questionnaire.items}


def recheck_code(recheck: RecheckItem) -> str:
    return f"{RECHECK_PREFIX}{recheck.id}"


def recheck_dict(recheck: RecheckItem) -> dict:
    return {
        "code": recheck_code(recheck),
        "finding_id": recheck.finding_id,
        "zone_id": recheck.zone_id,
        "prompt": {"fr": recheck.prompt_fr, "en": recheck.prompt_en},
        "choices": [
            {"code": code, "label": {"fr": fr, "en": en}} for code, fr, en in RECHECK_CHOICES
        ],
    }


def _zones(project_id: int) -> list[Zone]:
    return list(
        db.session.scalars(
            sa.select(Zone).where(Zone.project_id == project_id).order_by(Zone.position, Zone.id)
        )
    )


def phone_questionnaire(walk: Walk, zone_id: object = None) -> dict | None:
    """What a phone that joined `walk` is asked (None unless it is an appropriation survey).
    `zone_id`: the zone a permanent QR carries; anything but one of the project's zones is
    ignored. Reads only: the built-in questionnaire not made yet has the id null."""
    if walk.kind != SURVEY:
        return None
    questionnaire = current_questionnaire(walk.project_id)
    zones = _zones(walk.project_id)
    zone = _zone_id(zone_id, zones)
    if questionnaire is None:
        items, rechecks, qid = domain.built_in_data(), [], None
    else:
        items, qid = questionnaire.items, questionnaire.id
        rechecks = [recheck_dict(r) for r in questionnaire.rechecks if r.published]
    return {
        "id": qid,
        "items": [item for item in items if item["type"] != "image"],  # photos: a later slice
        "rechecks": rechecks,
        "max_rechecks": MAX_RECHECKS,
        "zones": [{"id": z.id, "name": z.name} for z in zones],
        "zone_id": zone,
    }


def _zone_id(value: object, zones: list[Zone]) -> int | None:
    try:
        wanted = int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return wanted if any(z.id == wanted for z in zones) else None


# --- Answers -----------------------------------------------------------------------------------


def submit_answer(
    participant: Participant, fields: dict[str, Any], *, late_sync: timedelta
) -> tuple[SurveyAnswer, bool]:
    """Store a respondent's answers; (answer, created). See the module's docstring."""
    answer_uuid: uuid.UUID = fields["id"]
    stored = db.session.scalar(sa.select(SurveyAnswer).where(SurveyAnswer.uuid == answer_uuid))
    if stored is not None:
        return _replayed(stored, participant, fields), False
    walk = participant.walk
    if walk.kind != SURVEY:
        raise Conflict({"walk": "not_a_survey"})
    check_recorded_at(walk.status, walk.closed_at, fields["recorded_at"], late_sync)
    project = walk.project
    questionnaire = _answered_questionnaire(project.id, fields.get("questionnaire_id"))
    zone = _answer_zone(project.id, fields.get("zone_id"))
    answers = dict(fields["answers"])
    scores = check_answers(questionnaire, answers)
    recorded: datetime = fields["recorded_at"]
    local = local_time(recorded, project.timezone)
    lat, lon = _place(project, zone)
    answer = SurveyAnswer(
        uuid=answer_uuid,
        participant_id=participant.id,
        walk_id=walk.id,
        questionnaire_id=questionnaire.id,
        zone_id=zone.id if zone else None,
        phase=project.phase,
        recorded_at=recorded,
        utc_offset_minutes=int(recorded.utcoffset().total_seconds() // 60),
        received_at=utcnow(),
        local_date=local.date(),
        time_slot=time_slot(local, light_condition(lat, lon, recorded)),
        answers=answers,
        scores=scores,
        duplicate=walk.permanent and _answered_today(participant.id, questionnaire.id, local),
    )
    db.session.add(answer)
    db.session.flush()
    mark_stale(project.id)
    return answer, True


def _replayed(stored: SurveyAnswer, participant: Participant, fields: dict) -> SurveyAnswer:
    if stored.participant_id != participant.id:
        raise Conflict({"id": "id_taken"})
    same = (
        stored.answers == fields["answers"]
        and stored.recorded_at == fields["recorded_at"]
        and stored.zone_id == fields.get("zone_id")
    )
    if not same:
        raise Conflict({"id": "answer_id_conflict"})
    return stored


def _answered_questionnaire(project_id: int, questionnaire_id: int | None) -> Questionnaire:
    if questionnaire_id is None:
        return built_in_questionnaire(project_id)
    found = db.session.get(Questionnaire, questionnaire_id)
    if found is None or found.project_id != project_id:
        raise Invalid({"questionnaire_id": "questionnaire_unknown"})
    return found


def _answer_zone(project_id: int, zone_id: int | None) -> Zone | None:
    if zone_id is None:
        return None
    zone = db.session.get(Zone, zone_id)
    if zone is None or zone.project_id != project_id:
        raise Invalid({"zone_id": "zone_unknown"})
    return zone


def check_answers(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, float]:
    """The dimensions' scores of answers that all fit their items; else Invalid, naming each
    answer that does not (the whole answer is refused: nothing half-stored)."""
    items = item_map(questionnaire)
    rechecks = {recheck_code(r) for r in questionnaire.rechecks if r.published}
    problems: dict[str, str | Problem] = {}
    for code, value in answers.items():
        field = f"answers.{code}"
        if code.startswith(RECHECK_PREFIX):
            if code not in rechecks:
                problems[field] = "item_unknown"
            elif value not in RECHECK_CODES:
                problems[field] = "not_a_choice"
            continue
        item = items.get(code)
        if item is None:
            problems[field] = "item_unknown"
        elif (problem := domain.answer_problem(item, value)) is not None:
            problems[field] = (
                Problem(problem, max=domain.MAX_TEXT) if problem == "too_long" else problem
            )
    if problems:
        raise Invalid(problems)
    return domain.dimension_scores(items, answers)


def _place(project: Project, zone: Zone | None) -> tuple[float, float]:
    """Where the light is reckoned: the zone's centre, else the perimeter's."""
    geometry = zone.geometry if zone else project.perimeter
    if geometry:
        point = shape(geometry).representative_point()
        return point.y, point.x
    return 50.357, 3.523  # no perimeter yet: Valenciennes (dusk differs by minutes in France)


def _answered_today(participant_id: int, questionnaire_id: int, local: datetime) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SurveyAnswer)
            .where(
                SurveyAnswer.participant_id == participant_id,
                SurveyAnswer.questionnaire_id == questionnaire_id,
                SurveyAnswer.local_date == local.date(),
            )
        )
        > 0
    )


def own_answers(participant: Participant) -> list[SurveyAnswer]:
    return list(
        db.session.scalars(
            sa.select(SurveyAnswer)
            .where(SurveyAnswer.participant_id == participant.id)
            .order_by(SurveyAnswer.id)
        )
    )


# --- The figures' cache ------------------------------------------------------------------------


def mark_stale(project_id: int) -> None:
    """Answers changed: the cached figures are stale; one refresh job queued (not one per
    answer: a queued one will read them all)."""
    db.session.execute(
        sa.update(IndicatorCache).where(IndicatorCache.project_id == project_id).values(stale=True)
    )
    queued = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Job)
        .where(Job.project_id == project_id, Job.kind == KIND, Job.status == jobs.QUEUED)
    )
    if not queued and KIND in jobs.KINDS:
        jobs.start(KIND, project_id=project_id, user_id=None, params={})
