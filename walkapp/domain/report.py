"""The annual monitoring report of the gender-equality action plan: its period, its content and
the few figures it adds to the indicators pages'. No Flask, no DB.

The report shows the indicators the pages show (domain.indicators, the same counts for the same
period), so that a figure in the November report is the figure a planner reads on screen. What
it adds:

- a 95 % confidence interval for every share that is shown (Wilson's score interval: it stays
  inside 0..1 and behaves with small n, where the normal approximation does not);
- per event, whether it is a walk held with a group of women (the same rule as the
  ``women_walks`` indicator, so the list and the count agree);
- per finding, its follow-up: where the project stands (its phase) and, once a post-works
  survey was held after the finding was confirmed, what that survey's people felt inside the
  finding's area (a mean over too few people is "not enough answers", like every figure);
- per finding with a follow-up question in the appropriation questionnaire, the women's
  answers to it (better / unchanged / worse, n: domain.rechecks).

A period is a range of dates, end excluded; a calendar year is ``Period.year(y)``. Events
belong to the period their start falls in, in UTC (services.indicators filters them so, like
the year filter of the pages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from shapely.geometry import Point, shape

from . import indicators as ind
from .intervals import Interval, wilson_interval
from .participation import Priority, Profile, priorities
from .rechecks import RecheckAnswers
from .thresholds import enough_people

MAX_PERIOD_DAYS = 3 * 366 + 1  # a report covers at most about three years
POST_WORKS = "appropriation_survey"


# --- The period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From `start` (included) to `end` (excluded), in days (UTC)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise TypeError("a period is two dates")
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @classmethod
    def between(cls, first: date, last: date) -> Period:
        """The days from `first` to `last`, both included (what a form asks for)."""
        return cls(first, last + timedelta(days=1))

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def calendar_year(self) -> int | None:
        """The year, if the period is exactly one calendar year."""
        if self.start == date(self.start.year, 1, 1) and self.end == date(
            self.start.year + 1, 1, 1
        ):
            return self.start.year
        return None

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_utc(self) -> datetime:
        return datetime.combine(self.end, time(), UTC)

    def contains(self, moment: datetime) -> bool:
        return self.start_utc <= moment < self.end_utc

    def to_params(self) -> dict[str, str]:
        """As a job's JSON parameters."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> Period:
        return cls(date.fromisoformat(str(params["start"])), date.fromisoformat(str(params["end"])))


def period_problem(first: date | None, last: date | None) -> str | None:
    """Why the days from `first` to `last` (both included) are no period a report can cover:
    an error code, or None."""
    if first is None or last is None:
        return "dates_missing"
    if last < first:
        return "dates_reversed"
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        return "period_too_long"
    return None


def slug(period: Period) -> str:
    """The period in a file name: "2026", or "2026-03-01_2026-06-30" (last day included)."""
    year = period.calendar_year
    if year is not None:
        return str(year)
    return f"{period.start.isoformat()}_{period.last_day.isoformat()}"


FILE_WORDS = {"fr": "rapport-de-suivi-egalite", "en": "equality-monitoring-report"}


def file_name(period: Period, language: str, extension: str) -> str:
    word = FILE_WORDS.get(language, FILE_WORDS["en"])
    return f"{word}-{slug(period)}.{re.sub(r'[^a-z0-9]', '', extension)}"


# --- Intervals -----------------------------------------------------------------------------


def interval(indicator: ind.Indicator) -> Interval | None:
    """The 95 % interval of a share that is shown; None for a count or a suppressed share."""
    if indicator.kind != "share" or indicator.suppressed or indicator.numerator is None:
        return None
    return wilson_interval(indicator.numerator, indicator.n)


# --- Events --------------------------------------------------------------------------------


def is_women_walk(kind: str, audience: str, status: str) -> bool:
    """The rule of the ``women_walks`` indicator: an exploratory walk held (opened or closed)
    with a women's or a girls' group."""
    return (
        kind == "exploratory_walk"
        and audience in ind.WOMEN_AUDIENCES
        and status in ind.HELD_STATUSES
    )


@dataclass(frozen=True)
class Event:
    """One event of the period, and who it counted for the share of women."""

    walk_id: int
    title: str
    kind: str
    audience: str
    status: str
    starts_at: datetime
    source: str | None = None  # ind.event_source: head count, app participants or nobody
    women: int = 0
    stated: int = 0

    @property
    def women_walk(self) -> bool:
        return is_women_walk(self.kind, self.audience, self.status)

    @property
    def post_works(self) -> bool:
        return self.kind == POST_WORKS and self.status in ind.HELD_STATUSES


# --- Findings and their follow-up ----------------------------------------------------------

# Follow-up of a finding: a post-works survey was held after it was confirmed, or else where the
# project stands (its phase).
SURVEYED = "surveyed_after_works"
FOLLOW_UP_BY_PHASE = {
    "diagnostic": "recommended",  # recommendation made, works not started
    "works": "works_under_way",
    "after_works": "works_done_not_surveyed",
}
FOLLOW_UPS = (SURVEYED, *FOLLOW_UP_BY_PHASE.values())


