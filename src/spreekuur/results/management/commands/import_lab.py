"""`spreekuur import_lab --practice SLUG FILE…`: lab files into a practice.

An HL7 file may hold many messages (each starts with MSH; batch headers FHS/BHS and
their trailers are skipped). FHIR (.json) and CSV files are one message each. Each
message stands alone: the same file twice stores nothing the second time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spreekuur.core.models import Practice
from spreekuur.results.models import Door
from spreekuur.results.services.imports import receive_lab_messages
from spreekuur.results.table import TestTable

BATCH_SEGMENTS = re.compile(r"^(FHS|BHS|BTS|FTS)\|", re.MULTILINE)


def hl7_messages(content: bytes) -> list[bytes]:
    """Split an HL7 file into messages at each MSH, dropping batch envelope lines."""
    text = content.replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    segments = [
        s for s in text.split(b"\r") if s.strip() and not BATCH_SEGMENTS.match(s.decode("latin-1"))
    ]
    messages: list[list[bytes]] = []
    for segment in segments:
        if segment.startswith(b"MSH") or not messages:
            messages.append([])
        messages[-1].append(segment)
    return [b"\r".join(parts) + b"\r" for parts in messages]


def door_for(path: Path, chosen: str | None) -> str:
    if chosen:
        return chosen
    suffix = path.suffix.lower()
    return {".json": Door.FHIR, ".csv": Door.CSV}.get(suffix, Door.HL7V2)


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
            messages = hl7_messages(content) if door == Door.HL7V2 else [content]
            outcomes = receive_lab_messages(
                practice=practice, door=door, raws=messages, source=path.name, table=table
            )
            for outcome in outcomes:
                totals["berichten"] += 1
                totals["uitslagen"] += outcome.stored
                totals["dubbel"] += outcome.duplicate
                totals["quarantaine"] += outcome.quarantined
                totals["wachtend"] += sum(
                    m.status in ("niet-gekoppeld", "gedeeltelijk") for m in outcome.messages
                )
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in totals.items()))
