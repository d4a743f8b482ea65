"""The annual monitoring report (planner/report.py, walkapp/report_jobs.py): asked for on its page,
built as a background job (jobs.run here; the queue itself: tests/test_jobs.py), as DOCX
(LibreOffice converts it) and HTML. Its figures are the indicators pages' for the same period:
the test reads both HTML pages and compares each indicator's value and n. A planner's report
holds her projects, an administrator's every project; an archived project is in the report of
the year it ran."""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import docx
import office
import pytest
import sqlalchemy as sa
from job_worker import fresh
from planner_users import PASSWORD_HASH, login, make_user
from shapely.geometry import shape
from test_indicators_pages import add_person, add_project, add_spot, add_walk

from walkapp import jobs
from walkapp.domain import indicators as ind
from walkapp.domain.report import SURVEYED, Period
from walkapp.extensions import db
from walkapp.models import AuditEvent, Finding, Job, Project, User
from walkapp.services import report as service
from walkapp.services.demo import DEMO_EMAIL, load_demo
from walkapp.services.photo_store import PhotoStore

pytestmark = pytest.mark.db

# The demo is dated from this moment: its walks fall in May and June 2026, whatever today is.
DEMO_NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
YEAR = 2026
HOSTILE = '<script>alert("x")</script> & Cie'


@dataclass
class World:
    demo_id: int
    other_id: int
    archived_id: int
    planner: User  # the demo's planner: the demo project only
    other_planner: User  # the other project only
    admin: User
    survey_id: int  # the post-works survey of the demo project


def _survey_after_works(project_id: int, finding: Finding) -> int:
    """A post-works survey after the findings: five women tag a spot inside the first
    finding's area, feeling 4."""
    inside = shape(finding.geometry).representative_point()
    project = db.session.get(Project, project_id)
    survey = add_walk(
        project,
        DEMO_NOW + timedelta(days=5),
        kind="appropriation_survey",
        audience="mixed",
        title="Enquête après travaux",
    )
    for _ in range(5):
        person = add_person(survey, "woman")
        add_spot(person, lat=inside.y, lon=inside.x, feeling=4, category="other")
    return survey.id


@pytest.fixture
def world(app) -> World:
    load_demo(PhotoStore(app.config["PHOTO_DIR"]), "demo-password", now=DEMO_NOW)
    db.session.commit()
    demo_id = db.session.scalar(sa.select(Project.id))
    for finding in db.session.scalars(sa.select(Finding)):
        finding.created_at = DEMO_NOW  # confirmed the day the demo is dated, not today
    first = db.session.scalars(sa.select(Finding).order_by(Finding.created_at, Finding.id)).first()
    assert first is not None, "the demo confirms findings"
    survey_id = _survey_after_works(demo_id, first)
    db.session.get(Project, demo_id).phase = "after_works"
    # Another authority's project with a walk of women in 2026, its name hostile.
    other = add_project(HOSTILE, "59178")
    walk = add_walk(other, datetime(2026, 3, 10, 18, tzinfo=UTC), title="Marche d'Anzin")
    for gender in ("woman", "woman", "woman", "man", "woman", "woman"):
        add_person(walk, gender)
    # An archived project that ran in 2025 only.
    archived = add_project("Quartier archivé", "59606")
    old = add_walk(archived, datetime(2025, 10, 2, 19, tzinfo=UTC), title="Marche de 2025")
    for _ in range(5):
        add_person(old, "woman")
    archived.archived_at = datetime(2026, 1, 15, tzinfo=UTC)
    planner = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAIL))
    planner.password_hash = PASSWORD_HASH
    db.session.commit()
    return World(
        demo_id=demo_id,
        other_id=other.id,
        archived_id=archived.id,
        planner=planner,
        other_planner=make_user("anzin@x.fr", "planner", projects=[other]),
        admin=make_user("admin@x.fr", "admin"),
        survey_id=survey_id,
    )


# --- Helpers -----------------------------------------------------------------------------------


def ask(client, **form) -> int:
    answer = client.post("/planner/report", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:800]
    return int(re.search(r"/planner/jobs/(\d+)$", answer.headers["Location"]).group(1))


def build(app, client, job_id: int) -> bytes:
    with app.app_context():
        jobs.run(job_id)
    job = fresh(job_id)
    assert job.status == "done", job.error
    answer = client.get(f"/planner/jobs/{job_id}/download")
    try:
        assert answer.status_code == 200
        return answer.get_data()
    finally:
        answer.close()


ROW = re.compile(r'<tr id="([\w-]+)"[^>]*?data-value="([^"]*)" data-n="(\d+)"')


def figures(page: str, prefix: str = "ind-") -> dict[str, tuple[str, int]]:
    """{indicator code: (data-value, n)} of the rows whose id starts with `prefix`."""
    return {
        row_id[len(prefix) :]: (value, int(n))
        for row_id, value, n in ROW.findall(page)
        if row_id.startswith(prefix)
    }


