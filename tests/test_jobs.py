"""Background jobs (walkapp/jobs.py) on a real queue, the embedded SQLite one and Redis: each
test that runs a job runs it on both (Redis at WALKAPP_TEST_REDIS_URL; if it does not answer the
test fails — never a skip). The worker is real: huey's consumer in threads of the test process,
or `walkapp worker` as a subprocess (killed with SIGKILL, stopped with SIGTERM).

The job kinds are the tests' own (job_builders.py).
"""

from __future__ import annotations

import html
import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import job_builders  # noqa: F401 (registers the test kinds)
import pytest
import sqlalchemy as sa
from huey import RedisHuey, SqliteHuey
from job_worker import (
    REDIS_URL,
    fresh,
    running_worker,
    wait_for_job,
    wait_until_ended,
    worker_process,
)
from planner_users import login, make_user

from walkapp import create_app, jobs
from walkapp.cli import main as walkapp_cli
from walkapp.extensions import db, utcnow
from walkapp.models import Job, Project
from walkapp.unit_of_work import unit

QUEUES = ["sqlite", "redis"]


@pytest.fixture(params=QUEUES)
def queue(request) -> str:
    return request.param


@pytest.fixture
def queue_name() -> str:
    """Each test its own queue in Redis (the tests' database is shared)."""
    return f"walkapp-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app_config(queue, queue_name) -> dict:
    return {"QUEUE_URL": REDIS_URL if queue == "redis" else "", "QUEUE_NAME": queue_name}


@pytest.fixture
def huey(app, queue):
    """The app's huey; Redis must answer (a failure, not a skip), and is emptied after."""
    instance = app.extensions[jobs.EXTENSION_KEY].huey
    if queue == "redis":
        assert isinstance(instance, RedisHuey)
        instance.storage.conn.ping()
        instance.flush()
    else:
        assert isinstance(instance, SqliteHuey)
    yield instance
    if queue == "redis":
        instance.flush()


@pytest.fixture
def project(app) -> Project:
    project = Project(name="Place du Canada", commune="Valenciennes")
    db.session.add(project)
    db.session.commit()
    return project


@pytest.fixture
def planner(app, project):
    return make_user("paula@valenciennes-metropole.fr", "planner", projects=[project])


@pytest.fixture
def planner_client(app, planner):
    client = app.test_client()
    login(client, planner)
    return client


def start(kind: str, project_id: int | None, user_id: int | None = None, **params) -> int:
    with unit():
        job = jobs.start(kind, project_id=project_id, user_id=user_id, params=params)
    return job.id


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- Running on the queue ------------------------------------------------------------------------


