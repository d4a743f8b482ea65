"""Observation triage: a project's spots and photos, filtered and keyset-paged. No Flask here.

Paging is by keyset, never OFFSET: rows are ordered by (recorded_at DESC, id DESC) and a page
starts strictly after (or before) the (recorded_at, id) of a row the previous page showed. The
cost of a page does not grow with its depth, and a spot that arrives while someone pages never
shifts the rows under them.

A cursor is plain text, ``20261122T190501.123456Z_1234`` (UTC time to the microsecond, then the
row id), parsed strictly (:class:`BadCursor` otherwise). It is not signed, and needs not be:
every query is scoped to the project and the filters again, so a forged cursor only moves the
reader to another place of a list they may read anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import UTCDateTime, db
from ..models import Observation, Photo, User, Walk
from .observation_filter import (
    HIDDEN_EXCLUDE,
    ObservationFilter,
    narrow,
    scope,
    too_few_participants,
)

PAGE_SIZE = 50
GALLERY_PAGE_SIZE = 48

T = TypeVar("T")


class BadCursor(ValueError):
    """A paging cursor that is not one this module wrote."""


_CURSOR = re.compile(r"(\d{8}T\d{6}\.\d{6})Z_([1-9]\d{0,17})", re.ASCII)
_CURSOR_TIME = "%Y%m%dT%H%M%S.%f"


@dataclass(frozen=True)
class Cursor:
    """The position of a row in the (recorded_at DESC, id DESC) order."""

    recorded_at: datetime  # aware, UTC
    id: int

    def encode(self) -> str:
        return f"{self.recorded_at.astimezone(UTC).strftime(_CURSOR_TIME)}Z_{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        match = _CURSOR.fullmatch(text or "")
        if match is None:
            raise BadCursor(text)
        try:
            when = datetime.strptime(match[1], _CURSOR_TIME).replace(tzinfo=UTC)
        except ValueError:  # 20261332T...: the shape is right, the date is not
            raise BadCursor(text) from None
        return cls(when, int(match[2]))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, how many rows the whole list has, and where to go next.

    ``next_cursor`` goes to older rows (``after=``), ``prev_cursor`` to newer ones (``before=``);
    each is None at that end of the list.
    """

    rows: list[T]
    total: int
    next_cursor: Cursor | None
    prev_cursor: Cursor | None
    withheld: bool = False  # the filter's profile fields keep too few people: no row shown


@dataclass(frozen=True)
class GalleryItem:
    photo: Photo
    observation: Observation


@dataclass(frozen=True)
class GalleryView:
    """One photo of the gallery with its spot, and its neighbours in the gallery's order.

    ``newer`` and ``older`` are the ids of the photos before and after it in the gallery (the
    same filter); ``back`` is the cursor of the gallery page that starts with it (None: the
    first page does).
    """

    item: GalleryItem
    position: int  # 1 for the newest photo of the gallery
    total: int
    newer: int | None
    older: int | None
    back: Cursor | None


@dataclass(frozen=True)
class _Window:
    rows: list[Any]
    has_older: bool
    has_newer: bool


# --- Paging ---------------------------------------------------------------------------------


