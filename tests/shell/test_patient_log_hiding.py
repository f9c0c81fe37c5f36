"""The patient's own access log never tells that something hidden from them exists: a
shielded record row, a result the GP has not released (or keeps off the portal), an
internal note. The practice's log keeps every entry as written. An entry by a person
about something hidden reads as that person looking at the patient's data (the patient
keeps the right to know who looked); one that no person wrote (a lab's import) is left
out. Once the data is released or unshielded, every earlier entry shows as written."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.audit import record_access
from spreekuur.core.models import AuditAction, AuditEntry
from spreekuur.core.pagination import light_page
from spreekuur.core.roles import Channel
from spreekuur.dossier import services as dossier
from spreekuur.dossier.models import ClinicalRow, Measurement
from spreekuur.econsult import services as econsult
from spreekuur.econsult.models import Thread
from spreekuur.patients.access_log import audit_entries_about, patient_log_screens
from spreekuur.results.models import LabMessage, LabResult
from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import receive_lab_message, review_result
from tests.conftest import Cast, verified_client
from tests.econsult.conftest import no_flags
from tests.shell.test_audit_labels import _visible_text

pytestmark = pytest.mark.django_db

LAB = "Lab Noord"
LOOKED = ("ingezien", "gegevens in uw dossier", "")  # what any look at the record reads as


@pytest.fixture
def opened(cast: Cast) -> Cast:
    cast.practice_a.records_online_from = date(2020, 7, 1)
    cast.practice_a.save(update_fields=["records_online_from"])
    return cast


def patient_log(cast: Cast) -> tuple[str, list[AuditEntry]]:
    """The patient's page: its visible text, and its entries (with their labels)."""
    response = verified_client(cast.patient_user_a).get(reverse("shell:my_audit_log"))
    assert response.status_code == 200
    return _visible_text(response.content.decode()), list(response.context["entries"])


def practice_log(cast: Cast) -> str:
    response = verified_client(cast.manager_a).get(
        reverse("shell:audit_search"), {"patient": str(cast.patient_a.public_id)}
    )
    assert response.status_code == 200
    return _visible_text(response.content.decode())


def labels(entry: AuditEntry) -> tuple[str, str, str]:
    return (entry.action_label, entry.object_label, entry.detail_label)  # type: ignore[attr-defined]


def about(entries: list[AuditEntry], *kinds: str) -> list[AuditEntry]:
    return [entry for entry in entries if entry.object_kind in kinds]


def blood_pressure(cast: Cast) -> list[Measurement]:
    return dossier.record_measurements(
        patient=cast.patient_a,
        measured_on=timezone.localdate(),
        values={"1744": Decimal(150), "1740": Decimal(95)},
        by=cast.poh_a,
    )


def lab_results(cast: Cast, number: int = 1) -> list[LabResult]:
    """Results for patient A as the lab's own door brings them (no person: the lab's name)."""
    raw = hl7_oru(
        sample_patient(cast.patient_a),
        (SampleResult("2816", "58", "mmol/mol", "20-42", "H"), SampleResult("523", "80", "umol/l")),
        control_id=f"HIDE{number:04d}",
        order=f"ORD{number:04d}",
        taken=timezone.now().replace(microsecond=0) - timedelta(days=1),
    )
    outcome = receive_lab_message(practice=cast.practice_a, door="hl7v2", raw=raw, source=LAB)
    return list(LabResult.objects.filter(message__in=outcome.messages).order_by("pk"))


# --- Shielded record rows -------------------------------------------------------------------


def test_a_shielded_measurement_is_screened_for_the_patient_but_whole_for_the_practice(
    opened: Cast,
) -> None:
    rows = blood_pressure(opened)
    dossier.set_shielded(item=rows[0], shielded=True, by=opened.gp_a, together=rows[1:])
    text, entries = patient_log(opened)
    measured = about(entries, "measurement")
    assert len(measured) == 3  # two recorded, one shielding: each access still listed
    assert all(labels(entry) == LOOKED for entry in measured)
    assert "aangemaakt" not in text and "gewijzigd" not in text and "afgeschermd" not in text
    assert "meting" not in text
    assert "POH A" in text and "Dokter A" in text  # who looked stays known
    staff_view = practice_log(opened)
    assert "aangemaakt: meting" in staff_view and "(afgeschermd)" in staff_view


