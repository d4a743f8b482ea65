"""Day vs night for the same place. No Flask, no DB.

Places are H3 cells of :data:`cells.HOTSPOT_RESOLUTION` (a street corner). For each cell with
spots both by day and by night: the mean feeling (1 very unsafe .. 5 safe) and the share of
negative spots — a spot is negative when it heats the map (:func:`thresholds.heat_weight` > 0,
that is feeling 1 or 2) — by light condition, each with its n (spots and distinct people).
Twilight spots are left out: they are neither, and mixing them in would blur the contrast.
Below :data:`thresholds.MIN_PEOPLE_FOR_FIGURE` distinct people on one side, that side shows
"not enough answers".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .cells import HOTSPOT_RESOLUTION, cell_of, centre
from .thresholds import enough_people, heat_weight

DAY, NIGHT = "day", "night"


@dataclass(frozen=True)
class Spot:
    lat: float
    lon: float
    light_condition: str
    feeling: int
    participant_id: int


@dataclass(frozen=True)
class Side:
    spots: int
    people: int
    mean_feeling: float | None
    negative_share: float | None

    @property
    def suppressed(self) -> bool:
        return self.mean_feeling is None


@dataclass(frozen=True)
class Place:
    cell: str
    lat: float
    lon: float
    day: Side
    night: Side

    @property
    def feeling_drop(self) -> float | None:
        """Day minus night mean feeling (positive: the place feels worse at night)."""
        if self.day.mean_feeling is None or self.night.mean_feeling is None:
            return None
        return self.day.mean_feeling - self.night.mean_feeling


class _Acc:
    __slots__ = ("spots", "total", "negative", "people")

    def __init__(self) -> None:
        self.spots = self.total = self.negative = 0
        self.people: set[int] = set()

    def add(self, spot: Spot) -> None:
        self.spots += 1
        self.total += spot.feeling
        self.negative += heat_weight(spot.feeling) > 0
        self.people.add(spot.participant_id)

    def side(self) -> Side:
        n_people = len(self.people)
        if not enough_people(n_people):
            return Side(self.spots, n_people, None, None)
        return Side(self.spots, n_people, self.total / self.spots, self.negative / self.spots)


def day_vs_night(spots: Iterable[Spot], resolution: int = HOTSPOT_RESOLUTION) -> list[Place]:
    """Cells with spots by day and by night, those with the most people first."""
    acc: dict[tuple[str, str], _Acc] = {}
    for spot in spots:
        if spot.light_condition not in (DAY, NIGHT):
            continue
        key = (cell_of(spot.lat, spot.lon, resolution), spot.light_condition)
        acc.setdefault(key, _Acc()).add(spot)
    places = []
    for cell in {c for c, light in acc if light == DAY and (c, NIGHT) in acc}:
        lat, lon = centre(cell)
        places.append(Place(cell, lat, lon, acc[cell, DAY].side(), acc[cell, NIGHT].side()))
    places.sort(key=lambda p: (-(p.day.people + p.night.people), p.cell))
    return places
