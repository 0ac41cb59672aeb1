"""Defence in depth for public output: personal field names and contact details in free text."""
from __future__ import annotations

import re
import unicodedata

# Fields a view may carry that no Open311 output may ever contain.
PERSONAL_FIELDS = frozenset({
    "reporter_name", "first_name", "last_name", "phone", "email", "device_id", "account_id", "reporter_id",
})
REDACTED = "[đã ẩn]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Vietnamese mobile/landline numbers: 0xxxxxxxxx or +84/84 prefix, with optional separators.
_PHONE = re.compile(r"(?<![\w+])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")


def redact_contacts(text: str | None) -> str | None:
    """Mask e-mail addresses and phone numbers a citizen typed into public free text."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    return _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, text))
