from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from spreekuur.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write the database and all stored files (uploads) to one archive, with a manifest "
        "of row counts, audit chain heads and checksums. Keys are not included."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="archive to write (default: spreekuur-backup-<date>-<time>.tar here)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"] or Path(
            f"spreekuur-backup-{timezone.localtime():%Y%m%d-%H%M%S}.tar"
        )
        try:
            summary = create_backup(output, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backup geschreven: {summary.path} ({summary.bytes / 1e6:.1f} MB): "
            f"{summary.tables} tabellen, {summary.rows} rijen, {summary.files} bestanden."
        )
