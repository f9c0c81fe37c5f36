"""Three months of calls for the demo practice, through the real doors: the first two
months as the exchange's call report (the nulmeting a practice starts with), the last
month as signed-off events from the link, folded into calls as the worker does; and a few
callers waiting in the queue right now. The pattern follows what Dutch practices report:
busiest between 8 and 11 (half the calls before 11:00), Monday morning the peak."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from spreekuur.telephony import services
from spreekuur.telephony.models import PhoneSettings, TelephonyLink
from spreekuur.telephony.services.events import fold_call_events, receive_events
from spreekuur.telephony.webhook import PhoneEvent

# Calls per hour on an ordinary day for a practice of about 3,000 patients.
HOURLY = {8: 26, 9: 20, 10: 15, 11: 11, 12: 6, 13: 8, 14: 9, 15: 8, 16: 6}
WEEKDAY_FACTOR = {0: 1.35, 1: 1.0, 2: 0.95, 3: 0.95, 4: 0.9}
HANDLING = 170  # seconds an assistant spends on a call, on average
ASSISTANTS_ON_PHONE = {8: 2, 9: 2, 10: 2, 11: 1, 12: 1, 13: 1, 14: 1, 15: 1, 16: 1}


def calls_on(day: date, rng: random.Random, size: float) -> list[tuple[datetime, str, int, int]]:
    """(start, outcome, wait, talk) of each call of one day: waits grow with the load per
    assistant, and the longer the wait, the more callers give up or ask for a callback."""
    calls = []
    for hour, base in HOURLY.items():
        expected = base * WEEKDAY_FACTOR[day.weekday()] * size
        count = max(0, round(rng.gauss(expected, expected**0.5)))
        load = expected * HANDLING / 3600 / ASSISTANTS_ON_PHONE[hour]
        for _ in range(count):
            start = timezone.make_aware(
                datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)))
            )
            if rng.random() < 0.1:
                calls.append((start, "menu", 0, 0))  # repeat prescriptions: to the portal
                continue
            wait = int(rng.expovariate(1 / max(10, 400 * load**3)))
            talk = max(30, int(rng.gauss(HANDLING - 20, 60)))
            if wait > 180 and rng.random() < 0.45:
                calls.append((start, "callback", 180 + rng.randrange(30), 0))
            elif wait > 60 and rng.random() < min(0.6, wait / 600):
                calls.append((start, "abandoned", int(wait * rng.uniform(0.3, 1)), 0))
            else:
                calls.append((start, "answered", wait, talk))
    return calls


def working_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _report(days: list[date], rng: random.Random, size: float) -> bytes:
    words = {"answered": "beantwoord", "abandoned": "opgehangen", "callback": "terugbelverzoek"}
    lines = ["begin;richting;keuze;wachttijd;gespreksduur;status"]
    for day in days:
        for start, outcome, wait, talk in calls_on(day, rng, size):
            local = timezone.localtime(start)
            if outcome == "menu":
                lines.append(f"{local:%d-%m-%Y %H:%M:%S};inkomend;3;;;keuzemenu")
            else:
                lines.append(
                    f"{local:%d-%m-%Y %H:%M:%S};inkomend;4;{wait};{talk or ''};{words[outcome]}"
                )
    return ("\n".join(lines) + "\n").encode()


def _events(days: list[date], rng: random.Random, size: float) -> list[PhoneEvent]:
    events: list[PhoneEvent] = []
    for day in days:
        for n, (start, outcome, wait, talk) in enumerate(calls_on(day, rng, size)):
            call = f"demo-{day:%Y%m%d}-{n}"

            def add(kind: str, seconds: int, call: str = call, start: datetime = start) -> None:
                events.append(
                    PhoneEvent(
                        id=f"{call}-{kind}",
                        type=kind,  # type: ignore[arg-type]
                        call_id=call,
                        at=start + timedelta(seconds=seconds),
                        menu_choice=4 if kind == "queued" else None,
                    )
                )

            add("incoming", 0)
            if outcome == "menu":
                add("ended", 25)
                continue
            add("queued", 15)
            if outcome == "answered":
                add("answered", 15 + wait)
                add("ended", 15 + wait + talk)
            elif outcome == "abandoned":
                add("abandoned", 15 + wait)
            else:  # a callback in the past was dealt with; only its figures matter here
                add("abandoned", 15 + wait)
    return events


def build_demo_telephony(practice: Practice, *, today: date, seed: int = 31) -> int:
    """Returns the number of calls the demo practice has."""
    rng = random.Random(seed)
    size = Patient.objects.filter(practice=practice).count() / 3000
    manager = User.objects.get(membership__practice=practice, membership__role="praktijkmanager")
    PhoneSettings.objects.get_or_create(practice=practice, defaults={"handling_seconds": HANDLING})
    link, _secret = services.create_link(practice=practice, name="Demo-centrale", by=manager)
    yesterday = today - timedelta(days=1)
    month_ago = today - timedelta(days=28)
    report = _report(working_days(today - timedelta(weeks=13), month_ago), rng, size)
    imported = services.import_call_report(
        practice=practice, file_name="gespreksrapport-demo.csv", raw=report, by=manager
    )
    events = _events(working_days(month_ago + timedelta(days=1), yesterday), rng, size)
    for start in range(0, len(events), 500):
        receive_events(link=link, events=events[start : start + 500])
    while fold_call_events():
        pass
    _waiting_now(practice, link)
    return imported.calls_added + sum(1 for event in events if event.type == "incoming")


def _waiting_now(practice: Practice, link: TelephonyLink) -> None:
    """Four callers in the queue now, through the link: three the practice knows (their
    names show), one it does not."""
    known = list(Patient.objects.filter(practice=practice).exclude(phone="").order_by("id")[10:13])
    numbers = [patient.phone for patient in known] + ["030 123 4567"]
    now = timezone.now()
    receive_events(
        link=link,
        events=[
            PhoneEvent(
                id=f"demo-now-{n}",
                type="callback_requested",
                call_id=f"demo-now-{n}",
                at=now - timedelta(minutes=minutes),
                menu_choice=4,
                number=number,
            )
            for n, (number, minutes) in enumerate(zip(numbers, (34, 21, 12, 3), strict=True))
        ],
    )
