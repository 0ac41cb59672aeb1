"""Steps of the citizen journeys, shared by the browser tests: compose a report in the app, test images."""

from __future__ import annotations

import io
import random
import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from libs import refdata

ROOT = Path(__file__).resolve().parents[2]
UNITS = refdata.load().units()
CENTROID = {u["code"]: u["centroid"] for u in UNITS}
CATEGORY = "CHIEU_SANG"  # street lights: one extra question (the lamp-post number)
CATEGORY_VI = "Chiếu sáng"


def spot(ward: str = "18073") -> dict:
    """A point near a ward's centre, different for every test (so "is this yours?" sees only its own
    reports)."""
    c = CENTROID[ward]
    return {
        "lat": round(c["lat"] + random.uniform(-0.004, 0.004), 6),
        "lon": round(c["lon"] + random.uniform(-0.004, 0.004), 6),
    }


def geolocation(point: dict) -> dict:
    return {"latitude": point["lat"], "longitude": point["lon"], "accuracy": 8}


def photo_bytes(width: int = 3000, height: int = 2000, gps: dict | None = None) -> bytes:
    """A JPEG larger than the app's 2048 px, optionally with an EXIF GPS position."""
    from PIL import Image

    image = Image.new("RGB", (width, height), (40, 120, 200))
    for x in range(0, width, 100):  # some detail, so the file is not trivially small
        image.paste((200, 80 + x % 150, 40), (x, 0, x + 50, height))
    exif = Image.Exif()
    if gps:

        def dms(value: float) -> tuple:
            d = int(value)
            m = int((value - d) * 60)
            return (float(d), float(m), round(((value - d) * 60 - m) * 60, 4))

        exif[0x8825] = {1: "N", 2: dms(gps["lat"]), 3: "E", 4: dms(gps["lon"])}
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def compose(page: Page, point: dict, description: str, screens=None, photo_gps: dict | None = None) -> None:
    """Open the app and go through the four steps up to the last one (nothing sent yet)."""
    page.goto("/")
    page.get_by_role("link", name="Gửi phản ánh").click()
    expect(page.get_by_role("heading", name="Vấn đề ở đâu?")).to_be_visible()
    page.get_by_role("button", name="Dùng vị trí của tôi").click()
    expect(page.get_by_text(re.compile(r"^Vị trí thuộc (Phường|Xã) "))).to_be_visible(timeout=15000)
    screens and screens("02-report-where")
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.get_by_role("heading", name="Vấn đề gì?")).to_be_visible()
    page.get_by_role("radio", name=re.compile(CATEGORY_VI)).check()
    page.get_by_role("textbox", name=re.compile("Mô tả vấn đề")).fill(description)
    page.get_by_role("textbox", name=re.compile("Số hiệu cột đèn")).fill("CS-12")
    screens and screens("03-report-what")
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.get_by_role("heading", name="Ảnh hoặc video")).to_be_visible()
    page.get_by_label("Chọn ảnh, video").set_input_files(
        files=[{"name": "den-hong.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(gps=photo_gps)}]
    )
    expect(page.get_by_role("img", name="Ảnh 1")).to_be_visible(timeout=15000)
    if photo_gps:
        page.get_by_role("button", name="Dùng vị trí trong ảnh").click()
        expect(page.get_by_text(re.compile(r"^Vị trí thuộc "))).to_be_visible()
    screens and screens("04-report-photos")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("heading", name="Liên hệ và gửi")).to_be_visible()


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


def import_to_phone(page: Page, ref: dict) -> None:
    """Bring a report onto this phone by the transfer link (as from another phone): tokens in the fragment
    only."""
    page.goto("/")
    page.evaluate(
        """async (ref) => {
        const payload = {v: 1, r: [{i: ref.id, c: ref.code, k: ref.tracking_token, g: 'CHIEU_SANG',
                                    d: ref.created_at}]};
        const text = btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(payload))))
          .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
        location.hash = '#/import/' + text;
    }""",
        ref,
    )
