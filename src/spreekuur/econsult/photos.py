"""Photos for an e-consult: the real type from the bytes (never the name), no pixel bombs,
re-encoded as JPEG (which drops EXIF, GPS and anything hidden after the image), stored
under a random name through Django's storage, outside the web root."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

import pillow_heif
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from spreekuur.core.exceptions import BusinessRuleError

pillow_heif.register_heif_opener()

# One upload may cost at most 1 s of CPU and 200 MB of memory (bench/photo_cost.py
# measures it), so each kind of picture has its own limit, read from the header before a
# single pixel is decoded. A question carries at most MAX_PHOTOS of them, checked one after
# the other: three times the CPU, the memory of one.
MAX_PIXELS = 50_000_000  # JPEG: decoded at 1/2, 1/4 or 1/8 scale, so a 48 MP camera fits
# A progressive JPEG (or one with its colours in separate scans) cannot be decoded as it
# is read: libjpeg keeps every coefficient of the whole picture, 2 bytes each, whatever
# the scale, and reading its bits costs twice as much per byte. Phones write neither kind.
MAX_PIXELS_PROGRESSIVE = 13_000_000
MAX_BYTES_PROGRESSIVE = 8 * 1024 * 1024
MAX_DECODED_PIXELS = 16_000_000  # a JPEG decoded larger is decoded one scale smaller
# PNG and HEIF cannot be decoded smaller: every pixel is decoded and costs its 4 bytes.
# Phones save photos as JPEG or HEIC; a PNG is a screenshot or a scan.
MAX_PIXELS_PNG = 16_000_000
# HEVC decoding costs CPU per pixel and per byte: a 24 MP HEIC takes over 1 s in all, a
# 13 MP one of 6 MB 0.9 s for its decoding alone. A 12 MP phone photo (1-3 MB) fits.
MAX_PIXELS_HEIF = 13_000_000
MAX_BYTES_HEIF = 3 * 1024 * 1024
LONG_SIDE = 3000  # enough to judge a skin lesion, small enough to view on a phone
MAX_PHOTOS = 3
FORMATS = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
MEGA = 1_000_000
MEBI = 1024 * 1024


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    width: int
    height: int


def _sniffed_format(head: bytes) -> str | None:
    for name, magic in FORMATS.items():
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


MAX_JPEG_SCANS = 100  # a progressive JPEG has about 10; thousands are a CPU attack
PROGRESSIVE_FRAMES = {0xC2, 0xC6, 0xCA, 0xCE}  # SOF2, SOF6, SOF10, SOF14
OTHER_MARKERS = {0xC4, 0xC8, 0xCC}  # DHT, JPG, DAC: in the SOF range, but no frame


def _jpeg_scans(content: bytes) -> int:
    """Start-of-scan markers; each costs a decoding pass over the whole image."""
    return content.count(b"\xff\xda")


def _jpeg_keeps_coefficients(content: bytes) -> bool:
    """Whether libjpeg must hold all coefficients while decoding: a progressive frame, or a
    first scan without all the colours. The segments up to the first scan are read; a file
    too broken to tell is judged the expensive way (Pillow refuses it soon enough)."""
    position, components = 2, 0
    while position + 4 <= len(content):
        if content[position] != 0xFF:
            return True
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
            continue
        length = int.from_bytes(content[position + 2 : position + 4], "big")
        body = content[position + 4 : position + 2 + length]
        if 0xC0 <= marker <= 0xCF and marker not in OTHER_MARKERS:
            if marker in PROGRESSIVE_FRAMES:
                return True
            components = body[5] if len(body) > 5 else 0
        elif marker == 0xDA:  # start of scan
            return not body or body[0] < components
        position += 2 + length
    return True


def _limit_refusal(
    sniffed: str, width: int, height: int, content: bytes
) -> BusinessRuleError | None:
    """The refusal for a picture over its kind's limit, naming the limit; None if it fits."""
    pixels = width * height
    if sniffed == "PNG" and pixels > MAX_PIXELS_PNG:
        return BusinessRuleError(
            _(
                "Deze PNG-afbeelding heeft te veel beeldpunten: hoogstens %(mp)s megapixel. "
                "Stuur de foto als JPEG of HEIC, zoals de camera hem maakt."
            )
            % {"mp": MAX_PIXELS_PNG // MEGA}
        )
    if sniffed == "HEIF" and (pixels > MAX_PIXELS_HEIF or len(content) > MAX_BYTES_HEIF):
        return BusinessRuleError(
            _(
                "Deze HEIC-foto is te groot om te verwerken: hoogstens %(mp)s megapixel en "
                "%(mb)s MB. Stuur de foto als JPEG (op een iPhone: Instellingen > Camera > "
                "Formaten > Meest compatibel)."
            )
            % {"mp": MAX_PIXELS_HEIF // MEGA, "mb": MAX_BYTES_HEIF // MEBI}
        )
    if pixels > MAX_PIXELS:
        return _too_many_pixels()
    if (
        sniffed == "JPEG"
        and (pixels > MAX_PIXELS_PROGRESSIVE or len(content) > MAX_BYTES_PROGRESSIVE)
        and _jpeg_keeps_coefficients(content)
    ):
        return BusinessRuleError(
            _(
                "Deze foto is als progressieve JPEG opgeslagen en is daarvoor te groot: "
                "hoogstens %(mp)s megapixel en %(mb)s MB. Stuur de foto zoals de camera hem "
                "maakt."
            )
            % {"mp": MAX_PIXELS_PROGRESSIVE // MEGA, "mb": MAX_BYTES_PROGRESSIVE // MEBI}
        )
    return None


def _too_many_pixels() -> BusinessRuleError:
    return BusinessRuleError(
        _("Deze foto heeft te veel beeldpunten: hoogstens %(mp)s megapixel.")
        % {"mp": MAX_PIXELS // MEGA}
    )


def _fitted(width: int, height: int) -> tuple[int, int]:
    """The size within LONG_SIDE with the same shape: what the photo becomes."""
    scale = min(1.0, LONG_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg_draft_size(width: int, height: int) -> tuple[int, int]:
    """The size to ask the JPEG decoder for. It picks the largest of 1/2, 1/4 and 1/8 that
    still covers the request: the photo's final size, keeping its shape (a square request
    would leave a 50,000 x 1,000 panorama at full scale). When that is still more than
    MAX_DECODED_PIXELS (a long side just under twice LONG_SIDE), one scale further: the
    photo comes out a little under LONG_SIDE."""
    fitted_width, fitted_height = _fitted(width, height)
    ratio = min(width // fitted_width, height // fitted_height)
    scale = next(s for s in (8, 4, 2, 1) if s <= ratio)
    decoded = -(-width // scale) * -(-height // scale)
    if scale < 8 and decoded > MAX_DECODED_PIXELS:
        scale *= 2
    return max(1, width // scale), max(1, height // scale)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Keep the colours (an iPhone photo is Display P3) when the profile is dropped."""
    icc = image.info.get("icc_profile")
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if not icc:
        return rgb
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            rgb, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return rgb
    return converted if converted is not None else rgb


def _decoded_small(image: Image.Image) -> Image.Image:
    """Decode and shrink to LONG_SIDE with as few full-size copies as possible: a JPEG at a
    reduced scale, the shrinking in place, the colour work on the small picture only."""
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", _jpeg_draft_size(image.width, image.height))
    image.load()
    if image.mode not in ("RGB", "L"):  # P, RGBA, I;16, CMYK ... are resized as RGB
        converted = image.convert("RGB")
        image.close()  # the decoded original goes now, not when the caller lets go of it
        image = converted
    image.thumbnail((LONG_SIDE, LONG_SIDE))  # in place
    ImageOps.exif_transpose(image, in_place=True)  # keep it upright once EXIF is gone
    return _to_srgb(image)


def clean_photo(upload: IO[bytes], *, size: int, max_bytes: int) -> CleanPhoto:
    """Check and re-encode one upload; BusinessRuleError (Dutch) for anything refused."""
    if size > max_bytes:
        raise BusinessRuleError(_("Een foto is groter dan %(mb)s MB.") % {"mb": max_bytes // MEBI})
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:  # the size given was not the truth
        raise BusinessRuleError(_("Een foto is groter dan %(mb)s MB.") % {"mb": max_bytes // MEBI})
    sniffed = _sniffed_format(content[:16])
    if sniffed is None:
        raise BusinessRuleError(_("Alleen foto's als JPEG, PNG of HEIC (iPhone) kunnen mee."))
    if sniffed == "JPEG" and _jpeg_scans(content) > MAX_JPEG_SCANS:
        raise BusinessRuleError(_("Deze foto kan niet worden gelezen."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            # A JPEG with a second picture inside (HDR gain map) opens as MPO.
            if image.format not in (sniffed, "MPO" if sniffed == "JPEG" else sniffed):
                raise BusinessRuleError(_("Dit bestand is geen echte foto."))
            # Refused from the header, before a single pixel is decoded.
            refusal = _limit_refusal(sniffed, image.width, image.height, content)
            if refusal is not None:
                raise refusal
            pixels = _decoded_small(image)
            pixels.info = {}  # no comment, profile or text travels along
            out = io.BytesIO()
            pixels.save(out, "JPEG", quality=88, optimize=True)  # no exif= : nothing copied
    except BusinessRuleError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except Exception as error:  # Pillow and its plugins raise many kinds on a broken file
        raise BusinessRuleError(_("Deze foto kan niet worden gelezen.")) from error
    return CleanPhoto(out.getvalue(), pixels.width, pixels.height)


def store_photo(photo: CleanPhoto) -> str:
    """Save under a random name; returns the storage name (never shown to anyone)."""
    return default_storage.save(f"econsult/{uuid.uuid4().hex}.jpg", ContentFile(photo.content))


def delete_stored(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
