"""The participant app's server side: shell, service worker, manifest, compression.

(The local certificate authority of `./run --https` and its /ca.crt: test_local_ca.py.)
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import shutil
import uuid
from datetime import datetime, timedelta
from html import unescape
from io import BytesIO
from zoneinfo import ZoneInfo

import brotli
import pytest
import sqlalchemy as sa
from conftest import auth, base_config
from flask import Flask
from PIL import Image

from walkapp import create_app
from walkapp.extensions import db, utcnow
from walkapp.models import Observation
from walkapp.participate import dark_at, strings
from walkapp.participate.assets import MODULES, assets, leaflet_dir
from walkapp.resources import resource_dir

VALENCIENNES = (50.3571, 3.5219)
PARIS = ZoneInfo("Europe/Paris")


def shell_data(html: str) -> dict:
    raw = re.search(r'<script type="application/json" id="walkapp-data">(.*?)</script>', html, re.S)
    return json.loads(raw.group(1))


# --- The app shell ----------------------------------------------------------------------------


def test_every_sentence_of_the_app_is_in_french_and_english():
    from walkapp import create_app as make

    app = make({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": "/tmp/walkapp-strings"})
    with app.test_request_context():
        catalog = strings.catalog()
    assert set(catalog) == {"fr", "en"}
    assert set(catalog["fr"]) == set(catalog["en"]) == set(strings.STRINGS)
    same = {k for k in strings.STRINGS if catalog["fr"][k] == catalog["en"][k]}
    assert same == {"nav.label", "walk.code"}  # "Menu" and "Code" are French too
    for key, text in catalog["fr"].items():  # placeholders survive translation
        assert set(re.findall(r"{\w+}", text)) == set(re.findall(r"{\w+}", catalog["en"][key]))


def test_join_link_opens_the_consent_screen(client, make_walk, app):
    app.config["DATA_CONTROLLER"] = "Ville <d'essai>"
    walk = make_walk()
    r = client.get(f"/j/{walk.join_code}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and '<html lang="fr"' in html
    assert "Ville &lt;d&#39;essai&gt;" in html  # the data controller, escaped
    text = unescape(html)
    assert "Gardées 24 mois après la clôture du projet" in text and "J'ai moins de 15 ans" in text
    assert "le téléphone arrête d'enregistrer quand l'écran se verrouille" in text
    data = shell_data(html)
    assert data["start"] == "join" and data["walk"]["code"] == walk.join_code
    assert data["strings"]["en"]["tag.title"] == "Tag a spot"
    assert data["strings"]["fr"]["tag.title"] == "Signaler un point"
    assert data["config"]["tiles"] == ""  # tests run with no tile server
    # Leaflet and the app's scripts come from this server, never from a CDN.
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert src.startswith(("/", "#", "tel:", "sms:")), src


def test_join_link_of_a_closed_walk_says_so(client, make_walk):
    walk = make_walk(status="closed")
    html = client.get(f"/j/{walk.join_code}").get_data(as_text=True)
    assert "Cette marche est terminée" in unescape(html) and 'id="consent-form"' not in html


def test_app_and_erase_pages_are_the_same_shell(client):
    for path, start in (("/app", ""), ("/erase", "erase")):
        r = client.get(path, headers={"Accept-Language": "en"})
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert '<html lang="en"' in html and shell_data(html)["start"] == start
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_home_links_to_erasure_and_back_to_the_walk(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/erase"' in html and 'href="/app"' in html
    assert "Effacer mes données avec mon code" in html


@pytest.mark.parametrize(
    "local, dark",
    [
        ("2026-11-22T21:30", True),  # November night in Valenciennes
        ("2026-11-22T13:00", False),
        ("2026-06-21T21:30", False),  # midsummer: the sun sets at 21:58
        ("2026-06-21T22:30", True),
    ],
)
def test_night_mode_by_default_after_sunset(local, dark):
    when = datetime.fromisoformat(local).replace(tzinfo=PARIS)
    assert dark_at(VALENCIENNES, when) is dark
    assert dark_at(None, when) is None


def test_pages_give_theme_js_the_place_of_the_sun(client, app, make_walk):
    """The phone's clock decides night mode (theme.js): the join link gives the walk's place,
    every participant page the deployment's default place (WALKAPP_DEFAULT_PLACE)."""
    import walkapp.participate as participate

    walk = make_walk()
    html = client.get(f"/j/{walk.join_code}").get_data(as_text=True)
    place = participate.place_text(participate._walk_place(walk))
    assert place and f'data-place="{place}"' in html
    assert "data-theme-auto" not in html
    default = ",".join(str(x) for x in app.config["DEFAULT_PLACE"])
    for path in ("/", "/erase", "/app", "/no-such-page", f"/j/{walk.join_code}"):
        assert f'data-default-place="{default}"' in client.get(path).get_data(as_text=True), path
    assert "data-place=" not in client.get("/app").get_data(as_text=True)


