"""Archiving a project (read-only, out of the current lists) and deleting it (its data erased,
files included, after typing its name)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import project_or_404
from ..domain.permissions import EDIT_PROJECT
from ..error_messages import show_on_form
from ..i18n import isolate
from ..services import project_lifecycle as service
from ..services.errors import Invalid
from ..services.photo_store import PhotoStore
from .blueprint import bp
from .forms import DeleteProjectForm


@bp.post("/projects/<int:project_id>/archive")
@login_required
def project_archive(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    service.archive(project, user_id=current_user.id)
    flash(_("The project is archived: it stays readable, out of the current lists."), "ok")
    return redirect(url_for("planner.project", project_id=project.id))


@bp.post("/projects/<int:project_id>/unarchive")
@login_required
def project_unarchive(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT, archived_ok=True)
    service.unarchive(project, user_id=current_user.id)
    flash(_("The project is out of the archive."), "ok")
    return redirect(url_for("planner.project", project_id=project.id))


@bp.route("/projects/<int:project_id>/delete", methods=["GET", "POST"])
@login_required
def project_delete(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT, archived_ok=True)
    form = DeleteProjectForm()
    if form.validate_on_submit():
        name = project.name
        try:
            service.delete(
                project,
                form.confirm_name.data,
                user_id=current_user.id,
                store=PhotoStore(current_app.config["PHOTO_DIR"]),
            )
        except Invalid as exc:
            show_on_form(form, exc)
        else:
            flash(_("The project %(name)s and all its data are deleted.", name=isolate(name)), "ok")
            return redirect(url_for("planner.projects"))
    return render_template(
        "planner/project_delete.html",
        project=project,
        form=form,
        counts=service.contents(project),
    ), (422 if form.errors else 200)
