"""The appropriation pages on the database: answers sent through the API, the refresh job that
writes the cached figures (services/appropriation_figures.py), the planner's page and the map
reading them, and the page saying how many answers arrived since."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import auth
from planner_users import login, make_user
from test_zones import EAST, WEST, add_zones

from walkapp import jobs
from walkapp.extensions import db, utcnow
from walkapp.models import IndicatorCache, Job, Project, Zone
from walkapp.services import appropriation, appropriation_figures

pytestmark = pytest.mark.db

GOOD = {
    "use_frequency": "daily",
    "stay_or_pass": "stop_often",
    "safe_alone_day": "very_safe",
    "safe_alone_dark": "fairly_safe",
    "belonging": "agree",
    "night_use": "often",
    "arrival_mode": "walking",
}
POOR = {
    "use_frequency": "less_than_monthly",
    "stay_or_pass": "pass_only",
    "safe_alone_day": "fairly_unsafe",
    "safe_alone_dark": "very_unsafe",
    "belonging": "disagree",
    "night_use": "never",
    "arrival_mode": "car",
}


@pytest.fixture
def survey(make_walk):
    walk = make_walk(kind="appropriation_survey", stops=0)
    add_zones(walk.project_id, ("Le square <b>", WEST), ("Le passage souterrain", EAST))
    return walk


def zone_id(name: str) -> int:
    return db.session.scalar(sa.select(Zone.id).where(Zone.name == name))


def answer(client, join, walk, answers: dict, zone: str = "Le square <b>", gender="woman"):
    token, _, _ = join(walk, profile={"gender": gender})
    response = client.post(
        "/api/v1/answers",
        json={
            "id": str(uuid.uuid4()),
            "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
            "zone_id": zone_id(zone),
            "answers": answers,
        },
        headers=auth(token),
    )
    assert response.status_code == 201, response.json


def run_refresh(app) -> list[Job]:
    db.session.rollback()
    ids = db.session.scalars(
        sa.select(Job.id).where(Job.kind == appropriation.KIND, Job.status == jobs.QUEUED)
    ).all()
    for job_id in ids:
        jobs.run(job_id)
    db.session.expire_all()
    return [db.session.get(Job, i) for i in ids]


@pytest.fixture
def viewer_client(app, survey):
    client = app.test_client()
    login(
        client, make_user("lea@valenciennes-metropole.fr", "viewer", projects=[survey.project_id])
    )
    return client


def test_the_job_computes_the_figures_and_the_page_shows_them(
    app, client, join, survey, viewer_client
):
    for _ in range(6):
        answer(client, join, survey, POOR)
    db.session.get(Project, survey.project_id).phase = "after_works"
    db.session.commit()
    for _ in range(6):
        answer(client, join, survey, GOOD)
    answer(client, join, survey, GOOD, gender="man")
    page = viewer_client.get(f"/planner/projects/{survey.project_id}/appropriation")
    assert page.status_code == 200
    assert 'data-pending="13"' in page.text  # nothing computed yet: every answer is pending
    (job,) = run_refresh(app)
    assert job.status == "done"
    cached = appropriation_figures.cached(survey.project_id)
    assert not cached.stale and cached.pending == 0
    square = cached.figures["zones"][str(zone_id("Le square <b>"))]
    assert square["index"]["diagnostic"]["n"] == 6 and square["index"]["after_works"]["n"] == 6
    assert square["difference"]["excludes_zero"] and square["difference"]["difference"] > 0
    page = viewer_client.get(f"/planner/projects/{survey.project_id}/appropriation")
    assert 'data-pending="0"' in page.text
    assert 'data-n-after="6"' in page.text and 'data-excludes-zero="true"' in page.text
    assert "Le square &lt;b&gt;" in page.text and "Le square <b>" not in page.text
    assert 'id="compass-chart-' in page.text and 'id="before-after-chart-title"' in page.text
    everyone = viewer_client.get(
        f"/planner/projects/{survey.project_id}/appropriation?population=all"
    )
    assert 'data-n-after="7"' in everyone.text  # the man's answer too


def test_a_new_answer_marks_the_figures_stale_and_queues_one_refresh(app, client, join, survey):
    for _ in range(5):
        answer(client, join, survey, GOOD)
    run_refresh(app)
    answer(client, join, survey, POOR)
    answer(client, join, survey, POOR)
    cached = appropriation_figures.cached(survey.project_id)
    assert cached.stale and cached.pending == 2
    assert len(run_refresh(app)) == 1
    assert appropriation_figures.cached(survey.project_id).figures["overall"]["answers"] == 7


def test_the_map_colours_the_zones_by_the_index_with_n_and_loads_nothing_from_outside(
    app, client, join, survey, viewer_client
):
    db.session.get(Project, survey.project_id).phase = "after_works"
    db.session.commit()
    for _ in range(5):
        answer(client, join, survey, GOOD)
    run_refresh(app)
    html = viewer_client.get(f"/planner/projects/{survey.project_id}/appropriation/map").text
    assert "https://cdn" not in html and "unpkg" not in html
    assert "Le square <b>" not in html
    assert "(n = 5)" in html


def test_a_viewer_cannot_ask_for_a_refresh_and_a_planner_can(app, survey, viewer_client):
    url = f"/planner/projects/{survey.project_id}/appropriation/refresh"
    assert viewer_client.post(url).status_code == 403
    planner = app.test_client()
    login(planner, make_user("ines@valenciennes-metropole.fr", projects=[survey.project_id]))
    assert planner.post(url).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorCache)) == 0
    run_refresh(app)
    keys = db.session.scalars(sa.select(IndicatorCache.key)).all()
    assert sorted(keys) == []  # no answers, no questionnaire: nothing to compute
