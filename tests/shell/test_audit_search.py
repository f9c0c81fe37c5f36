"""The manager finds a patient in the log by name, BSN or date of birth: by POST (the
question never stands in a URL), only in their own practice, with the BSN's elfproef and
the Dutch date format checked, a page at a time, and the search itself logged."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from spreekuur.core.models import AuditAction, AuditEntry
from tests.conftest import Cast, verified_client
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

FIND = reverse("shell:audit_find_patient")


def _find(cast: Cast, query: str, **extra: str):
    return verified_client(cast.manager_a).post(FIND, {"zoek": query, **extra})


def _found(response) -> list[str]:
    page = response.context["found"]
    return [patient.display_name for patient in page] if page is not None else []


def _searches() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action=AuditAction.SEARCH, object_kind="patient").order_by("id")
    )


def test_the_manager_finds_a_patient_by_bsn_and_the_search_is_logged(cast: Cast) -> None:
    response = _find(cast, cast.patient_a.bsn)
    assert response.status_code == 200
    assert _found(response) == [cast.patient_a.display_name]
    link = f"{reverse('shell:audit_search')}?patient={cast.patient_a.public_id}"
    assert link in response.content.decode()
    [entry] = _searches()
    assert entry.actor == cast.manager_a and entry.patient is None
    assert entry.object_ids == [str(cast.patient_a.public_id)]
    assert cast.patient_a.bsn not in entry.detail and cast.patient_a.family_name not in entry.detail


def test_a_bsn_typed_with_spaces_or_dots_is_found(cast: Cast) -> None:
    bsn = cast.patient_a.bsn
    assert _found(_find(cast, f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}")) == [cast.patient_a.display_name]
    assert _found(_find(cast, f"{bsn[:3]} {bsn[3:6]} {bsn[6:]}")) == [cast.patient_a.display_name]


def test_a_bsn_that_fails_the_elfproef_is_refused_and_nothing_is_searched(cast: Cast) -> None:
    bsn = cast.patient_a.bsn
    wrong = bsn[:8] + str((int(bsn[8]) + 1) % 10)
    response = _find(cast, wrong)
    assert "de elfproef klopt niet" in response.content.decode()
    assert response.context["found"] is None and not _searches()
    assert "9 cijfers" in _find(cast, "1234567").content.decode()


def test_a_date_of_birth_in_dutch_format_finds_everyone_born_that_day(cast: Cast) -> None:
    # The cast's patients of practice A are all born 17 May 1980 (the factory's default).
    born = PatientFactory(practice=cast.practice_a, date_of_birth=date(1975, 3, 9))
    assert _found(_find(cast, "09-03-1975")) == [born.display_name]
    assert _found(_find(cast, "9-3-1975")) == [born.display_name]
    assert sorted(_found(_find(cast, "17-05-1980"))) == sorted(
        [cast.patient_a.display_name, cast.other_patient_a.display_name]
    )
    de_vries = PatientFactory(practice=cast.practice_a, family_name="de Vries")
    PatientFactory(
        practice=cast.practice_a, family_name="de Vries", date_of_birth=born.date_of_birth
    )
    assert _found(_find(cast, "de vries 17-05-1980")) == [de_vries.display_name]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("1980-05-17", "dd-mm-jjjj"),
        ("31-02-1980", "Deze datum bestaat niet"),
        ("01-01-2999", "kan niet kloppen"),
        ("J", "minstens twee letters"),
        ("   ", "Dit veld is verplicht"),
    ],
)
def test_bad_input_gets_a_dutch_message(cast: Cast, query: str, message: str) -> None:
    response = _find(cast, query)
    assert message in response.content.decode()
    assert response.context["found"] is None and not _searches()


def test_only_the_managers_own_practice_is_searched(cast: Cast) -> None:
    assert _found(_find(cast, cast.patient_b.bsn)) == []
    PatientFactory(practice=cast.practice_b, family_name="Bakker")
    assert "Geen patiënt gevonden" in _find(cast, "Bakker").content.decode()
    other = {"patient": str(cast.patient_b.public_id)}
    client = verified_client(cast.manager_a)
    assert client.get(reverse("shell:audit_search"), other).status_code == 404


def test_the_name_is_found_in_any_order_and_case(cast: Cast) -> None:
    patient = PatientFactory(
        practice=cast.practice_a, given_name="Kate", name_prefix="van der", family_name="Heijden"
    )
    for query in ("heijden", "Kate van der Heijden", "HEIJDEN kate"):
        assert _found(_find(cast, query)) == [patient.display_name]


def test_the_search_never_goes_into_the_url(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    assert client.get(FIND, {"zoek": cast.patient_a.bsn}).status_code == 405
    page = client.get(reverse("shell:audit_search")).content.decode()
    assert f'method="post" action="{FIND}"' in page


def test_many_matches_come_a_page_at_a_time(cast: Cast) -> None:
    born = date(1990, 1, 2)
    for number in range(23):
        PatientFactory(
            practice=cast.practice_a, family_name=f"Pagina{number:02d}", date_of_birth=born
        )
    first = _find(cast, "02-01-1990")
    assert len(_found(first)) == 20 and first.context["found"].paginator.count == 23
    second = _find(cast, "02-01-1990", pagina="2")
    assert [name.split()[-1] for name in _found(second)] == ["Pagina20", "Pagina21", "Pagina22"]
    # Each page shown is logged with the patients on it.
    assert [len(entry.object_ids) for entry in _searches()] == [20, 3]


def test_other_roles_may_not_search(cast: Cast) -> None:
    for user in (cast.assistant_a, cast.gp_a, cast.patient_user_a):
        assert verified_client(user).post(FIND, {"zoek": "Jansen"}).status_code == 403
    assert not _searches()
