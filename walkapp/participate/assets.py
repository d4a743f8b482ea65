"""The participant app's files: versioned URLs, the service worker's precache list and version.

Every file gets `?v=<hash of its bytes>` in its URL (so it can be cached for a year), and the
service worker's version is a hash of all of them plus the app shell's template and strings:
change any static file and phones fetch the new app once, then work offline again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, url_for

from ..resources import PACKAGE_DIR, npm_dist, resource_dir

# (endpoint, filename): what the app shell loads and the service worker precaches.
STATIC_FILES = (
    "css/walkapp.css",
    "pwa/app.css",
    "pwa/theme.js",
    "pwa/outbox.js",
    "pwa/map.js",
    "pwa/app.js",
    "pwa/icons/icon-192.png",
    "pwa/icons/icon-512.png",
    "pwa/icons/maskable-512.png",
)
LEAFLET_FILES = ("leaflet.js", "leaflet.css")
SHELL_TEMPLATES = ("participate/app.html", "participate/sw.js", "base.html")
EXTENSION_KEY = "walkapp.pwa_assets"


def leaflet_dir() -> Path:
    """Leaflet from npm (package.json): inside the wheel, or node_modules in a checkout."""
    return npm_dist("leaflet", "leaflet/dist")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


@dataclass(frozen=True)
class Assets:
    static: dict[str, str]  # filename -> hash
    leaflet: dict[str, str]
    version: str

    def url(self, filename: str) -> str:
        return url_for("static", filename=filename, v=self.static[filename])

    def leaflet_url(self, filename: str) -> str:
        return url_for("participate.leaflet", filename=filename, v=self.leaflet[filename])


def _build(app: Flask) -> Assets:
    static_dir = Path(app.static_folder or resource_dir("static"))
    static = {name: _digest((static_dir / name).read_bytes()) for name in STATIC_FILES}
    leaflet = {name: _digest((leaflet_dir() / name).read_bytes()) for name in LEAFLET_FILES}
    templates = resource_dir("templates")
    whole = hashlib.sha256()
    for part in (*static.values(), *leaflet.values()):
        whole.update(part.encode())
    for name in SHELL_TEMPLATES:
        whole.update((templates / name).read_bytes())
    for path in sorted((PACKAGE_DIR / "translations").rglob("*.mo")):
        whole.update(path.read_bytes())
    from ..i18n import taxonomy
    from . import strings

    whole.update(Path(strings.__file__).read_bytes())
    whole.update(json.dumps(taxonomy(), sort_keys=True).encode())
    # What the shell embeds from the configuration changes the shell too.
    for key in ("TILE_URL", "TILE_ATTRIBUTION", "DATA_CONTROLLER", "DATA_RETENTION_YEARS"):
        whole.update(repr(app.config.get(key)).encode())
    return Assets(static=static, leaflet=leaflet, version=whole.hexdigest()[:16])


def assets() -> Assets:
    """Computed once per app (again on each request in debug mode, while files change)."""
    app = current_app._get_current_object()
    cached = app.extensions.get(EXTENSION_KEY)
    if cached is None or app.debug:
        cached = app.extensions[EXTENSION_KEY] = _build(app)
    return cached


def precache_urls() -> list[str]:
    """What the service worker stores at install: the shell, its files, the taxonomy."""
    a = assets()
    return [
        url_for("participate.app_shell"),
        url_for("participate.manifest"),
        url_for("api.get_taxonomy"),
        *(a.url(name) for name in STATIC_FILES),
        *(a.leaflet_url(name) for name in LEAFLET_FILES),
    ]
