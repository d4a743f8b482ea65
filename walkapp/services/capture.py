"""Capture use cases: join a walk, submit / edit / delete spots, photos, trace, erasure."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import jobs, unit_of_work
from ..domain.join_codes import ALPHABET, normalize_join_code
from ..domain.light import light_condition
from ..domain.photos import PhotoRejected, process_photo, sha256_hex
from ..domain.positions import at_old_default, old_app_defaults
from ..domain.rules import consent_time_problem, position_source_problem
from ..domain.timeslots import local_time, time_slot
from ..extensions import checkpoint_wal, db, utcnow
from ..models import (
    ErasedToken,
    Finding,
    Observation,
    Participant,
    Photo,
    Project,
    Stop,
    StoredFile,
    SurveyAnswer,
    TrackPoint,
    Walk,
)
from . import erasure_journal_file, moderation, quotas, spot_references, zones
from .errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from .photo_store import PhotoStore
from .walk_times import check_recorded_at

ERASURE_CODE_LENGTH = 12  # 27^12 ~ 1.5e17 codes: unguessable even without a rate limit
# How long an erased participant's token hash is kept (with the erasure's time, nothing else),
# so that the phone still holding the token is told `erased` and may forget its copy. Rows older
# than this are purged at every erasure, and ignored by the token check meanwhile.
ERASED_TOKEN_DAYS = 30


def hash_secret(secret: str) -> str:
    """SHA-256 of a full-entropy secret (a slow password hash would only slow every request)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_erasure_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(ERASURE_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, ERASURE_CODE_LENGTH, 4))


