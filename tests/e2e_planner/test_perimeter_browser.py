"""The perimeter form in real Chromium: a file over the server's limit is weighed in the browser
and let go before anything is sent (the server would answer 413 without reading it), with the
reason in words and every typed field kept."""

from __future__ import annotations

import json
import re

from werkzeug.security import generate_password_hash

from walkapp.extensions import db
from walkapp.models import User

PASSWORD = "a-long-e2e-password"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}


def test_too_big_a_file_is_refused_before_sending(app, live_server, browser):
    from walkapp.planner.projects import PERIMETER_BODY_LIMIT

    user = User(
        email="paula@x.fr",
        name="Paula",
        role="planner",
        password_hash=generate_password_hash(PASSWORD),
    )
    db.session.add(user)
    db.session.commit()
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server.url}/planner/login")
    page.get_by_label("Email").fill("paula@x.fr")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/planner/$"))
    posts.clear()

    page.goto(f"{live_server.url}/planner/projects/new")
    page.get_by_label("Name of the project").fill("Place du Canada")
    file_input = page.get_by_label("GeoJSON file of the perimeter")
    assert file_input.get_attribute("data-max-bytes") == str(PERIMETER_BODY_LIMIT)
    big = b" " * (PERIMETER_BODY_LIMIT + 512 * 1024)
    file_input.set_input_files(
        {"name": "big.geojson", "mimeType": "application/geo+json", "buffer": big}
    )
    status = page.locator("#perimeter-status")
    status.filter(has_text="This file weighs 2.5 MB").wait_for()
    assert "at most 2 MB" in status.inner_text() and "Nothing was sent" in status.inner_text()
    assert page.evaluate("document.getElementById('perimeter_file').files.length") == 0
    assert file_input.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Name of the project").input_value() == "Place du Canada"
    assert posts == []  # nothing left the browser

    # A file under the limit is taken (previewed on the map), not refused.
    ring = [[3.51, 50.35], [3.52, 50.35], [3.52, 50.36], [3.51, 50.35]]
    small = json.dumps({"type": "Polygon", "coordinates": [ring]}).encode()
    file_input.set_input_files(
        {"name": "ok.geojson", "mimeType": "application/geo+json", "buffer": small}
    )
    status.filter(has_text="The file's shape is shown on the map").wait_for()
    assert page.evaluate("document.getElementById('perimeter_file').files.length") == 1
    assert not errors, errors
    context.close()
