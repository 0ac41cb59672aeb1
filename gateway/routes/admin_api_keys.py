"""Administrators manage the API keys of Open311 partners: issue (the secret is shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, StringConstraints

from libs.contracts.open311 import ApiKeyCreated, ApiKeyView

from ..auth import Principal, actor_payload, require
from ..deps import Runtime, runtime
from .reports import PROBLEMS

router = APIRouter(prefix="/v1/admin/api-keys", tags=["admin: API keys"])
Administrator = Annotated[Principal, Depends(require("administrator"))]


class NewApiKey(BaseModel):
    """A key for one partner system."""

    client_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)] = (
        Field(description="Who the key is for, e.g. 'FixMyStreet Hà Tĩnh' or 'Cổng DVC tỉnh'")
    )
    rate_limit_per_hour: int = Field(
        600, ge=1, le=100_000, description="Open311 POSTs allowed per sliding hour"
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    may_update_any: bool = Field(
        False,
        description="Grant: post updates on any public request; by default a "
        "partner posts only on the requests it submitted",
    )


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=PROBLEMS,
    summary="Cấp khóa API / issue an Open311 API key (the secret is returned only now)",
)
async def create_key(body: NewApiKey, admin: Administrator, rt: Runtime = Depends(runtime)) -> dict:
    return await rt.rpc.call(
        "intake", "create_api_key", payload={"actor": actor_payload(admin), **body.model_dump()}
    )


@router.get(
    "",
    response_model=list[ApiKeyView],
    responses=PROBLEMS,
    summary="Danh sách khóa API / list the API keys (never the secrets)",
)
async def list_keys(
    admin: Administrator, include_revoked: Annotated[bool, Query()] = True, rt: Runtime = Depends(runtime)
) -> list:
    result = await rt.rpc.call(
        "intake", "list_api_keys", payload={"actor": actor_payload(admin), "include_revoked": include_revoked}
    )
    return result["items"]


@router.delete(
    "/{key_id}",
    response_model=ApiKeyView,
    responses=PROBLEMS,
    summary="Thu hồi khóa API / revoke an API key (effective at once)",
)
async def revoke_key(key_id: UUID, admin: Administrator, rt: Runtime = Depends(runtime)) -> dict:
    return await rt.rpc.call(
        "intake", "revoke_api_key", payload={"actor": actor_payload(admin), "key_id": str(key_id)}
    )
