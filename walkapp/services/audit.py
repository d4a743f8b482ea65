"""The audit log: one call per change, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import AuditEvent


def record(
    action: str,
    target_type: str,
    target_id: object = None,
    *,
    user_id: int | None,
    project_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Log `action` ("create", "edit", "hide", "export", "delete", "open", "close", ...)."""
    event = AuditEvent(
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        user_id=user_id,
        project_id=project_id,
        details=details,
    )
    db.session.add(event)
    return event
