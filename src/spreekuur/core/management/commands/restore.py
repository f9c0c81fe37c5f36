from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spreekuur.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Put a backup of `spreekuur backup` back: check every checksum first, then the files, "
        "then the database in one transaction; finally prove row counts and the audit chain. "
        "Stop the web server and the worker first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace a database that already holds practices or audit entries",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = restore_backup(
                options["archive"], replace=options["replace"], progress=self.stdout.write
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Teruggezet en gecontroleerd: {summary.tables} tabellen, {summary.rows} rijen, "
            f"{summary.files_written} bestanden geschreven, {summary.files_unchanged} al "
            f"aanwezig, {summary.files_not_in_backup} niet in de backup (bewaard); "
            f"auditketen intact ({summary.audit_entries_checked} regels)."
        )
        if summary.migrations_behind:
            self.stdout.write(
                f"Deze backup mist {len(summary.migrations_behind)} nieuwere migraties: "
                "voer nu `spreekuur migrate` uit."
            )
