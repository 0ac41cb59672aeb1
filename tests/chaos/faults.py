"""Faults for the fault suite, each a plain function on the ChaosSystem, and the schedule that injects them.

Kinds: `kill` (SIGKILL of one service process, restarted by the supervisor), `connections` (rabbitmqctl
close_all_connections), `broker` (rabbitmqctl stop_app, a pause, start_app), `postgres` (pg_ctl restart -m
fast of the private cluster), `slow_db` (a session holding ACCESS EXCLUSIVE locks on hot tables for a few
seconds: every query on them waits, nothing changes in the code). The schedule cycles through the kinds (so
each happens) in a seeded random order with random targets, one fault at a time, at seeded random intervals.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

KINDS = ("kill", "connections", "broker", "postgres", "slow_db")
CTL_TIMEOUT = 240  # rabbitmqctl starts an Erlang VM: over a minute when the machine is loaded
HOT_TABLES = ("intake.reports", "routing.cases", "notify.deliveries")


@dataclass
class Fault:
    """One injected fault: kind, target, when it started and ended (monotonic), and whether the injection
    worked."""

    kind: str
    target: str
    started: float
    ended: float
    ok: bool
    detail: str = ""


def kill(system, rng: random.Random, target: str | None = None) -> str:
    names = sorted(n for n in system.procs if not n.startswith("gateway"))
    name = target or rng.choice(names)
    system.kill(name)
    return name


def drop_connections(system, rng: random.Random) -> str:
    done = system.rabbitmqctl("close_all_connections", "chaos: connections dropped", timeout=CTL_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-300:])
    return "all connections"


def bounce_broker(system, rng: random.Random) -> str:
    """stop_app, a pause, start_app; start_app runs whatever happened to stop_app (it may have stopped the
    node and then timed out: rabbitmqctl boots an Erlang VM of its own, slow on a loaded machine)."""
    pause = rng.uniform(2, 5)
    try:
        done = system.rabbitmqctl("stop_app", timeout=CTL_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip()[-300:])
        time.sleep(pause)
    finally:
        started = system.rabbitmqctl("start_app", timeout=CTL_TIMEOUT)
    if started.returncode != 0:
        raise RuntimeError(started.stderr.strip()[-300:])
    return f"stopped {pause:.1f} s"


def restart_postgres(system, rng: random.Random) -> str:
    done = system.pg_ctl(
        "-m",
        "fast",
        "-s",
        "-w",
        "-t",
        "120",
        "restart",
        "-o",
        f"-p {system.pg.port}",
        "-l",
        str(system.pg.log),
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-300:])
    return "restarted"


def slow_database(system, rng: random.Random) -> str:
    """Lock contention: one transaction holds ACCESS EXCLUSIVE on a hot table for a few seconds."""
    table, hold = rng.choice(HOT_TABLES), rng.uniform(3, 6)
    engine = sa.create_engine(system.database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SET lock_timeout = '10s'"))
            conn.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            time.sleep(hold)
    finally:
        engine.dispose()
    return f"{table} locked {hold:.1f} s"


INJECT = {
    "kill": kill,
    "connections": drop_connections,
    "broker": bounce_broker,
    "postgres": restart_postgres,
    "slow_db": slow_database,
}


class Schedule:
    """Injects faults one at a time until `stop`: every round runs each kind once (kills `kills_per_round`
    times), in a seeded random order, `gap` seconds apart on average."""

    def __init__(self, system, seed: int, gap: float, kills_per_round: int = 7, log=print):
        self.system, self.rng, self.gap, self.kills_per_round, self.say = (
            system,
            random.Random(seed),
            gap,
            kills_per_round,
            log,
        )
        self.faults: list[Fault] = []
        self.stop = threading.Event()
        self._kill_cycle: list[str] = []
        self.rounds_done = 0

    def _next_kill_target(self) -> str:
        """Services in a shuffled cycle, so every service is killed about as often as the others."""
        if not self._kill_cycle:
            services = sorted({p.service for p in self.system.procs.values() if p.service != "gateway"})
            self.rng.shuffle(services)
            self._kill_cycle = services
        service = self._kill_cycle.pop()
        replicas = sorted(n for n, p in self.system.procs.items() if p.service == service)
        return self.rng.choice(replicas)

    def inject(self, kind: str) -> Fault:
        started = time.monotonic()
        try:
            if kind == "kill":
                detail = kill(self.system, self.rng, self._next_kill_target())
            else:
                detail = INJECT[kind](self.system, self.rng)
            ok = True
        except Exception as exc:  # noqa: BLE001 - recorded: a fault that could not be injected fails the run
            detail, ok = f"{exc!r}"[:300], False
        fault = Fault(kind, detail if kind == "kill" else "", started, time.monotonic(), ok, detail)
        self.faults.append(fault)
        self.say(f"[{time.strftime('%H:%M:%S')}] fault {kind}: {detail}{'' if ok else ' (FAILED to inject)'}")
        return fault

    def round_kinds(self) -> list[str]:
        """The first round puts every other kind early, between kills (a short run sees each); later rounds
        are shuffled."""
        others = [k for k in KINDS if k != "kill"]
        if self.rounds_done == 0:
            kills = ["kill"] * self.kills_per_round
            return [k for pair in zip(kills, others) for k in pair] + kills[len(others) :]
        kinds = others + ["kill"] * self.kills_per_round
        self.rng.shuffle(kinds)
        return kinds

    def run(self) -> None:
        while not self.stop.is_set():
            for kind in self.round_kinds():
                if self.stop.wait(self.rng.uniform(0.5, 1.5) * self.gap):
                    return
                self.inject(kind)
            self.rounds_done += 1
