"""`spreekuur pharmacy_token --practice SLUG NAME`: a token for a pharmacy's door, by which
it reports "ready to collect" (shown once; only its hash is kept)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spreekuur.prescriptions.models import Pharmacy


class Command(BaseCommand):
    help = "Maak een nieuw token voor een apotheek (het oude stopt); het wordt één keer getoond."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("--practice", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        pharmacy = Pharmacy.objects.filter(
            practice__slug=options["practice"], name=options["name"]
        ).first()
        if pharmacy is None:
            raise CommandError("Geen apotheek met die naam in die praktijk.")
        token = Pharmacy.new_token()
        pharmacy.token_hash = Pharmacy.hash_token(token)
        pharmacy.save(update_fields=["token_hash"])
        self.stdout.write(token)
