"""Read a position from photo EXIF GPS or a video's ISO 6709 tag, before the metadata is dropped."""

from __future__ import annotations

import math
import re

from PIL import Image

from .results import LocationHint

_GPS_IFD = 0x8825
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


def _dms_to_decimal(dms: object, ref: object) -> float:
    """(deg, min, sec) rationals plus 'N'/'S'/'E'/'W' to signed decimal degrees."""
    deg, minutes, sec = (float(v) for v in dms)  # may raise on junk: caught by the caller
    value = deg + minutes / 60.0 + sec / 3600.0
    ref_s = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref_s.strip().upper() in ("S", "W") else value


def _valid(lat: float, lon: float) -> bool:
    """A usable position: finite, in range, and not the (0, 0) that broken GPS chips write."""
    return (
        math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
        and not (lat == 0 and lon == 0)
    )


def gps_from_image(image: Image.Image) -> LocationHint | None:
    """GPS from an opened image's EXIF; None when absent or garbage (never raises)."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
        if not gps or _LAT not in gps or _LON not in gps:
            return None
        lat = _dms_to_decimal(gps[_LAT], gps.get(_LAT_REF, "N"))
        lon = _dms_to_decimal(gps[_LON], gps.get(_LON_REF, "E"))
    except Exception:  # hostile EXIF must not break a photo: the hint is optional
        return None
    if not _valid(lat, lon):
        return None
    return LocationHint(round(lat, 7), round(lon, 7), "exif_gps")


def gps_from_iso6709(value: str | None) -> LocationHint | None:
    """Parse '+18.3428+105.9057+010.000/' (QuickTime/MP4 location tags); None if unusable."""
    match = _ISO6709.match((value or "").strip())
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not _valid(lat, lon):
        return None
    return LocationHint(round(lat, 7), round(lon, 7), "video_iso6709")
