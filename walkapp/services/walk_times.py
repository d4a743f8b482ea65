"""The one rule of what an event takes by time: shared by spots (services.capture) and survey
answers (services.appropriation)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..domain.rules import too_far_ahead
from ..extensions import utcnow
from .errors import Conflict, Invalid


def check_recorded_at(
    status: str, closed_at: datetime | None, recorded_at: datetime, late_sync: timedelta
) -> None:
    """The walk (its status and close) takes something recorded at `recorded_at`: not ahead of
    the server's clock, not before it opens, and after its close only within `late_sync`."""
    now = utcnow()
    if too_far_ahead(recorded_at, now):
        raise Invalid({"recorded_at": "in_future"})
    if status == "planned":
        raise Conflict({"walk": "walk_not_started"})
    if status == "closed" and (closed_at is None or recorded_at > closed_at + late_sync):
        raise Conflict({"walk": "walk_closed"})
