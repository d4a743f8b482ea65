"""Long work in the background: annexes, the monitoring report, big exports, photo ZIPs.

A request never builds a large file itself (a proxy answers 504 after a minute, a survey tool's
export dies at 30): it adds a `Job` row (`start`) and, once its unit of work has committed,
puts the job's id on a task queue. A worker (`walkapp worker`, huey's consumer) takes it, runs
the kind's builder and writes the result under ``<instance>/jobs/<job id>/``; the planner's
page polls the row's progress and then offers the file (planner/jobs.py).

The queue is huey's: by default its SQLite storage in ``<instance>/jobs-queue.db`` (no server;
the web workers and the job worker of one machine share the file), `RedisHuey` when
WALKAPP_QUEUE_URL is ``redis://…`` (production; several machines). Only the job's id travels
on the queue: the database holds what to build, and the worker reads it there.

A builder (registered with `@task(kind)`) gets a `JobContext` and runs inside an app context
and a unit of work of its own, committed when it returns. That unit only reads unless the kind
says ``writes=True``: on SQLite a write transaction holds the database's one write lock for as
long as it lasts, and a long build must not keep every request from writing. (With
``writes=True`` on SQLite its progress cannot be committed beside it — the builder holds the
lock — and the page shows "being built" without figures.) What a job records for the audit log
is recorded by the request that starts it.

Progress is committed at once, in a short transaction of its own on a separate connection (so
the page sees it while the builder's unit is still open), at most twice a second.

How a job ends: the builder returns → ``done``; it raises a `ServiceError` → ``failed`` with
that error's code; anything else → ``failed``, ``job_crashed``, the traceback in the log. A
worker stopped mid-job (Ctrl+C, SIGTERM) marks its jobs ``failed``, ``job_interrupted``; one
killed outright (SIGKILL, a lost machine) leaves them ``running``: each running job beats a
heartbeat in the queue's storage every few seconds, and a worker that starts — and every worker
every five minutes — marks failed ``job_interrupted`` the running jobs whose heartbeat stopped
(`recover_interrupted`). They are not run again by themselves: the page says why and the planner
asks again (a half-built file is never offered, and a crash that kills the worker would
otherwise loop).

Results are files: removed JOB_RETENTION_DAYS (7) after the job ended (`purge_expired`, from
`walkapp purge` and the worker's housekeeping) and at once when an erasure makes them stale
(`forget_results`); the job then reads ``expired`` with the reason.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from werkzeug.utils import secure_filename

from . import unit_of_work
from .extensions import db, utcnow, write_intent
from .models import Job
from .services.errors import ServiceError

log = logging.getLogger(__name__)

EXTENSION_KEY = "walkapp.jobs"
QUEUE_FILE = "jobs-queue.db"
JOBS_FOLDER = "jobs"
# The statuses of a job (models.Job.status).
QUEUED, RUNNING, DONE, FAILED, EXPIRED = "queued", "running", "done", "failed", "expired"
STATUSES = (QUEUED, RUNNING, DONE, FAILED, EXPIRED)
ACTIVE = frozenset({QUEUED, RUNNING})
# Error codes of a job (error_messages.MESSAGES words them).
CRASHED = "job_crashed"
INTERRUPTED = "job_interrupted"
QUEUE_UNAVAILABLE = "job_queue_unavailable"
UNKNOWN_KIND = "job_kind_unknown"
RESULT_EXPIRED = "job_result_expired"  # the retention period has passed
RESULT_ERASED = "job_result_erased"  # an erasure made it stale
DEFAULT_RETENTION_DAYS = 7
PROGRESS_INTERVAL = 0.5  # seconds between two progress commits: ~2 a second at most
HEARTBEAT_SECONDS = 10.0
# A running job whose heartbeat is older than this is taken for dead (config JOB_STALE_SECONDS).
STALE_SECONDS = 60.0
HOUSEKEEPING_MINUTES = "*/5"  # the worker's own recovery and purge, every five minutes
# How the consumer polls an embedded (SQLite) queue: every 0.1 s after a job, backing off to
# once a second when idle (Redis blocks on the list and needs no polling).
POLL = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 1.0}


# --- Kinds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    build: Callable[[JobContext], None]
    label: Any  # a lazy msgid: what the page says is being built
    writes: bool = False


KINDS: dict[str, Kind] = {}


def task(kind: str, *, label: Any = None, writes: bool = False):
    """Register ``fn(ctx: JobContext) -> None`` as the builder of `kind`. `label` (a lazy
    msgid) is what the job's page says is being built; `writes`: the builder's unit writes
    (see the module's docstring). Registering the same function again (a module imported
    twice) replaces it; another function under a taken kind is a mistake."""
    if not kind or len(kind) > 40:
        raise ValueError(f"a job kind has 1 to 40 characters: {kind!r}")

    def register(fn: Callable[[JobContext], None]) -> Callable[[JobContext], None]:
        known = KINDS.get(kind)
        if known is not None and _identity(known.build) != _identity(fn):
            raise ValueError(f"job kind {kind!r} is already built by {_identity(known.build)}")
        KINDS[kind] = Kind(kind, fn, label, writes)
        return fn

    return register


def _identity(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


def kind_label(kind: str) -> str:
    """What a job of `kind` builds, in the current language (the code when unlabelled)."""
    known = KINDS.get(kind)
    return str(known.label) if known is not None and known.label is not None else kind


# --- The builder's side -----------------------------------------------------------------------


class JobContext:
    """What a builder gets: the job's ids and parameters, `progress` and `output`."""

    def __init__(
        self,
        job_id: int,
        *,
        project_id: int | None,
        user_id: int | None,
        params: dict,
        folder: Path,
        separate_progress: bool = True,
    ):
        self.job_id = job_id
        self.project_id = project_id
        self.user_id = user_id
        self.params = params
        self.folder = folder
        self.done = 0
        self.total: int | None = None
        self.filename: str | None = None
        self.result_path: str | None = None
        self._separate_progress = separate_progress
        self._written: tuple[int, int | None] | None = None
        self._last_write = float("-inf")

    def progress(self, done: int, total: int | None = None) -> None:
        """`done` of `total` steps (total None: the one given before, or unknown). Committed at
        once in a short transaction of its own, at most every PROGRESS_INTERVAL seconds (the
        last step and a new total always): cheap to call for every row."""
        self.done = max(0, int(done))
        if total is not None:
            self.total = max(0, int(total))
        now = time.monotonic()
        final = self.total is not None and self.done >= self.total
        new_total = self._written is None or self._written[1] != self.total
        if not (final or new_total) and now - self._last_write < PROGRESS_INTERVAL:
            return
        if (self.done, self.total) == self._written:
            return
        self._last_write = now
        self._written = (self.done, self.total)
        if self._separate_progress:
            _write_progress(self.job_id, self.done, self.total)

    def output(self, filename: str) -> Path:
        """The path to write the result to, under ``<instance>/jobs/<job id>/``; `filename` is
        the name it downloads as (any text: the name on disk is a safe one)."""
        name = Path(filename.replace("\\", "/")).name.strip() or "result"
        self.filename = _shorten(name, 200)
        on_disk = _shorten(secure_filename(name) or "result", 100)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.result_path = f"{self.job_id}/{on_disk}"
        return self.folder / on_disk


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    suffix = "".join(Path(name).suffixes[-1:])[:20]
    return name[: limit - len(suffix)] + suffix


