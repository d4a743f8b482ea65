"""Hotspots: places where the group's unease is concentrated more than chance explains. Pure.

The method DESIGN.md fixes ("Numbers fixed now"), step by step, each a function below:

1. **Metric positions** (:func:`to_metric`): WGS84 -> Lambert-93 (EPSG:2154) with pyproj, so
   "50 m" means 50 m on the ground.

2. **Units** (:func:`make_units`): each participant counts once per place. A participant's
   spots in one square of a 10 m grid (Lambert-93) make one unit, at the mean of their
   positions, valued with their *most severe* heat weight (``thresholds.heat_weight``: feeling
   1 -> 1.0, 2 -> 0.5, 3..5 -> 0). Values are kept in half-units (0, 1, 2) so that sums and
   ties are exact integers. The grid is fine enough that no grid line splits a place: the
   neighbourhood (step 4) is a 50 m disc around each unit, not the square.

3. **Study area** (:func:`study_area`): where the group walked — the 50 m buffer of the stops
   joined in their order, of the recorded traces and of the spots, clipped to the perimeter.
   Spots outside it are left out. The route and the traces are sampled every 10 m inside the
   area as units of value 0 ("walked here, said nothing"), so the calm parts of the route count
   as calm. Not every 10 m square of the buffer: squares 50 m off the route were never walked,
   and counting them as calm would make the route itself look hot.

4. **Getis-Ord Gi*** (:func:`gi_star`) with a binary distance band of 50 m, the unit itself
   included: the z-score of the sum of values within 50 m against the mean and the (population)
   standard deviation of all n units (Getis & Ord 1992; checked against ``esda.G_Local``).

5. **Candidates** (:func:`candidates`): a unit that felt unsafe with at least
   ``MIN_HOTSPOT_PARTICIPANTS`` distinct participants who felt unsafe within 50 m. Only these
   are tested: one person with thirty spots is never a candidate.

6. **Inference** (:func:`conditional_p`): the null of conditional randomisation as ``esda``
   draws it — the unit's own value held, its k - 1 neighbours drawn with replacement from the
   n - 1 other units — computed *exactly* instead of by random draws: the neighbours' sum is
   then a sum of k - 1 independent draws of a value 0, 1 or 2 with the others' shares, whose
   distribution is the (k - 1)-fold convolution (:func:`null_tail`), and p = P(S >= observed),
   the limit of infinitely many permutations. Nothing is random, so a page shows the same
   result twice without a seed, and every candidate unit is tested whatever the data size: p
   has no floor of 1 / (permutations + 1), so a single place can pass the Benjamini-Hochberg
   correction (:func:`benjamini_hochberg`, false discovery rate ``ALPHA``) over any m. With
   replacement, the null's spread is slightly larger than without (by (n - 1) / (n - k)),
   which errs on the side of "no hotspot".

7. **Places** (:func:`merge`): significant units closer than 50 m to each other form one place,
   one hotspot, whose area is the convex hull of its units widened by 25 m; its figures are over
   the spots inside that area, and it is named by the nearest stop.

Below the power of any test (fewer than ``MIN_SPOTS_FOR_TEST`` spots or fewer than
``MIN_PARTICIPANTS_FOR_TEST`` participants) nothing is tested: the candidates, merged the same
way, are shown as *consensus places*, labelled as such.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .thresholds import MIN_HOTSPOT_PARTICIPANTS, heat_weight

# The distance band of the neighbourhood (DESIGN: 50 m unless a reason is written).
BAND_M = 50.0
# The grid a participant counts once in (DESIGN: <= 10 m), and the step the route is sampled at.
GRID_M = 10.0
ROUTE_STEP_M = 10.0
# Half the band: how far a hotspot's area reaches beyond its outermost units.
AREA_MARGIN_M = BAND_M / 2
# False discovery rate of the Benjamini-Hochberg correction across the places tested.
ALPHA = 0.05
# The smallest p-value kept: below it float64 underflows (the exact p is never 0, the observed
# neighbours being one of the possible draws); far below any correction's threshold.
P_FLOOR = 1e-300
# Below these, no test has the power to find anything: consensus places instead.
MIN_SPOTS_FOR_TEST = 30
MIN_PARTICIPANTS_FOR_TEST = 5
# How much of each hotspot a page shows.
TOP_CATEGORIES = 3
REPRESENTATIVE_COMMENTS = 3
REPRESENTATIVE_PHOTOS = 4
NIGHT = "night"
HOTSPOT = "hotspot"
CONSENSUS = "consensus"

LatLon = tuple[float, float]


@dataclass(frozen=True)
class Spot:
    """One observation, as a plain record (the service builds these from rows).

    ``photos`` are opaque references (the service's photo records), handed back as they came.
    """

    participant_id: int
    feeling: int
    category: str
    light_condition: str
    recorded_at: datetime
    lat: float
    lon: float
    comment: str | None = None
    photos: tuple[Any, ...] = ()
    id: int | None = None

    @property
    def weight(self) -> float:
        return heat_weight(self.feeling)


@dataclass(frozen=True)
class StopPoint:
    """A numbered stop of a walk (names a hotspot: "near stop 2 — Underpass")."""

    number: int
    name: str
    lat: float
    lon: float


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
    """One place: a hotspot (tested, significant) or a consensus place (not tested)."""

    key: str  # stable name of the place: a hash of its spots' ids
    kind: str  # HOTSPOT or CONSENSUS
    lat: float  # the peak unit (WGS84)
    lon: float
    polygon: list[LatLon]  # the area's outer ring, (lat, lon)
    spot_ids: tuple[int, ...]  # the spots inside the area
    z: float | None  # Gi* of the peak unit (None for a consensus place)
    p: float | None  # its exact conditional-randomisation p-value
    q: float | None  # after the Benjamini-Hochberg correction
    n_reports: int  # spots in the area, whatever their feeling
    n_participants: int  # distinct participants with a spot in the area
    n_heat_participants: int  # distinct participants who felt unsafe there
    n_night: int
    top_categories: list[tuple[str, int]]
    mean_feeling: float
    stop: StopPoint | None = None
    stop_distance_m: float | None = None
    comments: list[Comment] = field(default_factory=list)
    photos: list[PhotoOfSpot] = field(default_factory=list)

    @property
    def share_night(self) -> float:
        return self.n_night / self.n_reports if self.n_reports else 0.0

    def geometry(self) -> dict[str, Any]:
        """The area as a GeoJSON Polygon (RFC 7946: [lon, lat], closed ring)."""
        ring = [[round(lon, 7), round(lat, 7)] for lat, lon in self.polygon]
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        return {"type": "Polygon", "coordinates": [ring]}

    def snapshot(self) -> dict[str, Any]:
        """The figures as plain JSON (kept with a finding: the figures it was confirmed on)."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        return {
            "key": self.key,
            "kind": self.kind,
            "z": rounded(self.z),
            "p": self.p,
            "q": rounded(self.q),
            "n_reports": self.n_reports,
            "n_participants": self.n_participants,
            "n_heat_participants": self.n_heat_participants,
            "n_night": self.n_night,
            "share_night": round(self.share_night, 6),
            "top_categories": [[code, n] for code, n in self.top_categories],
            "mean_feeling": round(self.mean_feeling, 6),
            "stop": None if self.stop is None else [self.stop.number, self.stop.name],
        }


