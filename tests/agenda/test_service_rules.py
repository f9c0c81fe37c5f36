"""Every agenda service refuses the wrong role and the wrong practice itself (not only its
view), and bad input gets a clear Dutch error with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from spreekuur.agenda import services
from spreekuur.agenda.models import (
    AppointmentStatus,
    KioskDevice,
    ScheduleBlock,
    ScheduleException,
)
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.triage import services as triage_services
from spreekuur.triage.models import RedFlag
from tests.agenda.conftest import Agenda, book_online

Call = Callable[[Agenda, object], object]


def _absence(agenda: Agenda) -> ScheduleException:
    absence, _standing = services.add_absence(
        practitioner=agenda.gp,
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 3, 2),
        kind="verlof",
        note="",
        by=agenda.cast.manager_a,
    )
    return absence


def _block(agenda: Agenda) -> ScheduleBlock:
    return ScheduleBlock.objects.create(
        practice=agenda.cast.practice_a,
        practitioner=agenda.gp,
        weekday=6,
        dagdeel="ochtend",
        starts=time(8),
        ends=time(9),
    )


def _flag(agenda: Agenda) -> RedFlag:
    return RedFlag.objects.create(
        practice=agenda.cast.practice_a,
        code="praktijk-x",
        question="Een vraag?",
        advice="spoedlijn",
    )


def _kiosk(agenda: Agenda) -> KioskDevice:
    return KioskDevice.objects.create(
        practice=agenda.cast.practice_a, name="Zuil", created_by=agenda.cast.manager_a
    )


MANAGER_SERVICES: dict[str, Call] = {
    "add_absence": lambda a, by: services.add_absence(
        practitioner=a.gp,
        starts_on=date(2027, 1, 4),
        ends_on=date(2027, 1, 5),
        kind="cursus",
        note="",
        by=by,
    ),
    "remove_absence": lambda a, by: services.remove_absence(absence=_absence(a), by=by),
    "remove_schedule_block": lambda a, by: services.remove_schedule_block(block=_block(a), by=by),
    "update_booking_rules": lambda a, by: services.update_booking_rules(
        practice=a.cast.practice_a, by=by, horizon_days=7
    ),
    "save_appointment_type": lambda a, by: services.save_appointment_type(
        practice=a.cast.practice_a,
        by=by,
        name="Nieuw",
        duration_minutes=10,
        offered_by=["huisarts"],
    ),
    "add_red_flag": lambda a, by: triage_services.add_red_flag(
        practice=a.cast.practice_a,
        question="Heeft u een wond die niet stopt met bloeden?",
        advice="112",
        by=by,
    ),
    "switch_off_red_flag": lambda a, by: triage_services.switch_off_red_flag(flag=_flag(a), by=by),
}


@pytest.mark.parametrize("service", sorted(MANAGER_SERVICES))
@pytest.mark.parametrize("who", ["assistant_a", "gp_a", "patient_user_a", "manager_b"])
def test_set_up_services_are_for_the_practices_own_manager(
    agenda: Agenda, service: str, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        MANAGER_SERVICES[service](agenda, getattr(agenda.cast, who))


@pytest.mark.parametrize("who", ["gp_a", "poh_a", "patient_user_a", "manager_b"])
def test_only_the_practices_manager_or_assistant_switch_kiosks(agenda: Agenda, who: str) -> None:
    by = getattr(agenda.cast, who)
    with pytest.raises(PermissionDenied):
        services.register_kiosk(practice=agenda.cast.practice_a, name="Zuil", by=by)
    with pytest.raises(PermissionDenied):
        services.revoke_kiosk(kiosk=_kiosk(agenda), by=by)


DESK_SERVICES: dict[str, Callable[..., object]] = {
    "mark_arrived": services.mark_arrived,
    "mark_no_show": services.mark_no_show,
    "mark_completed": services.mark_completed,
    "call_in": services.call_in,
}


@pytest.mark.parametrize("service", sorted(DESK_SERVICES))
@pytest.mark.parametrize("who", ["manager_a", "patient_user_a", "gp_b", "manager_b"])
def test_the_day_at_the_desk_is_for_care_and_desk_staff_of_the_practice(
    agenda: Agenda, service: str, who: str
) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    with pytest.raises(PermissionDenied):
        DESK_SERVICES[service](appointment=appointment, by=getattr(agenda.cast, who))
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("who", ["manager_a", "gp_b", "patient_user_b"])
def test_moving_is_refused_to_others(agenda: Agenda, who: str) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    with pytest.raises(PermissionDenied):
        services.reschedule_appointment(
            appointment=appointment, slot=agenda.slots[3], by=getattr(agenda.cast, who)
        )


def test_completed_and_cancelled_appointments_stay_as_they_are(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    services.mark_completed(appointment=appointment, by=agenda.cast.gp_a)
    with pytest.raises(BusinessRuleError):
        services.mark_arrived(appointment=appointment, by=agenda.cast.assistant_a)
    with pytest.raises(BusinessRuleError):
        services.cancel_appointment(appointment=appointment, by=agenda.cast.assistant_a)


def test_bad_set_up_input_gets_a_dutch_error_and_writes_nothing(agenda: Agenda) -> None:
    manager = agenda.cast.manager_a
    with pytest.raises(BusinessRuleError, match="einddatum"):
        services.add_absence(
            practitioner=agenda.gp,
            starts_on=date(2027, 1, 5),
            ends_on=date(2027, 1, 4),
            kind="verlof",
            note="",
            by=manager,
        )
    with pytest.raises(BusinessRuleError, match="soort afwezigheid"):
        services.add_absence(
            practitioner=agenda.gp,
            starts_on=date(2027, 1, 4),
            ends_on=date(2027, 1, 4),
            kind="vakantie",
            note="",
            by=manager,
        )
    assert not ScheduleException.objects.exists()
    with pytest.raises(BusinessRuleError, match="eindtijd"):
        services.add_schedule_block(
            practitioner=agenda.gp,
            weekday=1,
            starts=time(10),
            ends=time(9),
            slot_minutes=10,
            online_per_hour=0,
            by=manager,
        )
    with pytest.raises(ValidationError):
        services.update_booking_rules(practice=agenda.cast.practice_a, by=manager, horizon_days=0)
    with pytest.raises(ValueError, match="Not a booking rule"):
        services.update_booking_rules(practice=agenda.cast.practice_a, by=manager, foo=1)
    with pytest.raises(BusinessRuleError, match="al een soort afspraak"):
        services.save_appointment_type(
            practice=agenda.cast.practice_a,
            by=manager,
            name="consult",
            duration_minutes=10,
            offered_by=["huisarts"],
        )
    with pytest.raises(BusinessRuleError, match="aanbiedt"):
        services.save_appointment_type(
            practice=agenda.cast.practice_a,
            by=manager,
            name="Leeg",
            duration_minutes=10,
            offered_by=[],
        )
    with pytest.raises(BusinessRuleError, match="voluit"):
        triage_services.add_red_flag(
            practice=agenda.cast.practice_a, question="Pijn?", advice="112", by=manager
        )
    with pytest.raises(BusinessRuleError, match="naam"):
        services.register_kiosk(practice=agenda.cast.practice_a, name="  ", by=manager)
    assert not KioskDevice.objects.exists()
    rules = services.update_booking_rules(practice=agenda.cast.practice_a, by=manager)
    assert rules.horizon_days == 14


def test_an_absence_of_another_practices_practitioner_is_refused(agenda: Agenda) -> None:
    from spreekuur.accounts.models import Membership

    gp_b = Membership.objects.get(user=agenda.cast.gp_b)
    with pytest.raises(PermissionDenied):
        services.add_absence(
            practitioner=gp_b,
            starts_on=date(2027, 2, 1),
            ends_on=date(2027, 2, 2),
            kind="verlof",
            note="",
            by=agenda.cast.manager_a,
        )
