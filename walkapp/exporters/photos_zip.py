"""The photos of a project's spots as a ZIP, apart from the data exports (a table or a map
layer never drags gigabytes of media along).

Each photo is stored as it was processed at upload (metadata already stripped:
domain/photos.py), byte for byte, named by its spot's reference and its rank among the spot's
photos: ``S042-1.jpg``, ``S042-2.jpg``, so that a row of the CSV/XLSX finds its pictures. The
spots are the export's filter's (hidden ones never; none when withheld). Entries are stored,
not compressed (JPEG does not compress further), and copied in chunks: memory stays flat
whatever the archive's size (ZIP64 beyond 4 GB). The entry's date is the spot's, in the
project's time zone.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..extensions import db
from ..models import Observation, Photo, Project, SpotReference, StoredFile
from ..services.observation_filter import ObservationFilter, narrow, scope, too_few_participants
from ..services.photo_store import PhotoStore
from ..services.spot_references import label as reference_label
from .layers import BATCH, WITHHELD, spot_filter

MEDIA_TYPE = "application/zip"
CHUNK = 1 << 16
PROGRESS_EVERY = 100

Progress = Callable[[int, int], Any]


def _query(project_id: int, walk_ids: list[int], filters: ObservationFilter) -> sa.Select:
    query = (
        sa.select(SpotReference.number, StoredFile.sha256, Observation.recorded_at)
        .select_from(Observation)
        .join(Photo, Photo.observation_id == Observation.id)
        .join(StoredFile, StoredFile.id == Photo.file_id)
        .join(
            SpotReference,
            sa.and_(
                SpotReference.observation_id == Observation.id,
                SpotReference.project_id == project_id,
            ),
        )
    )
    return narrow(query, walk_ids, filters).order_by(Observation.id, Photo.id)


def _count(walk_ids: list[int], filters: ObservationFilter) -> int:
    query = narrow(
        sa.select(sa.func.count(Photo.id))
        .select_from(Observation)
        .join(Photo, Photo.observation_id == Observation.id),
        walk_ids,
        filters,
    )
    return db.session.scalar(query) or 0


def write(
    project: Project,
    filters: ObservationFilter | None,
    out: IO[bytes],
    store: PhotoStore,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the ZIP to `out` (references assigned by the caller); returns
    ``{"spots", "photos", "missing"?, "withheld"?}``: spots with a photo, photos written,
    files the store lacks (skipped, never a broken archive)."""
    filters = spot_filter(filters)
    walk_ids = scope(project.id, filters)
    withheld = too_few_participants(walk_ids, filters)
    total = 0 if withheld else _count(walk_ids, filters)
    tz = ZoneInfo(project.timezone)
    spots = written = missing = 0
    rank, previous, last_written = 0, None, None
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        if not withheld:
            query = _query(project.id, walk_ids, filters).execution_options(yield_per=BATCH)
            for number, sha256, recorded_at in db.session.execute(query):
                rank = rank + 1 if number == previous else 1
                previous = number
                path = store.path(sha256)
                if not path.is_file():
                    missing += 1
                    continue
                info = zipfile.ZipInfo(
                    f"{reference_label(number)}-{rank}.jpg",
                    date_time=recorded_at.astimezone(tz).timetuple()[:6],
                )
                info.compress_type = zipfile.ZIP_STORED
                info.file_size = path.stat().st_size
                with path.open("rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, CHUNK)
                spots += number != last_written
                last_written = number
                written += 1
                if progress is not None and written % PROGRESS_EVERY == 0:
                    progress(written + missing, total)
    if progress is not None:
        progress(written + missing, total)
    summary: dict[str, Any] = {"spots": spots, "photos": written}
    if missing:
        summary["missing"] = missing
    if withheld:
        summary["withheld"] = WITHHELD
    return summary
