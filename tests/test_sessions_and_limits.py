"""Sessions that end, HTTPS that sticks, limits that count from the stored rows (issue 13).

A copied session cookie opens nothing after sign-out, a new password, deactivation or "sign out
everywhere"; over HTTPS (directly, or behind a trusted proxy) the cookie is Secure and HSTS is
sent; a trusted proxy's X-Forwarded-For is the address failures count for; a participant's token
stores at most so many spots and photos per window, and so many bytes and trace points in all,
with a Retry-After that says the real wait. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import auth
from planner_users import PASSWORD, make_user
from test_photos_api import DATA, upload

from walkapp.extensions import db, utcnow
from walkapp.models import AuditEvent, Observation, Photo, TrackPoint, UserSession

EN = {"Accept-Language": "en"}


def sign_in(client, email: str, password: str = PASSWORD, **kwargs):
    response = client.post("/planner/login", data={"email": email, "password": password}, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def copy_of(client, app):
    """Another browser holding the same session cookie (stolen, or a second tab's copy)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client) -> bool:
    return client.get("/planner/").status_code == 200


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Sessions -----------------------------------------------------------------------------------


def test_a_copied_cookie_stops_working_after_sign_out(client, app):
    make_user("p@x.fr")
    sign_in(client, "p@x.fr")
    thief = copy_of(client, app)
    assert signed_in(thief)
    assert client.post("/planner/logout").status_code == 302
    assert not signed_in(thief)
    assert not signed_in(client)
    assert count(UserSession) == 0


def test_sign_out_ends_only_that_session(client, app):
    make_user("p@x.fr")
    sign_in(client, "p@x.fr")
    laptop = app.test_client()
    sign_in(laptop, "p@x.fr")
    client.post("/planner/logout")
    assert signed_in(laptop)


def test_a_copied_cookie_stops_working_after_a_new_password(client, app):
    admin = make_user("admin@x.fr", "admin")
    user = make_user("p@x.fr")
    phone = app.test_client()
    sign_in(phone, user.email)
    thief = copy_of(phone, app)
    sign_in(client, admin.email)
    response = client.post(
        f"/planner/admin/users/{user.id}/password", data={"password": "a-brand-new-password"}
    )
    assert response.status_code == 302
    assert not signed_in(thief) and not signed_in(phone)
    assert signed_in(client)  # the admin's own session is not the user's


def test_setting_ones_own_password_keeps_only_this_session(client, app):
    admin = make_user("admin@x.fr", "admin")
    sign_in(client, admin.email)
    other = app.test_client()
    sign_in(other, admin.email)
    thief = copy_of(other, app)
    new = {"password": "another-long-password"}
    assert client.post(f"/planner/admin/users/{admin.id}/password", data=new).status_code == 302
    assert signed_in(client)
    assert not signed_in(other) and not signed_in(thief)


def test_a_copied_cookie_stops_working_after_deactivation(client, app):
    admin = make_user("admin@x.fr", "admin")
    user = make_user("p@x.fr")
    phone = app.test_client()
    sign_in(phone, user.email)
    thief = copy_of(phone, app)
    sign_in(client, admin.email)
    assert client.post(f"/planner/admin/users/{user.id}/deactivate").status_code == 302
    assert not signed_in(thief)
    # Reactivated, the old cookie still opens nothing: its session ended for good.
    assert client.post(f"/planner/admin/users/{user.id}/reactivate").status_code == 302
    assert not signed_in(thief)


def test_sign_out_everywhere(client, app):
    admin = make_user("admin@x.fr", "admin")
    user = make_user("p@x.fr")
    devices = [app.test_client() for _ in range(3)]
    for device in devices:
        sign_in(device, user.email)
    copies = [copy_of(device, app) for device in devices]
    sign_in(client, admin.email)
    response = client.post(f"/planner/admin/users/{user.id}/sign-out", headers=EN)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "3 sessions ended" in page
    assert not any(signed_in(c) for c in devices + copies)
    assert signed_in(client)
    [entry] = db.session.scalars(sa.select(AuditEvent).filter_by(action="sign_out"))
    assert entry.target_id == str(user.id) and entry.details == {"sessions": 3}
    # She signs in again as usual.
    sign_in(devices[0], user.email)
    assert signed_in(devices[0])


def test_the_cookie_holds_a_token_the_database_only_knows_hashed(client, app):
    make_user("p@x.fr")
    sign_in(client, "p@x.fr")
    with client.session_transaction() as session:
        token = session["sid"]
    [row] = db.session.scalars(sa.select(UserSession))
    assert token not in row.token_hash and len(row.token_hash) == 64


def test_a_session_ends_30_days_after_sign_in_however_active(client, app):
    make_user("p@x.fr")
    sign_in(client, "p@x.fr")
    db.session.execute(sa.update(UserSession).values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert not signed_in(client)


# --- HTTPS --------------------------------------------------------------------------------------


def cookie_is_secure(response) -> bool:
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return "; Secure" in cookie


def test_over_https_the_cookie_is_secure_and_hsts_is_sent(app):
    make_user("p@x.fr")
    client = app.test_client()
    response = client.post(
        "/planner/login",
        data={"email": "p@x.fr", "password": PASSWORD},
        base_url="https://walkapp.example",
    )
    assert response.status_code == 302
    assert cookie_is_secure(response)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_over_plain_http_neither(client, app):
    make_user("p@x.fr")
    response = sign_in(client, "p@x.fr")
    assert not cookie_is_secure(response)
    assert "Strict-Transport-Security" not in response.headers


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self):
        return {"TRUSTED_PROXIES": 1, "LOGIN_FAILURE_LIMIT": "2 per 15 minutes"}

    def test_the_proxys_https_makes_the_cookie_secure(self, client, app):
        make_user("p@x.fr")
        response = sign_in(client, "p@x.fr", headers={"X-Forwarded-Proto": "https"})
        assert cookie_is_secure(response)
        assert "Strict-Transport-Security" in response.headers

    def test_failures_count_for_the_phones_address_not_the_proxys(self, app):
        make_user("p@x.fr")
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(2):
            response = app.test_client().post(
                "/planner/login", data={"email": "p@x.fr", "password": "guess"}, headers=guesser
            )
            assert response.status_code == 422
        blocked = app.test_client().post(
            "/planner/login", data={"email": "p@x.fr", "password": PASSWORD}, headers=guesser
        )
        assert blocked.status_code == 429
        # Everyone else behind the same proxy signs in.
        colleague = {"X-Forwarded-For": "203.0.113.8"}
        sign_in(app.test_client(), "p@x.fr", headers=colleague)


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(client, app):
    make_user("p@x.fr")
    response = sign_in(client, "p@x.fr", headers={"X-Forwarded-Proto": "https"})
    assert not cookie_is_secure(response)
    assert "Strict-Transport-Security" not in response.headers


# --- Unlocking a sign-in ------------------------------------------------------------------------


class TestUnlock:
    @pytest.fixture
    def app_config(self):
        return {"LOGIN_ACCOUNT_FAILURE_LIMIT": "2 per 15 minutes"}

    def test_an_admin_unlocks_an_account(self, client, app):
        admin = make_user("admin@x.fr", "admin")
        user = make_user("p@x.fr")
        there = {"REMOTE_ADDR": "10.9.0.1"}
        locked = app.test_client()
        for _ in range(2):
            locked.post(
                "/planner/login", data={"email": user.email, "password": "x"}, environ_base=there
            )
        right = {"email": user.email, "password": PASSWORD}
        assert locked.post("/planner/login", data=right, environ_base=there).status_code == 429
        sign_in(client, admin.email)
        response = client.post(f"/planner/admin/users/{user.id}/unlock", headers=EN)
        page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
        assert "2 failed sign-ins forgotten" in page
        assert locked.post("/planner/login", data=right, environ_base=there).status_code == 302
        [entry] = db.session.scalars(sa.select(AuditEvent).filter_by(action="unlock"))
        assert entry.details == {"email": user.email, "failures": 2}


# --- What one token may store -------------------------------------------------------------------


def spot(**overrides) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
        "category": "lighting",
        "feeling": 2,
        **overrides,
    }


