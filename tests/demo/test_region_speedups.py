"""The region generator's planner processes (demo/region/planners.py): the region they make
is the region made in one process, row for row apart from keys and public ids; a planner
process cannot touch the database; and the agenda written in time order still holds no
double booking."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from spreekuur.agenda.models import Appointment, AppointmentStatus, Slot, new_checkin_code
from spreekuur.core.models import Practice
from spreekuur.demo import generator, region
from spreekuur.demo.region import care, planners, results
from spreekuur.dossier.models import JournalEntry
from spreekuur.prescriptions.models import OutboxMessage
from spreekuur.results.models import LabResult

PATIENTS = 250

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="planner processes are used on PostgreSQL only"
)


def _count_practice(practice_id: int) -> int:
    return Practice.objects.filter(pk=practice_id).count()


def _square(number: int) -> int:
    return number * number


def test_workers_leave_a_core_for_the_writer_and_one_practice_alone() -> None:
    assert planners.workers_for(1, cores=8) == 0
    assert planners.workers_for(20, cores=1) == 0
    assert planners.workers_for(20, cores=2) == 1
    assert planners.workers_for(3, cores=8) == 2
    assert planners.workers_for(200, cores=64) == planners.MAX_WORKERS


def test_planned_jobs_come_back_in_order_from_processes_as_from_this_one() -> None:
    made = []
    serial = list(planners.pipelined(range(7), _square, lambda n: (n,), workers=0))
    parallel = list(
        planners.pipelined(range(7), _square, lambda n: (made.append(n), n)[1:], workers=1)
    )
    assert serial == parallel == [(n, n * n) for n in range(7)]
    assert made == list(range(7))  # the arguments are made here, in order


@postgresql_only
def test_a_planner_process_cannot_use_the_database(db: None) -> None:
    practice = Practice.objects.create(slug="regio-001", name="Regio 1", city="Regiostad")
    jobs = planners.pipelined([practice.pk], _count_practice, lambda pk: (pk,), workers=1)
    with pytest.raises(RuntimeError, match="does not use the database"):
        list(jobs)


def _region_rows() -> dict[str, list[tuple[object, ...]]]:
    """What the region holds, without keys, public ids or check-in codes."""
    return {
        "appointments": sorted(
            Appointment.objects.filter(practice__slug__startswith="regio-").values_list(
                "practice__slug",
                "patient__bsn",
                "practitioner__user__email",
                "starts_at",
                "status",
                "channel",
                "booked_at",
                "cancelled_at",
                "queue_number",
            )
        ),
        "slots": sorted(
            Slot.objects.filter(practice__slug__startswith="regio-").values_list(
                "practice__slug",
                "practitioner__user__email",
                "starts_at",
                "online",
                "appointment__patient__bsn",
            )
        ),
        "journal": sorted(
            JournalEntry.objects.filter(practice__slug__startswith="regio-").values_list(
                "patient__bsn", "contact_on", "kind", "subjective", "plan", "episode__icpc_code"
            )
        ),
        "outbox": sorted(
            (bsn, status, str(payload["authoredOn"]), payload["medicationCodeableConcept"]["text"])
            for bsn, status, payload in OutboxMessage.objects.filter(
                practice__slug__startswith="regio-"
            ).values_list("item__request__patient__bsn", "status", "payload")
        ),
        "results": sorted(
            LabResult.objects.filter(practice__slug__startswith="regio-").values_list(
                "patient__bsn", "test__nhg_code", "observed_at", "value", "flag", "comment"
            )
        ),
    }


@postgresql_only
def test_the_region_from_planner_processes_is_the_region_made_in_one(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(region, "build_region_results", lambda **kwargs: region.Made(0, 0, 0, 0.0))
    monkeypatch.setattr(
        region, "build_region_care", lambda **kwargs: region.Care(0, 0, 0, 0, 0, 0.0)
    )
    generator.load(region_practices=2, patients_per_practice=PATIENTS, demo_patients=20)
    monkeypatch.undo()
    # One moment for both runs: what is past and what is ahead is the same.
    now = timezone.now()
    monkeypatch.setattr(care.timezone, "now", lambda: now)
    made = {}
    for workers in (0, 1):
        monkeypatch.setattr(care, "workers_for", lambda practices, w=workers: w)
        monkeypatch.setattr(results, "workers_for", lambda practices, w=workers: w)
        with transaction.atomic():
            lab = region.build_region_results()
            year = region.build_region_care()
            made[workers] = (lab.results, year.rows, _region_rows())
            transaction.set_rollback(True)
    (lab_serial, rows_serial, serial), (lab_parallel, rows_parallel, parallel) = made[0], made[1]
    assert lab_serial == lab_parallel > 0
    assert rows_serial == rows_parallel and rows_serial["appointment"] > 2.5 * PATIENTS
    for name, stored in serial.items():
        assert stored, name
        assert parallel[name] == stored, name


@postgresql_only
def test_the_agenda_in_time_order_still_refuses_a_double_booking(db: None) -> None:
    generator.load(region_practices=1, patients_per_practice=PATIENTS, demo_patients=20)
    booked = (
        Appointment.objects.filter(practice__slug="regio-001")
        .exclude(status=AppointmentStatus.CANCELLED)
        .order_by("starts_at")
        .first()
    )
    assert booked is not None
    twin = Appointment.objects.get(pk=booked.pk)
    twin.pk = None
    twin.public_id = uuid.uuid4()
    twin.checkin_code = new_checkin_code()
    twin.starts_at = booked.starts_at + timedelta(minutes=1)
    twin.ends_at = booked.ends_at + timedelta(minutes=1)
    with pytest.raises(Exception, match="appointment_no_overlap"), transaction.atomic():
        Appointment.objects.bulk_create([twin])
