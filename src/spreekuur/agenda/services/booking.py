"""Booking, cancelling and moving appointments: the rules of the webagenda.

Lock order, everywhere: the patient row, then the appointment being changed, then slot
rows by start time. Slots are re-read under lock, so a slot shown a second ago may turn
out to be taken: that is `SlotTaken`, a normal outcome with a Dutch message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.agenda import capabilities, notifications, selectors
from spreekuur.agenda.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
    BookingRules,
    Slot,
)
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction, Practice
from spreekuur.patients.models import Patient
from spreekuur.patients.selectors import patient_profile
from spreekuur.triage.models import TriageUse
from spreekuur.triage.selectors import red_flags_for
from spreekuur.triage.services import (
    check_triage,
    move_preparation,
    prepare_for_appointment,
    refuse_after_call_advice,
    take_for,
    withdraw_preparation,
)

MAX_REASON_LENGTH = 300


class SlotTaken(BusinessRuleError):
    def __init__(self) -> None:
        super().__init__(
            _("Dit tijdstip is net door iemand anders geboekt. Kies een van de andere tijden.")
        )


def _patient_locked(patient: Patient) -> Patient:
    """Serialises one patient's bookings (the maximum of open appointments). NO KEY: the
    key does not change, and a plain FOR UPDATE would block, until this transaction ends,
    the foreign-key check of any audit entry about this patient committing meanwhile,
    which holds the practice's audit chain that this transaction needs next: a deadlock."""
    locked = Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    # Keep the practice and portal user already loaded: they cannot change under the lock
    # that matters here, and each would cost a query again (audit entry, notification).
    locked.practice = patient.practice
    if Patient.user.is_cached(patient):
        locked.user = patient.user
    return locked


def _slots_for_booking(
    slot: Slot, appointment_type: AppointmentType, *, online: bool
) -> list[Slot]:
    """Lock and return the back-to-back free slots the appointment needs, or SlotTaken."""
    needed_until = slot.starts_at + timedelta(minutes=appointment_type.duration_minutes)
    run = list(
        Slot.objects.select_for_update()
        .filter(
            practitioner_id=slot.practitioner_id,
            starts_at__gte=slot.starts_at,
            starts_at__lt=needed_until,
        )
        .order_by("starts_at", "id")
    )
    if not run or run[0].starts_at != slot.starts_at:
        raise SlotTaken  # the slot itself is gone (the template changed)
    covered = run[0].starts_at
    for part in run:
        if part.starts_at != covered or part.appointment_id is not None:
            raise SlotTaken
        if online and not part.online:
            raise SlotTaken
        covered = part.ends_at
    if covered < needed_until:
        raise SlotTaken
    return run


def _check_online_rules(
    *,
    rules: BookingRules,
    patient: Patient,
    slot: Slot,
    appointment_type: AppointmentType,
    now: datetime,
    moving: Appointment | None,
) -> None:
    if not rules.online_booking_enabled:
        raise BusinessRuleError(_("Deze praktijk biedt nu geen online afspraken aan."))
    if not appointment_type.online_bookable or not appointment_type.active:
        raise BusinessRuleError(_("Deze soort afspraak kunt u niet online maken."))
    if appointment_type.duration_minutes > rules.max_online_minutes:
        raise BusinessRuleError(_("Deze soort afspraak kunt u niet online maken."))
    window = selectors.online_window(rules, now)
    if slot.starts_at < window.earliest:
        raise BusinessRuleError(
            _("Een online afspraak maakt u minimaal %(minutes)s minuten van tevoren.")
            % {"minutes": rules.min_notice_minutes}
        )
    if slot.starts_at >= window.latest:
        raise BusinessRuleError(
            _("Online kunt u tot %(days)s dagen vooruit een afspraak maken.")
            % {"days": rules.horizon_days}
        )
    if selectors.open_online_count(patient, now=now, exclude=moving) >= rules.max_open_online:
        raise BusinessRuleError(
            _(
                "U heeft al %(count)s online afspraken staan. Dat is het maximum van uw praktijk;"
                " annuleer er een of bel de praktijk."
            )
            % {"count": rules.max_open_online}
        )


