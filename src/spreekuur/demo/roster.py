"""A roster for the demo practice: the assistants on the phone in the morning peak (three
on Monday), at the desk and on the phone in the afternoon, the GPs' and the POH's consulting
hours from their agenda, the manager's office days, and one assistant on leave next week."""

from __future__ import annotations

from datetime import date, time, timedelta

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import ScheduleBlock
from spreekuur.core.models import Practice
from spreekuur.roster.models import Shift
from spreekuur.roster.services import add_leave, add_shift

MORNING, AFTERNOON = (time(8), time(12, 30)), (time(13), time(17))


def build_demo_roster(practice: Practice, *, today: date) -> int:
    manager = User.objects.get(membership__practice=practice, membership__role="praktijkmanager")
    assistants = list(Membership.objects.filter(practice=practice, role="assistent").order_by("id"))
    made = 0

    def shift(member: Membership, weekday: int, task: str, hours: tuple[time, time]) -> None:
        nonlocal made
        add_shift(
            member=member,
            weekday=weekday,
            task=task,
            starts=hours[0],
            ends=hours[1],
            valid_from=None,
            valid_until=None,
            by=manager,
        )
        made += 1

    for weekday in range(5):
        # Mornings: two on the phone, three on Monday; the rest at the desk.
        on_phone = 3 if weekday == 0 else 2
        for n, member in enumerate(assistants):
            shift(member, weekday, "telefoon" if n < on_phone else "balie", MORNING)
        # Afternoons: one on the phone, one at the desk, one on the post (taking turns).
        for n, task in enumerate(("telefoon", "balie", "administratie")):
            shift(assistants[(weekday + n) % len(assistants)], weekday, task, AFTERNOON)
        shift(manager.membership, weekday, "administratie", (time(9), time(15)))
    for block in ScheduleBlock.objects.filter(practice=practice).select_related("practitioner"):
        if not Shift.objects.filter(
            member=block.practitioner,
            weekday=block.weekday,
            starts__lt=block.ends,
            ends__gt=block.starts,
        ).exists():
            shift(block.practitioner, block.weekday, "spreekuur", (block.starts, block.ends))
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    add_leave(
        member=assistants[0],
        starts_on=monday + timedelta(days=2),
        ends_on=monday + timedelta(days=4),
        kind="verlof",
        note="",
        by=manager,
    )
    return made
