"""`python -m tests.chaos` (`make chaos`): the fault suite. Starts the system (two replicas of every service,
private engines), drives reports while injecting faults, stops injecting, drains, checks, prints the figures.

Settings (environment): CHAOS_DURATION_S (driving with faults, default 1800; at least until every kind of
fault ran once), CHAOS_RATE (reports per second, default 2), CHAOS_STAFF_SHARE (share of reports staff take
through the lifecycle, default 0.3), CHAOS_FAULT_GAP_S (mean seconds between faults, default 6),
CHAOS_KILLS_PER_ROUND (kills per round of the other four kinds, default 7: one per service), CHAOS_SEED
(default 13), CHAOS_DRAIN_S (bound on draining, default 240), CHAOS_REPORT (write the figures as JSON there),
CHAOS_KEEP (1: keep the logs directory). Exit status 0 only when every check passed."""

from __future__ import annotations

import os

os.environ.setdefault("HT_PRIVATE_ENGINES", "0")  # importing devtools.testing must not start engines

import json
import sys
import threading
import time
from collections import Counter

import sqlalchemy as sa

from . import checker, faults
from .driver import Driver
from .supervisor import ChaosSystem


def setting(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def recovery(schedule: faults.Schedule, driver: Driver) -> dict:
    """For each fault, seconds from its start to the first report submitted after it that was answered 201,
    and to the first accepted after it that was seen routed (end to end); the longest of each."""
    submits = sorted(
        (a.sent, a.answered)
        for r in driver.reports
        for a in r.answers
        if a.what == "submit" and a.status == 201
    )
    routed = sorted((r.accept_sent, r.routed_at) for r in driver.reports if r.routed_at and r.accept_sent)
    worst_submit = worst_e2e = 0.0
    unmeasured = 0
    for fault in schedule.faults:
        s = min((done for sent, done in submits if sent >= fault.started), default=None)
        e = min((done for sent, done in routed if sent >= fault.started), default=None)
        if s is not None:
            worst_submit = max(worst_submit, s - fault.started)
        if e is not None:
            worst_e2e = max(worst_e2e, e - fault.started)
        else:
            unmeasured += 1
    return {
        "longest recovery to a 201 (s)": round(worst_submit, 1),
        "longest recovery end to end, accepted to routed (s)": round(worst_e2e, 1),
        "faults with no routed report after them": unmeasured,
    }


def main() -> int:
    duration = setting("CHAOS_DURATION_S", 1800)
    rate = setting("CHAOS_RATE", 2)
    seed = int(setting("CHAOS_SEED", 13))
    say = lambda msg: print(msg, flush=True)  # noqa: E731
    system = ChaosSystem(log=say)
    ok = False
    figures: dict = {}
    schedule = None
    started = time.monotonic()
    try:
        system.start()
        say(
            f"system ready in {time.monotonic() - started:.0f} s: {len(system.procs)} processes, "
            f"gateway {system.base_url}"
        )
        driver = Driver(
            system.base_url,
            system.secrets["HT_JWT_SECRET"],
            rate,
            setting("CHAOS_STAFF_SHARE", 0.3),
            seed,
            log=say,
        )
        system.provision_agencies(driver.agencies())
        schedule = faults.Schedule(
            system, seed, setting("CHAOS_FAULT_GAP_S", 6), int(setting("CHAOS_KILLS_PER_ROUND", 7)), log=say
        )
        injector = threading.Thread(target=schedule.run, name="faults", daemon=True)
        injector.start()
        driver.run(duration, until=lambda: schedule.rounds_done >= 1)
        schedule.stop.set()
        injector.join(180)
        say(f"stopped injecting after {time.monotonic() - started:.0f} s; draining")
        engine = sa.create_engine(system.database_url, pool_pre_ping=True)
        drain_s, left = checker.drain(system, engine, driver, setting("CHAOS_DRAIN_S", 240), log=say)
        found = checker.check(system, engine, driver)
        engine.dispose()
        kinds = Counter(f.kind for f in schedule.faults)
        failed_faults = [f"{f.kind} {f.detail}" for f in schedule.faults if not f.ok]
        killed = Counter(f.target.split("#")[0] for f in schedule.faults if f.kind == "kill" and f.ok)
        answers = Counter(a.status for r in driver.reports for a in r.answers)
        figures = {
            "duration with faults (s)": round(duration),
            "rate (reports/s)": rate,
            "seed": seed,
            "reports driven": len(driver.reports),
            "reports answered 201": sum(r.created for r in driver.reports),
            "staff workflows": sum(r.staff for r in driver.reports),
            "staff workflows finished": sum(
                1 for r in driver.reports if r.staff and r.acked_state == "DA_DANH_GIA"
            ),
            "client answers by status (0 = no answer)": dict(sorted(answers.items())),
            "actions answered 409 on their only attempt yet done (RPC redelivered after a kill)": sum(
                len(r.refused_but_done) for r in driver.reports
            ),
            "client retries": sum(len(r.answers) for r in driver.reports)
            - sum(len({a.what for a in r.answers}) for r in driver.reports),
            "faults injected": dict(kinds),
            "faults survived": sum(f.ok for f in schedule.faults),
            "faults that could not be injected": failed_faults,
            "kills per service": dict(sorted(killed.items())),
            "process restarts": {n: p.restarts for n, p in sorted(system.procs.items()) if p.restarts},
            **recovery(schedule, driver),
            "drain time (s)": round(drain_s, 1),
            "left after drain": left,
            "lost": found.lost,
            "duplicated": found.duplicated,
            "problems": found.problems,
            **found.figures,
            "submissions given up": [(r.key, r.gave_up) for r in driver.reports if not r.created][:10],
        }
        ok = not found.problems and not left and not failed_faults and all(k in kinds for k in faults.KINDS)
        driver.close()
    finally:
        if schedule is not None:
            schedule.stop.set()  # no fault while the system stops (also after an error or Ctrl-C)
        system.stop()
        figures["wall time (s)"] = round(time.monotonic() - started)
        figures["passed"] = ok
        say(json.dumps(figures, indent=1, ensure_ascii=False, default=str))
        if os.environ.get("CHAOS_REPORT"):
            with open(os.environ["CHAOS_REPORT"], "w") as out:
                json.dump(figures, out, indent=1, ensure_ascii=False, default=str)
        keep = os.environ.get("CHAOS_KEEP") == "1" or not ok
        system.cleanup(keep_logs=keep)
        if keep:
            say(f"logs kept in {system.logs}")
    say(
        f"chaos: {'PASSED' if ok else 'FAILED'}: lost {figures.get('lost')}, duplicated "
        f"{figures.get('duplicated')}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
