"""Reads of the agenda, already scoped to a practice, a patient or the acting staff member."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Case, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from spreekuur.accounts.models import Membership, User
from spreekuur.accounts.naming import staff_label
from spreekuur.accounts.selectors import active_membership
from spreekuur.agenda.models import (
    PRACTITIONER_ROLES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
    BookingRules,
    ScheduleBlock,
    ScheduleException,
    Slot,
)
from spreekuur.agenda.slots import FreeSlot, runs_that_fit
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import week_ahead
from spreekuur.core.roles import StaffRole
from spreekuur.core.selectors import schedule_for
from spreekuur.patients.models import Patient
from spreekuur.patients.selectors import patient_profile
from spreekuur.triage.models import QuestionnairePurpose
from spreekuur.triage.selectors.questionnaires import published_questionnaires

STAFF_SEARCH_DAYS = 42  # how far ahead the desk looks for a free slot


def booking_rules_for(practice: Practice) -> BookingRules:
    """The practice's rules, read once per practice object (one request, one booking)."""
    cached = getattr(practice, "_booking_rules", None)
    if isinstance(cached, BookingRules):
        return cached
    # A practice that never changed its rules has the defaults (stored on the first change).
    rules = BookingRules.objects.filter(practice=practice).first() or BookingRules(
        practice=practice
    )
    practice._booking_rules = rules  # type: ignore[attr-defined]
    return rules


