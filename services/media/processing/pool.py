"""Run the CPU-heavy pipelines in a lazily created spawn-context process pool.

Under eventlet (nameko), call these functions DIRECTLY from the worker greenthread: with
`eventlet.monkey_patch()` the pool's internal threads and waits are green, so `.result()` yields to
the hub while a child process does the work (a "green wait"). Do NOT wrap them in
`eventlet.tpool.execute`: a real OS thread waiting on the pool's green primitives fails with
"Cannot switch to a different thread". Without eventlet they are ordinary blocking calls.

Photo bytes travel to the worker through a private temporary file, not the pool's pipe: eventlet's
green `os.write` ends in a BLOCKING write of the whole buffer, so a multi-megabyte call item would
freeze the hub while workers wait to send their results back (a deadlock).

Every task runs under a CPU-time budget of its own (`cpu_limit_s`): the worker moves RLIMIT_CPU's soft limit
to what it has used so far plus the budget, so a file that makes a decoder spin (a CPU bomb no header check
knows) ends the worker by SIGXCPU instead of holding it for minutes. A dead worker breaks the whole executor,
and every task then in flight with it: each is sent once more to a fresh pool, so the other uploads carry on,
and the file that ends a worker twice is refused (MEDIA_PROCESSING_FAILED naming the budget).

multiprocessing's resource tracker is prepared (`libs.platform.tracker.prepare_tracker`) when the pool is
configured, at service setup, before the service takes work: its writes never yield to another green thread.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from libs.platform.tracker import prepare_tracker

from .errors import MediaError, MediaProcessingFailed
from .faces import Region
from .limits import MediaLimits, check_declared_length
from .photo import process_photo
from .results import MediaResult
from .sniff import Sniffed
from .video import Probe, inspect_video, process_video

DEFAULT_LIMITS = MediaLimits()
WORKER_NICENESS = 10  # renders yield the CPU to the processes answering requests (nice(2): 0 is the default)
_lock = threading.Lock()  # green under monkey-patching; guards lazy creation against races
_executor: ProcessPoolExecutor | None = None
_settings = {"max_workers": 2, "max_tasks_per_child": 50, "memory_limit_mb": 3072, "cpu_limit_s": 120}


def configure_pool(
    max_workers: int = 2,
    max_tasks_per_child: int = 50,
    memory_limit_mb: int | None = 3072,
    cpu_limit_s: int | None = 120,
) -> None:
    """Set the pool size, worker recycling, per-worker address-space cap and per-task CPU budget; restarts the
    pool."""
    _settings.update(
        max_workers=max_workers,
        max_tasks_per_child=max_tasks_per_child,
        memory_limit_mb=memory_limit_mb,
        cpu_limit_s=cpu_limit_s,
    )
    prepare_tracker()
    shutdown_pool()


def _init_worker(memory_limit_mb: int | None) -> None:
    """Worker start-up: cap the address space, no core dumps, then load OpenCV's cascades so the first task is
    fast."""
    import os
    import resource

    # Renders are batch work: below the service's own process (its hub answers RPCs and heartbeats) and the
    # other services on the node, which a transcode on every core (ffmpeg -threads 2) would otherwise starve.
    os.nice(WORKER_NICENESS)  # inherited by the ffmpeg and ffprobe runs the worker starts
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker ended by its CPU budget leaves no core file
    if memory_limit_mb:
        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # inherited by ffmpeg children too
    from .faces import _classifiers

    _classifiers()  # importing cv2 and reading the cascades costs ~1 s: pay it before any upload waits


def _ready() -> int:
    """A no-op task: returns once a worker (and its initializer) has started."""
    return os.getpid()


def warm_pool(timeout: float = 60.0) -> set[int]:
    """Start every worker now (not on the first upload); returns their process ids."""
    pool = get_pool()
    futures = [pool.submit(_ready) for _ in range(_settings["max_workers"])]
    return {f.result(timeout=timeout) for f in futures}


def get_pool() -> ProcessPoolExecutor:
    """The process pool, created on first use (spawn: no inherited hub, sockets or locks)."""
    global _executor
    with _lock:
        if _executor is None:
            prepare_tracker()  # also when nothing configured the pool first
            _executor = ProcessPoolExecutor(
                max_workers=_settings["max_workers"],
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=_settings["max_tasks_per_child"],
                initializer=_init_worker,
                initargs=(_settings["memory_limit_mb"],),
            )
        return _executor


def shutdown_pool(wait: bool = True) -> None:
    """Stop the workers (at service stop, or to reset a broken pool)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=wait, cancel_futures=True)


