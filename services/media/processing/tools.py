"""Run ffprobe/ffmpeg safely: argument lists (never a shell), timeouts, no stdin, bounded output and
memory."""

from __future__ import annotations

import resource
import subprocess
from collections.abc import Sequence

from .errors import MediaError, MediaMalformed, MediaProcessingFailed, MediaTruncated

# Options that keep ffmpeg away from anything but the one local file: no network or concat/subfile
# protocols, and no playlist/reference following (the demuxer is forced from our sniff).
SAFE_INPUT = ("-protocol_whitelist", "file,pipe")
_TRUNCATION_HINTS = ("moov atom not found", "truncat", "end of file", "partial file")


def _tool_limits(memory_mb: int | None):
    """The child's own limits, set between fork and exec: an address-space cap of its own (the tools' peaks
    are recorded in docs/reliability.md), and no CPU limit inherited from the pool task's budget (the tools
    have their wall-clock timeouts, and a long video must not be ended by the budget meant for the worker)."""

    def apply() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        if memory_mb:
            limit = memory_mb * 1024 * 1024
            _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
            if as_hard != resource.RLIM_INFINITY:
                limit = min(limit, as_hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_tool(args: Sequence[str], timeout: float, memory_mb: int | None = None) -> bytes:
    """Run a command and return stdout; map failures to MediaError (may raise MEDIA_TRUNCATED etc.).

    `memory_mb` caps the tool's address space (RLIMIT_AS): past it ffmpeg fails to allocate and exits
    non-zero."""
    try:
        proc = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            shell=False,
            preexec_fn=_tool_limits(memory_mb),
        )
    except OSError as exc:  # not installed (see services/media/SETUP.md)
        raise MediaProcessingFailed(f"{args[0]} could not start: {exc.strerror}") from exc
    with proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except Exception as exc:
            # Kill on ANY error: eventlet's green Popen raises a TimeoutExpired of its own copied
            # class, which subprocess.run() would not recognise (and so would not kill the child).
            proc.kill()
            proc.communicate()
            if _is_timeout(exc):
                raise MediaProcessingFailed(f"{args[0]} timed out after {timeout}s") from exc
            raise
    if proc.returncode != 0:
        raise classify_failure(stderr.decode("utf-8", "replace"), args[0])
    return stdout


def _is_timeout(exc: Exception) -> bool:
    """A TimeoutExpired from stdlib or from eventlet's patched copy of subprocess."""
    return isinstance(exc, subprocess.TimeoutExpired) or type(exc).__name__ == "TimeoutExpired"


def classify_failure(stderr: str, tool: str) -> MediaError:
    """ffmpeg's stderr to truncated vs malformed; only the first line is kept (no paths beyond it)."""
    text = stderr.lower()
    first = stderr.strip().splitlines()[0][:200] if stderr.strip() else f"{tool} failed"
    if any(hint in text for hint in _TRUNCATION_HINTS):
        return MediaTruncated(first)
    return MediaMalformed(first)
