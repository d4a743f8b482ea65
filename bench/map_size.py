"""Size and build time of the planner map, against naive folium, at 1k / 10k / 100k spots.

Usage: python bench/map_size.py [--quick] [--repeat N]

What it builds: a SQLite database in a temporary folder, brought up to date by the migrations
(create_app + flask db upgrade, as the tests do), with one project per size (the Place du Canada
perimeter, 4 walks of 5 stops, 400 participants) and n spots around a few hot corners of the
perimeter (feelings 1-5, categories, light, a comment each — some hostile — and no photos).

What it times, for each n:
  ours  — walkapp.planner.maps_folium.map_document(), the very function the map frame's view
          calls (count, queries, aggregation, folium rendering, nonces), inside a request
          context, no filter, TILE_URL empty. At 1k the map shows markers (under MARKER_LIMIT);
          "ours, aggregated" is the same call with aggregate=True (what 10k and 100k get).
  naive — what a folium tutorial does: the same spots read from the database, one
          folium.Marker with a folium.Popup (category, feeling, time, comment, escaped) per
          spot in a MarkerCluster, rendered to HTML. Only at 1k and 10k: at 100k it takes
          minutes and over 100 MB (PITFALLS.md: 23 MB / 70 s for 100k markers without popups).
Each figure is the best of --repeat runs (default 3); the budget line also gives the first
run, which pays the cold caches (SQLite pages, SQLAlchemy statement cache, folium templates).
Budget (DESIGN.md): 100,000 spots, details one click away, <= 1.5 MB of HTML, < 1.5 s.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZES_FULL = (1_000, 10_000, 100_000)
SIZES_QUICK = (1_000,)
NAIVE_MAX = 10_000
BUDGET_BYTES = 1_500_000
BUDGET_SECONDS = 1.5
CATEGORIES = ("lighting", "visibility", "people_around", "harassment", "maintenance", "seating")
LIGHTS = ("day", "twilight", "night")
COMMENTS = (
    "Trop sombre le soir",
    "On ne voit pas le bout du passage",
    "Remarques de groupes d'hommes",
    "Très bien éclairé, agréable",
    '<img src=x onerror="window.__pwned=1">',
    "${window.__pwned=1} \\` `",
    None,
)
T0 = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)


def make_app(instance: Path):
    from flask_migrate import upgrade

    from walkapp import create_app
    from walkapp.extensions import db

    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}",
            "TILE_URL": "",
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def fill(n: int, seed: int) -> int:
    """A project with n spots; returns its id."""
    import sqlalchemy as sa

    from walkapp.domain.geo import perimeter_geometry
    from walkapp.domain.maps import geometry_points
    from walkapp.extensions import db
    from walkapp.models import Observation, Participant, Project, Stop, Walk

    rng = random.Random(seed)
    perimeter = perimeter_geometry(
        json.loads((ROOT / "tests/data/place-du-canada-perimeter.geojson").read_text())
    )
    corners = geometry_points(perimeter)
    lat0 = sum(lat for lat, _ in corners) / len(corners)
    lon0 = sum(lon for _, lon in corners) / len(corners)
    project = Project(name=f"Bench {n}", commune="Valenciennes", perimeter=perimeter)
    walks = []
    for w in range(4):
        walk = Walk(
            project=project,
            kind="exploratory_walk",
            audience="women",
            title=f"Marche {w + 1}",
            starts_at=T0 + timedelta(days=w),
            ends_at=T0 + timedelta(days=w, hours=2),
            join_code=f"B{n}W{w}{uuid.uuid4().hex[:6]}",
            status="closed",
        )
        walk.stops = [
            Stop(number=s + 1, name=f"Arrêt {s + 1}", lat=lat0 + s * 0.0004, lon=lon0)
            for s in range(5)
        ]
        walks.append(walk)
    db.session.add(project)
    db.session.flush()
    participants = []
    for p in range(400):
        participant = Participant(
            walk_id=walks[p % 4].id,
            token_hash=uuid.uuid4().hex * 2,
            erasure_code_hash=uuid.uuid4().hex * 2,
            consent_at=T0,
            consent_version="bench",
            gender=rng.choice(("woman", "woman", "man", None)),
        )
        db.session.add(participant)
        participants.append(participant)
    db.session.flush()
    hot = [(lat0 + rng.gauss(0, 0.003), lon0 + rng.gauss(0, 0.004)) for _ in range(12)]
    rows = []
    for i in range(n):
        participant = participants[i % len(participants)]
        if rng.random() < 0.6:
            c_lat, c_lon = rng.choice(hot)
            lat, lon = c_lat + rng.gauss(0, 0.0004), c_lon + rng.gauss(0, 0.0005)
        else:
            lat, lon = lat0 + rng.uniform(-0.012, 0.012), lon0 + rng.uniform(-0.018, 0.018)
        at = T0 + timedelta(days=i % 4, minutes=rng.randrange(120))
        rows.append(
            {
                "uuid": uuid.UUID(int=rng.getrandbits(128)),
                "participant_id": participant.id,
                "walk_id": participant.walk_id,
                "lat": lat,
                "lon": lon,
                "recorded_at": at,
                "utc_offset_minutes": 60,
                "local_date": at.date(),
                "time_slot": "weekday_evening",
                "light_condition": rng.choice(LIGHTS),
                "category": rng.choice(CATEGORIES),
                "feeling": rng.choice((1, 1, 2, 2, 3, 4, 5)),
                "comment": rng.choice(COMMENTS),
                "hidden_at": T0 if i % 200 == 0 else None,
            }
        )
    db.session.execute(sa.insert(Observation), rows)
    db.session.commit()
    return project.id


def best_of(repeat: int, build) -> tuple[float, float, object]:
    """(best time, first time, result) of `repeat` runs of build()."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = build()
        times.append(time.perf_counter() - start)
    return min(times), times[0], result


