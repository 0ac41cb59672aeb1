"""The soak's pure parts: naming the processes of a `make run` and the verdict on their resident sets."""

from __future__ import annotations

from bench import soak
from bench.soak import Track, label_of, verdicts

VENV = "/work/main/.venv/bin/python3"


def test_every_process_of_a_make_run_gets_its_name():
    assert label_of(f"{VENV} -m devtools.devrun") == "launcher"
    assert (
        label_of(
            f"{VENV} .venv/bin/nameko run --config /x/services/intake/config.yml services.intake.service"
        )
        == "intake"
    )
    assert (
        label_of(
            f"{VENV} .venv/bin/nameko run --config /x/services/intake/reads_config.yml "
            "services.intake.reads_service"
        )
        == "intake_reads"
    )
    assert label_of(f"{VENV} -m gateway.app") == "gateway"
    assert (
        label_of(
            f"{VENV} -B -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=6, "
            "pipe_handle=14) --multiprocessing-fork"
        )
        == "worker"
    )
    assert (
        label_of(f"{VENV} -B -c from multiprocessing.resource_tracker import main;main(5)")
        == "resource tracker"
    )
    assert label_of(f"{VENV} -m moto.server -p 0") == "s3 (moto)"
    assert label_of("/bin/sh -c METRICS_PORT=1 nameko run services.media.service") == ""  # plumbing
    assert label_of(f"{VENV} .venv/bin/honcho start -f /tmp/run/Procfile") == ""


def track(name: str, pid: int, kib: list[int], gone: bool = False) -> Track:
    return Track(pid, name, [(i * 5.0, k) for i, k in enumerate(kib)], gone)


def test_growth_after_the_warm_up_beyond_the_budget_fails_and_within_it_passes(monkeypatch):
    monkeypatch.setattr(soak, "BUDGET_MB", 50)
    mib = 1024
    warm = [300 * mib] * 4  # the first 20 s: warm-up (grows freely)
    tracks = {
        1: track("intake", 1, [100 * mib] * 2 + [120 * mib] * 6 + [160 * mib] * 3),  # +40 MiB: ok
        2: track("gateway", 2, warm[:2] + [100 * mib] * 3 + [200 * mib] * 3),  # +100 MiB: fails
        3: track("s3 (moto)", 3, [80 * mib] * 3 + [400 * mib] * 3),
    }  # not judged
    rows, failures = verdicts(tracks, warmup=10.0)
    assert failures == ["gateway 2: grew 100.0 MiB > 50 MiB"], failures
    assert any(r.startswith("| intake | 1 |") and r.endswith("| ok |") for r in rows)


def test_a_service_that_exits_fails_and_a_pool_worker_is_judged_on_its_peak(monkeypatch):
    monkeypatch.setattr(soak, "WORKER_BUDGET_MB", 640)
    tracks = {
        1: track("routing", 1, [100 * 1024] * 6, gone=True),
        2: track("media worker", 2, [120 * 1024, 700 * 1024], gone=True),
    }
    _, failures = verdicts(tracks, warmup=0.0)
    assert failures == ["media worker 2: peak 700 MiB > 640 MiB", "routing 1: exited during the soak"], (
        failures
    )
