from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spreekuur.core.audit import verify_chains
from spreekuur.core.models import Practice


class Command(BaseCommand):
    help = "Check the audit log's hash chains; name the first broken entry of each chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", help="slug of one practice (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = None
        if options["practice"]:
            practice = Practice.objects.filter(slug=options["practice"]).first()
            if practice is None:
                raise CommandError(f"Onbekende praktijk: {options['practice']}")
        checked, breaks = verify_chains(practice=practice)
        for found in breaks:
            self.stdout.write(
                f"KETEN GEBROKEN praktijk={found.practice_id or 'systeem'} baan={found.lane} "
                f"volgnummer {found.seq} regel={found.public_id or '-'}: {found.reason}"
            )
        if breaks:
            raise CommandError(f"{len(breaks)} keten(s) gebroken; {checked} regels gecontroleerd")
        self.stdout.write(f"Audit log intact: {checked} regels gecontroleerd.")
