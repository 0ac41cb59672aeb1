"""Real servers on loopback for notify's tests, each run as its own process (no eventlet in it):

    python -m services.notify.tests.loopback smtp    --port P --out F
    python -m services.notify.tests.loopback webhook --port P --out F --secrets S1[,S2] [--fail-for SECONDS]
    python -m services.notify.tests.loopback sms     --port P --out F

Each writes one JSON line per received message to F. The webhook receiver does what an agency's receiver
should: verify the signature (401 with the reason when it fails), answer 503 while "down" (the first
`--fail-for` seconds after its first request), then accept each delivery id once and acknowledge it.
`LoopbackServer` starts one from a test and reads what it received.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _append(path: str, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


# --- servers (run in the child process)
# --------------------------------------------------------------------------


def run_smtp(port: int, out: str) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = message_from_bytes(envelope.content, policy=policy.default)
            body = msg.get_body(("plain",))
            _append(
                out,
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": list(envelope.rcpt_tos),
                    "subject": str(msg["Subject"]),
                    "headers": {k: str(v) for k, v in msg.items()},
                    "text": body.get_content() if body else "",
                },
            )
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    threading.Event().wait()


def run_webhook(port: int, out: str, secrets: list[str], fail_for: float) -> None:
    sys.path.insert(0, str(ROOT))
    from services.notify.domain import signing

    state = {"first": None, "seen": set()}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items()}
            record = {
                "path": self.path,
                "headers": headers,
                "body": raw.decode("utf-8", "replace"),
                "delivery_id": signing.header_value(headers, signing.DELIVERY_HEADER),
            }
            try:
                signing.verify(
                    raw, signing.header_value(headers, signing.SIGNATURE_HEADER), secrets, time.time()
                )
            except signing.SignatureError as exc:
                _append(out, {**record, "status": 401, "reason": exc.reason})
                return self._answer(401, {"error": exc.reason})
            with lock:
                now = time.monotonic()
                state["first"] = state["first"] or now
                if now - state["first"] < fail_for:
                    _append(out, {**record, "status": 503, "reason": "down"})
                    return self._answer(503, {"error": "down"})
                duplicate = record["delivery_id"] in state["seen"]
                state["seen"].add(record["delivery_id"])
            _append(out, {**record, "status": 200, "reason": "duplicate" if duplicate else "processed"})
            return self._answer(200, {"acknowledged": True})

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def run_sms(port: int, out: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            _append(
                out,
                {"path": self.path, "headers": dict(self.headers.items()), "json": json.loads(raw or b"{}")},
            )
            data = b'{"CodeResult": "100"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("smtp", "webhook", "sms"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--secrets", default="")
    parser.add_argument("--fail-for", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.kind == "smtp":
        run_smtp(args.port, args.out)
    elif args.kind == "webhook":
        run_webhook(args.port, args.out, [s for s in args.secrets.split(",") if s], args.fail_for)
    else:
        run_sms(args.port, args.out)


# --- the test side
# -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackServer:
    """One server process; `received()` is what it got so far; use as a context manager."""

    def __init__(self, kind: str, tmp: Path, secrets: list[str] | None = None, fail_for: float = 0.0):
        self.kind, self.port = kind, free_port()
        # `--x=value`: a secret may start with '-', which argparse would take for an option
        extra = [f"--secrets={','.join(secrets or [])}", f"--fail-for={fail_for}"]
        self.out = tmp / f"{kind}-{self.port}.jsonl"
        self.out.touch()
        from devtools.testing import clean_env, spawn  # dies with the test session, sees no caller's settings

        self.proc = spawn(
            [
                sys.executable,
                "-m",
                "services.notify.tests.loopback",
                kind,
                "--port",
                str(self.port),
                "--out",
                str(self.out),
                *extra,
            ],
            clean_env(PYTHONWARNINGS="ignore"),
            tmp / f"{kind}-{self.port}.log",
            cwd=ROOT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"loopback {kind} server exited: {(tmp / f'{kind}-{self.port}.log').read_text()}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"loopback {kind} server did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def received(self) -> list[dict]:
        return [
            json.loads(line) for line in self.out.read_text(encoding="utf-8").splitlines() if line.strip()
        ]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
