"""Typed media errors: a stable code plus a Vietnamese-first, English-available message."""

from __future__ import annotations

from typing import Any

# code -> (Vietnamese, English). The code is the contract; the texts are what a citizen reads.
MESSAGES: dict[str, tuple[str, str]] = {
    "UNSUPPORTED_MEDIA_TYPE": (
        "Định dạng tệp không được hỗ trợ. Vui lòng gửi ảnh JPEG, PNG, WebP, HEIC hoặc video MP4, MOV, WebM.",
        "Unsupported file type. Please send a JPEG, PNG, WebP or HEIC photo, or an MP4, MOV or WebM video.",
    ),
    "MEDIA_EMPTY": ("Tệp rỗng.", "The file is empty."),
    "MEDIA_TOO_LARGE": ("Tệp quá lớn.", "The file is too large."),
    "IMAGE_TOO_MANY_PIXELS": (
        "Ảnh có độ phân giải quá lớn.",
        "The image has too many pixels.",
    ),
    "MEDIA_TRUNCATED": (
        "Tệp bị cắt cụt hoặc tải lên chưa hết. Vui lòng gửi lại.",
        "The file is truncated or was not fully uploaded. Please send it again.",
    ),
    "MEDIA_MALFORMED": ("Tệp bị hỏng hoặc không đọc được.", "The file is damaged or unreadable."),
    "VIDEO_TOO_LONG": ("Video quá dài.", "The video is too long."),
    "MEDIA_PROCESSING_FAILED": (
        "Không xử lý được tệp. Vui lòng thử lại sau.",
        "The file could not be processed. Please try again later.",
    ),
}


class MediaError(Exception):
    """A refused or unprocessable upload; `code` is stable, `detail` is safe to log (no personal data)."""

    code = "MEDIA_PROCESSING_FAILED"

    def __init__(self, detail: str = "", **context: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.context = context

    @property
    def message_vi(self) -> str:
        """Vietnamese text for the citizen."""
        return MESSAGES[self.code][0]

    @property
    def message_en(self) -> str:
        """English text for the citizen."""
        return MESSAGES[self.code][1]

    def to_dict(self) -> dict[str, Any]:
        """Wire form for an RPC error payload or an HTTP problem body."""
        return {
            "code": self.code,
            "message": self.message_vi,
            "message_en": self.message_en,
            "detail": self.detail,
            **{k: v for k, v in self.context.items()},
        }

    def __reduce__(self):  # crosses the process pool: keep detail and context through pickling
        return (_rebuild, (type(self), self.detail, self.context))


def _rebuild(cls: type[MediaError], detail: str, context: dict[str, Any]) -> MediaError:
    """Unpickle helper for MediaError subclasses."""
    return cls(detail, **context)


class UnsupportedMediaType(MediaError):
    """The bytes are not one of the accepted formats (whatever the client claimed)."""

    code = "UNSUPPORTED_MEDIA_TYPE"


class MediaEmpty(MediaError):
    """Zero bytes were uploaded."""

    code = "MEDIA_EMPTY"


class MediaTooLarge(MediaError):
    """The byte size is over the configured limit."""

    code = "MEDIA_TOO_LARGE"


class ImageTooManyPixels(MediaError):
    """Width × height (from the header) is over the pixel limit: a possible decompression bomb."""

    code = "IMAGE_TOO_MANY_PIXELS"


class MediaTruncated(MediaError):
    """The data ends before the format says it should."""

    code = "MEDIA_TRUNCATED"


class MediaMalformed(MediaError):
    """The data has the right signature but cannot be decoded."""

    code = "MEDIA_MALFORMED"


class VideoTooLong(MediaError):
    """The video lasts longer than the configured limit."""

    code = "VIDEO_TOO_LONG"


class MediaProcessingFailed(MediaError):
    """Our side failed (timeout, tool missing); the upload itself may be fine."""

    code = "MEDIA_PROCESSING_FAILED"


ERROR_CLASSES: dict[str, type[MediaError]] = {
    cls.code: cls
    for cls in (
        UnsupportedMediaType,
        MediaEmpty,
        MediaTooLarge,
        ImageTooManyPixels,
        MediaTruncated,
        MediaMalformed,
        VideoTooLong,
        MediaProcessingFailed,
    )
}
