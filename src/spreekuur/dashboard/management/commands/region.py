"""`spreekuur region SLUG --name NAME --practices SLUG… [--analyst EMAIL]`: a care group
(zorggroep) with its practices, and optionally an analyst account (an existing user with
no role in a practice) who then sees the region's anonymised figures at /regio/."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spreekuur.accounts.models import User
from spreekuur.dashboard.services import add_region_analyst, set_up_region


class Command(BaseCommand):
    help = "Create or update a care group (region) and its practices and analyst."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--practices", nargs="+", default=[])
        parser.add_argument("--analyst", help="e-mail address of an existing account")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = set_up_region(
                slug=options["slug"], name=options["name"], practice_slugs=options["practices"]
            )
            if options["analyst"]:
                user = User.objects.filter(email__iexact=options["analyst"]).first()
                if user is None:
                    raise CommandError(f"no account {options['analyst']!r}")
                add_region_analyst(region=region, user=user)
        except ValueError as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(f"{region.name}: {region.members.count()} praktijken")
