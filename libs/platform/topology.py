"""Who consumes which event: declared before anything is published, so no event is dropped unbound.

Queue names and flags match what nameko's `@event_handler` (service pool, reliable delivery) declares,
so a service that starts later consumes what was published while it was away.
"""

from __future__ import annotations

from dataclasses import dataclass

from kombu import Exchange, Queue


@dataclass(frozen=True)
class Subscription:
    """One `@event_handler(source, event_type)` method of one service."""

    source: str
    event_type: str
    service: str
    method: str

    @property
    def queue_name(self) -> str:
        return f"evt-{self.source}-{self.event_type}--{self.service}.{self.method}"


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("intake", "report.accepted", "routing", "handle_report_accepted"),
    Subscription("intake", "report.reroute_requested", "routing", "handle_report_reroute_requested"),
    Subscription("intake", "report.status_changed", "routing", "handle_report_status_changed"),
    Subscription("routing", "report.routed", "intake", "handle_report_routed"),
    Subscription("routing", "report.unroutable", "intake", "handle_report_unroutable"),
    Subscription("routing", "report.deadline_changed", "intake", "handle_report_deadline_changed"),
    Subscription("routing", "report.overdue", "intake", "handle_report_overdue"),
    Subscription("routing", "report.routed", "notify", "handle_report_routed"),
    Subscription("intake", "report.status_changed", "notify", "handle_report_status_changed"),
    Subscription("routing", "report.due_soon", "notify", "handle_report_due_soon"),
    Subscription("routing", "report.overdue", "notify", "handle_report_overdue"),
    Subscription("routing", "report.deadline_changed", "notify", "handle_report_deadline_changed"),
    Subscription("intake", "report.submitted", "feedback", "handle_report_submitted"),
    Subscription("intake", "report.accepted", "feedback", "handle_report_accepted"),
    Subscription("intake", "report.status_changed", "feedback", "handle_report_status_changed"),
    Subscription("routing", "report.routed", "feedback", "handle_report_routed"),
    Subscription("routing", "report.deadline_changed", "feedback", "handle_report_deadline_changed"),
    Subscription("routing", "report.overdue", "feedback", "handle_report_overdue"),
    Subscription("media", "media.stored", "intake", "handle_media_stored"),
    Subscription("intake", "report.media_visibility_changed", "media", "handle_media_visibility_changed"),
)


def event_exchange(source: str) -> Exchange:
    """The topic exchange nameko uses for a service's events."""
    return Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=2)


def queues_for(source: str) -> list[Queue]:
    """Durable queues of every consumer of `source`'s events."""
    return [
        Queue(
            s.queue_name,
            exchange=event_exchange(s.source),
            routing_key=s.event_type,
            durable=True,
            auto_delete=False,
            exclusive=False,
        )
        for s in SUBSCRIPTIONS
        if s.source == source
    ]


def declare(channel, source: str) -> None:
    """Declare `source`'s exchange and its consumers' queues and bindings (idempotent)."""
    event_exchange(source)(channel).declare()
    for queue in queues_for(source):
        queue(channel).declare()
