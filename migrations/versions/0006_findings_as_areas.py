"""findings as areas: each finding keeps its place's key, area (GeoJSON) and member spots

An H3 cell becomes its hexagon's polygon, its key "h3:<cell>", and its spots the visible spots
of the project inside the cell.

Revision ID: 6a4b0c3d9e52
Revises: 5e3f9a2b8d41
Create Date: 2026-12-01 09:30:00

"""

import h3
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "6a4b0c3d9e52"
down_revision = "5e3f9a2b8d41"
branch_labels = None
depends_on = None

RESOLUTION = 11  # domain.cells.HOTSPOT_RESOLUTION when findings were cells
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

finding = sa.table(
    "finding",
    sa.column("id", sa.Integer),
    sa.column("project_id", sa.Integer),
    sa.column("cell", sa.String),
    sa.column("lat", sa.Double),
    sa.column("lon", sa.Double),
    sa.column("place_key", sa.String),
    sa.column("geometry", JSON),
    sa.column("spot_ids", JSON),
)
observation = sa.table(
    "observation",
    sa.column("id", sa.Integer),
    sa.column("walk_id", sa.Integer),
    sa.column("lat", sa.Double),
    sa.column("lon", sa.Double),
    sa.column("hidden_at", sa.DateTime),
)
walk = sa.table("walk", sa.column("id", sa.Integer), sa.column("project_id", sa.Integer))


def _hexagon(cell: str) -> dict:
    ring = [[round(lon, 7), round(lat, 7)] for lat, lon in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _spots_in(conn, project_id: int, cell: str) -> list[int]:
    rows = conn.execute(
        sa.select(observation.c.id, observation.c.lat, observation.c.lon)
        .join(walk, walk.c.id == observation.c.walk_id)
        .where(walk.c.project_id == project_id, observation.c.hidden_at.is_(None))
        .order_by(observation.c.id)
    )
    return [i for i, lat, lon in rows if h3.latlng_to_cell(lat, lon, RESOLUTION) == cell]


def upgrade():
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_key", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("geometry", JSON, nullable=True))
        batch_op.add_column(sa.Column("spot_ids", JSON, nullable=True))
    conn = op.get_bind()
    for row in conn.execute(sa.select(finding.c.id, finding.c.project_id, finding.c.cell)).all():
        conn.execute(
            finding.update()
            .where(finding.c.id == row.id)
            .values(
                place_key=f"h3:{row.cell}",
                geometry=_hexagon(row.cell),
                spot_ids=_spots_in(conn, row.project_id, row.cell),
            )
        )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.alter_column("place_key", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("geometry", existing_type=JSON, nullable=False)
        batch_op.alter_column("spot_ids", existing_type=JSON, nullable=False)
        batch_op.drop_constraint("uq_finding_project_id", type_="unique")
        batch_op.drop_column("cell")
        batch_op.create_unique_constraint(
            batch_op.f("uq_finding_project_id"), ["project_id", "place_key"]
        )


def downgrade():
    """Back to one cell per finding: the cell of the key, or of the peak. Two findings that fall
    in one cell cannot both stay: the later one is removed."""
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cell", sa.String(length=16), nullable=True))
    conn = op.get_bind()
    seen: set[tuple[int, str]] = set()
    rows = conn.execute(
        sa.select(
            finding.c.id, finding.c.project_id, finding.c.place_key, finding.c.lat, finding.c.lon
        ).order_by(finding.c.id)
    ).all()
    for row in rows:
        key = row.place_key
        cell = key[3:] if key.startswith("h3:") else h3.latlng_to_cell(row.lat, row.lon, RESOLUTION)
        if (row.project_id, cell) in seen:
            conn.execute(finding.delete().where(finding.c.id == row.id))
            continue
        seen.add((row.project_id, cell))
        conn.execute(finding.update().where(finding.c.id == row.id).values(cell=cell))
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.alter_column("cell", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_constraint("uq_finding_project_id", type_="unique")
        batch_op.drop_column("spot_ids")
        batch_op.drop_column("geometry")
        batch_op.drop_column("place_key")
        batch_op.create_unique_constraint(
            batch_op.f("uq_finding_project_id"), ["project_id", "cell"]
        )