def _write_progress(job_id: int, done: int, total: int | None) -> None:
    """One short write transaction on its own connection (not the builder's session)."""
    token = write_intent.set(True)  # SQLite: BEGIN IMMEDIATE, a write
    try:
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.status == RUNNING)
                .values(done=done, total=total)
            )
    except sa.exc.OperationalError:
        log.warning("progress of job %s not recorded (database busy)", job_id, exc_info=True)
    finally:
        write_intent.reset(token)


# --- Starting a job (in a request) --------------------------------------------------------------


def start(kind: str, *, project_id: int | None, user_id: int | None, params: dict) -> Job:
    """Add a queued job inside the current unit of work (a request's, a command's); it is put
    on the queue once that unit has committed. `params` must be JSON."""
    if kind not in KINDS:
        raise ValueError(f"no builder is registered for job kind {kind!r}")
    if unit_of_work._current.get() is None:
        raise RuntimeError("jobs.start runs inside a unit of work (it enqueues after the commit)")
    job = Job(
        kind=kind,
        params=dict(params),
        project_id=project_id,
        user_id=user_id,
        status=QUEUED,
        done=0,
    )
    db.session.add(job)
    db.session.flush()
    unit_of_work.after_commit(_enqueue, current_app._get_current_object(), job.id)
    return job


