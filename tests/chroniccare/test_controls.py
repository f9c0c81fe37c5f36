"""A control recorded in one go (its measurements go into the record; all or nothing),
and the due list it drives: a new participant at once, a control at the date set or the
programme's interval after the last, the annual check-up a year after the last one."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from spreekuur.chroniccare import selectors, services
from spreekuur.chroniccare.models import Control, ControlKind, EndReason, Enrolment
from spreekuur.chroniccare.planning import months_after
from spreekuur.chroniccare.selectors import Due
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditEntry, Practice
from spreekuur.dossier.models import Measurement, MeasurementSource
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _enrol(
    cast: Cast, programme: str = "diabetes", days_ago: int = 400, **extra: object
) -> Enrolment:
    return services.enrol_patient(
        patient=cast.patient_a,
        programme=programme,
        started_on=timezone.localdate() - timedelta(days=days_ago),
        by=cast.poh_a,
        **extra,  # type: ignore[arg-type]
    )


def test_a_control_stores_its_measurements_in_the_record(cast: Cast) -> None:
    enrolment = _enrol(cast)
    today = timezone.localdate()
    control = services.record_control(
        enrolment=enrolment,
        kind=ControlKind.CONTROL,
        held_on=today,
        measurements={"1744": Decimal(134), "1740": Decimal(82), "357": Decimal("88.4")},
        advice="Meer bewegen; voetcontrole bij de podotherapeut.",
        next_on=today + timedelta(days=91),
        by=cast.poh_a,
    )
    stored = {m.test.nhg_code: m.value for m in Measurement.objects.filter(patient=cast.patient_a)}
    assert stored == {"1744": Decimal(134), "1740": Decimal(82), "357": Decimal("88.4")}
    assert {m.source for m in Measurement.objects.all()} == {MeasurementSource.PRACTICE}
    bp = Measurement.objects.get(test__nhg_code="1740")
    assert bp.pair is not None and bp.pair.test.nhg_code == "1744"  # one reading
    assert control.advice.startswith("Meer bewegen")
    entry = AuditEntry.objects.filter(object_kind="chronic_control").get()
    assert entry.detail == "diabetes: controle" and entry.patient == cast.patient_a


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"measurements": {"2816": Decimal(50)}}, "kan hier niet"),  # HbA1c: from the lab
        ({"measurements": {"1675": Decimal(70)}}, "hoort niet bij dit programma"),
        ({"measurements": {"1744": Decimal(400), "1740": Decimal(80)}}, "kan niet kloppen"),
        ({"held_on": date(2000, 1, 1)}, "voor de start"),
        ({"kind": "zomaar"}, "controle of jaarcontrole"),
        ({"next_on": "same"}, "volgende controle ligt na"),
    ],
)
def test_a_wrong_control_stores_nothing(cast: Cast, change: dict[str, object], reason: str) -> None:
    enrolment = _enrol(cast)
    today = timezone.localdate()
    given: dict[str, object] = {
        "enrolment": enrolment,
        "kind": ControlKind.CONTROL,
        "held_on": today,
        "measurements": {"357": Decimal(80), "1744": Decimal(130), "1740": Decimal(80)},
        "by": cast.poh_a,
    }
    given.update(change)
    if given.get("next_on") == "same":
        given["next_on"] = today
    with pytest.raises(BusinessRuleError, match=reason):
        services.record_control(**given)  # type: ignore[arg-type]
    assert not Control.objects.exists() and not Measurement.objects.exists()


def test_a_stopped_enrolment_or_another_practice_takes_no_control(cast: Cast) -> None:
    enrolment = _enrol(cast)
    with pytest.raises(PermissionDenied):
        services.record_control(
            enrolment=enrolment,
            kind=ControlKind.CONTROL,
            held_on=timezone.localdate(),
            measurements={},
            by=cast.gp_b,
        )
    services.end_enrolment(
        enrolment=enrolment, ended_on=timezone.localdate(), reason=EndReason.DECEASED, by=cast.gp_a
    )
    with pytest.raises(BusinessRuleError, match="niet \\(meer\\) mee"):
        services.record_control(
            enrolment=enrolment,
            kind=ControlKind.CONTROL,
            held_on=timezone.localdate(),
            measurements={},
            by=cast.poh_a,
        )


def _due(practice: Practice, today: date, within_days: int = 14, **filters: object) -> list[Due]:
    found = selectors.due_list(practice, today=today, within_days=within_days, **filters)
    return selectors.due_rows(found, today=today, within_days=within_days)


def test_months_after_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert months_after(date(2026, 12, 6), 12) == date(2027, 12, 6)


def test_the_due_list_follows_the_controls(cast: Cast) -> None:
    today = timezone.localdate()
    enrolment = _enrol(cast, main_practitioner=cast.poh_a.membership)
    # Never seen since enrolling: the check-up is due (and overdue) from the start.
    [due] = _due(cast.practice_a, today)
    assert (due.kind, due.due_on, due.last_on) == (
        ControlKind.CHECKUP,
        enrolment.started_on,
        None,
    )
    assert due.overdue_on(today)
    # The check-up two months ago: the next control is three months after it (diabetes),
    # so due in a month: outside the two weeks ahead, inside six weeks.
    checkup_on = months_after(today, -2)
    services.record_control(
        enrolment=enrolment,
        kind=ControlKind.CHECKUP,
        held_on=checkup_on,
        measurements={},
        by=cast.poh_a,
    )
    assert _due(cast.practice_a, today) == []
    [due] = _due(cast.practice_a, today, within_days=42)
    assert (due.kind, due.due_on) == (ControlKind.CONTROL, months_after(checkup_on, 3))
    assert not due.overdue_on(today)
    # A control that sets its own next date is followed.
    services.record_control(
        enrolment=enrolment,
        kind=ControlKind.CONTROL,
        held_on=today - timedelta(days=1),
        measurements={},
        next_on=today + timedelta(days=7),
        by=cast.poh_a,
    )
    [due] = _due(cast.practice_a, today)
    assert (due.kind, due.due_on) == (ControlKind.CONTROL, today + timedelta(days=7))
    # Per practitioner: the POH's list has it, the GP's has not; another practice never.
    assert len(_due(cast.practice_a, today, practitioner=cast.poh_a.membership)) == 1
    assert _due(cast.practice_a, today, practitioner=cast.gp_a.membership) == []
    assert _due(cast.practice_b, today) == []


def test_a_stopped_participant_is_never_due(cast: Cast) -> None:
    enrolment = _enrol(cast, programme="af")
    services.end_enrolment(
        enrolment=enrolment,
        ended_on=timezone.localdate(),
        reason=EndReason.LEFT_PRACTICE,
        by=cast.gp_a,
    )
    assert _due(cast.practice_a, timezone.localdate()) == []


def test_the_due_list_is_one_query_and_a_page_one_more(
    cast: Cast, django_assert_num_queries: object
) -> None:
    from tests.factories import PatientFactory

    for _ in range(5):
        patient = PatientFactory(practice=cast.practice_a)
        services.enrol_patient(
            patient=patient,
            programme="cvrm",
            started_on=timezone.localdate(),
            by=cast.gp_a,
        )
    today = timezone.localdate()
    found = selectors.due_list(cast.practice_a, today=today)
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert found.count() == 5
    # A page: its enrolments with patient and practitioner in one query, their last
    # invitations in one more.
    with django_assert_num_queries(2):  # type: ignore[operator]
        shown = selectors.due_rows(found[:3], today=today)
        assert all(due.enrolment and due.enrolment.patient.family_name for due in shown)
    assert len(shown) == 3


def test_the_due_list_sorts_in_sql_as_it_plans(cast: Cast) -> None:
    """The order and the dates the database gives are those the rows plan in Python:
    overdue first, then by date, then by name; a check-up once it falls in the horizon."""
    from tests.factories import PatientFactory

    today = timezone.localdate()
    started = today - timedelta(days=800)
    # (family name, last check-up months ago, last control days ago, next set in days)
    plans = [
        ("Bakker", 11, 20, 5),  # control in 5 days; check-up in a month: the control
        ("Aalders", 12, 95, None),  # check-up today, control overdue: the check-up
        ("Claassen", 3, 80, None),  # control (3 months after 80 days ago) in ~10 days
        ("Dijkstra", 6, 30, 60),  # nothing within two weeks
        ("Ahmed", 13, 100, None),  # check-up a month overdue
    ]
    for name, checkup_months, control_days, next_in in plans:
        patient = PatientFactory(practice=cast.practice_a, family_name=name)
        enrolment = services.enrol_patient(
            patient=patient, programme="diabetes", started_on=started, by=cast.poh_a
        )
        services.record_control(
            enrolment=enrolment,
            kind=ControlKind.CHECKUP,
            held_on=months_after(today, -checkup_months),
            measurements={},
            by=cast.poh_a,
        )
        services.record_control(
            enrolment=enrolment,
            kind=ControlKind.CONTROL,
            held_on=today - timedelta(days=control_days),
            measurements={},
            next_on=None if next_in is None else today + timedelta(days=next_in),
            by=cast.poh_a,
        )
    rows = _due(cast.practice_a, today)
    assert [row.enrolment.patient.family_name for row in rows if row.enrolment] == [
        "Ahmed",
        "Aalders",
        "Bakker",
        "Claassen",
    ]
    assert [row.kind for row in rows] == [
        ControlKind.CHECKUP,
        ControlKind.CHECKUP,
        ControlKind.CONTROL,
        ControlKind.CONTROL,
    ]
    assert [row.due_on for row in rows] == sorted(row.due_on for row in rows)
    assert selectors.due_counts(cast.practice_a, today=today) == {"diabetes": 4}


def test_a_control_entered_late_does_not_move_the_planning_back(cast: Cast) -> None:
    """A control written down afterwards, dated before the last one, leaves the plan made
    by the last one; `replan` makes the same plan again from the controls."""
    today = timezone.localdate()
    enrolment = _enrol(cast)
    services.record_control(
        enrolment=enrolment,
        kind=ControlKind.CHECKUP,
        held_on=today - timedelta(days=10),
        measurements={},
        next_on=today + timedelta(days=80),
        by=cast.poh_a,
    )
    services.record_control(
        enrolment=enrolment,
        kind=ControlKind.CONTROL,
        held_on=today - timedelta(days=200),
        measurements={},
        by=cast.poh_a,
    )
    planned = Enrolment.objects.get(pk=enrolment.pk)
    assert planned.last_control_on == today - timedelta(days=10)
    assert planned.last_checkup_on == today - timedelta(days=10)
    assert planned.next_control_on == today + timedelta(days=80)
    assert planned.next_checkup_on == months_after(today - timedelta(days=10), 12)
    Enrolment.objects.filter(pk=enrolment.pk).update(next_control_on=today, last_control_on=None)
    assert services.replan(Enrolment.objects.filter(pk=enrolment.pk)) == 1
    again = Enrolment.objects.get(pk=enrolment.pk)
    assert (again.last_control_on, again.next_control_on) == (
        planned.last_control_on,
        planned.next_control_on,
    )


def test_a_participant_cannot_be_stored_without_a_plan(cast: Cast) -> None:
    from django.db import IntegrityError, transaction

    enrolment = _enrol(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.filter(pk=enrolment.pk).update(next_checkup_on=None)
