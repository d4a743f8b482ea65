"""Export files: only the roles the permission table allows, one audit entry per file (who,
what, which filters, when), written through a unit that writes (BEGIN IMMEDIATE on SQLite).
Viewing photos and pages is not an export: it writes none."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import DATA
from planner_users import login, make_user

from walkapp.extensions import db, write_intent
from walkapp.models import AuditEvent, Observation, Participant
from walkapp.services import capture
from walkapp.services.photo_store import PhotoStore
from walkapp.unit_of_work import WRITES

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def add_spot(walk, participant: Participant, **fields) -> Observation:
    values = {
        "category": "lighting",
        "feeling": 1,
        "light_condition": "night",
        "lat": 50.3561,
        "lon": 3.5187,
        **fields,
    }
    obs = Observation(
        uuid=uuid.uuid4(),
        participant_id=participant.id,
        walk_id=walk.id,
        recorded_at=T0,
        utc_offset_minutes=60,
        local_date=T0.date(),
        time_slot="weekday_evening",
        **values,
    )
    db.session.add(obs)
    db.session.flush()
    return obs


@pytest.fixture
def project(app, make_walk):
    """A walk of one project with two spots of one participant (one with a photo)."""
    walk = make_walk()
    participant = Participant(
        walk_id=walk.id,
        token_hash=secrets.token_hex(32),
        erasure_code_hash=secrets.token_hex(32),
        consent_at=T0,
        consent_version="test",
    )
    db.session.add(participant)
    db.session.flush()
    dark = add_spot(walk, participant)
    add_spot(walk, participant, category="visibility", light_condition="day")
    capture.add_photo(
        participant,
        dark.uuid,
        (DATA / "day-path.jpg").read_bytes(),
        PhotoStore(app.config["PHOTO_DIR"]),
    )
    db.session.commit()
    return walk


def url(walk) -> str:
    return f"/api/v1/projects/{walk.project_id}/observations.geojson"


def audit_entries() -> list[AuditEvent]:
    db.session.rollback()  # read what the requests committed
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export")))


@pytest.mark.parametrize("role", ["viewer", "facilitator"])
def test_viewers_and_facilitators_may_not_export(client, project, role):
    user = make_user(f"{role}@x.fr", role, projects=[project.project_id])
    login(client, user)
    r = client.get(url(project))
    assert r.status_code == 403
    assert r.json["codes"] == {"body": "export_not_allowed"}
    assert audit_entries() == []


def test_a_non_member_gets_404(client, project):
    login(client, make_user("stranger@x.fr", "planner"))
    assert client.get(url(project)).status_code == 404
    assert audit_entries() == []


@pytest.mark.parametrize("role", ["planner", "admin"])
def test_planners_and_admins_export_and_each_file_is_audited(client, project, role):
    user = make_user(f"{role}@x.fr", role, projects=[project.project_id] if role != "admin" else [])
    login(client, user)
    before = datetime.now(UTC) - timedelta(seconds=1)
    r = client.get(url(project), query_string={"category": "lighting", "gender": "nonsense"})
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    assert [f["properties"]["category"] for f in r.json["features"]] == ["lighting"]
    [entry] = audit_entries()
    assert (entry.user_id, entry.project_id) == (user.id, project.project_id)
    assert (entry.target_type, entry.target_id) == ("project", str(project.project_id))
    assert entry.details == {
        "format": "geojson",
        "layer": "spots",
        "filters": {"category": ["lighting"]},
        "spots": 1,
    }
    assert entry.at >= before
    assert client.get(url(project)).json["features"][1]["properties"]["category"] == "visibility"
    assert len(audit_entries()) == 2  # one entry per file


def test_the_write_mark_survives_the_api_wrapper(app):
    assert getattr(app.view_functions["api.project_geojson"], WRITES, False) is True
    assert not getattr(app.view_functions["api.photo_thumbnail"], WRITES, False)


def test_the_export_transaction_is_a_write_from_its_first_statement(client, project, app):
    """The export writes its audit entry: its transaction declares the write when it begins
    (on SQLite: BEGIN IMMEDIATE), while a page that only reads stays a plain read."""
    login(client, make_user("planner@x.fr", "planner", projects=[project.project_id]))
    db.session.rollback()  # no transaction left open by the test: the request begins its own
    intents: list[bool] = []
    statements: list[str] = []

    def on_begin(conn):
        intents.append(write_intent.get())

    def on_statement(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            statements.append(statement)

    sa.event.listen(db.engine, "begin", on_begin)
    sa.event.listen(db.engine, "before_cursor_execute", on_statement)
    try:
        assert client.get(url(project)).status_code == 200
        export = (list(intents), list(statements))
        intents.clear()
        statements.clear()
        db.session.rollback()
        assert client.get(f"/planner/projects/{project.project_id}/map").status_code == 200
    finally:
        sa.event.remove(db.engine, "begin", on_begin)
        sa.event.remove(db.engine, "before_cursor_execute", on_statement)
    assert export[0] and export[0][0] is True
    assert intents and not any(intents)
    if db.engine.dialect.name == "sqlite":
        assert export[1][0] == "BEGIN IMMEDIATE"
        assert "BEGIN IMMEDIATE" not in statements


def test_viewing_photos_and_pages_writes_no_audit_entry(client, project):
    login(client, make_user("viewer@x.fr", "viewer", projects=[project.project_id]))
    photo_id = db.session.scalar(sa.text("SELECT id FROM photo"))
    for path in (
        f"/api/v1/photos/{photo_id}/thumbnail",
        f"/api/v1/photos/{photo_id}",
        f"/planner/projects/{project.project_id}/photos",
        f"/planner/projects/{project.project_id}/map",
    ):
        r = client.get(path)
        r.get_data()
        r.close()
        assert r.status_code == 200, path
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_the_api_geojson_names_nobody(client, project):
    """The route's GeoJSON: features named by the spot's reference, participants as labels of
    this file, no participant id, no client uuid; downloaded under a readable ASCII name."""
    login(client, make_user("planner@x.fr", "planner", projects=[project.project_id]))
    r = client.get(url(project))
    assert r.status_code == 200
    features = r.json["features"]
    assert [f["id"] for f in features] == ["S001", "S002"]
    assert [f["properties"]["participant"] for f in features] == ["P1", "P1"]
    assert [f["properties"]["photos"] for f in features] == [1, 0]
    spot_uuids = [str(u) for u in db.session.scalars(sa.select(Observation.uuid))]
    body = r.get_data(as_text=True)
    for word in ("participant_id", "uuid", "walk_id", "token", *spot_uuids):
        assert word not in body
    disposition = r.headers["Content-Disposition"]
    assert re.fullmatch(
        r"attachment; filename=place-du-canada-\w+-\d{4}-\d{2}-\d{2}\.geojson", disposition
    ), disposition


def test_the_openapi_document_lists_the_geojson_properties_and_no_other(client):
    doc = client.get("/api/v1/openapi.json").json
    operation = doc["paths"]["/api/v1/projects/{project_id}/observations.geojson"]["get"]
    schema = operation["responses"]["200"]["content"]["application/geo+json"]["schema"]
    properties = schema["properties"]["features"]["items"]["properties"]["properties"]
    assert properties["additionalProperties"] is False
    assert {"reference", "participant", "comment", "lat"} & set(properties["properties"]) == {
        "reference",
        "participant",
        "comment",
    }
    assert "participant_id" not in properties["properties"]
