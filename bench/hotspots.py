"""Hotspots (domain.hotspots.analyse) of a year of walks and of one walk, inference included.

Usage: python bench/hotspots.py [--quick] [--repeat N]

What it builds (in memory, fixed seed; the statistics are pure, so no database is involved —
reading the spots is the triage's indexed query, timed by bench/triage_paging.py):

  (a) a project: 100,000 spots of 2,000 participants on 100 walks of 12 stops, each along its
      own 1.5 km street of a 4 x 4 km square of Valenciennes, with a route trace; 8 % of the
      spots gathered at 40 places that 5-9 people found unsafe, the rest anywhere along the
      walks with random feelings. --quick: 10,000 spots, 200 participants, 10 walks.
  (b) one walk: 150 spots of 12 participants along a 1.5 km route of 5 stops, 7 of them very
      unsafe at an underpass.

What it times: analyse() end to end (projection to Lambert-93, units, study area, Gi*, the
candidates, the exact conditional-randomisation p-value of every candidate unit,
Benjamini-Hochberg, the places), best of N runs.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from walkapp.domain import hotspots as hs  # noqa: E402

ORIGIN = (50.3400, 3.5000)
M_LAT = 1 / 111_320
M_LON = 1 / (111_320 * math.cos(math.radians(ORIGIN[0])))
T0 = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)


def at(east: float, north: float) -> tuple[float, float]:
    return ORIGIN[0] + north * M_LAT, ORIGIN[1] + east * M_LON


def spot(rng, i, participant, lat, lon, feeling) -> hs.Spot:
    return hs.Spot(
        id=i,
        participant_id=participant,
        feeling=feeling,
        category=rng.choice(("lighting", "visibility", "people_around", "maintenance")),
        light_condition=rng.choice(("day", "night")),
        recorded_at=T0 + timedelta(minutes=i % 50_000),
        lat=lat,
        lon=lon,
    )


def project(n_spots: int, n_people: int, n_walks: int, rng: random.Random):
    """Walks along streets of a 4 km square, unsafe places on some of them."""
    walks = []
    for _ in range(n_walks):
        x0, y0 = rng.uniform(0, 2500), rng.uniform(0, 4000)
        angle = rng.uniform(-0.3, 0.3)
        walks.append((x0, y0, math.cos(angle), math.sin(angle)))
    people_per_walk = max(1, n_people // n_walks)
    spots, lines, stops = [], [], []
    for w, (x0, y0, dx, dy) in enumerate(walks):
        route = [at(x0 + dx * 1500 * s / 11, y0 + dy * 1500 * s / 11) for s in range(12)]
        lines.append(route)
        lines.append(
            [at(x0 + dx * d, y0 + dy * d + rng.uniform(-3, 3)) for d in range(0, 1500, 20)]
        )
        stops += [hs.StopPoint(s + 1, f"Walk {w} stop {s + 1}", *p) for s, p in enumerate(route)]
    places = [(rng.randrange(n_walks), rng.uniform(100, 1400)) for _ in range(40)]
    n_hot = int(n_spots * 0.08)
    for i in range(n_spots):
        if i < n_hot:
            w, d = places[i % len(places)]
            feeling, spread = rng.choice((1, 1, 2)), 12
        else:
            w, d = rng.randrange(n_walks), rng.uniform(0, 1500)
            feeling, spread = rng.randint(1, 5), 4
        x0, y0, dx, dy = walks[w]
        who = w * people_per_walk + rng.randrange(people_per_walk)
        east = x0 + dx * d + rng.uniform(-spread, spread)
        north = y0 + dy * d + rng.uniform(-spread, spread)
        spots.append(spot(rng, i + 1, who, *at(east, north), feeling))
    return spots, lines, stops


def one_walk(rng: random.Random):
    route = [at(1500 * s / 4, 0) for s in range(5)]
    stops = [hs.StopPoint(s + 1, f"Stop {s + 1}", *p) for s, p in enumerate(route)]
    spots = [
        spot(rng, i + 1, i % 7, *at(600 + rng.uniform(-10, 10), rng.uniform(-5, 5)), 1)
        for i in range(7)
    ]
    for i in range(7, 150):
        spots.append(
            spot(
                rng,
                i + 1,
                i % 12,
                *at(rng.uniform(0, 1500), rng.uniform(-5, 5)),
                rng.choice((3, 4, 4, 5, 5, 2)),
            )
        )
    return spots, [route], stops


def timed(label: str, spots, lines, stops, repeat: int) -> None:
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = hs.analyse(spots, lines=lines, stops=stops)
        best = min(best, time.perf_counter() - start)
    print(
        f"{label}: {len(spots):,} spots, {result.n_participants:,} participants -> "
        f"{result.n_tested:,} tested (exact null), "
        f"{len(result.hotspots)} hotspots, {len(result.consensus)} consensus places; "
        f"best of {repeat}: {best:.3f} s"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 spots instead of 100,000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rng = random.Random(11)
    size = (10_000, 200, 10) if args.quick else (100_000, 2_000, 100)
    hs.analyse(*one_walk(random.Random(1))[:1])  # warm up pyproj and imports
    timed("project", *project(*size, rng), repeat=args.repeat)
    timed("one walk", *one_walk(rng), repeat=args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
