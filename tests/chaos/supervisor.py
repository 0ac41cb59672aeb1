"""The whole system for the fault suite: a private RabbitMQ and PostgreSQL of its own, S3 (moto), two replicas
of every service and the gateway, under a supervisor that restarts any process that dies (honcho cannot).

Never touches the machine's shared broker or database: the faults stop the broker and restart the database.
Processes are started with devtools.testing's `spawn` (own process group, killed with this process).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devtools import devstack
from devtools.testing import SUITE_ADMISSION, clean_env, seeded_database, spawn, stop_group
from libs.platform import engines

REPLICAS = int(os.environ.get("CHAOS_REPLICAS", "2"))


@dataclass
class Proc:
    """One supervised process: `intake#1`, `gateway#0`..."""

    name: str
    service: str
    popen: subprocess.Popen
    restarts: int = 0
    killed_at: list[float] = field(default_factory=list)


class ChaosSystem:
    """Engines, database, S3 and every process; `start()`, `kill(name)`, `stop()`."""

    def __init__(self, run_dir: Path | None = None, replicas: int = REPLICAS, log=print):
        self.own_dir = run_dir is None
        # /tmp: the private cluster runs as `postgres` when we are root and must reach its data directory
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="ht-chaos-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.chmod(0o755)
        self.logs = self.run_dir / "logs"
        self.logs.mkdir(exist_ok=True)
        self.replicas, self.say = replicas, log
        self.rabbit = engines.PrivateRabbit(self.run_dir / "rabbitmq")
        self.pg = engines.PrivatePostgres(self.run_dir / "pg")
        self.procs: dict[str, Proc] = {}
        self.secrets = devstack.generate_secrets()
        self.gateway_port = devstack.free_port()
        self.base_url = f"http://127.0.0.1:{self.gateway_port}"
        self.database_url = ""
        self.amqp_uri = ""
        self.s3 = None
        self.s3_endpoint = ""
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None
        self.events: list[tuple[float, str]] = []  # (time, "restarted intake#1")

    # ---- engines

    def start_engines(self) -> None:
        self.rabbit.start()
        self.pg.start()
        self.rabbit.wait_ready()
        self.amqp_uri = self.rabbit.uri()
        self.database_url = self.pg.url("hientruong")
        # the broker may accept TCP before its boot finished: wait for a real AMQP connection
        deadline = time.monotonic() + 60
        while True:
            try:
                devstack.check_broker(self.amqp_uri)
                break
            except devstack.StackError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def provision_agencies(self, agencies: list[str]) -> None:
        """Each agency's queue on the agency exchange (what `python -m services.notify.provision` does)."""
        from kombu import Connection

        from services.notify.channels.amqp import provision

        with Connection(self.amqp_uri, connect_timeout=10) as conn:
            for agency in agencies:
                provision(conn, agency)

    def rabbitmqctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        # cwd: a CLI that crashes writes erl_crash.dump there, not into the checkout
        return subprocess.run(
            [*self.rabbit.ctl(), *args],
            env=self.rabbit.env(),
            cwd=self.run_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pg_ctl(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        bindir = engines.pg_bindir()
        return subprocess.run(
            self.pg._cmd(str(bindir / "pg_ctl"), "-D", str(self.pg.data), *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # ---- processes

    def env(self, service: str) -> dict[str, str]:
        return clean_env(
            AMQP_URI=self.amqp_uri,
            DATABASE_URL=self.database_url,
            S3_ENDPOINT=self.s3_endpoint,
            S3_ACCESS_KEY=devstack.S3_ACCESS_KEY,
            S3_SECRET_KEY=devstack.S3_SECRET_KEY,
            S3_BUCKET="hientruong-chaos",
            GATEWAY_PORT=str(self.gateway_port),
            METRICS_PORT="0",
            LOG_FORMAT="json",
            RPC_TIMEOUT_S="10",
            PYTHONWARNINGS="ignore::DeprecationWarning",
            EVENTLET_TESTS="1",
            HT_RUN_DIR=str(self.run_dir),
            NOTIFY_QUIET_HOURS="off",
            **(SUITE_ADMISSION if service == "gateway" else {}),
            **self.secrets,
        )

    def _spawn(self, name: str, service: str, mode: str) -> subprocess.Popen:
        cmd = devstack.gateway_command() if service == "gateway" else devstack.service_command(service)
        return spawn(cmd, self.env(service), self.logs / f"{name}.log", mode)

    def start(self) -> None:
        self.say(f"chaos run directory {self.run_dir}")
        self.start_engines()
        self.say(
            f"private RabbitMQ {self.amqp_uri} (node {self.rabbit.node}), private PostgreSQL :{self.pg.port}"
        )
        seeded_database(self.database_url).dispose()
        self.s3, self.s3_endpoint = devstack.start_s3(
            self.logs / "s3.log", start=lambda cmd: spawn(cmd, clean_env(), self.logs / "s3.log", "ab")
        )
        for service in devstack.SERVICES:
            for i in range(self.replicas):
                name = f"{service}#{i}"
                self.procs[name] = Proc(name, service, self._spawn(name, service, "wb"))
        self.procs["gateway#0"] = Proc("gateway#0", "gateway", self._spawn("gateway#0", "gateway", "wb"))
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()
        self.wait_ready(240)

    def _supervise(self) -> None:
        """Restart every process that exited (killed or crashed), at once: what Kubernetes does for a pod.

        Runs in one long-lived thread: children die with the thread that started them (PR_SET_PDEATHSIG)."""
        while not self._stopping.is_set():
            for proc in list(self.procs.values()):
                if proc.popen.poll() is not None and not self._stopping.is_set():
                    with self._lock:
                        stop_group(proc.popen, grace=0)  # pool workers, trackers of the dead process
                        proc.popen = self._spawn(proc.name, proc.service, "ab")
                        proc.restarts += 1
                    self.events.append((time.monotonic(), f"restarted {proc.name}"))
            self._stopping.wait(0.3)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base_url}/ready", timeout=3) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the system did not become ready within {timeout:.0f} s; logs in {self.logs}")

    def kill(self, name: str) -> int:
        """SIGKILL one process (its group: the pool workers die with it, as when a container dies)."""
        with self._lock:
            proc = self.procs[name]
            pid = proc.popen.pid
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.killed_at.append(time.monotonic())
        return pid

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(5)
        for proc in self.procs.values():
            if proc.popen.poll() is None:
                proc.popen.terminate()
        for proc in self.procs.values():
            stop_group(proc.popen, grace=15)
        if self.s3 is not None:
            stop_group(self.s3, grace=5)
        for engine in (self.rabbit, self.pg):
            try:
                engine.stop()
            except Exception as exc:  # noqa: BLE001 - the other engine still has to stop
                self.say(f"warning: stopping {type(engine).__name__}: {exc}")

    def cleanup(self, keep_logs: bool) -> None:
        """Remove the run directory (engines' data), keeping `logs/` when asked."""
        if not self.own_dir:
            return
        for child in self.run_dir.iterdir():
            if child.name != "logs" or not keep_logs:
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        if not keep_logs:
            shutil.rmtree(self.run_dir, ignore_errors=True)
