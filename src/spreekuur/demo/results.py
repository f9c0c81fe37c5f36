"""Lab results for the demo practice, taken through the real HL7 door: controls every six
months for the patients with diabetes or high blood pressure, the older ones commented on
and released, the last few days' still waiting for the GP, and a few messages on the
assistant's work list (an unknown patient, an unknown test, an unreadable message)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.dossier.models import Episode
from spreekuur.patients.models import Patient
from spreekuur.results.models import Flag, LabResult
from spreekuur.results.samples import SamplePatient, SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import receive_lab_message
from spreekuur.results.table import TestTable

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WAITING_DAYS = 4


@dataclass(frozen=True)
class Measure:
    nhg_code: str
    unit: str
    mean: float
    spread: float
    decimals: int


KIDNEY = [Measure("523", "umol/l", 85, 15, 0), Measure("3907", "ml/min/1,73m2", 72, 14, 0)]
LIPIDS = [
    Measure("192", "mmol/l", 5.0, 0.7, 1),
    Measure("446", "mmol/l", 1.3, 0.25, 2),
    Measure("542", "mmol/l", 2.8, 0.6, 1),
    Measure("513", "mmol/l", 4.3, 0.35, 1),
]
DIABETES = [Measure("2816", "mmol/mol", 54, 7, 0), Measure("372", "mmol/l", 7.6, 1.2, 1)]
URINE = [Measure("40", "mg/mmol", 2.0, 1.5, 1)]
PANELS = {"T90": [*DIABETES, *KIDNEY, *URINE, *LIPIDS], "K86": [*KIDNEY, *LIPIDS]}


def _panel(rng: random.Random, measures: list[Measure], drift: float) -> list[SampleResult]:
    results = []
    for measure in measures:
        value = max(0.1, rng.gauss(measure.mean * drift, measure.spread))
        results.append(
            SampleResult(measure.nhg_code, f"{value:.{measure.decimals}f}", measure.unit)
        )
    return results


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(8, rng.choice((0, 15, 30, 45))), tzinfo=AMSTERDAM)


def build_demo_results(practice: Practice, *, today: date, seed: int = 13) -> int:
    """Returns the number of results stored."""
    rng = random.Random(seed)
    table = TestTable.load()
    episodes = (
        Episode.objects.filter(practice=practice, ended_on__isnull=True, icpc_code__in=PANELS)
        .select_related("patient")
        .order_by("patient_id", "icpc_code")
    )
    panel_of: dict[int, tuple[Patient, str]] = {}
    for episode in episodes:
        # Diabetes takes the larger panel when a patient has both.
        if episode.patient_id not in panel_of or episode.icpc_code == "T90":
            panel_of[episode.patient_id] = (episode.patient, episode.icpc_code)
    stored = 0
    number = 0
    for patient, code in panel_of.values():
        drift = rng.uniform(0.9, 1.15)
        start = rng.randint(0, 150)
        for months_ago in range(36, -1, -6):
            day = today - timedelta(days=months_ago * 30 + start % 30)
            if day > today:
                continue
            number += 1
            raw = hl7_oru(
                sample_patient(patient),
                _panel(rng, PANELS[code], drift),
                control_id=f"DEMO{number:07d}",
                order=f"DL{number:07d}",
                taken=_moment(day, rng),
                lab="Streeklab Lindewijk",
            )
            stored += receive_lab_message(
                practice=practice, door="hl7v2", raw=raw, source="demo", table=table
            ).stored
    _release_older(practice, today=today)
    _work_list_examples(practice, today=today, table=table)
    return stored


def _release_older(practice: Practice, *, today: date) -> None:
    """Results older than a few days: commented on and released, as a GP would have."""
    gp = User.objects.filter(membership__practice=practice, membership__role="huisarts").first()
    if gp is None:
        return
    cutoff = timezone.make_aware(datetime.combine(today - timedelta(days=WAITING_DAYS), time()))
    older = LabResult.objects.filter(practice=practice, observed_at__lt=cutoff)
    reviewed_at = timezone.now()
    older.filter(flag=Flag.NORMAL).update(
        comment="Normaal, geen actie nodig.", reviewed_by=gp, reviewed_at=reviewed_at, released=True
    )
    older.filter(~Q(flag=Flag.NORMAL)).update(
        comment="Wordt besproken bij uw volgende controle.",
        reviewed_by=gp,
        reviewed_at=reviewed_at,
        released=True,
    )


def _work_list_examples(practice: Practice, *, today: date, table: TestTable) -> None:
    moment = _moment(today - timedelta(days=1), random.Random(3))
    stranger = SamplePatient(bsn="999999990", born=date(1950, 5, 17), family_name="Onbekend")
    unknown_test = [SampleResult("2816", "61", "mmol/mol"), SampleResult("77777", "3", "U/l")]
    some_patient = Patient.objects.filter(practice=practice).order_by("id").first()
    messages = [
        hl7_oru(
            stranger,
            [SampleResult("542", "3.4", "mmol/l")],
            control_id="DEMO-ONB",
            order="X1",
            taken=moment,
        ),
        b"MSH|^~\\&|LIS|Streeklab|HIS|PRAKTIJK|20260101||ADT^A08|DEMO-ADT|P|2.5\rPID|1\r",
    ]
    if some_patient is not None:
        messages.append(
            hl7_oru(
                sample_patient(some_patient),
                unknown_test,
                control_id="DEMO-ONBEK",
                order="X2",
                taken=moment,
            )
        )
    for raw in messages:
        receive_lab_message(practice=practice, door="hl7v2", raw=raw, source="demo", table=table)


def give_portal_patient_results(patient: Patient, *, today: date) -> None:
    """The demo patient: two years of kidney and cholesterol values online, and a new one
    that waits for the GP (and so is not in the portal yet)."""
    rng = random.Random(5)
    table = TestTable.load()
    for index, months_ago in enumerate((24, 18, 12, 6, 0)):
        day = today - timedelta(days=months_ago * 30 + 3)
        ldl = 3.6 - index * 0.25
        results = [
            SampleResult("542", f"{ldl:.1f}", "mmol/l"),
            SampleResult("523", f"{rng.gauss(88, 6):.0f}", "umol/l"),
            SampleResult("3907", f"{rng.gauss(70, 4):.0f}", "ml/min/1,73m2"),
        ]
        raw = hl7_oru(
            sample_patient(patient),
            results,
            control_id=f"DEMO-PORTAAL-{index}",
            order=f"DP{index}",
            taken=_moment(day, rng),
            lab="Streeklab Lindewijk",
        )
        receive_lab_message(
            practice=patient.practice, door="hl7v2", raw=raw, source="demo", table=table
        )
    _release_older(patient.practice, today=today)
