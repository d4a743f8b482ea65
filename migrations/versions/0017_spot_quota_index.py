"""spot quota index: a submit's quota probe is one index seek

services.quotas.check_new_spot asks, at every spot submit, for the participant's n-th newest
spot received within the window. The participant's other indexes start with (participant_id,
category) or (participant_id, time_slot): the probe read all her spots and sorted them, a cost
that grows with a busy token. (participant_id, received_at) answers it in one seek.

Revision ID: b7d4f1a9c3e5
Revises: a6c3e0f4b8d9
Create Date: 2026-12-01 18:40:00

"""

from alembic import op

revision = "b7d4f1a9c3e5"
down_revision = "a6c3e0f4b8d9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_observation_participant_received", "observation", ["participant_id", "received_at"]
    )


def downgrade():
    op.drop_index("ix_observation_participant_received", table_name="observation")
