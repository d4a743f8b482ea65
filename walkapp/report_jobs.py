"""The annual monitoring report as a background job (walkapp.jobs), in DOCX or HTML.

- `request_report(...)`: the request's half — the right checked (she may export at least one
  project; services.report.check_allowed), the request recorded in the audit log, the job
  queued with the projects and the period; returns the Job. A report spans projects: its job
  belongs to no project (planner/jobs.py: its user and the administrators see it).
- the builder `report` reads the content (services.report) and writes the file; it only reads.
  It checks the rights again when it runs: a project she may no longer export is left out, and
  nothing is built for an account that is gone or may export nothing any more.

Imported by the app factory, so that the web server and `walkapp worker` know the kind.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from . import jobs
from .domain import report as domain
from .extensions import db
from .models import Job
from .services import audit
from .services import report as service
from .services.errors import Forbidden, Invalid

KIND = "report"
FORMATS = ("docx", "html")
LANGUAGES = service.LANGUAGES


def request_report(
    user_id: int,
    role: str | None,
    period: domain.Period,
    format: str,
    *,
    language: str = LANGUAGES[0],
    project_ids: list[int] | None = None,
) -> Job:
    """Record and queue the report of `period` over the projects `user_id` may export (or the
    `project_ids` among them). `role` is the account's, kept in the audit entry."""
    if format not in FORMATS:
        raise Invalid({"format": "invalid"})
    if language not in LANGUAGES:
        raise Invalid({"language": "invalid"})
    scope = service.check_allowed(user_id, project_ids)
    params: dict[str, Any] = {
        "format": format,
        "language": language,
        **period.to_params(),
        "projects": scope,
    }
    audit.record(
        "export",
        "report",
        None,
        user_id=user_id,
        details={"layer": "report", "role": role, **params},
    )
    return jobs.start(KIND, project_id=None, user_id=user_id, params=params)


@jobs.task(KIND, label=_l("Monitoring report"))
def build_report(ctx: jobs.JobContext) -> None:
    # The writers word the indicators as the pages do (planner.indicators): imported here, when
    # a report is built, not when the app factory imports the job kinds.
    from .exporters import report_docx, report_html

    params = ctx.params
    fmt, language = params.get("format"), params.get("language", LANGUAGES[0])
    if ctx.user_id is None or fmt not in FORMATS or language not in LANGUAGES:
        raise Forbidden({"body": "export_not_allowed"})
    period = domain.Period.from_params(params)
    allowed = set(service.exportable_project_ids(ctx.user_id))
    asked = [int(i) for i in params.get("projects") or []]
    scope = [i for i in asked if i in allowed]
    if not scope:
        raise Forbidden({"body": "export_not_allowed"})
    with force_locale(language):
        content = service.report_content(
            ctx.user_id, period, scope, language=language, progress=None
        )
        path = ctx.output(domain.file_name(period, language, fmt))
        writer = report_docx.write_docx if fmt == "docx" else report_html.write_html
        with open(path, "wb") as out:
            writer(content, out, progress=ctx.progress)


def recent_jobs(user_id: int, limit: int = 10) -> list[Job]:
    """The user's latest reports, newest first (the report page lists them)."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.kind == KIND, Job.user_id == user_id)
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )
