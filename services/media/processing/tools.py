"""Run ffprobe/ffmpeg safely: argument lists (never a shell), timeouts, no stdin, bounded output."""
from __future__ import annotations

import subprocess
from collections.abc import Sequence

from .errors import MediaError, MediaMalformed, MediaProcessingFailed, MediaTruncated

# Options that keep ffmpeg away from anything but the one local file: no network or concat/subfile
# protocols, and no playlist/reference following (the demuxer is forced from our sniff).
SAFE_INPUT = ("-protocol_whitelist", "file,pipe")
_TRUNCATION_HINTS = ("moov atom not found", "truncat", "end of file", "partial file")


def run_tool(args: Sequence[str], timeout: float) -> bytes:
    """Run a command and return stdout; map failures to MediaError (may raise MEDIA_TRUNCATED etc.)."""
    try:
        proc = subprocess.Popen(list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, shell=False)
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
