"""Settings, read once from WALKAPP_* environment variables, with safe defaults."""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "&copy; OpenStreetMap contributors"

# Fixed numbers of DESIGN.md.
JSON_BODY_LIMIT = 64 * 1024
PHOTO_BODY_LIMIT = 20 * 1024 * 1024
# The version of the consent text participants agree to (recorded with each participant).
CONSENT_VERSION = "2026-11"
# Where a map opens when it has nothing of its own to show ("latitude,longitude"): Valenciennes.
DEFAULT_PLACE = "50.357,3.523"


# The numbers the participant app shows with "walkapp alerts no one" (harassment): a preset by
# country, France by default (the authority's neighbours are Belgian), or the deployment's own
# list. Each is "tel:NUMBER" or "sms:NUMBER"; a preset's labels come from the catalogs
# (participate/strings.py, key "harassment.<digits>").
EMERGENCY_PRESETS = {
    "fr": ("tel:17", "tel:112", "sms:114", "tel:3919"),
    "be": ("tel:112", "tel:101", "tel:0800 30 030"),
}
DEFAULT_EMERGENCY_NUMBERS = "fr"
EMERGENCY_NUMBER = re.compile(r"\+?[0-9][0-9 ]{1,18}")


def parse_emergency_numbers(text: str) -> tuple[dict[str, str], ...]:
    """WALKAPP_EMERGENCY_NUMBERS -> ({"scheme", "number", "label"}, ...), in the order given.

    Either a preset (`fr`, `be`), whose labels are the catalogs' (label ""), or entries
    separated by ";", each `[tel:|sms:]NUMBER=LABEL` (tel: if no scheme), the label shown as
    written in every language: "17=Police;112=Urgences;sms:114=Par SMS;3919=Violences Femmes
    Info". Anything else stops the start with a sentence saying so.
    """
    text = text.strip()
    if text.lower() in EMERGENCY_PRESETS:
        entries = [(item, "") for item in EMERGENCY_PRESETS[text.lower()]]
    else:
        entries = []
        for part in filter(None, (p.strip() for p in text.split(";"))):
            number, sep, label = part.partition("=")
            if not sep or not label.strip():
                raise ValueError(
                    f"WALKAPP_EMERGENCY_NUMBERS: {part!r} has no label: write NUMBER=LABEL, "
                    f"or a preset ({', '.join(EMERGENCY_PRESETS)})"
                )
            entries.append((number.strip(), label.strip()))
    numbers = []
    for item, label in entries:
        scheme, sep, number = item.partition(":")
        if not sep:
            scheme, number = "tel", item
        number = " ".join(number.split())
        if scheme not in ("tel", "sms") or not EMERGENCY_NUMBER.fullmatch(number):
            raise ValueError(
                f"WALKAPP_EMERGENCY_NUMBERS: {item!r} is not tel:NUMBER or sms:NUMBER (digits)"
            )
        numbers.append({"scheme": scheme, "number": number, "label": label})
    if not numbers:
        raise ValueError("WALKAPP_EMERGENCY_NUMBERS is empty: give at least one number")
    return tuple(numbers)


def parse_place(text: str) -> tuple[float, float]:
    """ "50.357,3.523" -> (50.357, 3.523): latitude then longitude, WGS84 degrees."""
    try:
        lat, lon = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"WALKAPP_DEFAULT_PLACE must be 'latitude,longitude', not {text!r}"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"WALKAPP_DEFAULT_PLACE is not a WGS84 position: {text!r}")
    return lat, lon


