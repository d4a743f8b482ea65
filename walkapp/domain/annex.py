"""The tender-specification annex (« Prescriptions issues des diagnostics en marchant ») as plain
data, and the rules that decide what goes into it. No Flask, no DB session.

services.annex reads the project and fills these records; exporters.annex_docx and the planner's
preview word them. The rules written here, once:

- which requirements a finding carries: the clauses of the library chosen by the categories its
  spots were reported in (the library keeps the mapping: `Library.for_categories`), each citing
  the references of *that finding's* spots of one of the clause's categories — so a cited
  reference always belongs to the finding, and a clause no spot of the finding supports is left
  out (:func:`requirements_for`);
- what a contractor may read of a spot: reference, category, feeling, date and light always; its
  comment only if the planner chose to quote it; an erased spot only as its reference (tender
  files go to every bidder) (:func:`appendix_rows`);
- which categories choose a finding's clauses: its most reported ones (:data:`TOP_CATEGORIES`,
  ties kept), not every category one spot named — a place of 48 reports names nearly all twelve,
  and a clause resting on one report among 48 says little (:func:`clause_categories`);
- the award weights: the library's suggested criteria (a share of the tender's marks: price and
  the other criteria of the tender take the rest), the library's defaults or the planner's when
  they are whole numbers from 0 to 100 for exactly the library's criteria adding up to at most
  100; the rest up to 100 is "the other criteria of the tender" (:func:`weights_problem`,
  :func:`award_lines`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from .rechecks import RecheckAnswers

HARASSMENT = "harassment"
TOP_CATEGORIES = 3  # as many as a hotspot's "main categories" (domain.hotspots)
WEIGHT_TOTAL = 100
WEIGHT_MIN, WEIGHT_MAX = 0, 100

# What became of a spot a finding was confirmed on.
SHOWN, ERASED, HIDDEN = "shown", "erased", "hidden"


class ClauseLike(Protocol):
    """What the annex reads of a clause of the library (exporters.clause_library.Clause)."""

    id: str
    categories: tuple[str, ...]
    theme: str
    title: str
    text: str
    criterion: str | None
    source: str
    reception_check: str
    recheck_question: str
    confirm_edition: bool


class CriterionLike(Protocol):
    code: str
    title: str
    description: str
    default_weight: int


# --- The records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpotFacts:
    """One spot of a finding, as the annex may use it (status SHOWN), or what is left of it."""

    id: int
    reference: str
    status: str = SHOWN
    category: str | None = None
    feeling: int | None = None
    local_date: date | None = None
    light_condition: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Requirement:
    """A clause of the library as a finding's requirement, with the references it rests on."""

    clause_id: str
    categories: tuple[str, ...]
    theme: str
    title: str
    text: str
    criterion: str | None
    source: str
    reception_check: str
    recheck_question: str
    confirm_edition: bool
    references: tuple[str, ...]


@dataclass(frozen=True)
class Quote:
    reference: str
    category: str
    text: str


@dataclass(frozen=True)
class ChosenPhoto:
    photo_id: int
    reference: str
    category: str
    sha256: str
    width: int
    height: int


@dataclass(frozen=True)
class NearestStop:
    label: str  # as on the map: "2", or "B2" when the walks followed different routes
    name: str
    distance_m: float | None = None


