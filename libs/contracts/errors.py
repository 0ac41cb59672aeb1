"""Error codes shared by services and the gateway, with the HTTP status each maps to (one table per edge)."""
from __future__ import annotations

from enum import Enum

from pydantic import BaseModel


class ErrorCode(str, Enum):
    """Stable, machine-readable error codes."""

    VALIDATION_FAILED = "VALIDATION_FAILED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    REPORT_NOT_FOUND = "REPORT_NOT_FOUND"
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    MEDIA_NOT_FOUND = "MEDIA_NOT_FOUND"
    MEDIA_REJECTED = "MEDIA_REJECTED"
    MEDIA_TOO_LARGE = "MEDIA_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    TOO_MANY_MEDIA = "TOO_MANY_MEDIA"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_FAILED: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.REPORT_NOT_FOUND: 404,
    ErrorCode.UNKNOWN_CATEGORY: 422,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 409,
    ErrorCode.MEDIA_NOT_FOUND: 404,
    ErrorCode.MEDIA_REJECTED: 422,
    ErrorCode.MEDIA_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.TOO_MANY_MEDIA: 409,
    ErrorCode.UPSTREAM_TIMEOUT: 504,
    ErrorCode.UPSTREAM_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}

TITLES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.VALIDATION_FAILED: ("Dữ liệu không hợp lệ", "Invalid input"),
    ErrorCode.UNAUTHENTICATED: ("Cần đăng nhập", "Authentication required"),
    ErrorCode.FORBIDDEN: ("Không có quyền thực hiện", "Not allowed for this role"),
    ErrorCode.NOT_FOUND: ("Không tìm thấy", "Not found"),
    ErrorCode.RATE_LIMITED: ("Gửi quá nhiều, vui lòng thử lại sau", "Too many requests, retry later"),
    ErrorCode.REPORT_NOT_FOUND: ("Không tìm thấy phản ánh", "Report not found"),
    ErrorCode.UNKNOWN_CATEGORY: ("Lĩnh vực không tồn tại", "Unknown category"),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: (
        "Idempotency-Key đã dùng cho một yêu cầu khác",
        "Idempotency-Key already used for a different request",
    ),
    ErrorCode.MEDIA_NOT_FOUND: ("Không tìm thấy tệp", "Media not found"),
    ErrorCode.MEDIA_REJECTED: ("Tệp bị từ chối", "Media rejected"),
    ErrorCode.MEDIA_TOO_LARGE: ("Tệp quá lớn", "Media too large"),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: ("Định dạng tệp không được hỗ trợ", "Unsupported media type"),
    ErrorCode.TOO_MANY_MEDIA: ("Quá số tệp cho phép", "Too many media files"),
    ErrorCode.UPSTREAM_TIMEOUT: ("Hệ thống đang bận, vui lòng thử lại", "A service did not answer in time"),
    ErrorCode.UPSTREAM_UNAVAILABLE: ("Hệ thống tạm thời gián đoạn", "A service is unavailable"),
    ErrorCode.INTERNAL_ERROR: ("Lỗi hệ thống", "Internal error"),
}


class FieldError(BaseModel):
    """One field at fault: a dotted path such as `location.lat`, and what is wrong with it."""

    field: str
    message: str
    type: str = "invalid"


class Problem(BaseModel):
    """RFC 9457 problem details, as served with `application/problem+json`."""

    type: str
    title: str
    status: int
    code: ErrorCode
    detail: str | None = None
    errors: list[FieldError] = []
