"""The record: what staff record, what the patient sees online, and what never shows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.dossier import selectors, services
from spreekuur.dossier.models import Episode, JournalEntry
from tests.conftest import Cast, verified_client

pytestmark = pytest.mark.django_db

OPEN_FROM = date(2020, 7, 1)


@pytest.fixture
def opened(cast: Cast) -> Cast:
    cast.practice_a.records_online_from = OPEN_FROM
    cast.practice_a.save(update_fields=["records_online_from"])
    return cast


def entry(cast: Cast, **values: object) -> JournalEntry:
    defaults: dict[str, object] = {
        "patient": cast.patient_a,
        "contact_on": timezone.localdate() - timedelta(days=3),
        "kind": "consult",
        "subjective": "Hoofdpijn sinds gisteren (werkaantekening)",
        "objective": "Nekstijfheid afwezig",
        "evaluation": "Spanningshoofdpijn",
        "plan": "Paracetamol, terug bij verergering",
        "by": cast.gp_a,
    }
    defaults.update(values)
    return services.record_journal_entry(**defaults)  # type: ignore[arg-type]


def portal_page(cast: Cast) -> str:
    return verified_client(cast.patient_user_a).get(reverse("dossier:my_record")).content.decode()


def test_the_portal_shows_conclusion_and_plan_but_not_the_working_notes(opened: Cast) -> None:
    entry(opened)
    page = portal_page(opened)
    assert "Spanningshoofdpijn" in page and "Paracetamol" in page
    assert "werkaantekening" not in page and "Nekstijfheid" not in page


def test_a_shielded_entry_is_never_shown_online(opened: Cast) -> None:
    line = entry(opened, evaluation="Geheime conclusie")
    services.set_shielded(item=line, shielded=True, by=opened.gp_a)
    assert "Geheime conclusie" not in portal_page(opened)
    assert line.public_id not in [
        e.public_id for e in selectors.record_online(opened.patient_a).journal
    ]
    services.set_shielded(item=line, shielded=False, by=opened.gp_a)
    assert "Geheime conclusie" in portal_page(opened)


def test_a_shielded_episode_hides_itself_and_all_its_lines(opened: Cast) -> None:
    episode = services.record_episode(
        patient=opened.patient_a,
        icpc_code="p76",
        title="Somberheid",
        started_on=date(2024, 1, 5),
        by=opened.gp_a,
    )
    assert episode.icpc_code == "P76"
    entry(opened, episode=episode, evaluation="Depressieve klachten")
    services.set_shielded(item=episode, shielded=True, by=opened.gp_a)
    page = portal_page(opened)
    assert "Somberheid" not in page and "Depressieve klachten" not in page


def test_nothing_before_the_practices_online_date_and_nothing_before_it_opens(cast: Cast) -> None:
    entry(cast, contact_on=date(2019, 5, 1), evaluation="Oude conclusie")
    entry(cast, evaluation="Nieuwe conclusie")
    page = portal_page(cast)
    assert "nog niet online opengezet" in page
    assert "Nieuwe conclusie" not in page
    cast.practice_a.records_online_from = OPEN_FROM
    cast.practice_a.save()
    page = portal_page(cast)
    assert "Nieuwe conclusie" in page and "Oude conclusie" not in page


def test_lines_with_only_working_notes_are_not_shown(opened: Cast) -> None:
    entry(opened, evaluation="", plan="", subjective="Alleen S")
    assert selectors.record_online(opened.patient_a).journal == []


def test_a_replaced_line_is_not_shown(opened: Cast) -> None:
    old = entry(opened, evaluation="Eerste versie")
    new = entry(opened, evaluation="Verbeterde versie")
    new.replaces = old
    new.save()
    page = portal_page(opened)
    assert "Verbeterde versie" in page and "Eerste versie" not in page


def test_medication_and_allergies_are_shown_unless_shielded(opened: Cast) -> None:
    pill = services.record_medication(
        patient=opened.patient_a,
        name="Amlodipine 5 mg",
        dosage="1 keer per dag",
        started_on=date(2023, 3, 1),
        chronic=True,
        by=opened.gp_a,
    )
    services.record_allergy(
        patient=opened.patient_a,
        substance="Penicilline",
        kind="allergie",
        reaction="Uitslag",
        by=opened.assistant_a,
    )
    page = portal_page(opened)
    assert "Amlodipine 5 mg" in page and "Penicilline" in page
    services.set_shielded(item=pill, shielded=True, by=opened.gp_a)
    assert "Amlodipine" not in portal_page(opened)


def test_a_patient_sees_only_their_own_record(opened: Cast) -> None:
    entry(opened, patient=opened.other_patient_a, evaluation="Van een ander")
    assert "Van een ander" not in portal_page(opened)


def test_reading_the_record_is_logged_for_patient_and_staff(opened: Cast) -> None:
    line = entry(opened)
    portal_page(opened)
    verified_client(opened.gp_a).get(
        reverse("dossier:patient_record", args=[opened.patient_a.public_id])
    )
    reads = AuditEntry.objects.filter(action="read", object_kind="record")
    assert reads.count() == 2
    assert all(r.patient_id == opened.patient_a.pk for r in reads)
    assert all(str(line.public_id) in r.object_ids for r in reads)


def test_staff_see_the_whole_record_including_shielded_lines(opened: Cast) -> None:
    line = entry(opened, evaluation="Afgeschermde conclusie")
    services.set_shielded(item=line, shielded=True, by=opened.gp_a)
    page = (
        verified_client(opened.poh_a)
        .get(reverse("dossier:patient_record", args=[opened.patient_a.public_id]))
        .content.decode()
    )
    assert "Afgeschermde conclusie" in page and "werkaantekening" in page
    assert "afgeschermd" in page


@pytest.mark.parametrize("who", ["manager_a", "patient_user_a", "gp_b"])
def test_the_staff_record_page_refuses_others(opened: Cast, who: str) -> None:
    response = verified_client(getattr(opened, who)).get(
        reverse("dossier:patient_record", args=[opened.patient_a.public_id])
    )
    assert response.status_code in (403, 404)


def test_staff_add_a_journal_line_through_the_page(opened: Cast) -> None:
    url = reverse("dossier:patient_record", args=[opened.patient_a.public_id])
    response = verified_client(opened.assistant_a).post(
        url,
        {
            "formulier": "journaal",
            "contact_on": timezone.localdate().isoformat(),
            "kind": "telefonisch",
            "evaluation": "Hechtingen verwijderd",
        },
    )
    assert response.status_code == 302
    assert JournalEntry.objects.get().created_by == opened.assistant_a


def test_an_empty_soep_line_gets_a_dutch_error_and_is_refused_by_the_database(opened: Cast) -> None:
    url = reverse("dossier:patient_record", args=[opened.patient_a.public_id])
    page = (
        verified_client(opened.gp_a)
        .post(url, {"formulier": "journaal", "contact_on": "2025-01-01", "kind": "consult"})
        .content.decode()
    )
    assert "Vul minstens één van de regels S, O, E of P in." in page
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(
            practice=opened.practice_a,
            patient=opened.patient_a,
            contact_on=date(2025, 1, 1),
            kind="consult",
            created_by=opened.gp_a,
        )


def test_bad_icpc_codes_and_future_dates_are_refused(opened: Cast) -> None:
    with pytest.raises(BusinessRuleError, match="ICPC-code"):
        services.record_episode(
            patient=opened.patient_a,
            icpc_code="Q12",
            title="x",
            started_on=date(2024, 1, 1),
            by=opened.gp_a,
        )
    with pytest.raises(BusinessRuleError, match="toekomst"):
        entry(opened, contact_on=timezone.localdate() + timedelta(days=1))


@pytest.mark.parametrize("who", ["assistant_a", "poh_a", "manager_a", "gp_b"])
def test_only_a_gp_of_the_practice_prescribes(opened: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.record_medication(
            patient=opened.patient_a,
            name="X",
            dosage="1x",
            started_on=date(2024, 1, 1),
            by=getattr(opened, who),
        )


@pytest.mark.parametrize("who", ["assistant_a", "poh_a", "gp_b"])
def test_only_a_gp_of_the_practice_shields(opened: Cast, who: str) -> None:
    line = entry(opened)
    with pytest.raises(PermissionDenied):
        services.set_shielded(item=line, shielded=True, by=getattr(opened, who))


def test_shielding_over_http_and_other_practices_items_are_404(opened: Cast) -> None:
    line = entry(opened)
    url = reverse("dossier:shield", args=["journaal", line.public_id])
    assert verified_client(opened.assistant_a).post(url, {"afschermen": "ja"}).status_code == 403
    assert verified_client(opened.gp_b).post(url, {"afschermen": "ja"}).status_code == 404
    verified_client(opened.gp_a).post(url, {"afschermen": "ja"})
    line.refresh_from_db()
    assert line.shielded and line.shielded_by == opened.gp_a
    assert AuditEntry.objects.filter(action="change", detail="afgeschermd").count() == 1


def test_the_portal_page_costs_the_same_queries_for_a_long_record(opened: Cast) -> None:
    entry(opened)
    client = verified_client(opened.patient_user_a)
    client.get(reverse("dossier:my_record"))  # the first visit also creates the audit chain
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("dossier:my_record"))
    episode = Episode.objects.create(
        practice=opened.practice_a,
        patient=opened.patient_a,
        icpc_code="K86",
        title="Hoge bloeddruk",
        started_on=date(2021, 1, 1),
        created_by=opened.gp_a,
    )
    JournalEntry.objects.bulk_create(
        JournalEntry(
            practice=opened.practice_a,
            patient=opened.patient_a,
            episode=episode,
            contact_on=date(2021, 1, 1) + timedelta(days=i),
            kind="consult",
            evaluation=f"Controle {i}",
            created_by=opened.gp_a,
        )
        for i in range(300)
    )
    with CaptureQueriesContext(connection) as big:
        page = client.get(reverse("dossier:my_record")).content.decode()
    assert len(big.captured_queries) == len(small.captured_queries)
    # The bound: at most 10 queries a page (savepoints are not round trips of data).
    real = [q for q in big.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(real) <= 10
    assert page.count('class="spreekuur-journal"') == selectors.JOURNAL_PAGE
    assert "Oudere contacten" in page


def pdf_text(content: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_the_pdf_holds_what_the_portal_shows_and_nothing_more(opened: Cast) -> None:
    entry(opened, evaluation="Spanningshoofdpijn")
    hidden = entry(opened, evaluation="Afgeschermde regel")
    services.set_shielded(item=hidden, shielded=True, by=opened.gp_a)
    services.record_allergy(
        patient=opened.patient_a, substance="Penicilline", kind="allergie", by=opened.gp_a
    )
    response = verified_client(opened.patient_user_a).get(reverse("dossier:my_record_pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="dossier.pdf"'
    text = pdf_text(response.content)
    assert "Spanningshoofdpijn" in text and "Penicilline" in text
    assert "Afgeschermde regel" not in text and "werkaantekening" not in text
    assert opened.patient_a.family_name in text
    export = AuditEntry.objects.get(action="export", object_kind="record")
    assert export.patient == opened.patient_a
    assert str(hidden.public_id) not in export.object_ids


def test_the_pdf_holds_every_contact_not_only_the_first_page(opened: Cast) -> None:
    JournalEntry.objects.bulk_create(
        JournalEntry(
            practice=opened.practice_a,
            patient=opened.patient_a,
            contact_on=date(2022, 1, 1) + timedelta(days=i),
            kind="consult",
            evaluation=f"Controle nummer {i}",
            created_by=opened.gp_a,
        )
        for i in range(60)
    )
    text = pdf_text(
        verified_client(opened.patient_user_a).get(reverse("dossier:my_record_pdf")).content
    )
    assert "Controle nummer 0" in text and "Controle nummer 59" in text


def test_no_pdf_before_the_practice_opens_its_records(cast: Cast) -> None:
    response = verified_client(cast.patient_user_a).get(reverse("dossier:my_record_pdf"))
    assert response["Location"] == reverse("dossier:my_record")


@pytest.mark.parametrize("who", ["gp_a", "manager_a"])
def test_the_pdf_is_for_the_patient_only(opened: Cast, who: str) -> None:
    response = verified_client(getattr(opened, who)).get(reverse("dossier:my_record_pdf"))
    assert response.status_code == 403


def test_the_patient_sees_in_plain_dutch_who_read_their_record(opened: Cast) -> None:
    verified_client(opened.gp_a).get(
        reverse("dossier:patient_record", args=[opened.patient_a.public_id])
    )
    page = (
        verified_client(opened.patient_user_a).get(reverse("shell:my_audit_log")).content.decode()
    )
    assert "Dokter A" in page
    assert "dossier (episodes, journaal, medicatie, allergieën)" in page


# --- found in review ---------------------------------------------------------------------


def test_a_date_still_to_come_opens_nothing(cast: Cast) -> None:
    cast.practice_a.records_online_from = timezone.localdate() + timedelta(days=60)
    cast.practice_a.save()
    services.record_allergy(
        patient=cast.patient_a, substance="Penicilline", kind="allergie", by=cast.gp_a
    )
    assert "Penicilline" not in portal_page(cast)
    response = verified_client(cast.patient_user_a).get(reverse("dossier:my_record_pdf"))
    assert response.status_code == 302


def test_the_manager_cannot_choose_a_future_date_and_the_change_is_logged(cast: Cast) -> None:
    from spreekuur.practice.services import update_practice_details

    with pytest.raises(BusinessRuleError, match="toekomst"):
        update_practice_details(
            practice=cast.practice_a,
            details={"records_online_from": timezone.localdate() + timedelta(days=1)},
            weekly={},
            by=cast.manager_a,
        )
    update_practice_details(
        practice=cast.practice_a,
        details={"records_online_from": OPEN_FROM},
        weekly={},
        by=cast.manager_a,
    )
    entry_ = AuditEntry.objects.get(object_kind="records_online_from")
    assert entry_.detail == "- -> 2020-07-01"


def test_the_patients_access_log_does_not_tell_that_something_was_shielded(opened: Cast) -> None:
    line = entry(opened)
    services.set_shielded(item=line, shielded=True, by=opened.gp_a)
    page = (
        verified_client(opened.patient_user_a).get(reverse("shell:my_audit_log")).content.decode()
    )
    assert "afgeschermd" not in page
    assert "journaalregel" not in page
    assert "gegevens in uw dossier" in page
    manager_view = verified_client(opened.manager_a).get(
        reverse("shell:audit_search"), {"patient": str(opened.patient_a.public_id)}
    )
    assert manager_view.status_code == 200


def test_a_very_long_plan_still_makes_a_pdf(opened: Cast) -> None:
    entry(opened, plan="Uitgebreid plan. " * 400)
    response = verified_client(opened.patient_user_a).get(reverse("dossier:my_record_pdf"))
    assert response.status_code == 200
    assert "Uitgebreid plan." in pdf_text(response.content)


def test_a_closed_episode_or_stopped_medication_is_not_closed_again(opened: Cast) -> None:
    episode = services.record_episode(
        patient=opened.patient_a,
        icpc_code="R74",
        title="Verkoudheid",
        started_on=date(2024, 1, 1),
        by=opened.gp_a,
    )
    services.close_episode(episode=episode, ended_on=date(2024, 1, 20), by=opened.gp_a)
    with pytest.raises(BusinessRuleError, match="al afgesloten"):
        services.close_episode(episode=episode, ended_on=date(2024, 3, 1), by=opened.assistant_a)
    pill = services.record_medication(
        patient=opened.patient_a,
        name="X",
        dosage="1x",
        started_on=date(2024, 1, 1),
        by=opened.gp_a,
    )
    services.stop_medication(medication=pill, ended_on=date(2024, 2, 1), by=opened.gp_a)
    with pytest.raises(BusinessRuleError, match="al gestopt"):
        services.stop_medication(medication=pill, ended_on=date(2024, 5, 1), by=opened.gp_a)
    with pytest.raises(BusinessRuleError, match="toekomst"):
        services.record_medication(
            patient=opened.patient_a,
            name="Y",
            dosage="1x",
            started_on=timezone.localdate() + timedelta(days=400),
            by=opened.gp_a,
        )


def test_odd_page_numbers_and_missing_shield_choices_are_not_errors(opened: Cast) -> None:
    client = verified_client(opened.patient_user_a)
    assert client.get(reverse("dossier:my_record"), {"pagina": "²"}).status_code == 200
    line = entry(opened)
    services.set_shielded(item=line, shielded=True, by=opened.gp_a)
    url = reverse("dossier:shield", args=["journaal", line.public_id])
    assert verified_client(opened.gp_a).post(url, {}).status_code == 400
    line.refresh_from_db()
    assert line.shielded


def test_shielding_another_practices_item_is_logged_as_refused(opened: Cast) -> None:
    line = entry(opened)
    verified_client(opened.gp_b).post(
        reverse("dossier:shield", args=["journaal", line.public_id]), {"afschermen": "nee"}
    )
    refused = AuditEntry.objects.get(outcome="denied")
    assert refused.actor == opened.gp_b
    assert refused.object_ids == [str(line.public_id)]


def test_a_correction_replaces_online_keeps_history_for_staff_and_keeps_the_shield(
    opened: Cast,
) -> None:
    old = entry(opened, evaluation="Eerste conclusie")
    fixed = services.correct_journal_entry(
        original=old,
        subjective="",
        objective="",
        evaluation="Verbeterde conclusie",
        plan="Nieuw plan",
        by=opened.gp_a,
    )
    assert fixed.replaces == old and fixed.contact_on == old.contact_on
    page = portal_page(opened)
    assert "Verbeterde conclusie" in page and "Eerste conclusie" not in page
    staff_page = (
        verified_client(opened.gp_a)
        .get(reverse("dossier:patient_record", args=[opened.patient_a.public_id]))
        .content.decode()
    )
    assert "Eerste conclusie" in staff_page and "vervangen door een verbetering" in staff_page
    with pytest.raises(BusinessRuleError, match="al verbeterd"):
        services.correct_journal_entry(
            original=old, subjective="", objective="", evaluation="x", plan="", by=opened.gp_a
        )
    hidden = entry(opened, evaluation="Afgeschermd origineel")
    services.set_shielded(item=hidden, shielded=True, by=opened.gp_a)
    services.correct_journal_entry(
        original=hidden,
        subjective="",
        objective="",
        evaluation="Afgeschermde verbetering",
        plan="",
        by=opened.gp_a,
    )
    assert "Afgeschermde verbetering" not in portal_page(opened)


def test_corrections_over_http_are_scoped_to_the_patient_and_practice(opened: Cast) -> None:
    line = entry(opened, patient=opened.other_patient_a, evaluation="Van een ander")
    url = reverse("dossier:patient_record", args=[opened.patient_a.public_id])
    form = {
        "formulier": "verbeteren",
        "regel": str(line.public_id),
        "evaluation": "Verbeterd door de assistent",
    }
    assert verified_client(opened.gp_a).post(url, form).status_code == 404
    assert verified_client(opened.gp_b).post(url, form).status_code == 404
    mine = entry(opened)
    form["regel"] = str(mine.public_id)
    assert verified_client(opened.assistant_a).post(url, form).status_code == 302
    assert JournalEntry.objects.get(replaces=mine).evaluation == "Verbeterd door de assistent"


def test_the_database_refuses_a_correction_of_another_patients_line(opened: Cast) -> None:
    from django.db import DatabaseError

    theirs = entry(opened, patient=opened.other_patient_a, evaluation="Van een ander")
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.create(
            practice=opened.practice_a,
            patient=opened.patient_a,
            contact_on=date(2025, 1, 1),
            kind="consult",
            evaluation="Verstopt de regel van een ander",
            replaces=theirs,
            created_by=opened.gp_a,
        )
    mine = entry(opened, evaluation="Eigen regel")
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(pk=mine.pk).update(replaces=theirs)
    assert JournalEntry.objects.filter(replaces=theirs).count() == 0


DOSSIER_WRITES = {
    "record_episode": lambda c, by: services.record_episode(
        patient=c.patient_a,
        icpc_code="R74",
        title="Verkoudheid",
        started_on=date(2024, 1, 1),
        by=by,
    ),
    "record_journal_entry": lambda c, by: services.record_journal_entry(
        patient=c.patient_a, contact_on=date(2024, 1, 1), kind="consult", evaluation="x", by=by
    ),
    "record_allergy": lambda c, by: services.record_allergy(
        patient=c.patient_a, substance="Latex", kind="allergie", by=by
    ),
    "close_episode": lambda c, by: services.close_episode(
        episode=services.record_episode(
            patient=c.patient_a,
            icpc_code="R74",
            title="V",
            started_on=date(2024, 1, 1),
            by=c.gp_a,
        ),
        ended_on=date(2024, 2, 1),
        by=by,
    ),
    "correct_journal_entry": lambda c, by: services.correct_journal_entry(
        original=entry(c), subjective="", objective="", evaluation="y", plan="", by=by
    ),
}


@pytest.mark.parametrize("service", sorted(DOSSIER_WRITES))
@pytest.mark.parametrize("who", ["manager_a", "patient_user_a", "gp_b"])
def test_record_writes_refuse_the_wrong_role_and_practice(
    opened: Cast, service: str, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        DOSSIER_WRITES[service](opened, getattr(opened, who))


def test_an_empty_allergy_gets_a_dutch_error(opened: Cast) -> None:
    from spreekuur.dossier.models import Allergy

    with pytest.raises(BusinessRuleError, match="Dit veld"):
        services.record_allergy(
            patient=opened.patient_a, substance="  ", kind="allergie", by=opened.gp_a
        )
    assert not Allergy.objects.exists()


# --- The repeat list (issue 6 builds on it) ------------------------------------------------


def _medication(cast: Cast):
    return services.record_medication(
        patient=cast.patient_a,
        name="Metformine 500 mg",
        dosage="2 keer per dag 1 tablet",
        started_on=date(2022, 1, 1),
        chronic=True,
        by=cast.gp_a,
    )


def test_the_gp_puts_a_medicine_on_the_repeat_list(cast: Cast) -> None:
    medication = _medication(cast)
    due = timezone.localdate() + timedelta(days=90)
    services.set_repeat(
        medication=medication,
        repeatable=True,
        quantity="180 tabletten",
        control_due_on=due,
        by=cast.gp_a,
    )
    medication.refresh_from_db()
    assert medication.repeatable and medication.quantity == "180 tabletten"
    assert medication.control_due_on == due
    services.set_repeat(medication=medication, repeatable=False, by=cast.gp_a)
    medication.refresh_from_db()
    assert not medication.repeatable and medication.control_due_on is None


@pytest.mark.parametrize("role", ["assistant_a", "poh_a", "gp_b", "patient_user_a"])
def test_only_a_gp_of_the_practice_sets_the_repeat_list(cast: Cast, role: str) -> None:
    medication = _medication(cast)
    with pytest.raises(PermissionDenied):
        services.set_repeat(
            medication=medication, repeatable=True, quantity="90", by=getattr(cast, role)
        )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"quantity": ""}, "hoeveelheid"),
        ({"quantity": "90", "control_due_on": date(2020, 1, 1)}, "verleden"),
    ],
)
def test_bad_repeat_input_is_refused(cast: Cast, values: dict, message: str) -> None:
    medication = _medication(cast)
    with pytest.raises(BusinessRuleError, match=message):
        services.set_repeat(medication=medication, repeatable=True, by=cast.gp_a, **values)


def test_the_database_refuses_a_repeatable_medicine_without_quantity(cast: Cast) -> None:
    medication = _medication(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(medication).objects.filter(pk=medication.pk).update(repeatable=True, quantity="")


def test_the_repeat_form_on_the_record_page(cast: Cast) -> None:
    medication = _medication(cast)
    client = verified_client(cast.gp_a)
    response = client.post(
        reverse("dossier:repeat", args=[medication.public_id]), {"quantity": "90 tabletten"}
    )
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.repeatable
    assert (
        verified_client(cast.assistant_a)
        .post(reverse("dossier:repeat", args=[medication.public_id]), {"herhaalbaar": "nee"})
        .status_code
        == 403
    )


# --- Measurements -------------------------------------------------------------------------


def test_blood_pressure_and_weight_are_recorded_and_shown_online(opened: Cast) -> None:
    from decimal import Decimal

    rows = services.record_measurements(
        patient=opened.patient_a,
        measured_on=timezone.localdate(),
        values={"1744": Decimal(138), "1740": Decimal(84), "357": Decimal("81.5")},
        by=opened.poh_a,
    )
    assert len(rows) == 3
    client = verified_client(opened.patient_user_a)
    page = client.get(reverse("dossier:my_results")).content.decode()
    assert "Bloeddruk" in page and "138/84 mmHg" in page  # one value, as people say it
    assert "81,5 kg" in page
    services.set_shielded(item=rows[2], shielded=True, by=opened.gp_a)
    assert "Gewicht" not in client.get(reverse("dossier:my_results")).content.decode()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "minstens één"),
        ({"1744": 140}, "boven- en onderdruk"),
        ({"1744": 80, "1740": 90}, "hoger zijn dan de onderdruk"),
        ({"1744": 400, "1740": 90}, "kan niet kloppen"),
        ({"357": 0}, "kan niet kloppen"),
    ],
)
def test_implausible_measurements_are_refused(cast: Cast, values: dict, message: str) -> None:
    from decimal import Decimal

    from spreekuur.dossier.models import Measurement

    with pytest.raises(BusinessRuleError, match=message):
        services.record_measurements(
            patient=cast.patient_a,
            measured_on=timezone.localdate(),
            values={k: Decimal(v) for k, v in values.items()},
            by=cast.poh_a,
        )
    assert not Measurement.objects.exists()


def test_measurements_need_staff_of_the_practice(cast: Cast) -> None:
    from decimal import Decimal

    for user in (cast.manager_a, cast.gp_b, cast.patient_user_a):
        with pytest.raises(PermissionDenied):
            services.record_measurements(
                patient=cast.patient_a,
                measured_on=timezone.localdate(),
                values={"357": Decimal(80)},
                by=user,
            )


def test_the_staff_form_records_a_blood_pressure(cast: Cast) -> None:
    from spreekuur.dossier.models import Measurement

    response = verified_client(cast.poh_a).post(
        reverse("dossier:patient_record", args=[cast.patient_a.public_id]),
        {
            "formulier": "meting",
            "measured_on": timezone.localdate().isoformat(),
            "systolic": "150",
            "diastolic": "95",
        },
    )
    assert response.status_code == 302 and Measurement.objects.count() == 2


def test_the_web_record_says_when_no_allergy_is_known_as_the_pdf_does(opened: Cast) -> None:
    """The PDF has a line 'none known'; the web record said nothing (issue 15, defect 9)."""
    assert "Geen allergieën of intoleranties bekend." in portal_page(opened)


def test_a_gp_records_a_medicine_with_its_gstandaard_code(cast: Cast) -> None:
    """The code goes with the name to the pharmacy (prescriptions.fhir); level and code
    come together or not at all, in the form and in the database."""
    from spreekuur.dossier.forms import MedicationForm
    from spreekuur.dossier.models import Medication

    base = {"name": "Metformine 500 mg", "dosage": "2 dd 1", "started_on": "2026-01-05"}
    assert MedicationForm(
        {**base, "gstandaard_level": "prk", "gstandaard_code": "29998"}
    ).is_valid()
    assert MedicationForm(base).is_valid()
    for wrong in (
        {"gstandaard_level": "prk"},
        {"gstandaard_code": "29998"},
        {"gstandaard_level": "prk", "gstandaard_code": "A10BA02"},
        {"gstandaard_level": "atc", "gstandaard_code": "1"},
    ):
        assert not MedicationForm({**base, **wrong}).is_valid(), wrong
    medication = services.record_medication(
        patient=cast.patient_a,
        name="Metformine 500 mg",
        dosage="2 dd 1",
        started_on=date(2026, 1, 5),
        gstandaard_level="prk",
        gstandaard_code="29998",
        by=cast.gp_a,
    )
    assert (medication.gstandaard_level, medication.gstandaard_code) == ("prk", "29998")
    with pytest.raises(BusinessRuleError):
        services.record_medication(
            patient=cast.patient_a,
            name="X",
            dosage="1",
            started_on=date(2026, 1, 5),
            gstandaard_level="prk",
            by=cast.gp_a,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Medication.objects.filter(pk=medication.pk).update(gstandaard_code="")
