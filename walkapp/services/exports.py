"""Export files: each checks the EXPORT permission of the role (domain/permissions.py; the view
has checked membership: not a member is a 404) and records an audit entry — who, which file,
which filters, how many spots — in the request's unit of work. The view that serves one is a
GET marked `unit_of_work.writes`. No Flask here."""

from __future__ import annotations

from ..domain.permissions import EXPORT, can
from ..exporters import geojson
from . import audit
from .errors import Forbidden
from .maps import MAP_FIELDS
from .observation_filter import ObservationFilter, to_args

# An export reads the map's filter fields from its address (hidden spots never leave).
EXPORT_FIELDS = MAP_FIELDS


def _check_allowed(role: str) -> None:
    if not can(role, EXPORT):
        raise Forbidden({"body": "export_not_allowed"})


def project_geojson(
    project_id: int, filters: ObservationFilter, *, user_id: int, role: str
) -> dict:
    """The project's spots kept by `filters` as GeoJSON, the export recorded in the audit log
    (Forbidden if the role may not export)."""
    _check_allowed(role)
    document = geojson.project_observations(project_id, filters)
    details = {"format": "geojson", "filters": to_args(filters), "spots": len(document["features"])}
    if "withheld" in document:
        details["withheld"] = document["withheld"]
    audit.record(
        "export", "project", project_id, user_id=user_id, project_id=project_id, details=details
    )
    return document
