"""What one participant's token may store, so that a stolen token cannot fill the disk.

The limits sit far above what a real outbox sends — DESIGN's burst (500 spots from 50 phones
within 5 s) and 200 spots from one phone in a minute pass untouched — and are counted from the
stored rows themselves: every worker sees the same numbers, and a resent spot or photo, which
stores nothing new, spends nothing.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..extensions import db, utcnow
from ..models import Observation, Participant, Photo, StoredFile, TrackPoint
from ..ratelimit import Limit
from .errors import Problem, TooLarge, TooManyAttempts


@dataclass(frozen=True)
class TokenLimits:
    spots: Limit  # new spots per participant per window
    photos: Limit  # new photos per participant per window
    photo_bytes: int  # stored photo bytes per participant, in all
    track_points: int  # route-trace points per participant, in all

    @classmethod
    def from_config(cls, config) -> TokenLimits:
        keys = ("SPOT_LIMIT", "PHOTO_LIMIT", "PHOTO_QUOTA_MB", "TRACK_POINT_QUOTA")
        return _token_limits(*(config[key] for key in keys))


@functools.lru_cache(maxsize=16)  # parsed once per setting, not at every spot's submit
def _token_limits(spots: str, photos: str, photo_mb: float, track_points: int) -> TokenLimits:
    return TokenLimits(
        spots=Limit.parse(spots),
        photos=Limit.parse(photos),
        photo_bytes=int(photo_mb * 1024 * 1024),
        track_points=int(track_points),
    )


def _retry_after(column, where, limit: Limit) -> int:
    """Seconds until fewer than `limit.amount` rows (by `column`, a time) are in the window, or
    0 already. One probe: the amount-th newest row, if it is in the window."""
    now = utcnow()
    window = timedelta(seconds=limit.seconds)
    query = (
        sa.select(column)
        .where(*where, column >= now - window)
        .order_by(column.desc())
        .offset(limit.amount - 1)
        .limit(1)
    )
    return _wait(db.session.scalar(query), window, now)


def _wait(nth_newest: datetime | None, window: timedelta, now: datetime) -> int:
    if nth_newest is None:
        return 0
    return max(1, math.ceil((nth_newest + window - now).total_seconds()))


def nth_newest_spot(participant_id) -> sa.ScalarSelect:
    """The spot probe of `_retry_after` as a scalar subquery of `participant_id` (a column, so
    that the token's lookup asks it in the same statement: every spot submit needs both). Its
    parameters come from `spot_probe(limits, now)`. Served by the index
    ix_observation_participant_received (participant_id, received_at): one seek."""
    return (
        sa.select(Observation.received_at)
        .where(
            Observation.participant_id == participant_id,
            Observation.received_at >= sa.bindparam("spot_since"),
        )
        .order_by(Observation.received_at.desc())
        .offset(sa.bindparam("spot_skip", type_=sa.Integer))
        .limit(1)
        .scalar_subquery()
    )


def spot_probe(limits: TokenLimits, now: datetime) -> dict:
    return {
        "spot_since": now - timedelta(seconds=limits.spots.seconds),
        "spot_skip": limits.spots.amount - 1,
    }


def spot_wait(nth_newest: datetime | None, limits: TokenLimits, now: datetime) -> int:
    """Seconds until her token may store a new spot (0: now), from `nth_newest_spot`."""
    return _wait(nth_newest, timedelta(seconds=limits.spots.seconds), now)


def check_spot_wait(wait: int) -> None:
    if wait:
        raise TooManyAttempts({"id": "too_many_spots"}, retry_after=wait)


def _photos_of(participant: Participant):
    return Photo.observation_id.in_(
        sa.select(Observation.id).where(Observation.participant_id == participant.id)
    )


def check_new_photo(participant: Participant, limits: TokenLimits) -> None:
    """Before a photo is processed: not too many lately, and her stored photos under the quota
    (so the one that crosses it is the last accepted: at most one photo beyond)."""
    wait = _retry_after(Photo.created_at, (_photos_of(participant),), limits.photos)
    if wait:
        raise TooManyAttempts({"photo": "too_many_photos"}, retry_after=wait)
    used = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StoredFile.byte_size), 0))
        .select_from(Photo)
        .join(StoredFile, StoredFile.id == Photo.file_id)
        .where(_photos_of(participant))
    )
    if used >= limits.photo_bytes:
        quota = round(limits.photo_bytes / 1024 / 1024)
        raise TooLarge({"photo": Problem("photo_quota", max=quota)})


def check_track(participant: Participant, limits: TokenLimits, adding: int) -> None:
    stored = db.session.scalar(
        sa.select(sa.func.count()).where(TrackPoint.participant_id == participant.id)
    )
    if stored + adding > limits.track_points:
        raise TooLarge({"points": Problem("track_quota", max=limits.track_points)})
