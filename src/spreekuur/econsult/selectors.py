"""Reads of e-consults, scoped: a patient's own threads (never an internal note), the
practice's inbox with the time left, one thread for staff, and a photo for whoever may
see its thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from uuid import UUID

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts.models import User
from spreekuur.accounts.naming import staff_label
from spreekuur.accounts.selectors import practice_of, staff_roles
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.econsult.models import Message, Photo, Thread, ThreadStatus, overdue_threads
from spreekuur.patients.models import Patient


def _visible_messages() -> Prefetch[Any]:
    """What the portal may show of a thread: never an internal note."""
    return Prefetch(
        "messages",
        queryset=Message.objects.filter(internal=False)
        .select_related("author")
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
        thread = (
            threads_of(patient)
            .select_related("practice", "patient__practice")
            .prefetch_related(_visible_messages())
            .get(public_id=public_id)
        )
    except (Thread.DoesNotExist, ValueError):
        raise OutOfReach(actor=user, object_kind="econsult", object_ids=[public_id]) from None
    _sign(thread.practice_id, thread.visible)  # type: ignore[attr-defined]
    return thread


def _sign(practice_id: int, messages: list[Message]) -> None:
    """Each answer signed by who wrote it ("Dokter De Boer"), as a letter would be."""
    answers = [m for m in messages if not m.from_patient]
    roles = staff_roles(practice_id, {m.author_id for m in answers})
    for message in answers:
        role = roles.get(message.author_id, "")
        message.signature = staff_label(role, message.author.full_name)  # type: ignore[attr-defined]


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


# --- What is new for the patient, and the messages overview ----------------------------------


def unread_answer() -> Q:
    """An answer the patient (or who acts for them) has not opened since it came (for
    queries; has_unread_answer is the same for one thread)."""
    return Q(last_answer_at__isnull=False) & (
        Q(patient_read_at__isnull=True) | Q(patient_read_at__lt=F("last_answer_at"))
    )


def has_unread_answer(thread: Thread) -> bool:
    return thread.last_answer_at is not None and (
        thread.patient_read_at is None or thread.patient_read_at < thread.last_answer_at
    )


def unread_answers(patient: Patient) -> QuerySet[Thread]:
    return threads_of(patient).filter(unread_answer())


def with_overview(threads: QuerySet[Thread]) -> QuerySet[Thread]:
    """Threads told apart in a list: each with the opening text of the question
    (`opening_text`) and the role of who wrote the practice's last answer
    (`answered_by_role`), as subqueries in the same query."""
    visible = Message.objects.filter(thread=OuterRef("pk"), internal=False)
    return threads.annotate(
        opening_text=Subquery(
            visible.filter(from_patient=True).order_by("created_at", "id").values("body")[:1]
        ),
        answered_by_role=Subquery(
            visible.filter(from_patient=False)
            .order_by("-created_at", "-id")
            .values("author__membership__role")[:1]
        ),
    )


# The portal names the practice, not the person, in a thread (_messages.html); a list
# line says which kind of care giver answered.
_ANSWERED_BY: dict[str, Promise] = {
    StaffRole.HUISARTS: _("de huisarts"),
    StaffRole.ASSISTENT: _("de doktersassistent"),
    StaffRole.POH: _("de praktijkondersteuner"),
}


def answered_by(role: str | None) -> str:
    """Who answered, as the patient reads it ("" when nobody has yet)."""
    if role is None:
        return ""
    return str(_ANSWERED_BY.get(role, _("de praktijk")))


def messages_overview(patient: Patient, *, limit: int = 50) -> list[Thread]:
    """The patient's threads for the overview, newest first, in one query: each with the
    first words of the question (`opening`), who answered (`answered_by`) and whether an
    answer waits unread (`unread`), so that no two lines read the same."""
    threads = list(with_overview(threads_of(patient))[:limit])
    for thread in threads:
        thread.opening = opening_words(thread.opening_text or "")  # type: ignore[attr-defined]
        thread.answered_by = answered_by(thread.answered_by_role)  # type: ignore[attr-defined]
        thread.unread = has_unread_answer(thread)  # type: ignore[attr-defined]
    return threads


def opening_words(text: str, *, length: int = 80) -> str:
    """The first words of a question, cut at a word, for a list line."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return f"{cut}…"
