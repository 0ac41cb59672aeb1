"""Every file of the hostile corpus through the service's pipeline and process pool: no crash, a clean refusal
or a stored output with no metadata within the limits, and the workers' memory under a stated budget.

Budget (docs/reliability.md, "Hostile files"): the peak resident set of every pool worker stays under
WORKER_PEAK_BUDGET_KB with the production settings (two workers, 50 tasks per child, a 3 GB address-space cap
each, which the ffmpeg and ffprobe they start inherit). Measured: ≈ 270 MiB for a worker that only refused or
handled small files (Python, Pillow, NumPy, OpenCV's cascades), ≈ 460 MiB for one that decoded the 36-Mpx
photos just under the 40-Mpx limit."""

from __future__ import annotations

import time
from collections import Counter

import eventlet
import pytest

from services.media.processing import configure_pool, shutdown_pool
from services.media.settings import from_config

from . import corpus
from .harness import LocalObjects, MeasuredEngine, run_one, stored_problems

WORKER_PEAK_BUDGET_KB = 640 * 1024
TOOL_PEAK_BUDGET_KB = 512 * 1024  # resident set of one ffmpeg/ffprobe run
MIN_FILES = 200


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return corpus.generate(tmp_path_factory.mktemp("hostile-corpus"))


@pytest.fixture(scope="module")
def settings():
    return from_config({})  # the production defaults


@pytest.fixture(scope="module")
def run(samples, settings, tmp_path_factory):
    """Every sample through the pool, two at a time (the pool has two workers); results by name."""
    configure_pool(settings.pool_workers, settings.pool_tasks_per_child, settings.pool_memory_mb)
    objects = LocalObjects(tmp_path_factory.mktemp("bucket"))
    scratch = str(tmp_path_factory.mktemp("scratch"))
    engine = MeasuredEngine()
    started = time.perf_counter()
    try:
        pool = eventlet.GreenPool(settings.pool_workers)
        results = dict(
            zip(
                [s.name for s in samples],
                pool.imap(lambda s: run_one(s.path, objects, settings, engine, scratch), samples),
            )
        )
    finally:
        shutdown_pool()
    return results, engine, objects, time.perf_counter() - started


def test_the_corpus_has_every_family_and_at_least_200_files(samples):
    families = Counter(s.family for s in samples)
    assert len(samples) >= MIN_FILES and len({s.name for s in samples}) == len(samples)
    assert set(families) == {f.removesuffix("_family") for f in corpus.FAMILIES}, families


def test_no_file_crashes_a_worker_or_the_pipeline(run):
    results = run[0]
    crashed = {name: (r.outcome, r.crash) for name, r in results.items() if r.crash}
    assert not crashed, crashed


def test_every_file_has_an_acceptable_outcome(samples, run):
    results = run[0]
    wrong = {
        s.name: (results[s.name].outcome, sorted(s.expect))
        for s in samples
        if s.expect is not None and results[s.name].outcome not in s.expect
    }
    assert not wrong, wrong


def test_nothing_stored_carries_metadata_or_passes_the_limits(run, settings):
    results, _, objects, _ = run
    leaks = {
        name: problems
        for name, r in results.items()
        if r.stored
        for problems in [stored_problems(objects, r.stored, settings.limits)]
        if problems
    }
    assert not leaks, leaks
    assert sum(1 for r in results.values() if r.stored) >= 100  # the checks above looked at real outputs


def test_worker_memory_stays_under_the_budget(run):
    _, engine, _, seconds = run
    outcomes = Counter("stored" if r.stored else "refused" for r in run[0].values())
    print(
        f"hostile corpus: {len(run[0])} files ({dict(outcomes)}) in {seconds:.1f}s; "
        f"worker peaks (KiB) {engine.worker_peak_kb}"
    )
    assert engine.worker_peak_kb and max(engine.worker_peak_kb.values()) < WORKER_PEAK_BUDGET_KB


def test_ffmpeg_and_ffprobe_memory_stays_under_their_own_budget(run):
    """The tools' own peaks (read from /proc while each runs, not the worker's pages a fork copied)."""
    peaks = run[1].tool_peaks
    by_tool = {
        tool: (
            max(h for t, h, _ in peaks if t == tool),
            max(v for t, _, v in peaks if t == tool),
            sum(1 for t, _, _ in peaks if t == tool),
        )
        for tool in {t for t, _, _ in peaks}
    }
    print(f"tool peaks (resident KiB, address space KiB, runs): {by_tool}")
    assert by_tool.get("ffmpeg", (0, 0, 0))[2] >= 20 and by_tool.get("ffprobe", (0, 0, 0))[2] >= 50, by_tool
    assert max(h for _, h, _ in peaks) < TOOL_PEAK_BUDGET_KB, by_tool
