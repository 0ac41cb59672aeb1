"""The hostile-file corpus: ≥ 200 deterministic files (seeded), written into a directory at test time.

Families: polyglot, bomb, exif, xmp, icc, iptc, dimensions, cmyk, deep (16-bit and other modes), animated,
heic, truncated, empty, video_atoms, video_codec, video_metadata, long, extension. Every metadata field
planted carries `boxes.SECRET` (or the phone number `boxes.PHONE`, or a GPS position) so a leak is found by a
byte search too.

Run as a script to write the corpus somewhere: `python -m services.media.tests.hostile.corpus /tmp/corpus`.
"""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from . import boxes as b
from .boxes import PHONE, SECRET

SEED = 13
STORED = "stored"


@dataclass(frozen=True, slots=True)
class Sample:
    """One corpus file: where it is, its family, and which outcomes are acceptable (None: any clean one)."""

    name: str
    family: str
    path: Path
    expect: frozenset[str] | None

    @property
    def claimed_type(self) -> str:
        """What a client would claim from the (possibly wrong) extension."""
        ext = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""
        return {
            "jpg": "image/jpeg",
            "jpeg": "image/jpeg",
            "png": "image/png",
            "webp": "image/webp",
            "heic": "image/heic",
            "gif": "image/gif",
            "mp4": "video/mp4",
            "mov": "video/quicktime",
            "webm": "video/webm",
            "m4a": "audio/mp4",
        }.get(ext, "application/octet-stream")


def _expect(*outcomes: str) -> frozenset[str] | None:
    return frozenset(outcomes) if outcomes else None


# ---------------------------------------------------------------- base material (small and fast)


def noisy(width: int, height: int, rng: np.random.Generator, mode: str = "RGB") -> Image.Image:
    base = np.linspace(0, 255, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
    noise = rng.integers(0, 50, (height, width, 3)).astype(np.float32)
    image = Image.fromarray(np.clip(base * 0.8 + noise, 0, 255).astype(np.uint8), "RGB")
    return image if mode == "RGB" else image.convert(mode)


def enc(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def fixed_icc(name: str) -> bytes:
    """A LittleCMS built-in profile with its creation date and profile id zeroed (both vary per call)."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile(name)).tobytes())
    data[24:36] = bytes(12)
    data[84:100] = bytes(16)
    return bytes(data)


def srgb_icc() -> bytes:
    return fixed_icc("sRGB")


def camera_exif(lat: float = 18.3428, lon: float = 105.9057, orientation: int = 6) -> Image.Exif:
    """Camera EXIF with GPS, make/model/serial, owner and a comment, all identifying."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "HienTruongCam " + SECRET.decode()
    exif[0x0110] = "Model " + SECRET.decode()
    exif[0x013B] = "Artist " + PHONE.decode()  # Artist
    exif[0x8298] = "Copyright " + SECRET.decode()
    exif[0x9286] = b"ASCII\x00\x00\x00" + SECRET  # UserComment (in the Exif IFD, set below)
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (float(int(lat)), 20.0, 34.08), 3: "E", 4: (float(int(lon)), 54.0, 20.52)})
    return exif


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    b'xmp:CreatorTool="' + SECRET + b'" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
)
ZIP_MAGIC = b"PK\x03\x04"
HTML = b"<!DOCTYPE html><html><body><script>alert('" + SECRET + b"')</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>'
    + SECRET
    + b"</script></svg>"
)


def zip_of(name: str, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), body)
    return out.getvalue()


# ---------------------------------------------------------------- families

ANY_PHOTO_REFUSAL = ("MEDIA_MALFORMED", "MEDIA_TRUNCATED")


