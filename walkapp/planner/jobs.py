"""A background job's page: what is being built, its progress, then the file or why it failed.

- `job` is the page. Its script (static/planner/jobs.js; no inline script under the CSP) polls
  `job_status` every second and updates the progress bar and the live region in place; without
  script the page refreshes itself every few seconds while the job runs (a <noscript> refresh)
  and has a reload link.
- `job_download` sends the result as an attachment, never cached.

Who may see a job: the members of its project whose role may export (others of the project:
403; anyone else: 404, as for any project); a job of no project, its own user and the
administrators (anyone else: 404).
"""

from __future__ import annotations

from flask import abort, jsonify, render_template, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import jobs
from ..access import project_or_404
from ..domain.permissions import EXPORT
from ..error_messages import message
from ..extensions import db
from ..models import Job, Project
from ..services.errors import Problem
from .blueprint import bp
from .live import json_view

POLL_SECONDS = 1
NO_SCRIPT_REFRESH_SECONDS = 5


def job_or_404(job_id: int) -> tuple[Job, Project | None]:
    """The job and its project, if the current user may see it (see the module's docstring)."""
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    if job.project_id is not None:
        return job, project_or_404(job.project_id, EXPORT)
    if current_user.role != "admin" and job.user_id != current_user.id:
        abort(404)
    return job, None


def status_texts() -> dict[str, str]:
    return {
        jobs.QUEUED: _("Waiting for its turn"),
        jobs.RUNNING: _("Being built"),
        jobs.DONE: _("Ready"),
        jobs.FAILED: _("Failed"),
        jobs.EXPIRED: _("Removed"),
    }


def progress_text(job: Job) -> str:
    """ "12 / 40" (numbers in the page's language); "12" while the total is unknown."""
    if job.total is not None:
        return _(
            "%(done)s / %(total)s", done=format_decimal(job.done), total=format_decimal(job.total)
        )
    return format_decimal(job.done) if job.done else ""


def job_state(job: Job) -> dict:
    """What the page shows and its script polls."""
    result = jobs.result_file(job)
    return {
        "status": job.status,
        "status_text": status_texts().get(job.status, job.status),
        "done": job.done,
        "total": job.total,
        "progress_text": progress_text(job),
        "error_message": message(Problem(job.error)) if job.error else None,
        "download_url": (
            url_for("planner.job_download", job_id=job.id) if result is not None else None
        ),
        "filename": job.filename if result is not None else None,
    }


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    found, project = job_or_404(job_id)
    return render_template(
        "planner/job.html",
        job=found,
        project=project,
        what=jobs.kind_label(found.kind),
        state=job_state(found),
        active=found.status in jobs.ACTIVE,
        available_until=jobs.available_until(found),
        poll_seconds=POLL_SECONDS,
        refresh_seconds=NO_SCRIPT_REFRESH_SECONDS,
    )


@bp.get("/jobs/<int:job_id>/status")
@json_view
def job_status(job_id: int):
    found, _project = job_or_404(job_id)
    response = jsonify(job_state(found))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/jobs/<int:job_id>/download")
@login_required
def job_download(job_id: int):
    found, _project = job_or_404(job_id)
    path = jobs.result_file(found)
    if path is None:
        abort(404)
    response = send_file(
        path,
        as_attachment=True,
        download_name=found.filename or path.name,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
