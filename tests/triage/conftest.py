"""Self-triage set-up: the shipped sore-throat flow, and a walk through it to each urgency."""

from __future__ import annotations

from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from spreekuur.triage import selectors, services
from spreekuur.triage.flows import format_walk
from spreekuur.triage.models import Questionnaire, TriageChannel, TriageSession
from spreekuur.triage.selectors import OfferedFlow
from tests.agenda.conftest import agenda as agenda_fixture
from tests.conftest import Cast

# keelpijn.json: the answer numbers that lead to each urgency.
WALK_TO = {
    "U1": [0],  # trouble breathing
    "U2": [1, 0],  # cannot swallow saliva
    "U3": [1, 1, 1, 0, 0],  # weak immune system, with fever
    "U4": [1, 1, 1, 1, 1],  # a week or longer
    "U5": [1, 1, 1, 1, 0, 1],  # shorter, no high fever
}


def sore_throat(practice: Practice) -> OfferedFlow:
    return next(o for o in selectors.offered_flows(practice) if o.code == "keelpijn")


def triaged(
    practice: Practice, urgency: str, patient: Patient | None = None, *, by: User | None = None
) -> TriageSession:
    """A finished triage; without a patient an anonymous one (the widget). `by` defaults
    to the patient's own login; a session made for a patient without one is written
    straight to the table (as a representative's would be)."""
    channel = TriageChannel.PORTAL if patient is not None else TriageChannel.WIDGET
    if patient is not None and patient.user is None:
        offered = sore_throat(practice)
        step = offered.flow.walk(WALK_TO[urgency])
        assert step.outcome is not None
        return TriageSession.objects.create(
            practice=practice, flow=offered.row, patient=patient, started_by=by,
            channel=channel, walk=format_walk(WALK_TO[urgency]), urgency=urgency,
            outcome_id=step.outcome.id, created_at=timezone.now(),
        )  # fmt: skip
    return services.record_triage(
        practice=practice,
        offered=sore_throat(practice),
        walk=WALK_TO[urgency],
        channel=channel,
        patient=patient,
        by=by or (patient.user if patient is not None else None),
    )


# The agenda's set-up (practice A with types and free slots), for booking from a triage.
agenda = agenda_fixture


def adopted_questionnaire(cast: Cast, code: str) -> Questionnaire:
    """A shipped questionnaire taken over and published by practice A's manager."""
    shipped = Questionnaire.objects.get(practice__isnull=True, code=code)
    draft = services.adopt_shipped_questionnaire(
        practice=cast.practice_a, shipped=shipped, by=cast.manager_a
    )
    return services.publish_questionnaire(questionnaire=draft, by=cast.manager_a)
