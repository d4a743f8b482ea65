"""zones: a project's named zones, and the zone each spot falls in

- `zone`: a project's zone (name unique in the project, GeoJSON geometry, the planner's order).
- `observation.zone_id`: the zone the spot's position falls in (services.zones; SET NULL when
  the zone is deleted), indexed with `hidden_at` for the per-zone counts.
- `project.zones_version`: a new value at every change of the zones; the spot submit reads it with
  the token's row and asks for no zone at all while it is 0.

PostgreSQL: plain CREATE TABLE, ADD COLUMN and ADD CONSTRAINT. SQLite cannot add a named
foreign key to a table (an inline REFERENCES in ADD COLUMN is unnamed and its ON DELETE is not
reflected): `observation` is rebuilt (batch copy) the way 0007 does it, foreign keys off during
the copy (DROP TABLE would otherwise cascade to the photos), AUTOINCREMENT kept, checked with
`PRAGMA foreign_key_check` before the commit.

Revision ID: c8e5a2b0d4f6
Revises: b7d4f1a9c3e5
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c8e5a2b0d4f6"
down_revision = "b7d4f1a9c3e5"
branch_labels = None
depends_on = None

JSONType = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def _add_zone_id(batch) -> None:
    batch.add_column(sa.Column("zone_id", sa.Integer(), nullable=True))
    batch.create_foreign_key(
        "fk_observation_zone_id_zone", "zone", ["zone_id"], ["id"], ondelete="SET NULL"
    )


def _rebuild_observation(change) -> None:
    """SQLite: `observation` rebuilt with `change` applied, as 0007 rebuilds it."""
    conn = op.get_bind()
    enforced = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    # The SQLAlchemy transaction stays open around this; SQLite's ends here and begins again below.
    conn.exec_driver_sql("COMMIT")
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        with op.batch_alter_table(
            "observation", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            change(batch)
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"rows refer to missing rows after the rebuild: {broken[:10]}")
        conn.exec_driver_sql("COMMIT")
    except BaseException:
        conn.exec_driver_sql("ROLLBACK")
        raise
    finally:
        conn.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
        conn.exec_driver_sql("BEGIN")


def upgrade():
    op.create_table(
        "zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("geometry", JSONType, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_zone_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_zone_project_id")),
    )
    op.create_index(op.f("ix_zone_project_id"), "zone", ["project_id"])
    op.add_column(
        "project",
        sa.Column("zones_version", sa.Integer(), nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_observation(_add_zone_id)
    else:
        op.add_column("observation", sa.Column("zone_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_observation_zone_id_zone"),
            "observation",
            "zone",
            ["zone_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index("ix_observation_zone_id_hidden_at", "observation", ["zone_id", "hidden_at"])


def downgrade():
    op.drop_index("ix_observation_zone_id_hidden_at", table_name="observation")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_observation(lambda batch: batch.drop_column("zone_id"))
    else:
        op.drop_constraint(op.f("fk_observation_zone_id_zone"), "observation", type_="foreignkey")
        op.drop_column("observation", "zone_id")
    op.drop_column("project", "zones_version")
    op.drop_index(op.f("ix_zone_project_id"), table_name="zone")
    op.drop_table("zone")
