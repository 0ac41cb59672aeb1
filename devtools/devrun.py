"""`make run`: choose the broker and database (private ones if none, engines.py), migrate, seed, start S3 if
needed, then run every process under honcho.

Ctrl-C stops everything, the private engines last. Configuration comes from the environment (see README).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from libs.platform import engines, migrate

from . import devstack

RUN_DIR = engines.run_dir(devstack.ROOT)  # `.run/` of the checkout, or HT_RUN_DIR


def announce_when_ready(url: str, metrics: dict[str, int], stop: threading.Event, uses: list[str]) -> None:
    """Print the addresses, and what the system runs on, when the gateway reports ready."""
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=3) as resp:
                if resp.status == 200:
                    ports = "  ".join(f"{s} :{p}" for s, p in metrics.items())
                    using = "".join(f"\n==> {line}" for line in uses)
                    print(
                        f"\n==> Hiện Trường is ready: {url}  (API docs {url}/docs, OpenAPI "
                        f"{url}/openapi.json)"
                        f"\n==> Metrics: {url}/metrics; services (/metrics, /health/ready): {ports}{using}"
                        f"\n==> Ctrl-C stops everything.\n",
                        flush=True,
                    )
                    return
        except OSError:
            pass
        stop.wait(1.0)


def _interrupted(*_) -> None:
    raise KeyboardInterrupt  # a SIGTERM before honcho runs: unwind, so private engines already started stop


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    env = dict(os.environ)
    # eventlet prints a multi-line deprecation banner from every process it is imported in (six times here);
    # it is known and documented (docs/architecture.md), so the local launcher silences it. This variable
    # only switches that banner off (eventlet/__init__.py).
    env.setdefault("EVENTLET_TESTS", "1")
    env.setdefault("LOG_FORMAT", "text")  # readable lines here; compose and Kubernetes default to json
    os.environ.update(env)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    try:
        # configured, local defaults, or private ones under RUN_DIR (a private broker boots during migrations)
        used = engines.resolve(devstack.ROOT, wait=False)
    except (engines.EngineError, KeyboardInterrupt) as exc:
        print(f"error: {exc or 'interrupted'}", file=sys.stderr)
        return 2
    try:
        env.pop(engines.CTL_ENV, None)
        env.update(AMQP_URI=used.amqp_uri, DATABASE_URL=used.database_url)
        if engines.CTL_ENV in os.environ:
            env[engines.CTL_ENV] = os.environ[engines.CTL_ENV]
        os.environ.update(env)
        return run(env, used)
    except KeyboardInterrupt:
        return 130
    finally:
        used.stop()  # the private engines this run started (after every service has stopped)


def run(env: dict[str, str], used: engines.Engines) -> int:
    booting = any(isinstance(e, engines.PrivateRabbit) for e in used.private)
    try:
        devstack.check_database(env["DATABASE_URL"])
        if not booting:  # nothing changes before both engines answer
            devstack.check_broker(env["AMQP_URI"])
        if migrate.main([]) != 0:
            return 2
        from services.routing import seed

        seed.main([])
        used.wait_ready()  # a private broker has booted meanwhile
        devstack.check_broker(env["AMQP_URI"])
    except (devstack.StackError, engines.EngineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for key, value in devstack.dev_secrets(RUN_DIR / "secrets.json").items():
        env.setdefault(key, value)
    s3 = None
    if not env.get("S3_ENDPOINT"):
        s3, env["S3_ENDPOINT"] = devstack.start_s3(RUN_DIR / "s3.log")
        env.setdefault("S3_ACCESS_KEY", devstack.S3_ACCESS_KEY)
        env.setdefault("S3_SECRET_KEY", devstack.S3_SECRET_KEY)
        print(f"local S3 server (moto) at {env['S3_ENDPOINT']}")
    store = (
        f"object store: local S3 server (moto) {env['S3_ENDPOINT']}, log {RUN_DIR / 's3.log'}"
        if s3
        else f"object store: configured S3 {env['S3_ENDPOINT']} (its own logs)"
    )
    uses = [f"broker: {used.broker}", f"database: {used.database}", store]
    print("\n".join(uses), flush=True)
    try:
        counts = devstack.replicas()
    except devstack.StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ports = devstack.metrics_ports()
    procs = {}
    for s in devstack.SERVICES:  # a replica k > 1 is `<service>_<k>` with its own metrics port (HT_REPLICAS)
        for k in range(1, counts[s] + 1):
            name, port = (s, ports[s]) if k == 1 else (f"{s}_{k}", devstack.free_port())
            ports[name] = port
            procs[name] = [f"METRICS_PORT={port}", f"HT_REPLICA={k}", *devstack.service_command(s)]
    procs["gateway"] = devstack.gateway_command()  # GATEWAY_WORKERS uvicorn processes on the one port
    procfile = RUN_DIR / "Procfile"
    procfile.write_text("".join(f"{name}: {shlex.join(cmd)}\n" for name, cmd in procs.items()))
    url = f"http://{env.get('GATEWAY_HOST', '127.0.0.1')}:{env.get('GATEWAY_PORT', '8000')}"
    stop = threading.Event()
    threading.Thread(target=announce_when_ready, args=(url, ports, stop, uses), daemon=True).start()
    honcho = subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "start", "-f", str(procfile), "-d", str(devstack.ROOT)],
        env=env,
    )
    # Ctrl-C reaches honcho from the terminal; a SIGTERM/SIGINT sent to this process alone is passed on too.
    signal.signal(signal.SIGTERM, lambda *_: honcho.send_signal(signal.SIGINT))
    try:
        while True:
            try:
                return honcho.wait()
            except KeyboardInterrupt:
                honcho.send_signal(signal.SIGINT)
    finally:
        stop.set()
        if s3 is not None:
            s3.terminate()
            try:
                s3.wait(10)
            except subprocess.TimeoutExpired:
                s3.kill()


if __name__ == "__main__":
    sys.exit(main())
