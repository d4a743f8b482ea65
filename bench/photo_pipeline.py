"""Time the photo intake pipeline (walkapp.domain.photos.process_photo) on the sample photos.

Usage: python bench/photo_pipeline.py [--quick]

Prints figures only; it asserts nothing about time (machines differ). Budget of the project:
under 500 ms and at most 400 KB stored for a 12 MP phone photo.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BUDGET_MS = 500
BUDGET_KB = 400

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing the package


def metadata_gone(jpeg: bytes) -> bool:
    from PIL import Image

    with Image.open(BytesIO(jpeg)) as im:
        clean_info = not {"exif", "comment", "xmp", "icc_profile"} & im.info.keys()
        return len(im.getexif()) == 0 and clean_info and b"Exif" not in jpeg


def bench(name: str, runs: int) -> None:
    from walkapp.domain.photos import process_photo

    data = (DATA / name).read_bytes()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = process_photo(data)
        timings.append((time.perf_counter() - start) * 1000)
    median, best = statistics.median(timings), min(timings)
    image_kb, thumb_kb = len(result.image) / 1024, len(result.thumbnail) / 1024
    clean = metadata_gone(result.image) and metadata_gone(result.thumbnail)
    print(f"{name}")
    print(f"  runs: {runs}, median {median:.0f} ms, min {best:.0f} ms")
    print(f"  input: {len(data) / 1024:.0f} KB")
    print(f"  stored image: {image_kb:.1f} KB, {result.width}x{result.height}")
    print(f"  thumbnail: {thumb_kb:.1f} KB")
    print(f"  metadata gone: {'yes' if clean else 'NO'}")
    verdict = "within" if median < BUDGET_MS and image_kb <= BUDGET_KB else "OVER"
    print(
        f"  budget: < {BUDGET_MS} ms, <= {BUDGET_KB} KB -> {verdict} "
        f"({median:.0f} ms, {image_kb:.0f} KB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per photo instead of five")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else 5
    for name in ("night-street-12mp.jpg", "iphone-bench.heic"):
        bench(name, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
