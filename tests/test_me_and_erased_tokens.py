"""GET /api/v1/me (the phone's view of its walk) and the `erased` answer to an erased
participant's token (issue 10), on both erasure paths."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import auth

from walkapp.extensions import db, utcnow
from walkapp.models import ErasedToken, Participant
from walkapp.services import capture


def test_me_gives_the_walk_the_phone_needs(client, make_walk, join):
    walk = make_walk()
    token, _code, joined = join(walk)
    before = utcnow()
    r = client.get("/api/v1/me", headers=auth(token))
    assert r.status_code == 200
    body = r.json
    assert body["participant_id"] == joined["participant_id"]
    assert body["walk"]["id"] == walk.id and body["walk"]["title"] == "Marche de nuit"
    assert body["walk"]["status"] == "open"
    assert body["walk"]["closed_at"] is None and body["walk"]["accepts_until"] is None
    assert datetime.fromisoformat(body["walk"]["ends_at"]) == walk.ends_at
    assert datetime.fromisoformat(body["walk"]["starts_at"]) == walk.starts_at
    assert body["late_sync_minutes"] == 15
    assert before - timedelta(seconds=5) <= datetime.fromisoformat(body["now"]) <= utcnow()
    assert r.headers["Cache-Control"] == "no-store"


def test_me_after_the_close_says_until_when_spots_are_taken(client, make_walk, join):
    walk = make_walk()
    token = join(walk)[0]
    closed_at = utcnow().replace(microsecond=0) - timedelta(minutes=4)
    walk.status, walk.closed_at = "closed", closed_at
    db.session.commit()
    me = client.get("/api/v1/me", headers=auth(token)).json["walk"]
    assert me["status"] == "closed"
    assert datetime.fromisoformat(me["closed_at"]) == closed_at
    assert datetime.fromisoformat(me["accepts_until"]) == closed_at + timedelta(minutes=15)


@pytest.mark.parametrize("headers", [{}, auth("not-a-token"), {"Authorization": "Basic x"}])
def test_me_without_a_valid_token_is_401_token_required(client, headers):
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert r.json["codes"] == {"auth": "token_required"}


def _spot() -> dict:
    return {
        "id": str(uuid.uuid4()),
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
        "category": "lighting",
        "feeling": 2,
    }


def _erase_with_the_phone(client, token: str, _code: str) -> None:
    assert client.delete("/api/v1/me", headers=auth(token)).status_code == 204


def _erase_with_the_code(client, _token: str, code: str) -> None:
    assert client.post("/api/v1/erasure", json={"erasure_code": code}).status_code == 204


@pytest.mark.parametrize("erase", [_erase_with_the_phone, _erase_with_the_code])
def test_an_erased_token_answers_erased_on_every_participant_route(client, make_walk, join, erase):
    walk = make_walk()
    token, code, _ = join(walk)
    other = join(walk)[0]
    assert client.post("/api/v1/observations", json=_spot(), headers=auth(token)).status_code == 201
    erase(client, token, code)

    for method, path, body in (
        ("GET", "/api/v1/me", None),
        ("GET", "/api/v1/me/observations", None),
        ("POST", "/api/v1/observations", _spot()),
        ("DELETE", "/api/v1/me", None),
    ):
        r = client.open(path, method=method, json=body, headers=auth(token))
        assert r.status_code == 401, (method, path)
        assert r.json["codes"] == {"auth": "erased"}, (method, path)
    english = client.get("/api/v1/me", headers={**auth(token), "Accept-Language": "en"}).json
    assert english["errors"] == {"auth": "Your data has been erased from the server."}
    french = client.get("/api/v1/me", headers=auth(token)).json
    assert french["errors"] == {"auth": "Vos données ont été effacées du serveur."}
    # Only the hash and the time are kept; the other participant is untouched.
    kept = db.session.scalars(sa.select(ErasedToken)).one()
    assert kept.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert set(ErasedToken.__table__.c.keys()) == {"token_hash", "erased_at"}
    assert abs(kept.erased_at - utcnow()) < timedelta(minutes=1)
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 200


def test_erased_tokens_are_kept_30_days_then_purged_at_the_next_erasure(client, make_walk, join):
    walk = make_walk()
    old_token, old_code, _ = join(walk)
    _erase_with_the_code(client, old_token, old_code)
    kept = db.session.scalars(sa.select(ErasedToken)).one()
    kept.erased_at = utcnow() - timedelta(days=capture.ERASED_TOKEN_DAYS, minutes=1)
    db.session.commit()
    # Older than the 30 days: no longer said `erased`, even before it is purged.
    r = client.get("/api/v1/me", headers=auth(old_token))
    assert r.status_code == 401 and r.json["codes"] == {"auth": "token_required"}

    token, code, _ = join(walk)
    _erase_with_the_phone(client, token, code)
    db.session.expire_all()
    hashes = set(db.session.scalars(sa.select(ErasedToken.token_hash)))
    assert hashes == {capture.hash_secret(token)}  # the old one purged, the new one kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 0


def test_a_token_erased_29_days_ago_still_answers_erased(client, make_walk, join):
    walk = make_walk()
    token, code, _ = join(walk)
    _erase_with_the_code(client, token, code)
    db.session.scalars(sa.select(ErasedToken)).one().erased_at = utcnow() - timedelta(days=29)
    db.session.commit()
    r = client.get("/api/v1/me", headers=auth(token))
    assert r.status_code == 401 and r.json["codes"] == {"auth": "erased"}