@dataclass(frozen=True)
class Analysis:
    """What the page shows: the hotspots, or the consensus places, and how they were found."""

    hotspots: list[Hotspot]
    consensus: list[Hotspot]
    tested: bool  # False: below the power of any test
    n_tested: int  # m, the units tested (every candidate unit)
    n_spots: int
    n_participants: int


# --- 1. Metric positions --------------------------------------------------------------------


@cache
def _transformers():
    from pyproj import Transformer

    forward = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    back = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    return forward, back


def to_metric(lats: Sequence[float], lons: Sequence[float]) -> np.ndarray:
    """(n, 2) array of Lambert-93 metres (x east, y north)."""
    x, y = _transformers()[0].transform(np.asarray(lons, float), np.asarray(lats, float))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def to_wgs84(xy: np.ndarray) -> list[LatLon]:
    lon, lat = _transformers()[1].transform(xy[:, 0], xy[:, 1])
    return list(zip(np.atleast_1d(lat).tolist(), np.atleast_1d(lon).tolist(), strict=True))


# --- 2. Units -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Units:
    xy: np.ndarray  # (n, 2) metres
    value: np.ndarray  # half-units: 2 x the most severe heat weight (0, 1, 2)
    participant: np.ndarray  # participant id, -1 for a route sample


def make_units(xy: np.ndarray, participants: np.ndarray, halves: np.ndarray) -> Units:
    """One unit per participant and 10 m square: mean position, most severe value."""
    if len(xy) == 0:
        return Units(np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, np.int64))
    square = np.floor(xy / GRID_M).astype(np.int64)
    keys = np.column_stack([participants, square])
    _, group, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    m = len(counts)
    mean = np.column_stack([np.bincount(group, xy[:, i], minlength=m) / counts for i in range(2)])
    value = np.zeros(m, np.int64)
    np.maximum.at(value, group, halves)
    who = np.zeros(m, np.int64)
    who[group] = participants
    return Units(mean, value, who)


