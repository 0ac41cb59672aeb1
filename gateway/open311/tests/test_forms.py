"""POST bodies: new requests and service request updates."""

from __future__ import annotations

import pytest

from gateway.open311.errors import Open311Error
from gateway.open311.forms import MAX_DESCRIPTION, parse_new_request, parse_update_post
from gateway.open311.jurisdictions import HUE
from gateway.open311.services import ServiceCatalogue
from libs import refdata

from .builders import make_personal, rand_word

CATALOGUE = ServiceCatalogue.from_file(refdata.load().file("categories"))


def base_pairs(**overrides: str) -> list[tuple[str, str]]:
    fields = {
        "api_key": rand_word(16),
        "service_code": "GIAO_THONG_HA_TANG",
        "lat": "18.3419",
        "long": "105.903",
        "description": "Ổ gà lớn",
    }
    fields.update(overrides)
    return list(fields.items())


def status_of(pairs) -> int:
    with pytest.raises(Open311Error) as caught:
        parse_new_request(pairs, CATALOGUE)
    return caught.value.status


def test_a_valid_request_is_parsed():
    pairs = base_pairs(jurisdiction_id="hue") + [("attribute[priority]", "KHAN"), ("attribute[landmark]", "")]
    request = parse_new_request(pairs, CATALOGUE)
    assert request.point == (18.3419, 105.903) and request.service_code == "GIAO_THONG_HA_TANG"
    assert request.attributes == {"priority": "KHAN"} and request.service_type == "realtime"
    assert request.jurisdiction == HUE and request.description == "Ổ gà lớn"


def test_missing_api_key_is_403_before_anything_else():
    assert status_of([("service_code", "NOPE")]) == 403
    assert status_of(base_pairs(api_key="")) == 403


def test_unknown_service_code_is_404():
    assert status_of(base_pairs(service_code="KHONG_CO")) == 404


def test_missing_service_code_is_400():
    assert status_of(base_pairs(service_code="")) == 400


@pytest.mark.parametrize(
    "location",
    [
        {"lat": "", "long": ""},
        {"lat": "", "long": "", "address_string": "   "},
    ],
)
def test_no_location_is_400(location):
    assert status_of(base_pairs(**location)) == 400


@pytest.mark.parametrize(
    "location",
    [
        {"lat": "", "long": "", "address_string": "12 Trần Phú, Thành Sen"},
        {"lat": "", "long": "", "address_id": "A-17"},
    ],
)
def test_address_alone_is_a_location(location):
    request = parse_new_request(base_pairs(**location), CATALOGUE)
    assert request.point is None and (request.address_string or request.address_id)


def test_missing_required_attribute_is_400_naming_it():
    with pytest.raises(Open311Error) as caught:
        parse_new_request(base_pairs(service_code="PCCC_CUU_NAN"), CATALOGUE)
    assert caught.value.status == 400 and "danger_to_life" in caught.value.description


def test_multivalue_attribute_through_the_form():
    pairs = base_pairs(service_code="O_NHIEM_MOI_TRUONG") + [
        ("attribute[pollution_types][]", "MUI"),
        ("attribute[pollution_types][]", "TIENG_ON"),
    ]
    assert parse_new_request(pairs, CATALOGUE).attributes == {"pollution_types": ["MUI", "TIENG_ON"]}


def test_description_limit_is_4000_characters_not_bytes():
    ok = parse_new_request(base_pairs(description="ệ" * MAX_DESCRIPTION), CATALOGUE)
    assert len(ok.description) == 4000
    assert status_of(base_pairs(description="x" * (MAX_DESCRIPTION + 1))) == 400


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x/y.jpg", "not a url"])
def test_media_url_must_be_http(url):
    assert status_of(base_pairs(media_url=url)) == 400


def test_batch_service_is_flagged():
    pairs = base_pairs(service_code="THU_TUC_HANH_CHINH") + [("attribute[office]", "Trung tâm PVHCC xã")]
    assert parse_new_request(pairs, CATALOGUE).service_type == "batch"


def test_personal_data_is_kept_apart_and_never_in_repr():
    personal = make_personal()
    fields = {
        k: personal[k] for k in ("email", "device_id", "account_id", "first_name", "last_name", "phone")
    }
    request = parse_new_request(base_pairs(**fields), CATALOGUE)
    assert request.personal == fields
    text = repr(request) + str(request)
    assert all(value not in text for value in fields.values())
    assert request.api_key not in text


def test_overlong_personal_value_is_400_without_quoting_it():
    secret = "0912" + "9" * 300
    with pytest.raises(Open311Error) as caught:
        parse_new_request(base_pairs(phone=secret), CATALOGUE)
    assert caught.value.status == 400 and secret not in caught.value.description


def update_pairs(**overrides: str) -> list[tuple[str, str]]:
    fields = {
        "api_key": rand_word(12),
        "service_request_id": "HT-2026-000001",
        "update_id": rand_word(10),
        "updated_datetime": "2026-03-16T08:30:00+07:00",
        "status": "in_progress",
        "description": "Đang làm",
    }
    fields.update(overrides)
    return list(fields.items())


def test_update_post_is_parsed_and_status_normalised():
    update = parse_update_post(update_pairs(email="a@b.vn", first_name="An"))
    assert (
        update.status == "IN_PROGRESS" and update.updated_datetime.isoformat() == "2026-03-16T08:30:00+07:00"
    )
    assert not hasattr(update, "personal") and "a@b.vn" not in repr(update)


def test_update_post_without_key_is_403():
    with pytest.raises(Open311Error) as caught:
        parse_update_post(update_pairs(api_key=""))
    assert caught.value.status == 403


@pytest.mark.parametrize("name", ["service_request_id", "update_id", "updated_datetime", "status"])
def test_update_post_required_fields_are_400(name):
    with pytest.raises(Open311Error) as caught:
        parse_update_post(update_pairs(**{name: ""}))
    assert caught.value.status == 400 and name in caught.value.description


@pytest.mark.parametrize(
    "overrides",
    [{"status": "DONE"}, {"updated_datetime": "now"}, {"update_id": "a b"}, {"description": "x" * 4001}],
)
def test_update_post_invalid_values_are_400(overrides):
    with pytest.raises(Open311Error) as caught:
        parse_update_post(update_pairs(**overrides))
    assert caught.value.status == 400


def test_update_post_description_is_optional():
    assert parse_update_post(update_pairs(description="")).description is None
