"""Planner accounts: admin pages, roles, throttled sign-in, session expiry (and the facilitator's
exception), memberships, audit entries. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import auth
from itsdangerous import TimestampSigner
from planner_users import PASSWORD, make_user

from walkapp.config import settings_from_env
from walkapp.extensions import db
from walkapp.models import AuditEvent, Project, ProjectMember, User
from walkapp.services import accounts

HOUR = 3600
EN = {"Accept-Language": "en"}  # messages checked in English (French comes from the catalog)


def make_project(name: str = "Place du Canada") -> Project:
    project = Project(name=name, commune="Valenciennes", insee_code="59606")
    db.session.add(project)
    db.session.commit()
    return project


def login(client, email: str, password: str = PASSWORD, **kwargs):
    return client.post("/planner/login", data={"email": email, "password": password}, **kwargs)


def audit_rows(**where) -> list[AuditEvent]:
    query = sa.select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


@pytest.fixture
def admin(app):
    return make_user("admin@x.fr", "admin")


@pytest.fixture
def as_admin(client, admin):
    assert login(client, admin.email).status_code == 302
    return client


ADMIN_GETS = [
    "/planner/admin/users",
    "/planner/admin/users/new",
    "/planner/admin/users/{id}",
    "/planner/admin/audit",
]
ADMIN_POSTS = [
    ("/planner/admin/users/new", {"email": "n@x.fr", "role": "planner", "password": PASSWORD}),
    ("/planner/admin/users/{id}", {"name": "X", "role": "admin"}),
    ("/planner/admin/users/{id}/password", {"password": "another-long-password"}),
    ("/planner/admin/users/{id}/deactivate", {}),
    ("/planner/admin/users/{id}/reactivate", {}),
    ("/planner/admin/users/{id}/memberships", {"project_id": "{project}"}),
    ("/planner/admin/users/{id}/memberships/{project}/remove", {}),
]


# --- Admin-only pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["planner", "facilitator", "viewer"])
def test_admin_pages_refuse_other_roles(client, app, role):
    project = make_project()
    user = make_user(f"{role}@x.fr", role, projects=[project])
    assert login(client, user.email).status_code == 302
    for url in ADMIN_GETS:
        assert client.get(url.format(id=user.id)).status_code == 403, url
    for url, data in ADMIN_POSTS:
        fields = {k: v.format(project=project.id) for k, v in data.items()}
        response = client.post(url.format(id=user.id, project=project.id), data=fields)
        assert response.status_code == 403, url
    db.session.expire_all()
    assert db.session.get(User, user.id).role == role  # nothing changed
    assert db.session.scalar(sa.select(User).where(User.email == "n@x.fr")) is None
    assert audit_rows() == []


def test_admin_pages_need_a_session(client, admin):
    for url in ADMIN_GETS:
        response = client.get(url.format(id=admin.id))
        assert response.status_code == 302 and "/planner/login" in response.headers["Location"]


def test_admin_sees_every_admin_page(as_admin, admin):
    for url in ADMIN_GETS:
        response = as_admin.get(url.format(id=admin.id))
        assert response.status_code == 200, url
        assert '<html lang="fr">' in response.get_data(as_text=True)


# --- Creating and editing accounts ----------------------------------------------------------------


def test_admin_creates_an_account_that_can_sign_in(as_admin, admin, app):
    data = {
        "email": " Nadia@Ville.FR ",
        "name": "Nadia",
        "role": "facilitator",
        "password": PASSWORD,
    }
    response = as_admin.post("/planner/admin/users/new", data=data)
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "nadia@ville.fr"))
    assert user.role == "facilitator" and user.active and user.name == "Nadia"
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)
    [entry] = audit_rows(target_type="user", action="create")
    assert entry.user_id == admin.id and entry.target_id == str(user.id)
    assert entry.details == {"email": "nadia@ville.fr", "name": "Nadia", "role": "facilitator"}
    listing = as_admin.get("/planner/admin/users").get_data(as_text=True)
    assert "nadia@ville.fr" in listing and "Animatrice, animateur" in listing

    other = app.test_client()
    assert login(other, "NADIA@ville.fr").status_code == 302
    assert other.get("/planner/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "admin@x.fr"}, "email", "An account with this e-mail address already exists."),
        ({"email": "not-an-address"}, "email", None),
        ({"password": "short"}, "password", None),
        ({"role": "superuser"}, "role", None),
    ],
)
def test_account_form_refuses_bad_values(as_admin, data, field, message):
    body = {"email": "new@x.fr", "name": "New", "role": "planner", "password": PASSWORD, **data}
    response = as_admin.post("/planner/admin/users/new", data=body, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', html) or re.search(
        rf'aria-describedby="[^"]*{field}-error"[^>]*id="{field}"', html
    )
    if message:
        assert message in html
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert audit_rows() == []


def test_admin_edits_name_and_role(as_admin, admin):
    user = make_user("p@x.fr")
    response = as_admin.post(
        f"/planner/admin/users/{user.id}", data={"name": "Paule", "role": "viewer"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (user.name, user.role) == ("Paule", "viewer")
    [entry] = audit_rows(action="edit", target_type="user")
    assert entry.details == {"name": ["P", "Paule"], "role": ["planner", "viewer"]}
    # The same values again: nothing logged.
    as_admin.post(f"/planner/admin/users/{user.id}", data={"name": "Paule", "role": "viewer"})
    assert len(audit_rows(action="edit", target_type="user")) == 1


def test_last_admin_cannot_be_demoted_or_deactivated(as_admin, admin):
    url = f"/planner/admin/users/{admin.id}"
    response = as_admin.post(url, data={"name": "A", "role": "planner"}, headers=EN)
    assert response.status_code == 302
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "walkapp needs at least one active administrator" in page
    assert as_admin.post(f"/planner/admin/users/{admin.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert admin.role == "admin" and admin.active
    assert audit_rows() == []


def test_deactivated_account_is_signed_out_and_cannot_sign_in(as_admin, app, admin):
    project = make_project()
    user = make_user("p@x.fr", projects=[project])
    other = app.test_client()
    assert login(other, user.email).status_code == 302
    assert other.get(f"/planner/projects/{project.id}").status_code == 200

    assert as_admin.post(f"/planner/admin/users/{user.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert not user.active
    assert other.get(f"/planner/projects/{project.id}").status_code == 302  # session ended
    assert login(other, user.email).status_code == 422
    assert [e.action for e in audit_rows(target_type="user")] == ["deactivate"]

    assert as_admin.post(f"/planner/admin/users/{user.id}/reactivate").status_code == 302
    assert login(other, user.email).status_code == 302
    assert [e.action for e in audit_rows(target_type="user")] == ["deactivate", "reactivate"]


def test_admin_cannot_deactivate_own_account(as_admin, admin):
    make_user("other-admin@x.fr", "admin")
    as_admin.post(f"/planner/admin/users/{admin.id}/deactivate")
    db.session.expire_all()
    assert admin.active and audit_rows() == []


def test_admin_resets_a_password(as_admin, app, admin):
    user = make_user("p@x.fr")
    new = "a-brand-new-password"
    response = as_admin.post(f"/planner/admin/users/{user.id}/password", data={"password": new})
    assert response.status_code == 302
    other = app.test_client()
    assert login(other, user.email).status_code == 422
    assert login(other, user.email, new).status_code == 302
    [entry] = audit_rows(action="reset_password")
    assert entry.target_id == str(user.id) and new not in str(entry.details)
    short = as_admin.post(f"/planner/admin/users/{user.id}/password", data={"password": "short"})
    assert short.status_code == 422 and 'id="password-error"' in short.get_data(as_text=True)


def test_a_new_password_signs_out_the_old_sessions(as_admin, app, admin):
    user = make_user("p@x.fr")
    before = app.test_client()
    login(before, user.email)
    assert before.get("/planner/").status_code == 200
    new = "a-brand-new-password"
    as_admin.post(f"/planner/admin/users/{user.id}/password", data={"password": new})
    assert before.get("/planner/").status_code == 302  # to the sign-in page
    after = app.test_client()
    login(after, user.email, new)
    assert after.get("/planner/").status_code == 200


def test_an_admin_who_changes_their_own_password_stays_signed_in(as_admin, admin):
    r = as_admin.post(f"/planner/admin/users/{admin.id}/password", data={"password": "x" * 20})
    assert r.status_code == 302
    assert as_admin.get("/planner/admin/users").status_code == 200


def test_memberships_open_and_close_a_project(as_admin, app, admin):
    project = make_project()
    user = make_user("p@x.fr")
    other = app.test_client()
    login(other, user.email)
    assert other.get(f"/planner/projects/{project.id}").status_code == 404

    url = f"/planner/admin/users/{user.id}/memberships"
    assert as_admin.post(url, data={"project_id": project.id}).status_code == 302
    assert other.get(f"/planner/projects/{project.id}").status_code == 200
    assert project.name in as_admin.get(f"/planner/admin/users/{user.id}").get_data(as_text=True)

    assert as_admin.post(f"{url}/{project.id}/remove").status_code == 302
    assert other.get(f"/planner/projects/{project.id}").status_code == 404
    entries = audit_rows(target_type="membership")
    assert [(e.action, e.project_id, e.user_id) for e in entries] == [
        ("add", project.id, admin.id),
        ("remove", project.id, admin.id),
    ]
    assert entries[0].details == {"user": "p@x.fr", "project": project.name, "role": "planner"}
    # Both show in the project's own log.
    log = as_admin.get(f"/planner/projects/{project.id}/audit").get_data(as_text=True)
    assert log.count("p@x.fr") >= 2


# --- Throttled sign-in --------------------------------------------------------------------------


class TestThrottling:
    @pytest.fixture
    def app_config(self):
        return {"LOGIN_FAILURE_LIMIT": "3 per 15 minutes"}

    def test_429_after_n_failures_even_with_the_right_password(self, client, app):
        make_user("p@x.fr")
        for _ in range(3):
            assert login(client, "p@x.fr", "wrong-password").status_code == 422
        response = login(client, "p@x.fr", headers=EN)
        html = response.get_data(as_text=True)
        assert response.status_code == 429
        assert "Too many failed sign-ins from this network or for this account" in html
        assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
        assert client.get("/planner/").status_code == 302  # not signed in

    def test_other_address_is_unaffected_and_nobody_locks_an_account_out(self, app):
        make_user("p@x.fr")
        attacker = app.test_client()
        for _ in range(3):
            login(attacker, "nobody@x.fr", "guess", environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert (
            login(attacker, "p@x.fr", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
        )
        colleague = app.test_client()
        ok = login(colleague, "p@x.fr", environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert ok.status_code == 302

        # Guesses for her account spread over many addresses never lock her out: there is no
        # limit on an account alone (a stranger could otherwise stop a planner signing in).
        spread = app.test_client()
        for i in range(12):
            login(spread, "p@x.fr", "guess", environ_base={"REMOTE_ADDR": f"10.1.0.{i}"})
        mine = app.test_client()
        assert login(mine, "p@x.fr", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 302

    def test_an_account_from_one_address_stops_after_its_own_limit(self, app):
        """5 failures per (address, account) by default — here 2 — before the address's 3."""
        app.config["LOGIN_ACCOUNT_FAILURE_LIMIT"] = "2 per 15 minutes"
        from walkapp.ratelimit import LIMITER_KEY, Limit

        app.extensions[LIMITER_KEY].limits["login-account"] = Limit.parse("2 per 15 minutes")
        make_user("p@x.fr")
        make_user("q@x.fr")
        there = {"REMOTE_ADDR": "10.3.0.1"}
        client = app.test_client()
        assert login(client, "p@x.fr", "guess", environ_base=there).status_code == 422
        assert login(client, "p@x.fr", "guess", environ_base=there).status_code == 422
        assert login(client, "p@x.fr", environ_base=there).status_code == 429
        # The same address may still sign another account in (its own limit is 3).
        assert login(app.test_client(), "q@x.fr", environ_base=there).status_code == 302

    def test_successful_sign_ins_never_count(self, app):
        make_user("p@x.fr")
        client = app.test_client()
        for _ in range(6):
            assert login(client, "p@x.fr").status_code == 302
            client.post("/planner/logout")
        assert login(client, "p@x.fr", "wrong").status_code == 422
        assert login(client, "p@x.fr").status_code == 302

    def test_failed_sign_ins_are_not_audited(self, client, app):
        make_user("p@x.fr")
        login(client, "p@x.fr", "wrong")
        assert audit_rows() == []


