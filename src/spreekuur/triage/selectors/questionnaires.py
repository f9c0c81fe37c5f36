"""Reads of questionnaires, already scoped to a practice (or a patient)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from spreekuur.triage.models import (
    InvitationReason,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireMailing,
    QuestionnaireResponse,
    QuestionnaireStatus,
)
from spreekuur.triage.questionnaires import (
    MIN_GROUP,
    Group,
    QuestionnaireDocument,
    parse_questionnaire,
)

_documents: dict[uuid.UUID, QuestionnaireDocument] = {}


def document_of(questionnaire: Questionnaire) -> QuestionnaireDocument:
    """The checked document of a published version (cached: it never changes). A draft
    is parsed every time, and may be incomplete: use draft_document for it."""
    if not questionnaire.is_published and questionnaire.status != QuestionnaireStatus.RETIRED:
        return parse_questionnaire(questionnaire.definition)
    found = _documents.get(questionnaire.public_id)
    if found is None:
        found = _documents[questionnaire.public_id] = parse_questionnaire(questionnaire.definition)
    return found


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def practice_questionnaires(practice: Practice) -> list[Questionnaire]:
    """The practice's own questionnaires: per code the version in use and the draft."""
    return list(
        Questionnaire.objects.filter(
            practice=practice,
            status__in=[QuestionnaireStatus.PUBLISHED, QuestionnaireStatus.DRAFT],
        ).order_by("title", "-version")
    )


def shipped_questionnaires() -> list[Questionnaire]:
    """The sets the code ships, newest version of each."""
    rows = Questionnaire.objects.filter(practice__isnull=True).order_by("code", "-version")
    newest: dict[str, Questionnaire] = {}
    for row in rows:
        newest.setdefault(row.code, row)
    return sorted(newest.values(), key=lambda row: row.title)


def published_questionnaires(
    practice: Practice, *, purpose: str | None = None
) -> list[Questionnaire]:
    """What the practice can send now."""
    rows = Questionnaire.objects.filter(practice=practice, status=QuestionnaireStatus.PUBLISHED)
    if purpose is not None:
        rows = rows.filter(purpose=purpose)
    return list(rows.order_by("title"))


def published_by_code(
    practice: Practice, code: str, *, purpose: str | None = None
) -> Questionnaire | None:
    """The version in use of the practice's questionnaire with this code (or None)."""
    rows = Questionnaire.objects.filter(
        practice=practice, code=code, status=QuestionnaireStatus.PUBLISHED
    )
    if purpose is not None:
        rows = rows.filter(purpose=purpose)
    return rows.first()


def _questionnaire(public_id: object, **scope: object) -> Questionnaire:
    """A questionnaire version in this scope by its public id, or a 404 (no patient data
    in it: nothing to log as refused)."""
    key = _uuid(public_id)
    found = Questionnaire.objects.filter(public_id=key, **scope).first() if key else None
    if found is None:
        raise Http404("questionnaire")
    return found


def get_practice_questionnaire(practice: Practice, public_id: object) -> Questionnaire:
    """One of the practice's own questionnaire versions (or a 404)."""
    return _questionnaire(public_id, practice=practice)


def get_shipped_questionnaire(public_id: object) -> Questionnaire:
    return _questionnaire(public_id, practice__isnull=True)


def versions_of(questionnaire: Questionnaire) -> list[Questionnaire]:
    return list(
        Questionnaire.objects.filter(
            practice=questionnaire.practice, code=questionnaire.code
        ).order_by("-version")
    )


# For the patient ---------------------------------------------------------------------


def open_invitations(patient: Patient, *, now: Any = None) -> QuerySet[QuestionnaireInvitation]:
    """What waits for the patient: not answered, not withdrawn, not past its deadline."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return (
        QuestionnaireInvitation.objects.filter(
            patient=patient, answered=False, withdrawn_at__isnull=True
        )
        .filter(Q(answer_before__isnull=True) | Q(answer_before__gt=now))
        .filter(Q(mailing__isnull=True) | Q(mailing__closes_on__gte=today))
        .select_related("questionnaire", "mailing")
        .order_by("answer_before", "-sent_at", "-id")
    )


def answered_invitations(patient: Patient) -> QuerySet[QuestionnaireInvitation]:
    return (
        QuestionnaireInvitation.objects.filter(patient=patient, answered=True)
        .select_related("questionnaire")
        .order_by("-sent_at", "-id")
    )


def invitation_of_patient(
    patient: Patient, public_id: object, *, by: User
) -> QuestionnaireInvitation:
    """The patient's own invitation (any state), or a refused attempt and a 404."""
    key = _uuid(public_id)
    found = (
        QuestionnaireInvitation.objects.select_related("questionnaire", "mailing", "patient")
        .filter(patient=patient, public_id=key)
        .first()
        if key is not None
        else None
    )
    if found is None:
        raise OutOfReach(actor=by, object_kind="questionnaire", object_ids=[str(public_id)[:40]])
    return found


def named_response_of(invitation: QuestionnaireInvitation) -> QuestionnaireResponse | None:
    """The answers of a named questionnaire (an anonymous one has none to show)."""
    if invitation.questionnaire.anonymous:
        return None
    return QuestionnaireResponse.objects.filter(invitation=invitation).first()


