"""The planner's views of the usage counts (Public Life Data Protocol: people staying and people
passing per zone): the overview of every zone, one zone's page, and the choropleth map.

The share shown is that of women and girls among the people whose *perceived* gender is female
or male (domain.counts.Share): "undetermined" is counted and shown apart. Below 5 people it is
"not enough answers", as on the indicators pages (whose wording is reused here).

The map is a folium document served in a frame like the project map (planner/maps.py): the
app's files instead of the CDNs, folium's scripts allowed by a nonce. Zone names reach it only
through domain.maps.popup_text() (tooltips) and the legend's JSON (written with textContent).
"""

from __future__ import annotations

import secrets

import folium
from flask import abort, current_app, render_template, request
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import login_required

from ..access import may, project_or_404
from ..domain import counts as domain
from ..domain import maps as maps_domain
from ..domain.permissions import EXPORT, FACILITATE, READ
from ..domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from ..domain.vocabularies import AGE_GROUPS, PERCEIVED_GENDERS, PROJECT_PHASES
from ..extensions import db
from ..i18n import isolate
from ..models import Project, Zone
from ..services import counts as service
from ..services import triage as triage_service
from ..services import zones as zones_service
from . import maps_folium
from .blueprint import bp
from .indicators import not_enough, share_percent
from .maps import _document_csp

# The map's classes of the share of women and girls among people staying (upper bounds), light
# to dark; zones with fewer than 5 people are grey.
SHARE_CLASSES = (
    (0.2, "#feebe2"),
    (0.4, "#fbb4b9"),
    (0.6, "#f768a1"),
    (0.8, "#c51b8a"),
    (1.0, "#7a0177"),
)
NOT_ENOUGH_COLOUR = "#bdbdbd"


# --- Wording -------------------------------------------------------------------------------


def share_colour(share: domain.Share) -> str:
    if share.value is None:
        return NOT_ENOUGH_COLOUR
    return next(colour for upper, colour in SHARE_CLASSES if share.value <= upper)


def share_text(share: domain.Share) -> str:
    """The share as the pages print it: "42.0 % (n = 31)", or "not enough answers (n = 3)"."""
    value = share_percent(share.value) if share.value is not None else not_enough()
    return _("%(value)s (n = %(n)s)", value=value, n=share.n)


def interval_text(share: domain.Share) -> str:
    interval = share.interval
    if interval is None:
        return ""
    return _(
        "95 %% interval: %(low)s to %(high)s",
        low=share_percent(interval.low),
        high=share_percent(interval.high),
    )


def change_text(change: float | None) -> str:
    if change is None:
        return not_enough()
    # Signed, in the page's language: "+12.5 points", "−3.0 points".
    return _("%(points)s points", points=format_decimal(change * 100, "+#,##0.0;-#,##0.0"))


# --- Query string --------------------------------------------------------------------------


def _phase_arg() -> str | None:
    """?phase= one of PROJECT_PHASES, or None (every phase; an unknown value is dropped)."""
    value = request.args.get("phase", "")
    return value if value in PROJECT_PHASES.codes else None


def _zone_or_404(project: Project, zone_id: int) -> Zone:
    zone = db.session.get(Zone, zone_id)
    if zone is None or zone.project_id != project.id:
        abort(404)
    return zone


def _periods(project_id: int, phase: str | None, zone_id: int | None = None) -> list[dict]:
    found = [
        (period, n)
        for period, n in service.periods(project_id, zone_id)
        if phase is None or period.phase == phase
    ]
    people = triage_service.user_names(period.counted_by_id for period, _n in found)
    return [
        {
            "period": period,
            "n": n,
            "counter": people.get(period.counted_by_id),
            "short": service.short_moving_period(period),
        }
        for period, n in found
    ]


