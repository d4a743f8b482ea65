"""Zones of a project: list, create, rename, redraw, reorder, delete, import a file; the zone of a
point (the spot submit's hot path); re-attaching the project's spots after a change.

Every change gives `project.zones_version` a new value, records an audit entry and starts a
`zones` job (walkapp.zone_jobs) that re-attaches the project's spots (`reattach`) once the
change has committed. Which zone a point goes to is domain.zones' RULE: inside or on the
boundary, the first zone in the planner's order (position, then id); outside every zone, none.

`zone_of` keeps, per process, the index of each project's zones by (project id, zones version),
so a cached index is never stale as long as a version never names two sets of zones: each change
draws a new random version (not a counter: SQLite hands a deleted project's id out again, and a
counter would start again from 0 there, meeting an index cached for the old project), and a
rolled-back change forgets what it cached. Version 0 (a project that never had zones) answers
None with no query at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from .. import jobs, unit_of_work
from ..domain import zones as domain
from ..domain.geo import PerimeterError
from ..extensions import db, utcnow
from ..models import Job, Observation, Project, Walk, Zone
from . import audit
from .errors import Invalid, NotFound, Problem

KIND = "zones"  # the job kind (walkapp.zone_jobs)
BATCH = 5_000  # spots read at a time by `reattach`
IN_CHUNK = 500  # ids per UPDATE … WHERE id IN (…)
CACHE_SIZE = 64  # (project, version) indexes kept per process

_cache: dict[tuple[int, int], domain.ZoneIndex] = {}

Progress = Callable[[int, int | None], Any]


# --- Reading -------------------------------------------------------------------------------------


def list_zones(project_id: int) -> list[Zone]:
    """The project's zones in the planner's order."""
    return list(
        db.session.scalars(
            sa.select(Zone).where(Zone.project_id == project_id).order_by(Zone.position, Zone.id)
        )
    )


def spot_counts(project_id: int) -> dict[int, int]:
    """{zone id: spots attached and shown (not hidden)}."""
    query = (
        sa.select(Observation.zone_id, sa.func.count())
        .join(Zone, Zone.id == Observation.zone_id)
        .where(Zone.project_id == project_id, Observation.hidden_at.is_(None))
        .group_by(Observation.zone_id)
    )
    return {zone_id: n for zone_id, n in db.session.execute(query)}


def unattached_count(project_id: int) -> int:
    """Shown spots of the project in no zone."""
    walks = sa.select(Walk.id).where(Walk.project_id == project_id)
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Observation)
            .where(
                Observation.walk_id.in_(walks),
                Observation.zone_id.is_(None),
                Observation.hidden_at.is_(None),
            )
        )
        or 0
    )


def overlapping(zones: list[Zone]) -> list[tuple[Zone, Zone]]:
    """Pairs of zones whose areas overlap (the first in order wins their common points)."""
    by_id = {z.id: z for z in zones}
    shapes = [domain.ZoneShape(z.id, z.name, z.geometry) for z in zones]
    return [(by_id[a], by_id[b]) for a, b in domain.overlaps(shapes)]


def outside_perimeter(project: Project, zones: list[Zone]) -> list[Zone]:
    """Zones reaching out of the project's perimeter (a warning on the page)."""
    return [z for z in zones if domain.outside_perimeter(z.geometry, project.perimeter)]


def latest_job(project_id: int) -> Job | None:
    """The project's newest re-attach job (the page shows how it stands)."""
    return db.session.scalar(
        sa.select(Job)
        .where(Job.project_id == project_id, Job.kind == KIND)
        .order_by(Job.id.desc())
        .limit(1)
    )


# --- The zone of a point -------------------------------------------------------------------------


def _load_index(project_id: int) -> tuple[int, domain.ZoneIndex]:
    """The project's current zones version and its index, read in one statement (without
    flushing: a spot being built, not in the session yet, asks for its zone)."""
    with db.session.no_autoflush:
        rows = db.session.execute(
            sa.select(Project.zones_version, Zone.id, Zone.position, Zone.geometry)
            .select_from(Project)
            .outerjoin(Zone, Zone.project_id == Project.id)
            .where(Project.id == project_id)
        ).all()
    version = rows[0][0] if rows else 0
    index = domain.ZoneIndex.from_zones((r[1], r[2], r[3]) for r in rows if r[1] is not None)
    return version, index


def index_for(project_id: int, zones_version: int) -> domain.ZoneIndex:
    """The index of the project's zones at `zones_version` (cached per process)."""
    found = _cache.get((project_id, zones_version))
    if found is not None:
        return found
    version, index = _load_index(project_id)
    if len(_cache) >= CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    # Stored under the version read (a change may have committed since the caller read hers).
    _cache[(project_id, version)] = index
    return index