# --- Service worker, manifest, versioned files -------------------------------------------------


def precache_of(sw: str) -> list[str]:
    return json.loads(re.search(r"const PRECACHE = (\[.*?\]);", sw).group(1))


def sw_hash(sw: str) -> str:
    return re.search(r"/pwa/(\w+)/outbox.js", sw).group(1)


def test_service_worker_precaches_the_shell_libraries_and_taxonomy(client):
    r = client.get("/sw.js")
    sw = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "no-cache"
    precache = precache_of(sw)
    assert {"/app", "/api/v1/taxonomy", "/manifest.webmanifest"} <= set(precache)
    assert any(u.startswith("/vendor/leaflet/leaflet.js?v=") for u in precache)
    # Every module of the app, from the folder of their common version (assets.py).
    modules = [f"/pwa/{sw_hash(sw)}/{name}" for name in MODULES]
    assert [u for u in precache if u.startswith("/pwa/")] == modules
    for url in precache:
        with client.get(url) as answer:
            assert answer.status_code == 200, url
            if "?v=" in url or url.startswith("/pwa/"):
                assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # A module worker importing the page's own outbox module (the same URL: one module).
    outbox = modules[MODULES.index("outbox.js")]
    assert re.findall(r"^import .* from (.*);$", sw, re.M) == [f'"{outbox}"']
    assert "importScripts" not in sw
    # Hand-written, awaiting its precache, deleting old caches, Background Sync as an extra.
    assert "event.waitUntil" in sw and "cache.addAll" in sw and "caches.delete" in sw
    assert 'addEventListener("sync"' in sw


def test_the_page_loads_exactly_the_modules_the_worker_precaches(client):
    html = client.get("/app").get_data(as_text=True)
    precache = precache_of(client.get("/sw.js").get_data(as_text=True))
    modules = [u for u in precache if u.startswith("/pwa/")]
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)" fetchpriority="low">', html)
    assert preloaded == modules
    assert re.findall(r'<script type="module" src="([^"]+)">', html) == [modules[0]]
    assert modules[0].endswith("/app.js")
    # The classic pre-paint script keeps its ?v= (it is no module).
    assert re.search(r'<script src="/static/pwa/theme\.js\?v=\w+"[^>]*></script>', html)
    version = modules[0].split("/")[2]
    with client.get(f"/pwa/{version}/outbox.js") as r:
        assert r.status_code == 200 and r.mimetype == "text/javascript"
    # An old folder still answers (a page of the old version, its cache lost), never for long.
    with client.get("/pwa/000000000000/outbox.js") as r:
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache"
    for name in ("theme.js", "../app.css", "nope.js", "icons"):
        assert client.get(f"/pwa/{version}/{name}").status_code == 404, name


