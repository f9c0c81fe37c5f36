"""The GP reviews a lab order (a panel) as a whole: one comment and one decision for all its
results, the queue by patient and order, 'next' staying with the patient, and Dutch values
and dates on every results page."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from itertools import count

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditEntry
from spreekuur.patients.models import Patient
from spreekuur.results import selectors
from spreekuur.results.models import LabMessage, LabResult
from spreekuur.results.samples import AMSTERDAM, SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import review_result, review_results
from spreekuur.results.templatetags.lab_values import lab_value
from tests.conftest import Cast, verified_client
from tests.results.conftest import receive, taken

pytestmark = pytest.mark.django_db

_orders = count(1)

POTASSIUM_HH = SampleResult("513", "7.1", "mmol/l", "3.5-5.0", "HH")
TSH = SampleResult("1385", "2.10", "mU/l", "0.4-4.0")
CREATININE_H = SampleResult("523", "132", "umol/l", "50-110", "H")
HBA1C_H = SampleResult("2816", "58", "mmol/mol", "20-42", "H")
LDL = SampleResult("542", "2.60", "mmol/l", "<3.0")


def order(
    cast: Cast,
    patient: Patient,
    *results: SampleResult,
    days_ago: int = 2,
    at: datetime | None = None,
) -> LabMessage:
    """One lab order of the patient, as one HL7 message; its results wait for the GP."""
    number = next(_orders)
    raw = hl7_oru(
        sample_patient(patient),
        results,
        control_id=f"PNL{number:06d}",
        order=f"AANVR{number:06d}",
        taken=at or taken(days_ago),
    )
    [message] = receive(cast, raw).messages
    return message


def panel_url(message: LabMessage) -> str:
    return reverse("results:panel_review", args=[message.public_id])


def ids(message: LabMessage) -> list[str]:
    return [str(r.public_id) for r in LabResult.objects.filter(message=message).order_by("id")]


# --- Dutch formats -----------------------------------------------------------------------------


def test_lab_values_keep_the_labs_digits_with_a_decimal_comma_in_dutch() -> None:
    result = LabResult(
        value_text="5.40",
        unit="mmol/l",
        flag="",
        reference_low=Decimal("3.5000"),
        reference_high=Decimal("5.0000"),
    )
    less = LabResult(value_text="<0.5", unit="mg/l", flag="")
    word = LabResult(value_text="negatief. zie opm.", flag="")
    with translation.override("nl"):
        assert result.value_display == "5,40" and less.value_display == "<0,5"
        assert word.value_display == "negatief. zie opm."
        assert result.reference_text == "3,5 - 5"
        html = lab_value(result)
        assert "<strong>5,40</strong> mmol/l" in html
    with translation.override("en"):  # English stays English
        assert result.value_display == "5.40" and result.reference_text == "3.5 - 5"


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("", "<strong>7,1</strong> mmol/l"),
        ("L", '<strong>7,1</strong> mmol/l <span class="spreekuur-flag spreekuur-flag--low">'
         '<span aria-hidden="true">▼</span> lager dan normaal</span>'),
        ("HH", '<strong>7,1</strong> mmol/l <span class="spreekuur-flag spreekuur-flag--high">'
         '<span aria-hidden="true">▲</span> '),
        ("A", '<strong>7,1</strong> mmol/l <span class="spreekuur-flag spreekuur-flag--high">'
         '<span aria-hidden="true">!</span> '),
    ],
)  # fmt: skip
def test_a_value_shows_its_unit_and_its_flag_with_direction(flag: str, expected: str) -> None:
    with translation.override("nl"):
        html = lab_value(LabResult(value_text="7.1", unit="mmol/l", flag=flag))
    assert html.startswith(expected)


def test_a_value_from_the_lab_is_escaped() -> None:
    html = lab_value(LabResult(value_text="<script>x</script>", unit="<b>", flag=""))
    assert "<script>" not in html and "&lt;b&gt;" in html


def test_results_pages_show_dutch_values_and_lower_case_month_abbreviations(cast: Cast) -> None:
    message = order(
        cast,
        cast.patient_a,
        SampleResult("513", "5.40", "mmol/l", "3.5-5.0", "H"),
        SampleResult("227", "<0.5", "mg/l", "<10"),
        at=datetime(2026, 3, 4, 9, 30, tzinfo=AMSTERDAM),
    )
    client = verified_client(cast.gp_a)
    pages = {
        "list": client.get(reverse("results:review_list")).content.decode(),
        "panel": client.get(panel_url(message)).content.decode(),
        "patient": client.get(
            reverse("results:patient_results", args=[cast.patient_a.public_id])
        ).content.decode(),
    }
    for name, page in pages.items():
        assert "5,40" in page and "&lt;0,5" in page, name
        assert "5.40" not in page and "&lt;0.5" not in page, name
        assert "4 mrt 2026" in page and not re.search(r"\bMar\b", page), name
    assert "3,5 - 5" in pages["panel"]
    detail = client.get(reverse("results:result_detail", args=[ids(message)[0]])).content.decode()
    assert "5,40" in detail and "4 maart 2026 09:30" in detail


# --- The queue by patient and order ------------------------------------------------------------


@pytest.fixture
def queue(cast: Cast) -> dict[str, LabMessage]:
    """Patient A: an urgent order and a normal one; the other patient: one out of range,
    older than A's normal one."""
    return {
        "a_urgent": order(cast, cast.patient_a, POTASSIUM_HH, TSH, days_ago=1),
        "b_high": order(cast, cast.other_patient_a, CREATININE_H, days_ago=4),
        "a_normal": order(cast, cast.patient_a, LDL, days_ago=2),
    }


