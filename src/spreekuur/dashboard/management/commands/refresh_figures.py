"""`spreekuur refresh_figures [--days N] [--practice SLUG]`: recount the dashboard's
summary rows now (the worker does it every 15 minutes for the last week, and nightly for
more than a year)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from spreekuur.core.models import Practice
from spreekuur.dashboard.services import refresh_figures


class Command(BaseCommand):
    help = "Recount the dashboard's summary rows for the last N days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=400)
        parser.add_argument("--practice", help="one practice's slug (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 3700:
            raise CommandError("--days must be 1 to 3700")
        ids = None
        if options["practice"]:
            found = Practice.objects.filter(slug=options["practice"]).values_list("pk", flat=True)
            if not found:
                raise CommandError(f"no practice {options['practice']!r}")
            ids = list(found)
        today = timezone.localdate()
        done = refresh_figures(practice_ids=ids, first=today - timedelta(days=days - 1), last=today)
        self.stdout.write(f"{done.practices} praktijken, {done.rows} rijen in {done.seconds:.1f} s")
