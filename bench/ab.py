"""ApacheBench (`ab`, Debian's apache2-utils): a native HTTP client, so the gateway saturates before the
client.

`run(url)` runs `ab -k -c C -t T` and returns its figures; `parse(text)` reads ab's report (pure, tested).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

AB = "ab"
_FIELDS = {  # ab's label → our name
    "Complete requests": "complete",
    "Failed requests": "failed",
    "Non-2xx responses": "non_2xx",
    "Keep-Alive requests": "keep_alive",
    "HTML transferred": "body_bytes",
    "Total transferred": "total_bytes",
    "Requests per second": "rps",
    "Time taken for tests": "seconds",
}


@dataclass(frozen=True)
class AbResult:
    """One ab run: throughput, latency percentiles (whole ms, as ab prints them) and failures."""

    complete: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx answers plus connect/receive/exception failures (not ab's "Length" ones)
    bytes_per_response: float  # body only
    keep_alive: int
    seconds: float


def _number(text: str) -> float:
    return float(re.match(r"\s*([0-9.]+)", text).group(1))  # may raise AttributeError on a malformed report


def parse(text: str) -> AbResult:
    """Read ab's report. ab counts a body whose length differs from the first one's as a "Length" failure,
    which is normal for pages that carry a time or a count, so those are not errors here."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        label, _, rest = line.partition(":")
        if label.strip() in _FIELDS and rest.strip():
            found[_FIELDS[label.strip()]] = _number(rest)
    if "complete" not in found or "rps" not in found:
        raise ValueError(f"not an ab report: {text[-300:]!r}")
    causes = dict((k, int(v)) for k, v in re.findall(r"(Connect|Receive|Length|Exceptions): (\d+)", text))
    served = {int(p): float(ms) for p, ms in re.findall(r"^\s+(\d+)%\s+(\d+)", text, re.MULTILINE)}
    complete = int(found["complete"])
    errors = (
        int(found.get("non_2xx", 0))
        + causes.get("Connect", 0)
        + causes.get("Receive", 0)
        + causes.get("Exceptions", 0)
    )
    return AbResult(
        complete=complete,
        rps=found["rps"],
        p50_ms=served.get(50, float("nan")),
        p99_ms=served.get(99, float("nan")),
        max_ms=served.get(100, float("nan")),
        errors=errors,
        bytes_per_response=found.get("body_bytes", 0) / complete if complete else 0.0,
        keep_alive=int(found.get("keep_alive", 0)),
        seconds=found.get("seconds", 0.0),
    )


def available() -> bool:
    return shutil.which(AB) is not None


def run(url: str, concurrency: int = 32, seconds: float = 8) -> AbResult:
    """`ab -k -c concurrency -t seconds url`; raises RuntimeError when ab fails (e.g. the gateway is down)."""
    # -n after -t: ab's -t implies -n 50000, which a fast path reaches before the time is up; ab keeps 32
    # bytes per request, so the cap follows the duration (50 000 a second is far above what this gateway
    # serves).
    cmd = [
        AB,
        "-k",
        "-q",
        "-r",
        "-t",
        str(seconds),
        "-n",
        str(max(50_000, int(seconds * 50_000))),
        "-c",
        str(concurrency),
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}")
    return parse(done.stdout)
