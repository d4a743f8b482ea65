"""Planner accounts for tests: made fast (the password is hashed once, scrypt being slow on
purpose) and signed in through the real login form."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from walkapp.extensions import db
from walkapp.models import Project, ProjectMember, User

PASSWORD = "a-long-test-password"
PASSWORD_HASH = generate_password_hash(PASSWORD)


def make_user(
    email: str,
    role: str = "planner",
    *,
    projects: tuple | list = (),
    active: bool = True,
    name: str | None = None,
    member_role: str | None = None,
) -> User:
    """A committed account (named after its e-mail unless told), member of `projects` (Project
    rows or their ids) with `member_role` there (by default the account's role; an
    administrator's memberships are a planner's)."""
    member_role = member_role or (role if role != "admin" else "planner")
    user = User(email=email, name=name or email.split("@")[0].title(), role=role, active=active)
    user.password_hash = PASSWORD_HASH
    db.session.add(user)
    db.session.flush()
    for project in projects:
        project_id = project.id if isinstance(project, Project) else project
        db.session.add(ProjectMember(user_id=user.id, project_id=project_id, role=member_role))
    db.session.commit()
    return user


def login(client, user: User) -> None:
    """Sign `user` in on this test client (after signing out whoever was)."""
    with client.session_transaction() as session:
        session.clear()
    r = client.post("/planner/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302
