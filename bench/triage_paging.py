"""Triage paging over 100,000 spots: the first filtered page, and the page after 500 "next" links.

Usage: python bench/triage_paging.py [--quick] [--database-url URL] [--runs N] [--no-index-trial]

What it builds (afresh on every run): a SQLite database in a temporary folder and, with
--database-url, a PostgreSQL one too, each brought up to date by the migrations, then filled by
bulk inserts (SQLAlchemy Core executemany, not the ORM row by row) with one project of 100,000
spots over 8 events (5 at night) and 200 participants, about 8 % with a photo, 5 % entered by a
facilitator, 0.5 % hidden; plus a small, older project of 2,000 spots beside it (a planner of that
one must not pay for the big one). --quick: 10,000 spots and 50 "next" links.

What it times, through the Flask test client with a signed-in planner (the whole request: session,
permission check, the queries, rendering the table), median (and best) of --runs runs, warm:
  (a) the first triage page with filters (category in 5 codes, feeling 1 or 2, light = night),
      total count included;
  (b) the page reached by following 500 "next" links with the same filters (the request of that
      page alone, re-run --runs times after the walk through the 500 links);
  (c) the first page of the small project, with the same filters.
It also times the service alone (no request, no rendering): the count, and the first and deep
pages; and for contrast the deep page's ids fetched with OFFSET, which the app never does.

Correctness: the 500 links are followed through HTTP and compared with a plain ORDER BY ... LIMIT
and COUNT; the service then walks back with "previous" to the first page.

Then (unless --no-index-trial) it drops the covering index migration 0003 creates,
  ix_observation_triage ON observation
      (walk_id, hidden_at, light_condition, feeling, category, entered_by_id, recorded_at, id)
checks the paging again (through the service) and measures everything again, so the figures
with and without it sit side by side.

A PostgreSQL database given with --database-url belongs to the bench: it is created if missing,
and its schema `public` is dropped and recreated. The database name must contain "bench".

Timing is printed, never asserted. The exit code is non-zero only when paging is *wrong*: a row
seen twice, a row skipped, rows out of order, a total that differs from a plain COUNT, or a
"previous" walk that does not give back the same pages.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing the package

PASSWORD = "bench-password-123"
# The index this bench argued for, now made by migration 0003: every column the triage filters
# read, so counting and paging read the index alone (no table row per spot). The bench drops it
# to show the figures without it.
INDEX_NAME = "ix_observation_triage"
DROP_INDEX_SQL = f"DROP INDEX {INDEX_NAME}"
FILTER_CATEGORIES = ("lighting", "visibility", "people_around", "harassment", "help_within_reach")
FILTER_ARGS = {"category": list(FILTER_CATEGORIES), "feeling": ["1", "2"], "light": "night"}
ROW_ID = re.compile(r'<tr id="obs-(\d+)"')
LINK = re.compile(r'<a href="([^"]+)" rel="(next|prev)"')
TOTAL = re.compile(r'data-total="(\d+)"')
CATEGORIES = (
    "lighting",
    "visibility",
    "people_around",
    "help_within_reach",
    "signage",
    "maintenance",
    "footpath_access",
    "seating",
    "toilets",
    "transport_stop",
    "harassment",
    "good_place",
)
# At night the spots are mostly about light, sightlines, people and help (the filter's codes).
NIGHT_CATEGORY_WEIGHTS = (30, 15, 15, 10, 3, 5, 5, 2, 2, 3, 8, 2)
DAY_CATEGORY_WEIGHTS = (3, 8, 6, 6, 10, 15, 18, 10, 8, 8, 3, 5)
NIGHT_FEELINGS = (30, 30, 20, 12, 8)
DAY_FEELINGS = (10, 15, 25, 30, 20)
COMMENTS = (
    None,
    None,
    "Lampadaire éteint depuis une semaine",
    "Trottoir encombré, on passe sur la chaussée",
    "Personne aux alentours le soir",
    "Arrêt de bus sans abri ni éclairage",
)


@dataclass(frozen=True)
class Plan:
    observations: int
    links: int
    small_project: int
    walks: int = 8
    night_walks: int = 5
    participants_per_walk: int = 25


FULL = Plan(observations=100_000, links=500, small_project=2_000)
QUICK = Plan(observations=10_000, links=50, small_project=500)


@dataclass
class Figures:
    first: Timing
    deep: Timing
    small_first: Timing
    service: dict[str, Timing]


@dataclass
class Run:
    database: str
    total: int = 0
    pages: int = 0
    build_s: float = 0.0
    figures: dict[str, Figures] = field(default_factory=dict)
    plans: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# --- Building the database ------------------------------------------------------------------


def reset_postgres(url: str) -> None:
    """Create the bench database if missing; empty its schema `public`."""
    target = sa.engine.make_url(url)
    if "bench" not in (target.database or ""):
        raise SystemExit(f"refusing to empty {target.database!r}: its name must contain 'bench'")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
            ).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    finally:
        admin.dispose()
    engine = sa.create_engine(target)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


def make_app(url: str, instance: Path):
    from flask_migrate import upgrade

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
    with app.app_context():
        upgrade()
    return app


@dataclass(frozen=True)
class WalkSpec:
    id: int
    project_id: int
    night: bool
    starts_at: datetime


def _walk_specs(plan: Plan, first_id: int, project_id: int, start: date) -> list[WalkSpec]:
    specs = []
    for i in range(plan.walks):
        night = i < plan.night_walks
        hour = 19 if night else 13  # UTC: 20:00 or 14:00 in Paris in winter
        day = start + timedelta(days=7 * i)
        at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        specs.append(WalkSpec(first_id + i, project_id, night, at))
    return specs


def _light(night: bool, rng: random.Random) -> str:
    roll = rng.random()
    if night:
        return "night" if roll < 0.9 else "twilight"
    return "day" if roll < 0.95 else "twilight"


def spot_rows(
    walks: list[WalkSpec], count: int, first_id: int, participants: dict[int, list[int]], rng
) -> Iterator[dict]:
    """`count` spots spread over `walks`, recorded within two hours of each walk's start,
    to the second (so some share the same second: the id breaks the tie)."""
    for n in range(count):
        walk = walks[n % len(walks)]
        recorded = walk.starts_at + timedelta(seconds=rng.randrange(7200))
        light = _light(walk.night, rng)
        dark = light != "day"
        category_weights = NIGHT_CATEGORY_WEIGHTS if dark else DAY_CATEGORY_WEIGHTS
        hidden = rng.random() < 0.005
        yield {
            "id": first_id + n,
            "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
            "participant_id": rng.choice(participants[walk.id]),
            "walk_id": walk.id,
            "lat": 50.356 + rng.uniform(-0.002, 0.002),
            "lon": 3.5185 + rng.uniform(-0.003, 0.003),
            "accuracy_m": round(rng.uniform(3, 40), 1),
            "recorded_at": recorded,
            "utc_offset_minutes": 60,
            "received_at": recorded + timedelta(seconds=2),
            "updated_at": None,
            "local_date": (recorded + timedelta(hours=1)).date(),
            "time_slot": "weekday_evening" if dark else "weekday_day",
            "light_condition": light,
            "category": rng.choices(CATEGORIES, category_weights)[0],
            "feeling": rng.choices((1, 2, 3, 4, 5), NIGHT_FEELINGS if dark else DAY_FEELINGS)[0],
            "ratings": None,
            "stop_id": None,
            "comment": rng.choice(COMMENTS),
            "entered_by_id": 1 if rng.random() < 0.05 else None,
            "hidden_at": recorded + timedelta(days=1) if hidden else None,
            "hidden_reason": "names a person" if hidden else None,
            "hidden_by_id": 1 if hidden else None,
        }


def _insert(conn, table, rows: Iterator[dict] | list[dict], chunk: int = 10_000) -> int:
    done, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            conn.execute(sa.insert(table), batch)
            done, batch = done + len(batch), []
    if batch:
        conn.execute(sa.insert(table), batch)
        done += len(batch)
    return done


def _people(conn, tables, walks: list[WalkSpec], per_walk: int, next_id: int) -> dict:
    participants: dict[int, list[int]] = {}
    rows = []
    for walk in walks:
        ids = list(range(next_id, next_id + per_walk))
        next_id += per_walk
        participants[walk.id] = ids
        rows += [
            {
                "id": pid,
                "walk_id": walk.id,
                "token_hash": f"{pid:064x}",
                "erasure_code_hash": f"{pid + 10**9:064x}",
                "consent_at": walk.starts_at,
                "consent_version": "bench",
                "track_consent": False,
                "gender": "woman",
                "created_at": walk.starts_at,
            }
            for pid in ids
        ]
    _insert(conn, tables["participant"], rows)
    return participants


def _project_rows(conn, tables, project_id: int, name: str, walks: list[WalkSpec]) -> None:
    conn.execute(
        sa.insert(tables["project"]),
        [
            {
                "id": project_id,
                "name": name,
                "commune": "Valenciennes",
                "insee_code": "59606",
                "description": "",
                "phase": "diagnostic",
                "timezone": "Europe/Paris",
                "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        ],
    )
    conn.execute(
        sa.insert(tables["walk"]),
        [
            {
                "id": w.id,
                "project_id": project_id,
                "audience": "women",
                "status": "closed",
                "kind": "exploratory_walk" if w.night else "appropriation_survey",
                "title": f"{'Marche de nuit' if w.night else 'Enquête de jour'} {w.id}",
                "group_description": "",
                "meeting_point": "",
                "starts_at": w.starts_at,
                "ends_at": w.starts_at + timedelta(hours=2),
                "join_code": f"BENCH{w.id:03d}",
                "created_at": w.starts_at,
            }
            for w in walks
        ],
    )


def populate(app, plan: Plan, seed: int = 20261122) -> tuple[int, int]:
    """Fill the database; returns (big project id, small project id)."""
    from walkapp.extensions import db
    from walkapp.models import User

    rng = random.Random(seed)
    tables = db.metadata.tables
    big = _walk_specs(plan, 1, 1, date(2026, 10, 1))
    small_plan = Plan(plan.small_project, 0, 0, walks=2, night_walks=1)
    small = _walk_specs(small_plan, 101, 2, date(2025, 3, 1))  # older: the end of the order
    with app.app_context(), db.engine.begin() as conn:
        planner = User(email="planner@bench.fr", name="Bench", role="planner")
        planner.set_password(PASSWORD)
        conn.execute(
            sa.insert(tables["user"]),
            [
                {
                    "id": 1,
                    "email": planner.email,
                    "name": planner.name,
                    "role": "planner",
                    "password_hash": planner.password_hash,
                    "active": True,
                    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                }
            ],
        )
        _project_rows(conn, tables, 1, "Place du Canada (bench)", big)
        _project_rows(conn, tables, 2, "Petit projet (bench)", small)
        conn.execute(
            sa.insert(tables["project_member"]),
            [
                {"user_id": 1, "project_id": 1, "role": "planner"},
                {"user_id": 1, "project_id": 2, "role": "planner"},
            ],
        )
        people = _people(conn, tables, big, plan.participants_per_walk, 1)
        people |= _people(conn, tables, small, plan.participants_per_walk, 10_001)
        _insert(conn, tables["observation"], spot_rows(big, plan.observations, 1, people, rng))
        first_small = plan.observations + 1
        small_rows = spot_rows(small, plan.small_project, first_small, people, rng)
        _insert(conn, tables["observation"], small_rows)
        conn.execute(
            sa.insert(tables["stored_file"]),
            [
                {
                    "id": 1,
                    "sha256": "ab" * 32,
                    "width": 1600,
                    "height": 1200,
                    "byte_size": 250_000,
                    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                }
            ],
        )
        total = plan.observations + plan.small_project
        walks_start = datetime(2026, 1, 2, tzinfo=UTC)
        photos = (
            {"id": n, "observation_id": oid, "file_id": 1, "created_at": walks_start}
            for n, oid in enumerate(range(1, total + 1, 12), start=1)
        )
        _insert(conn, tables["photo"], photos)
        if conn.dialect.name == "postgresql":
            for table in (
                "user",
                "project",
                "walk",
                "participant",
                "observation",
                "photo",
                "stored_file",
            ):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
    analyze(app)
    return 1, 2


def analyze(app) -> None:
    """PostgreSQL's autovacuum would vacuum and analyze tables this size on its own; do it now.
    SQLite is left as an app would leave it (walkapp never runs ANALYZE there), its WAL
    checkpointed as it would be long after the load."""
    from walkapp.extensions import db

    with app.app_context():
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("VACUUM ANALYZE")
            else:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# --- Measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    median: float  # ms
    best: float  # ms: the least disturbed run (other processes share the machine)

    def __str__(self) -> str:
        return f"{self.median:7.1f} ms (best {self.best:.1f})"


def timed(fn: Callable[[], object], runs: int) -> Timing:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return Timing(statistics.median(times), min(times))


def get_page(client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response.get_data(as_text=True)


def links(html: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in LINK.findall(html)}


def login(app):
    client = app.test_client()
    response = client.post(
        "/planner/login", data={"email": "planner@bench.fr", "password": PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"bench planner could not sign in ({response.status_code})")
    return client


def first_url(project_id: int) -> str:
    from urllib.parse import urlencode

    return f"/planner/projects/{project_id}/observations?{urlencode(FILTER_ARGS, doseq=True)}"


def filter_object():
    from walkapp.services.observation_filter import ObservationFilter

    return ObservationFilter(
        categories=FILTER_CATEGORIES, feelings=(1, 2), light_conditions=("night",)
    )


def walk_forward(client, url: str, steps: int) -> tuple[list[list[int]], list[str], int]:
    """Follow `steps` "next" links: the ids of every page, every page's URL, the total shown."""
    pages, urls = [], [url]
    html = get_page(client, url)
    total = int(TOTAL.search(html)[1])
    pages.append([int(i) for i in ROW_ID.findall(html)])
    for _ in range(steps):
        nxt = links(html).get("next")
        if nxt is None:
            break
        urls.append(nxt)
        html = get_page(client, nxt)
        pages.append([int(i) for i in ROW_ID.findall(html)])
    return pages, urls, total


