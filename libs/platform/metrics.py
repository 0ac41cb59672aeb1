"""Every Prometheus metric family of the services, defined once (names are what dashboards and alerts use).

Counters and histograms are updated where the work happens (cheap: a dict lookup and a lock). State gauges
(outbox backlog, open cases, deliveries waiting) are read from the database when Prometheus scrapes, at most
once per `STATE_TTL_S` (see `libs.platform.telemetry`). The gateway's HTTP families live in
`gateway.observability`.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

disable_created_metrics()  # no `_created` series: half the lines, nothing our dashboards use

_children: dict[tuple, object] = {}


def child(metric, *values: str):
    """`metric.labels(*values)`, remembered: a dict look-up instead of prometheus_client's checks and lock
    (label values on hot paths are few: methods, routes, statuses, event types)."""
    key = (id(metric), values)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*values)
    return found


# seconds: from a 2 ms RPC to a 15 s photo; Prometheus computes p50/p99 from these buckets
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MEDIA_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

# ---- RPC (server side, every nameko service)
RPC_DURATION = Histogram(
    "ht_rpc_duration_seconds",
    "Time to answer an RPC, by service and method",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
RPC_CALLS = Counter(
    "ht_rpc_calls_total",
    "RPCs answered, by outcome: ok, refused (a ServiceError: the "
    "caller's fault), error (unexpected), expired (its deadline passed before a worker took it)",
    ["service", "method", "outcome"],
)
TIMER_DURATION = Histogram(
    "ht_timer_duration_seconds",
    "Time of one timer run (sweeps, relays of work)",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)

# ---- events (libs.platform.events.consumes)
EVENTS_HANDLED = Counter(
    "ht_events_handled_total", "Events handled (first delivery of an event id)", ["service", "event_type"]
)
EVENT_DURATION = Histogram(
    "ht_event_handling_seconds",
    "Time to handle one event, by type",
    ["service", "event_type"],
    buckets=LATENCY_BUCKETS,
)
EVENT_RETRIES = Counter(
    "ht_event_retries_total", "Handler failures followed by a redelivery", ["service", "event_type"]
)
EVENTS_PARKED = Counter(
    "ht_events_parked_total",
    "Events parked in the inbox: failed after the last attempt, or invalid",
    ["service", "event_type", "reason"],
)
INBOX_DUPLICATES = Counter(
    "ht_inbox_duplicates_total", "Redelivered events skipped by the inbox", ["service", "event_type"]
)

# ---- outbox relay (libs.platform.relay)
OUTBOX_PUBLISHED = Counter(
    "ht_outbox_published_total", "Outbox rows published with a broker confirm", ["service"]
)
OUTBOX_FAILURES = Counter(
    "ht_outbox_publish_failures_total", "Outbox publishes that failed (retried later)", ["service"]
)

# ---- notify
DELIVERY_ATTEMPTS = Counter(
    "ht_notify_delivery_attempts_total",
    "Delivery attempts by channel and outcome: sent, acknowledged, failed (retried), parked (out of retries)",
    ["channel", "outcome"],
)

# ---- media
MEDIA_PROCESSING = Histogram(
    "ht_media_processing_seconds",
    "Time to process one file (download, checks, renditions, upload), by kind and outcome",
    ["kind", "outcome"],
    buckets=MEDIA_BUCKETS,
)
MEDIA_REJECTED = Counter("ht_media_rejected_total", "Files refused, by reason (error code)", ["reason"])

# ---- state gauges read from the database or the broker at scrape time (name → help, labels)
STATE_GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ht_outbox_backlog": ("Outbox rows not yet published", ("service",)),
    "ht_outbox_oldest_age_seconds": ("Age of the oldest unpublished outbox row (0 when none)", ("service",)),
    "ht_inbox_parked": ("Events parked in the inbox (failed or invalid) awaiting an operator", ("service",)),
    "ht_queue_messages": ("Messages ready in a queue this process publishes to", ("queue", "consumer")),
    "ht_queue_consumers": ("Consumers attached to a queue this process publishes to", ("queue", "consumer")),
    "ht_cases_open": ("Open cases by state (intake)", ("state",)),
    "ht_cases_overdue": ("Open cases past their deadline (intake)", ()),
    "ht_notify_deliveries": (
        "Deliveries not yet done, by channel and state: pending, retrying, parked",
        ("channel", "state"),
    ),
    "ht_metrics_probe_up": ("1 when the last read of a state probe succeeded", ("service", "probe")),
}