def test_login_redirects_only_to_this_site(client, app):
    make_user("p@x.fr")
    inside = login(client, "p@x.fr", query_string={"next": "/planner/admin/audit"})
    assert inside.headers["Location"].endswith("/planner/admin/audit")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.post("/planner/logout")
        away = login(client, "p@x.fr", query_string={"next": target})
        assert away.headers["Location"].endswith("/planner/"), target


# --- Sessions expire, except mid-walk -----------------------------------------------------------


def test_session_hours_come_from_the_environment():
    assert settings_from_env({"WALKAPP_SESSION_HOURS": "2"})[
        "PERMANENT_SESSION_LIFETIME"
    ] == timedelta(hours=2)
    assert settings_from_env({})["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)


def age_session(client, seconds: int) -> None:
    """Pretend the last request was `seconds` ago (no sleeping)."""
    with client.session_transaction() as session:
        session["seen"] -= seconds


def test_idle_session_expires_and_activity_refreshes_it(client, app):
    make_user("p@x.fr")
    login(client, "p@x.fr")
    with client.session_transaction() as session:
        assert session.permanent and session["seen"] <= time.time()
    age_session(client, 7 * HOUR)  # under the 8 h default
    assert client.get("/planner/").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen"] < 60  # refreshed by that request
    age_session(client, 8 * HOUR + 60)
    response = client.get("/planner/", headers=EN)
    assert response.status_code == 302 and "/planner/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired. Please sign in again." in page
    assert client.get("/planner/").status_code == 302  # it stays ended


class TestShortSessions:
    @pytest.fixture
    def app_config(self):
        return {"PERMANENT_SESSION_LIFETIME": timedelta(minutes=30)}

    def test_lifetime_is_configurable(self, client, app):
        make_user("p@x.fr")
        login(client, "p@x.fr")
        age_session(client, 31 * 60)
        assert client.get("/planner/").status_code == 302


@pytest.fixture
def facilitator_walk(app, make_walk):
    """(user, walk): an open walk led by a facilitator who belongs to its project."""
    user = make_user("f@x.fr", "facilitator")
    walk = make_walk(status="open", facilitator_id=user.id)
    db.session.add(ProjectMember(user_id=user.id, project_id=walk.project_id, role="facilitator"))
    db.session.commit()
    return user, walk


def test_session_never_expires_while_the_user_leads_an_open_walk(client, facilitator_walk):
    user, walk = facilitator_walk
    login(client, user.email)
    page = f"/planner/projects/{walk.project_id}"
    assert client.get(page).status_code == 200
    with client.session_transaction() as session:
        assert session["keep"] is True
    age_session(client, 30 * HOUR)  # offline in the street for far longer than the lifetime
    assert client.get(page).status_code == 200

    walk.status = "closed"
    walk.closed_at = datetime.now(UTC)
    db.session.commit()
    assert client.get(page).status_code == 200  # active: the session goes on, not flagged now
    with client.session_transaction() as session:
        assert "keep" not in session
    age_session(client, 9 * HOUR)
    assert client.get(page).status_code == 302  # the walk is closed: idle sessions end again


def test_walk_closed_while_idle_ends_the_session(client, facilitator_walk):
    user, walk = facilitator_walk
    login(client, user.email)
    client.get("/planner/")
    walk.status = "closed"
    db.session.commit()
    age_session(client, 9 * HOUR)
    assert client.get("/planner/").status_code == 302


@pytest.mark.parametrize("status", ["planned", "closed"])
def test_a_walk_that_is_not_open_keeps_nothing(client, app, make_walk, status):
    user = make_user("f@x.fr", "facilitator")
    make_walk(status=status, facilitator_id=user.id)
    login(client, user.email)
    client.get("/planner/")
    age_session(client, 9 * HOUR)
    assert client.get("/planner/").status_code == 302


def test_another_facilitators_open_walk_keeps_nothing(client, app, make_walk):
    lead = make_user("lead@x.fr", "facilitator")
    make_walk(status="open", facilitator_id=lead.id)
    make_user("p@x.fr")
    login(client, "p@x.fr")
    client.get("/planner/")
    age_session(client, 9 * HOUR)
    assert client.get("/planner/").status_code == 302


def _old_cookie(app, data: dict, age: int) -> str:
    """The session cookie as Flask would have signed it `age` seconds ago."""

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    serializer = app.session_interface.get_signing_serializer(app)
    serializer.signer = Past
    return serializer.dumps(data)


def test_signed_cookie_outlives_the_lifetime_only_for_an_open_walk(client, app, facilitator_walk):
    user, walk = facilitator_walk
    fresh = int(time.time())
    with app.test_request_context():
        token = accounts.open_session(user)
        db.session.commit()
    base = {"_user_id": user.get_id(), "_fresh": True, "seen": fresh, "sid": token}
    client.set_cookie("session", _old_cookie(app, {**base, "keep": True}, 20 * HOUR))
    assert client.get(f"/planner/projects/{walk.project_id}").status_code == 200

    client.set_cookie("session", _old_cookie(app, base, 20 * HOUR))
    assert client.get(f"/planner/projects/{walk.project_id}").status_code == 302


def test_kept_session_cookie_stays_in_the_browser(client, facilitator_walk):
    user, walk = facilitator_walk
    login(client, user.email)
    response = client.get("/planner/")
    cookie = client.get_cookie("session")
    assert response.status_code == 200 and cookie.expires is not None
    assert cookie.expires - datetime.now(UTC) > timedelta(days=1)


# --- Who is a planner ---------------------------------------------------------------------------


def test_participant_token_is_not_a_planner_session(client, make_walk, join):
    walk = make_walk()
    token, _code, _body = join(walk)
    headers = auth(token)
    for url in ("/planner/", f"/planner/projects/{walk.project_id}", "/planner/admin/users"):
        response = client.get(url, headers=headers)
        assert response.status_code == 302 and "/planner/login" in response.headers["Location"]
    url = f"/api/v1/projects/{walk.project_id}/observations.geojson"
    assert client.get(url, headers=headers).status_code == 404


def test_logout_ends_the_session(client, app):
    make_user("p@x.fr")
    login(client, "p@x.fr")
    assert client.post("/planner/logout").status_code == 302
    assert client.get("/planner/").status_code == 302
    with client.session_transaction() as session:
        assert "seen" not in session and "_user_id" not in session


# --- CSRF ---------------------------------------------------------------------------------------


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


class TestAccountsWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_admin_forms_need_the_token(self, client, app):
        admin = make_user("admin@x.fr", "admin")
        user = make_user("p@x.fr")
        token = csrf_from(client.get("/planner/login").get_data(as_text=True))
        data = {"email": admin.email, "password": PASSWORD, "csrf_token": token}
        assert client.post("/planner/login", data=data).status_code == 302

        body = {"email": "n@x.fr", "role": "planner", "password": PASSWORD}
        assert client.post("/planner/admin/users/new", data=body).status_code == 400
        assert client.post(f"/planner/admin/users/{user.id}/deactivate").status_code == 400
        assert db.session.scalar(sa.select(User).where(User.email == "n@x.fr")) is None

        token = csrf_from(client.get("/planner/admin/users/new").get_data(as_text=True))
        response = client.post("/planner/admin/users/new", data={**body, "csrf_token": token})
        assert response.status_code == 302
        page = client.get(f"/planner/admin/users/{user.id}").get_data(as_text=True)
        token = csrf_from(page)
        url = f"/planner/admin/users/{user.id}/deactivate"
        assert client.post(url, data={"csrf_token": token}).status_code == 302
        db.session.expire_all()
        assert not db.session.get(User, user.id).active


def test_ids_no_row_can_have_are_404(as_admin, admin):
    """Beyond the INTEGER columns: 404, never the database's overflow (a 500)."""
    huge = 2**40
    for url in (
        f"/planner/admin/users/{huge}",
        f"/planner/projects/{huge}",
        f"/planner/projects/{huge}/edit",
        f"/planner/projects/{huge}/audit",
    ):
        assert as_admin.get(url).status_code == 404, url
    assert (
        as_admin.post(f"/planner/admin/users/{admin.id}/memberships/{huge}/remove").status_code
        == 404
    )
    url = f"/planner/admin/users/{admin.id}/memberships"
    assert as_admin.post(url, data={"project_id": str(huge)}).status_code == 302  # not a choice
    assert as_admin.get(f"/planner/admin/audit?before={2**70}").status_code == 200


def test_a_role_per_project_lead_walks_in_one_commune_only_read_another(as_admin, app, admin):
    """The same account edits the project where it is a planner, and only reads the one where
    the administrator made it a viewer; changing the role there is audited."""
    leads, reads = make_project(name="Place du Canada"), make_project(name="Quartier Chasse Royale")
    user = make_user("p@x.fr", "planner")
    url = f"/planner/admin/users/{user.id}/memberships"
    assert as_admin.post(url, data={"project_id": leads.id, "role": "planner"}).status_code == 302
    assert as_admin.post(url, data={"project_id": reads.id, "role": "viewer"}).status_code == 302
    other = app.test_client()
    login(other, user.email)
    assert other.get(f"/planner/projects/{leads.id}/edit").status_code == 200
    assert other.get(f"/planner/projects/{reads.id}").status_code == 200
    assert other.get(f"/planner/projects/{reads.id}/edit").status_code == 403
    page = other.get(f"/planner/projects/{reads.id}").get_data(as_text=True)
    assert f"/planner/projects/{reads.id}/edit" not in page  # no button she cannot use

    r = as_admin.post(f"{url}/{reads.id}/role", data={"role": "facilitator"})
    assert r.status_code == 302
    member = db.session.get(ProjectMember, (user.id, reads.id))
    db.session.refresh(member)
    assert member.role == "facilitator"
    assert db.session.get(ProjectMember, (user.id, leads.id)).role == "planner"
    assert other.get(f"/planner/projects/{reads.id}/edit").status_code == 403
    edits = [e for e in audit_rows(target_type="membership") if e.action == "edit"]
    assert [(e.project_id, e.details) for e in edits] == [
        (reads.id, {"role": ["viewer", "facilitator"]})
    ]
    # The administrator's own page lists both roles.
    page = as_admin.get(f"/planner/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="facilitator" selected' in page and 'value="planner" selected' in page


def test_a_membership_role_outside_the_list_is_refused(as_admin, app):
    project = make_project()
    user = make_user("p@x.fr", "viewer")
    url = f"/planner/admin/users/{user.id}/memberships"
    assert as_admin.post(url, data={"project_id": project.id, "role": "admin"}).status_code == 302
    assert db.session.get(ProjectMember, (user.id, project.id)) is None
    assert as_admin.post(url, data={"project_id": project.id}).status_code == 302
    assert db.session.get(ProjectMember, (user.id, project.id)).role == "viewer"  # the account's
    r = as_admin.post(f"{url}/{project.id}/role", data={"role": "admin"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProjectMember, (user.id, project.id)).role == "viewer"
