"""Where a spot's submit spends its time: walkapp's own work, in-process, beside the floor's.

Usage: python bench/submit_profile.py [--quick] [--requests N] [--database-url URL] [--profile]

No HTTP server and no client threads: each request is one plain WSGI call of the app, its answer
read to the end, timed one by one — walkapp's `POST /api/v1/observations` (a fresh spot each time,
the tokens taken in turn so that none meets its limit) and bench/floor_app.py's `POST /floor`
with the same bodies. What bench/submit_floor.py measures under gunicorn is this plus the
server's and the clients' share, the same for both.

The floor runs in a child process: walkapp's SQLite rules (extensions.py) hook every engine of
the process they are installed in, so in this one the floor's engine would not be bare.

--profile adds a cProfile listing of walkapp's requests (the functions that cost most of their
own time, then the most cumulative time). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from werkzeug.test import EnvironBuilder

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from submit_load import Vocab, prepare, spot_body  # noqa: E402 (bench/ is on the path now)

WARMUP = 50


def environ(path: str, body: dict, token: str | None) -> dict:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    builder = EnvironBuilder(
        path=path,
        method="POST",
        data=json.dumps(body).encode(),
        content_type="application/json",
        headers=headers,
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call(app, env: dict) -> str:
    status = []

    def start_response(code, _headers, _exc_info=None):
        status.append(code)

    answer = app(env, start_response)
    try:
        for _chunk in answer:
            pass
    finally:
        getattr(answer, "close", lambda: None)()
    return status[0]


def timed(app, environs: list[dict], expected: str) -> list[float]:
    """Microseconds per request, each environ built beforehand (outside the timing)."""
    took = []
    for env in environs:
        start = time.perf_counter()
        status = call(app, env)
        took.append((time.perf_counter() - start) * 1e6)
        if status != expected:
            raise SystemExit(f"unexpected answer {status}")
    return took


def summary(label: str, micros: list[float]) -> str:
    ordered = sorted(micros)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (
        f"  {label:8} median {statistics.median(micros):7.0f} µs, mean "
        f"{statistics.fmean(micros):7.0f} µs, p95 {p95:7.0f} µs (n {len(micros)})"
    )


def join(app, join_code: str, n: int) -> tuple[list[str], Vocab]:
    client = app.test_client()
    taxonomy = client.get("/api/v1/taxonomy").get_json()
    tokens, stop_ids = [], []
    for _ in range(n):
        answer = client.post(f"/api/v1/walks/{join_code}/participants", json={"consent": True})
        tokens.append(answer.get_json()["token"])
        stop_ids = [stop["id"] for stop in answer.get_json()["walk"]["stops"]]
    vocab = Vocab(
        categories=[t["code"] for t in taxonomy["category"]],
        criteria=[t["code"] for t in taxonomy["criterion"]],
        stop_ids=stop_ids,
    )
    return tokens, vocab


def bodies(n: int, vocab: Vocab, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [spot_body(rng, vocab) for _ in range(n)]


def walkapp_figures(args, instance: Path) -> tuple[list[float], str, list[dict]]:
    app, _walk_id, join_code = prepare(args, instance)
    tokens, vocab = join(app, join_code, max(10, (args.requests + WARMUP) // 15))
    spots = bodies(args.requests + WARMUP, vocab)
    environs = [
        environ("/api/v1/observations", body, tokens[i % len(tokens)])
        for i, body in enumerate(spots)
    ]
    timed(app, environs[:WARMUP], "201 CREATED")
    listing = ""
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
    micros = timed(app, environs[WARMUP:], "201 CREATED")
    if args.profile:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        listing = out.getvalue()
    return micros, listing, spots


FLOOR_CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
from floor_app import create_app, create_table
from submit_profile import environ, timed
url, spots, warmup = {url!r}, json.loads(sys.stdin.read()), {warmup}
create_table(url)
app = create_app(url)
environs = [environ("/floor", body, None) for body in spots]
timed(app, environs[:warmup], "201 CREATED")
print(json.dumps(timed(app, environs[warmup:], "201 CREATED")))
"""


def floor_figures(url: str, spots: list[dict]) -> list[float]:
    code = FLOOR_CHILD.format(bench=str(BENCH), url=url, warmup=WARMUP)
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(spots),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit("the floor's child process failed")
    return json.loads(done.stdout)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 requests")
    parser.add_argument("--requests", type=int, help="timed requests (default 3,000)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL, OWNED by the bench (its schema public is dropped); default SQLite",
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile listing")
    args = parser.parse_args(argv)
    args.requests = args.requests or (300 if args.quick else 3000)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="walkapp-profile-") as tmp:
        instance = Path(tmp) / "instance"
        # The request lines are written as in production (request_log's writer), to nowhere.
        with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
            walkapp, listing, spots = walkapp_figures(args, instance)
        floor_url = args.database_url or f"sqlite:///{Path(tmp) / 'floor.db'}"
        floor = floor_figures(floor_url, spots)
    database = (args.database_url or "sqlite").split(":", 1)[0].split("+", 1)[0]
    print(f"{database}: one request at a time, in-process (plain WSGI calls), after {WARMUP}")
    print(summary("walkapp", walkapp))
    print(summary("floor", floor))
    ratio = statistics.median(walkapp) / statistics.median(floor)
    print(f"  walkapp/floor, median: {ratio:.2f}x")
    if listing:
        print(listing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