def test_a_job_runs_on_the_worker_and_its_file_downloads(app, huey, project, planner_client):
    text = "Annexe : « éclairer le passage » <b>&</b>\n"
    job_id = start(
        "test_text", project.id, steps=5, text=text, filename="Annexe Place du Canada.txt"
    )
    assert fresh(job_id).status == "queued"
    with running_worker(app):
        job = wait_until_ended(job_id)
    assert (job.status, job.error, job.done, job.total) == ("done", None, 5, 5)
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert job.filename == "Annexe Place du Canada.txt"
    assert jobs.result_file(job) == Path(app.instance_path) / jobs.JOBS_FOLDER / job.result_path

    page = planner_client.get(f"/planner/jobs/{job_id}")
    assert page.status_code == 200
    body = page_text(page)
    assert "Test file" in body or "Fichier de test" in body
    assert f'href="/planner/jobs/{job_id}/download"' in body
    assert 'http-equiv="refresh"' not in body  # over: nothing to follow

    status = planner_client.get(f"/planner/jobs/{job_id}/status")
    assert status.json["status"] == "done"
    assert status.json["download_url"] == f"/planner/jobs/{job_id}/download"
    assert status.json["error_message"] is None
    assert status.headers["Cache-Control"] == "private, no-store"

    download = planner_client.get(f"/planner/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.get_data().decode("utf-8") == text
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Annexe Place du Canada.txt" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "private, no-store"
    download.close()


def test_progress_is_committed_while_the_job_runs(app, huey, project, planner_client, tmp_path):
    """Another connection (and the page's status) sees 3 / 10 while the builder's unit is still
    open; then the job ends with 10 / 10."""
    gate = tmp_path / "gate"
    job_id = start("test_gated", project.id, steps=10, at=3, gate=str(gate))
    other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with running_worker(app, gates=[gate]):
            wait_for_job(job_id, lambda job: job.done == 3, "progress 3")
            with other.connect() as conn:
                row = conn.execute(
                    sa.select(Job.status, Job.done, Job.total).where(Job.id == job_id)
                ).one()
            assert tuple(row) == ("running", 3, 10)
            state = planner_client.get(f"/planner/jobs/{job_id}/status").json
            assert (state["status"], state["progress_text"]) == ("running", "3 / 10")
            assert state["download_url"] is None
            page = page_text(planner_client.get(f"/planner/jobs/{job_id}"))
            assert "3 / 10" in page and 'value="3"' in page and 'max="10"' in page
            assert 'aria-live="polite"' in page
            assert '<noscript><meta http-equiv="refresh"' in page  # without script: refreshes
            assert 'src="/static/planner/jobs.js"' in page
            assert jobs.last_heartbeat(job_id) is not None  # the worker says it is alive
            gate.touch()
            job = wait_until_ended(job_id)
    finally:
        other.dispose()
    assert (job.status, job.done, job.total) == ("done", 10, 10)
    assert jobs.last_heartbeat(job_id) is None  # cleared at the end


def test_progress_writes_are_throttled(app, huey, project):
    """10,000 progress calls write the row a handful of times, not 10,000."""
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE JOB"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        job_id = start("test_text", project.id, steps=10_000, text="x")
        with running_worker(app):
            job = wait_until_ended(job_id)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert (job.status, job.done, job.total) == ("done", 10_000, 10_000)
    assert 2 <= len(statements) <= 100, len(statements)


def test_a_crashing_builder_fails_with_its_reason_in_french(app, huey, project, planner_client):
    crash = start("test_crash", project.id)
    refused = start("test_refused", project.id)
    with running_worker(app):
        crashed, refusal = wait_until_ended(crash), wait_until_ended(refused)
    assert (crashed.status, crashed.error, crashed.result_path) == ("failed", "job_crashed", None)
    assert (refusal.status, refusal.error) == ("failed", "export_not_allowed")
    # Their half-written files are gone.
    assert not (Path(app.instance_path) / jobs.JOBS_FOLDER / str(crash)).exists()
    assert not (Path(app.instance_path) / jobs.JOBS_FOLDER / str(refused)).exists()

    page = page_text(planner_client.get(f"/planner/jobs/{crash}"))
    assert '<html lang="fr">' in page
    assert "Échec" in page
    assert "Le fichier n'a pas pu être produit" in page
    assert "the builder broke" not in page  # the traceback is for the log only
    page = page_text(planner_client.get(f"/planner/jobs/{refused}"))
    assert "Votre rôle ne permet pas d'exporter" in page
    state = planner_client.get(f"/planner/jobs/{crash}/status").json
    assert state["status"] == "failed"
    assert state["error_message"].startswith("Le fichier n'a pas pu être produit")
    assert planner_client.get(f"/planner/jobs/{crash}/download").status_code == 404


def test_jobs_wait_in_the_queue_across_a_restart(app, huey, project, queue_name):
    """Queued while no worker runs and the web server restarts: a new app's worker runs them."""
    job_id = start("test_text", project.id, text="après le redémarrage")
    restarted = create_app(
        {
            **{key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "QUEUE_URL")},
            "TESTING": True,
            "INSTANCE_PATH": app.instance_path,
            "SECRET_KEY": "test-secret",
            "QUEUE_NAME": queue_name,
            "TILE_URL": "",
        }
    )
    app.extensions[jobs.EXTENSION_KEY].huey.storage.close()  # the first server is gone
    try:
        with running_worker(restarted):
            job = wait_until_ended(job_id)
        assert job.status == "done"
        assert (jobs.result_file(job)).read_text(encoding="utf-8") == "après le redémarrage"
    finally:
        with restarted.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("queue_name", ["walkapp"])  # the name `walkapp worker` uses
