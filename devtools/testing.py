"""pytest fixtures for the interface and end-to-end rings: real RabbitMQ, PostgreSQL and an S3 server.

Tests get their own RabbitMQ vhost and their own database (`hientruong_<HT_TEST_ID>`, default `test`),
recreated at the start of each session, so a `make run` on the same machine never shares messages or rows.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import re
import signal
import subprocess
import time
import urllib.request
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url

from libs.platform import engines, migrate

from . import devstack

engines.for_tests(devstack.ROOT)  # the configured broker/database, or private ones when none answers
BASE_AMQP = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
BASE_DB = os.environ.get("DATABASE_URL", migrate.DEFAULT_DATABASE_URL)
TEST_ID = os.environ.get("HT_TEST_ID", "test")

# What a process the tests start keeps of the caller's environment: how to find programs, home, locale, time
# zone, temporary directory. Nothing else: a setting exported in the caller's shell
# (AUTO_ACCEPT_CATEGORIES='*', RATE_LIMITS=off, LOG_LEVEL...) must not change what a test checks; a test sets
# what it relies on.
ESSENTIAL_ENV = (
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
    "LD_LIBRARY_PATH",
    "SYSTEMROOT",
    engines.CTL_ENV,
    "HT_RUN_DIR",
)  # the last two: which private engines
LOG_TAIL_LINES = 60
BOUND_PORT = {
    False: re.compile(r"metrics and health on http://[^:/]+:(\d+)"),  # a service (libs.platform.telemetry)
    True: re.compile(r"Uvicorn running on http://[^:/]+:(\d+)"),
}  # the gateway  # of each service's log, printed under a failed end-to-end or interface test


SESSION_MARK = (
    "HT_TEST_SESSION"  # every process the tests start (and its children) carries "<test id>:<pytest pid>"
)


def clean_env(**settings: str) -> dict[str, str]:
    """The environment of a process the tests start: the essentials of the caller's environment plus
    `settings`, and the session mark (which finds it again should it ever outlive its session)."""
    return {
        **{k: os.environ[k] for k in ESSENTIAL_ENV if k in os.environ},
        **settings,
        SESSION_MARK: f"{TEST_ID}:{os.getpid()}",
    }


def kill_orphans(test_id: str = TEST_ID) -> list[int]:
    """Kill processes an earlier session of this test id started and left behind (its pytest process is gone):
    a service that survived would join this session's vhost and answer in its place. Returns their pids."""
    prefix, killed = f"{SESSION_MARK}={test_id}:".encode(), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            marks = [v for v in (proc / "environ").read_bytes().split(b"\0") if v.startswith(prefix)]
        except OSError:
            continue
        if not marks:
            continue
        owner = int(marks[0][len(prefix) :] or 0)
        if owner == os.getpid() or (owner and Path(f"/proc/{owner}").exists()):
            continue  # ours, or a session still running
        try:
            os.kill(int(proc.name), signal.SIGKILL)
            killed.append(int(proc.name))
        except (ProcessLookupError, PermissionError):
            pass
    return killed


# ---- children that die with the test session