def _lead_time_minutes(
    *,
    practice: Practice,
    rules: BookingRules,
    appointment_type: AppointmentType,
    slot: Slot,
    online: bool,
    now: datetime,
) -> int | None:
    """Minutes from now to the first free start for this practitioner and type."""
    latest = now + timedelta(days=selectors.STAFF_SEARCH_DAYS)
    earliest = now
    if online:
        window = selectors.online_window(rules, now)
        earliest, latest = window.earliest, window.latest
    first = selectors.first_free_start(
        practice=practice,
        appointment_type=appointment_type,
        practitioners=[slot.practitioner],
        online=online,
        earliest=earliest,
        latest=latest,
    )
    if first is None:
        return None
    return max(0, int((first - now).total_seconds() // 60))


def _channel_for(by: User, patient: Patient, channel: str) -> str:
    """Who may book in which channel: staff by phone or at the desk, the patient online.

    Staff come first: a doctor who is also a patient of the practice books for others
    as staff, and their own portal booking goes through a patient account."""
    membership = active_membership(by)
    if membership is not None:
        if not capabilities.can_use_agenda(by) or membership.practice_id != patient.practice_id:
            raise PermissionDenied
        if channel not in (BookingChannel.PHONE, BookingChannel.DESK):
            raise BusinessRuleError(
                _("Kies of de afspraak telefonisch of aan de balie is gemaakt.")
            )
        return channel
    if patient_profile(by) is None or not capabilities.can_book_online(by):
        raise PermissionDenied
    if patient.user_id != by.pk:
        raise PermissionDenied
    return BookingChannel.ONLINE


def _check_no_overlap(slot: Slot, ends_at: datetime) -> None:
    """No other active appointment of this practitioner in this time. PostgreSQL's
    exclusion constraint says the same; this check holds on SQLite too (its writers are
    serialised), for instance after a template change made slots that overlap a booking."""
    if (
        Appointment.objects.filter(
            practitioner_id=slot.practitioner_id, starts_at__lt=ends_at, ends_at__gt=slot.starts_at
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .exists()
    ):
        raise SlotTaken


@transaction.atomic
def book_appointment(
    *,
    patient: Patient,
    slot: Slot,
    appointment_type: AppointmentType,
    reason: str,
    by: User,
    triage_answers: Mapping[str, bool] | None = None,
    self_triage: str | None = None,
    channel: str = BookingChannel.ONLINE,
    desk_note: str = "",
    now: datetime | None = None,
    _moving: Appointment | None = None,
) -> Appointment:
    """Book a slot (and the ones after it, for a longer type) for a patient.

    Online (the patient themselves): the red-flag answers must all be "no", no self-triage
    of the last hours said "call", and the practice's release rules hold; a booking made
    from a self-triage (`self_triage`, its public id) takes that session along, if its
    outcome allows booking. Staff book any free slot of their own practice."""
    now = now or timezone.now()
    channel = _channel_for(by, patient, channel)
    online = channel == BookingChannel.ONLINE
    if (
        slot.practice_id != patient.practice_id
        or appointment_type.practice_id != patient.practice_id
    ):
        raise PermissionDenied
    if not appointment_type.active:
        raise BusinessRuleError(_("Deze soort afspraak is niet meer in gebruik."))
    if not appointment_type.offered_by_role(slot.practitioner.role):
        raise BusinessRuleError(
            _("Deze zorgverlener heeft geen spreekuur voor deze soort afspraak.")
        )
    reason, desk_note = reason.strip(), desk_note.strip()
    if online and desk_note:
        raise PermissionDenied  # the practice's note is written by the practice
    if max(len(reason), len(desk_note)) > MAX_REASON_LENGTH:
        raise BusinessRuleError(
            _("Houd de reden kort: hoogstens %(max)s tekens.") % {"max": MAX_REASON_LENGTH}
        )
    asked: list[dict[str, Any]] = []
    rules = selectors.booking_rules_for(patient.practice)
    # A move keeps the reason and the triage of the appointment it replaces (online, or
    # by the desk on the phone); a new online booking answers both now.
    if online and _moving is None:
        if not reason:
            raise BusinessRuleError(_("Vertel kort waarvoor u de afspraak maakt."))
        asked = check_triage(red_flags_for(patient.practice), triage_answers or {})
        refuse_after_call_advice(patient=patient, now=now)
    elif self_triage is not None:
        raise PermissionDenied  # a self-triage travels only with a new online booking
    patient = _patient_locked(patient)
    taken = _moving.self_triage if _moving is not None else None  # a move keeps it
    if self_triage is not None:
        taken = take_for(
            public_id=self_triage, patient=patient, by=by, use=TriageUse.BOOKING, now=now
        )
    if online:
        _check_online_rules(
            rules=rules,
            patient=patient,
            slot=slot,
            appointment_type=appointment_type,
            now=now,
            moving=_moving,
        )
    elif slot.starts_at < now - timedelta(hours=12):
        raise BusinessRuleError(_("Dit tijdstip ligt in het verleden."))
    lead_time = _lead_time_minutes(
        practice=patient.practice,
        rules=rules,
        appointment_type=appointment_type,
        slot=slot,
        online=online,
        now=now,
    )
    run = _slots_for_booking(slot, appointment_type, online=online)
    ends_at = run[0].starts_at + timedelta(minutes=appointment_type.duration_minutes)
    if connection.vendor != "postgresql":
        _check_no_overlap(run[0], ends_at)  # PostgreSQL's exclusion constraint does this
    try:
        # No savepoint: a refused insert ends this booking (SlotTaken leaves this function's
        # own atomic block, which rolls back), so there is nothing to go on with.
        with transaction.atomic(savepoint=False):
            appointment = Appointment.objects.create(
                practice_id=patient.practice_id,
                patient=patient,
                practitioner=slot.practitioner,
                appointment_type=appointment_type,
                starts_at=run[0].starts_at,
                ends_at=ends_at,
                channel=channel,
                reason=reason,
                desk_note=desk_note,
                triage_answers={"asked": asked},
                self_triage=taken,
                booked_by=by,
                booked_at=now,
                lead_time_minutes=lead_time,
                rescheduled_from=_moving,
            )
    except IntegrityError as error:
        # The exclusion or unique constraint: another booking overlaps (a slot made by
        # hand, or a race the row locks did not cover). Never a server error.
        raise SlotTaken from error
    Slot.objects.filter(pk__in=[part.pk for part in run]).update(appointment=appointment)
    if _moving is None:
        # In the booking's own transaction (the outbox): a crash just after the commit
        # cannot lose the confirmation, and it costs no commit of its own.
        notifications.send_booked(appointment)
    # Last: the practice's audit chain stays locked from here until the commit.
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="appointment",
        practice=patient.practice,
        patient=patient,
        object_ids=[appointment.public_id],
    )
    _prepare(appointment, moving=_moving, by=by, now=now)
    return appointment


def _prepare(
    appointment: Appointment, *, moving: Appointment | None, by: User, now: datetime
) -> None:
    """The consult-preparation questionnaire: a move takes it along (open until the new
    start); a new booking of a kind with one sends it."""
    # By its id first: a move without one costs no query for it.
    invitation = moving.preparation if moving is not None and moving.preparation_id else None
    if invitation is not None:
        move_preparation(invitation=invitation, starts_at=appointment.starts_at)
    elif moving is None and appointment.appointment_type.preparation_code:
        invitation = prepare_for_appointment(
            patient=appointment.patient,
            code=appointment.appointment_type.preparation_code,
            starts_at=appointment.starts_at,
            by=by,
            now=now,
        )
    if invitation is not None:
        appointment.preparation = invitation
        Appointment.objects.filter(pk=appointment.pk).update(preparation=invitation)


def can_change_online(appointment: Appointment, *, rules: BookingRules, now: datetime) -> bool:
    """A patient cancels or moves online until the practice's cut-off before the start."""
    return appointment.status == AppointmentStatus.BOOKED and appointment.starts_at - now >= (
        timedelta(hours=rules.change_cutoff_hours)
    )


def _check_may_change(appointment: Appointment, *, by: User, now: datetime) -> None:
    """Staff of the practice change a booked appointment; the patient changes their own
    until the cut-off. Staff come first, as in booking."""
    membership = active_membership(by)
    if membership is not None:
        if not capabilities.can_use_agenda(by) or membership.practice_id != appointment.practice_id:
            raise PermissionDenied
        if appointment.status != AppointmentStatus.BOOKED:
            raise BusinessRuleError(_("Alleen een geplande afspraak kan worden gewijzigd."))
        return
    patient = patient_profile(by)
    if patient is None or appointment.patient_id != patient.pk:
        raise PermissionDenied
    rules = selectors.booking_rules_for(appointment.patient.practice)
    if not can_change_online(appointment, rules=rules, now=now):
        raise BusinessRuleError(
            _(
                "Deze afspraak kunt u niet meer online wijzigen. Bel de praktijk als u "
                "niet kunt komen."
            )
        )


def _locked_appointment(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patient__practice", "practitioner__user", "appointment_type")
        .get(pk=appointment.pk)
    )


def _mark_cancelled(appointment: Appointment, *, by: User, now: datetime) -> None:
    """Cancelled, by whom and when, and its slots free again."""
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by = by
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    Slot.objects.filter(appointment=appointment).update(appointment=None)


def log_appointment_change(
    appointment: Appointment,
    by: User | None,
    detail: str,
    *,
    also: Sequence[Appointment] = (),
    channel: str | None = None,
) -> None:
    """The audit entry of a change to an appointment (and to the ones it led to)."""
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="appointment",
        practice=appointment.patient.practice,
        patient=appointment.patient,
        object_ids=[appointment.public_id, *(other.public_id for other in also)],
        detail=detail,
        channel=channel,
    )


@transaction.atomic
def cancel_appointment(
    *, appointment: Appointment, by: User, now: datetime | None = None, notify: bool = True
) -> Appointment:
    now = now or timezone.now()
    _patient_locked(appointment.patient)
    appointment = _locked_appointment(appointment)
    _check_may_change(appointment, by=by, now=now)
    _mark_cancelled(appointment, by=by, now=now)
    if appointment.preparation_id is not None and appointment.preparation is not None:
        withdraw_preparation(invitation=appointment.preparation, now=now)
    if notify:
        notifications.send_cancelled(appointment)  # in the same transaction, as a booking's
    log_appointment_change(appointment, by, "geannuleerd")  # last: it locks the chain
    return appointment


@transaction.atomic
def reschedule_appointment(
    *, appointment: Appointment, slot: Slot, by: User, now: datetime | None = None
) -> Appointment:
    """Move to another slot in one transaction: the new booking and the old cancellation
    stand or fall together, so a lost race leaves the old appointment as it was."""
    now = now or timezone.now()
    _patient_locked(appointment.patient)
    appointment = _locked_appointment(appointment)
    _check_may_change(appointment, by=by, now=now)
    # Old and new slot rows locked together, in start order, before any write: the same
    # order every booking uses, so a move and a booking cannot deadlock.
    needed_until = slot.starts_at + timedelta(minutes=appointment.appointment_type.duration_minutes)
    list(
        Slot.objects.select_for_update()
        .filter(
            Q(appointment=appointment)
            | Q(
                practitioner_id=slot.practitioner_id,
                starts_at__gte=slot.starts_at,
                starts_at__lt=needed_until,
            )
        )
        .order_by("starts_at", "id")
    )
    by_patient = active_membership(by) is None
    staff_channel = (
        appointment.channel
        if appointment.channel != BookingChannel.ONLINE
        else BookingChannel.PHONE
    )
    new = book_appointment(
        patient=appointment.patient,
        slot=slot,
        appointment_type=appointment.appointment_type,
        reason=appointment.reason,
        desk_note="" if by_patient else appointment.desk_note,
        by=by,
        channel=BookingChannel.ONLINE if by_patient else staff_channel,
        now=now,
        _moving=appointment,
    )
    if new.channel != appointment.channel or new.desk_note != appointment.desk_note:
        # A move keeps the channel the appointment was first made in (for the figures),
        # its triage, and the practice's note (also when the patient moves it).
        new.channel = appointment.channel
        new.triage_answers = appointment.triage_answers
        new.desk_note = appointment.desk_note
        new.save(update_fields=["channel", "triage_answers", "desk_note"])
    _mark_cancelled(appointment, by=by, now=now)
    notifications.send_booked(new, moved=True)  # in the same transaction, as a booking's
    log_appointment_change(appointment, by, "verzet", also=[new])
    return new


def record_appointments_read(
    *,
    by: User,
    practice: Practice,
    patient: Patient | None,
    appointments: list[Appointment],
    action: str = AuditAction.READ,
    detail: str = "",
) -> None:
    """One log entry per page (the patient's own list, a staff agenda view) or export.
    A staff list names the patients on screen too, as every list of patients does."""
    if not appointments:
        return
    ids: list[object] = [a.public_id for a in appointments]
    if patient is None:
        ids += sorted({str(a.patient.public_id) for a in appointments})
    record_access(
        actor=by,
        action=action,
        object_kind="appointment",
        practice=practice,
        patient=patient,
        object_ids=ids,
        detail=detail,
    )
