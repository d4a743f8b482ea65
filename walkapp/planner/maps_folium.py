"""The folium document of a project map: heat, markers or hexagons, perimeter, stops, legend.

One function, map_document(), builds the HTML the map frame serves; bench/map_size.py measures
that very function. Its size does not grow with the data: the heat layer is one weighted point
per fine H3 cell, and above domain.maps.MARKER_LIMIT spots (or with aggregate=True) the spots
become hexagons whose details the browser fetches from the app when a planner clicks one.

No request leaves the app: folium's CDN links are replaced *on each instance* (the map and
every plugin; never add_js_link(), which rewrites the class defaults for every later map) by
files the app serves — Leaflet, leaflet.markercluster and jQuery from npm, and the weighted
heat plug-in folium's wheel ships. Without a tile URL the map has no background layer at all.

User text reaches the page only through domain.maps.popup_text() (markers' popups and
tooltips, stop tooltips); the hexagons' details are JSON, written into the page with
textContent by static/planner/map.js.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import folium
from babel.dates import format_datetime
from branca.element import CssLink, JavascriptLink, MacroElement
from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from folium.plugins import FastMarkerCluster, HeatMap
from folium.template import Template
from markupsafe import Markup

from ..domain import maps as domain
from ..domain.thresholds import HEAT_WEIGHTS
from ..i18n import isolate, label
from ..models import Observation, Project
from ..participate.assets import assets
from ..resources import npm_dist
from ..services import maps as service
from ..services.observation_filter import ObservationFilter, scope

MAX_ZOOM = 19
FRANCE = (46.6, 2.4)  # where an empty project without a perimeter opens


# --- Files the map loads (served by planner/maps.py) ---------------------------------------


def jquery_dir() -> Path:
    """jQuery from npm (folium builds its popups with it): in the wheel, or node_modules."""
    return npm_dist("jquery", "jquery/dist")


def markercluster_dir() -> Path:
    return npm_dist("leaflet.markercluster", "leaflet.markercluster/dist")


def heat_dir() -> Path:
    """folium's own weighted heat plug-in (npm's leaflet.heat ignores the weights)."""
    return Path(folium.__file__).parent / "templates"


# name in URL -> (directory function, file name)
MAP_FILES = {
    "jquery.min.js": (jquery_dir, "jquery.min.js"),
    "leaflet.markercluster.js": (markercluster_dir, "leaflet.markercluster.js"),
    "MarkerCluster.css": (markercluster_dir, "MarkerCluster.css"),
    "MarkerCluster.Default.css": (markercluster_dir, "MarkerCluster.Default.css"),
    "leaflet_heat.min.js": (heat_dir, "leaflet_heat.min.js"),
}


def map_file_url(name: str) -> str:
    """The file's URL with a hash of its bytes (`?v=`): browsers may keep it for a year."""
    directory, filename = MAP_FILES[name]
    path = directory() / filename
    return url_for("planner.map_vendor", filename=name, v=_file_digest(path, path.stat().st_mtime))


