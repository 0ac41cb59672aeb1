"""Pure media-processing core: type sniffing, guarded decoding, metadata stripping, faces, video."""

from .errors import ERROR_CLASSES, MESSAGES, MediaError
from .faces import Region
from .limits import MediaLimits, check_declared_length, copy_limited, read_limited, spool_to_file
from .photo import process_photo
from .pool import (
    configure_pool,
    inspect_video_in_pool,
    process_photo_file_in_pool,
    process_photo_in_pool,
    process_video_in_pool,
    shutdown_pool,
    warm_pool,
)
from .results import Box, Derivative, LocationHint, MediaResult, PhotoResult, VideoResult
from .sniff import Sniffed, sniff
from .video import Probe, inspect_video, process_video

__all__ = [
    "ERROR_CLASSES",
    "MESSAGES",
    "Box",
    "Derivative",
    "LocationHint",
    "MediaError",
    "MediaLimits",
    "MediaResult",
    "PhotoResult",
    "Region",
    "Sniffed",
    "VideoResult",
    "check_declared_length",
    "Probe",
    "configure_pool",
    "copy_limited",
    "inspect_video",
    "inspect_video_in_pool",
    "process_photo",
    "process_photo_file_in_pool",
    "process_photo_in_pool",
    "process_video",
    "process_video_in_pool",
    "read_limited",
    "shutdown_pool",
    "sniff",
    "spool_to_file",
    "warm_pool",
]
