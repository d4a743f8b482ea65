"""The appropriation index's figures for the pages: computed by a job, read from the cache.

Bootstrap intervals take seconds over a large survey, too long for a page (DESIGN's budget):
every answer marks the project's cached figures stale and queues one refresh job
(services.appropriation.mark_stale); the job (walkapp.appropriation_jobs) reads the answers,
computes every figure for each population (domain.appropriation_figures) and writes the cache in
one short transaction of its own — on SQLite the long computation holds no write lock. A page
shows the cached figures, says when they were computed and how many answers arrived since.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..domain import appropriation as items
from ..domain import appropriation_figures as domain
from ..domain.thresholds import enough_people
from ..extensions import db, utcnow, write_intent
from ..models import IndicatorCache, Participant, Questionnaire, SurveyAnswer
from .appropriation import RECHECK_PREFIX, current_questionnaire, item_map

FIGURES_VERSION = 3  # bump when the cached figures' shape changes: old rows are recomputed


def respondents(
    questionnaire_id: int, others: frozenset[str] = frozenset(), before: datetime | None = None
) -> list[domain.Respondent]:
    """The answers kept for the index (not the duplicates), with each respondent's profile;
    `others`: the codes of the questions outside the index whose answers are kept too;
    `before`: only the answers made before then (a report's period end)."""
    query = (
        sa.select(
            SurveyAnswer.zone_id,
            SurveyAnswer.phase,
            SurveyAnswer.time_slot,
            Participant.gender,
            Participant.age_band,
            SurveyAnswer.scores,
            SurveyAnswer.answers,
        )
        .join(Participant, Participant.id == SurveyAnswer.participant_id)
        .where(
            SurveyAnswer.questionnaire_id == questionnaire_id,
            SurveyAnswer.duplicate.is_(False),
        )
        .order_by(SurveyAnswer.id)
    )
    if before is not None:
        query = query.where(SurveyAnswer.recorded_at < before)
    rows = db.session.execute(query)
    return [
        domain.Respondent(
            zone_id=zone_id,
            phase=phase,
            time_slot=slot,
            gender=gender,
            age_band=age_band,
            scores=scores or {},
            arrival_mode=_text(answers.get(items.SOFT_MOBILITY_ITEM)),
            rechecks={k: v for k, v in answers.items() if k.startswith(RECHECK_PREFIX)},
            safe_day=_text(answers.get("safe_alone_day")),
            safe_dark=_text(answers.get("safe_alone_dark")),
            others={code: answers[code] for code in others if code in answers},
        )
        for zone_id, phase, slot, gender, age_band, scores, answers in rows
    ]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def compute(
    project_id: int, progress: Callable[[int, int | None], None] | None = None
) -> dict[str, dict]:
    """Every population's figures for the project's current questionnaire (reads only)."""
    questionnaire = current_questionnaire(project_id)
    if questionnaire is None:
        return {}
    questions = domain.other_questions(list(item_map(questionnaire).values()))
    people = respondents(questionnaire.id, frozenset(item.code for item in questions))
    out = {}
    for done, population in enumerate(domain.POPULATIONS):
        if progress:
            progress(done, len(domain.POPULATIONS))
        figures = domain.figures(
            people, weights=questionnaire.weights, population=population, questions=questions
        )
        out[population] = {
            **figures,
            "version": FIGURES_VERSION,
            "questionnaire_id": questionnaire.id,
            "answers": len(people),
        }
    return out


def store(project_id: int, computed: dict[str, dict], at: datetime | None = None) -> None:
    """Write the figures in one short transaction on a connection of its own (not the job's
    read-only session): replaced whole, not stale."""
    at = at or utcnow()
    token = write_intent.set(True)  # SQLite: BEGIN IMMEDIATE
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.delete(IndicatorCache).where(IndicatorCache.project_id == project_id))
            for key, data in computed.items():
                conn.execute(
                    sa.insert(IndicatorCache).values(
                        project_id=project_id, key=key, data=data, computed_at=at, stale=False
                    )
                )
    finally:
        write_intent.reset(token)


@dataclass(frozen=True)
class Cached:
    figures: dict | None  # None: never computed
    computed_at: datetime | None
    stale: bool
    pending: int  # answers received since the figures were computed


def cached(project_id: int, population: str = "women") -> Cached:
    row = db.session.scalar(
        sa.select(IndicatorCache).where(
            IndicatorCache.project_id == project_id, IndicatorCache.key == population
        )
    )
    since = row.computed_at if row else None
    pending_query = (
        sa.select(sa.func.count())
        .select_from(SurveyAnswer)
        .join(Questionnaire, Questionnaire.id == SurveyAnswer.questionnaire_id)
        .where(Questionnaire.project_id == project_id)
    )
    if since is not None:
        pending_query = pending_query.where(SurveyAnswer.received_at > since)
    pending = db.session.scalar(pending_query) or 0
    if row is None or row.data.get("version") != FIGURES_VERSION:
        return Cached(None, since, True, pending)
    return Cached(row.data, since, row.stale, pending)


@dataclass(frozen=True)
class RecheckResult:
    """The answers to one finding's follow-up question after the works (women's, or
    everyone's): better / unchanged / worse, n of those three, don't know apart."""

    finding_id: int
    prompt_fr: str
    prompt_en: str
    better: int
    same: int
    worse: int
    dont_know: int

    @property
    def n(self) -> int:
        return self.better + self.same + self.worse

    @property
    def enough(self) -> bool:
        return enough_people(self.n)


def recheck_results(
    project_id: int, population: str = "women", before: datetime | None = None
) -> dict[int, RecheckResult]:
    """Each finding's follow-up answers after the works, by finding id, read from the answers
    (no cache: the annex and the report are built by jobs); `before`: the answers made before
    then only (the report's period end). Findings without a published follow-up question are
    absent."""
    questionnaire = current_questionnaire(project_id)
    if questionnaire is None or not questionnaire.rechecks:
        return {}
    tallies = domain.figures_rechecks(respondents(questionnaire.id, before=before), population)
    out = {}
    for recheck in questionnaire.rechecks:
        if not recheck.published:
            continue  # a draft: never asked
        tally = tallies.get(f"{RECHECK_PREFIX}{recheck.id}", {})
        out[recheck.finding_id] = RecheckResult(
            recheck.finding_id,
            recheck.prompt_fr,
            recheck.prompt_en,
            *(tally.get(code, 0) for code in ("better", "same", "worse", "dont_know")),
        )
    return out
