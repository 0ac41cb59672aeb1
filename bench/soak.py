"""`make soak` (with `make run` up): a steady realistic load for SOAK_SECONDS while the resident set of every
process of the system is sampled; fails when a process grows beyond its budget after the warm-up.

Load (per second, SOAK_RATE reports/s, default 2): reports submitted through the gateway (one in ten urgent,
the rest normal and accepted at once by an operator), one in SOAK_PHOTO_EVERY (4) with a small JPEG uploaded
by the citizen (`POST /v1/reports/{id}/media` with its tracking token), and SOAK_READS (5) public reads a
second spread over the list, a report page, the GeoJSON, the categories, the stats and Open311. Arrivals are
open loop (each request is due at its time whatever happened before), so a slow system gets the same load, not
less.

Processes: every descendant of the `make run` launcher (devtools.devrun) found under the run directory
(HT_RUN_DIR, else `.run/`) or SOAK_ROOT_PID: the gateway, every nameko service, the media pool's workers,
honcho and the local S3 server. RSS (`VmRSS` of /proc/<pid>/status) every SOAK_SAMPLE_SECONDS (5).

Verdict, per long-lived process: the median of its last three samples minus the median of its first three
after SOAK_WARMUP_SECONDS (300) must stay within SOAK_BUDGET_MB (50 MiB); a process of the system that exits
is a failure. Media pool workers are replaced every 50 tasks by design: each one's peak must stay within
SOAK_WORKER_BUDGET_MB (640 MiB, the hostile corpus' budget). The local S3 server (moto) keeps every object in
memory by design, a test stand-in: its growth is printed, not judged. Every answer is counted by kind and
status; a 500 (a fault of ours) or a failed connection is a failure too. 503 and 504 (the gateway shedding
load, an RPC not answered within its timeout) are printed with the load average: on a shared 2-core machine
they measure the machine as much as the system, and this run is about memory. Settings: BENCH_URL,
SOAK_SECONDS (1800), and those above; HT_JWT_SECRET (else the run's secrets.json)."""

from __future__ import annotations

import asyncio
import io
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.hardware import describe, load_average  # noqa: E402
from bench.openloop import body, operator_token  # noqa: E402

URL = os.environ.get("BENCH_URL", "http://127.0.0.1:8000")
SECONDS = float(os.environ.get("SOAK_SECONDS", "1800"))
WARMUP = float(os.environ.get("SOAK_WARMUP_SECONDS", "300"))
SAMPLE = float(os.environ.get("SOAK_SAMPLE_SECONDS", "5"))
RATE = float(os.environ.get("SOAK_RATE", "2"))
READS = float(os.environ.get("SOAK_READS", "5"))
PHOTO_EVERY = int(os.environ.get("SOAK_PHOTO_EVERY", "4"))
BUDGET_MB = float(os.environ.get("SOAK_BUDGET_MB", "50"))
WORKER_BUDGET_MB = float(os.environ.get("SOAK_WORKER_BUDGET_MB", "640"))
READ_PATHS = [
    "/v1/reports?limit=20",
    "/v1/reports.geojson?limit=100",
    "/v1/categories",
    "/v1/stats",
    "/open311/v2/services.json",
    "{report}",
]


# --- the processes
# ---------------------------------------------------------------------------------------------


