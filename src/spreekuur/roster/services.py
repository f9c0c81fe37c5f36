"""The roster's writes: shifts by the practice manager, leave through the agenda (one
absence closes the agenda's slots and shows in the roster)."""

from __future__ import annotations

from datetime import date, time

from django.db import transaction
from django.utils.translation import gettext as _

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import ScheduleException, dagdeel_of
from spreekuur.agenda.services import add_absence, remove_absence
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.roster.capabilities import can_manage_roster
from spreekuur.roster.models import Shift, ShiftTask


def _check(by: User, practice_id: int) -> None:
    membership = getattr(by, "membership", None)
    if not can_manage_roster(by) or membership is None or membership.practice_id != practice_id:
        raise PermissionDenied


@transaction.atomic
def add_shift(
    *,
    member: Membership,
    weekday: int,
    task: str,
    starts: time,
    ends: time,
    valid_from: date | None,
    valid_until: date | None,
    by: User,
) -> Shift:
    _check(by, member.practice_id)
    if task not in ShiftTask.values:
        raise BusinessRuleError(_("Kies een taak."))
    if not 0 <= weekday <= 6:
        raise BusinessRuleError(_("Kies een dag."))
    if starts >= ends:
        raise BusinessRuleError(_("De eindtijd moet na de begintijd liggen."))
    if valid_from and valid_until and valid_from > valid_until:
        raise BusinessRuleError(_("De einddatum moet op of na de begindatum liggen."))
    # Two shifts of one person at once: one of them is a mistake. Overlap in time, on the
    # same weekday, in periods that overlap too.
    clash = (
        Shift.objects.select_for_update()
        .filter(member=member, weekday=weekday, starts__lt=ends, ends__gt=starts)
        .exclude(valid_until__lt=valid_from or date.min)
    )
    if valid_until is not None:
        clash = clash.exclude(valid_from__gt=valid_until)
    if clash.exists():
        raise BusinessRuleError(_("Deze medewerker heeft dan al een dienst."))
    shift = Shift.objects.create(
        practice_id=member.practice_id,
        member=member,
        weekday=weekday,
        dagdeel=dagdeel_of(starts),
        task=task,
        starts=starts,
        ends=ends,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=by,
    )
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="roster_shift",
        practice=member.practice,
        object_ids=[shift.public_id],
    )
    return shift


@transaction.atomic
def remove_shift(*, shift: Shift, by: User) -> None:
    _check(by, shift.practice_id)
    public_id, practice = shift.public_id, shift.practice
    shift.delete()
    record_access(
        actor=by,
        action=AuditAction.DELETE,
        object_kind="roster_shift",
        practice=practice,
        object_ids=[public_id],
    )


@transaction.atomic
def add_leave(
    *, member: Membership, starts_on: date, ends_on: date, kind: str, note: str, by: User
) -> tuple[ScheduleException, int]:
    """Leave is the agenda's absence: free slots in it close, and the roster shows it.
    Returns the absence and how many appointments still stand in it."""
    _check(by, member.practice_id)
    return add_absence(
        practitioner=member, starts_on=starts_on, ends_on=ends_on, kind=kind, note=note, by=by
    )


@transaction.atomic
def remove_leave(*, leave: ScheduleException, by: User) -> None:
    _check(by, leave.practice_id)
    remove_absence(absence=leave, by=by)
