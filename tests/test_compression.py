"""Versioned files (the app's modules, ?v= files, Leaflet) go out at brotli's best level: the
participant app's first load stays within its 150 KB. Pages made per request keep
flask-compress's quicker level."""

from __future__ import annotations

from pathlib import Path

import brotli
import pytest

from walkapp.participate.assets import assets

pytestmark = pytest.mark.db

STATIC = Path(__file__).resolve().parent.parent / "static"


def test_a_versioned_module_is_sent_at_brotlis_best_level(app, client):
    url = f"/pwa/{assets().modules}/outbox.js"
    source = (STATIC / "pwa" / "outbox.js").read_bytes()
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.data) == source
    assert response.data == brotli.compress(source, quality=11)
    assert "Accept-Encoding" in response.headers["Vary"]
    again = client.get(url, headers={"Accept-Encoding": "br"})
    assert again.data == response.data


def test_without_brotli_or_for_a_page_the_usual_compression_applies(app, client):
    url = f"/pwa/{assets().modules}/outbox.js"
    gzip_only = client.get(url, headers={"Accept-Encoding": "gzip, br;q=0"})
    assert gzip_only.headers["Content-Encoding"] == "gzip"
    old_folder = client.get("/pwa/0000/outbox.js", headers={"Accept-Encoding": "br"})
    source = (STATIC / "pwa" / "outbox.js").read_bytes()
    assert old_folder.headers["Cache-Control"] == "no-cache"
    assert old_folder.data != brotli.compress(source, quality=11)  # level 5: not kept
    assert brotli.decompress(old_folder.data) == source
