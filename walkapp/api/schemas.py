"""Request and response schemas of the API v1.

They validate every request (strict JSON: no coercion, unknown fields refused) and they generate
the OpenAPI document, so the contract cannot drift from the code. Allowed codes come from
domain.vocabularies.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from ..domain import rules
from ..domain import vocabularies as v
from ..extensions import ID_MAX


def _literal(vocab: v.Vocabulary):
    return Literal[vocab.codes]  # type: ignore[valid-type]


def _clean_text(value: str) -> str:
    # PostgreSQL refuses NUL in text, and lone surrogates are not UTF-8: refuse both up front,
    # and the other C0 control characters but tab, newline and CR (domain.rules).
    if rules.has_control_characters(value):
        raise ValueError("must not contain control characters such as NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _aware_instant(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone offset or Z, e.g. 2026-11-22T21:30:00+01:00")
    if not rules.plausible_year(value):
        raise ValueError(f"must be between the years {rules.YEAR_MIN} and {rules.YEAR_MAX}")
    return value


Text = Annotated[str, AfterValidator(_clean_text)]
Instant = Annotated[
    datetime,
    AfterValidator(_aware_instant),
    Field(description="ISO 8601 date and time with an offset or Z"),
]
StopId = Annotated[int, Field(ge=1, le=ID_MAX)]
Latitude = Annotated[float, Field(ge=rules.LAT_MIN, le=rules.LAT_MAX)]
Longitude = Annotated[float, Field(ge=rules.LON_MIN, le=rules.LON_MAX)]
Accuracy = Annotated[float, Field(ge=0, le=100_000, description="metres (GPS accuracy radius)")]
Rating = Annotated[int, Field(ge=v.CRITERION_MIN, le=v.CRITERION_MAX)]
Feeling = Annotated[
    int,
    Field(
        ge=v.FEELING_MIN, le=v.FEELING_MAX, description="1 very unsafe ... 5 safe and comfortable"
    ),
]

Comment = Annotated[Text, Field(max_length=rules.COMMENT_MAX_LENGTH)]

Category = _literal(v.CATEGORIES)
PositionSource = Annotated[
    _literal(v.POSITION_SOURCES),
    Field(
        description="where lat/lon came from: `gps` (needs accuracy_m), `pin` (placed by hand), "
        "`stop` (needs stop_id) or `unknown`; left out: `unknown` (an old app). A PATCH that "
        "moves the spot without it makes it `unknown`"
    ),
]
Gender = _literal(v.GENDERS)
AgeBand = _literal(v.AGE_BANDS)


class Strict(BaseModel):
    """Strict JSON input: wrong types are errors, unknown fields are errors, no NaN/Infinity."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Join ---------------------------------------------------------------------------------------


class Profile(Strict):
    """Every answer is optional."""

    gender: Gender | None = None
    age_band: AgeBand | None = None
    resident: _literal(v.RESIDENT) | None = None
    mobility: _literal(v.MOBILITY) | None = None


class JoinRequest(Strict):
    consent: bool = Field(description="must be true: the participant agreed to the consent text")
    guardian_consent: bool = Field(
        default=False, description="a parent or guardian agrees (required under 15)"
    )
    track_consent: bool = Field(
        default=False, description="agrees to record the route trace while the app is open"
    )
    profile: Profile | None = None
    consent_at: Instant | None = Field(
        default=None,
        description="when she agreed, if the join waited on the phone (no signal): at most a "
        "day ahead of the server clock, at most a day before the walk starts (422 "
        "`in_future`, `consent_too_early`); a walk closed since still takes a join agreed "
        "before its close plus the late-sync grace, as it takes spots. Left out: now",
    )


class StopOut(Output):
    id: int
    number: int
    name: str
    lat: float
    lon: float


class WalkOut(Output):
    id: int
    title: str
    kind: _literal(v.EVENT_KINDS)
    audience: _literal(v.AUDIENCES)
    status: _literal(v.WALK_STATUSES)
    starts_at: datetime
    ends_at: datetime
    timezone: str
    perimeter: dict[str, Any] | None = Field(description="GeoJSON Polygon or MultiPolygon")
    stops: list[StopOut]
    retention_months: int = Field(
        description="months the participants' data is kept after the project closes, then erased"
    )
    questionnaire: dict[str, Any] | None = Field(
        default=None,
        description="an appropriation survey's questionnaire: items, re-check items, zones "
        "(services.appropriation.phone_questionnaire); null for other events",
    )


class JoinOut(Output):
    participant_id: int
    token: str = Field(description="send as `Authorization: Bearer <token>`; shown once")
    erasure_code: str = Field(description="erases everything even if the phone is lost; shown once")
    walk: WalkOut


# --- Observations -------------------------------------------------------------------------------

Ratings = create_model(
    "Ratings",
    __base__=Strict,
    __doc__="Safetipin criteria, each 0 (bad) to 3 (good); all optional.",
    **{code: (Rating | None, None) for code in v.CRITERIA.codes},
)


class ObservationFields(Strict):
    lat: Latitude
    lon: Longitude
    accuracy_m: Accuracy | None = None
    recorded_at: Instant
    category: Category
    feeling: Feeling
    ratings: Ratings | None = None  # type: ignore[valid-type]
    stop_id: StopId | None = None
    comment: Comment | None = None
    position_source: PositionSource = "unknown"


