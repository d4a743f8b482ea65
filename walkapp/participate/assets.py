"""The participant app's files: versioned URLs, the service worker's precache list and version.

Every file gets `?v=<hash of its bytes>` in its URL (so it can be cached for a year), and the
service worker's version is a hash of all of them plus the app shell's template and strings:
change any static file and phones fetch the new app once, then work offline again.

The app's ES modules (MODULES) are versioned by their *folder* instead: they are served at
`/pwa/<hash of all modules>/<name>`. A module imports its siblings by relative, unversioned
specifiers (`import ... from "./outbox.js"`: no bundler rewrites them), and a relative specifier
resolves against the importing module's URL — so every import inherits the version, whoever
imports it (the page or the service worker). The browser therefore requests exactly the URLs
this list names, which the service worker precaches; each is cached for a year, and a change to
any module moves all of them to a new folder at once (never a page with half old modules).
Rejected: one `?v=` per module through an import map in app.html — the CSP (`script-src
'self'`) refuses an inline import map, and import maps do not apply inside the service worker,
which imports outbox.js too; and unversioned paths in a version-keyed cache — without the
service worker (plain http on a phone) the browser would revalidate every module on each load.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, url_for

from ..resources import PACKAGE_DIR, npm_dist, resource_dir

# (endpoint, filename): what the app shell loads and the service worker precaches.
# theme.js is a classic script, not a module: it must run in <head>, before the first paint.
STATIC_FILES = (
    "css/walkapp.css",
    "pwa/app.css",
    "pwa/theme.js",
    "pwa/icons/icon-192.png",
    "pwa/icons/icon-512.png",
    "pwa/icons/maskable-512.png",
)
# Icons only the home screen's install reads (it fetches them itself, online): not precached,
# which keeps 12 KB off the first load of a phone with one bar of signal.
INSTALL_ONLY = frozenset({"pwa/icons/icon-512.png", "pwa/icons/maskable-512.png"})
# The ES modules of static/pwa/, app.js (the entry) first: what app.html preloads and the
# service worker precaches; outbox.js is also the worker's own import. Every module of the
# folder is listed (tests/test_pwa_modules.py checks it against the files and their imports).
MODULES = (
    "app.js",
    "state.js",
    "ui.js",
    "screens.js",
    "tag.js",
    "stop.js",
    "spots.js",
    "survey.js",
    "questionnaire.js",
    "syncbar.js",
    "night.js",
    "outbox.js",
    "delivery.js",
    "position.js",
    "photo.js",
    "map.js",
    "i18n.js",
    "dates.js",
    "guard.js",
    "walkstatus.js",
)
MODULES_DIR = "pwa"  # under the static folder
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
    modules: str  # one hash of every module: their folder in the URL
    version: str

    def url(self, filename: str) -> str:
        return url_for("static", filename=filename, v=self.static[filename])

    def module_url(self, name: str) -> str:
        return url_for("participate.module", version=self.modules, name=name)

    def module_urls(self) -> list[str]:
        return [self.module_url(name) for name in MODULES]

    def leaflet_url(self, filename: str) -> str:
        return url_for("participate.leaflet", filename=filename, v=self.leaflet[filename])


def _build(app: Flask) -> Assets:
    static_dir = Path(app.static_folder or resource_dir("static"))
    static = {name: _digest((static_dir / name).read_bytes()) for name in STATIC_FILES}
    leaflet = {name: _digest((leaflet_dir() / name).read_bytes()) for name in LEAFLET_FILES}
    modules = hashlib.sha256()
    for name in MODULES:
        modules.update(name.encode() + b"\0" + (static_dir / MODULES_DIR / name).read_bytes())
    modules_version = modules.hexdigest()[:12]
    templates = resource_dir("templates")
    whole = hashlib.sha256()
    for part in (*static.values(), *leaflet.values(), modules_version):
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
    return Assets(
        static=static, leaflet=leaflet, modules=modules_version, version=whole.hexdigest()[:16]
    )


def assets() -> Assets:
    """Computed once per app (again on each request in debug mode, while files change)."""
    app = current_app._get_current_object()
    cached = app.extensions.get(EXTENSION_KEY)
    if cached is None or app.debug:
        cached = app.extensions[EXTENSION_KEY] = _build(app)
    return cached


def precache_urls() -> list[str]:
    """What the service worker stores at install: the shell, its files and modules, the taxonomy."""
    a = assets()
    return [
        url_for("participate.app_shell"),
        url_for("participate.manifest"),
        url_for("api.get_taxonomy"),
        *(a.url(name) for name in STATIC_FILES if name not in INSTALL_ONLY),
        *a.module_urls(),
        *(a.leaflet_url(name) for name in LEAFLET_FILES),
    ]