def service_walk(app, project_id: int, steps: int) -> tuple[list[list[int]], list[list[int]]]:
    """The same walk through the service alone: forward `steps` pages, then back to the start."""
    from walkapp.extensions import db
    from walkapp.services import triage

    filters = filter_object()
    with app.app_context():
        page = triage.observations_page(project_id, filters)
        forward = [[o.id for o in page.rows]]
        while page.next_cursor and len(forward) <= steps:
            page = triage.observations_page(project_id, filters, after=page.next_cursor)
            forward.append([o.id for o in page.rows])
        back = [forward[-1]]
        while page.prev_cursor:
            page = triage.observations_page(project_id, filters, before=page.prev_cursor)
            back.append([o.id for o in page.rows])
        db.session.remove()
    return forward, back[::-1]


def expected_order(app, project_id: int, limit: int) -> tuple[list[int], int]:
    """The truth, by a plain query: the first `limit` matching ids in order, and the count."""
    from walkapp.extensions import db
    from walkapp.models import Observation
    from walkapp.services.observation_filter import narrow, scope

    filters = filter_object()
    with app.app_context():
        walk_ids = scope(project_id, filters)
        ids = db.session.scalars(
            narrow(sa.select(Observation.id), walk_ids, filters)
            .order_by(Observation.recorded_at.desc(), Observation.id.desc())
            .limit(limit)
        ).all()
        count = sa.select(sa.func.count()).select_from(Observation)
        total = db.session.scalar(narrow(count, walk_ids, filters))
        db.session.remove()
    return list(ids), total or 0


