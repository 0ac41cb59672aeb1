"""The test harness itself: processes it starts see only what the tests set, and never outlive the test
session."""

from __future__ import annotations

import os
import subprocess
import sys

from devtools import devstack
from devtools.testing import SESSION_MARK, Stack, System, clean_env, kill_orphans

CALLERS_SHELL = {
    "AUTO_ACCEPT_CATEGORIES": "*",
    "AUTO_ACCEPT_CHANNELS": "hotline",
    "RATE_LIMITS": "off",
    "LOG_LEVEL": "DEBUG",
    "NOTIFY_QUIET_HOURS": "off",
}


def a_stack() -> Stack:
    return Stack(
        "amqp://guest:guest@127.0.0.1:5672/hientruong_x",
        "postgresql+psycopg2://postgres@127.0.0.1/x",
        "http://127.0.0.1:9",
        {"HT_JWT_SECRET": "k" * 48},
        engine=None,
    )


def test_service_processes_ignore_settings_exported_in_the_callers_shell(monkeypatch, tmp_path):
    for key, value in CALLERS_SHELL.items():
        monkeypatch.setenv(key, value)
    system = System(a_stack(), tmp_path)
    env = system.env("intake")
    assert set(CALLERS_SHELL).isdisjoint(env), sorted(set(CALLERS_SHELL) & set(env))
    assert (
        env["PATH"] == os.environ["PATH"]
        and env["AMQP_URI"] == system.amqp_uri
        and env["LOG_FORMAT"] == "json"
    )
    assert set(env) <= {
        *os.environ.keys(),
        *a_stack().env(),
        "GATEWAY_PORT",
        "PYTHONWARNINGS",
        "RPC_TIMEOUT_S",
        "LOG_FORMAT",
        "METRICS_PORT",
        "READ_CACHE_TTL_S",
        SESSION_MARK,
    }


def test_the_gateway_runs_without_its_read_cache_unless_a_test_turns_it_on(tmp_path):
    system = System(a_stack(), tmp_path)
    assert system.env("gateway")["READ_CACHE_TTL_S"] == "0"
    system.settings["gateway"] = {"READ_CACHE_TTL_S": "1"}
    assert system.env("gateway")["READ_CACHE_TTL_S"] == "1"


def test_a_test_gives_one_process_its_settings_and_takes_them_back(tmp_path):
    system = System(a_stack(), tmp_path, AUTO_ACCEPT_URGENT="false", DATABASE_URL="postgresql://elsewhere/db")
    system.settings["notify"] = {"NOTIFY_QUIET_HOURS": "off"}
    assert system.env("notify")["NOTIFY_QUIET_HOURS"] == "off" and "NOTIFY_QUIET_HOURS" not in system.env(
        "intake"
    )
    assert (
        system.env("intake")["AUTO_ACCEPT_URGENT"] == "false"
    )  # the system's own overrides win over the stack's
    assert system.env("intake")["DATABASE_URL"] == "postgresql://elsewhere/db"


def test_the_suites_gateway_has_no_client_limits_unless_a_test_restarts_it_with_some(tmp_path):
    system = System(a_stack(), tmp_path)
    assert system.env("gateway")["ADMISSION_READ_BURST"] == "0" and "ADMISSION_READ_BURST" not in system.env(
        "intake"
    )
    system.settings["gateway"] = {"ADMISSION_READ_BURST": "60"}
    assert system.env("gateway")["ADMISSION_READ_BURST"] == "60"


def test_in_process_services_read_their_config_without_the_callers_shell(monkeypatch):
    for key, value in CALLERS_SHELL.items():
        monkeypatch.setenv(key, value)
    before = dict(os.environ)
    config = a_stack().service_config("intake")
    assert config["AUTO_ACCEPT_CATEGORIES"] == "" and config["AUTO_ACCEPT_CHANNELS"] == ""
    assert config["LOGGING"]["root"]["level"] == "INFO" and "off" not in config["RATE_LIMITS"]
    assert a_stack().service_config("intake", AUTO_ACCEPT_CATEGORIES="*")["AUTO_ACCEPT_CATEGORIES"] == "*"
    assert dict(os.environ) == before  # the caller's environment is given back


# Run as a subreaper (orphans come to it, not to an init that may reap or kill them on its own): start a test
# process that starts a child through the harness and dies at once; say in how many seconds the child died.
SUBREAPER = """
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
code = "import os; from devtools.testing import clean_env, spawn; " \\
       "child = spawn(['sleep', '120'], clean_env()); print(child.pid, flush=True); os._exit(0)"
out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
child, started = int(out.split()[-1]), time.monotonic()
while time.monotonic() - started < 10:
    pid, _ = os.waitpid(child, os.WNOHANG)
    if pid == child:
        print("died", round(time.monotonic() - started, 2))
        break
    time.sleep(0.05)
else:
    os.kill(child, 9)
    print("survived")
"""


def test_a_child_of_the_harness_dies_when_the_test_process_dies_abruptly():
    """As when pytest-timeout ends the session with os._exit, or the runner is killed: no atexit runs."""
    done = subprocess.run(
        [sys.executable, "-c", SUBREAPER],
        cwd=devstack.ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "died", done.stdout


def test_a_process_left_by_a_dead_session_is_killed_and_a_live_sessions_is_not():
    dead = 2**22 + 7  # above Linux's largest pid: a session that is not running
    orphan = subprocess.Popen(["sleep", "120"], env={**clean_env(), SESSION_MARK: f"harness-test:{dead}"})
    alive = subprocess.Popen(
        ["sleep", "120"], env={**clean_env(), SESSION_MARK: f"harness-test:{os.getpid()}"}
    )
    try:
        assert kill_orphans("harness-test") == [orphan.pid]
        assert orphan.wait(10) == -9 and alive.poll() is None
    finally:
        for proc in (orphan, alive):
            proc.kill()
            proc.wait(10)
