"""Exports of 1,000 / 10,000 / 100,000 spots (GeoJSON, CSV, XLSX) and a ZIP of 1,000 photos:
time and peak memory of each export.

Usage: python bench/exports.py [--quick] [--keep]

What it builds (afresh on every run, fixed seed): for each size, a SQLite database in a
temporary folder brought up to date by the migrations, filled by bulk inserts with one project
(the Place du Canada perimeter) of N spots over 8 walks of 5 stops and 25 participants each,
with comments (a tenth of them starting like a formula), ratings on a third, a stop on a fifth;
the spots' references are assigned once beforehand (the first export of a project does it; its
time is printed apart). The largest database also gets 1,000 photos of 250 KB (random bytes:
the ZIP copies files, it never decodes them) on as many spots. --quick: 500 and 2,000 spots,
50 photos, fewer variants (about 20 s in all).

What it measures: each export (services/exports.py, as a job would call it, into a file on
disk) runs in a child process of its own, so that the peak is that export's: wall time, and the
peak resident memory above the process's resident memory just before the export (the
interpreter, the app and its imports), from the kernel's VmHWM ("peak MB": Python objects,
SQLite's page cache, allocator slack); and, in a second child (full mode only), the peak of the
Python allocations alone under tracemalloc ("heap MB"). Streaming means these stay flat from
the smallest size to the largest (rows are read and written 1,000 at a time).

Figures are printed, never asserted; the exit code is non-zero only when an export fails or
writes a file that does not read back (row counts checked).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing the package

FULL_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (500, 2_000)
FULL_PHOTOS, QUICK_PHOTOS = 1_000, 50
PHOTO_BYTES = 250_000
WALKS, STOPS, PEOPLE_PER_WALK = 8, 5, 25
FORMATS = ("geojson", "csv", "csv-fr-l93", "xlsx", "xlsx-l93")
QUICK_FORMATS = ("geojson", "csv-fr-l93", "xlsx-l93")  # each child starts the app: ~2 s
CATEGORIES = ("lighting", "visibility", "people_around", "harassment", "maintenance", "seating")
COMMENTS = (
    None,
    None,
    None,
    "Lampadaire éteint depuis une semaine",
    "Trottoir encombré, on passe sur la chaussée",
    "Personne aux alentours le soir",
    '=HYPERLINK("http://x","y")',
    "Arrêt de bus sans abri ni éclairage, on attend dans le noir",
)
T0 = datetime(2026, 10, 1, 18, 0, tzinfo=UTC)


def make_app(folder: Path):
    from walkapp import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench-only",
            "WTF_CSRF_ENABLED": False,
            "TILE_URL": "",
            "BASE_URL": "http://localhost:5000",
        }
    )


# --- Building a database -------------------------------------------------------------------------


def _insert(conn, table, rows, chunk: int = 10_000) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            conn.execute(sa.insert(table), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(table), batch)


def _spots(n: int, people: dict[int, list[int]], stops: dict[int, list[int]], rng):
    for i in range(1, n + 1):
        walk = 1 + i % WALKS
        at = T0 + timedelta(days=7 * walk, seconds=rng.randrange(7200))
        night = walk <= 5
        yield {
            "id": i,
            "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
            "participant_id": rng.choice(people[walk]),
            "walk_id": walk,
            "lat": 50.3545 + rng.uniform(0, 0.003),
            "lon": 3.5150 + rng.uniform(0, 0.007),
            "accuracy_m": round(rng.uniform(3, 40), 1),
            "position_source": "gps",
            "position_suspect": False,
            "recorded_at": at,
            "utc_offset_minutes": 120,
            "received_at": at,
            "local_date": (at + timedelta(hours=2)).date(),
            "time_slot": "weekday_evening" if night else "weekday_day",
            "light_condition": "night" if night else "day",
            "category": rng.choice(CATEGORIES),
            "feeling": rng.randint(1, 5),
            "ratings": {"lighting": rng.randint(0, 3), "people": 1} if i % 3 == 0 else None,
            "stop_id": rng.choice(stops[walk]) if i % 5 == 0 else None,
            "comment": rng.choice(COMMENTS),
            "entered_by_id": None,
        }


def populate(app, n_spots: int, n_photos: int, seed: int = 20261201) -> float:
    """Fill the database; returns the time of assigning the references (the first export's)."""
    from walkapp.domain.geo import perimeter_geometry
    from walkapp.extensions import db
    from walkapp.services import spot_references

    rng = random.Random(seed)
    tables = db.metadata.tables
    data = json.loads((ROOT / "tests/data/place-du-canada-perimeter.geojson").read_text())
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            sa.insert(tables["project"]),
            [
                {
                    "id": 1,
                    "name": "Place du Canada (bench)",
                    "commune": "Valenciennes",
                    "insee_code": "59606",
                    "description": "",
                    "phase": "diagnostic",
                    "timezone": "Europe/Paris",
                    "perimeter": perimeter_geometry(data),
                    "created_at": T0,
                }
            ],
        )
        walk_rows, stop_rows, people_rows = [], [], []
        people: dict[int, list[int]] = {}
        stops: dict[int, list[int]] = {}
        for w in range(1, WALKS + 1):
            starts = T0 + timedelta(days=7 * w)
            walk_rows.append(
                {
                    "id": w,
                    "project_id": 1,
                    "kind": "exploratory_walk",
                    "audience": "women",
                    "title": f"Marche {w}",
                    "group_description": "",
                    "meeting_point": "",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "status": "closed",
                    "join_code": f"BENCH{w:03d}",
                    "created_at": starts,
                }
            )
            stops[w] = list(range((w - 1) * STOPS + 1, w * STOPS + 1))
            stop_rows += [
                {
                    "id": s,
                    "walk_id": w,
                    "number": k,
                    "name": f"Arrêt {k}",
                    "lat": 50.355 + k / 2000,
                    "lon": 3.518,
                }
                for k, s in enumerate(stops[w], start=1)
            ]
            people[w] = list(range((w - 1) * PEOPLE_PER_WALK + 1, w * PEOPLE_PER_WALK + 1))
            people_rows += [
                {
                    "id": p,
                    "walk_id": w,
                    "token_hash": f"{p:064x}",
                    "erasure_code_hash": f"{p + 10**9:064x}",
                    "consent_at": starts,
                    "consent_version": "bench",
                    "track_consent": False,
                    "gender": "woman",
                    "created_at": starts,
                }
                for p in people[w]
            ]
        _insert(conn, tables["walk"], walk_rows)
        _insert(conn, tables["stop"], stop_rows)
        _insert(conn, tables["participant"], people_rows)
        _insert(conn, tables["observation"], _spots(n_spots, people, stops, rng))
        if n_photos:
            _photos(app, conn, tables, n_spots, n_photos, rng)
    with app.app_context():
        started = time.perf_counter()
        spot_references.assign(1)
        db.session.commit()
        seconds = time.perf_counter() - started
        # As an app leaves it long after the load: the WAL checkpointed, no connection open
        # (the children read the database file, not a WAL the size of the load).
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
        return seconds