def test_lifting_the_shield_shows_the_earlier_entries_as_written(opened: Cast) -> None:
    rows = blood_pressure(opened)
    dossier.set_shielded(item=rows[0], shielded=True, by=opened.gp_a, together=rows[1:])
    dossier.set_shielded(item=rows[0], shielded=False, by=opened.gp_a, together=rows[1:])
    _text, entries = patient_log(opened)
    measured = about(entries, "measurement")
    assert [entry.action_label for entry in measured] == [  # type: ignore[attr-defined]
        "gewijzigd",
        "gewijzigd",
        "aangemaakt",
        "aangemaakt",
    ]
    assert all(entry.detail_label == "" for entry in measured)  # type: ignore[attr-defined]


def test_a_journal_line_of_a_shielded_episode_is_screened_with_it(opened: Cast) -> None:
    episode = dossier.record_episode(
        patient=opened.patient_a,
        icpc_code="P76",
        title="Depressieve klachten",
        started_on=timezone.localdate() - timedelta(days=30),
        by=opened.gp_a,
    )
    dossier.record_journal_entry(
        patient=opened.patient_a,
        contact_on=timezone.localdate(),
        kind="consult",
        evaluation="Gesprek",
        plan="Over twee weken terug",
        episode=episode,
        by=opened.gp_a,
    )
    dossier.record_allergy(
        patient=opened.patient_a, substance="Pinda", kind="allergie", by=opened.gp_a
    )
    dossier.set_shielded(item=episode, shielded=True, by=opened.gp_a)
    _text, entries = patient_log(opened)
    assert all(labels(entry) == LOOKED for entry in about(entries, "episode", "journalentry"))
    assert len(about(entries, "episode", "journalentry")) == 3
    [allergy] = about(entries, "allergy")  # nothing hides it: as written
    assert allergy.action_label == "aangemaakt"  # type: ignore[attr-defined]


# --- Results --------------------------------------------------------------------------------


def test_an_unreleased_result_leaves_no_trace_of_the_lab_and_its_looks_read_as_looks(
    opened: Cast,
) -> None:
    [first, _second] = lab_results(opened)
    staff = verified_client(opened.gp_a)
    assert staff.get(reverse("results:result_detail", args=[first.public_id])).status_code == 200
    text, entries = patient_log(opened)
    assert LAB not in text and "labuitslagen" not in text and "aangemaakt" not in text
    assert not [entry for entry in about(entries, "labresult") if entry.actor_id is None]
    [looked] = about(entries, "labresult")
    assert looked.actor_id == opened.gp_a.pk and labels(looked) == LOOKED
    staff_view = practice_log(opened)
    assert LAB in staff_view and "aangemaakt: uitslag van laboratoriumonderzoek" in staff_view


def test_a_review_kept_off_the_portal_stays_screened(opened: Cast) -> None:
    rows = lab_results(opened)
    for row in rows:
        review_result(
            result=row, comment="Bespreek ik op het spreekuur.", release=False, by=opened.gp_a
        )
    text, entries = patient_log(opened)
    assert "niet online" not in text and "beoordeeld" not in text and "gewijzigd" not in text
    assert LAB not in text
    reviews = about(entries, "labresult")
    assert len(reviews) == 2 and all(labels(entry) == LOOKED for entry in reviews)
    assert "beoordeeld, niet online" in practice_log(opened)


def test_once_released_the_patient_sees_when_it_came_and_who_looked_before(
    opened: Cast,
) -> None:
    """The rule: release shows every earlier entry (NEN 7513: who accessed the data and
    when), not only those written after it."""
    rows = lab_results(opened)
    verified_client(opened.gp_a).get(reverse("results:result_detail", args=[rows[0].public_id]))
    for row in rows:
        review_result(
            result=row, comment="Normaal, geen actie nodig.", release=True, by=opened.gp_a
        )
    text, entries = patient_log(opened)
    results = about(entries, "labresult")
    assert [entry.action_label for entry in results] == [  # type: ignore[attr-defined]
        "gewijzigd",
        "gewijzigd",
        "ingezien",
        "aangemaakt",
    ]
    assert LAB in text  # the lab's import, from before the release
    assert "vrijgegeven" not in text  # details of results stay the practice's


def test_a_lab_message_is_screened_until_one_of_its_results_is_released(opened: Cast) -> None:
    rows = lab_results(opened)
    message = LabMessage.objects.get(results__in=rows[:1])
    record_access(
        actor=opened.assistant_a,
        action=AuditAction.CHANGE,
        object_kind="labmessage",
        practice=opened.practice_a,
        patient=opened.patient_a,
        object_ids=[message.public_id],
        detail="opnieuw verwerkt",
    )
    [entry] = about(patient_log(opened)[1], "labmessage")
    assert labels(entry) == LOOKED
    review_result(result=rows[0], comment="Normaal.", release=True, by=opened.gp_a)
    [entry] = about(patient_log(opened)[1], "labmessage")
    assert entry.action_label == "gewijzigd"  # type: ignore[attr-defined]


