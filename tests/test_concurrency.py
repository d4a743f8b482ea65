"""Concurrent submissions: no "database is locked", no duplicate, nothing lost."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa
from conftest import auth

from walkapp.extensions import db, utcnow
from walkapp.models import Observation

THREADS, SPOTS_EACH = 8, 15


def test_parallel_participants_with_retries(app, make_walk, join):
    walk = make_walk()
    tokens = [join(walk)[0] for _ in range(THREADS)]
    recorded = (utcnow() - timedelta(minutes=1)).isoformat()

    def participant_session(token: str) -> list[int]:
        client = app.test_client()
        statuses = []
        for _ in range(SPOTS_EACH):
            body = {
                "id": str(uuid.uuid4()),
                "lat": 50.356,
                "lon": 3.518,
                "recorded_at": recorded,
                "category": "lighting",
                "feeling": 1,
            }
            for _attempt in range(2):  # every spot sent twice, as a retry after a lost answer
                r = client.post("/api/v1/observations", headers=auth(token), json=body)
                statuses.append(r.status_code)
        return statuses

    with ThreadPoolExecutor(THREADS) as pool:
        results = [s for statuses in pool.map(participant_session, tokens) for s in statuses]
    assert sorted(set(results)) == [200, 201]
    assert results.count(201) == THREADS * SPOTS_EACH
    db.session.rollback()  # end the test thread's read snapshot
    stored = db.session.scalar(sa.select(sa.func.count(Observation.id)))
    assert stored == THREADS * SPOTS_EACH


def test_same_spot_sent_by_two_connections_at_once(app, make_walk, join):
    walk = make_walk()
    token = join(walk)[0]
    body = {
        "id": str(uuid.uuid4()),
        "lat": 50.356,
        "lon": 3.518,
        "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
        "category": "harassment",
        "feeling": 1,
    }

    def send(_):
        return app.test_client().post("/api/v1/observations", headers=auth(token), json=body)

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(r.status_code for r in pool.map(send, range(6)))
    assert statuses == [200] * 5 + [201]
    db.session.rollback()  # end the test thread's read snapshot
    assert db.session.scalar(sa.select(sa.func.count(Observation.id))) == 1
