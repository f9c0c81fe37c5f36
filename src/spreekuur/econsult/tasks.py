"""Background work of the e-consult, declared as a periodic job in EconsultConfig: a
reminder when an answer has stayed unread for 3 days (once; services.remind_unread_answers)."""

from __future__ import annotations

from datetime import datetime

from spreekuur.econsult import services


def remind_unread_answers(*, now: datetime | None = None, batch: int = 200) -> int:
    return services.remind_unread_answers(now=now, batch=batch)
