"""multiprocessing's resource tracker made safe under eventlet, for every service with a process pool.

The tracker (a helper process that unlinks a pool's named semaphores should we die) is told of each semaphore
and probed before each worker starts, by a write to one shared pipe from whatever thread is at work: a pool's
creation or worker start, a semaphore's finalizer when an old pool is collected. Under eventlet those writes
were green: each first waits for the pipe to be writable, and two green threads waiting on one pipe at once is
eventlet's "Second simultaneous write on fileno" (seen in media's pool and in accounts' password-hashing pool,
each when one pool was being set up while another's semaphores were let go). `prepare_tracker` (run before a
pool is created) starts the tracker and makes its writes the plain system call: a message of at most 512 bytes
to a pipe its reader drains, atomic and not a switch point, so no two green threads can ever be inside it
together."""

from __future__ import annotations

import os
import posix
import types


class _TrackerOs(types.ModuleType):
    """`os` as the resource tracker sees it: everything from `os`, but `write` is the system call itself
    (`posix` is never monkey-patched), whatever a green library did to `os.write`."""

    write = staticmethod(posix.write)

    def __getattr__(self, name: str):
        return getattr(os, name)


def prepare_tracker() -> None:
    """Start multiprocessing's resource tracker now, with writes that never yield to another green thread."""
    from multiprocessing import resource_tracker

    if not isinstance(getattr(resource_tracker, "os"), _TrackerOs):  # noqa: B009 (not in its stubs)
        setattr(resource_tracker, "os", _TrackerOs("os"))  # noqa: B010
    resource_tracker.ensure_running()