def test_the_queue_keeps_each_patients_orders_together_most_urgent_patient_first(
    cast: Cast, queue: dict[str, LabMessage]
) -> None:
    panels = selectors.review_queue(by=cast.gp_a)
    assert [p.message for p in panels] == [queue["a_urgent"], queue["a_normal"], queue["b_high"]]
    assert [len(p.results) for p in panels] == [2, 1, 1]
    page = verified_client(cast.gp_a).get(reverse("results:review_list")).content.decode()
    links = [page.index(panel_url(queue[key])) for key in ("a_urgent", "a_normal", "b_high")]
    assert links == sorted(links)
    assert "4 uitslagen wachten, 3 aanvragen" in page
    entry = AuditEntry.objects.filter(object_kind="labresult", action="read").latest("id")
    assert len(entry.object_ids) == 6 and entry.patient is None  # 4 results, 2 patients


def test_next_stays_with_the_patient_until_their_results_are_done(
    cast: Cast, queue: dict[str, LabMessage]
) -> None:
    client = verified_client(cast.gp_a)
    done = {"phrase": "Normaal, geen actie nodig.", "vrijgeven": "ja"}
    response = client.post(
        panel_url(queue["a_urgent"]), {**done, "results": ids(queue["a_urgent"])}
    )
    # The other patient's order is more urgent than A's normal one, yet A comes first.
    assert response["Location"] == panel_url(queue["a_normal"])
    response = client.post(
        panel_url(queue["a_normal"]), {**done, "results": ids(queue["a_normal"])}
    )
    assert response["Location"] == panel_url(queue["b_high"])
    response = client.post(panel_url(queue["b_high"]), {**done, "results": ids(queue["b_high"])})
    assert response["Location"] == reverse("results:review_list")


def test_a_single_result_still_goes_on_to_the_same_patients_next_order(
    cast: Cast, queue: dict[str, LabMessage]
) -> None:
    tsh = LabResult.objects.get(message=queue["a_urgent"], test__nhg_code="1385")
    response = verified_client(cast.gp_a).post(
        reverse("results:result_detail", args=[tsh.public_id]),
        {"comment": "Goed.", "vrijgeven": "ja"},
    )
    # Potassium of the same order still waits: back to that order.
    assert response["Location"] == panel_url(queue["a_urgent"])


