"""Delivery to agencies, for staff: operators see (failed) deliveries and redeliver, see cases no agency
acknowledged; agencies acknowledge receipt; administrators configure each agency's channels.

Notify re-checks every role and scope (an agency sees and acknowledges only its own deliveries: else 404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import AnyHttpUrl, BaseModel, EmailStr, Field

from libs.auth.tokens import Principal
from libs.contracts.common import AgencyCode, CategoryCode
from libs.contracts.notify import (
    AgencyChannelView,
    Audience,
    CaseAcknowledged,
    CaseDeliveryState,
    ChannelKind,
    DeliveryState,
    DeliveryView,
    WebhookSecret,
)

from ..auth import actor_payload, require
from ..calls import PROBLEMS
from ..deps import Runtime, runtime

router = APIRouter(prefix="/v1/notify", tags=["notify"])
Staff = Annotated[Principal, Depends(require("operator", "administrator", "agency_officer", "agency_leader"))]
Operator = Annotated[Principal, Depends(require("operator", "administrator"))]
Agency = Annotated[Principal, Depends(require("agency_officer", "agency_leader"))]
Admin = Annotated[Principal, Depends(require("administrator"))]


class ChannelBody(BaseModel):
    """An agency channel as an administrator writes it (notify checks it against its kind)."""

    agency_code: AgencyCode
    category: CategoryCode | None = Field(None, description="Only this category; none = every category")
    kind: ChannelKind
    url: AnyHttpUrl | None = Field(None, description="webhook: its HTTPS endpoint")
    email: EmailStr | None = Field(None, description="email: the agency's address")
    secrets: list[WebhookSecret] | None = Field(
        None, min_length=1, max_length=2, description="webhook: 1-2 active secrets (rotation)"
    )
    enabled: bool = True


async def _notify(rt: Runtime, method: str, **payload) -> object:
    return await rt.rpc.call("notify", method, payload=payload)


@router.get(
    "/deliveries",
    response_model=list[DeliveryView],
    responses=PROBLEMS,
    summary="Lượt gửi / deliveries, newest first (e.g. state=failed&parked=true: waiting for an operator)",
)
async def list_deliveries(
    principal: Staff,
    state: DeliveryState | None = None,
    parked: Annotated[bool | None, Query(description="failed with no retry scheduled")] = None,
    audience: Audience | None = None,
    agency_code: str | None = None,
    report_id: UUID | None = None,
    before: Annotated[
        datetime | None, Query(description="created_at of the previous page's last row")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    rt: Runtime = Depends(runtime),
) -> list:
    return await _notify(
        rt,
        "query_deliveries",
        state=state,
        parked=parked,
        audience=audience,
        agency_code=agency_code,
        report_id=str(report_id) if report_id else None,
        before=before.isoformat() if before else None,
        limit=limit,
        actor=actor_payload(principal),
    )


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryView,
    responses=PROBLEMS,
    summary="Gửi lại / redeliver: back to pending with attempts reset (same delivery id)",
)
async def redeliver(delivery_id: UUID, principal: Operator, rt: Runtime = Depends(runtime)) -> dict:
    return await _notify(rt, "redeliver", delivery_id=str(delivery_id), actor=actor_payload(principal))


@router.get(
    "/unacknowledged",
    response_model=list[CaseDeliveryState],
    responses=PROBLEMS,
    summary="Chưa xác nhận / routed cases the agency has not acknowledged (past the accept deadline)",
)
async def unacknowledged(
    principal: Staff,
    agency_code: str | None = None,
    overdue_only: bool = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    rt: Runtime = Depends(runtime),
) -> list:
    return await _notify(
        rt,
        "list_unacknowledged",
        agency_code=agency_code,
        overdue_only=overdue_only,
        limit=limit,
        actor=actor_payload(principal),
    )


@router.post(
    "/deliveries/{delivery_id}/acknowledge",
    response_model=DeliveryView,
    responses=PROBLEMS,
    summary="Xác nhận đã nhận / the agency acknowledges one delivery (AMQP/e-mail receivers)",
)
async def acknowledge_delivery(delivery_id: UUID, principal: Agency, rt: Runtime = Depends(runtime)) -> dict:
    return await _notify(
        rt, "acknowledge_delivery", delivery_id=str(delivery_id), actor=actor_payload(principal)
    )


@router.post(
    "/cases/{report_id}/acknowledge",
    response_model=CaseAcknowledged,
    responses=PROBLEMS,
    summary="Xác nhận đã nhận phản ánh / the agency acknowledges a case routed to it",
)
async def acknowledge_case(report_id: UUID, principal: Agency, rt: Runtime = Depends(runtime)) -> dict:
    return await _notify(rt, "acknowledge_case", report_id=str(report_id), actor=actor_payload(principal))


@router.get(
    "/channels",
    response_model=list[AgencyChannelView],
    responses=PROBLEMS,
    summary="Kênh nhận của đơn vị / agency channels (secrets shown as hints)",
)
async def list_channels(
    principal: Operator, agency_code: str | None = None, rt: Runtime = Depends(runtime)
) -> list:
    return await _notify(rt, "list_agency_channels", agency_code=agency_code, actor=actor_payload(principal))


@router.post(
    "/channels",
    status_code=201,
    response_model=AgencyChannelView,
    responses=PROBLEMS,
    response_model_exclude_none=True,
    summary="Thêm kênh / add a channel: amqp, webhook (a secret is generated if none given) or email",
)
async def create_channel(body: ChannelBody, principal: Admin, rt: Runtime = Depends(runtime)) -> dict:
    return await _notify(
        rt, "set_agency_channel", **body.model_dump(mode="json"), actor=actor_payload(principal)
    )


@router.put(
    "/channels/{channel_id}",
    response_model=AgencyChannelView,
    responses=PROBLEMS,
    response_model_exclude_none=True,
    summary="Sửa kênh / replace a channel (omit `secrets` to keep a webhook's; give 2 to rotate)",
)
async def replace_channel(
    channel_id: UUID, body: ChannelBody, principal: Admin, rt: Runtime = Depends(runtime)
) -> dict:
    return await _notify(
        rt,
        "set_agency_channel",
        id=str(channel_id),
        **body.model_dump(mode="json"),
        actor=actor_payload(principal),
    )


@router.delete("/channels/{channel_id}", responses=PROBLEMS, summary="Xóa kênh / remove a channel")
async def delete_channel(channel_id: UUID, principal: Admin, rt: Runtime = Depends(runtime)) -> dict:
    return await _notify(rt, "delete_agency_channel", id=str(channel_id), actor=actor_payload(principal))
