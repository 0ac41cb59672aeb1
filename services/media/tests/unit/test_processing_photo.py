"""Photos: orientation applied, all metadata gone, GPS returned as a hint, sizes bounded."""

import io
import random

import pytest
from PIL import Image

from services.media.processing import MediaError, MediaLimits, process_photo
from services.media.tests.unit import hostile

FORBIDDEN = (
    b"Exif",
    b"GPS",
    b"xmp",
    b"XMP",
    b"ICC_PROFILE",
    b"HienTruongCam",
    b"Model-XYZ",
    b"SecretTool",
    b"SecretFirmware",
    b"0912345678",
)


def jpeg_header_and_scan(body: bytes) -> tuple[list[int], int]:
    """Marker codes of the segments before the first scan, and the offset of that scan."""
    markers, i = [], 2
    while body[i] == 0xFF and body[i + 1] != 0xDA:
        markers.append(body[i + 1])
        i += 2 + int.from_bytes(body[i + 2 : i + 4], "big")
    return markers, i


def header_bytes(body: bytes) -> bytes:
    """Everything before the entropy-coded data (where all metadata segments live)."""
    return body[: jpeg_header_and_scan(body)[1]]


def random_position() -> tuple[float, float]:
    """A random point in Hà Tĩnh's bounding box."""
    return round(random.uniform(17.9, 18.8), 5), round(random.uniform(105.1, 106.5), 5)


@pytest.fixture(scope="module")
def camera_result():
    lat, lon = random_position()
    data = hostile.camera_jpeg(lat, lon, orientation=6, size=(600, 400))
    for marker in (b"Exif", b"xmp", b"ICC_PROFILE", b"HienTruongCam", b"0912345678"):
        assert marker in data  # the input really carries what must disappear
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)
    return lat, lon, process_photo(data)


def test_gps_is_returned_as_a_location_hint(camera_result):
    lat, lon, result = camera_result
    assert result.location_hint is not None and result.location_hint.source == "exif_gps"
    assert result.location_hint.lat == pytest.approx(lat, abs=1e-5)
    assert result.location_hint.lon == pytest.approx(lon, abs=1e-5)


def test_every_derivative_has_no_metadata_at_all(camera_result):
    _, _, result = camera_result
    assert len(result.derivatives) == 6
    for name, derivative in result.derivatives.items():
        body = derivative.body
        header, _ = jpeg_header_and_scan(body)
        assert {m for m in header if 0xE1 <= m <= 0xEF or m == 0xFE} == set(), name  # no APP1..15, no COM
        for marker in FORBIDDEN:
            assert marker not in header_bytes(body), (name, marker)
        assert body.endswith(b"\xff\xd9") and body.count(b"\xff\xd9") >= 1
        with Image.open(io.BytesIO(body)) as image:
            assert len(image.getexif()) == 0
            assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
            assert image.format == "JPEG" and derivative.content_type == "image/jpeg"


def test_orientation_6_is_applied(camera_result):
    _, _, result = camera_result
    assert (result.width, result.height) == (400, 600)  # stored 600×400 landscape, shown portrait
    with Image.open(io.BytesIO(result.derivatives["master"].body)) as image:
        assert image.size == (400, 600)
        top, bottom = image.getpixel((200, 30)), image.getpixel((200, 570))
    assert top[0] > 180 and top[2] < 70  # the stored left (red) half is now on top
    assert bottom[2] > 180 and bottom[0] < 70  # the stored right (blue) half is now at the bottom


@pytest.mark.parametrize(("orientation", "size"), [(1, (600, 400)), (3, (600, 400)), (8, (400, 600))])
def test_other_orientations(orientation, size):
    result = process_photo(hostile.camera_jpeg(*random_position(), orientation=orientation, size=(600, 400)))
    assert (result.width, result.height) == size
    with Image.open(io.BytesIO(result.derivatives["master"].body)) as image:
        assert image.size == size


