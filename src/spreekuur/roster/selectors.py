"""Reads of the roster: the week (who works when, who is on leave), the phone line's
staffing per hour against what Erlang C says it needs, the quietest blocks for a meeting,
and the consultation production per dagdeel from the agenda. Counts and names of staff;
never a patient."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta
from uuid import UUID

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.dates import WEEKDAYS

from spreekuur.accounts.models import Membership
from spreekuur.accounts.selectors import practice_of
from spreekuur.agenda.models import (
    Appointment,
    AppointmentStatus,
    Dagdeel,
    ScheduleException,
    dagdeel_of,
)
from spreekuur.core.current_hours import current_schedule
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.local_days import day_span
from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import DayHours, hours_on
from spreekuur.roster import erlang
from spreekuur.roster.models import Shift, ShiftTask
from spreekuur.telephony.selectors import CallLoad, call_load, settings_for

HISTORY_WEEKS = 13  # the call load and production a plan is based on: a quarter


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def shifts_in_force(practice: Practice, day: date) -> QuerySet[Shift]:
    return (
        Shift.objects.filter(practice=practice, weekday=day.weekday())
        .exclude(valid_from__gt=day)
        .exclude(valid_until__lt=day)
        .select_related("member__user")
        .order_by("starts", "member__user__full_name")
    )


def _absences(practice: Practice, first: date, last: date) -> list[ScheduleException]:
    return list(
        ScheduleException.objects.filter(
            practice=practice, starts_on__lte=last, ends_on__gte=first
        ).select_related("practitioner__user")
    )


def _away(absences: list[ScheduleException], member_id: int, day: date) -> ScheduleException | None:
    return next(
        (a for a in absences if a.practitioner_id == member_id and a.starts_on <= day <= a.ends_on),
        None,
    )


# ---- the week ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    shift: Shift
    name: str
    away: str  # the kind of leave ("verlof", "ziek" …), or "" when working

    @property
    def working(self) -> bool:
        return not self.away


@dataclass(frozen=True)
class RosterDay:
    day: date
    hours: DayHours
    parts: list[tuple[str, list[RosterLine]]]  # (dagdeel label, lines)

    @property
    def closed(self) -> bool:
        return self.hours.closed

    @property
    def staffed(self) -> bool:
        return any(lines for _label, lines in self.parts)


def week_roster(practice: Practice, monday: date) -> list[RosterDay]:
    schedule = current_schedule(practice)
    absences = _absences(practice, monday, monday + timedelta(days=6))
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        hours = hours_on(schedule, day)
        shifts = list(shifts_in_force(practice, day))
        if offset >= 5 and not shifts and hours.closed:
            continue  # an ordinary weekend
        by_part: dict[str, list[RosterLine]] = defaultdict(list)
        for shift in shifts:
            away = _away(absences, shift.member_id, day)
            by_part[shift.dagdeel].append(
                RosterLine(
                    shift,
                    shift.member.user.full_name or shift.member.user.email,
                    away.get_kind_display() if away else "",
                )
            )
        parts = [(str(label), by_part[value]) for value, label in Dagdeel.choices]
        days.append(RosterDay(day, hours, parts))
    return days


def shifts_of(practice: Practice) -> QuerySet[Shift]:
    return Shift.objects.filter(practice=practice).select_related("member__user")


def get_shift_for(user: object, public_id: UUID | str) -> Shift:
    practice = practice_of(user)  # type: ignore[arg-type]
    found = (
        Shift.objects.filter(practice=practice, public_id=public_id).first()
        if practice is not None
        else None
    )
    if found is None:
        raise OutOfReach(actor=user, object_kind="roster_shift", object_ids=[public_id])
    return found


def staff_to_roster(practice: Practice) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(practice=practice, active=True)
        .exclude(role="")
        .select_related("user")
        .order_by("user__full_name")
    )


def get_leave_for(user: object, public_id: UUID | str) -> ScheduleException:
    practice = practice_of(user)  # type: ignore[arg-type]
    found = (
        ScheduleException.objects.filter(practice=practice, public_id=public_id)
        .select_related("practitioner")
        .first()
        if practice is not None
        else None
    )
    if found is None:
        raise OutOfReach(actor=user, object_kind="staff_absence", object_ids=[public_id])
    return found


# ---- the phone line per hour -----------------------------------------------------------------


@dataclass(frozen=True)
class HourStaffing:
    day: date
    hour: int
    expected_calls: float  # offered per hour on this weekday, on average over the quarter
    needed: int | None  # assistants Erlang C asks for; None: no number could carry this load
    planned: float  # assistants on phone duty (a half hour counts as a half)
    reached: float | None  # the service level the planned assistants would reach, 0..1

    @property
    def difference(self) -> float | None:
        return None if self.needed is None else round(self.planned - self.needed, 1)

    @property
    def short(self) -> bool:
        return self.difference is not None and self.difference < 0

    @property
    def spare(self) -> bool:
        """At least one assistant more than needed (a place for other work)."""
        return self.difference is not None and self.difference >= 1


@dataclass(frozen=True)
class PhonePlan:
    hours: list[HourStaffing]
    load: CallLoad
    service_level_percent: int
    service_level_seconds: int
    handling_seconds: int

    def on(self, day: date) -> list[HourStaffing]:
        return [hour for hour in self.hours if hour.day == day]

    @property
    def days(self) -> list[date]:
        return sorted({hour.day for hour in self.hours})

    @property
    def short_hours(self) -> int:
        return sum(1 for hour in self.hours if hour.short)

    @property
    def spare_hours(self) -> int:
        return sum(1 for hour in self.hours if hour.spare)


def _open_hours(hours: DayHours) -> list[int]:
    found: set[int] = set()
    for opens, closes in hours.intervals:
        end = _minutes(closes) if closes > opens else 24 * 60
        for hour in range(opens.hour, math.ceil(end / 60)):
            found.add(hour)
    return sorted(found)


def _coverage(shift: Shift, hour: int) -> float:
    """The part of this hour the shift covers (0..1)."""
    start, end = max(_minutes(shift.starts), hour * 60), min(_minutes(shift.ends), hour * 60 + 60)
    return max(0, end - start) / 60


def phone_plan(practice: Practice, monday: date) -> PhonePlan:
    phone = settings_for(practice)
    target = phone.service_level_percent / 100
    load = call_load(
        practice, since=monday - timedelta(weeks=HISTORY_WEEKS), until=monday - timedelta(days=1)
    )
    schedule = current_schedule(practice)
    absences = _absences(practice, monday, monday + timedelta(days=6))
    hours: list[HourStaffing] = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        open_hours = _open_hours(hours_on(schedule, day))
        if not open_hours:
            continue
        on_phone = [
            shift
            for shift in shifts_in_force(practice, day).filter(task=ShiftTask.TELEFOON)
            if _away(absences, shift.member_id, day) is None
        ]
        for hour in open_hours:
            cell = load.cell(day.weekday(), hour)
            calls = cell.offered if cell else 0.0
            try:
                needed: int | None = erlang.agents_needed(
                    calls_per_hour=calls,
                    handling_seconds=phone.handling_seconds,
                    target_seconds=phone.service_level_seconds,
                    service_level_target=target,
                ).agents
            except ValueError:  # a load no phone line has (a mistaken import): say so
                needed = None
            planned = round(sum(_coverage(shift, hour) for shift in on_phone), 2)
            reached = None
            if needed is not None and calls and int(planned) >= 1:
                reached = erlang.service_level(
                    agents=int(planned),
                    calls_per_hour=calls,
                    handling_seconds=phone.handling_seconds,
                    target_seconds=phone.service_level_seconds,
                )
            hours.append(HourStaffing(day, hour, calls, needed, planned, reached))
    return PhonePlan(
        hours,
        load,
        phone.service_level_percent,
        phone.service_level_seconds,
        phone.handling_seconds,
    )


# ---- the quietest blocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuietBlock:
    day: date
    starts: time
    ends: time
    expected_calls: float  # in the whole block, on average
    consults: float  # consults held in the block, on average per week

    @property
    def weekday_name(self) -> str:
        return str(WEEKDAYS[self.day.weekday()])


def quiet_blocks(
    practice: Practice, monday: date, *, minutes: int = 60, count: int = 3
) -> list[QuietBlock]:
    """The blocks of `minutes` inside the opening hours of the week with the fewest calls
    expected (then the fewest consults), not overlapping each other: where a team meeting
    or a break costs the patients least."""
    load = call_load(
        practice, since=monday - timedelta(weeks=HISTORY_WEEKS), until=monday - timedelta(days=1)
    )
    production = consults_per_hour(practice, until=monday - timedelta(days=1))
    schedule = current_schedule(practice)
    candidates: list[QuietBlock] = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        for opens, closes in hours_on(schedule, day).intervals:
            start, end = _minutes(opens), _minutes(closes) if closes > opens else 24 * 60
            for begin in range(start, end - minutes + 1, 30):
                calls = consults = 0.0
                for hour in range(begin // 60, math.ceil((begin + minutes) / 60)):
                    part = (min(begin + minutes, hour * 60 + 60) - max(begin, hour * 60)) / 60
                    cell = load.cell(day.weekday(), hour)
                    calls += part * (cell.offered if cell else 0.0)
                    consults += part * production.get((day.weekday(), hour), 0.0)
                candidates.append(
                    QuietBlock(
                        day,
                        time(begin // 60, begin % 60),
                        time((begin + minutes) // 60 % 24, (begin + minutes) % 60),
                        round(calls, 1),
                        round(consults, 1),
                    )
                )
    chosen: list[QuietBlock] = []
    for block in sorted(candidates, key=lambda b: (b.expected_calls, b.consults, b.day, b.starts)):
        if len(chosen) == count:
            break
        if any(
            c.day == block.day and c.starts < block.ends and block.starts < c.ends for c in chosen
        ):
            continue
        chosen.append(block)
    return chosen


# ---- production from the agenda -----------------------------------------------------------------

HELD = (AppointmentStatus.ARRIVED, AppointmentStatus.COMPLETED)


def consults_per_hour(
    practice: Practice, *, until: date, weeks: int = HISTORY_WEEKS
) -> dict[tuple[int, int], float]:
    """Consults held per (weekday, hour), on average per week over the period."""
    start, end = day_span(until - timedelta(weeks=weeks), until)
    tz = timezone.get_current_timezone()
    rows = (
        Appointment.objects.filter(
            practice=practice, starts_at__gte=start, starts_at__lt=end, status__in=HELD
        )
        .annotate(
            weekday=ExtractIsoWeekDay("starts_at", tzinfo=tz),
            hour=ExtractHour("starts_at", tzinfo=tz),
        )
        .values("weekday", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(row["weekday"] - 1, row["hour"]): row["n"] / weeks for row in rows}


@dataclass(frozen=True)
class Production:
    weekday: int
    dagdeel: str
    consults: float  # held, on average per week

    @property
    def weekday_name(self) -> str:
        return str(WEEKDAYS[self.weekday])

    @property
    def dagdeel_label(self) -> str:
        return str(Dagdeel(self.dagdeel).label)


def production_per_dagdeel(
    practice: Practice, *, until: date, weeks: int = HISTORY_WEEKS
) -> list[Production]:
    """Consults held per weekday and dagdeel, on average per week (the agenda's figures
    the domain guide asks for beside the call load)."""
    summed: dict[tuple[int, str], float] = defaultdict(float)
    for (weekday, hour), per_week in consults_per_hour(practice, until=until, weeks=weeks).items():
        summed[(weekday, dagdeel_of(time(hour)))] += per_week
    order = {value: n for n, value in enumerate(Dagdeel.values)}
    return [
        Production(weekday, part, round(value, 1))
        for (weekday, part), value in sorted(
            summed.items(), key=lambda i: (i[0][0], order[i[0][1]])
        )
    ]
