"""Who may read and change a project: a planner session's membership and role (the table of
roles is domain.permissions). Used by the planner's pages and by the API (photos, GeoJSON)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from .domain.permissions import can
from .extensions import db
from .models import Project, ProjectMember, Walk


def visible_projects_query() -> sa.Select:
    """The projects the current user belongs to (an admin belongs to all)."""
    query = sa.select(Project).order_by(Project.name)
    if current_user.role != "admin":
        query = query.join(ProjectMember).where(ProjectMember.user_id == current_user.id)
    return query


def is_member(project_id: int) -> bool:
    if not current_user.is_authenticated:
        return False
    if current_user.role == "admin":
        return True
    return db.session.get(ProjectMember, (current_user.id, project_id)) is not None


def project_or_404(project_id: int, action: str = "read") -> Project:
    """The project if the user belongs to it (404 otherwise: not yours looks unknown), and
    403 if their role does not allow `action`."""
    project = db.session.get(Project, project_id)
    if project is None or not is_member(project_id):
        abort(404)
    if not can(current_user.role, action):
        abort(403)
    return project


def walk_or_404(walk_id: int, action: str = "read") -> Walk:
    walk = db.session.get(Walk, walk_id)
    if walk is None:
        abort(404)
    project_or_404(walk.project_id, action)
    return walk
