"""Writes for e-consults. A question passes the same red-flag gate as booking; photos are
checked and re-encoded before anything is stored, and removed again if the transaction
does not commit; the deadline counts working days; every answer is declared once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction, Practice
from spreekuur.core.working_days import working_day_deadline
from spreekuur.econsult import capabilities
from spreekuur.econsult.models import (
    Category,
    ConsultCode,
    Declaration,
    EConsultSettings,
    Message,
    Photo,
    Thread,
    ThreadStatus,
)
from spreekuur.econsult.patient_log import INTERNAL_NOTE
from spreekuur.patients.models import Patient
from spreekuur.patients.notices import notify_new_in_portal
from spreekuur.patients.portal import portal_capacity
from spreekuur.triage.models import TriageUse
from spreekuur.triage.selectors import red_flags_for
from spreekuur.triage.services import check_triage, refuse_after_call_advice, take_for

if TYPE_CHECKING:
    from spreekuur.econsult.photos import CleanPhoto

MAX_BODY = 2000
MAX_PATIENT_FOLLOW_UPS = 2


def settings_for(practice: Practice) -> EConsultSettings:
    found = EConsultSettings.objects.filter(practice=practice).first()
    return found or EConsultSettings(practice=practice)


def _body(text: str) -> str:
    text = text.strip()
    if not text:
        raise BusinessRuleError(_("Schrijf uw vraag of bericht."))
    if len(text) > MAX_BODY:
        raise BusinessRuleError(_("Hooguit 2000 tekens."))
    return text


def _photos(files: Sequence[tuple[IO[bytes], int]], practice: Practice) -> list[CleanPhoto]:
    # The photo code (Pillow, pillow-heif) is imported where photos are handled, not at the
    # top: every web worker would hold it otherwise.
    from spreekuur.econsult.photos import MAX_PHOTOS, clean_photo

    if len(files) > MAX_PHOTOS:
        raise BusinessRuleError(_("Hooguit 3 foto's."))
    limit = settings_for(practice).max_photo_megabytes * 1024 * 1024
    return [clean_photo(upload, size=size, max_bytes=limit) for upload, size in files]


def _add_message(
    thread: Thread,
    *,
    author: User,
    body: str,
    from_patient: bool,
    internal: bool = False,
    photos: Sequence[CleanPhoto] = (),
    stored: list[str] | None = None,
) -> Message:
    message = Message.objects.create(
        practice_id=thread.practice_id,
        thread=thread,
        author=author,
        from_patient=from_patient,
        internal=internal,
        body=body,
    )
    for photo in photos:
        from spreekuur.econsult.photos import store_photo  # see _photos

        name = store_photo(photo)
        if stored is not None:
            stored.append(name)
        Photo.objects.create(
            practice_id=thread.practice_id,
            message=message,
            stored_name=name,
            width=photo.width,
            height=photo.height,
            size_bytes=len(photo.content),
        )
    return message


def _with_photo_cleanup(write: Callable[[list[str]], Thread]) -> Thread:
    """Run a write that may store photos in one transaction; when it does not commit, the
    stored files are removed again, so no photo outlives a refused or failed question."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            return write(stored)
    except BaseException:
        if stored:
            from spreekuur.econsult.photos import delete_stored  # see _photos

            delete_stored(stored)
        raise


def ask_question(
    *,
    patient: Patient,
    category: str,
    body: str,
    triage_answers: Mapping[str, bool],
    consent: bool,
    photos: Sequence[tuple[IO[bytes], int]] = (),
    by: User,
    self_triage: str | None = None,
) -> Thread:
    """A non-urgent question from the portal (the patient, or who acts for them). Not
    after a self-triage of the last hours that said to call; sent from a self-triage
    (`self_triage`, its public id, with a self-care outcome), that session goes along."""
    capacity = portal_capacity(by, patient)
    asked = check_triage(red_flags_for(patient.practice), triage_answers)
    refuse_after_call_advice(patient=patient)
    if category not in Category.values:
        raise BusinessRuleError(_("Kies een onderwerp."))
    if not consent:
        raise BusinessRuleError(_("Geef toestemming om uw vraag en foto's te versturen."))
    text = _body(body)
    settings = settings_for(patient.practice)
    _within_open_limit(patient, settings)  # before any photo is decoded (that costs CPU)
    cleaned = _photos(photos, patient.practice)  # all checked before anything is stored

    def write(stored: list[str]) -> Thread:
        Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
        _within_open_limit(patient, settings)
        taken = (
            take_for(public_id=self_triage, patient=patient, by=by, use=TriageUse.ECONSULT)
            if self_triage is not None
            else None
        )
        thread = Thread.objects.create(
            practice=patient.practice,
            patient=patient,
            asked_by=by,
            category=category,
            status=ThreadStatus.OPEN,
            triage=asked,
            self_triage=taken,
            due_at=working_day_deadline(timezone.now(), settings.sla_working_days),
        )
        _add_message(thread, author=by, body=text, from_patient=True, photos=cleaned, stored=stored)
        _log(thread, by, AuditAction.CREATE, f"{len(cleaned)} foto('s)", actor_role=capacity)
        return thread

    return _with_photo_cleanup(write)


