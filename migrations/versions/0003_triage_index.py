"""triage index: filtered counts and keyset pages read the index only

Revision ID: 3c1f0e7a9b21
Revises: 0a2610cdb35b
Create Date: 2026-11-30 19:10:00

"""

from alembic import op

revision = "3c1f0e7a9b21"
down_revision = "0a2610cdb35b"
branch_labels = None
depends_on = None

COLUMNS = [
    "walk_id",
    "hidden_at",
    "light_condition",
    "feeling",
    "category",
    "entered_by_id",
    "recorded_at",
    "id",
]


def upgrade():
    op.create_index("ix_observation_triage", "observation", COLUMNS)


def downgrade():
    op.drop_index("ix_observation_triage", table_name="observation")