# --- 3. Study area --------------------------------------------------------------------------


def _metric_perimeter(perimeter: Mapping[str, Any] | None):
    if not perimeter:
        return None
    geometry = shapely.geometry.shape(perimeter.get("geometry", perimeter))
    return shapely.transform(geometry, lambda c: to_metric(c[:, 1], c[:, 0]) if len(c) else c)


def study_area(
    lines: Sequence[np.ndarray], spots_xy: np.ndarray, perimeter: Mapping[str, Any] | None
):
    """The 50 m buffer of the lines (stops in order, traces) and the spots, clipped."""
    parts = [shapely.LineString(line) for line in lines if len(line) >= 2]
    parts += [shapely.Point(line[0]) for line in lines if len(line) == 1]
    parts.append(shapely.MultiPoint(spots_xy) if len(spots_xy) else shapely.Point())
    area = shapely.union_all([shapely.buffer(p, BAND_M, quad_segs=4) for p in parts])
    clip = _metric_perimeter(perimeter)
    return area if clip is None else shapely.intersection(area, clip)


def route_samples(lines: Sequence[np.ndarray], area=None) -> np.ndarray:
    """Points every 10 m along the lines, inside `area` (the perimeter) if there is one."""
    samples = []
    for line in lines:
        if len(line) < 2:
            continue
        shape = shapely.LineString(line)
        steps = np.arange(0.0, shape.length + 1e-9, ROUTE_STEP_M)
        samples.append(shapely.get_coordinates(shapely.line_interpolate_point(shape, steps)))
    if not samples:
        return np.zeros((0, 2))
    points = np.vstack(samples)
    if area is None:
        return points
    shapely.prepare(area)
    return points[shapely.contains_xy(area, points[:, 0], points[:, 1])]


# --- 4. Getis-Ord Gi* -----------------------------------------------------------------------


