"""GeoJSON (RFC 7946) of a project's spots: WGS84, [lon, lat], no `crs` member.

The spots are the one filter's (services/observation_filter.py), hidden ones never. When a
filter on the participants' profile keeps too few people, the collection has no feature and
the foreign member ``"withheld": "too_few_participants"`` says why.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from ..extensions import db
from ..models import Observation
from ..services.observation_filter import (
    HIDDEN_EXCLUDE,
    ObservationFilter,
    narrow,
    scope,
    too_few_participants,
)

WITHHELD = "too_few_participants"


def project_observations(project_id: int, filters: ObservationFilter | None = None) -> dict:
    filters = replace(filters or ObservationFilter(), hidden=HIDDEN_EXCLUDE)
    walk_ids = scope(project_id, filters)
    if too_few_participants(walk_ids, filters):
        return {"type": "FeatureCollection", "features": [], "withheld": WITHHELD}
    ids = narrow(sa.select(Observation.id).select_from(Observation), walk_ids, filters)
    rows = db.session.execute(
        sa.select(Observation).where(Observation.id.in_(ids)).order_by(Observation.id)
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
                    "position_source": obs.position_source,
                    "position_suspect": obs.position_suspect,
                    "ratings": obs.ratings,
                    "stop_id": obs.stop_id,
                    "comment": obs.comment,
                },
            }
            for obs in rows
        ],
    }