def zone_of(project_id: int, zones_version: int, lat: float, lon: float) -> int | None:
    """The zone of (lat, lon) in the project (domain.zones' RULE); None outside every zone.
    `zones_version` is the project's as the caller read it: 0 asks nothing of the database."""
    if not zones_version:
        return None
    return index_for(project_id, zones_version).zone_of(lat, lon)


def _forget(project_id: int) -> None:
    for key in [k for k in _cache if k[0] == project_id]:
        _cache.pop(key, None)


# --- Changes -------------------------------------------------------------------------------------


def _project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound({"project": "not_found"})
    return project


def _zone(project_id: int, zone_id: int) -> Zone:
    zone = db.session.get(Zone, zone_id)
    if zone is None or zone.project_id != project_id:
        raise NotFound({"zone": "not_found"})
    return zone


def _clean_name(project_id: int, name: str | None, *, zone_id: int | None = None) -> str:
    problem = domain.name_problem(name)
    if problem is not None:
        raise Invalid({"name": Problem(problem, max=domain.NAME_MAX)})
    text = (name or "").strip()
    taken = db.session.scalar(
        sa.select(Zone.id).where(
            Zone.project_id == project_id,
            sa.func.lower(Zone.name) == text.lower(),
            Zone.id != (zone_id or 0),
        )
    )
    if taken is not None:
        raise Invalid({"name": Problem("zone_name_taken", name=text)})
    return text


def _clean_geometry(data: object) -> dict[str, Any]:
    try:
        return domain.zone_geometry(data)
    except PerimeterError as exc:
        raise Invalid({"geometry": Problem(exc.code, **exc.params)}) from None


def _changed(project_id: int, user_id: int | None) -> Job:
    """After a change of the zones: a new version, and the job that re-attaches the spots."""
    db.session.flush()
    version = new_version()
    db.session.execute(
        sa.update(Project)
        .where(Project.id == project_id)
        .values(zones_version=version)
        .execution_options(synchronize_session=False)
    )
    project = db.session.get(Project, project_id)
    if project is not None:
        db.session.refresh(project, ["zones_version"])
    # A change rolled back leaves its version to be given again: what it cached goes.
    unit_of_work.after_rollback(_forget, project_id)
    return jobs.start(
        KIND, project_id=project_id, user_id=user_id, params={"zones_version": version}
    )


def new_version() -> int:
    """A new zones version: random, positive, fits PostgreSQL's INTEGER (module docstring)."""
    return secrets.randbelow(2**31 - 2) + 1


def _next_position(project_id: int) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(Zone.position)).where(Zone.project_id == project_id)
    )
    return (last or 0) + 1


def create_zone(project_id: int, name: str, geometry: object, *, user_id: int | None) -> Job:
    """A new zone, last in the order. Returns the re-attach job."""
    _project(project_id)
    zone = Zone(
        project_id=project_id,
        name=_clean_name(project_id, name),
        geometry=_clean_geometry(geometry),
        position=_next_position(project_id),
    )
    db.session.add(zone)
    db.session.flush()
    audit.record(
        "create",
        "zone",
        zone.id,
        user_id=user_id,
        project_id=project_id,
        details={"name": zone.name, "source": "map"},
    )
    return _changed(project_id, user_id)


def rename_zone(project_id: int, zone_id: int, name: str, *, user_id: int | None) -> Job | None:
    """A new name (no re-attach needed: None when nothing changed, else the job all the same,
    so that the page's state is one rule: every change has its job)."""
    zone = _zone(project_id, zone_id)
    text = _clean_name(project_id, name, zone_id=zone.id)
    if text == zone.name:
        return None
    audit.record(
        "edit",
        "zone",
        zone.id,
        user_id=user_id,
        project_id=project_id,
        details={"name": [zone.name, text]},
    )
    zone.name, zone.updated_at = text, utcnow()
    return _changed(project_id, user_id)


def redraw_zone(project_id: int, zone_id: int, geometry: object, *, user_id: int | None) -> Job:
    zone = _zone(project_id, zone_id)
    zone.geometry, zone.updated_at = _clean_geometry(geometry), utcnow()
    audit.record(
        "edit",
        "zone",
        zone.id,
        user_id=user_id,
        project_id=project_id,
        details={"geometry": "redrawn", "name": zone.name},
    )
    return _changed(project_id, user_id)


