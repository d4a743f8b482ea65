"""The project map: a planner page with the filters, the folium map in a frame, and the JSON of
one hexagon's spots (what a click on a hexagon shows).

Why a frame: folium writes its whole map as inline scripts. The planner pages keep the app's
strict Content-Security-Policy (scripts from the app's origin only); only the map document
relaxes it, and only by a *nonce* — a fresh random value per response, put on folium's own
<script> tags by maps_folium._finish(). An injected tag or inline handler (`onerror=`) has no
nonce and does not run, which 'unsafe-inline' would have allowed. Every other rule stays:
nothing is loaded from another origin (tiles excepted, when WALKAPP_TILE_URL names a server),
fetches go to the app only, and only the app's own pages may frame the map.

Unknown filter values (a stale bookmark) are dropped, as on the triage page.
"""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import (
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from ..access import project_or_404
from ..csp import content_security_policy
from ..domain import maps as domain
from ..domain import vocabularies
from ..domain.permissions import READ
from ..i18n import label
from ..services import maps as service
from ..services import triage as triage_service
from ..services.maps import MAP_FIELDS
from ..services.observation_filter import from_args, to_args
from . import maps_folium
from .blueprint import bp

YEAR = 365 * 24 * 3600


# --- Parsing the query string ---------------------------------------------------------------


def _aggregate_forced(args: MultiDict) -> bool:
    return args.get("aggregate") == "1"


# --- Pages ----------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/map")
@login_required
def project_map(project_id: int):
    project = project_or_404(project_id, READ)
    filters = from_args(request.args, MAP_FIELDS)
    args = to_args(filters)
    aggregate = _aggregate_forced(request.args)
    n = service.count(project.id, filters)
    return render_template(
        "planner/map.html",
        project=project,
        walks=triage_service.project_walks(project.id),
        vocab=vocabularies,
        filters=filters,
        count=n,
        withheld=service.withheld(project.id, filters),
        aggregated=aggregate or n > domain.MARKER_LIMIT,
        aggregate_forced=aggregate,
        marker_limit=domain.MARKER_LIMIT,
        args=args,
        # The frame asks in the page's language (not only through the cookie).
        document_args={
            **args,
            **({"aggregate": "1"} if aggregate else {}),
            "lang": str(get_locale() or "fr"),
        },
    )


def _document_csp(nonce: str) -> str:
    """The app's policy, with folium's inline scripts allowed by nonce and framing by the app."""
    policy = content_security_policy(current_app)
    for strict, relaxed in (
        ("script-src 'self'", f"script-src 'self' 'nonce-{nonce}'"),
        ("frame-ancestors 'none'", "frame-ancestors 'self'"),
    ):
        if strict not in policy:  # the app's policy changed: fail loudly, never open it wide
            raise RuntimeError(f"unexpected Content-Security-Policy: {policy}")
        policy = policy.replace(strict, relaxed)
    return policy + "; connect-src 'self'"


@bp.get("/projects/<int:project_id>/map/document")
@login_required
def project_map_document(project_id: int):
    project = project_or_404(project_id, READ)
    filters = from_args(request.args, MAP_FIELDS)
    nonce = secrets.token_urlsafe(18)
    document = maps_folium.map_document(
        project,
        filters,
        query=to_args(filters),
        aggregate=_aggregate_forced(request.args),
        nonce=nonce,
    )
    response = current_app.response_class(document.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _document_csp(nonce)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"  # a nonce is used once
    return response


def _spot_json(obs, timezone: str, lang: str) -> dict:
    """One spot of a hexagon, as plain text: map.js writes it with textContent."""
    return {
        "category": label("category", obs.category),
        "feeling": obs.feeling,
        "feeling_label": label("feeling", str(obs.feeling)),
        "time": format_datetime(obs.recorded_at, "short", tzinfo=ZoneInfo(timezone), locale=lang),
        "light": label("light_condition", obs.light_condition),
        "position": maps_folium.position_text(obs),
        "position_source": obs.position_source,
        "comment": obs.comment or "",
        "thumbnails": [url_for("api.photo_thumbnail", photo_id=photo.id) for photo in obs.photos],
    }


@bp.get("/projects/<int:project_id>/map/cells/<cell>.json")
@login_required
def project_map_cell(project_id: int, cell: str):
    project = project_or_404(project_id, READ)
    if not domain.is_map_cell(cell):
        abort(404)
    filters = from_args(request.args, MAP_FIELDS)
    found = service.cell_spots(project.id, filters, cell)
    lang = str(get_locale() or "fr")
    response = jsonify(
        {
            "cell": cell,
            "withheld": service.withheld(project.id, filters),
            "total": found.total,
            "shown": len(found.spots),
            "spots": [_spot_json(obs, project.timezone, lang) for obs in found.spots],
        }
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/map/vendor/<path:filename>")
def map_vendor(filename: str):
    """The map's front-end files from npm and from folium's wheel (no CDN: works offline)."""
    if filename not in maps_folium.MAP_FILES:
        abort(404)
    directory, name = maps_folium.MAP_FILES[filename]
    return send_from_directory(directory(), name, max_age=YEAR if request.args.get("v") else None)