def test_a_killed_worker_leaves_its_job_interrupted(app, huey, project, tmp_path, planner_client):
    """`walkapp worker` killed (SIGKILL) mid-job: the job stays running until a worker starts
    and finds its heartbeat stopped → failed, job_interrupted. That worker then runs new jobs;
    stopped with SIGTERM mid-job it marks that job interrupted itself."""
    log = tmp_path / "worker.log"
    gate = tmp_path / "never-opened"
    job_id = start("test_gated", project.id, steps=4, at=1, gate=str(gate))
    first = worker_process(app, log)
    try:
        wait_for_job(job_id, lambda job: job.done == 1, "the first worker's progress")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
    assert fresh(job_id).status == "running"  # nobody could say otherwise
    # Time passes: its last heartbeat and its start are long ago.
    huey.put(f"walkapp-job-heartbeat:{job_id}", time.time() - 3600)
    with unit():
        fresh(job_id).started_at = utcnow() - timedelta(hours=1)

    second = worker_process(app, log)
    try:
        job = wait_until_ended(job_id)
        assert (job.status, job.error) == ("failed", "job_interrupted"), log.read_text()
        page = page_text(planner_client.get(f"/planner/jobs/{job_id}"))
        assert "interrompu" in page
        after = start("test_text", project.id, text="le second worker tourne")
        assert wait_until_ended(after).status == "done", log.read_text()
        stopped = start("test_gated", project.id, steps=4, at=2, gate=str(gate))
        wait_for_job(stopped, lambda job: job.done == 2, "the second worker's progress")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        try:
            second.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
            raise
    job = fresh(stopped)
    assert (job.status, job.error) == ("failed", "job_interrupted"), log.read_text()
    assert "walkapp worker: 1 at once" in log.read_text()


@pytest.mark.parametrize("queue", ["sqlite"])  # the queue is replaced by one that is down
def test_a_job_that_cannot_be_queued_fails_at_once(app, project):
    app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    jobs.init_app(app)
    job_id = start("test_text", project.id)
    assert (fresh(job_id).status, fresh(job_id).error) == ("failed", "job_queue_unavailable")


def test_a_running_job_with_a_live_heartbeat_is_not_taken_for_dead(app, huey, project):
    with unit():
        alive = Job(kind="test_text", params={}, project_id=project.id, status="running")
        dead = Job(kind="test_text", params={}, project_id=project.id, status="running")
        long_ago = utcnow() - timedelta(hours=2)
        alive.started_at = dead.started_at = long_ago
        db.session.add_all([alive, dead])
    huey.put(f"walkapp-job-heartbeat:{alive.id}", time.time())
    with unit():
        assert jobs.recover_interrupted() == 1
    assert fresh(alive.id).status == "running"
    assert (fresh(dead.id).status, fresh(dead.id).error) == ("failed", "job_interrupted")


# --- Removing results ----------------------------------------------------------------------------


def built(app, project_id: int | None, user_id: int | None = None) -> Job:
    """A job built at once in this thread (no worker needed for what follows)."""
    job_id = start("test_text", project_id, user_id, text="contenu")
    with app.app_context():
        jobs.run(job_id)
    job = fresh(job_id)
    assert job.status == "done" and jobs.result_file(job) is not None
    return job


