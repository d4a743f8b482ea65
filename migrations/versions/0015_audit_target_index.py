"""audit target index: an erasure finds the audit entries about its spots by index

services.audit.redact looks entries up by (target_type, target_id) in every erasure; without an
index that is a scan of the whole audit log inside the erasure's transaction.

Revision ID: f5b2d9e3a7c8
Revises: e4a1c8d2f6b7
Create Date: 2026-12-01 16:30:00

"""

from alembic import op

revision = "f5b2d9e3a7c8"
down_revision = "e4a1c8d2f6b7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_event_target", "audit_event", ["target_type", "target_id"])


def downgrade():
    op.drop_index("ix_audit_event_target", table_name="audit_event")