def _within_open_limit(patient: Patient, settings: EConsultSettings) -> None:
    open_count = Thread.objects.filter(
        practice=patient.practice, patient=patient, status=ThreadStatus.OPEN
    ).count()
    if open_count >= settings.max_open_per_patient:
        raise BusinessRuleError(
            _("U heeft al %(count)s open vragen. Wacht op een antwoord, of bel de praktijk.")
            % {"count": open_count}
        )


def reply_as_patient(
    *,
    thread: Thread,
    body: str,
    photos: Sequence[tuple[IO[bytes], int]] = (),
    by: User,
) -> Thread:
    """A follow-up in the same thread (at most two); the practice's clock starts again."""
    capacity = portal_capacity(by, thread.patient)
    text = _body(body)
    if thread.status == ThreadStatus.CLOSED:  # checked again under the lock below
        raise BusinessRuleError(_("Deze vraag is afgesloten. Stel een nieuwe vraag."))
    cleaned = _photos(photos, thread.practice)

    def write(stored: list[str]) -> Thread:
        locked = _locked(thread)
        if locked.status == ThreadStatus.CLOSED:
            raise BusinessRuleError(_("Deze vraag is afgesloten. Stel een nieuwe vraag."))
        replies = locked.messages.filter(from_patient=True).count() - 1
        if replies >= MAX_PATIENT_FOLLOW_UPS:
            raise BusinessRuleError(
                _("U heeft al twee keer gereageerd. Stel een nieuwe vraag of bel de praktijk.")
            )
        settings = settings_for(locked.practice)
        if locked.status != ThreadStatus.OPEN:
            # Reopening an answered question counts as an open question again; a reply to
            # a question still waiting keeps its deadline (and stays "over tijd").
            Patient.objects.select_for_update(no_key=True).filter(pk=locked.patient_id).first()
            _within_open_limit(locked.patient, settings)
            locked.status = ThreadStatus.OPEN
            locked.due_at = working_day_deadline(timezone.now(), settings.sla_working_days)
            locked.save(update_fields=["status", "due_at"])
        _add_message(locked, author=by, body=text, from_patient=True, photos=cleaned, stored=stored)
        _log(locked, by, AuditAction.CHANGE, "reactie van de patiënt", actor_role=capacity)
        return locked

    return _with_photo_cleanup(write)


def _locked(thread: Thread) -> Thread:
    return (
        Thread.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patient__practice", "practice")
        .get(pk=thread.pk)
    )


def _staff(by: User, thread: Thread) -> Thread:
    if not capabilities.can_work_inbox(by) or practice_of(by) != thread.practice:
        raise PermissionDenied
    return _locked(thread)


def _log(
    thread: Thread, by: User | None, action: str, detail: str, *, actor_role: str | None = None
) -> None:
    record_access(
        actor=by,
        action=action,
        object_kind="econsult",
        practice=thread.practice,
        patient=thread.patient,
        object_ids=[thread.public_id],
        actor_role=actor_role,
        detail=detail,
    )


@transaction.atomic
def answer_thread(*, thread: Thread, body: str, by: User, close: bool = False) -> Thread:
    """The practice answers (the patient sees it and gets a content-free notice); the
    first answer is declared with the practice's code for the year."""
    locked = _staff(by, thread)
    if locked.status == ThreadStatus.CLOSED:
        raise BusinessRuleError(_("Deze vraag is al afgesloten."))
    _add_message(locked, author=by, body=_body(body), from_patient=False)
    now = timezone.now()
    locked.status = ThreadStatus.CLOSED if close else ThreadStatus.ANSWERED
    locked.answered_at = locked.answered_at or now
    locked.last_answer_at = now
    locked.reminder_sent_at = None
    locked.closed_at = now if close else None
    locked.assignee = locked.assignee or by
    locked.save(
        update_fields=[
            "status",
            "answered_at",
            "last_answer_at",
            "reminder_sent_at",
            "closed_at",
            "assignee",
        ]
    )
    _declare(locked, by, now)
    _log(locked, by, AuditAction.CHANGE, "beantwoord")
    patient = locked.patient
    transaction.on_commit(lambda: notify_new_in_portal(patient))
    return locked


def _declare(thread: Thread, by: User, now: datetime) -> None:
    if Declaration.objects.filter(thread=thread).exists():
        return
    day = timezone.localdate(now)
    code = ConsultCode.objects.filter(practice_id=thread.practice_id, year=day.year).first()
    Declaration.objects.create(
        thread=thread,
        practice_id=thread.practice_id,
        code=code.code if code else "",
        tariff=code.tariff if code else None,
        declared_on=day,
        answered_by=by,
    )


@transaction.atomic
def add_internal_note(*, thread: Thread, body: str, by: User) -> Message:
    """A note for colleagues; never shown in the portal."""
    locked = _staff(by, thread)
    message = _add_message(locked, author=by, body=_body(body), from_patient=False, internal=True)
    _log(locked, by, AuditAction.CHANGE, INTERNAL_NOTE)
    return message


