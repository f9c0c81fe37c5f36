from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from spreekuur.demo import generator
from spreekuur.demo.dashboard import ANALYST_EMAIL
from spreekuur.demo.fhir import (
    DEMO_PGO_CLIENT_ID,
    DEMO_PGO_REDIRECT,
    DEMO_SYSTEM_CLIENT_ID,
    DEMO_SYSTEM_SECRET,
)
from spreekuur.patients.models import Patient, PortalActivation


class Command(BaseCommand):
    help = "Load the synthetic demo practice De Linde (idempotent), or a whole region."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--practices", type=int, default=0, help="region practices besides De Linde"
        )
        parser.add_argument("--patients-per-practice", type=int, default=2500)
        parser.add_argument("--demo-patients", type=int, default=3000)
        parser.add_argument("--quiet", action="store_true", help="do not print the demo logins")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            # The demo logins share a published password and TOTP secret.
            raise CommandError("load_demo weigert te draaien met SPREEKUUR_ENV=production.")
        result = generator.load(
            region_practices=options["practices"],
            patients_per_practice=options["patients_per_practice"],
            demo_patients=options["demo_patients"],
            progress=lambda message: self.stdout.write(message),
        )
        self.stdout.write(
            f"{result.practices_created} praktijken en {result.patients_created} patiënten "
            f"aangemaakt in {result.seconds:.1f} s (bestaande data is overgeslagen)."
        )
        if not options["quiet"]:
            self.stdout.write(self._logins())

    def _logins(self) -> str:
        lines = [
            "",
            "DEMO-LOGINS (alleen voor de demo, nooit in productie gebruiken)",
            f"  wachtwoord voor iedereen: {generator.DEMO_PASSWORD}",
            f"  authenticator-sleutel (TOTP) voor iedereen: {generator.DEMO_TOTP_BASE32}",
            "  of de huidige code zonder app: spreekuur demo_totp",
        ]
        for email, name, role, _agb in generator.STAFF:
            lines.append(f"  {role:<16} {email:<32} {name}")
        lines.append(f"  {'regio-analist':<16} {ANALYST_EMAIL:<32} Analist Zorggroep (/regio/)")
        portal = Patient.objects.filter(user__email=generator.DEMO_PATIENT_EMAIL).first()
        lines.append(
            f"  {'patient':<16} {generator.DEMO_PATIENT_EMAIL:<32} "
            f"{portal.display_name if portal else ''}"
        )
        letter = (
            PortalActivation.objects.open()
            .filter(practice__slug=generator.DEMO_SLUG)
            .select_related("patient")
            .first()
        )
        if letter is not None:
            lines.append(
                f"  activeringsbrief voor {letter.patient.display_name}: "
                f"code {generator.DEMO_ACTIVATION_CODE}, "
                f"geboortedatum {letter.patient.date_of_birth:%d-%m-%Y}"
            )
        lines.append(
            f"  FHIR-API: http://127.0.0.1:8000/fhir/R4/metadata; apps: client_id "
            f"{DEMO_PGO_CLIENT_ID} (PGO, terugkeeradres {DEMO_PGO_REDIRECT}) en "
            f"{DEMO_SYSTEM_CLIENT_ID} / {DEMO_SYSTEM_SECRET} (systeem); zie docs/fhir.md"
        )
        lines.append(
            "  openbare praktijkpagina: http://127.0.0.1:8000/p/de-linde/ "
            "(passkeys alleen via http://localhost:8000; andere poort: make demo PORT=...)"
        )
        return "\n".join(lines)
