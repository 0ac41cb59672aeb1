"""Issue 17: `make run` on a machine whose broker and database do not answer brings up private ones.

The launcher (`python -m devtools.devrun`, what `make run` executes) runs with AMQP_URI and DATABASE_URL on
closed ports and HT_PRIVATE_ENGINES=1, in a run directory of its own (HT_RUN_DIR; `.run/` of a checkout
otherwise): it starts PostgreSQL under <run>/pg and RabbitMQ under <run>/rabbitmq, the system becomes ready, a
report is routed; on SIGTERM (what Ctrl-C amounts to) nothing is left running, and a second start finds the
report again in the kept data.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest

from devtools import devstack
from devtools.testing import wait_for
from libs.platform import engines

pytestmark = pytest.mark.e2e

START_TIMEOUT = 240  # two engines, migrations, seed, six services and the gateway on a loaded 2-core machine


@pytest.fixture
def bare(tmp_path):
    """A run directory outside the checkout (0755: PostgreSQL's own user must reach it when tests run as
    root)."""
    top = Path(tempfile.mkdtemp(prefix="ht-bare-"))
    top.chmod(0o755)
    launcher = Launcher(top / "run", tmp_path)
    try:
        yield launcher
    finally:
        launcher.stop()
        for pid in engines.leftover_processes(launcher.run_dir, pids_only=True):  # only after a failure
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(top, ignore_errors=True)


class Launcher:
    """`make run`'s launcher as a process, with the settings of a machine where nothing answers."""

    def __init__(self, run_dir: Path, logs: Path):
        self.run_dir, self.logs, self.proc, self.starts = run_dir, logs, None, 0
        self.port = devstack.free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        closed_amqp, closed_pg = devstack.free_port(), devstack.free_port()  # nothing listens there
        # Only the essentials of this shell's environment (no S3_ENDPOINT, keys, ports or engine settings of
        # the test session leak in), plus what a machine with nothing running amounts to.
        essential = (
            "PATH",
            "HOME",
            "USER",
            "LOGNAME",
            "LANG",
            "LANGUAGE",
            "LC_ALL",
            "LC_CTYPE",
            "TZ",
            "TMPDIR",
        )
        self.env = {
            **{k: os.environ[k] for k in essential if k in os.environ},
            "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{closed_amqp}/",
            "DATABASE_URL": f"postgresql+psycopg2://postgres@127.0.0.1:{closed_pg}/hientruong",
            "HT_PRIVATE_ENGINES": "1",
            "HT_RUN_DIR": str(run_dir),
            "GATEWAY_PORT": str(self.port),
            "AUTO_ACCEPT_CATEGORIES": "GIAO_THONG_HA_TANG",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
            "RPC_TIMEOUT_S": "10",
        }

    def start(self) -> None:
        self.starts += 1
        self.log = self.logs / f"devrun-{self.starts}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "devtools.devrun"],
                cwd=devstack.ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self.ready, bool, timeout=START_TIMEOUT, what=f"the system to be ready ({self.log})")

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"the launcher exited ({self.proc.returncode}): {self.output()[-3000:]}")
        try:
            return httpx.get(f"{self.base_url}/ready", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> float:
        """SIGTERM to the launcher (as `kill` or a supervisor would; Ctrl-C is SIGINT to the whole group)."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            pytest.fail(f"the launcher did not stop within 120 s: {self.output()[-3000:]}")
        return time.monotonic() - began


@pytest.mark.timeout(2 * START_TIMEOUT + 120)  # two starts; usually 1-2.5 min in all
def test_make_run_brings_up_private_engines_stops_them_and_keeps_their_data(bare):
    began = time.monotonic()
    bare.start()
    # The summary printed when the system is ready says what it runs on and where the logs are.
    out = wait_for(bare.output, lambda text: "==> Ctrl-C stops everything" in text, what="the ready summary")
    assert "==> broker: private RabbitMQ 127.0.0.1:" in out, out
    assert f"logs {bare.run_dir / 'rabbitmq' / 'log'}" in out, out
    assert "==> database: private PostgreSQL 127.0.0.1:" in out, out
    assert f"log {bare.run_dir / 'pg' / 'postgresql.log'}" in out, out
    assert "==> object store: local S3 server (moto) http://127.0.0.1:" in out, out
    assert f"log {bare.run_dir / 's3.log'}" in out, out
    assert (bare.run_dir / "pg" / "data" / "PG_VERSION").exists()
    assert list((bare.run_dir / "rabbitmq" / "mnesia").iterdir())
    first_start = time.monotonic() - began

    with httpx.Client(base_url=bare.base_url, timeout=20) as client:
        created = client.post(
            "/v1/reports",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={
                "category": "GIAO_THONG_HA_TANG",
                "description": "Ổ gà sâu giữa đường, nguy hiểm cho xe máy",
                "location": {"lat": 18.3419, "lon": 105.903},
            },
        )
        assert created.status_code == 201, created.text
        report_id = created.json()["id"]
        view = wait_for(
            lambda: client.get(f"/v1/reports/{report_id}").json(),
            lambda v: v.get("status") == "DA_CHUYEN_XU_LY",
            timeout=60,
            what="the report routed",
        )
        assert view["agency_code"] == "UBND_18073", view

    stopped_in = bare.stop()
    assert bare.proc.returncode in (0, 130, -signal.SIGTERM), bare.output()[-3000:]
    # Every process of the private engines is gone: by their pid files and by a scan of every command line.
    assert engines.leftover_processes(bare.run_dir) == [], bare.output()[-3000:]

    began = time.monotonic()
    bare.start()  # the same directory: the cluster and the node are started again with their data
    second_start = time.monotonic() - began
    with httpx.Client(base_url=bare.base_url, timeout=20) as client:
        again = client.get(f"/v1/reports/{report_id}")
        assert again.status_code == 200 and again.json()["status"] == "DA_CHUYEN_XU_LY", again.text
    bare.stop()
    assert engines.leftover_processes(bare.run_dir) == []
    print(
        f"\nbare machine: first start {first_start:.0f} s, stop {stopped_in:.0f} s, "
        f"second start {second_start:.0f} s"
    )