def normalize_erasure_code(typed: str) -> str:
    raw = "".join(ch for ch in typed.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def participant_for_token(token: str) -> Participant | None:
    # Every participant request needs the walk and its project: one query for all three.
    return db.session.scalar(
        sa.select(Participant)
        .options(joinedload(Participant.walk).joinedload(Walk.project))
        .where(Participant.token_hash == hash_secret(token))
    )


@dataclass(frozen=True)
class Caller:
    """What a spot's submit needs of the token's participant: the ids, the walk's state and how
    long her token must wait before a new spot (quotas; 0: none), read as one row (no ORM
    objects: the submit is a walk's hot path, fifty phones at once)."""

    participant_id: int
    walk_id: int
    project_id: int
    walk_status: str
    walk_closed_at: datetime | None
    timezone: str
    # The project's zones version (services.zones.zone_of: 0, no zones, no query).
    zones_version: int = 0
    spot_wait: int = 0


_CALLER = (
    sa.select(
        Participant.id,
        Walk.id,
        Walk.project_id,
        Walk.status,
        Walk.closed_at,
        Project.timezone,
        Project.zones_version,
        quotas.nth_newest_spot(Participant.id),
    )
    .select_from(Participant)
    .join(Walk, Walk.id == Participant.walk_id)
    .join(Project, Project.id == Walk.project_id)
    .where(Participant.token_hash == sa.bindparam("token_hash"))
)


def caller_for_token(token: str, limits: quotas.TokenLimits) -> Caller | None:
    now = utcnow()
    params = {"token_hash": hash_secret(token), **quotas.spot_probe(limits, now)}
    # On the session's connection: a Core row needs none of the ORM's execution machinery.
    row = db.session.connection().execute(_CALLER, params).first()
    if row is None:
        return None
    return Caller(*row[:-1], spot_wait=quotas.spot_wait(row[-1], limits, now))


def token_erased(token: str, now: datetime | None = None) -> bool:
    """Whether `token` was an erased participant's, erased less than ERASED_TOKEN_DAYS ago."""
    since = (now or utcnow()) - timedelta(days=ERASED_TOKEN_DAYS)
    found = db.session.scalar(
        sa.select(ErasedToken.erased_at).where(ErasedToken.token_hash == hash_secret(token))
    )
    return found is not None and found >= since


# --- Join ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Joined:
    participant: Participant
    token: str
    erasure_code: str


def find_walk_by_code(typed_code: str) -> Walk:
    code = normalize_join_code(typed_code)
    walk = code and db.session.scalar(sa.select(Walk).where(Walk.join_code == code))
    if not walk:
        raise NotFound({"join_code": "join_code_unknown"})
    return walk


def join_walk(
    typed_code: str,
    *,
    consent: bool,
    guardian_consent: bool = False,
    track_consent: bool = False,
    profile: dict[str, str | None] | None = None,
    consent_version: str,
    consent_at: datetime | None = None,
    late_sync: timedelta = timedelta(0),
) -> Joined:
    """Join a walk. `consent_at`: when she agreed, for a join that waited on a phone with no
    signal (domain.rules.consent_time_problem bounds it); such a join is still taken by a walk
    closed since, if agreed before the close plus `late_sync` (the rule of spots)."""
    walk = find_walk_by_code(typed_code)
    if consent_at is not None:
        problem = consent_time_problem(consent_at, utcnow(), walk.starts_at)
        if problem:
            raise Invalid({"consent_at": problem})
    agreed_in_time = (
        consent_at is not None
        and walk.status == "closed"
        and walk.closed_at is not None
        and consent_at <= walk.closed_at + late_sync
    )
    if walk.status != "open" and not agreed_in_time:
        raise Conflict({"walk": "walk_not_started" if walk.status == "planned" else "walk_closed"})
    profile = profile or {}
    if not consent:
        raise Invalid({"consent": "consent_required"})
    if profile.get("age_band") == "under_15" and not guardian_consent:
        raise Invalid({"guardian_consent": "guardian_consent_required"})
    joined = new_participant(
        walk,
        consent_version=consent_version,
        consent_at=consent_at,
        track_consent=track_consent,
        profile=profile,
    )
    db.session.flush()
    return joined


PROFILE_FIELDS = ("gender", "age_band", "resident", "mobility")


def new_participant(
    walk: Walk,
    *,
    consent_version: str,
    consent_at: datetime | None = None,
    profile: dict[str, str | None] | None = None,
    track_consent: bool = False,
    entered_by_id: int | None = None,
) -> Joined:
    """The one way a participant is made (joining, entered by a facilitator, the demo): a fresh
    token and erasure code, stored only as their hashes, and the consent given."""
    token, erasure_code = secrets.token_urlsafe(32), new_erasure_code()
    consent_at = consent_at or utcnow()
    participant = Participant(
        walk=walk,
        token_hash=hash_secret(token),
        erasure_code_hash=hash_secret(erasure_code),
        consent_at=consent_at,
        consent_version=consent_version,
        track_consent=track_consent,
        entered_by_id=entered_by_id,
        created_at=consent_at,
        **{key: (profile or {}).get(key) for key in PROFILE_FIELDS},
    )
    db.session.add(participant)
    return Joined(participant, token, erasure_code)


# --- Observations -------------------------------------------------------------------------------

COMPARED_FIELDS = (
    "lat",
    "lon",
    "accuracy_m",
    "category",
    "feeling",
    "ratings",
    "stop_id",
    "comment",
    "position_source",
)
# A spot moved without saying how (an old app's PATCH): its source becomes `unknown`.
POSITION_FIELDS = ("lat", "lon")


def _clean_ratings(ratings: dict[str, int | None] | None) -> dict[str, int] | None:
    kept = {k: r for k, r in (ratings or {}).items() if r is not None}
    return kept or None


_STOP_WALK = sa.select(Stop.walk_id).where(Stop.id == sa.bindparam("stop_id"))


def apply_fields(obs: Observation, walk: Walk, fields: dict[str, Any]) -> None:
    """Set the given fields and recompute what derives from time and place (the zone too)."""
    _apply(obs, fields, walk.id, walk.project.timezone, lambda: walk)
    if any(key in fields for key in POSITION_FIELDS):
        obs.zone_id = zones.zone_of(walk.project_id, walk.project.zones_version, obs.lat, obs.lon)


def _apply(
    obs: Observation | NewSpot,
    fields: dict[str, Any],
    walk_id: int,
    timezone: str,
    walk: Callable[[], Walk],
) -> None:
    """`apply_fields` for a walk known by its id and time zone; `walk()` gives the ORM walk,
    asked for only when an old app's default position must be recognised (rare)."""
    if "stop_id" in fields and fields["stop_id"] is not None:
        params = {"stop_id": fields["stop_id"]}
        if db.session.connection().scalar(_STOP_WALK, params) != walk_id:
            raise Invalid({"stop_id": "stop_unknown"})
    if "ratings" in fields:
        fields = {**fields, "ratings": _clean_ratings(fields["ratings"])}
    if "position_source" not in fields and any(key in fields for key in POSITION_FIELDS):
        fields = {**fields, "position_source": "unknown"}
    merged = {
        key: fields[key] if key in fields else getattr(obs, key)
        for key in ("lat", "lon", "accuracy_m", "stop_id", "position_source")
    }
    source = merged["position_source"] or "unknown"
    problem = position_source_problem(source, merged["accuracy_m"], merged["stop_id"])
    if problem is not None:
        raise Invalid({problem[0]: problem[1]})
    for key, value in fields.items():
        setattr(obs, key, value)
    obs.position_suspect = source == "unknown" and _at_old_default(obs, walk)
    recorded: datetime = fields.get("recorded_at", obs.recorded_at)
    if "recorded_at" in fields:
        obs.utc_offset_minutes = int(recorded.utcoffset().total_seconds() // 60)
    local = local_time(recorded, timezone)
    obs.light_condition = light_condition(obs.lat, obs.lon, recorded)
    obs.local_date = local.date()
    obs.time_slot = time_slot(local, obs.light_condition)


def _at_old_default(obs: Observation | NewSpot, walk_of: Callable[[], Walk]) -> bool:
    """An old app's spot at the walk's "centre": the default it used when it had no position."""
    if obs.accuracy_m is not None:
        return False  # no query for the walk: a default never had an accuracy
    walk = walk_of()
    perimeter = walk.project.perimeter
    first_stop = None if perimeter or not walk.stops else (walk.stops[0].lat, walk.stops[0].lon)
    return at_old_default(obs.lat, obs.lon, obs.accuracy_m, old_app_defaults(perimeter, first_stop))


def _same_content(obs: Observation, fields: dict[str, Any]) -> bool:
    wanted = {**fields, "ratings": _clean_ratings(fields.get("ratings"))}
    if obs.recorded_at != fields["recorded_at"]:  # compared as instants
        return False
    return all(getattr(obs, key) == wanted.get(key) for key in COMPARED_FIELDS)


def submit_observation(
    caller: Caller, fields: dict[str, Any], *, late_sync: timedelta
) -> tuple[Observation | NewSpot, bool]:
    """Store a spot; the same client id again with the same content returns the stored one
    (and spends nothing of the token's limits: `caller.spot_wait`).

    The unit reads first (unit_of_work.reads_first), then writes the one row, committed at
    once (unit_of_work.write_phase). The insert is told to do nothing on a client id already
    stored, so that a resend costs no write and a race between two sends of one spot stores it
    once. Returns (observation, created); a new spot is answered from the values inserted (no
    read back).
    """
    fields = dict(fields)
    obs_uuid: uuid.UUID = fields.pop("id")
    try:
        obs = _new_spot(caller, obs_uuid, fields, late_sync)
    except ServiceError:
        # A resend of a stored spot is answered as stored whatever changed since (the walk
        # closed, the quota was reached): the phone may then forget it.
        if (existing := _stored(obs_uuid)) is not None:
            return _replayed(existing, caller, fields), False
        raise
    with unit_of_work.write_phase(one_statement=True):
        inserted = _insert_new(obs)
    if inserted is None:
        # Stored already: a resend (or the same spot sent twice at once).
        existing = _stored(obs_uuid)
        if existing is None:  # pragma: no cover - the row that conflicted cannot vanish
            raise Conflict({"id": "id_taken"})
        return _replayed(existing, caller, fields), False
    return obs, True


def _new_spot(
    caller: Caller, obs_uuid: uuid.UUID, fields: dict[str, Any], late_sync: timedelta
) -> NewSpot:
    """The spot to insert (not in the session), once the token and the walk may take it."""
    quotas.check_spot_wait(caller.spot_wait)
    check_recorded_at(caller.walk_status, caller.walk_closed_at, fields["recorded_at"], late_sync)
    obs = NewSpot(
        uuid=obs_uuid,
        participant_id=caller.participant_id,
        walk_id=caller.walk_id,
        received_at=utcnow(),
    )
    _apply(
        obs, fields, caller.walk_id, caller.timezone, lambda: db.session.get(Walk, caller.walk_id)
    )
    obs.zone_id = zones.zone_of(caller.project_id, caller.zones_version, obs.lat, obs.lon)
    return obs


def _stored(obs_uuid: uuid.UUID) -> Observation | None:
    return db.session.scalar(sa.select(Observation).where(Observation.uuid == obs_uuid))


_COLUMNS = frozenset(column.key for column in Observation.__table__.columns) - {"id"}


class NewSpot(SimpleNamespace):
    """A spot about to be inserted, read like an `Observation` (by `_apply` and the answer): the
    attributes set are its row's values, the columns' defaults fill the others. No ORM instance
    on the hot path: building one and its attribute events cost more than the insert itself."""

    id: int | None = None
    updated_at: datetime | None = None
    photos: tuple = ()  # a new spot has none yet: answering needs no query

    def __getattr__(self, name: str) -> Any:
        if name in _COLUMNS:
            return None  # a column not set (yet): what an Observation reads before its flush
        raise AttributeError(name)


# SQLite: no RETURNING, so that the statement ends (and, committing as it runs, frees the write
# lock) within the one call that runs it; the new row's id is the connection's last rowid.
_INSERT = {
    "sqlite": sqlite_insert(Observation.__table__).on_conflict_do_nothing(index_elements=["uuid"]),
    "postgresql": postgresql_insert(Observation.__table__)
    .on_conflict_do_nothing(index_elements=["uuid"])
    .returning(Observation.__table__.c.id),
}


def _insert_new(obs: NewSpot) -> int | None:
    """INSERT … ON CONFLICT (uuid) DO NOTHING: the new row's id, or None when a spot of that
    client id is stored already (SQLite 3.35+ and PostgreSQL speak the same). One statement
    built once, its values as parameters: compiled once per set of columns."""
    values = {key: value for key, value in vars(obs).items() if key in _COLUMNS}
    connection = db.session.connection()
    result = connection.execute(_INSERT[connection.dialect.name], values)
    if connection.dialect.name == "sqlite":
        obs.id = result.lastrowid if result.rowcount == 1 else None
    else:
        obs.id = result.scalar()
    return obs.id


def _replayed(existing: Observation, caller: Caller, fields: dict) -> Observation:
    if existing.participant_id != caller.participant_id:
        raise Conflict({"id": "id_taken"})
    if not _same_content(existing, fields):
        raise Conflict({"id": "id_conflict"})
    return existing


def get_own_observation(participant: Participant, obs_uuid: uuid.UUID) -> Observation:
    obs = db.session.scalar(sa.select(Observation).where(Observation.uuid == obs_uuid))
    if obs is None or obs.participant_id != participant.id:
        raise NotFound({"id": "spot_unknown"})
    return obs


def update_observation(
    participant: Participant, obs_uuid: uuid.UUID, changes: dict[str, Any]
) -> Observation:
    obs = get_own_observation(participant, obs_uuid)
    walk = obs.walk
    if walk.status != "open":
        raise Conflict({"walk": "walk_not_open"})
    if "recorded_at" in changes:
        check_recorded_at(walk.status, walk.closed_at, changes["recorded_at"], timedelta(0))
    apply_fields(obs, walk, changes)
    obs.updated_at = utcnow()
    db.session.flush()
    return obs


def list_observations(participant: Participant) -> list[Observation]:
    return list(
        db.session.scalars(
            sa.select(Observation)
            .where(Observation.participant_id == participant.id)
            .order_by(Observation.recorded_at, Observation.id)
        )
    )


# --- Photos -------------------------------------------------------------------------------------


def add_photo(
    participant: Participant,
    obs_uuid: uuid.UUID,
    data: bytes,
    store: PhotoStore,
    *,
    limits: quotas.TokenLimits | None = None,
) -> tuple[Photo, bool]:
    """Attach a photo (metadata stripped, resized) to my spot. Returns (photo, created). The
    same photo again returns the stored one and spends nothing of the token's `limits`."""
    obs = get_own_observation(participant, obs_uuid)
    digest = sha256_hex(data)
    stored = db.session.scalar(sa.select(StoredFile).where(StoredFile.sha256 == digest))
    photo = None
    if stored is not None:
        photo = db.session.scalar(
            sa.select(Photo).where(Photo.observation_id == obs.id, Photo.file_id == stored.id)
        )
    if photo is None and limits is not None:
        quotas.check_new_photo(participant, limits)  # before the work of processing it
    if stored is None:
        stored = _store_file(digest, data, store)
    # If an erasure unlinked the same file meanwhile, it is written again once this commits.
    unit_of_work.after_commit(ensure_file, stored, data, store)
    if photo is not None:
        return photo, False
    photo = Photo(observation=obs, file=stored)
    db.session.add(photo)
    db.session.flush()
    return photo, True


def _store_file(digest: str, data: bytes, store: PhotoStore) -> StoredFile:
    try:
        processed = process_photo(data)
    except PhotoRejected as exc:
        raise Invalid({"photo": f"photo_{exc.reason}"}) from None
    # The file goes to disk before the row commits (never a row without its file); if the unit
    # rolls back, the file goes too unless another row names it by then.
    store.save(digest, processed.image, processed.thumbnail)
    unit_of_work.after_rollback(purge_files, [digest], store)
    stored = StoredFile(
        sha256=digest,
        width=processed.width,
        height=processed.height,
        byte_size=len(processed.image),
    )
    try:
        with db.session.begin_nested():
            db.session.add(stored)
    except IntegrityError:
        return db.session.scalars(sa.select(StoredFile).where(StoredFile.sha256 == digest)).one()
    return stored


def purge_files(shas: list[str], store: PhotoStore) -> None:
    """After the unit that dropped (or failed to write) their rows: unlink the files no row
    names (someone may have sent the same picture since)."""
    reused = set(
        db.session.scalars(sa.select(StoredFile.sha256).where(StoredFile.sha256.in_(shas)))
    )
    for sha in set(shas) - reused:
        store.delete(sha)


def ensure_file(stored: StoredFile, data: bytes, store: PhotoStore) -> None:
    """After an upload's commit: if an erasure unlinked the same file in between, write it again."""
    if (
        not store.path(stored.sha256).exists()
        or not store.path(stored.sha256, thumbnail=True).exists()
    ):
        processed = process_photo(data)
        store.save(stored.sha256, processed.image, processed.thumbnail)


def photo_owner_walk(photo_id: int) -> tuple[Photo, Participant, Walk] | None:
    row = db.session.execute(
        sa.select(Photo, Participant, Walk)
        .join(Observation, Photo.observation_id == Observation.id)
        .join(Participant, Observation.participant_id == Participant.id)
        .join(Walk, Participant.walk_id == Walk.id)
        .where(Photo.id == photo_id)
    ).first()
    return tuple(row) if row else None  # type: ignore[return-value]


# --- Deletion and erasure -----------------------------------------------------------------------


def delete_photos_where(condition, store: PhotoStore) -> None:
    """Delete photos and then every stored file no photo uses any more; their files are
    unlinked once the unit of work has committed."""
    file_ids = set(db.session.scalars(sa.select(Photo.file_id).where(condition)))
    db.session.execute(sa.delete(Photo).where(condition))
    if not file_ids:
        return
    still_used = sa.select(Photo.id).where(Photo.file_id == StoredFile.id).exists()
    orphans = list(
        db.session.scalars(
            sa.select(StoredFile.sha256).where(StoredFile.id.in_(file_ids), ~still_used)
        )
    )
    db.session.execute(sa.delete(StoredFile).where(StoredFile.sha256.in_(orphans)))
    if orphans:
        unit_of_work.after_commit(purge_files, orphans, store)


def delete_observation(participant: Participant, obs_uuid: uuid.UUID, store: PhotoStore) -> None:
    """The owner deletes one of her spots: erased (`erase_observation`) and journaled."""
    erase_observation(get_own_observation(participant, obs_uuid), store)


def _before_erasure(project_id: int) -> None:
    """Before spots are erased: if the project has findings (a tender annex may cite its spots),
    every spot gets its reference now, so that an erased one still reads « retiré à la demande de
    la participante » under its own number; and the files built from the project's data (annexes,
    exports: jobs.forget_results) are removed once the erasure has committed."""
    if db.session.scalar(sa.select(sa.exists().where(Finding.project_id == project_id))):
        spot_references.assign(project_id)
    jobs.forget_results(project_id)


def _after_erasure(project_id: int) -> None:
    """After an erasure's deletes, in its transaction: the project's residents' page, if it has
    one, is published again without what was erased (services.publication)."""
    from . import publication  # the residents' page reads spots; capture is where they go

    publication.republish_after_erasure(project_id)


def erase_observation(obs: Observation, store: PhotoStore, *, journal: bool = True) -> None:
    """Erase one spot: its row, its photos (files unlinked after the commit), what the audit log
    said of it (moderation.forget_spots); then, after the commit, the erasure journal (unless
    `journal` is False: re-applying the journal) and the SQLite WAL checkpoint."""
    _before_erasure(obs.walk.project_id)
    moderation.forget_spots([(obs.id, obs.uuid)], [obs.walk.project_id])
    delete_photos_where(Photo.observation_id == obs.id, store)
    db.session.execute(sa.delete(Observation).where(Observation.id == obs.id))
    _after_erasure(obs.walk.project_id)
    if journal:
        erasure_journal_file.record("observation", [str(obs.uuid)])
    unit_of_work.after_commit(checkpoint_wal)
    db.session.expire_all()


def erase_participant(participant: Participant, store: PhotoStore, *, journal: bool = True) -> None:
    """Erase everything of a participant: spots, photos, trace, profile, and what the audit log
    said of her spots (moderation.forget_spots). The token dies too; its hash is kept
    ERASED_TOKEN_DAYS with the erasure's time (the phone is told `erased`), and the hashes kept
    longer than that are purged now. After the commit: her id goes to the erasure journal
    (unless `journal` is False: re-applying the journal), and the SQLite WAL is checkpointed so
    that no old page image keeps what was erased."""
    now = utcnow()
    participant_id, project_id = participant.id, participant.walk.project_id
    spots = db.session.execute(
        sa.select(Observation.id, Observation.uuid).where(
            Observation.participant_id == participant_id
        )
    ).all()
    _before_erasure(project_id)
    moderation.forget_spots([tuple(spot) for spot in spots], [project_id])
    db.session.execute(
        sa.delete(ErasedToken).where(
            ErasedToken.erased_at < now - timedelta(days=ERASED_TOKEN_DAYS)
        )
    )
    # merge: erased again (a restored backup, erasure_journal.reapply), the token row may exist
    db.session.merge(ErasedToken(token_hash=participant.token_hash, erased_at=now))
    own_spots = sa.select(Observation.id).where(Observation.participant_id == participant.id)
    delete_photos_where(Photo.observation_id.in_(own_spots), store)
    db.session.execute(sa.delete(Observation).where(Observation.participant_id == participant.id))
    db.session.execute(sa.delete(TrackPoint).where(TrackPoint.participant_id == participant.id))
    answered = db.session.execute(
        sa.delete(SurveyAnswer).where(SurveyAnswer.participant_id == participant.id)
    ).rowcount
    db.session.execute(sa.delete(Participant).where(Participant.id == participant.id))
    if answered:
        from . import appropriation  # the index's figures are recomputed without her answers

        appropriation.mark_stale(project_id)
    _after_erasure(project_id)
    if journal:
        erasure_journal_file.record("participant", [participant_id])
    unit_of_work.after_commit(checkpoint_wal)
    db.session.expire_all()


def erase_by_code(typed_code: str, store: PhotoStore) -> None:
    code_hash = hash_secret(normalize_erasure_code(typed_code))
    participant = db.session.scalar(
        sa.select(Participant).where(Participant.erasure_code_hash == code_hash)
    )
    # Compare in constant time anyway: the lookup above is by hash, this is belt and braces.
    if participant is None or not hmac.compare_digest(participant.erasure_code_hash, code_hash):
        raise NotFound({"erasure_code": "erasure_code_unknown"})
    erase_participant(participant, store)


# --- Route trace --------------------------------------------------------------------------------


def append_track(
    participant: Participant,
    points: list[dict[str, Any]],
    *,
    limits: quotas.TokenLimits | None = None,
) -> int:
    """Append points to my route trace; points already stored (retries) are skipped, and so
    are points recorded after the walk closed (the trace stops with the walk; a phone sending
    late still delivers what it recorded before). Returns how many were stored."""
    if not participant.track_consent:
        raise Forbidden({"track": "track_not_agreed"})
    walk = participant.walk
    if walk.status == "closed" and walk.closed_at is not None:
        points = [p for p in points if p["t"] <= walk.closed_at]
    times = {p["t"] for p in points}
    known = set(
        db.session.scalars(
            sa.select(TrackPoint.recorded_at).where(
                TrackPoint.participant_id == participant.id, TrackPoint.recorded_at.in_(times)
            )
        )
    )
    new = {}
    for p in points:
        if p["t"] not in known:
            new[p["t"]] = p  # the same instant twice in one batch counts once
    if limits is not None:
        quotas.check_track(participant, limits, len(new))
    db.session.add_all(
        TrackPoint(
            participant_id=participant.id,
            lat=p["lat"],
            lon=p["lon"],
            accuracy_m=p.get("accuracy_m"),
            recorded_at=t,
        )
        for t, p in new.items()
    )
    db.session.flush()
    return len(new)
