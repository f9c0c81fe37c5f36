from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from spreekuur.core.models import AuditEntry
from tests.conftest import Cast, verified_client


def detail(patient) -> str:
    return reverse("patients:detail", args=[patient.public_id])


@pytest.mark.parametrize("role", ["gp_a", "assistant_a", "poh_a"])
def test_staff_see_own_practice_patient_and_read_is_logged(cast: Cast, role: str) -> None:
    user = getattr(cast, role)
    response = verified_client(user).get(detail(cast.patient_a))
    assert response.status_code == 200
    assert cast.patient_a.bsn in response.content.decode()
    entry = AuditEntry.objects.get(actor=user, patient=cast.patient_a, action="read")
    assert entry.object_kind == "personal_data" and entry.channel == "staff"
    assert entry.ip_address == "127.0.0.1"


@pytest.mark.parametrize(("role", "status"), [("gp_b", 404), ("manager_b", 403)])
def test_staff_of_other_practice_are_refused(cast: Cast, role: str, status: int) -> None:
    client = verified_client(getattr(cast, role))
    assert client.get(detail(cast.patient_a)).status_code == status
    issue_url = reverse("patients:issue_activation", args=[cast.patient_a.public_id])
    assert client.post(issue_url).status_code == status
    assert not AuditEntry.objects.filter(patient=cast.patient_a).exists()


def test_manager_has_no_patient_list_or_record(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    assert client.get(reverse("patients:list")).status_code == 403
    assert client.get(detail(cast.patient_a)).status_code == 403
    assert not AuditEntry.objects.filter(patient=cast.patient_a, outcome="allowed").exists()


def test_tampered_and_random_ids_give_404(cast: Cast) -> None:
    client = verified_client(cast.gp_a)
    assert client.get(reverse("patients:detail", args=[uuid.uuid4()])).status_code == 404
    assert (
        client.get(f"/patienten/{cast.patient_a.pk}/").status_code == 404
    )  # integer keys are not URLs


def test_patient_cannot_open_staff_pages_or_other_patients(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    assert client.get(reverse("patients:list")).status_code == 403
    assert client.get(detail(cast.other_patient_a)).status_code == 403
    assert client.get(detail(cast.patient_b)).status_code == 403


def test_patient_sees_own_details_and_access_is_logged(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    response = client.get(reverse("patients:my_details"))
    assert response.status_code == 200
    assert cast.patient_a.family_name in response.content.decode()
    entry = AuditEntry.objects.get(patient=cast.patient_a)
    assert entry.channel == "portal" and entry.actor_role == "patient"


def test_staff_have_no_my_details_page(cast: Cast) -> None:
    assert verified_client(cast.gp_a).get(reverse("patients:my_details")).status_code == 403


def test_search_by_bsn_uses_post_and_stays_in_practice(cast: Cast) -> None:
    client = verified_client(cast.assistant_a)
    response = client.post(reverse("patients:list"), {"query": cast.patient_a.bsn})
    body = response.content.decode()
    assert cast.patient_a.family_name in body
    response = client.post(reverse("patients:list"), {"query": cast.patient_b.bsn})
    assert cast.patient_b.family_name not in response.content.decode()
    assert AuditEntry.objects.filter(actor=cast.assistant_a, action="search").count() == 2


def test_search_by_name_prefix_and_empty_search_error(cast: Cast) -> None:
    client = verified_client(cast.assistant_a)
    response = client.post(
        reverse("patients:list"), {"query": cast.patient_a.family_name[:5].lower()}
    )
    assert cast.patient_a.family_name in response.content.decode()
    response = client.post(reverse("patients:list"), {"query": ""})
    assert "Vul een naam, BSN of geboortedatum in." in response.content.decode()


def test_patient_list_is_paginated_without_n_plus_one(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import PatientFactory

    client = verified_client(cast.assistant_a)
    client.get(reverse("patients:list"))  # first visit creates the practice's audit chain

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("patients:list"))
        assert response.status_code == 200
        return len(context.captured_queries)

    few = queries()
    PatientFactory.create_batch(60, practice=cast.practice_a)
    assert queries() == few  # the same queries for 2 or 62 patients
    assert "Pagina 1 van 2" in client.get(reverse("patients:list")).content.decode()


def test_htmx_search_returns_only_the_results(cast: Cast) -> None:
    client = verified_client(cast.assistant_a)
    response = client.post(
        reverse("patients:list"), {"query": cast.patient_a.bsn}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body and cast.patient_a.family_name in body
    response = client.post(reverse("patients:list"), {"query": ""}, headers={"HX-Request": "true"})
    assert "Vul een naam, BSN of geboortedatum in." in response.content.decode()


def test_list_and_search_entries_name_the_patients_shown(cast: Cast) -> None:
    client = verified_client(cast.assistant_a)
    client.get(reverse("patients:list"))
    client.post(reverse("patients:list"), {"query": cast.patient_a.bsn})
    listed, searched = AuditEntry.objects.filter(actor=cast.assistant_a, action="search").order_by(
        "id"
    )
    assert set(listed.object_ids) == {
        str(cast.patient_a.public_id),
        str(cast.other_patient_a.public_id),
    }
    assert searched.object_ids == [str(cast.patient_a.public_id)]


@pytest.mark.parametrize(
    "query", ["Kate van der Heijden", "van der heijden", "heijden, kate", "HEIJDEN", "der Heij"]
)
def test_name_search_works_the_way_people_say_names(cast: Cast, query: str) -> None:
    from tests.factories import PatientFactory

    kate = PatientFactory(
        practice=cast.practice_a, given_name="Kate", name_prefix="van der", family_name="Heijden"
    )
    PatientFactory(
        practice=cast.practice_a, given_name="Kees", name_prefix="van", family_name="Dijk"
    )
    PatientFactory(
        practice=cast.practice_b, given_name="Kate", name_prefix="van der", family_name="Heijden"
    )
    response = verified_client(cast.assistant_a).post(reverse("patients:list"), {"query": query})
    assert [p.pk for p in response.context["results"]] == [kate.pk]
