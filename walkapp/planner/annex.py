"""The tender-specification annex: its preview, the planner's choices of quotes and photos for
each finding, and the weights of the award criteria.

The annex is an export (it leaves the authority, to every bidder): its preview and map need the
EXPORT right. Choosing what goes in is project work (EDIT_PROJECT). Nothing is chosen by default;
a harassment report needs its own confirmation. The DOCX itself is built by
exporters.annex_docx from services.annex.annex_content (a background job).
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import may, project_or_404
from ..domain import annex as domain
from ..domain.permissions import EDIT_PROJECT, EXPORT
from ..domain.thresholds import enough_people
from ..error_messages import flash_refusal
from ..exporters import clause_library, recheck_words
from ..exporters.annex_docx import gap_group
from ..exporters.map_figure import map_png
from ..services import annex as service
from ..services import hotspots as hotspot_service
from ..services.errors import Invalid, NotFound
from ..unit_of_work import writes
from .blueprint import bp
from .forms import AnnexChoicesForm, AwardWeightsForm

LANGUAGES = clause_library.LANGUAGES


def _language() -> str:
    """The annex's language: the page's, if the clause library has it, else French."""
    lang = str(get_locale())
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _annex(project_id: int) -> domain.Annex:
    return service.annex_content(
        project_id, language=_language(), instance_path=current_app.instance_path
    )


def _weights_form(project, **kwargs):
    library = clause_library.load(_language(), current_app.instance_path)
    lines, _custom = domain.award_lines(library.award_criteria, project.award_weights)
    weights = {line.code: line.weight for line in lines}
    return AwardWeightsForm.for_criteria(library.award_criteria, weights, **kwargs)


def _render_annex(project, weights_form) -> str:
    return render_template(
        "planner/annex.html",
        project=project,
        annex=_annex(project.id),
        domain=domain,
        enough_people=enough_people,  # hotspot_macros.share_night
        can_edit=may(project.id, EDIT_PROJECT),
        weights_form=weights_form,
        annex_languages=LANGUAGES,
        gap_group=gap_group,
        recheck_words=recheck_words,
    )


@bp.get("/projects/<int:project_id>/annex")
@login_required
@writes  # hands out the spots' references on first use
def annex(project_id: int):
    project = project_or_404(project_id, EXPORT)
    return _render_annex(project, _weights_form(project))


@bp.get("/projects/<int:project_id>/annex/map.png")
@login_required
@writes
def annex_map(project_id: int):
    project = project_or_404(project_id, EXPORT)
    content = _annex(project.id)
    png = map_png(content.perimeter, content.stops, content.findings, width_px=1200)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, no-store"})


def _finding_or_404(project_id: int, finding_id: int):
    try:
        return hotspot_service.project_finding(project_id, finding_id)
    except NotFound:
        abort(404)


@bp.route(
    "/projects/<int:project_id>/findings/<int:finding_id>/annex-choices", methods=["GET", "POST"]
)
@login_required
def annex_choices(project_id: int, finding_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    finding = _finding_or_404(project.id, finding_id)
    spots = service.finding_spots(finding)
    form = AnnexChoicesForm(spots=spots)
    if form.validate_on_submit():
        try:
            service.save_choices(
                finding,
                quoted_spot_ids=form.quote.data or (),
                photo_ids=form.photo.data or (),
                confirmed_harassment_ids=form.confirm_harassment.data or (),
                user_id=current_user.id,
            )
        except Invalid as exc:  # the form checks the same: only a forged request gets here
            flash_refusal(exc)
            status = 422
        else:
            flash(_("The choices for the annex are saved."), "ok")
            return redirect(url_for("planner.annex", project_id=project.id), code=303)
    else:
        status = 422 if form.is_submitted() else 200
    if not form.is_submitted():
        form.quote.data = list(finding.quoted_spot_ids or [])
        form.photo.data = list(finding.chosen_photo_ids or [])
        chosen = set(form.quote.data) | {
            s.facts.id for s in spots for p in s.photos if p.id in form.photo.data
        }
        # A harassment report already chosen was confirmed when it was chosen.
        form.confirm_harassment.data = [
            s.facts.id for s in spots if s.harassment and s.facts.id in chosen
        ]
    return (
        render_template(
            "planner/annex_choices.html",
            project=project,
            finding=finding,
            spots=spots,
            form=form,
            quoted=set(form.quote.data or ()),
            photos_chosen=set(form.photo.data or ()),
            confirmed=set(form.confirm_harassment.data or ()),
        ),
        status,
    )


@bp.post("/projects/<int:project_id>/annex/award-weights")
@login_required
def annex_award_weights(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    form = _weights_form(project)
    if form.validate_on_submit():
        try:
            service.set_award_weights(
                project,
                None if form.reset.data else form.weights(),
                instance_path=current_app.instance_path,
                user_id=current_user.id,
            )
        except Invalid as exc:
            flash_refusal(exc)
        else:
            flash(_("The weights of the award criteria are saved."), "ok")
            return redirect(url_for("planner.annex", project_id=project.id) + "#award", code=303)
    library = clause_library.load(_language(), current_app.instance_path)
    table = domain.award_table(library.award_criteria, project.award_weights)
    return (
        render_template(
            "planner/annex_weights.html", project=project, annex=table, weights_form=form
        ),
        422,
    )
