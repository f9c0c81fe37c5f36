"""Images for the e-consult tests, made on the spot (nothing binary in git)."""

from __future__ import annotations

import io
import zlib

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from spreekuur.triage.selectors import red_flags_for
from tests.conftest import Cast

pillow_heif.register_heif_opener()


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (640, 480), *, gps: bool = False
) -> bytes:
    image = Image.new("RGB", size, (190, 120, 90))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "Telefoon"
        exif[0x8825] = {1: "N", 2: (52.0, 5.0, 30.0), 3: "E", 4: (4.0, 53.0, 10.0)}
        image.save(out, fmt, exif=exif.tobytes())
    else:
        image.save(out, fmt)
    return out.getvalue()


def upload(content: bytes, name: str = "foto.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG that claims 900 megapixels (its single row compresses to nothing)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    raw = zlib.compress(b"\x00" + b"\x00" * width, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def no_flags(cast: Cast) -> dict[str, bool]:
    return {flag.code: False for flag in red_flags_for(cast.practice_a)}


@pytest.fixture
def calm(cast: Cast) -> dict[str, bool]:
    return no_flags(cast)
