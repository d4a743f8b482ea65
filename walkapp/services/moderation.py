"""Moderation: hide a spot (a comment naming a person, say) with the reason kept, or show it again.

A hidden spot stays stored with who hid it, when and why; it leaves the maps, the GeoJSON, the
exports, the gallery and the default triage list. Every change goes to the audit log, in the
same transaction; unhiding clears the three fields, and the log keeps what they said — until
the spot is erased (by its owner, or with her): then the log keeps that it was hidden, when and
by whom, and forgets the reason and the spot (`forget_spots`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

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


# What a hide or unhide entry keeps of its details once the spot is erased: when and by whom,
# never what (the reason may quote the comment) nor which spot (its uuid).
ERASED_SPOT_KEEPS = ("hidden_at", "hidden_by_id")


def forget_spots(spots: Iterable[tuple[int, uuid.UUID]], project_ids: Iterable[int]) -> int:
    """Erasure of these spots ((id, uuid) pairs): their audit entries (hide, unhide, ...) keep
    the fact but not the content nor the uuid (audit.redact), nor does any entry of the projects
    quoting a uuid. Returns how many entries were redacted."""
    spots = list(spots)
    if not spots:
        return 0
    uuids = [u for _id, u in spots]
    return audit.redact(
        "observation",
        [i for i, _u in spots] + [str(u) for u in uuids] + [u.hex for u in uuids],
        quoted=[str(u) for u in uuids] + [u.hex for u in uuids],
        keep=ERASED_SPOT_KEEPS,
        project_ids=project_ids,
    )
