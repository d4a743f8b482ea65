"""JSON API v1: thin views — parse (the `endpoint` decorator), call a service, answer.

The answer is built before the request's unit of work commits (unit_of_work.py): ids are known
once the services have flushed."""

from __future__ import annotations

import tempfile
import uuid
from datetime import timedelta, timezone

from flask import abort, current_app, g, jsonify, request, send_file, url_for
from flask_babel import get_locale
from flask_login import current_user

from ..access import role_in
from ..exporters import geojson
from ..extensions import db, utcnow
from ..i18n import taxonomy
from ..models import Observation, Photo, Project, Walk
from ..ratelimit import failure_limiter
from ..services import appropriation, capture, exports, quotas
from ..services.errors import Invalid, NotFound, TooManyAttempts
from ..services.observation_filter import from_args
from ..services.photo_store import PhotoStore
from ..unit_of_work import reads_first, writes
from .auth import bearer_token, planner_can_read, require_participant
from .blueprint import api, bp
from .schemas import (
    AnswerIn,
    AnswerOut,
    ErasureIn,
    JoinOut,
    JoinRequest,
    MeOut,
    ObservationIn,
    ObservationList,
    ObservationOut,
    ObservationPatch,
    PhotoOut,
    Taxonomy,
    TrackIn,
    TrackOut,
)

PARTICIPANT_ERRORS = (401, 404)
# A GeoJSON export up to this size is built in memory, beyond in a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


def photo_store() -> PhotoStore:
    return PhotoStore(current_app.config["PHOTO_DIR"])


def token_limits() -> quotas.TokenLimits:
    """What one participant's token may store (services.quotas), from the settings."""
    return quotas.TokenLimits.from_config(current_app.config)


def answer(model, data: dict, status: int = 200):
    return jsonify(model.model_validate(data).model_dump(mode="json")), status


# --- Serialisers ------------------------------------------------------------------------------


def walk_dict(walk: Walk) -> dict:
    return {
        "id": walk.id,
        "title": walk.title,
        "kind": walk.kind,
        "audience": walk.audience,
        "status": walk.status,
        "starts_at": walk.starts_at,
        "ends_at": walk.ends_at,
        "timezone": walk.project.timezone,
        "perimeter": walk.project.perimeter,
        "stops": [
            {"id": s.id, "number": s.number, "name": s.name, "lat": s.lat, "lon": s.lon}
            for s in walk.stops
        ],
        "retention_months": walk.project.retention_months,
        "questionnaire": appropriation.phone_questionnaire(walk),
    }


def photo_ref(photo: Photo) -> dict:
    return {
        "id": photo.id,
        "url": url_for("api.photo_file", photo_id=photo.id),
        "thumbnail_url": url_for("api.photo_thumbnail", photo_id=photo.id),
    }


def observation_dict(obs: Observation | capture.NewSpot) -> dict:
    offset = timezone(timedelta(minutes=obs.utc_offset_minutes))
    return {
        "id": obs.uuid,
        "walk_id": obs.walk_id,
        "lat": obs.lat,
        "lon": obs.lon,
        "accuracy_m": obs.accuracy_m,
        "position_source": obs.position_source,
        "position_suspect": obs.position_suspect,
        "recorded_at": obs.recorded_at.astimezone(offset),
        "received_at": obs.received_at,
        "updated_at": obs.updated_at,
        "local_date": obs.local_date,
        "time_slot": obs.time_slot,
        "light_condition": obs.light_condition,
        "category": obs.category,
        "feeling": obs.feeling,
        "ratings": obs.ratings,
        "stop_id": obs.stop_id,
        "comment": obs.comment,
        "photos": [photo_ref(p) for p in obs.photos],
    }


# --- Join -------------------------------------------------------------------------------------


@api.endpoint(
    "/walks/<join_code>/participants",
    "POST",
    summary="Join a walk with its code (consent required)",
    tag="participants",
    body=JoinRequest,
    responses={201: ("joined", JoinOut)},
    errors=(400, 404, 409, 413, 422, 429),
)
def join(join_code: str, data: JoinRequest):
    with failure_limiter().attempt(
        "join",
        request.remote_addr or "unknown",
        failures=(NotFound, capture.Conflict),
        refusal=lambda wait: TooManyAttempts({"join_code": "too_many_attempts"}, retry_after=wait),
    ):
        joined = capture.join_walk(
            join_code,
            consent=data.consent,
            guardian_consent=data.guardian_consent,
            track_consent=data.track_consent,
            profile=data.profile.model_dump() if data.profile else None,
            consent_version=current_app.config["CONSENT_VERSION"],
            consent_at=data.consent_at,
            late_sync=timedelta(minutes=current_app.config["LATE_SYNC_MINUTES"]),
        )
    return answer(
        JoinOut,
        {
            "participant_id": joined.participant.id,
            "token": joined.token,
            "erasure_code": joined.erasure_code,
            "walk": walk_dict(joined.participant.walk),
        },
        201,
    )


