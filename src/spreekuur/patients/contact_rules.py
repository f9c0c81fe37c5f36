"""Dutch phone numbers, postcodes and house numbers: checked and written one way, with a
Dutch message that says what to type. Forms use these for the message at the field,
services again before saving (one rule, one place)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Area codes of two digits after the 0 (010 Rotterdam, 020 Amsterdam, …) and the
# non-geographic numbers of the same shape; every other area code has three digits (0345).
_GEOGRAPHIC = (10, 13, 15, 20, 23, 24, 26, 30, 33, 35, 36, 38, 40, 43, 45, 46, 50, 53, 55, 58)
_WEST_AND_NON_GEOGRAPHIC = (70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 84, 85, 87, 88, 91, 97)
_SHORT_AREA_CODES = frozenset(f"0{n}" for n in (*_GEOGRAPHIC, *_WEST_AND_NON_GEOGRAPHIC))
_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()./-]+$")
_POSTAL_CODE = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})$")
_HOUSE_NUMBER = re.compile(r"^([1-9][0-9]{0,4})(?:\s*[-/ ]?\s*([A-Za-z0-9]{1,4}))?$")


def normalise_phone(value: str) -> str:
    """A Dutch phone number as it is written here: 06-12345678, 030-1234567, 0345-123456.
    Accepts spaces, dashes, brackets and +31 or 0031; "" stays "" (no number)."""
    value = value.strip()
    if not value:
        return ""
    written = value.replace("(0)", "")  # +31 (0)6 …: the 0 one leaves out from abroad
    digits = re.sub(r"[^0-9+]", "", written) if _PHONE_CHARACTERS.match(value) else ""
    if digits.startswith("+31"):
        digits = "0" + digits[3:]
    elif digits.startswith("0031"):
        digits = "0" + digits[4:]
    if not re.fullmatch(r"0[1-9][0-9]{8}", digits):
        raise ValidationError(
            _(
                "Vul een Nederlands telefoonnummer in van 10 cijfers, bijvoorbeeld "
                "06-12345678 of 030-1234567."
            ),
            code="phone",
        )
    if digits.startswith("06"):
        return f"06-{digits[2:]}"
    split = 3 if digits[:3] in _SHORT_AREA_CODES else 4
    return f"{digits[:split]}-{digits[split:]}"


def normalise_postal_code(value: str) -> str:
    """A Dutch postcode as 1234 AB."""
    match = _POSTAL_CODE.match(value.strip())
    if match is None or match.group(2).upper() in ("SA", "SD", "SS"):
        raise ValidationError(
            _("Vul een Nederlandse postcode in: 4 cijfers en 2 letters, bijvoorbeeld 1234 AB."),
            code="postal_code",
        )
    return f"{match.group(1)} {match.group(2).upper()}"


def normalise_house_number(value: str) -> str:
    """A house number with an optional addition: 12, 12a, 12-2, 12 bis → 12, 12A, 12-2, 12-BIS."""
    match = _HOUSE_NUMBER.match(value.strip())
    if match is None:
        raise ValidationError(
            _("Vul een huisnummer in, met een eventuele toevoeging: bijvoorbeeld 12, 12a of 12-2."),
            code="house_number",
        )
    number, addition = match.group(1), (match.group(2) or "").upper()
    if not addition:
        return number
    if addition.isalpha() and len(addition) == 1:
        return f"{number}{addition}"
    return f"{number}-{addition}"