def naive_map(project_id: int) -> str:
    """One marker with a popup per spot in a MarkerCluster: the folium tutorial way."""
    from zoneinfo import ZoneInfo

    import folium
    import sqlalchemy as sa
    from babel.dates import format_datetime
    from folium.plugins import MarkerCluster

    from walkapp.domain.maps import popup_text
    from walkapp.extensions import db
    from walkapp.models import Observation, Walk

    query = (
        sa.select(Observation)
        .join(Walk, Walk.id == Observation.walk_id)
        .where(Walk.project_id == project_id, Observation.hidden_at.is_(None))
    )
    spots = list(db.session.scalars(query))
    m = folium.Map(location=[spots[0].lat, spots[0].lon], zoom_start=15)
    cluster = MarkerCluster().add_to(m)
    paris = ZoneInfo("Europe/Paris")
    for obs in spots:
        when = format_datetime(obs.recorded_at, "short", tzinfo=paris, locale="en")
        html = (
            f"<b>{popup_text(obs.category)}</b><br>{obs.feeling}<br>{popup_text(when)} · "
            f"{popup_text(obs.light_condition)}<br>{popup_text(obs.comment)}"
        )
        folium.Marker([obs.lat, obs.lon], popup=folium.Popup(html, max_width=300)).add_to(cluster)
    return m.get_root().render()


def measure(app, n: int, repeat: int) -> dict:
    from walkapp.extensions import db
    from walkapp.models import Project
    from walkapp.planner.maps_folium import map_document
    from walkapp.services.observation_filter import ObservationFilter

    with app.app_context():
        project_id = fill(n, seed=n)
    row: dict = {"n": n}
    with app.test_request_context("/?lang=en"):
        project = db.session.get(Project, project_id)

        def ours(aggregate: bool):
            return map_document(
                project, ObservationFilter(), query={}, aggregate=aggregate, nonce="b"
            )

        for key, aggregate in (("ours", False), ("agg", True)):
            seconds, first, doc = best_of(repeat, lambda aggregate=aggregate: ours(aggregate))
            row[key + "_first"] = first
            row[key] = (
                len(doc.html.encode()),
                seconds,
                "hexagons" if doc.aggregated else "markers",
            )
        if n <= NAIVE_MAX:
            seconds, _first, html = best_of(
                1 if n > 1_000 else repeat, lambda: naive_map(project_id)
            )
            row["naive"] = (len(html.encode()), seconds)
        db.session.remove()
    return row


def report(rows: list[dict]) -> None:
    def mb(size: int) -> str:
        return f"{size / 1e6:7.3f} MB"

    print(
        f"{'spots':>8} | {'ours (default)':>31} | {'ours, aggregated':>22} | "
        f"{'naive folium':>22} | size ratio | time ratio"
    )
    for row in rows:
        size, seconds, mode = row["ours"]
        a_size, a_seconds, _ = row["agg"]
        line = (
            f"{row['n']:>8,} | {mb(size)} {seconds:6.3f} s {mode:>8} | "
            f"{mb(a_size)} {a_seconds:6.3f} s | "
        )
        if "naive" in row:
            n_size, n_seconds = row["naive"]
            line += (
                f"{mb(n_size)} {n_seconds:6.2f} s | {n_size / size:9.1f}x | "
                f"{n_seconds / seconds:9.1f}x"
            )
        else:
            line += f"{'(not run: too slow)':>22} | {'-':>10} | {'-':>10}"
        print(line)
    print("ratios are naive / ours (default mode at that size)")
    last = rows[-1]
    size, seconds, _ = last["ours"]
    verdict = "within" if size <= BUDGET_BYTES and seconds < BUDGET_SECONDS else "OVER"
    print(
        f"budget at {last['n']:,} spots: {size / 1e6:.3f} MB (<= 1.5 MB), {seconds:.3f} s "
        f"(< 1.5 s; first run {last['ours_first']:.3f} s): {verdict} budget"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 spots only (CI)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = SIZES_QUICK if args.quick else SIZES_FULL
    with tempfile.TemporaryDirectory(prefix="walkapp-map-bench-") as tmp:
        app = make_app(Path(tmp))
        rows = []
        for n in sizes:
            rows.append(measure(app, n, args.repeat))
            print(f"... {n:,} spots measured", file=sys.stderr)
        report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