class ObservationIn(ObservationFields):
    id: uuid.UUID = Field(description="made by the client once, at capture (idempotency key)")


class ObservationPatch(Strict):
    """Only the fields to change; `null` clears an optional field."""

    lat: Latitude = None  # type: ignore[assignment]
    lon: Longitude = None  # type: ignore[assignment]
    accuracy_m: Accuracy | None = None
    recorded_at: Instant = None  # type: ignore[assignment]
    category: Category = None  # type: ignore[assignment]
    feeling: Feeling = None  # type: ignore[assignment]
    ratings: Ratings | None = None  # type: ignore[valid-type]
    stop_id: StopId | None = None
    comment: Comment | None = None
    position_source: PositionSource = None  # type: ignore[assignment]


class PhotoRef(Output):
    id: int
    url: str
    thumbnail_url: str


class PhotoOut(PhotoRef):
    observation_id: uuid.UUID
    width: int
    height: int


class ObservationOut(Output):
    id: uuid.UUID
    walk_id: int
    lat: float
    lon: float
    accuracy_m: float | None
    position_source: _literal(v.POSITION_SOURCES)
    position_suspect: bool = Field(
        description="the position is exactly where an old app put spots it had no position "
        "for (the perimeter's centre): most probably not where the spot was tagged"
    )
    recorded_at: datetime = Field(description="with the device's original offset")
    received_at: datetime
    updated_at: datetime | None
    local_date: date = Field(description="in the project's time zone")
    time_slot: _literal(v.TIME_SLOTS)
    light_condition: _literal(v.LIGHT_CONDITIONS)
    category: Category
    feeling: int
    ratings: dict[str, int] | None
    stop_id: int | None
    comment: str | None
    photos: list[PhotoRef]


class ObservationList(Output):
    observations: list[ObservationOut]


# --- Me, track, erasure -------------------------------------------------------------------------


class TrackPointIn(Strict):
    lat: Latitude
    lon: Longitude
    accuracy_m: Accuracy | None = None
    t: Instant


# A point is about 90 bytes of JSON: 500 of them stay within the 64 KB body limit (the app
# sends its trace in batches of 500; more per request would be a 413 before any validation).
TRACK_BATCH_MAX = 500


class TrackIn(Strict):
    points: list[TrackPointIn] = Field(min_length=1, max_length=TRACK_BATCH_MAX)


class TrackOut(Output):
    stored: int = Field(
        description="points newly stored (points already stored, and points recorded after the "
        "walk closed, are skipped)"
    )


class MeWalk(Output):
    id: int
    title: str
    status: _literal(v.WALK_STATUSES)
    starts_at: datetime
    ends_at: datetime
    closed_at: datetime | None = Field(description="when the walk was closed (null until then)")
    accepts_until: datetime | None = Field(
        description="closed walks: spots recorded until this instant (closed_at plus the late-"
        "sync window) are still accepted, whenever they arrive; null while not closed"
    )


class MeOut(Output):
    participant_id: int
    walk: MeWalk
    late_sync_minutes: int = Field(
        description="a closed walk still accepts spots recorded up to this many minutes after "
        "closed_at"
    )
    now: datetime = Field(description="the server's clock (UTC), to compare with the phone's")


# --- Appropriation survey answers ---------------------------------------------------------------

# Each answer's type and length are checked against its item (domain.appropriation), which
# names the item; here only the JSON shapes an answer may take (the body is 64 KB at most).
AnswerValue = (
    Text | int | float | list[Annotated[Text, Field(max_length=64)]] | dict[str, float | None]
)


class AnswerIn(Strict):
    id: uuid.UUID = Field(description="made by the phone once, at the end (idempotency key)")
    questionnaire_id: Annotated[int, Field(ge=1, le=ID_MAX)] | None = Field(
        default=None, description="the questionnaire answered; null: the project's built-in one"
    )
    zone_id: Annotated[int, Field(ge=1, le=ID_MAX)] | None = Field(
        default=None, description="the permanent QR's zone, or the one she chose; null: unknown"
    )
    recorded_at: Instant
    answers: dict[Annotated[str, Field(max_length=80)], AnswerValue] = Field(
        max_length=200,
        description="item code -> answer (a choice code, a list of codes, a number, a text, "
        "a point {lat, lon, accuracy_m}); a skipped item is left out",
    )


class AnswerOut(Output):
    id: uuid.UUID
    questionnaire_id: int
    zone_id: int | None
    phase: _literal(v.PROJECT_PHASES)
    time_slot: _literal(v.TIME_SLOTS)
    duplicate: bool = Field(
        description="a second answer of this phone to this questionnaire today, at a permanent "
        "QR: kept, left out of the index"
    )


class ErasureIn(Strict):
    erasure_code: Annotated[Text, Field(min_length=1, max_length=64)]


# --- Misc ---------------------------------------------------------------------------------------


class Errors(Output):
    errors: dict[str, str] = Field(
        description="field (or 'body', 'auth', ...) -> message, in the request's language"
    )
    codes: dict[str, str] = Field(
        description="field -> stable code of the problem (walkapp's, or pydantic's error type)"
    )


class Taxonomy(Output):
    model_config = ConfigDict(extra="allow")


def as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
