"""Hotspots: H3 cells ranked by the Getis-Ord Gi* statistic, never by counts alone. Pure.

The steps, each a function below so each can be checked by hand:

1. **Value of a cell** (:func:`cell_values`). Every spot falls in its H3 cell of
   ``cells.HOTSPOT_RESOLUTION``. A participant counts once per cell: per participant and cell we
   keep their *most severe* heat weight (``thresholds.heat_weight``: feeling 1 -> 1.0,
   2 -> 0.5, 3..5 -> 0), and the cell's value is the sum of these over its participants. Thirty
   "very unsafe" spots of one person in one corner weigh 1.0, exactly like one such spot; three
   people who each found the corner very unsafe weigh 3.0. Taking the most severe (rather than
   the mean) keeps what the person said most strongly about the place: a participant who tagged
   a corner twice, once "unsafe" and once "so-so", did find it unsafe.

2. **Study area** (:func:`study_area`): the cells that hold at least one spot, plus their six
   neighbours, the latter with value 0 when they hold none. This is where the groups walked
   (within one cell, about 25 m, of a spot). Taking every cell of the project perimeter instead
   would count streets nobody walked as "calm" and inflate every z-score; taking only the cells
   with spots would leave no calm background at all. The choice is made once, here.

3. **Getis-Ord Gi*** (:func:`gi_star`), with binary contiguity weights: w_ij = 1 for the cell
   itself and for its neighbours inside the study area, 0 otherwise (H3 gives every cell six
   neighbours at the same distance). With X̄ and S the mean and the (population) standard
   deviation of the values over all n cells of the study area:

       Gi* = (Σ_j w_ij x_j − X̄ Σ_j w_ij) / (S √[(n Σ_j w_ij² − (Σ_j w_ij)²) / (n − 1)])

   (Getis & Ord 1992; Ord & Getis 1995), a z-score under the null hypothesis of no spatial
   association. The two-sided p-value is erfc(|z| / √2).

   *Metric?* DESIGN asks for metric work in a metric projection (Lambert-93). Contiguity on
   H3 needs none: the cells of one resolution are equal-area to within a few percent across a
   city and their six neighbours sit at one centre-to-centre distance, so "the cell and its
   neighbours" is the same metric neighbourhood (a disc of about 75 m across at resolution 11)
   everywhere in the study area. Projecting to EPSG:2154 would only matter for distance-band
   weights, which we do not use.

4. **Hotspot** (:func:`hotspots`): a cell with z > 1.96 (so p < 0.05) *and* at least
   ``thresholds.MIN_HOTSPOT_PARTICIPANTS`` distinct participants who gave it a positive heat
   weight. Hotspots are ranked by z (descending), never by counts.

Each hotspot then carries its figures, a few representative comments (the most severe, at most
one per participant) and photos. Share at night, top categories and mean feeling are over the
cell's spots (n reports, shown beside them); a view shows a rate or mean only when the cell has
enough people (``thresholds.enough_people`` of n participants), "not enough answers" otherwise.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from . import cells
from .thresholds import MIN_HOTSPOT_PARTICIPANTS, heat_weight

# z above which a cell is a hotspot: the two-sided 5 % level (p(1.96) = 0.04999...).
Z_THRESHOLD = 1.96
# How much of each hotspot a page shows.
TOP_CATEGORIES = 3
REPRESENTATIVE_COMMENTS = 3
REPRESENTATIVE_PHOTOS = 4
NIGHT = "night"

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Spot:
    """One observation, as a plain record (the service builds these from rows).

    ``cell`` may be given; otherwise it is computed from ``lat``/``lon``. ``photos`` are opaque
    references (the service's photo records), handed back as they came.
    """

    participant_id: int
    feeling: int
    category: str
    light_condition: str
    recorded_at: datetime
    lat: float | None = None
    lon: float | None = None
    cell: str | None = None
    comment: str | None = None
    photos: tuple[Any, ...] = ()
    id: int | None = None

    def cell_id(self) -> str:
        if self.cell is not None:
            return self.cell
        if self.lat is None or self.lon is None:
            raise ValueError("a spot needs a cell or a position")
        return cells.cell_of(self.lat, self.lon)

    @property
    def weight(self) -> float:
        return heat_weight(self.feeling)


@dataclass(frozen=True)
class GiStar:
    z: float
    p: float


@dataclass(frozen=True)
class Comment:
    text: str
    spot: Spot


@dataclass(frozen=True)
class PhotoOfSpot:
    photo: Any
    spot: Spot


@dataclass(frozen=True)
class Hotspot:
    cell: str
    lat: float
    lon: float
    boundary: list[tuple[float, float]]
    value: float  # the cell's x: sum over participants of their most severe heat weight
    z: float
    p: float
    n_reports: int  # spots in the cell, whatever their feeling
    n_participants: int  # distinct participants with a spot in the cell
    n_heat_participants: int  # distinct participants who gave the cell a positive weight
    n_night: int  # spots recorded at night
    top_categories: list[tuple[str, int]]  # (category, spots), most frequent first
    mean_feeling: float  # over the cell's spots
    comments: list[Comment] = field(default_factory=list)
    photos: list[PhotoOfSpot] = field(default_factory=list)

    @property
    def share_night(self) -> float:
        return self.n_night / self.n_reports if self.n_reports else 0.0

    def snapshot(self) -> dict[str, Any]:
        """The statistics as plain JSON (kept with a finding: the figures it was confirmed on)."""
        return {
            "cell": self.cell,
            "value": round(self.value, 6),
            "z": round(self.z, 6),
            "p": self.p,
            "n_reports": self.n_reports,
            "n_participants": self.n_participants,
            "n_heat_participants": self.n_heat_participants,
            "n_night": self.n_night,
            "share_night": round(self.share_night, 6),
            "top_categories": [[code, n] for code, n in self.top_categories],
            "mean_feeling": round(self.mean_feeling, 6),
        }


# --- 1. Cell values -------------------------------------------------------------------------


def by_cell(spots: Iterable[Spot]) -> dict[str, list[Spot]]:
    grouped: dict[str, list[Spot]] = defaultdict(list)
    for spot in spots:
        grouped[spot.cell_id()].append(spot)
    return dict(grouped)


def participant_weights(spots: Iterable[Spot]) -> dict[int, float]:
    """Each participant's most severe heat weight among `spots` (one cell's spots)."""
    weights: dict[int, float] = {}
    for spot in spots:
        weights[spot.participant_id] = max(weights.get(spot.participant_id, 0.0), spot.weight)
    return weights


def cell_value(spots: Iterable[Spot]) -> float:
    """x of one cell: the sum, over its participants, of their most severe heat weight."""
    return sum(participant_weights(spots).values())


def cell_values(grouped: Mapping[str, Iterable[Spot]]) -> dict[str, float]:
    return {cell: cell_value(spots) for cell, spots in grouped.items()}


# --- 2. Study area --------------------------------------------------------------------------


def study_area(values: Mapping[str, float]) -> dict[str, float]:
    """The cells with spots and their neighbours (value 0 where they have none)."""
    area = dict(values)
    for cell in values:
        for other in cells.neighbours(cell):
            area.setdefault(other, 0.0)
    return area


# --- 3. Getis-Ord Gi* -----------------------------------------------------------------------


def two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2))


def gi_star(
    values: Mapping[K, float], neighbours: Callable[[K], Iterable[K]] | Mapping[K, Iterable[K]]
) -> dict[K, GiStar]:
    """Gi* (z-score and two-sided p) of every cell of `values` (the whole study area).

    `neighbours` gives a cell's neighbours (a function or a mapping); those outside `values`
    are ignored. The cell itself always has weight 1. With fewer than two cells, or every cell
    equal (S = 0), nothing stands out: z = 0, p = 1 everywhere.
    """
    near = neighbours.__getitem__ if isinstance(neighbours, Mapping) else neighbours
    n = len(values)
    if n < 2:
        return {cell: GiStar(0.0, 1.0) for cell in values}
    mean = sum(values.values()) / n
    variance = sum(x * x for x in values.values()) / n - mean * mean
    s = math.sqrt(variance) if variance > 1e-12 else 0.0
    result: dict[K, GiStar] = {}
    for cell in values:
        local = {cell, *(j for j in near(cell) if j in values)}
        w_sum = len(local)  # binary weights: Σ w_ij = Σ w_ij² = the neighbourhood's size
        numerator = sum(values[j] for j in local) - mean * w_sum
        spread = (n * w_sum - w_sum * w_sum) / (n - 1)
        if s == 0.0 or spread <= 0.0:  # the neighbourhood is the whole area: no contrast
            result[cell] = GiStar(0.0, 1.0)
            continue
        z = numerator / (s * math.sqrt(spread))
        result[cell] = GiStar(z, two_sided_p(z))
    return result


# --- 4. Hotspots ----------------------------------------------------------------------------


def is_hotspot(stat: GiStar, heat_participants: int) -> bool:
    return stat.z > Z_THRESHOLD and heat_participants >= MIN_HOTSPOT_PARTICIPANTS


def _severity_order(spot: Spot) -> tuple:
    """Most severe first, then the most recent (a stable order for equal spots)."""
    return (spot.feeling, -spot.recorded_at.timestamp(), spot.id or 0)


def representative_comments(spots: Iterable[Spot], limit: int = REPRESENTATIVE_COMMENTS):
    """The most severe comments, at most one per participant (so one voice cannot fill them)."""
    chosen: list[Comment] = []
    seen: set[int] = set()
    for spot in sorted(spots, key=_severity_order):
        text = (spot.comment or "").strip()
        if text and spot.participant_id not in seen:
            seen.add(spot.participant_id)
            chosen.append(Comment(text, spot))
            if len(chosen) == limit:
                break
    return chosen


def representative_photos(spots: Iterable[Spot], limit: int = REPRESENTATIVE_PHOTOS):
    """Photos of the most severe spots, one participant after the other."""
    ordered = sorted(spots, key=_severity_order)
    firsts, rest, seen = [], [], set()
    for spot in ordered:
        for photo in spot.photos:
            (rest if spot.participant_id in seen else firsts).append(PhotoOfSpot(photo, spot))
            seen.add(spot.participant_id)
    return (firsts + rest)[:limit]


def describe(cell: str, spots: list[Spot], value: float, stat: GiStar) -> Hotspot:
    """A cell's figures, comments and photos."""
    lat, lon = cells.centre(cell)
    categories = Counter(spot.category for spot in spots)
    return Hotspot(
        cell=cell,
        lat=lat,
        lon=lon,
        boundary=cells.boundary(cell),
        value=value,
        z=stat.z,
        p=stat.p,
        n_reports=len(spots),
        n_participants=len({spot.participant_id for spot in spots}),
        n_heat_participants=sum(1 for w in participant_weights(spots).values() if w > 0),
        n_night=sum(1 for spot in spots if spot.light_condition == NIGHT),
        # Most frequent first; ties in the order of the category codes, so pages are stable.
        top_categories=sorted(categories.items(), key=lambda item: (-item[1], item[0]))[
            :TOP_CATEGORIES
        ],
        mean_feeling=sum(spot.feeling for spot in spots) / len(spots),
        comments=representative_comments(spots),
        photos=representative_photos(spots),
    )


def hotspots(spots: Iterable[Spot]) -> list[Hotspot]:
    """The hotspots among `spots`, highest z first (ties: more participants, then the cell)."""
    grouped = by_cell(spots)
    weights = {cell: participant_weights(cell_spots) for cell, cell_spots in grouped.items()}
    values = {cell: sum(people.values()) for cell, people in weights.items()}
    stats = gi_star(study_area(values), cells.neighbours)
    found = []
    for cell, cell_spots in grouped.items():
        heat_people = sum(1 for w in weights[cell].values() if w > 0)
        if is_hotspot(stats[cell], heat_people):
            found.append(describe(cell, cell_spots, values[cell], stats[cell]))
    found.sort(key=lambda h: (-h.z, -h.n_heat_participants, h.cell))
    return found
