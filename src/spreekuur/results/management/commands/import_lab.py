"""`spreekuur import_lab --practice SLUG FILE…`: lab files into a practice.

An HL7 file may hold many messages (each starts with MSH), with or without batch lines
(FHS/BHS and their trailers): it is read exactly as the lab's HTTP door reads a batch,
and a trailer whose count differs from what was read is reported. FHIR (.json) and CSV
files are one message each. Each message stands alone: the same file twice stores
nothing the second time. What was set aside for the work list is listed by message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spreekuur.core.models import Practice
from spreekuur.results.models import Door, MessageStatus
from spreekuur.results.services.imports import (
    ImportOutcome,
    receive_hl7_file,
    receive_lab_messages,
)
from spreekuur.results.table import TestTable


def door_for(path: Path, chosen: str | None) -> str:
    if chosen:
        return chosen
    suffix = path.suffix.lower()
    # FHIR in XML goes to the FHIR door too, which says plainly that it takes JSON.
    return {".json": Door.FHIR, ".xml": Door.FHIR, ".csv": Door.CSV}.get(suffix, Door.HL7V2)


class Command(BaseCommand):
    help = "Importeer labuitslagen (HL7 v2 ORU^R01, FHIR-bundel of CSV) in een praktijk."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--practice", required=True, help="slug van de praktijk")
        parser.add_argument("--door", choices=Door.values, help="standaard: naar de extensie")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"Geen praktijk met slug {options['practice']!r}.")
        table = TestTable.load()
        totals = {"berichten": 0, "uitslagen": 0, "dubbel": 0, "quarantaine": 0, "wachtend": 0}
        for path in options["files"]:
            try:
                content = path.read_bytes()
            except OSError as error:
                raise CommandError(f"{path}: niet te lezen ({error.strerror}).") from error
            door = door_for(path, options["door"])
            if door == Door.HL7V2:
                read = receive_hl7_file(
                    practice=practice, raw=content, source=path.name, table=table
                )
                outcomes, problems = read.outcomes, read.problems
            else:
                outcomes = receive_lab_messages(
                    practice=practice, door=door, raws=[content], source=path.name, table=table
                )
                problems = []
            for problem in problems:
                self.stdout.write(f"{path.name}: {problem}")
            for number, outcome in enumerate(outcomes, start=1):
                self._count(totals, outcome)
                for said in [f"apart gezet: {reason}" for reason in outcome.set_aside]:
                    self.stdout.write(f"{path.name}, bericht {number}: {said}")
                for note in outcome.notes:
                    self.stdout.write(f"{path.name}, bericht {number}: {note}")
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in totals.items()))

    @staticmethod
    def _count(totals: dict[str, int], outcome: ImportOutcome) -> None:
        totals["berichten"] += 1
        totals["uitslagen"] += outcome.stored
        totals["dubbel"] += outcome.duplicate
        totals["quarantaine"] += outcome.quarantined
        totals["wachtend"] += sum(
            m.status in (MessageStatus.UNMATCHED, MessageStatus.PARTIAL) for m in outcome.messages
        )
