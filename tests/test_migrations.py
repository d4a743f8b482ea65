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
