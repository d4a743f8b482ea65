"""The map figure of the tender annex: the perimeter, the walks' stops and the numbered findings'
areas, with a scale bar and a north arrow — drawn with Pillow, with no network (no tiles: a
tender file must build offline and show the same thing in ten years).

Positions are projected to Lambert-93 with the transformer the hotspots use
(domain.hotspots.to_metric), so distances on the figure are metres. The image is drawn at twice
its size and scaled down, for smooth lines (Pillow's drawing has no anti-aliasing). No user text
is drawn but the zones' names (the planner's): the stops and findings are numbers; the document
beside it names them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import shapely
from PIL import Image, ImageDraw, ImageFont

from ..domain.hotspots import to_metric

SUPERSAMPLE = 2
MARGIN = 0.07  # of the width, around what is drawn
MIN_RATIO, MAX_RATIO = 0.55, 1.0  # height / width
MIN_EXTENT_M = 150.0  # a single stop or a tiny area still shows its surroundings
NICE_LENGTHS_M = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000)

BACKGROUND = (250, 249, 246, 255)
PERIMETER_FILL = (232, 236, 228, 255)
PERIMETER_LINE = (70, 70, 70, 255)
AREA_FILL = (213, 94, 0, 95)  # orange-vermilion, readable in grey and by colour-blind readers
AREA_LINE = (160, 60, 0, 255)
STOP_FILL = (0, 84, 147, 255)
ZONE_LINE = (110, 110, 110, 255)
WHITE = (255, 255, 255, 255)
INK = (30, 30, 30, 255)


class StopLike(Protocol):
    label: str  # short: "2", "B2"
    lat: float
    lon: float


class ZoneLike(Protocol):
    name: str
    geometry: Mapping[str, Any]


class FindingLike(Protocol):
    number: int
    geometry: Mapping[str, Any]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # Pillow's own font: nothing to install


def _rings(geometry: Mapping[str, Any] | None) -> list[list[list[float]]]:
    """Every ring (lon, lat) of a Polygon or MultiPolygon, outer rings first."""
    if not geometry:
        return []
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    return [ring for polygon in polygons for ring in polygon if len(ring) >= 3]


def _project(ring: Sequence[Sequence[float]]) -> np.ndarray:
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return to_metric(lats, lons)


def nice_length(max_m: float) -> int:
    """The longest round length (10 m, 20 m, 50 m, 100 m...) not above `max_m`."""
    fitting = [n for n in NICE_LENGTHS_M if n <= max_m]
    return fitting[-1] if fitting else NICE_LENGTHS_M[0]


def _bounds(parts: Iterable[np.ndarray]) -> tuple[float, float, float, float] | None:
    arrays = [p for p in parts if len(p)]
    if not arrays:
        return None
    xy = np.vstack(arrays)
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = max((x1 - x0) / 2, MIN_EXTENT_M / 2)
    half_h = max((y1 - y0) / 2, MIN_EXTENT_M / 2)
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


class _Canvas:
    def __init__(self, bounds, width_px: int):
        x0, y0, x1, y1 = bounds
        ratio = min(MAX_RATIO, max(MIN_RATIO, (y1 - y0) / (x1 - x0)))
        self.w = width_px * SUPERSAMPLE
        self.h = int(round(self.w * ratio))
        margin = self.w * MARGIN
        self.scale = min((self.w - 2 * margin) / (x1 - x0), (self.h - 2 * margin) / (y1 - y0))
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2

    def px(self, xy: np.ndarray) -> list[tuple[float, float]]:
        x = self.w / 2 + (xy[:, 0] - self.cx) * self.scale
        y = self.h / 2 - (xy[:, 1] - self.cy) * self.scale
        return list(zip(x.tolist(), y.tolist(), strict=True))


def _label(draw: ImageDraw.ImageDraw, at, text: str, radius: float, fill, outline, font) -> None:
    x, y = at
    draw.ellipse(
        (x - radius, y - radius, x + radius, y + radius),
        fill=fill,
        outline=outline,
        width=max(2, int(radius / 6)),
    )
    draw.text((x, y), text, fill=outline if fill == WHITE else WHITE, font=font, anchor="mm")


def _scale_bar(draw: ImageDraw.ImageDraw, canvas: _Canvas, font) -> None:
    length_m = nice_length(canvas.w * 0.25 / canvas.scale)
    length_px = length_m * canvas.scale
    s = SUPERSAMPLE
    x0, y = canvas.w * 0.04, canvas.h - 26 * s
    draw.rectangle((x0 - 8 * s, y - 30 * s, x0 + length_px + 60 * s, y + 12 * s), fill=WHITE)
    draw.line((x0, y, x0 + length_px, y), fill=INK, width=4 * s)
    for x in (x0, x0 + length_px / 2, x0 + length_px):
        draw.line((x, y - 8 * s, x, y + 4 * s), fill=INK, width=2 * s)
    text = f"{length_m // 1000} km" if length_m >= 1000 else f"{length_m} m"
    draw.text((x0 + length_px + 8 * s, y), text, fill=INK, font=font, anchor="lm")
    draw.text((x0, y - 12 * s), "0", fill=INK, font=font, anchor="ms")


def _north_arrow(draw: ImageDraw.ImageDraw, canvas: _Canvas, font) -> None:
    s = SUPERSAMPLE
    x, top = canvas.w - 40 * s, 22 * s
    draw.polygon(
        [(x, top), (x - 14 * s, top + 44 * s), (x, top + 34 * s), (x + 14 * s, top + 44 * s)],
        fill=INK,
    )
    draw.text((x, top + 50 * s), "N", fill=INK, font=font, anchor="mt")


def _draw_perimeter(draw: ImageDraw.ImageDraw, canvas: _Canvas, rings: list[np.ndarray]) -> None:
    for ring in rings:
        draw.polygon(canvas.px(ring), fill=PERIMETER_FILL)
    for ring in rings:
        line = canvas.px(ring)
        draw.line([*line, line[0]], fill=PERIMETER_LINE, width=3 * SUPERSAMPLE)


def _draw_areas(image: Image.Image, canvas: _Canvas, areas: list[list[np.ndarray]]) -> Image.Image:
    """The findings' areas (their outer rings), shaded see-through, then outlined."""
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    shade = ImageDraw.Draw(overlay)
    for rings in areas:
        if rings:
            shade.polygon(canvas.px(rings[0]), fill=AREA_FILL)
    image = Image.alpha_composite(image, overlay)
    draw = ImageDraw.Draw(image)
    for rings in areas:
        if rings:
            line = canvas.px(rings[0])
            draw.line([*line, line[0]], fill=AREA_LINE, width=3 * SUPERSAMPLE)
    return image