def page_value_texts(page: str) -> dict[str, str]:
    """{code: the value as the indicators page prints it} (before its hints)."""
    found = {}
    for code, cell in re.findall(r'<tr id="ind-(\w+)".*?<td class="value">(.*?)</td>', page, re.S):
        text = html.unescape(re.sub(r"<[^>]+>", " ", cell))
        found[code] = " ".join(text.split()).split(" (")[0]
    return found


def report_html(app, client, user: User, **form) -> str:
    login(client, user)
    job_id = ask(client, format="html", language="en", **form)
    return build(app, client, job_id).decode("utf-8")


# --- The figures equal the indicators pages' ---------------------------------------------------


def test_the_html_report_has_the_indicators_pages_figures(app, client, world):
    report = report_html(app, client, world.admin, period="year", year=str(YEAR))
    overall = client.get(f"/planner/indicators?lang=en&year={YEAR}").text
    page_totals, report_totals = figures(overall), figures(report)
    assert set(page_totals) == set(ind.CODES)
    assert report_totals == page_totals
    assert page_totals[ind.PROJECTS_COVERED] == ("2", 2)  # the archived project did not run
    for project_id in (world.demo_id, world.other_id):
        page = client.get(f"/planner/projects/{project_id}/indicators?lang=en&year={YEAR}").text
        own = figures(page)
        assert len(own) == 4
        assert figures(report, f"p{project_id}-") == own, project_id
    # Charts are inline SVG; typed text is escaped; nothing is loaded from elsewhere.
    assert report.count("<svg") >= 2 and 'role="img"' in report
    assert "<script>" not in report and "&lt;script&gt;" in report
    assert not re.search(r'(src|href)="(https?:)?//', report)
    # The walks held with groups of women are listed, as many as the indicator counts.
    walks = re.search(r'<section id="women-walks".*?</section>', report, re.S).group(0)
    assert walks.count("data-walk=") == int(report_totals[ind.WOMEN_WALKS][0])
    # Who was missing, the findings and their follow-up, the post-works survey.
    assert 'id="missing"' in report
    follow = re.findall(r'data-finding="\d+" data-follow-up="(\w+)"', report)
    assert follow and follow[0] == SURVEYED
    assert "Mean feeling after the works: 4.0 / 5" in report
    # The demo's own post-works survey (its baseline was the year before) and this test's.
    assert re.search(rf'data-project="{world.demo_id}" data-surveys="2"', report)


def test_the_docx_report_converts_with_libreoffice_and_has_the_pages_figures(
    app, client, world, tmp_path
):
    if shutil.which("libreoffice") is None:
        pytest.fail("libreoffice is needed to convert the report (Debian: libreoffice-writer)")
    login(client, world.admin)
    job_id = ask(client, period="year", year=str(YEAR), format="docx", language="en")
    assert fresh(job_id).project_id is None
    path = tmp_path / "report.docx"
    path.write_bytes(build(app, client, job_id))
    assert fresh(job_id).filename == f"equality-monitoring-report-{YEAR}.docx"

    document = docx.Document(str(path))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for expected in (
        "1. Indicators across projects",
        "2. Walks held with groups of women",
        "3. Who was missing",
        "4. Findings and their follow-up",
        "5. After the works",
        "6. By project",
    ):
        assert expected in headings
    assert len(document.inline_shapes) >= 2  # the two charts

    # The first table: the indicators across projects, each value and n as the page shows.
    page = client.get(f"/planner/indicators?lang=en&year={YEAR}").text
    shown, texts = figures(page), page_value_texts(page)
    rows = document.tables[0].rows
    assert [c.text for c in rows[0].cells][-1] == "n"
    assert len(rows) == 1 + len(ind.CODES)
    titles = {
        "Exploratory walks held with groups of women": ind.WOMEN_WALKS,
        "Share of women among participants": ind.WOMEN_SHARE_PARTICIPANTS,
        "Share of women among people counted at meetings": ind.WOMEN_SHARE_MEETINGS,
        "Share of women reporting harassment": ind.WOMEN_HARASSMENT_SHARE,
        "Projects covered": ind.PROJECTS_COVERED,
        "Communes covered": ind.COMMUNES_COVERED,
    }
    for row in rows[1:]:
        cells = [c.text for c in row.cells]
        code = titles[cells[0]]
        assert int(cells[4]) == shown[code][1], code
        assert cells[2].split(" (")[0] == texts[code], code

    # LibreOffice converts it: A4 pages, the text there.
    pdf = office.to_pdf(path, tmp_path)
    info = office.pdf_info(pdf)
    assert office.pages(info) >= 2
    assert office.is_a4(info)
    text = office.pdf_text(pdf)
    assert "Place du Canada" in text and HOSTILE in text


# --- Scope and period --------------------------------------------------------------------------


