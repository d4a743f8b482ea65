"""Administration: accounts (create, role, deactivate, password) and memberships, the whole audit
log. Only for roles that may manage users (domain.permissions.MANAGE_USERS: the admin).

Buttons that change one thing (deactivate, remove a membership) are forms with only the CSRF
token: the app's CSRFProtect refuses any POST without it.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..domain.permissions import MANAGE_USERS, can
from ..error_messages import flash_refusal, show_on_form
from ..extensions import db
from ..i18n import label
from ..models import Project, User
from ..ratelimit import failure_limiter
from ..services import accounts
from ..services import projects as project_service
from ..services.errors import ServiceError
from .auth import TOKEN_KEY
from .blueprint import bp
from .forms import (
    MemberRoleForm,
    MembershipForm,
    PasswordForm,
    UserCreateForm,
    UserEditForm,
    before_arg,
)


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(**kwargs):
        if not can(current_user.role, MANAGE_USERS):
            abort(403)
        return view(**kwargs)

    return wrapper


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _done(message: str, user: User):
    flash(message, "ok")
    return redirect(url_for("planner.user_edit", user_id=user.id))


def _refused(exc: ServiceError, user: User):
    flash_refusal(exc)
    return redirect(url_for("planner.user_edit", user_id=user.id))


# --- Accounts -----------------------------------------------------------------------------------


@bp.get("/admin/users")
@admin_required
def users():
    return render_template("planner/admin/users.html", users=accounts.users())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.new_user(), by=current_user.id)
        except ServiceError as exc:
            show_on_form(form, exc)
        else:
            return _done(_("The account is created."), user)
    status = 422 if request.method == "POST" else 200
    return render_template("planner/admin/user_new.html", form=form), status


def _user_page(
    user: User,
    *,
    form: UserEditForm | None = None,
    password_form: PasswordForm | None = None,
    status: int = 200,
):
    """The account's page: its fields, its password, its projects; one form may show errors."""
    membership_form = MembershipForm(formdata=None)
    membership_form.project_id.choices = [(p.id, p.name) for p in accounts.projects_without(user)]
    membership_form.role.data = accounts.default_member_role(user)
    return render_template(
        "planner/admin/user.html",
        user=user,
        form=UserEditForm(formdata=None, obj=user) if form is None else form,
        password_form=PasswordForm(formdata=None) if password_form is None else password_form,
        membership_form=membership_form,
        role_choices=MemberRoleForm(formdata=None).role.choices,
    ), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        try:
            changes = accounts.update_user(
                user, name=form.name.data or "", role=form.role.data, by=current_user.id
            )
        except ServiceError as exc:
            return _refused(exc, user)
        return _done(_("Changes saved.") if changes else _("Nothing changed."), user)
    return _user_page(user, form=form, status=422 if request.method == "POST" else 200)


@bp.post("/admin/users/<int:user_id>/password")
@admin_required
def user_password(user_id: int):
    user = _user_or_404(user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        return _user_page(user, password_form=form, status=422)
    # Setting one's own password keeps this session: the new password ends only the others.
    mine = session.get(TOKEN_KEY) if user.id == current_user.id else None
    try:
        accounts.reset_password(user, form.password.data, by=current_user.id, keep_session=mine)
    except ServiceError as exc:
        return _refused(exc, user)
    return _done(_("The password is changed. Give it to the person by another channel."), user)


@bp.post("/admin/users/<int:user_id>/deactivate")
@admin_required
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/admin/users/<int:user_id>/reactivate")
@admin_required
def user_reactivate(user_id: int):
    return _set_active(user_id, True)


@bp.post("/admin/users/<int:user_id>/sign-out")
@admin_required
def user_sign_out_everywhere(user_id: int):
    user = _user_or_404(user_id)
    mine = session.get(TOKEN_KEY) if user.id == current_user.id else None
    ended = accounts.sign_out_everywhere(user, by=current_user.id, keep=mine)
    return _done(
        ngettext(
            "%(num)d session ended: every device must sign in again.",
            "%(num)d sessions ended: every device must sign in again.",
            ended,
        ),
        user,
    )


@bp.post("/admin/users/<int:user_id>/unlock")
@admin_required
def user_unlock(user_id: int):
    user = _user_or_404(user_id)
    forgotten = accounts.unlock_sign_in(user, limiter=failure_limiter(), by=current_user.id)
    return _done(
        ngettext(
            "%(num)d failed sign-in forgotten: the account may sign in again.",
            "%(num)d failed sign-ins forgotten: the account may sign in again.",
            forgotten,
        ),
        user,
    )


def _set_active(user_id: int, active: bool):
    user = _user_or_404(user_id)
    try:
        accounts.set_active(user, active, by=current_user.id)
    except ServiceError as exc:
        return _refused(exc, user)
    message = _("The account is active again.") if active else _("The account is deactivated.")
    return _done(message, user)


# --- Memberships --------------------------------------------------------------------------------


@bp.post("/admin/users/<int:user_id>/memberships")
@admin_required
def membership_add(user_id: int):
    user = _user_or_404(user_id)
    form = MembershipForm()
    form.project_id.choices = [(p.id, p.name) for p in accounts.projects_without(user)]
    if not form.validate_on_submit():
        flash(_("Choose a project."), "error")
        return redirect(url_for("planner.user_edit", user_id=user.id))
    project = db.session.get(Project, form.project_id.data)
    if project is None:
        abort(404)
    accounts.add_membership(user, project, role=form.role.data or None, by=current_user.id)
    return _done(_("%(name)s now belongs to the project.", name=user.name or user.email), user)


@bp.post("/admin/users/<int:user_id>/memberships/<int:project_id>/role")
@admin_required
def membership_role(user_id: int, project_id: int):
    user = _user_or_404(user_id)
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role."), "error")
        return redirect(url_for("planner.user_edit", user_id=user.id))
    accounts.set_member_role(user, project, form.role.data, by=current_user.id)
    return _done(
        _(
            "%(name)s is now %(role)s in %(project)s.",
            name=user.name or user.email,
            role=label("user_role", form.role.data),
            project=project.name,
        ),
        user,
    )


@bp.post("/admin/users/<int:user_id>/memberships/<int:project_id>/remove")
@admin_required
def membership_remove(user_id: int, project_id: int):
    user = _user_or_404(user_id)
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    accounts.remove_membership(user, project, by=current_user.id)
    return _done(
        _("%(name)s no longer belongs to the project.", name=user.name or user.email), user
    )


# --- The whole audit log ------------------------------------------------------------------------


@bp.get("/admin/audit")
@admin_required
def admin_audit():
    entries, following = project_service.audit_entries(before=before_arg())
    return render_template(
        "planner/audit.html",
        project=None,
        entries=entries,
        following=following,
        page_endpoint="planner.admin_audit",
        page_args={},
    )