def _enqueue(app: Flask, job_id: int) -> None:
    try:
        app.extensions[EXTENSION_KEY].run_job(job_id)
    except Exception:
        log.exception("job %s could not be put on the queue", job_id)
        with unit_of_work.unit():
            _end(job_id, FAILED, error=QUEUE_UNAVAILABLE)


# --- Running a job (in the worker) --------------------------------------------------------------


@dataclass
class _Claim:
    kind: str
    project_id: int | None
    user_id: int | None
    params: dict = field(default_factory=dict)


def _claim(job_id: int) -> _Claim | None:
    """queued → running, in a short unit; None if the job is gone or not queued (any more)."""
    with unit_of_work.unit():
        job = _locked(job_id)
        if job is None or job.status != QUEUED:
            return None
        job.status, job.started_at, job.done = RUNNING, utcnow(), 0
        return _Claim(job.kind, job.project_id, job.user_id, dict(job.params or {}))


def _locked(job_id: int) -> Job | None:
    """The job's row read afresh (another connection wrote its progress), locked on
    PostgreSQL; on SQLite the unit's BEGIN IMMEDIATE already serialises writers."""
    return db.session.execute(
        sa.select(Job)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _end(job_id: int, status: str, **values: Any) -> bool:
    """A running (or queued) job ends with `status`, in the current unit. False if it ended
    otherwise meanwhile (an erasure expired it, its project was deleted): its folder goes."""
    job = _locked(job_id)
    if job is None or job.status not in ACTIVE:
        unit_of_work.after_commit(_remove_folders, _jobs_dir(), [job_id])
        return False
    job.status, job.finished_at = status, utcnow()
    for name, value in values.items():
        setattr(job, name, value)
    if status != DONE:
        job.result_path = None
        unit_of_work.after_commit(_remove_folders, _jobs_dir(), [job_id])
    return True


def run(job_id: int) -> None:
    """Build job `job_id` (the queue's task; in an app context). Never raises for the
    builder's failures: they end the job."""
    claim = _claim(job_id)
    if claim is None:
        log.info("job %s is not queued any more: not run", job_id)
        return
    kind = KINDS.get(claim.kind)
    if kind is None:
        log.error("job %s: no builder for kind %r in this worker", job_id, claim.kind)
        with unit_of_work.unit():
            _end(job_id, FAILED, error=UNKNOWN_KIND)
        return
    context = JobContext(
        job_id,
        project_id=claim.project_id,
        user_id=claim.user_id,
        params=claim.params,
        folder=_jobs_dir() / str(job_id),
        separate_progress=not (kind.writes and db.engine.dialect.name == "sqlite"),
    )
    beat = _Heartbeat(current_app.extensions[EXTENSION_KEY].huey, job_id)
    beat.start()
    try:
        outcome = _build(kind, context)
    finally:
        beat.stop()
    with unit_of_work.unit():
        _end(job_id, **outcome)


def _build(kind: Kind, context: JobContext) -> dict[str, Any]:
    """Run the builder in its unit; how the job ends (`_end`'s arguments)."""
    try:
        with unit_of_work.unit(write=kind.writes) as current:
            kind.build(context)
    except ServiceError as exc:
        code = next(iter(exc.codes.values()), CRASHED)
        log.info("job %s (%s) refused: %s", context.job_id, kind.name, exc.codes)
        return {"status": FAILED, "error": code[:200]}
    except Exception:
        log.exception("job %s (%s) crashed", context.job_id, kind.name)
        return {"status": FAILED, "error": CRASHED}
    except BaseException:
        # The worker is stopping under it (SystemExit, KeyboardInterrupt): end it as such.
        with unit_of_work.unit():
            _end(context.job_id, FAILED, error=INTERRUPTED)
        raise
    if current.failed and kind.writes:
        log.error("job %s (%s): a refusal rolled its unit back", context.job_id, kind.name)
        return {"status": FAILED, "error": CRASHED}
    total = context.total if context.total is not None else context.done
    return {
        "status": DONE,
        "done": max(context.done, total),
        "total": total,
        "result_path": context.result_path,
        "filename": context.filename,
    }


class _Heartbeat:
    """A running job's sign of life in the queue's storage, every HEARTBEAT_SECONDS."""

    def __init__(self, huey, job_id: int):
        self.huey, self.key = huey, _heartbeat_key(job_id)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat")
        self._thread.daemon = True

    def _beat(self) -> None:
        try:
            self.huey.put(self.key, time.time())
        except Exception:
            log.warning("heartbeat %s not recorded", self.key, exc_info=True)

    def _run(self) -> None:
        while not self._stopped.wait(HEARTBEAT_SECONDS):
            self._beat()

    def start(self) -> None:
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        try:
            self.huey.delete(self.key)
        except Exception:
            log.warning("heartbeat %s not removed", self.key, exc_info=True)


def _heartbeat_key(job_id: int) -> str:
    return f"walkapp-job-heartbeat:{job_id}"


def last_heartbeat(job_id: int) -> float | None:
    """When the worker running job `job_id` last said it was alive (Unix time), if it did."""
    value = current_app.extensions[EXTENSION_KEY].huey.get(_heartbeat_key(job_id), peek=True)
    return float(value) if value is not None else None


def recover_interrupted(now: datetime | None = None) -> int:
    """Running jobs whose worker died (no heartbeat for JOB_STALE_SECONDS) → failed,
    ``job_interrupted``; in the current unit. How many."""
    now = now or utcnow()
    stale = float(current_app.config.get("JOB_STALE_SECONDS", STALE_SECONDS))
    ended = []
    for job in db.session.scalars(sa.select(Job).where(Job.status == RUNNING)):
        beat = last_heartbeat(job.id)
        alive_at = beat if beat is not None else (job.started_at or job.created_at).timestamp()
        if now.timestamp() - alive_at > stale:
            job.status, job.error, job.finished_at, job.result_path = FAILED, INTERRUPTED, now, None
            ended.append(job.id)
    if ended:
        log.warning("jobs %s were interrupted (their worker stopped): marked failed", ended)
        unit_of_work.after_commit(_remove_folders, _jobs_dir(), ended)
    return len(ended)


# --- Results -----------------------------------------------------------------------------------


def _jobs_dir(app: Flask | None = None) -> Path:
    return Path((app or current_app).instance_path) / JOBS_FOLDER


def result_file(job: Job) -> Path | None:
    """The file of a done job, if it is still there."""
    if job.status != DONE or not job.result_path:
        return None
    root = _jobs_dir().resolve()
    path = (root / job.result_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def retention() -> timedelta:
    days = current_app.config.get("JOB_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    return timedelta(days=float(days))


def available_until(job: Job) -> datetime | None:
    """When a done job's file is removed."""
    return job.finished_at + retention() if job.status == DONE and job.finished_at else None


def forget_results(project_id: int) -> int:
    """An erasure in the project made its results stale: its done and running jobs, and those
    of no project (reports across projects), are marked expired (``job_result_erased``); their
    files are deleted once the current unit has committed. A queued job reads the data when it
    runs, after the erasure: it stays. How many jobs were expired."""
    jobs = db.session.scalars(
        sa.select(Job).where(
            sa.or_(Job.project_id == project_id, Job.project_id.is_(None)),
            Job.status.in_((DONE, RUNNING)),
        )
    ).all()
    return _expire(jobs, RESULT_ERASED)


def purge_expired(now: datetime | None = None) -> int:
    """Results of jobs that ended JOB_RETENTION_DAYS ago or more: files deleted after the
    current unit commits, jobs marked expired (``job_result_expired``); folders that no job
    owns any more (its project was deleted) go too. How many jobs were expired."""
    now = now or utcnow()
    jobs = db.session.scalars(
        sa.select(Job).where(Job.status == DONE, Job.finished_at <= now - retention())
    ).all()
    count = _expire(jobs, RESULT_EXPIRED)
    keep = set(db.session.scalars(sa.select(Job.id).where(Job.status.in_((*ACTIVE, DONE)))))
    newest = db.session.scalar(sa.select(sa.func.max(Job.id))) or 0
    unit_of_work.after_commit(_remove_orphans, _jobs_dir(), keep, newest)
    return count


def _expire(jobs: Iterable[Job], reason: str) -> int:
    ids = []
    now = utcnow()
    for job in jobs:
        job.status, job.error, job.result_path = EXPIRED, reason, None
        job.finished_at = job.finished_at or now
        ids.append(job.id)
    db.session.flush()
    if ids:
        unit_of_work.after_commit(_remove_folders, _jobs_dir(), ids)
    return len(ids)


def _remove_folders(root: Path, job_ids: Iterable[int]) -> None:
    for job_id in job_ids:
        shutil.rmtree(root / str(int(job_id)), ignore_errors=True)


def _remove_orphans(root: Path, keep: set[int], newest: int) -> None:
    """Folders of jobs that are gone or over (ids above `newest` were made meanwhile)."""
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.is_dir() and folder.name.isdigit():
            job_id = int(folder.name)
            if job_id <= newest and job_id not in keep:
                shutil.rmtree(folder, ignore_errors=True)


# --- The queue -----------------------------------------------------------------------------------


@dataclass
class Queue:
    """The app's huey instance and its one task (the job's id is all it carries)."""

    huey: Any
    run_job: Any
    url: str

    def describe(self) -> str:
        return "Redis" if self.url else "the embedded SQLite queue"


def make_huey(url: str, instance_path: str, name: str = "walkapp"):
    """'' (SQLite storage in the instance folder) or 'redis://…' / 'rediss://…' / 'unix://…'."""
    from huey import RedisHuey, SqliteHuey

    if not url:
        return SqliteHuey(name, filename=str(Path(instance_path) / QUEUE_FILE), results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    raise ValueError(
        f"WALKAPP_QUEUE_URL must be empty (a SQLite file of the instance folder, shared by the "
        f"workers of one machine) or a redis:// URL, not {url!r}"
    )


def init_app(app: Flask) -> None:
    """The app's queue (storage from QUEUE_URL); its task runs each job in an app context."""
    from huey import crontab
    from huey.signals import SIGNAL_INTERRUPTED

    url = app.config.get("QUEUE_URL", "")
    huey = make_huey(url, app.instance_path, app.config.get("QUEUE_NAME", "walkapp"))

    @huey.task(name="run_job")
    def run_job(job_id: int) -> None:
        with app.app_context():
            try:
                run(job_id)
            finally:
                db.session.remove()

    @huey.periodic_task(crontab(minute=HOUSEKEEPING_MINUTES), name="housekeeping")
    def housekeeping() -> None:
        with app.app_context():
            try:
                with unit_of_work.unit():
                    recover_interrupted()
                    purge_expired()
            finally:
                db.session.remove()

    @huey.signal(SIGNAL_INTERRUPTED)
    def interrupted(signal, task, *args, **kwargs) -> None:
        # The consumer stopped (SIGTERM) with this job in flight.
        if task.name != "run_job" or not task.args:
            return
        with app.app_context():
            try:
                with unit_of_work.unit():
                    _end(int(task.args[0]), FAILED, error=INTERRUPTED)
            finally:
                db.session.remove()

    app.extensions[EXTENSION_KEY] = Queue(huey, run_job, url)


def consumer(app: Flask, *, workers: int = 1, periodic: bool = True):
    """huey's consumer of the app's queue: `workers` threads each running one job at a time,
    and the scheduler of the housekeeping task (`periodic`)."""
    queue: Queue = app.extensions[EXTENSION_KEY]
    return queue.huey.create_consumer(
        workers=workers, worker_type="thread", periodic=periodic, **POLL
    )
