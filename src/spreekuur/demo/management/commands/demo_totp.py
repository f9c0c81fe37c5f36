from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from spreekuur.demo.generator import DEMO_TOTP_HEX


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo logins (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        totp = TOTP(bytes.fromhex(DEMO_TOTP_HEX))
        self.stdout.write(f"{totp.token():06d}")
