"""Take the README's screenshot: the demo project in the planner workspace, in real Chromium.

    .venv/bin/python scripts/screenshot.py [path-under-the-project] [docs/screenshot.png] [full]

Loads the demo into a throw-away SQLite instance, serves it on 127.0.0.1, signs in as the
demo planner and photographs the page (by default the project's map), tiles off.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import threading
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from walkapp import create_app
from walkapp.extensions import db
from walkapp.models import Project
from walkapp.services import demo
from walkapp.services.photo_store import PhotoStore

ROOT = Path(__file__).resolve().parents[1]


def main(path: str = "map", out: str = "docs/screenshot.png", full: str = "") -> None:
    full_page = bool(full)
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE_PATH": instance, "TILE_URL": ""})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            password = secrets.token_urlsafe(9)
            result = demo.load_demo(PhotoStore(app.config["PHOTO_DIR"]), password=password)
            db.session.commit()
            project_id = db.session.scalar(sa.select(Project.id).order_by(Project.id))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True
                )
                page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
                page.goto(f"{url}/planner/login")
                page.locator("input[name=email]").fill(result.email)
                page.locator("input[name=password]").fill(password)
                page.locator("form button[type=submit]").last.click()
                page.wait_for_load_state("networkidle")
                page.goto(f"{url}/planner/projects/{project_id}/{path}".rstrip("/"))
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1500)
                page.screenshot(path=str(ROOT / out), full_page=full_page)
                browser.close()
        finally:
            server.shutdown()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
