"""Process boot checks shared by every service."""

from __future__ import annotations


class BootError(RuntimeError):
    """The process cannot start safely; the message says what to fix."""


def assert_green() -> None:
    """Refuse to run a nameko service whose psycopg2 would block the eventlet hub."""
    import psycopg2.extensions
    from eventlet import patcher

    if not patcher.is_monkey_patched("socket"):
        raise BootError("eventlet is not monkey-patched: start services with `nameko run`")
    if psycopg2.extensions.get_wait_callback() is None:
        raise BootError(
            "psycopg2 is not green under eventlet (no wait callback): "
            "call eventlet.monkey_patch() before importing psycopg2"
        )