# --- Internal notes ---------------------------------------------------------------------------


def test_an_internal_note_reads_as_a_look_at_the_econsult(cast: Cast) -> None:
    thread = econsult.ask_question(
        patient=cast.patient_a,
        category="huid",
        body="Sinds een week een rode plek op mijn arm.",
        triage_answers=no_flags(cast),
        consent=True,
        by=cast.patient_user_a,
    )
    econsult.add_internal_note(
        thread=thread, body="GEHEIM: bel de dermatoloog", by=cast.assistant_a
    )
    staff = verified_client(cast.gp_a)
    assert staff.get(reverse("econsult:staff_thread", args=[thread.public_id])).status_code == 200
    econsult.answer_thread(
        thread=Thread.objects.get(pk=thread.pk), body="Smeer het in.", by=cast.gp_a
    )
    text, entries = patient_log(cast)
    assert "interne notitie" not in text and "notitie" not in text
    [note] = [entry for entry in entries if entry.actor_id == cast.assistant_a.pk]
    [read] = [
        entry
        for entry in about(entries, "econsult")
        if entry.action == AuditAction.READ and entry.actor_id == cast.gp_a.pk
    ]
    assert labels(note) == labels(read) == ("ingezien", "e-consult (vraag aan de praktijk)", "")
    assert "Assistent A" in text  # the colleague who looked stays known
    # The practice's other work on the thread reads as written.
    [answer] = [entry for entry in about(entries, "econsult") if entry.detail == "beantwoord"]
    assert labels(answer) == ("gewijzigd", "e-consult (vraag aan de praktijk)", "beantwoord")
    assert "interne notitie" in practice_log(cast)


# --- The query --------------------------------------------------------------------------------


def test_a_page_stays_full_however_many_entries_are_screened(
    opened: Cast, django_assert_num_queries: object
) -> None:
    """Screening is SQL: a page of 50 holds 50 entries the patient may see, and costs
    one query, not one per entry or per hidden row."""
    hidden = lab_results(opened)
    for number in range(60):
        record_access(
            actor=None,
            action=AuditAction.CREATE,
            object_kind="labresult",
            practice=opened.practice_a,
            patient=opened.patient_a,
            object_ids=[hidden[number % 2].public_id],
            channel=Channel.TASK,
            actor_role="laboratorium",
            system_name=LAB,
        )
        record_access(
            actor=opened.gp_a,
            action=AuditAction.READ,
            object_kind="personal_data",
            practice=opened.practice_a,
            patient=opened.patient_a,
        )
    entries = audit_entries_about(opened.patient_a)
    with django_assert_num_queries(1):  # type: ignore[operator]
        first = light_page(entries, "1", 50)
    assert len(first.object_list) == 50 and first.has_next
    assert all(entry.actor_id == opened.gp_a.pk for entry in first.object_list)
    second = light_page(entries, "2", 50)
    assert len(second.object_list) == 10 and not second.has_next
    assert AuditEntry.objects.filter(patient=opened.patient_a, actor__isnull=True).count() == 61


def test_another_patients_hidden_rows_screen_nothing_of_this_patient(opened: Cast) -> None:
    other = dossier.record_measurements(
        patient=opened.other_patient_a,
        measured_on=timezone.localdate(),
        values={"357": Decimal(80)},
        by=opened.poh_a,
    )
    dossier.set_shielded(item=other[0], shielded=True, by=opened.gp_a)
    # An entry on patient A's log naming B's row (as a list page could) is not screened.
    record_access(
        actor=opened.poh_a,
        action=AuditAction.CREATE,
        object_kind="measurement",
        practice=opened.practice_a,
        patient=opened.patient_a,
        object_ids=[other[0].public_id],
    )
    [entry] = about(patient_log(opened)[1], "measurement")
    assert entry.action_label == "aangemaakt"  # type: ignore[attr-defined]


# --- Every hideable kind has its screen -------------------------------------------------------


def test_every_kind_that_can_be_hidden_has_a_screen() -> None:
    screens = {screen.object_kind: screen for screen in patient_log_screens()}
    shieldable = {
        model.__name__.lower()
        for model in apps.get_models()
        if issubclass(model, ClinicalRow) and not model._meta.abstract
    }
    for kind in shieldable | {"labresult", "labmessage", "econsult_photo"}:
        assert screens[kind].hidden_objects is not None, kind
    assert "interne notitie" in screens["econsult"].staff_only_details
