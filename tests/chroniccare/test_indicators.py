"""The quality indicators, against figures counted by hand from a small practice: who is
a participant on the peildatum (not someone who died or left before it, nor who declined),
who counts in the shares (only those in the programme for the whole period: not someone
enrolled mid-year), what counts as measured (practice and lab, not a home reading, not a
value outside the period), and the share on target of the latest value (with the age
limit of the HbA1c target)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from spreekuur.chroniccare import services
from spreekuur.chroniccare.indicators import programme_figures
from spreekuur.chroniccare.models import ControlKind, Enrolment
from spreekuur.chroniccare.programmes import programme
from spreekuur.dossier.models import Measurement, MeasurementSource
from spreekuur.patients.models import Patient
from spreekuur.results.models import LabTest
from spreekuur.results.samples import SampleResult
from tests.conftest import Cast
from tests.factories import PatientFactory
from tests.results.conftest import oru, receive

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2025, 1, 1), date(2025, 12, 31)


def _patient(cast: Cast, born: date, practice=None) -> Patient:
    return PatientFactory(practice=practice or cast.practice_a, date_of_birth=born)


def _enrol(cast: Cast, patient: Patient, started: date) -> Enrolment:
    by = cast.poh_a if patient.practice_id == cast.practice_a.pk else cast.gp_b
    return services.enrol_patient(patient=patient, programme="diabetes", started_on=started, by=by)


def _control(cast: Cast, enrolment: Enrolment, on: date, bp=None, kind=ControlKind.CONTROL):
    values = {"1744": Decimal(bp[0]), "1740": Decimal(bp[1])} if bp else {}
    by = cast.poh_a if enrolment.practice_id == cast.practice_a.pk else cast.gp_b
    services.record_control(enrolment=enrolment, kind=kind, held_on=on, measurements=values, by=by)


def _hba1c(cast: Cast, patient: Patient, on: date, value: str) -> None:
    days_ago = (timezone.localdate() - on).days
    result = SampleResult("2816", value, "mmol/mol", "20-42", "H")
    receive(cast, oru(patient, result, days_ago=days_ago))


@pytest.fixture
def practice(cast: Cast) -> dict[str, Enrolment]:
    """Eight patients of practice A (and one of B), each an edge of the rules."""
    made = {}
    # On target everywhere, a check-up in the period.
    p1 = _patient(cast, date(1960, 4, 1))
    made["p1"] = e1 = _enrol(cast, p1, date(2024, 6, 1))
    _control(cast, e1, date(2025, 3, 10), bp=(135, 85))
    _control(cast, e1, date(2025, 9, 10), kind=ControlKind.CHECKUP)
    _hba1c(cast, p1, date(2025, 5, 15), "50")
    # 75 years old: out of the HbA1c target's denominator; blood pressure high, then on
    # target (the latest counts); a value from 2024 is outside the period.
    p2 = _patient(cast, date(1950, 2, 1))
    made["p2"] = e2 = _enrol(cast, p2, date(2024, 1, 1))
    _control(cast, e2, date(2024, 11, 1), bp=(170, 95))
    _control(cast, e2, date(2025, 2, 1), bp=(150, 90))
    _control(cast, e2, date(2025, 11, 1), bp=(138, 80))
    _hba1c(cast, p2, date(2025, 6, 1), "60")
    # Enrolled mid-year: a participant, but not in the shares.
    p3 = _patient(cast, date(1970, 1, 1))
    made["p3"] = e3 = _enrol(cast, p3, date(2025, 7, 1))
    _control(cast, e3, date(2025, 8, 1), bp=(120, 70))
    # Died in October: not a participant on the peildatum.
    p4 = _patient(cast, date(1940, 1, 1))
    made["p4"] = e4 = _enrol(cast, p4, date(2023, 1, 1))
    _control(cast, e4, date(2025, 3, 1), bp=(130, 80))
    services.end_enrolment(
        enrolment=e4, ended_on=date(2025, 10, 1), reason="overleden", by=cast.poh_a
    )
    # Moved to another practice in May: not a participant either.
    p5 = _patient(cast, date(1965, 1, 1))
    made["p5"] = e5 = _enrol(cast, p5, date(2023, 1, 1))
    services.end_enrolment(
        enrolment=e5, ended_on=date(2025, 5, 1), reason="uitgeschreven", by=cast.poh_a
    )
    # Stopped after the peildatum: still counts; only a home reading in the period.
    p6 = _patient(cast, date(1955, 1, 1))
    made["p6"] = e6 = _enrol(cast, p6, date(2023, 1, 1))
    Measurement.objects.create(
        practice=cast.practice_a,
        patient=p6,
        test=LabTest.objects.get(nhg_code="1744"),
        value=Decimal(128),
        measured_on=date(2025, 6, 1),
        source=MeasurementSource.PATIENT,
        created_by=p6.user or cast.poh_a,
    )
    services.end_enrolment(
        enrolment=e6, ended_on=date(2026, 2, 1), reason="wens_patient", by=cast.poh_a
    )
    # Declined: never counted.
    p7 = _patient(cast, date(1958, 1, 1))
    services.decline_enrolment(
        patient=p7, programme="diabetes", reason="wens_patient", by=cast.poh_a
    )
    # Practice B's participant stays in B's figures.
    p8 = _patient(cast, date(1962, 1, 1), practice=cast.practice_b)
    made["p8"] = e8 = _enrol(cast, p8, date(2024, 1, 1))
    _control(cast, e8, date(2025, 4, 1), bp=(160, 100))
    return made


def _shares(figures) -> dict[str, tuple[int, int]]:
    return {s.indicator.key: (s.numerator, s.denominator) for s in figures.shares}


def test_the_indicators_equal_the_hand_count(cast: Cast, practice: dict) -> None:
    a, b = cast.practice_a.pk, cast.practice_b.pk
    figures = programme_figures([a, b], programme("diabetes"), FIRST, LAST)
    mine = figures[a]
    assert (mine.participants, mine.whole_period) == (4, 3)  # p1 p2 p3 p6; p3 mid-year
    assert _shares(mine) == {
        "controle": (2, 3),  # p1, p2; p6 had none
        "jaarcontrole": (1, 3),  # p1
        "hba1c": (2, 3),  # p1, p2
        "hba1c_streef": (1, 1),  # p1 (50); p2 is over 70
        "bloeddruk": (2, 3),  # p6's home reading does not count
        "bloeddruk_streef": (2, 2),  # p1 135; p2's latest 138
        "ldl": (0, 3),
        "ldl_streef": (0, 0),
        "egfr": (0, 3),
        "albumine": (0, 3),
        "bmi": (0, 3),
    }
    theirs = figures[b]
    assert (theirs.participants, theirs.whole_period) == (1, 1)
    assert _shares(theirs)["bloeddruk_streef"] == (0, 1)


def test_a_practice_without_participants_has_a_row_of_zeros(cast: Cast) -> None:
    figures = programme_figures([cast.practice_a.pk], programme("copd"), FIRST, LAST)
    row = figures[cast.practice_a.pk]
    assert row.participants == 0 and all(s.denominator == 0 for s in row.shares)
    assert all(s.percent is None for s in row.shares)


def test_the_period_decides_who_counted_as_a_whole_period_participant(
    cast: Cast, practice: dict
) -> None:
    # 2024: p4, p5, p6 (since 2023) and p2 (since 1 January) for the whole year; p1
    # from June; p3 not yet.
    figures = programme_figures(
        [cast.practice_a.pk], programme("diabetes"), date(2024, 1, 1), date(2024, 12, 31)
    )[cast.practice_a.pk]
    assert (figures.participants, figures.whole_period) == (5, 4)
    assert _shares(figures)["bloeddruk"] == (1, 4)  # p2's 170 in November 2024
    assert _shares(figures)["bloeddruk_streef"] == (0, 1)
