"""Writes to the agenda's set-up: templates, absences, slots, types, rules, red flags, kiosks.

Set-up holds no patient data, so it is not in the NEN 7513 log; who changed it is kept on
the rows where it matters (absences, kiosks)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda import capabilities
from spreekuur.agenda.models import (
    BOOKING_RULE_FIELDS,
    PRACTITIONER_ROLES,
    AbsenceKind,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingRules,
    KioskDevice,
    ScheduleBlock,
    ScheduleException,
    Slot,
    dagdeel_of,
)
from spreekuur.agenda.slots import SlotTime, block_slots
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import hours_on
from spreekuur.core.selectors import schedule_for
from spreekuur.triage.models import QuestionnairePurpose
from spreekuur.triage.selectors.questionnaires import published_by_code

SLOT_GENERATION_DAYS = 56  # the desk books further ahead than patients may


def _require(check: bool) -> None:
    if not check:
        raise PermissionDenied


def _same_practice(by: User, practice_id: int) -> bool:
    from spreekuur.accounts.selectors import practice_of

    practice = practice_of(by)
    return practice is not None and practice.pk == practice_id


@dataclass(frozen=True)
class SlotSync:
    created: int
    removed: int
    changed: int


def desired_slots(
    *,
    practitioner: Membership,
    start: date,
    days: int,
    blocks: list[ScheduleBlock] | None = None,
    absences: list[ScheduleException] | None = None,
) -> dict[datetime, SlotTime]:
    """The slots the template makes on these days, minus absences, closed practice days
    and the hours outside a day's exceptional opening hours."""
    if not practitioner.active or practitioner.role not in PRACTITIONER_ROLES:
        return {}
    tz = ZoneInfo(settings.TIME_ZONE)
    end = start + timedelta(days=days)
    if blocks is None:
        blocks = list(practitioner.schedule_blocks.all())
    if absences is None:
        absences = list(
            practitioner.schedule_exceptions.filter(starts_on__lt=end, ends_on__gte=start)
        )
    practice_hours = schedule_for(practitioner.practice, from_day=start)
    by_weekday: dict[int, list[ScheduleBlock]] = {}
    for block in blocks:
        by_weekday.setdefault(block.weekday, []).append(block)
    wanted: dict[datetime, SlotTime] = {}
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() not in by_weekday:
            continue
        if any(a.starts_on <= day <= a.ends_on for a in absences):
            continue
        hours = hours_on(practice_hours, day)
        if hours.closed:
            continue  # public holiday or a day the practice is closed
        for block in by_weekday[day.weekday()]:
            for slot in block_slots(
                day=day,
                starts=block.starts,
                ends=block.ends,
                slot_minutes=block.slot_minutes,
                online_per_hour=block.online_per_hour,
                tz=tz,
            ):
                # On a day with other hours ("open 08:00-12:00") only slots inside them;
                # on a usual day the template rules (an evening clinic may run later).
                if not hours.deviates or hours.covers(slot.starts_at, slot.ends_at):
                    wanted[slot.starts_at] = slot
    return wanted


