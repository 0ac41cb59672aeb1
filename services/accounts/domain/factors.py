"""The second factor: TOTP (RFC 6238, 30 s steps, 6 digits) with enrolment by QR code. Pure."""

from __future__ import annotations

import io
from datetime import datetime

import pyotp
import segno

ISSUER = "Hiện Trường"
STEP_S = 30


def new_secret() -> str:
    """A fresh base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def otpauth_uri(secret: str, username: str) -> str:
    """What authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as a standalone SVG QR code (with its namespace, so it also works as an image data URI); drawn
    on the server, the browser loads no library for it."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=5, dark="#000", light="#fff", xmldecl=False, svgns=True, title="TOTP"
    )
    return out.getvalue().decode()


def code_at(secret: str, when: datetime) -> str:
    """The code valid at a time (for tests and tools)."""
    return pyotp.TOTP(secret).at(when)


def accept(secret: str, code: str, last_step: int | None, now: datetime, drift_steps: int = 1) -> int | None:
    """The time step the code belongs to (±`drift_steps`), or None; a step at or before `last_step` is a
    replay."""
    totp, current = pyotp.TOTP(secret), int(now.timestamp()) // STEP_S
    for step in range(current - drift_steps, current + drift_steps + 1):
        if (last_step is None or step > last_step) and pyotp.utils.strings_equal(
            totp.generate_otp(step), code
        ):
            return step
    return None
