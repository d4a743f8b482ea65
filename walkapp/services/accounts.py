"""Accounts and memberships: who may sign in, with which role, into which projects.

Use cases flush; the request (or command) boundary commits. Every change is written to the audit
log in the same transaction. Passwords are stored hashed (User.set_password, werkzeug); failed
sign-ins are counted per network address and per e-mail address by a FailureLimiter, so neither a
guesser on one network nor a guesser spread over many addresses gets far.

Errors carry codes, not sentences ({"email": "email_taken"}): walkapp.error_messages words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.vocabularies import MEMBER_ROLES, USER_ROLES
from ..extensions import db
from ..models import Project, ProjectMember, User, Walk
from ..ratelimit import FailureLimiter
from . import audit
from .errors import Conflict, Invalid, NotFound, Problem, TooManyAttempts

# CNIL's recommendation for an account protected by a password alone (no second factor).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
LOGIN_SCOPES = ("login-address", "login-email")


class LoginThrottled(TooManyAttempts):
    """Too many failed sign-ins from this address or for this e-mail: wait `retry_after` s."""

    def __init__(self, retry_after: int):
        super().__init__({"login": "login_throttled"})
        self.retry_after = retry_after


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    role: str
    password: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


@cache
def _dummy_hash() -> str:
    return generate_password_hash("no account has this password")


# --- Signing in ---------------------------------------------------------------------------------


def authenticate(email: str, password: str, *, address: str, limiter: FailureLimiter) -> User:
    """The active user with this e-mail and password.

    Raises LoginThrottled while the address or the e-mail has spent its failures (even for the
    right password: answering it would tell a guesser they found it), Invalid otherwise. Only
    failures count.
    """
    keys = tuple(zip(LOGIN_SCOPES, (address, normalize_email(email)), strict=True))
    blocked = [
        limiter.retry_after(scope, key) for scope, key in keys if limiter.blocked(scope, key)
    ]
    if blocked:
        raise LoginThrottled(max(blocked))
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    # Hash something even for an unknown e-mail, so the answer time tells nothing.
    hashed = user.password_hash if user is not None else _dummy_hash()
    if not check_password_hash(hashed, password) or user is None or not user.active:
        for scope, key in keys:
            limiter.failed(scope, key)
        raise Invalid({"email": "wrong_credentials"})
    return user


def active_user(user_id: int) -> User | None:
    """The user of a session, if the account still exists and is active."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def facilitates_open_walk(user_id: int) -> bool:
    """Whether the user leads a walk that is open right now (their session must not expire)."""
    query = sa.select(Walk.id).where(Walk.facilitator_id == user_id, Walk.status == "open")
    return db.session.scalar(query.limit(1)) is not None


# --- Accounts -----------------------------------------------------------------------------------


def users() -> list[User]:
    query = (
        sa.select(User)
        .options(selectinload(User.memberships).selectinload(ProjectMember.project))
        .order_by(User.active.desc(), User.email)
    )
    return list(db.session.scalars(query))


def _check_role(role: str) -> None:
    if role not in USER_ROLES:
        raise Invalid({"role": "unknown"})


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise Invalid(
            {
                "password": Problem(
                    "password_length", min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH
                )
            }
        )


