"""Call events in, calls and hourly figures out.

`receive_events` is the webhook's write: each event once per event id (a platform that
sends an event again changes nothing), and a callback request at once, because an
assistant is waiting for it. `fold_call_events`, a periodic job, turns the events of each
call into its `Call` row and refreshes the hours those calls fall in (`refresh_call_hours`),
so the heat map, the roster and the dashboard read summaries, never events."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, ExtractHour, TruncDate
from django.utils import timezone

from spreekuur.core.audit import BatchAccess, record_batch_access
from spreekuur.core.local_days import day_span
from spreekuur.core.models import AuditAction
from spreekuur.core.roles import Channel
from spreekuur.telephony.models import (
    OPEN_CALLBACK,
    Call,
    CallbackRequest,
    CallEvent,
    CallHour,
    CallOutcome,
    CallSource,
    EventKind,
    TelephonyLink,
)
from spreekuur.telephony.selectors import patients_with_numbers
from spreekuur.telephony.webhook import PhoneEvent, normalised_number

SYSTEM_ROLE = "telefonie"  # the role a platform's link acts in, in the access log
security_log = logging.getLogger("spreekuur.security")
# One fold at a time: two folds of the same call, each with events the other had not
# seen, would overwrite each other's call.
FOLD_LOCK = 7_205_121


@dataclass(frozen=True)
class Receipt:
    accepted: int
    duplicates: int
    callbacks: int
    conflicts: int = 0


@transaction.atomic
def receive_events(*, link: TelephonyLink, events: Sequence[PhoneEvent]) -> Receipt:
    """Store the events not seen before (by event id), all or none. An id seen before with
    other content is not stored again either; it is counted, and logged (without content),
    because a platform that reuses ids is broken or tampered with."""
    now = timezone.now()
    unique: dict[str, PhoneEvent] = {}
    for event in events:
        unique.setdefault(event.id, event)
    known = {
        event_id: (call_id, kind, at)
        for event_id, call_id, kind, at in CallEvent.objects.filter(
            practice_id=link.practice_id, event_id__in=list(unique)
        ).values_list("event_id", "call_id", "kind", "at")
    }
    conflicts = sum(
        1
        for event_id, (call_id, kind, at) in known.items()
        if (call_id, kind, at)
        != (unique[event_id].call_id, unique[event_id].type, unique[event_id].at)
    )
    if conflicts:
        security_log.warning("telephony door: event ids reused", extra={"conflicts": conflicts})
    new = [event for event_id, event in unique.items() if event_id not in known]
    CallEvent.objects.bulk_create(
        [
            CallEvent(
                practice_id=link.practice_id,
                event_id=event.id,
                call_id=event.call_id,
                kind=event.type,
                at=event.at,
                menu_choice=event.menu_choice,
                received_at=now,
            )
            for event in new
        ],
        ignore_conflicts=True,  # the same event from two requests at once: one row
    )
    asked = [event for event in new if event.type == EventKind.CALLBACK_REQUESTED.value]
    callbacks = _open_callbacks(link, asked) if asked else 0
    # The link's "last used" for the settings page, written at most once a minute.
    TelephonyLink.objects.filter(pk=link.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1))
    ).update(last_used_at=now)
    return Receipt(
        accepted=len(new),
        duplicates=len(events) - len(new) - conflicts,
        callbacks=callbacks,
        conflicts=conflicts,
    )


def _open_callbacks(link: TelephonyLink, asked: Sequence[PhoneEvent]) -> int:
    """A request in the queue for each call that asked, unless one is open for it already:
    matched to the practice's patients in one query, logged in one batch."""
    numbers = {event.id: normalised_number(event.number or "") for event in asked}
    matches = patients_with_numbers(
        practice_id=link.practice_id, numbers=sorted({n for n in numbers.values() if n})
    )
    open_calls = set(
        CallbackRequest.objects.filter(
            practice_id=link.practice_id,
            call_id__in=[event.call_id for event in asked],
            status__in=OPEN_CALLBACK,
        ).values_list("call_id", flat=True)
    )
    made: list[CallbackRequest] = []
    for event in asked:
        number = numbers[event.id]
        if number is None or event.call_id in open_calls:
            continue  # parse_message refused a non-number already; one open request a call
        found = matches.get(number, [])
        try:
            with transaction.atomic():  # a twin from a request at the same moment: refused
                made.append(
                    CallbackRequest.objects.create(
                        practice_id=link.practice_id,
                        call_id=event.call_id,
                        number=number,
                        requested_at=event.at,
                        menu_choice=event.menu_choice,
                        patient=found[0] if len(found) == 1 else None,
                        match_count=len(found),
                    )
                )
        except IntegrityError:
            continue
        open_calls.add(event.call_id)
    named = [callback for callback in made if callback.patient is not None]
    if named:
        # The platform's number put patients' names in the queue: a system's access.
        record_batch_access(
            actor=None,
            practice=link.practice,
            accesses=[
                BatchAccess(
                    action=AuditAction.CREATE,
                    object_kind="callback_request",
                    patient=callback.patient,
                    object_ids=[callback.public_id],
                )
                for callback in named
            ],
            channel=Channel.API,
            actor_role=SYSTEM_ROLE,
            system_name=link.name,
        )
    return len(made)


# ---- folding events into calls ------------------------------------------------------


def _first(events: Iterable[CallEvent], kind: str) -> datetime | None:
    moments = [event.at for event in events if event.kind == kind]
    return min(moments) if moments else None


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, int((later - earlier).total_seconds()))


