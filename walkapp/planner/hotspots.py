"""Hotspots of a project (Gi* on a 50 m band, exact conditional-randomisation tests) and the
findings confirmed from them.

Thin views: parse the filters, call services.hotspots, render. Everyone on the project reads
(READ); confirming, editing and deleting a finding is project work (EDIT_PROJECT: planners and
admins). The statistics a finding keeps are computed by the server when it is confirmed, never
taken from the form.
"""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..access import may, project_or_404
from ..domain import hotspots as domain
from ..domain import vocabularies
from ..domain.permissions import EDIT_PROJECT, READ
from ..domain.thresholds import enough_people
from ..error_messages import flash_refusal
from ..services import hotspots as service
from ..services import triage as triage_service
from ..services.errors import Conflict, Invalid, NotFound
from ..services.observation_filter import (
    CATEGORY,
    EVENT,
    LIGHT,
    POSITION,
    ObservationFilter,
    from_args,
    to_args,
)
from .blueprint import bp
from .forms import no_control_characters, strip


class FindingForm(FlaskForm):
    title = StringField(
        _l("Title of the finding"),
        validators=[DataRequired(), Length(max=service.TITLE_MAX_LENGTH), no_control_characters],
        filters=[strip],
        description=_l("For example: dark underpass, no way to see who comes."),
    )
    recommendation = TextAreaField(
        _l("Recommendation"),
        validators=[
            DataRequired(),
            Length(max=service.RECOMMENDATION_MAX_LENGTH),
            no_control_characters,
        ],
        filters=[strip],
        description=_l("What the works should do here. It goes into the tender specification."),
    )


# --- Filters --------------------------------------------------------------------------------


# The fields of the filter the hotspots page offers. No "hidden": hidden spots never reach the
# statistics, whatever the address says.
HOTSPOT_FIELDS = (EVENT, CATEGORY, LIGHT, POSITION)


PLACE_KEY = re.compile(r"[0-9a-f]{16}")


def _key_or_404(key: str) -> str:
    if not PLACE_KEY.fullmatch(key):
        abort(404)
    return key


def _page_context(project, filters: ObservationFilter) -> dict:
    return {
        "project": project,
        "filters": filters,
        "filter_args": to_args(filters),
        "walks": {walk.id: walk for walk in triage_service.project_walks(project.id)},
        "vocab": vocabularies,
        "enough_people": enough_people,
        "can_edit": may(project.id, EDIT_PROJECT),
    }


# --- Pages ----------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/hotspots")
@login_required
def hotspots(project_id: int):
    project = project_or_404(project_id, READ)
    filters = from_args(request.args, HOTSPOT_FIELDS)
    analysis = service.analysis(project.id, filters)
    return render_template(
        "planner/hotspots.html",
        analysis=analysis,
        places=analysis.hotspots or analysis.consensus,
        findings=service.findings_of(project.id, analysis.hotspots + analysis.consensus),
        numbers=domain.explain_numbers(),
        **_page_context(project, filters),
    )


@bp.route("/projects/<int:project_id>/hotspots/<key>/confirm", methods=["GET", "POST"])
@login_required
def confirm_finding(project_id: int, key: str):
    project = project_or_404(project_id, EDIT_PROJECT)
    key = _key_or_404(key)
    filters = from_args(request.args, HOTSPOT_FIELDS)
    hotspot = service.place(project.id, key, filters)
    if hotspot is None:
        abort(404)
    existing = service.findings_of(project.id, [hotspot]).get(key)
    if existing is not None:
        flash(_("This place is already a finding. You can edit it here."), "ok")
        return redirect(
            url_for("planner.edit_finding", project_id=project.id, finding_id=existing.id)
        )
    form = FindingForm()
    if form.validate_on_submit():
        try:
            service.confirm(
                project.id,
                key,
                filters,
                title=form.title.data,
                recommendation=form.recommendation.data,
                user_id=current_user.id,
            )
        except (Invalid, NotFound, Conflict) as exc:
            flash_refusal(exc)
            return redirect(url_for("planner.hotspots", project_id=project.id, **to_args(filters)))
        flash(_("The hotspot is now a finding."), "ok")
        return redirect(url_for("planner.findings", project_id=project.id), code=303)
    return render_template(
        "planner/hotspot_confirm.html",
        hotspot=hotspot,
        form=form,
        **_page_context(project, filters),
    )


@bp.get("/projects/<int:project_id>/findings")
@login_required
def findings(project_id: int):
    project = project_or_404(project_id, READ)
    return render_template(
        "planner/hotspot_findings.html",
        findings=service.project_findings(project.id),
        **_page_context(project, ObservationFilter()),
    )


def _finding_or_404(project_id: int, finding_id: int):
    try:
        return service.project_finding(project_id, finding_id)
    except NotFound:
        abort(404)


@bp.route("/projects/<int:project_id>/findings/<int:finding_id>/edit", methods=["GET", "POST"])
@login_required
def edit_finding(project_id: int, finding_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    finding = _finding_or_404(project.id, finding_id)
    form = FindingForm(obj=finding)
    if form.validate_on_submit():
        try:
            service.edit(
                finding,
                title=form.title.data,
                recommendation=form.recommendation.data,
                user_id=current_user.id,
            )
        except Invalid:
            abort(400)  # the form holds the same limits: only a forged request gets here
        flash(_("The finding is saved."), "ok")
        return redirect(url_for("planner.findings", project_id=project.id), code=303)
    return render_template(
        "planner/hotspot_finding_form.html",
        finding=finding,
        form=form,
        **_page_context(project, ObservationFilter()),
    )


@bp.post("/projects/<int:project_id>/findings/<int:finding_id>/delete")
@login_required
def delete_finding(project_id: int, finding_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    finding = _finding_or_404(project.id, finding_id)
    service.delete(finding, user_id=current_user.id)
    flash(_("The finding is deleted. The hotspot stays on the hotspots page."), "ok")
    return redirect(url_for("planner.findings", project_id=project.id), code=303)
