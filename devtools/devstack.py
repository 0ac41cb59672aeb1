"""Local infrastructure for `make run` and the tests: checks, vhosts, an S3 server, secrets, process commands.

The broker and the database are chosen (configured, local defaults, or private ones) by engines.py; the
S3-compatible server for development is moto's, started on a free loopback port when no MinIO endpoint is
configured."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parents[1]
# Every nameko process the system runs. Most are `services/<name>/service.py` with
# `services/<name>/config.yml`; `intake_reads` is a second service of the intake package (its public reads on
# workers of their own).
SERVICES = ("intake", "intake_reads", "routing", "media", "notify", "feedback", "accounts")
ENTRY_POINTS = {"intake_reads": ("services/intake/reads_config.yml", "services.intake.reads_service")}
S3_ACCESS_KEY, S3_SECRET_KEY = "hientruong", "hientruong-secret"


class StackError(RuntimeError):
    """Something the user must start or fix; the message is one line saying what."""


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_broker(amqp_uri: str, timeout: float = 3.0) -> None:
    """Raise StackError with a clear line when RabbitMQ does not answer."""
    from kombu import Connection

    try:
        with Connection(amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        url = urlparse(amqp_uri)
        raise StackError(
            f"RabbitMQ is not reachable at {url.hostname}:{url.port or 5672} ({exc}); "
            f"start it, or fix AMQP_URI (unset, `make run` starts a private broker when none answers)"
        ) from None


def check_database(url: str) -> None:
    """Raise StackError when PostgreSQL does not answer (database creation is done by migrate)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    engine = sa.create_engine(make_url(url).set(database="postgres"))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        raise StackError(
            f"PostgreSQL is not reachable ({str(exc).splitlines()[0]}); start it, or fix "
            f"DATABASE_URL (unset, `make run` starts a private database when none answers)"
        ) from None
    finally:
        engine.dispose()


def ensure_vhost(vhost: str, fresh: bool = False, queue_type: str | None = None) -> None:
    """Create a RabbitMQ vhost for guest (with rabbitmqctl, or the management API when that is enabled).

    `queue_type` sets the vhost's default queue type (e.g. quorum: what production uses, docs/operations.md).
    """
    if vhost == "/":
        return
    from libs.platform import engines

    ctl = engines.rabbitmqctl()  # the private node's when one is in use (libs/platform/engines.py)
    if ctl:
        run = lambda *a: subprocess.run(  # noqa: E731
            [*ctl[0], *a],
            env=ctl[1],
            capture_output=True,
            text=True,  # noqa: E731
            timeout=60,
        )
        if fresh:
            run("delete_vhost", vhost)
        run("add_vhost", vhost, *(("--default-queue-type", queue_type) if queue_type else ()))
        done = run("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        if done.returncode != 0:
            raise StackError(f"cannot set permissions on vhost {vhost}: {done.stderr.strip()}")
        return
    base = os.environ.get("RABBIT_MGMT_URL", "http://guest:guest@127.0.0.1:15672")
    url = urlparse(base)
    api = f"{url.scheme}://{url.hostname}:{url.port}/api"
    auth = "Basic " + __import__("base64").b64encode(f"{url.username}:{url.password}".encode()).decode()

    def call(method: str, path: str, body: dict | None = None) -> None:
        req = urllib.request.Request(
            f"{api}{path}",
            method=method,
            data=json.dumps(body or {}).encode(),
            headers={"Authorization": auth, "Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(req, timeout=10)
        except urllib.error.HTTPError as exc:
            if not (method == "DELETE" and exc.code == 404):
                raise

    try:
        if fresh:
            call("DELETE", f"/vhosts/{quote(vhost, safe='')}")
        call(
            "PUT",
            f"/vhosts/{quote(vhost, safe='')}",
            {"default_queue_type": queue_type} if queue_type else None,
        )
        call(
            "PUT",
            f"/permissions/{quote(vhost, safe='')}/guest",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )
    except OSError as exc:
        raise StackError(
            f"cannot create RabbitMQ vhost {vhost}: no rabbitmqctl and no management API ({exc})"
        ) from exc


def amqp_uri_for(base: str, vhost: str) -> str:
    """The same broker, another vhost."""
    url = urlparse(base)
    return url._replace(path="/" + quote(vhost, safe="")).geturl()


def start_s3(log_path: Path | None = None, start=None) -> tuple[subprocess.Popen, str]:
    """Start moto's S3-compatible server on a free loopback port; returns (process, endpoint).

    `start(cmd)` starts the process when given (the tests' own, which ties it to the test session)."""
    port = free_port()
    cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    if start is not None:
        proc = start(cmd)
    else:
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError("the local S3 server (moto) exited at start-up; see its log")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            return proc, endpoint
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise StackError("the local S3 server (moto) did not start within 30 s")


def generate_secrets() -> dict[str, str]:
    """Fresh random keys: personal-data sealing, tracking tokens, staff JWTs, staff accounts' sealing, grants
    for reads of personal data."""
    import secrets as pysecrets

    from cryptography.fernet import Fernet

    return {
        "HT_SEAL_KEY": Fernet.generate_key().decode(),
        "HT_TOKEN_KEY": pysecrets.token_urlsafe(48),
        "HT_JWT_SECRET": pysecrets.token_urlsafe(48),
        "HT_ACCOUNTS_KEY": Fernet.generate_key().decode(),
        "HT_GRANT_KEY": pysecrets.token_urlsafe(48),
    }


def dev_secrets(path: Path) -> dict[str, str]:
    """Keys for local runs, generated once and kept (so sealed data stays readable across restarts)."""
    kept = json.loads(path.read_text()) if path.exists() else {}
    secrets = {**generate_secrets(), **kept}  # never replace a kept key: sealed data depends on it
    if secrets == kept:
        return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(secrets))
    path.chmod(0o600)
    return secrets


def metrics_ports() -> dict[str, int]:
    """A metrics/health port per service: `METRICS_PORT_<SERVICE>` when set, else a free one."""
    return {s: int(os.environ.get(f"METRICS_PORT_{s.upper()}") or free_port()) for s in SERVICES}


def replicas(spec: str | None = None) -> dict[str, int]:
    """Processes per service from `HT_REPLICAS` ("intake=2,routing=2"; every other service runs once).

    Replicas of a nameko service share its RPC and event queues (competing consumers) and its outbox (the
    relay locks rows with SKIP LOCKED); each has its own metrics port. Raises StackError naming a wrong
    entry."""
    spec = os.environ.get("HT_REPLICAS", "") if spec is None else spec
    counts = {s: 1 for s in SERVICES}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, count = item.partition("=")
        if name.strip() not in counts or not count.strip().isdigit() or not 1 <= int(count) <= 8:
            raise StackError(
                f"HT_REPLICAS: {item!r} is not <service>=<1..8> with a service among {', '.join(SERVICES)}"
            )
        counts[name.strip()] = int(count)
    return counts


def service_entry(service: str) -> tuple[str, str]:
    """(config file relative to the checkout, module `nameko run` serves) of a service process."""
    return ENTRY_POINTS.get(service, (f"services/{service}/config.yml", f"services.{service}.service"))


def service_command(service: str) -> list[str]:
    """How each service is started: `nameko run` with its own config file."""
    config, module = service_entry(service)
    return [str(Path(sys.executable).parent / "nameko"), "run", "--config", str(ROOT / config), module]


def gateway_command() -> list[str]:
    """How the gateway is started."""
    return [sys.executable, "-m", "gateway.app"]