def neighbour_pairs(tree: cKDTree, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every unit of `tree` within the band of each point of `xy`, itself
    included."""
    found = tree.query_ball_point(xy, BAND_M, return_sorted=False)
    lengths = np.fromiter((len(f) for f in found), np.int64, len(found))
    rows = np.repeat(np.arange(len(xy)), lengths)
    cols = np.fromiter((j for f in found for j in f), np.int64, int(lengths.sum()))
    return rows, cols


def self_pairs(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same as neighbour_pairs(cKDTree(xy), xy), both ways round and each point with
    itself, without a Python list per point (query_pairs gives each pair once as an array)."""
    pairs = cKDTree(xy).query_pairs(BAND_M, output_type="ndarray")
    own = np.arange(len(xy))
    return np.concatenate([pairs[:, 0], pairs[:, 1], own]), np.concatenate(
        [pairs[:, 1], pairs[:, 0], own]
    )


# Up to this many distinct non-zero values, Gi*'s local sums are counts within the band of the
# units of each value (counted in C, no neighbour lists); the values here are 0, 1, 2.
FEW_VALUES = 8


def _within(points: np.ndarray, at: np.ndarray) -> np.ndarray:
    """How many of `points` lie within the band of each point of `at`."""
    if len(points) == 0:
        return np.zeros(len(at), np.int64)
    return np.asarray(cKDTree(points).query_ball_point(at, BAND_M, return_length=True))


def gi_star(
    xy: np.ndarray, values: np.ndarray, at: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gi* z-scores (binary 50 m band, self included) of the units `at` (all by default),
    with each one's local sum and neighbourhood size k:

        Gi* = (L_i - X̄ k_i) / (S √[(n k_i - k_i²) / (n - 1)])

    z = 0 where nothing can stand out (S = 0, or the neighbourhood is the whole area).
    """
    values = np.asarray(values, float)
    at = np.arange(len(values)) if at is None else at
    n = len(values)
    if n < 2 or len(at) == 0:
        return np.zeros(len(at)), np.zeros(len(at)), np.ones(len(at))
    distinct = np.unique(values[values != 0])
    if len(distinct) <= FEW_VALUES:
        k = _within(xy, xy[at]).astype(float)
        local = np.zeros(len(at))
        for value in distinct:
            local += value * _within(xy[values == value], xy[at])
    else:
        rows, cols = neighbour_pairs(cKDTree(xy), xy[at])
        local = np.bincount(rows, values[cols], minlength=len(at))
        k = np.bincount(rows, minlength=len(at)).astype(float)
    mean, s = values.mean(), values.std()
    spread = (n * k - k * k) / (n - 1)
    ok = (spread > 0) & (s > 1e-12)
    z = np.zeros(len(at))
    z[ok] = (local[ok] - mean * k[ok]) / (s * np.sqrt(spread[ok]))
    return z, local, k


# --- 5. Candidates --------------------------------------------------------------------------


def candidates(units: Units) -> np.ndarray:
    """Indices of the units that felt unsafe with >= 3 distinct participants who felt unsafe
    within the band (the unit's own participant included)."""
    unsafe = np.flatnonzero(units.value > 0)
    if len(unsafe) < MIN_HOTSPOT_PARTICIPANTS:
        return np.zeros(0, np.int64)
    rows, cols = self_pairs(units.xy[unsafe])
    people, who = np.unique(units.participant[unsafe], return_inverse=True)
    # (unit, participant) pairs; converting to CSR sums the duplicates, so the entries left in a
    # row are the distinct participants within the band.
    seen = coo_matrix(
        (np.ones(len(rows), np.int32), (rows, who.ravel()[cols])),
        shape=(len(unsafe), len(people)),
    ).tocsr()
    seen.sum_duplicates()
    distinct = np.diff(seen.indptr)
    return unsafe[distinct >= MIN_HOTSPOT_PARTICIPANTS]


# --- 6. Inference ---------------------------------------------------------------------------


def value_shares(values: np.ndarray, own: int) -> np.ndarray:
    """Shares (p0, p1, p2) of the values 0, 1, 2 among the n - 1 units other than one of value
    `own`: the unit itself is excluded exactly (not approximated by all n), which depends on
    its own value only."""
    counts = np.bincount(np.asarray(values, np.int64), minlength=3)[:3].astype(float)
    counts[own] -= 1
    return counts / counts.sum()


def null_tail(shares: np.ndarray, draws: Iterable[int]) -> dict[int, np.ndarray]:
    """For each number of draws d: tail[s] = P(S >= s), S the sum of d independent draws of a
    value 0, 1 or 2 with probabilities `shares` (the coefficients of (p0 + p1 x + p2 x²)^d).

    Built by direct convolution, one draw after the other, so one pass up to the largest d
    serves every d (O(d_max²) in all): only sums and products of non-negative float64 numbers,
    no cancellation (unlike an FFT), so small tails keep their relative precision until they
    underflow. Tails are summed from the top, smallest terms first.
    """
    wanted = sorted({int(d) for d in draws})
    tails: dict[int, np.ndarray] = {}
    if not wanted:
        return tails
    p0, p1, p2 = (float(x) for x in shares)
    dist = np.ones(1)
    for d in range(wanted[-1] + 1):
        if d:
            step = np.zeros(len(dist) + 2)
            step[:-2] += p0 * dist
            step[1:-1] += p1 * dist
            step[2:] += p2 * dist
            dist = step
        if d in wanted:
            tails[d] = np.minimum(np.cumsum(dist[::-1])[::-1], 1.0)
    return tails


def conditional_p(values: np.ndarray, own: np.ndarray, local: np.ndarray, k: np.ndarray):
    """One-sided exact p-values P(S >= local - own) of local sums under conditional
    randomisation with replacement.

    `values` are the n units' integer values (0, 1, 2); test t holds its own value own[t] and
    its k[t] - 1 neighbours are independent draws from the n - 1 others, so S, their sum, has
    the distribution :func:`null_tail` computes, once per own value and number of draws. This
    is the limit of the permutation pseudo p-value (larger + 1) / (permutations + 1) as the
    permutations grow: no "+ 1" (it is there only so that a finite number of draws cannot give
    p = 0), and p is kept above ``P_FLOOR`` where float64 underflows.
    """
    values = np.asarray(values, np.int64)
    own, local, k = (np.asarray(a, np.int64) for a in (own, local, k))
    p = np.ones(len(own))
    for value in np.unique(own):
        tests = np.flatnonzero(own == value)
        tails = null_tail(value_shares(values, int(value)), k[tests] - 1)
        for size in np.unique(k[tests]):
            chosen = tests[k[tests] == size]
            tail = tails[int(size) - 1]
            observed = local[chosen] - value  # the neighbours' sum
            inside = np.clip(observed, 0, len(tail) - 1)
            p[chosen] = np.where(observed >= len(tail), 0.0, tail[inside])
    return np.maximum(p, P_FLOOR)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """q-values (Benjamini & Hochberg 1995): reject where q <= ALPHA."""
    p = np.asarray(p, float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


# --- 7. Places ------------------------------------------------------------------------------


def merge(xy: np.ndarray) -> np.ndarray:
    """Component label of each point: points closer than the band are one place."""
    if len(xy) == 0:
        return np.zeros(0, np.int64)
    pairs = cKDTree(xy).query_pairs(BAND_M, output_type="ndarray")
    graph = coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])) if len(pairs) else ([], ([], [])),
        shape=(len(xy), len(xy)),
    )
    return connected_components(graph, directed=False)[1]


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


