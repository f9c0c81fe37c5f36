"""Events become calls (in any order of arrival), and calls become hourly figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from spreekuur.telephony.models import Call, CallEvent, CallHour, CallOutcome
from spreekuur.telephony.services import fold_call_events, refresh_call_hours
from spreekuur.telephony.services.events import call_from_events

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=AMS)


def _event(practice, call_id, kind, seconds, menu=None, n=[0]):  # noqa: B006 - a counter
    n[0] += 1
    return CallEvent.objects.create(
        practice=practice,
        event_id=f"e{n[0]}",
        call_id=call_id,
        kind=kind,
        at=MONDAY_9 + timedelta(seconds=seconds),
        menu_choice=menu,
        received_at=MONDAY_9,
    )


def test_an_answered_call(cast):
    p = cast.practice_a
    events = [
        _event(p, "a", "incoming", 0),
        _event(p, "a", "queued", 20, menu=4),
        _event(p, "a", "answered", 95),
        _event(p, "a", "ended", 275),
    ]
    call = call_from_events(p.pk, "a", list(reversed(events)))  # order does not matter
    assert call.outcome == CallOutcome.ANSWERED
    assert call.queued
    assert call.menu_choice == 4
    assert call.wait_seconds == 75  # from the queue, not from the menu
    assert call.talk_seconds == 180
    assert call.started_at == MONDAY_9


@pytest.mark.parametrize(
    ("kinds", "outcome", "wait"),
    [
        ([("incoming", 0), ("queued", 10), ("abandoned", 70)], CallOutcome.ABANDONED, 60),
        ([("incoming", 0), ("queued", 10), ("callback_requested", 190)], CallOutcome.CALLBACK, 180),
        ([("incoming", 0), ("queued", 10), ("ended", 40)], CallOutcome.ABANDONED, 30),
        ([("incoming", 0), ("queued", 10)], CallOutcome.WAITING, None),
        ([("incoming", 0), ("ended", 30)], CallOutcome.MENU, None),
    ],
)
def test_how_a_call_ended(cast, kinds, outcome, wait):
    events = [_event(cast.practice_a, "b", kind, s) for kind, s in kinds]
    call = call_from_events(cast.practice_a.pk, "b", events)
    assert call.outcome == outcome
    assert call.wait_seconds == wait
    assert call.queued == (outcome != CallOutcome.MENU)


def test_fold_builds_calls_and_hours_and_a_second_fold_changes_nothing(cast):
    p = cast.practice_a
    for i, (kind_at_end, wait) in enumerate(
        [("answered", 30), ("answered", 90), ("abandoned", 200)]
    ):
        _event(p, f"c{i}", "incoming", i * 60)
        _event(p, f"c{i}", "queued", i * 60 + 10, menu=4)
        _event(p, f"c{i}", kind_at_end, i * 60 + 10 + wait)
    _event(p, "menu-only", "incoming", 3600)  # 10:00, handled by the menu
    _event(p, "menu-only", "ended", 3630, menu=3)
    assert fold_call_events() == 11
    assert Call.objects.filter(practice=p).count() == 4
    nine = CallHour.objects.get(practice=p, day=MONDAY_9.date(), hour=9)
    assert (nine.incoming, nine.offered, nine.answered, nine.abandoned) == (3, 3, 2, 1)
    assert nine.wait_seconds_total == 30 + 90 + 200
    assert nine.waits_counted == 3
    ten = CallHour.objects.get(practice=p, day=MONDAY_9.date(), hour=10)
    assert (ten.incoming, ten.offered) == (1, 0)
    assert fold_call_events() == 0
    assert CallEvent.objects.filter(folded=False).count() == 0


def test_a_late_event_refolds_its_call(cast):
    p = cast.practice_a
    _event(p, "late", "incoming", 0)
    _event(p, "late", "queued", 5)
    fold_call_events()
    assert Call.objects.get(call_key="late").outcome == CallOutcome.WAITING
    _event(p, "late", "answered", 65)
    fold_call_events()
    call = Call.objects.get(call_key="late")
    assert call.outcome == CallOutcome.ANSWERED
    assert call.wait_seconds == 60
    assert CallHour.objects.get(practice=p, hour=9).answered == 1


def test_hours_are_local_time_and_per_practice(cast):
    # 23:30 UTC on 30 November is 00:30 on 1 December in Amsterdam.
    late = datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("UTC"))
    Call.objects.create(
        practice=cast.practice_a,
        call_key="x",
        source="import",
        started_at=late,
        queued=True,
        outcome="answered",
        wait_seconds=10,
    )
    Call.objects.create(
        practice=cast.practice_b,
        call_key="x",
        source="import",
        started_at=late,
        queued=True,
        outcome="abandoned",
        wait_seconds=10,
    )
    refresh_call_hours(practice_ids=[cast.practice_a.pk], days=[late.astimezone(AMS).date()])
    hour = CallHour.objects.get()
    assert (hour.practice, hour.day.isoformat(), hour.hour) == (cast.practice_a, "2026-12-01", 0)