def _draw_zones(draw, canvas: _Canvas, zones: Sequence[ZoneLike], rings, font) -> None:
    """Thin grey outlines, each zone's name at a point inside it (under the findings)."""
    for zone, zone_rings in zip(zones, rings, strict=True):
        for ring in zone_rings:
            line = canvas.px(ring)
            draw.line([*line, line[0]], fill=ZONE_LINE, width=1 * SUPERSAMPLE)
        if zone_rings:
            inside = shapely.Polygon(zone_rings[0]).representative_point()
            (at,) = canvas.px(np.array([[inside.x, inside.y]]))
            draw.text(at, zone.name[:60], fill=ZONE_LINE, font=font, anchor="mm")


def _draw_stops(draw, canvas: _Canvas, stops: Sequence[StopLike], xy: np.ndarray, font) -> None:
    """Numbered discs; more than 40 stops, plain dots (their numbers would hide the map)."""
    s = SUPERSAMPLE
    labelled = len(stops) <= 40
    for (x, y), stop in zip(canvas.px(xy), stops, strict=True):
        if labelled:
            radius = 13 * s + 4 * s * max(0, len(stop.label) - 1)
            _label(draw, (x, y), stop.label, radius, STOP_FILL, STOP_FILL, font)
        else:
            draw.ellipse((x - 5 * s, y - 5 * s, x + 5 * s, y + 5 * s), fill=STOP_FILL)


def _draw_numbers(draw, canvas: _Canvas, findings, areas: list[list[np.ndarray]], font) -> None:
    """Each finding's number at its area's north-east corner: the stops inside stay visible."""
    for finding, rings in zip(findings, areas, strict=True):
        if rings:
            _x0, _y0, x1, y1 = shapely.Polygon(rings[0]).bounds
            (at,) = canvas.px(np.array([[x1, y1]]))
            _label(draw, at, str(finding.number), 17 * SUPERSAMPLE, WHITE, AREA_LINE, font)


def map_png(
    perimeter: Mapping[str, Any] | None,
    stops: Sequence[StopLike],
    findings: Sequence[FindingLike],
    *,
    zones: Sequence[ZoneLike] = (),
    width_px: int = 1600,
) -> bytes:
    """A PNG of the perimeter (outline), the stops (blue discs with their number) and the
    findings' areas (orange, each with its number in a white disc), north up, with a scale bar
    and a north arrow; the `zones` thinly outlined under them, with their names. Nothing to
    draw: a blank figure of the same make."""
    perimeter_rings = [_project(r) for r in _rings(perimeter)]
    area_rings = [[_project(r) for r in _rings(f.geometry)] for f in findings]
    zone_rings = [[_project(r) for r in _rings(z.geometry)] for z in zones]
    stops_xy = (
        to_metric([s.lat for s in stops], [s.lon for s in stops]) if stops else np.empty((0, 2))
    )
    bounds = _bounds(
        [
            *perimeter_rings,
            *(r for rings in area_rings for r in rings),
            *(r for rings in zone_rings for r in rings),
            stops_xy,
        ]
    )
    canvas = _Canvas(bounds or (0.0, 0.0, MIN_EXTENT_M, MIN_EXTENT_M), width_px)
    s = SUPERSAMPLE
    small, big = _font(16 * s), _font(20 * s)
    image = Image.new("RGBA", (canvas.w, canvas.h), BACKGROUND)
    _draw_perimeter(ImageDraw.Draw(image), canvas, perimeter_rings)
    _draw_zones(ImageDraw.Draw(image), canvas, zones, zone_rings, small)
    image = _draw_areas(image, canvas, area_rings)
    draw = ImageDraw.Draw(image)
    _draw_stops(draw, canvas, stops, stops_xy, small)
    _draw_numbers(draw, canvas, findings, area_rings, big)
    _scale_bar(draw, canvas, small)
    _north_arrow(draw, canvas, big)
    inset = 2 * s  # a frame drawn at the very edge fades away when the figure is scaled
    draw.rectangle(
        (inset, inset, canvas.w - 1 - inset, canvas.h - 1 - inset),
        outline=PERIMETER_LINE,
        width=3 * s,
    )
    final = image.convert("RGB").resize((canvas.w // s, canvas.h // s), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    final.save(out, format="PNG", optimize=True)
    return out.getvalue()
