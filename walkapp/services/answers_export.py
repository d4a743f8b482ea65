"""The answers to one of a project's appropriation questionnaires as CSV or XLSX
(exporters/survey_answers.py): every item, custom ones too, and each answer's facts and scores.
Read only and streamed (answers read in batches); no Flask request (it runs in a job:
walkapp.export_jobs, which checks the right and records the export in the request).

Nothing in a row links to a person: no participant id, token or answer uuid; respondents are
R1, R2... within the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import force_locale, get_locale, gettext

from ..domain import appropriation as items_domain
from ..exporters import survey_answers as table
from ..exporters import tabular
from ..exporters.layers import BATCH, FINDING_PREFIX
from ..extensions import db
from ..models import Participant, Project, Questionnaire, RecheckItem, SurveyAnswer, Walk, Zone
from .appropriation import RECHECK_CHOICES, recheck_code
from .errors import NotFound

Progress = Callable[[int, int], Any]
FORMATS = ("xlsx", "csv")
KIND = "answers"  # exports.KIND_WORDS' key: the word of the file's name


def questionnaire_choices(project_id: int) -> list[tuple[Questionnaire, int]]:
    """The project's questionnaires, newest first, each with its number of answers."""
    answers = (
        sa.select(sa.func.count(SurveyAnswer.id))
        .where(SurveyAnswer.questionnaire_id == Questionnaire.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Questionnaire, answers)
        .where(Questionnaire.project_id == project_id)
        .order_by(Questionnaire.id.desc())
    )
    return [(questionnaire, count or 0) for questionnaire, count in rows]


def questionnaire_of(project_id: int, questionnaire_id: int) -> Questionnaire:
    found = db.session.get(Questionnaire, questionnaire_id)
    if found is None or found.project_id != project_id:
        raise NotFound({"questionnaire": "not_found"})
    return found


def _rechecks(questionnaire: Questionnaire, language: str) -> list[table.Recheck]:
    labels = {code: fr if language == "fr" else en for code, fr, en in RECHECK_CHOICES}
    return [
        table.Recheck(
            code=recheck_code(recheck),
            prompt=recheck.prompt_fr if language == "fr" else recheck.prompt_en,
            finding=f"{FINDING_PREFIX}{recheck.finding_id}",
            choices=labels,
        )
        for recheck in db.session.scalars(
            sa.select(RecheckItem)
            .where(RecheckItem.questionnaire_id == questionnaire.id, RecheckItem.published)
            .order_by(RecheckItem.position, RecheckItem.id)
        )
    ]


def _count(questionnaire_id: int) -> int:
    query = sa.select(sa.func.count(SurveyAnswer.id)).where(
        SurveyAnswer.questionnaire_id == questionnaire_id
    )
    return db.session.scalar(query) or 0


def _facts(questionnaire_id: int) -> Iterator[table.AnswerFacts]:
    query = (
        sa.select(
            SurveyAnswer.participant_id,
            Walk.title,
            Zone.name,
            SurveyAnswer.phase,
            SurveyAnswer.recorded_at,
            SurveyAnswer.local_date,
            SurveyAnswer.time_slot,
            Participant.gender,
            Participant.age_band,
            SurveyAnswer.duplicate,
            SurveyAnswer.answers,
            SurveyAnswer.scores,
        )
        .join(Participant, Participant.id == SurveyAnswer.participant_id)
        .join(Walk, Walk.id == SurveyAnswer.walk_id)
        .outerjoin(Zone, Zone.id == SurveyAnswer.zone_id)
        .where(SurveyAnswer.questionnaire_id == questionnaire_id)
        .order_by(SurveyAnswer.id)
    )
    result = db.session.connection().execute(query.execution_options(yield_per=BATCH))
    try:
        for batch in result.partitions():
            for row in batch:
                yield table.AnswerFacts(*row)
    finally:
        result.close()


def write(
    project_id: int,
    questionnaire_id: int,
    out: IO[bytes],
    *,
    format: str,
    french: bool = False,
    language: str = "fr",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the answers to `out`; returns {"format", "answers": rows written}."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound({"project": "not_found"})
    questionnaire = questionnaire_of(project_id, questionnaire_id)
    items = [items_domain.item_from_data(data) for data in questionnaire.items]
    total = _count(questionnaire.id)
    with force_locale(language):
        columns = table.columns(
            items,
            _rechecks(questionnaire, language),
            language=language,
            timezone=project.timezone,
            weights=questionnaire.weights,
        )
        values = table.rows(columns, _facts(questionnaire.id))
        if format == "csv":
            header = [column.code for column in columns]
            done = tabular.write_table(
                header, values, out, french=french, total=total, progress=progress
            )
        else:
            done = _write_xlsx(project, questionnaire, items, columns, values, out, progress, total)
    if progress is not None:
        progress(done, total)
    return {"format": format, "layer": KIND, KIND: done}


def _write_xlsx(
    project: Project,
    questionnaire: Questionnaire,
    items: list[items_domain.Item],
    columns: list[table.AnswerColumn],
    values: Iterator[list[Any]],
    out: IO[bytes],
    progress: Progress | None,
    total: int,
) -> int:
    """The answers sheet, the questions sheet (each item's wording, dimension, source and
    choices with their scores) and the definitions sheet (what the file is, every column)."""
    book = tabular.XlsxWriter()
    answers = book.new_sheet(gettext("Answers"), [column.heading for column in columns])
    done = 0
    for row in values:
        book.append(answers, row)
        done += 1
        if progress is not None and done % tabular.PROGRESS_EVERY == 0:
            progress(done, total)
    questions = book.new_sheet(
        gettext("Questions"),
        [
            gettext("Code"),
            gettext("Type"),
            gettext("Question"),
            gettext("Dimension"),
            gettext("Source"),
            gettext("Choices (code = label, score)"),
        ],
    )
    for row in table.question_rows(items, _language()):
        book.append(questions, row)
    about = book.new_sheet(gettext("Definitions"), [gettext("About this file"), ""])
    for name, value in (
        (gettext("Project"), project.name),
        (gettext("Commune"), project.commune),
        (gettext("Questionnaire"), questionnaire.title),
        (gettext("Answers"), done),
        (
            gettext("Second answers of the day"),
            gettext("kept and flagged; left out of the index's figures"),
        ),
    ):
        book.append(about, [name, value])
    book.append(about, [])
    book.append(about, [gettext("Column"), gettext("Heading"), gettext("Definition")])
    for column in columns:
        book.append(about, [column.code, column.heading, column.definition])
    book.save(out)
    return done


def _language() -> str:
    """The file's language (the caller forced the locale)."""
    return str(get_locale() or "fr")[:2]
