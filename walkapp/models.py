"""The schema: SQLAlchemy 2 typed models. Business rules live in domain/ and services/."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import UTCDateTime, db, utcnow

# none_as_null: a missing value is SQL NULL, not the JSON text 'null' (filters stay right).
JSONType = sa.JSON(none_as_null=True).with_variant(
    sa.dialects.postgresql.JSONB(none_as_null=True), "postgresql"
)


class Project(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    commune: Mapped[str] = mapped_column(sa.String(120), default="")
    # INSEE code of the commune ("59606" for Valenciennes): 5 characters, Corsica has 2A/2B.
    insee_code: Mapped[str | None] = mapped_column(sa.String(5))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    phase: Mapped[str] = mapped_column(sa.String(20), default="diagnostic")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Paris")
    # A GeoJSON Polygon or MultiPolygon geometry in WGS84, validated by domain.geo.
    perimeter: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Archived: read-only, out of the current lists and indicators, still in its years' figures.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Months its participants' data is kept after the project closes: services.retention says
    # what "closes" means and holds the default (DEFAULT_MONTHS, 24) and bounds; `walkapp purge`.
    retention_months: Mapped[int] = mapped_column(default=24, server_default="24")
    # The tender annex's suggested award criteria: {criterion code: weight in %}, set by the
    # planner (domain.annex.AWARD_CRITERIA holds the codes and the defaults); NULL: defaults.
    award_weights: Mapped[dict | None] = mapped_column(JSONType)
    # A new (random) value at every change of the project's zones (services.zones): the spot
    # submit reads it with the token's row and finds the zones' index in a cache keyed by
    # (project, version); 0: the project has never had zones (no query at all).
    zones_version: Mapped[int] = mapped_column(default=0, server_default="0")

    walks: Mapped[list[Walk]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Walk.starts_at"
    )
    members: Mapped[list[ProjectMember]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    # `admin`: every right in every project. Otherwise the role a new membership gets unless told
    # (the role that counts is each membership's); a `planner` account may also create projects.
    role: Mapped[str] = mapped_column(sa.String(20), default="planner")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[ProjectMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class UserSession(db.Model):
    """A signed-in session. The cookie holds a random token, this row only its SHA-256: signing
    out deletes the row, so a copy of the cookie taken before opens nothing afterwards; a new
    password, deactivation and "sign out everywhere" delete every row of the user."""

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectMember(db.Model):
    """Who may see a project, and with which role there (`planner`, `facilitator`, `viewer`):
    the same person may lead walks in one commune and only read another. An administrator's
    rights are global and need no membership."""

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    # No default on purpose: whoever adds a member says what they may do.
    role: Mapped[str] = mapped_column(sa.String(20))
    user: Mapped[User] = relationship(back_populates="memberships")
    project: Mapped[Project] = relationship(back_populates="members")


class Walk(db.Model):
    """An event: an exploratory walk, an appropriation survey or a consultation meeting."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    audience: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    group_description: Mapped[str] = mapped_column(sa.Text, default="")
    meeting_point: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(10), default="planned")
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    join_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    # Who leads the walk on the street: their session never expires while it is open.
    facilitator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An appropriation survey whose QR codes stay on street furniture (one per zone): one answer
    # per phone, questionnaire and day counts there (services.appropriation).
    permanent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    project: Mapped[Project] = relationship(back_populates="walks")
    facilitator: Mapped[User | None] = relationship()
    stops: Mapped[list[Stop]] = relationship(
        back_populates="walk", cascade="all, delete-orphan", order_by="Stop.number"
    )
    participants: WriteOnlyMapped[Participant] = relationship(
        back_populates="walk", cascade="all, delete-orphan", passive_deletes=True
    )
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="walk", cascade="all, delete-orphan"
    )


