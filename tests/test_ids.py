"""Ids once handed out are never handed out again (issue 10, point 3): an audit line, a log or a
spot cited in a tender annex never points at another person or spot — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from conftest import auth

from walkapp.extensions import db, utcnow
from walkapp.models import Observation, Participant


def newest_participant_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(Participant.id)))


def post_spot(client, token) -> uuid.UUID:
    spot_id = uuid.uuid4()
    body = {
        "id": str(spot_id),
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": (utcnow() - timedelta(minutes=5)).isoformat(),
        "category": "lighting",
        "feeling": 2,
    }
    assert client.post("/api/v1/observations", headers=auth(token), json=body).status_code == 201
    return spot_id


def spot_id_of(spot_uuid: uuid.UUID) -> int:
    return db.session.scalar(sa.select(Observation.id).where(Observation.uuid == spot_uuid))


def test_an_erased_participants_id_is_never_given_again(client, make_walk, join):
    walk = make_walk()
    join(walk)
    erased_token = join(walk)[0]
    erased = newest_participant_id()
    assert client.delete("/api/v1/me", headers=auth(erased_token)).status_code == 204
    db.session.expire_all()
    assert newest_participant_id() < erased  # the erased one was the newest

    join(walk)
    assert newest_participant_id() > erased


def test_a_deleted_spots_id_is_never_given_again(client, make_walk, join):
    token = join(make_walk())[0]
    post_spot(client, token)
    newest = post_spot(client, token)
    deleted = spot_id_of(newest)
    assert client.delete(f"/api/v1/observations/{newest}", headers=auth(token)).status_code == 204
    db.session.expire_all()
    assert spot_id_of(newest) is None

    assert spot_id_of(post_spot(client, token)) > deleted
