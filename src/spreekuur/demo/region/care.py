"""A year of care for the region practices of a benchmark database, written in bulk:
the agenda (agenda.py), the record (dossier.py), repeat prescriptions with their pharmacy
messages (prescriptions.py), and e-consults with their answers and declarations
(econsult.py), by the patients with a portal account (accounts.py).

Per practice (a seed per practice, so the same practice always gets the same year) the
set-up goes in through the ORM, as the practice's staff would make it; then the planner
(`PracticeYear`) makes the year as rows without touching the database, on PostgreSQL in a
planner process (planners.py) while the practice before it is written, and the writer
gives the rows their keys and writes them, the agenda in each practitioner's time order.

These are a picture of a past year, like results.py: no audit entries. De Linde gets its
care through the real services instead (demo/agenda.py, dossier.py, ...). PostgreSQL gets
the rows through COPY in one transaction, loaded as pg_restore loads (bulk.py); other
databases (the tests' SQLite) through plain INSERTs. Deterministic (a seed per practice)
except the keys, public ids and check-in codes; idempotent: a region practice that has
appointment types already is skipped. Nothing but the current practice is held in memory.
"""

from __future__ import annotations

import random
import time as clock
from collections import Counter
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.agenda.models import AppointmentType, QueueCounter
from spreekuur.core.models import Practice
from spreekuur.demo.logins import DEMO_TOTP_HEX
from spreekuur.demo.region import accounts, agenda, dossier, econsult, prescriptions
from spreekuur.demo.region.accounts import PortalAccounts, demo_password
from spreekuur.demo.region.agenda import AgendaYear, CheckinCodes, set_up_agenda
from spreekuur.demo.region.bulk import analyse, bulk_load, reserve_ids, write_rows
from spreekuur.demo.region.dossier import RecordYear, measurement_tests
from spreekuur.demo.region.econsult import EconsultYear, set_up_econsult
from spreekuur.demo.region.planners import pipelined, workers_for
from spreekuur.demo.region.prescriptions import RepeatYear, set_up_prescriptions
from spreekuur.demo.region.rows import Table
from spreekuur.demo.region.year import (
    REGION_PREFIX,
    PatientInfo,
    Person,
    Plan,
    Setting,
    random_public_ids,
)
from spreekuur.patients.models import Patient
from spreekuur.triage.selectors import red_flags_for

# In the order they are written (a row's references before it, where a constraint stays).
TABLES: dict[str, Table] = {
    **accounts.TABLES,
    **agenda.TABLES,
    **dossier.TABLES,
    **prescriptions.TABLES,
    **econsult.TABLES,
}
# Loaded as pg_restore loads; the accounts tables keep their constraints (the rest of
# the application uses them meanwhile) and get few rows.
BULK_TABLES = [name for name in TABLES if name not in accounts.TABLES]
# Written in each practitioner's time order (nothing points at a row's place in them).
AGENDA_ORDER = ("appointment", "slot")


@dataclass(frozen=True)
class Care:
    practices: int
    appointments: int
    journal_entries: int
    repeat_requests: int
    econsults: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)  # per table
    rows_seconds: float = 0.0  # making and copying the rows
    index_seconds: float = 0.0  # indexes, constraints and foreign keys again, and ANALYZE


def set_up(practice: Practice, patients: int, today: date, password: str) -> Setting:
    """The practice's agenda, pharmacies and e-consult codes, as its staff would set them
    up; returns what the planner needs."""
    rng = random.Random(f"region-care-setup-{practice.slug}")
    members = list(
        Membership.objects.filter(practice=practice, active=True)
        .select_related("user", "practice")
        .order_by("user__email")
    )
    kinds, slots = set_up_agenda(practice, members, patients, today, rng)
    route, pharmacies = set_up_prescriptions(practice, rng)
    codes = set_up_econsult(practice, today)
    return Setting(
        practice_id=practice.pk,
        slug=practice.slug,
        route=route,
        pharmacies=pharmacies,
        kinds=kinds,
        staff=[Person(m.pk, m.user_id, m.role, m.user.full_name, m.agb_code) for m in members],
        slots=slots,
        codes=codes,
        triage=[
            {"code": flag.code, "question": flag.question, "answer": False}
            for flag in red_flags_for(practice)
        ],
        tests=measurement_tests(),
        password=password,
        totp_key=DEMO_TOTP_HEX,
    )


def practice_patients(practice: Practice) -> list[PatientInfo]:
    """The practice's patients, as the planner needs them."""
    return [
        PatientInfo(*row)
        for row in Patient.objects.filter(practice=practice)
        .order_by("id")
        .values_list(
            "id",
            "bsn",
            "date_of_birth",
            "sex",
            "given_name",
            "name_prefix",
            "family_name",
            "gp_id",
            "enrolled_on",
        )
    ]


