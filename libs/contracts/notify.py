"""Views of the notify service."""
from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime

from .common import Contract


class DeliveryView(Contract):
    """One delivery of a case to an agency or a citizen."""

    id: UUID
    report_id: UUID
    recipient: str
    channel: str
    kind: str
    state: str
    attempts: int
    last_error: str | None = None
    created_at: AwareDatetime
