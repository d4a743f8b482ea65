"""GeoJSON (RFC 7946) of a project's spots: WGS84, [lon, lat], no `crs` member."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import Observation, Walk


def project_observations(project_id: int) -> dict:
    rows = db.session.execute(
        sa.select(Observation)
        .join(Walk, Observation.walk_id == Walk.id)
        .where(Walk.project_id == project_id, Observation.hidden_at.is_(None))
        .order_by(Observation.id)
    ).scalars()
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": str(obs.uuid),
                "geometry": {"type": "Point", "coordinates": [obs.lon, obs.lat]},
                "properties": {
                    "walk_id": obs.walk_id,
                    # An opaque number: lets analysis count distinct people, names nobody.
                    "participant": obs.participant_id,
                    "recorded_at": obs.recorded_at.isoformat(),
                    "local_date": obs.local_date.isoformat(),
                    "time_slot": obs.time_slot,
                    "light_condition": obs.light_condition,
                    "category": obs.category,
                    "feeling": obs.feeling,
                    "accuracy_m": obs.accuracy_m,
                    "ratings": obs.ratings,
                    "stop_id": obs.stop_id,
                    "comment": obs.comment,
                },
            }
            for obs in rows
        ],
    }