def test_the_locum_keeps_the_whole_practice_list_through_the_review(cast: Cast) -> None:
    from tests.conftest import _staff

    other_gp = _staff(cast.practice_a, "huisarts", "Dokter Twee")
    cast.patient_a.gp = other_gp
    cast.patient_a.save()
    first = order(cast, cast.patient_a, LDL, days_ago=3)
    second = order(cast, cast.patient_a, TSH, days_ago=2)
    assert selectors.review_queue(by=cast.gp_a) == []
    response = verified_client(cast.gp_a).post(
        panel_url(first),
        {"comment": "Goed.", "vrijgeven": "ja", "results": ids(first), "iedereen": "1"},
    )
    assert response["Location"] == panel_url(second) + "?iedereen=1"


# --- One comment for the whole order -----------------------------------------------------------


def test_the_panel_shows_every_result_of_the_order_with_the_abnormal_ones_marked(
    cast: Cast,
) -> None:
    message = order(cast, cast.patient_a, POTASSIUM_HH, TSH, CREATININE_H)
    page = verified_client(cast.gp_a).get(panel_url(message)).content.decode()
    assert "3 bepalingen" in page and "2 van de 3 buiten de referentiewaarden." in page
    assert page.count("veel hoger dan normaal") == 1 and page.count("hoger dan normaal") == 2
    assert page.count('type="checkbox" name="results"') == 3 and page.count(" checked") == 3
    entry = AuditEntry.objects.filter(object_kind="labresult", action="read").latest("id")
    assert entry.patient == cast.patient_a and sorted(entry.object_ids) == sorted(ids(message))


def test_one_comment_releases_the_whole_order_and_the_patient_sees_it(opened: Cast) -> None:
    cast = opened
    cast.patient_a.user.email_confirmed_at = timezone.now()  # type: ignore[union-attr]
    cast.patient_a.user.save()  # type: ignore[union-attr]
    message = order(cast, cast.patient_a, POTASSIUM_HH, TSH, CREATININE_H)
    comment = "Kalium en nierfunctie te hoog: bel vandaag de praktijk."
    client = verified_client(cast.gp_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            panel_url(message), {"comment": comment, "vrijgeven": "ja", "results": ids(message)}
        )
    rows = LabResult.objects.filter(message=message)
    assert {(r.comment, r.released, r.reviewed_by_id) for r in rows} == {
        (comment, True, cast.gp_a.pk)
    }
    assert len({r.reviewed_at for r in rows}) == 1
    [change] = AuditEntry.objects.filter(object_kind="labresult", action="change")
    assert sorted(change.object_ids) == sorted(ids(message))
    assert change.detail == "beoordeeld en vrijgegeven" and change.patient == cast.patient_a
    assert len(mail.outbox) == 1  # one notice for the order, not one per result
    page = verified_client(cast.patient_user_a).get(reverse("dossier:my_results")).content.decode()
    assert page.count(comment) == 3 and "7,1" in page


def test_a_result_left_out_waits_and_nothing_is_online_without_the_comment(opened: Cast) -> None:
    cast = opened
    message = order(cast, cast.patient_a, POTASSIUM_HH, TSH, CREATININE_H)
    potassium, tsh, creatinine = LabResult.objects.filter(message=message).order_by("id")
    response = verified_client(cast.gp_a).post(
        panel_url(message),
        {
            "phrase": "Wordt besproken bij uw volgende controle.",
            "vrijgeven": "ja",
            "results": [str(tsh.public_id), str(creatinine.public_id)],
        },
    )
    assert response["Location"] == panel_url(message)  # potassium still waits
    potassium.refresh_from_db()
    assert potassium.reviewed_at is None and not potassium.released
    online = {s.latest.pk for s in selectors.results_online(cast.patient_a)}
    assert online == {tsh.pk, creatinine.pk}
    page = verified_client(cast.gp_a).get(panel_url(message)).content.decode()
    assert page.count('type="checkbox" name="results"') == 1
    assert "Wordt besproken bij uw volgende controle." in page