def _read(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_text(errors="replace")
    except OSError:
        return ""


def cmdline(pid: int) -> str:
    return _read(pid, "cmdline").replace("\0", " ").strip()


def rss_kib(pid: int) -> int | None:
    for line in _read(pid, "status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _read(int(entry.name), "stat")
            if stat:
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def descendants(root: int) -> list[int]:
    kids, out, todo = children_map(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def parent(pid: int) -> int:
    stat = _read(pid, "stat")
    return int(stat.rsplit(")", 1)[1].split()[1]) if stat else 0


def label(pid: int) -> str:
    """A stable name for a process of the system: a pool's processes are named after the service owning
    them."""
    name = label_of(cmdline(pid))
    if name in ("worker", "resource tracker"):
        return f"{label_of(cmdline(parent(pid)))} {name}"
    return name


def label_of(cmd: str) -> str:
    """The name of a process from its command line (pure, tested); "" for plumbing (honcho's forks,
    shells)."""
    if "devtools.devrun" in cmd:
        return "launcher"
    if cmd.startswith("/bin/sh -c") or "honcho" in cmd:
        return ""  # honcho's per-process forks and the shells it starts: plumbing, a few MiB each
    if "gateway.app" in cmd:
        return "gateway"
    if "multiprocessing.resource_tracker" in cmd:
        return "resource tracker"
    if "multiprocessing" in cmd:
        return "worker"
    if "moto" in cmd:
        return "s3 (moto)"
    for part in cmd.split():
        if part.startswith("services.") and part.endswith("service"):
            service, module = part.split(".")[1:3]
            return service if module == "service" else f"{service}_{module.removesuffix('_service')}"
    return cmd.split()[0].rsplit("/", 1)[-1] if cmd else "?"


def find_launcher() -> int:
    """The pid of the `make run` launcher whose run directory is ours (SOAK_ROOT_PID overrides)."""
    if os.environ.get("SOAK_ROOT_PID"):
        return int(os.environ["SOAK_ROOT_PID"])
    from libs.platform import engines

    procfile = str(engines.run_dir(ROOT) / "Procfile")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and "honcho" in (cmd := cmdline(int(entry.name))) and procfile in cmd:
            stat = _read(int(entry.name), "stat")
            return int(stat.rsplit(")", 1)[1].split()[1])  # honcho's parent: the launcher
    raise SystemExit(f"no `make run` found (no honcho with {procfile}); set HT_RUN_DIR or SOAK_ROOT_PID")


@dataclass
class Track:
    pid: int
    name: str
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, KiB)
    gone: bool = False

    def after(self, t: float) -> list[int]:
        return [kib for at, kib in self.samples if at >= t]


# --- the load
# ----------------------------------------------------------------------------------------------------


def photo(i: int) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (640, 480), ((i * 37) % 256, (i * 91) % 256, 120))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass
class Outcomes:
    counts: dict[str, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)

    def note(self, kind: str, answer: httpx.Response | None, error: str = "") -> None:
        code = ""
        if answer is not None and answer.status_code >= 500:  # the problem's code says who gave up
            try:
                problem = answer.json()
            except ValueError:
                problem = None
            code = f" {problem.get('code', '')}" if isinstance(problem, dict) else " (no problem body)"
        key = f"{kind} {answer.status_code if answer is not None else error}{code}"
        self.counts[key] = self.counts.get(key, 0) + 1
        if answer is None or (answer.status_code >= 500 and answer.status_code not in (503, 504)):
            if len(self.server_errors) < 20:
                self.server_errors.append(f"{key}: {answer.text[:200] if answer is not None else error}")


async def drive(client: httpx.AsyncClient, stop_at: float, outcomes: Outcomes, token: str) -> None:
    reported: list[str] = []
    tag = f"soak-{time.time():.0f}"

    async def call(kind: str, method: str, path: str, **kw) -> httpx.Response | None:
        try:
            answer = await client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            outcomes.note(kind, None, type(exc).__name__)
            return None
        outcomes.note(kind, answer)
        return answer

    async def report(i: int) -> None:
        urgent = i % 10 == 0
        answer = await call(
            "submit",
            "POST",
            "/v1/reports",
            json=body(i, "KHAN" if urgent else "BINH_THUONG"),
            headers={"Idempotency-Key": f"{tag}-{i}", "X-Device-Id": f"{tag}-device-{i % 500}"},
        )
        if answer is None or answer.status_code != 201:
            return
        ref = answer.json()
        if i % PHOTO_EVERY == 0:
            await call(
                "photo",
                "POST",
                f"/v1/reports/{ref['id']}/media",
                files={"file": (f"p{i}.jpg", photo(i), "image/jpeg")},
                headers={"X-Tracking-Token": ref["tracking_token"]},
            )
        if not urgent:
            await call(
                "accept",
                "POST",
                f"/v1/operator/reports/{ref['id']}/accept",
                json={},
                headers={"Authorization": f"Bearer {token}"},
            )
            reported.append(ref["id"])

    async def read(i: int) -> None:
        path = READ_PATHS[i % len(READ_PATHS)]
        if path == "{report}":
            path = f"/v1/reports/{random.choice(reported)}" if reported else "/v1/reports?limit=1"
        await call("read", "GET", path)

    tasks: set[asyncio.Task] = set()

    async def arrivals(rate: float, make) -> None:
        t0, i = time.monotonic(), 0
        while (due := t0 + i / rate) < stop_at:
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            task = asyncio.create_task(make(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1

    await asyncio.gather(arrivals(RATE, report), arrivals(READS, read))
    if tasks:
        await asyncio.gather(*tasks)


async def sample(root: int, tracks: dict[int, Track], t0: float, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        alive = set(descendants(root))
        now = time.monotonic() - t0
        for pid in alive:
            if (kib := rss_kib(pid)) is None:
                continue
            if pid not in tracks:
                tracks[pid] = Track(pid, label(pid))
            tracks[pid].samples.append((now, kib))
        for pid, track in tracks.items():
            if pid not in alive:
                track.gone = True
        await asyncio.sleep(SAMPLE)


def verdicts(tracks: dict[int, Track], warmup: float) -> tuple[list[str], list[str]]:
    """Table rows and failures (pure on the samples, tested)."""
    rows = [
        "| process | pid | RSS at start MiB | after warm-up MiB | at end MiB | growth after warm-up MiB | "
        "peak MiB | budget | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    failures = []
    for track in sorted(tracks.values(), key=lambda t: (t.name, t.pid)):
        if not track.samples or not track.name:
            continue
        mib = lambda kib: kib / 1024  # noqa: E731
        peak = max(k for _, k in track.samples)
        settled = track.after(warmup)
        if track.name.endswith(" worker"):
            ok = mib(peak) <= WORKER_BUDGET_MB
            budget, growth = f"peak ≤ {WORKER_BUDGET_MB:g}", "–"
            start_w = end = "–"
            if not ok:
                failures.append(
                    f"{track.name} {track.pid}: peak {mib(peak):.0f} MiB > {WORKER_BUDGET_MB:g} MiB"
                )
        else:
            if len(settled) < 3:
                continue  # a short-lived helper (a shell, a probe): nothing to judge
            first, last = statistics.median(settled[:3]), statistics.median(settled[-3:])
            grew = mib(last - first)
            start_w, end, growth = f"{mib(first):.1f}", f"{mib(last):.1f}", f"{grew:+.1f}"
            judged = track.name not in ("s3 (moto)",)
            budget = f"≤ {BUDGET_MB:g}" if judged else "not judged"
            ok = not judged or grew <= BUDGET_MB
            if judged and grew > BUDGET_MB:
                failures.append(f"{track.name} {track.pid}: grew {grew:.1f} MiB > {BUDGET_MB:g} MiB")
            if judged and track.gone:
                ok = False
                failures.append(f"{track.name} {track.pid}: exited during the soak")
        rows.append(
            f"| {track.name} | {track.pid} | {mib(track.samples[0][1]):.1f} | {start_w} | {end} | {growth} | "
            f"{mib(peak):.1f} | {budget} | {'ok' if ok else 'FAIL'} |"
        )
    return rows, failures


async def soak() -> int:
    root = find_launcher()
    token = operator_token()
    print(
        f"hardware: {describe()}\nload average before: {load_average()}\ntarget: {URL}, launcher pid {root}"
    )
    print(
        f"load: {RATE:g} reports/s (1 in 10 urgent, the rest accepted by an operator, 1 in {PHOTO_EVERY} "
        "with a "
        f"photo), {READS:g} public reads/s, for {SECONDS:g} s; RSS every {SAMPLE:g} s, warm-up {WARMUP:g} s; "
        f"budget {BUDGET_MB:g} MiB growth per process, media workers peak ≤ {WORKER_BUDGET_MB:g} MiB",
        flush=True,
    )
    tracks: dict[int, Track] = {}
    outcomes = Outcomes()
    t0 = time.monotonic()
    stop_at = t0 + SECONDS
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    async with httpx.AsyncClient(base_url=URL, timeout=60, limits=limits) as client:
        progress = asyncio.create_task(_progress(tracks, outcomes, t0, stop_at))
        await asyncio.gather(drive(client, stop_at, outcomes, token), sample(root, tracks, t0, stop_at))
        progress.cancel()
    rows, failures = verdicts(tracks, WARMUP)
    print("\n## RSS per process\n" + "\n".join(rows))
    for pool in sorted({t.name for t in tracks.values() if t.name.endswith(" worker")}):
        workers = [t for t in tracks.values() if t.name == pool]
        print(
            f"\n{pool}s seen: {len(workers)} (replaced after their task quota), highest peak "
            f"{max(max(k for _, k in t.samples) for t in workers) / 1024:.1f} MiB"
        )
    print("\n## Answers\n" + "\n".join(f"- {k}: {v}" for k, v in sorted(outcomes.counts.items())))
    if outcomes.server_errors:
        failures.append(f"server errors or failed requests, e.g. {outcomes.server_errors[:3]}")
    if slow := sum(v for k, v in outcomes.counts.items() if " 503" in k or " 504" in k):
        print(f"\n{slow} answers were 503/504 (shed or timed out; load average {load_average()})")
    print(f"\nduration {time.monotonic() - t0:.0f} s; load average after: {load_average()}")
    print(
        "\n"
        + ("FAILED:\n- " + "\n- ".join(failures) if failures else "soak passed: every process within budget")
    )
    return 1 if failures else 0


async def _progress(tracks: dict[int, Track], outcomes: Outcomes, t0: float, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        await asyncio.sleep(60)
        total = sum(t.samples[-1][1] for t in tracks.values() if t.samples and not t.gone) / 1024
        print(
            f"[{time.monotonic() - t0:5.0f} s] processes {sum(not t.gone for t in tracks.values())}, RSS "
            "total "
            f"{total:.0f} MiB, answers {sum(outcomes.counts.values())}, failed "
            f"{len(outcomes.server_errors)}, load {load_average()}",
            flush=True,
        )


def main() -> int:
    return asyncio.run(soak())


if __name__ == "__main__":
    sys.exit(main())
