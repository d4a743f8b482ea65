"""Participant pages: the home page, the join link (`/j/<code>`) and the offline-first app.

The app is one page (the "shell", `/app`) that the service worker keeps for offline use; the join
link and the erasure page are the same shell, opened on another screen. Its scripts live in
static/pwa/, Leaflet comes from npm (package.json) and is served by the app, never by a CDN.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from werkzeug.exceptions import TooManyRequests

from ..api.schemas import TRACK_BATCH_MAX
from ..domain import vocabularies
from ..domain.join_codes import format_join_code, normalize_join_code
from ..domain.light import SUNRISE_ELEVATION, sun_elevation
from ..domain.photos import PHOTO_MAX_SIDE
from ..i18n import in_every_language, language_names, languages
from ..models import Walk
from ..ratelimit import failure_limiter
from ..services.appropriation import phone_questionnaire
from ..services.capture import find_walk_by_code
from ..services.errors import NotFound
from . import strings
from .assets import MODULES, MODULES_DIR, assets, leaflet_dir, precache_urls

bp = Blueprint("participate", __name__)

YEAR = 365 * 24 * 3600
API_ROOT = "/api/v1"
SYNC_TAG = "walkapp-outbox"  # the Background Sync tag (handed to outbox.js by its configuration)
# Which category a stop rating suggests: its worst rated criterion's (0 or 1), see stop.js's
# stopCategory. A criterion without one (perceived_safety) suggests none.
CRITERION_CATEGORY = {
    "lighting": "lighting",
    "openness": "visibility",
    "visibility": "visibility",
    "people": "people_around",
    "security": "help_within_reach",
    "walk_path": "footpath_access",
    "public_transport": "transport_stop",
    "gender_usage": "people_around",
}
# The local certificate authority of `./run --https`, in the instance folder: written by the
# development script scripts/local_ca.py (tests/test_local_ca.py checks that both agree).
LOCAL_CA_CERT = Path("https") / "ca.crt"


@bp.app_context_processor
def shell_helpers():
    return {"s": strings.text, "pwa_assets": assets, "walk_times": walk_times, "utc_iso": utc_iso}


@bp.get("/")
def home():
    return render_template("participate/home.html")


@bp.get("/join")
def join_form():
    """The home page's form: a typed code goes to the same page as the QR code."""
    code = normalize_join_code(request.args.get("code", ""))
    if code is None:
        return render_template("participate/home.html", code_error=True), 422
    return redirect(url_for("participate.join_link", code=code))


@bp.get("/j/<code>")
def join_link(code: str):
    try:
        with failure_limiter().attempt(
            "join",
            request.remote_addr or "unknown",
            failures=(NotFound,),
            refusal=lambda wait: TooManyRequests(retry_after=wait),
        ):
            walk = find_walk_by_code(code)
    except NotFound:
        # A mistyped code: the home page's field again, with the code typed, to correct it.
        page = render_template(
            "participate/home.html",
            code_error="unknown",
            typed=format_join_code(code) if normalize_join_code(code) else "",
        )
        return page, 404
    # A permanent QR on street furniture carries its zone (`?zone=<id>`); a bad one is ignored.
    return _shell(start="join", walk=walk, zone_id=request.args.get("zone", type=int))


@bp.get("/app")
def app_shell():
    """The app itself: what the service worker precaches and opens offline."""
    return _shell(start="")


@bp.get("/erase")
def erase():
    """Erase everything with the erasure code (for someone who lost the phone)."""
    return _shell(start="erase")


@bp.get("/privacy")
def privacy():
    """What is kept, why, for how long, who answers for it, how to erase it, and where the map
    tiles come from. `?code=` (the consent screen's link) names the walk whose project's retention
    to state; a code is checked like a join code (a wrong one counts as a failed attempt)."""
    from ..services import retention

    walk = None
    code = request.args.get("code", "")
    if code:
        try:
            with failure_limiter().attempt(
                "join",
                request.remote_addr or "unknown",
                failures=(NotFound,),
                refusal=lambda wait: TooManyRequests(retry_after=wait),
            ):
                walk = find_walk_by_code(code)
        except NotFound:
            walk = None
    return render_template(
        "participate/privacy.html",
        walk=walk,
        erased_on=_erased_on(walk) if walk else None,
        default_months=retention.DEFAULT_MONTHS,
        controller=current_app.config["DATA_CONTROLLER"],
        tiles=tile_server(current_app.config.get("TILE_URL") or ""),
    )