@dataclass(frozen=True)
class Spot:
    """A shown spot of a post-works survey: where, how it felt, who (services fill it)."""

    lat: float
    lon: float
    feeling: int
    participant_id: int
    walk_id: int


@dataclass(frozen=True)
class AfterWorks:
    """What a finding's area felt like in the post-works surveys held after it was confirmed."""

    surveys: int = 0  # post-works surveys with a spot in the area
    spots: int = 0
    people: int = 0
    mean_feeling: float | None = None  # None below MIN_PEOPLE_FOR_FIGURE people

    @property
    def suppressed(self) -> bool:
        return self.spots > 0 and self.mean_feeling is None


def after_works(geometry: Mapping | None, spots: Iterable[Spot]) -> AfterWorks:
    """The spots inside the area (its border included), their people and mean feeling."""
    if not geometry:
        return AfterWorks()
    try:
        area = shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError):
        return AfterWorks()
    inside = [s for s in spots if area.covers(Point(s.lon, s.lat))]
    if not inside:
        return AfterWorks()
    people = {s.participant_id for s in inside}
    mean = sum(s.feeling for s in inside) / len(inside) if enough_people(len(people)) else None
    return AfterWorks(
        surveys=len({s.walk_id for s in inside}),
        spots=len(inside),
        people=len(people),
        mean_feeling=mean,
    )


def follow_up(phase: str, surveyed: bool) -> str:
    return SURVEYED if surveyed else FOLLOW_UP_BY_PHASE.get(phase, "recommended")


@dataclass(frozen=True)
class FindingReport:
    number: int  # in the order the project's findings were confirmed, as in the tender annex
    finding_id: int
    title: str
    recommendation: str
    confirmed_at: datetime
    n_reports: int | None = None  # the figures it was confirmed on (Finding.statistics)
    n_participants: int | None = None
    mean_feeling_before: float | None = None
    follow_up: str = "recommended"
    after: AfterWorks = field(default_factory=AfterWorks)
    new_in_period: bool = False
    recheck: RecheckAnswers | None = None  # its follow-up question's answers; None without one


def statistic(statistics: Mapping | None, name: str, kind: type = int):
    value = (statistics or {}).get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return kind(value)


# --- The content ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectReport:
    project_id: int
    name: str
    commune: str
    insee_code: str | None
    phase: str
    archived: bool
    indicators: tuple[ind.Indicator, ...]  # ind.project_indicators, in the pages' order
    events: tuple[Event, ...]
    missing: tuple[Priority, ...]  # domain.participation.priorities, widest gap first
    findings: tuple[FindingReport, ...]

    @property
    def women_walks(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.women_walk)

    @property
    def post_works_surveys(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.post_works)

    def indicator(self, code: str) -> ind.Indicator:
        return next(i for i in self.indicators if i.code == code)

    @property
    def rechecked(self) -> tuple[FindingReport, ...]:
        """Its findings with a follow-up question after the works."""
        return tuple(f for f in self.findings if f.recheck is not None)


@dataclass(frozen=True)
class Report:
    period: Period
    language: str
    generated_at: datetime
    totals: tuple[ind.Indicator, ...]  # ind.overall_indicators over the projects
    projects: tuple[ProjectReport, ...]
    missing: tuple[Priority, ...]  # across projects
    all_projects: bool = False  # an administrator's report: every project

    def total(self, code: str) -> ind.Indicator:
        return next(i for i in self.totals if i.code == code)

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(e for p in self.projects for e in p.events)

    @property
    def findings(self) -> tuple[FindingReport, ...]:
        return tuple(f for p in self.projects for f in p.findings)

    @property
    def rechecked(self) -> tuple[ProjectReport, ...]:
        """The projects with a finding that has a follow-up question after the works."""
        return tuple(p for p in self.projects if p.rechecked)

    def sources(self) -> dict[str | None, int]:
        """How many events contributed their head count, their app participants, nobody."""
        counted: dict[str | None, int] = {}
        for event in self.events:
            counted[event.source] = counted.get(event.source, 0) + 1
        return counted

    def follow_ups(self) -> dict[str, int]:
        counted = dict.fromkeys(FOLLOW_UPS, 0)
        for finding in self.findings:
            counted[finding.follow_up] = counted.get(finding.follow_up, 0) + 1
        return counted


def combine_profiles(profiles: Sequence[Profile]) -> Profile:
    """Several projects' profiles together (a participant belongs to one event: sums are exact)."""
    return Profile(
        *(sum(getattr(p, name) for p in profiles) for name in Profile.__dataclass_fields__)
    )


def missing_across(profiles: Sequence[Profile]) -> tuple[Priority, ...]:
    return priorities(combine_profiles(profiles))


def in_report(events: int, archived: bool) -> bool:
    """A project is in the report if it is current, or archived and ran events in the period
    (an archived project is reported for the year it ran, not every year after)."""
    return not archived or events > 0
