"""Test-data builders with random ids."""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.open311.attributes import Attribute

UTC = UTC


def rand_code(prefix: str = "HT") -> str:
    """A random human-readable report code."""
    return f"{prefix}-2026-{random.randint(1, 999_999):06d}"


def rand_word(n: int = 8) -> str:
    """A random lowercase word."""
    return "".join(random.choices(string.ascii_lowercase, k=n))


def make_entry(
    at: datetime, from_status: str | None, to_status: str, note: str | None = None, **extra: Any
) -> dict:
    """One public timeline entry."""
    return {
        "id": str(uuid.uuid4()),
        "at": at,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        **extra,
    }


def make_view(**overrides: Any) -> dict[str, Any]:
    """A public report view as the intake service would return it."""
    created = datetime(2026, 3, 16, 1, 30, tzinfo=UTC) + timedelta(minutes=random.randint(0, 600))
    view: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "code": rand_code(),
        "category": "GIAO_THONG_HA_TANG",
        "category_name": "Hạ tầng giao thông",
        "description": f"Ổ gà lớn giữa đường, nguy hiểm cho xe máy {rand_word()}",
        "status": "DANG_XU_LY",
        "lat": 18.3419 + random.random() / 100,
        "lon": 105.903 + random.random() / 100,
        "address": "Đường Trần Phú, phường Thành Sen",
        "ward_code": "18073",
        "ward_name": "Phường Thành Sen",
        "agency_code": "UBND_18073",
        "agency_name": "UBND phường Thành Sen",
        "created_at": created,
        "updated_at": created + timedelta(hours=5),
        "due_at": created + timedelta(days=7),
        "timeline": [
            make_entry(created, None, "CHO_TIEP_NHAN"),
            make_entry(created + timedelta(hours=1), "CHO_TIEP_NHAN", "DA_TIEP_NHAN", "Đã xác minh"),
            make_entry(created + timedelta(hours=2), "DA_TIEP_NHAN", "DA_CHUYEN_XU_LY"),
            make_entry(created + timedelta(hours=5), "DA_CHUYEN_XU_LY", "DANG_XU_LY", "Đơn vị đã nhận xử lý"),
        ],
        "photos": [f"https://media.example.vn/{uuid.uuid4()}.jpg" for _ in range(2)],
        "channel": random.choice(["app", "web", "hotline", "open311"]),
    }
    view.update(overrides)
    return view


def make_personal() -> dict[str, str]:
    """Personal fields that must never leave intake (distinctive values, easy to search for)."""
    tag = rand_word(10)
    return {
        "reporter_name": f"Nguyễn Văn {tag}",
        "phone": f"09{random.randint(10_000_000, 99_999_999)}",
        "email": f"{tag}@mail.example.vn",
        "device_id": f"device-{uuid.uuid4()}",
        "account_id": f"acct-{uuid.uuid4()}",
        "first_name": f"Văn{tag}",
        "last_name": f"Nguyễn{tag}",
    }


def make_category(code: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A report category like those in categories.json."""
    category = {
        "code": code or f"CAT_{rand_word(5).upper()}",
        "name_vi": f"Lĩnh vực {rand_word()}",
        "name_en": f"Category {rand_word()}",
        "description": "Mô tả thử, có dấu.",
        "examples": [],
    }
    category.update(overrides)
    return category


def make_attribute(code: str | None = None, datatype: str = "string", **overrides: Any) -> Attribute:
    """An Attribute with sensible defaults (list types get two values)."""
    values = (("A", "Giá trị A", "Value A"), ("B", "Giá trị B", "Value B"))
    fields: dict[str, Any] = {"description": ("Mô tả", "Description")}
    if datatype in ("singlevaluelist", "multivaluelist"):
        fields["values"] = values
    fields.update(overrides)
    return Attribute(code or rand_word(), datatype, **fields)