def _photos(app, conn, tables, n_spots: int, n_photos: int, rng) -> None:
    from walkapp.services.photo_store import PhotoStore

    store = PhotoStore(app.config["PHOTO_DIR"])
    files, photos = [], []
    step = max(1, n_spots // n_photos)
    for i in range(1, n_photos + 1):
        sha = f"{rng.getrandbits(256):064x}"
        path = store.path(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(PHOTO_BYTES))
        files.append(
            {
                "id": i,
                "sha256": sha,
                "width": 1600,
                "height": 1200,
                "byte_size": PHOTO_BYTES,
                "created_at": T0,
            }
        )
        photos.append(
            {"id": i, "observation_id": 1 + (i - 1) * step, "file_id": i, "created_at": T0}
        )
    _insert(conn, tables["stored_file"], files)
    _insert(conn, tables["photo"], photos)


# --- One export, in a child process ------------------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _peak_rss_kb() -> int:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: that one
    survives fork and exec, so a child would report the parent's peak (here: the load)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(folder: Path, fmt: str, target: Path, heap: bool = False) -> dict:
    """Run one export; returns its figures (printed as JSON for the parent). `heap`: trace the
    Python allocations too (tracemalloc: the export then runs slower, its time is not kept)."""
    from walkapp.extensions import db
    from walkapp.services import exports
    from walkapp.services.observation_filter import ObservationFilter
    from walkapp.services.photo_store import PhotoStore

    app = make_app(folder)
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))  # connected, as a job would be
        kwargs = {"user_id": None, "role": "admin"}
        before = _rss_kb()
        if heap:
            tracemalloc.start()
        started = time.perf_counter()
        with target.open("wb") as out:
            if fmt == "geojson":
                summary = exports.write_geojson(1, ObservationFilter(), out, **kwargs)
            elif fmt.startswith("csv"):
                french = lambert93 = fmt == "csv-fr-l93"
                summary = exports.write_csv(
                    1, ObservationFilter(), out, french=french, lambert93=lambert93, **kwargs
                )
            elif fmt.startswith("xlsx"):
                summary = exports.write_xlsx(
                    1, ObservationFilter(), out, lambert93=fmt == "xlsx-l93", **kwargs
                )
            else:
                store = PhotoStore(app.config["PHOTO_DIR"])
                summary = exports.write_photos_zip(1, ObservationFilter(), out, store, **kwargs)
        seconds = time.perf_counter() - started
        peak = _peak_rss_kb()
        heap_peak = tracemalloc.get_traced_memory()[1] if heap else 0
        db.session.rollback()  # a bench: the audit entry is not kept
    return {
        "seconds": seconds,
        "peak_mb": (peak - before) / 1024,
        "base_mb": before / 1024,
        "heap_mb": heap_peak / 1e6,
        "bytes": target.stat().st_size,
        "summary": summary,
    }


