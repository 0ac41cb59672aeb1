"""Open311 GeoReport v2 writes (api_key required): POST requests (with the v2.1 draft's multipart `media`) and
mySociety's POST servicerequestupdates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from libs.contracts.errors import ErrorCode
from libs.contracts.reports import SubmitReport

from ..deps import Runtime, runtime
from ..problems import ApiError
from ..rpc import RemoteError, RpcTimeout, RpcUnavailable
from ..uploads import Received, store_file, upload_settings
from .errors import Open311Error
from .form_body import read_form
from .formats import render
from .forms import NewRequest, parse_new_request, parse_update_post, require_api_key
from .geo import Area
from .params import Params, invalid, parse_format, parse_lang
from .requests import post_response, update_post_response
from .statuses import label, state_for_extended
from .support import API_PATH, Open311Route, directory, in_area, search_ids

write_router = APIRouter(route_class=Open311Route, tags=["open311"])
CHANNEL = "open311"
MAX_MEDIA = 6
# SubmitReport field -> the Open311 parameter a client sent it as (for 400s that name the client's field).
PARAMS = {
    "description": "description",
    "location": "lat/long",
    "address": "address_string",
    "media_urls": "media_url",
    "attributes": "attribute",
    "priority": "attribute[priority]",
    "name": "first_name/last_name",
    "phone": "phone",
    "email": "email",
    "device_id": "device_id",
    "account_id": "account_id",
}


def document(kind: str, data, fmt: str) -> Response:
    """A 200 answer in the requested format (FixMyStreet and the spec's clients expect 200)."""
    body, content_type = render(kind, data, fmt)
    return Response(body, 200, media_type=content_type)


async def authorize(rt: Runtime, params: Params) -> dict:
    """The partner behind the api_key (403 missing/invalid/revoked, 429 over its rate limit)."""
    api_key = require_api_key(params)
    return await rt.rpc.call("intake", "authorize_open311_client", payload={"api_key": api_key[:200]})


async def form_of(request: Request, rt: Runtime) -> tuple[list[tuple[str, str]], list[Received], dict]:
    """Text fields, `media` files (on disk) and the partner's grant: the key is checked before any file is
    stored."""
    return await read_form(request, lambda pairs: authorize(rt, Params(pairs)), MAX_MEDIA)


def locate(new: NewRequest, area: Area) -> tuple[float, float, str | None]:
    """(lat, lon, address) inside the jurisdiction: the point, or the commune an address (id) names; may raise
    400."""
    if new.point is not None:
        lat, lon = new.point
        if not area.contains(lat, lon):
            raise invalid(
                "lat/long", f"outside {area.jurisdiction.name_en} / ngoài {area.jurisdiction.name_vi}"
            )
        return lat, lon, new.address_string
    unit = area.unit(new.address_id) if new.address_id else None
    if unit is None and new.address_string:
        unit = area.locate_address(new.address_string)
    if unit is None:
        raise invalid(
            "address_string/address_id",
            "không xác định được vị trí, hãy gửi lat/long hoặc tên xã/phường"
            " / cannot be located: send lat/long or name the commune/ward",
        )
    return unit.lat, unit.lon, new.address_string or unit.name


def reporter(personal: dict[str, str], lang: str) -> dict[str, Any] | None:
    """The sealed identity from the requester fields (never logged, never echoed)."""
    if not personal:
        return None
    name = " ".join(p for p in (personal.get("first_name"), personal.get("last_name")) if p) or None
    fields = {
        "name": name,
        "phone": personal.get("phone"),
        "email": personal.get("email"),
        "device_id": personal.get("device_id"),
        "account_id": personal.get("account_id"),
        "language": lang,
    }
    return {k: v for k, v in fields.items() if v is not None}


def submission(
    new: NewRequest, service_name: str, lat: float, lon: float, address: str | None, lang: str
) -> SubmitReport:
    """Our SubmitReport from a parsed Open311 POST; a contract violation is a 400 naming the client's
    field."""
    attributes = {
        code: (value if isinstance(value, list) else str(value)) for code, value in new.attributes.items()
    }
    try:
        return SubmitReport(
            category=new.service_code,
            description=new.description or f"[Open311] {service_name}",
            location={"lat": lat, "lon": lon},
            address=address,
            priority=attributes.get("priority") or "BINH_THUONG",
            reporter=reporter(new.personal, lang),
            attributes=attributes,
        )  # media_url: fetched into the media pipeline after the submission
    except ValidationError as exc:
        names = sorted({_param(e["loc"]) for e in exc.errors()})
        raise invalid(", ".join(names), "không hợp lệ / invalid") from None


def _param(loc: tuple) -> str:
    """The Open311 parameter behind a SubmitReport error location."""
    key = loc[1] if loc[0] == "reporter" and len(loc) > 1 else loc[0]
    return PARAMS.get(str(key), "request")


async def upload(rt: Runtime, report_id: str, file: Received) -> bool:
    """One `media` file through the shared upload path (presigned PUT, then confirm); False when refused."""
    try:
        await store_file(rt, report_id, file, name="media")
    except (ApiError, RemoteError):  # refused (type, size, pixels...) or the media service said no
        return False
    return True


MEDIA_URL_KEPT = (
    " — không tải được ảnh từ media_url, liên kết được lưu cho cán bộ xem / media_url could not be "
    "fetched; the link is kept for staff"
)
MEDIA_URL_LATER = (
    " — chưa tải được ảnh từ media_url, hãy gửi lại sau / media_url could not be fetched now; "
    "send it again later"
)


async def import_media_url(rt: Runtime, report_id: str, url: str) -> str:
    """The photo a `media_url` names, fetched by the media service (public addresses only, size and time
    limits); returns what `service_notice` must add ("" when stored). A refused link is kept by media on a
    refused file for staff (`source_url`); when media does not answer the client is told to send it again."""
    limits = upload_settings()
    try:
        view = await rt.rpc.call(
            "media",
            "import_url",
            timeout=limits.fetch_timeout_s + limits.confirm_timeout_s,
            payload={"report_id": report_id, "url": url},
        )
    except (RemoteError, RpcTimeout, RpcUnavailable):  # e.g. TOO_MANY_MEDIA, or media down or slow
        return MEDIA_URL_LATER
    return MEDIA_URL_KEPT if view["state"] == "rejected" else ""


@write_router.post(f"{API_PATH}/requests.{{fmt}}", summary="Open311: submit a service request (api_key)")
async def post_request(fmt: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    fmt = parse_format(fmt)
    text, files, grant = await form_of(request, rt)  # 403 / 429 before any file is stored
    try:
        return await _post_request(fmt, request, rt, text, files, grant)
    finally:
        for file in files:
            file.remove()


async def _post_request(
    fmt: str, request: Request, rt: Runtime, text: list[tuple[str, str]], files: list[Received], grant: dict
) -> Response:
    params = Params(text)
    dir_ = directory(request)
    catalogue = await dir_.services(rt.rpc)
    new = parse_new_request(text, catalogue)  # 404 jurisdiction/service, then 400s
    lang = parse_lang(params, request.headers.get("accept-language"))
    lat, lon, address = locate(new, dir_.geography.area(new.jurisdiction))
    category = catalogue.category(new.service_code)
    report = submission(new, category["name_vi"], lat, lon, address, lang)
    ref = await rt.rpc.call(
        "intake",
        "submit_report",
        payload={  # the channel is the key's, never the body's
            "report": report.model_dump(mode="json"),
            "idempotency_key": request.headers.get("idempotency-key"),
            "channel": CHANNEL,
            "api_key_id": grant["key_id"],
        },
    )
    record = await rt.rpc.call(
        "intake",
        "record_open311_submission",
        payload={"report_id": ref["id"], "key_id": grant["key_id"], "batch": new.service_type == "batch"},
    )
    refused = [f for f in files if not await upload(rt, ref["id"], f)]
    notice = label(ref["status"])
    if refused:
        notice += f" — {len(refused)} tệp media bị từ chối / {len(refused)} media file(s) refused"
    if new.media_url:
        notice += await import_media_url(rt, ref["id"], new.media_url)
    if record["token"] is not None:
        return document("service_requests", post_response(token=record["token"], service_notice=notice), fmt)
    return document(
        "service_requests", post_response(service_request_id=ref["code"], service_notice=notice), fmt
    )


@write_router.post(
    f"{API_PATH}/servicerequestupdates.{{fmt}}",
    summary="Open311 (mySociety): post an update on a request (api_key; idempotent on update_id)",
)
async def post_update(fmt: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    fmt = parse_format(fmt)
    text, files, grant = await form_of(request, rt)
    for file in files:  # updates carry a media_url, not files
        file.remove()
    post = parse_update_post(text)
    found = [
        r
        for r in await search_ids(rt.rpc, [post.service_request_id], public_only=False, service="intake")
        if r.get("code") == post.service_request_id and in_area(directory(request), post.jurisdiction, r)
    ]
    if not found:
        raise Open311Error.of("REQUEST_NOT_FOUND", service_request_id=post.service_request_id)
    try:
        stored = await rt.rpc.call(
            "intake",
            "post_open311_update",
            payload={  # 404 unless public or its own
                "key_id": grant["key_id"],
                "service_request_id": post.service_request_id,
                "update_id": post.update_id,
                "updated_datetime": post.updated_datetime.isoformat(),
                "status": post.status,
                "requested_state": state_for_extended(post.status, found[0]["status"]),
                "description": post.description,
                "media_url": post.media_url,
            },
        )
    except RemoteError as exc:
        if exc.code == ErrorCode.OPEN311_UPDATE_EXISTS:
            raise Open311Error.of("UPDATE_EXISTS", update_id=post.update_id) from None
        raise
    return document("service_request_updates", update_post_response(stored["update_id"]), fmt)
