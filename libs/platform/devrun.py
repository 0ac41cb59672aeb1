"""`make run`: check the engines, migrate, seed, start S3 if needed, then run every process under honcho.

Ctrl-C stops everything. Configuration comes from the environment (see README).
"""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from . import devstack, migrate

RUN_DIR = devstack.ROOT / ".run"


def announce_when_ready(url: str, stop: threading.Event) -> None:
    """Print one line when the gateway reports ready."""
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=3) as resp:
                if resp.status == 200:
                    print(f"\n==> Hiện Trường is ready: {url}  (API docs {url}/docs, OpenAPI {url}/openapi.json)"
                          f"\n==> Ctrl-C stops everything.\n", flush=True)
                    return
        except OSError:
            pass
        stop.wait(1.0)


def main() -> int:
    env = dict(os.environ)
    env.setdefault("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    env.setdefault("DATABASE_URL", migrate.DEFAULT_DATABASE_URL)
    # eventlet prints a multi-line deprecation banner from every process it is imported in (six times here);
    # it is known and documented (docs/architecture.md), so the local launcher silences it. This variable
    # only switches that banner off (eventlet/__init__.py).
    env.setdefault("EVENTLET_TESTS", "1")
    os.environ.update(env)
    try:
        devstack.check_broker(env["AMQP_URI"])
        devstack.check_database(env["DATABASE_URL"])
    except devstack.StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if migrate.main([]) != 0:
        return 2
    from services.routing import seed
    seed.main([])
    for key, value in devstack.dev_secrets(RUN_DIR / "secrets.json").items():
        env.setdefault(key, value)
    s3 = None
    if not env.get("S3_ENDPOINT"):
        s3, env["S3_ENDPOINT"] = devstack.start_s3(RUN_DIR / "s3.log")
        env.setdefault("S3_ACCESS_KEY", devstack.S3_ACCESS_KEY)
        env.setdefault("S3_SECRET_KEY", devstack.S3_SECRET_KEY)
        print(f"local S3 server (moto) at {env['S3_ENDPOINT']}")
    procs = {s: devstack.service_command(s) for s in devstack.SERVICES}
    procs["gateway"] = devstack.gateway_command()
    procfile = RUN_DIR / "Procfile"
    procfile.write_text("".join(f"{name}: {shlex.join(cmd)}\n" for name, cmd in procs.items()))
    url = f"http://{env.get('GATEWAY_HOST', '127.0.0.1')}:{env.get('GATEWAY_PORT', '8000')}"
    stop = threading.Event()
    threading.Thread(target=announce_when_ready, args=(url, stop), daemon=True).start()
    honcho = subprocess.Popen([str(Path(sys.executable).parent / "honcho"), "start", "-f", str(procfile),
                               "-d", str(devstack.ROOT)], env=env)
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