def _wording() -> dict:
    return {
        "share_text": share_text,
        "interval_text": interval_text,
        "change_text": change_text,
        "not_enough": not_enough,
        "share_percent": share_percent,
        "min_people": MIN_PEOPLE_FOR_FIGURE,
        "min_moving": int(service.MIN_MOVING_PERIOD.total_seconds() // 60),
        "phases": PROJECT_PHASES.codes,
        "genders": PERCEIVED_GENDERS.codes,
        "age_groups": AGE_GROUPS.codes,
    }


def _export_allowed(project: Project) -> bool:
    # The PLDP export is planner/exports.py's: link to it only where it exists.
    return "planner.counts_export" in current_app.view_functions and may(project.id, EXPORT)


# --- Pages ---------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/counts")
@login_required
def counts(project_id: int):
    project = project_or_404(project_id, READ)
    phase = _phase_arg()
    zones = {z.id: z for z in zones_service.list_zones(project.id)}
    return render_template(
        "planner/counts.html",
        project=project,
        phase=phase,
        zones=zones,
        table=service.zone_table(project.id, phase),
        changes=service.before_after(project.id),
        periods=_periods(project.id, phase),
        can_count=may(project.id, FACILITATE),
        can_export=_export_allowed(project),
        map_args={**({"phase": phase} if phase else {}), "lang": str(get_locale() or "fr")},
        **_wording(),
    )


@bp.get("/projects/<int:project_id>/zones/<int:zone_id>")
@login_required
def zone_page(project_id: int, zone_id: int):
    project = project_or_404(project_id, READ)
    zone = _zone_or_404(project, zone_id)
    phase = _phase_arg()
    return render_template(
        "planner/zone.html",
        project=project,
        zone=zone,
        phase=phase,
        spots=zones_service.spot_counts(project.id).get(zone.id, 0),
        summary=service.zone_summary(project.id, zone.id, phase),
        changes=service.before_after(project.id, zone.id),
        periods=_periods(project.id, phase, zone.id),
        can_count=may(project.id, FACILITATE),
        **_wording(),
    )


# --- The map -------------------------------------------------------------------------------


def _zone_layer(zone: Zone, share: domain.Share | None) -> folium.GeoJson:
    colour = NOT_ENOUGH_COLOUR if share is None else share_colour(share)
    enough = share is not None and share.enough
    # Only geometry goes into the GeoJSON: folium writes its properties into scripts.
    feature = {"type": "Feature", "properties": {}, "geometry": zone.geometry}
    # The sentence escaped as a whole, then the zone's name put in, escaped and isolated.
    tooltip = maps_domain.popup_text(_("%(zone)s: %(share)s")) % {
        "zone": maps_domain.popup_isolated(zone.name),
        "share": maps_domain.popup_text(
            share_text(share) if share is not None else _("nobody counted staying")
        ),
    }
    return folium.GeoJson(
        feature,
        style_function=lambda _feature: {
            "color": "#1b1b1b",
            "weight": 2,
            "dashArray": None if enough else "6 4",
            "fillColor": colour,
            "fillOpacity": 0.7,
        },
        tooltip=folium.Tooltip(tooltip),
    )


def _map_legend(zones: list[Zone], shares: dict[int, domain.Share]) -> dict:
    items = [
        {"kind": "note", "text": _("Share of women and girls among people staying (perceived)")}
    ]
    lower = 0.0
    for upper, colour in SHARE_CLASSES:
        text = _("%(low)s to %(high)s", low=share_percent(lower), high=share_percent(upper))
        items.append({"kind": "zone", "colour": colour, "text": text})
        lower = upper
    items.append(
        {
            "kind": "zone",
            "colour": NOT_ENOUGH_COLOUR,
            "text": _(
                "%(text)s: fewer than %(n)s people", text=not_enough(), n=MIN_PEOPLE_FOR_FIGURE
            ),
        }
    )
    for zone in zones:
        share = shares.get(zone.id)
        value = share_text(share) if share is not None else _("nobody counted staying")
        # Plain text: map.js writes it with textContent.
        items.append({"kind": "note", "text": f"{isolate(zone.name)}: {value}"})
    return {"title": _("Legend"), "items": items}


def counts_map_html(project: Project, phase: str | None, nonce: str) -> str:
    zones = zones_service.list_zones(project.id)
    shares = {
        z.zone_id: z.staying_share
        for z in service.zone_table(project.id, phase)
        if z.zone_id is not None and z.whole.staying.total
    }
    corners = [p for zone in zones for p in maps_domain.geometry_points(zone.geometry)]
    view = maps_domain.bounds(corners or maps_domain.geometry_points(project.perimeter))
    m = maps_folium._new_map(view)
    for zone in zones:
        _zone_layer(zone, shares.get(zone.id)).add_to(m)
    maps_folium.Legend(_map_legend(zones, shares)).add_to(m)
    title = _("Usage counts of %(name)s", name=isolate(project.name))
    return maps_folium._finish(m.get_root().render(), title, nonce)


@bp.get("/projects/<int:project_id>/counts/map")
@login_required
def counts_map(project_id: int):
    project = project_or_404(project_id, READ)
    nonce = secrets.token_urlsafe(18)
    html = counts_map_html(project, _phase_arg(), nonce)
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _document_csp(nonce)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"  # a nonce is used once
    return response
