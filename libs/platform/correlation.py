"""The request id and the report id of the work in hand, for log lines, RPC headers and outbox rows.

One id follows a request from the gateway (`X-Request-Id`, generated when absent) through nameko's context
data (`nameko.request_id` header) into every RPC, into every event the work emits (stored on the outbox row,
sent as a header by the relay) and into every worker those calls and events start. Context variables keep the
ids of the work in hand: each eventlet greenthread and each asyncio task has its own."""

from __future__ import annotations

import random
import re
from contextvars import ContextVar

HEADER = "X-Request-Id"
CONTEXT_KEY = "request_id"  # nameko context data: travels as the `nameko.request_id` message header
AMQP_HEADER = f"nameko.{CONTEXT_KEY}"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:@-]{1,128}")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
report_id: ContextVar[str | None] = ContextVar("report_id", default=None)


def new_request_id() -> str:
    """A fresh id (32 hex digits; random enough to tell requests apart, not a secret: no system call)."""
    return f"{random.getrandbits(128):032x}"


def accept(value: str | None) -> str:
    """The caller's id when it is a sane token (≤ 128 of A-Z a-z 0-9 . _ : @ -), else a fresh one."""
    if value and _ACCEPTED.fullmatch(value):
        return value
    return new_request_id()


def bind_report(value) -> None:
    """Name the report the work in hand is about (its log lines carry it from here on)."""
    report_id.set(str(value) if value is not None else None)


def current() -> tuple[str | None, str | None]:
    """(request id, report id) of the work in hand."""
    return request_id.get(), report_id.get()