@transaction.atomic
def assign_thread(*, thread: Thread, assignee: User | None, by: User) -> Thread:
    locked = _staff(by, thread)
    if assignee is not None and (
        not capabilities.can_work_inbox(assignee) or practice_of(assignee) != locked.practice
    ):
        raise PermissionDenied
    locked.assignee = assignee
    locked.save(update_fields=["assignee"])
    _log(locked, by, AuditAction.CHANGE, "toegewezen")
    return locked


@transaction.atomic
def close_thread(*, thread: Thread, by: User) -> Thread:
    locked = _staff(by, thread)
    if locked.status == ThreadStatus.CLOSED:
        raise BusinessRuleError(_("Deze vraag is al afgesloten."))
    locked.status = ThreadStatus.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    _log(locked, by, AuditAction.CHANGE, "afgesloten")
    return locked


def mark_read_by_patient(thread: Thread) -> None:
    """The patient (or who acts for them) opened the thread after an answer."""
    if thread.last_answer_at and (
        thread.patient_read_at is None or thread.patient_read_at < thread.last_answer_at
    ):
        Thread.objects.filter(pk=thread.pk).update(patient_read_at=timezone.now())


def can_reply_as_patient(thread: Thread, *, messages: Sequence[Message]) -> bool:
    """Whether the portal offers a reply (reply_as_patient checks it again, locked)."""
    follow_ups = sum(1 for message in messages if message.from_patient) - 1
    return not thread.is_closed and follow_ups < MAX_PATIENT_FOLLOW_UPS


# --- Reading is logged (NEN 7513): one entry per page and kind of object --------------------


def record_threads_read(
    *,
    by: User,
    threads: Sequence[Thread],
    patient: Patient | None = None,
    actor_role: str | None = None,
    detail: str = "",
) -> None:
    """E-consults were shown: one patient's (their list, or one thread), or a page of the
    practice's inbox (no single patient: the threads and the patients named in object_ids)."""
    practice = patient.practice if patient is not None else practice_of(by)
    if practice is None:
        raise PermissionDenied
    object_ids = [thread.public_id for thread in threads]
    if patient is None:
        object_ids += list({thread.patient.public_id for thread in threads})
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="econsult",
        practice=practice,
        patient=patient,
        object_ids=object_ids,
        actor_role=actor_role,
        detail=detail,
    )


@transaction.atomic
def open_thread_as_patient(
    *, thread: Thread, by: User, actor_role: str | None = None, detail: str = ""
) -> None:
    """The patient (or who acts for them) opened their thread: read, and logged."""
    mark_read_by_patient(thread)
    record_threads_read(
        by=by, threads=[thread], patient=thread.patient, actor_role=actor_role, detail=detail
    )


def record_photo_read(
    *, by: User, photo: Photo, actor_role: str | None = None, detail: str = ""
) -> None:
    thread = photo.message.thread
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="econsult_photo",
        practice=thread.practice,
        patient=thread.patient,
        object_ids=[photo.public_id],
        actor_role=actor_role,
        detail=detail,
    )


@transaction.atomic
def save_settings(*, practice: Practice, by: User, **values: int) -> EConsultSettings:
    if not capabilities.can_manage_econsult(by) or practice_of(by) != practice:
        raise PermissionDenied
    settings, _created = EConsultSettings.objects.update_or_create(
        practice=practice, defaults=values
    )
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="econsult_settings",
        practice=practice,
        detail=", ".join(f"{key}={value}" for key, value in sorted(values.items())),
    )
    return settings


@transaction.atomic
def set_consult_code(
    *, practice: Practice, year: int, code: str, description: str, tariff: object, by: User
) -> ConsultCode:
    if not capabilities.can_manage_econsult(by) or practice_of(by) != practice:
        raise PermissionDenied
    row, _created = ConsultCode.objects.update_or_create(
        practice=practice,
        year=year,
        defaults={"code": code.strip(), "description": description.strip(), "tariff": tariff},
    )
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="consult_code",
        practice=practice,
        detail=f"{year} {row.code}",
    )
    return row


UNREAD_DAYS = 3  # an answer unread this long gets one content-free reminder


def remind_unread_answers(*, now: datetime | None = None, batch: int = 200) -> int:
    """One reminder for each answer that stayed unread for UNREAD_DAYS. Marking the
    thread and queueing the notice are one transaction (the outbox delivers and retries),
    and threads are claimed with SKIP LOCKED, so a second worker sends nothing twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Thread.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status__in=[ThreadStatus.ANSWERED, ThreadStatus.CLOSED],
                last_answer_at__lte=now - timedelta(days=UNREAD_DAYS),
                reminder_sent_at__isnull=True,
            )
            .filter(Q(patient_read_at__isnull=True) | Q(patient_read_at__lt=F("last_answer_at")))
            .select_related("patient__practice", "patient__user")
            .order_by("last_answer_at", "id")[:batch]
        )
        for thread in due:
            thread.reminder_sent_at = now
            thread.save(update_fields=["reminder_sent_at"])
            notify_new_in_portal(thread.patient)
    return len(due)
