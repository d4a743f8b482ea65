"""Who is missing: participation by gender x age band x time slot. No Flask, no DB.

A participant counts in a time slot when they tagged at least one spot in it (a spot entered by a
facilitator for someone without a smartphone counts for that person: it is their participant
row). A cell with fewer than :data:`thresholds.MIN_PEOPLE_FOR_FIGURE` people is flagged: "empty"
(nobody) or "thin" (someone, but too few to say what they think). People who did not give their
gender or age band are counted apart, per slot: they cannot be placed in a cell.

Suggestions are built for the rows of women and men (girls and boys in the under-18 bands): walks
are organised with groups of those; the row of non-binary people is shown and flagged like the
others, without a suggested partner (a group is rarely formed on that ground). A suggestion is
plain data — the group, the slots, the partner to contact — and the page words it in the reader's
language from the vocabularies' labels.

Those per-row suggestions are many (up to twelve) and say nothing of who the project's audience
most often misses. :func:`priorities` picks the few gaps that matter most first — women after
dark, women over 65, people with reduced mobility, residents, girls — from what the project's
participants are (:class:`Profile`): a gap with nobody comes before a gap with too few, then in
that order; at most :data:`MAX_PRIORITIES` of them. The page shows those first, in short, and
the rest behind a disclosure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .thresholds import enough_people
from .vocabularies import AGE_BANDS, TIME_SLOTS, UNDER_18_AGE_BANDS

MATRIX_GENDERS = ("woman", "man", "non_binary")
SUGGESTION_GENDERS = ("woman", "man")

EMPTY, THIN = "empty", "thin"

# Who to walk with to reach an age band: a partner code, worded by the page.
PARTNERS: dict[str, str] = {
    "under_15": "school",
    "15_17": "youth_centre",
    "18_24": "students",
    "25_44": "parents",
    "45_64": "neighbourhood",
    "65_plus": "seniors_club",
}


@dataclass(frozen=True)
class Cell:
    gender: str
    age_band: str
    time_slot: str
    n: int

    @property
    def flag(self) -> str | None:
        if self.n == 0:
            return EMPTY
        return None if enough_people(self.n) else THIN


@dataclass(frozen=True)
class Row:
    gender: str
    age_band: str
    cells: tuple[Cell, ...]  # in TIME_SLOTS order

    @property
    def is_young(self) -> bool:
        return self.age_band in UNDER_18_AGE_BANDS


@dataclass(frozen=True)
class Suggestion:
    gender: str
    age_band: str
    empty_slots: tuple[str, ...]
    thin_slots: tuple[str, ...]
    partner: str

    @property
    def is_young(self) -> bool:
        return self.age_band in UNDER_18_AGE_BANDS


@dataclass(frozen=True)
class Matrix:
    rows: tuple[Row, ...]
    not_stated: tuple[tuple[str, int], ...]  # (time slot, people without gender or age band)
    suggestions: tuple[Suggestion, ...]

    def cell(self, gender: str, age_band: str, time_slot: str) -> Cell:
        for row in self.rows:
            if (row.gender, row.age_band) == (gender, age_band):
                return next(c for c in row.cells if c.time_slot == time_slot)
        raise KeyError((gender, age_band, time_slot))

    @property
    def flagged(self) -> tuple[Cell, ...]:
        return tuple(c for row in self.rows for c in row.cells if c.flag)


Key = tuple[str | None, str | None, str]


def participation_matrix(counts: Mapping[Key, int]) -> Matrix:
    """counts: distinct participants per (gender, age band, time slot), None for not given."""
    slots = TIME_SLOTS.codes
    rows = tuple(
        Row(g, a, tuple(Cell(g, a, s, int(counts.get((g, a, s), 0))) for s in slots))
        for g in MATRIX_GENDERS
        for a in AGE_BANDS.codes
    )
    placed = {(g, a) for g in MATRIX_GENDERS for a in AGE_BANDS.codes}
    not_stated = {s: 0 for s in slots}
    for (gender, age_band, slot), n in counts.items():
        if (gender, age_band) not in placed and slot in not_stated:
            not_stated[slot] += int(n)
    return Matrix(rows, tuple(not_stated.items()), tuple(_suggestions(rows)))


def _suggestions(rows: tuple[Row, ...]) -> list[Suggestion]:
    found = []
    for row in rows:
        if row.gender not in SUGGESTION_GENDERS:
            continue
        empty = tuple(c.time_slot for c in row.cells if c.flag == EMPTY)
        thin = tuple(c.time_slot for c in row.cells if c.flag == THIN)
        if empty or thin:
            found.append(Suggestion(row.gender, row.age_band, empty, thin, PARTNERS[row.age_band]))
    return found


# --- Priorities -------------------------------------------------------------------------------

MAX_PRIORITIES = 4
# Slots after dark (weekday or weekend evening: after 19:00 or after dusk).
EVENING_SLOTS = ("weekday_evening", "weekend_evening")
REDUCED_MOBILITY = ("pushchair", "wheelchair", "walking_aid", "visual", "other")

NIGHT, SENIOR_WOMEN, MOBILITY, RESIDENTS, GIRLS = (
    "night",
    "senior_women",
    "mobility",
    "residents",
    "girls",
)
# The order of importance for the project's audience (groups of women, often at night), when
# two gaps are as wide.
PRIORITY_ORDER = (NIGHT, SENIOR_WOMEN, MOBILITY, RESIDENTS, GIRLS)


@dataclass(frozen=True)
class Profile:
    """Distinct participants of the project, per group a gap is looked for in."""

    women_evening: int = 0  # women who tagged a spot after dark (EVENING_SLOTS)
    senior_women: int = 0  # women aged 65 and over
    reduced_mobility: int = 0  # anyone with a mobility constraint (REDUCED_MOBILITY)
    residents: int = 0  # anyone who said they live in the area
    girls: int = 0  # women of the under-18 bands

    def of(self, code: str) -> int:
        return {
            NIGHT: self.women_evening,
            SENIOR_WOMEN: self.senior_women,
            MOBILITY: self.reduced_mobility,
            RESIDENTS: self.residents,
            GIRLS: self.girls,
        }[code]


@dataclass(frozen=True)
class Priority:
    code: str
    n: int  # people of that group so far

    @property
    def flag(self) -> str:
        return EMPTY if self.n == 0 else THIN


def priorities(profile: Profile) -> tuple[Priority, ...]:
    """Every gap (a group with fewer than MIN_PEOPLE_FOR_FIGURE people), the widest first: nobody
    before too few, then PRIORITY_ORDER. The page shows the first MAX_PRIORITIES."""
    gaps = [Priority(code, profile.of(code)) for code in PRIORITY_ORDER]
    gaps = [g for g in gaps if not enough_people(g.n)]
    return tuple(sorted(gaps, key=lambda g: (g.n > 0, PRIORITY_ORDER.index(g.code))))
