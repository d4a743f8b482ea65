"""archived projects

A project can be archived: read-only, out of the current lists and indicators, still counted in
the years its events ran.

Revision ID: 9d7e3f6a2b85
Revises: 8c6d2e5f1a74
Create Date: 2026-12-03 11:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "9d7e3f6a2b85"
down_revision = "8c6d2e5f1a74"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("project", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild: dropping the table to copy it
    # would cascade to every event and spot of the project (see 0007).
    op.drop_column("project", "archived_at")