def test_reviewed_not_online_keeps_the_whole_order_off_the_portal(opened: Cast) -> None:
    message = order(opened, opened.patient_a, POTASSIUM_HH, TSH)
    verified_client(opened.gp_a).post(
        panel_url(message),
        {"comment": "Bespreek ik in de spreekkamer.", "vrijgeven": "nee", "results": ids(message)},
    )
    assert all(r.reviewed_at for r in LabResult.objects.filter(message=message))
    assert selectors.results_online(opened.patient_a) == []


def test_choosing_no_result_or_no_comment_changes_nothing(cast: Cast) -> None:
    message = order(cast, cast.patient_a, POTASSIUM_HH, TSH)
    client = verified_client(cast.gp_a)
    none_chosen = client.post(panel_url(message), {"comment": "Goed.", "vrijgeven": "ja"})
    assert "Kies minstens één uitslag." in none_chosen.content.decode()
    no_comment = client.post(panel_url(message), {"vrijgeven": "ja", "results": ids(message)})
    assert "Kies een standaardzin of schrijf een commentaar." in no_comment.content.decode()
    assert not LabResult.objects.filter(reviewed_at__isnull=False).exists()


def test_the_panel_is_all_or_nothing(cast: Cast) -> None:
    message = order(cast, cast.patient_a, POTASSIUM_HH, TSH)
    potassium, tsh = LabResult.objects.filter(message=message).order_by("id")
    review_result(result=tsh, comment="Goed.", release=True, by=cast.gp_a)  # a colleague
    with pytest.raises(BusinessRuleError, match="al beoordeeld"):
        review_results(results=[potassium, tsh], comment="Alles goed.", release=True, by=cast.gp_a)
    potassium.refresh_from_db()
    assert potassium.reviewed_at is None
    other = order(cast, cast.other_patient_a, LDL)
    with pytest.raises(BusinessRuleError, match="één patiënt"):
        review_results(
            results=[potassium, LabResult.objects.get(message=other)],
            comment="Goed.",
            release=True,
            by=cast.gp_a,
        )


def test_only_a_gp_reviews_a_panel_and_another_practices_panel_is_404(cast: Cast) -> None:
    message = order(cast, cast.patient_a, POTASSIUM_HH)
    for who in (cast.assistant_a, cast.poh_a):
        client = verified_client(who)
        page = client.get(panel_url(message)).content.decode()
        assert "7,1" in page and 'name="results"' not in page
        response = client.post(
            panel_url(message), {"comment": "Goed.", "vrijgeven": "ja", "results": ids(message)}
        )
        assert response.status_code == 403
    assert verified_client(cast.gp_b).get(panel_url(message)).status_code == 404
    assert verified_client(cast.manager_a).get(panel_url(message)).status_code == 403
    assert not LabResult.objects.filter(reviewed_at__isnull=False).exists()


# --- No N+1 ------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_queue_and_the_panel_cost_the_same_queries_however_many_results(cast: Cast) -> None:
    small = order(cast, cast.patient_a, POTASSIUM_HH, TSH)
    client = verified_client(cast.gp_a)
    # The first visits also create the audit chains (the list's, and the patient's read lane).
    client.get(reverse("results:review_list"))
    client.get(panel_url(small))
    few = (_queries(client, reverse("results:review_list")), _queries(client, panel_url(small)))
    tests = (POTASSIUM_HH, TSH, CREATININE_H, HBA1C_H, LDL)
    big = order(cast, cast.patient_a, *tests)
    for patient in (cast.patient_a, cast.other_patient_a):
        for days in (3, 4, 5):
            order(cast, patient, *tests, days_ago=days)
    many = (_queries(client, reverse("results:review_list")), _queries(client, panel_url(big)))
    assert few == many, (few, many)
