"""Parameter primitives: empty equals absent, typed parsers, windows, attributes."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from gateway.open311.dates import VN_TZ, parse_w3c, to_w3c
from gateway.open311.errors import Open311Error
from gateway.open311.params import (
    Params,
    parse_attributes,
    parse_bbox,
    parse_bool,
    parse_csv,
    parse_datetime,
    parse_format,
    parse_int,
    parse_lang,
    parse_point,
    parse_statuses,
    parse_window,
)

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_empty_and_blank_values_behave_like_absent_ones():
    params = Params([("status", ""), ("q", "   "), ("page", "2"), ("page", "")])
    assert params.get("status") is None and params.get("q") is None
    assert params.get("page") == "2"
    assert params.getlist("status") == []


def test_last_non_empty_value_wins_and_text_is_nfc():
    decomposed = unicodedata.normalize("NFD", "Hà Tĩnh")
    params = Params([("q", "a"), ("q", decomposed), ("q", "")])
    assert params.get("q") == "Hà Tĩnh" and params.get("q") != decomposed


@pytest.mark.parametrize("suffix,fmt", [("xml", "xml"), (".json", "json"), ("XML", "xml")])
def test_format_suffixes(suffix, fmt):
    assert parse_format(suffix) == fmt


@pytest.mark.parametrize("suffix", ["csv", "", "xmlx"])
def test_unknown_format_is_404(suffix):
    with pytest.raises(Open311Error) as caught:
        parse_format(suffix)
    assert caught.value.status == 404


@pytest.mark.parametrize(
    "pairs,expected",
    [
        ([], None),
        ([("lat", ""), ("long", "")], None),
        ([("lat", "18.34"), ("long", "105.9")], (18.34, 105.9)),
        ([("lat", "-90"), ("long", "180")], (-90.0, 180.0)),
    ],
)
def test_point(pairs, expected):
    assert parse_point(Params(pairs)) == expected


@pytest.mark.parametrize(
    "pairs",
    [
        [("lat", "18.3")],
        [("long", "105.9"), ("lat", "")],
        [("lat", "91"), ("long", "105")],
        [("lat", "18"), ("long", "-180.5")],
        [("lat", "nan"), ("long", "105")],
        [("lat", "abc"), ("long", "105")],
        [("lat", "inf"), ("long", "105")],
    ],
)
def test_bad_points_are_400(pairs):
    with pytest.raises(Open311Error) as caught:
        parse_point(Params(pairs))
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, None),
        (",,", None),
        ("HT-1", ("HT-1",)),
        ("HT-1, HT-2,,HT-1", ("HT-1", "HT-2")),
    ],
)
def test_comma_lists(value, expected):
    assert parse_csv(value, "service_request_id") == expected


@pytest.mark.parametrize("value", ["a;drop", "a,b c", "x" * 65])
def test_comma_list_items_must_be_safe_ids(value):
    with pytest.raises(Open311Error):
        parse_csv(value, "service_request_id")


def test_comma_list_length_is_bounded():
    with pytest.raises(Open311Error):
        parse_csv(",".join(f"id{i}" for i in range(101)), "service_request_id")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026-03-16T08:30:00+07:00", datetime(2026, 3, 16, 1, 30, tzinfo=UTC)),
        ("2026-03-16T01:30:00Z", datetime(2026, 3, 16, 1, 30, tzinfo=UTC)),
        ("2026-03-16T08:30:00 07:00", datetime(2026, 3, 16, 1, 30, tzinfo=UTC)),  # '+' decoded as space
        ("2026-03-16T08:30:00", datetime(2026, 3, 16, 8, 30, tzinfo=VN_TZ)),  # no offset: Vietnam time
        ("2026-03-16T08:30+07:00", datetime(2026, 3, 16, 8, 30, tzinfo=VN_TZ)),
        ("2026-03-16", datetime(2026, 3, 16, tzinfo=VN_TZ)),
        ("2026-03", datetime(2026, 3, 1, tzinfo=VN_TZ)),
        ("2026", datetime(2026, 1, 1, tzinfo=VN_TZ)),
    ],
)
def test_w3c_datetimes(text, expected):
    assert parse_datetime(text, "start_date") == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026-03-16", datetime(2026, 3, 17, tzinfo=VN_TZ) - timedelta(microseconds=1)),
        ("2026-12", datetime(2027, 1, 1, tzinfo=VN_TZ) - timedelta(microseconds=1)),
        ("2026-03-16T08:30:00+07:00", datetime(2026, 3, 16, 8, 30, tzinfo=VN_TZ)),
    ],
)
def test_upper_bounds_cover_the_whole_period(text, expected):
    assert parse_datetime(text, "end_date", upper=True) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13", "2026-02-30", "16/03/2026", "2026-03-16T25:00:00"])
def test_bad_datetimes_are_400(text):
    with pytest.raises(Open311Error) as caught:
        parse_datetime(text, "start_date")
    assert caught.value.status == 400 and "start_date" in caught.value.description


def test_w3c_output_is_vietnam_time_with_offset():
    assert to_w3c(datetime(2026, 3, 16, 1, 30, 5, 999, tzinfo=UTC)) == "2026-03-16T08:30:05+07:00"
    assert to_w3c(datetime(2026, 3, 16, 1, 30)) == "2026-03-16T08:30:00+07:00"  # naive storage value is UTC
    assert to_w3c("2026-03-16T01:30:00Z") == "2026-03-16T08:30:00+07:00"
    assert parse_w3c(to_w3c(NOW)) == NOW


def test_window_defaults_to_the_last_90_days():
    assert parse_window(None, None, NOW, "w") == (NOW - 90 * DAY, NOW)
    assert parse_window(None, None, NOW, "w", default_to_now=False) is None


def test_window_open_ends_extend_90_days():
    start = NOW - 200 * DAY
    assert parse_window(start, None, NOW, "w") == (start, start + 90 * DAY)
    assert parse_window(None, start, NOW, "w") == (start - 90 * DAY, start)


def test_window_of_exactly_90_days_is_accepted():
    assert parse_window(NOW - 90 * DAY, NOW, NOW, "w") == (NOW - 90 * DAY, NOW)


def test_window_over_90_days_is_rejected_not_clamped():
    with pytest.raises(Open311Error) as caught:
        parse_window(NOW - 91 * DAY, NOW, NOW, "start_date/end_date")
    assert caught.value.status == 400 and "90" in caught.value.description


def test_window_start_after_end_is_400():
    with pytest.raises(Open311Error):
        parse_window(NOW, NOW - DAY, NOW, "w")


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, None),
        ("open", frozenset({"open"})),
        ("CLOSED", frozenset({"closed"})),
        ("open,closed", None),
        ("closed, open", None),
        ("open,open", frozenset({"open"})),
    ],
)
def test_status_filter(value, expected):
    assert parse_statuses(value) == expected


@pytest.mark.parametrize("value", ["pending", "open,closed,open2", "FIXED"])
def test_bad_status_is_400(value):
    with pytest.raises(Open311Error):
        parse_statuses(value)


@pytest.mark.parametrize(
    "value,expected",
    [(None, False), ("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False)],
)
def test_bool(value, expected):
    assert parse_bool(value, "extensions") is expected


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_bad_bool_is_400(value):
    with pytest.raises(Open311Error):
        parse_bool(value, "extensions")


@pytest.mark.parametrize("value,expected", [(None, 7), ("1", 1), ("1000", 1000)])
def test_int(value, expected):
    assert parse_int(value, "page_size", 1, 1000, 7) == expected


@pytest.mark.parametrize("value", ["0", "1001", "-1", "1.5", "ten"])
def test_bad_int_is_400(value):
    with pytest.raises(Open311Error):
        parse_int(value, "page_size", 1, 1000, 7)


def test_bbox():
    assert parse_bbox(None) is None
    assert parse_bbox("105.5, 18.0,106.2,18.8") == (105.5, 18.0, 106.2, 18.8)


@pytest.mark.parametrize("value", ["1,2,3", "106,18,105,19", "105,19,106,18", "a,b,c,d", "105,18,181,19"])
def test_bad_bbox_is_400(value):
    with pytest.raises(Open311Error):
        parse_bbox(value)


def test_attributes_single_multi_and_empty():
    params = Params(
        [
            ("attribute[priority]", "KHAN"),
            ("attribute[waste_types][]", "SINH_HOAT"),
            ("attribute[waste_types][]", "XAY_DUNG"),
            ("attribute[landmark]", ""),  # empty = absent
            ("attribute[one][]", "X"),
            ("service_code", "MOI_TRUONG_RAC"),
        ]
    )
    assert parse_attributes(params) == {
        "priority": "KHAN",
        "waste_types": ["SINH_HOAT", "XAY_DUNG"],
        "one": ["X"],
    }


def test_repeated_single_form_attribute_collects_all_values():
    params = Params([("attribute[t]", "A"), ("attribute[t][]", "B"), ("attribute[t]", "C")])
    assert parse_attributes(params) == {"t": ["A", "B", "C"]}


@pytest.mark.parametrize(
    "key", ["attribute", "attribute[]", "attribute[a", "attribute[a][b]", "attributes[a]"]
)
def test_malformed_attribute_keys_are_400(key):
    with pytest.raises(Open311Error) as caught:
        parse_attributes(Params([(key, "v")]))
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "pairs,header,expected",
    [
        ([], None, "vi"),
        ([], "en-GB,en;q=0.9", "en"),
        ([], "fr-FR, en;q=0.5", "en"),
        ([("locale", "vi_VN")], "en", "vi"),
        ([("langcode", "en")], None, "en"),
        ([("locale", "")], "de", "vi"),
    ],
)
def test_lang(pairs, header, expected):
    assert parse_lang(Params(pairs), header) == expected
