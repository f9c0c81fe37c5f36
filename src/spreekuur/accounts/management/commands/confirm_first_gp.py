"""`spreekuur confirm_first_gp EMAIL`: confirm the first GP of a practice that has none.

A clinical role takes a GP of the practice to confirm it; a practice without a GP in force
has nobody who can. The operator (who runs the server, outside the manager's reach)
confirms that first GP here. Refused as soon as the practice has a GP of its own."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spreekuur.accounts import services
from spreekuur.core.exceptions import BusinessRuleError


class Command(BaseCommand):
    help = "Bevestig de eerste huisarts van een praktijk die nog geen huisarts heeft."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email", help="het e-mailadres van de aangevraagde huisarts")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            membership = services.confirm_first_gp(email=options["email"])
        except BusinessRuleError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"bevestigd: huisarts in {membership.practice.name}")
