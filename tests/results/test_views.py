"""The results pages over HTTP: the GP's review flow, the work list, and what each role
gets (the authorisation matrix covers every role; these follow the flows)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from spreekuur.core.models import AuditEntry
from spreekuur.results.models import LabMessage, LabResult, MessageStatus
from spreekuur.results.samples import SampleResult
from tests.conftest import Cast, verified_client
from tests.results.conftest import HBA1C_HIGH, LDL, oru, receive

pytestmark = pytest.mark.django_db


def test_the_review_list_shows_the_gps_own_and_unowned_results_far_out_first(cast: Cast) -> None:
    from tests.conftest import _staff

    other_gp = _staff(cast.practice_a, "huisarts", "Dokter Twee")
    cast.other_patient_a.gp = other_gp
    cast.other_patient_a.save()
    receive(cast, oru(cast.patient_a, LDL))  # nobody's: patient A has no own GP
    receive(cast, oru(cast.patient_a, SampleResult("513", "7.1", "mmol/l", flag="HH")))
    receive(cast, oru(cast.other_patient_a, HBA1C_HIGH))  # Dokter Twee's
    theirs = str(LabResult.objects.get(patient=cast.other_patient_a).message.public_id)
    client = verified_client(cast.gp_a)
    page = client.get(reverse("results:review_list")).content.decode()
    assert page.index("7,1") < page.index("2,6") and theirs not in page
    everyone = client.get(reverse("results:review_list") + "?iedereen=1").content.decode()
    assert theirs in everyone
    entry = AuditEntry.objects.filter(object_kind="labresult", action="read").latest("id")
    assert len(entry.object_ids) == 5 and entry.patient is None  # 3 results, 2 patients


def test_the_gp_releases_with_a_standard_phrase_and_goes_to_the_next(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, HBA1C_HIGH, LDL))
    first, second = LabResult.objects.order_by("id")
    client = verified_client(cast.gp_a)
    response = client.post(
        reverse("results:result_detail", args=[first.public_id]),
        {
            "phrase": "Graag een afspraak maken met de huisarts.",
            "comment": "Liefst deze week.",
            "vrijgeven": "ja",
        },
    )
    first.refresh_from_db()
    assert (
        first.released
        and first.comment == "Graag een afspraak maken met de huisarts. Liefst deze week."
    )
    # The next is what still waits of the same patient: here the rest of the same order.
    assert response.status_code == 302 and second.reviewed_at is None
    assert response["Location"] == reverse("results:panel_review", args=[first.message.public_id])


def test_reviewed_not_online_keeps_it_off_the_portal(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, LDL))
    result = LabResult.objects.get()
    verified_client(cast.gp_a).post(
        reverse("results:result_detail", args=[result.public_id]),
        {"comment": "Bespreek ik in de spreekkamer.", "vrijgeven": "nee"},
    )
    result.refresh_from_db()
    assert result.reviewed_at is not None and not result.released


def test_an_empty_review_shows_a_dutch_error_and_changes_nothing(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, LDL))
    result = LabResult.objects.get()
    response = verified_client(cast.gp_a).post(
        reverse("results:result_detail", args=[result.public_id]),
        {"comment": "  ", "vrijgeven": "ja"},
    )
    assert response.status_code == 200
    assert "Kies een standaardzin of schrijf een commentaar." in response.content.decode()
    result.refresh_from_db()
    assert result.reviewed_at is None


@pytest.mark.parametrize("role", ["assistant_a", "poh_a"])
def test_staff_who_are_not_gps_read_but_cannot_review(cast: Cast, role: str) -> None:
    receive(cast, oru(cast.patient_a, LDL))
    result = LabResult.objects.get()
    client = verified_client(getattr(cast, role))
    url = reverse("results:result_detail", args=[result.public_id])
    page = client.get(url)
    assert page.status_code == 200 and "Vrijgeven met commentaar" not in page.content.decode()
    assert client.post(url, {"comment": "Goed", "vrijgeven": "ja"}).status_code == 403
    result.refresh_from_db()
    assert result.reviewed_at is None


def test_a_result_of_another_practice_is_404_and_logged(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, LDL))
    result = LabResult.objects.get()
    response = verified_client(cast.gp_b).get(
        reverse("results:result_detail", args=[result.public_id])
    )
    assert response.status_code == 404
    denied = AuditEntry.objects.get(outcome="denied", object_kind="labresult")
    assert denied.practice == cast.practice_b and denied.patient is None


def test_the_assistant_links_an_unmatched_message_to_the_right_patient(cast: Cast) -> None:
    raw = oru(cast.patient_a, LDL).replace(cast.patient_a.bsn.encode(), b"111222333")
    message = receive(cast, raw).messages[0]
    client = verified_client(cast.assistant_a)
    url = reverse("results:lab_message", args=[message.public_id])
    page = client.get(url).content.decode()
    assert cast.patient_a.family_name in page  # offered by date of birth
    response = client.post(url, {"actie": "koppelen", "patient": str(cast.patient_a.public_id)})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.IMPORTED and message.patient == cast.patient_a
    assert LabResult.objects.get().patient == cast.patient_a
    again = client.post(
        url, {"actie": "koppelen", "patient": str(cast.other_patient_a.public_id)}, follow=True
    )
    assert "al aan een patiënt gekoppeld" in again.content.decode()
    assert LabResult.objects.count() == 1


def test_linking_to_a_patient_of_another_practice_is_404(cast: Cast) -> None:
    raw = oru(cast.patient_a, LDL).replace(cast.patient_a.bsn.encode(), b"111222333")
    message = receive(cast, raw).messages[0]
    response = verified_client(cast.assistant_a).post(
        reverse("results:lab_message", args=[message.public_id]),
        {"actie": "koppelen", "patient": str(cast.patient_b.public_id)},
    )
    assert response.status_code == 404 and LabResult.objects.count() == 0


def test_a_partial_message_is_read_again_after_the_table_has_the_test(cast: Cast) -> None:
    from spreekuur.results.models import LabTest

    message = receive(cast, oru(cast.patient_a, LDL, SampleResult("77777", "3", "U/l"))).messages[0]
    assert message.status == MessageStatus.PARTIAL
    LabTest.objects.create(
        nhg_code="77777", mnemonic="PROEF", name="proef", patient_name="Proef", unit="U/l"
    )
    client = verified_client(cast.assistant_a)
    client.post(reverse("results:lab_message", args=[message.public_id]), {"actie": "opnieuw"})
    message.refresh_from_db()
    assert message.status == MessageStatus.IMPORTED and message.result_count == 2
    assert LabResult.objects.count() == 2  # LDL not twice


def test_closing_a_quarantined_message_needs_a_note(cast: Cast) -> None:
    message = receive(cast, b"not hl7").messages[0]
    client = verified_client(cast.assistant_a)
    url = reverse("results:lab_message", args=[message.public_id])
    page = client.post(url, {"actie": "afhandelen", "note": ""})
    assert page.status_code == 200 and "verplicht" in page.content.decode().lower()
    client.post(url, {"actie": "afhandelen", "note": "Lab gebeld, stuurt opnieuw."})
    message.refresh_from_db()
    assert message.status == MessageStatus.HANDLED and message.handled_by == cast.assistant_a
    listing = client.get(reverse("results:worklist")).content.decode()
    assert str(message.public_id) not in listing


def test_an_unknown_action_is_404(cast: Cast) -> None:
    message = receive(cast, b"not hl7").messages[0]
    response = verified_client(cast.assistant_a).post(
        reverse("results:lab_message", args=[message.public_id]), {"actie": "verwijderen"}
    )
    assert (
        response.status_code == 404 and LabMessage.objects.get().status == MessageStatus.QUARANTINED
    )


def test_the_work_list_filters_by_status(cast: Cast) -> None:
    quarantined = receive(cast, b"not hl7").messages[0]
    unmatched = receive(cast, oru(cast.patient_b, LDL)).messages[0]
    client = verified_client(cast.assistant_a)
    page = client.get(reverse("results:worklist") + "?status=quarantaine").content.decode()
    assert str(quarantined.public_id) in page and str(unmatched.public_id) not in page


def test_staff_see_a_patients_results_with_their_state(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, LDL))
    page = (
        verified_client(cast.poh_a)
        .get(reverse("results:patient_results", args=[cast.patient_a.public_id]))
        .content.decode()
    )
    assert "nog niet beoordeeld" in page and "2,6" in page


def test_finding_a_patient_for_a_message_is_a_logged_post_search(cast: Cast) -> None:
    raw = oru(cast.patient_a, LDL).replace(cast.patient_a.bsn.encode(), b"111222333")
    message = receive(cast, raw).messages[0]
    client = verified_client(cast.assistant_a)
    url = reverse("results:lab_message", args=[message.public_id])
    page = client.post(url, {"actie": "zoeken", "query": cast.other_patient_a.family_name})
    assert page.status_code == 200 and cast.other_patient_a.family_name in page.content.decode()
    search = AuditEntry.objects.filter(action="search", object_kind="patient").latest("id")
    assert str(cast.other_patient_a.public_id) in search.object_ids
    assert 'method="get"' not in page.content.decode().split("koppel-kop", 1)[1]