@dataclass(frozen=True)
class FindingSection:
    number: int  # 1, 2, ... in the annex (the map's labels)
    finding_id: int
    title: str
    recommendation: str
    lat: float
    lon: float
    geometry: dict[str, Any]
    stop: NearestStop | None
    n_reports: int
    n_participants: int
    n_night: int
    categories: tuple[tuple[str, int], ...]  # reported categories of its spots, most first
    clause_categories: tuple[str, ...]  # those that chose its clauses (clause_categories)
    references: tuple[str, ...]  # every spot it was confirmed on, in reference order
    quotes: tuple[Quote, ...] = ()
    photos: tuple[ChosenPhoto, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    # The answers to its follow-up question after the works (women's); None without one.
    recheck: RecheckAnswers | None = None

    @property
    def share_night(self) -> float:
        return self.n_night / self.n_reports if self.n_reports else 0.0


@dataclass(frozen=True)
class WalkSummary:
    """One exploratory walk held: when, with whom, by day or night."""

    title: str
    audience: str
    starts_at: datetime  # UTC; shown in the annex's time zone
    light_counts: Mapping[str, int]  # spots by light condition
    people_by_gender: Mapping[str | None, int]
    people_source: str | None  # indicators.SOURCE_* (head count, participants in the app)

    @property
    def light(self) -> str | None:
        return walk_light(self.light_counts)

    @property
    def people(self) -> int:
        return sum(self.people_by_gender.values())

    @property
    def women(self) -> int:
        return self.people_by_gender.get("woman", 0)


@dataclass(frozen=True)
class Gap:
    """A group of people too few or absent among the participants (domain.participation)."""

    code: str
    n: int


@dataclass(frozen=True)
class StopMark:
    """A stop on the map: its number, with the route's letter when there are several routes."""

    label: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class AwardLine:
    code: str
    title: str
    description: str
    weight: int


@dataclass(frozen=True)
class ZoneMark:
    """A zone of the project on the map: outlined thinly, under the findings, with its name."""

    name: str
    geometry: dict[str, Any]


@dataclass(frozen=True)
class Annex:
    project_id: int
    project_name: str
    commune: str
    insee_code: str | None
    timezone: str
    language: str
    generated_at: datetime
    perimeter: dict[str, Any] | None
    walks: tuple[WalkSummary, ...]
    gaps: tuple[Gap, ...]
    stops: tuple[StopMark, ...]
    findings: tuple[FindingSection, ...]
    appendix: tuple[SpotFacts, ...]
    equality_policy: str
    award: tuple[AwardLine, ...]
    award_other: int  # the weight left to the tender's other criteria (price...)
    custom_weights: bool = False
    library_problems: tuple[Any, ...] = field(default_factory=tuple)
    zones: tuple[ZoneMark, ...] = ()

    @property
    def cited(self) -> set[str]:
        return {ref for f in self.findings for r in f.requirements for ref in r.references}


# --- The rules -------------------------------------------------------------------------------


def walk_light(counts: Mapping[str, int]) -> str | None:
    """ "night" when most of a walk's spots were tagged at twilight or night, "day" otherwise;
    None for a walk without spots."""
    total = sum(counts.values())
    if not total:
        return None
    dark = counts.get("night", 0) + counts.get("twilight", 0)
    return "night" if 2 * dark > total else "day"


def reported_categories(spots: Iterable[SpotFacts]) -> tuple[tuple[str, int], ...]:
    """The categories the finding's shown spots were reported in, the most reported first."""
    counts = Counter(s.category for s in spots if s.status == SHOWN and s.category)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def clause_categories(categories: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    """The categories that choose a finding's clauses: the TOP_CATEGORIES most reported (as
    `reported_categories` orders them), and any as reported as the last of those."""
    if not categories:
        return ()
    kept = list(categories[:TOP_CATEGORIES])
    floor = kept[-1][1]
    kept += [c for c in categories[TOP_CATEGORIES:] if c[1] == floor]
    return tuple(code for code, _n in kept)


def requirements_for(
    spots: Sequence[SpotFacts], clauses: Iterable[ClauseLike]
) -> tuple[Requirement, ...]:
    """The requirements of a finding: each clause (in the library's order) with the references
    of the finding's shown spots whose category is one of the clause's; a clause no spot of the
    finding supports is left out. A clause given twice is kept once."""
    found, seen = [], set()
    for clause in clauses:
        if clause.id in seen:
            continue
        seen.add(clause.id)
        cats = set(clause.categories)
        refs = tuple(
            sorted(
                {s.reference for s in spots if s.status == SHOWN and s.category in cats},
                key=reference_order,
            )
        )
        if refs:
            found.append(
                Requirement(
                    clause_id=clause.id,
                    categories=tuple(clause.categories),
                    theme=clause.theme,
                    title=clause.title,
                    text=clause.text,
                    criterion=clause.criterion,
                    source=clause.source,
                    reception_check=clause.reception_check,
                    recheck_question=clause.recheck_question,
                    confirm_edition=clause.confirm_edition,
                    references=refs,
                )
            )
    return tuple(found)


def reference_order(reference: str) -> tuple[int, str]:
    """S2 before S10 (references are S + a number; anything else sorts last, as text)."""
    digits = reference[1:]
    return (int(digits), reference) if digits.isdigit() else (1 << 62, reference)


def quotable(spot: SpotFacts) -> bool:
    return spot.status == SHOWN and bool((spot.comment or "").strip())


def quotes_of(spots: Iterable[SpotFacts], quoted_ids: Iterable[int]) -> tuple[Quote, ...]:
    """The comments the planner chose, of the finding's shown spots, in reference order."""
    chosen = set(quoted_ids)
    return tuple(
        Quote(s.reference, s.category or "", (s.comment or "").strip())
        for s in sorted(spots, key=lambda s: reference_order(s.reference))
        if s.id in chosen and quotable(s)
    )


def appendix_rows(spots: Iterable[SpotFacts], quoted_ids: Iterable[int]) -> tuple[SpotFacts, ...]:
    """The appendix: every spot of the findings once, in reference order; the comment kept only
    when quoted, nothing but the reference (and its status) for an erased or hidden spot."""
    chosen = set(quoted_ids)
    rows: dict[str, SpotFacts] = {}
    for s in spots:
        if s.status != SHOWN:
            rows[s.reference] = SpotFacts(s.id, s.reference, s.status)
        else:
            comment = s.comment.strip() if s.id in chosen and s.comment else None
            rows[s.reference] = SpotFacts(
                s.id,
                s.reference,
                SHOWN,
                s.category,
                s.feeling,
                s.local_date,
                s.light_condition,
                comment or None,
            )
    return tuple(rows[ref] for ref in sorted(rows, key=reference_order))


def choice_problem(
    spots: Mapping[int, SpotFacts],
    photo_spots: Mapping[int, int],
    quoted_ids: Iterable[int],
    photo_ids: Iterable[int],
    confirmed_ids: Iterable[int],
) -> str | None:
    """Why the planner's choice of quotes and photos for a finding is refused, or None.

    `spots`: the finding's spots by id; `photo_spots`: {photo id: its spot id} of the finding's
    photos. A quote is a shown spot of the finding with a comment; a photo one of a shown spot of
    the finding; either, for a harassment spot, only with that spot's id among `confirmed_ids`
    (« Je sais que ce signalement de harcèlement sera lu par toutes les entreprises
    candidates »)."""
    confirmed = set(confirmed_ids)
    chosen_spots = []
    for spot_id in quoted_ids:
        spot = spots.get(spot_id)
        if spot is None or not quotable(spot):
            return "not_in_finding"
        chosen_spots.append(spot)
    for photo_id in photo_ids:
        spot = spots.get(photo_spots.get(photo_id, -1))
        if spot is None or spot.status != SHOWN:
            return "not_in_finding"
        chosen_spots.append(spot)
    if any(s.category == HARASSMENT and s.id not in confirmed for s in chosen_spots):
        return "harassment_unconfirmed"
    return None


def weights_problem(codes: Sequence[str], weights: Mapping[str, Any]) -> str | None:
    """Why award weights are refused, or None: one whole number from 0 to 100 for each of the
    library's criteria (no other), adding up to at most 100 (the rest goes to the tender's
    other criteria)."""
    if set(weights) != set(codes):
        return "weights_criteria"
    for value in weights.values():
        if isinstance(value, bool) or not isinstance(value, int):
            return "weights_range"
        if not WEIGHT_MIN <= value <= WEIGHT_MAX:
            return "weights_range"
    if sum(weights.values()) > WEIGHT_TOTAL:
        return "weights_total"
    return None


def award_lines(
    criteria: Sequence[CriterionLike], chosen: Mapping[str, Any] | None
) -> tuple[tuple[AwardLine, ...], bool]:
    """(the award criteria with their weights, whether they are the planner's). The planner's
    weights when they still fit the library (`weights_problem`), else the library's defaults
    (also when the library's criteria changed since she set them). `other_weight` gives what
    is left to the tender's other criteria."""
    codes = [c.code for c in criteria]
    custom = chosen is not None and weights_problem(codes, chosen) is None
    lines = tuple(
        AwardLine(
            c.code, c.title, c.description, int(chosen[c.code]) if custom else c.default_weight
        )
        for c in criteria
    )
    return lines, custom


def other_weight(lines: Iterable[AwardLine]) -> int:
    """What the award criteria leave to the tender's other criteria (price...), out of 100."""
    return max(0, WEIGHT_TOTAL - sum(line.weight for line in lines))


@dataclass(frozen=True)
class AwardTable:
    """The award criteria as the weights form shows them (the annex's own fields, alone)."""

    award: tuple[AwardLine, ...]
    award_other: int
    custom_weights: bool


def award_table(criteria: Sequence[CriterionLike], chosen: Mapping[str, Any] | None) -> AwardTable:
    lines, custom = award_lines(criteria, chosen)
    return AwardTable(lines, other_weight(lines), custom)