class Stop(db.Model):
    """A numbered stop of a walk's planned route."""

    __table_args__ = (sa.UniqueConstraint("walk_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    walk_id: Mapped[int] = mapped_column(sa.ForeignKey("walk.id", ondelete="CASCADE"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    lat: Mapped[float]
    lon: Mapped[float]

    walk: Mapped[Walk] = relationship(back_populates="stops")


class Participant(db.Model):
    """A pseudonymous participant of one event. Nothing here names a person."""

    # An id once handed out is never handed out again, even after the participant is erased: an
    # audit line, a log or an export that cites it never points at someone else. PostgreSQL
    # sequences never reuse; SQLite reuses the highest rowid once deleted, unless AUTOINCREMENT.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    walk_id: Mapped[int] = mapped_column(sa.ForeignKey("walk.id", ondelete="CASCADE"), index=True)
    # SHA-256 hex of a 32-byte random token: full entropy, so a fast hash is the right one.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    erasure_code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_version: Mapped[str] = mapped_column(sa.String(20))
    track_consent: Mapped[bool] = mapped_column(default=False)
    gender: Mapped[str | None] = mapped_column(sa.String(20))
    age_band: Mapped[str | None] = mapped_column(sa.String(20))
    resident: Mapped[str | None] = mapped_column(sa.String(20))
    mobility: Mapped[str | None] = mapped_column(sa.String(20))
    # Set when a facilitator enters spots for someone without a smartphone (or from a paper
    # grid): the person still counts in "who is missing", through this profile.
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    walk: Mapped[Walk] = relationship(back_populates="participants")
    observations: WriteOnlyMapped[Observation] = relationship(
        back_populates="participant", passive_deletes=True
    )


class Observation(db.Model):
    """A spot tagged by a participant."""

    __table_args__ = (
        sa.CheckConstraint("feeling BETWEEN 1 AND 5", name="feeling_range"),
        sa.Index("ix_observation_walk_id_recorded_at", "walk_id", "recorded_at"),
        # Triage filters and pages through 100,000+ spots: with every filtered column in one
        # index, the count and each keyset page read the index only, never the table.
        sa.Index(
            "ix_observation_triage",
            "walk_id",
            "hidden_at",
            "light_condition",
            "feeling",
            "category",
            "entered_by_id",
            "recorded_at",
            "id",
        ),
        # Indicators ask per participant, not per spot ("did she report harassment?", "did they
        # tag a spot in this time slot?"): one index probe each, whatever the number of spots.
        sa.Index("ix_observation_participant_category", "participant_id", "category", "hidden_at"),
        sa.Index("ix_observation_participant_slot", "participant_id", "time_slot", "hidden_at"),
        # A submit's quota probe: her n-th newest spot received in the window (services.quotas).
        sa.Index("ix_observation_participant_received", "participant_id", "received_at"),
        # The stops page aggregates the spots of a walk's stops.
        sa.Index("ix_observation_stop_id_hidden_at", "stop_id", "hidden_at"),
        # Per-zone counts and lists (the zones page, the counts to come) of the shown spots.
        sa.Index("ix_observation_zone_id_hidden_at", "zone_id", "hidden_at"),
        # A spot's id, once handed out, is never reused after the spot is deleted (a spot cited
        # in a tender annex stays that spot): AUTOINCREMENT on SQLite, as for Participant.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made by the client once, at capture: retries of the same spot never duplicate it.
    uuid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    # Her spots are found by ix_observation_participant_received (participant_id first).
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    walk_id: Mapped[int] = mapped_column(sa.ForeignKey("walk.id", ondelete="CASCADE"))
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy_m: Mapped[float | None]
    # Where the position came from (vocabularies.POSITION_SOURCES): `gps` (with accuracy_m),
    # `pin` (placed by hand), `stop`, or `unknown` (an old app, rows before migration 0010).
    position_source: Mapped[str] = mapped_column(
        sa.String(10), default="unknown", server_default="unknown"
    )
    # The position sits exactly where the old app put a spot it had no position for (the
    # perimeter's centre, domain.positions): most probably not where it was tagged.
    position_suspect: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The device's offset from UTC when it recorded the spot, in minutes (+60 in Paris in winter).
    utc_offset_minutes: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Computed once at write time in the project's time zone (SQLite has no time zones).
    local_date: Mapped[date]
    time_slot: Mapped[str] = mapped_column(sa.String(20))
    light_condition: Mapped[str] = mapped_column(sa.String(10))
    category: Mapped[str] = mapped_column(sa.String(30))
    feeling: Mapped[int]
    ratings: Mapped[dict | None] = mapped_column(JSONType)
    stop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stop.id", ondelete="SET NULL"))
    # The project's zone the position falls in (services.zones), None outside every zone.
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zone.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    # Entered by a facilitator on someone's behalf (marked as such in every view and export).
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Moderation: a hidden spot stays stored (with the reason) but leaves maps and exports.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    participant: Mapped[Participant] = relationship(back_populates="observations")
    walk: Mapped[Walk] = relationship()
    stop: Mapped[Stop | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        back_populates="observation", cascade="all, delete-orphan", order_by="Photo.id"
    )


class ErasedToken(db.Model):
    """The SHA-256 of an erased participant's token and when it was erased, nothing else: the
    phone that still holds the token is told `erased` (401) and may then forget its copy. Kept
    ERASED_TOKEN_DAYS (services.capture), purged at each erasure."""

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class StoredFile(db.Model):
    """A processed photo on disk, named by the SHA-256 of the uploaded bytes.

    Several photos may share one file (the same picture sent twice, or by two people): the file is
    deleted only when no Photo refers to it any more (the reference count is the rows, never a
    counter that could drift).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Photo(db.Model):
    __table_args__ = (sa.UniqueConstraint("observation_id", "file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("observation.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    observation: Mapped[Observation] = relationship(back_populates="photos")
    file: Mapped[StoredFile] = relationship()


class TrackPoint(db.Model):
    """A point of a participant's route trace (only with their explicit consent)."""

    # One point per instant: a retried upload never duplicates the trace.
    __table_args__ = (sa.UniqueConstraint("participant_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy_m: Mapped[float | None]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attendance(db.Model):
    """Head count of an event by gender x age band (feeds "share of women in consultations")."""

    __table_args__ = (sa.UniqueConstraint("walk_id", "gender", "age_band"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    walk_id: Mapped[int] = mapped_column(sa.ForeignKey("walk.id", ondelete="CASCADE"))
    gender: Mapped[str] = mapped_column(sa.String(20))
    age_band: Mapped[str] = mapped_column(sa.String(20))
    count: Mapped[int] = mapped_column(default=0)

    walk: Mapped[Walk] = relationship(back_populates="attendance")


class StopNote(db.Model):
    """The group's remarks at a stop, noted by the facilitator."""

    id: Mapped[int] = mapped_column(primary_key=True)
    walk_id: Mapped[int] = mapped_column(sa.ForeignKey("walk.id", ondelete="CASCADE"), index=True)
    stop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stop.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stop: Mapped[Stop | None] = relationship()
    author: Mapped[User | None] = relationship()


class AuditEvent(db.Model):
    """Who created, edited, hid, exported or deleted what, and when. Append-only."""

    __table_args__ = (
        sa.Index("ix_audit_event_project_id_at", "project_id", "at"),
        # An erasure finds the entries about its spots by target (services.audit.redact).
        sa.Index("ix_audit_event_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(40))
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict | None] = mapped_column(JSONType)

    user: Mapped[User | None] = relationship()


class Finding(db.Model):
    """A hotspot a planner confirmed, with the recommendation (préconisation) the tender
    specification will carry. A finding is an area (domain.hotspots), one per place and project:
    the place's key is unique within the project, and a hotspot inside an existing finding's
    area is that finding."""

    __table_args__ = (sa.UniqueConstraint("project_id", "place_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"))
    # The place's key (domain.hotspots.Hotspot.key, or "h3:<cell>" for a finding made from an
    # H3 cell before migration 0006), its peak (WGS84), its area (a GeoJSON Polygon) and the ids
    # of the spots inside the area when it was confirmed.
    place_key: Mapped[str] = mapped_column(sa.String(40))
    lat: Mapped[float]
    lon: Mapped[float]
    geometry: Mapped[dict] = mapped_column(JSONType)
    spot_ids: Mapped[list] = mapped_column(JSONType)
    title: Mapped[str] = mapped_column(sa.String(200))
    recommendation: Mapped[str] = mapped_column(sa.Text)
    # The hotspot's figures when it was confirmed (z, p, n reports, n participants, share at
    # night, top categories, mean feeling, filters): the data may change, the finding keeps why.
    statistics: Mapped[dict] = mapped_column(JSONType)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the tender annex may show of the finding's spots: the ids of the spots whose comment
    # the planner chose to quote, and of the photos she chose. Empty by default: tender files go
    # to every bidder, so nothing typed or photographed by a participant leaves unless chosen.
    quoted_spot_ids: Mapped[list] = mapped_column(
        JSONType, default=list, server_default=sa.text("'[]'")
    )
    chosen_photo_ids: Mapped[list] = mapped_column(
        JSONType, default=list, server_default=sa.text("'[]'")
    )

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship()


class SpotReference(db.Model):
    """A spot's short reference within its project ("S042" for number 42), the same in the tender
    annex, the CSV/XLSX exports and the photo ZIP, so that a contractor can trace a clause to
    what was reported without an account. Numbers are handed out in the order of the spots (
    services.spot_references) and never reused; the row outlives the spot's erasure, so that a
    reference cited by an annex reads « retiré à la demande de la participante ». The spot's id
    is a plain number, not a foreign key: ids are never reused either (migration 0007)."""

    __table_args__ = (sa.UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"))
    number: Mapped[int]
    observation_id: Mapped[int] = mapped_column(unique=True)


class Job(db.Model):
    """Long work done in the background (walkapp.jobs): an annex, a report, an export, a photo
    ZIP. The page shows its progress; its result is a file under the instance folder, removed
    after JOB_RETENTION_DAYS or when an erasure makes it stale."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # What it builds (walkapp.jobs.KINDS) and with what ({"format": ..., "filters": ...}).
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # queued → running → done | failed (vocabularies.JOB_STATUSES).
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    # Why it failed, as an error code of error_messages (never a traceback: that goes to the log).
    error: Mapped[str | None] = mapped_column(sa.String(200))
    # The result, relative to the instance's jobs folder, and the name it downloads as.
    result_path: Mapped[str | None] = mapped_column(sa.String(200))
    filename: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Publication(db.Model):
    """A project's residents' page (services.publication), published by a planner: what the
    page shows is the `snapshot`, aggregated and frozen when published (a later walk changes
    nothing until she publishes again); an erasure rebuilds it without what was erased, from
    `selection` (what the publication drew from: never shown). Unpublishing deletes the row:
    its address then answers 404, and a new publication gets a new address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), unique=True
    )
    # The page's address (/r/<slug>): random, so that no project's page can be guessed.
    slug: Mapped[str] = mapped_column(sa.String(32), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    # Published again (by the planner, or by an erasure): the snapshot is of that time.
    republished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The planner's choices: {"contact": text, "include_quotes": bool, "k": int}.
    options: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Everything the page shows, already aggregated (domain.public_page.SNAPSHOT_VERSION).
    snapshot: Mapped[dict] = mapped_column(JSONType, default=dict)
    # What it was drawn from: the last spot id then, the quoted spots of each finding.
    selection: Mapped[dict] = mapped_column(JSONType, default=dict)


class Zone(db.Model):
    """A named part of a project ("le square", "l'arrêt de bus"), drawn or uploaded like the
    perimeter. Each spot is attached to the zone it falls in (Observation.zone_id, on write;
    services.zones re-attaches them in a job when the zones change). Zones may overlap: a point
    in several goes to the first in the planner's order (`position`, then id: domain.zones)."""

    __table_args__ = (sa.UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    # A GeoJSON Polygon or MultiPolygon in WGS84, cleaned by domain.geo.perimeter_geometry.
    geometry: Mapped[dict] = mapped_column(JSONType)
    # The planner's order (1, 2, ...): the list's order, and who wins a point on a shared edge.
    position: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CountPeriod(db.Model):
    """A counting period of the Public Life Data Protocol (its "survey"): one counter in one zone,
    counting either the people passing (`moving`, at a line or gate, at least 10 minutes) or the
    people staying (`staying`, a snapshot of the zone). Made on the counter's phone, offline
    too: the client's uuid makes a resend change nothing (services.counts)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    # The zone counted, chosen by the counter (the PLDP's location); NULL once the zone is deleted.
    zone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("zone.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))  # vocabularies.COUNT_KINDS
    # The project's phase when the period began: before/after compares diagnostic and after_works.
    phase: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Computed at write time from started_at, in the project's time zone (domain.timeslots).
    time_slot: Mapped[str] = mapped_column(sa.String(20))
    weather: Mapped[str | None] = mapped_column(sa.String(20))  # vocabularies.WEATHER
    # Anything out of the ordinary on site (vocabularies.TIME_CHARACTERS: an event, roadworks...).
    time_character: Mapped[str] = mapped_column(sa.String(30), default="none")
    # Where the line or gate is ("entrée rue de Paris"), and the counter's remark.
    line: Mapped[str] = mapped_column(sa.String(120), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    counted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    records: WriteOnlyMapped[CountRecord] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class CountRecord(db.Model):
    """One person counted: one tap on the counter's phone, with the client's uuid. *Perceived*
    categories (the counter's impression, not what the person would declare). Undo deletes it."""

    __table_args__ = (sa.Index("ix_count_record_period_id", "period_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("count_period.id", ondelete="CASCADE"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    gender: Mapped[str] = mapped_column(sa.String(10))  # vocabularies.PERCEIVED_GENDERS
    age_group: Mapped[str] = mapped_column(sa.String(10))  # vocabularies.AGE_GROUPS
    # People passing: how (vocabularies.MOVING_MODES). People staying: NULL.
    mode: Mapped[str | None] = mapped_column(sa.String(20))
    # People staying: posture, activity, size of the group (vocabularies). People passing: NULL.
    posture: Mapped[str | None] = mapped_column(sa.String(20))
    activity: Mapped[str | None] = mapped_column(sa.String(30))
    group_size: Mapped[str | None] = mapped_column(sa.String(10))


class Questionnaire(db.Model):
    """A project's appropriation questionnaire: its items as data (domain.questionnaire's
    format), copied from the built-in ones or imported from an XLSForm, so that the words asked
    stay the words analysed; the dimensions' weights (None: equal). The project's surveys ask its
    latest questionnaire; an answer keeps the one it answered."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    origin: Mapped[str] = mapped_column(sa.String(20))  # "built_in" or "xlsform"
    items: Mapped[list] = mapped_column(JSONType)
    weights: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    rechecks: Mapped[list[RecheckItem]] = relationship(
        back_populates="questionnaire",
        cascade="all, delete-orphan",
        order_by="RecheckItem.position",
    )


class RecheckItem(db.Model):
    """The loop closed: a question asked after the works about one confirmed finding, drafted
    from it and worded by the planner; asked only once she has published it."""

    __table_args__ = (sa.UniqueConstraint("questionnaire_id", "finding_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id", ondelete="CASCADE"))
    # The finding's zone (from its place) when drafted: its respondents are asked it first.
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zone.id", ondelete="SET NULL"))
    prompt_fr: Mapped[str] = mapped_column(sa.Text)
    prompt_en: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=1)
    published: Mapped[bool] = mapped_column(default=False)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="rechecks")
    finding: Mapped[Finding] = relationship()


class SurveyAnswer(db.Model):
    """One respondent's answers to an appropriation questionnaire, made on the phone with its
    uuid. The project's phase when it arrived (before/after compares diagnostic with after
    works), the zone (the QR's or her choice), the time slot, and the dimensions' scores
    computed at write time (domain.appropriation). `duplicate`: a second answer of the same phone
    to the same questionnaire on the same day at a permanent QR — kept, left out of the index."""

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    walk_id: Mapped[int] = mapped_column(sa.ForeignKey("walk.id", ondelete="CASCADE"))
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    zone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("zone.id", ondelete="SET NULL"), index=True
    )
    phase: Mapped[str] = mapped_column(sa.String(20))  # vocabularies.PROJECT_PHASES
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    utc_offset_minutes: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    local_date: Mapped[date]
    time_slot: Mapped[str] = mapped_column(sa.String(20))
    answers: Mapped[dict] = mapped_column(JSONType)
    scores: Mapped[dict] = mapped_column(JSONType)  # dimension -> 0-1, the answered ones
    duplicate: Mapped[bool] = mapped_column(default=False)


class IndicatorCache(db.Model):
    """Figures too slow for a request (bootstrap intervals), computed by a job per project and
    filter; `stale` once an answer arrives, until the refresh job has run."""

    __table_args__ = (sa.UniqueConstraint("project_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(200))
    data: Mapped[dict] = mapped_column(JSONType)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stale: Mapped[bool] = mapped_column(default=False)
