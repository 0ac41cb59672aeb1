"""The map feed with 50 000 public reports: seeds synthetic public reports straight into intake's tables of a
scratch database, runs `intake_reads` and a gateway over it (a vhost of its own), and measures `GET
/v1/reports.geojson?bbox=…&zoom=…` at several zooms with `ab -k -c 32`, plus the payload bytes (plain and
gzip) and the query time (EXPLAIN ANALYZE of the SQL the feed runs); then the public list's bytes and req/s in
its full and compact forms (each report seeded with a three-step public timeline, as a routed case has).

The gateway runs with its read cache off (`READ_CACHE_TTL_S=0`) unless BENCH_CACHE=1 (logs:
`.run/map50k.log`): every request is a query, the cost a map pan to a new box pays. Prints the hardware and
the load average before and after. Settings: DATABASE_URL's server (the scratch database is `ht_map50k`,
dropped and re-created unless BENCH_KEEP=1 and it already holds the reports), AMQP_URI (vhost `ht_map50k`),
BENCH_REPORTS (50000), BENCH_AB_CONCURRENCY (32), BENCH_READ_SECONDS (8). Run: `python bench/map50k.py` (no
other part of the system is needed)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import ab  # noqa: E402
from bench.hardware import describe, load_average  # noqa: E402
from devtools import devstack  # noqa: E402
from libs.contracts.search import SearchReports  # noqa: E402
from libs.platform import migrate  # noqa: E402
from services.intake.repository import search as queries  # noqa: E402
from services.intake.usecases import public_reads  # noqa: E402

DB_NAME = "ht_map50k"
REPORTS = int(os.environ.get("BENCH_REPORTS", "50000"))
CONCURRENCY = int(os.environ.get("BENCH_AB_CONCURRENCY", "32"))
SECONDS = float(os.environ.get("BENCH_READ_SECONDS", "8"))
# (zoom, bbox west,south,east,north): a 360×740 phone's view around Hà Nội, the whole country at zoom 5
VIEWS = (
    (5, (101.0, 7.5, 112.0, 23.5)),
    (8, (104.8, 20.2, 106.8, 22.0)),
    (11, (105.6, 20.9, 106.1, 21.15)),
    (13, (105.80, 20.99, 105.92, 21.06)),
    (15, (105.835, 21.015, 105.865, 21.045)),
    (17, (105.845, 21.025, 105.853, 21.033)),
)
CATEGORIES = (
    "MOI_TRUONG_RAC",
    "GIAO_THONG_HU_HONG",
    "CHIEU_SANG",
    "CAP_THOAT_NUOC",
    "TRAT_TU_DO_THI",
    "KHAC",
)
STATUSES = ("DA_CHUYEN_XU_LY", "DANG_XU_LY", "DA_XU_LY", "DA_CONG_KHAI", "DA_DANH_GIA", "DONG")
# 70 % around three cities (Hà Nội, TP HCM, Đà Nẵng), 30 % spread over the country's box
SEED_SQL = """
INSERT INTO intake.reports (id, code, category, description, lat, lon, priority, status, channel,
    ward_approximate,
                            created_at, updated_at, verified_at)
SELECT gen_random_uuid(), 'BENCH-' || i, (:categories)[1 + i % 6],
       'Phản ánh thử nghiệm số ' || i || ': rác thải và nước đọng trên vỉa hè gây mất vệ sinh khu dân cư',
       CASE WHEN c < 0.3 THEN 21.03 + (random() - 0.5) * 0.3 WHEN c < 0.55 THEN 10.78 + (random() - 0.5) * 0.3
            WHEN c < 0.7 THEN 16.05 + (random() - 0.5) * 0.2 ELSE 8.6 + random() * 14.5 END,
       CASE WHEN c < 0.3 THEN 105.85 + (random() - 0.5) * 0.3 WHEN c < 0.55 THEN 106.70 + (random() - 0.5)
           * 0.3
            WHEN c < 0.7 THEN 108.20 + (random() - 0.5) * 0.2 ELSE 102.2 + random() * 7.2 END,
       'BINH_THUONG', (:statuses)[1 + (i / 7) % 6], 'web', true,
       now() - make_interval(mins => i), now() - make_interval(mins => i), now() - make_interval(mins => i)
