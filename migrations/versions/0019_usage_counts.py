"""usage counts: counting periods and the people counted (Public Life Data Protocol)

- `count_period`: one counter's period in one zone (people staying or passing), made on the
  phone with its uuid; the project's phase and the time slot at its start; the weather, what was
  out of the ordinary (the protocol's time character), the line or gate.
- `count_record`: one person counted (one tap, with its uuid): perceived gender and age group,
  and the mode (passing) or the posture, activity and group size (staying).

Plain CREATE TABLE on both databases.

Revision ID: d9f6b3c1e5a7
Revises: c8e5a2b0d4f6
Create Date: 2026-12-04 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d9f6b3c1e5a7"
down_revision = "c8e5a2b0d4f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "count_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_slot", sa.String(length=20), nullable=False),
        sa.Column("weather", sa.String(length=20), nullable=True),
        sa.Column("time_character", sa.String(length=30), nullable=False),
        sa.Column("line", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("counted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_count_period_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_count_period_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["counted_by_id"],
            ["user.id"],
            name=op.f("fk_count_period_counted_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_period")),
        sa.UniqueConstraint("uuid", name=op.f("uq_count_period_uuid")),
    )
    op.create_index(op.f("ix_count_period_project_id"), "count_period", ["project_id"])
    op.create_index(op.f("ix_count_period_zone_id"), "count_period", ["zone_id"])
    op.create_table(
        "count_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("age_group", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=True),
        sa.Column("posture", sa.String(length=20), nullable=True),
        sa.Column("activity", sa.String(length=30), nullable=True),
        sa.Column("group_size", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["count_period.id"],
            name=op.f("fk_count_record_period_id_count_period"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_record")),
        sa.UniqueConstraint("uuid", name=op.f("uq_count_record_uuid")),
    )
    op.create_index("ix_count_record_period_id", "count_record", ["period_id"])


def downgrade():
    op.drop_index("ix_count_record_period_id", table_name="count_record")
    op.drop_table("count_record")
    op.drop_index(op.f("ix_count_period_zone_id"), table_name="count_period")
    op.drop_index(op.f("ix_count_period_project_id"), table_name="count_period")
    op.drop_table("count_period")
