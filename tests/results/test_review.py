"""No result online without the GP's comment: the service, the database, and every path
by which the patient could see a result."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.results import selectors
from spreekuur.results.models import LabResult, LabTest
from spreekuur.results.samples import SampleResult
from spreekuur.results.services import review_result
from tests.conftest import Cast, verified_client
from tests.results.conftest import HBA1C_HIGH, LDL, oru, receive, released

pytestmark = pytest.mark.django_db


def _one(cast: Cast, *results: SampleResult, **extra: object) -> LabResult:
    receive(cast, oru(cast.patient_a, *(results or (HBA1C_HIGH,)), **extra))
    return LabResult.objects.order_by("-id").first()  # type: ignore[return-value]


def test_the_gp_releases_with_a_comment_and_the_patient_sees_it(opened: Cast) -> None:
    cast = opened
    cast.patient_a.user.email_confirmed_at = timezone.now()
    cast.patient_a.user.save()
    result = _one(cast)
    with pytest.raises(Http404):
        selectors.test_online(cast.patient_a, result.test.public_id)
    with transaction.atomic():
        review_result(
            result=result, comment="  Graag een afspraak maken.  ", release=True, by=cast.gp_a
        )
    result.refresh_from_db()
    assert result.released and result.comment == "Graag een afspraak maken."
    [summary] = selectors.results_online(cast.patient_a)
    assert summary.latest == result and summary.count == 1
    entry = AuditEntry.objects.filter(object_kind="labresult", action="change").get()
    assert entry.detail == "beoordeeld en vrijgegeven" and entry.actor == cast.gp_a


def test_the_notice_says_nothing_about_the_result(opened: Cast, settings) -> None:
    cast = opened
    settings.SMS_BACKEND = "spreekuur.core.sms.LocmemBackend"
    user = cast.patient_a.user
    user.email_confirmed_at = timezone.now()
    user.save()
    cast.patient_a.phone = "0612345678"
    cast.patient_a.save()
    from spreekuur.core import sms

    sms.outbox.clear()
    result = _one(cast)
    with cast_on_commit():
        review_result(result=result, comment="Hoog suiker", release=True, by=cast.gp_a)
    [message] = mail.outbox
    text = (message.subject + message.body + " ".join(s.text for s in sms.outbox)).lower()
    for word in ("hba1c", "suiker", "58", "uitslag", "lab", result.test.name.lower()):
        assert word not in text
    assert len(sms.outbox) == 1


def cast_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_handled_without_release_never_reaches_the_portal(opened: Cast) -> None:
    result = _one(opened)
    review_result(result=result, comment="Bespreek ik zelf.", release=False, by=opened.gp_a)
    assert selectors.results_online(opened.patient_a) == []
    assert mail.outbox == []


@pytest.mark.parametrize("role", ["assistant_a", "poh_a", "manager_a", "gp_b", "patient_user_a"])
def test_only_a_gp_of_the_practice_may_review(opened: Cast, role: str) -> None:
    result = _one(opened)
    with pytest.raises(PermissionDenied):
        review_result(result=result, comment="Goed", release=True, by=getattr(opened, role))
    result.refresh_from_db()
    assert not result.released and result.reviewed_at is None


@pytest.mark.parametrize("comment", ["", "   ", "x" * 1001])
def test_a_comment_is_required_and_bounded(opened: Cast, comment: str) -> None:
    result = _one(opened)
    with pytest.raises(BusinessRuleError):
        review_result(result=result, comment=comment, release=True, by=opened.gp_a)
    result.refresh_from_db()
    assert not result.released


def test_a_result_is_reviewed_once(opened: Cast) -> None:
    result = _one(opened)
    review_result(result=result, comment="Goed", release=False, by=opened.gp_a)
    with pytest.raises(BusinessRuleError, match="al beoordeeld"):
        review_result(result=result, comment="Toch online", release=True, by=opened.gp_a)


def test_a_replaced_result_cannot_be_reviewed(opened: Cast) -> None:
    old = _one(opened, HBA1C_HIGH, order="R1")
    _one(opened, SampleResult("2816", "50", "mmol/mol", status="C"), order="R1")
    with pytest.raises(BusinessRuleError, match="nieuwere versie"):
        review_result(result=old, comment="Goed", release=True, by=opened.gp_a)


@pytest.mark.parametrize(
    "values",
    [
        {"released": True},
        {"released": True, "comment": "   "},
        {"released": True, "comment": "Goed"},  # no reviewer
        {"reviewed_at": timezone.now()},  # reviewed by nobody
    ],
)
def test_the_database_refuses_a_release_without_comment_and_reviewer(
    opened: Cast, values: dict
) -> None:
    result = _one(opened)
    with pytest.raises(IntegrityError), transaction.atomic():
        LabResult.objects.filter(pk=result.pk).update(**values)


def test_the_database_accepts_a_proper_release(opened: Cast) -> None:
    result = _one(opened)
    LabResult.objects.filter(pk=result.pk).update(
        released=True, comment="Goed", reviewed_by=opened.gp_a, reviewed_at=timezone.now()
    )


# --- What the patient sees -------------------------------------------------------------------


def test_the_portal_shows_no_unreleased_replaced_early_or_other_results(opened: Cast) -> None:
    cast = opened
    _one(cast, LDL)  # not reviewed
    [shown] = released(cast, HBA1C_HIGH)
    old_release = released(cast, SampleResult("523", "80", "umol/l"), days_ago=5)[0]
    # A correction of a released result takes it off the portal until the GP looks again.
    correction_of = released(cast, SampleResult("227", "8", "mg/l"))[0]
    receive(
        cast,
        oru(
            cast.patient_a,
            SampleResult("227", "30", "mg/l", status="C"),
            order=correction_of.base_key.split("|")[2],
        ),
    )
    # Before the practice opened its records: not online.
    early = released(
        cast,
        SampleResult("513", "4.0", "mmol/l"),
        days_ago=(timezone.localdate() - date(2020, 1, 1)).days,
    )[0]
    # Another patient's released result.
    receive(cast, oru(cast.other_patient_a, HBA1C_HIGH))
    other = LabResult.objects.get(patient=cast.other_patient_a)
    review_result(result=other, comment="Goed", release=True, by=cast.gp_a)

    visible = {s.latest.pk for s in selectors.results_online(cast.patient_a)}
    assert shown.pk in visible and old_release.pk in visible
    assert correction_of.pk not in visible and early.pk not in visible and other.pk not in visible
    assert all(LabResult.objects.get(pk=pk).released for pk in visible)
    page = verified_client(cast.patient_user_a).get(reverse("dossier:my_results")).content.decode()
    assert "Normaal, geen actie nodig." in page
    assert LabTest.objects.get(nhg_code="542").patient_name not in page
    assert LabTest.objects.get(nhg_code="227").patient_name not in page


def test_nothing_is_online_before_the_practice_opens_its_records(cast: Cast) -> None:
    released(cast, HBA1C_HIGH)
    assert selectors.results_online(cast.patient_a) == []
    cast.practice_a.records_online_from = timezone.localdate() + timedelta(days=1)
    cast.practice_a.save()
    assert selectors.results_online(cast.patient_a) == []


def test_a_test_page_of_a_test_without_online_results_is_404(opened: Cast) -> None:
    _one(opened, LDL)
    client = verified_client(opened.patient_user_a)
    ldl = LabTest.objects.get(nhg_code="542")
    assert client.get(reverse("results:my_test_results", args=[ldl.public_id])).status_code == 404


def test_the_test_page_has_a_chart_and_a_table_with_the_comment(opened: Cast) -> None:
    for days in (200, 100, 10):
        released(
            opened, SampleResult("2816", str(40 + days // 20), "mmol/mol", "20-42"), days_ago=days
        )
    hba1c = LabTest.objects.get(nhg_code="2816")
    response = verified_client(opened.patient_user_a).get(
        reverse("results:my_test_results", args=[hba1c.public_id])
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<svg" in page and 'role="img"' in page
    assert re.findall(r'c[xy]="[0-9.]+"', page) and not re.findall(r'c[xy]="[0-9]+,', page)
    assert (
        page.count("<circle")
        + page.count('class="spreekuur-chart__point spreekuur-chart__point--out"')
        == 3
    )
    assert page.count("Normaal, geen actie nodig.") >= 3 and "hoger dan normaal" in page
    entry = AuditEntry.objects.filter(object_kind="labresult", action="read").latest("id")
    assert entry.patient == opened.patient_a and len(entry.object_ids) == 3


def _page_queries(client, urls: list[str]) -> list[int]:
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        sql = [q["sql"] for q in queries.captured_queries]
        counts.append(len([q for q in sql if not q.startswith(("SAVEPOINT", "RELEASE"))]))
    return counts


def test_the_results_pages_use_the_same_few_queries_whatever_the_number(opened: Cast) -> None:
    released(opened, LDL)
    released(opened, SampleResult("2816", "44", "mmol/mol"), days_ago=3)
    client = verified_client(opened.patient_user_a)
    hba1c = LabTest.objects.get(nhg_code="2816")
    urls = [
        reverse("dossier:my_results"),
        reverse("results:my_test_results", args=[hba1c.public_id]),
    ]
    client.get(urls[0])  # the first visit also creates the audit chain
    few = _page_queries(client, urls)
    for day in range(60):
        released(opened, SampleResult("2816", str(40 + day % 10), "mmol/mol"), days_ago=day + 5)
    many = _page_queries(client, urls)
    assert few == many and max(many) <= 10, (few, many)


def test_the_record_pdf_holds_released_results_only(opened: Cast) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    released(opened, SampleResult("2816", "61", "mmol/mol", "20-42", "H"))
    receive(opened, oru(opened.patient_a, SampleResult("227", "987", "mg/l")))  # not reviewed
    response = verified_client(opened.patient_user_a).get(reverse("dossier:my_record_pdf"))
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Uitslagen" in text and "61 mmol/mol" in text and "Normaal, geen actie nodig." in text
    assert "987" not in text and "Ontstekingswaarde" not in text
    export = AuditEntry.objects.filter(action="export").latest("id")
    assert str(LabResult.objects.get(test__nhg_code="2816").public_id) in export.object_ids


def test_a_long_history_shows_the_newest_two_years_first(opened: Cast) -> None:
    from spreekuur.results.models import LabResult

    released(opened, SampleResult("2816", "44", "mmol/mol"), days_ago=1)
    first = LabResult.objects.get()
    # 29 older values of the same test, released too (written directly: the same rows).
    LabResult.objects.bulk_create(
        LabResult(
            practice=first.practice,
            patient=first.patient,
            message=first.message,
            test=first.test,
            base_key=f"old{n}",
            source_key=f"old{n}",
            observed_at=first.observed_at - timedelta(days=30 * (n + 1)),
            value=40 + n % 5,
            value_text=str(40 + n % 5),
            unit="mmol/mol",
            comment="Normaal, geen actie nodig.",
            reviewed_by=opened.gp_a,
            reviewed_at=timezone.now(),
            released=True,
        )
        for n in range(29)
    )
    client = verified_client(opened.patient_user_a)
    url = reverse("results:my_test_results", args=[first.test.public_id])
    page = client.get(url).content.decode()
    assert page.count('data-label="Datum"') == 24 and "?pagina=2" in page
    older = client.get(url + "?pagina=2").content.decode()
    assert older.count('data-label="Datum"') == 6 and "?pagina=3" not in older
    assert "?pagina=1" in older  # back to the newest