class Builder:
    """Makes the families; `self.rng` and `self.np` are seeded so every run writes the same bytes."""

    def __init__(self, work: Path, seed: int = SEED):
        self.work, self.rng, self.np = work, random.Random(seed), np.random.default_rng(seed)
        self.jpeg = enc(noisy(160, 120, self.np), "JPEG", quality=85)
        self.png = enc(noisy(96, 64, self.np), "PNG")
        self.webp = enc(noisy(96, 64, self.np), "WEBP", quality=70)
        self.camera = enc(
            noisy(160, 120, self.np),
            "JPEG",
            quality=85,
            exif=camera_exif(),
            xmp=XMP,
            icc_profile=b.icc_with_text(srgb_icc(), SECRET),
            comment=b"phone " + PHONE,
        )
        self.heic = heic(
            noisy(96, 64, self.np),
            exif=camera_exif(),
            xmp=XMP,
            icc_profile=b.icc_with_text(srgb_icc(), SECRET),
        )
        self.videos = Videos(work / "_src")

    def polyglot(self):
        ok = _expect(STORED)
        yield "jpeg_then_zip.jpg", self.jpeg + zip_of("payload.js", b"alert(1)"), ok
        yield "jpeg_then_html.jpg", self.jpeg + HTML, ok
        yield "jpeg_then_pdf.jpg", self.jpeg + b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF", ok
        yield "jpeg_then_mp4_motion_photo.jpg", self.jpeg + self.videos.mp4_plain(), ok
        yield "jpeg_then_php.jpg", self.jpeg + b"<?php system($_GET['c']); ?>", ok
        yield "jpeg_html_in_comment.jpg", enc(noisy(64, 48, self.np), "JPEG", comment=HTML), ok
        yield (
            "jpeg_php_in_exif.jpg",
            b.jpeg_insert(
                self.jpeg, b.exif_app1(b.tiff([b.ascii_entry(0x010E, b"<?php echo '" + SECRET + b"'; ?>")]))
            ),
            ok,
        )
        yield (
            "jpeg_pdf_header_in_com.jpg",
            b.jpeg_insert(self.jpeg, b.jpeg_segment(0xFE, b"%PDF-1.4 " + SECRET)),
            ok,
        )
        yield "png_then_zip.png", self.png + zip_of("a.html", HTML), ok
        yield (
            "png_script_in_text.png",
            b.png_insert(self.png, b.png_chunk(b"tEXt", b"Comment\x00" + HTML)),
            ok,
        )
        yield "png_data_after_iend.png", self.png + HTML * 10, ok
        yield "webp_then_zip.webp", self.webp + zip_of("x.js", b"1"), ok
        yield "heic_then_zip.heic", self.heic + zip_of("x.js", b"1"), _expect(STORED, *ANY_PHOTO_REFUSAL)
        yield (
            "mp4_then_zip.mp4",
            self.videos.mp4_plain() + zip_of("x.js", b"1"),
            _expect(STORED, "MEDIA_MALFORMED"),
        )
        yield (
            "zip_starting_with_jpeg_soi.jpg",
            b"\xff\xd8\xff" + zip_of("x.js", b"1"),
            _expect("MEDIA_MALFORMED", "MEDIA_TRUNCATED"),
        )
        yield "html_behind_jpeg_soi.jpg", b"\xff\xd8\xff\xe0" + HTML, _expect(*ANY_PHOTO_REFUSAL)
        yield (
            "gifar.jpg",
            enc(noisy(16, 16, self.np).convert("P"), "GIF") + zip_of("A.class", b"\xca\xfe"),
            _expect("UNSUPPORTED_MEDIA_TYPE"),
        )
        yield "svg_script.jpg", SVG, _expect("UNSUPPORTED_MEDIA_TYPE")
        yield "html.png", HTML, _expect("UNSUPPORTED_MEDIA_TYPE")
        yield "zip.jpg", zip_of("x.js", b"1"), _expect("UNSUPPORTED_MEDIA_TYPE")
        yield (
            "jpeg_inside_mp4_ftyp.mp4",
            b.box(b"ftyp", b"isom\x00\x00\x02\x00isom") + self.jpeg,
            _expect("MEDIA_MALFORMED", "MEDIA_TRUNCATED"),
        )

    def bomb(self):
        too_many = _expect("IMAGE_TOO_MANY_PIXELS")
        yield "png_1bit_20000x20000.png", b.png_bomb(20_000, 20_000), too_many
        yield "png_1bit_8000x8000.png", b.png_bomb(8000, 8000), too_many
        yield "png_grey_7000x7000.png", b.png_bomb(7000, 7000, 8, 0), too_many
        yield "png_rgba_6400x6400.png", b.png_bomb(6400, 6400, 8, 6), too_many
        yield "png_1bit_65535x65535.png", b.png_patch_ihdr(b.png_bomb(256, 256), 65_535, 65_535), too_many
        yield "png_1bit_6000x6000_under_limit.png", b.png_bomb(6000, 6000), _expect(STORED)
        yield (
            "jpeg_6000x6000_under_limit.jpg",
            enc(Image.new("RGB", (6000, 6000), (90, 120, 90)), "JPEG", quality=20),
            _expect(STORED),
        )
        for w, h in ((60_000, 60_000), (65_500, 65_500), (40_000, 1_001), (7_000, 6_000)):
            yield f"jpeg_claims_{w}x{h}.jpg", b.jpeg_patch_sof(self.jpeg, w, h), too_many
        webp_x = bytearray(
            enc(noisy(64, 64, self.np), "WEBP", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00")
        )
        at = webp_x.find(b"VP8X")
        if at > 0:
            webp_x[at + 12 : at + 18] = (16_383).to_bytes(3, "little") * 2
        yield (
            "webp_vp8x_claims_16384x16384.webp",
            bytes(webp_x),
            _expect("IMAGE_TOO_MANY_PIXELS", *ANY_PHOTO_REFUSAL),
        )
        idat = self.png.find(b"IDAT") - 4
        many = b"".join(b.png_chunk(b"IDAT", b"") for _ in range(100_000))
        yield (
            "png_100k_empty_idat.png",
            self.png[:idat] + many + self.png[idat:],
            _expect(STORED, *ANY_PHOTO_REFUSAL),
        )
        icc_bomb = b"sRGB\x00\x00" + zlib.compress(b"\x00" * 50_000_000, 9)
        yield (
            "png_iccp_bomb.png",
            b.png_insert(self.png, b.png_chunk(b"iCCP", icc_bomb)),
            _expect(STORED, "MEDIA_MALFORMED"),
        )
        text_bomb = b"Comment\x00\x00" + zlib.compress(SECRET * 5_000_000, 9)
        yield (
            "png_ztxt_bomb.png",
            b.png_insert(self.png, b.png_chunk(b"zTXt", text_bomb)),
            _expect(STORED, "MEDIA_MALFORMED"),
        )
        yield (
            "heic_claims_huge.heic",
            heic_patch_ispe(self.heic, 30_000, 30_000),
            _expect("IMAGE_TOO_MANY_PIXELS", *ANY_PHOTO_REFUSAL),
        )
        yield "video_4608x2048.mp4", self.videos.huge(), too_many
        # CPU bombs: one refinement scan repeated over a 36-Mpx frame (each scan is a pass over every block; ≈
        # 25 ms of CPU a scan here, so about two minutes for the file) and a progressive JPEG with many scans
        # but within the limit, which must still be stored.
        yield (
            "jpeg_progressive_5000_scans_6000x6000.jpg",
            progressive_scan_bomb(6000, 6000, 5000),
            _expect("MEDIA_MALFORMED"),
        )
        yield "jpeg_progressive_56_scans.jpg", progressive_scan_bomb(800, 600, 50), _expect(STORED)

    def exif(self):
        ok, any_, t = _expect(STORED), None, b.tiff

        def x(tiff: bytes) -> bytes:  # the small JPEG with this EXIF
            return b.jpeg_insert(self.jpeg, b.exif_app1(tiff))

        yield "exif_camera_gps_full.jpg", self.camera, ok
        for o in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 65535):
            yield f"exif_orientation_{o}.jpg", x(t([b.short_entry(0x0112, o)])), ok
        yield "exif_orientation_ascii.jpg", x(t([b.ascii_entry(0x0112, b"6")])), ok
        yield "exif_ifd_count_65535.jpg", x(t([b.short_entry(0x0112, 6)], count_override=65_535)), any_
        yield "exif_next_ifd_loop.jpg", x(t([b.short_entry(0x0112, 6)], next_ifd=8)), any_
        yield "exif_ifd_pointer_loop.jpg", x(t([b.long_entry(0x8769, 8), b.long_entry(0x8825, 8)])), any_
        yield "exif_gps_pointer_out_of_range.jpg", x(t([b.long_entry(0x8825, 0x7FFF_FFF0)])), any_
        yield "exif_count_2g.jpg", x(t([(0x010E, 2, 0x7FFF_FFFF, b"\x00\x00\x00\x40")])), any_
        yield "exif_unknown_type.jpg", x(t([(0x0112, 99, 1, b"\x00\x06\x00\x00")])), any_
        yield "exif_bigtiff_magic.jpg", x(t([b.short_entry(0x0112, 6)], magic=43)), any_
        yield "exif_little_endian_secret.jpg", x(t([(0x010F, 2, 12, SECRET + b"\x00")], order=b"II")), any_
        yield "exif_header_only.jpg", b.jpeg_insert(self.jpeg, b.jpeg_segment(0xE1, b"Exif\x00\x00")), any_
        yield "exif_garbage.jpg", x(self.rng.randbytes(2000)), any_
        yield "exif_gps_zero_denominators.jpg", x(gps_tiff([(1, 0), (0, 0), (5, 0)])), any_
        yield "exif_gps_huge_values.jpg", x(gps_tiff([(0xFFFFFFFF, 1)] * 3)), any_
        yield "exif_gps_one_component.jpg", x(gps_tiff([(18, 1)])), any_
        yield "exif_makernote_64k.jpg", x(t([(0x927C, 7, 64_000, (SECRET * 6000)[:64_000])])[:65_000]), any_
        lying = b"\xff\xe1\xff\xff" + b"Exif\x00\x00" + SECRET  # claims 65 535 bytes
        yield (
            "exif_segment_length_lies.jpg",
            b.jpeg_insert(self.jpeg, lying),
            _expect(STORED, *ANY_PHOTO_REFUSAL),
        )
        yield (
            "exif_two_app1.jpg",
            b.jpeg_insert(
                self.jpeg,
                b.exif_app1(t([b.ascii_entry(0x010F, SECRET)])),
                b.exif_app1(t([b.short_entry(0x0112, 3)])),
            ),
            ok,
        )
        yield "png_exif_chunk.png", b.png_insert(self.png, b.png_chunk(b"eXIf", camera_exif().tobytes())), ok
        yield (
            "png_exif_garbage.png",
            b.png_insert(self.png, b.png_chunk(b"eXIf", self.rng.randbytes(300))),
            any_,
        )
        yield "webp_exif.webp", enc(noisy(64, 48, self.np), "WEBP", exif=camera_exif()), ok
        yield "heic_exif_gps.heic", self.heic, ok

    def xmp(self):
        ok = _expect(STORED)
        yield "xmp_plain.jpg", b.jpeg_insert(self.jpeg, b.xmp_app1(XMP)), ok
        yield "xmp_64k.jpg", b.jpeg_insert(self.jpeg, b.xmp_app1(XMP + b" " * 60_000 + SECRET)), ok
        laughs = (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "'
            + SECRET
            + b'">'
            + b"".join(b'<!ENTITY %c "%s">' % (98 + i, (b"&%c;" % (97 + i)) * 10) for i in range(9))
            + b']><x:xmpmeta xmlns:x="adobe:ns:meta/">&j;</x:xmpmeta>'
        )
        yield "xmp_billion_laughs.jpg", b.jpeg_insert(self.jpeg, b.xmp_app1(laughs)), ok
        junk = XMP.replace(b'"6"', b'"99999999999"')
        yield "xmp_orientation_junk.jpg", b.jpeg_insert(self.jpeg, b.xmp_app1(junk)), ok
        ext = b"http://ns.adobe.com/xmp/extension/\x00" + b"0" * 32
        parts = [
            b.jpeg_segment(0xE1, ext + struct.pack(">II", 200_000, i * 60_000) + SECRET * 5000)
            for i in range(4)
        ]
        yield "xmp_extended_200k.jpg", b.jpeg_insert(self.jpeg, b.xmp_app1(XMP), *parts), ok
        yield "xmp_not_xml.jpg", b.jpeg_insert(self.jpeg, b.xmp_app1(self.rng.randbytes(500))), ok
        itxt = b.png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP)
        yield "png_itxt_xmp.png", b.png_insert(self.png, itxt), ok
        yield (
            "png_text_secret.png",
            b.png_insert(
                self.png,
                b.png_chunk(b"tEXt", b"Author\x00" + SECRET),
                b.png_chunk(b"tIME", b"\x07\xea\x0c\x08\x00\x00\x00"),
            ),
            ok,
        )
        yield "webp_xmp.webp", enc(noisy(64, 48, self.np), "WEBP", xmp=XMP), ok

    def icc(self):
        ok, any_ = _expect(STORED), None
        srgb = srgb_icc()
        yield (
            "icc_identifying_desc.jpg",
            b.jpeg_insert(self.jpeg, *b.icc_app2(b.icc_with_text(srgb, SECRET))),
            ok,
        )
        big = b.icc_with_text(srgb, SECRET, 300_000)
        yield "icc_300k_four_chunks.jpg", b.jpeg_insert(self.jpeg, *b.icc_app2(big)), ok
        yield "icc_garbage.jpg", b.jpeg_insert(self.jpeg, *b.icc_app2(self.rng.randbytes(3000))), ok
        chunks = b.icc_app2(b.icc_with_text(srgb, SECRET, 150_000))
        yield "icc_chunks_missing.jpg", b.jpeg_insert(self.jpeg, chunks[0], chunks[2]), any_
        yield (
            "icc_chunk_numbers_zero.jpg",
            b.jpeg_insert(self.jpeg, b.jpeg_segment(0xE2, b"ICC_PROFILE\x00\x00\x00" + srgb)),
            any_,
        )
        grey = fixed_icc("LAB")
        yield "icc_lab_profile_on_rgb.jpg", b.jpeg_insert(self.jpeg, *b.icc_app2(grey)), ok
        header_lies = struct.pack(">I", 0x7FFF_FFFF) + srgb[4:]
        yield "icc_size_field_2g.jpg", b.jpeg_insert(self.jpeg, *b.icc_app2(header_lies)), ok
        tag_count = bytearray(srgb)
        tag_count[128:132] = struct.pack(">I", 0x0FFF_FFFF)
        yield "icc_tag_count_huge.jpg", b.jpeg_insert(self.jpeg, *b.icc_app2(bytes(tag_count))), ok
        yield (
            "png_iccp_secret.png",
            enc(noisy(64, 48, self.np), "PNG", icc_profile=b.icc_with_text(srgb, SECRET)),
            ok,
        )
        yield (
            "png_iccp_garbage.png",
            b.png_insert(
                self.png, b.png_chunk(b"iCCP", b"x\x00\x00" + zlib.compress(self.rng.randbytes(500)))
            ),
            any_,
        )
        yield (
            "webp_iccp_secret.webp",
            enc(noisy(64, 48, self.np), "WEBP", icc_profile=b.icc_with_text(srgb, SECRET)),
            ok,
        )

    def iptc(self):
        ok = _expect(STORED)
        yield "iptc_byline.jpg", b.jpeg_insert(self.jpeg, b.iptc_app13(b"Nguyen Van A " + PHONE)), ok
        cut = b.jpeg_segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04")
        yield (
            "iptc_truncated_resource.jpg",
            b.jpeg_insert(self.jpeg, cut),
            _expect(STORED, "MEDIA_MALFORMED"),
        )  # Pillow refuses the segment while opening
        yield (
            "app_segments_all.jpg",
            b.jpeg_insert(self.jpeg, *(b.jpeg_segment(0xE0 + n, b"APP" + SECRET) for n in range(3, 16))),
            ok,
        )
        yield "comment_64k.jpg", b.jpeg_insert(self.jpeg, b.jpeg_segment(0xFE, (SECRET * 6000)[:65_000])), ok
        yield (
            "comments_500.jpg",
            b.jpeg_insert(self.jpeg, *(b.jpeg_segment(0xFE, SECRET) for _ in range(500))),
            ok,
        )

    def dimensions(self):
        any_ = None
        yield "png_1x20000.png", b.png_raw(1, 20_000, 8, 0, b"\x00\x80" * 20_000), _expect(STORED)
        yield "png_20000x1.png", b.png_raw(20_000, 1, 8, 0, b"\x00" + b"\x80" * 20_000), _expect(STORED)
        yield "png_1x1.png", enc(Image.new("RGB", (1, 1), (255, 0, 0)), "PNG"), _expect(STORED)
        yield "png_zero_width.png", b.png_patch_ihdr(self.png, 0, 64), _expect(*ANY_PHOTO_REFUSAL)
        yield (
            "png_width_2g.png",
            b.png_patch_ihdr(self.png, 0x7FFF_FFFF, 64),
            _expect("IMAGE_TOO_MANY_PIXELS", *ANY_PHOTO_REFUSAL),
        )
        yield (
            "png_width_4g.png",
            b.png_patch_ihdr(self.png, 0xFFFF_FFFF, 0xFFFF_FFFF),
            _expect("IMAGE_TOO_MANY_PIXELS", *ANY_PHOTO_REFUSAL),
        )
        yield "jpeg_zero_height.jpg", b.jpeg_patch_sof(self.jpeg, 160, 0), _expect(*ANY_PHOTO_REFUSAL)
        yield "jpeg_claims_1x60000.jpg", b.jpeg_patch_sof(self.jpeg, 1, 60_000), any_
        yield "jpeg_claims_smaller.jpg", b.jpeg_patch_sof(self.jpeg, 40, 30), any_
        yield "video_64x4000.mp4", self.videos.tall(), _expect(STORED)
        yield "video_odd_161x121.mp4", self.videos.odd(), _expect(STORED)

    def cmyk(self):
        ok = _expect(STORED)
        image = noisy(96, 64, self.np)
        yield "cmyk_plain.jpg", enc(image.convert("CMYK"), "JPEG"), ok
        yield "cmyk_with_srgb_icc.jpg", enc(image.convert("CMYK"), "JPEG", icc_profile=srgb_icc()), ok
        yield "cmyk_with_exif_secret.jpg", enc(image.convert("CMYK"), "JPEG", exif=camera_exif()), ok
        adobe = b.jpeg_segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x02")  # transform 2: YCCK
        yield "ycck_adobe.jpg", b.jpeg_insert(enc(image.convert("CMYK"), "JPEG"), adobe), ok
        yield "grey.jpg", enc(image.convert("L"), "JPEG", icc_profile=srgb_icc()), ok
        yield "cmyk_truncated.jpg", enc(image.convert("CMYK"), "JPEG")[:900], _expect(*ANY_PHOTO_REFUSAL)
        yield "cmyk.tiff.jpg", enc(image.convert("CMYK"), "TIFF"), _expect("UNSUPPORTED_MEDIA_TYPE")
        yield "cmyk_webp_icc.webp", enc(image, "WEBP", icc_profile=srgb_icc()), ok

    def deep(self):
        ok = _expect(STORED)
        ramp = np.linspace(0, 65535, 128 * 64, dtype=np.uint16).reshape(64, 128)
        yield "png_16bit_grey.png", enc(Image.fromarray(ramp), "PNG"), ok
        rgb16 = np.stack([ramp, ramp[::-1], np.full_like(ramp, 30000)], 2)
        yield (
            "png_16bit_rgb.png",
            b.png_raw(
                128, 64, 16, 2, b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(64))
            ),
            ok,
        )
        rgba16 = np.concatenate([rgb16, np.full_like(ramp, 20000)[..., None]], 2)
        yield (
            "png_16bit_rgba.png",
            b.png_raw(
                128, 64, 16, 6, b"".join(b"\x00" + rgba16[y].astype(">u2").tobytes() for y in range(64))
            ),
            ok,
        )
        yield (
            "png_16bit_grey_alpha.png",
            b.png_raw(
                128,
                64,
                16,
                4,
                b"".join(
                    b"\x00" + np.stack([ramp[y], ramp[y][::-1]], 1).astype(">u2").tobytes() for y in range(64)
                ),
            ),
            ok,
        )
        yield "png_1bit.png", enc(noisy(96, 64, self.np).convert("1"), "PNG"), ok
        yield (
            "png_palette_transparency.png",
            enc(noisy(96, 64, self.np).convert("P"), "PNG", transparency=0),
            ok,
        )
        yield "png_la.png", enc(noisy(96, 64, self.np).convert("LA"), "PNG"), ok
        yield "png_rgba_transparent.png", enc(Image.new("RGBA", (64, 64), (0, 0, 0, 0)), "PNG"), ok
        yield "png_interlaced.png", png_interlaced(noisy(64, 48, self.np)), ok
        yield (
            "heic_16bit.heic",
            heic(Image.fromarray(rgb16.astype(np.uint16)[..., 0]).convert("I;16")),
            _expect(STORED, *ANY_PHOTO_REFUSAL, "UNSUPPORTED_MEDIA_TYPE"),
        )
        yield "video_h264_10bit.mp4", self.videos.make("10bit", pix_fmt="yuv420p10le"), ok
        yield "video_h264_yuv444.mp4", self.videos.make("444", pix_fmt="yuv444p"), ok

    def animated(self):
        ok = _expect(STORED)
        frames = [noisy(64, 48, self.np) for _ in range(5)]
        yield "apng.png", enc(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100), ok
        yield (
            "apng_300_frames.png",
            enc(frames[0], "PNG", save_all=True, append_images=frames[1:] * 60, duration=10),
            ok,
        )
        yield (
            "webp_animated.webp",
            enc(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100),
            ok,
        )
        yield (
            "gif_animated.gif",
            enc(
                frames[0].convert("P"),
                "GIF",
                save_all=True,
                append_images=[f.convert("P") for f in frames[1:]],
            ),
            _expect("UNSUPPORTED_MEDIA_TYPE"),
        )
        yield (
            "gif_animated_as_jpg.jpg",
            enc(
                frames[0].convert("P"),
                "GIF",
                save_all=True,
                append_images=[f.convert("P") for f in frames[1:]],
            ),
            _expect("UNSUPPORTED_MEDIA_TYPE"),
        )
        apng = enc(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)
        at = apng.find(b"fcTL", apng.find(b"fcTL") + 4)
        yield (
            "apng_frame_bigger_than_canvas.png",
            apng[: at + 8] + struct.pack(">I", 60_000) + apng[at + 12 :],
            _expect(STORED, *ANY_PHOTO_REFUSAL),
        )
        yield "heic_sequence_3.heic", heic(frames[0], append_images=frames[1:3]), ok
        yield "mpo_two_frames.jpg", enc(frames[0], "MPO", save_all=True, append_images=[frames[1]]), ok

    def heic_family(self):
        ok = _expect(STORED)
        yield "heic_plain.heic", heic(noisy(96, 64, self.np)), ok
        yield "heic_rgba.heic", heic(noisy(96, 64, self.np, "RGBA")), ok
        yield (
            "heic_icc_secret.heic",
            heic(noisy(96, 64, self.np), icc_profile=b.icc_with_text(srgb_icc(), SECRET)),
            ok,
        )
        yield "heic_xmp.heic", heic(noisy(96, 64, self.np), xmp=XMP), ok
        yield "heic_as_jpg.jpg", self.heic, ok
        bad = bytearray(self.heic)
        mdat = bytes(bad).find(b"mdat")
        for i in range(mdat + 8, min(len(bad), mdat + 200)):
            bad[i] ^= 0x5A
        yield "heic_corrupt_payload.heic", bytes(bad), _expect(STORED, *ANY_PHOTO_REFUSAL)
        yield (
            "heic_ftyp_then_garbage.heic",
            b.box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic") + self.rng.randbytes(3000),
            _expect(*ANY_PHOTO_REFUSAL),
        )
        yield "avif_as_heic.heic", enc(noisy(64, 48, self.np), "AVIF"), _expect("UNSUPPORTED_MEDIA_TYPE")
        yield "heic_no_meta.heic", b.without_box(self.heic, b"meta"), _expect(*ANY_PHOTO_REFUSAL)

    def truncated(self):
        sources = {
            "jpg": self.camera,
            "png": enc(noisy(96, 64, self.np), "PNG"),
            "webp": self.webp,
            "heic": self.heic,
            "mp4": self.videos.mp4_plain(),
            "webm": self.videos.webm(),
            "mov": self.videos.mov(),
        }
        for ext, data in sources.items():
            n = len(data)
            for label, cut in (
                ("1b", 1),
                ("3b", 3),
                ("12b", 12),
                ("64b", 64),
                ("25pc", n // 4),
                ("50pc", n // 2),
                ("90pc", n * 9 // 10),
                ("minus2", n - 2),
            ):
                yield f"truncated_{ext}_{label}.{ext}", data[:cut], None

    def empty(self):
        for ext in ("jpg", "png", "webp", "heic", "mp4", "mov", "webm", "gif", "bin"):
            yield f"empty.{ext}", b"", _expect("MEDIA_EMPTY")

    def video_atoms(self):
        src = self.videos.mp4_plain()
        broken = _expect("MEDIA_MALFORMED", "MEDIA_TRUNCATED")
        any_ = None
        yield "mp4_no_moov.mp4", b.without_box(src, b"moov"), broken
        mdat_at, mdat_size = b.find_box(src, b"mdat")
        yield "mp4_no_mdat.mp4", src[:mdat_at] + src[mdat_at + mdat_size :], any_
        yield "mp4_mdat_size_zero.mp4", b.patch(src, mdat_at, b"\x00\x00\x00\x00"), any_
        yield (
            "mp4_mdat_64bit_huge.mp4",
            src[:mdat_at] + b"\x00\x00\x00\x01mdat" + struct.pack(">Q", 2**62) + src[mdat_at + 8 :],
            broken,
        )
        moov_at, _ = b.find_box(src, b"moov")
        yield "mp4_box_type_binary.mp4", b.patch(src, moov_at + 4, b"\x00\x01\x02\x03"), broken
        yield "mp4_box_size_7.mp4", b.patch(src, moov_at, b"\x00\x00\x00\x07"), broken
        free = b.box(b"free", b"")
        yield "mp4_20000_free_boxes.mp4", src[:moov_at] + free * 20_000 + src[moov_at:], broken
        for kind, offset, value, label in (
            (b"stsz", 16, b"\x7f\xff\xff\xff", "stsz_count_2g"),
            (b"stsz", 12, b"\x7f\xff\xff\xff", "stsz_fixed_size_2g"),
            (b"stco", 12, b"\x7f\xff\xff\xff", "stco_count_2g"),
            (b"stco", 16, b"\x7f\xff\xff\xff", "stco_offset_past_end"),
            (b"stts", 12, b"\x7f\xff\xff\xff", "stts_count_2g"),
            (b"stts", 20, b"\x7f\xff\xff\xff", "stts_delta_huge"),
            (b"stsc", 12, b"\x7f\xff\xff\xff", "stsc_count_2g"),
            (b"stss", 12, b"\x7f\xff\xff\xff", "stss_count_2g"),
            (b"mdhd", 20, b"\x00\x00\x00\x00", "mdhd_timescale_zero"),
            (b"mvhd", 20, b"\x00\x00\x00\x00", "mvhd_timescale_zero"),
            (b"mvhd", 24, b"\x7f\xff\xff\xff", "mvhd_duration_huge"),
            (b"tkhd", 84, b"\xff\xff\x00\x00\xff\xff\x00\x00", "tkhd_dimensions_65535"),
            (b"avcC", 8, b"\xff" * 24, "avcc_sps_garbage"),
            (b"hdlr", 16, b"soun", "hdlr_video_says_sound"),
            (b"stsd", 12, b"\x00\x00\xff\xff", "stsd_count_65535"),
            (b"trak", 0, b"\x7f\xff\xff\xff", "trak_size_past_parent"),
        ):
            try:
                at, _ = b.find_box(src, kind)
            except KeyError:
                continue
            yield f"mp4_{label}.mp4", b.patch(src, at + offset, value), any_
        moov = src[moov_at : moov_at + b.find_box(src, b"moov")[1]]
        yield "mp4_two_moov.mp4", src + moov, any_
        yield "mp4_moov_in_moov.mp4", src[:moov_at] + b.box(b"moov", moov) + src[moov_at + len(moov) :], any_
        for n in range(6):
            flipped = bytearray(src)
            for _ in range(8):
                i = self.rng.randrange(moov_at + 8, moov_at + len(moov))
                flipped[i] ^= 1 << self.rng.randrange(8)
            yield f"mp4_moov_bitflips_{n}.mp4", bytes(flipped), any_
        webm = self.videos.webm()
        yield "webm_ebml_size_huge.webm", webm[:4] + b"\x01\xff\xff\xff\xff\xff\xff\xff" + webm[12:], any_
        for n in range(3):
            flipped = bytearray(webm)
            for _ in range(16):
                i = self.rng.randrange(40, len(webm))
                flipped[i] ^= 1 << self.rng.randrange(8)
            yield f"webm_bitflips_{n}.webm", bytes(flipped), any_
        yield "mp4_ftyp_qt_brand.mp4", src[:8] + b"qt  " + src[12:], _expect(STORED)
        yield (
            "mp4_ftyp_heic_brand.mp4",
            src[:8] + b"heic" + src[12:16] + b"heicmif1" + src[24:],
            _expect(STORED, *ANY_PHOTO_REFUSAL),
        )

    def video_codec(self):
        ok = _expect(STORED)
        yield "hevc.mp4", self.videos.make("hevc", codec="libx265"), ok
        yield "mpeg4_part2.mp4", self.videos.make("mpeg4", codec="mpeg4"), ok
        yield "vp9.webm", self.videos.make("vp9", codec="libvpx-vp9", fmt="webm", audio="libopus"), ok
        yield (
            "mjpeg.mov",
            self.videos.make("mjpeg", codec="mjpeg", fmt="mov", audio=None, pix_fmt="yuvj420p"),
            ok,
        )
        yield "audio_only.m4a", self.videos.audio_only(), _expect("MEDIA_MALFORMED")
        yield "fps_240.mp4", self.videos.make("fps240", fps=240, seconds=1), ok
        yield "rotated_90.mp4", self.videos.make("rot", extra=["-metadata:s:v:0", "rotate=90"]), ok

    def video_metadata(self):
        ok = _expect(STORED)
        yield "mp4_metadata_gps.mp4", self.videos.mp4_plain(), ok
        yield "mov_apple_location.mov", self.videos.mov(), ok
        yield "webm_tags.webm", self.videos.webm(), ok
        yield "mp4_cover_art.mp4", self.videos.cover_first(), ok
        yield "mp4_subtitles_chapters_data.mp4", self.videos.with_side_streams(), ok
        yield "mp4_sei_user_data.mp4", self.videos.sei(), ok
        yield "mp4_hevc_metadata.mp4", self.videos.make("hevcmeta", codec="libx265", metadata=True), ok

    def long(self):
        yield (
            "long_95s.mp4",
            self.videos.make("long", seconds=95, size="64x48", fps=1, audio=None),
            _expect("VIDEO_TOO_LONG"),
        )
        yield "long_95s_webm_no_duration.webm", self.videos.live_webm(95), _expect("VIDEO_TOO_LONG")
        src = self.videos.mp4_plain()
        at, _ = b.find_box(src, b"mvhd")
        yield (
            "claims_10h_mvhd.mp4",
            b.patch(src, at + 24, struct.pack(">I", 36_000 * 1000)),
            _expect("VIDEO_TOO_LONG", STORED, "MEDIA_MALFORMED"),
        )
        yield "long_200s_audio_2s_video.mp4", self.videos.long_audio(), _expect("VIDEO_TOO_LONG", STORED)
        yield (
            "long_89s_just_under.mp4",
            self.videos.make("89s", seconds=89, size="64x48", fps=1, audio=None),
            _expect(STORED),
        )

    def extension(self):
        ok = _expect(STORED)
        for ext in ("png", "gif", "mp4", "txt", "exe", "jpg.php", "svg"):
            yield f"jpeg_named.{ext}", self.jpeg, ok
        yield "jpeg_no_extension", self.jpeg, ok
        yield "png_named.jpg", self.png, ok
        yield "webp_named.png", self.webp, ok
        yield "mp4_named.jpg", self.videos.mp4_plain(), ok
        yield "webm_named.mp4", self.videos.webm(), ok
        yield "mov_named.mp4", self.videos.mov(), ok
        yield "bmp_named.jpg", enc(noisy(32, 32, self.np), "BMP"), _expect("UNSUPPORTED_MEDIA_TYPE")
        yield "tiff_named.jpg", enc(noisy(32, 32, self.np), "TIFF"), _expect("UNSUPPORTED_MEDIA_TYPE")
        yield "ico_named.png", enc(noisy(32, 32, self.np), "ICO"), _expect("UNSUPPORTED_MEDIA_TYPE")
        yield "pdf_named.jpg", b"%PDF-1.7\n1 0 obj<<>>endobj\n", _expect("UNSUPPORTED_MEDIA_TYPE")
        yield "elf_named.jpg", b"\x7fELF\x02\x01\x01" + bytes(100), _expect("UNSUPPORTED_MEDIA_TYPE")
        yield (
            "m3u8_named.mp4",
            b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n",
            _expect("UNSUPPORTED_MEDIA_TYPE"),
        )
        yield "jp2_named.jpg", enc(noisy(32, 32, self.np), "JPEG2000"), _expect("UNSUPPORTED_MEDIA_TYPE")


FAMILIES = (
    "polyglot",
    "bomb",
    "exif",
    "xmp",
    "icc",
    "iptc",
    "dimensions",
    "cmyk",
    "deep",
    "animated",
    "heic_family",
    "truncated",
    "empty",
    "video_atoms",
    "video_codec",
    "video_metadata",
    "long",
    "extension",
)


def generate(directory: Path, seed: int = SEED) -> list[Sample]:
    """Write every corpus file into `directory` and describe them (same bytes for the same seed)."""
    directory.mkdir(parents=True, exist_ok=True)
    builder = Builder(directory, seed)
    samples = []
    for family in FAMILIES:
        for name, data, expect in getattr(builder, family)():
            path = directory / family / name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            samples.append(Sample(name, family.removesuffix("_family"), path, expect))
    return samples


# ---------------------------------------------------------------- helpers for HEIC, PNG and videos


def progressive_scan_bomb(width: int, height: int, repeats: int) -> bytes:
    """A progressive grey JPEG whose last scan (an AC refinement, a few bytes) is repeated `repeats` times
    more."""
    data = enc(Image.new("L", (width, height), 128), "JPEG", progressive=True, quality=50)
    last_sos = data.rfind(b"\xff\xda")
    eoi = data.rfind(b"\xff\xd9")
    return data[:eoi] + data[last_sos:eoi] * repeats + data[eoi:]


def heic(image: Image.Image, **params) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    if "append_images" in params:
        params["save_all"] = True
    return enc(image, "HEIF", quality=60, **params)


def heic_patch_ispe(data: bytes, width: int, height: int) -> bytes:
    """Claim other dimensions in every `ispe` property."""
    out, at = bytearray(data), data.find(b"ispe")
    while at > 0:
        out[at + 8 : at + 16] = struct.pack(">II", width, height)
        at = data.find(b"ispe", at + 4)
    return bytes(out)


def gps_tiff(latitude: list[tuple[int, int]]) -> bytes:
    """IFD0 pointing at a GPS IFD whose latitude holds the given rationals."""
    gps_at = 8 + 2 + 12 + 4
    ifd0 = b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHII", 1, 0x8825, 4, 1, gps_at) + b"\x00" * 4
    values_at = gps_at + 2 + 12 * 2 + 4
    gps = (
        struct.pack(">H", 2)
        + struct.pack(">HHI", 1, 2, 2)
        + b"N\x00\x00\x00"
        + struct.pack(">HHII", 2, 5, len(latitude), values_at)
        + b"\x00" * 4
    )
    return ifd0 + gps + b"".join(struct.pack(">II", n, d) for n, d in latitude)


def png_interlaced(image: Image.Image) -> bytes:
    """An Adam7-interlaced RGB PNG (Pillow reads them but cannot write one)."""
    pixels = np.asarray(image.convert("RGB"))
    height, width = pixels.shape[:2]
    rows = b""
    for xs, ys, dx, dy in (
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ):
        if xs < width:
            rows += b"".join(b"\x00" + pixels[y, xs::dx].tobytes() for y in range(ys, height, dy))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return (
        b"\x89PNG\r\n\x1a\n"
        + b.png_chunk(b"IHDR", ihdr)
        + b.png_chunk(b"IDAT", zlib.compress(rows))
        + b.png_chunk(b"IEND", b"")
    )


class Videos:
    """Small ffmpeg clips, made once each and cached (the corpus derives its broken variants in Python)."""

    META = {
        "title": "title " + SECRET.decode(),
        "comment": "phone " + PHONE.decode(),
        "artist": SECRET.decode(),
        "location": "+18.3428+105.9057/",
        "creation_time": "2026-12-01T08:00:00Z",
    }

    def __init__(self, work: Path):
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.cache: dict[str, bytes] = {}

    def _run(self, key: str, args: list[str], suffix: str = "mp4") -> bytes:
        if key not in self.cache:
            out = self.work / f"{key}.{suffix}"
            subprocess.run(
                ["ffmpeg", "-nostdin", "-v", "error", "-y", *args, "-fflags", "+bitexact", str(out)],
                check=True,
                timeout=120,
            )  # bitexact: no random segment ids, the same bytes every run
            self.cache[key] = out.read_bytes()
        return self.cache[key]

    def make(
        self,
        key: str,
        seconds: float = 1,
        size: str = "160x120",
        fps: int = 10,
        codec: str = "libx264",
        audio: str | None = "aac",
        fmt: str = "mp4",
        pix_fmt: str = "yuv420p",
        metadata: bool = False,
        extra: list[str] | None = None,
    ) -> bytes:
        args = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={fps}:duration={seconds}"]
        if audio:
            args += [
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:duration={seconds}",
                "-c:a",
                audio,
                "-b:a",
                "32k",
            ]
        args += ["-c:v", codec, "-pix_fmt", pix_fmt]
        if codec == "libx264":
            args += ["-preset", "ultrafast"]
        if codec == "libx265":
            args += ["-preset", "ultrafast", "-x265-params", "log-level=error"]
        if codec.startswith("libvpx"):
            args += ["-deadline", "realtime", "-cpu-used", "8", "-b:v", "100k"]
        if metadata:
            for k, v in self.META.items():
                args += ["-metadata", f"{k}={v}"]
            args += ["-metadata:s:v:0", f"handler_name={SECRET.decode()}"]
        if fmt == "mov":
            args += ["-movflags", "+use_metadata_tags"]
        return self._run(key, [*args, *(extra or []), "-f", fmt], fmt if fmt != "matroska" else "mkv")

    def mp4_plain(self) -> bytes:
        return self.make("meta", seconds=2, metadata=True)

    def mov(self) -> bytes:
        return self.make(
            "mov",
            seconds=1,
            fmt="mov",
            metadata=True,
            extra=[
                "-metadata",
                "com.apple.quicktime.location.ISO6709=+18.3428+105.9057+010.000/",
                "-metadata",
                f"com.apple.quicktime.make={SECRET.decode()}",
            ],
        )

    def webm(self) -> bytes:
        return self.make("webm", codec="libvpx", fmt="webm", audio="libopus", metadata=True)

    def huge(self) -> bytes:
        return self._run(
            "huge",
            [
                "-f",
                "lavfi",
                "-i",
                "color=c=gray:size=4608x2048:rate=1:duration=1",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-f",
                "mp4",
            ],
        )

    def tall(self) -> bytes:
        return self.make("tall", size="64x4000", fps=2, audio=None, codec="libx264", pix_fmt="yuv420p")

    def odd(self) -> bytes:
        return self.make("odd", size="161x121", codec="mpeg4", pix_fmt="yuv420p")

    def audio_only(self) -> bytes:
        return self._run(
            "audio",
            [
                "-f",
                "lavfi",
                "-i",
                "sine=duration=1",
                "-c:a",
                "aac",
                "-metadata",
                f"title={SECRET.decode()}",
                "-f",
                "mp4",
            ],
            "m4a",
        )

    def cover_first(self) -> bytes:
        cover = self.work / "cover.jpg"
        cover.write_bytes(enc(Image.new("RGB", (64, 64), (200, 0, 0)), "JPEG", comment=SECRET))
        self.make("plainv", audio=None)
        video = self.work / "plainv.mp4"
        return self._run(
            "cover",
            [
                "-i",
                str(cover),
                "-i",
                str(video),
                "-map",
                "0",
                "-map",
                "1",
                "-c",
                "copy",
                "-disposition:v:0",
                "attached_pic",
                "-f",
                "mp4",
            ],
        )

    def with_side_streams(self) -> bytes:
        subs = self.work / "subs.srt"
        subs.write_text(f"1\n00:00:00,000 --> 00:00:01,000\n{SECRET.decode()}\n")
        chapters = self.work / "chapters.txt"
        chapters.write_text(
            f";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle={SECRET.decode()}\n"
        )
        self.make("sidev")
        video = self.work / "sidev.mp4"
        return self._run(
            "side",
            [
                "-i",
                str(video),
                "-i",
                str(subs),
                "-i",
                str(chapters),
                "-map",
                "0",
                "-map",
                "1",
                "-map_chapters",
                "2",
                "-c",
                "copy",
                "-c:s",
                "mov_text",
                "-f",
                "mp4",
            ],
        )

    def sei(self) -> bytes:
        self.make("seiv")
        video = self.work / "seiv.mp4"
        return self._run(
            "sei",
            [
                "-i",
                str(video),
                "-c",
                "copy",
                "-bsf:v",
                f"h264_metadata=sei_user_data=086f3693-b7b3-4f2c-9653-21492feee5b8+{SECRET.decode()}",
                "-f",
                "mp4",
            ],
        )

    def live_webm(self, seconds: int) -> bytes:
        key = f"live{seconds}"
        if key not in self.cache:
            done = subprocess.run(
                [
                    "ffmpeg",
                    "-nostdin",
                    "-v",
                    "error",
                    "-f",
                    "lavfi",
                    "-i",
                    f"testsrc=size=64x48:rate=1:duration={seconds}",
                    "-c:v",
                    "libvpx",
                    "-deadline",
                    "realtime",
                    "-cpu-used",
                    "8",
                    "-fflags",
                    "+bitexact",
                    "-f",
                    "webm",
                    "pipe:1",
                ],
                capture_output=True,
                check=True,
                timeout=120,
            )
            self.cache[key] = done.stdout
        return self.cache[key]

    def long_audio(self) -> bytes:
        return self._run(
            "longaudio",
            [
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=64x48:rate=5:duration=2",
                "-f",
                "lavfi",
                "-i",
                "anullsrc=r=8000:cl=mono",
                "-t",
                "200",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-c:a",
                "aac",
                "-b:a",
                "8k",
                "-f",
                "mp4",
            ],
        )


def main(argv: list[str]) -> None:
    samples = generate(Path(argv[1]) if len(argv) > 1 else Path("hostile-corpus"))
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.family] = counts.get(s.family, 0) + 1
    print(json.dumps({"files": len(samples), "families": counts}, indent=1))


if __name__ == "__main__":
    main(sys.argv)