def _bounded(cpu_limit_s: int | None, fn, *args):
    """Worker side: run one task with `cpu_limit_s` seconds of CPU at most (RLIMIT_CPU, soft limit only: the
    kernel sends SIGXCPU, whose default action ends the worker, even inside a C decoder)."""
    if not cpu_limit_s:
        return fn(*args)
    import math
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(usage.ru_utime + usage.ru_stime) + cpu_limit_s
    resource.setrlimit(
        resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)
    )
    try:
        return fn(*args)
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


def _reset(executor: ProcessPoolExecutor) -> None:
    """Drop a broken executor, unless another caller has already replaced it (never shut down the new one)."""
    global _executor
    with _lock:
        if _executor is executor:
            _executor = None
    executor.shutdown(wait=False, cancel_futures=True)


def _call(fn, args: tuple, timeout: float | None, retry: bool = True, broken: int = 0) -> MediaResult:
    """Submit to the pool and wait; MediaError from the child is re-raised as is."""
    executor = get_pool()
    try:
        return executor.submit(_bounded, _settings["cpu_limit_s"], fn, *args).result(timeout=timeout)
    except FutureTimeout as exc:  # the worker goes on until its CPU budget or the tools' own timeouts end it
        raise MediaProcessingFailed(f"no result within {timeout}s") from exc
    except BrokenProcessPool as exc:  # a worker died (its CPU budget, out of memory, killed): a fresh pool
        _reset(executor)
        if broken:  # the second pool this task was on died too: the file is the cause
            raise MediaProcessingFailed(
                f"a media worker died twice on this file (CPU budget "
                f"{_settings['cpu_limit_s']} s or memory cap)"
            ) from exc
        return _call(fn, args, timeout, retry, broken + 1)  # it may have been another file's: once more
    except (
        RuntimeError
    ) as exc:  # the pool was shut down under us (reconfigured, reset): once more on a new one
        if not retry or "shutdown" not in str(exc):
            raise MediaProcessingFailed(f"worker failed: {type(exc).__name__}: {exc}"[:300]) from exc
        return _call(fn, args, timeout, retry=False, broken=broken)
    except MediaError:
        raise
    except Exception as exc:  # MemoryError / cv2.error under the address-space cap, or a bug
        raise MediaProcessingFailed(f"worker failed: {type(exc).__name__}: {exc}"[:300]) from exc


def run_in_pool(fn, args: tuple, timeout: float | None) -> Any:
    """Any picklable module-level function in a worker, with the same error mapping (tests measure through
    it)."""
    return _call(fn, args, timeout)


def process_photo_in_pool(
    data: bytes,
    limits: MediaLimits = DEFAULT_LIMITS,
    redactions: Sequence[Region] = (),
    timeout: float | None = 120.0,
) -> MediaResult:
    """`process_photo` in a worker process; may raise any MediaError."""
    check_declared_length(len(data), limits.max_photo_bytes)  # no temp file for what we refuse anyway
    fd, path = tempfile.mkstemp(prefix="media-photo-")  # mode 0600, removed below
    try:
        with os.fdopen(fd, "wb") as spool:
            spool.write(data)
        return _call(_process_photo_file, (path, limits, tuple(redactions)), timeout)
    finally:
        os.unlink(path)


def process_photo_file_in_pool(
    path: str,
    limits: MediaLimits = DEFAULT_LIMITS,
    redactions: Sequence[Region] = (),
    timeout: float | None = 120.0,
) -> MediaResult:
    """`process_photo` on a local file the worker reads itself (the caller never holds the bytes)."""
    check_declared_length(os.path.getsize(path), limits.max_photo_bytes)
    return _call(_process_photo_file, (path, limits, tuple(redactions)), timeout)


def inspect_video_in_pool(
    path: str, limits: MediaLimits = DEFAULT_LIMITS, timeout: float | None = 60.0
) -> tuple[Sniffed, Probe]:
    """`inspect_video` (the cheap checks, no decoding) in a worker process; may raise any MediaError."""
    return _call(inspect_video, (path, limits), timeout)


def _process_photo_file(path: str, limits: MediaLimits, redactions: tuple[Region, ...]) -> MediaResult:
    """Worker side: read the spooled photo (never more than the limit plus one byte) and process it."""
    with open(path, "rb") as spool:
        data = spool.read(limits.max_photo_bytes + 1)
    return process_photo(data, limits, redactions)


def process_video_in_pool(
    path: str, limits: MediaLimits = DEFAULT_LIMITS, out_dir: str | None = None, timeout: float | None = 600.0
) -> MediaResult:
    """`process_video` in a worker process (the file must be readable by it); may raise any MediaError."""
    return _call(process_video, (path, limits, out_dir), timeout)
