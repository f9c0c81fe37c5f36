"""Pure slot arithmetic: which slots a template block makes on a day, which are released
online, and which runs of free slots can hold an appointment. No database here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SlotTime:
    starts_at: datetime
    ends_at: datetime
    online: bool


def released_positions(slots_per_hour: int, online_per_hour: int) -> set[int]:
    """Which slots within an hour go online, spread evenly: 2 of 6 are :00 and :30."""
    if online_per_hour <= 0 or slots_per_hour <= 0:
        return set()
    if online_per_hour >= slots_per_hour:
        return set(range(slots_per_hour))
    return {(i * slots_per_hour) // online_per_hour for i in range(online_per_hour)}


def block_slots(
    *,
    day: date,
    starts: time,
    ends: time,
    slot_minutes: int,
    online_per_hour: int,
    tz: ZoneInfo,
) -> list[SlotTime]:
    """The slots of one block on one day; a remainder shorter than a slot is left free.

    Times are local wall-clock times made aware in the practice's zone, so a block from
    08:00 stays at 08:00 across the change to and from summer time."""
    slots: list[SlotTime] = []
    length = timedelta(minutes=slot_minutes)
    start = datetime.combine(day, starts, tzinfo=tz)
    end = datetime.combine(day, ends, tzinfo=tz)
    slots_per_hour = max(1, 60 // slot_minutes)
    online = released_positions(slots_per_hour, online_per_hour)
    index = 0
    while start + length <= end:
        slots.append(SlotTime(start, start + length, (index % slots_per_hour) in online))
        start += length
        index += 1
    return slots


@dataclass(frozen=True)
class FreeSlot:
    key: int  # the slot's primary key
    practitioner: int  # the practitioner's membership id
    starts_at: datetime
    ends_at: datetime
    online: bool


def runs_that_fit(
    slots: Sequence[FreeSlot], *, minutes: int, online_only: bool
) -> Iterable[tuple[FreeSlot, list[FreeSlot]]]:
    """Each free slot that starts a run of back-to-back free slots long enough for the
    appointment, with the slots it would take. `slots` are free and sorted by start."""
    needed = timedelta(minutes=minutes)
    by_start = {(slot.practitioner, slot.starts_at): slot for slot in slots}
    for first in slots:
        if online_only and not first.online:
            continue
        run = [first]
        covered_until = first.ends_at
        while covered_until - first.starts_at < needed:
            following = by_start.get((first.practitioner, covered_until))
            if following is None or (online_only and not following.online):
                break
            run.append(following)
            covered_until = following.ends_at
        if covered_until - first.starts_at >= needed:
            yield first, run
