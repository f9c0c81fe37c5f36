"""The day itself: arrival (at the desk or the kiosk), calling in, no-show, done."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.agenda import capabilities
from spreekuur.agenda.models import (
    ARRIVAL_EARLY,
    Appointment,
    AppointmentStatus,
    KioskDevice,
    QueueCounter,
)
from spreekuur.agenda.services.booking import log_appointment_change
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.roles import Channel
from spreekuur.triage.models import InvitationReason, QuestionnairePurpose
from spreekuur.triage.selectors.questionnaires import published_by_code
from spreekuur.triage.services import invite_patient

# A patient can check in at the kiosk from this long before the start until the end.
CHECKIN_EARLY = ARRIVAL_EARLY
CHECKIN_LATE = timedelta(minutes=30)


def _staff_locked(appointment: Appointment, by: User) -> Appointment:
    membership = active_membership(by)
    if (
        membership is None
        or not capabilities.can_use_agenda(by)
        or membership.practice_id != appointment.practice_id
    ):
        raise PermissionDenied
    return (
        Appointment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patient__practice", "practitioner__user")
        .get(pk=appointment.pk)
    )


def _next_queue_number(practice_id: int, day: date) -> int:
    counter, _created = QueueCounter.objects.select_for_update().get_or_create(
        practice_id=practice_id, day=day
    )
    counter.last_number = counter.last_number % 999 + 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _arrive(appointment: Appointment, now: datetime) -> None:
    appointment.status = AppointmentStatus.ARRIVED
    appointment.arrived_at = now
    if appointment.queue_number is None:
        appointment.queue_number = _next_queue_number(
            appointment.practice_id, timezone.localtime(now).date()
        )
    appointment.save(update_fields=["status", "arrived_at", "queue_number"])


@transaction.atomic
def mark_arrived(*, appointment: Appointment, by: User, now: datetime | None = None) -> Appointment:
    now = now or timezone.now()
    appointment = _staff_locked(appointment, by)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW):
        raise BusinessRuleError(_("Deze afspraak kan niet meer als aangemeld worden gezet."))
    if not appointment.arrival_open(now):
        raise BusinessRuleError(
            _("Aanmelden kan alleen op de dag van de afspraak, vanaf twee uur voor de begintijd.")
        )
    _arrive(appointment, now)
    log_appointment_change(appointment, by, "aangemeld")
    return appointment


@transaction.atomic
def undo_arrival(*, appointment: Appointment, by: User) -> Appointment:
    """A patient marked as arrived by mistake: planned again, off the waiting-room screen.
    The queue number stays, so a real arrival later gets the same number."""
    appointment = _staff_locked(appointment, by)
    if not appointment.is_arrived:
        raise BusinessRuleError(_("Deze afspraak staat niet op aangemeld."))
    appointment.status = AppointmentStatus.BOOKED
    appointment.arrived_at = None
    appointment.called_at = None
    appointment.save(update_fields=["status", "arrived_at", "called_at"])
    log_appointment_change(appointment, by, "aanmelding teruggedraaid")
    return appointment


@transaction.atomic
def mark_no_show(*, appointment: Appointment, by: User, now: datetime | None = None) -> Appointment:
    now = now or timezone.now()
    appointment = _staff_locked(appointment, by)
    if appointment.status != AppointmentStatus.BOOKED:
        raise BusinessRuleError(
            _("Alleen een geplande afspraak kan op 'niet verschenen' worden gezet.")
        )
    if appointment.starts_at > now:
        raise BusinessRuleError(_("Deze afspraak is nog niet begonnen."))
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.save(update_fields=["status"])
    log_appointment_change(appointment, by, "niet verschenen")
    return appointment


@transaction.atomic
def mark_completed(*, appointment: Appointment, by: User) -> Appointment:
    appointment = _staff_locked(appointment, by)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
        raise BusinessRuleError(_("Deze afspraak kan niet op 'afgerond' worden gezet."))
    appointment.status = AppointmentStatus.COMPLETED
    appointment.save(update_fields=["status"])
    log_appointment_change(appointment, by, "afgerond")
    return appointment


@transaction.atomic
def call_in(*, appointment: Appointment, by: User, now: datetime | None = None) -> Appointment:
    """Call the patient in: the waiting-room screen shows the practitioner and the number."""
    now = now or timezone.now()
    appointment = _staff_locked(appointment, by)
    if appointment.status != AppointmentStatus.ARRIVED or appointment.queue_number is None:
        raise BusinessRuleError(_("Alleen een aangemelde patiënt kan worden opgeroepen."))
    if not appointment.is_on_day_of(now):
        raise BusinessRuleError(_("Oproepen kan alleen op de dag van de afspraak."))
    appointment.called_at = now
    appointment.save(update_fields=["called_at"])
    log_appointment_change(appointment, by, "opgeroepen")
    return appointment


@transaction.atomic
def undo_call_in(*, appointment: Appointment, by: User) -> Appointment:
    """Called in by mistake: the number leaves the waiting-room screen, the patient waits."""
    appointment = _staff_locked(appointment, by)
    if not appointment.is_arrived or appointment.called_at is None:
        raise BusinessRuleError(_("Deze patiënt is niet opgeroepen."))
    appointment.called_at = None
    appointment.save(update_fields=["called_at"])
    log_appointment_change(appointment, by, "oproep teruggedraaid")
    return appointment


@dataclass(frozen=True)
class CheckIn:
    numbers: list[int]
    ambiguous: bool = False  # more than one person matched: the desk sorts it out

    @property
    def found(self) -> bool:
        return bool(self.numbers)


def normalise_house_number(value: str) -> str:
    """'12 a', '12A' and '12-a' are one house number."""
    return re.sub(r"[^0-9a-z]", "", value.lower())


def _kiosk_candidates(kiosk: KioskDevice, now: datetime, **match: object) -> list[Appointment]:
    return list(
        Appointment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patient__practice")
        .filter(
            practice_id=kiosk.practice_id,
            status=AppointmentStatus.BOOKED,
            starts_at__lte=now + CHECKIN_EARLY,
            ends_at__gte=now - CHECKIN_LATE,
            **match,
        )
    )


def _check_in_all(appointments: list[Appointment], kiosk: KioskDevice, now: datetime) -> CheckIn:
    numbers = []
    for appointment in sorted(appointments, key=lambda a: a.starts_at):
        _arrive(appointment, now)
        log_appointment_change(
            appointment, None, f"aangemeld bij zuil {kiosk.public_id}", channel=Channel.PUBLIC
        )
        numbers.append(appointment.queue_number or 0)
    return CheckIn(numbers)


@transaction.atomic
def check_in_by_birth_date(
    *, kiosk: KioskDevice, born: date, house_number: str, now: datetime | None = None
) -> CheckIn:
    """Check in today's appointment(s) of whoever was born on this day at this house
    number. The kiosk learns the queue numbers only: never a name or a time."""
    now = now or timezone.now()
    if kiosk.revoked_at is not None:
        raise PermissionDenied
    wanted = normalise_house_number(house_number)
    if not wanted:
        return CheckIn([])
    matches = [
        appointment
        for appointment in _kiosk_candidates(kiosk, now, patient__date_of_birth=born)
        if normalise_house_number(appointment.patient.house_number) == wanted
    ]
    if len({appointment.patient_id for appointment in matches}) > 1:
        # Twins at one address, or two streets with the same number: checking in both
        # would tell each a number that is not theirs.
        return CheckIn([], ambiguous=True)
    return _check_in_all(matches, kiosk, now)


@transaction.atomic
def check_in_by_code(*, kiosk: KioskDevice, code: str, now: datetime | None = None) -> CheckIn:
    """Check in with the code from the confirmation (its QR code or typed)."""
    now = now or timezone.now()
    if kiosk.revoked_at is not None:
        raise PermissionDenied
    cleaned = re.sub(r"[^A-Z0-9]", "", code.upper().removeprefix("SPREEKUUR:"))
    if not cleaned:
        return CheckIn([])
    matches = _kiosk_candidates(kiosk, now, checkin_code=cleaned)
    return _check_in_all(matches, kiosk, now)


@transaction.atomic
def attach_preparation(*, appointment: Appointment, code: str, by: User) -> Appointment:
    """Staff put a consult-preparation questionnaire ready for a booked appointment that
    has none yet: the patient can fill it in until the appointment starts."""
    appointment = _staff_locked(appointment, by)
    if appointment.status != AppointmentStatus.BOOKED:
        raise BusinessRuleError(_("Alleen bij een geplande afspraak."))
    if appointment.preparation_id is not None:
        raise BusinessRuleError(_("Bij deze afspraak staat al een vragenlijst klaar."))
    questionnaire = published_by_code(
        appointment.patient.practice, code, purpose=QuestionnairePurpose.PREPARATION
    )
    if questionnaire is None:
        raise BusinessRuleError(_("Kies een voorbereidende vragenlijst die in gebruik is."))
    appointment.preparation = invite_patient(
        questionnaire=questionnaire,
        patient=appointment.patient,
        by=by,
        reason=InvitationReason.APPOINTMENT,
        answer_before=appointment.starts_at,
    )
    appointment.save(update_fields=["preparation"])
    return appointment
