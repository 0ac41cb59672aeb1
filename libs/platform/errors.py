"""The one exception type services raise across RPC; the gateway maps its code to an HTTP status."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from libs.contracts.errors import ErrorCode

M = TypeVar("M", bound=BaseModel)


class ServiceError(Exception):
    """A domain error with a stable code, a human detail and optional field errors (travels as exc_args)."""

    def __init__(self, code: ErrorCode | str, detail: str, errors: list[dict[str, str]] | None = None):
        code = code.value if isinstance(code, ErrorCode) else code
        super().__init__(code, detail, errors or [])

    @property
    def code(self) -> str:
        return self.args[0]

    @property
    def detail(self) -> str:
        return self.args[1]

    @property
    def errors(self) -> list[dict[str, str]]:
        return self.args[2]


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as `{field, message, type}` with dotted field paths."""
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False)
    ]


def parse(model: type[M], payload: Any) -> M:
    """Validate an RPC payload with its contract class; may raise ServiceError(VALIDATION_FAILED)."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED, f"invalid {model.__name__}", field_errors(exc)
        ) from None