def parse_min_count(text: str) -> int:
    """WALKAPP_PUBLIC_MIN_COUNT: a whole number, at least 2 (a hexagon of one person's reports
    would point at her), else the start stops with a sentence saying so."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 2:
        raise ValueError(f"WALKAPP_PUBLIC_MIN_COUNT must be a whole number, 2 or more: {text!r}")
    return value


def settings_from_env(environ: os._Environ | dict | None = None) -> dict[str, object]:
    """Flask config keys taken from the environment. Unset variables are left to defaults."""
    env = os.environ if environ is None else environ
    settings: dict[str, object] = {
        "BASE_URL": env.get("WALKAPP_BASE_URL", "http://localhost:5000").rstrip("/"),
        # Set empty: no request leaves the app, maps show data on a plain background.
        "TILE_URL": env.get("WALKAPP_TILE_URL", OSM_TILES),
        "TILE_ATTRIBUTION": env.get("WALKAPP_TILE_ATTRIBUTION", OSM_ATTRIBUTION),
        # Who is responsible for the data, as the consent screen says.
        "DATA_CONTROLLER": env.get("WALKAPP_DATA_CONTROLLER", "Valenciennes Métropole"),
        # Where failed attempts are counted: empty, a file of the instance folder that the
        # workers of one machine share; redis://… for several machines.
        "RATELIMIT_STORAGE_URI": env.get("WALKAPP_RATELIMIT_STORAGE_URI", ""),
        # The background jobs' queue (walkapp.jobs): empty, a SQLite file of the instance
        # folder (no server); redis://… in production.
        "QUEUE_URL": env.get("WALKAPP_QUEUE_URL", ""),
        # Days a job's result (annex, report, export, photo ZIP) is kept before its removal.
        "JOB_RETENTION_DAYS": float(env.get("WALKAPP_JOB_RETENTION_DAYS", "7")),
        # The residents' page (walkapp.public_pages) shows a hexagon only if at least this many
        # distinct participants made at least this many reports in it (DESIGN.md: k, 5).
        "PUBLIC_MIN_COUNT": parse_min_count(env.get("WALKAPP_PUBLIC_MIN_COUNT", "5")),
        "JOIN_FAILURE_LIMIT": env.get("WALKAPP_JOIN_FAILURE_LIMIT", "20 per 10 minutes"),
        # Failed sign-ins per network address, and per address and account: a stranger cannot
        # lock a planner out from her own network.
        "LOGIN_FAILURE_LIMIT": env.get("WALKAPP_LOGIN_FAILURE_LIMIT", "10 per 15 minutes"),
        "LOGIN_ACCOUNT_FAILURE_LIMIT": env.get(
            "WALKAPP_LOGIN_ACCOUNT_FAILURE_LIMIT", "5 per 15 minutes"
        ),
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0:
        # none; the headers are then ignored, as anyone could send them).
        "TRUSTED_PROXIES": int(env.get("WALKAPP_TRUSTED_PROXIES", "0")),
        # Stored photo bytes per participant, in all: a stolen token cannot fill the disk
        # (a processed photo takes at most 400 KB).
        "PHOTO_QUOTA_MB": float(env.get("WALKAPP_PHOTO_QUOTA_MB", "100")),
        # A planner session ends after this many idle hours (refreshed by every request), but
        # never while its user facilitates an open walk (see planner/auth.py).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=float(env.get("WALKAPP_SESSION_HOURS", "8"))),
        # Where the perimeter's drawing map opens for a project with nothing on it yet.
        "DEFAULT_PLACE": parse_place(env.get("WALKAPP_DEFAULT_PLACE", DEFAULT_PLACE)),
        # The numbers shown to participants with "walkapp alerts no one" (harassment).
        "EMERGENCY_NUMBERS": parse_emergency_numbers(
            env.get("WALKAPP_EMERGENCY_NUMBERS") or DEFAULT_EMERGENCY_NUMBERS
        ),
    }
    if env.get("WALKAPP_DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = env["WALKAPP_DATABASE_URL"]
    if env.get("WALKAPP_SECRET_KEY"):
        settings["SECRET_KEY"] = env["WALKAPP_SECRET_KEY"]
    return settings


# Connections each process keeps open: one per thread of `walkapp serve` (8) and a few more. With
# SQLAlchemy's default (5), the threads beyond it opened and closed a connection per request
# under load: a new PostgreSQL backend each time (bench/submit_floor.py).
DB_POOL_SIZE = 10


def engine_options(uri: str, options: dict) -> dict:
    """`options` with the pool's size, for a database that has a pool of connections (not an
    in-memory SQLite, one connection for all)."""
    url = sa.engine.make_url(uri)
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    return options if in_memory else {"pool_size": DB_POOL_SIZE, **options}


def default_settings(instance_path: str) -> dict[str, object]:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'walkapp.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # The largest body anywhere (a photo); JSON endpoints lower it per request.
        "MAX_CONTENT_LENGTH": PHOTO_BODY_LIMIT,
        "JSON_BODY_LIMIT": JSON_BODY_LIMIT,
        "PHOTO_DIR": str(Path(instance_path) / "photos"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "CONSENT_VERSION": CONSENT_VERSION,
        # How long a closed walk still accepts spots recorded before it closed (late sync).
        "LATE_SYNC_MINUTES": 15,
        # What one participant's token may store (services.quotas): far above a real outbox
        # (200 spots from one phone in a minute pass), far below a disk.
        "SPOT_LIMIT": "600 per 10 minutes",
        "PHOTO_LIMIT": "100 per 10 minutes",
        "TRACK_POINT_QUOTA": 50_000,  # a 24-hour trace at a point every 2 s
    }


def persistent_secret_key(instance_path: str) -> str:
    """The secret key kept in the instance folder, made on first start (never a fallback)."""
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made by an earlier start, or by another worker a moment ago
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()
