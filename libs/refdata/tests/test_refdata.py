"""The reference data loader: provinces by folder or code, clear errors, every file with its provenance."""

from __future__ import annotations

import pytest

from libs import refdata


def test_a_province_by_folder_and_by_official_code_is_the_same_folder():
    assert refdata.load("hatinh") == refdata.load("42") == refdata.load()
    assert refdata.load("46").name == "hue" and len(refdata.load("hue").units()) == 40


def test_the_seeded_province_has_every_file_routing_seeds():
    province = refdata.load()
    for name in ("units", "agencies", "categories", "workflow", "rules", "holidays"):
        assert province.has(name), name
    assert len(province.units()) == 69 and len(province.categories()) == 25


def test_each_read_is_a_fresh_copy():
    first = refdata.load().categories()
    first.clear()
    assert refdata.load().categories()


@pytest.mark.parametrize("province", ["quangtri", "99", ""])
def test_an_unknown_province_names_itself(province):
    with pytest.raises(refdata.RefDataError, match=repr(province)):
        refdata.load(province)


def test_a_missing_file_is_named():
    with pytest.raises(refdata.RefDataError, match="rules.json"):
        refdata.load("hue").file("rules")


def test_every_data_file_has_its_provenance_line():
    readme = (refdata.ROOT / "README.md").read_text(encoding="utf-8")
    files = [p.relative_to(refdata.ROOT).as_posix() for p in refdata.ROOT.rglob("*.json")]
    files.append(refdata.OUTLINES.name)
    assert files and all(f"`{name}`" in readme for name in files), files
