"""The planner's changes to a project's appropriation questionnaire (planner/questionnaire.py):
the dimensions' weights, an XLSForm imported as the questionnaire in use, the built-in one made
current again, and the loop closed — one re-check item drafted per finding, then worded and
published by the planner.

Each change is audited and flushes (the request's unit of work commits). A change of what the
figures are computed from (the weights, the questionnaire in use) marks them stale
(services.appropriation.mark_stale). Reading the page writes nothing: the built-in questionnaire
is made on the first change only (services.appropriation.questionnaire_in_use).

A new questionnaire (imported, or the built-in one again) keeps the weights and the re-check
items of the one it replaces (their wording, zone and publication), so that the planner's work
is not lost; the answers stay with the questionnaire they answered, and the figures and the
before/after comparison read the answers to the questionnaire in use only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ..domain import appropriation as domain
from ..domain import xlsform
from ..domain.rules import has_control_characters
from ..extensions import db
from ..models import Finding, Project, Questionnaire, RecheckItem, SurveyAnswer
from . import appropriation, audit, zones
from .errors import Conflict, Invalid, Problem

BUILT_IN_TITLE = "walkapp"
XLSFORM = "xlsform"
BUILT_IN = "built_in"


# --- Reading -------------------------------------------------------------------------------------


def answer_count(questionnaire: Questionnaire | None) -> int:
    """Answers received for this questionnaire (duplicates at a permanent QR included)."""
    if questionnaire is None:
        return 0
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SurveyAnswer)
            .where(SurveyAnswer.questionnaire_id == questionnaire.id)
        )
        or 0
    )


def findings(project_id: int) -> list[Finding]:
    """The project's findings in the order they were confirmed (the drafts' order)."""
    return list(
        db.session.scalars(
            sa.select(Finding)
            .where(Finding.project_id == project_id)
            .order_by(Finding.created_at, Finding.id)
        )
    )


def undrafted(project_id: int, questionnaire: Questionnaire | None) -> list[Finding]:
    """The findings without a re-check item in this questionnaire yet."""
    drafted = {r.finding_id for r in questionnaire.rechecks} if questionnaire else set()
    return [f for f in findings(project_id) if f.id not in drafted]


# --- Weights -------------------------------------------------------------------------------------


def set_weights(
    project_id: int, weights: Mapping[str, float] | None, *, user_id: int | None
) -> bool:
    """The dimensions' weights of the questionnaire in use (None: equal). Returns whether they
    changed; a change is audited and marks the figures stale."""
    if weights is not None:
        problem = domain.weights_problem(weights)
        if problem is not None:
            raise Invalid(
                {"weights": Problem(f"questionnaire_{problem}", max=int(domain.WEIGHT_MAX))}
            )
        weights = domain.stored_weights(weights)
    current = appropriation.current_questionnaire(project_id)
    if (current.weights if current else None) == weights:
        return False
    questionnaire = current or appropriation.questionnaire_in_use(project_id, user_id=user_id)
    audit.record(
        "edit",
        "questionnaire",
        questionnaire.id,
        user_id=user_id,
        project_id=project_id,
        details={"weights": [questionnaire.weights, weights]},
    )
    questionnaire.weights = weights
    db.session.flush()
    appropriation.mark_stale(project_id)
    return True


# --- A new questionnaire in use ------------------------------------------------------------------


def _check_confirmed(project_id: int, confirmed: bool) -> None:
    if not confirmed and answer_count(appropriation.current_questionnaire(project_id)):
        raise Conflict({"confirm": "questionnaire_has_answers"})


def _replace(
    project_id: int, *, title: str, origin: str, items: list[dict], user_id: int | None
) -> Questionnaire:
    """A new questionnaire in use, with the weights and re-check items of the one it replaces."""
    previous = appropriation.current_questionnaire(project_id)
    questionnaire = Questionnaire(
        project_id=project_id,
        title=title[:200],
        origin=origin,
        items=items,
        weights=previous.weights if previous else None,
        created_by_id=user_id,
    )
    for old in previous.rechecks if previous else ():
        questionnaire.rechecks.append(
            RecheckItem(
                finding_id=old.finding_id,
                zone_id=old.zone_id,
                prompt_fr=old.prompt_fr,
                prompt_en=old.prompt_en,
                position=old.position,
                published=old.published,
            )
        )
    db.session.add(questionnaire)
    db.session.flush()
    appropriation.mark_stale(project_id)
    return questionnaire


def import_xlsform(
    project_id: int, data: bytes, filename: str, *, confirmed: bool, user_id: int | None
) -> Questionnaire:
    """An XLSForm workbook made the questionnaire in use; domain.xlsform.XLSFormRefused (with
    every problem) when it cannot be, and then nothing is written. Once answers have arrived for
    the questionnaire in use, the planner confirms first (`confirmed`): the figures and the
    before/after comparison will read the new questionnaire's answers only."""
    _check_confirmed(project_id, confirmed)
    form = xlsform.import_xlsform(data, filename)
    questionnaire = _replace(
        project_id, title=form.title, origin=XLSFORM, items=form.items, user_id=user_id
    )
    audit.record(
        "import",
        "questionnaire",
        questionnaire.id,
        user_id=user_id,
        project_id=project_id,
        details={
            "title": questionnaire.title,
            "filename": "".join(c for c in filename if c.isprintable())[:200],
            "items": len(form.items),
            "languages": list(form.languages),
        },
    )
    return questionnaire