@cache
def _file_digest(path: Path, _mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _use_app_files(m: folium.Map) -> None:
    m.default_js = [
        ("leaflet", assets().leaflet_url("leaflet.js")),
        ("jquery", map_file_url("jquery.min.js")),
    ]
    m.default_css = [("leaflet_css", assets().leaflet_url("leaflet.css"))]
    header = m.get_root().header
    header.add_child(CssLink(url_for("static", filename="planner/map.css")), name="walkapp_css")
    header.add_child(
        JavascriptLink(url_for("static", filename="planner/map.js")), name="walkapp_js"
    )


# --- Own elements ----------------------------------------------------------------------------


class CellLayer(folium.map.Layer):
    """Map hexagons drawn by static/planner/map.js; a click fetches the cell's spots."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = walkappMap.cellLayer(
                {{ this._parent.get_name() }}, {{ this.cells|tojson }}, {{ this.config|tojson }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, cells: list, config: dict, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "CellLayer"
        self.cells = cells
        self.config = config


class Legend(MacroElement):
    """The legend, a Leaflet control built with textContent from these items."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            walkappMap.legend({{ this._parent.get_name() }}, {{ this.legend|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, legend: dict):
        super().__init__()
        self._name = "Legend"
        self.legend = legend


# --- Layers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapDocument:
    html: str
    count: int  # spots matching the filters
    aggregated: bool  # hexagons (True) or markers (False)


def _lang() -> str:
    return str(get_locale() or "fr")


def _feeling_label(feeling: int) -> str:
    return label("feeling", str(feeling))


def position_text(obs: Observation) -> str:
    """Where the spot's position came from, in words (popups and the hexagons' lists)."""
    source = label("position_source", obs.position_source)
    if obs.accuracy_m is not None:
        text = _("Position: %(source)s (± %(m)s m)", source=source, m=round(obs.accuracy_m))
    else:
        text = _("Position: %(source)s", source=source)
    if obs.position_suspect:
        text += " · " + _("at the perimeter's centre: probably not where it was tagged")
    return text


def spot_popup(obs: Observation, timezone: str) -> str:
    """A marker's popup: every part escaped by popup_text (labels too: it costs nothing)."""
    lang = _lang()
    esc = domain.popup_text
    when = format_datetime(obs.recorded_at, "short", tzinfo=ZoneInfo(timezone), locale=lang)
    category = label("category", obs.category)
    light = label("light_condition", obs.light_condition)
    feeling = _feeling_label(obs.feeling)
    parts = [
        f'<div class="walk-popup"><p><strong>{esc(category)}</strong></p>',
        f"<p>{esc(_('Feeling: %(n)s · %(label)s', n=obs.feeling, label=feeling))}</p>",
        f"<p>{esc(when)} · {esc(light)}</p>",
        f'<p class="walk-position">{esc(position_text(obs))}</p>',
    ]
    if obs.comment:
        parts.append(f'<p class="walk-comment" dir="auto">{esc(obs.comment)}</p>')
    for photo in obs.photos[:1]:
        src = url_for("api.photo_thumbnail", photo_id=photo.id)
        alt = _("Photo of this spot")
        parts.append(f'<img src="{esc(src)}" alt="{esc(alt)}" loading="lazy" class="walk-thumb">')
    parts.append("</div>")
    return "".join(parts)


def _marker_layer(spots: list[Observation], timezone: str) -> FastMarkerCluster:
    rows = [
        [
            round(obs.lat, domain.PRECISION),
            round(obs.lon, domain.PRECISION),
            obs.feeling,
            spot_popup(obs, timezone),
            domain.popup_text(f"{label('category', obs.category)} · {_feeling_label(obs.feeling)}"),
        ]
        for obs in spots
    ]
    layer = FastMarkerCluster(rows, callback="walkappMap.spotMarker", name=_("Spots"))
    layer.default_js = [("leaflet.markercluster", map_file_url("leaflet.markercluster.js"))]
    layer.default_css = [
        ("markerclustercss", map_file_url("MarkerCluster.css")),
        ("markerclusterdefaultcss", map_file_url("MarkerCluster.Default.css")),
    ]
    return layer


def _cell_layer(project: Project, hexagons: list, query: dict) -> CellLayer:
    cells = [
        [h.cell, h.count, h.negative, round(h.mean_feeling, 1), h.colour, h.outline()]
        for h in hexagons
    ]
    # The details follow the map's filters, in the map's language.
    suffix = ".json?" + urlencode({**query, "lang": _lang()}, doseq=True)
    prefix = url_for("planner.project_map_cell", project_id=project.id, cell="CELL")
    config = {
        "prefix": prefix.removesuffix("CELL.json"),
        "suffix": suffix,
        "labels": {
            "tooltip": _("%(n)s spots, %(negative)s negative, mean feeling %(mean)s"),
            "tooltip_one": _("1 spot, %(negative)s negative, feeling %(mean)s"),
            "loading": _("Loading the spots of this area…"),
            "failed": _("The spots of this area could not be loaded."),
            "heading": _("%(n)s spots in this area"),
            "heading_one": _("1 spot in this area"),
            "more": _("The %(shown)s newest are listed."),
            "feeling": _("Feeling: %(n)s · %(label)s"),  # filled by map.js
            "photo": _("Photo of this spot"),
        },
    }
    return CellLayer(cells, config, name=_("Areas (hexagons)"))


def _heat_layer(heat: list) -> HeatMap:
    layer = HeatMap(
        heat,
        name=_("Heat of negative perceptions"),
        radius=18,
        blur=15,
        max_zoom=MAX_ZOOM,
    )
    layer.default_js = [("leaflet-heat.js", map_file_url("leaflet_heat.min.js"))]
    return layer


def _perimeter_layer(project: Project) -> folium.GeoJson | None:
    if not project.perimeter:
        return None
    return folium.GeoJson(
        {"type": "Feature", "properties": {}, "geometry": project.perimeter},
        name=_("Perimeter"),
        style_function=lambda _feature: {"color": "#5e3c99", "weight": 3, "fillOpacity": 0.03},
    )


def _stop_layer(walk_ids: list[int]) -> folium.FeatureGroup | None:
    stops = service.stops(walk_ids)
    if not stops:
        return None
    group = folium.FeatureGroup(name=_("Stops of the walks"))
    for stop in stops:
        # The sentence escaped as a whole, then the typed names put in, each escaped and isolated.
        text = domain.popup_text(_("Stop %(number)s: %(name)s (%(event)s)")) % {
            "number": stop.number,
            "name": domain.popup_isolated(stop.name),
            "event": domain.popup_isolated(stop.walk.title),
        }
        folium.CircleMarker(
            (stop.lat, stop.lon),
            radius=7,
            color="#1b1b1b",
            weight=2,
            fill=True,
            fill_color="#ffd700",
            fill_opacity=1,
            class_name="walk-stop",
            tooltip=folium.Tooltip(text),
        ).add_to(group)
    return group


def _legend(aggregated: bool, has_stops: bool) -> dict:
    weights = {f: w for f, w in HEAT_WEIGHTS.items() if w}
    heat = _(
        "Heat of negative perceptions, weighted by severity: %(weights)s",
        weights=", ".join(f"{_feeling_label(f)} × {w:g}" for f, w in sorted(weights.items())),
    )
    items = [{"kind": "heat", "text": heat}]
    shape = "hex" if aggregated else "dot"
    items += [
        {"kind": shape, "colour": colour, "text": f"{f} · {_feeling_label(f)}"}
        for f, colour in domain.FEELING_COLOURS.items()
    ]
    if aggregated:
        items.append({"kind": "note", "text": _("Areas coloured by mean feeling; click one.")})
    items.append({"kind": "line", "colour": "#5e3c99", "text": _("Project perimeter")})
    if has_stops:
        items.append({"kind": "stop", "colour": "#ffd700", "text": _("Stop of a walk")})
    return {"title": _("Legend"), "items": items}


# --- The document ----------------------------------------------------------------------------


def _new_map(view_bounds) -> folium.Map:
    m = folium.Map(location=FRANCE, zoom_start=6, tiles=None, control_scale=True)
    m.options["max_zoom"] = MAX_ZOOM  # without tiles, clusters need the map's maxZoom
    _use_app_files(m)
    tiles = current_app.config.get("TILE_URL") or ""
    if tiles:
        folium.TileLayer(
            tiles=tiles,
            attr=current_app.config.get("TILE_ATTRIBUTION") or "",
            max_zoom=MAX_ZOOM,
            name=_("Background map"),
            control=False,
        ).add_to(m)
    if view_bounds:
        m.fit_bounds(view_bounds, max_zoom=17)
    return m


_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
_SCRIPT_TAG = re.compile(r"<script(?=[\s>])")


def _finish(html: str, title: str, nonce: str) -> str:
    """What folium leaves out or gets wrong: lang, title, a zoomable viewport, script nonces.

    The nonce goes on every <script> tag of folium's output. User text cannot add a tag of its
    own: popup_text() turned every < into &lt; before folium saw it.
    """
    lang = Markup.escape(_lang())
    html = html.replace("<html>", f'<html lang="{lang}">', 1)
    html = _VIEWPORT.sub(
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{Markup.escape(title)}</title>",
        html,
        count=1,
    )
    return _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html)


def map_document(
    project: Project,
    filters: ObservationFilter,
    *,
    query: dict,
    aggregate: bool = False,
    nonce: str,
) -> MapDocument:
    """The map frame's HTML for these filters (`query`: the same filters as URL parameters)."""
    walk_ids = scope(project.id, filters)
    points = service.points(project.id, filters, walk_ids)
    n = len(points)
    aggregated = aggregate or n > domain.MARKER_LIMIT
    summary = domain.summarise(points)
    view = domain.bounds(
        domain.geometry_points(project.perimeter) or [(lat, lon) for lat, lon, _f in points]
    )
    m = _new_map(view)
    if aggregated:
        spot_layer = _cell_layer(project, summary.hexagons, query)
    else:
        spot_layer = _marker_layer(service.spots(project.id, filters, walk_ids), project.timezone)
    for layer in (_perimeter_layer(project), _heat_layer(summary.heat), spot_layer):
        if layer is not None:
            layer.add_to(m)
    stops = _stop_layer(walk_ids)
    if stops is not None:
        stops.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    Legend(_legend(aggregated, stops is not None)).add_to(m)
    title = _("Map of %(name)s", name=isolate(project.name))
    return MapDocument(_finish(m.get_root().render(), title, nonce), n, aggregated)
