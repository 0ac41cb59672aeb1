"""After the faults: wait for the system to drain, then check from the databases, the broker and the clients'
recorded answers that nothing acknowledged was lost and nothing was done twice.

Every check is exact (counts, not rates). `drain()` waits, bounded, until every outbox is published, every
event queue is empty, no delivery or notice is due and every driven workflow finished; `check()` returns the
findings."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from .driver import ORDER

SCHEMAS = ("intake", "routing", "media", "notify", "feedback", "accounts")


@dataclass
class Findings:
    """What the checker counted; `problems` lists each failed check with examples."""

    figures: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0

    def fail(self, what: str, examples, lost: int = 0, duplicated: int = 0) -> None:
        examples = list(examples)
        if not examples:
            return
        self.lost += lost * len(examples)
        self.duplicated += duplicated * len(examples)
        self.problems.append(f"{what}: {len(examples)} (e.g. {examples[:5]})")


def _tables(conn, name: str) -> list[str]:
    return [
        s
        for (s,) in conn.execute(
            sa.text(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = :n AND table_schema = "
                "ANY(:s)"
            ),
            {"n": name, "s": list(SCHEMAS)},
        )
    ]


def backlog(system, engine) -> dict[str, int]:
    """What is still to do: unpublished outbox rows, messages in event/RPC queues, due deliveries and
    notices."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for schema in _tables(conn, "outbox"):
            out[f"{schema}.outbox"] = conn.execute(
                sa.text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL")
            ).scalar()
        out["notify.deliveries due"] = conn.execute(
            sa.text("SELECT count(*) FROM notify.deliveries WHERE state = 'pending'")
        ).scalar()
        out["notify.deliveries retrying"] = conn.execute(
            sa.text(
                "SELECT count(*) FROM notify.deliveries WHERE state = 'failed' AND next_attempt_at IS NOT "
                "NULL"
            )
        ).scalar()
        out["notify.notices due"] = conn.execute(
            sa.text(  # rating reminders wait days on purpose
                "SELECT count(*) FROM notify.notices WHERE state = 'pending' "
                "AND next_attempt_at < now() + interval '5 minutes'"
            )
        ).scalar()
    try:
        listed = system.rabbitmqctl(
            "list_queues", "name", "messages", "--no-table-headers", "-q", timeout=240
        )
    except subprocess.TimeoutExpired:
        listed = None
    if listed is None or listed.returncode != 0:
        out["broker unreachable"] = 1
    else:
        for line in listed.stdout.splitlines():
            parts = line.split()
            # agency.*: the agencies' own queues (read by the checker); rpc.reply-*: answers to RPC callers,
            # and a reply whose caller was killed stays in its queue until the broker drops it (no work is
            # left there)
            if (
                len(parts) == 2
                and not parts[0].startswith(("agency.", "rpc.reply-"))
                and parts[1].isdigit()
                and int(parts[1])
            ):
                out[f"queue {parts[0]}"] = int(parts[1])
    return {k: v for k, v in out.items() if v}


def drain(system, engine, driver, timeout: float, log=print) -> tuple[float, dict]:
    """Seconds until nothing is left (three quiet polls in a row), and what was left if `timeout` passed."""
    start, quiet, left = time.monotonic(), 0, {}
    while time.monotonic() - start < timeout:
        try:
            left = backlog(system, engine)
        except sa.exc.OperationalError as exc:
            left = {"database": str(exc).splitlines()[0]}
        running = sum(1 for f in driver.futures if not f.done())
        if running:
            left["workflows running"] = running
        quiet = quiet + 1 if not left else 0
        if quiet >= 3:
            return time.monotonic() - start, {}
        time.sleep(1.0)
    log(f"not drained after {timeout:.0f} s: {left}")
    return time.monotonic() - start, left


def agency_messages(system) -> list[dict]:
    """Every message in the agencies' queues (what the agencies received), consumed."""
    from kombu import Connection

    listed = system.rabbitmqctl("list_queues", "name", "--no-table-headers", "-q", timeout=240)
    names = [n.strip() for n in listed.stdout.splitlines() if n.strip().startswith("agency.")]
    found = []
    with Connection(system.amqp_uri, connect_timeout=10) as conn:
        channel = conn.channel()
        for name in names:
            while True:
                msg = channel.basic_get(queue=name, no_ack=True)
                if msg is None:
                    break
                found.append(json.loads(msg.body))
    return found


