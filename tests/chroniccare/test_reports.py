"""The indicators on their pages and as they leave the practice: the practice's own page
(GPs, POH, manager), the export for the care group (CSV and FHIR MeasureReports: counts
only, small counts suppressed) and the care group's regional view (its analysts only)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.chroniccare import services
from spreekuur.chroniccare.models import ControlKind
from spreekuur.dashboard.models import Region, RegionAnalyst, RegionPractice
from tests.conftest import Cast, verified_client
from tests.factories import PatientFactory, UserFactory
from tests.fhir.conftest import assert_valid

pytestmark = pytest.mark.django_db


def _participants(cast: Cast, count: int, practice=None, *, on_target: int = 0) -> list:
    """`count` diabetes participants since two years, each with a control this year with
    blood pressure; the first `on_target` under 140."""
    practice = practice or cast.practice_a
    by = cast.poh_a if practice == cast.practice_a else cast.gp_b
    today = timezone.localdate()
    made = []
    for n in range(count):
        patient = PatientFactory(practice=practice, family_name=f"Deelnemer{n}")
        enrolment = services.enrol_patient(
            patient=patient,
            programme="diabetes",
            started_on=today - timedelta(days=730),
            by=by,
        )
        services.record_control(
            enrolment=enrolment,
            kind=ControlKind.CONTROL,
            held_on=today - timedelta(days=30),
            measurements={"1744": Decimal(130 if n < on_target else 150), "1740": Decimal(80)},
            by=by,
        )
        made.append(patient)
    return made


def _analyst(cast: Cast):
    region = Region.objects.create(name="Zorggroep Noord", slug="noord")
    RegionPractice.objects.create(region=region, practice=cast.practice_a)
    RegionPractice.objects.create(region=region, practice=cast.practice_b)
    user = UserFactory(full_name="Analist")
    RegionAnalyst.objects.create(region=region, user=user)
    return user


@pytest.mark.parametrize("role", ["gp_a", "poh_a", "manager_a"])
def test_the_practice_sees_its_indicators(cast: Cast, role: str) -> None:
    _participants(cast, 3, on_target=2)
    page = verified_client(getattr(cast, role)).get(reverse("chroniccare:indicators"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "3 deelnemers op de peildatum" in html
    assert "66,7%" in html or "66.7%" in html  # two of three under 140


@pytest.mark.parametrize("role", ["assistant_a"])
def test_the_assistant_and_patients_see_no_indicators(cast: Cast, role: str) -> None:
    for user in (getattr(cast, role), cast.patient_a.user):
        client = verified_client(user)
        for name in ("indicators", "indicators_csv", "indicators_fhir"):
            assert client.get(reverse(f"chroniccare:{name}")).status_code == 403


def test_the_csv_export_names_no_patient_and_hides_small_counts(cast: Cast) -> None:
    patients = _participants(cast, 12, on_target=4)
    answer = verified_client(cast.gp_a).get(reverse("chroniccare:indicators_csv"))
    text = answer.content.decode("utf-8-sig")
    assert answer["Content-Disposition"].startswith("attachment;")
    lines = [line.split(";") for line in text.strip().splitlines()]
    assert lines[0][:6] == ["Praktijk", "AGB-code", "Van", "Tot en met", "Programma", "Indicator"]
    rows = {(line[4], line[5]): line[6:] for line in lines[1:]}
    diabetes = "Diabetes mellitus type 2"
    assert rows[(diabetes, "Deelnemers op de peildatum")][0] == "12"
    assert rows[(diabetes, "Bloeddruk gemeten")] == ["12", "12", "100,0"]
    assert rows[(diabetes, "Bovendruk onder 140")] == ["<10", "12", ""]  # four: hidden
    for patient in patients:
        assert patient.family_name not in text and patient.bsn not in text


def test_the_fhir_export_is_valid_measure_reports_with_small_counts_masked(cast: Cast) -> None:
    _participants(cast, 12, on_target=4)
    answer = verified_client(cast.poh_a).get(reverse("chroniccare:indicators_fhir"))
    assert answer["Content-Type"].startswith("application/fhir+json")
    bundle = json.loads(answer.content)
    assert_valid(bundle)
    assert bundle["type"] == "collection"
    reports = {e["resource"]["measure"].rsplit("/", 1)[1]: e["resource"] for e in bundle["entry"]}
    measured = reports["ketenzorg-diabetes-bloeddruk"]
    counts = {
        p["code"]["coding"][0]["code"]: p.get("count") for p in measured["group"][0]["population"]
    }
    assert counts == {"initial-population": 12, "denominator": 12, "numerator": 12}
    assert measured["group"][0]["measureScore"]["value"] == 100.0
    assert measured["reporter"]["identifier"]["value"] == cast.practice_a.agb_code
    on_target = reports["ketenzorg-diabetes-bloeddruk_streef"]["group"][0]
    numerator = next(
        p for p in on_target["population"] if p["code"]["coding"][0]["code"] == "numerator"
    )
    assert "count" not in numerator and numerator["_count"]["extension"][0]["valueCode"] == "masked"
    assert "measureScore" not in on_target
    assert "subject" not in json.dumps(bundle)  # no patient anywhere


def test_the_region_sees_each_practice_anonymised(cast: Cast) -> None:
    _participants(cast, 12, on_target=11)
    _participants(cast, 3, practice=cast.practice_b)
    client = verified_client(_analyst(cast))
    page = client.get(reverse("chroniccare:region"), {"programma": "diabetes"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Praktijk A" in html and "Praktijk B" in html
    assert "91,7% (12)" in html or "91.7% (12)" in html  # A: 11 of 12 under 140
    assert "&lt;10" in html  # B's three participants
    csv_text = client.get(reverse("chroniccare:region_csv"), {"programma": "diabetes"}).content
    lines = csv_text.decode("utf-8-sig").strip().splitlines()
    b_row = next(line for line in lines if line.startswith("Praktijk B"))
    assert b_row.split(";")[1] == "<10"
    total = lines[-1].split(";")
    assert total[0] == "Zorggroep Noord (regio)" and total[1] == "15"


def test_only_the_care_groups_analysts_see_the_region(cast: Cast) -> None:
    for user in (cast.gp_a, cast.manager_a, cast.patient_a.user):
        assert verified_client(user).get(reverse("chroniccare:region")).status_code == 403
    analyst = verified_client(_analyst(cast))
    for name in ("overview", "due_list", "indicators"):
        assert analyst.get(reverse(f"chroniccare:{name}")).status_code == 403


def test_a_bad_period_falls_back_to_the_last_twelve_months(cast: Cast) -> None:
    client = verified_client(cast.gp_a)
    page = client.get(reverse("chroniccare:indicators"), {"van": "2026-13-01", "tot": "x"})
    assert page.status_code == 200
    today = timezone.localdate()
    assert date.isoformat(today) in page.content.decode()  # the export links name the period
