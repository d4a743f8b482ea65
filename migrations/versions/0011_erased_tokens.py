"""erased tokens: an erased participant's token answers `erased`

The SHA-256 of an erased participant's token and the erasure's time, nothing else, kept 30 days
(services.capture.ERASED_TOKEN_DAYS) so that the phone still holding the token gets 401 `erased`
and may forget its copy. A new table: nothing else changes.

Revision ID: b1d5f8a3c027
Revises: a0c4e7f2b916
Create Date: 2026-12-04 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b1d5f8a3c027"
down_revision = "a0c4e7f2b916"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "erased_token",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_erased_token")),
    )
    op.create_index(op.f("ix_erased_token_erased_at"), "erased_token", ["erased_at"])


def downgrade():
    op.drop_index(op.f("ix_erased_token_erased_at"), table_name="erased_token")
    op.drop_table("erased_token")
