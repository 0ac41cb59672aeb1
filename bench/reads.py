"""Public reads through the gateway with a native client: `ab -k -c 32 -t 8` per path.

Prints req/s, p50/p99 (ms), errors (non-2xx and connection failures), body bytes per response and each path's
ratio to `GET /health` (the gateway's own ceiling, measured in the same run). A report page uses a real public
report, the newest of the public list. Run the system first (`make run`), then `python bench/reads.py`.
Settings: BENCH_URL, BENCH_AB_CONCURRENCY (32), BENCH_READ_SECONDS (8), BENCH_READ_PATHS (comma-separated
paths, `{id}` for the report) to measure other paths."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import ab  # noqa: E402
from bench.hardware import describe, load_average  # noqa: E402

URL = os.environ.get("BENCH_URL", "http://127.0.0.1:8000")
CONCURRENCY = int(os.environ.get("BENCH_AB_CONCURRENCY", "32"))
SECONDS = float(os.environ.get("BENCH_READ_SECONDS", "8"))
# `/v1/reports` pages with `limit` (default 100): `?limit=20` is a page of 20, the bare path the default page.
PATHS = (
    "/health",
    "/v1/reports/{id}",
    "/v1/categories",
    "/v1/stats",
    "/v1/reports?limit=20",
    "/v1/reports",
    "/v1/reports.geojson",
    "/open311/v2/requests.json",
    "/open311/v2/services.json",
)


def paths() -> list[str]:
    given = os.environ.get("BENCH_READ_PATHS")
    return [p.strip() for p in given.split(",") if p.strip()] if given else list(PATHS)


def public_report_id(url: str = URL) -> str | None:
    """The id of the newest public report, or None when the public list is empty."""
    with urllib.request.urlopen(f"{url}/v1/reports?limit=1", timeout=30) as resp:
        items = json.load(resp)["items"]
    return items[0]["id"] if items else None


def ratio(value: float, ceiling: float) -> str:
    """`value` as a percentage of `ceiling`, for the table."""
    return f"{100 * value / ceiling:.1f} %" if ceiling > 0 else "n/a"


def measure(
    url: str = URL, seconds: float = SECONDS, concurrency: int = CONCURRENCY
) -> dict[str, ab.AbResult]:
    """Every path, one after the other; a path that needs a report is skipped when none is public."""
    rid = public_report_id(url)
    results: dict[str, ab.AbResult] = {}
    for path in paths():
        if "{id}" in path and rid is None:
            print(f"skipped {path}: no public report (run the submission bench first)", file=sys.stderr)
            continue
        results[path] = ab.run(url + path.replace("{id}", rid or ""), concurrency, seconds)
    return results


def table(results: dict[str, ab.AbResult], health_rps: float | None = None) -> list[str]:
    """A Markdown table; ratios to `health_rps` (default: this run's /health row)."""
    ceiling = health_rps or (results["/health"].rps if "/health" in results else 0.0)
    rows = [
        "| path | req/s | p50 / p99 ms | errors | bytes/response | of /health |",
        "|---|---|---|---|---|---|",
    ]
    for path, r in results.items():
        rows.append(
            f"| `GET {path}` | {r.rps:,.0f} | {r.p50_ms:.0f} / {r.p99_ms:.0f} | {r.errors} of "
            f"{r.complete:,} | {r.bytes_per_response:,.0f} | {ratio(r.rps, ceiling)} |"
        )
    return rows


def main() -> int:
    print(f"hardware: {describe()}; load average {load_average()}")
    print(f"target: {URL}  ab -k -c {CONCURRENCY} -t {SECONDS:g} per path")
    results = measure()
    print("\n".join(table(results)))
    return 0 if all(r.errors == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