def test_a_planner_reports_on_her_projects_and_an_admin_on_all(app, world):
    planner = service.report_content(world.planner.id, Period.year(YEAR))
    assert [p.project_id for p in planner.projects] == [world.demo_id]
    assert not planner.all_projects
    other = service.report_content(world.other_planner.id, Period.year(YEAR))
    assert [p.project_id for p in other.projects] == [world.other_id]
    admin = service.report_content(world.admin.id, Period.year(YEAR))
    assert {p.project_id for p in admin.projects} == {world.demo_id, world.other_id}
    assert admin.all_projects
    # The totals of all are the sums of each planner's.
    walks = ind.WOMEN_WALKS
    assert admin.total(walks).value == planner.total(walks).value + other.total(walks).value


def test_the_html_report_of_a_planner_holds_her_project_only(app, client, world):
    report = report_html(app, client, world.other_planner, period="year", year=str(YEAR))
    assert f'id="project-{world.other_id}"' in report
    assert f'id="project-{world.demo_id}"' not in report and "Place du Canada" not in report
    # Her job is hers: the demo's planner does not see it.
    job_id = db.session.scalar(sa.select(sa.func.max(Job.id)))
    login(client, world.planner)
    assert client.get(f"/planner/jobs/{job_id}").status_code == 404


def test_an_archived_project_is_in_the_report_of_the_year_it_ran(app, world):
    of_2025 = service.report_content(world.admin.id, Period.year(2025))
    assert [p.project_id for p in of_2025.projects if p.archived] == [world.archived_id]
    archived = next(p for p in of_2025.projects if p.project_id == world.archived_id)
    assert archived.indicator(ind.WOMEN_WALKS).value == 1
    assert archived.indicator(ind.WOMEN_SHARE_PARTICIPANTS).n == 5
    of_2026 = service.report_content(world.admin.id, Period.year(YEAR))
    assert world.archived_id not in {p.project_id for p in of_2026.projects}


def test_chosen_dates_keep_the_events_that_started_between_them(app, client, world):
    march = Period.between(date(2026, 3, 1), date(2026, 3, 31))
    content = service.report_content(world.admin.id, march)
    events = content.events
    assert [e.title for e in events] == ["Marche d'Anzin"]
    assert content.total(ind.WOMEN_WALKS).value == 1
    assert content.total(ind.WOMEN_SHARE_PARTICIPANTS).n == 6
    assert content.total(ind.PROJECTS_COVERED).value == 1
    # Through the page: the dates chosen, the file named after them.
    login(client, world.admin)
    job_id = ask(
        client,
        period="dates",
        first_day="2026-03-01",
        last_day="2026-03-31",
        format="html",
        language="fr",
    )
    report = build(app, client, job_id).decode("utf-8")
    assert fresh(job_id).filename == "rapport-de-suivi-egalite-2026-03-01_2026-03-31.html"
    assert figures(report)[ind.WOMEN_WALKS] == ("1", 1)
    assert '<html lang="fr">' in report
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target_type == "report").order_by(AuditEvent.id)
    ).all()
    assert audit and audit[-1].details["start"] == "2026-03-01"
    assert audit[-1].details["end"] == "2026-04-01"


# --- The page ----------------------------------------------------------------------------------


def test_the_page_offers_the_years_with_events_and_lists_the_reports(app, client, world):
    login(client, world.planner)
    page = client.get("/planner/report?lang=en").text
    assert f'<option selected value="{YEAR}">' in page or f'value="{YEAR}" selected' in page
    assert 'id="report-projects"' in page and "Place du Canada" in page
    assert HOSTILE not in page  # not hers
    job_id = ask(client, period="year", year=str(YEAR), format="html", language="en")
    page = client.get("/planner/report?lang=en").text
    assert f'data-job="{job_id}"' in page
    projects = client.get("/planner/?lang=en").text
    assert 'href="/planner/report"' in projects


def test_bad_periods_are_refused_and_nothing_is_queued(app, client, world):
    login(client, world.admin)
    before = db.session.scalar(sa.select(sa.func.count(Job.id)))
    for form in (
        {"period": "year", "year": "1999"},  # no event that year
        {"period": "dates", "first_day": "2026-05-02", "last_day": "2026-05-01"},
        {"period": "dates", "first_day": "2020-01-01", "last_day": "2026-01-01"},
        {"period": "dates", "first_day": "2026-02-30", "last_day": "2026-03-01"},
        {"period": "dates"},
    ):
        answer = client.post(
            "/planner/report?lang=en", data={**form, "format": "docx", "language": "fr"}
        )
        assert answer.status_code == 422, form
    answer = client.post(
        "/planner/report?lang=en",
        data={
            "period": "dates",
            "first_day": "2026-05-02",
            "last_day": "2026-05-01",
            "format": "docx",
            "language": "fr",
        },
    )
    assert "The last day comes before the first." in answer.text
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == before


def test_an_account_that_may_export_nothing_is_offered_nothing_and_refused(app, client, world):
    viewer = make_user("lecture@x.fr", "viewer", projects=[world.demo_id])
    login(client, viewer)
    page = client.get("/planner/report?lang=en")
    assert page.status_code == 200 and 'id="no-project"' in page.text
    assert "Place du Canada" not in page.text
    answer = client.post(
        "/planner/report",
        data={"period": "year", "year": str(YEAR), "format": "docx", "language": "fr"},
    )
    assert answer.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
