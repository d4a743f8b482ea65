"""Spots' short references within their project (S001, S002...), handed out in the order of the
spots, on first use: an export, an annex, an erasure. A number is never reused and outlives the
spot (models.SpotReference). No Flask here."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Observation, SpotReference, Walk

PREFIX = "S"


def label(number: int) -> str:
    """42 -> "S042": three digits at least, so that a list sorts right up to 999 spots."""
    return f"{PREFIX}{number:03d}"


def assign(project_id: int) -> int:
    """Give every spot of the project that has none its reference, in the order of the spots'
    ids, after the project's highest number. Returns how many were handed out. Two requests
    doing it at once: the one that loses the race (a unique constraint) tries again once."""
    for attempt in (1, 2):
        try:
            with db.session.begin_nested():
                return _assign(project_id)
        except IntegrityError:
            if attempt == 2:
                raise
    return 0  # pragma: no cover


def _assign(project_id: int) -> int:
    missing = db.session.scalars(
        sa.select(Observation.id)
        .join(Walk, Walk.id == Observation.walk_id)
        .where(Walk.project_id == project_id)
        .where(~sa.exists().where(SpotReference.observation_id == Observation.id))
        .order_by(Observation.id)
    ).all()
    if not missing:
        return 0
    last = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(SpotReference.number), 0)).where(
            SpotReference.project_id == project_id
        )
    )
    db.session.execute(
        sa.insert(SpotReference),
        [
            {"project_id": project_id, "number": last + i, "observation_id": spot_id}
            for i, spot_id in enumerate(missing, start=1)
        ],
    )
    return len(missing)


def labels(project_id: int, spot_ids: Iterable[int] | None = None) -> dict[int, str]:
    """{spot id: "S042"} for the project's spots (those given, or all), erased ones included."""
    query = sa.select(SpotReference.observation_id, SpotReference.number).where(
        SpotReference.project_id == project_id
    )
    if spot_ids is not None:
        query = query.where(SpotReference.observation_id.in_(list(spot_ids)))
    return {spot_id: label(number) for spot_id, number in db.session.execute(query)}
