"""pytest fixtures for the interface and end-to-end rings: real RabbitMQ, PostgreSQL and an S3 server.

Tests get their own RabbitMQ vhost and their own database (`hientruong_<HT_TEST_ID>`, default `test`),
recreated at the start of each session, so a `make run` on the same machine never shares messages or rows.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url

from . import devstack, migrate

BASE_AMQP = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
BASE_DB = os.environ.get("DATABASE_URL", migrate.DEFAULT_DATABASE_URL)
TEST_ID = os.environ.get("HT_TEST_ID", "test")


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
        return {"AMQP_URI": self.amqp_uri, "DATABASE_URL": self.database_url, "S3_ENDPOINT": self.s3_endpoint,
                "S3_ACCESS_KEY": devstack.S3_ACCESS_KEY, "S3_SECRET_KEY": devstack.S3_SECRET_KEY,
                "S3_BUCKET": f"hientruong-{TEST_ID}".replace("_", "-"), **self.secrets, **extra}

    def service_config(self, service: str, **extra: str) -> dict:
        """The service's own config.yml, resolved with the test environment (as `nameko run` would)."""
        from nameko.cli.main import setup_yaml_parser

        setup_yaml_parser()
        saved = dict(os.environ)
        os.environ.update(self.env(**extra))
        try:
            text = (devstack.ROOT / "services" / service / "config.yml").read_text()
            return yaml.safe_load(text)
        finally:
            os.environ.clear()
            os.environ.update(saved)


def wait_for(fetch, predicate, timeout: float = 20.0, what: str = "condition"):
    """Poll `fetch()` until `predicate(value)`; fail the test with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}: {value!r}")
        time.sleep(0.2)


def _fresh_database(url: str) -> None:
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    """Fresh vhost + database (migrated, seeded) + a local S3 server, for the whole session."""
    vhost = f"hientruong_{TEST_ID}"
    devstack.check_broker(BASE_AMQP)
    devstack.check_database(BASE_DB)
    devstack.ensure_vhost(vhost, fresh=True)
    db_url = make_url(BASE_DB).set(database=f"hientruong_{TEST_ID}").render_as_string(hide_password=False)
    _fresh_database(db_url)
    for service in migrate.SERVICES:
        migrate.upgrade(service, db_url)
    from services.routing.seed import DEFAULT_DATA, seed
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        seed(conn, DEFAULT_DATA)
    s3_endpoint = os.environ.get("HT_TEST_S3_ENDPOINT")
    procs = []
    if not s3_endpoint:
        proc, s3_endpoint = devstack.start_s3(tmp_path_factory.mktemp("s3") / "moto.log")
        procs.append(proc)
    st = Stack(devstack.amqp_uri_for(BASE_AMQP, vhost), db_url, s3_endpoint, devstack.generate_secrets(),
               engine, procs)
    yield st
    for proc in procs:
        proc.terminate()
        proc.wait(10)
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


class System:
    """Every service and the gateway running as real processes (`nameko run`, uvicorn)."""

    def __init__(self, stack: Stack, log_dir: Path):
        self.stack, self.log_dir = stack, log_dir
        self.vhost = f"hientruong_{TEST_ID}_e2e"
        self.port = devstack.free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.amqp_uri = devstack.amqp_uri_for(BASE_AMQP, self.vhost)
        self.procs: dict[str, subprocess.Popen] = {}

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.stack.env(AMQP_URI=self.amqp_uri), "GATEWAY_PORT": str(self.port),
                "PYTHONWARNINGS": "ignore::DeprecationWarning", "RPC_TIMEOUT_S": "10"}

    def start(self) -> None:
        devstack.ensure_vhost(self.vhost, fresh=True)
        commands = {s: devstack.service_command(s) for s in devstack.SERVICES}
        commands["gateway"] = devstack.gateway_command()
        for name, cmd in commands.items():
            log = open(self.log_dir / f"{name}.log", "wb")
            self.procs[name] = subprocess.Popen(cmd, cwd=devstack.ROOT, env=self.env(), stdout=log,
                                                stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited: {self.log(name)[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/ready", timeout=3) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the system did not become ready: " + " | ".join(
            f"{n}: {self.log(n)[-800:]}" for n in self.procs))

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def stop_process(self, name: str) -> None:
        proc = self.procs[name]
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def restart_process(self, name: str) -> None:
        self.stop_process(name)
        cmd = devstack.gateway_command() if name == "gateway" else devstack.service_command(name)
        log = open(self.log_dir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(cmd, cwd=devstack.ROOT, env=self.env(), stdout=log,
                                            stderr=subprocess.STDOUT)

    def stop(self) -> None:
        for name in list(self.procs):
            self.stop_process(name)


@pytest.fixture(scope="session")
def system(stack, tmp_path_factory):
    """The whole system as processes on its own vhost; yields a `System` with `base_url`."""
    sysm = System(stack, tmp_path_factory.mktemp("system-logs"))
    try:
        sysm.start()
        yield sysm
    finally:
        sysm.stop()


__all__ = ["Stack", "System", "stack", "rabbit_config", "rpc", "start_service", "system", "wait_for"]
