"""The exports page (planner/exports.py): each file is asked for, recorded and prepared in the
request, then built as a background job (walkapp/export_jobs.py) that only reads; the job's
page offers the file. Built here with jobs.run (the queue itself: tests/test_jobs.py)."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from datetime import UTC, datetime

import docx
import openpyxl
import pytest
import sqlalchemy as sa
from conftest import auth
from job_worker import fresh
from planner_users import login, make_user

from walkapp import jobs
from walkapp.extensions import db
from walkapp.models import AuditEvent, Job, Observation, SpotReference

NIGHT = "2026-11-20T21:30:00+01:00"
DAY = "2026-11-20T14:00:00+01:00"


def tag(client, token, recorded_at: str, comment: str | None = None, category="lighting") -> str:
    body = {
        "id": str(uuid.uuid4()),
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": recorded_at,
        "category": category,
        "feeling": 1,
        **({"comment": comment} if comment else {}),
    }
    answer = client.post("/api/v1/observations", headers=auth(token), json=body)
    assert answer.status_code == 201, answer.get_json()
    return body["id"]


@pytest.fixture
def walk(make_walk):
    # Open since before the spots' times (20 November, by day and at night).
    return make_walk(status="open", starts_at=datetime(2026, 11, 20, 12, tzinfo=UTC))


@pytest.fixture
def planner(app, client, walk):
    user = make_user("paula@valenciennes-metropole.fr", "planner", projects=[walk.project])
    login(client, user)
    return user


def ask(client, project_id: int, **form) -> int:
    answer = client.post(f"/planner/projects/{project_id}/exports", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    job_id = int(re.search(r"/planner/jobs/(\d+)", answer.headers["Location"]).group(1))
    return job_id


def build(app, client, job_id: int) -> bytes:
    with app.app_context():
        jobs.run(job_id)
    job = fresh(job_id)
    assert job.status == "done", job.error
    page = client.get(f"/planner/jobs/{job_id}")
    assert page.status_code == 200 and "Télécharger" in page.get_data(as_text=True)
    answer = client.get(f"/planner/jobs/{job_id}/download")
    try:
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "private, no-store"
        return answer.get_data()
    finally:
        answer.close()  # send_file streams from an open file


def test_an_xlsx_export_is_recorded_when_asked_and_built_in_the_background(
    app, client, join, walk, planner
):
    token, _code, _ = join(walk)
    tag(client, token, NIGHT, '=HYPERLINK("http://x","y")')
    tag(client, token, DAY)
    page = client.get(f"/planner/projects/{walk.project_id}/exports")
    assert page.status_code == 200 and "Exports de" in page.get_data(as_text=True)

    job_id = ask(client, walk.project_id, format="xlsx", layer="spots", language="fr")
    # Recorded in the request, with who asked and what.
    entry = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
    ).all()[-1]
    assert (entry.user_id, entry.details["format"]) == (planner.id, "xlsx")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SpotReference)) == 2

    book = openpyxl.load_workbook(io.BytesIO(build(app, client, job_id)), read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 2  # the heading and the two spots
    text = [str(cell) for row in rows for cell in row if cell is not None]
    assert "S001" in text and "S002" in text
    assert any("HYPERLINK" in cell for cell in text)  # as text, never a formula


def test_a_french_csv_keeps_the_maps_filters(app, client, join, walk, planner):
    token, _code, _ = join(walk)
    tag(client, token, NIGHT, "la nuit")
    tag(client, token, DAY, "le jour")
    job_id = ask(
        client,
        walk.project_id,
        format="csv",
        layer="spots",
        french="y",
        language="fr",
        light="night",
    )
    body = build(app, client, job_id).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert len(rows) == 2, rows  # the heading and the night spot only
    assert "la nuit" in rows[1] and "le jour" not in body


def test_the_file_holds_the_spots_there_were_when_it_was_asked_for(
    app, client, join, walk, planner
):
    token, _code, _ = join(walk)
    tag(client, token, NIGHT, "avant")
    job_id = ask(client, walk.project_id, format="geojson", layer="spots", language="fr")
    tag(client, token, NIGHT, "après")  # arrives while the job waits in the queue
    document = build(app, client, job_id).decode()
    assert "avant" in document and "après" not in document
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 2


def test_the_photos_zip_and_the_annex_are_jobs_too(app, client, join, walk, planner):
    token, _code, _ = join(walk)
    tag(client, token, NIGHT)
    archive = zipfile.ZipFile(
        io.BytesIO(
            build(
                app,
                client,
                ask(client, walk.project_id, format="zip", layer="spots", language="fr"),
            )
        )
    )
    assert archive.namelist() == []  # no photo yet: an empty, valid archive

    answer = client.post(f"/planner/projects/{walk.project_id}/annex/docx", data={"language": "fr"})
    assert answer.status_code == 303
    job_id = int(answer.headers["Location"].rsplit("/", 1)[-1])
    document = docx.Document(io.BytesIO(build(app, client, job_id)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "3. Constats et prescriptions" in headings
    assert document.paragraphs[0].text == "Prescriptions issues des diagnostics en marchant"
    job = fresh(job_id)
    assert job.filename.endswith(".docx") and "annexe-cctp" in job.filename


def test_a_viewer_may_not_export_and_nothing_is_recorded(app, client, walk):
    viewer = make_user("vera@x.fr", "viewer", projects=[walk.project])
    login(client, viewer)
    assert client.get(f"/planner/projects/{walk.project_id}/exports").status_code == 403
    answer = client.post(
        f"/planner/projects/{walk.project_id}/exports", data={"format": "csv", "layer": "spots"}
    )
    assert answer.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")
        )
        == 0
    )


def test_a_bad_choice_is_refused_in_french_and_queues_nothing(app, client, walk, planner):
    answer = client.post(
        f"/planner/projects/{walk.project_id}/exports", data={"format": "exe", "layer": "spots"}
    )
    assert answer.status_code == 422
    assert "Exports de" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
