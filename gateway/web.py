"""The web clients built into `WEB_DIST` (`make web`): the citizen app at `/`, the staff console at `/staff/`.

Same origin as `/v1` (no CORS), no CDN. Hashed assets are cached for a year (`immutable`); HTML, the service
worker and the manifest are revalidated every time. Every page carries a strict Content-Security-Policy (no
inline script or style; images also from the map tiles' and the object store's origins), `nosniff`,
`Referrer-Policy: no-referrer` and a Permissions-Policy allowing only what the app uses. Files are served
pre-compressed (`.br`, `.gz` written by the build) when the browser accepts it.
"""

from __future__ import annotations

import html
import mimetypes
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.requests import Request

from .settings import GatewaySettings

API_PREFIXES = ("v1/", "open311/", "docs", "openapi.json", "health", "ready", "redoc")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
APP_HOMES = {"": "index.html", "staff": "staff/index.html"}  # the path an app answers at → its page


def _origin(url: str) -> str | None:
    parts = urlsplit(url.replace("{s}", "a").replace("{", "").replace("}", ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.netloc.split("@")[-1]
    return f"{parts.scheme}://{host}"


def content_security_policy(settings: GatewaySettings) -> str:
    """The policy of every page: scripts and styles from us only; pictures also from tiles and the object
    store."""
    tile_url = settings.map_tile_url
    others = sorted(
        {o for o in (_origin(tile_url.replace("{s}", s)) for s in "abc") if o}
        | ({o} if (o := _origin(settings.media_origin or "")) else set())
    )
    media = " ".join(others)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob: {media}".strip(),
            f"media-src 'self' blob: {media}".strip(),
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(settings: GatewaySettings) -> dict[str, str]:
    """Headers of every web-client response."""
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "geolocation=(self), camera=(self), microphone=(self), payment=(), usb=()",
    }


class WebDist:
    """The built files, read once per file (the build is immutable while the gateway runs)."""

    def __init__(self, root: Path, settings: GatewaySettings):
        self.root, self.settings = root.resolve(), settings
        self.headers = security_headers(settings)

    def file(self, relative: str) -> Path | None:
        """The file for a URL path inside the build, or None (no escaping the folder, no dot-files)."""
        if any(part.startswith(".") for part in relative.split("/")):
            return None
        path = (self.root / relative).resolve()
        if not path.is_file() or self.root not in path.parents:
            return None
        return path

    @lru_cache(maxsize=512)  # noqa: B019 (one instance per process, as long as the process)
    def body(self, relative: str, encoding: str, mtime_ns: int) -> bytes | None:
        """The bytes of a file (or of its pre-compressed twin) as of `mtime_ns` (a rebuild is seen at once);
        pages get the deployment's map settings."""
        path = self.file(relative)
        if path is None:
            return None
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            text = text.replace("{{MAP_TILE_URL}}", html.escape(self.settings.map_tile_url)).replace(
                "{{MAP_ATTRIBUTION}}", html.escape(self.settings.map_attribution)
            )
            raw = text.encode()
            if encoding == "gzip":
                import gzip

                return gzip.compress(raw, 9)
            return raw if encoding == "identity" else None
        if encoding == "identity":
            return path.read_bytes()
        twin = path.with_name(path.name + {"br": ".br", "gzip": ".gz"}[encoding])
        return twin.read_bytes() if twin.is_file() else None

    def respond(self, request: Request, relative: str) -> Response | None:
        """The file with its caching and security headers, compressed when the browser accepts it."""
        path = self.file(relative)
        if path is None:
            return None
        accepted = request.headers.get("accept-encoding", "")
        for encoding in ("br", "gzip", "identity"):
            if encoding != "identity" and encoding not in accepted:
                continue
            body = self.body(relative, encoding, path.stat().st_mtime_ns)
            if body is not None:
                break
        hashed = relative.startswith("assets/")
        headers = {
            **self.headers,
            "Cache-Control": IMMUTABLE if hashed else REVALIDATE,
            "Vary": "Accept-Encoding",
        }
        if encoding != "identity":
            headers["Content-Encoding"] = encoding
        media_type = (
            TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        return Response(body, media_type=media_type, headers=headers)


STAFF_ROUTE = re.compile(r"^staff/(cases/[0-9a-f-]{36}|[a-z-]+(/[a-z-]+)?)/?$")  # the console's own paths


def page_for(path: str) -> str:
    """The file a web path asks for: an app's page for its home and its client-side routes (the console routes
    by path, e.g. /staff/cases/<id>, which agencies' e-mails link to), else the file."""
    if path.strip("/") in APP_HOMES:
        return APP_HOMES[path.strip("/")]
    if STAFF_ROUTE.match(path):
        return APP_HOMES["staff"]
    return path


class WebClients:
    """ASGI middleware answering GET/HEAD for the build's files before the API router; everything else (and
    any path the build does not have) goes on to the API untouched, so API 404s and 405s stay as they were."""

    def __init__(self, app, dist: WebDist):
        self.app, self.dist = app, dist

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"].lstrip("/")
            if not path.startswith(API_PREFIXES) and self.dist.root.is_dir():
                answer = self.dist.respond(Request(scope), page_for(path))
                if answer is not None:
                    await answer(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def install(app: FastAPI, settings: GatewaySettings) -> None:
    """Serve the build in front of the API (files only: API paths are never looked up in it)."""
    app.add_middleware(WebClients, dist=WebDist(Path(settings.web_dist), settings))
