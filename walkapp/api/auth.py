"""Who is calling: a participant's bearer token, or a planner's session."""

from __future__ import annotations

from flask import current_app, request

from ..access import is_member
from ..extensions import db
from ..models import Participant, Project
from ..services.capture import Caller, caller_for_token, participant_for_token, token_erased
from ..services.errors import Unauthorized
from ..services.quotas import TokenLimits


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_participant() -> Participant:
    """The token's participant, or 401: `erased` for the token of a participant erased (within
    capture.ERASED_TOKEN_DAYS) — the only answer after which the phone may forget its copy and
    its unsent spots —, `token_required` for any other missing or unknown token."""
    token = bearer_token()
    return _known(token, participant_for_token(token) if token else None)


def require_caller() -> Caller:
    """`require_participant` for the spot submit: the token's ids, walk state and spot quota
    (services.quotas, from the settings), one row."""
    token = bearer_token()
    limits = TokenLimits.from_config(current_app.config)
    return _known(token, caller_for_token(token, limits) if token else None)


def _known(token: str | None, found):
    if found is None:
        if token and token_erased(token):
            raise Unauthorized({"auth": "erased"})
        raise Unauthorized({"auth": "token_required"})
    return found


def planner_can_read(project_id: int) -> bool:
    """A planner session of a member of the project (an admin reads all)."""
    return is_member(project_id) and db.session.get(Project, project_id) is not None
