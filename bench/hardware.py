"""What machine a benchmark ran on."""

from __future__ import annotations

import math
import os
import platform


def describe() -> str:
    """CPU model, cores, memory and Python version, on one line."""
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{model}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()}"


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list: the smallest value with at least p % of them at or
    below.

    (`round(x + 0.5)` rounded half to even, which put p99 of 100 values on the largest one.)"""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values) - 1e-9) - 1))
    return sorted_values[k]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (the machine may be shared: the figures depend on it)."""
    try:
        return " / ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"
