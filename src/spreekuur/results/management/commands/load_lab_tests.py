"""`spreekuur load_lab_tests [TESTS.csv RANGES.csv]`: refresh the test table (NHG-Tabel 45)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from spreekuur.results.table import DATA, load_test_table


class Command(BaseCommand):
    help = "Laad of ververs de bepalingentabel (NHG-Tabel 45) en de referentiewaarden."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("tests", nargs="?", type=Path, default=DATA / "nhg_tabel45.csv")
        parser.add_argument("ranges", nargs="?", type=Path, default=DATA / "referentiewaarden.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        tests, ranges = load_test_table(options["tests"], options["ranges"])
        self.stdout.write(f"bepalingen: {tests}, referentiewaarden: {ranges}")
