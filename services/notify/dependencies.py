"""Dependency providers of the notify service: settings, the channel couriers, and RPC to its peers.

Peers are asked through standalone `ClusterRpcProxy`s that carry a timeout (nameko 2.x service-to-service
RPC has none); a proxy is not thread-safe, so each call borrows one from a small pool and gives it back,
and a proxy that timed out or broke is dropped and replaced.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import httpx
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from pydantic import ValidationError

from libs.contracts.notify import NotificationRecipient, NotificationRecipientsQuery
from libs.platform.boot import BootError

from . import settings as settings_module
from . import templates
from .channels import DeliveryResult
from .channels.amqp import AgencyExchange
from .channels.sms import send_sms
from .channels.smtp import send_email
from .channels.webhook import post_webhook
from .names import NameBook
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
    """One call per channel, each returning a DeliveryResult (blocking I/O with timeouts; green under eventlet)."""

    def __init__(self, settings: NotifySettings):
        self.settings = settings
        self.exchange = AgencyExchange(settings.agency_amqp_uri, timeout=settings.http_timeout_s)
        self.http = httpx.Client(timeout=settings.http_timeout_s, follow_redirects=False)

    def amqp(self, routing_key: str, body: Mapping[str, Any], delivery_id: str, event_type: str) -> DeliveryResult:
        return self.exchange.publish(routing_key, body, message_id=delivery_id,
                                     headers={"event": event_type, "delivery_id": delivery_id})

    def webhook(self, url: str, body: Mapping[str, Any], secrets: Sequence[str], event_type: str,
                delivery_id: str) -> DeliveryResult:
        return post_webhook(url, body, secrets=secrets, event_type=event_type, delivery_id=delivery_id,
                            timeout=self.settings.http_timeout_s, client=self.http)

    def email(self, to: str, subject: str, text: str, headers: Mapping[str, str] | None = None) -> DeliveryResult:
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


class PeerError(Exception):
    """A peer service did not answer usefully; `reason` is a short code (timeout, unknown_service, remote:X)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotifyRpcProxy(ClusterRpcProxy):
    """A standalone proxy whose calls carry notify's name in the call-id stack (intake audits the caller)."""

    class ServiceContainer(ClusterRpcProxy.ServiceContainer):
        service_name = "notify"


class PeerPool:
    """Borrow-and-return pool of started standalone RPC proxies, each with a timeout."""

    def __init__(self, amqp_uri: str, timeout: float):
        self.config, self.timeout = {"AMQP_URI": amqp_uri}, timeout
        self._idle: list[tuple[ClusterRpcProxy, Any]] = []
        self._closed = False

    def _borrow(self) -> tuple[ClusterRpcProxy, Any]:
        if self._idle:
            return self._idle.pop()
        runner = NotifyRpcProxy(self.config, timeout=self.timeout)
        return runner, runner.start()

    def _discard(self, runner: ClusterRpcProxy) -> None:
        try:
            runner.stop()
        except Exception:  # a broken connection cannot be closed cleanly
            pass

    def call(self, service: str, method: str, **kwargs: Any) -> Any:
        """`service.method(**kwargs)` within the timeout; may raise PeerError."""
        try:
            runner, proxy = self._borrow()
        except Exception as exc:  # broker unreachable
            raise PeerError(f"broker:{type(exc).__name__}") from None
        try:
            result = getattr(getattr(proxy, service), method)(**kwargs)
        except RemoteError as exc:  # the peer answered with an error: the proxy is fine
            self._idle.append((runner, proxy))
            raise PeerError(f"remote:{exc.exc_type}") from None
        except RpcTimeout:
            self._discard(runner)
            raise PeerError("timeout") from None
        except UnknownService:
            self._discard(runner)
            raise PeerError("unknown_service") from None
        except Exception as exc:
            self._discard(runner)
            raise PeerError(f"rpc:{type(exc).__name__}") from None
        if self._closed:
            self._discard(runner)
        else:
            self._idle.append((runner, proxy))
        return result

    def close(self) -> None:
        self._closed = True
        while self._idle:
            self._discard(self._idle.pop()[0])


class PeerClient:
    """What notify asks its peers: who follows a case (intake, audited there) and display names (routing)."""

    def __init__(self, pool: PeerPool, names_ttl_s: float):
        self.pool = pool
        self.names = NameBook(lambda: pool.call("routing", "list_categories"), names_ttl_s)

    def recipients(self, report_id: UUID, purpose: str) -> list[NotificationRecipient]:
        """Contacts of everyone following a case, read now for `purpose`; may raise PeerError."""
        query = NotificationRecipientsQuery(report_id=report_id, purpose=purpose)
        answer = self.pool.call("intake", "notification_recipients", payload=query.model_dump(mode="json"))
        try:
            return [NotificationRecipient.model_validate(item) for item in answer or []]
        except ValidationError:
            raise PeerError("invalid_recipients") from None  # the answer itself may hold contacts: not logged


class Peers(DependencyProvider):
    """Injects the PeerClient used to ask intake (recipients) and routing (names) with a bounded wait."""

    def setup(self) -> None:
        cfg = self.container.config
        parsed = settings_module.parse(cfg)
        self.pool = PeerPool(cfg["AMQP_URI"], parsed.rpc_timeout_s)
        self.client = PeerClient(self.pool, parsed.names_ttl_s)

    def stop(self) -> None:
        self.pool.close()

    kill = stop

    def get_dependency(self, worker_ctx) -> PeerClient:
        return self.client