def _keyset_window(
    query: sa.Select,
    time_col: sa.ColumnElement,
    id_col: sa.ColumnElement,
    *,
    after: Cursor | None,
    before: Cursor | None,
    size: int,
) -> _Window:
    """Rows of `query` for one page, newest first, plus whether more lie on either side.

    One more row than the page is fetched to learn whether the list goes on. The side the
    cursor came from is known to go on (the row the cursor names was there); if that row has
    gone since, the link leads to an empty page, which says so.
    """
    if after is not None and before is not None:
        raise BadCursor("after and before together")
    key = sa.tuple_(time_col, id_col)
    if before is not None:
        bound = sa.tuple_(sa.literal(before.recorded_at, UTCDateTime()), sa.literal(before.id))
        query = query.where(key > bound).order_by(time_col.asc(), id_col.asc())
    else:
        if after is not None:
            bound = sa.tuple_(sa.literal(after.recorded_at, UTCDateTime()), sa.literal(after.id))
            query = query.where(key < bound)
        query = query.order_by(time_col.desc(), id_col.desc())
    rows = list(db.session.execute(query.limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if before is not None:
        rows.reverse()
        return _Window(rows, has_older=bool(rows), has_newer=more)
    return _Window(rows, has_older=more, has_newer=after is not None and bool(rows))


def _page(
    window: _Window, keys: Sequence[Cursor], total: int, rows: list[T], withheld: bool
) -> Page[T]:
    return Page(
        rows=rows,
        total=total,
        next_cursor=keys[-1] if window.has_older and keys else None,
        prev_cursor=keys[0] if window.has_newer and keys else None,
        withheld=withheld,
    )


def _shown_walks(project_id: int, filters: ObservationFilter) -> tuple[list[int], bool]:
    """The events whose spots the filter keeps (scope()), and whether they are withheld: none
    when the filter's profile fields keep too few people (observation_filter)."""
    walk_ids = scope(project_id, filters)
    if too_few_participants(walk_ids, filters):
        return [], True
    return walk_ids, False


# --- Use cases ------------------------------------------------------------------------------


def count(
    project_id: int, filters: ObservationFilter, walk_ids: Sequence[int] | None = None
) -> int:
    """How many spots match, whatever the page (the same query on every page)."""
    if walk_ids is None:
        walk_ids, _withheld = _shown_walks(project_id, filters)
    query = sa.select(sa.func.count()).select_from(Observation)
    return db.session.scalar(narrow(query, walk_ids, filters)) or 0


def observations_page(
    project_id: int,
    filters: ObservationFilter,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> Page[Observation]:
    """One page of a project's spots, newest first, with their photos and stop loaded."""
    walk_ids, withheld = _shown_walks(project_id, filters)
    ids = narrow(sa.select(Observation.id, Observation.recorded_at), walk_ids, filters)
    window = _keyset_window(
        ids, Observation.recorded_at, Observation.id, after=after, before=before, size=size
    )
    keys = [Cursor(row.recorded_at, row.id) for row in window.rows]
    loaded = {
        obs.id: obs
        for obs in db.session.scalars(
            sa.select(Observation)
            .where(Observation.id.in_([k.id for k in keys]))
            .options(
                selectinload(Observation.photos).joinedload(Photo.file),
                joinedload(Observation.stop),
            )
        )
    }
    rows = [loaded[k.id] for k in keys if k.id in loaded]
    return _page(window, keys, count(project_id, filters, walk_ids), rows, withheld)


def gallery_page(
    project_id: int,
    filters: ObservationFilter,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = GALLERY_PAGE_SIZE,
) -> Page[GalleryItem]:
    """One page of the photos of a project's visible spots, newest spot first.

    Hidden spots' photos never show here, whatever `filters.hidden` says. The cursor is the
    spot's time and the photo's id.
    """
    filters = _gallery_filter(filters)
    walk_ids, withheld = _shown_walks(project_id, filters)
    query = _gallery_keys(walk_ids, filters)
    window = _keyset_window(
        query, Observation.recorded_at, Photo.id, after=after, before=before, size=size
    )
    keys = [Cursor(row.recorded_at, row.id) for row in window.rows]
    photos = {
        photo.id: photo
        for photo in db.session.scalars(
            sa.select(Photo)
            .where(Photo.id.in_([k.id for k in keys]))
            .options(joinedload(Photo.observation), joinedload(Photo.file))
        )
    }
    rows = [GalleryItem(photos[k.id], photos[k.id].observation) for k in keys if k.id in photos]
    total = _gallery_count(walk_ids, filters)
    return _page(window, keys, total, rows, withheld)


def _gallery_filter(filters: ObservationFilter) -> ObservationFilter:
    """The gallery's filter: hidden spots' photos never show, whatever the address says."""
    return replace(filters, hidden=HIDDEN_EXCLUDE, has_photo=None)


def _gallery_keys(walk_ids: Sequence[int], filters: ObservationFilter) -> sa.Select:
    """(photo id, spot time) of the gallery's photos, unordered."""
    return narrow(
        sa.select(Photo.id, Observation.recorded_at).join(
            Observation, Photo.observation_id == Observation.id
        ),
        walk_ids,
        filters,
    )


def _gallery_count(
    walk_ids: Sequence[int], filters: ObservationFilter, *conditions: sa.ColumnElement[bool]
) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(Photo)
        .join(Observation, Photo.observation_id == Observation.id)
        .where(*conditions)
    )
    return db.session.scalar(narrow(query, walk_ids, filters)) or 0


def gallery_photo(project_id: int, filters: ObservationFilter, photo_id: int) -> GalleryView | None:
    """One photo of the gallery (the same filter) with its spot, its walk and its stop, and the
    photos before and after it; None when the gallery does not show it (another project's, a
    hidden spot's, one the filter leaves out, or a profile filter that keeps too few people)."""
    filters = _gallery_filter(filters)
    walk_ids, withheld = _shown_walks(project_id, filters)
    if withheld:
        return None
    keys = _gallery_keys(walk_ids, filters)
    row = db.session.execute(keys.where(Photo.id == photo_id)).first()
    if row is None:
        return None
    here = Cursor(row.recorded_at, row.id)

    def neighbour(after: Cursor | None = None, before: Cursor | None = None) -> Any:
        window = _keyset_window(
            keys, Observation.recorded_at, Photo.id, after=after, before=before, size=1
        )
        return window.rows[0] if window.rows else None

    older, newer = neighbour(after=here), neighbour(before=here)
    photo = db.session.scalars(
        sa.select(Photo)
        .where(Photo.id == photo_id)
        .options(
            joinedload(Photo.file),
            joinedload(Photo.observation).joinedload(Observation.walk),
            joinedload(Photo.observation).joinedload(Observation.stop),
        )
    ).one()
    bound = sa.tuple_(sa.literal(here.recorded_at, UTCDateTime()), sa.literal(here.id))
    newer_count = _gallery_count(
        walk_ids, filters, sa.tuple_(Observation.recorded_at, Photo.id) > bound
    )
    return GalleryView(
        item=GalleryItem(photo, photo.observation),
        position=newer_count + 1,
        total=_gallery_count(walk_ids, filters),
        newer=newer.id if newer else None,
        older=older.id if older else None,
        back=Cursor(newer.recorded_at, newer.id) if newer else None,
    )


def project_walks(project_id: int) -> list[Walk]:
    """The project's events, in time order (for the event filter and the event column)."""
    query = sa.select(Walk).where(Walk.project_id == project_id).order_by(Walk.starts_at, Walk.id)
    return list(db.session.scalars(query))


def user_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Display names (the name, else the email) of the users `ids` name, for marks on a page."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = db.session.execute(sa.select(User.id, User.name, User.email).where(User.id.in_(wanted)))
    return {uid: name or email for uid, name, email in users}
