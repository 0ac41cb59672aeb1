"""Error codes shared by services and the gateway, and the one table of records giving each its HTTP status
and Vietnamese and English titles."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class ErrorSpec:
    """One row of the error table: the code, its HTTP status at the edge, its Vietnamese and English
    titles."""

    code: ErrorCode
    status: int
    title_vi: str
    title_en: str


# The one error table (code, HTTP status, titles): the gateway renders every problem from it.
ERRORS: dict[ErrorCode, ErrorSpec] = {
    spec.code: spec
    for spec in (
        ErrorSpec(ErrorCode.VALIDATION_FAILED, 422, "Dữ liệu không hợp lệ", "Invalid input"),
        ErrorSpec(ErrorCode.UNAUTHENTICATED, 401, "Cần đăng nhập", "Authentication required"),
        ErrorSpec(ErrorCode.FORBIDDEN, 403, "Không có quyền thực hiện", "Not allowed for this role"),
        ErrorSpec(ErrorCode.NOT_FOUND, 404, "Không tìm thấy", "Not found"),
        ErrorSpec(
            ErrorCode.RATE_LIMITED,
            429,
            "Gửi quá nhiều, vui lòng thử lại sau",
            "Too many requests, retry later",
        ),
        ErrorSpec(ErrorCode.REPORT_NOT_FOUND, 404, "Không tìm thấy phản ánh", "Report not found"),
        ErrorSpec(ErrorCode.UNKNOWN_CATEGORY, 422, "Lĩnh vực không tồn tại", "Unknown category"),
        ErrorSpec(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            409,
            "Idempotency-Key đã dùng cho một yêu cầu khác",
            "Idempotency-Key already used for a different request",
        ),
        ErrorSpec(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            409,
            "Không thể thực hiện ở trạng thái hiện tại của phản ánh",
            "Not allowed in the case's current state",
        ),
        ErrorSpec(
            ErrorCode.CONCURRENT_CHANGE,
            409,
            "Phản ánh vừa được thay đổi cùng lúc; hãy tải lại và thử lại",
            "The case changed at the same time; reload it and try again",
        ),
        ErrorSpec(ErrorCode.MEDIA_NOT_FOUND, 404, "Không tìm thấy tệp", "Media not found"),
        ErrorSpec(ErrorCode.MEDIA_REJECTED, 422, "Tệp bị từ chối", "Media rejected"),
        ErrorSpec(ErrorCode.MEDIA_TOO_LARGE, 413, "Tệp quá lớn", "Media too large"),
        ErrorSpec(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, "Định dạng tệp không được hỗ trợ", "Unsupported media type"
        ),
        ErrorSpec(ErrorCode.TOO_MANY_MEDIA, 409, "Quá số tệp cho phép", "Too many media files"),
        ErrorSpec(ErrorCode.MEDIA_EMPTY, 422, "Tệp rỗng", "The file is empty"),
        ErrorSpec(
            ErrorCode.IMAGE_TOO_MANY_PIXELS,
            422,
            "Ảnh có độ phân giải quá lớn",
            "The image has too many pixels",
        ),
        ErrorSpec(
            ErrorCode.MEDIA_TRUNCATED,
            422,
            "Tệp bị cắt cụt hoặc tải lên chưa hết",
            "The file is truncated or incompletely uploaded",
        ),
        ErrorSpec(
            ErrorCode.MEDIA_MALFORMED,
            422,
            "Tệp bị hỏng hoặc không đọc được",
            "The file is damaged or unreadable",
        ),
        ErrorSpec(ErrorCode.VIDEO_TOO_LONG, 422, "Video quá dài", "The video is too long"),
        ErrorSpec(
            ErrorCode.MEDIA_PROCESSING_FAILED,
            503,
            "Không xử lý được tệp, vui lòng thử lại sau",
            "The file could not be processed, retry later",
        ),
        ErrorSpec(ErrorCode.MEDIA_EXPIRED, 410, "Phiên tải lên đã hết hạn", "The upload slot has expired"),
        ErrorSpec(
            ErrorCode.MEDIA_FETCH_FAILED,
            422,
            "Không tải được ảnh từ liên kết",
            "The photo could not be fetched from its link",
        ),
        ErrorSpec(ErrorCode.MEDIA_NOT_READY, 409, "Tệp chưa xử lý xong", "The file is not processed yet"),
        ErrorSpec(
            ErrorCode.DIRECTORY_ENTRY_NOT_FOUND,
            404,
            "Không tìm thấy mục trong danh mục định tuyến",
            "Directory entry not found",
        ),
        ErrorSpec(
            ErrorCode.DIRECTORY_CONFLICT,
            409,
            "Thay đổi xung đột với danh mục hiện hành",
            "The change conflicts with the directory",
        ),
        ErrorSpec(ErrorCode.DELIVERY_NOT_FOUND, 404, "Không tìm thấy lượt gửi", "Delivery not found"),
        ErrorSpec(ErrorCode.CHANNEL_NOT_FOUND, 404, "Không tìm thấy kênh nhận", "Channel not found"),
        ErrorSpec(
            ErrorCode.DELIVERY_STATE_CONFLICT,
            409,
            "Trạng thái lượt gửi không cho phép thao tác này",
            "The delivery's state does not allow this",
        ),
        ErrorSpec(
            ErrorCode.UPSTREAM_TIMEOUT,
            504,
            "Hệ thống đang bận, vui lòng thử lại",
            "A service did not answer in time",
        ),
        ErrorSpec(
            ErrorCode.UPSTREAM_UNAVAILABLE, 503, "Hệ thống tạm thời gián đoạn", "A service is unavailable"
        ),
        ErrorSpec(ErrorCode.INTERNAL_ERROR, 500, "Lỗi hệ thống", "Internal error"),
        ErrorSpec(
            ErrorCode.API_KEY_INVALID,
            403,
            "api_key không hợp lệ hoặc đã bị thu hồi",
            "api_key is invalid or revoked",
        ),
        ErrorSpec(ErrorCode.API_KEY_NOT_FOUND, 404, "Không tìm thấy khóa API", "API key not found"),
        ErrorSpec(
            ErrorCode.OPEN311_UPDATE_EXISTS, 409, "Cập nhật này đã tồn tại", "This update already exists"
        ),
        ErrorSpec(ErrorCode.OPEN311_TOKEN_NOT_FOUND, 404, "Không tìm thấy token", "Token not found"),
        ErrorSpec(
            ErrorCode.INVALID_CREDENTIALS,
            401,
            "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng",
            "Wrong username, password or code",
        ),
        ErrorSpec(
            ErrorCode.SIGN_IN_THROTTLED,
            429,
            "Đăng nhập sai nhiều lần, vui lòng chờ rồi thử lại",
            "Too many failed sign-ins, wait and retry",
        ),
        ErrorSpec(
            ErrorCode.ACCOUNT_LOCKED,
            423,
            "Tài khoản tạm khóa do đăng nhập sai nhiều lần",
            "The account is locked after repeated failed sign-ins",
        ),
        ErrorSpec(ErrorCode.ACCOUNT_DISABLED, 403, "Tài khoản đã bị vô hiệu hóa", "The account is disabled"),
        ErrorSpec(
            ErrorCode.CHALLENGE_INVALID,
            401,
            "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại",
            "The sign-in step expired, sign in again",
        ),
        ErrorSpec(
            ErrorCode.SESSION_REVOKED,
            401,
            "Phiên làm việc đã kết thúc, vui lòng đăng nhập lại",
            "The session has ended, sign in again",
        ),
        ErrorSpec(
            ErrorCode.REFRESH_RACE,
            409,
            "Phiên vừa được gia hạn ở cửa sổ khác, vui lòng thử lại",
            "The session was just renewed elsewhere, retry",
        ),
        ErrorSpec(
            ErrorCode.CSRF_FAILED,
            403,
            "Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF)",
            "Missing or wrong CSRF token",
        ),
        ErrorSpec(ErrorCode.ACCOUNT_NOT_FOUND, 404, "Không tìm thấy tài khoản", "Account not found"),
        ErrorSpec(
            ErrorCode.ACCOUNT_CONFLICT,
            409,
            "Tài khoản đã tồn tại hoặc thay đổi xung đột",
            "The account exists or conflicts",
        ),
        ErrorSpec(
            ErrorCode.SSO_FAILED, 502, "Đăng nhập một lần (SSO) không thành công", "Single sign-on failed"
        ),
        ErrorSpec(ErrorCode.PAYLOAD_TOO_LARGE, 413, "Yêu cầu quá lớn", "The request body is too large"),
        ErrorSpec(
            ErrorCode.REQUEST_TIMEOUT, 408, "Yêu cầu gửi quá chậm", "The request body arrived too slowly"
        ),
        ErrorSpec(
            ErrorCode.GATEWAY_BUSY,
            503,
            "Hệ thống đang quá tải, vui lòng thử lại sau giây lát",
            "Too many requests in progress, retry in a moment",
        ),
    )
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
    request_id: str | None = Field(
        None, description="The X-Request-Id of the request: quote it to the operators"
    )
