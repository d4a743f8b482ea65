"""What the planner maps show, computed from plain rows: no Flask, no database, no folium.

The map's size must not grow with the data (DESIGN.md budget: 100,000 spots in at most 1.5 MB
of HTML). So the heat layer is the summed heat weights per fine H3 cell (one weighted point per
cell centre, however many spots the cell holds), and above MARKER_LIMIT spots the markers give
way to map hexagons whose details the browser asks for when a planner clicks one.

Every user-typed string that reaches a popup or a tooltip goes through popup_text(): folium
writes popup and tooltip text into JavaScript template literals and then into innerHTML, where
HTML escaping alone is not enough (PITFALLS.md: `${...}` and backslash-backtick still run).
Typed text inside a sentence is also isolated (popup_isolated: a <bdi>), so that a right-to-left
override (U+202E) in it cannot turn the rest of the sentence around.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import h3
from markupsafe import escape

from . import cells
from .thresholds import HEAT_WEIGHTS, heat_weight

# Up to this many spots, each spot is a marker (clustered) with its popup; above it, hexagons.
# 2,000 markers with popups make about 1 MB of HTML: the heaviest map the budget allows.
MARKER_LIMIT = 2_000
# At most this many spots are listed when a planner opens a hexagon (the newest first).
CELL_DETAILS_LIMIT = 50
# Coordinates are sent with 6 decimals (about 0.1 m): more would only weigh.
PRECISION = 6

# Colours of the feeling scale (1 very unsafe .. 5 safe), shared by markers, hexagons, legend.
FEELING_COLOURS: dict[int, str] = {
    1: "#b2182b",
    2: "#ef8a62",
    3: "#bababa",
    4: "#67a9cf",
    5: "#2166ac",
}

_EXTRA_ESCAPES = str.maketrans({"\\": "&#92;", "`": "&#96;", "$": "&#36;"})


def popup_text(text: object) -> str:
    """User text made safe for a folium popup or tooltip (HTML and JavaScript template literal).

    HTML-escape (& < > " '), then also replace the three characters a template literal gives
    a meaning to: backslash, backtick and dollar. The browser shows the entities as the
    characters themselves, so the planner reads exactly what was typed.
    """
    if text is None:
        return ""
    return str(escape(str(text))).translate(_EXTRA_ESCAPES)


def popup_isolated(text: object) -> str:
    """popup_text(text) in a <bdi>: typed text among other words of a popup or tooltip."""
    return f"<bdi>{popup_text(text)}</bdi>"


def feeling_colour(mean_feeling: float) -> str:
    """The colour of the nearest feeling on the scale."""
    return FEELING_COLOURS[min(5, max(1, round(mean_feeling)))]


@dataclass(frozen=True)
class Hexagon:
    """A map cell: how many spots it holds, their mean feeling, how many are negative."""

    cell: str
    count: int
    mean_feeling: float
    negative: int  # spots whose heat weight is not zero

    @property
    def colour(self) -> str:
        return feeling_colour(self.mean_feeling)

    def outline(self) -> list[list[float]]:
        return [
            [round(lat, PRECISION), round(lon, PRECISION)] for lat, lon in cells.boundary(self.cell)
        ]


@dataclass(frozen=True)
class Summary:
    """What the map draws of n spots, in a size that depends on the area covered, not on n."""

    heat: list[list[float]]  # [lat, lon, summed heat weight] per fine cell centre
    hexagons: list[Hexagon]


def summarise(rows: Iterable[tuple[float, float, int]]) -> Summary:
    """Heat points and map hexagons of the spots (lat, lon, feeling), in one pass.

    Heat: the summed heat weights of the spots of each fine H3 cell (HOTSPOT_RESOLUTION), as
    one weighted point at the cell's centre; cells of comfortable spots only (weight 0) are
    left out. Hexagons: each spot placed directly at the map resolution (H3 children do not
    tile their parent exactly: going through the fine cell would move spots near the edges).
    Both lists are sorted by cell, so the same data always gives the same map.

    This runs over every spot of a map (100,000 in the budget): the loop is kept bare.
    """
    to_cell = h3.latlng_to_cell
    map_res, fine_res = cells.MAP_RESOLUTION, cells.HOTSPOT_RESOLUTION
    weights = HEAT_WEIGHTS
    tally: defaultdict[tuple[str, int], int] = defaultdict(int)
    heat: defaultdict[str, float] = defaultdict(float)
    for lat, lon, feeling in rows:
        tally[(to_cell(lat, lon, map_res), feeling)] += 1
        weight = weights[feeling]
        if weight:
            heat[to_cell(lat, lon, fine_res)] += weight
    return Summary(_heat_points(heat), _hexagons(tally))


def _heat_points(heat: dict[str, float]) -> list[list[float]]:
    points = []
    for cell in sorted(heat):
        lat, lon = cells.centre(cell)
        points.append([round(lat, PRECISION), round(lon, PRECISION), heat[cell]])
    return points


def _hexagons(tally: dict[tuple[str, int], int]) -> list[Hexagon]:
    count: Counter[str] = Counter()
    total: Counter[str] = Counter()
    negative: Counter[str] = Counter()
    for (cell, feeling), n in tally.items():
        count[cell] += n
        total[cell] += feeling * n
        if heat_weight(feeling):
            negative[cell] += n
    return [
        Hexagon(cell, count[cell], total[cell] / count[cell], negative[cell])
        for cell in sorted(count)
    ]


def heat_points(rows: Iterable[tuple[float, float, int]]) -> list[list[float]]:
    """[lat, lon, weight] per fine H3 cell centre (see summarise)."""
    return summarise(rows).heat


def hexagons(rows: Iterable[tuple[float, float, int]]) -> list[Hexagon]:
    """The spots gathered into map-resolution H3 cells (see summarise)."""
    return summarise(rows).hexagons


def cell_of_map(lat: float, lon: float) -> str:
    """The map cell (hexagon) of a point."""
    return cells.cell_of(lat, lon, cells.MAP_RESOLUTION)


def is_map_cell(text: str) -> bool:
    """Whether `text` names an H3 cell of the map resolution (the hexagons' details URL)."""
    try:
        return h3.is_valid_cell(text) and h3.get_resolution(text) == cells.MAP_RESOLUTION
    except (TypeError, ValueError):
        return False


def cell_box(cell: str) -> tuple[float, float, float, float]:
    """(south, west, north, east) around a cell: a database range query, refined in Python."""
    corners = cells.boundary(cell)
    lats = [lat for lat, _ in corners]
    lons = [lon for _, lon in corners]
    margin = 1e-5  # about 1 m: the cell's edges are not quite straight in degrees
    return min(lats) - margin, min(lons) - margin, max(lats) + margin, max(lons) + margin


def bounds(points: Iterable[tuple[float, float]]) -> list[list[float]] | None:
    """[[south, west], [north, east]] of (lat, lon) points, None if there is none."""
    lats, lons = [], []
    for lat, lon in points:
        lats.append(lat)
        lons.append(lon)
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def geometry_points(geometry: dict | None) -> list[tuple[float, float]]:
    """The (lat, lon) corners of a GeoJSON Polygon or MultiPolygon (the project perimeter)."""
    if not geometry:
        return []
    polygons = geometry["coordinates"]
    if geometry.get("type") == "Polygon":
        polygons = [polygons]
    return [(lat, lon) for polygon in polygons for ring in polygon for lon, lat, *_ in ring]
