"""The Content-Security-Policy of every HTML page (set by the app factory's after-request rule;
the planner's map document relaxes it, by nonce, for folium's inline scripts)."""

from __future__ import annotations

from flask import Flask


def content_security_policy(app: Flask) -> str:
    tiles = (app.config.get("TILE_URL") or "").replace("{s}", "*")
    tile_origin = "/".join(tiles.split("/")[:3]) if tiles.startswith("http") else ""
    return (
        f"default-src 'self'; img-src 'self' data: blob: {tile_origin}".rstrip()
        + "; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
        "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    )
