"""Reads of e-consults, scoped: a patient's own threads (never an internal note), the
practice's inbox with the time left, one thread for staff, and a photo for whoever may
see its thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.econsult.models import Message, Photo, Thread, ThreadStatus, overdue_threads
from spreekuur.patients.models import Patient


def _visible_messages() -> Prefetch[Any]:
    """What the portal may show of a thread: never an internal note."""
    return Prefetch(
        "messages",
        queryset=Message.objects.filter(internal=False)
        .prefetch_related("photos")
        .order_by("created_at", "id"),
        to_attr="visible",
    )


def threads_of(patient: Patient) -> QuerySet[Thread]:
    return Thread.objects.filter(practice_id=patient.practice_id, patient=patient).order_by(
        "-created_at", "-id"
    )


def thread_for_patient(user: User, patient: Patient, public_id: UUID | str) -> Thread:
    """One of this patient's threads with the visible messages; 404 (a refused attempt)
    for any other."""
    try:
        return (
            threads_of(patient)
            .select_related("practice", "patient__practice")
            .prefetch_related(_visible_messages())
            .get(public_id=public_id)
        )
    except (Thread.DoesNotExist, ValueError):
        raise OutOfReach(actor=user, object_kind="econsult", object_ids=[public_id]) from None


def inbox(*, by: User, mine: bool = False, status: str = ThreadStatus.OPEN) -> QuerySet[Thread]:
    practice = practice_of(by)
    if practice is None:
        raise Http404
    threads = Thread.objects.filter(practice=practice, status=status)
    if mine:
        threads = threads.filter(Q(assignee=by) | Q(assignee__isnull=True))
    return threads.select_related("patient", "assignee").order_by("due_at", "id")


@dataclass(frozen=True)
class DaySummary:
    open: int
    overdue: int
    due_today: int
    unassigned: int


def day_summary(practice: Practice) -> DaySummary:
    """For the practice's e-consult time block: one grouped query."""
    now = timezone.now()
    end_of_day = timezone.make_aware(datetime.combine(timezone.localdate(), time.max))
    counts = Thread.objects.filter(practice=practice, status=ThreadStatus.OPEN).aggregate(
        open=Count("id"),
        overdue=Count("id", filter=overdue_threads(now)),
        due_today=Count("id", filter=Q(due_at__gte=now, due_at__lte=end_of_day)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
    )
    return DaySummary(**counts)


def thread_for_staff(user: User, public_id: UUID | str) -> Thread:
    practice = practice_of(user)
    try:
        if practice is None:
            raise Thread.DoesNotExist
        return (
            Thread.objects.select_related("patient__practice", "practice", "assignee")
            .prefetch_related(
                Prefetch(
                    "messages",
                    queryset=Message.objects.select_related("author")
                    .prefetch_related("photos")
                    .order_by("created_at", "id"),
                    to_attr="all_messages",
                )
            )
            .get(practice=practice, public_id=public_id)
        )
    except (Thread.DoesNotExist, ValueError):
        raise OutOfReach(actor=user, object_kind="econsult", object_ids=[public_id]) from None


def photo_for(user: User, public_id: UUID | str, *, patient: Patient | None) -> Photo:
    """A photo of a thread the user may see: their own (or represented) patient's, never
    of an internal note; or any of the practice's for its staff. 404 otherwise."""
    photos = Photo.objects.select_related("message__thread__patient__practice")
    try:
        if patient is not None:
            return photos.get(
                public_id=public_id,
                message__internal=False,
                message__thread__patient=patient,
                practice_id=patient.practice_id,
            )
        practice = practice_of(user)
        if practice is None:
            raise Photo.DoesNotExist
        return photos.get(public_id=public_id, practice=practice)
    except (Photo.DoesNotExist, ValueError):
        raise OutOfReach(actor=user, object_kind="econsult_photo", object_ids=[public_id]) from None