def test_derivative_sizes_and_audiences():
    result = process_photo(hostile.jpeg(3000, 2000))
    expected = {"master": 2048, "card": 800, "thumb": 256}
    for name, longest in expected.items():
        for key, public in ((name, False), ("public_" + name, True)):
            derivative = result.derivatives[key]
            assert max(derivative.width, derivative.height) == longest and derivative.public is public
            with Image.open(io.BytesIO(derivative.body)) as image:
                assert image.size == (derivative.width, derivative.height)
    assert set(result.public_derivatives()) == {"public_master", "public_card", "public_thumb"}
    assert (result.kind, result.mime, result.width, result.height) == ("photo", "image/jpeg", 3000, 2000)
    assert result.location_hint is None and result.faces_found == 0


def test_small_photos_are_not_upscaled():
    result = process_photo(hostile.jpeg(120, 90))
    assert {(d.width, d.height) for d in result.derivatives.values()} == {(120, 90)}


@pytest.mark.parametrize(
    ("fmt", "mode", "mime"),
    [
        ("PNG", "RGBA", "image/png"),
        ("PNG", "P", "image/png"),
        ("PNG", "L", "image/png"),
        ("WEBP", "RGB", "image/webp"),
        ("WEBP", "RGBA", "image/webp"),
        ("JPEG", "CMYK", "image/jpeg"),
        ("JPEG", "L", "image/jpeg"),
    ],
)
def test_other_formats_and_modes_become_rgb_jpeg(fmt, mode, mime):
    data = hostile.encode(hostile.noisy_image(300, 200).convert(mode), fmt)
    result = process_photo(data)
    assert result.mime == mime
    with Image.open(io.BytesIO(result.derivatives["public_master"].body)) as image:
        assert image.mode == "RGB" and image.size == (300, 200)


def test_transparent_png_is_flattened_on_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    result = process_photo(hostile.encode(image, "PNG"))
    with Image.open(io.BytesIO(result.derivatives["master"].body)) as out:
        assert min(out.getpixel((50, 50))) > 245


def test_heic_from_a_phone_is_decoded_and_stripped():
    import pillow_heif

    lat, lon = random_position()
    source = Image.open(io.BytesIO(hostile.camera_jpeg(lat, lon, orientation=1)))
    heif = pillow_heif.from_pillow(source)
    out = io.BytesIO()
    heif.save(out, quality=90, exif=source.info["exif"])
    data = out.getvalue()
    assert data[4:12] == b"ftypheic"
    result = process_photo(data)
    assert result.mime == "image/heic" and (result.width, result.height) == (600, 400)
    assert result.location_hint is not None and result.location_hint.lat == pytest.approx(lat, abs=1e-5)
    assert all(b"Exif" not in d.body and b"GPS" not in d.body for d in result.derivatives.values())


def test_a_video_sent_as_a_photo_is_refused():
    with pytest.raises(MediaError) as caught:
        process_photo(hostile.fake_mp4())
    assert caught.value.code == "UNSUPPORTED_MEDIA_TYPE" and caught.value.context["detected"] == "video/mp4"


def test_jpeg_quality_is_configurable():
    data = hostile.jpeg(800, 600)
    low = process_photo(data, MediaLimits(jpeg_quality=40)).derivatives["master"].body
    high = process_photo(data, MediaLimits(jpeg_quality=95)).derivatives["master"].body
    assert len(low) < len(high)


@pytest.mark.parametrize(
    "junk",
    [
        {1: "N", 2: (18.0, 1.0, 2.0)},  # latitude without longitude
        {1: "N", 2: (91.0, 0.0, 0.0), 3: "E", 4: (1.0, 0.0, 0.0)},  # out of range
        {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # the (0, 0) of a GPS without a fix
    ],
)
def test_garbage_gps_gives_no_hint_and_no_error(junk):
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(junk)
    result = process_photo(hostile.encode(hostile.noisy_image(64, 64), "JPEG", exif=exif))
    assert result.location_hint is None