def practitioners_of(practice: Practice) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(practice=practice, active=True, role__in=PRACTITIONER_ROLES)
        .select_related("user")
        .annotate(
            role_order=Case(
                When(role=StaffRole.HUISARTS, then=Value(0)),
                When(role=StaffRole.POH, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("role_order", "user__full_name")
    )


def schedule_blocks_of(practice: Practice) -> QuerySet[ScheduleBlock]:
    """The week template: each practitioner's dagdelen, by name, weekday and time."""
    return (
        ScheduleBlock.objects.filter(practice=practice)
        .select_related("practitioner__user")
        .order_by("practitioner__user__full_name", "weekday", "starts")
    )


def absences_ahead(practice: Practice, *, today: date) -> QuerySet[ScheduleException]:
    """Absences not over yet (today's included)."""
    return ScheduleException.objects.filter(practice=practice, ends_on__gte=today).select_related(
        "practitioner__user"
    )


def preparation_choices(practice: Practice) -> list[tuple[str, str]]:
    """The practice's consult-preparation questionnaires in use: (code, title)."""
    return [
        (q.code, q.title)
        for q in published_questionnaires(practice, purpose=QuestionnairePurpose.PREPARATION)
    ]


def appointment_types_of(practice: Practice) -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(practice=practice)


def online_types_for(practice: Practice, rules: BookingRules) -> list[AppointmentType]:
    return list(
        AppointmentType.objects.filter(
            practice=practice,
            active=True,
            online_bookable=True,
            duration_minutes__lte=rules.max_online_minutes,
        )
    )


def practitioners_offering(
    practice: Practice, appointment_type: AppointmentType, *, own_gp: User | None = None
) -> list[Membership]:
    """Who offers this type; the patient's own GP first."""
    found = [m for m in practitioners_of(practice) if appointment_type.offered_by_role(m.role)]
    return sorted(found, key=lambda m: (own_gp is None or m.user_id != own_gp.pk,))


def get_online_type(practice: Practice, public_id: object, rules: BookingRules) -> AppointmentType:
    return get_object_or_404(
        AppointmentType,
        practice=practice,
        public_id=public_id,
        active=True,
        online_bookable=True,
        duration_minutes__lte=rules.max_online_minutes,
    )


def get_practitioner(practice: Practice, public_id: object) -> Membership:
    return get_object_or_404(practitioners_of(practice), public_id=public_id)


@dataclass(frozen=True)
class OnlineWindow:
    earliest: datetime
    latest: datetime


def online_window(rules: BookingRules, now: datetime) -> OnlineWindow:
    """From the minimum notice to the end of the last day patients may book."""
    last_day = timezone.localtime(now).date() + timedelta(days=rules.horizon_days)
    latest = timezone.make_aware(
        datetime.combine(last_day + timedelta(days=1), datetime.min.time())
    )
    return OnlineWindow(now + timedelta(minutes=rules.min_notice_minutes), latest)


@dataclass(frozen=True)
class SlotChoice:
    slot: Slot
    run: list[Slot]
    practitioner: Membership

    @property
    def starts_at(self) -> datetime:
        return self.slot.starts_at


def free_slot_choices(
    *,
    practice: Practice,
    appointment_type: AppointmentType,
    practitioners: Sequence[Membership],
    online: bool,
    earliest: datetime,
    latest: datetime,
    limit: int,
) -> list[SlotChoice]:
    """The first free starts that can hold this type, earliest first."""
    if not practitioners:
        return []
    by_id = {m.pk: m for m in practitioners}
    free = Slot.objects.filter(
        practice=practice,
        practitioner_id__in=by_id,
        appointment__isnull=True,
        starts_at__gte=earliest,
        starts_at__lt=latest,
    ).order_by("starts_at", "practitioner_id")
    if online:
        free = free.filter(online=True)
    choices: list[SlotChoice] = []
    # Most types fit one slot: read only as many rows as needed, in pages.
    page_size = max(limit * 4, 40)
    offset = 0
    while len(choices) < limit:
        rows = list(free[offset : offset + page_size + 20])
        if not rows:
            break
        plain = [FreeSlot(s.pk, s.practitioner_id, s.starts_at, s.ends_at, s.online) for s in rows]
        slot_by_pk = {s.pk: s for s in rows}
        for first, run in runs_that_fit(
            plain[:page_size], minutes=appointment_type.duration_minutes, online_only=online
        ):
            choices.append(
                SlotChoice(
                    slot_by_pk[first.key],
                    [slot_by_pk[part.key] for part in run],
                    by_id[first.practitioner],
                )
            )
            if len(choices) >= limit:
                break
        if len(rows) <= page_size:
            break
        offset += page_size
    return choices


@dataclass(frozen=True)
class SlotPage:
    choices: list[SlotChoice]
    next_start: datetime | None  # where the next page begins; None: nothing later


def free_slot_page(
    *,
    practice: Practice,
    appointment_type: AppointmentType,
    practitioners: Sequence[Membership],
    earliest: datetime,
    latest: datetime,
    size: int,
) -> SlotPage:
    """One page of free online starts. The page ends before a whole start time, so two
    practitioners free at the same minute never fall between two pages."""
    found = free_slot_choices(
        practice=practice,
        appointment_type=appointment_type,
        practitioners=practitioners,
        online=True,
        earliest=earliest,
        latest=latest,
        limit=size + 1,
    )
    if len(found) <= size:
        return SlotPage(found, None)
    next_start = found[size].starts_at
    shown = [choice for choice in found[:size] if choice.starts_at < next_start]
    if not shown:  # more practitioners at one minute than a page holds
        return SlotPage(found[:size], found[size].starts_at + timedelta(minutes=1))
    return SlotPage(shown, next_start)


def online_types_with_times(
    practice: Practice, types: Sequence[AppointmentType], window: OnlineWindow
) -> list[AppointmentType]:
    """The online types someone still has a free online time for (one query per type):
    a type nobody offers online is not offered to the patient."""
    everyone = list(practitioners_of(practice))
    return [
        appointment_type
        for appointment_type in types
        if first_free_start(
            practice=practice,
            appointment_type=appointment_type,
            practitioners=[m for m in everyone if appointment_type.offered_by_role(m.role)],
            online=True,
            earliest=window.earliest,
            latest=window.latest,
        )
        is not None
    ]


def first_free_start(
    *,
    practice: Practice,
    appointment_type: AppointmentType,
    practitioners: Sequence[Membership],
    online: bool,
    earliest: datetime,
    latest: datetime,
) -> datetime | None:
    found = free_slot_choices(
        practice=practice,
        appointment_type=appointment_type,
        practitioners=practitioners,
        online=online,
        earliest=earliest,
        latest=latest,
        limit=1,
    )
    return found[0].starts_at if found else None


def open_online_count(
    patient: Patient, *, now: datetime, exclude: Appointment | None = None
) -> int:
    """Upcoming appointments this patient booked online (the practice caps them)."""
    upcoming = Appointment.objects.filter(
        patient=patient,
        channel=BookingChannel.ONLINE,
        status=AppointmentStatus.BOOKED,
        starts_at__gt=now,
    )
    if exclude is not None:
        upcoming = upcoming.exclude(pk=exclude.pk)
    return upcoming.count()


def _with_parts(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return appointments.select_related(
        "practitioner__user", "appointment_type", "patient", "rescheduled_to"
    )


@dataclass(frozen=True)
class PatientAppointments:
    upcoming: list[Appointment]  # planned or in the waiting room, not over yet
    cancelled: list[Appointment]  # cancelled ones that were still to come (not moved)
    past: list[Appointment]  # the most recent that are over, whatever became of them


def patient_appointment_lists(
    patient: Patient, *, now: datetime, past_limit: int = 20
) -> PatientAppointments:
    """The patient's own lists. A move shows once, as the new appointment: the one it
    replaced is neither 'cancelled' nor 'earlier'."""
    mine = appointments_of_patient(patient).filter(rescheduled_to__isnull=True)
    upcoming = list(
        mine.filter(
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED], ends_at__gte=now
        ).order_by("starts_at")
    )
    cancelled = list(
        mine.filter(status=AppointmentStatus.CANCELLED, starts_at__gte=now).order_by("starts_at")
    )
    shown = [a.pk for a in upcoming + cancelled]
    past = list(
        mine.filter(starts_at__lt=now).exclude(pk__in=shown).order_by("-starts_at")[:past_limit]
    )
    return PatientAppointments(upcoming, cancelled, past)


def appointments_of_patient(patient: Patient) -> QuerySet[Appointment]:
    return _with_parts(Appointment.objects.filter(patient=patient, practice_id=patient.practice_id))


def _found_or_denied(
    user: User, queryset: QuerySet[Appointment], public_id: UUID | str
) -> Appointment:
    """The appointment, or 404 as a refused attempt for the log (the requested id only)."""
    try:
        return queryset.get(public_id=public_id)
    except (Appointment.DoesNotExist, ValidationError):
        raise OutOfReach(actor=user, object_kind="appointment", object_ids=[public_id]) from None


def get_own_appointment(user: User, public_id: UUID | str) -> Appointment:
    """An appointment of the logged-in patient, or 404 (also for someone else's)."""
    patient = patient_profile(user)
    if patient is None:
        raise Http404
    return _found_or_denied(user, appointments_of_patient(patient), public_id)


def get_practice_appointment(user: User, public_id: UUID | str) -> Appointment:
    """An appointment of the staff member's own practice, or 404."""
    membership = active_membership(user)
    if membership is None:
        raise Http404
    return _found_or_denied(
        user, _with_parts(Appointment.objects.filter(practice_id=membership.practice_id)), public_id
    )


def get_practice_slot(practice: Practice, public_id: object) -> Slot:
    """A slot of this practice with a practitioner still at work there, or 404."""
    return get_object_or_404(
        Slot.objects.select_related("practitioner__user"),
        practice=practice,
        practitioner__active=True,
        public_id=public_id,
    )


@dataclass(frozen=True)
class OutOfHours:
    """A booked appointment that the practice's hours or the practitioner's absence no
    longer allow: the desk moves it or calls the patient."""

    appointment: Appointment
    why: str  # the day's reason ("Kerstmis", "scholing") or the kind of absence


def appointments_out_of_hours(
    practice: Practice, *, now: datetime, days: int = 56
) -> list[OutOfHours]:
    """Booked, upcoming appointments on a closed day, outside a day's exceptional hours,
    or in their practitioner's absence. Only deviating days and absences are read, so
    this stays cheap however full the agenda is."""
    today = timezone.localtime(now).date()
    deviating = {
        hours.day: hours
        for hours in week_ahead(schedule_for(practice, from_day=today), today, days)
        if hours.deviates
    }
    absences = list(
        ScheduleException.objects.filter(
            practice=practice, ends_on__gte=today, starts_on__lt=today + timedelta(days=days)
        )
    )
    reach = Q(pk__in=[])
    for day in deviating:
        start, end = _day_bounds(day)
        reach |= Q(starts_at__gte=start, starts_at__lt=end)
    for absence in absences:
        start, _ = _day_bounds(absence.starts_on)
        _, end = _day_bounds(absence.ends_on)
        reach |= Q(practitioner_id=absence.practitioner_id, starts_at__gte=start, starts_at__lt=end)
    candidates = _with_parts(
        Appointment.objects.filter(
            reach, practice=practice, status=AppointmentStatus.BOOKED, starts_at__gte=now
        )
    ).order_by("starts_at", "id")
    found = []
    for appointment in candidates:
        day = timezone.localtime(appointment.starts_at).date()
        absent = next(
            (
                a
                for a in absences
                if a.practitioner_id == appointment.practitioner_id
                and a.starts_on <= day <= a.ends_on
            ),
            None,
        )
        hours = deviating.get(day)
        if absent is not None:
            found.append(OutOfHours(appointment, absent.get_kind_display()))
        elif hours is not None and not hours.covers(
            timezone.localtime(appointment.starts_at), timezone.localtime(appointment.ends_at)
        ):
            found.append(OutOfHours(appointment, hours.reason))
    return found


@dataclass
class AgendaRow:
    """One line of a practitioner's day: a free slot or an appointment."""

    starts_at: datetime
    ends_at: datetime
    slot: Slot | None = None
    appointment: Appointment | None = None


@dataclass
class PractitionerDay:
    practitioner: Membership
    day: date
    rows: list[AgendaRow] = field(default_factory=list)

    @property
    def booked(self) -> int:
        return sum(1 for row in self.rows if row.appointment is not None)

    @property
    def free(self) -> int:
        return sum(1 for row in self.rows if row.appointment is None)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, start + timedelta(days=1)


def agenda_days(
    *, practice: Practice, days: Iterable[date], practitioners: Sequence[Membership]
) -> list[PractitionerDay]:
    """Slots and appointments (not cancelled) per practitioner per day, in two queries."""
    day_list = sorted(days)
    if not day_list or not practitioners:
        return []
    start, _ = _day_bounds(day_list[0])
    _, end = _day_bounds(day_list[-1])
    ids = [m.pk for m in practitioners]
    appointments = list(
        _with_parts(
            Appointment.objects.filter(
                practice=practice,
                practitioner_id__in=ids,
                starts_at__gte=start,
                starts_at__lt=end,
            ).exclude(status=AppointmentStatus.CANCELLED)
        )
    )
    free_slots = Slot.objects.filter(
        practice=practice,
        practitioner_id__in=ids,
        starts_at__gte=start,
        starts_at__lt=end,
        appointment__isnull=True,
    ).order_by("starts_at")
    grid: dict[tuple[int, date], PractitionerDay] = {
        (m.pk, day): PractitionerDay(m, day) for m in practitioners for day in day_list
    }
    for appointment in appointments:
        key = (appointment.practitioner_id, timezone.localtime(appointment.starts_at).date())
        if key in grid:
            grid[key].rows.append(
                AgendaRow(appointment.starts_at, appointment.ends_at, appointment=appointment)
            )
    for slot in free_slots:
        key = (slot.practitioner_id, timezone.localtime(slot.starts_at).date())
        if key in grid:
            grid[key].rows.append(AgendaRow(slot.starts_at, slot.ends_at, slot=slot))
    for entry in grid.values():
        entry.rows.sort(key=lambda row: row.starts_at)
    return [grid[(m.pk, day)] for day in day_list for m in practitioners]


def appointment_ids(days: Iterable[PractitionerDay]) -> list[str]:
    return [
        str(row.appointment.public_id)
        for day in days
        for row in day.rows
        if row.appointment is not None
    ]


@dataclass(frozen=True)
class WaitingRoomCall:
    practitioner_label: str
    number: int
    called_at: datetime


def practitioner_label(membership: Membership) -> str:
    """How the waiting-room screen names a practitioner: role and name, never a patient."""
    return staff_label(membership.role, membership.user.full_name)


WAITING_ROOM_SHOWS_CALLS_FOR = timedelta(minutes=10)


def waiting_room_calls(
    practice: Practice, *, now: datetime, limit: int = 3
) -> list[WaitingRoomCall]:
    """The latest calls of the last minutes: practitioner and queue number only."""
    rows = (
        Appointment.objects.filter(
            practice=practice,
            called_at__gte=now - WAITING_ROOM_SHOWS_CALLS_FOR,
            queue_number__isnull=False,
        )
        .select_related("practitioner__user")
        .only("queue_number", "called_at", "practitioner__role", "practitioner__user__full_name")
        .order_by("-called_at")[:limit]
    )
    return [
        WaitingRoomCall(practitioner_label(row.practitioner), row.queue_number or 0, row.called_at)  # type: ignore[arg-type]
        for row in rows
    ]


def waiting_patients(practice: Practice, *, day: date) -> dict[int, list[Appointment]]:
    """Arrived but not yet called, per practitioner: for the 'call next' buttons."""
    start, end = _day_bounds(day)
    waiting: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in Appointment.objects.filter(
        practice=practice,
        starts_at__gte=start,
        starts_at__lt=end,
        status=AppointmentStatus.ARRIVED,
        called_at__isnull=True,
    ).order_by("arrived_at"):
        waiting[appointment.practitioner_id].append(appointment)
    return waiting


# --- The start pages: today's appointments, the patient's next one ---------------------------

# Who sees their own appointments on the start page; the desk (the assistant) the practice's.
OWN_AGENDA_ROLES = (StaffRole.HUISARTS, StaffRole.POH)


def todays_appointments_count(*, by: User, now: datetime | None = None) -> int:
    """Today's appointments that still stand (not cancelled): a GP's or POH's own, the
    whole practice's for the desk. One count on the (practice, starts_at) index."""
    membership = active_membership(by)
    if membership is None:
        return 0
    start, end = _day_bounds(timezone.localtime(now or timezone.now()).date())
    appointments = Appointment.objects.filter(
        practice_id=membership.practice_id, starts_at__gte=start, starts_at__lt=end
    ).exclude(status=AppointmentStatus.CANCELLED)
    if membership.role in OWN_AGENDA_ROLES:
        appointments = appointments.filter(practitioner=membership)
    return appointments.count()


def own_agenda_query(by: User) -> str:
    """The day view's query for a practitioner's own column ("" for the whole practice)."""
    membership = active_membership(by)
    if membership is None or membership.role not in OWN_AGENDA_ROLES:
        return ""
    return f"zorgverlener={membership.public_id}"


@dataclass(frozen=True)
class NextAppointment:
    public_id: UUID
    starts_at: datetime
    kind: str  # the appointment type's name
    practitioner_name: str


def next_appointment_of(patient: Patient, *, now: datetime | None = None) -> NextAppointment | None:
    """The patient's next appointment that still stands, with its practitioner and type:
    only the four values the start page shows (the whole rows of five tables made the
    query cost more to compile than to run)."""
    row = (
        Appointment.objects.filter(
            practice_id=patient.practice_id,
            patient=patient,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED),
            ends_at__gte=now or timezone.now(),
        )
        .order_by("starts_at", "id")
        .values_list(
            "public_id", "starts_at", "appointment_type__name", "practitioner__user__full_name"
        )
        .first()
    )
    return NextAppointment(*row) if row is not None else None