@pytest.mark.parametrize("queue", ["sqlite"])  # no queue involved
def test_results_are_removed_at_the_end_of_the_retention_period(app, project, planner_client):
    job = built(app, project.id)
    path = jobs.result_file(job)
    orphan = Path(app.instance_path) / jobs.JOBS_FOLDER / "0"  # a job row gone (project deleted)
    orphan.mkdir(parents=True)
    edge = job.finished_at + timedelta(days=app.config["JOB_RETENTION_DAYS"])
    assert app.config["JOB_RETENTION_DAYS"] == 7

    with unit():
        assert jobs.purge_expired(edge - timedelta(seconds=1)) == 0
    assert path.is_file() and fresh(job.id).status == "done"
    assert not orphan.exists()
    with unit():
        assert jobs.purge_expired(edge) == 1
    assert not path.exists() and not path.parent.exists()
    job = fresh(job.id)
    assert (job.status, job.error, job.result_path) == ("expired", "job_result_expired", None)
    page = page_text(planner_client.get(f"/planner/jobs/{job.id}"))
    assert "Supprimé" in page or "Removed" in page
    assert planner_client.get(f"/planner/jobs/{job.id}/download").status_code == 404


@pytest.mark.parametrize("queue", ["sqlite"])  # no queue involved
def test_the_purge_command_removes_old_results(app, project, runner):
    job = built(app, project.id)
    with unit():
        fresh(job.id).finished_at = utcnow() - timedelta(days=8)
    result = runner.invoke(walkapp_cli, ["purge"])
    assert result.exit_code == 0, result.output
    assert "Job results removed after their retention: 1" in result.output
    assert fresh(job.id).status == "expired"


def test_an_erasure_forgets_the_results_it_made_stale(app, huey, project, tmp_path):
    other = Project(name="Autre projet", commune="Anzin")
    db.session.add(other)
    db.session.commit()
    mine, theirs, everyone = built(app, project.id), built(app, other.id), built(app, None)
    gate = tmp_path / "gate"
    with running_worker(app, gates=[gate]):
        running = start("test_gated", project.id, steps=2, at=1, gate=str(gate))
        wait_for_job(running, lambda job: job.done == 1, "the running job")
        # Queued behind the running one (one worker thread): it runs after the erasure.
        queued = start("test_text", project.id)
        with unit():
            assert jobs.forget_results(project.id) == 3  # mine, everyone's, the running one
        assert jobs.result_file(fresh(mine.id)) is None
        assert not (Path(app.instance_path) / jobs.JOBS_FOLDER / str(mine.id)).exists()
        assert not (Path(app.instance_path) / jobs.JOBS_FOLDER / str(everyone.id)).exists()
        assert jobs.result_file(fresh(theirs.id)) is not None
        gate.touch()
        wait_for_job(queued, lambda job: job.status == "done", "the queued job")
    for job_id in (mine.id, everyone.id, running):
        job = fresh(job_id)
        assert (job.status, job.error, job.result_path) == ("expired", "job_result_erased", None)
    # The job that was running when the erasure came offers nothing (it read the old data).
    assert not (Path(app.instance_path) / jobs.JOBS_FOLDER / str(running)).exists()
    assert fresh(theirs.id).status == "done"


# --- Who may see a job ---------------------------------------------------------------------------