# --- Observations -----------------------------------------------------------------------------


@api.endpoint(
    "/observations",
    "POST",
    summary="Send a spot (idempotent on the client id)",
    tag="observations",
    auth="participant",
    caller_only=True,
    body=ObservationIn,
    responses={
        201: ("stored", ObservationOut),
        200: ("already stored with the same content", ObservationOut),
    },
    errors=(400, 401, 409, 413, 422, 429),
)
@reads_first
def create_observation(data: ObservationIn):
    late_sync = timedelta(minutes=current_app.config["LATE_SYNC_MINUTES"])
    obs, created = capture.submit_observation(g.caller, data.model_dump(), late_sync=late_sync)
    return answer(ObservationOut, observation_dict(obs), 201 if created else 200)


@api.endpoint(
    "/observations/<uuid:obs_id>",
    "PATCH",
    summary="Edit my spot while its walk is open",
    tag="observations",
    auth="participant",
    body=ObservationPatch,
    responses={200: ("edited", ObservationOut)},
    errors=(400, 401, 404, 409, 413, 422),
)
def patch_observation(obs_id: uuid.UUID, data: ObservationPatch):
    obs = capture.update_observation(
        g.participant, obs_id, data.model_dump(include=data.model_fields_set)
    )
    return answer(ObservationOut, observation_dict(obs))


@api.endpoint(
    "/observations/<uuid:obs_id>",
    "DELETE",
    summary="Delete my spot and its photos",
    tag="observations",
    auth="participant",
    responses={204: ("deleted", None)},
    errors=PARTICIPANT_ERRORS,
)
def delete_observation(obs_id: uuid.UUID):
    capture.delete_observation(g.participant, obs_id, photo_store())
    return "", 204


@api.endpoint(
    "/me/observations",
    "GET",
    summary="My spots, with their photos",
    tag="observations",
    auth="participant",
    responses={200: ("my spots", ObservationList)},
    errors=(401,),
)
def my_observations():
    spots = capture.list_observations(g.participant)
    return answer(ObservationList, {"observations": [observation_dict(o) for o in spots]})


# --- Photos -----------------------------------------------------------------------------------


@api.endpoint(
    "/observations/<uuid:obs_id>/photos",
    "POST",
    summary="Attach a photo to my spot (metadata removed, resized)",
    tag="photos",
    auth="participant",
    multipart_field="photo",
    responses={
        201: ("stored", PhotoOut),
        200: ("the same photo was already attached", PhotoOut),
    },
    errors=(401, 404, 413, 422, 429),
)
def upload_photo(obs_id: uuid.UUID):
    # Room for the multipart envelope around a photo of the largest size allowed.
    request.max_content_length = current_app.config["MAX_CONTENT_LENGTH"] + 64 * 1024
    upload = request.files.get("photo")
    if upload is None:
        raise Invalid({"photo": "photo_missing"})
    photo, created = capture.add_photo(
        g.participant, obs_id, upload.read(), photo_store(), limits=token_limits()
    )
    body = {
        **photo_ref(photo),
        "observation_id": photo.observation.uuid,
        "width": photo.file.width,
        "height": photo.file.height,
    }
    return answer(PhotoOut, body, 201 if created else 200)


def _send_photo(photo_id: int, *, thumbnail: bool):
    found = capture.photo_owner_walk(photo_id)
    if found is None:
        abort(404)
    photo, participant, walk = found
    token = bearer_token()
    owner = token is not None and capture.hash_secret(token) == participant.token_hash
    if not (owner or planner_can_read(walk.project_id)):
        abort(404)  # not yours: indistinguishable from unknown
    path = photo_store().path(photo.file.sha256, thumbnail=thumbnail)
    response = send_file(path, mimetype="image/jpeg", max_age=0, etag=True)
    # Never kept by the browser: an erased photo must not stay in its cache (issue 14).
    response.headers["Cache-Control"] = "private, no-store"
    return response