def check(system, engine, driver) -> Findings:
    f = Findings()
    reports = driver.reports
    created = [r for r in reports if r.created]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id::text, idempotency_key, status FROM intake.reports")).all()
        by_key = defaultdict(list)
        for rid, key, status in rows:
            by_key[key].append((rid, status))
        status_of = {rid: status for rid, _key, status in rows}
        driven_keys = {r.key for r in reports}
        f.fail("reports answered 201 missing", [r.key for r in created if not by_key.get(r.key)], lost=1)
        f.fail(
            "reports answered 201 with another id",
            [r.key for r in created if by_key.get(r.key) and by_key[r.key][0][0] != r.id],
            lost=1,
        )
        f.fail(
            "idempotency keys stored more than once",
            [k for k, v in by_key.items() if len(v) > 1],
            duplicated=1,
        )
        f.fail("reports nobody submitted", [k for k in by_key if k not in driven_keys], duplicated=1)
        # every answer is consistent with the final state: no acknowledged step undone
        f.fail(
            "acknowledged state lost",
            [
                (r.id, r.acked_state, status_of.get(r.id))
                for r in created
                if r.acked_state and ORDER.get(status_of.get(r.id), -1) < ORDER[r.acked_state]
            ],
            lost=1,
        )
        f.fail(
            "staff workflows that did not finish",
            [(r.id, r.gave_up) for r in created if r.staff and status_of.get(r.id) != "DA_DANH_GIA"],
            lost=1,
        )
        # routing: one current decision and one report.routed per routing of every accepted report
        accepted = [rid for rid, _k, s in rows if ORDER.get(s, -1) >= ORDER["DA_TIEP_NHAN"]]
        cases = dict(conn.execute(sa.text("SELECT report_id::text, decision_id FROM routing.cases")).all())
        decisions = Counter(
            rid
            for (rid,) in conn.execute(
                sa.text("SELECT report_id::text FROM routing.decisions WHERE outcome = 'routed'")
            )
        )
        routed_events = Counter(
            rid
            for (rid,) in conn.execute(
                sa.text("SELECT payload->>'report_id' FROM routing.outbox WHERE event_type = 'report.routed'")
            )
        )
        spells = Counter(
            rid for (rid,) in conn.execute(sa.text("SELECT report_id::text FROM intake.agency_spells"))
        )
        f.fail("accepted reports routing never took", [r for r in accepted if r not in cases], lost=1)
        f.fail("accepted reports not routed", [r for r in accepted if decisions[r] == 0], lost=1)
        f.fail(
            "reports routed more than once",
            [(r, decisions[r]) for r in accepted if decisions[r] > 1],
            duplicated=1,
        )
        f.fail(
            "routings without their report.routed",
            [(r, decisions[r], routed_events[r]) for r in accepted if routed_events[r] < decisions[r]],
            lost=1,
        )
        f.fail(
            "routings with report.routed more than once",
            [(r, decisions[r], routed_events[r]) for r in accepted if routed_events[r] > decisions[r]],
            duplicated=1,
        )
        f.fail(
            "routings intake did not record once",
            [(r, spells[r]) for r in accepted if spells[r] != decisions[r]],
            duplicated=1,
        )
        steps = conn.execute(
            sa.text(
                "SELECT report_id::text, action, count(*) FROM intake.timeline WHERE action IS NOT NULL "
                "GROUP BY 1, 2 HAVING count(*) > 1"
            )
        ).all()
        f.fail("timeline steps recorded twice", [tuple(s) for s in steps], duplicated=1)
        # notify: each delivery done, none parked, once per receiver
        states = Counter(
            conn.execute(sa.text("SELECT audience || ':' || state FROM notify.deliveries")).scalars()
        )
        f.figures["deliveries"] = dict(states)
        parked = conn.execute(
            sa.text(
                "SELECT id::text, audience, kind, state, last_error FROM notify.deliveries "
                "WHERE state NOT IN ('sent', 'acknowledged', 'skipped')"
            )
        ).all()
        f.fail("deliveries not delivered", [tuple(p) for p in parked], lost=1)
        f.fail(
            "notices not sent",
            conn.execute(
                sa.text(
                    "SELECT id::text, template, state, last_error FROM notify.notices WHERE state NOT IN "
                    "('expanded', 'cancelled') AND (state <> 'pending' OR next_attempt_at < now())"
                )
            ).all(),
            lost=1,
        )
        f.fail(
            "agency deliveries twice to the same agency",
            conn.execute(
                sa.text(
                    "SELECT recipient, cause_event_id::text, kind, count(*) FROM notify.deliveries WHERE "
                    "audience = 'agency' "
                    "AND state IN ('sent', 'acknowledged') GROUP BY 1, 2, 3 HAVING count(*) > 1"
                )
            ).all(),
            duplicated=1,
        )
        f.fail(
            "citizen messages twice to the same receiver",
            conn.execute(
                sa.text(
                    "SELECT m.recipient_ref, d.cause_event_id::text, m.template, count(*) FROM "
                    "notify.inapp_messages m "
                    "JOIN notify.deliveries d ON d.id = m.delivery_id GROUP BY 1, 2, 3 HAVING count(*) > 1"
                )
            ).all(),
            duplicated=1,
        )
        f.fail(
            "in-app deliveries sent but not in the inbox",
            conn.execute(
                sa.text(
                    "SELECT d.id::text FROM notify.deliveries d LEFT JOIN notify.inapp_messages m ON "
                    "m.delivery_id = d.id "
                    "WHERE d.channel = 'inapp' AND d.state = 'sent' AND m.id IS NULL"
                )
            ).all(),
            lost=1,
        )
        routed_notice = set(
            conn.execute(
                sa.text(
                    "SELECT report_id::text FROM notify.deliveries WHERE audience = 'agency' AND kind = "
                    "'case.routed' "
                    "AND state IN ('sent', 'acknowledged')"
                )
            ).scalars()
        )
        f.fail(
            "routed reports the agency was never told of",
            [r for r in accepted if decisions[r] and r not in routed_notice],
            lost=1,
        )
        sent_agency = {
            d: (rec, cause, kind)
            for d, rec, cause, kind in conn.execute(
                sa.text(
                    "SELECT id::text, recipient, cause_event_id::text, kind FROM notify.deliveries "
                    "WHERE audience = 'agency' AND channel = 'amqp' AND state IN ('sent', 'acknowledged')"
                )
            )
        }
        # nothing parked anywhere
        for schema in _tables(conn, "inbox"):
            f.fail(
                f"events parked in {schema}.inbox",
                conn.execute(
                    sa.text(
                        f"SELECT event_type, outcome, left(coalesce(error, ''), 120) FROM {schema}.inbox "
                        f"WHERE outcome <> 'handled'"
                    )
                ).all(),
                lost=1,
            )
        f.figures["reports stored"] = len(rows)
        f.figures["accepted"] = len(accepted)
        f.figures["routings"] = sum(decisions.values())
        f.figures["timeline steps"] = conn.execute(sa.text("SELECT count(*) FROM intake.timeline")).scalar()
        f.figures["in-app messages"] = conn.execute(
            sa.text("SELECT count(*) FROM notify.inapp_messages")
        ).scalar()
    received = agency_messages(system)
    got = Counter(m.get("delivery_id") for m in received)
    f.fail("agency deliveries the agency never received", [d for d in sent_agency if not got[d]], lost=1)
    per_receiver = Counter(sent_agency[d] for d in got if d in sent_agency)
    f.fail(
        "agency received one event twice (distinct deliveries)",
        [k for k, n in per_receiver.items() if n > 1],
        duplicated=1,
    )
    f.figures["agency messages received"] = len(received)
    f.figures["agency deliveries received more than once (same delivery id, deduped)"] = sum(
        1 for n in got.values() if n > 1
    )
    return f