def test_the_page_hands_the_modules_the_servers_values(client):
    from walkapp.api.schemas import TRACK_BATCH_MAX
    from walkapp.domain import vocabularies
    from walkapp.domain.photos import PHOTO_MAX_SIDE

    html = client.get("/app").get_data(as_text=True)
    data = json.loads(re.search(r'id="walkapp-data">(.*?)</script>', html, re.S).group(1))
    config = data["config"]
    assert config["criteria"] == list(vocabularies.CRITERIA.codes)
    assert config["outbox"] == {
        "api": "/api/v1",
        "sync_tag": "walkapp-outbox",
        "track_batch": TRACK_BATCH_MAX,
    }
    assert config["photo_max_side"] == PHOTO_MAX_SIDE
    assert config["taxonomy"] == "/api/v1/taxonomy"
    for criterion, category in config["criterion_category"].items():
        assert criterion in vocabularies.CRITERIA and category in vocabularies.CATEGORIES
    assert all(name in vocabularies.BY_NAME for name in config["profile_fields"])


def test_worker_version_is_a_hash_of_the_files(tmp_path, monkeypatch):
    static = tmp_path / "static"
    shutil.copytree(resource_dir("static"), static)

    def version() -> str:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "i")})
        app.static_folder = str(static)
        with app.test_request_context():
            return assets().version

    first = version()
    assert version() == first  # stable
    (static / "pwa" / "app.js").write_text((static / "pwa" / "app.js").read_text() + "\n// x")
    assert version() != first


def test_manifest_makes_the_app_installable(client):
    r = client.get("/manifest.webmanifest")
    manifest = r.get_json(force=True)
    assert r.mimetype == "application/manifest+json"
    assert manifest["start_url"] == "/app" and manifest["display"] == "standalone"
    sizes = {}
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as answer:
            assert answer.status_code == 200 and answer.mimetype == "image/png"
            data = answer.data
        with Image.open(BytesIO(data)) as image:
            sizes[icon.get("purpose", "any")] = sizes.get(icon.get("purpose", "any"), []) + [
                image.size
            ]
    assert (192, 192) in sizes["any"] and (512, 512) in sizes["any"]
    assert sizes["maskable"] == [(512, 512)]


def test_leaflet_comes_from_npm_and_nothing_else_from_there(client):
    with client.get("/vendor/leaflet/leaflet.js") as r:
        assert r.status_code == 200
        assert r.data == (leaflet_dir() / "leaflet.js").read_bytes()
    for path in ("/vendor/leaflet/../package.json", "/vendor/leaflet/leaflet-src.js"):
        assert client.get(path).status_code == 404


# --- Compression ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_text_is_compressed(client, encoding, decode):
    for path in ("/app", "/static/pwa/app.js", "/vendor/leaflet/leaflet.js", "/api/v1/taxonomy"):
        with client.get(path) as r:
            plain = r.data
        r = client.get(path, headers={"Accept-Encoding": encoding})
        assert r.headers.get("Content-Encoding") == encoding, path
        assert decode(r.data) == plain and len(r.data) < len(plain) / 2, path
        assert "Accept-Encoding" in r.headers["Vary"]


# --- Test-only hook: a lost answer ------------------------------------------------------------


def test_the_app_has_no_test_hook_even_in_tests(tmp_path):
    """The lost-answer hook lives in tests/ and only the `lost_answers` fixture installs it."""
    app = create_app(base_config(tmp_path))
    assert app.wsgi_app.__func__ is Flask.wsgi_app
    assert not any("lost" in key for key in app.extensions)


def test_lost_answer_hook_commits_then_hangs_up(live_server, make_walk, join, lost_answers):
    walk = make_walk()
    token = join(walk)[0]
    hook = lost_answers
    spot = {
        "id": str(uuid.uuid4()),
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
        "category": "lighting",
        "feeling": 2,
    }

    def post() -> int:
        conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
        try:
            headers = {**auth(token), "Content-Type": "application/json"}
            conn.request("POST", "/api/v1/observations", json.dumps(spot), headers)
            return conn.getresponse().status
        finally:
            conn.close()

    hook.arm("POST", "/api/v1/observations")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        post()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 1
    assert post() == 200  # the retry: same id, same content, the same spot
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 1
    assert hook.dropped == [("POST", "/api/v1/observations")]
