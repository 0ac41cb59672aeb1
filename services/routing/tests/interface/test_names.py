"""`list_names`: the display names notify puts in messages, read from the directory in force."""

from __future__ import annotations

import pytest

from libs.contracts.directory import DirectoryNames

pytestmark = pytest.mark.interface


def test_every_category_agency_and_unit_has_a_vietnamese_and_an_english_name(routing, rpc):
    names = DirectoryNames.model_validate(rpc.routing.list_names())
    counts = rpc.routing.directory_counts()
    assert names.version == counts["version"] >= 1
    assert (len(names.categories), len(names.agencies), len(names.units)) == (
        counts["categories"],
        counts["agencies"],
        counts["units"],
    )
    units = {u.code: u for u in names.units}
    agencies = {a.code: a for a in names.agencies}
    assert (units["18073"].name_vi, units["18073"].name_en) == ("Phường Thành Sen", "Thành Sen Ward")
    assert (units["18133"].name_vi, units["18133"].name_en) == ("Xã Hương Sơn", "Hương Sơn Commune")
    assert agencies["UBND_18073"].name_vi == "UBND Phường Thành Sen"
    assert agencies["UBND_18073"].name_en == "People's Committee of Thành Sen Ward"
    assert all(e.name_vi and e.name_en for e in [*names.categories, *names.agencies, *names.units])
    lighting = next(c for c in names.categories if c.code == "CHIEU_SANG")
    assert lighting.name_vi != lighting.name_en