_children: weakref.WeakSet[subprocess.Popen] = weakref.WeakSet()
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int):
    """preexec_fn: the kernel sends SIGKILL to the child when the test process dies, however it dies
    (pytest-timeout's os._exit, a crash, kill -9); if the parent is already gone, exit at once."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)  # looked up before the fork

    def preexec() -> None:
        if prctl is not None:  # Linux; elsewhere the atexit and signal clean-up still run
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def spawn(
    cmd: list[str],
    env: dict[str, str],
    log_path: Path | None = None,
    mode: str = "wb",
    cwd: Path | None = None,
) -> subprocess.Popen:
    """Start a child of the test session: its own process group (so its own children can be stopped with it),
    dies with the test process, stopped at exit; stdout and stderr to `log_path` (appended with mode "ab")."""
    _install_cleanup()
    out = open(log_path, mode) if log_path is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd or devstack.ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
    finally:
        if log_path is not None:
            out.close()  # the child has its own copy
    _children.add(proc)
    return proc


def stop_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM the child (it stops its own children), SIGKILL its whole process group after it exited or after
    `grace` seconds, and reap it."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(proc, signal.SIGKILL)  # the child's own children too (pool workers, trackers)
    proc.wait(10)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_children(*_args) -> None:
    for proc in list(_children):
        _signal_group(proc, signal.SIGKILL)


_installed = False


def _install_cleanup() -> None:
    """At exit, and on SIGTERM/SIGHUP (then the previous handler runs): every child's group is killed."""
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(_kill_children)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(sig)

        def handler(signum, frame, previous=previous):
            _kill_children()
            if callable(previous):
                previous(signum, frame)
            else:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread
            pass


@dataclass
class Stack:
    """Addresses and secrets of the test infrastructure."""

    amqp_uri: str
    database_url: str
    s3_endpoint: str
    secrets: dict[str, str]
    engine: sa.Engine
    procs: list = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment variables for a service process or a config file."""
        return {
            "AMQP_URI": self.amqp_uri,
            "DATABASE_URL": self.database_url,
            "S3_ENDPOINT": self.s3_endpoint,
            "S3_ACCESS_KEY": devstack.S3_ACCESS_KEY,
            "S3_SECRET_KEY": devstack.S3_SECRET_KEY,
            "S3_BUCKET": f"hientruong-{TEST_ID}".replace("_", "-"),
            **self.secrets,
            **extra,
        }

    def service_config(self, service: str, **extra: str) -> dict:
        """The service's own config.yml, resolved with the test environment (as `nameko run` would)."""
        from nameko.cli.main import setup_yaml_parser

        setup_yaml_parser()
        saved = dict(os.environ)
        os.environ.clear()  # ${VAR:default} falls back to the file's default, never to the caller's shell
        os.environ.update(clean_env(**self.env(**extra)))
        try:
            text = (devstack.ROOT / devstack.service_entry(service)[0]).read_text()
            return yaml.safe_load(text)
        finally:
            os.environ.clear()
            os.environ.update(saved)


def wait_for(fetch, predicate, timeout: float = 20.0, what: str = "condition", sleep=time.sleep):
    """Poll `fetch()` until `predicate(value)`; fail the test with the last value after `timeout` seconds.

    `sleep` waits between polls. A test whose Playwright route handlers must run meanwhile passes the page's
    `wait_for_timeout`: the sync Playwright API dispatches events only while the test thread is inside a
    Playwright call, so a plain `time.sleep` would hold an intercepted request until the wait times out."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}: {value!r}")
        sleep(0.2)


def unique_ip() -> str:
    """A client address no other test draws (10.0.0.0/8 from a random 24-bit number, then counted up
    in-process): rate limits and throttles count per address, so a test that counts must not share one by
    chance."""
    global _NEXT_IP
    _NEXT_IP = (_NEXT_IP + 1) % (1 << 24)
    return f"10.{_NEXT_IP >> 16}.{(_NEXT_IP >> 8) & 255}.{_NEXT_IP & 255}"


_NEXT_IP = int.from_bytes(os.urandom(3), "big")


def fresh_database(url: str) -> None:
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


_fresh_database = fresh_database  # the name older tests import


def seeded_database(url: str) -> sa.Engine:
    """A new database at `url`, every service migrated, the directory seeded; returns an engine on it."""
    fresh_database(url)
    for service in migrate.SERVICES:
        migrate.upgrade(service, url)
    from services.routing.seed import DEFAULT_DATA, seed

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        seed(conn, DEFAULT_DATA)
    return engine


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    """Fresh vhost + database (migrated, seeded) + a local S3 server, for the whole session."""
    vhost = f"hientruong_{TEST_ID}"
    kill_orphans()
    devstack.check_broker(BASE_AMQP)
    devstack.check_database(BASE_DB)
    devstack.ensure_vhost(vhost, fresh=True)
    db_url = make_url(BASE_DB).set(database=f"hientruong_{TEST_ID}").render_as_string(hide_password=False)
    engine = seeded_database(db_url)
    s3_endpoint = os.environ.get("HT_TEST_S3_ENDPOINT")
    procs = []
    if not s3_endpoint:
        log = tmp_path_factory.mktemp("s3") / "moto.log"
        proc, s3_endpoint = devstack.start_s3(log, start=lambda cmd: spawn(cmd, clean_env(), log, "ab"))
        procs.append(proc)
    st = Stack(
        devstack.amqp_uri_for(BASE_AMQP, vhost),
        db_url,
        s3_endpoint,
        devstack.generate_secrets(),
        engine,
        procs,
    )
    yield st
    for proc in procs:
        stop_group(proc, grace=10)
    engine.dispose()


@pytest.fixture
def rabbit_config(stack) -> dict:
    """Overrides nameko's fixture (which needs the management API): our vhost on the real broker."""
    return {"AMQP_URI": stack.amqp_uri}


