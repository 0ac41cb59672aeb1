"""Open311 beyond the checklist, against the running gateway: the served extensions, jurisdictions, locations,
attributes, media, privacy."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from .test_open311_support import (  # noqa: F401
    FORMATS,
    PHU_XUAN,
    THANH_SEN,
    accept,
    api_key,
    body,
    errors_of,
    fetch,
    near,
    new_api_key,
    o311,
    post_request,
    published,
    submitted,
    visible,
    word,
)

pytestmark = pytest.mark.e2e
VN = timezone(timedelta(hours=7))


def ids(answer: httpx.Response, fmt: str = "json") -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["service_request_id"] for item in body(answer, fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_page_and_page_size_split_a_result(o311, api_key, rpc_e2e, fmt):
    tag = word(12)
    mine = {published(o311, rpc_e2e, api_key, description=f"Rác thải {tag} số {n}") for n in range(3)}
    first = ids(o311.get(f"/requests.{fmt}", params={"q": tag, "page_size": 2}), fmt)
    second = ids(o311.get(f"/requests.{fmt}", params={"q": tag, "page_size": 2, "page": 2}), fmt)
    assert len(first) == 2 and len(second) == 1 and set(first) | set(second) == mine
    assert ids(o311.get(f"/requests.{fmt}", params={"q": tag, "page_size": 2, "page": 3}), fmt) == []
    too_big = o311.get(f"/requests.{fmt}", params={"page_size": 1001})
    assert too_big.status_code == 400 and "page_size" in errors_of(too_big, fmt)[0]["description"]


def test_updated_after_and_before(o311, api_key, rpc_e2e):
    tag = word(12)
    request_id = published(o311, rpc_e2e, api_key, description=f"Đèn hỏng {tag}")
    now = datetime.now(VN)
    recent = {"q": tag, "updated_after": (now - timedelta(minutes=10)).isoformat()}
    assert ids(o311.get("/requests.json", params=recent)) == [request_id]
    old = {
        "q": tag,
        "updated_after": (now - timedelta(days=3)).isoformat(),
        "updated_before": (now - timedelta(days=2)).isoformat(),
    }
    assert ids(o311.get("/requests.json", params=old)) == []
    wide = o311.get(
        "/requests.json",
        params={"updated_after": (now - timedelta(days=100)).isoformat(), "updated_before": now.isoformat()},
    )
    assert wide.status_code == 400 and "90" in wide.json()[0]["description"]


def test_bbox_and_q(o311, api_key, rpc_e2e):
    tag = word(12)
    lat, lon = near(THANH_SEN)
    request_id = published(o311, rpc_e2e, api_key, lat=lat, long=lon, description=f"Cây đổ {tag}")
    around = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    assert request_id in ids(o311.get("/requests.json", params={"bbox": around}))
    elsewhere = f"{lon + 0.2},{lat + 0.2},{lon + 0.3},{lat + 0.3}"
    assert request_id not in ids(o311.get("/requests.json", params={"bbox": elsewhere}))
    assert ids(o311.get("/requests.json", params={"q": tag})) == [request_id]
    assert ids(o311.get("/requests.json", params={"q": word(12)})) == []
    assert o311.get("/requests.json", params={"bbox": "1,2,3"}).status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_ward_channel_photos_and_notes_history(o311, api_key, rpc_e2e, fmt):
    request_id = published(o311, rpc_e2e, api_key, lat=THANH_SEN[0], long=THANH_SEN[1])
    routed = visible(o311, request_id, lambda item: item.get("agency_responsible") is not None)
    assert "Thành Sen" in routed["agency_responsible"] and routed["expected_datetime"].endswith("+07:00")
    assert "Hạn xử lý" in routed["service_notice"]
    item = body(fetch(o311, request_id, fmt, extensions="true"), fmt)[0]
    extra = item["extended_attributes"]
    assert (
        extra["ward"] == "Phường Thành Sen"
        and extra["ward_code"] == "18073"
        and extra["channel"] == "open311"
    )
    types = [note["type"] for note in item["notes"]]
    assert types[0] == "opened" and "status_change" in types
    assert all(note["datetime"].endswith("+07:00") and note["description"] for note in item["notes"])
    plain = body(fetch(o311, request_id, fmt), fmt)[0]
    assert "notes" not in plain and "extended_attributes" not in plain
    listed = body(
        o311.get(f"/requests.{fmt}", params={"service_request_id": request_id, "extensions": "true"}), fmt
    )
    assert listed[0]["notes"] == item["notes"]


def jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_multipart_media_goes_through_the_media_service(o311, api_key, rpc_e2e):
    answer = post_request(o311, api_key, files={"media": ("o-ga.jpg", jpeg(), "image/jpeg")})
    assert answer.status_code == 200, answer.text
    request_id = answer.json()[0]["service_request_id"]
    accept(rpc_e2e, request_id)
    item = visible(o311, request_id, lambda i: bool(i.get("media_url")), extensions="true")
    assert item["media_url"] in item["extended_attributes"]["photos"]
    photo = httpx.get(item["media_url"], follow_redirects=True, timeout=20)
    assert photo.status_code == 200 and photo.content[:3] == b"\xff\xd8\xff"
    refused = post_request(
        o311, api_key, files={"media": ("x.jpg", b"<html>not an image</html>", "image/jpeg")}
    )
    assert refused.status_code == 200 and "media" in refused.json()[0]["service_notice"]


def test_media_url_must_be_http(o311, api_key):
    assert post_request(o311, api_key, media_url="javascript:alert(1)").status_code == 400
    assert post_request(o311, api_key, media_url="https://anh.example.vn/o-ga.jpg").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_attributes_single_and_multivalue(o311, api_key, fmt):
    ok = post_request(
        o311,
        api_key,
        fmt,
        service_code="MOI_TRUONG_RAC",
        **{
            "attribute[waste_types][]": ["SINH_HOAT", "XAY_DUNG"],
            "attribute[priority]": "BINH_THUONG",
            "attribute[landmark]": "Trước cổng chợ",
            "attribute[fixmystreet_id]": "123",
        },
    )
    assert ok.status_code == 200, ok.text
    bad_value = post_request(
        o311,
        api_key,
        fmt,
        service_code="MOI_TRUONG_RAC",
        **{"attribute[waste_types][]": ["SINH_HOAT", "KHONG_CO"]},
    )
    assert bad_value.status_code == 400 and "waste_types" in errors_of(bad_value, fmt)[0]["description"]
    missing = post_request(o311, api_key, fmt, service_code="O_NHIEM_MOI_TRUONG")
    assert missing.status_code == 400 and "pollution_types" in errors_of(missing, fmt)[0]["description"]


def test_urgent_priority_attribute_is_routed_at_once_and_public_once_verified(o311, api_key, rpc_e2e):
    request_id = submitted(
        o311,
        api_key,
        service_code="PCCC_CUU_NAN",
        **{"attribute[danger_to_life]": "CO", "attribute[priority]": "KHAN"},
    )
    page = rpc_e2e.intake.search_reports(payload={"ids": [request_id], "public_only": False, "limit": 1})
    [case] = page["items"]
    assert case["status"] in (
        "DA_TIEP_NHAN",
        "DA_CHUYEN_XU_LY",
    )  # accepted at once, routed on routing's answer
    assert fetch(o311, request_id).json()[0].get("lat") is None  # a request, not a verification: restricted
    rpc_e2e.intake.act_on_case(
        payload={
            "report_id": case["id"],
            "actor": {"sub": "op-open311", "role": "operator"},
            "action": {"kind": "verify", "note": "Đã xác minh"},
        }
    )
    visible(o311, request_id)


def test_address_string_or_address_id_locate_a_commune(o311, api_key, rpc_e2e):
    by_name = submitted(o311, api_key, lat=None, long=None, address_string="Số 5 Nguyễn Du, phường Thành Sen")
    by_id = submitted(o311, api_key, lat=None, long=None, address_id="18073")
    for request_id in (by_name, by_id):
        accept(rpc_e2e, request_id)
        item = visible(o311, request_id)
        assert (round(float(item["lat"]), 4), round(float(item["long"]), 4)) == THANH_SEN
    unknown = post_request(o311, api_key, lat=None, long=None, address_string="Số 5 phố Không Tên")
    assert unknown.status_code == 400 and "lat/long" in unknown.json()[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdictions(o311, api_key, rpc_e2e, fmt):
    request_id = published(o311, rpc_e2e, api_key)
    for path in ("/services", "/requests", f"/requests/{request_id}", "/servicerequestupdates"):
        unknown = o311.get(f"{path}.{fmt}", params={"jurisdiction_id": "hanoi"})
        assert unknown.status_code == 404 and errors_of(unknown, fmt), path
    assert request_id in ids(o311.get(f"/requests.{fmt}", params={"jurisdiction_id": "42"}), fmt)
    assert request_id in ids(o311.get(f"/requests.{fmt}", params={"jurisdiction_id": "HATINH"}), fmt)
    assert request_id not in ids(o311.get(f"/requests.{fmt}", params={"jurisdiction_id": "hue"}), fmt)
    assert fetch(o311, request_id, fmt, jurisdiction_id="hue").status_code == 404
    at_hue = {"lat": PHU_XUAN[0], "long": PHU_XUAN[1]}
    assert len(body(o311.get(f"/services.{fmt}", params={**at_hue, "jurisdiction_id": "hue"}), fmt)) == 25
    assert body(o311.get(f"/services.{fmt}", params=at_hue), fmt) == []  # Hà Tĩnh serves nothing in Huế
    at_ha_tinh = {"lat": THANH_SEN[0], "long": THANH_SEN[1]}
    assert len(body(o311.get(f"/services.{fmt}", params=at_ha_tinh), fmt)) == 25
    outside = post_request(o311, api_key, fmt, lat=PHU_XUAN[0], long=PHU_XUAN[1])
    assert outside.status_code == 400 and "lat/long" in errors_of(outside, fmt)[0]["description"]


def test_english_names_on_request(o311):
    english = {s["service_code"]: s for s in o311.get("/services.json", params={"locale": "en"}).json()}
    vietnamese = {s["service_code"]: s for s in o311.get("/services.json").json()}
    assert english["CHIEU_SANG"]["service_name"] != vietnamese["CHIEU_SANG"]["service_name"]
    assert (
        o311.get("/services/CHIEU_SANG.json", headers={"Accept-Language": "en"})
        .json()["attributes"][0]["description"]
        .startswith("Priority")
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_servicerequestupdates_feed_and_posts(o311, api_key, rpc_e2e, fmt):
    request_id = published(o311, rpc_e2e, api_key)
    visible(o311, request_id, lambda item: item.get("agency_responsible") is not None)
    now = datetime.now(VN).replace(microsecond=0)
    form = {
        "api_key": api_key,
        "service_request_id": request_id,
        "update_id": word(12),
        "updated_datetime": now.isoformat(),
        "status": "FIXED",
        "description": "Đã sửa, gọi 0912345678",
    }
    posted = o311.post(f"/servicerequestupdates.{fmt}", data=form)
    assert posted.status_code == 200, posted.text
    update_id = body(posted, fmt)[0]["update_id"]
    feed = body(
        o311.get(
            f"/servicerequestupdates.{fmt}", params={"start_date": (now - timedelta(hours=1)).isoformat()}
        ),
        fmt,
    )
    mine = [u for u in feed if u["service_request_id"] == request_id]
    statuses = [u["status"] for u in mine]
    assert statuses[:2] == ["FOR_TRIAGE", "OPEN"] and "ACTION_SCHEDULED" in statuses
    assert [u["update_id"] for u in mine[:2]] == [f"{request_id}.1", f"{request_id}.2"]
    partner = [u for u in mine if u["update_id"] == update_id]
    assert len(partner) == 1 and "0912345678" not in str(partner) and "[đã ẩn]" in partner[0]["description"]
    assert partner[0]["status"] == "ACTION_SCHEDULED"  # a partner's FIXED does not close the case
    old = body(
        o311.get(
            f"/servicerequestupdates.{fmt}",
            params={
                "start_date": (now - timedelta(days=30)).isoformat(),
                "end_date": (now - timedelta(days=29)).isoformat(),
            },
        ),
        fmt,
    )
    assert not [u for u in old if u["service_request_id"] == request_id]
    extended = body(fetch(o311, request_id, fmt, extensions="true"), fmt)[0]
    assert any("[đã ẩn]" in note["description"] and note["type"] == "activity" for note in extended["notes"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_posted_update_errors(system, o311, api_key, fmt):
    base = {
        "api_key": api_key,
        "service_request_id": "HT-1999-999999",
        "update_id": word(8),
        "updated_datetime": datetime.now(VN).isoformat(),
        "status": "OPEN",
    }
    assert o311.post(f"/servicerequestupdates.{fmt}", data={**base, "api_key": ""}).status_code == 403
    missing = o311.post(f"/servicerequestupdates.{fmt}", data=base)
    assert missing.status_code == 404 and errors_of(missing, fmt)
    request_id = submitted(o311, api_key)  # not verified yet: only the partner who sent it may post on it
    for field, value in (("update_id", ""), ("status", "DONE"), ("updated_datetime", "yesterday")):
        answer = o311.post(
            f"/servicerequestupdates.{fmt}", data={**base, "service_request_id": request_id, field: value}
        )
        assert answer.status_code == 400 and field.split("_")[0] in errors_of(answer, fmt)[0]["description"]
    own = o311.post(f"/servicerequestupdates.{fmt}", data={**base, "service_request_id": request_id})
    assert own.status_code == 200, own.text
    other = new_api_key(system)["api_key"]
    foreign = o311.post(
        f"/servicerequestupdates.{fmt}",
        data={**base, "service_request_id": request_id, "api_key": other, "update_id": word(8)},
    )
    assert foreign.status_code == 404 and errors_of(foreign, fmt)


def test_personal_data_never_leaves(o311, api_key, rpc_e2e):
    tag = word(10)
    personal = {
        "first_name": f"Văn{tag}",
        "last_name": f"Nguyễn{tag}",
        "email": f"{tag}@mail.example.vn",
        "phone": "0912 345 678",
        "device_id": f"dev-{tag}",
        "account_id": f"acct-{tag}",
    }
    answer = post_request(o311, api_key, description=f"Ổ gà {tag}, liên hệ {tag}@mail.example.vn", **personal)
    assert answer.status_code == 200, answer.text
    request_id = answer.json()[0]["service_request_id"]
    assert not answer.json()[0]["account_id"]
    accept(rpc_e2e, request_id)
    visible(o311, request_id)
    texts = [
        o311.get(f"/requests.{fmt}", params={"service_request_id": request_id, "extensions": "true"}).text
        for fmt in FORMATS
    ]
    assert all(request_id in text for text in texts)
    texts += [o311.get(f"/servicerequestupdates.{fmt}").text for fmt in FORMATS]
    texts += [o311.get(f"/requests.{fmt}", params={"q": tag}).text for fmt in FORMATS]
    for text in texts:
        for value in (*personal.values(), "912 345 678", f"{tag}@"):
            assert value not in text


def test_unknown_paths_and_formats_answer_in_the_spec_format(o311):
    unknown = o311.get("/nothing.json")
    assert unknown.status_code == 404 and errors_of(unknown, "json")
    assert o311.get("/services").status_code == 404  # the format suffix is required
    yaml = o311.get("/services.yaml")
    assert yaml.status_code == 404 and errors_of(yaml, "xml")


@pytest.fixture(scope="module")
def photo_host(system, tmp_path_factory):
    """A photo host on loopback, allow-listed for the media service (restarted with
    MEDIA_FETCH_ALLOW_HOSTS)."""
    from services.media.tests.photo_server import PhotoServer

    photo = tmp_path_factory.mktemp("photo-host") / "p.jpg"
    photo.write_bytes(jpeg())
    with PhotoServer(photo, redirect="http://127.0.0.2:9/latest/meta-data/") as host:
        try:
            system.restart_process("media", MEDIA_FETCH_ALLOW_HOSTS=f"127.0.0.1:{host.port}")
            system.wait_ready()
            yield host
        finally:
            system.restart_process("media")  # back to the system's own settings
            system.wait_ready()


def test_a_media_url_is_fetched_into_the_media_pipeline(o311, api_key, rpc_e2e, photo_host):
    answer = post_request(
        o311, api_key, media_url=photo_host.url("/hop")
    )  # a redirect within the allowed host
    assert answer.status_code == 200 and "media_url" not in answer.json()[0]["service_notice"]
    request_id = answer.json()[0]["service_request_id"]
    accept(rpc_e2e, request_id)
    item = visible(o311, request_id, lambda i: bool(i.get("media_url")), extensions="true")
    photo = httpx.get(item["media_url"], follow_redirects=True, timeout=20)
    assert photo.status_code == 200 and photo.content[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.20.30.40/p.jpg", "redirect"]
)
def test_a_media_url_to_a_private_address_is_refused_and_kept_for_staff(
    o311, api_key, rpc_e2e, photo_host, system, target
):
    from libs.auth.tokens import mint

    url = photo_host.url("/redirect") if target == "redirect" else target  # the redirect leads to loopback
    answer = post_request(o311, api_key, media_url=url)
    assert answer.status_code == 200, answer.text
    assert "media_url could not be fetched; the link is kept for staff" in answer.json()[0]["service_notice"]
    report_id = accept(rpc_e2e, answer.json()[0]["service_request_id"])  # public: anyone lists its files
    operator = {
        "Authorization": "Bearer "
        + mint("e2e-op-media-url", "operator", system.stack.secrets["HT_JWT_SECRET"])
    }
    files = httpx.get(f"{system.base_url}/v1/reports/{report_id}/media", headers=operator, timeout=20).json()
    assert [(f["state"], f["reject_reason"], f["source_url"]) for f in files] == [
        ("rejected", "MEDIA_FETCH_FAILED", url)
    ]
    public = httpx.get(f"{system.base_url}/v1/reports/{report_id}/media", timeout=20)
    assert public.status_code == 200 and url not in public.text  # the link is for staff only