def run_child(folder: Path, fmt: str, heap: bool = False) -> dict:
    extension = {"geojson": "geojson", "photos-zip": "zip"}.get(fmt, fmt.split("-")[0])
    target = folder / f"export-{fmt}.{extension}"
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(folder),
            fmt,
            str(target),
            "heap" if heap else "rss",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{fmt} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["problem"] = check(fmt, target, figures["summary"])
    target.unlink()
    return figures


def check(fmt: str, path: Path, summary: dict) -> str | None:
    """The file reads back with the rows the summary says (None), or what is wrong."""
    if fmt == "geojson":
        found = len(json.loads(path.read_bytes())["features"])
        expected = summary["spots"]
    elif fmt.startswith("csv"):
        with path.open("rb") as f:
            found = sum(1 for _ in f) - 1  # no line breaks inside the bench's cells
        expected = summary["spots"]
    elif fmt.startswith("xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        found = sum(1 for _ in book.worksheets[0].iter_rows()) - 1
        book.close()
        expected = summary["spots"]
    else:
        with zipfile.ZipFile(path) as archive:
            found = len(archive.namelist())
            expected = summary["photos"]
    return None if found == expected else f"{fmt}: {found} rows read back, {expected} written"


# --- Main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 20 s)")
    parser.add_argument("--keep", action="store_true", help="keep the databases (prints where)")
    parser.add_argument(
        "--child", nargs=4, metavar=("FOLDER", "FORMAT", "TARGET", "HEAP"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        folder, fmt, target, heap = args.child
        print(json.dumps(child(Path(folder), fmt, Path(target), heap == "heap"), default=str))
        return 0
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    n_photos = QUICK_PHOTOS if args.quick else FULL_PHOTOS
    problems: list[str] = []
    heap_title = "" if args.quick else f" {'heap MB':>8}"
    print(
        f"{'spots':>8} {'format':<11} {'time s':>8} {'peak MB':>8}{heap_title} {'file MB':>8}  rows"
    )
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"walkapp-bench-exports-{size}-"))
        app = make_app(folder)
        from flask_migrate import upgrade

        with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
            upgrade()  # quietly: alembic logs every revision
        photos = n_photos if size == sizes[-1] else 0
        started = time.perf_counter()
        assign_s = populate(app, size, photos)
        print(
            f"{size:>8} {'(build)':<11} {time.perf_counter() - started:>8.2f}"
            f"   references assigned in {assign_s:.2f} s"
        )
        formats = QUICK_FORMATS if args.quick else FORMATS
        for fmt in (*formats, *(("photos-zip",) if photos else ())):
            figures = run_child(folder, fmt)
            heap = "" if args.quick else f" {run_child(folder, fmt, heap=True)['heap_mb']:>8.1f}"
            rows = figures["summary"].get("photos" if fmt == "photos-zip" else "spots")
            print(
                f"{size:>8} {fmt:<11} {figures['seconds']:>8.2f} {figures['peak_mb']:>8.1f}"
                f"{heap} {figures['bytes'] / 1e6:>8.1f}  {rows}"
                + (f"  (base {figures['base_mb']:.0f} MB)" if fmt == "geojson" else "")
            )
            if figures["problem"]:
                problems.append(figures["problem"])
        if args.keep:
            print(f"  kept: {folder}")
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
