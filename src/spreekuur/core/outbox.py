"""The notification outbox: e-mail and SMS leave through here, never from a request.

`queue_email` and `queue_sms` write a row in the caller's transaction, so what is rolled
back sends nothing, and ask for prompt delivery once the transaction commits. The shell's
delivery task sends due rows, retries failures with back-off and, after the last attempt,
leaves the row FAILED for the practice to see (shell.services.deliver_due_notifications)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from spreekuur.core.models import Notification, NotificationChannel, Practice
from spreekuur.core.sms import mobile_number

# Waits after the 1st, 2nd, … failed attempt; after the last one the message is FAILED.
RETRY_AFTER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)
MAX_ATTEMPTS = len(RETRY_AFTER) + 1

_on_queued: list[Callable[[], None]] = []


def when_queued(callback: Callable[[], None]) -> None:
    """The shell asks to hear of new messages (to enqueue its delivery task on commit).
    Asked again (the app registry is rebuilt in tests), it is still called once."""
    if callback not in _on_queued:
        _on_queued.append(callback)


def _queue(
    *, practice: Practice | None, channel: str, recipient: str, subject: str, body: str
) -> Notification:
    message = Notification.objects.create(
        practice=practice,
        channel=channel,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        next_attempt_at=timezone.now(),
    )
    _once_on_commit()
    return message


def _once_on_commit() -> None:
    """Ask for delivery once per transaction, however many messages it queues: a booking
    writes an e-mail and an SMS, and one delivery task sends both."""
    connection = transaction.get_connection()
    # Only a request made at this same savepoint level counts: whatever rolls back around
    # it, every block that queued a message keeps a request that lives as long as it.
    here = set(connection.savepoint_ids)
    waiting = {
        callback for savepoints, callback, _robust in connection.run_on_commit if savepoints == here
    }
    for callback in _on_queued:
        if callback not in waiting:
            transaction.on_commit(callback, robust=True)


def queue_email(*, practice: Practice | None, to: str, subject: str, body: str) -> Notification:
    return _queue(
        practice=practice,
        channel=NotificationChannel.EMAIL,
        recipient=to,
        subject=subject,
        body=body,
    )


def queue_sms(*, practice: Practice | None, phone: str, text: str) -> Notification | None:
    """A text to a Dutch mobile number; a landline or an empty number is skipped (None)."""
    to = mobile_number(phone)
    if to is None:
        return None
    return _queue(
        practice=practice, channel=NotificationChannel.SMS, recipient=to, subject="", body=text
    )


def next_attempt_after(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries, or None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_AFTER[attempts - 1]
