"""Benchmark point → ward (WardIndex.locate) and a whole routing decision, over random points in the province
bbox.

Run: .venv/bin/python bench/lookup.py [--n 50000] [--province 42] [--seed 1]

Three figures: look-ups on the approximate Voronoi cells, look-ups on stored polygons (the path an uploaded
official GeoJSON takes), and complete decisions (point → ward → rules → deadlines) on the seeded directory.
Exits 1 when a look-up rate is below the target of 10 000/s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import libs.geo as geo_data  # noqa: E402
from bench.hardware import describe  # noqa: E402
from libs import refdata  # noqa: E402
from libs.geo.wards import WardIndex, build_index, load_outline, load_units  # noqa: E402

FOLDERS = refdata.FOLDERS
TARGET_PER_S = 10_000


def timed(fn, points) -> tuple[float, float, float, int]:
    """(calls/s, p50 µs, p99 µs, non-None results) of fn(lat, lon) over the points."""
    for lat, lon in points[:1000]:  # warm-up
        fn(lat, lon)
    latencies, found, clock = [], 0, time.perf_counter
    start = clock()
    for lat, lon in points:
        t = clock()
        result = fn(lat, lon)
        latencies.append(clock() - t)
        found += result is not None
    total = clock() - start
    q = statistics.quantiles(latencies, n=100)
    return len(points) / total, q[49] * 1e6, q[98] * 1e6, found


def main() -> int:
    """Build the indexes, time N look-ups each, print throughput, latency and hardware."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--province", default="42", choices=sorted(FOLDERS))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    outlines = geo_data.OUTLINES
    t0 = time.perf_counter()
    voronoi = build_index(refdata.load(args.province).path, args.province, outlines)
    build_s = time.perf_counter() - t0
    outline = load_outline(outlines, args.province)
    polygons = WardIndex.from_geojson(
        voronoi.to_feature_collection(), load_units(refdata.load(args.province).file("units")), outline
    )

    minx, miny, maxx, maxy = outline.bounds
    rng = random.Random(args.seed)
    points = [(rng.uniform(miny, maxy), rng.uniform(minx, maxx)) for _ in range(args.n)]

    print(
        f"province {args.province}: {len(voronoi.unit_codes)} cells, Voronoi index built in "
        f"{build_s * 1000:.0f} ms"
    )
    print(f"{args.n} random points in the bbox")
    ok = True
    for label, index in (("approximate cells", voronoi), ("stored polygons", polygons)):
        rate, p50, p99, found = timed(index.locate, points)
        ok &= rate >= TARGET_PER_S
        print(
            f"look-ups, {label}: {rate:,.0f}/s (target ≥ {TARGET_PER_S:,}), p50 {p50:.1f} µs, p99 {p99:.1f} "
            "µs, "
            f"{found} inside the buffered province"
        )
    if args.province == "42":
        from services.routing.domain.directory import build, doc_from_seed
        from services.routing.domain.engine import RouteRequest, route

        now = datetime.now(UTC)
        directory = build(1, now, doc_from_seed(refdata.load().path))
        decide = lambda lat, lon: route(  # noqa: E731
            directory,
            RouteRequest(
                str(uuid4()),
                "GIAO_THONG_HA_TANG",  # noqa: E731
                "BINH_THUONG",
                lat,
                lon,
            ),
            now,
        )
        rate, p50, p99, _ = timed(decide, points[: max(2000, args.n // 10)])
        print(
            f"complete decisions (ward + rules + deadlines): {rate:,.0f}/s, p50 {p50:.1f} µs, p99 {p99:.1f} "
            "µs"
        )
    print(f"hardware: {describe()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
