"""Upload attacks are refused with a clear Dutch message, and what is kept has no EXIF."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.econsult.photos import clean_photo
from tests.econsult.conftest import image_bytes, png_bomb

MB = 1024 * 1024


def _clean(content: bytes, max_bytes: int = 10 * MB):
    return clean_photo(io.BytesIO(content), size=len(content), max_bytes=max_bytes)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "HEIF"])
def test_jpeg_png_and_heic_become_a_clean_jpeg(fmt: str) -> None:
    photo = _clean(image_bytes(fmt))
    re_read = Image.open(io.BytesIO(photo.content))
    assert re_read.format == "JPEG" and (photo.width, photo.height) == (640, 480)


def test_exif_and_gps_are_gone() -> None:
    original = image_bytes(gps=True)
    assert 0x8825 in Image.open(io.BytesIO(original)).getexif()
    photo = _clean(original)
    assert not Image.open(io.BytesIO(photo.content)).getexif()
    assert b"Telefoon" not in photo.content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "JPEG, PNG of HEIC"),
        (b"%PDF-1.4 not a photo", "JPEG, PNG of HEIC"),
        (b"\xff\xd8\xff" + b"garbage" * 50, "niet worden gelezen"),  # a JPEG start, then nothing
        (b"PK\x03\x04" + image_bytes(), "JPEG, PNG of HEIC"),  # a zip in front
    ],
)
def test_fake_photos_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(BusinessRuleError, match=message):
        _clean(content)


def test_a_png_behind_a_jpeg_name_is_judged_by_its_bytes() -> None:
    # The name never counts: a PNG named .jpg is a PNG, and is accepted as a PNG.
    assert _clean(image_bytes("PNG")).width == 640


def test_a_polyglot_keeps_only_the_picture() -> None:
    hidden = b"<?php system($_GET['c']); ?>" + b"PK\x05\x06" + b"\x00" * 18
    photo = _clean(image_bytes() + hidden)
    assert b"<?php" not in photo.content and b"PK\x05\x06" not in photo.content


def test_a_pixel_bomb_is_refused_from_its_header() -> None:
    bomb = png_bomb()
    assert len(bomb) < 100_000
    with pytest.raises(BusinessRuleError, match="beeldpunten"):
        _clean(bomb)


def test_an_oversized_photo_is_refused_before_reading() -> None:
    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("read")

    with pytest.raises(BusinessRuleError, match="groter dan 10 MB"):
        clean_photo(Unreadable(), size=11 * MB, max_bytes=10 * MB)


def test_a_large_photo_is_scaled_to_a_viewable_size() -> None:
    photo = _clean(image_bytes(size=(4000, 3000)))
    assert max(photo.width, photo.height) == 3000


# --- Found in the security review ----------------------------------------------------------


def test_a_jpeg_with_thousands_of_scans_is_refused_before_decoding() -> None:
    # Each start-of-scan is a decoding pass; thousands of tiny ones cost minutes of CPU.
    crafted = image_bytes() + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" * 200
    with pytest.raises(BusinessRuleError, match="niet worden gelezen"):
        _clean(crafted)


def test_a_comment_does_not_survive() -> None:
    image = Image.new("RGB", (64, 64), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", comment=b"Kerkstraat 1, Lindewijk")
    assert b"Kerkstraat" in out.getvalue()
    assert b"Kerkstraat" not in _clean(out.getvalue()).content


def test_a_truncated_heic_is_refused_not_a_server_error() -> None:
    heic = image_bytes("HEIF")
    with pytest.raises(BusinessRuleError):
        _clean(heic[: len(heic) // 2])


def test_a_photo_larger_than_it_said_is_refused() -> None:
    content = image_bytes(size=(2000, 1500))
    with pytest.raises(BusinessRuleError, match="groter dan"):
        clean_photo(io.BytesIO(content), size=10, max_bytes=len(content) - 1)
