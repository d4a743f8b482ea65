"""The schema comes from the migrations, and the models agree with them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from walkapp.extensions import db


def test_migrations_build_every_table(app):
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_autogenerate_finds_no_difference(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_constraint_names_follow_the_convention(app):
    inspector = sa.inspect(db.engine)
    fks = inspector.get_foreign_keys("observation")
    assert {fk["name"] for fk in fks} >= {"fk_observation_participant_id_participant"}
    uniques = {u["name"] for u in inspector.get_unique_constraints("observation")}
    assert "uq_observation_uuid" in uniques


def test_downgrade_then_upgrade_on_an_empty_database(app):
    from flask_migrate import downgrade, upgrade

    downgrade(revision="base")
    assert "observation" not in sa.inspect(db.engine).get_table_names()
    upgrade()
    assert "observation" in sa.inspect(db.engine).get_table_names()


def test_0006_turns_a_cell_finding_into_its_hexagon_and_its_spots(app, make_walk, client, join):
    """A finding stored as an H3 cell (before 0006) becomes that cell's hexagon, with the
    project's visible spots inside it — on SQLite and PostgreSQL."""
    import h3
    from flask_migrate import downgrade, upgrade
    from shapely.geometry import Point, shape

    from walkapp.models import Finding, Observation

    walk = make_walk()
    token, _code, _ = join(walk)
    at = {"lat": 50.35612, "lon": 3.51847}
    cell = h3.latlng_to_cell(at["lat"], at["lon"], 11)
    far = {"lat": 50.3600, "lon": 3.5300}
    for i, place in enumerate((at, at, at, far)):
        body = {
            "id": f"00000000-0000-4000-8000-00000000000{i}",
            "recorded_at": "2026-11-20T21:00:00+01:00",
            "category": "lighting",
            "feeling": 1,
            **place,
        }
        r = client.post(
            "/api/v1/observations", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 201
    spots = db.session.scalars(sa.select(Observation).order_by(Observation.id)).all()
    spots[2].hidden_at = spots[2].received_at  # hidden spots never belong to a finding
    db.session.add(
        Finding(
            project_id=walk.project_id,
            place_key=f"h3:{cell}",
            lat=at["lat"],
            lon=at["lon"],
            geometry={"type": "Point", "coordinates": [0, 0]},  # rebuilt from the cell below
            spot_ids=[],
            title="Sous le pont",
            recommendation="Éclairer",
            statistics={},
        )
    )
    db.session.commit()
    db.session.remove()

    downgrade(revision="5e3f9a2b8d41")  # 0005: findings are cells
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT cell FROM finding")).scalar_one() == cell
    upgrade()

    finding = db.session.scalars(sa.select(Finding)).one()
    assert finding.place_key == f"h3:{cell}"
    assert finding.spot_ids == [spots[0].id, spots[1].id]
    area = shape(finding.geometry)
    assert area.geom_type == "Polygon" and area.contains(Point(at["lon"], at["lat"]))
    assert not area.contains(Point(far["lon"], far["lat"]))


def test_0007_keeps_every_row_and_id_and_never_reuses_one(app, make_walk, client, join):
    """0007 rebuilds participant and observation on SQLite (AUTOINCREMENT): the rows of the
    tables that refer to them (spots, photos, track points) survive with their ids, foreign keys
    stay enforced, and the next ids are above every id present."""
    from flask_migrate import downgrade, upgrade

    from walkapp.models import Observation, Participant, Photo, StoredFile, TrackPoint

    walk = make_walk()
    join(walk)
    token = join(walk, track_consent=True)[0]
    body = {
        "id": "00000000-0000-4000-8000-000000000007",
        "recorded_at": "2026-11-20T21:00:00+01:00",
        "category": "lighting",
        "feeling": 1,
        "lat": 50.35612,
        "lon": 3.51847,
    }
    r = client.post("/api/v1/observations", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201
    spot = db.session.scalars(sa.select(Observation)).one()
    file = StoredFile(sha256="0" * 64, width=4, height=3, byte_size=12)
    db.session.add_all(
        [
            Photo(observation=spot, file=file),
            TrackPoint(
                participant_id=spot.participant_id, recorded_at=spot.recorded_at, lat=50.0, lon=3.0
            ),
        ]
    )
    db.session.commit()

    # Columns added by later migrations (0010, 0018) are not there at 0006: compared without them.
    later = {"position_source", "position_suspect", "zone_id"}

    def rows():
        return {
            model.__tablename__: db.session.execute(
                sa.select(*(c for c in model.__table__.c if c.name not in later)).order_by(model.id)
            ).all()
            for model in (Participant, Observation, Photo, StoredFile, TrackPoint)
        }

    before = rows()
    db.session.remove()

    downgrade(revision="6a4b0c3d9e52")  # 0006: no AUTOINCREMENT
    assert rows() == before
    db.session.remove()
    upgrade()
    assert rows() == before
    db.session.remove()

    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            sequence = dict(conn.exec_driver_sql("SELECT name, seq FROM sqlite_sequence").all())
            assert sequence["participant"] == max(p.id for p in before["participant"])
            assert sequence["observation"] == spot.id
            for table in ("participant", "observation"):
                sql = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
                ).scalar_one()
                assert "AUTOINCREMENT" in sql
    # The foreign keys are still there and still cascade: deleting the (newest) participant's row
    # takes her spot, its photo and her trace along; the next participant gets a new id.
    erased = spot.participant_id
    assert erased == max(p.id for p in before["participant"])
    with db.engine.begin() as conn:
        conn.execute(sa.delete(Participant.__table__).where(Participant.__table__.c.id == erased))
    for model in (Observation, Photo, TrackPoint):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    join(walk)
    assert db.session.scalar(sa.select(sa.func.max(Participant.id))) > erased


def test_0008_gives_each_membership_its_accounts_role(app):
    """Before 0008 the role was the account's; each membership gets it (an administrator's
    become a planner's: their rights stay global)."""
    from flask_migrate import downgrade, upgrade

    downgrade(revision="7b5c1d4e0f63")  # 0007: one role per account
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO project (id, name, commune, description, phase, "
                "timezone, created_at) VALUES (1, 'P', '', '', 'diagnostic', "
                "'Europe/Paris', '2026-01-01 00:00:00')"
            )
        )
        for uid, role in enumerate(("admin", "planner", "facilitator", "viewer"), start=1):
            conn.execute(
                sa.text(
                    'INSERT INTO "user" (id, email, name, password_hash, role, active, created_at) '
                    "VALUES (:id, :email, '', 'x', :role, true, '2026-01-01 00:00:00')"
                ),
                {"id": uid, "email": f"{role}@x.fr", "role": role},
            )
            conn.execute(
                sa.text("INSERT INTO project_member (user_id, project_id) VALUES (:id, 1)"),
                {"id": uid},
            )
    upgrade()
    with db.engine.connect() as conn:
        roles = dict(conn.execute(sa.text("SELECT user_id, role FROM project_member")).all())
    assert roles == {1: "planner", 2: "planner", 3: "facilitator", 4: "viewer"}


def test_0020_renames_the_survey_kind_both_ways_and_keeps_the_respondents(app, make_walk, join):
    """0020 renames `post_works_survey` to `appropriation_survey`; its downgrade drops
    `walk.permanent` in place, so the walks' participants stay (a SQLite table rebuild with the
    foreign keys on would delete them)."""
    from flask_migrate import downgrade, upgrade

    walk = make_walk(kind="appropriation_survey")
    join(walk)
    db.session.commit()
    walk_id = walk.id
    db.session.remove()

    def state() -> tuple[str, int]:
        with db.engine.connect() as conn:
            kind = conn.execute(
                sa.text("SELECT kind FROM walk WHERE id = :id"), {"id": walk_id}
            ).scalar()
            people = conn.execute(
                sa.text("SELECT count(*) FROM participant WHERE walk_id = :id"), {"id": walk_id}
            ).scalar()
        return kind, people

    downgrade(revision="d9f6b3c1e5a7")  # 0019
    assert state() == ("post_works_survey", 1)
    upgrade()
    assert state() == ("appropriation_survey", 1)
