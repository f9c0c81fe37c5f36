"""Triage sessions: stored without personal data when anonymous, logged when a patient's,
and never a way around the advice to call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from spreekuur.agenda.models import Appointment
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.econsult import services as econsult_services
from spreekuur.econsult.models import Thread
from spreekuur.triage import services
from spreekuur.triage.models import TriageChannel, TriageSession, TriageUse
from tests.agenda.conftest import Agenda, book_online
from tests.conftest import Cast
from tests.econsult.conftest import no_flags
from tests.triage.conftest import WALK_TO, sore_throat, triaged

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("urgency", sorted(WALK_TO))
def test_each_walk_is_stored_with_its_outcome(cast: Cast, urgency: str) -> None:
    session = triaged(cast.practice_a, urgency, cast.patient_a)
    assert session.urgency == urgency
    assert session.red_flag is (urgency in ("U1", "U2"))
    assert session.flow.code == "keelpijn"


def test_a_patients_triage_is_in_their_access_log(cast: Cast) -> None:
    session = triaged(cast.practice_a, "U4", cast.patient_a)
    entry = AuditEntry.objects.get(object_kind="triage")
    assert entry.patient_id == cast.patient_a.pk
    assert entry.action == "create"
    assert str(session.public_id) in entry.object_ids


def test_an_anonymous_triage_keeps_nothing_about_the_person(cast: Cast) -> None:
    session = triaged(cast.practice_a, "U5")
    assert session.patient is None and session.started_by is None
    assert session.channel == TriageChannel.WIDGET
    assert not AuditEntry.objects.filter(object_kind="triage").exists()
    # What a row holds, field by field: nothing that points at a person.
    stored = {f.name for f in TriageSession._meta.concrete_fields}
    assert stored == {
        "id", "public_id", "practice", "flow", "patient", "started_by", "channel", "walk",
        "urgency", "outcome_id", "red_flag", "created_at", "used_for", "used_at",
    }  # fmt: skip


def test_the_database_refuses_a_user_on_an_anonymous_session(cast: Cast) -> None:
    session = triaged(cast.practice_a, "U5")
    with pytest.raises(IntegrityError), transaction.atomic():
        TriageSession.objects.filter(pk=session.pk).update(started_by=cast.gp_a)


def test_nobody_triages_for_a_patient_they_do_not_act_for(cast: Cast) -> None:
    offered = sore_throat(cast.practice_a)
    for patient, by in [
        (cast.patient_a, cast.patient_user_b),
        (cast.other_patient_a, cast.patient_user_a),
    ]:
        with pytest.raises(PermissionDenied):
            services.record_triage(
                practice=cast.practice_a, offered=offered, walk=WALK_TO["U5"],
                channel=TriageChannel.PORTAL, patient=patient, by=by,
            )  # fmt: skip
    with pytest.raises(PermissionDenied):  # practice B's patient through practice A
        services.record_triage(
            practice=cast.practice_a, offered=offered, walk=WALK_TO["U5"],
            channel=TriageChannel.PORTAL, patient=cast.patient_b, by=cast.patient_user_b,
        )  # fmt: skip
    assert not TriageSession.objects.exists()


def test_another_practices_own_flow_is_not_recorded_here(cast: Cast) -> None:
    import json

    from spreekuur.triage.flows import COMPLAINTS_DIR
    from spreekuur.triage.selectors import offered_flows

    with (COMPLAINTS_DIR / "keelpijn.json").open(encoding="utf-8") as handle:
        document = json.load(handle) | {"code": "eigen", "title": "Eigen klacht"}
    services.add_own_flow(
        practice=cast.practice_b, document_text=json.dumps(document), by=cast.manager_b
    )
    theirs = next(o for o in offered_flows(cast.practice_b) if o.code == "praktijk-eigen")
    with pytest.raises(PermissionDenied):
        services.record_triage(
            practice=cast.practice_a, offered=theirs, walk=WALK_TO["U5"], channel="widget"
        )
    assert not TriageSession.objects.exists()


def test_an_unfinished_or_foreign_walk_stores_nothing(cast: Cast) -> None:
    offered = sore_throat(cast.practice_a)
    with pytest.raises(services.TriageNotFinished):
        services.record_triage(
            practice=cast.practice_a, offered=offered, walk=[1, 1], channel="widget"
        )
    with pytest.raises(ValueError):
        services.record_triage(
            practice=cast.practice_a, offered=offered, walk=[1, 7], channel="widget"
        )
    assert not TriageSession.objects.exists()


# --- handing a triage to booking and e-consult -------------------------------------------


@pytest.mark.parametrize("urgency", ["U1", "U2", "U3"])
def test_a_call_outcome_cannot_be_booked_from(agenda: Agenda, urgency: str) -> None:
    session = triaged(agenda.cast.practice_a, urgency, agenda.cast.patient_a)
    with pytest.raises(services.TriageSaysCall):
        book_online(agenda, agenda.slots[0], self_triage=str(session.public_id))
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("urgency", ["U1", "U2", "U3"])
def test_a_call_outcome_is_not_skipped_by_booking_without_it(agenda: Agenda, urgency: str) -> None:
    """Posting straight to booking after the advice to call is refused as well."""
    triaged(agenda.cast.practice_a, urgency, agenda.cast.patient_a)
    with pytest.raises(services.TriageSaysCall):
        book_online(agenda, agenda.slots[0])
    assert not Appointment.objects.exists()


def test_a_call_outcome_holds_for_twelve_hours_then_booking_opens(agenda: Agenda) -> None:
    session = triaged(agenda.cast.practice_a, "U3", agenda.cast.patient_a)
    TriageSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - timedelta(hours=12, minutes=1)
    )
    assert book_online(agenda, agenda.slots[0]).pk


def test_a_call_outcome_of_another_patient_does_not_block(agenda: Agenda) -> None:
    triaged(agenda.cast.practice_a, "U2")  # anonymous: nobody's
    triaged(agenda.cast.practice_b, "U2", agenda.cast.patient_b)
    assert book_online(agenda, agenda.slots[0]).pk


@pytest.mark.parametrize("urgency", ["U4", "U5"])
def test_a_booking_from_a_triage_takes_its_answers_along(agenda: Agenda, urgency: str) -> None:
    session = triaged(agenda.cast.practice_a, urgency, agenda.cast.patient_a)
    appointment = book_online(agenda, agenda.slots[0], self_triage=str(session.public_id))
    assert appointment.self_triage == session
    session.refresh_from_db()
    assert session.used_for == TriageUse.BOOKING and session.used_at is not None
    summary = services.triage_summary(session)
    assert summary["complaint"] == "Keelpijn"
    assert len(summary["asked"]) == len(WALK_TO[urgency])  # type: ignore[arg-type]


def test_a_triage_is_used_once_and_not_when_old(agenda: Agenda) -> None:
    session = triaged(agenda.cast.practice_a, "U4", agenda.cast.patient_a)
    book_online(agenda, agenda.slots[0], self_triage=str(session.public_id))
    with pytest.raises(BusinessRuleError, match="al gebruikt"):
        book_online(agenda, agenda.slots[3], self_triage=str(session.public_id))
    old = triaged(agenda.cast.practice_a, "U4", agenda.cast.patient_a)
    TriageSession.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    with pytest.raises(BusinessRuleError, match="te oud"):
        book_online(agenda, agenda.slots[3], self_triage=str(old.public_id))
    assert Appointment.objects.count() == 1


def test_someone_elses_triage_cannot_be_taken(agenda: Agenda) -> None:
    theirs = triaged(agenda.cast.practice_a, "U4", agenda.cast.other_patient_a, by=agenda.cast.gp_a)
    other_practice = triaged(agenda.cast.practice_b, "U4")
    for session in (theirs, other_practice):
        with pytest.raises(PermissionDenied):
            book_online(agenda, agenda.slots[0], self_triage=str(session.public_id))
    assert not Appointment.objects.exists()


def test_an_anonymous_triage_of_the_website_is_taken_over_when_booking(agenda: Agenda) -> None:
    session = triaged(agenda.cast.practice_a, "U4")
    book_online(agenda, agenda.slots[0], self_triage=str(session.public_id))
    session.refresh_from_db()
    assert session.patient == agenda.cast.patient_a
    assert session.started_by == agenda.cast.patient_user_a


def test_an_e_consult_only_follows_self_care(cast: Cast) -> None:
    u4 = triaged(cast.practice_a, "U4", cast.patient_a)
    with pytest.raises(BusinessRuleError, match="afspraak"):
        _ask(cast, self_triage=str(u4.public_id))
    u5 = triaged(cast.practice_a, "U5", cast.patient_a)
    thread = _ask(cast, self_triage=str(u5.public_id))
    assert thread.self_triage == u5
    assert Thread.objects.count() == 1


def test_a_call_outcome_is_not_skipped_by_an_e_consult(cast: Cast) -> None:
    triaged(cast.practice_a, "U2", cast.patient_a)
    with pytest.raises(services.TriageSaysCall):
        _ask(cast)
    assert not Thread.objects.exists()


def _ask(cast: Cast, **extra: object) -> Thread:
    return econsult_services.ask_question(
        patient=cast.patient_a,
        category="klacht",
        body="Mijn keel doet al een paar dagen pijn bij het slikken.",
        triage_answers=no_flags(cast),
        consent=True,
        by=cast.patient_user_a,
        **extra,  # type: ignore[arg-type]
    )
