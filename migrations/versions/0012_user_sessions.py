"""user sessions: signing out ends every copy of the session cookie

A row per signed-in session, holding the SHA-256 of the random token its cookie carries (never
the token). Signing out deletes the row; a new password, deactivation and an administrator's
"sign out everywhere" delete the user's rows. A new table: sessions opened before this migration
end at their next request (they carry no token).

Revision ID: c2e6a9b4d138
Revises: b1d5f8a3c027
Create Date: 2026-12-01 13:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c2e6a9b4d138"
down_revision = "b1d5f8a3c027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_user_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_session")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
