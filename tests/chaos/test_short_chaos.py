"""The short fault suite in `make test`: the same harness as `make chaos` (python -m tests.chaos) for about 75
seconds of faults (longer until each kind ran once); the checker must find nothing lost, nothing duplicated,
everything drained. Runs as a separate process: the harness is plain threads, outside the suite's eventlet."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# About 3.5 minutes on this 2-core machine when it runs little else; much more when other suites load it.
BOUND_S = 540


@pytest.mark.e2e
@pytest.mark.timeout(720)
def test_faults_lose_and_duplicate_nothing(tmp_path):
    report = tmp_path / "chaos.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CHAOS_", "AMQP_URI", "DATABASE_URL"))},
        "CHAOS_DURATION_S": "75",
        "CHAOS_RATE": "1.5",
        "CHAOS_FAULT_GAP_S": "2.5",
        "CHAOS_KILLS_PER_ROUND": "7",
        "CHAOS_SEED": "13",
        "CHAOS_DRAIN_S": "120",
        "CHAOS_REPORT": str(report),
        "HT_PRIVATE_ENGINES": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.chaos"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out, _ = proc.communicate(timeout=BOUND_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # the harness stops its processes and private engines on the way out
        out, _ = proc.communicate(timeout=120)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, "")
    assert report.exists(), done.stdout[-6000:]
    figures = json.loads(report.read_text())
    if os.environ.get("CHAOS_SHORT_REPORT"):  # where to keep the figures of this run
        Path(os.environ["CHAOS_SHORT_REPORT"]).write_text(report.read_text())
    detail = (
        json.dumps(figures, ensure_ascii=False, indent=1) + "\n" + done.stdout[-3000:] + done.stderr[-2000:]
    )
    assert figures["problems"] == [], detail
    assert (figures["lost"], figures["duplicated"]) == (0, 0), detail
    assert figures["left after drain"] == {}, detail
    assert set(figures["faults injected"]) == {"kill", "connections", "broker", "postgres", "slow_db"}, detail
    assert figures["faults that could not be injected"] == [], detail
    assert figures["reports answered 201"] > 0 and figures["staff workflows finished"] > 0, detail
    assert done.returncode == 0, detail
