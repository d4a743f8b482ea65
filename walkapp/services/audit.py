"""The audit log: one call per change, in the same transaction as the change.

Append-only, but for erasure: the entries about an erased participant's spots keep the fact and
lose the content (`redact`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa

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


REDACTED = {"redacted": True}
_QUOTES_PER_QUERY = 100  # LIKE conditions per statement


def redact(
    target_type: str,
    target_ids: Iterable[object],
    *,
    quoted: Iterable[str] = (),
    keep: Collection[str] = (),
    project_ids: Iterable[int] = (),
) -> int:
    """An erasure: the entries about these targets keep the fact (action, who, when, project)
    but not what they said: no target id, and of their details only the `keep` keys (no content)
    with ``"redacted": true``. Entries of `project_ids` whose details quote one of `quoted` (a
    spot's uuid) lose their details the same way, and keep their own target. Same transaction as
    the erasure. Returns how many entries were redacted."""
    ids = sorted({str(target_id) for target_id in target_ids})
    quotes = sorted({text for text in quoted if text})
    about = set(ids)
    found: dict[int, AuditEvent] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = sa.select(AuditEvent).where(
            AuditEvent.target_type == target_type, AuditEvent.target_id.in_(chunk)
        )
        found.update((event.id, event) for event in db.session.scalars(query))
    projects = sorted(set(project_ids))
    details_text = sa.cast(AuditEvent.details, sa.Text)
    for start in range(0, len(quotes) if projects else 0, _QUOTES_PER_QUERY):
        chunk = quotes[start : start + _QUOTES_PER_QUERY]
        query = sa.select(AuditEvent).where(
            AuditEvent.project_id.in_(projects),
            sa.or_(*(details_text.contains(text, autoescape=True) for text in chunk)),
        )
        found.update((event.id, event) for event in db.session.scalars(query))
    for event in found.values():
        if event.target_type == target_type and event.target_id in about:
            event.target_id = None
        kept = {key: value for key, value in (event.details or {}).items() if key in keep}
        event.details = {**kept, **REDACTED}
    db.session.flush()
    return len(found)
