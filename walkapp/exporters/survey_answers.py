"""The answers to one appropriation questionnaire as a table: one row per answer, the columns
the questionnaire's own (custom XLSForm items too: "shown and exported, not indexed").

- First the answer's facts, named with a leading ``_`` as KoboToolbox and ODK name theirs:
  the respondent (R1, R2... in order of first answer, stable within one file only: a phone
  answering twice at a permanent QR keeps its label), the event, the zone, the project's phase
  when the answer arrived, the local date, time and slot, the profile she gave when joining,
  whether it is a second answer of the day (kept, left out of the index), her index and the
  five dimensions' scores.
- Then one column per item in the questionnaire's order (a note asks nothing; an image is not
  asked on the phone): a choice's code with its label beside it, a select_multiple's codes
  separated by spaces (as ODK exports them) and their labels by "; ", a geopoint as latitude and
  longitude; then the published re-check items of the findings.

Column names are the items' codes; a name already taken (an XLSForm item called ``_zone``, or
``a_label`` beside the label of ``a``) gets ``_2``, ``_3``... so that no column hides another.
Text typed by a respondent is neutralised by the writers (domain/spreadsheet.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext, pgettext

from ..domain import appropriation as domain
from ..domain import spreadsheet as sheet
from ..domain.spreadsheet import N_
from ..domain.vocabularies import AGE_BANDS, GENDERS, PROJECT_PHASES, TIME_SLOTS, Vocabulary
from .layers import ParticipantLabels

RESPONDENT_PREFIX = "R"
UNASKED_KINDS = frozenset({"note", "image"})
INDEX_DECIMALS = 2
SCORE_DECIMALS = 4


@dataclass
class AnswerFacts:
    """What the query gives for one answer (services/exports.py reads them in batches)."""

    participant_id: int
    event: str
    zone: str | None
    phase: str
    recorded_at: datetime
    local_date: Any
    time_slot: str
    gender: str | None
    age_band: str | None
    duplicate: bool
    answers: dict
    scores: dict


@dataclass(frozen=True)
class AnswerColumn:
    code: str  # the CSV header (unique within the file)
    heading: str  # the XLSX heading, in the file's language
    definition: str  # what it holds, in the file's language
    value: Callable[[AnswerFacts], Any]


def _term(vocabulary: Vocabulary, code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return pgettext(vocabulary.name, vocabulary.get(code).label)
    except KeyError:
        return code


def _coded(code: str, heading: str, definition: str, vocabulary: Vocabulary, read):
    """A vocabulary's code and its label beside it."""
    return [
        AnswerColumn(
            code, gettext("%(column)s (code)", column=heading), definition, lambda a: read(a)
        ),
        AnswerColumn(
            code + sheet.LABEL_SUFFIX,
            heading,
            gettext("The label of the code, in the language of the file."),
            lambda a: _term(vocabulary, read(a)),
        ),
    ]


DIMENSION_NAMES = domain.DIMENSION_NAMES


