"""Who may read and change a project: an administrator everywhere, anyone else through their
membership of the project and its role (the table of roles is domain.permissions). Used by the
planner's pages and by the API (photos, GeoJSON)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from .domain.permissions import EXPORT, READ, can
from .extensions import db
from .models import Project, ProjectMember, Walk
from .services.errors import Conflict

# What an archived project still allows: it is read-only.
ARCHIVED_ACTIONS = frozenset({READ, EXPORT})


def visible_projects_query(*, archived: bool | None = False) -> sa.Select:
    """The projects the current user belongs to (an admin belongs to all): the current ones,
    the archived ones (`archived=True`) or both (`None`)."""
    query = sa.select(Project).order_by(Project.name)
    if archived is not None:
        query = query.where(
            Project.archived_at.is_not(None) if archived else Project.archived_at.is_(None)
        )
    if current_user.role != "admin":
        query = query.join(ProjectMember).where(ProjectMember.user_id == current_user.id)
    return query


def role_in(project_id: int) -> str | None:
    """The current user's role in the project: `admin` for an administrator, the membership's
    role for a member, None for anyone else."""
    if not current_user.is_authenticated:
        return None
    if current_user.role == "admin":
        return "admin"
    member = db.session.get(ProjectMember, (current_user.id, project_id))
    return member.role if member is not None else None


def is_member(project_id: int) -> bool:
    return role_in(project_id) is not None


def may(project_id: int, action: str) -> bool:
    """May the current user do `action` in the project now (their role there, and an archived
    project is read-only)?"""
    if not can(role_in(project_id) or "", action):
        return False
    if action in ARCHIVED_ACTIONS:
        return True
    project = db.session.get(Project, project_id)
    return project is not None and project.archived_at is None


def project_or_404(project_id: int, action: str = READ, *, archived_ok: bool = False) -> Project:
    """The project if the user belongs to it (404 otherwise: not yours looks unknown), 403 if
    their role there does not allow `action`, and 409 for a change to an archived project
    (`archived_ok`: taking it out of the archive, deleting it)."""
    project = db.session.get(Project, project_id)
    role = role_in(project_id) if project is not None else None
    if role is None:
        abort(404)
    if not can(role, action):
        abort(403)
    if project.archived_at is not None and action not in ARCHIVED_ACTIONS and not archived_ok:
        raise Conflict({"project": "project_archived"})
    return project


def walk_or_404(walk_id: int, action: str = READ) -> Walk:
    walk = db.session.get(Walk, walk_id)
    if walk is None:
        abort(404)
    project_or_404(walk.project_id, action)
    return walk
