"""How a refused step leaves the service: some refusals must keep what they recorded (audit, throttle)."""

from __future__ import annotations

from libs.contracts.errors import ErrorCode
from libs.platform.errors import ServiceError


class Recorded(Exception):
    """A refusal whose audit row and throttle change must be committed before the error is raised."""

    def __init__(self, error: ServiceError):
        super().__init__(error)
        self.error = error


def retry_after(code: ErrorCode, detail: str, seconds: int, field: str = "username") -> ServiceError:
    """An error naming the field and, when the caller must wait, `Retry-After` (seconds) as the gateway reads
    it."""
    errors = [{"field": field, "message": detail, "type": code.value.lower()}]
    if seconds:
        errors.append({"field": "Retry-After", "message": str(seconds), "type": "retry_after"})
    return ServiceError(code, detail, errors)


def invalid(field: str, message: str) -> ServiceError:
    return ServiceError(
        ErrorCode.VALIDATION_FAILED, message, [{"field": field, "message": message, "type": "value_error"}]
    )