FROM (SELECT i, random() AS c FROM generate_series(1, :n) AS i) AS g
"""
# each report's public timeline as a routed case has it: submitted, accepted with a note, routed
TIMELINE_SQL = """
INSERT INTO intake.timeline (report_id, at, actor_role, from_status, to_status, note, action)
SELECT r.id, r.created_at + s.after, s.role, s.from_status, s.to_status, s.note, s.action
FROM intake.reports AS r CROSS JOIN (VALUES
    (interval '0 min', 'citizen', NULL, 'CHO_TIEP_NHAN', NULL, 'submit'),
    (interval '5 min', 'operator', 'CHO_TIEP_NHAN', 'DA_TIEP_NHAN',
     'Đã xác minh thông tin phản ánh, chuyển cơ quan có thẩm quyền xử lý', 'accept'),
    (interval '6 min', 'system', 'DA_TIEP_NHAN', 'DA_CHUYEN_XU_LY', 'Chuyển đến UBND phường theo địa bàn',
        'route')
) AS s(after, role, from_status, to_status, note, action)
"""


def scratch_url() -> str:
    return make_url(migrate.database_url()).set(database=DB_NAME).render_as_string(hide_password=False)


def seed(url: str) -> int:
    """A fresh database with `REPORTS` public reports (kept with BENCH_KEEP=1 when it already has them)."""
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    engine = sa.create_engine(url)
    if os.environ.get("BENCH_KEEP") == "1":
        try:
            with engine.connect() as db:
                have = db.execute(sa.text("SELECT count(*) FROM intake.reports")).scalar_one()
            if have >= REPORTS:
                return have
        except sa.exc.DBAPIError:
            pass
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
    os.environ["DATABASE_URL"] = url
    migrate.main(["intake"])
    engine = sa.create_engine(url)
    started = time.monotonic()
    with engine.begin() as db:
        db.execute(
            sa.text(SEED_SQL).bindparams(
                sa.bindparam("categories", type_=postgresql.ARRAY(sa.Text)),
                sa.bindparam("statuses", type_=postgresql.ARRAY(sa.Text)),
            ),
            {"categories": list(CATEGORIES), "statuses": list(STATUSES), "n": REPORTS},
        )
        db.execute(sa.text(TIMELINE_SQL))
    with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as db:
        db.execute(sa.text("VACUUM ANALYZE intake.reports"))
    print(f"seeded {REPORTS} public reports in {time.monotonic() - started:.1f} s")
    return REPORTS


def search_of(bbox) -> SearchReports:
    return SearchReports(bbox=bbox, public_only=True)


def explain(url: str) -> dict[int, str]:
    """EXPLAIN ANALYZE of each view's SQL: the execution time and the plan's first node."""
    engine = sa.create_engine(url)
    found = {}
    with engine.connect() as db:
        for zoom, bbox in VIEWS:
            q = search_of(bbox)
            stmt = (
                queries.map_cells_query(q, public_reads.cell_size(zoom))
                if zoom < public_reads.POINTS_FROM_ZOOM
                else queries.map_points_query(q, public_reads.MAX_POINTS + 1)
            )
            sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            for _ in range(3):  # warm
                db.execute(sa.text(sql)).all()
            plan = [r[0] for r in db.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql))]
            execution = next(line for line in plan if line.startswith("Execution Time"))
            scans = [line.strip().split("  (")[0].lstrip("-> ") for line in plan if "Scan" in line]
            found[zoom] = f"{execution.split(':')[1].strip()}; {', '.join(scans)}"
    return found


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            probe = f"{url}/v1/reports.geojson?bbox=105.84,21.02,105.85,21.03&zoom=16"
            with urllib.request.urlopen(probe, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the gateway or intake_reads did not answer")


def sizes(url: str) -> tuple[int, int, int, bool]:
    """(plain bytes, gzip bytes, features, truncated) of one view."""
    with urllib.request.urlopen(url, timeout=30) as resp:
        body = resp.read()
    doc = json.loads(body)
    return len(body), len(gzip.compress(body, 6)), len(doc["features"]), doc["truncated"]


def main() -> int:
    print(f"hardware: {describe()}")
    print(f"load average before: {load_average()}")
    url = scratch_url()
    seed(url)
    devstack.ensure_vhost(DB_NAME, fresh=True)
    amqp = devstack.amqp_uri_for(os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"), DB_NAME)
    port = devstack.free_port()
    env = {
        **os.environ,
        **devstack.generate_secrets(),
        "DATABASE_URL": url,
        "AMQP_URI": amqp,
        "GATEWAY_PORT": str(port),
        "READ_CACHE_TTL_S": "1" if os.environ.get("BENCH_CACHE") == "1" else "0",
        "ADMISSION_MAX_IN_FLIGHT_READS": os.environ.get("ADMISSION_MAX_IN_FLIGHT_READS", "64"),
        "EVENTLET_TESTS": "1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "METRICS_PORT": str(devstack.free_port()),
    }
    (ROOT / ".run").mkdir(exist_ok=True)
    logs = open(ROOT / ".run" / "map50k.log", "w")
    procs = [
        subprocess.Popen(
            devstack.service_command("intake_reads"), env=env, cwd=ROOT, stdout=logs, stderr=subprocess.STDOUT
        ),
        subprocess.Popen(
            devstack.gateway_command(), env=env, cwd=ROOT, stdout=logs, stderr=subprocess.STDOUT
        ),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base)
        plans = explain(url)
        print(
            f"\n{REPORTS} public reports; ab -k -c {CONCURRENCY} -t {SECONDS:g}; read cache "
            f"{'on' if env['READ_CACHE_TTL_S'] != '0' else 'off'}\n"
        )
        print(
            "| zoom | mode | features | req/s | p50 / p99 ms | errors | bytes (gzip) | query (EXPLAIN "
            "ANALYZE) |"
        )
        print("|---|---|---|---|---|---|---|---|")
        urls = {
            zoom: f"{base}/v1/reports.geojson?bbox={','.join(map(str, bbox))}&zoom={zoom}"
            for zoom, bbox in VIEWS
        }
        measured = {zoom: sizes(path) for zoom, path in urls.items()}  # before ab leaves a backlog behind
        lists = (
            "/v1/reports?limit=20",
            "/v1/reports?limit=20&view=compact",
            "/v1/reports",
            "/v1/reports?view=compact",
        )
        listed = {}
        for path in lists:
            with urllib.request.urlopen(base + path, timeout=30) as resp:
                listed[path] = resp.read()
        for zoom, path in urls.items():
            plain, packed, features, truncated = measured[zoom]
            time.sleep(2)  # the previous path's backlog drains
            result = ab.run(path, CONCURRENCY, SECONDS)
            mode = "clusters" if zoom < public_reads.POINTS_FROM_ZOOM else "points"
            label = f"{zoom} (cache {'on' if env['READ_CACHE_TTL_S'] != '0' else 'off'})"
            print(
                f"| {label} | {mode} | {features}{' (truncated)' if truncated else ''} | {result.rps:,.0f} | "
                f"{result.p50_ms:.0f} / {result.p99_ms:.0f} | {result.errors} | {plain:,} ({packed:,}) | "
                f"{plans[zoom]} |",
                flush=True,
            )
        print("\n| list | bytes (gzip) | req/s | p50 / p99 ms |\n|---|---|---|---|")
        for path in lists:
            body = listed[path]
            time.sleep(2)
            result = ab.run(base + path, CONCURRENCY, SECONDS)
            print(
                f"| `{path}` | {len(body):,} ({len(gzip.compress(body, 6)):,}) | {result.rps:,.0f} | "
                f"{result.p50_ms:.0f} / {result.p99_ms:.0f} |",
                flush=True,
            )
        print(f"\nload average after: {load_average()}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
