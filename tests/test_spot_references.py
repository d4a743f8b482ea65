"""Spots' short references (services.spot_references): handed out in the order of the spots, per
project, never reused, and kept when a spot cited by a finding is erased."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from conftest import auth
from test_photos_api import new_spot

from walkapp.extensions import db
from walkapp.models import Finding, Observation, SpotReference
from walkapp.services import spot_references
from walkapp.unit_of_work import unit


def spot_id(obs_uuid: str) -> int:
    return db.session.scalar(
        sa.select(Observation.id).where(Observation.uuid == uuid.UUID(obs_uuid))
    )


def test_numbers_follow_the_spots_per_project_and_are_never_reused(app, client, make_walk, join):
    walk, other_walk = make_walk(), make_walk()
    token, _code, _ = join(walk)
    other_token, _code, _ = join(other_walk)
    first = [spot_id(new_spot(client, token)) for _ in range(3)]
    elsewhere = spot_id(new_spot(client, other_token))
    with unit():
        assert spot_references.assign(walk.project_id) == 3
        assert spot_references.assign(walk.project_id) == 0  # idempotent
        spot_references.assign(other_walk.project_id)
    assert spot_references.labels(walk.project_id) == dict(
        zip(first, ["S001", "S002", "S003"], strict=True)
    )
    assert spot_references.labels(other_walk.project_id) == {elsewhere: "S001"}

    # The last spot is deleted by its owner, a new one is tagged: S003 is not handed out again.
    last = db.session.get(Observation, first[-1])
    assert (
        client.delete(f"/api/v1/observations/{last.uuid}", headers=auth(token)).status_code == 204
    )
    new = spot_id(new_spot(client, token))
    with unit():
        spot_references.assign(walk.project_id)
    assert spot_references.labels(walk.project_id, [new]) == {new: "S004"}


def test_an_erased_spot_cited_by_a_finding_keeps_its_reference(app, client, make_walk, join):
    walk = make_walk()
    token, _code, _ = join(walk)
    spots = [spot_id(new_spot(client, token)) for _ in range(2)]
    with unit():
        db.session.add(
            Finding(
                project_id=walk.project_id,
                place_key="test",
                lat=50.3561,
                lon=3.5187,
                geometry={"type": "Polygon", "coordinates": []},
                spot_ids=spots,
                title="t",
                recommendation="r",
                statistics={},
            )
        )
    # No export ever ran: the references are handed out by the erasure itself, before it.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SpotReference)) == 0
    assert client.delete("/api/v1/me", headers=auth(token)).status_code == 204
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 0
    assert spot_references.labels(walk.project_id) == {spots[0]: "S001", spots[1]: "S002"}
