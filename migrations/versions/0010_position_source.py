"""position source: where each spot's position came from

Every spot records where its position came from (`position_source`: gps, pin, stop, unknown;
domain/positions.py). The rows stored before are `unknown`. Those that sit exactly where the old
participant app put a spot it had no position for — the walk's "centre", with no accuracy — are
flagged `position_suspect`: the mean of the perimeter's first outline's corners (what the app
computed) and the perimeter's centroid (domain.geo.centroid), or the walk's first stop when the
project has no perimeter, or (0, 0), within domain.positions.OLD_DEFAULT_TOLERANCE degrees.
Spots entered by a facilitator are never flagged (their position was typed or a stop's).

Plain ADD COLUMN on both databases (NOT NULL with a default): never a rebuild of `observation`,
which photos refer to with ON DELETE CASCADE (see 0007). The flags are computed against the
perimeter as it is now: a spot tagged before the perimeter was redrawn is not flagged.

Revision ID: a0c4e7f2b916
Revises: 9d7e3f6a2b85
Create Date: 2026-12-04 10:00:00

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "a0c4e7f2b916"
down_revision = "9d7e3f6a2b85"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "observation",
        sa.Column("position_source", sa.String(10), nullable=False, server_default="unknown"),
    )
    op.add_column(
        "observation",
        sa.Column("position_suspect", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _flag_old_defaults()


def _flag_old_defaults() -> None:
    from walkapp.domain.positions import OLD_DEFAULT_TOLERANCE, old_app_defaults

    conn = op.get_bind()
    first_stops: dict[int, tuple[float, float]] = {}
    for walk_id, lat, lon in conn.execute(
        sa.text("SELECT walk_id, lat, lon FROM stop ORDER BY walk_id, number")
    ):
        first_stops.setdefault(walk_id, (lat, lon))
    walks = conn.execute(
        sa.text(
            "SELECT walk.id, project.perimeter FROM walk "
            "JOIN project ON project.id = walk.project_id"
        )
    ).all()
    flag = sa.text(
        "UPDATE observation SET position_suspect = :yes WHERE walk_id = :walk_id "
        "AND accuracy_m IS NULL AND entered_by_id IS NULL "
        "AND lat BETWEEN :lat_min AND :lat_max AND lon BETWEEN :lon_min AND :lon_max"
    )
    for walk_id, perimeter in walks:
        if isinstance(perimeter, str):  # SQLite gives the JSON's text, PostgreSQL the object
            perimeter = json.loads(perimeter)
        for lat, lon in old_app_defaults(perimeter, first_stops.get(walk_id)):
            conn.execute(
                flag,
                {
                    "yes": True,
                    "walk_id": walk_id,
                    "lat_min": lat - OLD_DEFAULT_TOLERANCE,
                    "lat_max": lat + OLD_DEFAULT_TOLERANCE,
                    "lon_min": lon - OLD_DEFAULT_TOLERANCE,
                    "lon_max": lon + OLD_DEFAULT_TOLERANCE,
                },
            )


def downgrade():
    # Plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild: dropping the table to copy it
    # would cascade to the spots' photos (see 0007).
    op.drop_column("observation", "position_suspect")
    op.drop_column("observation", "position_source")
