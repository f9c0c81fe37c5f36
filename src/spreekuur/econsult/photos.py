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
from PIL import Image, ImageOps, UnidentifiedImageError

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


def clean_photo(upload: IO[bytes], *, size: int, max_bytes: int) -> CleanPhoto:
    """Check and re-encode one upload; BusinessRuleError (Dutch) for anything refused."""
    if size > max_bytes:
        raise BusinessRuleError(
            _("Een foto is groter dan %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}
        )
    head = upload.read(16)
    upload.seek(0)
    sniffed = _sniffed_format(head)
    if sniffed is None:
        raise BusinessRuleError(_("Alleen foto's als JPEG, PNG of HEIC (iPhone) kunnen mee."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format != sniffed:
                raise BusinessRuleError(_("Dit bestand is geen echte foto."))
            # Refused from the header, before a single pixel is decoded.
            if image.width * image.height > MAX_PIXELS:
                raise BusinessRuleError(_("Deze foto heeft te veel beeldpunten."))
            image.load()
            upright = ImageOps.exif_transpose(image)  # keep it upright once EXIF is gone
            pixels = upright.convert("RGB")
            pixels.thumbnail((LONG_SIDE, LONG_SIDE))
            out = io.BytesIO()
            pixels.save(out, "JPEG", quality=88, optimize=True)  # no exif= : nothing copied
    except BusinessRuleError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise BusinessRuleError(_("Deze foto heeft te veel beeldpunten.")) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise BusinessRuleError(_("Deze foto kan niet worden gelezen.")) from error
    return CleanPhoto(out.getvalue(), pixels.width, pixels.height)


def store_photo(photo: CleanPhoto) -> str:
    """Save under a random name; returns the storage name (never shown to anyone)."""
    return default_storage.save(f"econsult/{uuid.uuid4().hex}.jpg", ContentFile(photo.content))


def delete_stored(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