def restore_built_in(
    project_id: int, *, confirmed: bool, user_id: int | None
) -> Questionnaire | None:
    """A fresh copy of the built-in questionnaire made the one in use; None when the one in use
    is already built-in (or none was ever made: the built-in one is what phones are asked)."""
    current = appropriation.current_questionnaire(project_id)
    if current is None or current.origin == BUILT_IN:
        return None
    _check_confirmed(project_id, confirmed)
    questionnaire = _replace(
        project_id,
        title=BUILT_IN_TITLE,
        origin=BUILT_IN,
        items=domain.built_in_data(),
        user_id=user_id,
    )
    audit.record(
        "create",
        "questionnaire",
        questionnaire.id,
        user_id=user_id,
        project_id=project_id,
        details={"origin": BUILT_IN, "replaces": current.id},
    )
    return questionnaire


# --- The loop closed -----------------------------------------------------------------------------


def _top_category(finding: Finding) -> str | None:
    top = (finding.statistics or {}).get("top_categories") or []
    first = top[0] if top else None
    return first[0] if isinstance(first, list | tuple) and first else None


def draft_rechecks(project_id: int, *, user_id: int | None) -> list[RecheckItem]:
    """One unpublished re-check item per finding that has none in the questionnaire in use,
    worded by domain.appropriation.recheck_draft, in the zone holding the finding's place, after
    the items already there. Returns the new items (none: nothing written)."""
    current = appropriation.current_questionnaire(project_id)
    new = undrafted(project_id, current)
    if not new:
        return []
    project = db.session.get(Project, project_id)
    questionnaire = current or appropriation.questionnaire_in_use(project_id, user_id=user_id)
    position = max((r.position for r in questionnaire.rechecks), default=0)
    drafted = []
    for finding in new:
        position += 1
        top = _top_category(finding)
        recheck = RecheckItem(
            finding_id=finding.id,
            zone_id=zones.zone_of(project_id, project.zones_version, finding.lat, finding.lon),
            prompt_fr=domain.recheck_draft(finding.title, top, "fr"),
            prompt_en=domain.recheck_draft(finding.title, top, "en"),
            position=position,
            published=False,
        )
        questionnaire.rechecks.append(recheck)
        drafted.append(recheck)
    db.session.flush()
    audit.record(
        "create",
        "recheck_items",
        questionnaire.id,
        user_id=user_id,
        project_id=project_id,
        details={"findings": [r.finding_id for r in drafted]},
    )
    return drafted


@dataclass(frozen=True)
class RecheckEdit:
    recheck_id: int
    prompt_fr: str
    prompt_en: str
    published: bool


def _clean_prompt(field: str, text: str) -> str:
    text = " ".join((text or "").split())
    if not text or len(text) > domain.MAX_RECHECK_PROMPT:
        raise Invalid({field: Problem("length", min=1, max=domain.MAX_RECHECK_PROMPT)})
    if has_control_characters(text):
        raise Invalid({field: "control_characters"})
    return text


def save_rechecks(project_id: int, edits: Sequence[RecheckEdit], *, user_id: int | None) -> int:
    """The planner's wording and publication of re-check items of the questionnaire in use
    (items not named are left as they are). Returns how many changed; each change is audited.
    An item that is not one of the questionnaire in use's refuses the whole edit."""
    current = appropriation.current_questionnaire(project_id)
    by_id = {r.id: r for r in current.rechecks} if current else {}
    if any(edit.recheck_id not in by_id for edit in edits):
        raise Invalid({"rechecks": "recheck_unknown"})
    cleaned = [
        (
            by_id[edit.recheck_id],
            _clean_prompt("prompt_fr", edit.prompt_fr),
            _clean_prompt("prompt_en", edit.prompt_en),
            bool(edit.published),
        )
        for edit in edits
    ]
    changed = 0
    for recheck, fr, en, published in cleaned:
        changes = {
            name: [getattr(recheck, name), value]
            for name, value in (("prompt_fr", fr), ("prompt_en", en), ("published", published))
            if getattr(recheck, name) != value
        }
        if not changes:
            continue
        for name, (_old, value) in changes.items():
            setattr(recheck, name, value)
        audit.record(
            "edit",
            "recheck_item",
            recheck.id,
            user_id=user_id,
            project_id=project_id,
            details={"finding_id": recheck.finding_id, **changes},
        )
        changed += 1
    db.session.flush()
    return changed