def check_pages(run: Run, truth, total, pages, shown_total, back, links_wanted) -> None:
    seen = [i for page in pages for i in page]
    if len(pages) < links_wanted + 1:
        run.problems.append(f"only {len(pages)} pages: too few matching rows for the walk")
    if len(seen) != len(set(seen)):
        run.problems.append(f"{len(seen) - len(set(seen))} rows seen twice")
    if seen != truth[: len(seen)]:
        run.problems.append("the rows seen by following 'next' differ from ORDER BY ... LIMIT")
    if shown_total != total:
        run.problems.append(f"total shown {shown_total}, plain COUNT {total}")
    if back != pages:
        run.problems.append("following 'previous' back does not give the same pages")


def check_paging(app, run: Run, plan: Plan, project_id: int, *, http: bool) -> list[str]:
    """Walk the pages (through HTTP, or the service alone) and compare with the truth."""
    truth, total = expected_order(app, project_id, (plan.links + 1) * 50)
    run.total, run.pages = total, -(-total // 50)
    forward, back = service_walk(app, project_id, plan.links)
    urls, shown_total = [], total
    if http:
        pages, urls, shown_total = walk_forward(login(app), first_url(project_id), plan.links)
        if pages != forward:
            run.problems.append("the pages seen through HTTP differ from the service's")
    check_pages(run, truth, total, forward, shown_total, back, plan.links)
    return urls


def service_times(app, project_id: int, deep_url: str, depth: int, runs: int) -> dict:
    """The service alone (queries, loading; no request, no rendering); OFFSET for contrast."""
    from urllib.parse import parse_qs, urlsplit

    from walkapp.extensions import db
    from walkapp.models import Observation
    from walkapp.services import triage
    from walkapp.services.observation_filter import narrow, scope

    filters = filter_object()
    after = triage.Cursor.parse(parse_qs(urlsplit(deep_url).query)["after"][0])
    with app.app_context():
        ids = narrow(sa.select(Observation.id), scope(project_id, filters), filters).order_by(
            Observation.recorded_at.desc(), Observation.id.desc()
        )
        figures = {
            "count alone": timed(lambda: triage.count(project_id, filters), runs),
            "first page (with count)": timed(
                lambda: triage.observations_page(project_id, filters), runs
            ),
            "deep page (with count)": timed(
                lambda: triage.observations_page(project_id, filters, after=after), runs
            ),
            "deep page's ids by OFFSET (not used)": timed(
                lambda: db.session.execute(ids.offset(depth).limit(51)).all(), runs
            ),
        }
        db.session.remove()
    return figures


def query_plans(app, project_id: int, deep_url: str) -> str:
    """The database's plans of the count and of the deep page's keyset query."""
    from urllib.parse import parse_qs, urlsplit

    from walkapp.extensions import UTCDateTime, db
    from walkapp.models import Observation
    from walkapp.services import triage
    from walkapp.services.observation_filter import narrow, scope

    filters = filter_object()
    after = triage.Cursor.parse(parse_qs(urlsplit(deep_url).query)["after"][0])
    lines = []
    with app.app_context():
        walk_ids = scope(project_id, filters)
        key = sa.tuple_(Observation.recorded_at, Observation.id)
        bound = sa.tuple_(sa.literal(after.recorded_at, UTCDateTime()), sa.literal(after.id))
        count = sa.select(sa.func.count()).select_from(Observation)
        page = sa.select(Observation.id, Observation.recorded_at)
        queries = {
            "count": narrow(count, walk_ids, filters),
            "deep page": narrow(page, walk_ids, filters)
            .where(key < bound)
            .order_by(Observation.recorded_at.desc(), Observation.id.desc())
            .limit(51),
        }
        sqlite = db.engine.dialect.name == "sqlite"
        with db.engine.connect() as conn:
            for name, query in queries.items():
                sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
                prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
                rows = conn.exec_driver_sql(prefix + sql).all()
                text = [row[3] if sqlite else row[0] for row in rows]
                lines.append(f"{name}: " + (" / ".join(text) if sqlite else "\n  ".join(text)))
        db.session.remove()
    return "\n".join(lines)


def measure(app, runs: int, urls: list[str], small_id: int) -> Figures:
    client = login(app)
    get_page(client, urls[0])  # templates compiled, caches warm
    return Figures(
        first=timed(lambda: get_page(client, urls[0]), runs),
        deep=timed(lambda: get_page(client, urls[-1]), runs),
        small_first=timed(lambda: get_page(client, first_url(small_id)), runs),
        service=service_times(app, 1, urls[-1], (len(urls) - 1) * 50, runs),
    )


def bench_database(label: str, url: str, plan: Plan, runs: int, index_trial: bool) -> Run:
    from walkapp.extensions import db

    run = Run(label)
    with tempfile.TemporaryDirectory(prefix="walkapp-triage-bench-") as tmp:
        if label == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            reset_postgres(url)
        start = time.perf_counter()
        app = make_app(url, Path(tmp) / "instance")
        project_id, small_id = populate(app, plan)
        run.build_s = time.perf_counter() - start
        urls = check_paging(app, run, plan, project_id, http=True)
        if not run.problems:
            run.figures["migrations' indexes"] = measure(app, runs, urls, small_id)
            run.plans["migrations' indexes"] = query_plans(app, project_id, urls[-1])
        if index_trial and not run.problems:
            with app.app_context(), db.engine.begin() as conn:
                conn.exec_driver_sql(DROP_INDEX_SQL)
            analyze(app)
            check_paging(app, run, plan, project_id, http=False)
            if not run.problems:
                run.figures[f"without {INDEX_NAME}"] = measure(app, runs, urls, small_id)
                run.plans[f"without {INDEX_NAME}"] = query_plans(app, project_id, urls[-1])
        with app.app_context():
            db.engine.dispose()
    return run


# --- Reporting ------------------------------------------------------------------------------


def report(run: Run, plan: Plan, runs: int) -> None:
    print(f"\n== {run.database}: built in {run.build_s:.1f} s ==")
    print(
        f"matching spots: {run.total:,} of {plan.observations:,} "
        f"({run.pages} pages of 50); followed {plan.links} 'next' links"
    )
    for problem in run.problems:
        print(f"PAGING ERROR: {problem}")
    for name, figures in run.figures.items():
        print(f"-- {name}")
        print(f"   request, first page:              {figures.first}")
        print(f"   request, after {plan.links:>3} 'next' links:   {figures.deep}")
        print(f"   request, small project's 1st page: {figures.small_first}")
        for key, timing in figures.service.items():
            print(f"   service, {key + ':':36} {timing}")
    for name, text in run.plans.items():
        print(f"-- plans, {name}:")
        print("   " + text.replace("\n", "\n   "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 spots, 50 'next' links")
    parser.add_argument("--database-url", help="a PostgreSQL database the bench owns (…bench…)")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (median)")
    parser.add_argument("--no-index-trial", action="store_true", help="no run without the index")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    runs = args.runs or (3 if args.quick else 7)
    print(
        f"triage paging bench: {plan.observations:,} spots in one project (+ {plan.small_project:,}"
        f" in another); filters: category in {', '.join(FILTER_CATEGORIES)}; feeling 1 or 2; "
        "light = night"
    )
    targets = [("sqlite", "")]
    if args.database_url:
        targets.append(("postgresql", args.database_url))
    failed = False
    for label, url in targets:
        run = bench_database(label, url, plan, runs, not args.no_index_trial)
        report(run, plan, runs)
        failed = failed or bool(run.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
