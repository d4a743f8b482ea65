"""GeoJSON (RFC 7946) of a project's layers: spots, findings, stops, perimeter.

WGS84, [lon, lat], no ``crs`` member, written feature by feature (memory stays flat however
many spots). Each layer is a FeatureCollection with a ``name`` (GDAL's layer name); its
properties are the columns of domain/spreadsheet.py for GeoJSON: codes (their labels are in
``GET /api/v1/taxonomy`` and the XLSX), numbers as numbers, dates in ISO 8601, typed text as it
was typed (JSON-encoded: it is data, never markup). A spot's feature id is its reference
(S001); a finding's, its reference (F12). Nothing links to a person: participants are labels
(P1, P2...) stable within one file only (exporters/layers.py).

When a filter on the participants' profile keeps too few people, the spots' collection has no
feature and the foreign member ``"withheld": "too_few_participants"`` says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from ..domain import spreadsheet as sheet
from ..extensions import db
from ..models import Project
from ..services.observation_filter import ObservationFilter
from ..services.spot_references import assign
from . import layers
from .layers import WITHHELD

MEDIA_TYPE = "application/geo+json"
FEATURE_IDS = {sheet.SPOTS: "reference", sheet.FINDINGS: "reference"}
PROGRESS_EVERY = 1000

Progress = Callable[[int, int], Any]


def _value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="minutes") if hasattr(value, "hour") else value.isoformat()
    return value


def feature(layer: str, row: layers.Row, cols: tuple[sheet.Column, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Feature"}
    id_column = FEATURE_IDS.get(layer)
    if id_column:
        out["id"] = row[id_column]
    out["geometry"] = row["geometry"]
    out["properties"] = {column.code: _value(row.get(column.code)) for column in cols}
    return out


def _dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def write(layer: layers.Layer, out: IO[bytes], progress: Progress | None = None) -> int:
    """Write `layer` to `out` as one FeatureCollection; returns the features written."""
    cols = sheet.columns(layer.name, sheet.GEOJSON)
    head: dict[str, Any] = {"type": "FeatureCollection", "name": layer.name}
    if layer.withheld:
        head["withheld"] = layer.withheld
    out.write((_dumps(head)[:-1] + ',"features":[\n').encode())
    done = 0
    for row in layer.rows:
        out.write(((",\n" if done else "") + _dumps(feature(layer.name, row, cols))).encode())
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, layer.total)
    out.write(b"\n]}\n")
    if progress is not None:
        progress(done, layer.total)
    return done


def project_observations(project_id: int, filters: ObservationFilter | None = None) -> dict:
    """The project's spots as one GeoJSON document in memory (small projects, tests): the same
    features as the streamed export, references assigned first."""
    assign(project_id)
    project = db.session.get(Project, project_id)
    layer = layers.spots(project, filters)
    cols = sheet.columns(sheet.SPOTS, sheet.GEOJSON)
    document: dict[str, Any] = {"type": "FeatureCollection", "name": layer.name}
    if layer.withheld:
        document["withheld"] = layer.withheld
    document["features"] = [feature(layer.name, row, cols) for row in layer.rows]
    return document


# --- The API's description of the spots' collection (OpenAPI 3.1 = JSON Schema 2020-12) -------

_JSON_TYPES = {
    sheet.TEXT: {"type": ["string", "null"]},
    sheet.CODE: {"type": ["string", "integer", "null"]},  # the feeling's codes are 1..5
    sheet.INTEGER: {"type": ["integer", "null"]},
    sheet.NUMBER: {"type": ["number", "null"]},
    sheet.DATE: {"type": ["string", "null"], "format": "date"},
    sheet.TIME: {"type": ["string", "null"]},
    sheet.FLAG: {"type": "boolean"},
}


def spots_schema() -> dict[str, Any]:
    """The spots' FeatureCollection as a JSON Schema, made from the columns: its properties and
    none other (no participant id, no uuid can slip in unnoticed)."""
    cols = sheet.columns(sheet.SPOTS, sheet.GEOJSON)
    point_schema = {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"const": "Point"},
            "coordinates": {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 2,
                "maxItems": 2,
            },
        },
    }
    feature_schema = {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "string", "description": "The spot's reference (S001)."},
            "geometry": point_schema,
            "properties": {
                "type": "object",
                "properties": {
                    c.code: {**_JSON_TYPES[c.kind], "description": c.definition} for c in cols
                },
                "required": [c.code for c in cols],
                "additionalProperties": False,
            },
        },
    }
    return {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "name": {"type": "string"},
            "withheld": {"const": WITHHELD},
            "features": {"type": "array", "items": feature_schema},
        },
    }
