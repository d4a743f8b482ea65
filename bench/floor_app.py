"""The floor of bench/submit_floor.py: a bare Flask endpoint doing one SQLAlchemy insert.

POST /floor with a JSON spot: the row goes to a table of its own (`floor_spot`), committed, and
the answer is a small JSON with its id (201). Nothing else: no token check, no validation, no
unit of work. Whatever walkapp's submit costs above this is walkapp's own.

The database comes from FLOOR_DATABASE_URL, with walkapp's engine rules (pool_pre_ping, a pool of
10; on SQLite: WAL, synchronous=NORMAL, busy_timeout, BEGIN IMMEDIATE for the write), so that the
two compare on the same ground. Served by gunicorn with `walkapp serve`'s settings:

    FLOOR_DATABASE_URL=sqlite:////tmp/floor.db gunicorn -k gthread --workers 2 --threads 8 \\
        --keep-alive 75 --reuse-port --access-logfile - --chdir bench floor_app:app

`create_table(url)` makes the table (the bench calls it before starting the server).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, jsonify, request

metadata = sa.MetaData()
floor_spot = sa.Table(
    "floor_spot",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.Uuid, unique=True, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("category", sa.String(40)),
    sa.Column("feeling", sa.Integer),
    sa.Column("comment", sa.Text),
    sa.Column("payload", sa.Text),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)


def make_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10)  # walkapp's DB_POOL_SIZE
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=15000"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_table(url: str) -> None:
    engine = sa.create_engine(url)  # plain: the caller may hold walkapp's engine rules already
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = make_engine(url or os.environ["FLOOR_DATABASE_URL"])

    @app.post("/floor")
    def submit():
        data = request.get_json()
        with engine.begin() as conn:
            row_id = conn.execute(
                floor_spot.insert().returning(floor_spot.c.id),
                {
                    "uuid": uuid.UUID(data["id"]),
                    "lat": data["lat"],
                    "lon": data["lon"],
                    "category": data.get("category"),
                    "feeling": data.get("feeling"),
                    "comment": data.get("comment"),
                    "payload": json.dumps(data),
                    "received_at": datetime.now(UTC),
                },
            ).scalar_one()
        return jsonify({"id": row_id, "uuid": data["id"]}), 201

    @app.get("/floor")
    def ready():
        return jsonify({"ok": True})

    return app


if os.environ.get("FLOOR_DATABASE_URL"):
    app = create_app()
