"""Usage counts (the Public Life Data Protocol's people staying and people passing) summed per
zone, phase and time slot, and the observed half of the appropriation indicator: the share of
women and girls among the people *staying* (beside the share among those only passing).

Pure functions over `CountRow`s (one per zone x phase x time slot x kind x gender x age group,
as services.counts reads them with one GROUP BY).

The share's denominator is the people whose perceived gender is female or male: "undetermined"
(a hood at night, a crowd) is counted and shown apart, not as "not a woman", which would lower
the share wherever seeing is hard. Its 95 % interval is Wilson's; below 5 people the share is
"not enough answers" (DESIGN) and has no value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .intervals import Interval, wilson_interval
from .thresholds import enough_people
from .vocabularies import COUNT_KINDS, PERCEIVED_GENDERS, TIME_SLOTS

STAYING, MOVING = COUNT_KINDS.codes
FEMALE, MALE, UNKNOWN = PERCEIVED_GENDERS.codes
BEFORE, AFTER = "diagnostic", "after_works"  # the phases that before/after compares
ALL_SLOTS = "all"


@dataclass(frozen=True)
class CountRow:
    zone_id: int | None
    phase: str
    time_slot: str
    kind: str
    gender: str
    age_group: str
    n: int


@dataclass(frozen=True)
class Share:
    """Women and girls among the people counted whose perceived gender is female or male."""

    women: int
    n: int  # women + men (the denominator)
    unknown: int  # perceived gender undetermined: not in n

    @property
    def enough(self) -> bool:
        return enough_people(self.n)

    @property
    def value(self) -> float | None:
        return self.women / self.n if self.enough else None

    @property
    def interval(self) -> Interval | None:
        return wilson_interval(self.women, self.n) if self.enough else None


@dataclass(frozen=True)
class Tally:
    """People of one kind (staying or passing) by perceived gender x age group."""

    cells: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def cell(self, gender: str, age_group: str) -> int:
        return self.cells.get((gender, age_group), 0)

    def by_gender(self, gender: str) -> int:
        return sum(n for (g, _), n in self.cells.items() if g == gender)

    def by_age(self, age_group: str) -> int:
        return sum(n for (_, a), n in self.cells.items() if a == age_group)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def share(self) -> Share:
        women, men = self.by_gender(FEMALE), self.by_gender(MALE)
        return Share(women=women, n=women + men, unknown=self.by_gender(UNKNOWN))


@dataclass(frozen=True)
class SlotCounts:
    time_slot: str  # a TIME_SLOTS code, or ALL_SLOTS
    staying: Tally
    moving: Tally


@dataclass(frozen=True)
class ZoneCounts:
    zone_id: int | None  # None: periods whose zone was deleted
    slots: tuple[SlotCounts, ...]  # the time slots with counts, in the vocabulary's order
    whole: SlotCounts  # every time slot together

    @property
    def staying_share(self) -> Share:
        return self.whole.staying.share


@dataclass(frozen=True)
class BeforeAfter:
    """People staying in a zone before the works (diagnostic) and after them."""

    zone_id: int | None
    before: Tally
    after: Tally

    @property
    def change(self) -> float | None:
        """Points of share gained (after − before), when both shares are shown."""
        before, after = self.before.share.value, self.after.share.value
        return None if before is None or after is None else after - before


def _tally(rows: Iterable[CountRow]) -> Tally:
    cells: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.gender, row.age_group)
        cells[key] = cells.get(key, 0) + row.n
    return Tally(cells)


def _slot(time_slot: str, rows: list[CountRow]) -> SlotCounts:
    return SlotCounts(
        time_slot=time_slot,
        staying=_tally(r for r in rows if r.kind == STAYING),
        moving=_tally(r for r in rows if r.kind == MOVING),
    )


def _zone_order(zone_ids: Iterable[int | None], order: Mapping[int, int]) -> list[int | None]:
    # The planner's order of the zones; a deleted zone (None) last.
    return sorted(set(zone_ids), key=lambda z: (z is None, order.get(z, 0) if z else 0, z or 0))


def zone_counts(
    rows: Iterable[CountRow], *, phase: str | None = None, order: Mapping[int, int] | None = None
) -> list[ZoneCounts]:
    """Per zone (in `order`: zone id -> position), the counts of `phase` (None: every phase)."""
    chosen = [r for r in rows if r.n and (phase is None or r.phase == phase)]
    result = []
    for zone_id in _zone_order((r.zone_id for r in chosen), order or {}):
        mine = [r for r in chosen if r.zone_id == zone_id]
        slots = tuple(
            _slot(code, [r for r in mine if r.time_slot == code])
            for code in TIME_SLOTS.codes
            if any(r.time_slot == code for r in mine)
        )
        result.append(ZoneCounts(zone_id=zone_id, slots=slots, whole=_slot(ALL_SLOTS, mine)))
    return result


def before_after(
    rows: Iterable[CountRow], order: Mapping[int, int] | None = None
) -> list[BeforeAfter]:
    """The zones where people staying were counted both before and after the works."""
    staying = [r for r in rows if r.kind == STAYING and r.n]
    result = []
    for zone_id in _zone_order((r.zone_id for r in staying), order or {}):
        before = _tally(r for r in staying if r.zone_id == zone_id and r.phase == BEFORE)
        after = _tally(r for r in staying if r.zone_id == zone_id and r.phase == AFTER)
        if before.total and after.total:
            result.append(BeforeAfter(zone_id=zone_id, before=before, after=after))
    return result
