"""Self-triage for the demo practice: two months of finished sessions, most of them
anonymous from the practice's website, some from the portal, so the figures page has
something to show. Walks are random answers through the shipped flows, stored through
the real service (a portal session also writes its access-log entry)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from spreekuur.triage import services
from spreekuur.triage.models import TriageChannel
from spreekuur.triage.selectors import offered_flows

SESSIONS = 240
DAYS = 60


def build_demo_triage(
    practice: Practice, *, today: date, leave_out: Patient, seed: int = 31
) -> int:
    rng = random.Random(seed)
    flows = offered_flows(practice)
    # Not the demo patient: an old "call" outcome of theirs must not stop the demo booking.
    patients = list(
        Patient.objects.filter(practice=practice, user__isnull=False)
        .exclude(pk=leave_out.pk)
        .order_by("id")[:20]
    )
    tz = timezone.get_current_timezone()
    for _ in range(SESSIONS):
        offered = rng.choice(flows)
        walk: list[int] = []
        step = offered.flow.walk(walk)
        while step.question is not None:
            # Mostly "no" to the first (alarm) questions, as in real life.
            answers = len(step.question.answers)
            walk.append(rng.randrange(answers) if rng.random() < 0.25 else answers - 1)
            step = offered.flow.walk(walk)
        day = today - timedelta(days=rng.randrange(1, DAYS + 1))  # before today: all past
        at = datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=tz)
        patient = rng.choice(patients) if patients and rng.random() < 0.2 else None
        services.record_triage(
            practice=practice,
            offered=offered,
            walk=walk,
            channel=TriageChannel.PORTAL
            if patient is not None
            else rng.choice([TriageChannel.WIDGET, TriageChannel.WEBSITE]),
            patient=patient,
            by=patient.user if patient is not None else None,
            now=at,
        )
    return SESSIONS


SURVEY_ANSWER_SHARE = 0.45


def build_demo_questionnaires(practice: Practice, *, today: date, portal_patient: Patient) -> str:
    """The two shipped questionnaires taken over and in use: the consult preparation for
    the kind "Consult" (and put ready for the demo patient's upcoming appointment), and
    the satisfaction survey sent to every adult portal user six weeks ago and closed two
    weeks ago (so its results show), answered anonymously by a share of them in its first
    weeks through the real services."""
    from spreekuur.accounts.models import Membership
    from spreekuur.agenda import services as agenda_services
    from spreekuur.agenda.models import Appointment, AppointmentStatus, AppointmentType
    from spreekuur.core.roles import StaffRole
    from spreekuur.triage.models import Questionnaire, QuestionnaireInvitation
    from spreekuur.triage.questionnaires import Group
    from spreekuur.triage.selectors.questionnaires import group_size
    from spreekuur.triage.services.questionnaires import MIN_ANONYMOUS_MAILING

    rng = random.Random(47)
    manager = Membership.objects.get(practice=practice, role=StaffRole.PRAKTIJKMANAGER).user
    assistant = (
        Membership.objects.filter(practice=practice, role=StaffRole.ASSISTENT)
        .order_by("id")
        .first()
    )
    in_use = {}
    for shipped in Questionnaire.objects.filter(practice__isnull=True).order_by("code"):
        draft = services.adopt_shipped_questionnaire(practice=practice, shipped=shipped, by=manager)
        in_use[shipped.code] = services.publish_questionnaire(questionnaire=draft, by=manager)
    consult = AppointmentType.objects.get(practice=practice, name="Consult")
    agenda_services.save_appointment_type(
        practice=practice,
        by=manager,
        appointment_type=consult,
        preparation_code=in_use["consultvoorbereiding"].code,
    )
    upcoming = (
        Appointment.objects.filter(
            patient=portal_patient, status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now()
        )
        .order_by("starts_at")
        .first()
    )
    if upcoming is not None and assistant is not None:
        agenda_services.attach_preparation(
            appointment=upcoming, code=in_use["consultvoorbereiding"].code, by=assistant.user
        )
    sent_at = timezone.now() - timedelta(days=42)
    if group_size(practice, Group(min_age=18), today=today) < MIN_ANONYMOUS_MAILING:
        return "te weinig portaalgebruikers voor de tevredenheidsenquête"  # a small demo
    mailing = services.send_to_group(
        questionnaire=in_use["patienttevredenheid"],
        group=Group(min_age=18),
        by=manager,
        closes_on=today - timedelta(days=14),
        now=sent_at,
    )
    # The notices of six weeks ago count as sent (the demo's outbox stays quiet).
    invitations = QuestionnaireInvitation.objects.filter(mailing=mailing)
    invitations.update(notified_at=sent_at)
    answered = 0
    for invitation in invitations.exclude(patient=portal_patient).select_related("patient__user"):
        if rng.random() >= SURVEY_ANSWER_SHARE or invitation.patient.user is None:
            continue
        services.submit_answers(
            invitation=invitation,
            submitted=_survey_answers(rng),
            by=invitation.patient.user,
            now=sent_at + timedelta(days=rng.randrange(1, 20), hours=rng.randrange(8)),
        )
        answered += 1
    services.release_anonymous_answers()  # closed: the hourly job has moved them
    return f"{answered} van {mailing.invited} patiënten vulden de tevredenheidsenquête in"


def _survey_answers(rng: random.Random) -> dict[str, list[str]]:
    """Mostly content, as Dutch GP surveys find (CQ-index: a mean around 8)."""

    def often() -> list[str]:
        return [str(rng.choices([0, 1, 2, 3, 4], weights=[2, 8, 35, 50, 5])[0])]

    answers = {key: often() for key in ("telefoon", "afspraak", "tijd", "uitleg", "assistent")}
    uses_portal = rng.random() < 0.6
    answers["portaal"] = ["0" if uses_portal else "1"]
    if uses_portal:
        answers["portaal-gemak"] = [
            str(rng.choices([1, 2, 3, 4, 5], weights=[2, 5, 20, 45, 28])[0])
        ]
    answers["cijfer"] = [str(rng.choices(range(4, 11), weights=[1, 2, 6, 20, 38, 22, 11])[0])]
    answers["aanraden"] = [str(rng.choices([0, 1, 2, 3], weights=[3, 7, 40, 50])[0])]
    if rng.random() < 0.3:
        answers["beter"] = [
            rng.choice(
                [
                    "De telefoon wordt 's ochtends lang niet opgenomen.",
                    "Meer avondspreekuren graag.",
                    "Fijne assistentes, altijd vriendelijk.",
                    "Het portaal werkt prima, de app kan sneller.",
                    "Terugbellen duurde een keer twee dagen.",
                ]
            )
        ]
    return answers
