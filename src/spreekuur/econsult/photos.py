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

MAX_PIXELS = 50_000_000  # a 48-megapixel phone camera fits; a decompression bomb does not
LONG_SIDE = 3000  # enough to judge a skin lesion, small enough to view on a phone
MAX_PHOTOS = 3
FORMATS = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}


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


def _jpeg_scans(content: bytes) -> int:
    """Start-of-scan markers; each costs a decoding pass over the whole image."""
    return content.count(b"\xff\xda")


def _to_srgb(image: Image.Image) -> Image.Image:
    """Keep the colours (an iPhone photo is Display P3) when the profile is dropped."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image.convert("RGB")
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            image.convert("RGB"), source, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image.convert("RGB")
    return converted if converted is not None else image.convert("RGB")


def clean_photo(upload: IO[bytes], *, size: int, max_bytes: int) -> CleanPhoto:
    """Check and re-encode one upload; BusinessRuleError (Dutch) for anything refused."""
    if size > max_bytes:
        raise BusinessRuleError(
            _("Een foto is groter dan %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}
        )
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:  # the size given was not the truth
        raise BusinessRuleError(
            _("Een foto is groter dan %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}
        )
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
            if image.width * image.height > MAX_PIXELS:
                raise BusinessRuleError(_("Deze foto heeft te veel beeldpunten."))
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (LONG_SIDE, LONG_SIDE))  # decode at a smaller scale: fast
            image.load()
            upright = ImageOps.exif_transpose(image)  # keep it upright once EXIF is gone
            pixels = _to_srgb(upright)
            pixels.thumbnail((LONG_SIDE, LONG_SIDE))
            pixels.info = {}  # no comment, profile or text travels along
            out = io.BytesIO()
            pixels.save(out, "JPEG", quality=88, optimize=True)  # no exif= : nothing copied
    except BusinessRuleError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise BusinessRuleError(_("Deze foto heeft te veel beeldpunten.")) from error
    except Exception as error:  # Pillow and its plugins raise many kinds on a broken file
        raise BusinessRuleError(_("Deze foto kan niet worden gelezen.")) from error
    return CleanPhoto(out.getvalue(), pixels.width, pixels.height)


def store_photo(photo: CleanPhoto) -> str:
    """Save under a random name; returns the storage name (never shown to anyone)."""
    return default_storage.save(f"econsult/{uuid.uuid4().hex}.jpg", ContentFile(photo.content))


def delete_stored(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
