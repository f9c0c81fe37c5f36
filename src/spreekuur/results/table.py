"""The test table in memory for one import run: codes to tests, and reference ranges.

A result coded only in LOINC finds its NHG test through `data/loinc_nhg.csv` (each
mapping with its source), besides the one LOINC code each test row carries."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction

from spreekuur.results.models import LabTest
from spreekuur.results.parsers import LOINC, NHG

DATA = Path(__file__).parent / "data"


@dataclass
class TestTable:
    by_nhg: dict[str, LabTest]
    by_loinc: dict[str, LabTest]

    @classmethod
    def load(cls) -> TestTable:
        tests = list(LabTest.objects.prefetch_related("ranges"))
        by_nhg = {test.nhg_code: test for test in tests}
        by_loinc = {
            loinc: by_nhg[nhg_code]
            for loinc, nhg_code in loinc_to_nhg().items()
            if nhg_code in by_nhg
        }
        by_loinc |= {test.loinc: test for test in tests if test.loinc}
        return cls(by_nhg=by_nhg, by_loinc=by_loinc)

    def find(self, system: str, code: str) -> LabTest | None:
        if system == NHG:
            return self.by_nhg.get(code.lstrip("0") or "0")
        if system == LOINC:
            return self.by_loinc.get(code)
        return None

    def find_first(self, codes: Iterable[tuple[str, str]]) -> LabTest | None:
        """The test of the first (system, code) that names one: the lab's own code, then
        the others it gave for the same test (OBX-3.4-6, further FHIR codings)."""
        for system, code in codes:
            if (test := self.find(system, code)) is not None:
                return test
        return None


@lru_cache(maxsize=4)
def loinc_to_nhg(path: Path = DATA / "loinc_nhg.csv") -> dict[str, str]:
    """LOINC code → NHG number, from the mapping table (read once per process)."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter=";")
        return {row["loinc"].strip(): row["nhg_code"].strip() for row in rows if row["loinc"]}


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def load_test_table(
    tests_csv: Path = DATA / "nhg_tabel45.csv",
    ranges_csv: Path = DATA / "referentiewaarden.csv",
    *,
    lab_test: Any = LabTest,
) -> tuple[int, int]:
    """Insert or update the tests and replace their ranges, in one transaction; returns
    (tests, ranges). Rows are never deleted: results point at them."""
    reference_range = lab_test._meta.get_field("ranges").related_model
    with transaction.atomic():
        tests: dict[str, Any] = {}
        with tests_csv.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                test, _ = lab_test.objects.update_or_create(
                    nhg_code=row["nhg_code"].strip(),
                    defaults={
                        "mnemonic": row["memocode"].strip(),
                        "name": row["omschrijving"].strip(),
                        "patient_name": row["naam_patient"].strip(),
                        "about": row["uitleg"].strip(),
                        "unit": row["eenheid"].strip(),
                        "loinc": row["loinc"].strip(),
                        "decimals": int(row["decimalen"]),
                    },
                )
                tests[test.nhg_code] = test
        reference_range.objects.filter(test__in=tests.values()).delete()
        ranges = []
        with ranges_csv.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                ranges.append(
                    reference_range(
                        test=tests[row["nhg_code"].strip()],
                        sex=row["geslacht"].strip(),
                        age_from=int(row["vanaf_leeftijd"] or 0),
                        age_below=int(row["tot_leeftijd"]) if row["tot_leeftijd"] else None,
                        low=_decimal(row["laag"]),
                        high=_decimal(row["hoog"]),
                    )
                )
        reference_range.objects.bulk_create(ranges)
    return len(tests), len(ranges)
