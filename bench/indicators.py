"""The indicators page over 1,000,000 spots, cold, on SQLite and on PostgreSQL.

Usage: python bench/indicators.py [--quick] [--database-url URL | --no-postgres] [--keep DIR]

What it builds (afresh on every run): a SQLite database in a temporary folder and a PostgreSQL
database (default postgresql+psycopg://postgres@127.0.0.1:5432/bench_indicators, created if
missing, its schema `public` dropped and recreated: the name must contain "bench"), each brought
up to date by the migrations (flask db upgrade through create_app, as the tests do), then filled
by bulk inserts (sqlite3 executemany; COPY on PostgreSQL):

  10 projects in 6 communes, 400 events over 2024-2026 (per project 32 exploratory walks with
  audiences women / girls / mixed / seniors, 4 post-works surveys, 4 meetings with head counts
  by gender x age band), 6 stops per walk, 20,000 participants with profiles (65 % women, a few
  without a profile), 1,000,000 spots (50 per participant, inserted walk after walk in the order
  of the walks' dates as they arrive in the field; 4 % harassment, 30 % at a stop with criteria
  ratings, 0.5 % hidden). --quick: 20,000 spots and 2,000 participants.

What it times, each in a NEW PROCESS (fresh interpreter, new engine and connection: no
SQLAlchemy statement cache, no driver or server-side plan cache, no Python-side data), after
asking the OS to drop the database files from its page cache (posix_fadvise DONTNEED on the
SQLite file; on PostgreSQL on the database's files when readable — PostgreSQL's own shared
buffers cannot be emptied without restarting a server others use, so they may hold pages):

  (a) the service calls of the across-projects indicators page (admin: every project): the
      years for the filter, then every count the indicators need;
  (b) the same for one project's indicators page;
  (c) who is missing for one project (distinct participants per gender x age band x slot);
  (d) the whole across-projects page through the Flask test client (login, queries, rendering).

Then (e) the same service calls again in that process (warm). The stops page of one project is
timed too, for information (it aggregates the JSON ratings of that project's stop spots), and
the day-vs-night comparison of one project (it reads that project's day and night spots, five
columns each, and bins them into H3 cells in Python: H3 has no SQL function).
Figures are printed, never asserted; the exit code is non-zero only if the counts are wrong
(checked against plain totals computed while generating the data).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_indicators"
PASSWORD = "bench-password-123"
COMMUNES = ("59606", "59172", "59350", "59383", "59603", "59122")
AUDIENCES = ("women",) * 13 + ("girls",) * 3 + ("mixed",) * 13 + ("seniors",) * 3
GENDERS = (("woman", 65), ("man", 25), ("non_binary", 2), ("undisclosed", 3), (None, 5))
AGE_BANDS = (
    ("under_15", 4),
    ("15_17", 6),
    ("18_24", 12),
    ("25_44", 38),
    ("45_64", 28),
    ("65_plus", 10),
    (None, 2),
)
SLOTS = ("weekday_day", "weekday_evening", "weekend_day", "weekend_evening")
CATEGORIES = (
    ("lighting", 20),
    ("visibility", 12),
    ("people_around", 10),
    ("help_within_reach", 7),
    ("signage", 5),
    ("maintenance", 10),
    ("footpath_access", 10),
    ("seating", 4),
    ("toilets", 3),
    ("transport_stop", 6),
    ("harassment", 4),
    ("good_place", 9),
)
CRITERIA = (
    "lighting",
    "openness",
    "visibility",
    "people",
    "security",
    "walk_path",
    "public_transport",
    "gender_usage",
    "perceived_safety",
)
OBS_COLUMNS = (
    "id",
    "uuid",
    "participant_id",
    "walk_id",
    "lat",
    "lon",
    "accuracy_m",
    "recorded_at",
    "utc_offset_minutes",
    "received_at",
    "local_date",
    "time_slot",
    "light_condition",
    "category",
    "feeling",
    "ratings",
    "stop_id",
    "hidden_at",
    "hidden_reason",
)


@dataclass(frozen=True)
class Plan:
    observations: int
    participants: int
    projects: int = 10
    events_per_project: int = 40


FULL = Plan(observations=1_000_000, participants=20_000)
QUICK = Plan(observations=20_000, participants=2_000)


def choose(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


# --- Building -------------------------------------------------------------------------------


def reset_postgres(url: str) -> None:
    target = sa.engine.make_url(url)
    if "bench" not in (target.database or ""):
        raise SystemExit(f"refusing to empty {target.database!r}: its name must contain 'bench'")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        ).scalar()
        if not found:
            conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def make_app(url: str, instance: Path, migrate: bool = False):
    from walkapp import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench-only",
            "WTF_CSRF_ENABLED": False,
            "TILE_URL": "",
            "BASE_URL": "http://localhost:5000",
        }
    )
    if migrate:
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
    return app


@dataclass
class Data:
    projects: list[tuple]
    walks: list[tuple]  # (id, project_id, kind, audience, status, starts_at, hour)
    stops: list[tuple]
    attendance: list[tuple]
    participants: list[tuple]
    expected: dict


def build_events(plan: Plan, rng: random.Random) -> tuple[list, list, list, list]:
    projects, walks, stops, attendance = [], [], [], []
    walk_id = stop_id = att_id = 0
    for p in range(1, plan.projects + 1):
        projects.append((p, f"Projet {p}", COMMUNES[p % len(COMMUNES)]))
        for e in range(plan.events_per_project):
            walk_id += 1
            kind = (
                "exploratory_walk" if e < 32 else ("appropriation_survey" if e < 36 else "meeting")
            )
            audience = rng.choice(AUDIENCES) if kind == "exploratory_walk" else "mixed"
            status = "planned" if e == 31 else "closed"
            day = datetime(2024, 1, 8, tzinfo=UTC) + timedelta(days=rng.randrange(3 * 365))
            hour = rng.choice((9, 14, 19, 20))
            walks.append((walk_id, p, kind, audience, status, day.replace(hour=hour)))
            if kind == "exploratory_walk":
                for n in range(1, 7):
                    stop_id += 1
                    stops.append((stop_id, walk_id, n))
            if kind == "meeting":
                for gender in ("woman", "man", "undisclosed"):
                    for band in ("25_44", "45_64", "65_plus"):
                        att_id += 1
                        attendance.append((att_id, walk_id, gender, band, rng.randrange(0, 15)))
    return projects, walks, stops, attendance


def build(plan: Plan, seed: int = 20261130) -> Data:
    rng = random.Random(seed)
    projects, walks, stops, attendance = build_events(plan, rng)
    with_people = [w for w in walks if w[2] != "meeting"]
    participants = []
    for pid in range(1, plan.participants + 1):
        walk = with_people[pid % len(with_people)]
        participants.append((pid, walk[0], choose(rng, GENDERS), choose(rng, AGE_BANDS)))
    expected = {
        "women_walks": sum(
            1
            for w in walks
            if w[2] == "exploratory_walk" and w[3] in ("women", "girls") and w[4] == "closed"
        ),
        "participants": len(participants),
        "women": sum(1 for p in participants if p[2] == "woman"),
        "attendance": sum(a[4] for a in attendance),
    }
    return Data(projects, walks, stops, attendance, participants, expected)


def slot_of(start: datetime) -> str:
    evening = start.hour >= 18
    weekend = start.weekday() >= 5
    return SLOTS[2 * weekend + evening]


def spots(data: Data, plan: Plan, rng: random.Random, harassed: set[int]):
    """Observation rows as tuples in OBS_COLUMNS order (Python values)."""
    walks = {w[0]: w for w in data.walks}
    stops_of: dict[int, list[int]] = {}
    for stop_id, walk_id, _number in data.stops:
        stops_of.setdefault(walk_id, []).append(stop_id)
    # Spots arrive walk after walk, as they do in the field: rows of one walk sit together.
    people = sorted(data.participants, key=lambda p: (walks[p[1]][5], p[0]))
    for oid in range(1, plan.observations + 1):
        pid, walk_id, gender, _band = people[(oid - 1) * len(people) // plan.observations]
        walk = walks[walk_id]
        start = walk[5]
        at = start + timedelta(seconds=rng.randrange(7200))
        night = start.hour >= 19
        category = choose(rng, CATEGORIES)
        hidden = rng.random() < 0.005
        if category == "harassment" and gender == "woman" and not hidden:
            harassed.add(pid)
        stop_id, ratings = None, None
        if walk_id in stops_of and rng.random() < 0.3:
            stop_id = rng.choice(stops_of[walk_id])
            ratings = {c: rng.randrange(4) for c in CRITERIA if rng.random() < 0.8}
        slot = slot_of(start) if rng.random() < 0.9 else rng.choice(SLOTS)
        yield (
            oid,
            uuid.UUID(int=rng.getrandbits(128), version=4),
            pid,
            walk_id,
            50.356 + rng.uniform(-0.004, 0.004),
            3.5185 + rng.uniform(-0.006, 0.006),
            round(rng.uniform(3, 40), 1),
            at,
            60,
            at + timedelta(seconds=3),
            (at + timedelta(hours=1)).date(),
            slot,
            "night" if night else "day",
            category,
            rng.choices((1, 2, 3, 4, 5), (25, 25, 20, 18, 12) if night else (8, 12, 25, 30, 25))[0],
            ratings,
            stop_id,
            at + timedelta(days=1) if hidden else None,
            "bench" if hidden else None,
        )


# --- Filling: the small tables through SQLAlchemy Core, the spots by the fastest path --------


def fill_small_tables(conn, data: Data) -> None:
    from walkapp.extensions import db

    t = db.metadata.tables
    now = datetime(2026, 11, 30, tzinfo=UTC)
    conn.execute(
        sa.insert(t["project"]),
        [
            {
                "id": p,
                "name": n,
                "commune": "",
                "insee_code": code,
                "description": "",
                "phase": "diagnostic",
                "timezone": "Europe/Paris",
                "created_at": now,
            }
            for p, n, code in data.projects
        ],
    )
    conn.execute(
        sa.insert(t["walk"]),
        [
            {
                "id": w,
                "project_id": p,
                "kind": kind,
                "audience": aud,
                "status": status,
                "title": f"Marche {w}",
                "group_description": "",
                "meeting_point": "",
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "join_code": f"B{w:07d}",
                "created_at": now,
            }
            for w, p, kind, aud, status, start in data.walks
        ],
    )
    conn.execute(
        sa.insert(t["stop"]),
        [
            {"id": s, "walk_id": w, "number": n, "name": f"Arrêt {n}", "lat": 50.356, "lon": 3.5185}
            for s, w, n in data.stops
        ],
    )
    conn.execute(
        sa.insert(t["attendance"]),
        [
            {"id": a, "walk_id": w, "gender": g, "age_band": b, "count": c}
            for a, w, g, b, c in data.attendance
        ],
    )
    conn.execute(
        sa.insert(t["participant"]),
        [
            {
                "id": pid,
                "walk_id": w,
                "token_hash": f"{pid:064x}",
                "erasure_code_hash": f"{pid + 10**9:064x}",
                "consent_at": now,
                "consent_version": "bench",
                "track_consent": False,
                "gender": g,
                "age_band": b,
                "created_at": now,
            }
            for pid, w, g, b in data.participants
        ],
    )


def _sqlite_value(value):
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        )
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dict):
        return json.dumps(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def insert_spots_sqlite(engine, rows) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN")
        sql = (
            f"INSERT INTO observation ({', '.join(OBS_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(OBS_COLUMNS))})"
        )
        batch = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) == 50_000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
        cursor.execute("COMMIT")
    finally:
        raw.close()


def insert_spots_postgres(engine, rows) -> None:
    from psycopg.types.json import Jsonb

    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            copy_sql = f"COPY observation ({', '.join(OBS_COLUMNS)}) FROM STDIN"
            with cursor.copy(copy_sql) as copy:
                for row in rows:
                    ratings = row[15]
                    copy.write_row(row[:15] + (Jsonb(ratings) if ratings else None,) + row[16:])
        raw.commit()
    finally:
        raw.close()


def populate(url: str, instance: Path, plan: Plan) -> tuple[Data, int, float]:
    """Migrate, fill; returns the data, the number of women who reported harassment, seconds."""
    from walkapp.extensions import db

    app = make_app(url, instance, migrate=True)
    data = build(plan)
    harassed: set[int] = set()
    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            fill_small_tables(conn, data)
        rows = spots(data, plan, random.Random(7), harassed)
        if db.engine.dialect.name == "sqlite":
            insert_spots_sqlite(db.engine, rows)
        else:
            insert_spots_postgres(db.engine, rows)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in ("project", "walk", "participant", "attendance", "stop"):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                conn.exec_driver_sql("VACUUM ANALYZE")
        from walkapp.models import User

        admin = User(email="admin@bench.example", name="admin", role="admin")
        admin.set_password(PASSWORD)
        db.session.add(admin)
        db.session.commit()
        db.engine.dispose()
    return data, len(harassed), time.perf_counter() - started


# --- Cold caches -----------------------------------------------------------------------------


def drop_file_cache(paths: list[Path]) -> int:
    """Ask the kernel to forget these files' cached pages (no root needed for one's own files).
    Returns how many files it could advise."""
    done = 0
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            done += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return done


def postgres_files(url: str) -> list[Path]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            base = conn.exec_driver_sql("SHOW data_directory").scalar()
            oid = conn.exec_driver_sql(
                "SELECT oid FROM pg_database WHERE datname = current_database()"
            ).scalar()
            conn.exec_driver_sql("CHECKPOINT")
    except sa.exc.DBAPIError:
        return []
    finally:
        engine.dispose()
    folder = Path(base) / "base" / str(oid)
    try:
        return [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return []


def cold_files(url: str) -> list[Path]:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return [p for p in (path, Path(f"{path}-wal")) if p.exists()]
    return postgres_files(url)


# --- Measuring, in a fresh process -----------------------------------------------------------


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def _page_calls(service, scope):
    years = service.event_years(scope)
    return service.project_counts(scope, None), years


def _tasks(service, scope) -> dict:
    """What each measurement calls: (the timed function, whether to time it warm too)."""
    from walkapp.domain.indicators_daynight import day_vs_night

    def stops():
        return service.stop_inputs([w.id for w in service.project_walks(1)])

    return {
        "all": (lambda: _page_calls(service, scope), True),
        "project": (lambda: _page_calls(service, [1]), True),
        "participation": (lambda: service.participation_counts([1]), True),
        "stops": (stops, False),
        "daynight": (lambda: day_vs_night(service.daynight_spots(1)), False),
    }


def measure(url: str, instance: Path, what: str) -> dict:
    """Runs in a new process: time one thing, cold."""
    from flask_login import login_user

    from walkapp.access import visible_projects_query
    from walkapp.extensions import db
    from walkapp.models import Project, User
    from walkapp.services import indicators as service

    app = make_app(url, instance)
    out: dict = {}
    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
        if what == "page":
            client = app.test_client()
            client.post("/planner/login", data={"email": admin.email, "password": PASSWORD})
            response, out["seconds"] = _timed(lambda: client.get("/planner/indicators?lang=en"))
            out["status"] = response.status_code
            return out
        login_user(admin)
        scope = visible_projects_query().with_only_columns(Project.id).order_by(None)
        task, warm_too = _tasks(service, scope)[what]
        result, out["seconds"] = _timed(task)
        if warm_too:
            _, out["warm_seconds"] = _timed(task)
        if what == "all":
            out["counts"] = _summary(result[0])
        db.engine.dispose()
    return out


def _summary(counts) -> dict:
    return {
        "women_walks": sum(sum(c.women_walks_by_year.values()) for c in counts),
        "participants": sum(sum(c.participants_by_gender.values()) for c in counts),
        "women": sum(c.women_participants for c in counts),
        "attendance": sum(sum(c.attendance_by_gender.values()) for c in counts),
        "harassed": sum(c.women_reporting_harassment for c in counts),
    }


def run_cold(url: str, instance: Path, what: str) -> dict:
    advised = drop_file_cache(cold_files(url))
    command = [
        sys.executable,
        __file__,
        "--measure",
        what,
        "--url",
        url,
        "--instance",
        str(instance),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring {what} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["files_evicted"] = advised
    return result


def bench(name: str, url: str, instance: Path, plan: Plan) -> list[str]:
    data, harassed, fill_s = populate(url, instance, plan)
    print(
        f"\n== {name}: {plan.observations:,} spots, {plan.participants:,} participants, "
        f"filled in {fill_s:.1f} s"
    )
    problems = []
    for what, text in (
        ("all", "(a) across-projects indicators, service calls"),
        ("project", "(b) one project's indicators, service calls"),
        ("participation", "(c) who is missing, one project"),
        ("page", "(d) whole across-projects page (HTTP, rendering)"),
        ("stops", "    stops page of one project, its queries (information)"),
        ("daynight", "    day vs night of one project, rows + H3 binning (information)"),
    ):
        result = run_cold(url, instance, what)
        warm = f", warm {result['warm_seconds'] * 1000:.0f} ms" if "warm_seconds" in result else ""
        print(
            f"{text}: cold {result['seconds'] * 1000:.0f} ms{warm} "
            f"(files evicted from the OS cache: {result['files_evicted']})"
        )
        if what == "all":
            expected = {**data.expected, "harassed": harassed}
            if result["counts"] != expected:
                problems.append(f"{name}: counts {result['counts']} != expected {expected}")
        if what == "page" and result["status"] != 200:
            problems.append(f"{name}: page answered {result['status']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", default=PG_DEFAULT)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--measure")
    parser.add_argument("--url")
    parser.add_argument("--instance")
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.url, Path(args.instance), args.measure)))
        return 0
    plan = QUICK if args.quick else FULL
    print(
        "cold = a new Python process with a new engine and connection, after evicting the "
        "database files from the OS page cache (posix_fadvise); PostgreSQL's shared buffers "
        "are not emptied (that needs a server restart)."
    )
    problems = []
    with tempfile.TemporaryDirectory(prefix="bench-indicators-") as tmp:
        instance = Path(tmp) / "instance"
        problems += bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", instance, plan)
        if not args.no_postgres:
            reset_postgres(args.database_url)
            problems += bench("PostgreSQL", args.database_url, instance, plan)
    for problem in problems:
        print("WRONG:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
