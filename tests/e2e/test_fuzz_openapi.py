"""The whole OpenAPI fuzzed with schemathesis against the running system (issue 13): public, citizen-token,
staff-token and Open311 operations; 0 server errors, every error in the edge's format
(tests/e2e/fuzz_hooks.py), every answer as documented, and the valid requests still succeeding after each
pass.

Each pass runs the schemathesis CLI (a process of its own: it must not share this eventlet-patched
interpreter) over a system of its own (vhost, database and bucket: the administrator pass changes the
directory) with a fixed derandomized generation (hypothesis' deterministic mode, a fixed seed per operation)
and no example database, so two runs send the same requests (HT_FUZZ_SEED=<n> draws random examples from seed
n instead). `make test` sends a few examples per operation (HT_FUZZ_EXAMPLES, default 3, with the coverage
phase's boundary cases when HT_FUZZ_PHASES says so); `make fuzz` sends enough for at least 10 000 cases."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from devtools.testing import TEST_ID, System, clean_env, seeded_database
from libs.auth.tokens import mint

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("HT_FUZZ_EXAMPLES", "3"))
PHASES = os.environ.get("HT_FUZZ_PHASES", "fuzzing")
SEED = os.environ.get("HT_FUZZ_SEED", "")  # unset: hypothesis' deterministic mode (derandomized, no database)
PASS_TIMEOUT = 900 if EXAMPLES <= 5 else 4 * 3600  # seconds for one pass (the long run: `make fuzz`)
CHECKS = "not_a_server_error,content_type_conformance,response_schema_conformance,error_format"
# Server-sent event streams never end: a request to them waits for the timeout whatever it sends.
STREAMS = r"/stream$|^/v1/staff/events$"
OFFICER_AGENCY = "UBND_18073"


@pytest.fixture(scope="module")
def fuzzed(stack, tmp_path_factory):
    """A system of its own (vhost, database, bucket), a real report with its tracking token, and a report's
    worth of valid data to request after each pass."""
    db = (
        make_url(stack.database_url)
        .set(database=f"hientruong_{TEST_ID}_fuzz")
        .render_as_string(hide_password=False)
    )
    engine = seeded_database(db)
    system = System(
        stack,
        tmp_path_factory.mktemp("fuzz-logs"),
        name="fuzz",
        DATABASE_URL=db,
        S3_BUCKET=f"hientruong-{TEST_ID}-fuzz".replace("_", "-"),
    )
    try:
        system.start()
        system.workdir = tmp_path_factory.mktemp("fuzz")
        with httpx.Client(base_url=system.base_url, timeout=60) as http:
            system.report = submit(http)
            # Read once here (schemathesis' own schema request gives up after 10 s, a loaded machine's minute)
            schema = http.get("/openapi.json")
            assert schema.status_code == 200, schema.text[:300]
            system.schema = system.workdir / "openapi.json"
            system.schema.write_bytes(schema.content)
        yield system
    finally:
        system.stop()
        engine.dispose()


def submit(http: httpx.Client) -> dict:
    answer = http.post(
        "/v1/reports",
        headers={"Idempotency-Key": f"fuzz-{uuid.uuid4().hex}"},
        json={
            "category": "GIAO_THONG_HA_TANG",
            "description": "Ổ gà lớn trước chợ, xe máy dễ ngã (fuzz)",
            "location": {"lat": 18.3428, "lon": 105.9057},
            "reporter": {"phone": "0912345678"},
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def bearer(system: System, role: str, agency: str | None = None) -> str:
    token = mint(f"fuzz-{role}", role, system.stack.secrets["HT_JWT_SECRET"], agency=agency)
    return f"Authorization: Bearer {token}"


def schemathesis(system: System, name: str, *args: str, config: str = "") -> tuple[int, str]:
    """One schemathesis pass; its exit code and output (with the summary).

    Long polls (`wait`, up to 30 s) are asked not to wait: a fuzzed `wait` would only make the pass slower.
    schemathesis' cache of earlier failures (replayed first by default) is off: a run sends only its own
    cases."""
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        str(system.schema),
        "--url",
        system.base_url,
        "-n",
        str(EXAMPLES),
        *(
            ["--seed", SEED, "--generation-database", "none"] if SEED else ["--generation-deterministic"]
        ),  # which implies no example database
        "--phases",
        PHASES,
        "-w",
        "1",
        "--request-timeout",
        "60",
        "-c",
        CHECKS,
        "--no-color",
        "--suppress-health-check",
        "all",
        "--exclude-path-regex",
        STREAMS,
        "--max-failures",
        "20",
        *args,
    ]
    path = system.workdir / f"{name}.toml"
    path.write_text(
        '[parameters]\n"query.wait" = 0\n' + config + "\n[cache]\nenabled = false\n"
    )  # no replays
    cmd[1:1] = ["--config-file", str(path)]  # an option of the program, before `run`
    env = clean_env(SCHEMATHESIS_HOOKS="tests.e2e.fuzz_hooks", PYTHONPATH=str(ROOT), COLUMNS="160")
    # cwd: a directory of this run, so that nothing schemathesis or hypothesis might write lands in the
    # checkout
    done = subprocess.run(
        cmd, cwd=system.workdir, env=env, capture_output=True, text=True, timeout=PASS_TIMEOUT, check=False
    )  # the exit code is asserted by the test, with the output
    return done.returncode, done.stdout + done.stderr


def cases_of(output: str) -> int:
    """The number of test cases a pass sent, from schemathesis' summary (pure, tested)."""
    found = re.search(r"Test cases:\s*\n?\s*([\d,]+) generated", output)
    return int(found.group(1).replace(",", "")) if found else 0


