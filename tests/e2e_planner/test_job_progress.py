"""A background job's page in real Chromium: opened while the job waits in the queue, it shows
the progress the worker commits (« 3 / 8 » in its live region, the bar at 3 of 8) with no
reload, then the download link, and the file downloads under its name. The worker is huey's
consumer in threads of the test process (the live server runs the app in a thread too); the
job is a test kind that stops at 3 of 8 until the test opens its gate.
"""

from __future__ import annotations

import re
from pathlib import Path

import job_builders  # noqa: F401 (registers the test kinds)
from job_worker import running_worker, wait_for_job
from planner_users import PASSWORD, make_user
from playwright.sync_api import expect

from walkapp import jobs
from walkapp.extensions import db
from walkapp.models import Project
from walkapp.unit_of_work import unit

SCREEN = {"viewport": {"width": 1280, "height": 800}, "locale": "fr-FR"}
FILENAME = "Export « Place du Canada ».csv"


def sign_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/planner/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/planner/$"))


def record_console(problems: list[str], msg) -> None:
    """Script errors and CSP refusals (a failed load is recorded by its answer below)."""
    if msg.type in ("error", "warning") and not msg.text.startswith("Failed to load resource"):
        problems.append(msg.text)


def record_failure(problems: list[str], answer) -> None:
    """An answer of 400 or more, but the browser's own guess at /favicon.ico (walkapp has none)."""
    if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
        problems.append(f"{answer.status} {answer.url}")


def test_the_page_shows_the_progress_then_the_download_link(app, live_server, browser, tmp_path):
    project = Project(name="Place du Canada", commune="Valenciennes")
    db.session.add(project)
    db.session.commit()
    planner = make_user("paula@valenciennes-metropole.fr", "planner", projects=[project])
    gate = tmp_path / "gate"
    with unit():
        job = jobs.start(
            "test_gated",
            project_id=project.id,
            user_id=planner.id,
            params={"steps": 8, "at": 3, "gate": str(gate), "filename": FILENAME},
        )
    context = browser.new_context(**SCREEN, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: record_console(problems, msg))
    page.on("response", lambda answer: record_failure(problems, answer))
    try:
        sign_in(page, live_server.url, planner.email)
        page.goto(f"{live_server.url}/planner/jobs/{job.id}")
        section = page.locator("[data-job]")
        expect(section).to_have_attribute("data-status", "queued")  # no worker yet
        live = page.locator("[role=status][aria-live=polite]")
        download = page.locator("[data-job-download] a")
        expect(download).to_have_count(0)

        with running_worker(app, gates=[gate]):
            wait_for_job(job.id, lambda row: row.done == 3, "the worker's progress")
            # The page's script polls: the same page, not reloaded, now shows 3 of 8.
            expect(page.locator("[data-job-progress-text]")).to_have_text("3 / 8")
            expect(live).to_contain_text("3 / 8")
            expect(section).to_have_attribute("data-status", "running")
            bar = page.locator("progress[data-job-progress]")
            assert bar.evaluate("p => [p.value, p.max]") == [3, 8]
            expect(download).to_have_count(0)

            gate.touch()
            expect(download).to_be_visible()
            expect(section).to_have_attribute("data-status", "done")
            expect(page.locator("[data-job-running]")).to_be_hidden()
            expect(download).to_contain_text(FILENAME)
            with page.expect_download() as answer:
                download.click()
        saved = answer.value
        assert saved.suggested_filename == FILENAME
        assert Path(saved.path()).read_text(encoding="utf-8") == "gated"
        assert problems == [], problems  # no script error, nothing the CSP refused
    finally:
        context.close()
