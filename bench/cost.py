"""Where a submission's time goes: CPU milliseconds per report in each process of a running system, over one
step.

Runs one open-loop step (bench/openloop.py: BENCH_PATHS' first path, BENCH_COST_RATE reports/s for
BENCH_COST_SECONDS) against the system started with `HT_RUN_DIR` (or the checkout's `.run/`), waits until the
queues are empty again, and prints, for each of the system's processes (found in /proc by that run directory
in their environment), utime+stime per report from /proc/<pid>/stat across the step, with the load average:
CPU per report is steadier than latency on a shared machine. Replicas (HT_REPLICAS) show as one row each. "Per
report" divides by the reports written in the step (rows added to intake.reports: an RPC that expired is not
worked on); the events written (outbox rows) and handled (inbox rows) per report are counted in each schema.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import openloop  # noqa: E402
from bench.hardware import load_average  # noqa: E402

RATE = float(os.environ.get("BENCH_COST_RATE", "10"))
SECONDS = float(os.environ.get("BENCH_COST_SECONDS", "20"))
TICK = os.sysconf("SC_CLK_TCK")


def processes(run_dir: Path) -> dict[int, str]:
    """pid → name of the system's processes (gateway, nameko services) started under `run_dir`."""
    marker = f"HT_RUN_DIR={run_dir}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker not in environ.split(b"\0"):
            continue
        args = [a.decode() for a in argv if a]
        name = None
        if "gateway.app" in args:
            name = "gateway"
        elif any("spawn_main" in a for a in args) and b"gateway.app" in parent_cmdline(entry):
            name = f"gateway-worker-{entry.name}"  # a uvicorn worker of the gateway (GATEWAY_WORKERS > 1)
        elif any(a.endswith("/nameko") for a in args) and args:
            name = args[-1].split(".")[-2] if args[-1].endswith(".service") else "intake_reads"
        if name:
            replica = next(
                (v.split(b"=", 1)[1].decode() for v in environ.split(b"\0") if v.startswith(b"HT_REPLICA=")),
                "",
            )
            found[int(entry.name)] = f"{name}_{replica}" if replica not in ("", "1") else name
    return found


def parent_cmdline(entry: Path) -> bytes:
    try:
        ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
        return Path(f"/proc/{ppid}/cmdline").read_bytes()
    except OSError:
        return b""


def table_counts(url: str) -> dict[str, int]:
    """Rows of intake.reports and of every schema's outbox and inbox (the messages a report causes)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as db:
            tables = (
                db.execute(
                    sa.text(
                        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                        "WHERE table_name IN ('outbox', 'inbox') OR (table_schema, table_name) = ('intake', "
                        "'reports')"
                    )
                )
                .scalars()
                .all()
            )
            found = {t: db.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in sorted(tables)}
            db.execute(
                sa.text("SELECT pg_stat_force_next_flush()")
            )  # PostgreSQL 15+: this session's own counts
            found["transactions"] = db.execute(
                sa.text(
                    "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = "
                    "current_database()"
                )
            ).scalar()
            return found
    finally:
        engine.dispose()


WORK = ("ht_rpc_calls_total", "ht_events_handled_total", "ht_outbox_published_total")


def work_counts(run_dir: Path) -> dict[str, dict[str, float]]:
    """Per process of the Procfile (`make run`'s, replicas included): RPCs answered, events handled and outbox
    rows published, summed over their labels, read from the process's own /metrics."""
    import urllib.request

    found = {}
    for line in (run_dir / "Procfile").read_text().splitlines():
        name, _, command = line.partition(": ")
        port = next((w.split("=", 1)[1] for w in command.split() if w.startswith("METRICS_PORT=")), None)
        if not port:
            continue
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
                text = resp.read().decode()
        except OSError:
            continue
        found[name] = {
            w: sum(float(m.rsplit(" ", 1)[1]) for m in text.splitlines() if m.startswith(w + "{"))
            for w in WORK
        }
    return found


def cpu_ms(pid: int) -> float:
    """utime + stime of a process (and of its threads) in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICK


async def run(path: str) -> None:
    from libs.platform import engines

    run_dir = engines.run_dir(ROOT)
    procs = processes(run_dir)
    if not procs:
        raise SystemExit(f"no process of a system started with HT_RUN_DIR={engines.run_dir(ROOT)} was found")
    async with openloop.Bench() as bench:
        await bench.settle()
        rows0 = table_counts(os.environ["DATABASE_URL"])
        work0 = work_counts(run_dir)
        before = {pid: cpu_ms(pid) for pid in procs}
        load0 = load_average()
        step = await bench.step(path, RATE, SECONDS)
        left = await bench.settle()
        after = {pid: cpu_ms(pid) for pid in procs}
        work1 = work_counts(run_dir)
        rows1 = table_counts(os.environ["DATABASE_URL"])
    print(step.line())
    print(f"load average {load0} → {load_average()}; {left} messages left queued")
    n = max(rows1["intake.reports"] - rows0["intake.reports"], 1)
    total = 0.0
    print(
        "messages per report: "
        + ", ".join(
            f"{t} {(rows1[t] - rows0[t]) / n:.2f}"
            for t in rows1
            if t != "intake.reports" and rows1[t] != rows0[t]
        )
        + " (transactions: every commit and rollback "
        "of the database, any client)"
    )
    print(
        f"| process | CPU ms per report ({path}, {RATE:g}/s × {SECONDS:g} s, {n} reports written, "
        f"{step.routed.n} routed in time) |\n|---|---|"
    )
    for pid, name in sorted(procs.items(), key=lambda kv: kv[1]):
        per = (after[pid] - before[pid]) / n
        total += per
        print(f"| {name} | {per:.1f} |")
    print(f"| all | {total:.1f} |")
    print("\n| process | RPCs answered | events handled | events published |\n|---|---|---|---|")
    for name in sorted(work1):
        d = [work1[name][w] - work0.get(name, {}).get(w, 0) for w in WORK]
        if any(d):
            print(f"| {name} | " + " | ".join(f"{x:,.0f}" for x in d) + " |")


def main() -> int:
    asyncio.run(run(openloop.PATHS[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
