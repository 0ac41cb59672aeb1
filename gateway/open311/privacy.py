"""Defence in depth for public output: personal field names, and the one masking function for free text."""

from __future__ import annotations

from libs.privacy.masking import REDACTED, mask_personal_data

# Fields a view may carry that no Open311 output may ever contain.
PERSONAL_FIELDS = frozenset(
    {
        "reporter_name",
        "first_name",
        "last_name",
        "phone",
        "email",
        "device_id",
        "account_id",
        "reporter_id",
    }
)

__all__ = ["PERSONAL_FIELDS", "REDACTED", "mask_personal_data"]
