"""Unit tests of the row ⇄ state-machine mapping: the event every step emits, and the views' redaction."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from services.intake.domain.access import personal_keys_in
from services.intake.domain.case_rows import (
    case_access,
    case_state,
    columns_after,
    reporter_key,
    status_changed,
)
from services.intake.domain.views import report_view
from services.intake.domain.workflow import Action, Actor, Flag, apply
from services.intake.domain.workflow import Kind as K
from services.intake.domain.workflow import Role as R
from services.intake.domain.workflow import State as S

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def row(**kw):
    base = dict(
        id=uuid.uuid4(),
        code=f"HT-2026-{uuid.uuid4().int % 10**6:06d}",
        category="CHIEU_SANG",
        description="Đèn hỏng",
        lat=18.34,
        lon=105.9,
        address=None,
        priority="BINH_THUONG",
        status="DANG_XU_LY",
        channel="web",
        ward_code="18073",
        ward_approximate=True,
        agency_code="UBND_18073",
        accept_due_at=None,
        due_at=NOW + timedelta(days=3),
        flags=["GIA_HAN"],
        past_agencies=["SO_XD"],
        co_agencies=[],
        info_due_at=None,
        base_working_days=7,
        extension_count=0,
        extension_pending_days=None,
        published_at=None,
        rating=None,
        reopen_count=0,
        reopen_requested=False,
        supporters=0,
        created_at=NOW,
        updated_at=NOW,
        verified_at=NOW,
        public_description=None,
        public_address=None,
    )
    return SimpleNamespace(**{**base, **kw})


def test_case_state_and_access_come_from_the_row():
    r = row()
    state, access = case_state(r), case_access(r)
    assert (state.state, state.flags, state.assigned_agency, state.past_agencies) == (
        S.DANG_XU_LY,
        frozenset({Flag.GIA_HAN}),
        "UBND_18073",
        ("SO_XD",),
    )
    assert access.reporter_key == reporter_key(r.id) and access.past_agencies == ("SO_XD",)


@pytest.mark.parametrize(
    "kind,role,payload,status,public_note,clock,ext",
    [
        (K.REQUEST_INFO, R.OPERATOR, {"note": "Cần ảnh"}, "CHO_TIEP_NHAN", None, "stop", None),
        (K.SUPPLY_INFO, R.CITIZEN, {"note": "Đây"}, "CHO_BO_SUNG", None, "resume", None),
        (K.PROGRESS_NOTE, R.AGENCY_OFFICER, {"note": "Đang sửa"}, "DANG_XU_LY", "Đang sửa", None, None),
        (
            K.PROGRESS_NOTE,
            R.AGENCY_OFFICER,
            {"note": "Nội bộ", "visibility": "staff"},
            "DANG_XU_LY",
            None,
            None,
            None,
        ),
        (K.APPROVE_EXTENSION, R.OPERATOR, {"note": "Đồng ý"}, "DANG_XU_LY", "Đồng ý", None, 2),
        (
            K.ROUTE,
            R.SYSTEM,
            {"agency": "UBND_18073"},
            "DA_TIEP_NHAN",
            None,
            None,
            None,
        ),  # "start" stays internal
    ],
)
def test_status_changed_carries_only_public_notes_clock_and_approved_extension(
    kind, role, payload, status, public_note, clock, ext
):
    r = row(
        status=status,
        extension_pending_days=2 if kind is K.APPROVE_EXTENSION else None,
        agency_code=None if kind is K.ROUTE else "UBND_18073",
    )
    actor = Actor(role=role, subject="s", agency="UBND_18073" if role is R.AGENCY_OFFICER else None)
    t = apply(case_state(r), Action(kind=kind, **payload), actor, NOW)
    event = status_changed(r, t)
    assert (event.public_note, event.clock, event.extension_working_days) == (public_note, clock, ext)
    assert event.from_status.value == status and event.actor_role == role.value
    assert not personal_keys_in(event.model_dump(mode="json"))
    assert columns_after(t)["status"] == t.to_state.value and columns_after(t)["updated_at"] == NOW


def test_status_changed_of_an_approved_reopen_carries_the_new_deadline_for_routing():
    r = row(
        status="DA_DANH_GIA",
        rating="KHONG_HAI_LONG",
        reopen_count=1,
        reopen_requested=True,
        due_at=NOW - timedelta(days=20),
        published_at=NOW - timedelta(days=2),
    )
    t = apply(
        case_state(r),
        Action(kind=K.APPROVE_REOPEN, due_at=NOW + timedelta(days=5)),
        Actor(role=R.OPERATOR, subject="op"),
        NOW,
    )
    event = status_changed(r, t, 41)
    assert (event.to_status.value, event.reopen_due_at, event.clock) == (
        "DANG_XU_LY",
        NOW + timedelta(days=5),
        None,
    )
    assert event.sequence == 41  # its timeline entry: routing moves no status back for an older one
    other = apply(
        case_state(row()),
        Action(kind=K.PROGRESS_NOTE, note="x"),
        Actor(role=R.AGENCY_OFFICER, subject="a", agency="UBND_18073"),
        NOW,
    )
    assert status_changed(row(), other).reopen_due_at is None


def media(hidden=False):
    return SimpleNamespace(media_id=uuid.uuid4(), hidden=hidden)


def test_unverified_reports_show_others_only_code_category_and_status():
    r = row(status="CHO_TIEP_NHAN", description="Số nhà 5, gọi 0912345678", verified_at=None)
    public = report_view(r, steps=[], media=[media()])
    shown = {k for k, v in public.model_dump(exclude_none=True).items() if v not in ([], "", 0, False)}
    assert public.restricted and shown == {"id", "code", "category", "status", "restricted"}
    own = report_view(r, steps=[], media=[], reporter=None, own=True)
    assert not own.restricted and own.description == "Số nhà 5, gọi 0912345678"  # the author's own words
    verified = report_view(row(status="DA_TIEP_NHAN", description="Gọi 0912345678"), steps=[], media=[])
    assert not verified.restricted and verified.description == "Gọi [đã ẩn]"


@pytest.mark.parametrize("status", ["TRA_LAI", "DA_XU_LY", "DA_CHUYEN_XU_LY", "DONG"])
def test_a_verified_case_stays_public_in_every_later_state_with_a_plain_label(status):
    view = report_view(row(status=status), steps=[], media=[])
    assert not view.restricted and view.location is not None and view.status_label and view.status_label_en


def test_an_urgent_case_routed_unverified_is_not_public():
    assert report_view(row(status="DA_CHUYEN_XU_LY", priority="KHAN", verified_at=None), [], []).restricted


def test_the_public_reads_the_operators_wording_and_no_hidden_photo():
    shown, hidden = media(), media(hidden=True)
    r = row(description="Nhà ông Nam số 5, gọi 0912345678", public_description="Đèn hỏng trước số nhà 5")
    public = report_view(r, steps=[], media=[shown, hidden])
    assert public.description == "Đèn hỏng trước số nhà 5" and public.photos == [shown.media_id]


def test_the_routed_note_names_the_agency_and_falls_back_to_its_code():
    from libs.contracts.events import ReportRoutedV1
    from services.intake.usecases.events import routed_note

    base = dict(
        report_id=uuid.uuid4(),
        code="HT-2026-000001",
        category="CHIEU_SANG",
        priority="BINH_THUONG",
        ward_code="18073",
        ward_approximate=True,
        agency_code="UBND_18073",
        reason="default",
        directory_version=1,
    )
    named = ReportRoutedV1(
        **base, agency_name="UBND Phường Thành Sen", agency_name_en="People's Committee of Thành Sen Ward"
    )
    assert (
        routed_note(named) == "Chuyển UBND Phường Thành Sen / routed to People's Committee of Thành Sen Ward"
    )
    assert (
        routed_note(ReportRoutedV1(**base, agency_name="UBND Phường Thành Sen"))
        == "Chuyển UBND Phường Thành Sen / routed to UBND Phường Thành Sen"
    )
    assert (
        routed_note(ReportRoutedV1(**base)) == "Chuyển UBND_18073 / routed to UBND_18073"
    )  # an older routing
