"""The action plan's indicators, from counts the database already aggregated. No Flask, no DB.

Each indicator is a code, a value, its n (the people or events the value is computed over) and
whether it is suppressed. The page puts the definition (translated, keyed by the code) next to
the value. Definitions, so the code and the page say the same thing:

- ``women_walks``: exploratory walks held (status open or closed: a walk still planned is not
  held) whose audience is ``women`` or ``girls`` — from the event's audience, never free text —
  per year of the walk's start (UTC). A count, never suppressed; n = the same count.
- ``women_share_participants``: people counted as women / people counted with a stated gender
  (``woman``, ``man`` or ``non_binary``), over every event of the scope (:func:`women_share`, the
  one definition: the facilitator's live view shows the same figure for a walk). People who
  chose "prefer not to say" or gave no profile are left out of the denominator: they are not
  "not women", and counting them would lower the share by the number of empty profiles. n = that
  denominator. Each event contributes one source, never the sum of both
  (:func:`event_source`): its attendance count where one was recorded (a head count of everyone
  present, with or without a phone), else its app participants (who joined with the app, or
  whose spots a facilitator entered).
- ``women_share_meetings``: people counted as women at consultation meetings / people counted
  with a stated gender there (``Attendance`` rows of events of kind ``meeting``). n = the
  denominator.
- ``women_harassment_share``: women participants with at least one spot of category
  ``harassment`` (hidden spots left out) / women participants. n = women participants.
- ``projects_covered``: projects with at least one event (in the year, when one is chosen);
  ``communes_covered``: distinct INSEE codes of those projects. Counts, never suppressed.

Any share over fewer than :data:`thresholds.MIN_PEOPLE_FOR_FIGURE` people has ``value`` None and
``suppressed`` True: the page says "not enough answers", never a number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .thresholds import enough_people

# Genders that count in a share's denominator: a stated gender (see the module docstring).
STATED_GENDERS = ("woman", "man", "non_binary")
WOMEN_AUDIENCES = ("women", "girls")
HELD_STATUSES = ("open", "closed")

WOMEN_WALKS = "women_walks"
WOMEN_SHARE_PARTICIPANTS = "women_share_participants"
WOMEN_SHARE_MEETINGS = "women_share_meetings"
WOMEN_HARASSMENT_SHARE = "women_harassment_share"
PROJECTS_COVERED = "projects_covered"
COMMUNES_COVERED = "communes_covered"

CODES = (
    WOMEN_WALKS,
    WOMEN_SHARE_PARTICIPANTS,
    WOMEN_SHARE_MEETINGS,
    WOMEN_HARASSMENT_SHARE,
    PROJECTS_COVERED,
    COMMUNES_COVERED,
)


@dataclass(frozen=True)
class Indicator:
    code: str
    value: float | int | None  # a share is a fraction 0..1; None when suppressed
    n: int
    kind: str  # "count" or "share"
    numerator: int | None = None  # of a share, shown only when the share is
    suppressed: bool = False
    by_year: tuple[tuple[int, int], ...] = ()  # (year, count), for women_walks

    @property
    def percent(self) -> float | None:
        return None if self.value is None or self.kind != "share" else 100 * self.value


# Where an event's people come from in the share of women (see the module docstring).
SOURCE_ATTENDANCE = "attendance"
SOURCE_PARTICIPANTS = "participants"


def event_source(
    attendance_by_gender: Mapping[str | None, int],
    participants_by_gender: Mapping[str | None, int],
) -> str | None:
    """The attendance count where one was recorded (anyone counted), else the app participants
    (anyone joined); None when the event has neither."""
    if sum(attendance_by_gender.values()) > 0:
        return SOURCE_ATTENDANCE
    if sum(participants_by_gender.values()) > 0:
        return SOURCE_PARTICIPANTS
    return None


@dataclass(frozen=True)
class EventPeople:
    """Who one event counted, both ways; `people_by_gender` is the one source it contributes."""

    walk_id: int
    title: str = ""
    kind: str = ""
    starts_at: datetime | None = None
    attendance_by_gender: Mapping[str | None, int] = field(default_factory=dict)
    participants_by_gender: Mapping[str | None, int] = field(default_factory=dict)

    @property
    def source(self) -> str | None:
        return event_source(self.attendance_by_gender, self.participants_by_gender)

    @property
    def people_by_gender(self) -> Mapping[str | None, int]:
        if self.source == SOURCE_ATTENDANCE:
            return self.attendance_by_gender
        if self.source == SOURCE_PARTICIPANTS:
            return self.participants_by_gender
        return {}

    @property
    def women(self) -> int:
        return self.people_by_gender.get("woman", 0)

    @property
    def stated(self) -> int:
        return stated(self.people_by_gender)


def people_by_gender(events: Iterable[EventPeople]) -> dict[str | None, int]:
    """Each event's one source, added up."""
    total: Counter[str | None] = Counter()
    for event in events:
        total.update(event.people_by_gender)
    return dict(total)


