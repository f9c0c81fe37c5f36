"""The patient's results pages cost the same whatever the length of the record: a fixed
number of queries for 10 results or 200, one page of a test at a time, and still every
released result reachable, nothing else shown, and the access log naming exactly what
each page showed."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.models import AuditAction, AuditEntry
from spreekuur.patients.models import Patient
from spreekuur.results.models import LabResult, LabTest, ResultStatus
from spreekuur.results.selectors import RECENT
from tests.conftest import Cast, verified_client
from tests.factories import PatientFactory, UserFactory
from tests.results.conftest import CREATININE, OPEN_FROM, released

LIST = "/mijn-uitslagen/"
TEST_LINK = re.compile(r'href="(/mijn-uitslagen/[0-9a-f-]{36}/)"')
QUERY_BUDGET = 10  # issue 18: at most 10 per results page, per-request ones included


def _tests(count: int) -> list[LabTest]:
    tests = list(LabTest.objects.order_by("pk")[:count])
    assert len(tests) == count
    return tests


def _give(
    cast: Cast,
    patient: Patient,
    tests: list[LabTest],
    per_test: int,
    *,
    days_back: int = 1,
    tag: str = "",
    **fields: object,
) -> list[LabResult]:
    """`per_test` results of each test for the patient, one a week going back, released
    with a comment unless `fields` say otherwise (written directly: the same rows)."""
    message = LabResult.objects.filter(practice=cast.practice_a).first().message  # type: ignore[union-attr]
    now = timezone.now().replace(microsecond=0)
    values = {
        "comment": "Normaal, geen actie nodig.",
        "reviewed_by": cast.gp_a,
        "reviewed_at": now,
        "released": True,
        **fields,
    }
    rows = [
        LabResult(
            practice=cast.practice_a,
            patient=patient,
            message=message,
            test=test,
            base_key=f"{patient.pk}-{test.pk}-{n}{tag}",
            source_key=f"{patient.pk}-{test.pk}-{n}{tag}",
            observed_at=now - timedelta(days=days_back + 7 * n, minutes=index),
            value=Decimal(5 + n % 3),
            value_text=str(5 + n % 3),
            unit=test.unit or "mmol/l",
            **values,
        )
        for index, test in enumerate(tests)
        for n in range(per_test)
    ]
    LabResult.objects.bulk_create(rows)
    return rows


def _patient_with_login(cast: Cast) -> Patient:
    return PatientFactory(practice=cast.practice_a, user=UserFactory(full_name="Patiënt C"))


def _plain_queries(client: Client, url: str) -> list[str]:
    client.get(url)  # warm-up: the menu's badges are counted at most once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


def _test_url(test: LabTest, page: int = 1) -> str:
    url = reverse("results:my_test_results", args=[test.public_id])
    return url if page == 1 else f"{url}?pagina={page}"


def _last_read(user: object) -> list[str]:
    entry = AuditEntry.objects.filter(
        actor=user, object_kind="labresult", action=AuditAction.READ
    ).latest("id")
    return list(entry.object_ids)


@pytest.fixture
def with_results(opened: Cast) -> Cast:
    released(opened, CREATININE)  # a message to hang the rows on (patient A's result)
    return opened


def test_the_pages_take_as_many_queries_for_200_results_as_for_10(with_results: Cast) -> None:
    tests = _tests(5)
    light, heavy = _patient_with_login(with_results), _patient_with_login(with_results)
    _give(with_results, light, tests, 2)  # 10 results
    _give(with_results, heavy, tests, 40)  # 200 results
    counts = {}
    for name, patient in (("light", light), ("heavy", heavy)):
        client = verified_client(patient.user)
        counts[name] = [
            len(_plain_queries(client, LIST)),
            len(_plain_queries(client, _test_url(tests[0]))),
        ]
    assert counts["light"] == counts["heavy"], counts
    # An older page of the long history costs the same as the first.
    client = verified_client(heavy.user)
    assert len(_plain_queries(client, _test_url(tests[0], page=2))) == counts["heavy"][1]
    assert max(counts["heavy"]) <= QUERY_BUDGET, counts


def test_the_list_reads_its_results_in_one_query(with_results: Cast) -> None:
    tests = _tests(5)
    patient = _patient_with_login(with_results)
    _give(with_results, patient, tests, 30)
    sql = _plain_queries(verified_client(patient.user), LIST)
    reads = [s for s in sql if s.startswith("SELECT") and "results_labresult" in s]
    assert len(reads) == 1, reads


def _walk(client: Client) -> tuple[set[str], set[str], int]:
    """Every page a patient can reach from the list: (test pages visited, result ids the
    access log says were shown, pages seen)."""
    before = AuditEntry.objects.count()
    listing = client.get(LIST)
    assert listing.status_code == 200
    links = set(TEST_LINK.findall(listing.content.decode()))
    pages = 1
    for link in links:
        page = 1
        while True:
            response = client.get(link if page == 1 else f"{link}?pagina={page}")
            assert response.status_code == 200
            pages += 1
            if f"?pagina={page + 1}" not in response.content.decode():
                break
            page += 1
    shown = {
        str(object_id)
        for entry in AuditEntry.objects.order_by("id")[before:]
        if entry.object_kind == "labresult" and entry.action == AuditAction.READ
        for object_id in entry.object_ids
    }
    return links, shown, pages


def test_every_released_result_is_reachable_and_nothing_else(with_results: Cast) -> None:
    cast = with_results
    a, b, c = _tests(3)
    patient = _patient_with_login(cast)
    online = _give(cast, patient, [a], 2 * RECENT + 3)  # three pages of test A
    online += _give(cast, patient, [b], 4)
    # Never online: not reviewed, reviewed but kept back, preliminary, withdrawn by the
    # lab, from before the practice opened the record online, or replaced by a newer one.
    _give(cast, patient, [a], 2, tag="new", comment="", reviewed_by=None, reviewed_at=None,
          released=False)  # fmt: skip
    _give(cast, patient, [b], 2, tag="kept", released=False)
    _give(cast, patient, [a], 1, tag="prel", released=False, status=ResultStatus.PRELIMINARY)
    _give(cast, patient, [b], 1, tag="gone", released=False, withdrawn_at=timezone.now())
    _give(cast, patient, [c], 3, tag="onlyc", released=False)  # a test with nothing online
    days_before = (timezone.localdate() - OPEN_FROM).days + 2
    _give(cast, patient, [b], 1, tag="old", days_back=days_before)
    replaced = online.pop()  # the oldest of test B, corrected by the lab and released again
    correction = _give(cast, patient, [b], 1, tag="corr", days_back=1000)[0]
    LabResult.objects.filter(pk=correction.pk).update(replaces=replaced)
    LabResult.objects.filter(pk=replaced.pk).update(replaced=True)  # as insert_results does
    online.append(correction)
    _give(cast, cast.other_patient_a, [a, b, c], 3, tag="other")  # someone else's

    links, shown, pages = _walk(verified_client(patient.user))

    assert links == {_test_url(a), _test_url(b)}
    assert shown == {str(row.public_id) for row in online}
    assert pages == 1 + 3 + 1
    assert verified_client(patient.user).get(_test_url(c)).status_code == 404


def test_the_access_log_names_exactly_what_each_page_shows(with_results: Cast) -> None:
    cast = with_results
    a, b = _tests(2)
    patient = _patient_with_login(cast)
    user = patient.user
    rows_a = _give(cast, patient, [a], RECENT + 5)  # newest first
    rows_b = _give(cast, patient, [b], 3)
    _give(cast, patient, [a], 1, tag="kept", released=False)
    client = verified_client(user)

    listing = client.get(LIST).content.decode()
    assert sorted(_last_read(user)) == sorted([str(rows_a[0].public_id), str(rows_b[0].public_id)])
    assert f"{RECENT + 5} uitslagen" in listing and "3 uitslagen" in listing

    first = client.get(_test_url(a)).content.decode()
    assert sorted(_last_read(user)) == sorted(str(r.public_id) for r in rows_a[:RECENT])
    assert first.count('data-label="Datum"') == RECENT and "?pagina=2" in first
    assert "Laatste uitslag" in first

    second = client.get(_test_url(a, page=2)).content.decode()
    assert sorted(_last_read(user)) == sorted(str(r.public_id) for r in rows_a[RECENT:])
    assert second.count('data-label="Datum"') == 5 and "?pagina=3" not in second
    assert "?pagina=1" in second and "Laatste uitslag" not in second

    entries = AuditEntry.objects.filter(actor=user, object_kind="labresult").count()
    assert client.get(_test_url(a, page=3)).status_code == 404  # past the end: nothing
    assert client.get(_test_url(a) + "?pagina=x").status_code == 200  # nonsense: the first
    assert AuditEntry.objects.filter(actor=user, object_kind="labresult").count() == entries + 1
