"""The sweep: performs due deliveries off the event handlers, one short transaction per piece of work.

Two passes run on their own timers: `agencies()` sends due agency deliveries; `citizens()` expands due citizen
notices (asking intake who follows the case, at send time), then sends due citizen deliveries (retries and
messages held by quiet hours). Every outcome becomes state through `backoff`; a delivery out of retries is
parked and alerted. A pass ends early when its timer is being stopped (the service is shutting down): the item
in hand is finished, or, when it waits for a peer, rolled back as it was (still due at the next start)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from libs.contracts.common import utcnow
from libs.contracts.notify import AgencyCaseMessageV1, NotificationRecipient
from libs.platform import metrics
from libs.platform.peers import PeerError, PeerRemoteError, PeerStopped

from ..channels import DeliveryResult
from ..dependencies import Courier, PeerClient
from ..domain import agency, backoff, citizens, templates
from ..domain.backoff import RetryPolicy
from ..domain.names import NOT_SET
from ..domain.quiet import deliver_at
from ..repository import deliveries as repo
from ..settings import NotifySettings
from . import planner

log = logging.getLogger(__name__)


def attempt_outcome(state: backoff.DeliveryState) -> str:
    """How an attempt ended, for `ht_notify_delivery_attempts_total`: sent, acknowledged, failed or parked."""
    if state.parked:
        return "parked"
    return state.status.value


class Sweep:
    """One pass over due work: `agencies()` or `citizens()`; each returns how much it handled."""

    def __init__(
        self,
        uow,
        settings: NotifySettings,
        courier: Courier,
        peers: PeerClient,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.uow, self.settings, self.courier, self.peers, self.clock = uow, settings, courier, peers, clock
        self.stopping = peers.stopping  # the timer running this pass is being stopped
        self._peer_down = False

    def agencies(self) -> int:
        """Send due agency deliveries (its own timer: a slow or absent intake never holds cases back)."""
        return self._loop(self.agency_one, self.settings.sweep_batch)

    def citizens(self) -> dict[str, int]:
        """Expand due notices, then send due citizen deliveries; stops early while intake is unavailable."""
        self._peer_down = False
        return {
            "notices": self._loop(self.notice_one, self.settings.sweep_batch),
            "citizen": self._loop(self.citizen_one, self.settings.sweep_batch),
        }

    def _loop(self, step: Callable[[], bool], budget: int) -> int:
        done = 0
        while done < budget and not self._peer_down and not self.stopping() and step():
            done += 1
        return done

    def _isolated(self, work: Callable[[], None], on_crash: Callable[[str], None]) -> None:
        """Do one item's work and commit; a crash is rolled back and recorded as the item's state (no poison
        loop)."""
        try:
            work()
            self.uow.commit()
        except PeerStopped:  # shutting down while waiting for a peer: the item stays as it was, still due
            self.uow.rollback()
        except Exception as exc:
            self.uow.rollback()
            log.exception("sweep: an item crashed")
            on_crash(f"internal:{type(exc).__name__}")  # may raise too: then the database itself is down
            self.uow.commit()

    def _crashed(self, ids: list, error: str, policy: RetryPolicy) -> None:
        for delivery_id in ids:
            row = repo.get_delivery(self.uow, delivery_id, lock=True)
            if row is not None and row.state in repo.ATTEMPTABLE:
                self._record(row, DeliveryResult(ok=False, error=error), self.clock(), policy)

    def _peer_failed(self, exc: PeerError) -> None:
        """Intake did not answer at all: leave the rest of this pass for later (each try costs a timeout)."""
        if not isinstance(exc, PeerRemoteError):
            self._peer_down = True

    # --- outcomes
    # ---------------------------------------------------------------------------------------------

    def _guard(self, send: Callable[[], DeliveryResult]) -> DeliveryResult:
        """A bug in one delivery becomes that delivery's state instead of stopping the sweep."""
        try:
            return send()
        except PeerStopped:
            raise
        except templates.TemplateError:
            return DeliveryResult(ok=False, error="template_error", permanent=True)
        except Exception as exc:
            log.exception("delivery attempt crashed")
            return DeliveryResult(ok=False, error=f"internal:{type(exc).__name__}")

    def _record(self, row, result: DeliveryResult, now: datetime, policy: RetryPolicy) -> None:
        state, extra = repo.state_of(row), {}
        if result.ok:
            new = backoff.on_success(state, now, acknowledged=result.acknowledged)
            if result.acknowledged:
                extra["acknowledged_by"] = "webhook"
        else:
            new = backoff.on_failure(
                state,
                result.error or "unknown_error",
                now,
                policy,
                permanent=result.permanent,
                key=str(row.id),
            )
        repo.save_state(self.uow, row.id, new, now, **extra)
        metrics.DELIVERY_ATTEMPTS.labels(row.channel, attempt_outcome(new)).inc()
        if result.acknowledged and row.kind == "case.routed":
            repo.acknowledge_case(self.uow, row.report_id, row.recipient, "webhook", now)
        if new.parked:
            planner.alert(self.uow, row, new.attempts, new.last_error or "")

    # --- agencies
    # ---------------------------------------------------------------------------------------------

    def agency_one(self) -> bool:
        now = self.clock()
        row = repo.claim_agency_delivery(self.uow, now)
        if row is None:
            return False
        self._isolated(
            lambda: self._agency_work(row, now),
            lambda error: self._crashed([row.id], error, self.settings.agency_policy),
        )
        return True

    def _agency_work(self, row, now: datetime) -> None:
        if row.channel == "none":
            if not planner.replan_unconfigured(self.uow, self.settings, row, now):
                self._record(
                    row,
                    DeliveryResult(ok=False, error=planner.NO_CHANNEL, permanent=True),
                    now,
                    self.settings.agency_policy,
                )
        else:
            self._record(row, self._guard(lambda: self._send_agency(row)), now, self.settings.agency_policy)

    def _send_agency(self, row) -> DeliveryResult:
        ch = repo.channel(self.uow, row.channel_id)
        if row.channel_id is not None and (ch is None or not ch.enabled):
            return DeliveryResult(ok=False, error="channel_removed", permanent=True)
        delivery_id = str(row.id)
        if row.channel == "amqp":
            return self.courier.amqp(row.routing_key, row.payload, delivery_id, row.kind)
        if row.channel == "webhook":
            return self.courier.webhook(ch.url, row.payload, list(ch.secrets), row.kind, delivery_id)
        if row.channel == "email":
            msg = agency.email(AgencyCaseMessageV1.model_validate(row.payload), self.peers.names)
            return self.courier.email(
                ch.email,
                msg.subject,
                msg.text,
                headers={"X-HT-Delivery": delivery_id, "X-HT-Event": row.kind},
            )
        return DeliveryResult(ok=False, error=f"unknown_channel:{row.channel}", permanent=True)

    # --- citizens: fan a notice out to whoever follows the case
    # -----------------------------------------------

    def notice_one(self) -> bool:
        now = self.clock()
        notice = repo.claim_notice(self.uow, now)
        if notice is None:
            return False
        self._isolated(
            lambda: self._notice_work(notice, now), lambda error: self._notice_failed(notice, error, now)
        )
        return True

    def _notice_work(self, notice, now: datetime) -> None:
        try:
            people = self.peers.recipients(notice.report_id, purpose=f"notify:{notice.template}")
        except PeerStopped:
            raise
        except PeerError as exc:
            self._notice_failed(notice, exc.reason, now)
            self._peer_failed(exc)
            return
        for person in people:
            self._fan_out(notice, person, now)
        repo.update_notice(self.uow, notice.id, now, state="expanded", last_error=None)

    def _notice_failed(self, notice, reason: str, now: datetime) -> None:
        attempts = notice.attempts + 1
        retry_at = backoff.next_attempt_at(attempts, now, self.settings.citizen_policy, key=str(notice.id))
        if retry_at is not None:
            repo.update_notice(
                self.uow, notice.id, now, attempts=attempts, last_error=reason, next_attempt_at=retry_at
            )
            return
        repo.update_notice(
            self.uow,
            notice.id,
            now,
            state="failed",
            attempts=attempts,
            last_error=reason,
            next_attempt_at=None,
        )
        row = dict(
            id=uuid.uuid5(notice.id, "notice"),
            report_id=notice.report_id,
            cause_event_id=notice.cause_event_id,
            recipient="*",
            channel="none",
            kind=f"citizen.{notice.template}",
            state="failed",
            attempts=attempts,
            last_error=reason,
            next_attempt_at=None,
            created_at=now,
            updated_at=now,
            audience="citizen",
            dedupe_key=f"{notice.id}:*:none",
            notice_id=notice.id,
            template=notice.template,
            payload=notice.values,
            urgent=notice.urgent,
        )
        repo.park_placeholder(self.uow, **row)
        planner.alert(self.uow, row, attempts, reason)

    def _fan_out(self, notice, person: NotificationRecipient, now: datetime) -> None:
        owner = citizens.inbox_owner(person, notice.report_id)
        link = repo.recipient_link(self.uow, notice.report_id, person.recipient_ref, person.role, owner, now)
        muted = person.unsubscribed or link.unsubscribed_at is not None or repo.owner_muted(self.uow, owner)
        for channel in citizens.channels_for(person, citizens.has_inbox(person, owner)):
            if channel != "inapp" and muted:
                continue
            at = now if channel == "inapp" else deliver_at(now, notice.urgent, self.settings.quiet)
            delivery_id = uuid.uuid4()
            inserted = repo.insert_delivery(
                self.uow,
                **dict(
                    id=delivery_id,
                    report_id=notice.report_id,
                    cause_event_id=notice.cause_event_id,
                    recipient=person.recipient_ref,
                    channel=channel,
                    kind=f"citizen.{notice.template}",
                    state="pending",
                    attempts=0,
                    next_attempt_at=at,
                    created_at=now,
                    updated_at=now,
                    audience="citizen",
                    dedupe_key=f"{notice.id}:{person.recipient_ref}:{channel}",
                    notice_id=notice.id,
                    template=notice.template,
                    payload=notice.values,
                    urgent=notice.urgent,
                ),
            )
            if inserted and at <= now:
                row = repo.get_delivery(self.uow, delivery_id)
                self._record(
                    row,
                    self._guard(
                        lambda row=row, person=person, link=link: self._send_citizen(row, person, link, now)
                    ),
                    now,
                    self.settings.citizen_policy,
                )

    # --- citizens: retries and messages held by quiet hours
    # ---------------------------------------------------

    def citizen_one(self) -> bool:
        now = self.clock()
        rows = repo.claim_citizen_deliveries(self.uow, now, self.settings.sweep_batch)
        if not rows:
            return False
        self._isolated(
            lambda: self._citizen_work(rows, now),
            lambda error: self._crashed([r.id for r in rows], error, self.settings.citizen_policy),
        )
        return True

    def _citizen_work(self, rows, now: datetime) -> None:
        report_id = rows[0].report_id
        try:
            people = {
                p.recipient_ref: p
                for p in self.peers.recipients(report_id, purpose=f"notify:{rows[0].template}:retry")
            }
        except PeerStopped:
            raise
        except PeerError as exc:
            for row in rows:
                self._record(
                    row, DeliveryResult(ok=False, error=exc.reason), now, self.settings.citizen_policy
                )
            self._peer_failed(exc)
            return
        for row in rows:
            person = people.get(row.recipient)
            if person is None:
                repo.skip_delivery(self.uow, row.id, "recipient_gone", now)
                continue
            owner = citizens.inbox_owner(person, report_id)
            link = repo.recipient_link(self.uow, report_id, row.recipient, person.role, owner, now)
            muted = (
                person.unsubscribed or link.unsubscribed_at is not None or repo.owner_muted(self.uow, owner)
            )
            if row.channel != "inapp" and muted:
                repo.skip_delivery(self.uow, row.id, "unsubscribed", now)
                continue
            self._record(
                row,
                self._guard(
                    lambda row=row, person=person, link=link: self._send_citizen(row, person, link, now)
                ),
                now,
                self.settings.citizen_policy,
            )

    def _values(self, row, link) -> dict[str, Any]:
        values = citizens.revive(row.payload or {})
        names, links, report_id, code = (
            self.peers.names,
            self.settings.links,
            str(row.report_id),
            values["code"],
        )
        values.update(
            category_name=names.category(values.get("category")),
            agency_name=names.agency(values.get("agency_code")),
            ward_name=names.ward(values.get("ward_code")),
            case_url=links.case(report_id, code),
            unsubscribe_url=links.unsubscribe(link.link_token),
            rating_url=links.rating(report_id, code),
        )
        for key in citizens.DATETIME_KEYS:
            if values.get(key) is None:
                values[key] = NOT_SET
        return values

    def _send_citizen(self, row, person: NotificationRecipient, link, now: datetime) -> DeliveryResult:
        msg = templates.render(
            row.template, person.language, self._values(row, link)
        )  # may raise TemplateError
        if row.channel == "inapp":
            repo.insert_inapp(
                self.uow,
                delivery_id=row.id,
                recipient_ref=row.recipient,
                report_id=row.report_id,
                owner_report_id=link.owner_report_id,
                template=row.template,
                language=msg.language,
                subject=msg.subject,
                body=msg.body,
                created_at=now,
            )
            return DeliveryResult(ok=True)
        if row.channel == "email" and person.email:
            unsubscribe = self.settings.links.unsubscribe(link.link_token)
            return self.courier.email(
                person.email,
                msg.subject,
                msg.text,
                headers={
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "X-HT-Delivery": str(row.id),
                },
            )
        if row.channel == "sms" and person.phone:
            return self.courier.sms(person.phone, msg.sms)
        return DeliveryResult(ok=False, error=f"no_{row.channel}_contact", permanent=True)
