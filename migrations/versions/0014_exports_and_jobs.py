"""exports and jobs: spot references, background jobs, what a finding's annex may quote

- `spot_reference`: a spot's short reference within its project (S001, S002...), never reused,
  kept after the spot's erasure (the annex then reads « retiré à la demande de la participante »).
  Spots that exist get theirs on first use (services.spot_references), not here.
- `job`: long work in the background (annexes, reports, exports, photo ZIPs) and its progress.
- `finding.quoted_spot_ids`, `finding.chosen_photo_ids`: what the planner chose to show in the
  tender annex (nothing by default).
- `project.award_weights`: the annex's suggested award criteria and their weights.

Plain CREATE TABLE and ADD COLUMN on both databases: never a rebuild of `project` or `finding`.

Revision ID: e4a1c8d2f6b7
Revises: d3f7b0c5e249
Create Date: 2026-12-01 16:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "e4a1c8d2f6b7"
down_revision = "d3f7b0c5e249"
branch_labels = None
depends_on = None

JSONType = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade():
    op.create_table(
        "spot_reference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_spot_reference_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_reference")),
        sa.UniqueConstraint("observation_id", name=op.f("uq_spot_reference_observation_id")),
        sa.UniqueConstraint("project_id", "number", name=op.f("uq_spot_reference_project_id")),
    )
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", JSONType, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("result_path", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_job_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_job_user_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index(op.f("ix_job_project_id"), "job", ["project_id"])
    op.add_column(
        "finding",
        sa.Column("quoted_spot_ids", JSONType, nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column(
        "finding",
        sa.Column("chosen_photo_ids", JSONType, nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("project", sa.Column("award_weights", JSONType, nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild (see 0009).
    op.drop_column("project", "award_weights")
    op.drop_column("finding", "chosen_photo_ids")
    op.drop_column("finding", "quoted_spot_ids")
    op.drop_index(op.f("ix_job_project_id"), table_name="job")
    op.drop_table("job")
    op.drop_table("spot_reference")