def valid_requests_succeed(system: System) -> None:
    """What a citizen, an operator and an Open311 client do every day still works after a pass."""
    operator = {"Authorization": bearer(system, "operator").split(": ", 1)[1]}
    ref = system.report
    own = {"X-Tracking-Token": ref["tracking_token"]}
    with httpx.Client(base_url=system.base_url, timeout=30) as http:
        for path, headers in [
            ("/v1/categories", {}),
            ("/v1/reports?limit=5", {}),
            ("/v1/reports.geojson", {}),
            ("/v1/stats", {}),
            ("/open311/v2/services.json", {}),
            ("/open311/v2/requests.json", {}),
            (f"/v1/reports/{ref['id']}", own),
            ("/v1/operator/queue", operator),
        ]:
            answer = http.get(path, headers=headers)
            assert answer.status_code == 200, (
                f"GET {path} after fuzzing: {answer.status_code} {answer.text[:300]}"
            )
        assert submit(http)["id"]


PASSES = {
    # anonymous: public, Open311 and citizen operations with random ids, every staff operation without a token
    "anonymous": lambda s: ([], ""),
    "citizen": lambda s: (
        [
            "-H",
            f"X-Tracking-Token: {s.report['tracking_token']}",
            "--include-path-regex",
            r"^/v1/(reports|media)/\{",
        ],
        f'"path.report_id" = "{s.report["id"]}"\n',
    ),
    "operator": lambda s: (
        ["-H", bearer(s, "operator"), "--include-path-regex", r"^/v1/(operator|notify|stats)"],
        f'"path.report_id" = "{s.report["id"]}"\n',
    ),
    "agency officer": lambda s: (
        ["-H", bearer(s, "agency_officer", OFFICER_AGENCY), "--include-path-regex", r"^/v1/agency"],
        "",
    ),
    "administrator": lambda s: (
        ["-H", bearer(s, "administrator"), "--include-path-regex", r"^/v1/admin"],
        "",
    ),
}


@pytest.mark.timeout(PASS_TIMEOUT + 300)
@pytest.mark.parametrize("name", list(PASSES))
def test_fuzzing_finds_no_server_error_and_no_error_out_of_format(fuzzed, name):
    args, config = PASSES[name](fuzzed)
    code, output = schemathesis(fuzzed, name.replace(" ", "_"), *args, config=config)
    print(output[-3000:])
    assert cases_of(output) > 0, f"the {name} pass sent nothing:\n{output[-3000:]}"
    assert code == 0, f"the {name} pass failed:\n{output[-8000:]}"
    valid_requests_succeed(fuzzed)
