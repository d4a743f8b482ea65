"""a role per project membership

Roles were one per account; the same person leads walks in one commune and only reads another.
Each membership gets the role its account had (an administrator's memberships become `planner`:
their rights stay global anyway).

Revision ID: 8c6d2e5f1a74
Revises: 7b5c1d4e0f63
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "8c6d2e5f1a74"
down_revision = "7b5c1d4e0f63"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("project_member") as batch:
        batch.add_column(sa.Column("role", sa.String(20), nullable=False, server_default="viewer"))
    op.execute(
        """
        UPDATE project_member SET role = (
            SELECT CASE WHEN "user".role = 'admin' THEN 'planner' ELSE "user".role END
            FROM "user" WHERE "user".id = project_member.user_id
        )
        """
    )
    # The column keeps no default: whoever adds a member says what they may do.
    with op.batch_alter_table("project_member") as batch:
        batch.alter_column("role", server_default=None)


def downgrade():
    with op.batch_alter_table("project_member") as batch:
        batch.drop_column("role")
