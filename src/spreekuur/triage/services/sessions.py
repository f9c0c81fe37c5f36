"""Self-triage sessions: storing a finished one, and handing it to booking or e-consult."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction, Practice
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import portal_capacity
from spreekuur.triage.flows import format_walk
from spreekuur.triage.models import TriageChannel, TriageSession, TriageUse
from spreekuur.triage.selectors import (
    ALLOWED_USES,
    CALL_ADVICE_HOURS,
    CALL_NOW_OR_TODAY,
    HAND_OVER_HOURS,
    OfferedFlow,
    parsed,
    recent_call_advice,
)


class TriageNotFinished(BusinessRuleError):
    def __init__(self) -> None:
        super().__init__(_("Beantwoord eerst alle vragen."))


class TriageSaysCall(BusinessRuleError):
    """The self-triage said to call (112, the urgent line or the practice today): online
    booking and e-consult do not take the patient past that."""

    def __init__(self, session: TriageSession) -> None:
        self.session = session
        super().__init__(
            _(
                "Uit de zelftriage kwam het advies om te bellen. Bel de praktijk (of bij "
                "levensgevaar 112); online kunt u hiervoor geen afspraak of e-consult maken."
            )
        )


@transaction.atomic
def record_triage(
    *,
    practice: Practice,
    offered: OfferedFlow,
    walk: list[int],
    channel: str,
    patient: Patient | None = None,
    by: User | None = None,
    now: datetime | None = None,
) -> TriageSession:
    """A finished self-triage. Anonymous (the practice's website): no patient and no user,
    nothing else either. From the portal: the patient (or who acts for them) and an entry
    in the access log, since a complaint is medical data."""
    if channel not in TriageChannel.values:
        raise BusinessRuleError(_("Onbekend kanaal."))
    if offered.row.practice_id not in (None, practice.pk):
        raise PermissionDenied  # another practice's own flow
    step = offered.flow.walk(walk)  # ValueError for a walk not of this flow
    if step.outcome is None:
        raise TriageNotFinished
    capacity = None
    if patient is not None:
        if by is None or patient.practice_id != practice.pk:
            raise PermissionDenied
        capacity = portal_capacity(by, patient)
    elif by is not None:
        raise PermissionDenied  # anonymous means no one
    session = TriageSession.objects.create(
        practice=practice,
        flow=offered.row,
        patient=patient,
        started_by=by,
        channel=channel,
        walk=format_walk(walk),
        urgency=step.outcome.urgency.value,
        outcome_id=step.outcome.id,
        red_flag=step.red_flag,
        created_at=now or timezone.now(),
    )
    if patient is not None:
        _log(session, AuditAction.CREATE, by=by, capacity=capacity)
    return session


def record_triage_read(*, session: TriageSession, by: User) -> None:
    """A patient's triage outcome was shown (to them, or to who acts for them)."""
    if session.patient is None:
        return  # anonymous: nobody's record
    _log(session, AuditAction.READ, by=by, capacity=portal_capacity(by, session.patient))


def _log(session: TriageSession, action: str, *, by: User | None, capacity: str | None) -> None:
    """A patient's triage in their access log, under the capacity of who acted for them."""
    record_access(
        actor=by,
        action=action,
        object_kind="triage",
        practice=session.practice,
        patient=session.patient,
        object_ids=[session.public_id],
        actor_role=capacity,
        detail="namens de patiënt" if capacity else "",
    )


def refuse_after_call_advice(*, patient: Patient, now: datetime | None = None) -> None:
    """Booking and e-consult ask this first: a triage of the last hours that said "call"
    is not skipped by opening the booking page or the e-consult form directly."""
    advice = recent_call_advice(patient, now=now or timezone.now(), hours=CALL_ADVICE_HOURS)
    if advice is not None:
        raise TriageSaysCall(advice)


def take_for(
    *,
    public_id: str,
    patient: Patient,
    by: User,
    use: str,
    now: datetime | None = None,
) -> TriageSession:
    """The triage a booking or e-consult is made from, checked and marked as used, in the
    caller's transaction. It must be this patient's (an anonymous one of their own
    practice's website is taken over by them now), recent, unused, and have an outcome
    that allows this use; otherwise nothing is booked or sent."""
    now = now or timezone.now()
    portal_capacity(by, patient)
    session = (
        TriageSession.objects.select_for_update()
        .select_related("flow")
        .filter(public_id=public_id, practice_id=patient.practice_id)
        .first()
    )
    if session is None or (session.patient_id not in (None, patient.pk)):
        raise PermissionDenied
    if session.urgency in CALL_NOW_OR_TODAY:
        raise TriageSaysCall(session)
    if session.urgency not in ALLOWED_USES[TriageUse(use)]:
        raise BusinessRuleError(
            _("Met dit advies uit de zelftriage past een afspraak beter dan een e-consult.")
        )
    if session.used_for or session.created_at < now - timedelta(hours=HAND_OVER_HOURS):
        raise BusinessRuleError(
            _("Deze zelftriage is al gebruikt of te oud. Doe de zelftriage opnieuw.")
        )
    session.used_for, session.used_at = use, now
    fields = ["used_for", "used_at"]
    if session.patient_id is None:
        session.patient, session.started_by = patient, by
        fields += ["patient", "started_by"]
    session.save(update_fields=fields)
    return session


def triage_summary(session: TriageSession) -> dict[str, object]:
    """What travels with a booking or e-consult: the complaint, the outcome, and every
    question with the answer given, as the patient read them (the flow's own version)."""
    flow = parsed(session.flow)
    answers = [int(part) for part in session.walk.split(".") if part]
    return {
        "session": str(session.public_id),
        "complaint": session.flow.title,
        "flow": f"{session.flow.code} v{session.flow.version}",
        "urgency": session.urgency,
        "red_flag": session.red_flag,
        "asked": [
            {"question": question.text, "answer": answer.label}
            for question, answer in flow.asked(answers)
        ],
    }
