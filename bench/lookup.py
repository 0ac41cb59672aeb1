"""Benchmark WardIndex.locate: look-ups/s and p50/p99 latency over random points in the province bbox.

Run: .venv/bin/python bench/lookup.py [--n 50000] [--province 42] [--seed 1]
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import libs.geo as geo_data  # noqa: E402
from libs.geo.wards import build_index, load_outline  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "services" / "routing" / "seed_data"
FOLDERS = {"42": "hatinh", "46": "hue"}
TARGET_PER_S = 10_000


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (or platform fallback)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    """Build the index, time N look-ups, print throughput, latency and hardware; exit 1 below target."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--province", default="42", choices=sorted(FOLDERS))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    outlines = geo_data.OUTLINES
    t0 = time.perf_counter()
    index = build_index(DATA / FOLDERS[args.province], args.province, outlines)
    build_s = time.perf_counter() - t0

    minx, miny, maxx, maxy = load_outline(outlines, args.province).bounds
    rng = random.Random(args.seed)
    points = [(rng.uniform(miny, maxy), rng.uniform(minx, maxx)) for _ in range(args.n)]
    for lat, lon in points[:1000]:  # warm-up
        index.locate(lat, lon)

    latencies = []
    found = 0
    clock = time.perf_counter
    start = clock()
    for lat, lon in points:
        t = clock()
        hit = index.locate(lat, lon)
        latencies.append(clock() - t)
        found += hit is not None
    total = clock() - start
    rate = args.n / total
    q = statistics.quantiles(latencies, n=100)

    print(f"province {args.province}: {len(index.unit_codes)} cells, built in {build_s * 1000:.0f} ms")
    print(f"look-ups: {args.n} random points in bbox, {found} inside the buffered province")
    print(f"throughput: {rate:,.0f} look-ups/s (target ≥ {TARGET_PER_S:,})")
    print(f"latency per look-up: p50 {q[49] * 1e6:.1f} µs, p99 {q[98] * 1e6:.1f} µs")
    print(f"hardware: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    return 0 if rate >= TARGET_PER_S else 1


if __name__ == "__main__":
    sys.exit(main())
