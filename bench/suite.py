"""`make bench` (with `make run` up): the raw ceilings, the public reads and the open-loop submissions of one
run.

Prints the hardware and load average, then Markdown tables ready for docs/benchmarks.md, each figure with its
ratio to the ceiling that bounds it. Before the reads, the public list is filled up to BENCH_PUBLIC_REPORTS
(250) reports if it holds fewer (normal reports accepted by the bench as an operator, open loop at 10/s).
Settings: those of bench/ceilings.py, bench/reads.py and bench/openloop.py."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import ceilings, openloop, reads  # noqa: E402
from bench.hardware import describe, load_average  # noqa: E402

PUBLIC_REPORTS = int(os.environ.get("BENCH_PUBLIC_REPORTS", "250"))
FILL_RATE = 10.0  # reports/s: well below the knee even on a loaded machine (docs/benchmarks.md)


def public_total(url: str) -> int:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{url}/v1/reports?limit=1", timeout=30) as resp:
        return int(json.load(resp)["total"])


async def fill_public_list(missing: int) -> None:
    async with openloop.Bench() as bench:
        step = await bench.step("normal", FILL_RATE, missing / FILL_RATE)
    print(f"filled the public list: {step.sent} reports, {step.error_count} errors")


def submissions_table(steps: dict[str, list[openloop.Step]]) -> list[str]:
    rows = [
        "| path | rate/s (achieved) | submit ms p50 / p95 / p99 / max | submit→routed ms p50 / p95 / p99 / "
        "max "
        "| accept call p99 ms | errors | routed | sustained |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path, done in steps.items():
        for s in done:
            rows.append(
                f"| {path} | {s.rate:g} ({s.achieved_rate:.1f}) | {s.submit.text()} | {s.routed.text()} | "
                f"{s.accept.p99:,.0f} | {s.error_count} | {s.routed.n} of {s.sent} | "
                f"{'yes' if s.sustained() else 'no'} |".replace("| nan |", "| – |")
            )
    return rows


def main() -> int:
    url = ceilings.URL
    print(f"hardware: {describe()}\nload average before: {load_average()}\ntarget: {url}\n")
    if (have := public_total(url)) < PUBLIC_REPORTS:
        asyncio.run(fill_public_list(PUBLIC_REPORTS - have))
    print(f"public reports in the list: {public_total(url)}\n")

    print("## Raw ceilings of this run")
    ceiling = ceilings.measure(url)
    print("\n".join(f"- {line}" for line in ceiling.lines()), "\n", flush=True)

    print(
        f"## Public reads (ab -k -c {reads.CONCURRENCY} -t {reads.SECONDS:g} per path; ratio to GET /health "
        "of "
        f"the ceilings, {ceiling.health.rps:,.0f} req/s)"
    )
    results = reads.measure(url)
    print("\n".join(reads.table(results, ceiling.health.rps)), "\n", flush=True)

    print(
        f"## Open-loop submissions (sustained: routed p99 ≤ {openloop.ROUTED_P99_MS:,.0f} ms, no error, "
        "every "
        f"report routed)"
    )
    steps = asyncio.run(openloop.measure(report=lambda line: print(line, flush=True)))
    print()
    print("\n".join(submissions_table(steps)))
    print()
    for path, done in steps.items():
        best = openloop.highest_sustained(done)
        if best is None:
            print(f"- highest sustained rate, {path}: none of the rates tried")
            continue
        print(
            f"- highest sustained rate, {path}: {best.rate:g} reports/s = "
            f"{reads.ratio(best.rate, ceiling.publish_1)} of one-at-a-time confirmed publishes, "
            f"{reads.ratio(best.rate, ceiling.pg_tx_1)} of one-connection PostgreSQL commits"
        )
    print(f"\nload average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