# For the practice ---------------------------------------------------------------------


def mailings_of(questionnaire: Questionnaire) -> list[QuestionnaireMailing]:
    return list(
        QuestionnaireMailing.objects.filter(
            practice=questionnaire.practice, questionnaire__code=questionnaire.code
        )
        .select_related("questionnaire")
        .order_by("-sent_at")
    )


def countable_mailings(questionnaire: Questionnaire, *, today: date) -> list[QuestionnaireMailing]:
    """The mailings of this version whose anonymous results may show: closed before
    today, their answers moved out of waiting (all at once), at least MIN_GROUP of them."""
    return list(
        QuestionnaireMailing.objects.filter(
            practice=questionnaire.practice, questionnaire=questionnaire, closes_on__lt=today
        )
        .exclude(pending_answers__isnull=False)
        .annotate(answers=Count("responses"))
        .filter(answers__gte=MIN_GROUP)
        .order_by("sent_at")
    )


def get_practice_mailing(practice: Practice, public_id: object) -> QuestionnaireMailing:
    key = _uuid(public_id)
    found = (
        QuestionnaireMailing.objects.select_related("questionnaire")
        .filter(practice=practice, public_id=key)
        .first()
        if key is not None
        else None
    )
    if found is None:
        raise Http404("questionnaire")
    return found


def responses_of(
    questionnaire: Questionnaire, *, mailing: QuestionnaireMailing | None = None
) -> QuerySet[QuestionnaireResponse]:
    """The answers to this version (of one mailing, if given), newest first."""
    rows = QuestionnaireResponse.objects.filter(
        practice=questionnaire.practice, questionnaire=questionnaire
    )
    if mailing is not None:
        rows = rows.filter(mailing=mailing)
    return rows.select_related("patient", "answered_by").order_by("-submitted_at", "-id")


def group_members(practice: Practice, group: Group, *, today: date) -> list[Patient]:
    """The patients in the group (with an active portal account, of the age), loaded
    with their id and practice only."""
    born_before = _years_before(today, group.min_age)
    rows = Patient.objects.filter(
        practice=practice,
        user__isnull=False,
        user__is_active=True,
        date_of_birth__lte=born_before,
    )
    if group.max_age is not None:
        rows = rows.filter(date_of_birth__gt=_years_before(today, group.max_age + 1))
    members = list(rows.order_by("id").only("id", "practice_id"))
    if group.sample is not None and group.sample < len(members):
        members = sorted(random.SystemRandom().sample(members, group.sample), key=lambda p: p.pk)
    return members


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def group_size(practice: Practice, group: Group, *, today: date) -> int:
    """How many patients a mailing to this group would reach."""
    return len(group_members(practice, group, today=today))


@dataclass(frozen=True)
class ResponseRate:
    questionnaire: Questionnaire
    reason: str
    sent: int
    answered: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None


def response_rates(practice: Practice, *, start: date, end: date) -> list[ResponseRate]:
    """Per questionnaire version and way of sending: invitations sent in [start, end]
    and how many were answered (withdrawn ones not counted). One query."""
    rows = (
        QuestionnaireInvitation.objects.filter(
            practice=practice,
            sent_at__date__gte=start,
            sent_at__date__lte=end,
            withdrawn_at__isnull=True,
        )
        .values("questionnaire", "reason")
        .annotate(sent=Count("id"), answered=Count("id", filter=Q(answered=True)))
        .order_by("questionnaire", "reason")
    )
    by_id = {
        q.pk: q for q in Questionnaire.objects.filter(pk__in={row["questionnaire"] for row in rows})
    }
    return sorted(
        (
            ResponseRate(by_id[row["questionnaire"]], row["reason"], row["sent"], row["answered"])
            for row in rows
        ),
        key=lambda r: (r.questionnaire.title, r.questionnaire.version, r.reason),
    )


def mailing_progress(mailing: QuestionnaireMailing) -> dict[str, int]:
    """How far the notices of a mailing are (`waiting`: what the notice job still has to
    send; an invitation answered or withdrawn first gets none), and how many answered."""
    waiting = Q(notified_at__isnull=True, answered=False, withdrawn_at__isnull=True)
    counts = QuestionnaireInvitation.objects.filter(mailing=mailing).aggregate(
        n_invited=Count("id"),
        n_notified=Count("id", filter=Q(notified_at__isnull=False)),
        n_answered=Count("id", filter=Q(answered=True)),
        n_waiting=Count("id", filter=waiting),
    )  # not "answered": an aggregate of that name would shadow the field in `waiting`
    result = {key.removeprefix("n_"): value or 0 for key, value in counts.items()}
    if mailing.closes_on < timezone.localdate():
        result["waiting"] = 0  # closed: the job sends no more for it
    return result


__all__ = [
    "InvitationReason",
    "ResponseRate",
    "answered_invitations",
    "countable_mailings",
    "document_of",
    "get_practice_mailing",
    "get_practice_questionnaire",
    "get_shipped_questionnaire",
    "group_members",
    "group_size",
    "invitation_of_patient",
    "mailing_progress",
    "mailings_of",
    "named_response_of",
    "open_invitations",
    "practice_questionnaires",
    "published_by_code",
    "published_questionnaires",
    "response_rates",
    "responses_of",
    "shipped_questionnaires",
    "versions_of",
]
