"""Error codes shared by services and the gateway, with the HTTP status each maps to (one table per edge)."""
from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field


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
    TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"
    CONCURRENT_CHANGE = "CONCURRENT_CHANGE"
    MEDIA_NOT_FOUND = "MEDIA_NOT_FOUND"
    MEDIA_REJECTED = "MEDIA_REJECTED"
    MEDIA_TOO_LARGE = "MEDIA_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    TOO_MANY_MEDIA = "TOO_MANY_MEDIA"
    MEDIA_EMPTY = "MEDIA_EMPTY"
    IMAGE_TOO_MANY_PIXELS = "IMAGE_TOO_MANY_PIXELS"
    MEDIA_TRUNCATED = "MEDIA_TRUNCATED"
    MEDIA_MALFORMED = "MEDIA_MALFORMED"
    VIDEO_TOO_LONG = "VIDEO_TOO_LONG"
    MEDIA_PROCESSING_FAILED = "MEDIA_PROCESSING_FAILED"
    MEDIA_EXPIRED = "MEDIA_EXPIRED"
    MEDIA_FETCH_FAILED = "MEDIA_FETCH_FAILED"
    MEDIA_NOT_READY = "MEDIA_NOT_READY"
    DIRECTORY_ENTRY_NOT_FOUND = "DIRECTORY_ENTRY_NOT_FOUND"
    DIRECTORY_CONFLICT = "DIRECTORY_CONFLICT"
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND"
    CHANNEL_NOT_FOUND = "CHANNEL_NOT_FOUND"
    DELIVERY_STATE_CONFLICT = "DELIVERY_STATE_CONFLICT"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    API_KEY_INVALID = "API_KEY_INVALID"
    API_KEY_NOT_FOUND = "API_KEY_NOT_FOUND"
    OPEN311_UPDATE_EXISTS = "OPEN311_UPDATE_EXISTS"
    OPEN311_TOKEN_NOT_FOUND = "OPEN311_TOKEN_NOT_FOUND"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    SIGN_IN_THROTTLED = "SIGN_IN_THROTTLED"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    CHALLENGE_INVALID = "CHALLENGE_INVALID"
    SESSION_REVOKED = "SESSION_REVOKED"
    REFRESH_RACE = "REFRESH_RACE"
    CSRF_FAILED = "CSRF_FAILED"
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
    ACCOUNT_CONFLICT = "ACCOUNT_CONFLICT"
    SSO_FAILED = "SSO_FAILED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    GATEWAY_BUSY = "GATEWAY_BUSY"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_FAILED: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.REPORT_NOT_FOUND: 404,
    ErrorCode.UNKNOWN_CATEGORY: 422,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 409,
    ErrorCode.TRANSITION_NOT_ALLOWED: 409,
    ErrorCode.CONCURRENT_CHANGE: 409,
    ErrorCode.MEDIA_NOT_FOUND: 404,
    ErrorCode.MEDIA_REJECTED: 422,
    ErrorCode.MEDIA_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.TOO_MANY_MEDIA: 409,
    ErrorCode.MEDIA_EMPTY: 422,
    ErrorCode.IMAGE_TOO_MANY_PIXELS: 422,
    ErrorCode.MEDIA_TRUNCATED: 422,
    ErrorCode.MEDIA_MALFORMED: 422,
    ErrorCode.VIDEO_TOO_LONG: 422,
    ErrorCode.MEDIA_PROCESSING_FAILED: 503,
    ErrorCode.MEDIA_EXPIRED: 410,
    ErrorCode.MEDIA_FETCH_FAILED: 422,
    ErrorCode.MEDIA_NOT_READY: 409,
    ErrorCode.DIRECTORY_ENTRY_NOT_FOUND: 404,
    ErrorCode.DIRECTORY_CONFLICT: 409,
    ErrorCode.DELIVERY_NOT_FOUND: 404,
    ErrorCode.CHANNEL_NOT_FOUND: 404,
    ErrorCode.DELIVERY_STATE_CONFLICT: 409,
    ErrorCode.UPSTREAM_TIMEOUT: 504,
    ErrorCode.UPSTREAM_UNAVAILABLE: 503,
    ErrorCode.GATEWAY_BUSY: 503,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.API_KEY_INVALID: 403,
    ErrorCode.API_KEY_NOT_FOUND: 404,
    ErrorCode.OPEN311_UPDATE_EXISTS: 409,
    ErrorCode.OPEN311_TOKEN_NOT_FOUND: 404,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.SIGN_IN_THROTTLED: 429,
    ErrorCode.ACCOUNT_LOCKED: 423,
    ErrorCode.ACCOUNT_DISABLED: 403,
    ErrorCode.CHALLENGE_INVALID: 401,
    ErrorCode.SESSION_REVOKED: 401,
    ErrorCode.REFRESH_RACE: 409,
    ErrorCode.CSRF_FAILED: 403,
    ErrorCode.ACCOUNT_NOT_FOUND: 404,
    ErrorCode.ACCOUNT_CONFLICT: 409,
    ErrorCode.SSO_FAILED: 502,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.REQUEST_TIMEOUT: 408,
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
    ErrorCode.TRANSITION_NOT_ALLOWED: (
        "Không thể thực hiện ở trạng thái hiện tại của phản ánh",
        "Not allowed in the case's current state",
    ),
    ErrorCode.CONCURRENT_CHANGE: (
        "Phản ánh vừa được thay đổi cùng lúc; hãy tải lại và thử lại",
        "The case changed at the same time; reload it and try again",
    ),
    ErrorCode.MEDIA_NOT_FOUND: ("Không tìm thấy tệp", "Media not found"),
    ErrorCode.MEDIA_REJECTED: ("Tệp bị từ chối", "Media rejected"),
    ErrorCode.MEDIA_TOO_LARGE: ("Tệp quá lớn", "Media too large"),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: ("Định dạng tệp không được hỗ trợ", "Unsupported media type"),
    ErrorCode.TOO_MANY_MEDIA: ("Quá số tệp cho phép", "Too many media files"),
    ErrorCode.MEDIA_EMPTY: ("Tệp rỗng", "The file is empty"),
    ErrorCode.IMAGE_TOO_MANY_PIXELS: ("Ảnh có độ phân giải quá lớn", "The image has too many pixels"),
    ErrorCode.MEDIA_TRUNCATED: ("Tệp bị cắt cụt hoặc tải lên chưa hết",
                                "The file is truncated or incompletely uploaded"),
    ErrorCode.MEDIA_MALFORMED: ("Tệp bị hỏng hoặc không đọc được", "The file is damaged or unreadable"),
    ErrorCode.VIDEO_TOO_LONG: ("Video quá dài", "The video is too long"),
    ErrorCode.MEDIA_PROCESSING_FAILED: ("Không xử lý được tệp, vui lòng thử lại sau",
                                        "The file could not be processed, retry later"),
    ErrorCode.MEDIA_EXPIRED: ("Phiên tải lên đã hết hạn", "The upload slot has expired"),
    ErrorCode.MEDIA_FETCH_FAILED: ("Không tải được ảnh từ liên kết", "The photo could not be fetched from its link"),
    ErrorCode.MEDIA_NOT_READY: ("Tệp chưa xử lý xong", "The file is not processed yet"),
    ErrorCode.DIRECTORY_ENTRY_NOT_FOUND: ("Không tìm thấy mục trong danh mục định tuyến", "Directory entry not found"),
    ErrorCode.DIRECTORY_CONFLICT: ("Thay đổi xung đột với danh mục hiện hành", "The change conflicts with the directory"),
    ErrorCode.DELIVERY_NOT_FOUND: ("Không tìm thấy lượt gửi", "Delivery not found"),
    ErrorCode.CHANNEL_NOT_FOUND: ("Không tìm thấy kênh nhận", "Channel not found"),
    ErrorCode.DELIVERY_STATE_CONFLICT: ("Trạng thái lượt gửi không cho phép thao tác này",
                                        "The delivery's state does not allow this"),
    ErrorCode.UPSTREAM_TIMEOUT: ("Hệ thống đang bận, vui lòng thử lại", "A service did not answer in time"),
    ErrorCode.UPSTREAM_UNAVAILABLE: ("Hệ thống tạm thời gián đoạn", "A service is unavailable"),
    ErrorCode.GATEWAY_BUSY: ("Hệ thống đang quá tải, vui lòng thử lại sau giây lát",
                             "Too many requests in progress, retry in a moment"),
    ErrorCode.INTERNAL_ERROR: ("Lỗi hệ thống", "Internal error"),
    ErrorCode.API_KEY_INVALID: ("api_key không hợp lệ hoặc đã bị thu hồi", "api_key is invalid or revoked"),
    ErrorCode.API_KEY_NOT_FOUND: ("Không tìm thấy khóa API", "API key not found"),
    ErrorCode.OPEN311_UPDATE_EXISTS: ("Cập nhật này đã tồn tại", "This update already exists"),
    ErrorCode.OPEN311_TOKEN_NOT_FOUND: ("Không tìm thấy token", "Token not found"),
    ErrorCode.INVALID_CREDENTIALS: ("Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng",
                                    "Wrong username, password or code"),
    ErrorCode.SIGN_IN_THROTTLED: ("Đăng nhập sai nhiều lần, vui lòng chờ rồi thử lại",
                                  "Too many failed sign-ins, wait and retry"),
    ErrorCode.ACCOUNT_LOCKED: ("Tài khoản tạm khóa do đăng nhập sai nhiều lần",
                               "The account is locked after repeated failed sign-ins"),
    ErrorCode.ACCOUNT_DISABLED: ("Tài khoản đã bị vô hiệu hóa", "The account is disabled"),
    ErrorCode.CHALLENGE_INVALID: ("Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại",
                                  "The sign-in step expired, sign in again"),
    ErrorCode.SESSION_REVOKED: ("Phiên làm việc đã kết thúc, vui lòng đăng nhập lại",
                                "The session has ended, sign in again"),
    ErrorCode.REFRESH_RACE: ("Phiên vừa được gia hạn ở cửa sổ khác, vui lòng thử lại",
                             "The session was just renewed elsewhere, retry"),
    ErrorCode.CSRF_FAILED: ("Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF)", "Missing or wrong CSRF token"),
    ErrorCode.ACCOUNT_NOT_FOUND: ("Không tìm thấy tài khoản", "Account not found"),
    ErrorCode.ACCOUNT_CONFLICT: ("Tài khoản đã tồn tại hoặc thay đổi xung đột", "The account exists or conflicts"),
    ErrorCode.SSO_FAILED: ("Đăng nhập một lần (SSO) không thành công", "Single sign-on failed"),
    ErrorCode.PAYLOAD_TOO_LARGE: ("Yêu cầu quá lớn", "The request body is too large"),
    ErrorCode.REQUEST_TIMEOUT: ("Yêu cầu gửi quá chậm", "The request body arrived too slowly"),
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
    request_id: str | None = Field(None, description="The X-Request-Id of the request: quote it to the operators")
