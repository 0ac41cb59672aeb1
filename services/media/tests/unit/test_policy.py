"""Who sees which rendition, how derivatives are stored, what a failure becomes (pure rules, tables)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.media.domain.policy import (
    GiveUp,
    Retry,
    after_failure,
    audience_for,
    blurred_for,
    main_rendition,
    plan_renditions,
    reject_code,
    visible,
)
from services.media.processing import Derivative


@dataclass(frozen=True)
class Actor:
    role: str


@dataclass(frozen=True)
class Row:
    name: str
    audience: str


@pytest.mark.parametrize(
    ("actor", "public", "expected"),
    [
        (Actor("operator"), None, "operator"),
        (Actor("operator"), False, "operator"),
        (Actor("agency_officer"), True, "public"),
        (Actor("agency_leader"), False, None),
        (Actor("administrator"), True, "public"),
        (None, True, "public"),
        (None, False, None),
        (None, None, None),  # intake could not say: fail closed
    ],
)
def test_audience(actor, public, expected):
    assert audience_for(actor, public) == expected


def derivative(body, public: bool) -> Derivative:
    return Derivative(body, "image/jpeg", 10, 10, public)


def test_identical_public_bytes_are_stored_once_as_shared():
    body = b"same-" + uuid.uuid4().bytes
    planned = plan_renditions({"master": derivative(body, False), "public_master": derivative(body, True)})
    assert [(p.name, p.audience) for p in planned] == [("master", "shared")]


def test_blurred_twins_are_stored_apart():
    planned = plan_renditions(
        {
            "thumb": derivative(b"a", False),
            "public_thumb": derivative(b"b", True),
            "card": derivative(b"c", False),
            "public_card": derivative(b"c", True),
        }
    )
    assert sorted((p.name, p.audience, p.derivative.body) for p in planned) == [
        ("card", "shared", b"c"),
        ("thumb", "operator", b"a"),
        ("thumb", "public", b"b"),
    ]


def test_a_video_has_no_twin_and_is_shared():
    planned = plan_renditions(
        {
            "video": Derivative(Path("/tmp/v.mp4"), "video/mp4", 4, 4, True),
            "poster": derivative(b"p", False),
            "public_poster": derivative(b"q", True),
        }
    )
    assert sorted((p.name, p.audience) for p in planned) == [
        ("poster", "operator"),
        ("poster", "public"),
        ("video", "shared"),
    ]


def test_a_lone_public_rendition_is_kept():
    assert [(p.name, p.audience) for p in plan_renditions({"public_card": derivative(b"x", True)})] == [
        ("card", "shared")
    ]


ROWS = [
    Row("master", "operator"),
    Row("master", "public"),
    Row("thumb", "shared"),
    Row("video", "shared"),
    Row("poster", "public"),
]


@pytest.mark.parametrize(
    ("audience", "video_public", "expected"),
    [
        ("operator", False, [("master", "operator"), ("thumb", "shared"), ("video", "shared")]),
        (
            "public",
            True,
            [("master", "public"), ("poster", "public"), ("thumb", "shared"), ("video", "shared")],
        ),
        ("public", False, [("master", "public"), ("poster", "public"), ("thumb", "shared")]),
        (None, True, []),
    ],
)
def test_visible(audience, video_public, expected):
    assert [(r.name, r.audience) for r in visible(ROWS, audience, video_public)] == expected


@pytest.mark.parametrize(
    ("names", "main"),
    [
        (["thumb", "card", "master"], "master"),
        (["poster", "video"], "video"),
        (["poster_thumb", "poster"], "poster"),
        (["thumb"], None),
        ([], None),
    ],
)
def test_main_rendition(names, main):
    assert main_rendition(names) == main


@pytest.mark.parametrize(
    ("audience", "faces", "regions", "blurred"),
    [
        ("public", 1, [], True),
        ("public", 0, [{"x": 1}], True),
        ("public", 0, [], False),
        ("public", None, [], False),
        ("operator", 3, [{"x": 1}], False),
        (None, 2, [], False),
    ],
)
def test_blurred_for(audience, faces, regions, blurred):
    assert blurred_for(audience, faces, regions) is blurred


NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempts", "decision"),
    [
        (1, Retry(NOW + timedelta(seconds=5))),
        (2, Retry(NOW + timedelta(seconds=10))),
        (4, Retry(NOW + timedelta(seconds=40))),
        (5, GiveUp("MEDIA_PROCESSING_FAILED")),
        (9, GiveUp("MEDIA_PROCESSING_FAILED")),
    ],
)
def test_after_failure_backs_off_then_gives_up(attempts, decision):
    assert after_failure(attempts, 5, NOW, timedelta(seconds=5), timedelta(minutes=10)) == decision


def test_back_off_is_capped():
    assert after_failure(30, 99, NOW, timedelta(seconds=5), timedelta(minutes=10)) == Retry(
        NOW + timedelta(minutes=10)
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("IMAGE_TOO_MANY_PIXELS", "IMAGE_TOO_MANY_PIXELS"),
        ("VIDEO_TOO_LONG", "VIDEO_TOO_LONG"),
        ("MEDIA_EMPTY", "MEDIA_EMPTY"),
        ("SOMETHING_NEW", "MEDIA_REJECTED"),
    ],
)
def test_reject_code(code, reason):
    assert reject_code(code) == reason