def nearest_stop(
    stops: Sequence[StopPoint], stops_xy: np.ndarray, point: np.ndarray
) -> tuple[StopPoint | None, float | None]:
    if not stops:
        return None, None
    distances = np.hypot(*(stops_xy - point).T)
    best = int(np.argmin(distances))
    return stops[best], float(distances[best])


@dataclass(frozen=True)
class _Context:
    spots: Sequence[Spot]
    spots_xy: np.ndarray
    stops: Sequence[StopPoint]
    stops_xy: np.ndarray


def describe(ctx: _Context, kind: str, members: np.ndarray, peak: np.ndarray, stats) -> Hotspot:
    """A place from its member units' positions: its area, spots, figures and name."""
    hull = shapely.convex_hull(shapely.MultiPoint(members))
    area = shapely.buffer(hull, AREA_MARGIN_M, quad_segs=4)
    inside = shapely.contains_xy(area, ctx.spots_xy[:, 0], ctx.spots_xy[:, 1])
    spots = [s for s, keep in zip(ctx.spots, inside, strict=True) if keep]
    ids = tuple(sorted(s.id for s in spots if s.id is not None))
    key_source = ",".join(map(str, ids)) or ",".join(f"{v:.1f}" for v in peak)
    ring = to_wgs84(shapely.get_coordinates(area.exterior))
    categories = Counter(s.category for s in spots)
    lat, lon = to_wgs84(peak.reshape(1, 2))[0]
    stop, distance = nearest_stop(ctx.stops, ctx.stops_xy, peak)
    z, p, q = stats
    return Hotspot(
        key=hashlib.sha256(key_source.encode()).hexdigest()[:16],
        kind=kind,
        lat=lat,
        lon=lon,
        polygon=ring,
        spot_ids=ids,
        z=z,
        p=p,
        q=q,
        n_reports=len(spots),
        n_participants=len({s.participant_id for s in spots}),
        n_heat_participants=len({s.participant_id for s in spots if s.weight > 0}),
        n_night=sum(1 for s in spots if s.light_condition == NIGHT),
        top_categories=sorted(categories.items(), key=lambda item: (-item[1], item[0]))[
            :TOP_CATEGORIES
        ],
        mean_feeling=sum(s.feeling for s in spots) / len(spots) if spots else 0.0,
        stop=stop,
        stop_distance_m=distance,
        comments=representative_comments(spots),
        photos=representative_photos(spots),
    )


