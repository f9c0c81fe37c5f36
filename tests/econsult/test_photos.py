"""Upload attacks are refused with a clear Dutch message, and what is kept has no EXIF."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.econsult import photos
from spreekuur.econsult.photos import (
    LONG_SIDE,
    MAX_PIXELS_PNG,
    _jpeg_keeps_coefficients,
    clean_photo,
)
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


# --- Cost of one upload (security review: a 190 KB PNG of 49 MP cost 680 MB) ---------------
# The limits themselves are measured by bench/photo_cost.py; these tests check that each
# refusal comes from the header, and that what is accepted is decoded as small as it can.


def _decoding_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any decode of pixel data now fails loudly (and would show as a different message)."""

    def no_decoding(self: Image.Image) -> None:
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "load", no_decoding)


def _flat(size: tuple[int, int], fmt: str = "JPEG", mode: str = "RGB", **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (190, 120, 90) if mode == "RGB" else 90).save(out, fmt, **options)
    return out.getvalue()


def test_a_png_over_its_pixel_limit_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 49 MP: under the JPEG limit of 50 MP, but as a PNG every pixel is decoded (680 MB).
    bomb = png_bomb(7000, 7000)
    _decoding_fails(monkeypatch)
    with pytest.raises(BusinessRuleError, match=r"PNG-afbeelding .* hoogstens 16 megapixel"):
        _clean(bomb)


def test_a_png_at_its_pixel_limit_is_accepted() -> None:
    assert MAX_PIXELS_PNG == 16_000_000
    photo = _clean(_flat((4000, 4000), "PNG"))
    assert (photo.width, photo.height) == (3000, 3000)


@pytest.mark.parametrize(
    ("size", "decoded", "kept"),
    [
        # 27 MP: half scale is still the final size.
        ((6000, 4500), (3000, 2250), (3000, 2250)),
        # A panorama: a square request left it at full scale (12 MP for a 3000 x 250 result).
        ((12000, 1000), (3000, 250), (3000, 250)),
        # 23.5 MP whose half is under 3000: decoded at half all the same, not at 23.5 MP.
        ((5600, 4200), (2800, 2100), (2800, 2100)),
    ],
)
def test_a_large_jpeg_is_decoded_at_a_reduced_scale(
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    decoded: tuple[int, int],
    kept: tuple[int, int],
) -> None:
    seen: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def recording_load(self: ImageFile.ImageFile):
        if self.tile:  # the decode itself, at the size the decoder was set to
            seen.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    photo = _clean(_flat(size))
    assert seen == [decoded]
    assert (photo.width, photo.height) == kept
    assert max(photo.width, photo.height) <= LONG_SIDE


def test_a_progressive_jpeg_over_its_limit_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 13.4 MP: fine as an ordinary JPEG, but progressive it keeps every coefficient.
    progressive = _flat((4224, 3168), progressive=True)
    ordinary = _flat((4224, 3168))
    assert _clean(ordinary).width == 3000
    _decoding_fails(monkeypatch)
    with pytest.raises(
        BusinessRuleError, match=r"progressieve JPEG .* hoogstens 13 megapixel en 8 MB"
    ):
        _clean(progressive)


def test_a_progressive_jpeg_over_its_byte_limit_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Reading a progressive JPEG's bits costs twice what an ordinary one's do.
    progressive = _flat((640, 480), progressive=True)
    assert _clean(progressive).width == 640
    monkeypatch.setattr(photos, "MAX_BYTES_PROGRESSIVE", len(progressive) - 1)
    _decoding_fails(monkeypatch)
    with pytest.raises(BusinessRuleError, match="progressieve JPEG"):
        _clean(progressive)


def test_a_small_progressive_jpeg_is_accepted() -> None:
    assert _clean(_flat((4000, 3000), progressive=True)).width == 3000