@pytest.mark.parametrize("queue", ["sqlite"])  # no queue involved
def test_who_may_see_a_job(app, project):
    olga = make_user("olga@x.fr", "planner")
    job = built(app, project.id)
    lone = built(app, None, olga.id)  # a job of no project: hers
    users = {
        "member_planner": make_user("p@x.fr", "planner", projects=[project]),
        "member_viewer": make_user("v@x.fr", "viewer", projects=[project]),
        "member_facilitator": make_user("f@x.fr", "facilitator", projects=[project]),
        "planner_elsewhere": make_user("e@x.fr", "planner"),
        "admin": make_user("a@x.fr", "admin"),
    }
    expected = {
        "member_planner": (200, 404),
        "member_viewer": (403, 404),
        "member_facilitator": (403, 404),
        "planner_elsewhere": (404, 404),
        "admin": (200, 200),
    }
    for name, user in users.items():
        client = app.test_client()
        login(client, user)
        for job_id, status in zip((job.id, lone.id), expected[name], strict=True):
            for suffix in ("", "/status", "/download"):
                response = client.get(f"/planner/jobs/{job_id}{suffix}")
                response.close()
                assert response.status_code == status, (name, job_id, suffix)
    hers = app.test_client()
    login(hers, olga)
    assert hers.get(f"/planner/jobs/{lone.id}").status_code == 200
    assert hers.get(f"/planner/jobs/{job.id}").status_code == 404  # not in the project
    nobody = app.test_client()
    assert nobody.get(f"/planner/jobs/{job.id}").status_code == 302
    assert nobody.get(f"/planner/jobs/{job.id}/status").status_code == 401
    assert nobody.get(f"/planner/jobs/{job.id}/download").status_code == 302
    assert nobody.get("/planner/jobs/999999").status_code == 302


# --- The registry and the configuration ----------------------------------------------------------


@pytest.mark.parametrize("queue", ["sqlite"])  # no queue involved
def test_kinds_register_once_and_jobs_start_inside_a_unit(app, project):
    jobs.task("test_text")(job_builders.build_text)  # the same function again: replaced
    with pytest.raises(ValueError, match="already built by"):
        jobs.task("test_text")(lambda ctx: None)
    with pytest.raises(ValueError, match="no builder"), unit():
        jobs.start("no_such_kind", project_id=project.id, user_id=None, params={})
    with pytest.raises(RuntimeError, match="unit of work"):
        jobs.start("test_text", project_id=project.id, user_id=None, params={})
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


@pytest.mark.parametrize("queue", ["sqlite"])  # no queue involved
def test_the_job_pages_are_routes_of_the_planner(app):
    """walkapp/planner/__init__.py imports planner/jobs.py, as every view module of the area."""
    routes = {"planner.job", "planner.job_status", "planner.job_download"}
    assert routes <= app.view_functions.keys()


def test_the_queue_is_chosen_by_its_url(tmp_path):
    assert isinstance(jobs.make_huey("", str(tmp_path)), SqliteHuey)
    assert (tmp_path / jobs.QUEUE_FILE).exists()
    assert isinstance(jobs.make_huey("redis://127.0.0.1:6379/15", str(tmp_path)), RedisHuey)
    with pytest.raises(ValueError, match="WALKAPP_QUEUE_URL"):
        jobs.make_huey("amqp://broker", str(tmp_path))


def test_a_file_name_is_safe_on_disk_and_kept_for_the_download(tmp_path):
    ctx = jobs.JobContext(7, project_id=None, user_id=None, params={}, folder=tmp_path / "7")
    path = ctx.output("../../Annexe « Place du Canada ».docx")
    assert path.parent == tmp_path / "7"
    assert ctx.filename == "Annexe « Place du Canada ».docx"
    assert ctx.result_path == f"7/{path.name}" and path.name.endswith(".docx")
    assert "/" not in path.name and ".." not in path.name


@pytest.mark.parametrize("queue", ["sqlite"])  # no queue involved
def test_a_participants_erasure_removes_the_files_built_from_her_project(
    app, client, make_walk, join
):
    """Issue 14: after `DELETE /api/v1/me`, an annex or export built from her project's data is
    gone (its job says why), while another project's stays."""
    from conftest import auth
    from test_photos_api import new_spot

    walk, elsewhere = make_walk(), make_walk()
    token, _code, _ = join(walk)
    new_spot(client, token)
    hers, theirs = built(app, walk.project_id), built(app, elsewhere.project_id)
    hers_file = jobs.result_file(hers)
    assert client.delete("/api/v1/me", headers=auth(token)).status_code == 204
    assert (fresh(hers.id).status, fresh(hers.id).error) == ("expired", "job_result_erased")
    assert not hers_file.exists()
    assert jobs.result_file(fresh(theirs.id)) is not None
