"""Moderation: hide a spot (a comment naming a person, say) with the reason kept, or show it again.

A hidden spot stays stored with who hid it, when and why; it leaves the maps, the GeoJSON, the
exports, the gallery and the default triage list. Every change goes to the audit log, in the
same transaction; unhiding clears the three fields, and the log keeps what they said.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..domain import rules
from ..extensions import db, utcnow
from ..models import Observation, Walk
from . import audit
from .errors import Conflict, Invalid, NotFound, Problem

REASON_MAX_LENGTH = 500


def project_observation(project_id: int, observation_id: int) -> Observation:
    """A spot of the project, or NotFound (a spot of another project looks unknown)."""
    obs = db.session.scalar(
        sa.select(Observation)
        .join(Walk, Observation.walk_id == Walk.id)
        .where(Observation.id == observation_id, Walk.project_id == project_id)
    )
    if obs is None:
        raise NotFound({"observation": "spot_unknown"})
    return obs


def clean_reason(reason: str | None) -> str:
    if rules.has_control_characters(reason):
        raise Invalid({"reason": "control_characters"})
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid({"reason": Problem("reason_required", max=REASON_MAX_LENGTH)})
    if len(reason) > REASON_MAX_LENGTH:
        raise Invalid({"reason": Problem("reason_required", max=REASON_MAX_LENGTH)})
    return reason


def hide(obs: Observation, reason: str | None, *, user_id: int, project_id: int) -> None:
    if obs.hidden_at is not None:
        raise Conflict({"observation": "already_hidden"})
    obs.hidden_reason = clean_reason(reason)
    obs.hidden_at = utcnow()
    obs.hidden_by_id = user_id
    audit.record(
        "hide",
        "observation",
        obs.id,
        user_id=user_id,
        project_id=project_id,
        details={"uuid": str(obs.uuid), "reason": obs.hidden_reason},
    )
    db.session.flush()


def unhide(obs: Observation, *, user_id: int, project_id: int) -> None:
    if obs.hidden_at is None:
        raise Conflict({"observation": "not_hidden"})
    details = {
        "uuid": str(obs.uuid),
        "hidden_at": obs.hidden_at.isoformat(),
        "hidden_by_id": obs.hidden_by_id,
        "reason": obs.hidden_reason,
    }
    obs.hidden_at = obs.hidden_reason = obs.hidden_by_id = None
    audit.record(
        "unhide", "observation", obs.id, user_id=user_id, project_id=project_id, details=details
    )
    db.session.flush()