@pytest.fixture
def rpc(stack):
    """A nameko cluster RPC proxy on the test vhost, with a timeout on every call."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, timeout=15) as proxy:
        yield proxy


@pytest.fixture
def start_service(stack, container_factory):
    """Start a service container in this process with its real config: `start_service(Cls, "intake")`."""

    def start(service_cls, name: str | None = None, **extra: str):
        config = stack.service_config(name or service_cls.name, **extra)
        container = container_factory(service_cls, config)
        container.start()
        return container

    return start


# The suite's many tests poll public endpoints from 127.0.0.1: its gateway has no per-client buckets (0) and
# wide in-flight bounds. Tests of admission control restart the gateway with realistic limits
# (tests/e2e/test_admission.py).
SUITE_ADMISSION = {
    "ADMISSION_READ_BURST": "0",
    "ADMISSION_WRITE_BURST": "0",
    "ADMISSION_KEY_READ_BURST": "0",
    "ADMISSION_MAX_IN_FLIGHT_READS": "512",
    "ADMISSION_MAX_IN_FLIGHT_WRITES": "512",
    "ADMISSION_MAX_IN_FLIGHT_STAFF": "512",
}


class System:
    """Every service and the gateway running as real processes (`nameko run`, uvicorn).

    `name` gives the system a vhost of its own; `overrides` replace settings (another database, bucket...).
    Each process gets a clean environment (`clean_env`): the stack's settings, the overrides and the settings
    a test gives one process (`restart_process(name, **settings)`), nothing else of the caller's shell. The
    gateway's public read cache is off (`READ_CACHE_TTL_S=0`, unlike `make run` and deploy/): many tests
    change something and read a public page once; tests/e2e/test_read_cache.py restarts the gateway with it
    on."""

    running: weakref.WeakSet[System] = weakref.WeakSet()  # whose logs a failed test prints

    def __init__(self, stack: Stack, log_dir: Path, name: str = "e2e", **overrides: str):
        self.stack, self.log_dir, self.overrides = stack, log_dir, overrides
        self.vhost = f"hientruong_{TEST_ID}_{name}"
        # Ports: each process binds port 0 and says which port it got (read from its log); a restarted process
        # binds that port again. No port is chosen here and bound later, which another test run on the same
        # machine could take meanwhile.
        self.port = 0
        self.base_url = ""
        self.amqp_uri = devstack.amqp_uri_for(BASE_AMQP, self.vhost)
        self.procs: dict[str, subprocess.Popen] = {}
        self.metrics_ports: dict[str, int] = {}
        self.settings: dict[str, dict[str, str]] = {}  # per process, set by restart_process

    def env(self, name: str | None = None) -> dict[str, str]:
        """The environment of process `name` (its own metrics port; JSON log lines, as in production)."""
        own = {"METRICS_PORT": str(self.metrics_ports.get(name, 0))} if name in devstack.SERVICES else {}
        return clean_env(
            **{
                **self.stack.env(AMQP_URI=self.amqp_uri),
                "GATEWAY_PORT": str(self.port),
                "PYTHONWARNINGS": "ignore::DeprecationWarning",
                "RPC_TIMEOUT_S": "10",
                "LOG_FORMAT": "json",
                "READ_CACHE_TTL_S": "0",  # public reads uncached: a test reads its own change at once
                **(SUITE_ADMISSION if name in (None, "gateway") else {}),
                **self.overrides,
                **own,
                **self.settings.get(name or "", {}),
            }
        )

    def start(self) -> None:
        devstack.ensure_vhost(self.vhost, fresh=True)
        System.running.add(self)
        for name in (*devstack.SERVICES, "gateway"):
            self._spawn(name, "wb")
        self.wait_ready()

    def _spawn(self, name: str, mode: str) -> None:
        cmd = devstack.gateway_command() if name == "gateway" else devstack.service_command(name)
        self.procs[name] = spawn(cmd, self.env(name), self.log_dir / f"{name}.log", mode)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited: {self.log(name)[-3000:]}")
            if not self._ports_known():
                time.sleep(0.2)
                continue
            try:
                with urllib.request.urlopen(f"{self.base_url}/ready", timeout=3) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            "the system did not become ready: " + " | ".join(f"{n}: {self.log(n)[-800:]}" for n in self.procs)
        )

    def _ports_known(self) -> bool:
        """Read the ports the processes bound from their logs; True once every one is known."""
        for name in self.procs:
            known = self.port if name == "gateway" else self.metrics_ports.get(name)
            if known:
                continue
            found = BOUND_PORT[name == "gateway"].findall(self.log(name))
            if not found:
                return False
            if name == "gateway":
                self.port = int(found[-1])
                self.base_url = f"http://127.0.0.1:{self.port}"
            else:
                self.metrics_ports[name] = int(found[-1])
        return True

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> dict[str, str]:
        """The last `lines` lines of each process's log."""
        tails = {}
        for name in self.procs:
            try:
                tails[name] = "\n".join(self.log(name).splitlines()[-lines:])
            except OSError as exc:
                tails[name] = f"(no log: {exc})"
        return tails

    def stop_process(self, name: str) -> None:
        stop_group(self.procs[name])

    def restart_process(self, name: str, **settings: str) -> None:
        """Stop and start one process with `settings` as its own (replacing those of an earlier restart)."""
        self.settings[name] = settings
        self.stop_process(name)
        self._spawn(name, "ab")

    def stop(self) -> None:
        """Stop every process at once (SIGTERM to each group, then wait; SIGKILL after the grace period)."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for name in list(self.procs):
            stop_group(self.procs[name])
        System.running.discard(self)


@pytest.fixture(scope="session")
def system(stack, tmp_path_factory):
    """The whole system as processes on its own vhost; yields a `System` with `base_url`."""
    sysm = System(stack, tmp_path_factory.mktemp("system-logs"))
    try:
        sysm.start()
        yield sysm
    finally:
        sysm.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed end-to-end or interface test prints the tail of every running service's log: a CI failure
    explains itself after the processes (and their temporary directories) are gone."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or not any(item.iter_markers(m) for m in ("e2e", "interface")):
        return
    for sysm in list(System.running):
        for name, tail in sysm.log_tails().items():
            report.sections.append((f"{sysm.vhost} {name} log (last {LOG_TAIL_LINES} lines)", tail))


__all__ = [
    "Stack",
    "System",
    "clean_env",
    "spawn",
    "stack",
    "rabbit_config",
    "rpc",
    "start_service",
    "stop_group",
    "system",
    "wait_for",
]
