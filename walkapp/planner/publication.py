"""The residents' page of a project, from the planner's side: the preview of what would be
published (the public page's own template), publishing it (again), and taking it down.

Seeing the preview is reading the project (READ); publishing and unpublishing are project work
(EDIT_PROJECT). An archived project can still be taken down, not published. The public page
itself is walkapp.public_pages.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import may, project_or_404, role_in
from ..domain.permissions import EDIT_PROJECT, READ, can
from ..error_messages import flash_refusal
from ..public_pages import page_context
from ..services import publication as service
from ..services.errors import Invalid
from .blueprint import bp
from .forms import PublishForm, UnpublishForm


def _k() -> int:
    return int(current_app.config["PUBLIC_MIN_COUNT"])


def public_url(slug: str) -> str:
    """The address to share: on the deployment's own site (BASE_URL), not the request's host."""
    path = url_for("public.residents", slug=slug)
    return current_app.config["BASE_URL"].rstrip("/") + path


def _page(project, publish_form: PublishForm, include_quotes: bool, status: int = 200):
    publication = service.current(project.id)
    contact = publish_form.contact.data if publish_form.contact.data is not None else ""
    if not contact and publication is not None:
        contact = publication.options.get("contact", "")
    # The preview shows the contact typed (or published), within the form's own limits.
    options = service.Options(contact=contact, include_quotes=include_quotes)
    if options.problems():
        options = service.Options(include_quotes=include_quotes)
    return (
        render_template(
            "planner/public_page.html",
            project=project,
            publication=publication,
            link=public_url(publication.slug) if publication else None,
            publish_form=publish_form,
            unpublish_form=UnpublishForm(),
            can_edit=may(project.id, EDIT_PROJECT),
            # Taking the page down stays open on an archived project.
            can_unpublish=can(role_in(project.id) or "", EDIT_PROJECT),
            preview_quotes=include_quotes,
            k=_k(),
            **page_context(service.preview(project.id, options, _k()), None, project),
        ),
        status,
    )


@bp.get("/projects/<int:project_id>/public")
@login_required
def public_page_admin(project_id: int):
    project = project_or_404(project_id, READ)
    publication = service.current(project.id)
    form = PublishForm()
    stored = publication.options if publication else {}
    if publication is not None:
        form.contact.data = stored.get("contact", "")
        form.include_quotes.data = bool(stored.get("include_quotes"))
    if "quotes" in request.args:
        include_quotes = request.args.get("quotes") == "yes"
    else:
        include_quotes = bool(stored.get("include_quotes"))
    return _page(project, form, include_quotes)


@bp.post("/projects/<int:project_id>/public/publish")
@login_required
def public_publish(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    form = PublishForm()
    if not form.validate_on_submit():
        return _page(project, form, bool(form.include_quotes.data), 422)
    again = service.current(project.id) is not None
    try:
        service.publish(
            project.id,
            current_user.id,
            service.Options(
                contact=form.contact.data or "", include_quotes=bool(form.include_quotes.data)
            ),
            _k(),
        )
    except Invalid as exc:  # the form checks the same: only a forged request gets here
        flash_refusal(exc)
        return _page(project, form, bool(form.include_quotes.data), 422)
    flash(
        _("The residents' page is published again with today's data.")
        if again
        else _("The residents' page is published."),
        "ok",
    )
    return redirect(url_for("planner.public_page_admin", project_id=project.id), code=303)


@bp.post("/projects/<int:project_id>/public/unpublish")
@login_required
def public_unpublish(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT, archived_ok=True)
    form = UnpublishForm()
    if not form.validate_on_submit():
        return _page(project, PublishForm(formdata=None), False, 422)
    if service.unpublish(project.id, current_user.id):
        flash(_("The residents' page is taken down: its address now leads nowhere."), "ok")
    else:
        flash(_("The residents' page was not published."), "info")
    return redirect(url_for("planner.public_page_admin", project_id=project.id), code=303)