def _erased_on(walk: Walk) -> str | None:
    """The day (in the project's time zone and the page's language) after which the walk's
    project's data is due for erasure; None while the project has not closed."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_date

    from ..services import retention

    due = retention.erased_after(walk.project)
    if due is None:
        return None
    local = due.astimezone(ZoneInfo(walk.project.timezone)).date()
    return format_date(local, "long", locale=get_locale())


# OpenStreetMap's own tile servers (the default WALKAPP_TILE_URL, config.OSM_TILES).
OSM_TILE_HOSTS = ("openstreetmap.org", "openstreetmap.fr")


def tile_server(url: str) -> dict[str, object] | None:
    """Where the maps' tiles come from, for the privacy page: None when WALKAPP_TILE_URL is empty
    (no tiles: nothing leaves walkapp), else {"host": the server's name ("" for a relative URL,
    walkapp's own origin), "osm": whether it is OpenStreetMap's}."""
    from urllib.parse import urlsplit

    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    osm = any(host == h or host.endswith("." + h) for h in OSM_TILE_HOSTS)
    return {"host": host, "osm": osm}


def _walk_place(walk: Walk) -> tuple[float, float] | None:
    from ..domain.geo import centroid

    if walk.project.perimeter:
        return centroid(walk.project.perimeter)
    if walk.stops:
        return walk.stops[0].lat, walk.stops[0].lon
    return None


def dark_at(place: tuple[float, float] | None, when: datetime) -> bool | None:
    """Whether the sun has set at this place (night mode by default), None if unknown: the
    server's twin of theme.js's darkAt (the phone's clock decides the app's theme)."""
    if place is None:
        return None
    return sun_elevation(place[0], place[1], when) < SUNRISE_ELEVATION


def place_text(place: tuple[float, float] | None) -> str | None:
    """(lat, lon) -> "lat,lon", the form theme.js reads (data-place, walkapp.place)."""
    return None if place is None else f"{place[0]:.5f},{place[1]:.5f}"


def utc_iso(value: datetime) -> str:
    """A stored time as ISO 8601 in UTC with its "Z", for the app to parse (naive = UTC)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def walk_times(walk: Walk) -> str:
    """A walk's start and end in the app's one format of dates (dates.js formatWalkTimes, which
    rewrites it once the app runs): date and time without seconds in the page's language, in the
    project's time zone, the end's date only when it is another day — « 1 déc. 2026, 06:54 –
    09:30 »."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_date, format_time, get_datetime_format

    locale = get_locale()
    zone = ZoneInfo(walk.project.timezone)

    def local(value: datetime) -> datetime:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)

    def date_time(value: datetime) -> str:
        glue = str(get_datetime_format("medium", locale=locale))
        return glue.format(
            format_time(value, "short", locale=locale), format_date(value, "medium", locale=locale)
        )

    start, end = local(walk.starts_at), local(walk.ends_at)
    until = (
        format_time(end, "short", locale=locale) if start.date() == end.date() else date_time(end)
    )
    return f"{date_time(start)} – {until}"


def emergency_numbers() -> list[dict]:
    """The numbers of WALKAPP_EMERGENCY_NUMBERS (config.parse_emergency_numbers) as the app
    shows them: `href` (tel:… or sms:…), `number` as written, `sms`, and `label` in every catalog
    language (a preset's from the app's sentences, strings.STRINGS "harassment.<digits>"; a
    deployment's own label as written)."""
    out = []
    for entry in current_app.config["EMERGENCY_NUMBERS"]:
        digits = "".join(ch for ch in entry["number"] if ch.isdigit() or ch == "+")
        key = f"harassment.{digits}"
        if entry["label"]:
            label = {lang: entry["label"] for lang in languages()}
        elif key in strings.STRINGS:
            label = in_every_language(lambda key=key: strings.text(key))
        else:
            label = {lang: entry["number"] for lang in languages()}
        out.append(
            {
                "href": f"{entry['scheme']}:{digits}",
                "number": entry["number"],
                "sms": entry["scheme"] == "sms",
                "label": label,
            }
        )
    return out


def outbox_config() -> dict:
    """What outbox.js needs from the server, in the page and in the service worker alike."""
    return {"api": API_ROOT, "sync_tag": SYNC_TAG, "track_batch": TRACK_BATCH_MAX}


def shell_config() -> dict:
    """The server's values the app's modules read (they copy none): paths, limits, vocabularies."""
    a = assets()
    config = current_app.config
    return {
        "api": API_ROOT,
        "app": url_for("participate.app_shell"),
        "home": url_for("participate.home"),
        "sw": url_for("participate.service_worker"),
        "taxonomy": url_for("api.get_taxonomy"),
        "leaflet": {"js": a.leaflet_url("leaflet.js"), "css": a.leaflet_url("leaflet.css")},
        "tiles": config.get("TILE_URL") or "",
        "attribution": config.get("TILE_ATTRIBUTION") or "",
        "version": a.version,
        "outbox": outbox_config(),
        "photo_max_side": PHOTO_MAX_SIDE,
        "criteria": list(vocabularies.CRITERIA.codes),
        "criterion_category": CRITERION_CATEGORY,
        "profile_fields": [
            vocab.name
            for vocab in (
                vocabularies.GENDERS,
                vocabularies.AGE_BANDS,
                vocabularies.RESIDENT,
                vocabularies.MOBILITY,
            )
        ],
        # WALKAPP_EMERGENCY_NUMBERS, shown with "walkapp alerts no one" (harassment).
        "emergency_numbers": emergency_numbers(),
    }


def _shell(*, start: str, walk: Walk | None = None, zone_id: int | None = None):
    walk_info = None
    place = None
    if walk is not None:
        # What a phone with no signal needs to join and tag offline (outbox.queueJoin): the
        # walk as the join's answer gives it, which replaces this once it arrives.
        walk_info = {
            "code": walk.join_code,
            "id": walk.id,
            "title": walk.title,
            "kind": walk.kind,
            "status": walk.status,
            # The appropriation survey's items, asked offline too (null for other kinds).
            "questionnaire": phone_questionnaire(walk, zone_id),
            "timezone": walk.project.timezone,
            "starts_at": walk.starts_at.isoformat(),
            "ends_at": walk.ends_at.isoformat(),
            "perimeter": walk.project.perimeter,
            "stops": [
                {"id": s.id, "number": s.number, "name": s.name, "lat": s.lat, "lon": s.lon}
                for s in walk.stops
            ],
            "retention_months": walk.project.retention_months,
        }
        place = place_text(_walk_place(walk))
    data = {
        "start": start,
        "lang": str(get_locale()),
        "strings": strings.catalog(),
        "language_names": language_names(),
        "config": shell_config(),
        "walk": walk_info,
    }
    return render_template(
        "participate/app.html",
        start=start,
        walk=walk,
        code=format_join_code(walk.join_code) if walk else None,
        data=data,
        place=place,
        v=vocabularies,
        controller=current_app.config["DATA_CONTROLLER"],
    )


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so that its scope is the whole app."""
    a = assets()
    tiles = current_app.config.get("TILE_URL") or ""
    body = render_template(
        "participate/sw.js",
        version=a.version,
        precache=precache_urls(),
        modules_base=a.module_url(""),
        outbox_url=a.module_url("outbox.js"),
        outbox_config=outbox_config(),
        app_url=url_for("participate.app_shell"),
        tile_origin="/".join(tiles.split("/")[:3]) if tiles.startswith("http") else "",
        sync_tag=SYNC_TAG,
    )
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/pwa/<version>/<name>")
def module(version: str, name: str):
    """One of the app's ES modules, in the folder of their common version (see assets.py)."""
    if name not in MODULES:
        abort(404)
    folder = Path(current_app.static_folder or "") / MODULES_DIR
    response = send_from_directory(folder, name, mimetype="text/javascript")
    if version == assets().modules:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:  # an old folder: today's file, but never kept under that name
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    a = assets()
    night = "#121016"
    response = jsonify(
        {
            "name": "walkapp",
            "short_name": "walkapp",
            "description": strings.text("tag.title"),
            "lang": str(get_locale()),
            "id": url_for("participate.app_shell"),
            "start_url": url_for("participate.app_shell"),
            "scope": url_for("participate.home"),
            "display": "standalone",
            "orientation": "portrait",
            "background_color": night,
            "theme_color": night,
            "icons": [
                {"src": a.url("pwa/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": a.url("pwa/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": a.url("pwa/icons/maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/vendor/leaflet/<path:filename>")
def leaflet(filename: str):
    """Leaflet's own files (installed by npm), served by the app for offline use."""
    if filename not in ("leaflet.js", "leaflet.css") and not filename.startswith("images/"):
        abort(404)
    return send_from_directory(leaflet_dir(), filename)


@bp.get("/ca.crt")
def ca_certificate():
    """The local certificate authority of `./run --https`, to install on a phone."""
    path = Path(current_app.instance_path) / LOCAL_CA_CERT
    if not path.is_file():
        abort(404)
    response = send_from_directory(path.parent, path.name, mimetype="application/x-x509-ca-cert")
    response.headers["Content-Disposition"] = "attachment; filename=walkapp-local-ca.crt"
    return response


@bp.after_app_request
def cache_versioned_files(response):
    """Files whose URL carries their hash (?v=) never change: cache them for a year."""
    if (
        response.status_code == 200
        and request.args.get("v")
        and request.endpoint in ("static", "participate.leaflet")
    ):
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