def women_share(by_gender: Mapping[str | None, int]) -> Indicator:
    """The share of women: women / people with a stated gender, "not enough answers" below the
    threshold. The one definition, for the indicators pages and the live view alike."""
    return share(WOMEN_SHARE_PARTICIPANTS, by_gender.get("woman", 0), stated(by_gender))


@dataclass(frozen=True)
class ProjectCounts:
    """What the database counted for one project (services.indicators fills it)."""

    project_id: int
    name: str = ""
    insee_code: str | None = None
    events: int = 0  # events of the scope (of the year, when one is chosen)
    women_walks_by_year: Mapping[int, int] = field(default_factory=dict)
    participants_by_gender: Mapping[str | None, int] = field(default_factory=dict)
    attendance_by_gender: Mapping[str | None, int] = field(default_factory=dict)
    women_reporting_harassment: int = 0
    events_people: tuple[EventPeople, ...] = ()  # per event of the scope, for the share of women

    @property
    def women_participants(self) -> int:
        return self.participants_by_gender.get("woman", 0)

    @property
    def people_by_gender(self) -> dict[str | None, int]:
        return people_by_gender(self.events_people)


def count(code: str, value: int) -> Indicator:
    return Indicator(code=code, value=value, n=value, kind="count")


def share(code: str, numerator: int, denominator: int) -> Indicator:
    """numerator / denominator, or "not enough answers" below the threshold of people."""
    if not enough_people(denominator):
        return Indicator(code=code, value=None, n=denominator, kind="share", suppressed=True)
    return Indicator(
        code=code,
        value=numerator / denominator,
        n=denominator,
        kind="share",
        numerator=numerator,
    )


def stated(by_gender: Mapping[str | None, int]) -> int:
    return sum(by_gender.get(code, 0) for code in STATED_GENDERS)


def women_walks(by_year: Mapping[int, int]) -> Indicator:
    years = tuple(sorted((int(y), int(n)) for y, n in by_year.items() if n))
    total = sum(n for _, n in years)
    return Indicator(code=WOMEN_WALKS, value=total, n=total, kind="count", by_year=years)


def combine(projects: Iterable[ProjectCounts]) -> ProjectCounts:
    """The counts of several projects together (participants belong to one event, so sums are
    exact; communes are counted apart, from the projects' INSEE codes)."""
    walks: Counter[int] = Counter()
    people: Counter[str | None] = Counter()
    attendance: Counter[str | None] = Counter()
    events = harassment = 0
    events_people: list[EventPeople] = []
    for p in projects:
        events_people.extend(p.events_people)
        walks.update(p.women_walks_by_year)
        people.update(p.participants_by_gender)
        attendance.update(p.attendance_by_gender)
        events += p.events
        harassment += p.women_reporting_harassment
    return ProjectCounts(
        project_id=0,
        events=events,
        women_walks_by_year=dict(walks),
        participants_by_gender=dict(people),
        attendance_by_gender=dict(attendance),
        women_reporting_harassment=harassment,
        events_people=tuple(events_people),
    )


def project_indicators(counts: ProjectCounts) -> list[Indicator]:
    """The indicators of one project (or of projects combined), in the page's order."""
    return [
        women_walks(counts.women_walks_by_year),
        women_share(counts.people_by_gender),
        share(
            WOMEN_SHARE_MEETINGS,
            counts.attendance_by_gender.get("woman", 0),
            stated(counts.attendance_by_gender),
        ),
        share(WOMEN_HARASSMENT_SHARE, counts.women_reporting_harassment, counts.women_participants),
    ]


def coverage(projects: Iterable[ProjectCounts]) -> list[Indicator]:
    """Projects with at least one event, and the distinct communes (INSEE codes) they are in."""
    covered = [p for p in projects if p.events > 0]
    communes = {p.insee_code for p in covered if p.insee_code}
    return [count(PROJECTS_COVERED, len(covered)), count(COMMUNES_COVERED, len(communes))]


def overall_indicators(projects: list[ProjectCounts]) -> list[Indicator]:
    """Every indicator across several projects: the combined figures, then the coverage."""
    return project_indicators(combine(projects)) + coverage(projects)