def _overlaps(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Whether [start, end) overlaps one of the sorted, non-overlapping intervals."""
    index = bisect_left(intervals, (start, start))
    neighbours = intervals[max(0, index - 1) : index + 1]
    return any(other_start < end and start < other_end for other_start, other_end in neighbours)


@transaction.atomic
def sync_slots(*, practitioner: Membership, start: date, days: int) -> SlotSync:
    """Make this practitioner's free slots on these days match the template; booked slots
    are never touched (staff see appointments that fall outside the template)."""
    wanted = desired_slots(practitioner=practitioner, start=start, days=days)
    tz = ZoneInfo(settings.TIME_ZONE)
    window_start = datetime.combine(start, time.min, tzinfo=tz)
    window_end = datetime.combine(start + timedelta(days=days), time.min, tzinfo=tz)
    existing = list(
        Slot.objects.filter(
            practitioner=practitioner, starts_at__gte=window_start, starts_at__lt=window_end
        )
    )
    have = {slot.starts_at: slot for slot in existing}
    stale = [
        slot.pk
        for slot in existing
        if slot.appointment_id is None
        and (slot.starts_at not in wanted or wanted[slot.starts_at].ends_at != slot.ends_at)
    ]
    removed = 0
    if stale:
        # The re-check of appointment IS NULL happens after any booking's lock is released.
        removed, _ = Slot.objects.filter(pk__in=stale, appointment__isnull=True).delete()
    stale_set = set(stale)
    changed = 0
    for online in (True, False):
        flip = [
            slot.pk
            for slot in existing
            if slot.pk not in stale_set
            and slot.appointment_id is None
            and slot.starts_at in wanted
            and wanted[slot.starts_at].online == online
            and slot.online != online
        ]
        if flip:
            changed += Slot.objects.filter(pk__in=flip).update(online=online)
    kept = sorted((slot.starts_at, slot.ends_at) for slot in existing if slot.pk not in stale_set)
    new = [
        Slot(
            practice_id=practitioner.practice_id,
            practitioner=practitioner,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            online=slot.online,
        )
        for starts_at, slot in wanted.items()
        if (starts_at not in have or have[starts_at].pk in stale_set)
        and not _overlaps(kept, slot.starts_at, slot.ends_at)
    ]
    # Conflicts (a booked slot that overlaps a new one) are skipped, not errors.
    created = len(Slot.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000))
    return SlotSync(created=created, removed=removed, changed=changed)


def sync_practice_slots(
    *, practice: Practice, start: date | None = None, days: int = SLOT_GENERATION_DAYS
) -> SlotSync:
    """Every practitioner of the practice (the daily task runs this for each practice)."""
    start = start or timezone.localdate()
    totals = SlotSync(0, 0, 0)
    for practitioner in Membership.objects.filter(
        practice=practice, role__in=PRACTITIONER_ROLES
    ).select_related("practice"):
        result = sync_slots(practitioner=practitioner, start=start, days=days)
        totals = SlotSync(
            totals.created + result.created,
            totals.removed + result.removed,
            totals.changed + result.changed,
        )
    return totals


def resync_days(*, practice: Practice, days: list[date]) -> None:
    """Bring these days' free slots in line with changed practice hours (within the
    weeks the agenda holds slots for; later days get theirs when they come near)."""
    today = timezone.localdate()
    for day in days:
        if today <= day < today + timedelta(days=SLOT_GENERATION_DAYS):
            sync_practice_slots(practice=practice, start=day, days=1)


@transaction.atomic
def add_schedule_block(
    *,
    practitioner: Membership,
    weekday: int,
    starts: time,
    ends: time,
    slot_minutes: int,
    online_per_hour: int,
    by: User,
) -> ScheduleBlock:
    _require(capabilities.can_manage_agenda(by) and _same_practice(by, practitioner.practice_id))
    if practitioner.role not in PRACTITIONER_ROLES:
        raise BusinessRuleError(_("Deze medewerker heeft geen spreekuur."))
    if starts >= ends:
        raise BusinessRuleError(_("De eindtijd moet na de begintijd liggen."))
    length = (datetime.combine(date.min, ends) - datetime.combine(date.min, starts)).seconds
    if length < slot_minutes * 60:
        raise BusinessRuleError(_("Het dagdeel is korter dan één tijdslot."))
    overlapping = ScheduleBlock.objects.select_for_update().filter(
        practitioner=practitioner, weekday=weekday, starts__lt=ends, ends__gt=starts
    )
    if overlapping.exists():
        raise BusinessRuleError(_("Dit dagdeel overlapt met een ander dagdeel op dezelfde dag."))
    block = ScheduleBlock.objects.create(
        practice_id=practitioner.practice_id,
        practitioner=practitioner,
        weekday=weekday,
        dagdeel=dagdeel_of(starts),
        starts=starts,
        ends=ends,
        slot_minutes=slot_minutes,
        online_per_hour=online_per_hour,
    )
    sync_slots(practitioner=practitioner, start=timezone.localdate(), days=SLOT_GENERATION_DAYS)
    return block


@transaction.atomic
def remove_schedule_block(*, block: ScheduleBlock, by: User) -> None:
    _require(capabilities.can_manage_agenda(by) and _same_practice(by, block.practice_id))
    practitioner = block.practitioner
    block.delete()
    sync_slots(practitioner=practitioner, start=timezone.localdate(), days=SLOT_GENERATION_DAYS)


MAX_ABSENCE_DAYS = 366


@transaction.atomic
def add_absence(
    *,
    practitioner: Membership,
    starts_on: date,
    ends_on: date,
    kind: str,
    note: str,
    by: User,
) -> tuple[ScheduleException, int]:
    """Record leave or a course; free slots in it disappear. Returns the absence and how
    many appointments still stand in it (the desk must move those)."""
    _require(capabilities.can_manage_agenda(by) and _same_practice(by, practitioner.practice_id))
    if starts_on > ends_on:
        raise BusinessRuleError(_("De einddatum moet op of na de begindatum liggen."))
    # Longer is a typing error, and every day of it is a day of slots to recount.
    if (ends_on - starts_on).days > MAX_ABSENCE_DAYS:
        raise BusinessRuleError(_("Een afwezigheid duurt hoogstens een jaar."))
    if abs((starts_on - timezone.localdate()).days) > 5 * 366:
        raise BusinessRuleError(_("Kies een datum binnen vijf jaar van vandaag."))
    if kind not in AbsenceKind.values:
        raise BusinessRuleError(_("Kies een soort afwezigheid."))
    absence = ScheduleException.objects.create(
        practice_id=practitioner.practice_id,
        practitioner=practitioner,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=kind,
        note=note,
        created_by=by,
    )
    days = (ends_on - starts_on).days + 1
    sync_slots(practitioner=practitioner, start=starts_on, days=days)
    tz = ZoneInfo(settings.TIME_ZONE)
    standing = Appointment.objects.filter(
        practitioner=practitioner,
        status=AppointmentStatus.BOOKED,
        starts_at__gte=datetime.combine(starts_on, time.min, tzinfo=tz),
        starts_at__lt=datetime.combine(ends_on + timedelta(days=1), time.min, tzinfo=tz),
    ).count()
    return absence, standing


@transaction.atomic
def remove_absence(*, absence: ScheduleException, by: User) -> None:
    _require(capabilities.can_manage_agenda(by) and _same_practice(by, absence.practice_id))
    practitioner, start = absence.practitioner, absence.starts_on
    days = (absence.ends_on - absence.starts_on).days + 1
    absence.delete()
    sync_slots(practitioner=practitioner, start=start, days=days)


@transaction.atomic
def update_booking_rules(*, practice: Practice, by: User, **values: Any) -> BookingRules:
    _require(capabilities.can_manage_agenda(by) and _same_practice(by, practice.pk))
    unknown = set(values) - set(BOOKING_RULE_FIELDS)
    if unknown:
        raise ValueError(f"Not a booking rule: {sorted(unknown)}")
    rules, _created = BookingRules.objects.select_for_update().get_or_create(practice=practice)
    for name, value in values.items():
        setattr(rules, name, value)
    rules.full_clean()
    rules.save()
    practice._booking_rules = rules  # type: ignore[attr-defined]  # the selector's cache
    return rules


TYPE_FIELDS = (
    "name",
    "description",
    "mode",
    "duration_minutes",
    "offered_by",
    "online_bookable",
    "active",
    "sort_order",
    "preparation_code",
    "performance_code",
)


@transaction.atomic
def save_appointment_type(
    *,
    practice: Practice,
    by: User,
    appointment_type: AppointmentType | None = None,
    **values: Any,
) -> AppointmentType:
    _require(capabilities.can_manage_agenda(by) and _same_practice(by, practice.pk))
    if appointment_type is not None and appointment_type.practice_id != practice.pk:
        raise PermissionDenied
    unknown = set(values) - set(TYPE_FIELDS)
    if unknown:
        raise ValueError(f"Not an appointment type field: {sorted(unknown)}")
    roles = values.get("offered_by")
    if roles is not None and (not roles or set(roles) - set(PRACTITIONER_ROLES)):
        raise BusinessRuleError(_("Kies wie deze soort afspraak aanbiedt."))
    code = values.get("preparation_code")
    if code and published_by_code(practice, code, purpose=QuestionnairePurpose.PREPARATION) is None:
        raise BusinessRuleError(_("Kies een voorbereidende vragenlijst die in gebruik is."))
    target = appointment_type or AppointmentType(practice=practice)
    for name, value in values.items():
        setattr(target, name, value)
    if (
        AppointmentType.objects.filter(practice=practice, name__iexact=target.name)
        .exclude(pk=target.pk)
        .exists()
    ):
        raise BusinessRuleError(_("Er is al een soort afspraak met deze naam."))
    target.full_clean(exclude=["practice"])
    target.save()
    return target


@transaction.atomic
def register_kiosk(*, practice: Practice, name: str, by: User) -> KioskDevice:
    _require(capabilities.can_register_kiosk(by) and _same_practice(by, practice.pk))
    if not name.strip():
        raise BusinessRuleError(_("Geef de aanmeldzuil een naam."))
    return KioskDevice.objects.create(practice=practice, name=name.strip()[:60], created_by=by)


@transaction.atomic
def revoke_kiosk(*, kiosk: KioskDevice, by: User) -> None:
    _require(capabilities.can_register_kiosk(by) and _same_practice(by, kiosk.practice_id))
    if kiosk.revoked_at is None:
        kiosk.revoked_at = timezone.now()
        kiosk.save(update_fields=["revoked_at"])
