"""The exports page of a project: the data (XLSX, CSV, GeoJSON) and the photos (ZIP) of the
spots the map's filters keep, the tender annex as a Word document, and the usage counts in the
Public Life Data Protocol's tables (a ZIP of CSV files), and the answers to an appropriation
questionnaire (XLSX or CSV). Each is asked for here,
recorded and prepared in the request, and built in the background (walkapp.export_jobs): the
answer is the job's page, which shows its progress and then the file."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from .. import export_jobs, jobs
from ..access import project_or_404, role_in
from ..domain.permissions import EXPORT
from ..error_messages import flash_refusal
from ..services import answers_export, exports, pldp_export
from ..services.errors import ServiceError
from ..services.observation_filter import from_args, to_args
from .blueprint import bp
from .forms import AnnexDocxForm, AnswersExportForm, ExportForm
from .jobs import status_texts


class CountsExportForm(FlaskForm):
    """The usage counts' export: nothing to choose, only the CSRF token."""


def answers_form(project_id: int, formdata=None) -> AnswersExportForm:
    """The answers' form, its questionnaires the project's (newest first, with their n)."""
    form = AnswersExportForm(formdata=formdata, prefix="answers")
    form.questionnaire.choices = [
        (
            q.id,
            ngettext("%(title)s — %(num)s answer", "%(title)s — %(num)s answers", n, title=q.title),
        )
        for q, n in answers_export.questionnaire_choices(project_id)
    ]
    return form


def _page(
    project,
    filters,
    export_form,
    annex_form,
    status: int = 200,
    counts_form=None,
    survey_form=None,
):
    survey_form = survey_form or answers_form(project.id)
    return (
        render_template(
            "planner/exports.html",
            project=project,
            args=to_args(filters),
            filters_text=exports.describe_filters(filters),
            export_form=export_form,
            annex_form=annex_form,
            counts_form=counts_form or CountsExportForm(),
            has_counts=pldp_export.has_counts(project.id),
            survey_form=survey_form,
            recent=export_jobs.recent_jobs(project.id),
            kind_label=jobs.kind_label,
            status_texts=status_texts(),
        ),
        status,
    )


@bp.get("/projects/<int:project_id>/exports")
@login_required
def exports_page(project_id: int):
    project = project_or_404(project_id, EXPORT)
    filters = from_args(request.args, exports.EXPORT_FIELDS)
    return _page(project, filters, ExportForm(), AnnexDocxForm())


@bp.post("/projects/<int:project_id>/exports")
@login_required
def export_start(project_id: int):
    project = project_or_404(project_id, EXPORT)
    filters = from_args(request.form, exports.EXPORT_FIELDS)
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(project, filters, form, AnnexDocxForm(), 422)
    try:
        job = export_jobs.request_export(
            project.id,
            filters,
            format=form.format.data,
            layer=form.layer.data,
            french=form.french.data,
            lambert93=form.lambert93.data,
            language=form.language.data,
            user_id=current_user.id,
            role=role_in(project.id),
        )
    except ServiceError as exc:
        flash_refusal(exc)
        return _page(project, filters, form, AnnexDocxForm(), exc.status)
    return redirect(url_for("planner.job", job_id=job.id), 303)


@bp.post("/projects/<int:project_id>/annex/docx")
@login_required
def annex_docx_start(project_id: int):
    project = project_or_404(project_id, EXPORT)
    form = AnnexDocxForm()
    if not form.validate_on_submit():
        filters = from_args(MultiDict(), exports.EXPORT_FIELDS)
        return _page(project, filters, ExportForm(), form, 422)
    job = export_jobs.request_annex(
        project.id, language=form.language.data, user_id=current_user.id, role=role_in(project.id)
    )
    return redirect(url_for("planner.job", job_id=job.id), 303)


@bp.post("/projects/<int:project_id>/counts/export")
@login_required
def counts_export(project_id: int):
    project = project_or_404(project_id, EXPORT)
    form = CountsExportForm()
    if not form.validate_on_submit():
        filters = from_args(MultiDict(), exports.EXPORT_FIELDS)
        return _page(project, filters, ExportForm(), AnnexDocxForm(), 422, counts_form=form)
    job = export_jobs.request_pldp(project.id, user_id=current_user.id, role=role_in(project.id))
    return redirect(url_for("planner.job", job_id=job.id), 303)


@bp.post("/projects/<int:project_id>/answers/export")
@login_required
def answers_export_start(project_id: int):
    project = project_or_404(project_id, EXPORT)
    form = answers_form(project.id, request.form)
    filters = from_args(MultiDict(), exports.EXPORT_FIELDS)
    if not form.validate_on_submit():
        return _page(project, filters, ExportForm(), AnnexDocxForm(), 422, survey_form=form)
    job = export_jobs.request_answers(
        project.id,
        form.questionnaire.data,
        format=form.format.data,
        french=form.french.data,
        language=form.language.data,
        user_id=current_user.id,
        role=role_in(project.id),
    )
    return redirect(url_for("planner.job", job_id=job.id), 303)