def delete_zone(project_id: int, zone_id: int, *, user_id: int | None) -> Job:
    """The zone goes; its spots are detached (ON DELETE SET NULL) and the job re-attaches them
    to an overlapping zone, if any."""
    zone = _zone(project_id, zone_id)
    # Explicit, not left to the foreign key: the same on a connection without FK enforcement.
    db.session.execute(
        sa.update(Observation)
        .where(Observation.zone_id == zone.id)
        .values(zone_id=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        "delete",
        "zone",
        zone.id,
        user_id=user_id,
        project_id=project_id,
        details={"name": zone.name},
    )
    db.session.delete(zone)
    _renumber(project_id)
    return _changed(project_id, user_id)


def _renumber(project_id: int, ordered: list[Zone] | None = None) -> None:
    db.session.flush()
    for position, zone in enumerate(ordered or list_zones(project_id), start=1):
        zone.position = position


def move_zone(project_id: int, zone_id: int, step: int, *, user_id: int | None) -> Job | None:
    """One place up (step -1) or down (+1) in the order; None at an end (nothing changed)."""
    if step not in (-1, 1):
        raise Invalid({"direction": "invalid"})
    zones = list_zones(project_id)
    zone = _zone(project_id, zone_id)
    at = zones.index(zone)
    other = at + step
    if not 0 <= other < len(zones):
        return None
    zones[at], zones[other] = zones[other], zones[at]
    _renumber(project_id, zones)
    audit.record(
        "edit",
        "zone",
        zone.id,
        user_id=user_id,
        project_id=project_id,
        details={"name": zone.name, "position": [at + 1, other + 1]},
    )
    return _changed(project_id, user_id)


def import_geojson(project_id: int, data: object, *, user_id: int | None) -> Job:
    """Zones from a GeoJSON FeatureCollection (e.g. exported from QGIS), each feature a Polygon or
    MultiPolygon with a `name` property. A feature named like an existing zone redraws it; the
    others are added after the existing zones, in the file's order. One feature refused (no
    name, a bad geometry): a refusal naming it, and nothing written."""
    _project(project_id)
    try:
        features = domain.zone_features(data)
    except domain.ZoneFileError as exc:
        reason = Problem(exc.code, **exc.params)
        if exc.number is None:
            raise Invalid({"file": reason}) from None
        raise Invalid(
            {"file": Problem("zone_feature_refused", number=exc.number), "reason": reason}
        ) from None
    existing = {z.name.casefold(): z for z in list_zones(project_id)}
    position = _next_position(project_id)
    added, redrawn = [], []
    for name, geometry in features:
        zone = existing.get(name.casefold())
        if zone is not None:
            zone.geometry, zone.updated_at = geometry, utcnow()
            redrawn.append(name)
            continue
        db.session.add(Zone(project_id=project_id, name=name, geometry=geometry, position=position))
        position += 1
        added.append(name)
    audit.record(
        "add",
        "zone",
        None,
        user_id=user_id,
        project_id=project_id,
        details={"source": "file", "zones": added, "redrawn": redrawn},
    )
    return _changed(project_id, user_id)


# --- Re-attaching the spots (the job) ------------------------------------------------------------


def reattach(project_id: int, progress: Progress | None = None) -> int:
    """Set every spot of the project (hidden ones too) to the zone it falls in now; only rows
    whose zone changes are written, one UPDATE … WHERE id IN (…) per zone and chunk. Idempotent.
    Returns how many spots changed zone."""
    _version, index = _load_index(project_id)
    walks = sa.select(Walk.id).where(Walk.project_id == project_id).scalar_subquery()
    total = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Observation)
            .where(Observation.walk_id.in_(walks))
        )
        or 0
    )
    if progress:
        progress(0, total)
    done = changed = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(Observation.id, Observation.lat, Observation.lon, Observation.zone_id)
            .where(Observation.walk_id.in_(walks), Observation.id > last_id)
            .order_by(Observation.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1][0]
        wanted = index.zones_of([r[1] for r in rows], [r[2] for r in rows])
        moves: dict[int | None, list[int]] = {}
        for (spot_id, _lat, _lon, current), zone_id in zip(rows, wanted, strict=True):
            if current != zone_id:
                moves.setdefault(zone_id, []).append(spot_id)
        for zone_id, ids in moves.items():
            for start in range(0, len(ids), IN_CHUNK):
                db.session.execute(
                    sa.update(Observation)
                    .where(Observation.id.in_(ids[start : start + IN_CHUNK]))
                    .values(zone_id=zone_id)
                    .execution_options(synchronize_session=False)
                )
            changed += len(ids)
        done += len(rows)
        if progress:
            progress(done, total)
    return changed


def reattach_for_version(project_id: int, zones_version: int, progress: Progress | None) -> bool:
    """The job's work: re-attach if the project's zones are still at `zones_version`; if they
    changed again meanwhile, the newer job (started by that change) does it. The project's row
    is locked first (PostgreSQL; SQLite's write unit already serialises): two jobs never write at
    once, and a change waits for the job in flight. Whether it re-attached."""
    current = db.session.scalar(
        sa.select(Project.zones_version).where(Project.id == project_id).with_for_update()
    )
    if current is None or current != zones_version:
        if progress:
            progress(0, 0)
        return False
    reattach(project_id, progress)
    return True