def _jpeg_header(frame: int, scan_components: int) -> bytes:
    """SOI, a frame of 3 colours (16 x 16), a start of scan with `scan_components`."""
    sof = bytes([8, 0, 16, 0, 16, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])
    sos = bytes([scan_components]) + bytes([1, 0] * scan_components) + bytes([0, 63, 0])
    return (
        b"\xff\xd8"
        + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + bytes([0xFF, frame]) + (len(sof) + 2).to_bytes(2, "big") + sof
        + b"\xff\xda" + (len(sos) + 2).to_bytes(2, "big") + sos
    )  # fmt: skip


@pytest.mark.parametrize(
    ("frame", "scan_components", "keeps"),
    [
        (0xC0, 3, False),  # baseline, the colours interleaved: decoded as it is read
        (0xC1, 3, False),  # extended sequential, likewise
        (0xC2, 3, True),  # progressive
        (0xC0, 1, True),  # baseline with the colours in separate scans
    ],
)
def test_which_jpegs_keep_all_coefficients(frame: int, scan_components: int, keeps: bool) -> None:
    assert _jpeg_keeps_coefficients(_jpeg_header(frame, scan_components)) is keeps


def _with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with a frame header that claims another size."""
    at = jpeg.index(b"\xff\xc0") + 5
    return jpeg[:at] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + jpeg[at + 4 :]


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (10_000, 6_000),  # 60 MP: over Spreekuur's limit, under Pillow's own
        (20_000, 15_000),  # 300 MP: Pillow's decompression-bomb check stops it at open
    ],
)
def test_a_jpeg_claiming_too_many_pixels_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch, width: int, height: int
) -> None:
    claiming = _with_size(_flat((64, 64)), width, height)
    _decoding_fails(monkeypatch)
    with pytest.raises(BusinessRuleError, match="te veel beeldpunten: hoogstens 50 megapixel"):
        _clean(claiming)


def test_a_heic_over_its_pixel_limit_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    heic = image_bytes("HEIF")  # 640 x 480; encoding a real 24 MP one takes seconds
    monkeypatch.setattr(photos, "MAX_PIXELS_HEIF", 640 * 480 - 1)
    _decoding_fails(monkeypatch)
    with pytest.raises(BusinessRuleError, match="HEIC-foto is te groot"):
        _clean(heic)


def test_a_heic_over_its_byte_limit_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    heic = image_bytes("HEIF")
    monkeypatch.setattr(photos, "MAX_BYTES_HEIF", len(heic) - 1)
    _decoding_fails(monkeypatch)
    with pytest.raises(BusinessRuleError, match="HEIC-foto is te groot"):
        _clean(heic)


def test_a_heic_whose_header_claims_a_smaller_picture_is_not_decoded_large() -> None:
    # The pixel limit trusts the header's size (ispe); libheif refuses to decode a stream
    # larger than that header, so a small claim cannot hide a large picture.
    heic = image_bytes("HEIF", size=(1280, 960))
    at = heic.index(b"ispe") + 8
    lying = heic[:at] + (128).to_bytes(4, "big") + (96).to_bytes(4, "big") + heic[at + 8 :]
    with pytest.raises(BusinessRuleError, match="niet worden gelezen"):
        _clean(lying)


@pytest.mark.parametrize("mode", ["RGBA", "P", "LA", "L", "I;16"])
def test_pngs_of_every_mode_become_a_clean_jpeg(mode: str) -> None:
    photo = _clean(_flat((400, 300), "PNG", mode=mode))
    re_read = Image.open(io.BytesIO(photo.content))
    assert re_read.format == "JPEG" and re_read.mode == "RGB" and re_read.size == (400, 300)


def test_a_cmyk_jpeg_becomes_a_clean_jpeg() -> None:
    photo = _clean(_flat((400, 300), mode="CMYK"))
    assert Image.open(io.BytesIO(photo.content)).mode == "RGB"


def test_a_turned_photo_comes_out_upright_after_the_scaling() -> None:
    # Upright is done after the shrinking now: a 4000 x 3000 photo taken upright (EXIF
    # orientation 6) is 2250 x 3000 once stored.
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = _clean(_flat((4000, 3000), exif=exif.tobytes()))
    assert (photo.width, photo.height) == (2250, 3000)
