"""A quarter of calls for the region practices of a benchmark database, in bulk: the
same day pattern as De Linde's (demo/telephony.py: the morning peak, Monday busiest), as
rows of `telephony_call` (COPY on PostgreSQL), then the hourly summaries for every
practice in one pass (`refresh_call_hours`, the periodic job's own refresh). Idempotent: a
practice with calls already is skipped. No numbers, no callback requests: a past quarter."""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction

from spreekuur.core.models import Practice
from spreekuur.demo.region.bulk import copy_rows
from spreekuur.demo.region.year import REGION_PREFIX
from spreekuur.demo.telephony import calls_on, working_days
from spreekuur.patients.models import Patient
from spreekuur.telephony.models import Call, CallOutcome
from spreekuur.telephony.services import refresh_call_hours

WEEKS = 13
COLUMNS = (
    "practice_id",
    "call_key",
    "source",
    "started_at",
    "menu_choice",
    "queued",
    "outcome",
    "wait_seconds",
    "talk_seconds",
)


@dataclass(frozen=True)
class Calls:
    practices: int
    calls: int
    hours: int
    seconds: float


def build_region_calls(
    *, today: date, progress: Callable[[str], None] = lambda message: None
) -> Calls:
    started = clock.perf_counter()
    days = working_days(today - timedelta(weeks=WEEKS), today - timedelta(days=1))
    practices = Practice.objects.filter(slug__startswith=REGION_PREFIX).order_by("id")
    done = total = 0
    for practice in practices:
        if Call.objects.filter(practice=practice).exists():
            continue
        rng = random.Random(f"calls-{practice.slug}")
        size = Patient.objects.filter(practice=practice).count() / 3000
        rows = []
        for day in days:
            for n, (start, outcome, wait, talk) in enumerate(calls_on(day, rng, size)):
                menu = outcome == "menu"
                rows.append(
                    (
                        practice.pk,
                        f"r{day:%Y%m%d}-{n}",
                        "import",
                        start,
                        3 if menu else 4,
                        not menu,
                        outcome,
                        None if menu else wait,
                        talk if outcome == CallOutcome.ANSWERED else None,
                    )
                )
        with transaction.atomic():
            if connection.vendor == "postgresql":
                copy_rows(Call._meta.db_table, COLUMNS, rows)
            else:
                Call.objects.bulk_create(
                    [
                        Call(**dict(zip(("practice_id", *COLUMNS[1:]), row, strict=True)))
                        for row in rows
                    ],
                    batch_size=2000,
                )
        done += 1
        total += len(rows)
        if done % 20 == 0:
            progress(f"gesprekken van de regio: {done} praktijken, {total} gesprekken")
    hours = refresh_call_hours(practice_ids=None, days=days) if done else 0
    return Calls(done, total, hours, clock.perf_counter() - started)
