"""Background work of triage, declared as a periodic job in TriageConfig: the content-free
notices of sent questionnaires, in batches (services.send_due_questionnaire_notices)."""

from __future__ import annotations

from datetime import datetime

from spreekuur.triage import services


def send_due_questionnaire_notices(*, now: datetime | None = None, batch: int = 200) -> int:
    return services.send_due_questionnaire_notices(now=now, batch=batch)
