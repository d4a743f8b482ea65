"""A real worker for the tests: huey's consumer of the test's app, in threads of the test
process (`running_worker`), or `walkapp worker` as a subprocess (`worker_process`) that also
registers the test kinds (job_builders.py); and waiting for a job's row to reach a state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from walkapp import jobs
from walkapp.extensions import db
from walkapp.models import Job

TESTS = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("WALKAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WAIT_LIMIT = 60.0  # a bound on waiting, never an assertion on how long it took


@contextmanager
def running_worker(app, workers: int = 1, gates: Iterable[Path] = ()) -> Iterator[object]:
    """The app's consumer in threads of this process, stopped gracefully (running jobs end;
    the `gates` of test_gated jobs are opened first, so a failed test never waits on one)."""
    consumer = jobs.consumer(app, workers=workers, periodic=False)
    # Signals belong to the test runner, not to a consumer started by a test.
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    try:
        yield consumer
    finally:
        for gate in gates:
            gate.touch()
        consumer.stop(graceful=True)


def worker_command() -> list[str]:
    """`walkapp worker` in a new Python that has imported the test kinds first."""
    code = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r}); import job_builders; "
        "from walkapp.cli import main; main(['worker'])"
    )
    return [sys.executable, "-c", code]


def worker_process(app, log_path: Path) -> subprocess.Popen:
    """`walkapp worker` on the app's database, instance folder and queue."""
    env = {
        **os.environ,
        "WALKAPP_INSTANCE_PATH": app.instance_path,
        "WALKAPP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "WALKAPP_SECRET_KEY": "test",
        "WALKAPP_QUEUE_URL": app.config["QUEUE_URL"],
        "WALKAPP_TILE_URL": "",
    }
    with log_path.open("ab") as log:
        return subprocess.Popen(
            worker_command(),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def fresh(job_id: int) -> Job:
    """The job's row as the database has it now (another thread or process wrote it)."""
    db.session.rollback()
    return db.session.execute(
        sa.select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).scalar_one()


def wait_for_job(job_id: int, check: Callable[[Job], bool], what: str = "the job") -> Job:
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        job = fresh(job_id)
        if check(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {job.status} ({job.done}/{job.total})")
        time.sleep(0.05)


def wait_until_ended(job_id: int) -> Job:
    return wait_for_job(job_id, lambda job: job.status not in jobs.ACTIVE, "the job's end")
