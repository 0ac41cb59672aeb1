"""Open311 errors: one table of named errors and their rendering to the spec's error bodies."""

from __future__ import annotations

from collections.abc import Sequence

from .formats import render

# name -> (HTTP status, Vietnamese template, English template). Never put a submitted personal value
# (phone, email, name) into a template: error bodies and logs must not carry personal data.
ERRORS: dict[str, tuple[int, str, str]] = {
    "API_KEY_MISSING": (403, "Thiếu api_key", "api_key is required"),
    "API_KEY_INVALID": (403, "api_key không hợp lệ", "api_key is invalid"),
    "PARAM_MISSING": (400, "Thiếu tham số {name}", "missing parameter {name}"),
    "PARAM_INVALID": (400, "Tham số {name} không hợp lệ: {why}", "invalid parameter {name}: {why}"),
    "LOCATION_MISSING": (
        400,
        "Cần vị trí: lat và long, hoặc address_string, hoặc address_id",
        "a location is required: lat and long, or address_string, or address_id",
    ),
    "DESCRIPTION_TOO_LONG": (
        400,
        "Mô tả dài quá {limit} ký tự",
        "description is longer than {limit} characters",
    ),
    "WINDOW_TOO_WIDE": (
        400,
        "Khoảng thời gian {field} vượt quá {days} ngày",
        "the {field} window is wider than {days} days",
    ),
    "ATTRIBUTE_MISSING": (
        400,
        "Thiếu thuộc tính bắt buộc: {codes}",
        "missing required attribute: {codes}",
    ),
    "ATTRIBUTE_INVALID": (
        400,
        "Thuộc tính {code} không hợp lệ: {why}",
        "invalid attribute {code}: {why}",
    ),
    "UPDATE_EXISTS": (
        400,
        "Cập nhật {update_id} đã tồn tại",
        "update {update_id} already exists",
    ),
    "SERVICE_NOT_FOUND": (
        404,
        "Không có dịch vụ {service_code}",
        "service_code {service_code} not found",
    ),
    "REQUEST_NOT_FOUND": (
        404,
        "Không có phản ánh {service_request_id}",
        "request {service_request_id} not found",
    ),
    "TOKEN_NOT_FOUND": (404, "Không có token {token}", "token {token} not found"),
    "JURISDICTION_NOT_FOUND": (
        404,
        "Không có jurisdiction_id {jurisdiction_id}",
        "jurisdiction_id {jurisdiction_id} not found",
    ),
    "FORMAT_NOT_FOUND": (404, "Không hỗ trợ định dạng {fmt}", "format {fmt} is not supported"),
}


class Open311Error(Exception):
    """An error the Open311 edge answers with an HTTP status and a spec error body."""

    def __init__(self, status: int, description: str, name: str = "GENERAL") -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.name = name

    @classmethod
    def of(cls, error_name: str, /, **values: object) -> Open311Error:
        """Build a named error from the table; may raise KeyError for an unknown name or value."""
        status, vi, en = ERRORS[error_name]
        return cls(status, f"{vi.format(**values)} / {en.format(**values)}", error_name)

    def __repr__(self) -> str:
        return f"Open311Error({self.status}, {self.description!r})"


def error_items(errors: Sequence[Open311Error]) -> list[dict[str, object]]:
    """The value tree of an error body: ``[{"code": 400, "description": "..."}]``."""
    return [{"code": error.status, "description": error.description} for error in errors]


def render_errors(errors: Open311Error | Sequence[Open311Error], fmt: str) -> tuple[int, bytes, str]:
    """Render one or more errors as (HTTP status, body, content type); the first error sets the status."""
    batch = [errors] if isinstance(errors, Open311Error) else list(errors)
    if not batch:
        raise ValueError("render_errors needs at least one error")
    body, content_type = render("errors", error_items(batch), fmt)
    return batch[0].status, body, content_type
