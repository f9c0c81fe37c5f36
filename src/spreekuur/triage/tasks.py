"""Background work of triage, declared as periodic jobs in TriageConfig: the content-free
notices of sent questionnaires, in batches (services.send_due_questionnaire_notices), and
the anonymous answers of closed mailings, shuffled into the results
(services.release_anonymous_answers)."""

from __future__ import annotations

from datetime import datetime

from spreekuur.triage import services


def send_due_questionnaire_notices(*, now: datetime | None = None, batch: int = 200) -> int:
    return services.send_due_questionnaire_notices(now=now, batch=batch)


def release_anonymous_answers(*, now: datetime | None = None) -> int:
    return services.release_anonymous_answers(now=now)
