"""The capture API contract of DESIGN.md, end to end through the Flask test client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import auth
from flask_babel import refresh

from walkapp.extensions import db, utcnow
from walkapp.models import Observation, Participant, TrackPoint, Walk


def spot(**overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "lat": 50.3561,
        "lon": 3.5187,
        "accuracy_m": 8.5,
        "recorded_at": (utcnow() - timedelta(minutes=5)).isoformat(),
        "category": "lighting",
        "feeling": 2,
        "comment": "Lampadaire éteint",
    }
    body.update(overrides)
    return body


@pytest.fixture
def walk(make_walk):
    return make_walk()


@pytest.fixture
def token(walk, join):
    return join(walk)[0]


def post_spot(client, token, **overrides):
    return client.post("/api/v1/observations", headers=auth(token), json=spot(**overrides))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Join -----------------------------------------------------------------------------------


def test_join_answers_token_erasure_code_and_walk(client, walk):
    r = client.post(
        f"/api/v1/walks/{walk.join_code.lower()}/participants",
        json={"consent": True, "profile": {"gender": "woman", "age_band": "25_44"}},
    )
    assert r.status_code == 201
    body = r.json
    assert set(body) == {"participant_id", "token", "erasure_code", "walk"}
    assert len(body["token"]) >= 43  # 32 random bytes
    assert body["walk"]["timezone"] == "Europe/Paris"
    assert body["walk"]["perimeter"]["type"] == "Polygon"
    assert [s["number"] for s in body["walk"]["stops"]] == [1, 2]
    participant = db.session.get(Participant, body["participant_id"])
    assert participant.gender == "woman" and participant.resident is None
    # Secrets are stored only as their SHA-256.
    assert body["token"] not in participant.token_hash
    assert len(participant.token_hash) == 64 and len(participant.erasure_code_hash) == 64
    assert participant.consent_at is not None and participant.consent_version


@pytest.mark.parametrize(
    "body, field",
    [
        ({"consent": False}, "consent"),
        ({}, "consent"),
        ({"consent": "true"}, "consent"),
        ({"consent": True, "profile": {"gender": "female"}}, "profile.gender"),
        ({"consent": True, "nickname": "Léa"}, "nickname"),
        ({"consent": True, "profile": {"age_band": "under_15"}}, "guardian_consent"),
    ],
)
def test_join_validation(client, walk, body, field):
    r = client.post(f"/api/v1/walks/{walk.join_code}/participants", json=body)
    assert r.status_code == 422
    assert field in r.json["errors"]
    assert count(Participant) == 0


def test_join_under_15_with_guardian_consent(client, walk):
    body = {"consent": True, "guardian_consent": True, "profile": {"age_band": "under_15"}}
    assert client.post(f"/api/v1/walks/{walk.join_code}/participants", json=body).status_code == 201


@pytest.mark.parametrize("status", ["planned", "closed"])
def test_join_refused_unless_open(client, make_walk, status):
    walk = make_walk(status=status)
    r = client.post(f"/api/v1/walks/{walk.join_code}/participants", json={"consent": True})
    assert r.status_code == 409


def test_join_that_waited_on_the_phone_keeps_its_consent_time(client, walk):
    """Issue 10 point 13: joined with no signal, sent later: consent_at is when she agreed."""
    agreed = utcnow() - timedelta(minutes=20)
    body = {"consent": True, "consent_at": agreed.isoformat()}
    r = client.post(f"/api/v1/walks/{walk.join_code}/participants", json=body)
    assert r.status_code == 201, r.json
    participant = db.session.get(Participant, r.json["participant_id"])
    assert participant.consent_at == agreed
    assert participant.created_at == agreed


@pytest.mark.parametrize(
    "when, code",
    [
        (lambda walk: utcnow() + timedelta(days=1, minutes=5), "in_future"),
        (lambda walk: walk.starts_at - timedelta(days=1, minutes=5), "consent_too_early"),
        (lambda walk: "2026-12-01T20:00:00", "timezone_aware"),
    ],
)
def test_join_consent_time_is_bounded(client, walk, when, code):
    value = when(walk)
    body = {"consent": True, "consent_at": value if isinstance(value, str) else value.isoformat()}
    r = client.post(f"/api/v1/walks/{walk.join_code}/participants", json=body)
    assert r.status_code == 422
    assert "consent_at" in r.json["errors"]
    if code != "timezone_aware":  # pydantic's own code for a naive time is not walkapp's
        assert r.json["codes"]["consent_at"] == code
    assert count(Participant) == 0


def test_a_closed_walk_takes_a_join_agreed_before_its_close(client, make_walk):
    """As for spots: agreed before the close plus the grace (15 min), whenever it arrives."""
    walk = make_walk(status="closed")  # closed 30 minutes ago
    url = f"/api/v1/walks/{walk.join_code}/participants"
    before = walk.closed_at - timedelta(minutes=10)
    in_grace = walk.closed_at + timedelta(minutes=10)
    late = walk.closed_at + timedelta(minutes=20)
    assert (
        client.post(url, json={"consent": True, "consent_at": before.isoformat()}).status_code
        == 201
    )
    assert (
        client.post(url, json={"consent": True, "consent_at": in_grace.isoformat()}).status_code
        == 201
    )
    r = client.post(url, json={"consent": True, "consent_at": late.isoformat()})
    assert r.status_code == 409 and r.json["codes"] == {"walk": "walk_closed"}
    assert client.post(url, json={"consent": True}).status_code == 409
    assert count(Participant) == 2


def test_join_unknown_code_404(client, walk):
    r = client.post("/api/v1/walks/ZZZZZZZZ/participants", json={"consent": True})
    assert r.status_code == 404
    assert r.json["codes"] == {"join_code": "join_code_unknown"}
    assert set(r.json["errors"]) == {"join_code"}


class TestJoinRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"JOIN_FAILURE_LIMIT": "3 per 10 minutes"}

    def test_failed_codes_are_limited_per_address(self, client, walk):
        for _ in range(3):
            r = client.post("/api/v1/walks/ABCDEFGH/participants", json={"consent": True})
            assert r.status_code == 404
        r = client.post("/api/v1/walks/ABCDEFGH/participants", json={"consent": True})
        assert r.status_code == 429 and "Retry-After" in r.headers
        # Another address is not affected.
        r = client.post(
            f"/api/v1/walks/{walk.join_code}/participants",
            json={"consent": True},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        assert r.status_code == 201

    def test_successful_joins_are_never_limited(self, client, walk):
        for _ in range(10):
            r = client.post(f"/api/v1/walks/{walk.join_code}/participants", json={"consent": True})
            assert r.status_code == 201


# --- Bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b'{"feeling": NaN}', b'{"lat": Infinity}', b"\xff\xfe"],
)
def test_body_that_is_not_json_is_400(client, token, raw):
    r = client.post(
        "/api/v1/observations",
        headers={**auth(token), "Content-Type": "application/json"},
        data=raw,
    )
    assert r.status_code == 400
    assert "body" in r.json["errors"]


def test_body_over_64_kb_is_413(client, token):
    r = client.post(
        "/api/v1/observations",
        headers={**auth(token), "Content-Type": "application/json"},
        data=b'{"comment": "' + b"x" * (64 * 1024) + b'"}',
    )
    assert r.status_code == 413
    assert count(Observation) == 0


def test_json_that_is_not_an_object_is_422(client, token):
    r = client.post("/api/v1/observations", headers=auth(token), json=[1, 2])
    assert r.status_code == 422


# --- Authentication -------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc", "bearer "])
def test_participant_endpoints_need_a_valid_token(client, walk, header):
    headers = {"Authorization": header} if header else {}
    assert client.post("/api/v1/observations", headers=headers, json=spot()).status_code == 401
    assert client.get("/api/v1/me/observations", headers=headers).status_code == 401
    assert client.delete("/api/v1/me", headers=headers).status_code == 401


def test_api_sets_no_cookie(client, walk, token):
    r = post_spot(client, token)
    assert "Set-Cookie" not in r.headers


# --- Observations ---------------------------------------------------------------------------


def test_submit_stores_and_derives(client, walk, token):
    body = spot(recorded_at="2026-11-20T21:30:00+01:00", ratings={"lighting": 0, "people": 1})
    r = client.post("/api/v1/observations", headers=auth(token), json=body)
    assert r.status_code == 201
    out = r.json
    assert out["id"] == body["id"]
    assert out["recorded_at"] == "2026-11-20T21:30:00+01:00"  # the device's offset kept
    assert out["light_condition"] == "night"
    assert out["time_slot"] == "weekday_evening"  # a Friday, 21:30 in Paris
    assert out["local_date"] == "2026-11-20"
    assert out["ratings"] == {"lighting": 0, "people": 1}
    assert out["photos"] == []
    obs = db.session.scalar(sa.select(Observation))
    assert obs.recorded_at == datetime(2026, 11, 20, 20, 30, tzinfo=UTC)  # UTC in storage
    assert obs.utc_offset_minutes == 60


def test_same_id_same_content_is_idempotent(client, token):
    body = spot()
    first = client.post("/api/v1/observations", headers=auth(token), json=body)
    # Same instant written with another offset: still the same content.
    instant = datetime.fromisoformat(body["recorded_at"]).astimezone(UTC)
    again = {**body, "recorded_at": instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    second = client.post("/api/v1/observations", headers=auth(token), json=again)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json == first.json
    assert count(Observation) == 1


def test_same_id_other_content_is_409(client, token):
    body = spot()
    assert client.post("/api/v1/observations", headers=auth(token), json=body).status_code == 201
    r = client.post("/api/v1/observations", headers=auth(token), json={**body, "feeling": 5})
    assert r.status_code == 409
    assert "id" in r.json["errors"]
    assert db.session.scalar(sa.select(Observation.feeling)) == 2


def test_id_of_another_participant_is_409(client, walk, join, token):
    body = spot()
    assert client.post("/api/v1/observations", headers=auth(token), json=body).status_code == 201
    other = join(walk)[0]
    r = client.post("/api/v1/observations", headers=auth(other), json=body)
    assert r.status_code == 409
    assert count(Observation) == 1


def test_stop_must_belong_to_the_walk(client, walk, make_walk, token):
    other_walk = make_walk()
    r = post_spot(client, token, stop_id=other_walk.stops[0].id)
    assert r.status_code == 422 and "stop_id" in r.json["errors"]
    r = post_spot(client, token, stop_id=walk.stops[1].id)
    assert r.status_code == 201 and r.json["stop_id"] == walk.stops[1].id


@pytest.mark.parametrize("stop_id", [0, -1, 2**31, 2**63])
def test_stop_id_outside_the_id_range_is_422(client, token, stop_id):
    r = post_spot(client, token, stop_id=stop_id)
    assert r.status_code == 422
    assert "stop_id" in r.get_json()["errors"]
    assert count(Observation) == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/photos/2147483648", "/api/v1/photos/9223372036854775808/thumbnail"]
)
def test_ids_beyond_the_integer_columns_are_404(client, token, path):
    r = client.get(path, headers=auth(token))
    assert r.status_code == 404
    assert "errors" in r.get_json()


def test_future_beyond_a_day_is_422(client, token):
    r = post_spot(client, token, recorded_at=(utcnow() + timedelta(hours=25)).isoformat())
    assert r.status_code == 422 and "recorded_at" in r.json["errors"]
    r = post_spot(client, token, recorded_at=(utcnow() + timedelta(hours=23)).isoformat())
    assert r.status_code == 201


def _close(walk: Walk, minutes_ago: int) -> None:
    walk = db.session.get(Walk, walk.id)
    walk.status = "closed"
    walk.closed_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()


def test_closed_walk_accepts_late_sync_of_spots_recorded_before_closing(client, walk, token):
    _close(walk, minutes_ago=60)
    closed_at = utcnow() - timedelta(minutes=60)
    before = post_spot(client, token, recorded_at=(closed_at - timedelta(minutes=20)).isoformat())
    grace = post_spot(client, token, recorded_at=(closed_at + timedelta(minutes=14)).isoformat())
    late = post_spot(client, token, recorded_at=(closed_at + timedelta(minutes=16)).isoformat())
    assert (before.status_code, grace.status_code, late.status_code) == (201, 201, 409)
    assert count(Observation) == 2


def test_patch_edits_my_spot_while_open(client, walk, token):
    body = spot()
    client.post("/api/v1/observations", headers=auth(token), json=body)
    r = client.patch(
        f"/api/v1/observations/{body['id']}",
        headers=auth(token),
        json={"feeling": 4, "comment": None, "category": "good_place"},
    )
    assert r.status_code == 200
    assert (r.json["feeling"], r.json["comment"], r.json["category"]) == (4, None, "good_place")
    assert r.json["lat"] == body["lat"] and r.json["updated_at"]
    # Same validation as creation; nothing half-written.
    bad = client.patch(
        f"/api/v1/observations/{body['id']}", headers=auth(token), json={"feeling": 9, "lat": 1.0}
    )
    assert bad.status_code == 422 and "feeling" in bad.json["errors"]
    assert db.session.scalar(sa.select(Observation.lat)) == body["lat"]
    unknown = client.patch(f"/api/v1/observations/{uuid.uuid4()}", headers=auth(token), json={})
    assert unknown.status_code == 404


def test_patch_moves_the_spot_and_recomputes_light(client, walk, token):
    body = spot(recorded_at="2026-06-21T12:00:00+02:00")
    client.post("/api/v1/observations", headers=auth(token), json=body)
    r = client.patch(
        f"/api/v1/observations/{body['id']}",
        headers=auth(token),
        json={"recorded_at": "2026-06-21T23:30:00+02:00"},
    )
    assert r.json["light_condition"] == "night" and r.json["time_slot"] == "weekend_evening"


def test_patch_refused_once_walk_closed(client, walk, token):
    body = spot()
    client.post("/api/v1/observations", headers=auth(token), json=body)
    _close(walk, minutes_ago=1)
    r = client.patch(f"/api/v1/observations/{body['id']}", headers=auth(token), json={"feeling": 5})
    assert r.status_code == 409


def test_another_participants_spot_is_404(client, walk, join, token):
    body = spot()
    client.post("/api/v1/observations", headers=auth(token), json=body)
    other = join(walk)[0]
    url = f"/api/v1/observations/{body['id']}"
    assert client.patch(url, headers=auth(other), json={"feeling": 5}).status_code == 404
    assert client.delete(url, headers=auth(other)).status_code == 404
    assert count(Observation) == 1


def test_delete_my_spot(client, token):
    body = spot()
    client.post("/api/v1/observations", headers=auth(token), json=body)
    r = client.delete(f"/api/v1/observations/{body['id']}", headers=auth(token))
    assert r.status_code == 204
    assert count(Observation) == 0
    again = client.delete(f"/api/v1/observations/{body['id']}", headers=auth(token))
    assert again.status_code == 404


def test_my_observations_lists_only_mine(client, walk, join, token):
    mine = [spot(), spot()]
    for body in mine:
        client.post("/api/v1/observations", headers=auth(token), json=body)
    other = join(walk)[0]
    client.post("/api/v1/observations", headers=auth(other), json=spot())
    r = client.get("/api/v1/me/observations", headers=auth(token))
    assert r.status_code == 200
    assert sorted(o["id"] for o in r.json["observations"]) == sorted(b["id"] for b in mine)


# --- Track ------------------------------------------------------------------------------------


def test_track_needs_agreement(client, token):
    points = [{"lat": 50.356, "lon": 3.518, "t": utcnow().isoformat()}]
    r = client.post("/api/v1/me/track", headers=auth(token), json={"points": points})
    assert r.status_code == 403
    assert count(TrackPoint) == 0


def test_track_batch_of_the_largest_size_fits_the_body_limit(client, walk, join):
    token = join(walk, track_consent=True)[0]
    start = datetime(2026, 11, 30, 18, 0, 0, 123000, tzinfo=UTC)
    points = [
        {
            "lat": 50.356123456789,
            "lon": 3.518712345678,
            "accuracy_m": 12.345678,
            "t": (start + timedelta(seconds=i)).isoformat(),
        }
        for i in range(501)
    ]
    r = client.post("/api/v1/me/track", headers=auth(token), json={"points": points[:500]})
    assert r.status_code < 300
    r = client.post("/api/v1/me/track", headers=auth(token), json={"points": points})
    assert r.status_code == 422 and "points" in r.get_json()["errors"]


def test_track_appends_and_skips_retries(client, walk, join):
    token = join(walk, track_consent=True)[0]
    t0 = utcnow() - timedelta(minutes=3)
    points = [
        {
            "lat": 50.356 + i / 10000,
            "lon": 3.518,
            "accuracy_m": 6,
            "t": (t0 + timedelta(seconds=10 * i)).isoformat(),
        }
        for i in range(5)
    ]
    first = client.post("/api/v1/me/track", headers=auth(token), json={"points": points})
    again = client.post("/api/v1/me/track", headers=auth(token), json={"points": points[3:]})
    assert (first.json["stored"], again.json["stored"]) == (5, 0)
    assert count(TrackPoint) == 5
    r = client.post("/api/v1/me/track", headers=auth(token), json={"points": []})
    assert r.status_code == 422


# --- Erasure ----------------------------------------------------------------------------------


def _fill(client, token) -> None:
    for _ in range(3):
        assert post_spot(client, token).status_code == 201


def test_erase_me_by_token(client, walk, join):
    token = join(walk, track_consent=True)[0]
    _fill(client, token)
    client.post(
        "/api/v1/me/track",
        headers=auth(token),
        json={"points": [{"lat": 50.356, "lon": 3.518, "t": utcnow().isoformat()}]},
    )
    keep = join(walk)[0]
    _fill(client, keep)
    assert client.delete("/api/v1/me", headers=auth(token)).status_code == 204
    assert count(Observation) == 3 and count(TrackPoint) == 0 and count(Participant) == 1
    # The token stops working.
    assert client.get("/api/v1/me/observations", headers=auth(token)).status_code == 401


def test_erase_by_code_for_a_lost_phone(client, walk, join):
    token, erasure_code, _ = join(walk)
    _fill(client, token)
    typed = erasure_code.lower().replace("-", " ")
    r = client.post("/api/v1/erasure", json={"erasure_code": typed})
    assert r.status_code == 204
    assert count(Observation) == 0 and count(Participant) == 0
    assert client.get("/api/v1/me/observations", headers=auth(token)).status_code == 401
    again = client.post("/api/v1/erasure", json={"erasure_code": erasure_code})
    assert again.status_code == 404


# --- Reference data, GeoJSON, OpenAPI ------------------------------------------------------------


def test_taxonomy_has_both_languages(client):
    r = client.get("/api/v1/taxonomy")
    assert r.status_code == 200
    harassment = next(t for t in r.json["category"] if t["code"] == "harassment")
    assert harassment["label"] == {"fr": "Harcèlement", "en": "Harassment"}
    assert len(r.json["criterion"]) == 9


def test_geojson_for_a_planner_of_the_project_only(client, app, walk, token, make_walk):
    from walkapp.models import ProjectMember, User

    post_spot(client, token, comment='<img src=x onerror="alert(1)">')
    url = f"/api/v1/projects/{walk.project_id}/observations.geojson"
    assert client.get(url).status_code == 404  # a participant token is not a planner session
    assert client.get(url, headers=auth(token)).status_code == 404
    member, stranger = User(email="a@x.fr"), User(email="b@x.fr")
    for user in (member, stranger):
        user.set_password("secret-password")
        db.session.add(user)
    db.session.flush()
    db.session.add(ProjectMember(user_id=member.id, project_id=walk.project_id, role="planner"))
    db.session.commit()
    login = {"email": "b@x.fr", "password": "secret-password"}
    assert client.post("/planner/login", data=login).status_code == 302
    assert client.get(url).status_code == 404
    client.post("/planner/logout")
    client.post("/planner/login", data={**login, "email": "a@x.fr"})
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    feature = r.json["features"][0]
    assert feature["geometry"]["coordinates"] == [3.5187, 50.3561]  # [lon, lat]
    assert "crs" not in r.json
    assert feature["properties"]["comment"] == '<img src=x onerror="alert(1)">'  # data, as is
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_openapi_document_describes_every_api_route(client, app):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    documented = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi_document":
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<{rule._converters[arg].__class__.__name__}:{arg}>", "")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((rule.endpoint, method))
    assert len(documented) == len(routed)
    schema = doc["components"]["schemas"]["ObservationIn"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"id", "lat", "lon", "recorded_at", "category", "feeling"}


# --- The error shape: a sentence and a code per field ---------------------------------------------


def test_every_refusal_has_a_sentence_and_a_code_per_field(client, walk, token):
    walk.status = "closed"
    walk.closed_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    closed = client.post("/api/v1/observations", json=spot(), headers=auth(token))
    assert closed.status_code == 409
    assert closed.json["codes"] == {"walk": "walk_closed"}
    invalid = client.post(
        "/api/v1/observations", json=spot(feeling=9, extra=1), headers=auth(token)
    )
    assert invalid.status_code == 422
    assert invalid.json["codes"] == {"feeling": "less_than_equal", "extra": "extra_forbidden"}
    assert set(invalid.json["errors"]) == {"feeling", "extra"}
    unknown = client.get("/api/v1/nowhere")
    assert unknown.status_code == 404 and unknown.json["codes"] == {"body": "not_found"}
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Errors"]
    assert set(schema["required"]) == {"errors", "codes"}


def test_error_sentences_follow_the_phone_language(client, walk):
    fr = client.post("/api/v1/walks/ZZZZZZZZ/participants", json={"consent": True})
    refresh()  # Babel keeps the locale in the app context, which the tests share across requests
    en = client.post(
        "/api/v1/walks/ZZZZZZZZ/participants",
        json={"consent": True},
        headers={"Accept-Language": "en"},
    )
    assert fr.json["codes"] == en.json["codes"] == {"join_code": "join_code_unknown"}
    assert fr.json["errors"] == {"join_code": "Code de participation inconnu."}
    assert en.json["errors"] == {"join_code": "Unknown join code."}
