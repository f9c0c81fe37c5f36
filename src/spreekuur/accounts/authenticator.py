"""What the person sees to link an authenticator app: the QR code, the key to type and
the otpauth:// link for a phone. Presentation only; the device itself is made and
confirmed in services."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import segno
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

SECRET_GROUP = 4  # characters per block of the key to type, as the apps show it


@dataclass(frozen=True)
class AuthenticatorSetup:
    qr_svg: str  # an inline <svg> with a viewBox: CSS scales the whole code, never crops it
    secret_groups: list[str]  # the key in blocks of four, for typing
    otpauth_url: str  # opens the app directly on the phone that shows this page


def qr_code_svg(content: str, *, title: str) -> str:
    """A QR code as inline SVG drawn in module units inside a viewBox (no width or height
    attribute), so whatever size the page gives it, the whole code shows, quiet zone and
    all three finder squares included."""
    svg: str = segno.make(content, error="m").svg_inline(
        dark="#000", light="#fff", title=title, omitsize=True
    )
    return svg


def secret_groups(key: bytes) -> list[str]:
    """The key in base32, without padding, in blocks of four characters."""
    base32 = base64.b32encode(key).decode().rstrip("=")
    return [base32[i : i + SECRET_GROUP] for i in range(0, len(base32), SECRET_GROUP)]


def setup_for(device: TOTPDevice) -> AuthenticatorSetup:
    url = str(device.config_url)
    return AuthenticatorSetup(
        qr_svg=qr_code_svg(url, title=_("QR-code om uw authenticator-app te koppelen")),
        secret_groups=secret_groups(device.bin_key),
        otpauth_url=url,
    )
