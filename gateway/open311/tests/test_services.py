"""Service list, definitions and attribute validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.open311.attributes import BY_CATEGORY, DATATYPES, LIST_TYPES, Attribute
from gateway.open311.errors import Open311Error
from gateway.open311.services import ServiceCatalogue, keywords, validate_attributes

from .builders import make_attribute, make_category

CATEGORIES = Path("/work/shared/data/hatinh/categories.json")


@pytest.fixture(scope="module")
def catalogue() -> ServiceCatalogue:
    return ServiceCatalogue.from_file(CATEGORIES)


def test_all_25_categories_are_services_with_legal_fields(catalogue):
    services = catalogue.services()
    assert len(services) == 25
    for service in services:
        assert list(service) == [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ]
        assert isinstance(service["service_code"], str) and service["service_code"]
        assert service["service_name"] and service["description"] and service["group"]
        assert service["metadata"] in (True, False)
        assert service["type"] in ("realtime", "batch", "blackbox")
        assert all(word.strip() for word in service["keywords"].split(","))


def test_every_table_entry_names_a_real_category(catalogue):
    assert set(BY_CATEGORY) <= set(catalogue.categories)


def test_english_names_and_groups(catalogue):
    english = {s["service_code"]: s for s in catalogue.services("en")}
    assert english["CHIEU_SANG"]["service_name"] == "Public lighting"
    assert english["CHIEU_SANG"]["group"] == "Infrastructure & utilities"
    assert {s["service_code"]: s for s in catalogue.services()}["CHIEU_SANG"]["group"] == "Hạ tầng, tiện ích"


def test_only_codes_restricts_the_list(catalogue):
    assert [s["service_code"] for s in catalogue.services(only_codes={"KHAC", "Y_TE"})] == ["Y_TE", "KHAC"]
    assert catalogue.services(only_codes=()) == []


def test_keywords_come_from_examples_then_description_without_commas_inside():
    category = make_category(
        examples=["Ổ gà, sâu", "Biển báo đổ"], description="Mặt đường; cầu (cống, kênh). Khác."
    )
    assert keywords(category) == "Ổ gà sâu, Biển báo đổ, Mặt đường, cầu"


def test_batch_type_and_explicit_override():
    catalogue = ServiceCatalogue(
        [make_category("THU_TUC_HANH_CHINH"), make_category("X", open311_type="batch"), make_category("Y")]
    )
    assert [s["type"] for s in catalogue.services()] == ["batch", "batch", "realtime"]


def test_metadata_false_when_the_definition_has_no_attributes():
    catalogue = ServiceCatalogue([make_category("NONE", open311_attributes=[]), make_category("SOME")])
    metadata = {s["service_code"]: s["metadata"] for s in catalogue.services()}
    assert metadata == {"NONE": False, "SOME": True}
    assert catalogue.definition("NONE")["attributes"] == []


def test_category_group_override():
    catalogue = ServiceCatalogue([make_category("G", group={"vi": "Nhóm riêng", "en": "Own group"})])
    assert catalogue.services("en")[0]["group"] == "Own group"


def test_duplicate_category_codes_are_refused():
    with pytest.raises(ValueError):
        ServiceCatalogue([make_category("A"), make_category("A")])


@pytest.mark.parametrize("code", [c for c in BY_CATEGORY] + ["KHAC"])
def test_definitions_have_unique_order_legal_datatypes_and_values_for_lists(catalogue, code):
    definition = catalogue.definition(code)
    assert definition["service_code"] == code
    orders = [a["order"] for a in definition["attributes"]]
    assert orders == list(range(1, len(orders) + 1))
    codes = [a["code"] for a in definition["attributes"]]
    assert len(set(codes)) == len(codes)
    for attribute in definition["attributes"]:
        assert list(attribute)[:7] == [
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
        ]
        assert attribute["datatype"] in DATATYPES
        assert ("values" in attribute) == (attribute["datatype"] in LIST_TYPES)
        for value in attribute.get("values", []):
            assert set(value) == {"key", "name"} and value["key"] and value["name"]


def test_priority_is_a_singlevaluelist_of_our_priorities(catalogue):
    priority = next(a for a in catalogue.definition("CHIEU_SANG")["attributes"] if a["code"] == "priority")
    assert priority["datatype"] == "singlevaluelist"
    assert [v["key"] for v in priority["values"]] == ["BINH_THUONG", "KHAN", "PHUC_TAP"]
    english = next(
        a for a in catalogue.definition("CHIEU_SANG", "en")["attributes"] if a["code"] == "priority"
    )
    assert english["values"][1]["name"].startswith("Urgent")


def test_unknown_service_code_is_404(catalogue):
    for call in (catalogue.definition, catalogue.service_type, catalogue.attributes):
        with pytest.raises(Open311Error) as caught:
            call("KHONG_CO")
        assert caught.value.status == 404


def test_attribute_declaration_is_checked():
    with pytest.raises(ValueError):
        Attribute("x", "singlevaluelist", ("a", "b"))  # list type without values
    with pytest.raises(ValueError):
        Attribute("x", "string", ("a", "b"), values=(("k", "v", "v"),))
    with pytest.raises(ValueError):
        Attribute("x", "boolean", ("a", "b"))


def test_missing_required_attributes_are_named(catalogue):
    with pytest.raises(Open311Error) as caught:
        catalogue.validate_attributes("THIEN_TAI", {"priority": "KHAN"})
    assert caught.value.status == 400 and "danger_to_life" in caught.value.description


def test_all_missing_required_attributes_are_named_together():
    attributes = [make_attribute("alpha", required=True), make_attribute("beta", required=True)]
    with pytest.raises(Open311Error) as caught:
        validate_attributes(attributes, {"alpha": ""})
    assert "alpha, beta" in caught.value.description


def test_valid_attributes_are_normalised_and_unknown_or_informational_ones_dropped(catalogue):
    result = catalogue.validate_attributes(
        "THIEN_TAI",
        {
            "danger_to_life": "CO",
            "affected_households": "12",
            "noticed_at": "2026-03-16T01:30:00Z",
            "emergency_notice": "ignored",
            "fixmystreet_id": "99",
            "landmark": "Gần cầu Cày",
        },
    )
    assert result == {
        "danger_to_life": "CO",
        "affected_households": 12,
        "noticed_at": "2026-03-16T08:30:00+07:00",
        "landmark": "Gần cầu Cày",
    }


def test_multivaluelist_accepts_one_or_many_keys():
    attribute = make_attribute("kinds", "multivaluelist")
    assert validate_attributes([attribute], {"kinds": "A"}) == {"kinds": ["A"]}
    assert validate_attributes([attribute], {"kinds": ["B", "A", "B"]}) == {"kinds": ["B", "A"]}


@pytest.mark.parametrize(
    "datatype,value",
    [
        ("singlevaluelist", "Z"),
        ("singlevaluelist", ["A", "B"]),
        ("multivaluelist", ["A", "Z"]),
        ("number", "mười"),
        ("number", "-3"),
        ("number", "inf"),
        ("datetime", "hôm qua"),
        ("string", "x" * 501),
        ("text", "x" * 4001),
    ],
)
def test_invalid_attribute_values_are_400_naming_the_attribute(datatype, value):
    attribute = make_attribute("field_x", datatype)
    with pytest.raises(Open311Error) as caught:
        validate_attributes([attribute], {"field_x": value})
    assert caught.value.status == 400 and "field_x" in caught.value.description


def test_text_allows_up_to_4000_and_decimal_numbers():
    assert validate_attributes([make_attribute("t", "text")], {"t": "x" * 4000}) == {"t": "x" * 4000}
    assert validate_attributes([make_attribute("n", "number")], {"n": "2.5"}) == {"n": 2.5}