class TestTokenLimits:
    @pytest.fixture
    def app_config(self):
        return {
            "SPOT_LIMIT": "3 per 10 minutes",
            "PHOTO_LIMIT": "2 per 10 minutes",
            "TRACK_POINT_QUOTA": 5,
        }

    def test_spots_beyond_the_window_limit_wait_with_the_real_remaining_time(
        self, client, app, make_walk, join
    ):
        walk = make_walk()
        token, _code, _ = join(walk)
        other, _code, _ = join(walk)
        sent = [spot() for _ in range(3)]
        for body in sent:
            assert (
                client.post("/api/v1/observations", json=body, headers=auth(token)).status_code
                == 201
            )
        refused = client.post("/api/v1/observations", json=spot(), headers=auth(token))
        assert refused.status_code == 429
        assert refused.json["codes"] == {"id": "too_many_spots"}
        assert 590 <= int(refused.headers["Retry-After"]) <= 600
        assert count(Observation) == 3
        # A resend of a stored spot stores nothing and spends nothing: still answered.
        again = client.post("/api/v1/observations", json=sent[0], headers=auth(token))
        assert again.status_code == 200
        # Another phone's budget is her own.
        assert (
            client.post("/api/v1/observations", json=spot(), headers=auth(other)).status_code == 201
        )

        # The oldest spot of the window arrived 7 minutes ago: the wait is what remains of it.
        first = db.session.scalar(
            sa.select(Observation).where(Observation.uuid == uuid.UUID(sent[0]["id"]))
        )
        first.received_at = utcnow() - timedelta(minutes=7)
        db.session.commit()
        later = client.post("/api/v1/observations", json=spot(), headers=auth(token))
        assert later.status_code == 429
        assert 170 <= int(later.headers["Retry-After"]) <= 180
        first.received_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
        assert (
            client.post("/api/v1/observations", json=spot(), headers=auth(token)).status_code == 201
        )

    def test_photos_beyond_the_window_limit(self, client, app, make_walk, join):
        walk = make_walk()
        token, _code, _ = join(walk)
        obs_id = spot()
        client.post("/api/v1/observations", json=obs_id, headers=auth(token))
        data = (DATA / "lamp.png").read_bytes()
        other = (DATA / "day-path.jpg").read_bytes()
        assert upload(client, token, obs_id["id"], data).status_code == 201
        assert upload(client, token, obs_id["id"], other, name="day.jpg").status_code == 201
        # The same photo again is no new photo.
        assert upload(client, token, obs_id["id"], data).status_code == 200
        third = (DATA / "night-street-12mp.jpg").read_bytes()
        refused = upload(client, token, obs_id["id"], third, name="night.jpg")
        assert refused.status_code == 429 and refused.json["codes"] == {"photo": "too_many_photos"}
        assert 590 <= int(refused.headers["Retry-After"]) <= 600
        assert count(Photo) == 2

    def test_the_trace_stops_at_its_quota(self, client, app, make_walk, join):
        walk = make_walk()
        token, _code, _ = join(walk, track_consent=True)
        start = utcnow() - timedelta(minutes=30)

        def points(first: int, n: int) -> dict:
            return {
                "points": [
                    {
                        "t": (start + timedelta(seconds=5 * i)).isoformat(),
                        "lat": 50.356,
                        "lon": 3.518,
                    }
                    for i in range(first, first + n)
                ]
            }

        assert (
            client.post("/api/v1/me/track", json=points(0, 4), headers=auth(token)).status_code
            == 201
        )
        # A retry of stored points adds nothing: accepted.
        assert (
            client.post("/api/v1/me/track", json=points(0, 4), headers=auth(token)).status_code
            == 201
        )
        refused = client.post("/api/v1/me/track", json=points(4, 2), headers={**auth(token), **EN})
        assert refused.status_code == 413
        assert refused.json["codes"] == {"points": "track_quota"}
        assert count(TrackPoint) == 4