def _fact_columns(tz: ZoneInfo, weights: dict | None) -> list[AnswerColumn]:
    respondent = ParticipantLabels(RESPONDENT_PREFIX)

    def index(a: AnswerFacts) -> float | None:
        value = domain.index(a.scores or {}, weights)
        return None if value is None else round(value, INDEX_DECIMALS)

    def local_time(a: AnswerFacts):
        return a.recorded_at.astimezone(tz).time().replace(second=0, microsecond=0)

    columns = [
        AnswerColumn(
            "_respondent",
            gettext("Respondent"),
            gettext(
                "R1, R2… in order of first answer: the same phone on the same event keeps its"
                " label within this file only."
            ),
            lambda a: respondent(a.participant_id),
        ),
        AnswerColumn(
            "_event", gettext("Event"), gettext("The survey event answered."), lambda a: a.event
        ),
        AnswerColumn(
            "_zone",
            gettext("Zone"),
            gettext("The zone the answer is about: the QR code's, or the one she chose."),
            lambda a: a.zone,
        ),
        *_coded(
            "_phase",
            gettext("Phase"),
            gettext(
                "The project's phase when the answer arrived: before/after compares the"
                " diagnostic with the after-works phase."
            ),
            PROJECT_PHASES,
            lambda a: a.phase,
        ),
        AnswerColumn(
            "_date",
            gettext("Date"),
            gettext("The local date of the answer."),
            lambda a: a.local_date,
        ),
        AnswerColumn(
            "_time", gettext("Time"), gettext("The local time of the answer."), local_time
        ),
        *_coded(
            "_time_slot",
            gettext("Time slot"),
            gettext("Weekday or weekend, by day or in the evening."),
            TIME_SLOTS,
            lambda a: a.time_slot,
        ),
        *_coded(
            "_gender",
            gettext("Gender"),
            gettext("As she gave it when joining (optional)."),
            GENDERS,
            lambda a: a.gender,
        ),
        *_coded(
            "_age_band",
            gettext("Age band"),
            gettext("As she gave it when joining."),
            AGE_BANDS,
            lambda a: a.age_band,
        ),
        AnswerColumn(
            "_duplicate",
            gettext("Second answer of the day"),
            gettext(
                "Yes for another answer of the same phone on the same day at a permanent QR"
                " code: kept, left out of the index's figures."
            ),
            lambda a: bool(a.duplicate),
        ),
        AnswerColumn(
            "_index",
            gettext("Appropriation index"),
            gettext(
                "0 to 100: the weighted mean of the answered dimensions; empty when fewer than"
                " %(num)s dimensions are answered.",
                num=domain.MIN_DIMENSIONS,
            ),
            index,
        ),
    ]
    for dimension in domain.DIMENSIONS:
        name = gettext(DIMENSION_NAMES[dimension])
        columns.append(
            AnswerColumn(
                f"_{dimension}",
                gettext("Dimension: %(dimension)s", dimension=name),
                gettext("The mean of the dimension's answered items, 0 to 1 (1: favourable)."),
                _score(dimension),
            )
        )
    return columns


def _score(dimension: str):
    def read(a: AnswerFacts) -> float | None:
        value = (a.scores or {}).get(dimension)
        return None if value is None else round(float(value), SCORE_DECIMALS)

    return read


def _answer(code: str):
    return lambda a: (a.answers or {}).get(code)


def _choice_labels(item: domain.Item, language: str):
    labels = {c.code: c.label(language) for c in item.choices}

    def read(a: AnswerFacts) -> str | None:
        value = (a.answers or {}).get(item.code)
        if value is None:
            return None
        codes = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(str(c), str(c)) for c in codes)

    return read


def _codes(code: str):
    def read(a: AnswerFacts) -> str | None:
        value = (a.answers or {}).get(code)
        return " ".join(map(str, value)) if isinstance(value, list) else value

    return read


def _coordinate(code: str, axis: str):
    def read(a: AnswerFacts) -> float | None:
        point = (a.answers or {}).get(code)
        return point.get(axis) if isinstance(point, dict) else None

    return read


def _item_definition(item: domain.Item, language: str) -> str:
    parts = [item.prompt(language)]
    if item.source:
        parts.append(gettext("Source: %(source)s", source=item.source))
    if item.dimension in DIMENSION_NAMES:
        name = gettext(DIMENSION_NAMES[item.dimension])
        parts.append(gettext("Scored in the dimension: %(dimension)s", dimension=name))
    else:
        parts.append(gettext("Not in the index."))
    return " — ".join(parts)


