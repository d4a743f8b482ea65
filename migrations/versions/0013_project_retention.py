"""project retention: how long a project's participants' data is kept after it closes

Each project keeps its participants' data (spots, photos, route traces, profiles) for a number
of months after it closes (services.retention: archived_at if archived, else the end of its last
event), then `walkapp purge` erases them. Projects that exist get the default, 24 months.

Plain ADD COLUMN on both databases (NOT NULL with a default): never a rebuild of `project`, which
events refer to with ON DELETE CASCADE (see 0007).

Revision ID: d3f7b0c5e249
Revises: c2e6a9b4d138
Create Date: 2026-12-01 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d3f7b0c5e249"
down_revision = "c2e6a9b4d138"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "project",
        sa.Column("retention_months", sa.Integer(), nullable=False, server_default="24"),
    )


def downgrade():
    # A plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild (see 0009).
    op.drop_column("project", "retention_months")