class PracticeYear(PortalAccounts, RecordYear, AgendaYear, RepeatYear, EconsultYear):
    """Plans one practice's year; `make()` returns its rows, with new keys as negative
    numbers (-1 the first row of a table) that the writer replaces."""

    tables = TABLES

    def make(self) -> Plan:
        self.accounts()
        self.records_before_the_year()
        placed = self.place(self.contacts())
        self.journal(placed)
        self.repeats()
        self.econsults()
        self.finish_accounts()
        return self.plan


def plan_year(
    setting: Setting,
    patients: list[PatientInfo],
    today: date,
    now: datetime,
    public_ids: Callable[[], str] | None = None,
) -> Plan:
    """One practice's year as rows (in a planner process, planners.py, or in this one)."""
    return PracticeYear(
        setting, patients, today=today, now=now, public_id=public_ids or random_public_ids()
    ).make()


def write(plan: Plan, practice_id: int, codes: CheckinCodes, after: dict[str, int]) -> None:
    """Give the plan's rows their keys, point the references at them and write the
    tables in order; then link the portal users to their patients."""
    keys = {
        name: reserve_ids(TABLES[name].model, len(plan.rows[name]), after=after) for name in TABLES
    }
    for name, table in TABLES.items():
        rows = plan.rows[name]
        for column, target in table.refs.items():
            position, new_keys = table.index(column), keys[target]
            for row in rows:
                value = row[position]
                if value is not None and value < 0:
                    row[position] = new_keys[-value - 1]
        if name == "appointment":
            position = table.index("checkin_code")
            for row in rows:
                row[position] = codes.new()
        if name in AGENDA_ORDER:
            # In each practitioner's time order: the exclusion constraint against double
            # bookings checks each row as it comes in, fastest near the one before.
            rows.sort(key=itemgetter(table.index("practitioner_id"), table.index("starts_at")))
        write_rows(table.model, table.columns, rows)
    users = keys["user"]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Patient._meta.db_table} SET user_id = %s WHERE id = %s",  # noqa: S608 (a model's table)
            [(users[-ref - 1], patient) for patient, ref in plan.portal_users],
        )
    if plan.queue_today:
        QueueCounter.objects.update_or_create(
            practice_id=practice_id,
            day=timezone.localdate(),
            defaults={"last_number": plan.queue_today},
        )


def build_region_care(
    *,
    today: date | None = None,
    progress: Callable[[str], None] = lambda message: None,
    public_ids: Callable[[], str] | None = None,
) -> Care:
    """A year of care for every region practice (slug `regio-…`) without an agenda yet."""
    started = clock.perf_counter()
    now = timezone.now()
    today = today or timezone.localdate()
    practices = list(
        Practice.objects.filter(slug__startswith=REGION_PREFIX)
        .exclude(pk__in=AppointmentType.objects.values("practice_id"))
        .order_by("slug")
    )
    if not practices:
        return Care(0, 0, 0, 0, 0, clock.perf_counter() - started)
    postgresql = connection.vendor == "postgresql"
    password = demo_password()
    codes = CheckinCodes()
    after: dict[str, int] = {}
    rows: Counter[str] = Counter()
    tables = [TABLES[name].model._meta.db_table for name in BULK_TABLES]
    # Public ids given (tests): one practice after the other, in this process.
    workers = workers_for(len(practices)) if postgresql and public_ids is None else 0

    def set_up_practice(practice: Practice) -> tuple[Any, ...]:
        patients = practice_patients(practice)
        setting = set_up(practice, len(patients), today, password)
        return setting, patients, today, now, public_ids

    with transaction.atomic(), bulk_load(tables) if postgresql else nullcontext():
        planned = pipelined(practices, plan_year, set_up_practice, workers=workers)
        with closing(planned):  # on an error, the workers stop too
            for index, (practice, plan) in enumerate(planned, start=1):
                write(plan, practice.pk, codes, after)
                rows.update({name: len(made) for name, made in plan.rows.items()})
                if index % 20 == 0 or index == len(practices):
                    progress(f"zorg: {index}/{len(practices)} regiopraktijken")
        rows_done = clock.perf_counter()
    done = analyse(tables, started=started, rows_done=rows_done, label="zorg", progress=progress)
    return Care(
        practices=len(practices),
        appointments=rows["appointment"],
        journal_entries=rows["journal"],
        repeat_requests=rows["request"],
        econsults=rows["thread"],
        seconds=done - started,
        rows=dict(rows),
        rows_seconds=rows_done - started,
        index_seconds=done - rows_done,
    )
