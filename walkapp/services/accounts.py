"""Accounts and memberships: who may sign in, with which role, into which projects.

Use cases flush; the request (or command) boundary commits. Every change is written to the audit
log in the same transaction. Passwords are stored hashed (User.set_password, werkzeug); failed
sign-ins are counted per network address and per e-mail address by a FailureLimiter, so neither a
guesser on one network nor a guesser spread over many addresses gets far.

Errors carry codes, not sentences ({"email": "email_taken"}): walkapp.error_messages words them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.vocabularies import MEMBER_ROLES, USER_ROLES
from ..extensions import db, utcnow
from ..models import Project, ProjectMember, User, UserSession, Walk
from ..ratelimit import FailureLimiter
from . import audit
from .errors import Conflict, Invalid, NotFound, Problem, TooManyAttempts

# CNIL's recommendation for an account protected by a password alone (no second factor).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# However active, a session ends this long after its sign-in (OWASP's absolute timeout).
SESSION_MAX_AGE = timedelta(days=30)


class LoginThrottled(TooManyAttempts):
    """Too many failed sign-ins from this address, or for this account from it."""

    def __init__(self, retry_after: int):
        super().__init__({"login": "login_throttled"}, retry_after=retry_after)


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

    Failures count per address (LOGIN_FAILURE_LIMIT) and per address and account
    (LOGIN_ACCOUNT_FAILURE_LIMIT), never per account alone: a stranger elsewhere cannot lock a
    planner out. Raises LoginThrottled while either is spent (even for the right password:
    answering it would tell a guesser they found it), Invalid otherwise.
    """
    email = normalize_email(email)
    keys = (("login-address", (address,)), ("login-account", (email, address)))
    waits = [limiter.retry_after(scope, *key) for scope, key in keys]
    if any(waits):
        raise LoginThrottled(max(waits))
    user = db.session.scalar(sa.select(User).where(User.email == email))
    # Hash something even for an unknown e-mail, so the answer time tells nothing.
    hashed = user.password_hash if user is not None else _dummy_hash()
    if not check_password_hash(hashed, password) or user is None or not user.active:
        # Counted at once, atomically: the attempt beyond the limit is refused as throttled.
        waits = [limiter.failed(scope, *key) for scope, key in keys]
        if any(waits):
            raise LoginThrottled(max(waits))
        raise Invalid({"email": "wrong_credentials"})
    return user


def unlock_sign_in(user: User, *, limiter: FailureLimiter, by: int | None) -> int:
    """Forget the failed sign-ins for this account from every address (no e-mail recovery is
    configured: an administrator lets her try again). Returns how many were forgotten."""
    forgotten = limiter.clear("login-account", user.email)
    audit.record(
        "unlock", "user", user.id, user_id=by, details={"email": user.email, "failures": forgotten}
    )
    db.session.flush()
    return forgotten


# --- Sessions -----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User) -> str:
    """A new signed-in session of `user`: the token for its cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_token_hash(token), user_id=user.id))
    db.session.flush()
    return token


def session_user(user_id: int, token: str) -> User | None:
    """The active user whose session this token opened, unless it has ended."""
    query = (
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active.is_(True),
            UserSession.token_hash == _token_hash(token),
            UserSession.created_at > utcnow() - SESSION_MAX_AGE,
        )
    )
    return db.session.scalar(query)


def end_session(token: str) -> None:
    """Sign out: this session's cookie, and every copy of it, opens nothing any more."""
    db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """End every session of the user (but the one of token `keep`); how many ended. Also drops
    sessions of anyone older than SESSION_MAX_AGE, which open nothing any more."""
    query = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        query = query.where(UserSession.token_hash != _token_hash(keep))
    ended = db.session.execute(query).rowcount
    old = sa.delete(UserSession).where(UserSession.created_at <= utcnow() - SESSION_MAX_AGE)
    db.session.execute(old)
    return ended


def sign_out_everywhere(user: User, *, by: int | None, keep: str | None = None) -> int:
    """An administrator's "sign out everywhere" (a lost laptop, a shared computer)."""
    ended = end_sessions(user, keep=keep)
    audit.record("sign_out", "user", user.id, user_id=by, details={"sessions": ended})
    db.session.flush()
    return ended


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
    if not active:
        end_sessions(user)
    action = "reactivate" if active else "deactivate"
    audit.record(action, "user", user.id, user_id=by, details={"email": user.email})
    db.session.flush()
    return True


def reset_password(
    user: User, password: str, *, by: int | None, keep_session: str | None = None
) -> None:
    """A new password ends the user's sessions (but `keep_session`: the one setting it)."""
    _check_password(password)
    user.set_password(password)
    end_sessions(user, keep=keep_session)
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
