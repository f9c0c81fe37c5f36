"""Lab results for the region practices of a benchmark database: years of controls,
commented on and released, written in bulk.

About 30 % of the patients (most of the over-sixties, few children) have a control panel
of 5 to 10 tests every six months; most of them for the last three years, the rest for a
shorter time (a recent diagnosis). Every draw is one lab message, kept whole as an HL7 v2
ORU^R01, and its results are the rows the HL7 door would have stored for it (same keys,
reference ranges from the test table, the same flags), already commented on and released
by the patient's own GP. De Linde's results come through the real door instead
(demo/results.py); these are a picture of years of care, so no audit entries are written.

PostgreSQL gets the rows through COPY in one transaction, loaded as pg_restore loads
(bulk.py `bulk_load`), each practice's rows made in a planner process (planners.py) while
the one before is written; other databases (the tests' SQLite) through plain INSERTs; the rows'
columns and defaults come from the models' fields (rows.py). Deterministic (a seed per
practice) except the public ids, and idempotent: a practice that has results already is
skipped. The region's 500,000 patients get about 6 million results.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from spreekuur.core.models import Practice
from spreekuur.demo.region.bulk import analyse, bulk_load, reserve_ids, write_rows
from spreekuur.demo.region.planners import pipelined, workers_for
from spreekuur.demo.region.rows import Table
from spreekuur.demo.region.year import REGION_PREFIX, random_public_ids
from spreekuur.patients.models import Patient
from spreekuur.results.keys import content_key
from spreekuur.results.models import (
    Door,
    Flag,
    LabMessage,
    LabResult,
    LabTest,
    MessageStatus,
    ReferenceRange,
    age_on,
)
from spreekuur.results.samples import SamplePatient, SampleResult, hl7_oru
from spreekuur.results.table import TestTable

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SOURCE = "demo-regio"
LABS = ("Streeklab Regio Noord", "Streeklab Regio Zuid", "Regiolab Midden", "Huisartsenlab Oost")
MIN_DAYS_AGO = 7  # the newest draw is at least a week old, so the GP has released it
DRAWS = 7  # every six months over three years


@dataclass(frozen=True)
class Measure:
    mean: float
    spread: float
    floor: float = 0.1


# Per NHG code: a plausible value for a patient under control (before their own drift).
MEASURES = {
    "2816": Measure(53, 7),  # HbA1c, mmol/mol
    "372": Measure(6.6, 1.2),  # glucose
    "523": Measure(85, 16),  # creatinine
    "3907": Measure(74, 15),  # eGFR
    "40": Measure(2.0, 1.6),  # albumin/creatinine ratio
    "192": Measure(5.0, 0.8),  # cholesterol
    "446": Measure(1.35, 0.3),  # HDL
    "542": Measure(2.9, 0.7),  # LDL
    "181": Measure(3.9, 0.8),  # cholesterol/HDL ratio
    "1377": Measure(1.6, 0.6),  # triglycerides
    "227": Measure(4, 4, 1),  # CRP
    "412": Measure(8.6, 0.8),  # Hb
    "513": Measure(4.3, 0.35),  # potassium
    "1385": Measure(2.0, 1.0, 0.05),  # TSH
}
# The control panels (5 to 10 tests) and how often each is the patient's.
PANELS = [
    (0.30, ("2816", "372", "523", "3907", "40", "192", "446", "542", "1377", "513")),
    (0.40, ("523", "3907", "513", "192", "446", "542", "181", "1377")),
    (0.10, ("523", "3907", "40", "513", "412")),
    (0.20, ("412", "227", "372", "1385", "523", "3907")),
]
# The chance of regular controls, by age (about 30 % over the whole population).
CONTROL_CHANCE = ((18, 0.03), (40, 0.12), (60, 0.30), (200, 0.60))
NORMAL_COMMENT = "Normaal, geen actie nodig."
OFF_COMMENTS = (
    "Licht afwijkend, geen actie nodig.",
    "Wordt besproken bij uw volgende controle.",
    "Graag een afspraak maken met de praktijkondersteuner.",
    "Over 3 maanden opnieuw prikken.",
)

MESSAGES = Table(LabMessage)
# The millions of results are made from values in this order (then the defaults).
RESULTS = Table(LabResult).layout(
    "public_id",
    "practice_id",
    "patient_id",
    "message_id",  # the index of the message in the practice's list until written
    "test_id",
    "base_key",
    "source_key",
    "observed_at",
    "value",
    "value_text",
    "unit",
    "reference_low",
    "reference_high",
    "flag",
    "reviewer_id",
    "reviewed_by_id",
    "reviewed_at",
    "comment",
    "released",
    "created_at",
)


@dataclass(frozen=True)
class Made:
    practices: int
    messages: int
    results: int
    seconds: float
    rows_seconds: float = 0.0  # making and copying the rows
    index_seconds: float = 0.0  # indexes, constraints and foreign keys again, and ANALYZE


def _control_chance(age: int) -> float:
    return next(chance for below, chance in CONTROL_CHANCE if age < below)


@dataclass(frozen=True)
class Bounds:
    """A reference range, as numbers to compare with and as text for COPY."""

    low: float | None
    high: float | None
    low_text: str | None
    high_text: str | None


def _bounds(reference: ReferenceRange | None) -> Bounds:
    low = reference.low if reference is not None else None
    high = reference.high if reference is not None else None
    return Bounds(
        None if low is None else float(low),
        None if high is None else float(high),
        None if low is None else str(low),
        None if high is None else str(high),
    )


def _flag(value: float, bounds: Bounds) -> str:
    if bounds.low is not None and value < bounds.low:
        return Flag.LOW
    if bounds.high is not None and value > bounds.high:
        return Flag.HIGH
    return Flag.NORMAL


Rows = tuple[list[list[Any]], list[list[Any]]]
PatientRow = tuple[int, str, date, str, str, str, int]


def _patients(practice: Practice) -> list[PatientRow]:
    return list(
        Patient.objects.filter(practice=practice)
        .order_by("id")
        .values_list("id", "bsn", "date_of_birth", "sex", "given_name", "family_name", "gp_id")
    )


def _rows_for_practice(
    practice: Practice, patients: list[PatientRow], table: TestTable, today: date
) -> Rows:
    """The practice's lab messages and results as column values (the messages' keys are
    given when written). Dates, times and numbers are text already: PostgreSQL reads them,
    and formatting them once per draw instead of per row saves a fifth of the time."""
    number = int(practice.slug.removeprefix(REGION_PREFIX) or 0)
    rng = random.Random(f"region-results-{practice.slug}")
    public_id = random_public_ids()  # version-4 UUIDs, as uuid4() makes them, faster
    lab = LABS[number % len(LABS)]
    tests: dict[str, LabTest] = {code: table.by_nhg[code] for code in MEASURES}
    test_ids = {code: test.pk for code, test in tests.items()}
    ranges: dict[tuple[str, str, int], Bounds] = {}
    weights = [weight for weight, _codes in PANELS]
    messages: list[list[Any]] = []
    results: list[list[Any]] = []
    draw_number = 0
    for patient_id, bsn, born, sex, given, family, gp_id in patients:
        if rng.random() >= _control_chance(age_on(born, today)):
            continue
        codes = rng.choices(PANELS, weights=weights)[0][1]
        drift = rng.uniform(0.9, 1.15)
        draws = DRAWS if rng.random() < 0.6 else rng.randint(1, DRAWS - 1)
        newest = rng.randint(MIN_DAYS_AGO, 180)
        who = SamplePatient(bsn, born, family, given, sex)
        identity = {
            "bsn": bsn,
            "geboortedatum": born.isoformat(),
            "naam": f"{given} {family}",
            "geslacht": sex,
        }
        for months_ago in range(6 * (draws - 1), -1, -6):
            day = today - timedelta(days=months_ago * 30 + newest)
            if day < born:
                continue
            draw_number += 1
            taken = datetime.combine(
                day, time(rng.randint(8, 10), rng.choice((0, 15, 30, 45))), tzinfo=AMSTERDAM
            )
            moment = taken.isoformat()
            received = (taken + timedelta(hours=6)).isoformat()
            reviewed = (taken + timedelta(days=rng.randint(1, 3), hours=5)).isoformat()
            order = f"R{number:03d}-{draw_number:07d}"
            age = age_on(born, day)
            sample: list[SampleResult] = []
            for code in codes:
                test, measure = tests[code], MEASURES[code]
                value = max(measure.floor, rng.gauss(measure.mean * drift, measure.spread))
                value_text = f"{value:.{test.decimals}f}"
                sample.append(SampleResult(code, value_text, test.unit))
                bounds = ranges.get((code, sex, age))
                if bounds is None:
                    bounds = ranges[code, sex, age] = _bounds(test.range_for(sex=sex, age=age))
                flag = _flag(float(value_text), bounds)
                base_key = f"{patient_id}|{lab}|{order}|nhg:{code}|{moment}"
                # The door's key for a result without range or flag from the lab: the
                # same result coming in again through the door is found stored.
                key = content_key(
                    nhg_code=code, value_text=value_text, unit=test.unit, observed_at=moment
                )
                results.append(
                    RESULTS.row(
                        public_id(),
                        practice.pk,
                        patient_id,
                        len(messages),  # the index of the message, an id when written
                        test_ids[code],
                        base_key,
                        f"{base_key}|{key}",
                        moment,
                        value_text,
                        value_text,
                        test.unit,
                        bounds.low_text,
                        bounds.high_text,
                        flag,
                        gp_id,
                        gp_id,
                        reviewed,
                        rng.choice(OFF_COMMENTS) if flag else NORMAL_COMMENT,
                        True,
                        received,
                    )
                )
            raw = hl7_oru(who, sample, control_id=f"RG{order}", order=order, taken=taken, lab=lab)
            messages.append(
                MESSAGES.row(
                    id=0,  # a key when written
                    public_id=public_id(),
                    practice_id=practice.pk,
                    door=Door.HL7V2,
                    digest=LabMessage.digest_of(raw),
                    received_at=received,
                    source=SOURCE,
                    sender=lab,
                    message_id=f"RG{order}",
                    raw=raw.decode(),
                    status=MessageStatus.IMPORTED,
                    patient_id=patient_id,
                    identity=identity,
                    result_count=len(sample),
                )
            )
    return messages, results


def _write(messages: list[list[Any]], results: list[list[Any]], after: dict[str, int]) -> None:
    """Give the messages their keys, point the results at them, and write both."""
    ids = reserve_ids(LabMessage, len(messages), after=after)
    key = MESSAGES.index("id")
    for message, message_id in zip(messages, ids, strict=True):
        message[key] = message_id
    points = RESULTS.index("message_id")
    for result in results:
        result[points] = ids[result[points]]
    write_rows(LabMessage, MESSAGES.columns, messages)
    write_rows(LabResult, RESULTS.columns, results)


def build_region_results(
    *, today: date | None = None, progress: Callable[[str], None] = lambda message: None
) -> Made:
    """Results for every region practice (slug `regio-…`) that has none yet."""
    started = clock.perf_counter()
    today = today or timezone.localdate()
    practices = list(
        Practice.objects.filter(slug__startswith=REGION_PREFIX)
        .exclude(pk__in=LabMessage.objects.values("practice_id"))
        .order_by("slug")
    )
    if not practices:
        return Made(0, 0, 0, clock.perf_counter() - started)
    table = TestTable.load()
    postgresql = connection.vendor == "postgresql"
    total_messages = total_results = 0
    tables = [LabMessage._meta.db_table, LabResult._meta.db_table]
    after: dict[str, int] = {}
    workers = workers_for(len(practices)) if postgresql else 0

    def practice_rows(practice: Practice) -> tuple[Any, ...]:
        return practice, _patients(practice), table, today

    with transaction.atomic(), bulk_load(tables) if postgresql else nullcontext():
        planned = pipelined(practices, _rows_for_practice, practice_rows, workers=workers)
        with closing(planned):  # on an error, the workers stop too
            for index, (_practice, (messages, results)) in enumerate(planned, start=1):
                _write(messages, results, after)
                total_messages += len(messages)
                total_results += len(results)
                if index % 20 == 0 or index == len(practices):
                    progress(f"uitslagen: {index}/{len(practices)} regiopraktijken")
        rows_done = clock.perf_counter()
    done = analyse(
        tables, started=started, rows_done=rows_done, label="uitslagen", progress=progress
    )
    return Made(
        len(practices),
        total_messages,
        total_results,
        done - started,
        rows_done - started,
        done - rows_done,
    )
