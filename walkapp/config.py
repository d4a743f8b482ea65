"""Settings, read once from WALKAPP_* environment variables, with safe defaults."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "&copy; OpenStreetMap contributors"

# Fixed numbers of DESIGN.md.
JSON_BODY_LIMIT = 64 * 1024
PHOTO_BODY_LIMIT = 20 * 1024 * 1024
# The version of the consent text participants agree to (recorded with each participant).
CONSENT_VERSION = "2026-11"


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
        "RATELIMIT_STORAGE_URI": env.get("WALKAPP_RATELIMIT_STORAGE_URI", "memory://"),
        "JOIN_FAILURE_LIMIT": env.get("WALKAPP_JOIN_FAILURE_LIMIT", "20 per 10 minutes"),
        # A planner session ends after this many idle hours (refreshed by every request), but
        # never while its user facilitates an open walk (see planner/auth.py).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=float(env.get("WALKAPP_SESSION_HOURS", "8"))),
    }
    if env.get("WALKAPP_DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = env["WALKAPP_DATABASE_URL"]
    if env.get("WALKAPP_SECRET_KEY"):
        settings["SECRET_KEY"] = env["WALKAPP_SECRET_KEY"]
    return settings


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