class TestPhotoQuota:
    @pytest.fixture
    def app_config(self):
        return {"PHOTO_QUOTA_MB": 0.001}  # about 1 KB: the first photo crosses it

    def test_photos_stop_once_her_stored_bytes_reach_the_quota(self, client, app, make_walk, join):
        walk = make_walk()
        token, _code, _ = join(walk)
        body = spot()
        client.post("/api/v1/observations", json=body, headers=auth(token))
        first = upload(client, token, body["id"], (DATA / "lamp.png").read_bytes())
        assert first.status_code == 201
        refused = upload(client, token, body["id"], (DATA / "day-path.jpg").read_bytes())
        assert refused.status_code == 413 and refused.json["codes"] == {"photo": "photo_quota"}
        assert count(Photo) == 1
        # Someone else's quota is untouched.
        other, _code, _ = join(walk)
        body = spot()
        client.post("/api/v1/observations", json=body, headers=auth(other))
        assert (
            upload(client, other, body["id"], (DATA / "day-path.jpg").read_bytes()).status_code
            == 201
        )


class TestJoinRetryAfter:
    @pytest.fixture
    def app_config(self):
        return {"JOIN_FAILURE_LIMIT": "2 per 10 minutes"}

    def test_retry_after_is_the_real_remaining_time(self, client, app):
        for _ in range(2):
            response = client.post("/api/v1/walks/ZZZZZZ/participants", json={"consent": True})
            assert response.status_code == 404
        refused = client.post("/api/v1/walks/ZZZZZZ/participants", json={"consent": True})
        assert refused.status_code == 429
        assert 590 <= int(refused.headers["Retry-After"]) <= 600
        page = client.get("/j/ZZZZZZ")
        assert page.status_code == 429 and 590 <= int(page.headers["Retry-After"]) <= 600
