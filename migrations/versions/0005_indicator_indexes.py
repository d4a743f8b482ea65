"""indicator indexes: per-participant probes for harassment and time slots, spots per stop

Revision ID: 5e3f9a2b8d41
Revises: 4d2e8f1a7c30
Create Date: 2026-11-30 19:40:00

"""

from alembic import op

revision = "5e3f9a2b8d41"
down_revision = "4d2e8f1a7c30"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_observation_participant_category": ["participant_id", "category", "hidden_at"],
    "ix_observation_participant_slot": ["participant_id", "time_slot", "hidden_at"],
    "ix_observation_stop_id_hidden_at": ["stop_id", "hidden_at"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "observation", columns)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="observation")
