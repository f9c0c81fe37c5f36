"""`spreekuur fhir_app`: register and keep the apps that use the FHIR API, from the console
(the practice manager does the same under Beheer → Apps en koppelingen).

    spreekuur fhir_app add --practice SLUG --name "Mijn PGO" --kind patient_app \\
        --redirect-uri https://pgo.example/callback \\
        --scope "launch/patient openid fhirUser offline_access patient/*.rs" [--confidential]
    spreekuur fhir_app add --practice SLUG --name "Agenda-koppeling" --kind system \\
        --scope "system/Patient.rs system/Appointment.rs"
    spreekuur fhir_app list --practice SLUG
    spreekuur fhir_app secret --practice SLUG --name NAME     (a new secret, shown once)
    spreekuur fhir_app off|on --practice SLUG --name NAME

`add` prints the client id, and for a confidential app or a system its secret, once: the
secret is stored only as a hash."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import Practice
from spreekuur.fhir import services
from spreekuur.fhir.models import AppKind, FhirApp


class Command(BaseCommand):
    help = "Apps voor de FHIR-API aanmelden, tonen, een nieuw geheim geven, aan- of uitzetten."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["add", "list", "secret", "off", "on"])
        parser.add_argument("--practice", required=True, help="de slug van de praktijk")
        parser.add_argument("--name", help="de naam van de app")
        parser.add_argument("--kind", choices=AppKind.values, default=AppKind.PATIENT_APP)
        parser.add_argument("--scope", default="", help="toegestane scopes, met spaties")
        parser.add_argument(
            "--redirect-uri", action="append", default=[], help="terugkeeradres (herhaalbaar)"
        )
        parser.add_argument("--confidential", action="store_true", help="app met een geheim")
        parser.add_argument("--vendor", default="")
        parser.add_argument("--homepage", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"Geen praktijk met slug {options['practice']!r}.")
        action = options["action"]
        if action == "list":
            self._list(practice)
            return
        if not options["name"]:
            raise CommandError("Geef --name.")
        try:
            if action == "add":
                self._add(practice, options)
                return
            app = FhirApp.objects.filter(practice=practice, name=options["name"]).first()
            if app is None:
                raise CommandError(f"Geen app {options['name']!r} in deze praktijk.")
            if action == "secret":
                secret = services.renew_client_secret(app=app, by=None)
                self.stdout.write(f"client_secret: {secret}")
            else:
                services.set_app_active(app=app, active=action == "on", by=None)
                self.stdout.write(f"{app.name}: {'aan' if action == 'on' else 'uit'}")
        except BusinessRuleError as error:
            raise CommandError(str(error)) from None

    def _add(self, practice: Practice, options: dict[str, Any]) -> None:
        app, secret = services.register_app(
            practice=practice,
            kind=options["kind"],
            name=options["name"],
            allowed_scopes=options["scope"].split(),
            redirect_uris=options["redirect_uri"],
            confidential=options["confidential"],
            vendor=options["vendor"],
            homepage=options["homepage"],
            by=None,
        )
        self.stdout.write(f"client_id: {app.application.client_id}")
        if secret:
            self.stdout.write(f"client_secret: {secret}")
            self.stderr.write("Bewaar het geheim nu: het wordt niet opnieuw getoond.")

    def _list(self, practice: Practice) -> None:
        for app in FhirApp.objects.filter(practice=practice).select_related("application"):
            state = "aan" if app.active else "uit"
            self.stdout.write(
                f"{app.name}\t{app.get_kind_display()}\t{state}\t"
                f"{app.application.client_id}\t{app.allowed_scopes}"
            )
