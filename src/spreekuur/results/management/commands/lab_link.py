"""`spreekuur lab_link --practice SLUG NAME`: a token for a lab's HTTP door (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spreekuur.core.models import Practice
from spreekuur.results.models import LabLink


class Command(BaseCommand):
    help = "Maak een koppeling voor een laboratorium; het token wordt één keer getoond."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("--practice", required=True)
        parser.add_argument("--revoke", action="store_true", help="zet de koppeling uit")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"Geen praktijk met slug {options['practice']!r}.")
        if options["revoke"]:
            count = LabLink.objects.filter(practice=practice, name=options["name"]).update(
                active=False
            )
            self.stdout.write(f"uitgezet: {count}")
            return
        token = LabLink.new_token()
        LabLink.objects.create(
            practice=practice, name=options["name"], token_hash=LabLink.hash_token(token)
        )
        self.stdout.write(token)
