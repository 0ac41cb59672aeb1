"""Dependency providers of the notify service: settings, the channel couriers, and RPC to its peers.

Peers (intake, routing) are asked through nameko's per-worker proxies with a bounded wait
(`libs.platform.peers.timed_call`); a call in flight is abandoned when the sweep's timer is being stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

import httpx
from nameko.extensions import DependencyProvider
from nameko.rpc import ServiceProxy
from pydantic import ValidationError

from libs.auth.grants import check_grant_key, mint_grant
from libs.contracts.notify import NotificationRecipient, NotificationRecipientsQuery
from libs.platform.boot import BootError
from libs.platform.peers import PeerError, PeerStopped, PromptReplyListener, stop_requested, timed_call

from . import settings as settings_module
from .channels import DeliveryResult
from .channels.amqp import AgencyExchange
from .channels.sms import send_sms
from .channels.smtp import send_email
from .channels.webhook import post_webhook
from .domain import templates
from .domain.names import NameBook
from .settings import NotifySettings

log = logging.getLogger(__name__)


class Settings(DependencyProvider):
    """Parses and checks notify's configuration (and its message catalogue) once at boot."""

    def setup(self) -> None:
        try:
            self.settings = settings_module.parse(self.container.config)
            templates.check_catalogue()
        except (settings_module.SettingsError, templates.TemplateError) as exc:
            raise BootError(f"notify: {exc}") from None

    def get_dependency(self, worker_ctx) -> NotifySettings:
        return self.settings


class Courier:
    """One call per channel, each returning a DeliveryResult (blocking I/O with timeouts; green under
    eventlet)."""

    def __init__(self, settings: NotifySettings):
        self.settings = settings
        self.exchange = AgencyExchange(settings.agency_amqp_uri, timeout=settings.http_timeout_s)
        self.http = httpx.Client(timeout=settings.http_timeout_s, follow_redirects=False)

    def amqp(
        self, routing_key: str, body: Mapping[str, Any], delivery_id: str, event_type: str
    ) -> DeliveryResult:
        return self.exchange.publish(
            routing_key,
            body,
            message_id=delivery_id,
            headers={"event": event_type, "delivery_id": delivery_id},
        )

    def webhook(
        self, url: str, body: Mapping[str, Any], secrets: Sequence[str], event_type: str, delivery_id: str
    ) -> DeliveryResult:
        return post_webhook(
            url,
            body,
            secrets=secrets,
            event_type=event_type,
            delivery_id=delivery_id,
            timeout=self.settings.http_timeout_s,
            client=self.http,
        )

    def email(
        self, to: str, subject: str, text: str, headers: Mapping[str, str] | None = None
    ) -> DeliveryResult:
        if self.settings.smtp is None:
            return DeliveryResult(ok=False, error="smtp_not_configured")
        try:
            return send_email(self.settings.smtp, to, subject, text, headers=headers)
        except ValueError:  # malformed address: retrying will not help (the address is not echoed)
            return DeliveryResult(ok=False, error="invalid_address", permanent=True)

    def sms(self, to: str, text: str) -> DeliveryResult:
        if self.settings.sms is None:
            return DeliveryResult(ok=False, error="sms_not_configured")
        return send_sms(self.settings.sms, to, text, client=self.http)

    def close(self) -> None:
        self.exchange.close()
        self.http.close()


class Couriers(DependencyProvider):
    """Injects the process's Courier (one AMQP connection, one HTTP connection pool)."""

    def setup(self) -> None:
        self.courier: Courier | None = None

    def _get(self) -> Courier:
        if self.courier is None:
            self.courier = Courier(settings_module.parse(self.container.config))
        return self.courier

    def stop(self) -> None:
        if self.courier is not None:
            self.courier.close()
            self.courier = None

    kill = stop

    def get_dependency(self, worker_ctx) -> Courier:
        return self._get()


class PeerClient:
    """What one worker asks notify's peers: who follows a case (intake, audited there) and display names
    (routing).

    Calls go through the worker's own nameko proxies with a bounded wait (`libs.platform.peers.timed_call`),
    and are abandoned as soon as the timer that started the worker is being stopped (`stopping`)."""

    def __init__(
        self,
        intake: ServiceProxy,
        routing: ServiceProxy,
        book: NameBook,
        timeout_s: float,
        stopping: Callable[[], bool],
        grant_key: str = "",
    ):
        self.intake, self.routing, self.book = intake, routing, book
        self.timeout_s, self.stopping, self.grant_key = timeout_s, stopping, grant_key

    def _call(self, proxy: ServiceProxy, method: str, **kwargs: Any) -> Any:
        return timed_call(proxy, method, self.timeout_s, stopping=self.stopping, **kwargs)

    def recipients(self, report_id: UUID, purpose: str) -> list[NotificationRecipient]:
        """Contacts of everyone following a case, read now for `purpose`; may raise PeerError."""
        grant = mint_grant(
            self.grant_key,
            sub="notify",
            role="service",
            agency=None,
            action="notification_recipients",
            report_id=report_id,
            purpose=purpose,
        )
        query = NotificationRecipientsQuery(report_id=report_id, purpose=purpose, grant=grant)
        answer = self._call(self.intake, "notification_recipients", payload=query.model_dump(mode="json"))
        try:
            return [NotificationRecipient.model_validate(item) for item in answer or []]
        except ValidationError:  # the answer itself may hold contacts: not logged
            raise PeerError("intake", "notification_recipients", "invalid_recipients") from None

    @property
    def names(self) -> NameBook:
        """The process's names, refreshed from routing first when they are due."""
        self.book.refresh(self._list_names)
        return self.book

    def _list_names(self) -> dict | None:
        try:
            return self._call(self.routing, "list_names")
        except PeerStopped:
            raise
        except PeerError as exc:
            log.warning("names unavailable (codes are shown): %s", exc.reason)
            return None


class Peers(DependencyProvider):
    """Gives each worker a PeerClient over its own proxies to intake and routing.

    The proxies are nameko's, made exactly as its `RpcProxy` dependency makes them (a `ServiceProxy` per
    worker over the container's one reply queue, so notify's name is on the call-id stack); only the name
    cache is shared by the workers. The reply listener lets go of its queue at once at stop
    (`PromptReplyListener`)."""

    rpc_reply_listener = PromptReplyListener()

    def setup(self) -> None:
        try:
            parsed = settings_module.parse(self.container.config)
        except (
            settings_module.SettingsError
        ) as exc:  # the same refusal as the Settings provider's, whichever is first
            raise BootError(f"notify: {exc}") from None
        self.timeout_s, self.book = parsed.rpc_timeout_s, NameBook(parsed.names_ttl_s)
        try:  # signs the grant intake requires for each read of recipients' contacts
            self.grant_key = check_grant_key(self.container.config.get("HT_GRANT_KEY") or "")
        except ValueError as exc:
            raise BootError(f"notify: {exc}") from None

    def get_dependency(self, worker_ctx) -> PeerClient:
        proxy = lambda service: ServiceProxy(worker_ctx, service, self.rpc_reply_listener)  # noqa: E731
        return PeerClient(
            proxy("intake"),
            proxy("routing"),
            self.book,
            self.timeout_s,
            stop_requested(worker_ctx),
            self.grant_key,
        )
