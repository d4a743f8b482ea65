"""The tender annex of a 10,000-spot project: assembling it (services.annex.annex_content) and
writing its DOCX (exporters.annex_docx.write_docx), map figure included.

Usage: python bench/annex.py [--quick] [--runs N]

What it builds (afresh, in a temporary folder, fixed seed): a SQLite database brought up to date
by the migrations, then filled by bulk inserts with one project of 10,000 spots (--quick: 1,000)
over 8 walks of 6 stops each along a 1 km street of Valenciennes, 200 participants (--quick: 40);
a third of the spots gathered at 12 places that many participants found unsafe, the rest along
the street with random feelings and categories, a comment on a third of them. The hotspots are
computed and every one is confirmed as a finding through the service (not timed); the planner
quotes three comments of each.

What it times, best and median of --runs runs (the first one also hands out the 10,000
references): annex_content, write_docx, and the two together — the budget in DESIGN.md, "tender
annex for a project of 10,000 observations: under 5 s". It prints the findings, requirements,
appendix rows and the DOCX's size. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ORIGIN = (50.3540, 3.5150)  # Valenciennes
M_LAT = 1 / 111_320
M_LON = 1 / (111_320 * math.cos(math.radians(ORIGIN[0])))
T0 = datetime(2026, 11, 10, 18, 30, tzinfo=UTC)
CATEGORIES = (
    "lighting",
    "visibility",
    "people_around",
    "help_within_reach",
    "harassment",
    "maintenance",
    "footpath_access",
    "seating",
    "transport_stop",
    "good_place",
)
COMMENTS = (
    "Lampadaire éteint depuis une semaine",
    "Trottoir encombré, on passe sur la chaussée",
    "Personne aux alentours le soir",
    "Arrêt de bus sans abri ni éclairage",
    "Recoin sombre derrière la haie",
)


def at(east: float, north: float) -> tuple[float, float]:
    return ORIGIN[0] + north * M_LAT, ORIGIN[1] + east * M_LON


def make_app(instance: Path):
    from flask_migrate import upgrade

    from walkapp import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}",
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench-only",
            "TILE_URL": "",
            "BASE_URL": "http://localhost:5000",
        }
    )
    with app.app_context():
        upgrade()
    return app


def populate(n_spots: int, n_people: int, rng: random.Random) -> int:
    from walkapp.extensions import db
    from walkapp.models import Observation, Participant, Project, Stop, User, Walk

    user = User(email="bench@x.fr", name="Bench", role="planner", password_hash="-")
    lat0, lon0 = at(-50, -50)
    lat1, lon1 = at(1050, 250)
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    perimeter = {"type": "Polygon", "coordinates": [ring]}
    project = Project(
        name="Bench — 10 000 signalements",
        commune="Valenciennes",
        insee_code="59606",
        perimeter=perimeter,
    )
    db.session.add_all([user, project])
    db.session.flush()
    walks = []
    for w in range(8):
        night = w % 2 == 0
        start = T0 + timedelta(days=7 * w, hours=0 if night else -6)
        walk = Walk(
            project_id=project.id,
            kind="exploratory_walk",
            audience="women",
            title=f"Marche {w + 1}",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            status="closed",
            join_code=f"BNCHA{w:03d}",
            closed_at=start,
        )
        walk.stops = [
            Stop(
                number=s + 1,
                name=f"Arrêt {s + 1}",
                lat=at(200 * s, 100)[0],
                lon=at(200 * s, 100)[1],
            )
            for s in range(6)
        ]
        walks.append((walk, night))
    db.session.add_all(w for w, _n in walks)
    db.session.flush()
    per_walk = max(1, n_people // len(walks))
    people: dict[int, list[int]] = {}
    rows = []
    pid = 1
    for walk, _night in walks:
        people[walk.id] = list(range(pid, pid + per_walk))
        for p in people[walk.id]:
            rows.append(
                {
                    "id": p,
                    "walk_id": walk.id,
                    "token_hash": f"{p:064x}",
                    "erasure_code_hash": f"{p + 10**9:064x}",
                    "consent_at": walk.starts_at,
                    "consent_version": "bench",
                    "track_consent": False,
                    "gender": rng.choice(("woman", "woman", "woman", "man", None)),
                    "age_band": rng.choice(("18_24", "25_44", "45_64", "65_plus")),
                    "created_at": walk.starts_at,
                }
            )
        pid += per_walk
    db.session.execute(sa.insert(Participant), rows)
    places = [(40 + 80 * k + rng.uniform(-10, 10), rng.uniform(90, 110)) for k in range(12)]
    spots = []
    for i in range(n_spots):
        walk, night = walks[i % len(walks)]
        if i % 3 == 0:
            east, north = places[i % len(places)]
            east, north = east + rng.uniform(-10, 10), north + rng.uniform(-10, 10)
            feeling = rng.choice((1, 1, 2))
        else:  # along the street, mostly at ease
            east, north = rng.uniform(0, 1000), rng.uniform(60, 140)
            feeling = rng.choices((1, 2, 3, 4, 5), (4, 6, 20, 35, 35))[0]
        lat, lon = at(east, north)
        recorded = walk.starts_at + timedelta(seconds=rng.randrange(7200))
        light = "night" if night else "day"
        spots.append(
            {
                "id": i + 1,
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "participant_id": rng.choice(people[walk.id]),
                "walk_id": walk.id,
                "lat": lat,
                "lon": lon,
                "accuracy_m": 8.0,
                "position_source": "gps",
                "recorded_at": recorded,
                "utc_offset_minutes": 60,
                "received_at": recorded,
                "local_date": recorded.date(),
                "time_slot": "weekday_evening" if night else "weekday_day",
                "light_condition": light,
                "category": rng.choice(CATEGORIES),
                "feeling": feeling,
                "comment": rng.choice(COMMENTS) if rng.random() < 0.33 else None,
            }
        )
    for start in range(0, len(spots), 5000):
        db.session.execute(sa.insert(Observation), spots[start : start + 5000])
    db.session.commit()
    return project.id, user.id


def confirm_findings(project_id: int, user_id: int) -> int:
    from walkapp.extensions import db
    from walkapp.models import Observation
    from walkapp.services import annex, hotspots
    from walkapp.services.observation_filter import ObservationFilter

    analysis = hotspots.analysis(project_id, ObservationFilter())
    for n, place in enumerate(analysis.hotspots or analysis.consensus, start=1):
        finding = hotspots.confirm(
            project_id,
            place.key,
            ObservationFilter(),
            title=f"Constat {n}",
            recommendation="Reprendre l'éclairage et les abords.",
            user_id=user_id,
        )
        commented = db.session.scalars(
            sa.select(Observation.id)
            .where(
                Observation.id.in_(finding.spot_ids),
                Observation.comment.is_not(None),
                Observation.category != "harassment",
            )
            .limit(3)
        ).all()
        annex.save_choices(
            finding,
            quoted_spot_ids=commented,
            photo_ids=[],
            confirmed_harassment_ids=[],
            user_id=user_id,
        )
    db.session.commit()
    return len(analysis.hotspots or analysis.consensus)


def timed(app, project_id: int, runs: int) -> None:
    from walkapp.exporters.annex_docx import write_docx
    from walkapp.extensions import db
    from walkapp.services.annex import annex_content
    from walkapp.services.photo_store import PhotoStore

    store = PhotoStore(app.config["PHOTO_DIR"])
    content_t, docx_t, total_t = [], [], []
    size = 0
    content = None
    for _ in range(runs):
        start = time.perf_counter()
        content = annex_content(project_id, language="fr", instance_path=app.instance_path)
        middle = time.perf_counter()
        out = io.BytesIO()
        write_docx(content, out, photos=store)
        end = time.perf_counter()
        db.session.commit()
        size = len(out.getvalue())
        content_t.append(middle - start)
        docx_t.append(end - middle)
        total_t.append(end - start)
    requirements = sum(len(f.requirements) for f in content.findings)
    print(
        f"findings: {len(content.findings)}, requirements: {requirements}, "
        f"appendix rows: {len(content.appendix):,}, DOCX: {size / 1024:,.0f} KB"
    )
    for label, values in (
        ("annex_content", content_t),
        ("write_docx", docx_t),
        ("annex, total", total_t),
    ):
        print(
            f"{label:>14}: best {min(values):.3f} s, median {statistics.median(values):.3f} s, "
            f"first {values[0]:.3f} s (runs: {len(values)})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 spots")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    n_spots, n_people = (1_000, 40) if args.quick else (10_000, 200)
    runs = 2 if args.quick else args.runs
    rng = random.Random(20261110)
    with tempfile.TemporaryDirectory(prefix="walkapp-bench-annex-") as folder:
        app = make_app(Path(folder))
        with app.app_context():
            start = time.perf_counter()
            project_id, user_id = populate(n_spots, n_people, rng)
            n = confirm_findings(project_id, user_id)
            print(
                f"built: {n_spots:,} spots, {n_people} participants, {n} findings "
                f"in {time.perf_counter() - start:.1f} s (not timed below)"
            )
            timed(app, project_id, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
