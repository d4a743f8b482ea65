"""drop the spots' participant-only index: three others start with participant_id

Every spot insert wrote ten indexes. ix_observation_participant_id (participant_id) is a prefix of
ix_observation_participant_received (participant_id, received_at) — and of the category and time
slot ones —, which serve whatever it served: her spots (the phone's list, her erasure, the
cascade when she is deleted). One index fewer to write at each submit, the hot path of a walk.

Revision ID: f2b8d5e3a1c7
Revises: e1a7c4d2f8b9
Create Date: 2026-12-03 10:00:00

"""

from alembic import op

revision = "f2b8d5e3a1c7"
down_revision = "e1a7c4d2f8b9"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_observation_participant_id", table_name="observation")


def downgrade():
    op.create_index("ix_observation_participant_id", "observation", ["participant_id"])
