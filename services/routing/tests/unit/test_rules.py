"""Routing decision: category defaults, rule precedence, effective dates, unroutable reasons, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from libs import refdata
from services.routing.domain.rules import (
    CategoryRoute,
    Decision,
    DirectorySnapshot,
    RouteInput,
    RoutingRule,
    Unroutable,
    decide,
    load_snapshot_from_seed,
    manual_decision,
)
from services.routing.domain.workcalendar import VN_TZ

DATA = refdata.load().path
FRIDAY = datetime(2026, 3, 6, 15, 0, tzinfo=VN_TZ)
WARDS = ["18073", "18682", "18844"]  # Phường Thành Sen, Xã Yên Hòa, Xã Kỳ Thượng

# category → (agency, co-handlers, escalation); {w} is the ward
DEFAULTS = {
    "GIAO_THONG_HA_TANG": ("UBND_{w}", [], "SO_XD"),
    "AN_TOAN_GIAO_THONG": ("CA_{w}", ["UBND_{w}"], "CONG_AN_TINH"),
    "CHIEU_SANG": ("UBND_{w}", [], "SO_XD"),
    "CAY_XANH": ("UBND_{w}", [], "SO_XD"),
    "CAP_NUOC": ("CAP_NUOC_HT", ["UBND_{w}"], "SO_XD"),
    "THOAT_NUOC": ("UBND_{w}", [], "SO_XD"),
    "DIEN_LUC": ("DIEN_LUC_HT", [], "SO_CT"),
    "VIEN_THONG": ("SO_KHCN", ["VNPT_HT", "VIETTEL_HT"], "SO_KHCN"),
    "MOI_TRUONG_RAC": ("UBND_{w}", [], "SO_NNMT"),
    "O_NHIEM_MOI_TRUONG": ("UBND_{w}", ["CONG_AN_TINH"], "SO_NNMT"),
    "TRAT_TU_DO_THI": ("UBND_{w}", ["CA_{w}"], None),
    "TRAT_TU_XAY_DUNG": ("UBND_{w}", [], "SO_XD"),
    "DAT_DAI_TAI_NGUYEN": ("UBND_{w}", ["CA_{w}"], "SO_NNMT"),
    "AN_NINH_TRAT_TU": ("CA_{w}", [], "CONG_AN_TINH"),
    "PCCC_CUU_NAN": ("CA_{w}", [], "CONG_AN_TINH"),
    "AN_SINH_XA_HOI": ("UBND_{w}", ["SO_NV", "BHXH_TINH"], "SO_YT"),
    "Y_TE": ("SO_YT", ["UBND_{w}"], "SO_YT"),
    "AN_TOAN_THUC_PHAM": ("UBND_{w}", ["SO_NNMT", "SO_CT"], "SO_YT"),
    "GIAO_DUC": ("UBND_{w}", [], "SO_GDDT"),
    "VAN_HOA_DU_LICH": ("UBND_{w}", [], "SO_VHTTDL"),
    "THUONG_MAI_NGUOI_TIEU_DUNG": ("SO_CT", ["SO_TC", "UBND_{w}"], "SO_CT"),
    "NONG_NGHIEP_THUY_LOI": ("UBND_{w}", [], "SO_NNMT"),
    "THIEN_TAI": ("UBND_{w}", [], "SO_NNMT"),
    "THU_TUC_HANH_CHINH": ("UBND_{w}", ["SO_NV"], "VP_UBND_TINH"),
    "KHAC": ("TT_KHCN_CDS", [], None),
}


@pytest.fixture(scope="module")
def seed() -> DirectorySnapshot:
    return load_snapshot_from_seed(DATA, version=7)


def make_report(**kw) -> RouteInput:
    """A report builder with a random id."""
    fields = {
        "report_id": uuid4(),
        "category": "GIAO_THONG_HA_TANG",
        "unit_code": "18073",
        "priority": "BINH_THUONG",
    }
    return RouteInput(**{**fields, **kw})


def make_rule(tag: str, **kw) -> RoutingRule:
    """A rule builder: id = tag + random suffix."""
    fields = {"rule_id": f"{tag}-{uuid4().hex[:6]}", "category": "GIAO_THONG_HA_TANG", "agency": "SO_XD"}
    return RoutingRule(**{**fields, **kw})


def with_rules(snapshot: DirectorySnapshot, *rules: RoutingRule) -> DirectorySnapshot:
    return DirectorySnapshot(**{**dict(snapshot), "rules": rules})


def test_seed_snapshot_loads_everything(seed):
    assert (seed.version, len(seed.categories), len(seed.agencies)) == (7, 25, 161)
    assert set(DEFAULTS) == set(seed.categories)
    assert (
        seed.priorities["BINH_THUONG"].working_days,
        seed.priorities["KHAN"].working_hours,
        seed.priorities["PHUC_TAP"].working_days,
        seed.accept_working_hours,
    ) == (7, 4, 15, 8)


@pytest.mark.parametrize("ward", WARDS)
@pytest.mark.parametrize("category", sorted(DEFAULTS))
def test_category_default_route(seed, category, ward):
    agency, co, esc = DEFAULTS[category]
    result = decide(make_report(category=category, unit_code=ward), seed, FRIDAY)
    assert isinstance(result, Decision)
    assert (result.agency_code, result.reason, result.rule_id) == (agency.format(w=ward), "default", None)
    assert result.co_handlers == tuple(c.format(w=ward) for c in co)
    assert result.escalation_agency == esc and result.directory_version == 7
    assert result.agency_code in result.explanation and ward in result.explanation


@pytest.mark.parametrize(
    "category, agency",
    [
        ("GIAO_THONG_HA_TANG", "UBND_18073"),
        ("AN_NINH_TRAT_TU", "CA_18073"),
        ("CAP_NUOC", "CAP_NUOC_HT"),
        ("VIEN_THONG", "SO_KHCN"),
    ],
)
def test_examples_from_the_brief(seed, category, agency):
    assert decide(make_report(category=category), seed, FRIDAY).agency_code == agency


UNIT, SET, PROV = frozenset({"18073"}), frozenset({"18073", "18100"}), None


@pytest.mark.parametrize(
    "rules, winner, agency, reason",
    [
        ([("prov", PROV, "SO_XD", "rule")], "prov", "SO_XD", "rule"),
        ([("prov", PROV, "SO_XD", "rule"), ("set", SET, "BQL_KKT", "rule")], "set", "BQL_KKT", "rule"),
        (
            [
                ("prov", PROV, "SO_XD", "rule"),
                ("set", SET, "BQL_KKT", "rule"),
                ("unit", UNIT, "SO_TC", "rule"),
            ],
            "unit",
            "SO_TC",
            "rule",
        ),
        ([("unit", UNIT, "SO_TC", "rule"), ("prov", PROV, "SO_XD", "override")], "unit", "SO_TC", "rule"),
        (
            [("unit", UNIT, "SO_TC", "rule"), ("ovr", UNIT, "BQL_KKT", "override")],
            "ovr",
            "BQL_KKT",
            "override",
        ),
        ([("set", SET, "BQL_KKT", "rule"), ("ovr", SET, "SO_TC", "override")], "ovr", "SO_TC", "override"),
        ([("other", frozenset({"18100", "18115"}), "BQL_KKT", "rule")], None, "UBND_18073", "default"),
    ],
)
def test_rule_precedence(seed, rules, winner, agency, reason):
    built = [make_rule(tag, units=units, agency=ag, kind=kind) for tag, units, ag, kind in rules]
    result = decide(make_report(), with_rules(seed, *built), FRIDAY)
    assert (result.agency_code, result.reason) == (agency, reason)
    assert (result.rule_id.split("-")[0] if result.rule_id else None) == winner


def test_exact_category_beats_wildcard_only_at_the_same_scope(seed):
    wildcard_prov = make_rule("wp", category="*", agency="TT_KHCN_CDS")
    exact_prov = make_rule("ep", agency="SO_XD")
    wildcard_unit = make_rule("wu", category="*", units=UNIT, agency="BQL_KKT")
    assert (
        decide(make_report(), with_rules(seed, wildcard_prov, exact_prov), FRIDAY).rule_id
        == exact_prov.rule_id
    )
    assert (
        decide(make_report(), with_rules(seed, exact_prov, wildcard_unit), FRIDAY).rule_id
        == wildcard_unit.rule_id
    )
    assert decide(make_report(category="CAY_XANH"), with_rules(seed, exact_prov), FRIDAY).reason == "default"


def test_later_effective_from_wins_at_equal_precedence(seed):
    old = make_rule("old", agency="SO_XD", effective_from=date(2025, 7, 1))
    new = make_rule("new", agency="BQL_KKT", effective_from=date(2026, 1, 1))
    assert decide(make_report(), with_rules(seed, old, new), FRIDAY).agency_code == "BQL_KKT"


@pytest.mark.parametrize(
    "start, end, applies",
    [
        (date(2026, 3, 7), None, False),  # not yet in force
        (None, date(2026, 3, 5), False),  # expired
        (date(2026, 3, 6), date(2026, 3, 6), True),  # both ends inclusive
        (date(2025, 7, 1), None, True),
    ],
)
def test_effective_window(seed, start, end, applies):
    rule = make_rule("eff", units=UNIT, agency="BQL_KKT", effective_from=start, effective_to=end)
    assert (decide(make_report(), with_rules(seed, rule), FRIDAY).agency_code == "BQL_KKT") is applies


def test_effective_window_uses_the_vietnam_date(seed):
    rule = make_rule("eff", agency="BQL_KKT", effective_from=date(2026, 3, 6))
    late_utc = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)  # already 01:00 on 6 March in Hà Tĩnh
    assert decide(make_report(), with_rules(seed, rule), late_utc).agency_code == "BQL_KKT"


def test_rule_can_replace_co_handlers_and_escalation(seed):
    keep = make_rule("keep", category="AN_TOAN_GIAO_THONG", agency="CONG_AN_TINH")
    clear = make_rule(
        "clear",
        category="AN_TOAN_GIAO_THONG",
        units=UNIT,
        agency="CONG_AN_TINH",
        co_handlers=("SO_XD", "UBND_{unit_code}"),
        escalation_agency="UBND_TINH",
    )
    r1 = decide(make_report(category="AN_TOAN_GIAO_THONG"), with_rules(seed, keep), FRIDAY)
    r2 = decide(make_report(category="AN_TOAN_GIAO_THONG"), with_rules(seed, clear), FRIDAY)
    assert (r1.co_handlers, r1.escalation_agency) == (("UBND_18073",), "CONG_AN_TINH")
    assert (r2.co_handlers, r2.escalation_agency) == (("SO_XD", "UBND_18073"), "UBND_TINH")


@pytest.mark.parametrize(
    "report, rules, reason",
    [
        (dict(category="KHONG_CO"), [], "unknown_category"),
        (dict(unit_code=None), [], "no_ward_for_location"),
        (dict(category="AN_NINH_TRAT_TU", unit_code=None), [], "no_ward_for_location"),
        (dict(unit_code="99999"), [], "agency_not_in_directory"),
        (dict(), [dict(units=UNIT, agency="SO_KHONG_CO")], "agency_not_in_directory"),
        (
            dict(category="VIEN_THONG", unit_code=None),
            [dict(category="VIEN_THONG", agency="UBND_{unit_code}")],
            "no_ward_for_location",
        ),
    ],
)
def test_unroutable_reasons(seed, report, rules, reason):
    built = [make_rule("bad", **r) for r in rules]
    result = decide(make_report(**report), with_rules(seed, *built), FRIDAY)
    assert isinstance(result, Unroutable) and result.reason == reason
    assert result.rule_id == (built[0].rule_id if built else None)
    assert "IOC" in result.explanation and result.directory_version == 7


def test_province_level_category_routes_without_a_ward_and_names_what_it_dropped(seed):
    result = decide(make_report(category="Y_TE", unit_code=None), seed, FRIDAY)
    assert (result.agency_code, result.co_handlers, result.unit_code) == ("SO_YT", (), None)
    assert "UBND_{unit_code}" in result.explanation and "Skipped" in result.explanation_en


# Friday 15:00 → accept within 8 working hours = Monday 15:30, capped at the due date
@pytest.mark.parametrize(
    "category, priority, due, accept",
    [
        ("GIAO_THONG_HA_TANG", "BINH_THUONG", datetime(2026, 3, 17, 17, 0), datetime(2026, 3, 9, 15, 30)),
        ("DIEN_LUC", "BINH_THUONG", datetime(2026, 3, 10, 17, 0), datetime(2026, 3, 9, 15, 30)),
        ("GIAO_THONG_HA_TANG", "KHAN", datetime(2026, 3, 11, 16, 30), datetime(2026, 3, 9, 15, 30)),  # 24 h
        ("AN_NINH_TRAT_TU", "KHAN", datetime(2026, 3, 9, 9, 30), datetime(2026, 3, 9, 9, 30)),  # 4 h
        ("CHIEU_SANG", "KHAN", datetime(2026, 3, 9, 9, 30), datetime(2026, 3, 9, 9, 30)),  # priority's 4 h
        ("PCCC_CUU_NAN", "KHAN", datetime(2026, 3, 6, 17, 0), datetime(2026, 3, 6, 17, 0)),  # 2 h
        (
            "GIAO_THONG_HA_TANG",
            "PHUC_TAP",
            datetime(2026, 3, 27, 17, 0),
            datetime(2026, 3, 9, 15, 30),
        ),  # 15 d
        ("O_NHIEM_MOI_TRUONG", "PHUC_TAP", datetime(2026, 3, 27, 17, 0), datetime(2026, 3, 9, 15, 30)),
    ],
)
def test_deadlines_over_a_weekend(seed, category, priority, due, accept):
    result = decide(make_report(category=category, priority=priority), seed, FRIDAY)
    assert result.due_at == due.replace(tzinfo=VN_TZ)
    assert result.accept_due_at == accept.replace(tzinfo=VN_TZ)


def test_complex_keeps_a_longer_category_deadline(seed):
    slow = CategoryRoute(code="GIAO_THONG_HA_TANG", default_agency="SO_XD", normal_working_days=20)
    snap = DirectorySnapshot(**{**dict(seed), "categories": {**seed.categories, "GIAO_THONG_HA_TANG": slow}})
    result = decide(make_report(priority="PHUC_TAP"), snap, FRIDAY)
    assert result.due_at == datetime(2026, 4, 3, 17, 0, tzinfo=VN_TZ)  # 20 working days


def test_deadline_over_tet_2027(seed):
    result = decide(make_report(), seed, datetime(2027, 2, 4, 10, 0, tzinfo=VN_TZ))
    assert result.due_at == datetime(2027, 2, 22, 17, 0, tzinfo=VN_TZ)


def test_decision_is_replayable_and_frozen(seed):
    report = make_report(category="CAP_NUOC", priority="KHAN")
    first = decide(report, seed, FRIDAY)
    assert decide(report, seed, FRIDAY) == first
    assert Decision.model_validate(first.model_dump(mode="json")) == first
    assert first.report_id == str(report.report_id)
    with pytest.raises(ValidationError):
        first.agency_code = "SO_XD"


def test_manual_decision(seed):
    result = manual_decision(make_report(), seed, FRIDAY, "SO_XD", ["UBND_18073"], note="quốc lộ 1A")
    assert (result.reason, result.agency_code, result.co_handlers, result.rule_id) == (
        "manual",
        "SO_XD",
        ("UBND_18073",),
        None,
    )
    assert "quốc lộ 1A" in result.explanation
    assert manual_decision(make_report(), seed, FRIDAY, "SO_KHONG_CO").reason == "agency_not_in_directory"


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda s: with_rules(s, make_rule("x", category="KHONG_CO")), "unknown category"),
        (
            lambda s: with_rules(s, *[make_rule("x").model_copy(update={"rule_id": "dup"})] * 2),
            "duplicate rule_id",
        ),
        (lambda s: make_rule("x", units=frozenset()), "empty unit set"),
        (lambda s: make_rule("x", effective_from=date(2026, 2, 1), effective_to=date(2026, 1, 1)), "before"),
    ],
)
def test_bad_directory_data_is_refused(seed, build, message):
    with pytest.raises(ValidationError, match=message):
        build(seed)


def test_naive_now_is_a_programming_error(seed):
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(make_report(), seed, datetime(2026, 3, 6, 15, 0))