def item_columns(item: domain.Item, language: str) -> list[AnswerColumn]:
    """The columns of one item (none for a note or an image)."""
    if item.kind in UNASKED_KINDS:
        return []
    heading = item.prompt(language) or item.code
    definition = _item_definition(item, language)
    if item.kind in ("select_one", "select_multiple"):
        return [
            AnswerColumn(
                item.code,
                gettext("%(column)s (code)", column=heading),
                definition,
                _codes(item.code) if item.kind == "select_multiple" else _answer(item.code),
            ),
            AnswerColumn(
                item.code + sheet.LABEL_SUFFIX,
                heading,
                gettext("The label of the choice, in the language of the file."),
                _choice_labels(item, language),
            ),
        ]
    if item.kind == "geopoint":
        return [
            AnswerColumn(
                f"{item.code}_{axis}",
                f"{heading} ({gettext(name)})",
                definition,
                _coordinate(item.code, axis),
            )
            for axis, name in (("lat", N_("Latitude")), ("lon", N_("Longitude")))
        ]
    return [AnswerColumn(item.code, heading, definition, _answer(item.code))]


@dataclass(frozen=True)
class Recheck:
    """A published re-check item: its answer's code and its finding's reference."""

    code: str
    prompt: str
    finding: str
    choices: dict[str, str]  # code -> label in the file's language


def recheck_columns(rechecks: Sequence[Recheck]) -> list[AnswerColumn]:
    columns = []
    for recheck in rechecks:
        definition = gettext(
            "The after-works answer about the finding %(finding)s: better, unchanged, worse"
            " or don't know.",
            finding=recheck.finding,
        )
        columns += [
            AnswerColumn(
                recheck.code,
                gettext("%(column)s (code)", column=recheck.prompt),
                definition,
                _answer(recheck.code),
            ),
            AnswerColumn(
                recheck.code + sheet.LABEL_SUFFIX,
                recheck.prompt,
                gettext("The label of the choice, in the language of the file."),
                _labelled(recheck.code, recheck.choices),
            ),
        ]
    return columns


def _labelled(code: str, labels: dict[str, str]):
    def read(a: AnswerFacts) -> str | None:
        value = (a.answers or {}).get(code)
        return None if value is None else labels.get(str(value), str(value))

    return read


def unique_codes(columns: list[AnswerColumn]) -> list[AnswerColumn]:
    """The columns with every name unique: a taken name gets _2, _3..."""
    taken: set[str] = set()
    out = []
    for column in columns:
        code, n = column.code, 1
        while code in taken:
            n += 1
            code = f"{column.code}_{n}"
        taken.add(code)
        out.append(column if code == column.code else AnswerColumn(code, *_rest(column)))
    return out


def _rest(column: AnswerColumn) -> tuple:
    return column.heading, column.definition, column.value


def columns(
    items: Sequence[domain.Item],
    rechecks: Sequence[Recheck],
    *,
    language: str,
    timezone: str,
    weights: dict | None,
) -> list[AnswerColumn]:
    """Every column of the file, in order (in the current language)."""
    found = _fact_columns(ZoneInfo(timezone), weights)
    for item in items:
        found += item_columns(item, language)
    return unique_codes(found + recheck_columns(rechecks))


def rows(columns_: list[AnswerColumn], facts: Iterator[AnswerFacts]) -> Iterator[list[Any]]:
    for answer in facts:
        yield [column.value(answer) for column in columns_]


def question_rows(items: Sequence[domain.Item], language: str) -> Iterator[list[Any]]:
    """The questions sheet: each item's code, type, wording, dimension, source and choices
    (code = label, score)."""
    for item in items:
        choices = "; ".join(
            f"{c.code} = {c.label(language)}" + ("" if c.score is None else f" ({c.score:.4g})")
            for c in item.choices
        )
        if item.scale:
            choices = f"{item.scale[0]}–{item.scale[1]}"
        dimension = (
            gettext(DIMENSION_NAMES[item.dimension]) if item.dimension in DIMENSION_NAMES else ""
        )
        yield [item.code, item.kind, item.prompt(language), dimension, item.source, choices]