@api.endpoint(
    "/photos/<int:photo_id>",
    "GET",
    summary="A photo (the owner's token or a planner of the project)",
    tag="photos",
    auth=None,
    responses={200: ("JPEG", None)},
    errors=(404,),
    extra={200: {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
)
def photo_file(photo_id: int):
    return _send_photo(photo_id, thumbnail=False)


@api.endpoint(
    "/photos/<int:photo_id>/thumbnail",
    "GET",
    summary="A photo's thumbnail",
    tag="photos",
    auth=None,
    responses={200: ("JPEG", None)},
    errors=(404,),
    extra={200: {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
)
def photo_thumbnail(photo_id: int):
    return _send_photo(photo_id, thumbnail=True)


# --- Appropriation survey ----------------------------------------------------------------------


@api.endpoint(
    "/answers",
    "POST",
    summary="Send a respondent's answers to the appropriation questionnaire (idempotent on id)",
    tag="survey",
    auth="participant",
    body=AnswerIn,
    responses={
        201: ("stored", AnswerOut),
        200: ("already stored with the same content", AnswerOut),
    },
    errors=(400, 401, 409, 413, 422, 429),
)
def create_answer(data: AnswerIn):
    late_sync = timedelta(minutes=current_app.config["LATE_SYNC_MINUTES"])
    stored, created = appropriation.submit_answer(
        g.participant, data.model_dump(), late_sync=late_sync
    )
    return answer(
        AnswerOut,
        {
            "id": stored.uuid,
            "questionnaire_id": stored.questionnaire_id,
            "zone_id": stored.zone_id,
            "phase": stored.phase,
            "time_slot": stored.time_slot,
            "duplicate": stored.duplicate,
        },
        201 if created else 200,
    )


# --- Me: trace and erasure --------------------------------------------------------------------


@api.endpoint(
    "/me/track",
    "POST",
    summary="Append points to my route trace (only if I agreed to it)",
    tag="participants",
    auth="participant",
    body=TrackIn,
    responses={201: ("appended", TrackOut)},
    errors=(400, 401, 403, 413, 422),
)
def append_track(data: TrackIn):
    points = [p.model_dump() for p in data.points]
    stored = capture.append_track(g.participant, points, limits=token_limits())
    return answer(TrackOut, {"stored": stored}, 201)


@api.endpoint(
    "/me",
    "GET",
    summary="My walk's state (status, end, close): read at load and after each answer",
    tag="participants",
    auth="participant",
    responses={200: ("my walk", MeOut)},
    errors=(401,),
)
def get_me():
    walk = g.participant.walk
    minutes = current_app.config["LATE_SYNC_MINUTES"]
    closed = walk.closed_at if walk.status == "closed" else None
    body = {
        "participant_id": g.participant.id,
        "walk": {
            "id": walk.id,
            "title": walk.title,
            "status": walk.status,
            "starts_at": walk.starts_at,
            "ends_at": walk.ends_at,
            "closed_at": walk.closed_at,
            "accepts_until": closed + timedelta(minutes=minutes) if closed else None,
        },
        "late_sync_minutes": minutes,
        "now": utcnow(),
    }
    response, status = answer(MeOut, body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


@api.endpoint(
    "/me",
    "DELETE",
    summary="Erase everything of mine; the token stops working",
    tag="participants",
    auth="participant",
    responses={204: ("erased", None)},
    errors=(401,),
)
def erase_me():
    capture.erase_participant(g.participant, photo_store())
    return "", 204


@api.endpoint(
    "/erasure",
    "POST",
    summary="Erase a participant's data with the erasure code (lost phone)",
    tag="participants",
    body=ErasureIn,
    responses={204: ("erased", None)},
    errors=(400, 404, 413, 422, 429),
)
def erase_by_code(data: ErasureIn):
    with failure_limiter().attempt(
        "erasure",
        request.remote_addr or "unknown",
        failures=(NotFound,),
        refusal=lambda wait: TooManyAttempts(
            {"erasure_code": "too_many_attempts"}, retry_after=wait
        ),
    ):
        capture.erase_by_code(data.erasure_code, photo_store())
    return "", 204


# --- Reference data ---------------------------------------------------------------------------


@api.endpoint(
    "/taxonomy",
    "GET",
    summary="Every vocabulary with French and English labels",
    tag="reference",
    responses={200: ("vocabularies", Taxonomy)},
)
def get_taxonomy():
    response = jsonify(taxonomy())
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@api.endpoint(
    "/projects/<int:project_id>/observations.geojson",
    "GET",
    summary="A project's spots as GeoJSON (RFC 7946), for a planner or admin of the project "
    "(filtered as the map is; the export is recorded in the audit log). Each feature's id is "
    "the spot's reference (S001); participants are labels (P1, P2...) stable within one file "
    "only; no property links to a person",
    tag="planner",
    auth="planner",
    responses={200: ("FeatureCollection", None)},
    errors=(403, 404),
    extra={200: {geojson.MEDIA_TYPE: {"schema": geojson.spots_schema()}}},
)
@writes  # a GET that writes its audit entry: BEGIN IMMEDIATE on SQLite
def project_geojson(project_id: int):
    if not planner_can_read(project_id):
        abort(404)
    filters = from_args(request.args, exports.EXPORT_FIELDS)
    # Written as it is read, into memory up to SPOOL_BYTES and to a temporary file beyond.
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the answer closes it)
    try:
        exports.write_geojson(
            project_id, filters, body, user_id=current_user.id, role=role_in(project_id)
        )
    except BaseException:
        body.close()
        raise
    body.seek(0)
    project = db.session.get(Project, project_id)
    return send_file(
        body,
        mimetype=geojson.MEDIA_TYPE,
        as_attachment=True,
        download_name=exports.file_name(project, "spots", "geojson", language=str(get_locale())),
    )


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(api.openapi(server_url=request.host_url.rstrip("/")))


__all__ = ["require_participant"]
