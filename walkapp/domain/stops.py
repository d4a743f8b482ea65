"""The nine criteria at each stop of a walk, and a safety score per stop. No Flask, no DB.

Ratings are Safetipin's scale, 0 (bad) to 3 (good), one per criterion of
:data:`vocabularies.CRITERIA`, given with a spot at a stop. For each stop and criterion:

- **mean** of the ratings, **spread** as the sample standard deviation (n - 1 in the
  denominator; none with a single rating) and the **range** (lowest and highest rating);
- **n**: the distinct people who gave a rating (and the number of ratings: someone may rate a
  stop twice). Below :data:`thresholds.MIN_PEOPLE_FOR_FIGURE` people, no number is shown.

**Safety score** of a stop, on a 0–100 scale: the mean of the stop's criterion means (criteria
with enough people only, each weighing the same, as in Safetipin's audit where every parameter
counts equally) divided by 3, times 100. 0 = every criterion rated 0, 100 = every criterion
rated 3. The same mean on Safetipin's own 0–3 scale is kept (``safety_mean``) so a stop reads
against a Safetipin audit directly: score = safety_mean / 3 x 100. A stop where fewer than
MIN_PEOPLE_FOR_FIGURE people rated anything gets no score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .thresholds import enough_people
from .vocabularies import CRITERIA, CRITERION_MAX

SCORE_SCALE = 100


@dataclass(frozen=True)
class Sums:
    """Aggregates the database computed for one quantity (a criterion, or the feeling)."""

    n: int = 0  # values
    people: int = 0  # distinct people who gave one
    total: float = 0.0
    total_sq: float = 0.0
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Stat:
    code: str
    n: int
    people: int
    mean: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None

    @property
    def suppressed(self) -> bool:
        return self.mean is None


def stat(code: str, sums: Sums) -> Stat:
    """Mean, sample standard deviation and range, or nothing below the threshold of people."""
    if not enough_people(sums.people) or sums.n == 0:
        return Stat(code, sums.n, sums.people, None, None, None, None)
    mean = sums.total / sums.n
    sd = None
    if sums.n > 1:
        variance = (sums.total_sq - sums.total * sums.total / sums.n) / (sums.n - 1)
        sd = math.sqrt(max(variance, 0.0))  # rounding can make a zero variance -1e-17
    return Stat(code, sums.n, sums.people, mean, sd, sums.minimum, sums.maximum)


@dataclass(frozen=True)
class StopInput:
    stop_id: int
    walk_id: int
    number: int
    name: str
    people: int  # distinct people with at least one spot at the stop
    raters: int = 0  # distinct people who gave at least one rating there
    feeling: Sums = field(default_factory=Sums)
    criteria: Mapping[str, Sums] = field(default_factory=dict)


@dataclass(frozen=True)
class StopStats:
    stop_id: int
    walk_id: int
    number: int
    name: str
    people: int
    raters: int
    feeling: Stat
    criteria: tuple[Stat, ...]  # in CRITERIA order
    safety_mean: float | None  # 0..3, Safetipin's scale

    @property
    def safety_score(self) -> float | None:
        if self.safety_mean is None:
            return None
        return self.safety_mean / CRITERION_MAX * SCORE_SCALE

    def criterion(self, code: str) -> Stat:
        return next(s for s in self.criteria if s.code == code)


def safety_mean(criteria: Iterable[Stat], people: int) -> float | None:
    means = [s.mean for s in criteria if s.mean is not None]
    if not means or not enough_people(people):
        return None
    return sum(means) / len(means)


def stop_stats(stop: StopInput) -> StopStats:
    criteria = tuple(stat(code, stop.criteria.get(code, Sums())) for code in CRITERIA.codes)
    return StopStats(
        stop_id=stop.stop_id,
        walk_id=stop.walk_id,
        number=stop.number,
        name=stop.name,
        people=stop.people,
        raters=stop.raters,
        feeling=stat("feeling", stop.feeling),
        criteria=criteria,
        safety_mean=safety_mean(criteria, stop.raters),
    )


def chart_label(stop: StopStats) -> str:
    """A stop's bar in a chart: its number and its name ("2. Passage souterrain"). Never the
    walk's title: a chart has the stops of one walk, its title says which (see `by_walk`), and
    a long title cut to the label's width would make every bar read the same."""
    return f"{stop.number}. {stop.name}"


def by_walk(stats: Iterable[StopStats]) -> list[tuple[int, list[StopStats]]]:
    """(walk id, its stops in order), walks in the order their stops first come."""
    walks: dict[int, list[StopStats]] = {}
    for stop in stats:
        walks.setdefault(stop.walk_id, []).append(stop)
    return [(walk_id, sorted(stops, key=lambda s: s.number)) for walk_id, stops in walks.items()]


@dataclass(frozen=True)
class Pair:
    """One stop number of two walks of the same route, side by side."""

    number: int
    a: StopStats | None
    b: StopStats | None

    def difference(self, code: str) -> float | None:
        """b minus a for a criterion (or "feeling"), when both sides have a figure."""
        if self.a is None or self.b is None:
            return None
        sa_, sb = (s.feeling if code == "feeling" else s.criterion(code) for s in (self.a, self.b))
        if sa_.mean is None or sb.mean is None:
            return None
        return sb.mean - sa_.mean


def pair_walks(a: Iterable[StopStats], b: Iterable[StopStats]) -> list[Pair]:
    """Stops of two walks matched by their number (the route's order), every number once."""
    by_a = {s.number: s for s in a}
    by_b = {s.number: s for s in b}
    return [Pair(n, by_a.get(n), by_b.get(n)) for n in sorted(by_a.keys() | by_b.keys())]
