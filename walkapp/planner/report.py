"""The annual monitoring report of the gender-equality action plan: asked for here, built in
the background (walkapp.report_jobs), downloaded from the job's page.

An administrator reports on every project; anyone else on the projects where her role may
export (domain.permissions.EXPORT). The page is open to every account: without such a project it
says so and offers nothing to build (asking anyway is refused, 403).
"""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import jobs, report_jobs
from ..domain.report import Period
from ..error_messages import flash_refusal
from ..extensions import utcnow
from ..services import report as service
from ..services.errors import ServiceError
from .blueprint import bp
from .forms import ReportForm
from .jobs import status_texts


def _form(years: list[int]) -> ReportForm:
    form = ReportForm()
    offered = years or [utcnow().year]
    form.year.choices = [SelectChoice(str(y), str(y)) for y in offered]
    if form.year.data is None:
        form.year.data = str(offered[0])
    return form


def _page(form: ReportForm, status: int = 200):
    return (
        render_template(
            "planner/report.html",
            form=form,
            projects=service.exportable_projects(current_user.id),
            all_projects=current_user.role == "admin",
            recent=report_jobs.recent_jobs(current_user.id),
            kind_label=jobs.kind_label,
            status_texts=status_texts(),
        ),
        status,
    )


def _period(form: ReportForm) -> Period:
    if form.period.data == "dates":
        return Period.between(form.first_day.data, form.last_day.data)
    return Period.year(int(form.year.data))


@bp.get("/report")
@login_required
def report():
    return _page(_form(service.report_years(current_user.id)))


@bp.post("/report")
@login_required
def report_start():
    form = _form(service.report_years(current_user.id))
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        job = report_jobs.request_report(
            current_user.id,
            current_user.role,
            _period(form),
            form.format.data,
            language=form.language.data,
        )
    except ServiceError as exc:
        flash_refusal(exc)
        return _page(form, exc.status)
    return redirect(url_for("planner.job", job_id=job.id), 303)
