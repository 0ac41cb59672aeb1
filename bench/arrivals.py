"""The open-loop bench's pure parts: the arrival schedule, latency summaries, a step's verdict and the search.

No I/O here (bench/tests/test_bench_logic.py); bench/openloop.py drives the system with them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from bench.hardware import percentile

ROUTED_P99_MS = float(os.environ.get("BENCH_ROUTED_P99_MS", "5000"))


def schedule(rate: float, duration: float) -> list[float]:
    """Due times (seconds after the start) of a fixed arrival rate: report i at i/rate, for `duration`
    seconds."""
    if rate <= 0 or duration <= 0:
        return []
    return [i / rate for i in range(math.ceil(rate * duration - 1e-9))]


@dataclass(frozen=True)
class Summary:
    """p50/p95/p99/max of a list of milliseconds (nan when empty)."""

    n: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Summary:
        ordered = sorted(values)
        return cls(
            len(ordered),
            *(percentile(ordered, p) for p in (50, 95, 99)),
            ordered[-1] if ordered else float("nan"),
        )

    def text(self) -> str:
        return f"{self.p50:,.0f} / {self.p95:,.0f} / {self.p99:,.0f} / {self.max:,.0f}"


@dataclass
class Step:
    """One rate on one path: what was sent, what came back, and how late the client itself was."""

    path: str
    rate: float
    duration: float
    sent: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    submit: Summary = Summary.of([])
    routed: Summary = Summary.of([])
    accept: Summary = Summary.of([])  # normal path: the operator's accept call
    lag: Summary = Summary.of([])  # how late each send started (the client's own delay)
    send_seconds: float = 0.0  # from the first due time to the last send
    client_cpu_ms: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.send_seconds if self.send_seconds > 0 else float("nan")

    def sustained(self, routed_p99_ms: float = ROUTED_P99_MS) -> bool:
        """Every report accepted and routed, routed p99 within the limit, and the client kept to the
        schedule."""
        return (
            self.sent > 0
            and self.error_count == 0
            and self.routed.n == self.sent
            and self.routed.p99 <= routed_p99_ms
            and self.achieved_rate >= 0.95 * self.rate
        )

    def line(self) -> str:
        errors = ", ".join(f"{n} × {k}" for k, n in sorted(self.errors.items())) or "0"
        accept = f"; accept call {self.accept.text()}" if self.accept.n else ""
        return (
            f"{self.path:6} {self.rate:6.0f}/s × {self.duration:g} s: sent {self.sent} "
            f"(achieved {self.achieved_rate:.1f}/s, client lag p99 {self.lag.p99:,.0f} ms, client CPU "
            f"{self.client_cpu_ms / max(self.sent, 1):.1f} ms/report), errors {errors}\n"
            f"{'':8}submit ms p50/p95/p99/max {self.submit.text()}; routed {self.routed.text()} "
            f"({self.routed.n} of {self.sent} routed){accept} → "
            f"{'sustained' if self.sustained() else 'NOT sustained'}"
        )


def next_rate(passed: list[float], failed: list[float], resolution: float = 0.1) -> float | None:
    """The next rate to try when searching for the highest sustained one, or None when found closely enough.

    Above every pass with no failure yet: 1.5× the best pass; between the best pass and the lowest failure
    above it: the middle, until they are within `resolution` of the pass (10 %, at least 5 reports/s)."""
    lo = max(passed, default=0.0)
    above = [f for f in failed if f > lo]
    if not above:
        return round(lo * 1.5) if lo > 0 else None
    hi = min(above)
    if hi - lo <= max(5.0, lo * resolution):
        return None
    return float(round((lo + hi) / 2))


def highest_sustained(steps: list[Step]) -> Step | None:
    passed = [s for s in steps if s.sustained()]
    return max(passed, key=lambda s: s.rate) if passed else None
