"""Administrator changes on the directory document: merges, validation, retirements, geometry, holidays."""

from __future__ import annotations

from datetime import date

import pytest
from shapely.geometry import mapping

from libs.contracts.directory import (
    AgencyData,
    CategoryData,
    ClearWardGeometry,
    DeleteRule,
    HolidayYear,
    LoadWardGeometry,
    MergeUnits,
    PutAgency,
    PutCategory,
    PutHolidays,
    PutRule,
    PutUnit,
    RestoreVersion,
    RetireAgency,
    RetireCategory,
    RuleData,
    UnitData,
)
from services.routing.domain.changes import apply_change
from services.routing.domain.directory import cells_of
from services.routing.domain.engine import route
from services.routing.domain.validation import ChangeRejected, validate
from services.routing.repository.versions import changed_entries

from .builders import FRIDAY, SEED_DOC, UNITS, at_unit, directory, make_request


def applied(command, doc=SEED_DOC, restored=None):
    """Apply and validate; returns (document, runtime directory)."""
    result = apply_change(doc, command, restored)
    return result, validate(result.doc, 2, FRIDAY)


def rejected(command, doc=SEED_DOC) -> ChangeRejected:
    with pytest.raises(ChangeRejected) as err:
        validate(apply_change(doc, command).doc, 2, FRIDAY)
    return err.value


def test_merge_into_an_existing_unit_moves_territory_agencies_and_rules():
    result, merged = applied(MergeUnits(into="18115", sources=["18118"]))  # Bắc + Nam Hồng Lĩnh
    doc = result.doc
    assert "18118" not in doc["unit"] and {"UBND_18118", "CA_18118"}.isdisjoint(doc["agency"])
    assert result.replaced_agencies == {"UBND_18118": "UBND_18115", "CA_18118": "CA_18115"}
    assert doc["rule"]["rac-hong-linh"]["units"] == ["18115"]  # the rule follows the merged unit
    assert doc["unit"]["18115"]["details"]["merged_units"] == ["18118"]
    assert doc["unit"]["18115"]["area_km2"] == pytest.approx(
        UNITS_AREA["18115"] + UNITS_AREA["18118"], abs=0.01
    )
    outcome = route(merged, at_unit("18118", category="GIAO_THONG_HA_TANG"), FRIDAY)  # the old centroid
    assert (outcome.ward.unit_code, outcome.result.agency_code) == ("18115", "UBND_18115")
    assert outcome.ward.approximate and cells_of(doc).approximate  # materialised, still approximate


UNITS_AREA = {code: u["area_km2"] for code, u in SEED_DOC["unit"].items()}


def test_merged_territory_is_exactly_the_old_cells():
    before = directory()
    _, merged = applied(MergeUnits(into="18160", sources=["18163", "18172"]))
    union = before.wards.cell("18160").union(before.wards.cell("18163")).union(before.wards.cell("18172"))
    assert merged.wards.cell("18160").symmetric_difference(union).area < 1e-9
    for code in ("18133", "18184"):  # neighbours keep their cells
        assert merged.wards.cell(code).symmetric_difference(before.wards.cell(code)).area < 1e-9


def test_merge_into_a_new_unit_creates_its_agencies():
    result, merged = applied(
        MergeUnits(into="19999", sources=["18073", "18100"], name="Phường Hà Tĩnh", type="phuong")
    )
    doc = result.doc
    assert doc["agency"]["UBND_19999"]["name_vi"] == "UBND Phường Hà Tĩnh"
    assert doc["agency"]["CA_19999"]["name_vi"] == "Công an phường Hà Tĩnh"
    assert doc["agency"]["CA_19999"]["parent"] == "CONG_AN_TINH"
    for code in ("18073", "18100"):
        outcome = route(merged, at_unit(code, category="AN_NINH_TRAT_TU"), FRIDAY)
        assert (outcome.ward.unit_code, outcome.result.agency_code) == ("19999", "CA_19999")
    lat = doc["unit"]["19999"]["centroid"]["lat"]
    assert min(UNITS["18073"].lat, UNITS["18100"].lat) <= lat <= max(UNITS["18073"].lat, UNITS["18100"].lat)


@pytest.mark.parametrize(
    "command, field",
    [
        (MergeUnits(into="18073", sources=["99999"]), "sources"),
        (MergeUnits(into="18073", sources=["18073"]), "sources"),
        (MergeUnits(into="19999", sources=["18100"]), "name"),
    ],
)
def test_bad_merges_name_the_field(command, field):
    err = rejected(command)
    assert err.kind == "invalid" and field in {e["field"] for e in err.errors}


def test_a_category_whose_pattern_does_not_resolve_is_refused():
    cat = CategoryData.model_validate(
        {**SEED_DOC["category"]["CHIEU_SANG"], "default_agency": "DIEN_{unit_code}"}
    )
    err = rejected(PutCategory(category=cat))
    assert err.kind == "invalid" and err.errors[0]["field"] == "category.CHIEU_SANG"
    assert "DIEN_18073" in err.errors[0]["message"] and "(+64)" in err.errors[0]["message"]


@pytest.mark.parametrize(
    "rule, field",
    [
        (RuleData(rule_id="r1", category="CAY_XANH", units=["99999"], agency="SO_XD"), "rule.r1.units"),
        (RuleData(rule_id="r2", category="CAY_XANH", agency="SO_KHONG_CO"), "rule.r2"),
        (RuleData(rule_id="r3", category="KHONG_CO", agency="SO_XD"), "rule.r3.category"),
    ],
)
def test_inconsistent_rules_are_refused(rule, field):
    err = rejected(PutRule(rule=rule))
    assert field in {e["field"] for e in err.errors}