def create_user(data: NewUser, *, by: int | None) -> User:
    _check_role(data.role)
    _check_password(data.password)
    email = normalize_email(data.email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict({"email": "email_taken"})
    user = User(email=email, name=data.name.strip(), role=data.role, active=True)
    user.set_password(data.password)
    try:
        with db.session.begin_nested():  # two admins typing the same address at once
            db.session.add(user)
    except IntegrityError as exc:
        raise Conflict({"email": "email_taken"}) from exc
    audit.record(
        "create",
        "user",
        user.id,
        user_id=by,
        details={"email": user.email, "name": user.name, "role": user.role},
    )
    db.session.flush()
    return user


def create_or_update_user(data: NewUser, *, by: int | None) -> tuple[User, bool]:
    """The `walkapp create-user` case: a new account, or for an existing e-mail its name (if
    given), role and password set anew — with the same rules and audit entries. Returns
    (user, created)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(data.email)))
    if user is None:
        return create_user(data, by=by), True
    _check_password(data.password)
    update_user(user, name=data.name or user.name, role=data.role, by=by)
    reset_password(user, data.password, by=by)
    return user, False


def _other_active_admins(user: User) -> int:
    query = sa.select(sa.func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id
    )
    return db.session.scalar(query) or 0


def _keep_an_admin(user: User) -> None:
    """Refuse a change that would leave nobody able to manage accounts."""
    if user.role == "admin" and user.active and not _other_active_admins(user):
        raise Conflict({"role": "last_admin"})


def update_user(user: User, *, name: str, role: str, by: int | None) -> dict[str, list]:
    """Change the name and role; returns the changes ({field: [before, after]})."""
    _check_role(role)
    if role != "admin":
        _keep_an_admin(user)
    changes = {
        key: [getattr(user, key), value]
        for key, value in (("name", name.strip()), ("role", role))
        if getattr(user, key) != value
    }
    for key, (_before, after) in changes.items():
        setattr(user, key, after)
    if changes:
        audit.record("edit", "user", user.id, user_id=by, details=changes)
        db.session.flush()
    return changes


def set_active(user: User, active: bool, *, by: int | None) -> bool:
    """Deactivate (the account can no longer sign in, its sessions end) or reactivate a user."""
    if user.active == active:
        return False
    if not active:
        if user.id == by:
            raise Conflict({"active": "deactivate_self"})
        _keep_an_admin(user)
    user.active = active
    action = "reactivate" if active else "deactivate"
    audit.record(action, "user", user.id, user_id=by, details={"email": user.email})
    db.session.flush()
    return True


def reset_password(user: User, password: str, *, by: int | None) -> None:
    _check_password(password)
    user.set_password(password)
    # Never the password, nor its hash.
    audit.record("reset_password", "user", user.id, user_id=by, details={"email": user.email})
    db.session.flush()


# --- Memberships --------------------------------------------------------------------------------


def default_member_role(user: User) -> str:
    """The role a new membership gets unless told: the account's (an administrator's rights are
    global, so any membership of theirs is a planner's)."""
    return user.role if user.role in MEMBER_ROLES else "planner"


def _check_member_role(role: str) -> None:
    if role not in MEMBER_ROLES:
        raise Invalid({"role": "unknown"})


def add_membership(
    user: User, project: Project, *, role: str | None = None, by: int | None
) -> bool:
    """Let the user into the project with `role` there (the account's own by default); False if
    they already belonged to it."""
    role = role or default_member_role(user)
    _check_member_role(role)
    if db.session.get(ProjectMember, (user.id, project.id)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ProjectMember(user_id=user.id, project_id=project.id, role=role))
    except IntegrityError:
        return False  # added by someone else a moment ago
    audit.record(
        "add",
        "membership",
        f"{user.id}:{project.id}",
        user_id=by,
        project_id=project.id,
        details={"user": user.email, "project": project.name, "role": role},
    )
    db.session.flush()
    return True


def set_member_role(user: User, project: Project, role: str, *, by: int | None) -> bool:
    """Change what the member may do in this project; False if nothing changed."""
    _check_member_role(role)
    member = db.session.get(ProjectMember, (user.id, project.id))
    if member is None:
        raise NotFound({"membership": "not_found"})
    if member.role == role:
        return False
    audit.record(
        "edit",
        "membership",
        f"{user.id}:{project.id}",
        user_id=by,
        project_id=project.id,
        details={"role": [member.role, role]},
    )
    member.role = role
    db.session.flush()
    return True


def remove_membership(user: User, project: Project, *, by: int | None) -> bool:
    member = db.session.get(ProjectMember, (user.id, project.id))
    if member is None:
        return False
    db.session.delete(member)
    audit.record(
        "remove",
        "membership",
        f"{user.id}:{project.id}",
        user_id=by,
        project_id=project.id,
        details={"user": user.email, "project": project.name},
    )
    db.session.flush()
    return True


def projects_without(user: User) -> list[Project]:
    """The projects the user does not belong to yet (to offer in the "add" list)."""
    mine = sa.select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)
    query = sa.select(Project).where(Project.id.not_in(mine)).order_by(Project.name)
    return list(db.session.scalars(query))