def _places(ctx: _Context, kind: str, xy: np.ndarray, z: np.ndarray, p, q) -> list[Hotspot]:
    labels = merge(xy)
    found = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        peak = members[np.argmax(z[members])]
        stats = (None, None, None)
        if kind == HOTSPOT:
            stats = (float(z[peak]), float(p[peak]), float(q[peak]))
        place = describe(ctx, kind, xy[members], xy[peak], stats)
        if place.n_heat_participants >= MIN_HOTSPOT_PARTICIPANTS:
            found.append(place)
    found.sort(key=lambda h: (-(h.z or 0.0), -h.n_heat_participants, h.key))
    return found


def _metric_lines(lines: Iterable[Sequence[LatLon]]) -> list[np.ndarray]:
    out = []
    for line in lines:
        if len(line):
            lat, lon = np.asarray(line, float).T
            out.append(to_metric(lat, lon))
    return out


def analyse(
    spots: Sequence[Spot],
    *,
    lines: Iterable[Sequence[LatLon]] = (),
    stops: Sequence[StopPoint] = (),
    perimeter: Mapping[str, Any] | None = None,
) -> Analysis:
    """The hotspots of `spots` (or their consensus places when too few to test).

    `lines` are the walks' stops in their order and the participants' traces, as (lat, lon)
    sequences; `stops` name the places; `perimeter` is the project's GeoJSON perimeter.
    """
    spots = [s for s in spots if s.lat is not None and s.lon is not None]
    xy = to_metric([s.lat for s in spots], [s.lon for s in spots]) if spots else np.zeros((0, 2))
    metric_lines = _metric_lines(lines)
    # The study area is the buffer of the lines and the spots clipped to the perimeter: each
    # spot and each route sample lies in its own buffer, so being in the area is being in the
    # perimeter (the union of the buffers, see study_area(), is never needed here).
    clip = _metric_perimeter(perimeter)
    if len(xy) and clip is not None:
        shapely.prepare(clip)
        keep = shapely.contains_xy(clip, xy[:, 0], xy[:, 1])
        spots, xy = [s for s, k in zip(spots, keep, strict=True) if k], xy[keep]
    stops_xy = to_metric([s.lat for s in stops], [s.lon for s in stops]) if stops else None
    ctx = _Context(spots, xy, list(stops), stops_xy)
    units = make_units(
        xy,
        np.array([s.participant_id for s in spots], np.int64),
        np.array([round(2 * s.weight) for s in spots], np.int64),
    )
    background = route_samples(metric_lines, clip)
    units = Units(
        np.vstack([units.xy, background]),
        np.concatenate([units.value, np.zeros(len(background), np.int64)]),
        np.concatenate([units.participant, np.full(len(background), -1, np.int64)]),
    )
    n_participants = len({s.participant_id for s in spots})
    chosen = candidates(units)
    z, local, k = gi_star(units.xy, units.value, chosen)
    tested = len(spots) >= MIN_SPOTS_FOR_TEST and n_participants >= MIN_PARTICIPANTS_FOR_TEST
    if not tested:
        consensus = _places(ctx, CONSENSUS, units.xy[chosen], z, None, None)
        return Analysis([], consensus, False, 0, len(spots), n_participants)
    p = conditional_p(units.value, units.value[chosen], np.rint(local), k)
    q = benjamini_hochberg(p)
    significant = (q <= ALPHA) & (z > 0)
    found = _places(
        ctx,
        HOTSPOT,
        units.xy[chosen][significant],
        z[significant],
        p[significant],
        q[significant],
    )
    return Analysis(found, [], True, len(chosen), len(spots), n_participants)


def hotspots(spots: Sequence[Spot], **context) -> list[Hotspot]:
    """The hotspots alone (see :func:`analyse`)."""
    return analyse(spots, **context).hotspots


def explain_numbers() -> dict[str, Any]:
    """The numbers the page's explanation quotes."""
    return {
        "band": int(BAND_M),
        "grid": int(GRID_M),
        "people": MIN_HOTSPOT_PARTICIPANTS,
        "alpha": ALPHA,
        "min_spots": MIN_SPOTS_FOR_TEST,
        "min_participants": MIN_PARTICIPANTS_FOR_TEST,
    }


def area_contains(geometry: Mapping[str, Any] | None, lat: float, lon: float) -> bool:
    """Whether a GeoJSON area (a finding's) holds this point."""
    if not geometry:
        return False
    return bool(shapely.geometry.shape(geometry).covers(shapely.Point(lon, lat)))
