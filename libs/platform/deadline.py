"""Deadlines that travel with an RPC: the instant after which nobody waits for its answer any more.

The gateway publishes each request with an AMQP `expiration` equal to its timeout (the broker drops it unread
once it passes) and the same instant as nameko context data, header `nameko.deadline` (Unix seconds, wall
clock, as a string: AMQP tables would carry a float in 32 bits, a precision of two minutes). A service's
worker checks it before the handler runs (`Telemetry`): a request that waited past it for a free worker is
answered with `DeadlinePassed` and not worked on. The check is made once, by the service the gateway called:
the deadline is then removed from the worker's context data, so the calls the worker makes (and anything a
long-lived proxy might carry over) keep their own timeouts. Hosts keep their clocks in step (NTP): a skew
larger than `SKEW_S` could drop live requests."""

from __future__ import annotations

import time

CONTEXT_KEY = "deadline"
HEADER = f"nameko.{CONTEXT_KEY}"
SKEW_S = 0.25  # tolerated clock difference between the caller and the service


class DeadlinePassed(Exception):
    """The caller stopped waiting before the work could start (nobody reads this answer)."""


def after(timeout_s: float, now: float | None = None) -> str:
    """The deadline of a call made now that waits `timeout_s` seconds (the header's value)."""
    return f"{(time.time() if now is None else now) + timeout_s:.3f}"


def passed(context_data: dict, now: float | None = None) -> float | None:
    """How many seconds ago the deadline in `context_data` passed, or None (none given, malformed, or not
    yet)."""
    raw = context_data.get(CONTEXT_KEY)
    if raw is None:
        return None
    try:
        deadline = float(raw)
    except (TypeError, ValueError):
        return None
    late = (time.time() if now is None else now) - deadline
    return late if late > SKEW_S else None
