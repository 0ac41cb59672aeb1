"""A photo host on loopback for the media_url tests, run as its own process (no eventlet in it):

    python -m services.media.tests.photo_server --port P --photo FILE --redirect URL

`/photo.jpg` serves FILE, `/redirect` answers 302 to URL, `/hop` 302 to `/photo.jpg` (a redirect that stays
allowed), `/endless` streams without end. `PhotoServer` starts one from a test.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def serve(port: int, photo: str, redirect: str) -> None:
    body = Path(photo).read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/photo.jpg":
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path in ("/redirect", "/hop"):
                self.send_response(302)
                self.send_header("Location", redirect if self.path == "/redirect" else "/photo.jpg")
                self.end_headers()
            elif self.path == "/endless":
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.end_headers()
                try:
                    while True:
                        self.wfile.write(b"\xff" * 65536)
                except OSError:
                    pass
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


class PhotoServer:
    """Start the photo host on a free port; `url(path)`; stopped on exit."""

    def __init__(self, photo: Path, redirect: str = "http://127.0.0.1:9/"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.photo, self.redirect, self.proc = photo, redirect, None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> PhotoServer:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.media.tests.photo_server",
                "--port",
                str(self.port),
                "--photo",
                str(self.photo),
                "--redirect",
                self.redirect,
            ],
            cwd=ROOT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the photo server did not start")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--photo", required=True)
    parser.add_argument("--redirect", required=True)
    args = parser.parse_args()
    serve(args.port, args.photo, args.redirect)
