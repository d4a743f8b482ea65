"""residents' page: a project's public page, published by a planner and frozen as a snapshot

- `publication`: one row per published project (unique), its random address (`slug`), who
  published it and when, her options (contact, quotes, k), the aggregated `snapshot` the page
  shows and the `selection` it was drawn from (rebuilt without erased content by an erasure).

Plain CREATE TABLE on both databases.

Revision ID: a6c3e0f4b8d9
Revises: f5b2d9e3a7c8
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "a6c3e0f4b8d9"
down_revision = "f5b2d9e3a7c8"
branch_labels = None
depends_on = None

JSONType = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade():
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("republished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("options", JSONType, nullable=False),
        sa.Column("snapshot", JSONType, nullable=False),
        sa.Column("selection", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_publication_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user.id"],
            name=op.f("fk_publication_published_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("project_id", name=op.f("uq_publication_project_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_publication_slug")),
    )


def downgrade():
    op.drop_table("publication")