def test_a_valid_rule_routes_and_its_deletion_restores_the_default():
    rule = RuleData(
        rule_id="ql1a",
        category="GIAO_THONG_HA_TANG",
        units=["18682", "18673"],
        agency="SO_XD",
        co_handlers=["UBND_{unit_code}"],
        kind="override",
    )
    result, with_rule = applied(PutRule(rule=rule))
    decision = route(with_rule, at_unit("18682"), FRIDAY).result
    assert (decision.agency_code, decision.reason, decision.co_handlers) == (
        "SO_XD",
        "override",
        ("UBND_18682",),
    )
    _, without = applied(DeleteRule(rule_id="ql1a"), doc=result.doc)
    assert route(without, at_unit("18682"), FRIDAY).result.reason == "default"
    assert rejected(DeleteRule(rule_id="ql1a")).kind == "not_found"


@pytest.mark.parametrize(
    "code, used_by",
    [
        ("SO_XD", "category"),  # escalation agency of several categories
        ("MTDT_HONG_LINH", "rule"),  # the seeded rule
        ("CONG_AN_TINH", "parent"),  # parent of the commune police
        ("TT_KHCN_CDS", "category"),  # default of KHAC (and the IOC)
    ],
)
def test_retiring_a_referenced_agency_is_a_conflict(code, used_by):
    err = rejected(RetireAgency(code=code))
    assert err.kind == "conflict" and used_by in err.detail


def test_retire_unused_agency_and_unknown_ones():
    result, _ = applied(RetireAgency(code="SO_TP"))
    assert "SO_TP" not in result.doc["agency"]
    assert rejected(RetireAgency(code="SO_KHONG_CO")).kind == "not_found"


def test_retire_category_used_by_a_rule_is_a_conflict_else_allowed():
    assert rejected(RetireCategory(code="MOI_TRUONG_RAC")).kind == "conflict"
    result, _ = applied(RetireCategory(code="KHAC"))
    assert "KHAC" not in result.doc["category"]


def test_an_agency_of_an_unknown_unit_is_refused():
    agency = AgencyData(
        code="BQL_CHO", name_vi="Ban quản lý chợ", level="commune", kind="ban_quan_ly", unit_code="99999"
    )
    assert rejected(PutAgency(agency=agency)).errors[0]["field"] == "agency.BQL_CHO.unit_code"


def test_new_unit_needs_a_cell_once_polygons_are_loaded():
    result, merged = applied(MergeUnits(into="18115", sources=["18118"]))  # stores cells
    unit = UnitData(code="19998", name="Xã Mới", type="xa", centroid={"lat": 18.3, "lon": 105.8})
    assert rejected(PutUnit(unit=unit), doc=result.doc).errors[0]["field"] == "unit.code"
    cleared, _ = applied(ClearWardGeometry(), doc=result.doc)
    result, added = applied(PutUnit(unit=unit), doc=cleared.doc)
    assert added.wards.locate(18.3, 105.8).unit_code == "19998"
    assert {"UBND_19998", "CA_19998"} <= set(result.doc["agency"]) and "UBND_19998" in result.summary
    assert route(added, make_request(lat=18.3, lon=105.8), FRIDAY).result.agency_code == "UBND_19998"


def test_official_geometry_is_validated_and_replaces_cells():
    seeded = directory()
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"ma_xa": c}, "geometry": mapping(seeded.wards.cell(c))}
            for c in seeded.wards.unit_codes
        ],
    }
    _, official = applied(LoadWardGeometry(feature_collection=fc))
    assert (
        not official.wards.approximate and route(official, at_unit("18844"), FRIDAY).ward.approximate is False
    )
    partial = {**fc, "features": fc["features"][:10]}
    err = rejected(LoadWardGeometry(feature_collection=partial))
    assert err.errors[0]["field"] == "feature_collection" and "no polygon for 59 unit" in err.detail
    _, ok = applied(LoadWardGeometry(feature_collection=partial, allow_partial=True))
    assert len(ok.wards.unit_codes) == 10


def test_holidays_change_the_working_calendar():
    extra = date(2026, 3, 9)  # an announced day off on a Monday
    _, changed = applied(PutHolidays(holidays=HolidayYear(year=2026, days_off=[extra])))
    assert not changed.snapshot.calendar.is_working_day(extra)
    before = route(directory(), at_unit("18073"), FRIDAY).result.due_at
    after = route(changed, at_unit("18073"), FRIDAY).result.due_at
    assert (after - before).days == 1


def test_restore_gives_back_an_earlier_document():
    result, _ = applied(RetireAgency(code="SO_TP"))
    restored, _ = applied(RestoreVersion(version=1), doc=result.doc, restored=SEED_DOC)
    assert changed_entries(SEED_DOC, restored.doc) == ([], [])
    assert rejected(RestoreVersion(version=42)).kind == "not_found"


def test_changed_entries_lists_closed_and_inserted_rows():
    result, _ = applied(MergeUnits(into="18115", sources=["18118"]))
    close, insert = changed_entries(SEED_DOC, result.doc)
    assert {("unit", "18118"), ("agency", "UBND_18118"), ("unit", "18115"), ("rule", "rac-hong-linh")} <= set(
        close
    )
    assert {(k, key) for k, key, _ in insert} == {
        ("unit", "18115"),
        ("rule", "rac-hong-linh"),
        ("ward_geometry", "cells"),
    }
