"""The chronic-care pages as each role uses them: the POH or GP decides about suggested
patients and holds the control consult; the assistant works the due list and invites;
the patient sees their programme. With the attempts that must fail."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.chroniccare import services
from spreekuur.chroniccare.models import (
    Control,
    ControlKind,
    Enrolment,
    EnrolmentStatus,
    Goal,
    GoalStatus,
    Invitation,
    InvitationChannel,
)
from spreekuur.core.models import AuditEntry, Notification
from spreekuur.dossier import services as dossier_services
from spreekuur.dossier.models import Episode, Measurement
from tests.conftest import Cast, verified_client
from tests.factories import PatientFactory, add_appointment_types
from tests.results.conftest import HBA1C_HIGH, LDL, OPEN_FROM, oru, receive, released

pytestmark = pytest.mark.django_db


def _episode(cast: Cast, patient=None, code: str = "T90") -> Episode:
    return dossier_services.record_episode(
        patient=patient or cast.patient_a,
        icpc_code=code,
        title="Diabetes mellitus type 2",
        started_on=date(2021, 3, 1),
        by=cast.gp_a,
    )


def _enrol(cast: Cast, programme: str = "diabetes", days_ago: int = 400) -> Enrolment:
    return services.enrol_patient(
        patient=cast.patient_a,
        programme=programme,
        started_on=timezone.localdate() - timedelta(days=days_ago),
        by=cast.poh_a,
    )


def _open_records(cast: Cast) -> None:
    cast.practice_a.records_online_from = OPEN_FROM
    cast.practice_a.save(update_fields=["records_online_from"])


# --- Suggested, then a decision ----------------------------------------------------------------


def test_the_poh_enrols_a_suggested_patient_and_lands_on_the_control(cast: Cast) -> None:
    _episode(cast)
    client = verified_client(cast.poh_a)
    listed = client.get(
        reverse("chroniccare:programme", args=["diabetes"]), {"lijst": "voorgesteld"}
    )
    assert listed.status_code == 200
    assert cast.patient_a.display_name in listed.content.decode()
    decide = reverse("chroniccare:decide", args=["diabetes", cast.patient_a.public_id])
    page = client.get(decide)
    assert "T90 Diabetes mellitus type 2" in page.content.decode()
    poh = Membership.objects.get(user=cast.poh_a)
    answer = client.post(
        decide,
        {
            "besluit": "doet-mee",
            "started_on": timezone.localdate().isoformat(),
            "main_practitioner": str(poh.public_id),
            "care_group": "Zorggroep Noord",
            "financing_period": "2026",
        },
    )
    enrolment = Enrolment.objects.get(patient=cast.patient_a)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("chroniccare:control", args=[enrolment.public_id])
    assert (enrolment.main_practitioner, enrolment.care_group) == (poh, "Zorggroep Noord")
    client.get(answer["Location"])  # the page that shows "doet mee"
    again = client.get(
        reverse("chroniccare:programme", args=["diabetes"]), {"lijst": "voorgesteld"}
    )
    assert cast.patient_a.display_name not in again.content.decode()


def test_doet_niet_mee_needs_a_reason_and_then_takes_the_suggestion_away(cast: Cast) -> None:
    _episode(cast)
    client = verified_client(cast.gp_a)
    decide = reverse("chroniccare:decide", args=["diabetes", cast.patient_a.public_id])
    refused = client.post(decide, {"besluit": "doet-niet-mee"})
    assert refused.status_code == 200 and "Dit veld is verplicht" in refused.content.decode()
    assert not Enrolment.objects.exists()
    client.post(decide, {"besluit": "doet-niet-mee", "reason": "specialist"})
    decision = Enrolment.objects.get()
    assert (decision.status, decision.end_reason) == (EnrolmentStatus.DECLINED, "specialist")


def test_a_patient_of_another_practice_cannot_be_enrolled(cast: Cast) -> None:
    client = verified_client(cast.poh_a)
    decide = reverse("chroniccare:decide", args=["diabetes", cast.patient_b.public_id])
    assert client.get(decide).status_code == 404
    assert client.post(decide, {"besluit": "doet-niet-mee", "reason": "anders"}).status_code == 404
    assert not Enrolment.objects.exists()
    assert AuditEntry.objects.filter(outcome="denied", object_kind="patient_record").exists()


def test_an_unknown_programme_is_404(cast: Cast) -> None:
    client = verified_client(cast.poh_a)
    assert client.get(reverse("chroniccare:programme", args=["griep"])).status_code == 404


# --- The control consult --------------------------------------------------------------------


def test_the_control_page_shows_trends_with_targets_and_home_measurements(cast: Cast) -> None:
    enrolment = _enrol(cast)
    today = timezone.localdate()
    for months_ago, systolic in ((9, 152), (6, 146), (3, 138)):
        services.record_control(
            enrolment=enrolment,
            kind=ControlKind.CONTROL,
            held_on=today - timedelta(days=30 * months_ago),
            measurements={"1744": Decimal(systolic), "1740": Decimal(84)},
            by=cast.poh_a,
        )
    dossier_services.record_home_measurements(
        patient=cast.patient_a,
        measured_on=today - timedelta(days=2),
        values={"1744": Decimal(131), "1740": Decimal(79)},
        by=cast.patient_a.user,
    )
    released(cast, HBA1C_HIGH, days_ago=20)
    page = verified_client(cast.poh_a).get(
        reverse("chroniccare:control", args=[enrolment.public_id])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Streefwaarde: onder 140 mmHg" in html
    assert "thuismeting van de patiënt" in html  # the newest blood pressure came from home
    assert "58 mmol/mol" in html and "niet op streefwaarde" in html  # HbA1c above 53
    assert html.count("<svg") >= 2  # blood pressure (4 values) and diastolic
    entry = AuditEntry.objects.filter(object_kind="enrolment", action="read").latest("id")
    assert entry.patient == cast.patient_a and str(enrolment.public_id) in entry.object_ids


def test_recording_a_control_through_the_page_writes_everything_or_nothing(cast: Cast) -> None:
    enrolment = _enrol(cast)
    client = verified_client(cast.poh_a)
    url = reverse("chroniccare:control", args=[enrolment.public_id])
    today = timezone.localdate()
    form = {
        "formulier": "controle",
        "kind": "jaarcontrole",
        "held_on": today.isoformat(),
        "meting_1744": "120",
        "meting_1740": "130",  # the lower above the upper: refused by the record
        "advice": "Meer bewegen.",
        "next_on": (today + timedelta(days=90)).isoformat(),
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "De bovendruk moet hoger zijn dan de onderdruk." in refused.content.decode()
    assert not Control.objects.exists() and not Measurement.objects.exists()
    out_of_range = client.post(url, {**form, "meting_1740": "80", "meting_357": "4000"})
    assert out_of_range.status_code == 200 and not Control.objects.exists()
    saved = client.post(url, {**form, "meting_1740": "80", "meting_357": "91,4"})
    assert saved.status_code == 302
    control = Control.objects.get()
    assert (control.kind, control.advice) == (ControlKind.CHECKUP, "Meer bewegen.")
    stored = {m.test.nhg_code: m.value for m in Measurement.objects.all()}
    assert stored == {"1744": Decimal(120), "1740": Decimal(80), "357": Decimal("91.4")}


def test_goals_are_added_and_closed_on_the_control_page(cast: Cast) -> None:
    enrolment = _enrol(cast)
    client = verified_client(cast.poh_a)
    url = reverse("chroniccare:control", args=[enrolment.public_id])
    assert client.post(url, {"formulier": "doel", "text": ""}).status_code == 200
    client.post(
        url,
        {"formulier": "doel", "text": "Drie keer per week wandelen", "action": "Met de buurman"},
    )
    goal = Goal.objects.get()
    assert goal.text == "Drie keer per week wandelen" and goal.status == GoalStatus.ACTIVE
    client.post(
        url, {"formulier": "doel-afsluiten", "doel": str(goal.public_id), "status": "bereikt"}
    )
    goal.refresh_from_db()
    assert goal.status == GoalStatus.REACHED and goal.closed_on == timezone.localdate()
    assert "Drie keer per week wandelen" in client.get(url).content.decode()


def test_a_goal_of_another_enrolment_cannot_be_closed_through_this_page(cast: Cast) -> None:
    mine = _enrol(cast)
    theirs = services.enrol_patient(
        patient=cast.other_patient_a,
        programme="diabetes",
        started_on=timezone.localdate(),
        by=cast.poh_a,
    )
    goal = services.add_goal(enrolment=theirs, text="Stoppen met roken", by=cast.poh_a)
    answer = verified_client(cast.poh_a).post(
        reverse("chroniccare:control", args=[mine.public_id]),
        {"formulier": "doel-afsluiten", "doel": str(goal.public_id), "status": "bereikt"},
    )
    assert answer.status_code == 404
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


@pytest.mark.parametrize("role", ["assistant_a", "manager_a", "patient_a"])
def test_only_the_poh_and_gp_open_the_control_page(cast: Cast, role: str) -> None:
    enrolment = _enrol(cast)
    client = verified_client(getattr(cast, role) if role != "patient_a" else cast.patient_a.user)
    assert client.get(reverse("chroniccare:control", args=[enrolment.public_id])).status_code == 403


def test_the_control_page_of_another_practice_is_404(cast: Cast) -> None:
    enrolment = _enrol(cast)
    client = verified_client(cast.gp_b)
    assert client.get(reverse("chroniccare:control", args=[enrolment.public_id])).status_code == 404
    assert client.get(reverse("chroniccare:control", args=[uuid.uuid4()])).status_code == 404


def test_the_control_page_costs_the_same_queries_for_a_long_history(cast: Cast) -> None:
    enrolment = _enrol(cast, days_ago=3650)
    client = verified_client(cast.poh_a)
    url = reverse("chroniccare:control", args=[enrolment.public_id])
    today = timezone.localdate()

    def add_controls(count: int, start: int) -> None:
        for n in range(start, start + count):
            held = today - timedelta(days=91 * n + 1)
            services.record_control(
                enrolment=enrolment,
                kind=ControlKind.CONTROL,
                held_on=held,
                measurements={
                    "1744": Decimal(130 + n % 9),
                    "1740": Decimal(80),
                    "357": Decimal(90),
                },
                by=cast.poh_a,
            )
            services.add_goal(enrolment=enrolment, text=f"Doel {n}", by=cast.poh_a)

    add_controls(2, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add_controls(30, 2)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_ending_the_enrolment_from_the_control_page(cast: Cast) -> None:
    enrolment = _enrol(cast)
    client = verified_client(cast.gp_a)
    url = reverse("chroniccare:control", args=[enrolment.public_id])
    answer = client.post(
        url,
        {
            "formulier": "stoppen",
            "ended_on": timezone.localdate().isoformat(),
            "end_reason": "overleden",
        },
    )
    assert answer.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.end_reason) == (EnrolmentStatus.ENDED, "overleden")
    after = client.get(url).content.decode()
    assert "doet niet meer mee" in after and 'value="controle"' not in after


# --- The due list and invitations -------------------------------------------------------------


def test_the_assistant_invites_through_the_portal_without_a_word_of_the_programme(
    cast: Cast,
) -> None:
    enrolment = _enrol(cast)
    types = add_appointment_types(cast.practice_a)
    types["poh"].online_bookable = True
    types["poh"].save()
    client = verified_client(cast.assistant_a)
    listed = client.get(reverse("chroniccare:due_list"))
    assert listed.status_code == 200 and cast.patient_a.display_name in listed.content.decode()
    answer = client.post(
        f"{reverse('chroniccare:due_list')}?soort={types['poh'].public_id}",
        {"deelname": str(enrolment.public_id), "channel": "portaal"},
    )
    assert answer.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.channel, invitation.appointment_type) == (
        InvitationChannel.PORTAL,
        types["poh"],
    )
    assert invitation.kind == ControlKind.CHECKUP  # never held: the check-up first
    sent = list(Notification.objects.values_list("body", flat=True))
    assert sent, "a content-free notice goes out"
    assert all("diabet" not in body.lower() and "controle" not in body.lower() for body in sent)
    # The patient's start page names it and links to booking that kind of appointment.
    start = verified_client(cast.patient_a.user).get(reverse("shell:start")).content.decode()
    assert "Uitnodiging: uw jaarcontrole Diabetes mellitus type 2" in start
    assert f"soort={types['poh'].public_id}" in start


def test_a_letter_invitation_opens_the_letter_with_the_address(cast: Cast) -> None:
    enrolment = _enrol(cast)
    client = verified_client(cast.assistant_a)
    answer = client.post(
        reverse("chroniccare:due_list"),
        {"deelname": str(enrolment.public_id), "channel": "brief"},
    )
    invitation = Invitation.objects.get()
    assert answer["Location"] == reverse("chroniccare:letter", args=[invitation.public_id])
    letter = client.get(answer["Location"]).content.decode()
    assert cast.patient_a.postal_code in letter and "Uitnodiging voor uw jaarcontrole" in letter
    assert not Notification.objects.exists()  # paper only


def test_a_patient_without_the_portal_gets_a_letter(cast: Cast) -> None:
    enrolment = services.enrol_patient(
        patient=cast.other_patient_a,
        programme="copd",
        started_on=timezone.localdate(),
        by=cast.poh_a,
    )
    client = verified_client(cast.assistant_a)
    answer = client.post(
        reverse("chroniccare:due_list"),
        {"deelname": str(enrolment.public_id), "channel": "portaal"},
        follow=True,
    )
    assert "nodig hem of haar uit met een brief" in answer.content.decode()
    assert not Invitation.objects.exists()


def test_the_due_list_filters_by_practitioner_and_programme(cast: Cast) -> None:
    poh = Membership.objects.get(user=cast.poh_a)
    services.enrol_patient(
        patient=cast.patient_a,
        programme="diabetes",
        started_on=timezone.localdate(),
        by=cast.poh_a,
        main_practitioner=poh,
    )
    services.enrol_patient(
        patient=cast.other_patient_a,
        programme="copd",
        started_on=timezone.localdate(),
        by=cast.poh_a,
    )
    client = verified_client(cast.gp_a)
    url = reverse("chroniccare:due_list")
    both = client.get(url).content.decode()
    mine = client.get(url, {"wie": str(poh.public_id)}).content.decode()
    copd = client.get(url, {"programma": "copd"}).content.decode()
    assert cast.patient_a.display_name in both and cast.other_patient_a.display_name in both
    assert cast.other_patient_a.display_name not in mine
    assert cast.patient_a.display_name not in copd


def test_an_enrolment_of_another_practice_cannot_be_invited(cast: Cast) -> None:
    enrolment = _enrol(cast)
    client = verified_client(cast.gp_b)
    answer = client.post(
        reverse("chroniccare:due_list"),
        {"deelname": str(enrolment.public_id), "channel": "brief"},
    )
    assert answer.status_code == 404 and not Invitation.objects.exists()


def test_the_manager_and_patients_have_no_due_list(cast: Cast) -> None:
    for user in (cast.manager_a, cast.patient_a.user):
        assert verified_client(user).get(reverse("chroniccare:due_list")).status_code == 403


# --- The patient's own view --------------------------------------------------------------------


def test_the_patient_sees_their_programme_goals_and_only_what_the_portal_shows(
    cast: Cast,
) -> None:
    _open_records(cast)
    enrolment = _enrol(cast)
    services.add_goal(enrolment=enrolment, text="Vijf kilo afvallen", by=cast.poh_a)
    released(cast, HBA1C_HIGH, days_ago=30)
    receive(cast, oru(cast.patient_a, LDL, days_ago=3))  # not yet commented on: never shown
    services.record_control(
        enrolment=enrolment,
        kind=ControlKind.CONTROL,
        held_on=timezone.localdate() - timedelta(days=10),
        measurements={"357": Decimal("93.0")},
        by=cast.poh_a,
    )
    shielded = Measurement.objects.get()
    dossier_services.set_shielded(item=shielded, shielded=True, by=cast.gp_a)
    page = verified_client(cast.patient_a.user).get(reverse("chroniccare:my_programmes"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Diabetes mellitus type 2" in html and "Vijf kilo afvallen" in html
    assert "58 mmol/mol" in html  # released HbA1c
    assert "LDL" not in html  # waiting for the GP
    assert "93,0" not in html  # shielded by the GP
    entry = AuditEntry.objects.filter(object_kind="enrolment", action="read").latest("id")
    assert entry.actor == cast.patient_a.user and entry.patient == cast.patient_a


def test_a_patient_in_no_programme_sees_no_menu_entry_and_an_explanation(cast: Cast) -> None:
    client = verified_client(cast.patient_a.user)
    start = client.get(reverse("shell:start")).content.decode()
    assert reverse("chroniccare:my_programmes") not in start
    page = client.get(reverse("chroniccare:my_programmes")).content.decode()
    assert "U doet niet mee aan een zorgprogramma" in page
    _enrol(cast)
    assert (
        reverse("chroniccare:my_programmes") in client.get(reverse("shell:start")).content.decode()
    )


def test_staff_see_the_programme_beside_other_work_on_the_patient(cast: Cast) -> None:
    from spreekuur.core.registry import patient_facts

    _enrol(cast)
    facts = {str(f.label): f.lines(cast.patient_a, cast.gp_a) for f in patient_facts()}
    assert facts["Ketenzorg"][0].startswith("Diabetes mellitus type 2 sinds")


def test_another_patient_of_the_practice_stays_out_of_the_portal_view(cast: Cast) -> None:
    services.enrol_patient(
        patient=cast.other_patient_a,
        programme="diabetes",
        started_on=timezone.localdate(),
        by=cast.poh_a,
    )
    other = PatientFactory(practice=cast.practice_a)
    assert other.pk
    page = verified_client(cast.patient_a.user).get(reverse("chroniccare:my_programmes"))
    assert "U doet niet mee" in page.content.decode()


def test_the_overview_links_to_the_indicators_for_those_who_may_see_them(cast: Cast) -> None:
    url, link = reverse("chroniccare:overview"), reverse("chroniccare:indicators")
    assert link in verified_client(cast.gp_a).get(url).content.decode()
    assert link not in verified_client(cast.assistant_a).get(url).content.decode()


def test_a_start_date_before_birth_is_refused_in_words(cast: Cast) -> None:
    poh = Membership.objects.get(user=cast.poh_a)
    answer = verified_client(cast.poh_a).post(
        reverse("chroniccare:decide", args=["diabetes", cast.patient_a.public_id]),
        {
            "besluit": "doet-mee",
            "started_on": "0001-01-01",
            "main_practitioner": str(poh.public_id),
        },
    )
    assert answer.status_code == 200
    assert "De startdatum ligt voor de geboortedatum." in answer.content.decode()
    assert not Enrolment.objects.exists()
