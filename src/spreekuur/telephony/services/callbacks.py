"""The callback queue's writes. Each one is a conditional update on the request's row
(claim only what still waits, try only what one holds), so two assistants who click at
once never both take a caller, and no click makes a caller disappear."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.core.audit import BatchAccess, record_access, record_batch_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.core.roles import Channel
from spreekuur.telephony.capabilities import can_work_callbacks
from spreekuur.telephony.models import (
    OPEN_CALLBACK,
    AttemptOutcome,
    CallbackAttempt,
    CallbackRequest,
    CallbackStatus,
    PhoneSettings,
)

# A claim nobody acted on for this long goes back to the queue (tidy_phone_line).
STALE_CLAIM = timedelta(minutes=20)
# Numbers of closed requests are erased after this long, and the link to the patient
# after a year (the access log keeps who looked).
KEEP_NUMBER = timedelta(days=30)
KEEP_PATIENT = timedelta(days=365)
# A request nobody managed to close in this time is closed as not reached: the caller
# has long since called again or come by.
GIVE_UP_AFTER = timedelta(days=3)


def _check(by: User, callback: CallbackRequest) -> None:
    if not can_work_callbacks(by):
        raise PermissionDenied


def _log(by: User, callback: CallbackRequest, detail: str) -> None:
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="callback_request",
        practice=callback.practice,
        patient=callback.patient,
        object_ids=[callback.public_id],
        detail=detail,
    )


def _holder_name(callback: CallbackRequest) -> str:
    fresh = CallbackRequest.objects.select_related("claimed_by").get(pk=callback.pk)
    if fresh.status == CallbackStatus.CLAIMED and fresh.claimed_by is not None:
        return fresh.claimed_by.full_name or fresh.claimed_by.email
    return ""


@transaction.atomic
def claim_callback(*, callback: CallbackRequest, by: User) -> None:
    _check(by, callback)
    taken = CallbackRequest.objects.filter(pk=callback.pk, status=CallbackStatus.WAITING).update(
        status=CallbackStatus.CLAIMED, claimed_by=by, claimed_at=timezone.now()
    )
    if not taken:
        holder = _holder_name(callback)
        if holder:
            raise BusinessRuleError(_("%(name)s heeft deze beller al opgepakt.") % {"name": holder})
        raise BusinessRuleError(_("Deze beller wacht niet meer op terugbellen."))
    _log(by, callback, "opgepakt")


@transaction.atomic
def release_callback(*, callback: CallbackRequest, by: User) -> None:
    """Back to the queue, for anyone (a colleague's claim too: she may have gone home)."""
    _check(by, callback)
    released = CallbackRequest.objects.filter(pk=callback.pk, status=CallbackStatus.CLAIMED).update(
        status=CallbackStatus.WAITING, claimed_by=None, claimed_at=None
    )
    if not released:
        raise BusinessRuleError(_("Deze beller was niet opgepakt."))
    _log(by, callback, "vrijgegeven")


@transaction.atomic
def record_attempt(*, callback: CallbackRequest, outcome: str, by: User) -> CallbackStatus:
    """One try at calling back, by whoever holds the request (a waiting one is taken by
    this try). Spoken (or a wrong number) closes it; otherwise it goes back to the queue
    until the practice's number of tries is reached."""
    _check(by, callback)
    if outcome not in AttemptOutcome.values:
        raise BusinessRuleError(_("Kies hoe het terugbellen ging."))
    locked = (
        CallbackRequest.objects.select_for_update().select_related("practice").get(pk=callback.pk)
    )
    mine = locked.status == CallbackStatus.CLAIMED and locked.claimed_by_id == by.pk
    if not (mine or locked.status == CallbackStatus.WAITING):
        if locked.status == CallbackStatus.CLAIMED:
            raise BusinessRuleError(_("Een collega heeft deze beller opgepakt."))
        raise BusinessRuleError(_("Deze beller wacht niet meer op terugbellen."))
    now = timezone.now()
    CallbackAttempt.objects.create(
        practice_id=locked.practice_id, callback=locked, at=now, by=by, outcome=outcome
    )
    settings = PhoneSettings.objects.filter(practice_id=locked.practice_id).first()
    limit = settings.callback_attempts if settings else 3
    attempts = locked.attempts + 1
    closes = outcome in (AttemptOutcome.SPOKEN, AttemptOutcome.WRONG_NUMBER) or attempts >= limit
    if closes:
        status = (
            CallbackStatus.DONE if outcome == AttemptOutcome.SPOKEN else CallbackStatus.UNREACHED
        )
        change: dict[str, Any] = {
            "closed_at": now,
            "closed_by": by,
            "claimed_by": by,
            "claimed_at": now,
        }
    else:  # back in the queue, for whoever tries next
        status = CallbackStatus.WAITING
        change = {"closed_at": None, "closed_by": None, "claimed_by": None, "claimed_at": None}
    CallbackRequest.objects.filter(pk=locked.pk).update(
        status=status, attempts=attempts, last_attempt_at=now, **change
    )
    _log(by, locked, f"poging {attempts}: {outcome}")
    return status


def release_stale_claims(*, now: datetime | None = None) -> int:
    """Claims nobody tried within STALE_CLAIM go back to the queue: no caller waits behind
    a colleague who was called away."""
    moment = now or timezone.now()
    return CallbackRequest.objects.filter(
        status=CallbackStatus.CLAIMED, claimed_at__lt=moment - STALE_CLAIM
    ).update(status=CallbackStatus.WAITING, claimed_by=None, claimed_at=None)


def erase_old_numbers(*, now: datetime | None = None) -> int:
    """A closed request's number is not needed after KEEP_NUMBER, its patient after
    KEEP_PATIENT; a request open for GIVE_UP_AFTER is closed as not reached."""
    moment = now or timezone.now()
    CallbackRequest.objects.filter(
        status__in=OPEN_CALLBACK, requested_at__lt=moment - GIVE_UP_AFTER
    ).update(status=CallbackStatus.UNREACHED, closed_at=moment)
    CallbackRequest.objects.filter(
        closed_at__lt=moment - KEEP_PATIENT, patient__isnull=False
    ).update(patient=None)
    return (
        CallbackRequest.objects.filter(closed_at__lt=moment - KEEP_NUMBER)
        .exclude(number="")
        .update(number="")
    )


def record_callers_shown(
    *, by: User, callbacks: list[CallbackRequest], already: set[str]
) -> set[str]:
    """The queue names the patients it recognised: one log line per patient the first
    time this user's screen shows them (the screen refreshes itself every few seconds;
    the same name again is no new access). Returns the ids shown so far."""
    new = [c for c in callbacks if c.patient is not None and str(c.public_id) not in already]
    if new:
        record_batch_access(
            actor=by,
            practice=new[0].practice,
            accesses=[
                BatchAccess(
                    action=AuditAction.READ,
                    object_kind="callback_request",
                    patient=callback.patient,
                    object_ids=[callback.public_id],
                )
                for callback in new
                if callback.patient is not None
            ],
            channel=Channel.STAFF,
        )
    return already | {str(c.public_id) for c in new}
