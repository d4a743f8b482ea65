"""What a phone downloads the first time it opens the participant app, and Lighthouse's scores.

Usage: python bench/pwa_first_load.py [--quick]

Serves walkapp (compression on, as in production; no tile server, so map tiles are excluded)
from a throw-away SQLite instance, opens the walk's join link in a fresh headless Chromium
(a 360 x 800 phone), lets the service worker precache the app, joins, and stops on the "tag a
spot" screen with its map. It prints the bytes Chromium actually received (encoded body + headers
of every response, the service worker's precache included) against the 150 KB budget, then
Lighthouse 12's mobile scores for performance and accessibility on the join link.

Figures only: nothing is asserted about them (machines differ). --quick skips Lighthouse only if
it does not finish within LIGHTHOUSE_QUICK_TIMEOUT seconds, and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_KB = 150
WAIT_FOR_WORKER = """async () => {
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((ok) =>
      navigator.serviceWorker.addEventListener("controllerchange", ok, { once: true }),
    );
  }
  return true;
}"""
CHROMIUM = os.environ.get("WALKAPP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_QUICK_TIMEOUT = 240
LIGHTHOUSE_TIMEOUT = 600

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing the package


def make_app(instance: Path):
    """A fresh database with one open walk; returns (app, join code)."""
    from flask_migrate import upgrade

    from walkapp import create_app
    from walkapp.domain.geo import perimeter_geometry
    from walkapp.domain.join_codes import new_join_code
    from walkapp.extensions import db, utcnow
    from walkapp.models import Project, Stop, Walk

    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}",
            "TILE_URL": "",  # tiles are outside the budget: none are requested at all
        }
    )
    perimeter = json.loads(
        (ROOT / "walkapp/demo_data/place-du-canada-perimeter.geojson").read_text()
    )
    with app.app_context():
        upgrade()
        now = utcnow()
        walk = Walk(
            project=Project(
                name="Place du Canada",
                commune="Valenciennes",
                insee_code="59606",
                timezone="Europe/Paris",
                perimeter=perimeter_geometry(perimeter),
            ),
            status="open",
            kind="exploratory_walk",
            audience="women",
            title="Marche exploratoire de nuit",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            join_code=new_join_code(),
            stops=[
                Stop(number=i + 1, name=f"Arrêt {i + 1}", lat=50.357 + i / 2000, lon=3.5215)
                for i in range(4)
            ],
        )
        db.session.add(walk)
        db.session.commit()
        code = walk.join_code
        db.engine.dispose()
    return app, code


def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def first_load(url: str, code: str) -> dict:
    from playwright.sync_api import expect, sync_playwright

    received: list[tuple[str, int, bool]] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 800},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="fr-FR",
            geolocation={"latitude": 50.3571, "longitude": 3.5219, "accuracy": 10},
            permissions=["geolocation"],
        )

        def on_finished(request):
            sizes = request.sizes()
            total = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            received.append((request.url, total, request.service_worker is not None))

        context.on("requestfinished", on_finished)
        page = context.new_page()
        start = time.perf_counter()
        page.goto(f"{url}/j/{code}", wait_until="load")
        shown = time.perf_counter() - start
        page.evaluate(WAIT_FOR_WORKER)
        page.wait_for_load_state("networkidle")
        join_page = sum(size for _, size, _ in received)
        join_requests = len(received)
        page.get_by_role("checkbox", name="J'ai compris et j'accepte de participer").check()
        page.get_by_role("button", name="Continuer").click()
        page.get_by_role("button", name="Passer et rejoindre").click()
        page.get_by_role("button", name="Je l'ai noté").click()
        expect(page.locator("#tag-map .leaflet-pane").first).to_be_attached()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        browser.close()
    tiles = [r for r in received if "/tile" in r[0]]
    total = sum(size for _, size, _ in received) - sum(size for _, size, _ in tiles)
    return {
        "join_page_bytes": join_page,
        "join_page_requests": join_requests,
        "total_bytes": total,
        "requests": len(received) - len(tiles),
        "worker_requests": sum(1 for r in received if r[2]),
        "largest": sorted(received, key=lambda r: -r[1])[:5],
        "shown_s": shown,
    }


def lighthouse(url: str, timeout: int) -> dict | None:
    if not LIGHTHOUSE.exists():
        raise SystemExit("lighthouse is missing: run `npm ci` (./test does)")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [
        str(LIGHTHOUSE),
        url,
        "--only-categories=performance,accessibility",
        "--form-factor=mobile",
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise SystemExit(f"lighthouse failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    audits = report["audits"]
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "fcp": audits["first-contentful-paint"]["displayValue"],
        "lcp": audits["largest-contentful-paint"]["displayValue"],
        "tbt": audits["total-blocking-time"]["displayValue"],
        "cls": audits["cumulative-layout-shift"]["displayValue"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run, for CI")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="walkapp-bench-") as folder:
        app, code = make_app(Path(folder))
        server = serve(app)
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            figures = first_load(url, code)
            kb = figures["total_bytes"] / 1024
            print("participant app, first load (Chromium, 360x800 phone, compressed, no tiles)")
            join_kb = figures["join_page_bytes"] / 1024
            print(
                f"  join link + service worker precache: {join_kb:.1f} KB in "
                f"{figures['join_page_requests']} responses "
                f"(page shown in {figures['shown_s']:.2f} s)"
            )
            print(
                f"  up to the 'tag a spot' screen with its map: {kb:.1f} KB in "
                f"{figures['requests']} responses "
                f"({figures['worker_requests']} by the service worker)"
            )
            for address, size, _ in figures["largest"]:
                print(f"    {size / 1024:6.1f} KB  {address.replace(url, '')}")
            verdict = "within" if kb <= BUDGET_KB else "OVER"
            print(f"  budget: <= {BUDGET_KB} KB received -> {verdict} ({kb:.1f} KB)")

            timeout = LIGHTHOUSE_QUICK_TIMEOUT if args.quick else LIGHTHOUSE_TIMEOUT
            started = time.perf_counter()
            scores = lighthouse(f"{url}/j/{code}", timeout)
            if scores is None:
                print(f"lighthouse: skipped, it took more than {timeout} s")
            else:
                print(f"lighthouse 12, mobile, join link ({time.perf_counter() - started:.0f} s)")
                performance, accessibility = scores["performance"], scores["accessibility"]
                print(f"  performance: {performance}  accessibility: {accessibility}")
                print(
                    f"  FCP {scores['fcp']}, LCP {scores['lcp']}, TBT {scores['tbt']}, "
                    f"CLS {scores['cls']}"
                )
        finally:
            server.shutdown()
            server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