def call_from_events(practice_id: int, call_id: str, events: Sequence[CallEvent]) -> Call:
    """What one call was, from all its events in any order of arrival."""
    started = _first(events, EventKind.INCOMING) or min(event.at for event in events)
    queued_at = _first(events, EventKind.QUEUED)
    answered_at = _first(events, EventKind.ANSWERED)
    callback_at = _first(events, EventKind.CALLBACK_REQUESTED)
    abandoned_at = _first(events, EventKind.ABANDONED)
    ends = [event.at for event in events if event.kind == EventKind.ENDED]
    ended_at = max(ends) if ends else None
    choices = sorted(
        (event for event in events if event.menu_choice is not None), key=lambda e: e.at
    )
    since = queued_at or started
    left_queue: datetime | None
    if answered_at is not None:
        outcome, left_queue = CallOutcome.ANSWERED, answered_at
    elif callback_at is not None:
        outcome, left_queue = CallOutcome.CALLBACK, callback_at
    elif abandoned_at is not None:
        outcome, left_queue = CallOutcome.ABANDONED, abandoned_at
    elif queued_at is not None:
        # Ended in the queue without anyone answering: the caller gave up.
        outcome = CallOutcome.ABANDONED if ended_at else CallOutcome.WAITING
        left_queue = ended_at
    else:
        outcome, left_queue = CallOutcome.MENU, None
    return Call(
        practice_id=practice_id,
        call_key=call_id,
        source=CallSource.WEBHOOK,
        started_at=started,
        menu_choice=choices[-1].menu_choice if choices else None,
        queued=outcome != CallOutcome.MENU,
        outcome=outcome,
        wait_seconds=_seconds(left_queue, since) if outcome != CallOutcome.MENU else None,
        talk_seconds=_seconds(ended_at, answered_at),
    )


CALL_FIELDS = ["source", "started_at", "menu_choice", "queued", "outcome", "wait_seconds"]


def fold_call_events(*, limit: int = 5000) -> int:
    """Turn new events into calls (each call from all its events), then refresh the hours
    those calls fall in. Safe to run twice at once: each takes other events."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])
        batch = list(
            CallEvent.objects.select_for_update(skip_locked=True)
            .filter(folded=False)
            .order_by("received_at", "id")
            .values_list("id", "practice_id", "call_id")[:limit]
        )
        if not batch:
            return 0
        calls_by_practice: dict[int, set[str]] = defaultdict(set)
        for _id, practice_id, call_id in batch:
            calls_by_practice[practice_id].add(call_id)
        touched: dict[int, set[date]] = defaultdict(set)
        for practice_id, call_ids in calls_by_practice.items():
            events: dict[str, list[CallEvent]] = defaultdict(list)
            for event in CallEvent.objects.filter(practice_id=practice_id, call_id__in=call_ids):
                events[event.call_id].append(event)
            before = Call.objects.filter(practice_id=practice_id, call_key__in=call_ids)
            touched[practice_id].update(
                timezone.localdate(moment) for moment in before.values_list("started_at", flat=True)
            )
            calls = [call_from_events(practice_id, key, found) for key, found in events.items()]
            Call.objects.bulk_create(
                calls,
                update_conflicts=True,
                unique_fields=["practice", "call_key"],
                update_fields=[*CALL_FIELDS, "talk_seconds"],
            )
            touched[practice_id].update(timezone.localdate(call.started_at) for call in calls)
        CallEvent.objects.filter(id__in=[row[0] for row in batch]).update(folded=True)
        for practice_id, days in touched.items():
            refresh_call_hours(practice_ids=[practice_id], days=days)
    return len(batch)


def refresh_call_hours(*, practice_ids: Sequence[int] | None, days: Iterable[date]) -> int:
    """Recount the hours of these days from the calls (all practices when practice_ids is
    None): one grouped query, then the day's summary rows replaced at once."""
    wanted = sorted(set(days))
    if not wanted:
        return 0
    start, end = day_span(wanted[0], wanted[-1])
    calls = Call.objects.filter(started_at__gte=start, started_at__lt=end)
    summaries = CallHour.objects.filter(day__in=wanted)
    if practice_ids is not None:
        calls = calls.filter(practice_id__in=practice_ids)
        summaries = summaries.filter(practice_id__in=practice_ids)
    tz = timezone.get_current_timezone()
    queued = Q(queued=True)
    rows = (
        calls.annotate(
            day=TruncDate("started_at", tzinfo=tz), hour=ExtractHour("started_at", tzinfo=tz)
        )
        .values("practice_id", "day", "hour")
        .annotate(
            n_incoming=Count("id"),
            n_offered=Count("id", filter=queued),
            n_answered=Count("id", filter=Q(outcome=CallOutcome.ANSWERED)),
            n_abandoned=Count("id", filter=Q(outcome=CallOutcome.ABANDONED)),
            n_callbacks=Count("id", filter=Q(outcome=CallOutcome.CALLBACK)),
            wait_total=Coalesce(Sum("wait_seconds", filter=queued), 0),
            waits=Count("wait_seconds", filter=queued),
            talk_total=Coalesce(Sum("talk_seconds"), 0),
            talks=Count("talk_seconds"),
        )
        .order_by()
    )
    wanted_days = set(wanted)
    fresh = [
        CallHour(
            practice_id=row["practice_id"],
            day=row["day"],
            hour=row["hour"],
            incoming=row["n_incoming"],
            offered=row["n_offered"],
            answered=row["n_answered"],
            abandoned=row["n_abandoned"],
            callbacks=row["n_callbacks"],
            wait_seconds_total=row["wait_total"],
            waits_counted=row["waits"],
            talk_seconds_total=row["talk_total"],
            talks_counted=row["talks"],
        )
        for row in rows
        if row["day"] in wanted_days
    ]
    with transaction.atomic():
        summaries.delete()
        CallHour.objects.bulk_create(fresh, batch_size=2000)
    return len(fresh)
