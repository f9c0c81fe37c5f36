"""Validators shared by models, forms and services (one rule, one place)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST_WITH_WHITE = 4.5  # WCAG 2.1 AA for normal text


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(hex_colour: str) -> float:
    return 1.05 / (_relative_luminance(hex_colour) + 0.05)


_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")


def validate_phone(value: str) -> None:
    """A phone number people can dial from the public page (also written into tel: links)."""
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE.match(value.strip()) or not 3 <= digits <= 15:
        raise ValidationError(
            _("Vul een telefoonnummer in met cijfers, bijvoorbeeld 0345-123456."), code="phone"
        )


def validate_brand_colour(value: str) -> None:
    """A #rrggbb colour dark enough for white text. It is written into a <style> block,
    so nothing but this exact form may pass."""
    if not isinstance(value, str) or not _HEX_COLOUR.match(value):
        raise ValidationError(
            _("Geef een kleur als # met zes tekens, bijvoorbeeld #154273."), code="invalid"
        )
    if contrast_with_white(value) < MIN_CONTRAST_WITH_WHITE:
        raise ValidationError(
            _("Deze kleur is te licht: witte tekst erop is slecht leesbaar (WCAG AA)."),
            code="contrast",
        )
