"""The directory document from the seed files, and what is built from it."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from pydantic import ValidationError

from services.routing.domain.directory import (
    copy_doc,
    deadlines_of,
    doc_digest,
    doc_from_seed,
    geometry_key,
    snapshot_of,
)
from services.routing.domain.rules import load_snapshot_from_seed

from .builders import DATA, SEED_DOC


def test_seed_document_holds_the_whole_province():
    counts = {kind: len(entries) for kind, entries in SEED_DOC.items()}
    assert counts == {
        "unit": 69,
        "agency": 161,
        "category": 25,
        "rule": 1,
        "settings": 2,
        "holiday_year": 0,
        "ward_geometry": 0,
    }
    assert SEED_DOC["unit"]["18073"]["details"]["legacy_sources"][0]["name"] == "Phường Nam Hà"
    assert SEED_DOC["category"]["PCCC_CUU_NAN"]["deadline"] == {"normal_working_days": 3, "urgent_hours": 2.0}


def test_snapshot_from_the_document_matches_the_seed_files():
    ours, theirs = snapshot_of(SEED_DOC, 3), load_snapshot_from_seed(DATA, version=3)
    assert ours.categories == theirs.categories and ours.agencies == theirs.agencies
    assert ours.priorities == theirs.priorities and ours.accept_working_hours == theirs.accept_working_hours
    assert [r.rule_id for r in ours.rules] == ["rac-hong-linh"]


def test_announced_holidays_reach_the_calendar():
    doc = copy_doc(SEED_DOC)
    doc["holiday_year"]["2026"] = {
        "year": 2026,
        "tet_days": [f"2026-02-{d:02d}" for d in range(14, 23)],
        "days_off": [],
        "working_days": ["2026-01-03"],
        "auto_compensate": False,
        "national_day_extra": "after",
    }
    cal = snapshot_of(doc, 2).calendar
    assert not cal.is_working_day(date(2026, 2, 20)) and cal.is_working_day(date(2026, 1, 3))  # a Saturday
    assert not cal.is_working_day(date(2026, 9, 3)) and cal.is_working_day(date(2026, 9, 1))


def test_digest_and_geometry_key_follow_the_content():
    doc = copy_doc(SEED_DOC)
    assert doc_digest(doc) == doc_digest(SEED_DOC) and geometry_key(doc) == geometry_key(SEED_DOC)
    doc["agency"] = {**doc["agency"], "SO_TP": {**doc["agency"]["SO_TP"], "name_en": "Justice"}}
    assert doc_digest(doc) != doc_digest(SEED_DOC) and geometry_key(doc) == geometry_key(SEED_DOC)
    doc["unit"] = {**doc["unit"], "18073": {**doc["unit"]["18073"], "centroid": {"lat": 18.34, "lon": 105.9}}}
    assert geometry_key(doc) != geometry_key(SEED_DOC)
    assert deadlines_of(doc).accept_working_hours == 8


def test_a_broken_seed_file_names_the_record(tmp_path):
    folder = tmp_path / "hatinh"
    shutil.copytree(DATA, folder)
    cats = json.loads((folder / "categories.json").read_text())
    cats["categories"][3]["default_agency"] = "ubnd of the ward"
    (folder / "categories.json").write_text(json.dumps(cats))
    with pytest.raises(ValidationError, match="default_agency"):
        doc_from_seed(folder)
